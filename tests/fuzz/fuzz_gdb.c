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
 * kills the machine (k) and the run ends. One machine serves every input, put back
 * each time to a snapshot taken before the first (core/snapshot.h: harts,
 * RAM, devices, the stop state), with its breakpoints and watchpoints
 * removed and a new client connected.
 *
 * Every packet the stub sends must have a good checksum. Seed corpus:
 * tests/fuzz/corpus/gdb (sessions of gdb-multiarch against rewind, packets
 * from tests/gdb); dictionary gdb.dict. */
#include "tests/fuzz/fuzz_support.h"

#include "core/memory.h"
#include "core/snapshot.h"
#include "tests/fuzz/gdb_client.h"

enum { QUANTUM = 200 };

/* auipc t1,1; 1: c.addi t0,1; sd t0,0(t1); ld t2,8(t1); csrr t3,mhartid;
 * c.addi t4,1; c.j 1b */
static const uint8_t program[] = {
    0x17, 0x13, 0x00, 0x00, 0x85, 0x02, 0x23, 0x30, 0x53, 0x00, 0x83, 0x33,
    0x83, 0x00, 0x73, 0x2e, 0x40, 0xf1, 0x85, 0x0e, 0xc5, 0xbf,
};

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
    session_start(&session, m, data, size, &out);
    machine_run(m);
    uv_idle_stop(&session.idle);
    if (gdbstub_connected(m))
        gdbstub_hang_up(m);
    fuzz_note("run ended: stop %d%s%s\n", (int)m->stop, m->stop == STOP_ERROR ? ": " : "",
              m->stop == STOP_ERROR ? m->error : "");
    return 0;
}
