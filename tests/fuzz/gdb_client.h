/* The GDB client of the stub harnesses (fuzz_gdb.c, fuzz_gdb_replay.c):
 * it feeds the fuzzer's lines to the stub through its client in memory
 * (core/gdbstub.h), from a libuv idle handle of the machine's loop, so
 * that packets arrive between slices as a socket's bytes would. Lines are
 * framed into packets ("$line#xx"); a line starting with '!' is sent raw.
 * A handshake comes first. Lines go while the machine is stopped; while
 * it runs, ctrl-C after two rounds, and the run ends after 50 rounds
 * without a stop. At the end of the input the client kills the machine
 * (GDB's kill) and the run ends. Every packet the stub sends must have a good checksum. */
#ifndef REWIND_TESTS_FUZZ_GDB_CLIENT_H
#define REWIND_TESTS_FUZZ_GDB_CLIENT_H

#include <string.h>

#include <uv.h>

#include "core/debug.h"
#include "core/gdb_packet.h"
#include "core/gdbstub.h"
#include "core/machine.h"
#include "tests/fuzz/fuzz_support.h"

enum { ROUNDS_BEFORE_CTRL_C = 2, MAX_RUNNING_ROUNDS = 50 };


/* GDB's first packets; Hg1 and Hc-1 put back the stub's thread choice,
 * which outlives a connection. */
static const char handshake[] =
    "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;"
    "vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+\n"
    "Hg1\nHc-1\n?\n";

typedef struct Session {
    Machine *m;
    uv_idle_t idle;
    const uint8_t *data; /* the input, then the handshake before it */
    size_t size, pos;
    bool in_handshake;
    const uint8_t *input;
    size_t input_size;
    unsigned running_rounds;
    GdbPacketParser *out; /* checks what the stub sends */
} Session;

/* Everything the stub sends: each packet must have a good checksum. */
static void stub_sent(void *opaque, const char *buf, size_t len)
{
    Session *s = opaque;
    fuzz_note("sent %.*s\n", len > 200 ? 200 : (int)len, buf);
    for (size_t i = 0; i < len; i++)
        if (gdb_packet_feed(s->out, (uint8_t)buf[i]) == GDB_EV_BAD_CHECKSUM) {
            fprintf(stderr, "fuzz: the stub sent a packet with a bad checksum\n");
            abort();
        }
}

/* The next line of the input to the stub, framed unless it starts '!'. */
static void send_line(Session *s)
{
    const uint8_t *p = s->data + s->pos;
    const uint8_t *nl = memchr(p, '\n', s->size - s->pos);
    size_t n = nl ? (size_t)(nl - p) : s->size - s->pos;
    s->pos += n + (nl != NULL);
    fuzz_note("line %.*s\n", (int)n, (const char *)p);
    if (n && p[0] == '!') {
        gdbstub_feed(s->m, p + 1, n - 1);
        return;
    }
    static char frame[GDB_PACKET_MAX + 8];
    if (n > GDB_PACKET_MAX)
        n = GDB_PACKET_MAX;
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    frame[0] = '$';
    memcpy(frame + 1, p, n);
    snprintf(frame + 1 + n, 4, "#%02x", sum);
    gdbstub_feed(s->m, frame, n + 4);
}

/* The end of the input: the client kills the machine, as GDB's `kill`
 * does (a hang-up would leave a machine held at the end of a replay
 * waiting for the next debugger, as rewind does for a real one). */
static void end_run(Session *s)
{
    uv_idle_stop(&s->idle);
    if (gdbstub_connected(s->m))
        gdbstub_feed(s->m, "$k#6b", 5);
    if (gdbstub_connected(s->m))
        gdbstub_hang_up(s->m);
    /* A client that left (D, k) lets go of a held machine; stop a running one. */
    debug_detach(s->m);
    if (s->m->stop == STOP_NONE)
        machine_request_exit(s->m, 0);
}

/* Runs at every turn of the machine's loop: between rounds while the
 * machine runs, and while it waits stopped for the debugger. */
static void on_idle(uv_idle_t *h)
{
    Session *s = h->data;
    Machine *m = s->m;
    if (!gdbstub_connected(m)) { /* k, D: the client is gone */
        end_run(s);
        return;
    }
    if (!debug_stopped(m)) {
        s->running_rounds++;
        if (s->running_rounds == ROUNDS_BEFORE_CTRL_C)
            gdbstub_feed(m, "\x03", 1);
        else if (s->running_rounds > MAX_RUNNING_ROUNDS)
            end_run(s);
        return;
    }
    s->running_rounds = 0;
    if (s->pos >= s->size) {
        if (!s->in_handshake) {
            end_run(s);
            return;
        }
        s->in_handshake = false;
        s->data = s->input;
        s->size = s->input_size;
        s->pos = 0;
        if (!s->size) {
            end_run(s);
            return;
        }
    }
    send_line(s);
}

/* Start a session on m (its stub started with stub_sent and s): connect
 * and feed from the idle handle (initialised by the caller on m's loop). */
static void session_start(Session *s, Machine *m, const uint8_t *data, size_t size,
                          GdbPacketParser *out)
{
    uv_idle_t idle = s->idle;
    *s = (Session){ .m = m, .idle = idle, .data = (const uint8_t *)handshake,
                    .size = sizeof(handshake) - 1, .in_handshake = true, .input = data,
                    .input_size = size, .out = out };
    s->idle.data = s;
    gdb_packet_init(out);
    gdbstub_connect_memory(m);
    uv_idle_start(&s->idle, on_idle);
}

#endif
