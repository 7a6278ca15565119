/* Fuzz the trace reader (replay/trace.c) with whole files: open (magic,
 * version, header), the index or the frame-by-frame scan of a cut-short
 * trace, every event of every frame, a seek into the middle, the header's
 * embedded start checkpoint, and `rewind dump` (text, then --json --stats)
 * on the same bytes, as a user handing rewind a damaged trace would.
 * A custom mutator (at the end) also changes the events inside the
 * compressed frames. Seed corpus: tests/fuzz/corpus/trace (real
 * recordings). */
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

/* Half the mutations are libFuzzer's own on the file's bytes; the other
 * half change the events inside one event frame (fuzz_mutate_zstd) and
 * write the frame back with its sizes in its header. The index and
 * footer are dropped then (they would name the old sizes): the reader
 * scans the frames one by one, as for a recording that was cut short. */
enum { FILE_HDR = 20, FRAME_HDR = 40, MAX_FRAMES = 64 };

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    if (seed % 2 == 0 || size < FILE_HDR)
        return LLVMFuzzerMutate(data, size, max_size);
    /* The event frames: from the end of the header, while "RWFR" follows. */
    size_t start = FILE_HDR + (size_t)fuzz_le32(data + 12), at[MAX_FRAMES], n = 0;
    for (size_t off = start; n < MAX_FRAMES && off + FRAME_HDR <= size &&
                             memcmp(data + off, "RWFR", 4) == 0;) {
        size_t clen = fuzz_le32(data + off + 4);
        if (clen > size - off - FRAME_HDR)
            break;
        at[n++] = off;
        off += FRAME_HDR + clen;
    }
    if (n == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    size_t k = (seed / 2) % n, off = at[k], clen = fuzz_le32(data + off + 4);
    size_t end = at[n - 1] + FRAME_HDR + fuzz_le32(data + at[n - 1] + 4);
    static uint8_t frame[1 << 21];
    size_t ulen = 0;
    size_t c = fuzz_mutate_zstd(data, off + FRAME_HDR, clen, frame, sizeof(frame), &ulen);
    size_t after = end - (off + FRAME_HDR + clen); /* the frames after it */
    if (!c || off + FRAME_HDR + c + after > max_size)
        return LLVMFuzzerMutate(data, size, max_size);
    memmove(data + off + FRAME_HDR + c, data + off + FRAME_HDR + clen, after);
    memcpy(data + off + FRAME_HDR, frame, c);
    fuzz_put_le32(data + off + 4, (uint32_t)c);
    fuzz_put_le32(data + off + 8, (uint32_t)ulen);
    return off + FRAME_HDR + c + after;
}
