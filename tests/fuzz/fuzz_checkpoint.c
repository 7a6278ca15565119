/* Fuzz the checkpoint reader (replay/checkpoint.c) with whole files, the
 * way `rewind run --from-checkpoint FILE` and `rewind dump FILE` take
 * them: open and check the file, print it, build the machine its header
 * describes (every image replaced by a stand-in file: the point is the
 * checkpoint, not the images) and load the state into it.
 *
 * A load is all or nothing: when checkpoint_load refuses a state (a device
 * refusing its bytes included), the harts, RAM and the devices' states
 * must be as they were; the harness aborts otherwise. A loaded machine
 * then runs RUN_INSNS instructions, so that a state the load let through
 * meets the devices and the run loop. Machines larger than 64 MiB of RAM
 * or 8 harts are not built (the fuzzer would spend its time in memset).
 * A custom mutator (at the end) also changes the compressed sections'
 * content. Seed corpus: tests/fuzz/corpus/checkpoint (make-corpus). */
#include "tests/fuzz/fuzz_support.h"

#include <string.h>
#include <xxhash.h>

#include "core/debug.h"
#include "core/digest.h"
#include "replay/checkpoint.h"
#include "tools/commands.h"
#include "tools/trace_config.h"

enum { MAX_RAM = 64 << 20, MAX_HARTS = 8, RUN_INSNS = 20000 };

static char standin[64];
static FILE *devnull;

static void remove_standin(void)
{
    unlink(standin);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* The stand-in for every image: 4 KiB of nops (addi x0, x0, 0). */
    snprintf(standin, sizeof(standin), "/tmp/rewind-fuzz-image-%d", (int)getpid());
    FILE *f = fopen(standin, "wb");
    devnull = fopen("/dev/null", "w");
    if (!f || !devnull)
        abort();
    for (int i = 0; i < 1024; i++)
        fwrite("\x13\x00\x00\x00", 1, 4, f);
    fclose(f);
    atexit(remove_standin);
    return 0;
}

/* Harts, RAM and every device's saved bytes (the disk overlay's, a table
 * of shared clusters, excepted). */
static uint64_t machine_hash(Machine *m)
{
    Digest d = digest_take(m);
    uint64_t h = d.harts ^ XXH3_64bits(m->mem.ram, m->mem.ram_size);
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save || md->release)
            continue;
        size_t n = md->save(md->opaque, NULL, 0);
        void *buf = malloc(n ? n : 1);
        if (!buf || md->save(md->opaque, buf, n) != n)
            abort();
        h = h * 31 + XXH3_64bits(buf, n);
        free(buf);
    }
    return h;
}

/* The debugger's stop at RUN_INSNS ends the run. */
static void stopped(void *opaque, const DebugStop *why)
{
    (void)why;
    machine_request_exit(opaque, 0);
}

static void run_loaded(Machine *m)
{
    DebugFrontEnd fe = { .opaque = m, .stopped = stopped };
    if (!debug_attach(m, &fe))
        abort();
    debug_set_stop_icount(m, machine_icount(m) + RUN_INSNS);
    machine_run(m);
    fuzz_note("run: stop %d%s%s\n", (int)m->stop, m->stop == STOP_ERROR ? ": " : "",
              m->stop == STOP_ERROR ? m->error : "");
}

static void load_into_machine(const Checkpoint *c)
{
    const TraceHeader *h = checkpoint_machine(c);
    if (h->ram_size > MAX_RAM || h->nharts > MAX_HARTS)
        return;
    TraceImageMap maps[TRACE_CONFIG_MAX_IMAGES + 3];
    unsigned nmaps = 0;
    for (size_t i = 0; i < h->nimages && nmaps < TRACE_CONFIG_MAX_IMAGES; i++)
        if (h->images[i].path)
            maps[nmaps++] = (TraceImageMap){ h->images[i].path, standin };
    const char *roles[] = { "bios", "kernel", "initrd" };
    for (int i = 0; i < 3; i++) {
        const char *p = trace_header_option(h, roles[i]);
        if (p && strcmp(p, "none") != 0)
            maps[nmaps++] = (TraceImageMap){ p, standin };
    }
    RunOptions o;
    MachineConfig cfg;
    TraceConfig tc;
    memset(&tc, 0, sizeof(tc));
    char err[512] = "";
    char *noargs[] = { NULL };
    if (!options_parse_run(&o, 0, noargs, err, sizeof(err)))
        abort();
    if (trace_config_to_options(&tc, h, maps, nmaps, &o, &cfg, err, sizeof(err))) {
        o.serial = "none"; /* no terminal, no stdin */
        o.console_out = devnull;
        RunSession s;
        err[0] = '\0';
        if (run_session_open(&s, &o, &cfg, NULL, NULL, err, sizeof(err))) {
            uint64_t before = machine_hash(s.m);
            bool loaded = checkpoint_load(c, s.m, err, sizeof(err));
            fuzz_note("load: %s\n", loaded ? "loaded" : err);
            if (!loaded) {
                if (!err[0])
                    abort(); /* refused without saying why */
                if (machine_hash(s.m) != before) {
                    fprintf(stderr, "fuzz: half loaded: %s\n", err);
                    abort();
                }
            } else {
                fuzz_sink = machine_hash(s.m);
                run_loaded(s.m);
            }
        } else {
            fuzz_note("machine: %s\n", err);
            if (!err[0])
                abort();
        }
        run_session_close(&s);
    } else {
        fuzz_note("options: %s\n", err);
        if (!err[0])
            abort();
    }
    trace_config_free(&tc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(data, size);
    char err[512] = "";
    Checkpoint *c = checkpoint_open(path, err, sizeof(err));
    if (!c) {
        fuzz_note("open: %s\n", err);
        if (!strstr(err, path))
            abort(); /* the message names the file */
        return 0;
    }
    checkpoint_print(c, devnull);
    fuzz_sink = checkpoint_icount(c);
    load_into_machine(c);
    checkpoint_close(c);
    return 0;
}

/* Half the mutations are libFuzzer's own on the file's bytes; the other
 * half change the content of one compressed section (the state message,
 * or a RAM section: fuzz_mutate_zstd), write its sizes into its header,
 * and make the footer's length and checksum right again, so that the
 * parsers behind the sections see mutated messages and page records. */
enum { FILE_HDR = 16, SECTION_HDR = 12, FOOTER = 24, MAX_SECTIONS = 64 };

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    if (seed % 2 == 0 || size < FILE_HDR + FOOTER)
        return LLVMFuzzerMutate(data, size, max_size);
    size_t at[MAX_SECTIONS], n = 0, end = size - FOOTER;
    for (size_t off = FILE_HDR; n < MAX_SECTIONS && off + SECTION_HDR <= end;) {
        size_t clen = fuzz_le32(data + off + 4);
        if (clen > end - off - SECTION_HDR)
            break;
        at[n++] = off;
        off += SECTION_HDR + clen;
    }
    if (n == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    /* The state section half the time, else any section. */
    size_t k = (seed / 2) % 2 ? 0 : (seed / 4) % n;
    size_t off = at[k], clen = fuzz_le32(data + off + 4);
    static uint8_t section[1 << 21];
    size_t ulen = 0;
    size_t c = fuzz_mutate_zstd(data, off + SECTION_HDR, clen, section, sizeof(section), &ulen);
    size_t after = size - (off + SECTION_HDR + clen); /* later sections, footer */
    if (!c || off + SECTION_HDR + c + after > max_size)
        return LLVMFuzzerMutate(data, size, max_size);
    memmove(data + off + SECTION_HDR + c, data + off + SECTION_HDR + clen, after);
    memcpy(data + off + SECTION_HDR, section, c);
    fuzz_put_le32(data + off + 4, (uint32_t)c);
    fuzz_put_le32(data + off + 8, (uint32_t)ulen);
    size_t total = off + SECTION_HDR + c + after, body = total - FOOTER;
    uint64_t sum = XXH64(data, body, 0);
    for (int i = 0; i < 8; i++) {
        data[body + 8 + i] = (uint8_t)((uint64_t)body >> (8 * i));
        data[body + 16 + i] = (uint8_t)(sum >> (8 * i));
    }
    return total;
}
