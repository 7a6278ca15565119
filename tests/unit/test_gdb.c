/* The debugger: GDB packet framing (including a fuzz of the receiver) and
 * the engine side of core/debug.h: breakpoints, steps, watchpoints and
 * exact stops, and that a debugged run retires the same instructions in
 * the same order as one without a debugger. The TCP stub itself is tested
 * with gdb-multiarch and raw sockets in tests/gdb. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/debug.h"
#include "core/gdb_packet.h"
#include "core/gdbstub.h"
#include "core/memory.h"
#include "devices/syscon.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "tools/options.h"

/* ------------------------------------------------------------ packets */

/* Feed a string; return the last event that was not NONE. */
static GdbPacketEvent feed_str(GdbPacketParser *p, const char *s, size_t n)
{
    GdbPacketEvent last = GDB_EV_NONE;
    for (size_t i = 0; i < n; i++) {
        GdbPacketEvent e = gdb_packet_feed(p, (uint8_t)s[i]);
        if (e != GDB_EV_NONE)
            last = e;
    }
    return last;
}

START_TEST(test_packet_frames)
{
    GdbPacketParser *p = malloc(sizeof(*p));
    gdb_packet_init(p);
    /* "qSupported" sums to 0x37. */
    ck_assert_int_eq(feed_str(p, "$qSupported#37", 14), GDB_EV_PACKET);
    ck_assert_str_eq(p->buf, "qSupported");
    ck_assert_uint_eq(p->len, 10);
    ck_assert_int_eq(feed_str(p, "$g#67", 5), GDB_EV_PACKET);
    ck_assert_str_eq(p->buf, "g");
    /* Upper-case checksum digits are accepted too. */
    ck_assert_int_eq(feed_str(p, "$qSupported#37", 14), GDB_EV_PACKET);
    ck_assert_int_eq(feed_str(p, "$vCont?#49", 10), GDB_EV_PACKET);
    ck_assert_int_eq(feed_str(p, "$M0,1:ff#BD", 11), GDB_EV_BAD_CHECKSUM);
    ck_assert_int_eq(feed_str(p, "$g#68", 5), GDB_EV_BAD_CHECKSUM);
    ck_assert_int_eq(feed_str(p, "$g#6x", 5), GDB_EV_BAD_CHECKSUM);
    ck_assert_int_eq(feed_str(p, "$g#z7", 5), GDB_EV_BAD_CHECKSUM);
    /* Acks, interrupt and noise between packets. */
    ck_assert_int_eq(gdb_packet_feed(p, '+'), GDB_EV_ACK);
    ck_assert_int_eq(gdb_packet_feed(p, '-'), GDB_EV_NAK);
    ck_assert_int_eq(gdb_packet_feed(p, 0x03), GDB_EV_INTERRUPT);
    ck_assert_int_eq(feed_str(p, "hello\r\n", 7), GDB_EV_NONE);
    /* 0x03 inside a packet is data. */
    ck_assert_int_eq(feed_str(p, "$\x03#03", 5), GDB_EV_PACKET);
    ck_assert_uint_eq(p->len, 1);
    /* A '$' restarts: the sender gave up on the first packet. */
    ck_assert_int_eq(feed_str(p, "$abc$g#67", 9), GDB_EV_PACKET);
    ck_assert_str_eq(p->buf, "g");
    ck_assert_int_eq(feed_str(p, "$abc#1$g#67", 11), GDB_EV_PACKET);
    ck_assert_str_eq(p->buf, "g");
    /* The empty packet. */
    ck_assert_int_eq(feed_str(p, "$#00", 4), GDB_EV_PACKET);
    ck_assert_uint_eq(p->len, 0);
    free(p);
}
END_TEST

START_TEST(test_packet_too_long)
{
    GdbPacketParser *p = malloc(sizeof(*p));
    gdb_packet_init(p);
    size_t n = GDB_PACKET_MAX + 100;
    char *big = malloc(n);
    memset(big, 'a', n);
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + 'a');
    char tail[4];
    snprintf(tail, sizeof(tail), "#%02x", sum);
    ck_assert_int_eq(gdb_packet_feed(p, '$'), GDB_EV_NONE);
    ck_assert_int_eq(feed_str(p, big, n), GDB_EV_NONE);
    ck_assert_int_eq(feed_str(p, tail, 3), GDB_EV_TOO_LONG);
    ck_assert_uint_le(p->len, GDB_PACKET_MAX);
    /* The stream stays in step: the next packet is fine. */
    ck_assert_int_eq(feed_str(p, "$g#67", 5), GDB_EV_PACKET);
    /* Exactly the maximum fits. */
    char *frame = malloc(2 * GDB_PACKET_MAX + 8);
    size_t fl = gdb_packet_encode(frame, 2 * GDB_PACKET_MAX + 8, big, GDB_PACKET_MAX, false);
    ck_assert_uint_gt(fl, 0);
    ck_assert_int_eq(feed_str(p, frame, fl), GDB_EV_PACKET);
    ck_assert_uint_eq(p->len, GDB_PACKET_MAX);
    free(frame);
    free(big);
    free(p);
}
END_TEST

/* Frame, receive, then undo RLE and escapes as GDB does: the payload must
 * come back unchanged. */
static void roundtrip(const uint8_t *data, size_t len, bool rle)
{
    size_t cap = 2 * len + 8;
    char *frame = malloc(cap);
    size_t fl = gdb_packet_encode(frame, cap, data, len, rle);
    ck_assert_uint_gt(fl, 0);
    /* Only the delimiters may be raw '$' and '#'. */
    ck_assert_int_eq(frame[0], '$');
    ck_assert_int_eq(frame[fl - 3], '#');
    for (size_t i = 1; i < fl - 3; i++) {
        ck_assert(frame[i] != '$' && frame[i] != '#');
        if (frame[i] == '*') {
            char c = frame[++i];
            ck_assert(c != '#' && c != '$' && c != '+' && c != '-');
            ck_assert(c >= 29 + 3 && c <= 126);
        }
    }
    GdbPacketParser *p = malloc(sizeof(*p));
    gdb_packet_init(p);
    ck_assert_int_eq(feed_str(p, frame, fl), GDB_EV_PACKET);
    char *exp = malloc(2 * len + 1);
    size_t en;
    ck_assert(gdb_packet_rle_decode(p->buf, p->len, exp, 2 * len + 1, &en));
    en = gdb_packet_unescape((uint8_t *)exp, en);
    ck_assert_uint_eq(en, len);
    ck_assert(memcmp(exp, data, len) == 0);
    free(exp);
    free(p);
    free(frame);
}

START_TEST(test_packet_encode_roundtrip)
{
    roundtrip((const uint8_t *)"OK", 2, true);
    roundtrip((const uint8_t *)"$#}*", 4, true);
    roundtrip((const uint8_t *)"", 0, true);
    uint8_t zeros[300] = { 0 };
    memset(zeros, '0', sizeof(zeros));
    roundtrip(zeros, sizeof(zeros), true);
    char small[64];
    size_t n = gdb_packet_encode(small, sizeof(small), zeros, 200, true);
    ck_assert_uint_gt(n, 0); /* 200 '0's compress to a few runs */
    ck_assert_uint_lt(n, 20);
    ck_assert_uint_eq(gdb_packet_encode(small, sizeof(small), zeros, 200, false), 0);
    /* Every run length, and runs of characters that need escapes. */
    uint8_t buf[256];
    for (size_t run = 1; run < 120; run++) {
        memset(buf, 'x', run);
        buf[run] = '*';
        buf[run + 1] = '*';
        roundtrip(buf, run + 2, true);
    }
    unsigned seed = 12345;
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = (size_t)(rand_r(&seed) % 256);
        for (size_t i = 0; i < len;) {
            uint8_t c = (uint8_t)rand_r(&seed);
            size_t r = 1 + (size_t)(rand_r(&seed) % 12);
            for (size_t k = 0; k < r && i < len; k++)
                buf[i++] = c;
        }
        roundtrip(buf, len, iter & 1);
    }
}
END_TEST

START_TEST(test_packet_helpers)
{
    const char *s = "1f,ffffffffffffffff:";
    uint64_t v;
    ck_assert(gdb_parse_hex(&s, &v));
    ck_assert_uint_eq(v, 0x1f);
    ck_assert_int_eq(*s, ',');
    s++;
    ck_assert(gdb_parse_hex(&s, &v));
    ck_assert_uint_eq(v, UINT64_MAX);
    s = "1ffffffffffffffff"; /* 17 digits: overflow */
    ck_assert(!gdb_parse_hex(&s, &v));
    s = ",";
    ck_assert(!gdb_parse_hex(&s, &v));
    uint8_t b[4];
    ck_assert(gdb_hex_decode("0aFf10", b, 3));
    ck_assert_uint_eq(b[0], 0x0a);
    ck_assert_uint_eq(b[1], 0xff);
    ck_assert(!gdb_hex_decode("0g", b, 1));
    ck_assert(!gdb_hex_decode("0", b, 1)); /* stops at the NUL */
    char out[9];
    gdb_hex_encode(out, "\x01\xab\x00\x7f", 4);
    ck_assert_str_eq(out, "01ab007f");
    uint8_t esc[] = { 'a', 0x7d, 0x03, 0x7d, 0x0a, 0x7d };
    ck_assert_uint_eq(gdb_packet_unescape(esc, sizeof(esc)), 3);
    ck_assert_uint_eq(esc[1], '#');
    ck_assert_uint_eq(esc[2], '*');
    char rle[8];
    size_t n;
    ck_assert(!gdb_packet_rle_decode("*!", 2, rle, sizeof(rle), &n));
    ck_assert(!gdb_packet_rle_decode("a*", 2, rle, sizeof(rle), &n));
    ck_assert(!gdb_packet_rle_decode("a*~", 3, rle, sizeof(rle), &n)); /* too long */
    ck_assert(gdb_packet_rle_decode("0* ", 3, rle, sizeof(rle), &n));
    ck_assert_uint_eq(n, 4);
}
END_TEST

/* Random bytes must never crash the receiver or break its invariants, and
 * a valid packet after any garbage must come through intact. Single bit
 * flips of valid frames must never produce a different payload. */
START_TEST(test_packet_fuzz)
{
    GdbPacketParser *p = malloc(sizeof(*p));
    gdb_packet_init(p);
    unsigned seed = 4242;
    static const char alphabet[] = "$#+-*}0123456789abcdefgqmM\x03";
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(rand_r(&seed) % 600);
        bool biased = round & 1;
        for (size_t i = 0; i < n; i++) {
            uint8_t c = biased ? (uint8_t)alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)]
                               : (uint8_t)rand_r(&seed);
            GdbPacketEvent e = gdb_packet_feed(p, c);
            ck_assert_uint_le(p->len, GDB_PACKET_MAX);
            if (e == GDB_EV_PACKET)
                ck_assert_int_eq(p->buf[p->len], '\0');
        }
        ck_assert_int_eq(feed_str(p, "$m80000000,4#55", 15), GDB_EV_PACKET);
        ck_assert_str_eq(p->buf, "m80000000,4");
    }
    /* Bit flips. */
    static const char *const payloads[] = {
        "qSupported:multiprocess+;swbreak+", "m80000000,40", "vCont;s:1;c",
        "Z0,80000a3e,2", "X80000000,4:\x7d\x03\x7d\x04" "ab", "g",
    };
    char frame[128];
    for (size_t k = 0; k < sizeof(payloads) / sizeof(payloads[0]); k++) {
        size_t fl = gdb_packet_encode(frame, sizeof(frame), payloads[k],
                                      strlen(payloads[k]), false);
        ck_assert_uint_gt(fl, 0);
        for (size_t i = 0; i < fl; i++)
            for (int bit = 0; bit < 8; bit++) {
                char f[128];
                memcpy(f, frame, fl);
                f[i] ^= (char)(1 << bit);
                gdb_packet_init(p);
                GdbPacketEvent e = feed_str(p, f, fl);
                /* Only a checksum digit changing case may pass. */
                if (e == GDB_EV_PACKET)
                    ck_assert_msg(p->len == fl - 4 && memcmp(p->buf, frame + 1, p->len) == 0,
                                  "flip of byte %zu bit %d of '%s' accepted", i, bit,
                                  payloads[k]);
            }
    }
    free(p);
}
END_TEST

/* ------------------------------------------------------------ options */

START_TEST(test_gdb_options)
{
    char host[64], err[256];
    unsigned port;
    ck_assert(gdbstub_parse_spec("tcp::1234", host, sizeof(host), &port, err, sizeof(err)));
    ck_assert_str_eq(host, "127.0.0.1"); /* loopback unless a host is named */
    ck_assert_uint_eq(port, 1234);
    ck_assert(gdbstub_parse_spec("tcp:0.0.0.0:0", host, sizeof(host), &port, err, sizeof(err)));
    ck_assert_str_eq(host, "0.0.0.0");
    ck_assert_uint_eq(port, 0);
    ck_assert(gdbstub_parse_spec("tcp:[::1]:7", host, sizeof(host), &port, err, sizeof(err)));
    ck_assert_str_eq(host, "::1");
    static const char *const bad[] = {
        "tcp:localhost", "udp::1", "tcp::", "tcp::-1", "tcp::65536", "tcp::12a", "1234",
        "tcp:[::1]7", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!gdbstub_parse_spec(bad[i], host, sizeof(host), &port, err, sizeof(err)),
                      "%s accepted", bad[i]);

    RunOptions o;
    char *a1[] = { "-s", "-m", "64M" };
    ck_assert(options_parse_run(&o, 3, a1, err, sizeof(err)));
    ck_assert_str_eq(o.gdb, GDBSTUB_DEFAULT_SPEC);
    ck_assert(!o.gdb_wait);
    char *a2[] = { "-S", "--gdb", "tcp::0" };
    ck_assert(options_parse_run(&o, 3, a2, err, sizeof(err)));
    ck_assert_str_eq(o.gdb, "tcp::0");
    ck_assert(o.gdb_wait);
    char *a3[] = { "-gdb", "nonsense" };
    ck_assert(!options_parse_run(&o, 2, a3, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "-gdb"));
    char *a4[] = { "-gdb" };
    ck_assert(!options_parse_run(&o, 1, a4, err, sizeof(err)));
    memset(&o, 0, sizeof(o));
    char *a5[] = { "x", "-gdb", "tcp::9", "-S", "-m" };
    ck_assert_int_eq(options_parse_gdb(&o, 5, a5, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(options_parse_gdb(&o, 5, a5, 1, err, sizeof(err)), 2);
    ck_assert_int_eq(options_parse_gdb(&o, 5, a5, 3, err, sizeof(err)), 1);
    ck_assert_int_eq(options_parse_gdb(&o, 5, a5, 4, err, sizeof(err)), 0);
    ck_assert_int_eq(options_parse_gdb(&o, 2, a5, 1, err, sizeof(err)), -1);
    ck_assert_str_eq(o.gdb, "tcp::9");
    ck_assert(o.gdb_wait);
}
END_TEST

/* ------------------------------------------------------------ the engine */

enum { A0 = 10, A1, A2, A3, A4, A5, A6, A7, T0 = 5, T1, T2 };
#define JSELF 0x0000006fu /* jal zero,0 */
#define WFI 0x10500073u

#define CODE MEM_RAM_BASE /* where test_machine_with_finisher starts the harts */
#define POWEROFF TEST_POWEROFF
#define DATA 0x80100000ULL

/* A recording front end: remembers each stop and decides how to resume. */
typedef struct Rec {
    Machine *m;
    unsigned nstops;
    DebugStop stops[4096];
    uint64_t pc[4096], icount[4096], total[4096], a0[4096];
    /* Resume policy: step this mask while steps_left > 0. */
    uint32_t step_mask;
    unsigned steps_left;
    /* Called at each stop if set (may change the policy). */
    void (*hook)(struct Rec *r, const DebugStop *why);
} Rec;

static void rec_stopped(void *opaque, const DebugStop *why)
{
    Rec *r = opaque;
    unsigned i = r->nstops < 4096 ? r->nstops : 4095;
    int hart = why->hart >= 0 ? why->hart : 0;
    r->stops[i] = *why;
    r->pc[i] = r->m->harts[hart].pc;
    r->icount[i] = r->m->harts[hart].icount;
    r->total[i] = machine_icount(r->m);
    r->a0[i] = r->m->harts[hart].x[A0];
    r->nstops++;
    if (r->hook)
        r->hook(r, why);
    uint32_t step = 0;
    if (r->steps_left) {
        r->steps_left--;
        step = r->step_mask;
    }
    debug_resume(r->m, step);
}

static Rec *rec_attach(Machine *m)
{
    Rec *r = calloc(1, sizeof(*r));
    r->m = m;
    DebugFrontEnd fe = { .opaque = r, .stopped = rec_stopped };
    ck_assert(debug_attach(m, &fe));
    return r;
}

START_TEST(test_breakpoint_stops_before_the_instruction)
{
    Machine *m = test_machine_with_finisher(1, 10000);
    uint32_t code[21];
    for (int i = 0; i < 20; i++)
        code[i] = ADDI(A0, A0, 1);
    code[20] = enc_jump(CODE + 80, POWEROFF);
    test_put_code(m, CODE, code, 21);
    Rec *r = rec_attach(m);
    ck_assert(debug_bp_insert(m, CODE + 5 * 4, DEBUG_BP_SW));
    ck_assert(debug_bp_insert(m, CODE + 12 * 4, DEBUG_BP_HW));
    ck_assert(debug_bp_at(m, CODE + 20));
    ck_assert(!debug_bp_at(m, CODE + 24));
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(r->nstops, 2);
    ck_assert_int_eq(r->stops[0].kind, DEBUG_STOP_BREAK);
    ck_assert_int_eq(r->stops[0].bp_kind, DEBUG_BP_SW);
    ck_assert_uint_eq(r->stops[0].addr, CODE + 20);
    ck_assert_uint_eq(r->pc[0], CODE + 20);
    ck_assert_uint_eq(r->icount[0], 5); /* the 6th addi has not retired */
    ck_assert_uint_eq(r->a0[0], 5);
    ck_assert_int_eq(r->stops[1].bp_kind, DEBUG_BP_HW);
    ck_assert_uint_eq(r->a0[1], 12);
    ck_assert_uint_eq(m->harts[0].x[A0], 20);
    /* Removal: exactly the kind that was set. */
    ck_assert(!debug_bp_remove(m, CODE + 20, DEBUG_BP_HW));
    ck_assert(debug_bp_remove(m, CODE + 20, DEBUG_BP_SW));
    ck_assert(!debug_bp_at(m, CODE + 20));
    machine_free(m);
    free(r);
}
END_TEST

START_TEST(test_breakpoint_in_a_loop_and_single_steps)
{
    /* a0 counts to 10 in a loop; the breakpoint on the addi hits each
     * time; -S, then 7 single steps from the start. */
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = {
        ADDI(A1, 0, 10),      /* 0: a1 = 10 */
        ADDI(A0, A0, 1),      /* 4: loop: */
        BLT(A0, A1, -4),      /* 8 */
        enc_jump(CODE + 12, POWEROFF),
    };
    test_put_code(m, CODE, code, 4);
    Rec *r = rec_attach(m);
    debug_request_stop(m, DEBUG_STOP_REQUEST);
    r->step_mask = 1;
    r->steps_left = 7;
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_int_eq(r->stops[0].kind, DEBUG_STOP_REQUEST);
    ck_assert_uint_eq(r->icount[0], 0);
    ck_assert_uint_eq(r->pc[0], CODE);
    static const uint64_t pcs[] = { 4, 8, 4, 8, 4, 8, 4 };
    for (unsigned i = 1; i <= 7; i++) {
        ck_assert_int_eq(r->stops[i].kind, DEBUG_STOP_STEP);
        ck_assert_uint_eq(r->icount[i], i);
        ck_assert_uint_eq(r->pc[i], CODE + pcs[i - 1]);
    }
    ck_assert_uint_eq(r->nstops, 8);
    machine_free(m);
    free(r);

    m = test_machine_with_finisher(1, 10000);
    test_put_code(m, CODE, code, 4);
    r = rec_attach(m);
    ck_assert(debug_bp_insert(m, CODE + 4, DEBUG_BP_SW));
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(r->nstops, 10);
    for (unsigned i = 0; i < 10; i++) {
        ck_assert_int_eq(r->stops[i].kind, DEBUG_STOP_BREAK);
        ck_assert_uint_eq(r->a0[i], i);
        ck_assert_uint_eq(r->icount[i], 1 + 2 * i);
    }
    machine_free(m);
    free(r);
}
END_TEST

static void step_after_break(Rec *r, const DebugStop *why)
{
    /* Step twice after each breakpoint. */
    if (why->kind == DEBUG_STOP_BREAK) {
        r->step_mask = 1;
        r->steps_left = 2;
    }
}

START_TEST(test_step_from_a_breakpoint)
{
    /* Resuming at a breakpoint executes its instruction once: a step from
     * there retires exactly that instruction. */
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = {
        ADDI(A1, 0, 3), ADDI(A0, A0, 1), BLT(A0, A1, -4), enc_jump(CODE + 12, POWEROFF),
    };
    test_put_code(m, CODE, code, 4);
    Rec *r = rec_attach(m);
    r->hook = step_after_break;
    ck_assert(debug_bp_insert(m, CODE + 4, DEBUG_BP_SW));
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    /* break at 4 (a0=0), step to 8, step back to 4: a step stop, not a
     * break. The next resume goes over the breakpoint it sits on, so the
     * next break is at a0=2. */
    ck_assert_int_eq(r->stops[0].kind, DEBUG_STOP_BREAK);
    ck_assert_int_eq(r->stops[1].kind, DEBUG_STOP_STEP);
    ck_assert_uint_eq(r->pc[1], CODE + 8);
    ck_assert_int_eq(r->stops[2].kind, DEBUG_STOP_STEP);
    ck_assert_uint_eq(r->pc[2], CODE + 4);
    ck_assert_int_eq(r->stops[3].kind, DEBUG_STOP_BREAK);
    ck_assert_uint_eq(r->a0[3], 2);
    ck_assert_uint_eq(m->harts[0].x[A0], 3);
    machine_free(m);
    free(r);
}
END_TEST

START_TEST(test_watchpoints)
{
    /* Stores and loads around a watched doubleword, in one long TB. */
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = {
        ADDI(A2, 0, 0x55),   /* 0 */
        SD(A2, A3, 0),       /* 4: DATA+0: not watched */
        SD(A2, A3, 16),      /* 8: DATA+16: watched */
        ADDI(A0, A0, 1),     /* 12 */
        LD(A4, A3, 16),      /* 16: read of the watched word */
        ADDI(A0, A0, 1),     /* 20 */
        LD(A4, A3, 8),       /* 24: not watched */
        SD(A2, A3, 20),      /* 28: unaligned into the range's last half */
        ADDI(A0, A0, 1),     /* 32 */
        enc_jump(CODE + 36, POWEROFF),
    };
    test_put_code(m, CODE, code, 10);
    m->harts[0].x[A3] = DATA;
    Rec *r = rec_attach(m);
    ck_assert(debug_wp_insert(m, DATA + 16, 8, DEBUG_WATCH_WRITE));
    ck_assert(debug_wp_insert(m, DATA + 16, 4, DEBUG_WATCH_READ));
    ck_assert(!debug_wp_insert(m, DATA, 0, DEBUG_WATCH_WRITE));
    ck_assert(debug_page_watched(m, DATA + 4000, ACC_WRITE));
    ck_assert(!debug_page_watched(m, DATA + 4096, ACC_WRITE));
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(r->nstops, 3);
    /* Stops come before the access (GDB steps over it), with the exact
     * instruction count; memory is not written yet. */
    ck_assert_int_eq(r->stops[0].kind, DEBUG_STOP_WATCH);
    ck_assert_int_eq(r->stops[0].watch_kind, DEBUG_WATCH_WRITE);
    ck_assert_uint_eq(r->stops[0].addr, DATA + 16);
    ck_assert_uint_eq(r->pc[0], CODE + 8);
    ck_assert_uint_eq(r->icount[0], 2);
    ck_assert_int_eq(r->stops[1].watch_kind, DEBUG_WATCH_READ);
    ck_assert_uint_eq(r->pc[1], CODE + 16);
    ck_assert_uint_eq(r->icount[1], 4);
    ck_assert_int_eq(r->stops[2].watch_kind, DEBUG_WATCH_WRITE);
    ck_assert_uint_eq(r->stops[2].addr, DATA + 20);
    ck_assert_uint_eq(r->pc[2], CODE + 28);
    ck_assert_uint_eq(r->icount[2], 7);
    ck_assert_uint_eq(m->harts[0].x[A0], 3);
    ck_assert_uint_eq(m->harts[0].x[A4], 0);
    ck_assert(debug_wp_remove(m, DATA + 16, 4, DEBUG_WATCH_READ));
    ck_assert(!debug_wp_remove(m, DATA + 16, 4, DEBUG_WATCH_READ));
    machine_free(m);
    free(r);
}
END_TEST

START_TEST(test_watch_after_a_step)
{
    /* Steps land on a watched store; the continue stops on it: only the
     * access a watchpoint stopped is let through on resume. */
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = {
        ADDI(A0, A0, 1), ADDI(A0, A0, 1), SD(A0, A3, 0), ADDI(A0, A0, 1),
        enc_jump(CODE + 16, POWEROFF),
    };
    test_put_code(m, CODE, code, 5);
    m->harts[0].x[A3] = DATA;
    Rec *r = rec_attach(m);
    ck_assert(debug_wp_insert(m, DATA, 8, DEBUG_WATCH_WRITE));
    debug_request_stop(m, DEBUG_STOP_REQUEST);
    r->step_mask = 1;
    r->steps_left = 2;
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(r->nstops, 4);
    ck_assert_int_eq(r->stops[2].kind, DEBUG_STOP_STEP);
    ck_assert_uint_eq(r->pc[2], CODE + 8);
    ck_assert_int_eq(r->stops[3].kind, DEBUG_STOP_WATCH);
    ck_assert_uint_eq(r->pc[3], CODE + 8);
    ck_assert_uint_eq(r->icount[3], 2);
    uint64_t v;
    memcpy(&v, memory_ram_ptr(&m->mem, DATA, 8), 8);
    ck_assert_uint_eq(v, 2);
    machine_free(m);
    free(r);
}
END_TEST

START_TEST(test_watch_keeps_lr_sc_working)
{
    /* An LR/SC increment loop on a watched word: each SC stops before it
     * happens, and must still succeed once resumed. */
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = {
        ADDI(A1, 0, 5),          /* 0: 5 increments */
        LR_D(T0, A3),            /* 4: loop */
        ADDI(T0, T0, 1),         /* 8 */
        SC_D(T1, T0, A3),        /* 12 */
        BNE(T1, 0, -12),         /* 16: retry on failure */
        ADDI(A1, A1, -1),        /* 20 */
        BNE(A1, 0, -20),         /* 24 */
        enc_jump(CODE + 28, POWEROFF),
    };
    test_put_code(m, CODE, code, 8);
    m->harts[0].x[A3] = DATA;
    Rec *r = rec_attach(m);
    ck_assert(debug_wp_insert(m, DATA, 8, DEBUG_WATCH_WRITE));
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    uint64_t v;
    memcpy(&v, memory_ram_ptr(&m->mem, DATA, 8), 8);
    ck_assert_uint_eq(v, 5);
    ck_assert_uint_eq(r->nstops, 5); /* one per SC, before it */
    for (unsigned i = 0; i < 5; i++)
        ck_assert_uint_eq(r->pc[i], CODE + 12);
    machine_free(m);
    free(r);
}
END_TEST

/* Two harts append their ids to a shared log through an AMO-allocated
 * index; with a small quantum the log records the interleaving, so it is
 * a fingerprint of the schedule. */
enum { LOG_ITERS = 150 };
static Machine *schedule_machine(void)
{
    Machine *m = test_machine_with_finisher(2, 7);
    const uint32_t code[] = {
        ADDI(A5, 0, LOG_ITERS), /* 0 */
        ADDI(A1, 0, 1),         /* 4 */
        AMOADD_D(T0, A1, A2),   /* 8: loop: t0 = counter++ */
        SLLI(T0, T0, 3),        /* 12 */
        ADD(T1, A3, T0),        /* 16 */
        SD(A4, T1, 0),          /* 20: log[t0] = id */
        ADDI(A5, A5, -1),       /* 24 */
        BNE(A5, 0, -20),        /* 28 */
        BNE(A4, 0, 16),         /* 32: hart 1 -> 48 */
        LD(T2, A2, 0),          /* 36: hart 0 waits for both */
        BLT(T2, A6, -4),        /* 40 */
        enc_jump(CODE + 44, POWEROFF),
        WFI,                    /* 48 */
    };
    test_put_code(m, CODE, code, sizeof(code) / 4);
    uint32_t back = enc_jump(CODE + 52, CODE + 48); /* 52: back to wfi */
    test_put_code(m, CODE + 52, &back, 1);
    for (unsigned i = 0; i < 2; i++) {
        Hart *h = &m->harts[i];
        h->x[A2] = DATA;
        h->x[A3] = DATA + 8;
        h->x[A4] = i;
        h->x[A6] = 2 * LOG_ITERS;
    }
    return m;
}

static void busy_debugger(Rec *r, const DebugStop *why)
{
    /* Every third breakpoint: two steps of the hart that stopped, or of
     * the other one. */
    if (why->kind == DEBUG_STOP_BREAK && r->nstops % 3 == 0) {
        r->step_mask = (r->nstops % 2) ? 1u << why->hart : 1u << (why->hart ^ 1);
        r->steps_left = 2;
    }
    if (r->nstops == 40) { /* a target one instruction away comes first */
        debug_set_stop_icount(r->m, machine_icount(r->m) + 1);
        r->steps_left = 0;
    }
}

START_TEST(test_debugger_keeps_the_schedule)
{
    Machine *plain = schedule_machine();
    machine_run(plain);
    ck_assert_int_eq(plain->stop, STOP_EXIT);

    Machine *m = schedule_machine();
    Rec *r = rec_attach(m);
    r->hook = busy_debugger;
    ck_assert(debug_bp_insert(m, CODE + 20, DEBUG_BP_SW));
    ck_assert(debug_bp_insert(m, CODE + 28, DEBUG_BP_HW));
    ck_assert(debug_wp_insert(m, DATA + 8 + 8 * 100, 16, DEBUG_WATCH_ACCESS));
    debug_request_stop(m, DEBUG_STOP_REQUEST);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_gt(r->nstops, 500);
    bool saw_icount = false, saw_watch = false;
    for (unsigned i = 0; i < r->nstops && i < 4096; i++) {
        if (r->stops[i].kind == DEBUG_STOP_ICOUNT) {
            saw_icount = true;
            ck_assert_uint_eq(r->total[i], r->total[i - 1] + 1);
        }
        saw_watch |= r->stops[i].kind == DEBUG_STOP_WATCH;
    }
    ck_assert(saw_icount);
    ck_assert(saw_watch);
    /* Same log, same counts, same registers. */
    ck_assert(memcmp(memory_ram_ptr(&plain->mem, DATA, 8 * (2 * LOG_ITERS + 1)),
                     memory_ram_ptr(&m->mem, DATA, 8 * (2 * LOG_ITERS + 1)),
                     8 * (2 * LOG_ITERS + 1)) == 0);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_uint_eq(plain->harts[i].icount, m->harts[i].icount);
        ck_assert(memcmp(plain->harts[i].x, m->harts[i].x, sizeof(m->harts[i].x)) == 0);
        ck_assert_uint_eq(plain->harts[i].pc, m->harts[i].pc);
    }
    /* The log did interleave (or the test proves nothing). */
    const uint64_t *log = (const uint64_t *)memory_ram_ptr(&m->mem, DATA + 8, 8);
    unsigned changes = 0;
    for (unsigned i = 1; i < 2 * LOG_ITERS; i++)
        changes += log[i] != log[i - 1];
    ck_assert_uint_gt(changes, 10);
    machine_free(plain);
    machine_free(m);
    free(r);
}
END_TEST

static void stop_at_icount(Rec *r, const DebugStop *why)
{
    if (why->kind == DEBUG_STOP_REQUEST)
        debug_set_stop_icount(r->m, 25);
}

START_TEST(test_stop_at_an_icount)
{
    /* Two harts, quantum 4: the target falls inside a turn of hart 1. */
    Machine *m = test_machine_with_finisher(2, 4);
    uint32_t code[64];
    for (int i = 0; i < 63; i++)
        code[i] = ADDI(A0, A0, 1);
    code[63] = enc_jump(CODE + 63 * 4, POWEROFF);
    test_put_code(m, CODE, code, 64);
    Rec *r = rec_attach(m);
    r->hook = stop_at_icount;
    debug_request_stop(m, DEBUG_STOP_REQUEST);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(r->nstops, 2);
    ck_assert_int_eq(r->stops[1].kind, DEBUG_STOP_ICOUNT);
    ck_assert_uint_eq(r->total[1], 25);
    ck_assert_int_eq(r->stops[1].hart, 0); /* h0 runs 0-3, h1 4-7, ..., h0 24-27 */
    machine_free(m);
    free(r);
}
END_TEST

START_TEST(test_stop_without_a_front_end_fails_cleanly)
{
    /* A stop nobody can serve must not hang the run loop. */
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = { ADDI(A0, A0, 1), enc_jump(CODE + 4, POWEROFF) };
    test_put_code(m, CODE, code, 2);
    ck_assert(debug_attach(m, NULL));
    debug_request_stop(m, DEBUG_STOP_REQUEST);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_ERROR);
    machine_free(m);
}
END_TEST

/* The client in memory (gdbstub_start_memory, the fuzzing harness's
 * transport) takes the same path as a TCP client: acks, replies framed
 * with their checksum, memory reads, NoAck mode, a hang-up. */
typedef struct MemoryClient {
    char buf[4096];
    size_t len;
} MemoryClient;

static void memory_client_got(void *opaque, const char *buf, size_t len)
{
    MemoryClient *c = opaque;
    ck_assert_uint_lt(c->len + len, sizeof(c->buf));
    memcpy(c->buf + c->len, buf, len);
    c->len += len;
    c->buf[c->len] = '\0';
}

static void memory_client_send(Machine *m, MemoryClient *c, const char *payload)
{
    char frame[256];
    size_t n = gdb_packet_encode(frame, sizeof(frame), payload, strlen(payload), false);
    ck_assert_uint_gt(n, 0);
    c->len = 0;
    c->buf[0] = '\0';
    gdbstub_feed(m, frame, n);
}

START_TEST(test_memory_client)
{
    Machine *m = test_machine_new();
    static const uint32_t words[] = { 0x00128293 }; /* addi t0, t0, 1 */
    memcpy(memory_ram_ptr(&m->mem, MEM_RAM_BASE, 4), words, 4);
    MemoryClient c = { .len = 0 };
    char err[256];
    ck_assert_msg(gdbstub_start_memory(m, memory_client_got, &c, err, sizeof(err)), "%s", err);
    ck_assert(!gdbstub_connected(m));
    ck_assert(!gdbstub_start_memory(m, memory_client_got, &c, err, sizeof(err)));
    gdbstub_connect_memory(m);
    ck_assert(gdbstub_connected(m));
    memory_client_send(m, &c, "m80000000,4");
    ck_assert_str_eq(c.buf, "+$93821200#99");
    gdbstub_feed(m, "$g#00", 5); /* a bad checksum: NAK */
    ck_assert_str_eq(c.buf + c.len - 1, "-");
    memory_client_send(m, &c, "QStartNoAckMode");
    ck_assert_str_eq(c.buf, "+$OK#9a");
    memory_client_send(m, &c, "qAttached");
    ck_assert_str_eq(c.buf, "$1#31"); /* no ack any more */
    gdbstub_hang_up(m);
    ck_assert(!gdbstub_connected(m));
    memory_client_send(m, &c, "qAttached");
    ck_assert_uint_eq(c.len, 0); /* nobody listens */
    gdbstub_connect_memory(m); /* a new client: acks again */
    memory_client_send(m, &c, "qAttached");
    ck_assert_str_eq(c.buf, "+$1#31");
    machine_free(m);
}
END_TEST

/* Found by tests/fuzz/fuzz_gdb_replay: with a breakpoint on a store and a
 * watchpoint on what it writes, reverse-continue (bc) never answered. The
 * controller counts hits going on with debug_continue; after the watch
 * stop (the breakpoint was passed already at that instruction) it let the
 * breakpoint fire again at the same instruction, and after that the
 * watchpoint, for ever. Each is one hit. */
static unsigned ctl_hits;

static bool ctl_count_and_continue(void *opaque, DebugStop *why)
{
    Machine *m = opaque;
    if ((why->kind == DEBUG_STOP_BREAK || why->kind == DEBUG_STOP_WATCH) && ++ctl_hits < 100) {
        debug_continue(m);
        return true;
    }
    return false;
}

START_TEST(test_continue_past_a_breakpoint_and_a_watchpoint_on_one_store)
{
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = {
        ADDI(A0, A0, 1), SD(A0, A3, 0), ADDI(A0, A0, 1), enc_jump(CODE + 12, POWEROFF),
    };
    test_put_code(m, CODE, code, 4);
    m->harts[0].x[A3] = DATA;
    Rec *r = rec_attach(m);
    DebugController ctl = { .opaque = m, .stopped = ctl_count_and_continue };
    debug_set_controller(m, &ctl);
    ck_assert(debug_bp_insert(m, CODE + 4, DEBUG_BP_SW));
    ck_assert(debug_wp_insert(m, DATA, 8, DEBUG_WATCH_WRITE));
    ctl_hits = 0;
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(ctl_hits, 2); /* the breakpoint, then the watchpoint */
    ck_assert_uint_eq(r->nstops, 0);
    ck_assert_uint_eq(m->harts[0].x[A0], 2);
    machine_free(m);
    free(r);
}
END_TEST

/* A breakpoint on a trap vector leaves its TB the way a trap does, before
 * the instruction, with nothing retired: right after a trap into that
 * vector, the hart looks exactly as it did after the trap. The trap-loop
 * check (core/trap_loop.h) once took that for a hart stuck in a loop and
 * ended its turn early, so a debugger changed the schedule (found by the
 * timeline tier, whose marks are breakpoints). Two harts take an ecall in
 * every iteration of their logging loop, a breakpoint on the handler: the
 * same log and registers with the debugger as without. */
enum { TRAP_ITERS = 100 };
static Machine *trap_schedule_machine(void)
{
    Machine *m = test_machine_with_finisher(2, 7);
    const uint32_t code[] = {
        0x00000297u,                  /* 0x00: auipc t0, 0 */
        ADDI(T0, T0, 0x60),           /* 0x04: the handler */
        enc_i(0x305, T0, 1, 0, 0x73), /* 0x08: csrw mtvec, t0 */
        ADDI(A5, 0, TRAP_ITERS),      /* 0x0c */
        ADDI(A1, 0, 1),               /* 0x10 */
        AMOADD_D(T2, A1, A2),         /* 0x14: loop: t2 = counter++ */
        SLLI(T2, T2, 3),              /* 0x18 */
        ADD(A6, A3, T2),              /* 0x1c */
        SD(A4, A6, 0),                /* 0x20: log[t2] = id */
        0x00000073u,                  /* 0x24: ecall */
        ADDI(A5, A5, -1),             /* 0x28 */
        BNE(A5, 0, -0x18),            /* 0x2c */
        BNE(A4, 0, 0x14),             /* 0x30: hart 1 -> 0x44 */
        LD(T2, A2, 0),                /* 0x34: hart 0 waits for both */
        BLT(T2, A7, -4),              /* 0x38 */
        enc_jump(CODE + 0x3c, POWEROFF),
        NOP,                          /* 0x40 */
        WFI,                          /* 0x44 */
        enc_jump(CODE + 0x48, CODE + 0x44),
        NOP, NOP, NOP, NOP, NOP,      /* 0x4c-0x5c */
        enc_i(0x341, 0, 2, T1, 0x73), /* 0x60: csrr t1, mepc */
        ADDI(T1, T1, 4),              /* 0x64 */
        enc_i(0x341, T1, 1, 0, 0x73), /* 0x68: csrw mepc, t1 */
        0x30200073u,                  /* 0x6c: mret */
    };
    test_put_code(m, CODE, code, sizeof(code) / 4);
    for (unsigned i = 0; i < 2; i++) {
        Hart *h = &m->harts[i];
        h->x[A2] = DATA;
        h->x[A3] = DATA + 8;
        h->x[A4] = i;
        h->x[A7] = 2 * TRAP_ITERS;
    }
    return m;
}

START_TEST(test_breakpoint_on_a_trap_vector_keeps_the_schedule)
{
    Machine *plain = trap_schedule_machine();
    machine_run(plain);
    ck_assert_msg(plain->stop == STOP_EXIT, "%s", plain->error);
    Machine *m = trap_schedule_machine();
    Rec *r = rec_attach(m);
    ck_assert(debug_bp_insert(m, CODE + 0x60, DEBUG_BP_SW));
    machine_run(m);
    ck_assert_msg(m->stop == STOP_EXIT, "%s", m->error);
    ck_assert_uint_eq(r->nstops, 2 * TRAP_ITERS);
    size_t n = 8 * (2 * TRAP_ITERS + 1);
    ck_assert(memcmp(memory_ram_ptr(&plain->mem, DATA, n), memory_ram_ptr(&m->mem, DATA, n),
                     n) == 0);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_uint_eq(plain->harts[i].icount, m->harts[i].icount);
        ck_assert(memcmp(plain->harts[i].x, m->harts[i].x, sizeof(m->harts[i].x)) == 0);
    }
    const uint64_t *log = (const uint64_t *)memory_ram_ptr(&m->mem, DATA + 8, 8);
    unsigned changes = 0;
    for (unsigned i = 1; i < 2 * TRAP_ITERS; i++)
        changes += log[i] != log[i - 1];
    ck_assert_uint_gt(changes, 10); /* the harts did interleave */
    machine_free(plain);
    machine_free(m);
    free(r);
}
END_TEST

/* A hart whose trap vector is the illegal instruction it faults on
 * retires nothing (core/trap_loop.h). The debugger's ctrl-C used to wait
 * for ever: the run loop never came back to serve it. Now it stops the
 * machine there, the pc on the faulting instruction. */
static void ctrl_c(uv_timer_t *t)
{
    debug_request_stop(t->data, DEBUG_STOP_INTERRUPT);
}

static void exit_at_stop(Rec *r, const DebugStop *why)
{
    (void)why;
    machine_request_exit(r->m, 0);
}

START_TEST(test_ctrl_c_stops_a_hart_in_a_trap_loop)
{
    Machine *m = test_machine_with_finisher(1, 10000);
    const uint32_t code[] = {
        0x00000297u,                    /* auipc t0, 0 */
        ADDI(T0, T0, 12),               /* t0 = CODE + 12 */
        enc_i(0x305, T0, 1, 0, 0x73),   /* csrw mtvec, t0 */
        0x00000000u,                    /* CODE + 12: illegal */
    };
    test_put_code(m, CODE, code, 4);
    Rec *r = rec_attach(m);
    r->hook = exit_at_stop;
    uv_timer_t t;
    uv_timer_init(m->loop, &t);
    t.data = m;
    uv_timer_start(&t, ctrl_c, 50, 0);
    machine_run(m);
    ck_assert_uint_eq(r->nstops, 1);
    ck_assert_int_eq(r->stops[0].kind, DEBUG_STOP_INTERRUPT);
    ck_assert_uint_eq(r->pc[0], CODE + 12);
    ck_assert_uint_eq(r->icount[0], 3);
    ck_assert_uint_eq(m->harts[0].csr.mcause, 2);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(m->loop, UV_RUN_NOWAIT);
    machine_free(m);
    free(r);
}
END_TEST

Suite *suite_gdb(void)
{
    Suite *s = suite_create("gdb");
    TCase *tc = tcase_create("packet");
    tcase_add_test(tc, test_packet_frames);
    tcase_add_test(tc, test_packet_too_long);
    tcase_add_test(tc, test_packet_encode_roundtrip);
    tcase_add_test(tc, test_packet_helpers);
    tcase_add_test(tc, test_packet_fuzz);
    tcase_add_test(tc, test_gdb_options);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("debug");
    tcase_add_test(tc, test_breakpoint_stops_before_the_instruction);
    tcase_add_test(tc, test_breakpoint_in_a_loop_and_single_steps);
    tcase_add_test(tc, test_step_from_a_breakpoint);
    tcase_add_test(tc, test_watchpoints);
    tcase_add_test(tc, test_watch_after_a_step);
    tcase_add_test(tc, test_watch_keeps_lr_sc_working);
    tcase_add_test(tc, test_debugger_keeps_the_schedule);
    tcase_add_test(tc, test_stop_at_an_icount);
    tcase_add_test(tc, test_stop_without_a_front_end_fails_cleanly);
    tcase_add_test(tc, test_memory_client);
    tcase_add_test(tc, test_continue_past_a_breakpoint_and_a_watchpoint_on_one_store);
    tcase_add_test(tc, test_ctrl_c_stops_a_hart_in_a_trap_loop);
    tcase_add_test(tc, test_breakpoint_on_a_trap_vector_keeps_the_schedule);
    suite_add_tcase(s, tc);
    return s;
}
