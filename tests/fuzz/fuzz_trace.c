/* Fuzz the trace reader (replay/trace.c) with whole files: open (magic,
 * version, header), the index or the frame-by-frame scan of a cut-short
 * trace, every event of every frame, a seek into the middle, the header's
 * embedded start checkpoint, and `rewind dump` (text, then --json --stats)
 * on the same bytes, as a user handing rewind a damaged trace would.
 * Seed corpus: tests/fuzz/corpus/trace (real recordings). */
#include "tests/fuzz/fuzz_support.h"

#include <string.h>

#include "replay/checkpoint.h"
#include "replay/trace.h"
#include "tools/commands.h"

/* Touch every byte the reader hands out, so that ASan sees a pointer
 * that goes beyond its buffer. */
static uint64_t use_string(const char *s)
{
    return s ? strlen(s) : 0;
}

static uint64_t use_header(const TraceHeader *h)
{
    uint64_t sum = use_string(h->rewind_version) + use_string(h->rtc) +
                   use_string(h->start_checkpoint) + h->ram_size + h->nharts;
    for (size_t i = 0; i < h->ndevices; i++)
        sum += use_string(h->devices[i]);
    for (size_t i = 0; i < h->argc; i++)
        sum += use_string(h->argv[i]);
    for (size_t i = 0; i < h->nimages; i++)
        sum += use_string(h->images[i].role) + use_string(h->images[i].path) +
               h->images[i].size;
    for (size_t i = 0; i < h->noptions; i++)
        sum += use_string(h->options[i].key) + use_string(h->options[i].value);
    sum += use_string(trace_header_option(h, "backend"));
    if (h->start_state_len) {
        /* A replay from a checkpoint opens the embedded one like this. */
        char err[512];
        Checkpoint *c = checkpoint_open_bytes(h->start_state, h->start_state_len,
                                              "start checkpoint", err, sizeof(err));
        if (c)
            sum += checkpoint_icount(c) + use_header(checkpoint_machine(c));
        else if (!err[0])
            abort(); /* refused without saying why */
        checkpoint_close(c);
    }
    return sum;
}

static int read_events(TraceReader *r, uint64_t *sum, uint64_t *mid)
{
    TraceEvent ev;
    int rc;
    uint64_t n = 0, prev = 0;
    while ((rc = trace_reader_next(r, &ev)) == 1) {
        if (n++ && ev.icount < prev)
            abort(); /* the reader promises nondecreasing icounts */
        prev = ev.icount;
        *sum += trace_payload_digest(ev.payload, ev.len) + use_string(trace_kind_name(ev.kind));
        if (n == 2)
            *mid = ev.icount;
    }
    if (rc < 0 && !trace_reader_error(r))
        abort(); /* a damaged frame must say what and where */
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(data, size);
    char err[512] = "";
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    if (!r) {
        if (!strstr(err, path))
            abort(); /* the message names the file */
        return 0;
    }
    uint64_t sum = use_header(trace_reader_header(r)), mid = 0;
    TraceSummary s;
    trace_reader_summary(r, &s);
    sum += use_string(s.note);
    read_events(r, &sum, &mid);
    if (trace_reader_seek(r, mid))
        read_events(r, &sum, &mid);
    trace_reader_close(r);

    /* The same bytes through `rewind dump` (stdout is closed by the run
     * script's -close_fd_mask). */
    char *text[] = { (char *)path, NULL };
    cmd_dump(1, text);
    char *json[] = { "--json", "--stats", (char *)path, NULL };
    cmd_dump(3, json);
    fuzz_sink = sum;
    return 0;
}
