/* Fuzz the GDB stub on a replay with reverse debugging (replay/reverse.c):
 * what `rewind replay -s` serves, with the reverse packets bs and bc,
 * `monitor seek/when/checkpoints`, breakpoints and watchpoints run
 * backwards, writes refused, the end of the recording held. The client
 * is the one of fuzz_gdb.c (gdb_client.h: lines framed into packets, '!'
 * for raw bytes, ctrl-C while running).
 *
 * The recording is made once, in LLVMFuzzerInitialize, by `rewind record`
 * (cmd_record) of a small raw program: 1500 rounds of a loop with a load,
 * a store and a CSR read on one hart, then the test finisher (about 9000
 * instructions). Each input replays it on a new machine (a replay's place
 * in its trace cannot be put back by a snapshot), so this harness is
 * slower than fuzz_gdb.c. Seed corpus: tests/fuzz/corpus/gdb_replay. */
#include "tests/fuzz/fuzz_support.h"

#include "replay/reverse.h"
#include "replay/session.h"
#include "replay/trace.h"
#include "tests/fuzz/gdb_client.h"
#include "tools/commands.h"
#include "tools/trace_config.h"

/* auipc t1,1; li t5,1500; 1: c.addi t0,1; sd t0,0(t1); ld t2,8(t1);
 * csrr t3,mhartid; c.addi t5,-1; bnez t5,1b; li t4,0x100000; li t6,0x5555;
 * sw t6,0(t4); 2: c.j 2b */
static const uint8_t program[] = {
    0x17, 0x13, 0x00, 0x00, 0x13, 0x0f, 0xc0, 0x5d, 0x85, 0x02, 0x23, 0x30,
    0x53, 0x00, 0x83, 0x33, 0x83, 0x00, 0x73, 0x2e, 0x40, 0xf1, 0x7d, 0x1f,
    0xe3, 0x18, 0x0f, 0xfe, 0xb7, 0x0e, 0x10, 0x00, 0x95, 0x6f, 0x9b, 0x8f,
    0x5f, 0x55, 0x23, 0xa0, 0xfe, 0x01, 0x01, 0xa0,
};

static char dir[64], program_path[96], trace_path[96];
static Session session;
static GdbPacketParser out;

static void remove_files(void)
{
    unlink(trace_path);
    unlink(program_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(dir, sizeof(dir), "/tmp/rewind-fuzz-replay-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(program_path, sizeof(program_path), "%s/program.bin", dir);
    snprintf(trace_path, sizeof(trace_path), "%s/program.rwd", dir);
    atexit(remove_files);
    FILE *f = fopen(program_path, "wb");
    if (!f || fwrite(program, 1, sizeof(program), f) != sizeof(program) || fclose(f) != 0)
        abort();
    char *args[] = { "-o", trace_path, "-m", "16M", "-bios", "none", "-kernel",
                     program_path, "-serial", "none", "--code-buffer", "1M", NULL };
    int rc = cmd_record(12, args);
    if (rc != 0) {
        fprintf(stderr, "fuzz: recording the program failed (exit %d)\n", rc);
        abort();
    }
    return 0;
}

static bool attach_replay(Machine *m, void *ctx, char *err, size_t errlen)
{
    TraceReader **r = ctx;
    ReplayPlayOptions popt = { 0 };
    TraceReader *reader = *r;
    *r = NULL; /* the machine owns it now, even on failure */
    return replay_play_attach(m, reader, &popt, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    TraceReader *reader = trace_reader_open(trace_path, err, sizeof(err));
    if (!reader) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    TraceConfig tc;
    memset(&tc, 0, sizeof(tc));
    RunOptions o;
    MachineConfig cfg;
    RunSession s;
    memset(&s, 0, sizeof(s));
    if (!trace_config_to_options(&tc, trace_reader_header(reader), NULL, 0, &o, &cfg, err,
                                 sizeof(err))) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    cfg.code_buffer_size = 1 << 20; /* small: a machine per input */
    if (!run_session_open(&s, &o, &cfg, attach_replay, &reader, err, sizeof(err)) ||
        !gdbstub_start_memory(s.m, stub_sent, &session, err, sizeof(err)) ||
        !reverse_attach(s.m, 64 << 20, err, sizeof(err))) {
        fprintf(stderr, "fuzz: the replay: %s\n", err);
        abort();
    }
    uv_idle_init(s.m->loop, &session.idle);
    session_start(&session, s.m, data, size, &out);
    machine_run(s.m);
    uv_idle_stop(&session.idle);
    uv_close((uv_handle_t *)&session.idle, NULL);
    fuzz_note("run ended: stop %d%s%s\n", (int)s.m->stop, s.m->stop == STOP_ERROR ? ": " : "",
              s.m->stop == STOP_ERROR ? s.m->error : "");
    run_session_close(&s);
    trace_config_free(&tc);
    return 0;
}
