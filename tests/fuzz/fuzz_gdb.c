/* Fuzz the GDB stub (core/gdbstub.c and core/gdb_packet.c) as a debugger
 * client would drive it, after the connection: a 2-hart machine running a
 * small loop (loads, stores, a CSR read, compressed instructions) serves a
 * client connected in memory (gdbstub_start_memory), the real run loop
 * runs (machine_run), and the client's bytes reach the stub's packet
 * parser and command handler between slices, as a socket's would.
 *
 * Input: lines. A line is one packet payload, framed by the harness
 * ("$line#xx" with the right checksum, so that the fuzzer reaches the
 * commands: registers, memory, breakpoints and watchpoints, threads,
 * resumes, vCont, qXfer, monitor commands...); a line starting with '!'
 * is sent raw, without the '!' (acks, NAKs, ctrl-C, bad checksums, escapes,
 * packets cut short: the framing itself). A handshake (qSupported, ?)
 * comes first. Lines are fed while the machine is stopped; while it runs,
 * the client sends ctrl-C after two rounds (of 200 instructions a hart),
 * so each resume costs at most a few hundred instructions, and the run
 * ends after 50 rounds without a stop. At the end of the input the client
 * hangs up and the run ends. One machine serves every input, put back
 * each time to a snapshot taken before the first (core/snapshot.h: harts,
 * RAM, devices, the stop state), with its breakpoints and watchpoints
 * removed and a new client connected.
 *
 * Every packet the stub sends must have a good checksum. Seed corpus:
 * tests/fuzz/corpus/gdb (sessions of gdb-multiarch against rewind, packets
 * from tests/gdb); dictionary gdb.dict. */
#include "tests/fuzz/fuzz_support.h"

#include <string.h>

#include <uv.h>

#include "core/debug.h"
#include "core/gdb_packet.h"
#include "core/gdbstub.h"
#include "core/machine.h"
#include "core/memory.h"
#include "core/snapshot.h"

enum { QUANTUM = 200, ROUNDS_BEFORE_CTRL_C = 2, MAX_RUNNING_ROUNDS = 50 };

/* auipc t1,1; 1: c.addi t0,1; sd t0,0(t1); ld t2,8(t1); csrr t3,mhartid;
 * c.addi t4,1; c.j 1b */
static const uint8_t program[] = {
    0x17, 0x13, 0x00, 0x00, 0x85, 0x02, 0x23, 0x30, 0x53, 0x00, 0x83, 0x33,
    0x83, 0x00, 0x73, 0x2e, 0x40, 0xf1, 0x85, 0x0e, 0xc5, 0xbf,
};

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

static void end_run(Session *s)
{
    uv_idle_stop(&s->idle);
    if (gdbstub_connected(s->m))
        gdbstub_hang_up(s->m);
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

/* One machine for every input (building one costs more than most inputs):
 * each input starts from the same snapshot of it, with a new client. */
static Machine *machine;
static Snapshot *start;
static Session session;
static GdbPacketParser out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[256];
    /* A small code buffer: the default one would dominate the setup. */
    MachineConfig cfg = { .ram_size = 2 << 20, .nharts = 2, .quantum = QUANTUM,
                          .code_buffer_size = 1 << 20 };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    if (!m || !gdbstub_start_memory(m, stub_sent, &session, err, sizeof(err))) {
        fprintf(stderr, "fuzz: the machine: %s\n", err);
        abort();
    }
    uint8_t *ram = memory_ram_ptr(&m->mem, MEM_RAM_BASE, sizeof(program));
    memcpy(ram, program, sizeof(program));
    machine_ram_written(m, MEM_RAM_BASE, sizeof(program));
    for (unsigned i = 0; i < m->nharts; i++)
        m->harts[i].pc = MEM_RAM_BASE;
    start = snapshot_take(m);
    if (!start)
        abort();
    uv_idle_init(m->loop, &session.idle);
    session.idle.data = &session;
    machine = m;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Machine *m = machine;
    char err[256];
    if (!snapshot_restore(m, start, err, sizeof(err))) {
        fprintf(stderr, "fuzz: snapshot_restore: %s\n", err);
        abort();
    }
    debug_clear_points(m);
    session = (Session){ .m = m, .idle = session.idle, .data = (const uint8_t *)handshake,
                         .size = sizeof(handshake) - 1, .in_handshake = true,
                         .input = data, .input_size = size, .out = &out };
    gdb_packet_init(&out);
    gdbstub_connect_memory(m);
    uv_idle_start(&session.idle, on_idle);
    machine_run(m);
    uv_idle_stop(&session.idle);
    if (gdbstub_connected(m))
        gdbstub_hang_up(m);
    fuzz_note("run ended: stop %d%s%s\n", (int)m->stop, m->stop == STOP_ERROR ? ": " : "",
              m->stop == STOP_ERROR ? m->error : "");
    return 0;
}
