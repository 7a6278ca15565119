/* The trace file: round trips, cut-short files at every length, a bit flip
 * at every byte, empty and foreign files, a file from a newer rewind with
 * unknown fields (built by hand from docs/trace-format.md, which also checks
 * the writer against the document), index seeks, a recording killed with
 * SIGKILL, the committed v1 fixture, and `rewind dump`.
 *
 * REWIND_TRACE_FIXTURE_OUT=PATH tests/unit/unit trace   rewrites the fixture
 * REWIND_TRACE_BENCH=MB tests/unit/unit trace           prints write speed */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "replay/trace.h"
#include "replay/trace.pb-c.h"
#include "tests/unit/suites.h"
#include "tools/commands.h"

/* ------------------------------------------------------------ helpers */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

typedef struct GenEvent {
    TraceEvent ev;
    uint8_t buf[400];
} GenEvent;

/* Event i of a deterministic stream: digests, console text, entropy, RTC,
 * and a kind this version does not know (99). Pairs share an icount.
 * The v1 fixture was written from this: do not change it. */
static void gen_event(unsigned i, GenEvent *g)
{
    uint64_t r = mix64(i);
    memset(g, 0, sizeof(*g));
    TraceEvent *e = &g->ev;
    e->icount = (uint64_t)(i / 2) * 1009 + 5;
    e->hart = (uint32_t)(r % 4);
    e->pc = 0x80000000ULL + ((r >> 8) & 0xffff) * 4;
    e->payload = g->buf;
    switch (i % 6) {
    case 0:
    case 1:
        e->kind = TRACE_DIGEST;
        e->digest_harts = mix64(r);
        e->digest_memory = mix64(r + 1);
        e->digest_pages = r % 50;
        break;
    case 2:
        e->kind = TRACE_CONSOLE_INPUT;
        e->len = 1 + r % 20;
        for (size_t k = 0; k < e->len; k++)
            g->buf[k] = (uint8_t)(k + 1 == e->len ? '\n' : 'a' + (r >> k) % 26);
        break;
    case 3:
        e->kind = TRACE_ENTROPY;
        e->source = 1;
        e->len = (r & 1) ? 16 : 32;
        for (size_t k = 0; k < e->len; k++)
            g->buf[k] = (uint8_t)mix64(r + k);
        break;
    case 4:
        e->kind = TRACE_RTC_BASE;
        e->len = 8;
        for (size_t k = 0; k < 8; k++)
            g->buf[k] = (uint8_t)((1700000000000000000ULL + i) >> (8 * k));
        break;
    default:
        e->kind = 99;
        e->source = 7;
        e->len = r % 300;
        for (size_t k = 0; k < e->len; k++)
            g->buf[k] = (uint8_t)(r >> (k % 57));
        break;
    }
    if (i % 97 == 96) {
        e->kind = TRACE_EXIT;
        e->len = 0;
        e->digest_harts = e->digest_memory = e->digest_pages = 0;
        e->exit_code = -3;
    }
}

static void check_event(const TraceEvent *got, unsigned i)
{
    GenEvent g;
    gen_event(i, &g);
    const TraceEvent *w = &g.ev;
    ck_assert_uint_eq(got->icount, w->icount);
    ck_assert_uint_eq(got->hart, w->hart);
    ck_assert_uint_eq(got->pc, w->pc);
    ck_assert_uint_eq(got->kind, w->kind);
    ck_assert_uint_eq(got->source, w->source);
    ck_assert_uint_eq(got->len, w->len);
    if (w->len)
        ck_assert(memcmp(got->payload, w->payload, w->len) == 0);
    ck_assert_uint_eq(got->digest_harts, w->digest_harts);
    ck_assert_uint_eq(got->digest_memory, w->digest_memory);
    ck_assert_uint_eq(got->digest_pages, w->digest_pages);
    ck_assert_int_eq(got->exit_code, w->exit_code);
}

static const char *const test_argv[] = { "rewind", "record", "-o", "t.rwd", "-smp", "2",
                                         "-kernel", "Image", "-append", "console=ttyS0" };
static const char *const test_devices[] = { "virtio-rng-device", "virtio-blk-device,drive=hd" };
static const TraceImage test_images[] = {
    { "bios", "fw_jump.bin", 123456, 0x0123456789abcdefULL, 0xfedcba9876543210ULL },
    { "kernel", "Image", 20000000, 1, 2 },
    { "drive", "rootfs.ext2", 0, 0, UINT64_MAX },
};
static const TraceOption test_options[] = { { "machine", "virt" }, { "append", "console=ttyS0" } };

static TraceHeader test_header(void)
{
    return (TraceHeader){
        .rewind_version = "9.9.9-test", .ram_size = 256ULL << 20, .nharts = 2,
        .ns_per_insn = 8, .pace = true, .quantum = 1000, .digest_every = 1000000,
        .rtc = "base=2024-01-02T03:04:05", .devices = test_devices, .ndevices = 2,
        .argv = test_argv, .argc = sizeof(test_argv) / sizeof(test_argv[0]),
        .images = test_images, .nimages = 3, .start_checkpoint = NULL,
        .options = test_options, .noptions = 2,
    };
}

/* The content of test_header() (the schema version is the caller's to
 * check: fixtures keep the one they were written with). */
static void check_header(const TraceHeader *h)
{
    ck_assert_str_eq(h->rewind_version, "9.9.9-test");
    ck_assert_uint_eq(h->ram_size, 256ULL << 20);
    ck_assert_uint_eq(h->nharts, 2);
    ck_assert_uint_eq(h->ns_per_insn, 8);
    ck_assert(h->pace);
    ck_assert_uint_eq(h->quantum, 1000);
    ck_assert_uint_eq(h->digest_every, 1000000);
    ck_assert_str_eq(h->rtc, "base=2024-01-02T03:04:05");
    ck_assert_uint_eq(h->ndevices, 2);
    ck_assert_str_eq(h->devices[1], "virtio-blk-device,drive=hd");
    ck_assert_uint_eq(h->argc, sizeof(test_argv) / sizeof(test_argv[0]));
    for (size_t i = 0; i < h->argc; i++)
        ck_assert_str_eq(h->argv[i], test_argv[i]);
    ck_assert_uint_eq(h->nimages, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(h->images[i].role, test_images[i].role);
        ck_assert_str_eq(h->images[i].path, test_images[i].path);
        ck_assert_uint_eq(h->images[i].size, test_images[i].size);
        ck_assert_uint_eq(h->images[i].hash_lo, test_images[i].hash_lo);
        ck_assert_uint_eq(h->images[i].hash_hi, test_images[i].hash_hi);
    }
    ck_assert_ptr_null(h->start_checkpoint);
    ck_assert_uint_eq(h->noptions, 2);
    ck_assert_str_eq(trace_header_option(h, "machine"), "virt");
    ck_assert_ptr_null(trace_header_option(h, "nothing"));
}

static void tmp_path(char *out, size_t len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(out, len, "%s/rewind-trace-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(out);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

/* Write events [0, n) with a frame cut after every `per_frame` events
 * (0: only the writer's own policy). */
static void write_trace(const char *path, unsigned n, unsigned per_frame, bool close_it)
{
    char err[512];
    TraceHeader h = test_header();
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    for (unsigned i = 0; i < n; i++) {
        GenEvent g;
        gen_event(i, &g);
        ck_assert_msg(trace_writer_append(w, &g.ev), "%s", trace_writer_error(w));
        if (per_frame && (i + 1) % per_frame == 0)
            ck_assert(trace_writer_flush(w));
    }
    if (close_it)
        ck_assert_msg(trace_writer_close(w, err, sizeof(err)), "%s", err);
    else
        trace_writer_abandon(w, true);
}

/* Read every event, checking each against the generator; returns the count
 * and the last return code of trace_reader_next. */
static unsigned read_all(TraceReader *r, int *last_rc)
{
    TraceEvent e;
    unsigned n = 0;
    int rc;
    while ((rc = trace_reader_next(r, &e)) > 0)
        check_event(&e, n++);
    *last_rc = rc;
    return n;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* ------------------------------------------------------------ round trip */

START_TEST(test_round_trip_many_frames)
{
    char path[256];
    tmp_path(path, sizeof(path));
    enum { N = 60000 }; /* about 3.5 MB of events: several 1 MiB frames */
    write_trace(path, N, 0, true);

    char err[512];
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_uint_eq(trace_reader_header(r)->schema_version, TRACE_SCHEMA_VERSION);
    check_header(trace_reader_header(r));
    TraceSummary s;
    trace_reader_summary(r, &s);
    ck_assert(s.complete);
    ck_assert_uint_ge(s.frames, 3);
    ck_assert_uint_eq(s.events, N);
    GenEvent first, last;
    gen_event(0, &first);
    gen_event(N - 1, &last);
    ck_assert_uint_eq(s.first_icount, first.ev.icount);
    ck_assert_uint_eq(s.last_icount, last.ev.icount);
    ck_assert_uint_lt(s.compressed_bytes, s.uncompressed_bytes);
    int rc;
    ck_assert_uint_eq(read_all(r, &rc), N);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(trace_reader_next(r, &(TraceEvent){ 0 }), 0); /* stays at the end */
    trace_reader_close(r);
    unlink(path);
}
END_TEST

START_TEST(test_empty_trace)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    TraceHeader h = { 0 };
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    ck_assert(trace_writer_close(w, err, sizeof(err)));
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    TraceSummary s;
    trace_reader_summary(r, &s);
    ck_assert(s.complete);
    ck_assert_uint_eq(s.frames, 0);
    int rc;
    ck_assert_uint_eq(read_all(r, &rc), 0);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(trace_reader_header(r)->rewind_version, PACKAGE_VERSION);
    trace_reader_close(r);
    unlink(path);
}
END_TEST

START_TEST(test_writer_refuses_backwards_icount)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    TraceHeader h = test_header();
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_ptr_nonnull(w);
    TraceEvent e = { .icount = 100, .kind = TRACE_RESET };
    ck_assert(trace_writer_append(w, &e));
    ck_assert(trace_writer_append(w, &e)); /* same icount: fine */
    e.icount = 99;
    ck_assert(!trace_writer_append(w, &e));
    ck_assert_ptr_nonnull(strstr(trace_writer_error(w), "icount 99"));
    ck_assert(!trace_writer_close(w, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, path));
    unlink(path);
}
END_TEST

START_TEST(test_writer_stats)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    TraceHeader h = test_header();
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_ptr_nonnull(w);
    for (unsigned i = 0; i < 50; i++) {
        GenEvent g;
        gen_event(i, &g);
        ck_assert(trace_writer_append(w, &g.ev));
    }
    ck_assert(trace_writer_flush(w));
    TraceWriterStats st;
    trace_writer_stats(w, &st);
    ck_assert_uint_eq(st.events, 50);
    ck_assert_uint_eq(st.frames, 1);
    ck_assert_uint_gt(st.bytes_uncompressed, 0);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(st.bytes_written, (uint64_t)sb.st_size);
    ck_assert(trace_writer_close(w, err, sizeof(err)));
    unlink(path);
}
END_TEST

/* ------------------------------------------------------------ bad files */

static void expect_open_error(const char *path, const char *want)
{
    char err[512] = "";
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err, want) != NULL, "wanted '%s' in '%s'", want, err);
    ck_assert_ptr_nonnull(strstr(err, path));
}

START_TEST(test_empty_and_foreign_files)
{
    char path[256];
    tmp_path(path, sizeof(path));
    expect_open_error(path, "empty file");
    spit(path, "#!/bin/sh\necho this is a shell script, not a trace\n", 51);
    expect_open_error(path, "not a rewind trace");
    spit(path, "RW", 2);
    expect_open_error(path, "cut short");
    spit(path, "RWNDTRC\0\1\0\0\0", 12);
    expect_open_error(path, "cut short");
    expect_open_error("/nonexistent/trace.rwd", "No such file");
    char dir[300];
    snprintf(dir, sizeof(dir), "%s.d", path);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    expect_open_error(dir, "not a regular file");
    rmdir(dir);
    unlink(path);
}
END_TEST

/* The small trace of the corruption tests: 60 events in 6 frames. */
enum { SMALL_EVENTS = 60, SMALL_PER_FRAME = 10 };

START_TEST(test_truncated_at_every_length)
{
    char path[256], cut[256];
    tmp_path(path, sizeof(path));
    tmp_path(cut, sizeof(cut));
    write_trace(path, SMALL_EVENTS, SMALL_PER_FRAME, true);
    size_t len;
    uint8_t *data = slurp(path, &len);
    unsigned prev = 0, opened = 0;
    for (size_t n = 0; n < len; n++) {
        spit(cut, data, n);
        char err[512] = "";
        TraceReader *r = trace_reader_open(cut, err, sizeof(err));
        if (!r) {
            /* Only a cut inside the file header or the header message. */
            ck_assert_msg(opened == 0, "length %zu: %s", n, err);
            ck_assert_msg(strstr(err, cut) && (strstr(err, "cut short") || strstr(err, "empty")),
                          "length %zu: %s", n, err);
            continue;
        }
        opened++;
        TraceSummary s;
        trace_reader_summary(r, &s);
        ck_assert_msg(!s.complete, "length %zu read as complete", n);
        ck_assert_ptr_nonnull(strstr(s.note, "interrupted"));
        ck_assert_ptr_nonnull(strstr(s.note, cut));
        int rc;
        unsigned got = read_all(r, &rc);
        ck_assert_msg(rc == 0, "length %zu: %s", n, trace_reader_error(r));
        ck_assert_uint_eq(got % SMALL_PER_FRAME, 0); /* whole frames only */
        ck_assert_uint_eq(got, s.events);
        ck_assert_uint_ge(got, prev);
        prev = got;
        trace_reader_close(r);
    }
    ck_assert_uint_eq(prev, SMALL_EVENTS); /* only the footer missing */
    ck_assert_uint_gt(opened, len / 2);
    free(data);
    unlink(cut);
    unlink(path);
}
END_TEST

START_TEST(test_bit_flip_at_every_byte)
{
    char path[256], bad[256];
    tmp_path(path, sizeof(path));
    tmp_path(bad, sizeof(bad));
    write_trace(path, SMALL_EVENTS, SMALL_PER_FRAME, true);
    size_t len;
    uint8_t *data = slurp(path, &len);
    unsigned by_open = 0, by_frame = 0, by_summary = 0;
    for (size_t n = 0; n < len; n++) {
        data[n] ^= (uint8_t)(1u << (n % 8));
        spit(bad, data, len);
        data[n] ^= (uint8_t)(1u << (n % 8));
        char err[512] = "";
        TraceReader *r = trace_reader_open(bad, err, sizeof(err));
        if (!r) {
            ck_assert_msg(strstr(err, bad) != NULL, "byte %zu: %s", n, err);
            by_open++;
            continue;
        }
        int rc;
        unsigned got = read_all(r, &rc); /* whatever it returns must be right */
        TraceSummary s;
        trace_reader_summary(r, &s);
        if (rc < 0) {
            const char *e = trace_reader_error(r);
            ck_assert_msg(strstr(e, bad) && strstr(e, "frame ") && strstr(e, "offset") &&
                          strstr(e, "icount"), "byte %zu: %s", n, e);
            by_frame++;
        } else {
            /* The footer or the index: events all there, the summary says
             * the trace is not complete. */
            ck_assert_msg(!s.complete, "byte %zu: flip not detected", n);
            ck_assert_uint_eq(got, SMALL_EVENTS);
            by_summary++;
        }
        trace_reader_close(r);
    }
    ck_assert_uint_gt(by_open, 0);
    ck_assert_uint_gt(by_frame, len / 2);
    ck_assert_uint_gt(by_summary, 0);
    free(data);
    unlink(bad);
    unlink(path);
}
END_TEST

/* A damaged frame in the middle: the frames before it read, then a message
 * naming the frame. */
START_TEST(test_damaged_middle_frame)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    write_trace(path, SMALL_EVENTS, SMALL_PER_FRAME, true);
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_ptr_nonnull(r);
    /* Find frame 3's offset: seek there, then damage one of its bytes. */
    trace_reader_close(r);
    size_t len;
    uint8_t *data = slurp(path, &len);
    /* Frames start after the 20-byte prefix and the header message. */
    uint32_t hlen = data[12] | data[13] << 8 | data[14] << 16 | (uint32_t)data[15] << 24;
    size_t off = 20 + hlen;
    for (int f = 0; f < 2; f++)
        off += 40 + (data[off + 4] | data[off + 5] << 8 | data[off + 6] << 16);
    data[off + 40 + 5] ^= 0x40;
    spit(path, data, len);
    r = trace_reader_open(path, err, sizeof(err));
    ck_assert_ptr_nonnull(r);
    int rc;
    ck_assert_uint_eq(read_all(r, &rc), 2 * SMALL_PER_FRAME);
    ck_assert_int_eq(rc, -1);
    char want[128];
    snprintf(want, sizeof(want), "frame 3 at offset %zu (icount ", off);
    ck_assert_msg(strstr(trace_reader_error(r), want), "%s", trace_reader_error(r));
    ck_assert_ptr_nonnull(strstr(trace_reader_error(r), "checksum"));
    ck_assert_int_eq(trace_reader_next(r, &(TraceEvent){ 0 }), -1);
    trace_reader_close(r);
    free(data);
    unlink(path);
}
END_TEST

/* ------------------------------------------------------------ a newer writer */

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

typedef struct Blob {
    uint8_t *p;
    size_t len;
} Blob;

static void blob_add(Blob *b, const void *src, size_t n)
{
    b->p = realloc(b->p, b->len + n);
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

/* A frame as docs/trace-format.md describes it. */
static void blob_frame(Blob *b, const char magic[4], const void *data, size_t len,
                       uint32_t count, uint64_t first, uint64_t last)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t cap = ZSTD_compressBound(len);
    uint8_t *z = malloc(cap);
    size_t zn = ZSTD_compress2(c, z, cap, data, len);
    ck_assert(!ZSTD_isError(zn));
    uint8_t h[40];
    memcpy(h, magic, 4);
    le32(h + 4, (uint32_t)zn);
    le32(h + 8, (uint32_t)len);
    le32(h + 12, count);
    le64(h + 16, first);
    le64(h + 24, last);
    le32(h + 32, XXH32(z, zn, 0));
    le32(h + 36, XXH32(h, 36, 0));
    blob_add(b, h, 40);
    blob_add(b, z, zn);
    free(z);
    ZSTD_freeCCtx(c);
}

/* Unknown fields a newer schema might add: field 200 (bytes), field 41
 * (varint). */
static const uint8_t unknown_fields[] = { 0xc2, 0x0c, 6, 'f', 'u', 't', 'u', 'r', 'e',
                                          0xc8, 0x02, 0x05 };

static void write_future_trace(const char *path, uint32_t format_version)
{
    Blob file = { 0 };
    Rewind__Trace__Header h = REWIND__TRACE__HEADER__INIT;
    h.has_schema_version = true;
    h.schema_version = 7;
    h.rewind_version = "7.0";
    h.has_harts = true;
    h.harts = 4;
    char *argv[] = { "rewind", "record" };
    h.n_argv = 2;
    h.argv = argv;
    Blob hb = { 0 };
    hb.len = rewind__trace__header__get_packed_size(&h);
    hb.p = malloc(hb.len);
    rewind__trace__header__pack(&h, hb.p);
    blob_add(&hb, unknown_fields, sizeof(unknown_fields));

    uint8_t pre[20] = { 'R', 'W', 'N', 'D', 'T', 'R', 'C', 0 };
    le32(pre + 8, format_version);
    le32(pre + 12, (uint32_t)hb.len);
    le32(pre + 16, XXH32(hb.p, hb.len, 0));
    blob_add(&file, pre, 20);
    blob_add(&file, hb.p, hb.len);

    /* One frame of three events, each with unknown fields; one has a kind
     * this version does not know. */
    Blob ev = { 0 };
    static const uint32_t kinds[] = { TRACE_CONSOLE_INPUT, 120, TRACE_END };
    for (unsigned i = 0; i < 3; i++) {
        Rewind__Trace__Event e = REWIND__TRACE__EVENT__INIT;
        e.has_icount = e.has_kind = true;
        e.icount = 1000 + i;
        e.kind = kinds[i];
        e.has_payload = true;
        e.payload.data = (uint8_t *)"hi\n";
        e.payload.len = 3;
        size_t n = rewind__trace__event__get_packed_size(&e);
        uint8_t m[64];
        rewind__trace__event__pack(&e, m);
        memcpy(m + n, unknown_fields, sizeof(unknown_fields));
        n += sizeof(unknown_fields);
        uint8_t v = (uint8_t)n;
        blob_add(&ev, &v, 1);
        blob_add(&ev, m, n);
    }
    uint64_t frame_off = file.len;
    blob_frame(&file, "RWFR", ev.p, ev.len, 3, 1000, 1002);
    size_t csize = file.len - frame_off - 40;

    Rewind__Trace__FrameInfo fi = REWIND__TRACE__FRAME_INFO__INIT;
    fi.has_offset = fi.has_first_icount = fi.has_last_icount = true;
    fi.has_events = fi.has_compressed_size = fi.has_uncompressed_size = true;
    fi.offset = frame_off;
    fi.first_icount = 1000;
    fi.last_icount = 1002;
    fi.events = 3;
    fi.compressed_size = (uint32_t)csize;
    fi.uncompressed_size = (uint32_t)ev.len;
    Rewind__Trace__FrameInfo *pfi = &fi;
    Rewind__Trace__Index idx = REWIND__TRACE__INDEX__INIT;
    idx.n_frames = 1;
    idx.frames = &pfi;
    Blob ib = { 0 };
    ib.len = rewind__trace__index__get_packed_size(&idx);
    ib.p = malloc(ib.len);
    rewind__trace__index__pack(&idx, ib.p);
    blob_add(&ib, unknown_fields, sizeof(unknown_fields));
    uint64_t index_off = file.len;
    blob_frame(&file, "RWIX", ib.p, ib.len, 1, 1000, 1002);

    uint8_t foot[24] = { 'R', 'W', 'N', 'D', 'E', 'N', 'D', 0 };
    le64(foot + 8, index_off);
    le32(foot + 20, XXH32(foot, 20, 0));
    blob_add(&file, foot, 24);
    spit(path, file.p, file.len);
    free(file.p);
    free(hb.p);
    free(ev.p);
    free(ib.p);
}

START_TEST(test_newer_schema_with_unknown_fields_reads)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    write_future_trace(path, TRACE_FORMAT_VERSION);
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    const TraceHeader *h = trace_reader_header(r);
    ck_assert_uint_eq(h->schema_version, 7);
    ck_assert_str_eq(h->rewind_version, "7.0");
    ck_assert_uint_eq(h->nharts, 4);
    ck_assert_uint_eq(h->argc, 2);
    TraceSummary s;
    trace_reader_summary(r, &s);
    ck_assert_msg(s.complete, "%s", s.note);
    TraceEvent e;
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_int_eq(trace_reader_next(r, &e), 1);
        ck_assert_uint_eq(e.icount, 1000 + i);
        ck_assert_uint_eq(e.len, 3);
        ck_assert(memcmp(e.payload, "hi\n", 3) == 0);
    }
    ck_assert_int_eq(trace_reader_next(r, &e), 0);
    trace_reader_close(r);

    write_future_trace(path, 9);
    expect_open_error(path, "trace format version 9 is newer than this rewind (1)");
    unlink(path);
}
END_TEST

/* Frames whose checksums are right but whose contents are wrong (a buggy
 * writer rather than a damaged disk): each gives its own message. */
static void expect_frame_error(const void *events, size_t len, uint32_t count,
                               uint64_t first, uint64_t last, const char *want)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    Rewind__Trace__Header h = REWIND__TRACE__HEADER__INIT;
    uint8_t hb[64];
    size_t hlen = rewind__trace__header__pack(&h, hb);
    Blob file = { 0 };
    uint8_t pre[20] = { 'R', 'W', 'N', 'D', 'T', 'R', 'C', 0 };
    le32(pre + 8, 1);
    le32(pre + 12, (uint32_t)hlen);
    le32(pre + 16, XXH32(hb, hlen, 0));
    blob_add(&file, pre, 20);
    blob_add(&file, hb, hlen);
    blob_frame(&file, "RWFR", events, len, count, first, last);
    spit(path, file.p, file.len);
    free(file.p);
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    TraceEvent e;
    int rc;
    while ((rc = trace_reader_next(r, &e)) > 0)
        ;
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(trace_reader_error(r), want), "wanted '%s' in '%s'", want,
                  trace_reader_error(r));
    ck_assert_ptr_nonnull(strstr(trace_reader_error(r), "frame 1 at offset"));
    trace_reader_close(r);
    unlink(path);
}

START_TEST(test_bad_frame_contents)
{
    static const uint8_t bad_pb[] = { 3, 0xff, 0xff, 0xff };
    expect_frame_error(bad_pb, sizeof(bad_pb), 1, 5, 5, "event 1 cannot be decoded (protobuf)");
    static const uint8_t too_long[] = { 0x50, 0x08, 0x05 };
    expect_frame_error(too_long, sizeof(too_long), 1, 5, 5, "an event length goes beyond");
    /* An event: length 4, icount 5 (08 05), kind 1 (20 01). */
    static const uint8_t one[] = { 4, 0x08, 0x05, 0x20, 0x01 };
    expect_frame_error(one, sizeof(one), 2, 5, 5, "fewer events than its header says");
    expect_frame_error(one, sizeof(one), 1, 6, 6, "event 1 at icount 5 is out of order");
    expect_frame_error(one, sizeof(one), 1, 4, 5, "event 1 at icount 5 is out of order");
    static const uint8_t two[] = { 4, 0x08, 0x07, 0x20, 0x01, 4, 0x08, 0x05, 0x20, 0x01 };
    expect_frame_error(two, sizeof(two), 2, 7, 7, "event 2 at icount 5 is out of order");
    expect_frame_error(two, sizeof(two), 1, 7, 7, "more events than its header says");
}
END_TEST

/* ------------------------------------------------------------ seek */

static void expect_seek(TraceReader *r, uint64_t target, unsigned n)
{
    ck_assert_msg(trace_reader_seek(r, target), "%s", trace_reader_error(r));
    /* The first generated event at or after target. */
    unsigned want = 0;
    GenEvent g;
    while (want < n) {
        gen_event(want, &g);
        if (g.ev.icount >= target)
            break;
        want++;
    }
    TraceEvent e;
    int rc = trace_reader_next(r, &e);
    if (want == n) {
        ck_assert_int_eq(rc, 0);
        return;
    }
    ck_assert_int_eq(rc, 1);
    check_event(&e, want);
    /* And it goes on in order from there. */
    if (want + 1 < n) {
        ck_assert_int_eq(trace_reader_next(r, &e), 1);
        check_event(&e, want + 1);
    }
}

static void seek_all(const char *path, unsigned n, bool complete)
{
    char err[512];
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    TraceSummary s;
    trace_reader_summary(r, &s);
    ck_assert(s.complete == complete);
    GenEvent last;
    gen_event(n - 1, &last);
    uint64_t targets[] = { 0, 5, 6, 1009 * 7 + 5, 1009 * 7 + 6, last.ev.icount / 2,
                           last.ev.icount / 3 + 1, last.ev.icount, last.ev.icount + 1,
                           UINT64_MAX, 5 };
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        expect_seek(r, targets[i], n);
    for (uint64_t t = 0; t < last.ev.icount; t += last.ev.icount / 37)
        expect_seek(r, t, n);
    trace_reader_close(r);
}

START_TEST(test_seek_by_icount)
{
    char path[256];
    tmp_path(path, sizeof(path));
    enum { N = 2000 };
    write_trace(path, N, 150, true); /* 14 frames */
    seek_all(path, N, true);
    write_trace(path, N, 150, false); /* no index: the frame headers */
    seek_all(path, N, false);
    unlink(path);
}
END_TEST

/* ------------------------------------------------------------ crashes */

/* A recording killed with SIGKILL: the frames flushed before are readable,
 * and so are events that only waited for the ~2 s age limit. */
START_TEST(test_sigkill_leaves_readable_prefix)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        TraceHeader h = test_header();
        TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
        if (!w)
            _exit(1);
        GenEvent g;
        unsigned i = 0;
        for (; i < 40; i++) {
            gen_event(i, &g);
            trace_writer_append(w, &g.ev);
        }
        trace_writer_flush(w);
        for (; i < 45; i++) { /* a frame only because it gets old */
            gen_event(i, &g);
            trace_writer_append(w, &g.ev);
        }
        struct timespec ts = { 1, 0 }; /* 4 times the frame age (250 ms) */
        nanosleep(&ts, NULL);
        for (; i < 50; i++) { /* lost with the process */
            gen_event(i, &g);
            trace_writer_append(w, &g.ev);
        }
        raise(SIGKILL);
        _exit(2);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    TraceSummary s;
    trace_reader_summary(r, &s);
    ck_assert(!s.complete);
    GenEvent g;
    gen_event(44, &g);
    char want[128];
    snprintf(want, sizeof(want), "the trace ends after frame 2 at icount %llu: the recording "
             "was interrupted", (unsigned long long)g.ev.icount);
    ck_assert_msg(strstr(s.note, want), "%s", s.note);
    int rc;
    ck_assert_uint_eq(read_all(r, &rc), 45);
    ck_assert_int_eq(rc, 0);
    trace_reader_close(r);
    unlink(path);
}
END_TEST

/* A trace being written: its recorder holds the file's lock, so a reader
 * names it ("still being recorded by pid N"), a second writer is refused,
 * and events are on disk within the frame age (250 ms) though no more
 * come. Once the recorder is killed, the same file reads as interrupted. */
START_TEST(test_live_trace_names_its_recorder)
{
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    int ready[2], hold[2];
    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(pipe(hold), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(ready[0]);
        close(hold[1]);
        TraceHeader h = test_header();
        TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
        if (!w)
            _exit(1);
        GenEvent g;
        for (unsigned i = 0; i < 5; i++) {
            gen_event(i, &g);
            trace_writer_append(w, &g.ev);
        }
        struct timespec ts = { 0, 700000000 }; /* the frame gets old meanwhile */
        nanosleep(&ts, NULL);
        char c = 'r';
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(hold[0], &c, 1) < 0) /* until the parent kills us */
            ;
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    TraceSummary s;
    trace_reader_summary(r, &s);
    ck_assert(!s.complete);
    ck_assert_int_eq(s.recorder_pid, pid);
    char want[64];
    snprintf(want, sizeof(want), "still being recorded by pid %ld", (long)pid);
    ck_assert_msg(strstr(s.note, want) && !strstr(s.note, "interrupted"), "%s", s.note);
    int rc;
    ck_assert_uint_eq(read_all(r, &rc), 5);
    trace_reader_close(r);
    ck_assert_int_eq(trace_file_recorder(path), pid);
    ck_assert(trace_file_is_trace(path));
    TraceHeader h = test_header();
    ck_assert_ptr_null(trace_writer_open(path, &h, err, sizeof(err)));
    ck_assert_msg(strstr(err, want + strlen("still ")), "%s", err);

    kill(pid, SIGKILL);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    close(ready[0]);
    close(hold[1]);
    r = trace_reader_open(path, err, sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    trace_reader_summary(r, &s);
    ck_assert_int_eq(s.recorder_pid, 0);
    ck_assert_msg(strstr(s.note, "the recording was interrupted"), "%s", s.note);
    ck_assert_uint_eq(read_all(r, &rc), 5);
    trace_reader_close(r);
    ck_assert_int_eq(trace_file_recorder(path), 0);
    unlink(path);
}
END_TEST

/* ------------------------------------------------------------ fixture */

/* tests/replay/fixtures/v1.rwd: written by format version 1, schema 1:
 * events 0..39 of gen_event in frames of 15, then the machine's own kinds.
 * Every later rewind must read it with this content. */
enum { FIXTURE_V1_EVENTS = 40, FIXTURE_V1_PER_FRAME = 15 };

static const TraceEvent fixture_v1_tail[] = {
    { .icount = 20000, .hart = 1, .pc = 0x80001000, .kind = TRACE_RESET },
    { .icount = 20000, .kind = TRACE_FAIL, .payload = (const uint8_t *)"fail: \x01", .len = 7 },
    { .icount = 20001, .hart = 1, .pc = 0x80001004, .kind = TRACE_EXIT, .exit_code = 3 },
    { .icount = 20001, .kind = TRACE_END },
};

static void fixture_v1_write(const char *path)
{
    char err[512];
    TraceHeader h = test_header();
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    for (unsigned i = 0; i < FIXTURE_V1_EVENTS; i++) {
        GenEvent g;
        gen_event(i, &g);
        ck_assert(trace_writer_append(w, &g.ev));
        if ((i + 1) % FIXTURE_V1_PER_FRAME == 0)
            ck_assert(trace_writer_flush(w));
    }
    for (size_t i = 0; i < sizeof(fixture_v1_tail) / sizeof(fixture_v1_tail[0]); i++)
        ck_assert(trace_writer_append(w, &fixture_v1_tail[i]));
    ck_assert_msg(trace_writer_close(w, err, sizeof(err)), "%s", err);
}

START_TEST(test_fixture_v1_reads)
{
    const char *out = getenv("REWIND_TRACE_FIXTURE_OUT");
    if (out && *out)
        fixture_v1_write(out);
    char err[512];
    TraceReader *r = trace_reader_open(REWIND_SRCDIR "/tests/replay/fixtures/v1.rwd", err,
                                       sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    const TraceHeader *h = trace_reader_header(r);
    ck_assert_uint_eq(h->schema_version, 1);
    check_header(h);
    TraceSummary s;
    trace_reader_summary(r, &s);
    ck_assert(s.complete);
    ck_assert_uint_eq(s.frames, 3);
    TraceEvent e;
    for (unsigned i = 0; i < FIXTURE_V1_EVENTS; i++) {
        ck_assert_int_eq(trace_reader_next(r, &e), 1);
        check_event(&e, i);
    }
    for (size_t i = 0; i < sizeof(fixture_v1_tail) / sizeof(fixture_v1_tail[0]); i++) {
        const TraceEvent *w = &fixture_v1_tail[i];
        ck_assert_int_eq(trace_reader_next(r, &e), 1);
        ck_assert_uint_eq(e.icount, w->icount);
        ck_assert_uint_eq(e.hart, w->hart);
        ck_assert_uint_eq(e.pc, w->pc);
        ck_assert_uint_eq(e.kind, w->kind);
        ck_assert_int_eq(e.exit_code, w->exit_code);
        ck_assert_uint_eq(e.len, w->len);
        if (w->len)
            ck_assert(memcmp(e.payload, w->payload, w->len) == 0);
    }
    ck_assert_int_eq(trace_reader_next(r, &e), 0);
    trace_reader_close(r);
}
END_TEST

/* tests/replay/fixtures/v2.rwd: format 1, schema 2: the header of v1 plus
 * a start checkpoint (its name and 3000 bytes standing for its content),
 * then events 0..9 of gen_event in one frame. */
enum { FIXTURE_V2_EVENTS = 10, FIXTURE_V2_STATE = 3000 };

static uint8_t fixture_v2_state_byte(size_t i)
{
    return (uint8_t)(i * 31 + (i >> 7));
}

static void fixture_v2_write(const char *path)
{
    static uint8_t state[FIXTURE_V2_STATE];
    for (size_t i = 0; i < sizeof(state); i++)
        state[i] = fixture_v2_state_byte(i);
    char err[512];
    TraceHeader h = test_header();
    h.start_checkpoint = "boot.ckpt";
    h.start_state = state;
    h.start_state_len = sizeof(state);
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    for (unsigned i = 0; i < FIXTURE_V2_EVENTS; i++) {
        GenEvent g;
        gen_event(i, &g);
        ck_assert(trace_writer_append(w, &g.ev));
    }
    ck_assert_msg(trace_writer_close(w, err, sizeof(err)), "%s", err);
}

START_TEST(test_fixture_v2_reads)
{
    const char *out = getenv("REWIND_TRACE_FIXTURE_V2_OUT");
    if (out && *out)
        fixture_v2_write(out);
    char err[512];
    TraceReader *r = trace_reader_open(REWIND_SRCDIR "/tests/replay/fixtures/v2.rwd", err,
                                       sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    const TraceHeader *h = trace_reader_header(r);
    ck_assert_uint_eq(h->schema_version, 2);
    ck_assert_str_eq(h->rewind_version, "9.9.9-test");
    ck_assert_uint_eq(h->nharts, 2);
    ck_assert_uint_eq(h->nimages, 3);
    ck_assert_str_eq(h->start_checkpoint, "boot.ckpt");
    ck_assert_uint_eq(h->start_state_len, FIXTURE_V2_STATE);
    for (size_t i = 0; i < FIXTURE_V2_STATE; i++)
        ck_assert_uint_eq(h->start_state[i], fixture_v2_state_byte(i));
    TraceEvent e;
    for (unsigned i = 0; i < FIXTURE_V2_EVENTS; i++) {
        ck_assert_int_eq(trace_reader_next(r, &e), 1);
        check_event(&e, i);
    }
    ck_assert_int_eq(trace_reader_next(r, &e), 0);
    trace_reader_close(r);
}
END_TEST

/* tests/replay/fixtures/v3.rwd: format 1, schema 3: v1's header, then
 * network frames: two received on NIC 0 (net-rx, kind 4), one sent on NIC
 * 0 and one on NIC 1 (net-tx, kind 69), around a digest, then the end. */
static const uint8_t fixture_v3_arp[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
    10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2,
};
static const uint8_t fixture_v3_reply[42] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02,
    10, 0, 2, 2, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 2, 15,
};
static const TraceEvent fixture_v3_events[] = {
    { .icount = 1000, .hart = 0, .pc = 0x80002000, .kind = TRACE_NET_TX, .source = 0,
      .payload = fixture_v3_arp, .len = sizeof(fixture_v3_arp) },
    { .icount = 1000, .hart = 0, .pc = 0x80002004, .kind = TRACE_DIGEST,
      .digest_harts = 0x1122334455667788ULL, .digest_memory = 0x99aabbccddeeff00ULL,
      .digest_pages = 3 },
    { .icount = 1000, .hart = 0, .pc = 0x80002004, .kind = TRACE_NET_RX, .source = 0,
      .payload = fixture_v3_reply, .len = sizeof(fixture_v3_reply) },
    { .icount = 1000, .hart = 0, .pc = 0x80002004, .kind = TRACE_NET_RX, .source = 0,
      .payload = fixture_v3_arp, .len = 14 },
    { .icount = 2500, .hart = 1, .pc = 0x80003000, .kind = TRACE_NET_TX, .source = 1,
      .payload = fixture_v3_reply, .len = sizeof(fixture_v3_reply) },
    { .icount = 3000, .hart = 1, .pc = 0x80003008, .kind = TRACE_EXIT, .exit_code = 0 },
    { .icount = 3000, .kind = TRACE_END },
};

static void fixture_v3_write(const char *path)
{
    char err[512];
    TraceHeader h = test_header();
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    for (size_t i = 0; i < sizeof(fixture_v3_events) / sizeof(fixture_v3_events[0]); i++)
        ck_assert(trace_writer_append(w, &fixture_v3_events[i]));
    ck_assert_msg(trace_writer_close(w, err, sizeof(err)), "%s", err);
}

START_TEST(test_fixture_v3_reads)
{
    const char *out = getenv("REWIND_TRACE_FIXTURE_V3_OUT");
    if (out && *out)
        fixture_v3_write(out);
    char err[512];
    TraceReader *r = trace_reader_open(REWIND_SRCDIR "/tests/replay/fixtures/v3.rwd", err,
                                       sizeof(err));
    ck_assert_msg(r != NULL, "%s", err);
    const TraceHeader *h = trace_reader_header(r);
    ck_assert_uint_eq(h->schema_version, 3);
    check_header(h);
    TraceEvent e;
    for (size_t i = 0; i < sizeof(fixture_v3_events) / sizeof(fixture_v3_events[0]); i++) {
        const TraceEvent *w = &fixture_v3_events[i];
        ck_assert_int_eq(trace_reader_next(r, &e), 1);
        ck_assert_uint_eq(e.icount, w->icount);
        ck_assert_uint_eq(e.hart, w->hart);
        ck_assert_uint_eq(e.pc, w->pc);
        ck_assert_uint_eq(e.kind, w->kind);
        ck_assert_uint_eq(e.source, w->source);
        ck_assert_uint_eq(e.digest_harts, w->digest_harts);
        ck_assert_uint_eq(e.len, w->len);
        if (w->len)
            ck_assert(memcmp(e.payload, w->payload, w->len) == 0);
    }
    ck_assert_int_eq(trace_reader_next(r, &e), 0);
    trace_reader_close(r);
    ck_assert_str_eq(trace_kind_name(4), "net-rx");
    ck_assert_str_eq(trace_kind_name(69), "net-tx");
}
END_TEST

/* ------------------------------------------------------------ rewind dump */

/* Run cmd_dump with stdout and stderr going to a file; returns the exit
 * code and the output (malloc'd). */
static int run_dump(char **out, const char *a0, const char *a1, const char *a2)
{
    char path[256];
    tmp_path(path, sizeof(path));
    fflush(stdout);
    fflush(stderr);
    int s1 = dup(1), s2 = dup(2);
    int fd = open(path, O_WRONLY | O_TRUNC);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    char *argv[4] = { (char *)a0, (char *)a1, (char *)a2, NULL };
    int argc = a2 ? 3 : a1 ? 2 : a0 ? 1 : 0;
    int rc = cmd_dump(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(s1, 1);
    dup2(s2, 2);
    close(s1);
    close(s2);
    size_t len;
    uint8_t *buf = slurp(path, &len);
    buf[len] = 0;
    *out = (char *)buf;
    unlink(path);
    return rc;
}

START_TEST(test_dump_command)
{
    char path[256], *out;
    tmp_path(path, sizeof(path));
    write_trace(path, SMALL_EVENTS, SMALL_PER_FRAME, true);

    ck_assert_int_eq(run_dump(&out, path, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "command line: rewind record -o t.rwd"));
    ck_assert_ptr_nonnull(strstr(out, "image bios: fw_jump.bin (123456 bytes, xxh128 "
                                      "fedcba98765432100123456789abcdef)"));
    ck_assert_ptr_nonnull(strstr(out, "machine: 256 MiB RAM, 2 harts, 8 ns per instruction"));
    ck_assert_ptr_nonnull(strstr(out, " digest "));
    ck_assert_ptr_nonnull(strstr(out, " console "));
    ck_assert_ptr_nonnull(strstr(out, "\\n\""));
    ck_assert_ptr_nonnull(strstr(out, " rtc "));
    ck_assert_ptr_nonnull(strstr(out, " kind99 "));
    ck_assert_ptr_nonnull(strstr(out, "60 events in 6 frames, complete"));
    free(out);

    ck_assert_int_eq(run_dump(&out, path, "--json", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "{\"type\":\"header\""));
    ck_assert_ptr_nonnull(strstr(out, "\"kind\":\"console\""));
    ck_assert_ptr_nonnull(strstr(out, "\"digest_harts\":\""));
    ck_assert_ptr_nonnull(strstr(out, "\"xxh128\":\"fedcba98765432100123456789abcdef\""));
    unsigned lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    ck_assert_uint_eq(lines, 1 + SMALL_EVENTS + 1);
    free(out);

    ck_assert_int_eq(run_dump(&out, "--stats", path, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "frames:        6"));
    ck_assert_ptr_nonnull(strstr(out, "complete:      yes"));
    ck_assert_ptr_nonnull(strstr(out, "ratio"));
    free(out);

    /* Cut short: what is readable, a warning, exit 3. */
    size_t len;
    uint8_t *data = slurp(path, &len);
    spit(path, data, len - 30);
    ck_assert_int_eq(run_dump(&out, path, NULL, NULL), 3);
    ck_assert_ptr_nonnull(strstr(out, "60 events in 6 frames, cut short"));
    ck_assert_ptr_nonnull(strstr(out, "the recording was interrupted"));
    free(out);
    /* Damaged: exit 4 with the frame named (the byte before the index,
     * whose offset the footer gives). */
    size_t index_off = 0;
    for (int k = 7; k >= 0; k--)
        index_off = index_off << 8 | data[len - 16 + k];
    data[index_off - 1] ^= 1;
    spit(path, data, len);
    ck_assert_int_eq(run_dump(&out, path, "--stats", NULL), 4);
    ck_assert_ptr_nonnull(strstr(out, "frame 6 at offset"));
    free(out);
    free(data);
    /* Not a trace; bad options. */
    spit(path, "hello", 5);
    ck_assert_int_eq(run_dump(&out, path, NULL, NULL), EXIT_REWIND_ERROR);
    ck_assert_ptr_nonnull(strstr(out, "not a rewind trace"));
    free(out);
    ck_assert_int_eq(run_dump(&out, path, "--bogus", NULL), EXIT_REWIND_ERROR);
    ck_assert_ptr_nonnull(strstr(out, "unknown option '--bogus'"));
    free(out);
    ck_assert_int_eq(run_dump(&out, NULL, NULL, NULL), EXIT_REWIND_ERROR);
    ck_assert_ptr_nonnull(strstr(out, "usage: rewind dump"));
    free(out);
    unlink(path);
}
END_TEST

/* ------------------------------------------------------------ speed */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Not a pass/fail test: with REWIND_TRACE_BENCH=MB, write that many MB of
 * a recording-like stream (mostly digests, some console and entropy input)
 * and print the speeds and the compression ratio. */
START_TEST(test_write_speed)
{
    const char *mb = getenv("REWIND_TRACE_BENCH");
    if (!mb || !*mb)
        return;
    char path[256], err[512];
    tmp_path(path, sizeof(path));
    TraceHeader h = test_header();
    TraceWriter *w = trace_writer_open(path, &h, err, sizeof(err));
    ck_assert_ptr_nonnull(w);
    uint64_t target = (uint64_t)atoi(mb) << 20;
    uint8_t payload[64];
    TraceWriterStats st = { 0 };
    double t0 = now_s();
    uint64_t icount = 0, pc = 0x80200000;
    for (unsigned i = 0; st.bytes_uncompressed < target; i++) {
        icount += 1000000; /* a digest per million instructions */
        uint64_t r = mix64(i);
        pc = 0xffffffff80000000ULL + (r & 0xfffff) * 2;
        TraceEvent e = { .icount = icount, .hart = (uint32_t)(i % 4), .pc = pc,
                         .kind = TRACE_DIGEST, .digest_harts = mix64(r),
                         .digest_memory = mix64(r ^ 1), .digest_pages = r % 40 };
        if (i % 50 == 7) { /* typed input */
            e = (TraceEvent){ .icount = icount, .pc = pc, .kind = TRACE_CONSOLE_INPUT,
                              .payload = (const uint8_t *)"ls -l\n", .len = 6 };
        } else if (i % 50 == 9) { /* entropy */
            for (int k = 0; k < 64; k++)
                payload[k] = (uint8_t)mix64(r + (uint64_t)k);
            e = (TraceEvent){ .icount = icount, .pc = pc, .kind = TRACE_ENTROPY,
                              .payload = payload, .len = 64 };
        }
        ck_assert(trace_writer_append(w, &e));
        if (i % 4096 == 0)
            trace_writer_stats(w, &st);
    }
    double t1 = now_s();
    trace_writer_stats(w, &st);
    ck_assert(trace_writer_close(w, err, sizeof(err)));
    double t2 = now_s();
    struct stat sb;
    stat(path, &sb);
    double mbytes = (double)st.bytes_uncompressed / 1e6;
    fprintf(stderr, "trace bench: %" PRIu64 " events, %.1f MB of events; appends %.1f MB/s "
            "(%.0f ns/event); to the closed file %.1f MB/s; file %.2f MB, ratio %.2f\n",
            st.events, mbytes, mbytes / (t1 - t0), (t1 - t0) * 1e9 / (double)st.events,
            mbytes / (t2 - t0), (double)sb.st_size / 1e6,
            (double)st.bytes_uncompressed / (double)sb.st_size);
    unlink(path);
}
END_TEST

Suite *suite_trace(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_round_trip_many_frames);
    tcase_add_test(tc, test_empty_trace);
    tcase_add_test(tc, test_writer_refuses_backwards_icount);
    tcase_add_test(tc, test_writer_stats);
    tcase_add_test(tc, test_empty_and_foreign_files);
    tcase_add_test(tc, test_truncated_at_every_length);
    tcase_add_test(tc, test_bit_flip_at_every_byte);
    tcase_add_test(tc, test_damaged_middle_frame);
    tcase_add_test(tc, test_newer_schema_with_unknown_fields_reads);
    tcase_add_test(tc, test_bad_frame_contents);
    tcase_add_test(tc, test_seek_by_icount);
    tcase_add_test(tc, test_sigkill_leaves_readable_prefix);
    tcase_add_test(tc, test_live_trace_names_its_recorder);
    tcase_add_test(tc, test_fixture_v1_reads);
    tcase_add_test(tc, test_fixture_v2_reads);
    tcase_add_test(tc, test_fixture_v3_reads);
    tcase_add_test(tc, test_dump_command);
    tcase_add_test(tc, test_write_speed);
    suite_add_tcase(s, tc);
    return s;
}
