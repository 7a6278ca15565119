/* `rewind record -o TRACE [machine options]`: run deterministically and
 * write every input into a trace that `rewind replay` re-runs exactly. */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "replay/session.h"
#include "tools/commands.h"
#include "tools/output_file.h"
#include "tools/run_checkpoint.h"
#include "tools/trace_config.h"

_Static_assert((int)REPLAY_EXIT_ERROR == (int)EXIT_REWIND_ERROR, "one error code");

/* A signal handler can reach nothing else: the flag the recorder polls at
 * every slice, and the handle that wakes the loop if it waits for input.
 * (Process-wide by nature; set only while a recording runs.) */
static volatile sig_atomic_t record_stop_signal;
static uv_async_t *record_wake_handle;

static void record_on_signal(int sig)
{
    if (record_stop_signal) {
        /* A second signal: give up at once (the trace stays readable up
         * to its last frame), with the terminal restored. */
        uv_tty_reset_mode();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    record_stop_signal = sig;
    if (record_wake_handle)
        uv_async_send(record_wake_handle);
}

static void record_wake_cb(uv_async_t *h)
{
    (void)h; /* waking the loop is all it takes */
}

static void record_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind record -o TRACE [machine options]\n"
        "\n"
        "Run the machine deterministically (as rewind run) and write everything\n"
        "the guest receives from the host into TRACE: console input, the RTC's\n"
        "base time, entropy, with the exact instruction where each arrived, plus\n"
        "state digests. `rewind replay TRACE` re-runs it exactly.\n"
        "\n"
        "  -o, --output TRACE  the trace file: a new file, an empty one (as mktemp\n"
        "                      makes) or an older trace, which is replaced; never\n"
        "                      an input of the machine (-bios, -kernel, -initrd, a\n"
        "                      -drive file, also through a link) nor another file\n"
        "                      the run writes\n"
        "  --force             replace TRACE even if it is a file of another kind\n"
        "  --digest-every N    digest interval in instructions (default %llu);\n"
        "                      the digests are printed, as with rewind run\n"
        "  --from-checkpoint FILE\n"
        "                      start from a checkpoint (rewind run --save-checkpoint):\n"
        "                      the machine comes from FILE, and the trace embeds it,\n"
        "                      so it replays (and debugs back to that point) alone\n"
        "  --stop-after-insns N\n"
        "                      end the recording after N instructions in all, if\n"
        "                      the run has not ended by then (exit code %d; the\n"
        "                      replay ends there too): what rewind hunt\n"
        "                      --fail-on icount:N calls a hang\n"
        "  --fast-forward-until COND\n"
        "                      run the machine unrecorded until COND holds (insns:N,\n"
        "                      pc:ADDR or console:TEXT, as rewind run --until), then\n"
        "                      record from there, as with --from-checkpoint. With\n"
        "                      -accel tcg,thread=multi the unrecorded part runs in the\n"
        "                      fast mode (one thread per hart; COND as rewind run\n"
        "                      -accel tcg,thread=multi --until); the recording is\n"
        "                      always the deterministic engine's\n"
        "\n"
        "Drives behave as snapshot=on: the guest's writes stay in memory, the\n"
        "image files stay as recorded. SIGINT, SIGTERM, SIGHUP (a closed terminal)\n"
        "or SIGQUIT ends the recording cleanly (exit code 128 + the signal);\n"
        "otherwise the exit code is the guest's, as with rewind run. Events reach\n"
        "the file at least every 250 ms, so a recording killed otherwise loses at\n"
        "most that much. A console that can no longer be written (a closed pipe,\n"
        "a full disk) is reported once and then discarded: the recording goes on.\n"
        "A trace that can no longer be written (a full disk) ends the recording\n"
        "(exit 125, the file and the error named); what it holds replays up to its\n"
        "last complete frame. The trace has each image's hash as it was at the\n"
        "start: an image file whose bytes change during the recording (a drive is\n"
        "read as the guest asks) ends it, exit 125, naming the file.\n"
        "\n",
        (unsigned long long)REPLAY_DEFAULT_DIGEST_EVERY, REPLAY_EXIT_STOPPED);
    options_print_run_help(out);
}

typedef struct RecordCtx {
    const RunOptions *o;
    const RunCheckpoint *ck; /* --from-checkpoint */
    const char *path;
    int argc;
    char **argv;
    TraceConfig tc;
    uv_async_t wake;
    bool wake_open;
    bool trace_open; /* the file was created (truncated) */
} RecordCtx;

/* Between machine_new and the devices: header (from the resolved machine
 * configuration), trace, signal wake-up. */
static bool record_attach(Machine *m, void *vctx, char *err, size_t errlen)
{
    RecordCtx *c = vctx;
    if (!trace_config_from_options(&c->tc, c->o, &m->cfg, c->argc, c->argv, err, errlen))
        return false;
    run_checkpoint_embed(c->ck, &c->tc.hdr);
    if (!replay_record_attach(m, c->path, &c->tc.hdr, &record_stop_signal, err, errlen))
        return false;
    c->trace_open = true;
    if (uv_async_init(m->loop, &c->wake, record_wake_cb) == 0) {
        c->wake_open = true;
        /* It must not keep the loop alive: a guest waiting for input that
         * can never come must fail as it does under rewind run. */
        uv_unref((uv_handle_t *)&c->wake);
        record_wake_handle = &c->wake;
    }
    return true;
}

int cmd_record(int argc, char **argv)
{
    /* -o may stand anywhere; the rest are the machine options. */
    const char *path = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0;
    bool help = false, force = false;
    const char *ff_until = NULL; /* --fast-forward-until COND */
    uint64_t stop_after = 0;     /* --stop-after-insns N */
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output") ||
            !strcmp(argv[i], "-output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "rewind record: %s needs a file name\n", argv[i]);
                free(rest);
                return EXIT_REWIND_ERROR;
            }
            path = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
                   !strcmp(argv[i], "-help")) {
            help = true;
        } else if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-force")) {
            force = true;
        } else if (!strcmp(argv[i], "--stop-after-insns")) {
            if (i + 1 >= argc || !options_parse_count(argv[i + 1], &stop_after)) {
                fprintf(stderr, "rewind record: %s needs a number of instructions (at least "
                        "1)\n", argv[i]);
                free(rest);
                return EXIT_REWIND_ERROR;
            }
            i++;
        } else if (!strcmp(argv[i], "--fast-forward-until")) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr, "rewind record: %s needs a condition\n", argv[i]);
                free(rest);
                return EXIT_REWIND_ERROR;
            }
            ff_until = argv[++i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (help) {
        record_usage(stdout);
        free(rest);
        return 0;
    }
    RunOptions o;
    RunCheckpoint ck;
    char err[1024];
    bool parsed = run_checkpoint_extract(&ck, &nrest, rest, err, sizeof(err));
    if (parsed && ck.save_path) {
        snprintf(err, sizeof(err), "--until and --save-checkpoint are options of rewind run");
        parsed = false;
    }
    /* -accel tcg,thread=multi only runs the fast-forward (the hand-off):
     * the recording is always the deterministic engine's. */
    if (!parsed || !options_parse_run(&o, nrest, rest, err, sizeof(err)) ||
        (!ff_until && !options_refuse_multi_thread(&o, "record", err, sizeof(err)))) {
        fprintf(stderr, "rewind record: %s\n", err);
        free(rest);
        return EXIT_REWIND_ERROR;
    }
    if (o.help) { /* -d help */
        free(rest);
        return 0;
    }
    if (!path || !*path) {
        fprintf(stderr, "rewind record: no trace file: add -o TRACE (see rewind record --help)\n");
        free(rest);
        return EXIT_REWIND_ERROR;
    }
    if (o.dumpdtb) {
        fprintf(stderr, "rewind record: --dumpdtb does not run the machine: use rewind run\n");
        free(rest);
        return EXIT_REWIND_ERROR;
    }

    MachineConfig cfg;
    run_machine_config(&o, &cfg);
    if (ff_until && ck.from_path) {
        fprintf(stderr, "rewind record: --fast-forward-until and --from-checkpoint both say "
                "where to start: give one\n");
        free(rest);
        return EXIT_REWIND_ERROR;
    }
    if (ff_until) {
        /* The trace may not replace an input: checked before the run too. */
        OutputGuard early;
        output_guard_init(&early, force);
        output_guard_add_machine_inputs(&early, &o);
        if (!output_guard_check(&early, "-o", path ? path : "", OUTPUT_TRACE, err,
                                sizeof(err)) ||
            !run_checkpoint_fast_forward(&ck, ff_until, &o, &cfg, nrest, rest, err,
                                         sizeof(err))) {
            fprintf(stderr, "rewind record: %s\n", err);
            run_checkpoint_free(&ck);
            free(rest);
            return EXIT_REWIND_ERROR;
        }
        fprintf(stderr, "rewind record: fast-forwarded to icount %" PRIu64 " (%s): recording "
                "from here\n", ck.saved_icount, ff_until);
    }
    if (!run_checkpoint_options(&ck, &o, &cfg, err, sizeof(err))) {
        fprintf(stderr, "rewind record: %s\n", err);
        run_checkpoint_free(&ck);
        free(rest);
        return EXIT_REWIND_ERROR;
    }
    /* The recording is the deterministic engine's, whatever ran before. */
    o.multi_thread = cfg.multi_thread = false;
    options_apply_chaos(&o, &cfg, "record");
    if (!cfg.digest_every)
        cfg.digest_every = REPLAY_DEFAULT_DIGEST_EVERY;

    /* Nothing is opened for writing before every output is known safe. */
    OutputGuard guard;
    output_guard_init(&guard, force);
    output_guard_add_machine_inputs(&guard, &o);
    if (ck.from_path)
        output_guard_add_input(&guard, "--from-checkpoint", ck.from_path);
    if (!output_guard_check(&guard, "-o", path, OUTPUT_TRACE, err, sizeof(err)) ||
        !output_guard_check_machine_outputs(&guard, &o, err, sizeof(err))) {
        fprintf(stderr, "rewind record: %s\n", err);
        run_checkpoint_free(&ck);
        free(rest);
        return EXIT_REWIND_ERROR;
    }
    /* Drives as snapshot=on: the recorded image stays valid for replay. */
    TraceConfig snap = { 0 };
    RunOptions mo = o;
    for (unsigned i = 0; i < o.ndrives; i++)
        mo.drives[i] = trace_config_snapshot_drive(&snap, o.drives[i]);

    /* The command line as typed, for the header. */
    char **full = calloc((size_t)argc + 3, sizeof(char *));
    if (!full || !rest) {
        fprintf(stderr, "rewind record: out of memory\n");
        return EXIT_REWIND_ERROR;
    }
    full[0] = "rewind";
    full[1] = "record";
    memcpy(full + 2, argv, (size_t)argc * sizeof(char *));
    RecordCtx c = { .o = &o, .ck = &ck, .path = path, .argc = argc + 2, .argv = full };

    /* Every signal that means "stop" from a user or a session going away
     * ends the recording cleanly, with its index. */
    static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    enum { NSTOP = sizeof(stop_signals) / sizeof(stop_signals[0]) };
    struct sigaction sa = { .sa_handler = record_on_signal }, old_sa[NSTOP];
    sigemptyset(&sa.sa_mask);
    record_stop_signal = 0;
    for (int i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &sa, &old_sa[i]);

    RunSession s;
    int rc;
    bool ok = run_session_open(&s, &mo, &cfg, record_attach, &c, err, sizeof(err)) &&
              (!ck.from_path || run_checkpoint_load(&ck, s.m, err, sizeof(err)));
    if (!ok) {
        fprintf(stderr, "rewind record: %s\n", err);
        rc = EXIT_REWIND_ERROR;
    } else {
        s.m->digest_print = o.digest_every != 0; /* as rewind run --digest-every */
        if (stop_after)
            replay_record_stop_after(s.m, stop_after);
        rc = run_session_run(&s, "record", o.stats);
    }
    if (s.m && s.m->replay) {
        ReplayRecordStats st;
        if (!replay_record_finish(s.m, &st, err, sizeof(err))) {
            /* The writer's message names the file already. What is on disk
             * stays readable up to its last complete frame. */
            fprintf(stderr, "rewind record: %s%s%s\n", strncmp(err, path, strlen(path)) ? path : "",
                    strncmp(err, path, strlen(path)) ? ": " : "", err);
            fprintf(stderr, "rewind record: %s: the recording stopped at icount %" PRIu64
                    "; the file keeps %" PRIu64 " complete frames (%" PRIu64 " bytes): rewind "
                    "replay replays them (without the end, it says the recording was "
                    "interrupted, exit %d)\n",
                    path, machine_icount(s.m), st.frames, st.bytes_written,
                    REPLAY_EXIT_CUT_SHORT);
            rc = EXIT_REWIND_ERROR;
        } else if (ok) {
            if (st.stopped)
                fprintf(stderr, "rewind record: stopped after %" PRIu64 " instructions "
                        "(--stop-after-insns): the run was still going (exit code %d)\n",
                        stop_after, REPLAY_EXIT_STOPPED);
            if (st.image_changed[0]) {
                fprintf(stderr, "rewind record: %s: stopped at icount %" PRIu64 ": %s\n", path,
                        machine_icount(s.m), st.image_changed);
                rc = EXIT_REWIND_ERROR;
            }
            if (st.interrupted) {
                fprintf(stderr, "rewind record: interrupted by signal %d: the trace ends "
                        "here\n", st.interrupted);
                rc = 128 + st.interrupted;
            }
            fprintf(stderr, "rewind record: %s: %" PRIu64 " events, %" PRIu64
                    " bytes in %" PRIu64 " frames, icount %" PRIu64 "\n", path, st.events,
                    st.bytes_written, st.frames, machine_icount(s.m));
        }
    }
    if (c.wake_open) {
        record_wake_handle = NULL;
        uv_close((uv_handle_t *)&c.wake, NULL); /* closed by machine_free's loop turn */
    }
    run_session_close(&s);
    if (!ok && c.trace_open)
        unlink(path); /* nothing ran: no trace rather than a useless one */
    for (int i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &old_sa[i], NULL);
    trace_config_free(&c.tc);
    trace_config_free(&snap);
    run_checkpoint_free(&ck);
    free(full);
    free(rest);
    return rc;
}
