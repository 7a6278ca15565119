/* Fuzz the packed-recording reader (tools/packed.c) with whole files, as
 * replay, debug, dump, diff and timeline take them: packed_open (header,
 * table, footer, every entry unpacked into a memory file and checked),
 * then the unpacked trace read through (header, every event) with the
 * image maps the commands would use, then packed_close. Every memory file
 * must be closed again: the harness aborts when one is left open.
 * Seed corpus: tests/fuzz/corpus/packed (make-corpus: `rewind pack`). */
#include "tests/fuzz/fuzz_support.h"

#include <dirent.h>
#include <string.h>

#include "replay/trace.h"
#include "tools/packed.h"

/* How many memory files of packed.c are open (/proc/self/fd links named
 * "/memfd:rewind-pack-..."): none between inputs, or one leaked. (Not the
 * lowest free descriptor: libFuzzer's own threads open files too.) */
static int open_pack_files(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        abort();
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char link[64], target[256];
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len > 0) {
            target[len] = '\0';
            n += strncmp(target, "/memfd:rewind-pack-", 19) == 0;
        }
    }
    closedir(d);
    return n;
}

static void read_trace(const char *path)
{
    char err[512] = "";
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    if (!r) {
        fuzz_note("trace: %s\n", err);
        return;
    }
    const TraceHeader *h = trace_reader_header(r);
    uint64_t sum = h->nimages;
    TraceEvent ev;
    while (trace_reader_next(r, &ev) == 1)
        sum += trace_payload_digest(ev.payload, ev.len);
    fuzz_sink = sum;
    trace_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(data, size);
    PackedOpen p;
    char err[512] = "";
    if (!packed_open(path, &p, err, sizeof(err))) {
        fuzz_note("open: %s\n", err);
        if (!strstr(err, path))
            abort(); /* the message names the file */
    } else if (p.packed) {
        fuzz_note("unpacked: %u images\n", p.nmaps);
        /* What replay does with it: the trace, and its images mapped. */
        TraceImageMap maps[PACK_MAX_ENTRIES];
        unsigned n = packed_add_maps(&p, NULL, 0, maps, PACK_MAX_ENTRIES);
        for (unsigned i = 0; i < n; i++)
            fuzz_sink += strlen(maps[i].from) + strlen(maps[i].to);
        read_trace(packed_trace_path(&p, path));
        packed_close(&p);
    }
    /* A refused file is not closed by the commands: packed_open must have
     * closed what it opened. */
    int open_files = open_pack_files();
    if (open_files) {
        fprintf(stderr, "fuzz: %d memory files of the packed file left open\n", open_files);
        abort();
    }
    return 0;
}
