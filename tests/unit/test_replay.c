/* Record and replay through the library: a tiny machine (hand-assembled
 * program, a test device with an asynchronous and a synchronous input)
 * is recorded into a temporary trace, replayed, and compared; a trace with
 * one digest altered must diverge at that digest; an image that changed
 * since the recording must be refused. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/machine.h"
#include "devices/syscon.h"
#include "replay/replay.h"
#include "replay/session.h"
#include "replay/statesum.h"
#include "replay/trace.h"
#include "tests/unit/suites.h"
#include "tools/trace_config.h"

/* ---- a few RV64 encodings ---- */
enum { ZERO = 0, T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9, A0 = 10, A1 = 11, T3 = 28, T4 = 29 };

static uint32_t enc_i(uint32_t op, uint32_t f3, int rd, int rs1, int32_t imm)
{
    return (uint32_t)(imm & 0xfff) << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | op;
}

static uint32_t enc_r(uint32_t f3, int rd, int rs1, int rs2)
{
    return (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | 0x33;
}

static uint32_t enc_lui(int rd, uint32_t imm20)
{
    return imm20 << 12 | (uint32_t)rd << 7 | 0x37;
}

static uint32_t enc_sw(int rs2, int rs1, int32_t imm)
{
    return (uint32_t)(imm >> 5 & 0x7f) << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 |
           2u << 12 | (uint32_t)(imm & 0x1f) << 7 | 0x23;
}

static uint32_t enc_bne(int rs1, int rs2, int32_t off)
{
    uint32_t o = (uint32_t)off;
    return (o >> 12 & 1) << 31 | (o >> 5 & 0x3f) << 25 | (uint32_t)rs2 << 20 |
           (uint32_t)rs1 << 15 | 1u << 12 | (o >> 1 & 0xf) << 8 | (o >> 11 & 1) << 7 | 0x63;
}

#define DEV_BASE 0x20000000ULL
#define ADDI(rd, rs, imm) enc_i(0x13, 0, rd, rs, imm)

/* for 300 rounds: a0 += bytes received so far; a1 ^= 8 bytes of entropy;
 * 2000 instructions of busy loop. Then exit with (a0 ^ a1) & 0x7f. */
static unsigned rr_program(uint32_t *w)
{
    unsigned n = 0;
    w[n++] = enc_lui(S0, DEV_BASE >> 12);
    w[n++] = enc_lui(S1, 0x100);
    w[n++] = ADDI(T2, ZERO, 300);
    unsigned loop = n;
    w[n++] = enc_i(0x03, 2, T0, S0, 0); /* lw t0,0(s0) */
    w[n++] = enc_r(0, A0, A0, T0);      /* add a0,a0,t0 */
    w[n++] = enc_i(0x03, 3, T1, S0, 8); /* ld t1,8(s0) */
    w[n++] = enc_r(4, A1, A1, T1);      /* xor a1,a1,t1 */
    w[n++] = ADDI(T3, ZERO, 1000);
    unsigned inner = n;
    w[n++] = ADDI(T3, T3, -1);
    w[n] = enc_bne(T3, ZERO, (int32_t)(inner - n) * 4);
    n++;
    w[n++] = ADDI(T2, T2, -1);
    w[n] = enc_bne(T2, ZERO, (int32_t)(loop - n) * 4);
    n++;
    w[n++] = enc_r(4, A0, A0, A1);        /* xor a0,a0,a1 */
    w[n++] = enc_i(0x13, 7, A0, A0, 0x7f); /* andi */
    w[n++] = enc_i(0x13, 1, A0, A0, 16);   /* slli a0,a0,16 */
    w[n++] = enc_lui(T4, 3);
    w[n++] = ADDI(T4, T4, 0x333);
    w[n++] = enc_r(6, A0, A0, T4);        /* or */
    w[n++] = enc_sw(A0, S1, 0);
    w[n++] = 0x0000006f;                  /* j . */
    return n;
}

/* ---- the test device ---- */
typedef struct RrDev {
    Machine *m;
    uint64_t received;   /* sum of the bytes delivered through the sink */
    uint64_t host_state; /* the "host entropy" generator */
    unsigned host_reads;
    bool forbid_host;    /* replaying: the host must not be read */
} RrDev;

static bool rr_host_read(void *ctx, void *buf, size_t len)
{
    RrDev *d = ctx;
    d->host_reads++;
    ck_assert_msg(!d->forbid_host, "the host was read during a replay");
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        d->host_state = d->host_state * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (uint8_t)(d->host_state >> 56);
    }
    return true;
}

static bool rr_dev_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    RrDev *d = opaque;
    if (off == 0) {
        *val = d->received;
        return true;
    }
    uint8_t b[8];
    replay_sync_input(d->m, EV_ENTROPY, 0, b, sizeof(b), rr_host_read, d);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    *val = v;
    return true;
}

static bool rr_dev_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    return true;
}

static const MmioOps rr_dev_ops = { .read = rr_dev_read, .write = rr_dev_write };

static void rr_sink(void *opaque, const uint8_t *buf, size_t len)
{
    RrDev *d = opaque;
    for (size_t i = 0; i < len; i++)
        d->received += buf[i];
}

/* Host input arrives on the k-th turns of the host loop (wall-clock
 * moments, as far as the guest can tell). */
typedef struct RrInjector {
    uv_idle_t idle;
    Machine *m;
    unsigned turns;
} RrInjector;

static void rr_inject(uv_idle_t *h)
{
    RrInjector *in = h->data;
    in->turns++;
    static const char *const msgs[] = { "hello", "x", "typed line\n" };
    /* The run loop polls host input every 8 rounds (core/run.c): these
     * turns are rounds 8, 24 and 40 of a program that runs about 50. */
    static const unsigned at[] = { 1, 3, 5 };
    for (unsigned i = 0; i < 3; i++)
        if (in->turns == at[i])
            replay_async_input(in->m, EV_CONSOLE_INPUT, 0, (const uint8_t *)msgs[i],
                               strlen(msgs[i]));
    if (in->turns > 5)
        uv_idle_stop(h);
}

typedef struct RrRun {
    int exit_code;
    uint64_t icount, a0, a1, received;
    unsigned host_reads;
    ReplayResult result;
    char report[4096];
} RrRun;

/* Build the machine; record into path (hdr != NULL) or replay path. */
static void rr_run(const char *path, bool record, RrRun *out)
{
    char err[512];
    /* Turns of 10000 instructions (not the one-hart default): the input
     * arrives at the polls of rounds 8, 24 and 40 (rr_inject). */
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = 1, .quantum = 10000,
                          .digest_every = 50000 };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(m != NULL, "%s", err);
    m->digest_print = false;
    TraceHeader hdr = { .ram_size = cfg.ram_size, .nharts = 1, .ns_per_insn = 10,
                        .quantum = cfg.quantum, .digest_every = cfg.digest_every };
    if (record) {
        ck_assert_msg(replay_record_attach(m, path, &hdr, NULL, err, sizeof(err)), "%s", err);
    } else {
        TraceReader *rd = trace_reader_open(path, err, sizeof(err));
        ck_assert_msg(rd != NULL, "%s", err);
        ReplayPlayOptions po = { 0 };
        ck_assert_msg(replay_play_attach(m, rd, &po, err, sizeof(err)), "%s", err);
    }
    RrDev *d = calloc(1, sizeof(*d));
    d->m = m;
    d->host_state = record ? 12345 : 999; /* a different host each time */
    d->forbid_host = !record;
    ck_assert(memory_add_mmio(&m->mem, DEV_BASE, 0x1000, &rr_dev_ops, d, "rr-test"));
    replay_register_sink(m, EV_CONSOLE_INPUT, 0, rr_sink, d);
    ck_assert(syscon_new(m, MEM_TEST_BASE, err, sizeof(err)));
    uint32_t w[64];
    unsigned n = rr_program(w);
    memcpy(memory_ram_ptr(&m->mem, MEM_RAM_BASE, n * 4), w, n * 4);
    m->harts[0].pc = MEM_RAM_BASE;

    RrInjector *in = calloc(1, sizeof(*in));
    in->m = m;
    uv_idle_init(m->loop, &in->idle);
    in->idle.data = in;
    uv_idle_start(&in->idle, rr_inject); /* referenced: turned at every poll of host input */

    machine_run(m);
    out->exit_code = m->stop == STOP_EXIT ? m->exit_code : -1;
    out->icount = machine_icount(m);
    out->a0 = m->harts[0].x[A0];
    out->a1 = m->harts[0].x[A1];
    out->received = d->received;
    out->host_reads = d->host_reads;
    if (record) {
        ReplayRecordStats st;
        ck_assert_msg(replay_record_finish(m, &st, err, sizeof(err)), "%s", err);
        ck_assert_uint_gt(st.events, 300); /* entropy reads, digests, inputs */
        out->result = REPLAY_RESULT_MATCHED;
    } else {
        int code;
        out->result = replay_play_result(m, out->report, sizeof(out->report), &code);
    }
    uv_close((uv_handle_t *)&in->idle, NULL);
    machine_free(m);
    free(in);
    free(d);
}

static void rr_tmp(char *path, size_t len, const char *name)
{
    snprintf(path, len, "/tmp/rewind-unit-%d-%s.rwd", (int)getpid(), name);
}

START_TEST(test_record_then_replay_matches)
{
    char path[128];
    rr_tmp(path, sizeof(path), "rr");
    RrRun rec, rep;
    rr_run(path, true, &rec);
    ck_assert_int_eq(rec.result, REPLAY_RESULT_MATCHED);
    ck_assert_uint_eq(rec.host_reads, 300);
    ck_assert_uint_gt(rec.received, 0); /* the input reached the guest */
    rr_run(path, false, &rep);
    ck_assert_msg(rep.result == REPLAY_RESULT_MATCHED, "replay: %d %s", rep.result, rep.report);
    ck_assert_uint_eq(rep.host_reads, 0);
    ck_assert_int_eq(rep.exit_code, rec.exit_code);
    ck_assert_uint_eq(rep.icount, rec.icount);
    ck_assert_uint_eq(rep.a0, rec.a0);
    ck_assert_uint_eq(rep.a1, rec.a1);
    ck_assert_uint_eq(rep.received, rec.received);

    /* The trace: input points come as a digest followed by the bytes. */
    char err[256];
    TraceReader *rd = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(rd != NULL, "%s", err);
    TraceEvent ev;
    unsigned console = 0, entropy = 0, digests = 0;
    uint32_t prev = 0;
    while (trace_reader_next(rd, &ev) == 1) {
        console += ev.kind == TRACE_CONSOLE_INPUT;
        entropy += ev.kind == TRACE_ENTROPY;
        digests += ev.kind == TRACE_DIGEST;
        if (ev.kind == TRACE_CONSOLE_INPUT)
            ck_assert_uint_eq(prev, TRACE_DIGEST);
        prev = ev.kind;
    }
    ck_assert_uint_eq(console, 3);
    ck_assert_uint_eq(entropy, 300);
    ck_assert_uint_gt(digests, 3);
    trace_reader_close(rd);
    unlink(path);
}
END_TEST

/* Copy a trace, changing the memory hash of the k-th periodic digest. */
static uint64_t rr_tamper(const char *from, const char *to, unsigned k)
{
    char err[256];
    TraceReader *rd = trace_reader_open(from, err, sizeof(err));
    ck_assert_msg(rd != NULL, "%s", err);
    TraceWriter *w = trace_writer_open(to, trace_reader_header(rd), err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    TraceEvent ev;
    uint64_t at = 0;
    unsigned seen = 0;
    while (trace_reader_next(rd, &ev) == 1) {
        StateSumInfo info;
        if (ev.kind == TRACE_DIGEST && statesum_info(ev.payload, ev.len, &info) &&
            !info.input_point && !info.sync_input && ++seen == k) {
            ev.digest_memory ^= 1;
            at = ev.icount;
        }
        ck_assert(trace_writer_append(w, &ev));
    }
    ck_assert(trace_writer_close(w, err, sizeof(err)));
    trace_reader_close(rd);
    return at;
}

START_TEST(test_altered_digest_diverges_there)
{
    char path[128], bad[128];
    rr_tmp(path, sizeof(path), "good");
    rr_tmp(bad, sizeof(bad), "bad");
    RrRun rec, rep;
    rr_run(path, true, &rec);
    uint64_t at = rr_tamper(path, bad, 4);
    ck_assert_uint_eq(at, 200000);
    rr_run(bad, false, &rep);
    ck_assert_int_eq(rep.result, REPLAY_RESULT_DIVERGED);
    ck_assert_uint_eq(rep.icount, at);
    ck_assert_msg(strstr(rep.report, "divergence at icount 200000") &&
                  strstr(rep.report, "memory differs") &&
                  strstr(rep.report, "last event before it"),
                  "report: %s", rep.report);
    unlink(path);
    unlink(bad);
}
END_TEST

START_TEST(test_changed_image_is_refused)
{
    char img[128];
    snprintf(img, sizeof(img), "/tmp/rewind-unit-%d-image.bin", (int)getpid());
    FILE *f = fopen(img, "w");
    ck_assert_ptr_nonnull(f);
    fputs("the recorded kernel", f);
    fclose(f);
    char err[1024];
    TraceImage im = { .role = "kernel", .path = img };
    ck_assert(trace_hash_file(img, &im.size, &im.hash_lo, &im.hash_hi, err, sizeof(err)));
    TraceHeader h = { .images = &im, .nimages = 1 };
    ck_assert_msg(trace_config_check_images(&h, NULL, 0, err, sizeof(err)), "%s", err);

    f = fopen(img, "w");
    fputs("another kernel!!!!!!", f);
    fclose(f);
    ck_assert(!trace_config_check_images(&h, NULL, 0, err, sizeof(err)));
    char rec[40];
    snprintf(rec, sizeof(rec), "%016" PRIx64 "%016" PRIx64, im.hash_hi, im.hash_lo);
    uint64_t size, lo, hi;
    char now[40];
    ck_assert(trace_hash_file(img, &size, &lo, &hi, now, sizeof(now)));
    snprintf(now, sizeof(now), "%016" PRIx64 "%016" PRIx64, hi, lo);
    ck_assert_msg(strstr(err, img) && strstr(err, rec) && strstr(err, now), "%s", err);

    /* Moved: found through the map, still checked. */
    char moved[160];
    snprintf(moved, sizeof(moved), "%s.moved", img);
    ck_assert(rename(img, moved) == 0);
    TraceImageMap map = { img, moved };
    ck_assert(!trace_config_check_images(&h, &map, 1, err, sizeof(err)));
    ck_assert_msg(strstr(err, moved) != NULL, "%s", err);
    unlink(moved);
    ck_assert(!trace_config_check_images(&h, NULL, 0, err, sizeof(err)));
    ck_assert_msg(strstr(err, "--image") != NULL, "%s", err);
}
END_TEST

/* A trace of another engine revision is refused before it runs, both
 * revisions named (before: only a warning, and the replay ran on). */
START_TEST(test_other_engine_revision_is_refused)
{
    char err[1024], cur[16], msg[120];
    snprintf(cur, sizeof(cur), "%d", MACHINE_ENGINE_REVISION);
    TraceOption opt[2] = { { "engine", cur }, { "cpu", "rv64" } };
    TraceHeader h = { .options = opt, .noptions = 1 };
    ck_assert_msg(trace_config_engine_agrees(&h, err, sizeof(err)), "%s", err);

    opt[0].value = "2";
    ck_assert(!trace_config_engine_agrees(&h, err, sizeof(err)));
    snprintf(msg, sizeof(msg), "revision 2, this rewind is revision %d", MACHINE_ENGINE_REVISION);
    ck_assert_msg(strstr(err, msg) && strstr(err, "refused before running"), "%s", err);

    h.noptions = 0; /* no "engine": revision 1 */
    ck_assert(!trace_config_engine_agrees(&h, err, sizeof(err)));
    ck_assert_msg(strstr(err, "revision 1, this rewind") != NULL, "%s", err);

    opt[0].value = "x";
    h.noptions = 1;
    ck_assert(!trace_config_engine_agrees(&h, err, sizeof(err)));
    ck_assert_msg(strstr(err, "'x' is not a revision number") != NULL, "%s", err);

    /* Revision 3 without "cpu" keeps its ISA here: it replays exactly. */
    opt[0].value = "3";
    ck_assert_msg(trace_config_engine_agrees(&h, err, sizeof(err)), "%s", err);
    h.noptions = 2; /* with "cpu": not a trace revision 3 could write */
    ck_assert(!trace_config_engine_agrees(&h, err, sizeof(err)));
}
END_TEST

Suite *suite_replay(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_record_then_replay_matches);
    tcase_add_test(tc, test_altered_digest_diverges_there);
    tcase_add_test(tc, test_changed_image_is_refused);
    tcase_add_test(tc, test_other_engine_revision_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
