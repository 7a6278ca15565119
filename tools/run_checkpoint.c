/* `rewind run` and checkpoint files: --until COND --save-checkpoint FILE
 * stops the run where COND holds and writes the machine to FILE;
 * --from-checkpoint FILE builds the machine the checkpoint describes and
 * goes on from its state. */
#include "tools/run_checkpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/debug.h"
#include "replay/checkpoint.h"
#include "translator/tb_cache.h"
#include "tools/commands.h"

/* Take argv[i] (and its value) out of argv. */
static void drop_args(int *argc, char **argv, int i, int n)
{
    memmove(argv + i, argv + i + n, (size_t)(*argc - i - n) * sizeof(*argv));
    *argc -= n;
}

static bool parse_until(RunCheckpoint *rc, const char *v, char *err, size_t errlen)
{
    char *end;
    if (!strncmp(v, "insns:", 6) && v[6] && v[6] != '-') {
        rc->until = RUN_UNTIL_INSNS;
        rc->until_value = strtoull(v + 6, &end, 10);
        if (!*end && rc->until_value > 0)
            return true;
    } else if (!strncmp(v, "pc:", 3) && v[3] && v[3] != '-') {
        rc->until = RUN_UNTIL_PC;
        rc->until_value = strtoull(v + 3, &end, 0);
        if (!*end && rc->until_value % 2 == 0)
            return true;
    } else if (!strncmp(v, "time:", 5) && v[5] && v[5] != '-') {
        rc->until = RUN_UNTIL_TIME;
        double seconds = strtod(v + 5, &end);
        if (!*end && seconds > 0 && seconds < 1e9) {
            rc->until_value = (uint64_t)(seconds * 1e9);
            return true;
        }
    } else if (!strcmp(v, "signal") || !strcmp(v, "signal:USR1")) {
        rc->until = RUN_UNTIL_SIGNAL;
        return true;
    } else if (!strncmp(v, "console:", 8) && v[8]) {
        rc->until = RUN_UNTIL_CONSOLE;
        rc->until_text = v + 8;
        if (strlen(rc->until_text) <= RUN_UNTIL_TEXT_MAX)
            return true;
    }
    snprintf(err, errlen, "--until '%s': expected insns:N (N > 0 total instructions), "
             "pc:ADDR (an even address), console:TEXT (1 to %d bytes), or in the fast "
             "mode time:SECONDS (host time, > 0) or signal (SIGUSR1)", v,
             RUN_UNTIL_TEXT_MAX);
    return false;
}

bool run_checkpoint_extract(RunCheckpoint *rc, int *argc, char **argv, char *err,
                            size_t errlen)
{
    memset(rc, 0, sizeof(*rc));
    for (int i = 0; i < *argc;) {
        const char *a = argv[i];
        bool until = !strcmp(a, "--until"), save = !strcmp(a, "--save-checkpoint"),
             from = !strcmp(a, "--from-checkpoint");
        if (!until && !save && !from) {
            i++;
            continue;
        }
        if (i + 1 >= *argc || !argv[i + 1][0]) {
            snprintf(err, errlen, "%s expects a value", a);
            return false;
        }
        const char *v = argv[i + 1];
        if (until && !parse_until(rc, v, err, errlen))
            return false;
        if (until)
            rc->until_spec = v;
        if (save)
            rc->save_path = v;
        if (from)
            rc->from_path = v;
        drop_args(argc, argv, i, 2);
    }
    if ((rc->until != RUN_UNTIL_NONE) != (rc->save_path != NULL)) {
        snprintf(err, errlen, "--until and --save-checkpoint go together (where to stop, and "
                 "the file to write there)");
        return false;
    }
    return true;
}

void run_checkpoint_print_help(FILE *out)
{
    fprintf(out,
        "\nCheckpoints (a whole machine in one file; rewind dump FILE shows one):\n"
        "  --until COND --save-checkpoint FILE\n"
        "                       stop where COND holds and write the machine to FILE\n"
        "                       (drives run as snapshot=on). COND: insns:N (total\n"
        "                       retired instructions reach N, exactly), pc:ADDR (a\n"
        "                       hart is about to execute ADDR) or console:TEXT (TEXT\n"
        "                       appeared on the console). Exit 0 once written;\n"
        "                       125 if the guest ends first (no file is written).\n"
        "                       With -accel tcg,thread=multi (the fast mode) every hart\n"
        "                       stops at a quiescent point soon after COND holds:\n"
        "                       insns:N is then approximate (N or a little more),\n"
        "                       console:TEXT, time:SECONDS (host time) and signal (a\n"
        "                       SIGUSR1) work, and pc:ADDR (the first hart to reach ADDR\n"
        "                       stops before it; the others at their next block). The\n"
        "                       checkpoint's clock is the fast mode's (host) clock at\n"
        "                       the stop.\n"
        "  --from-checkpoint FILE\n"
        "                       run the machine FILE describes (its images, checked\n"
        "                       against their hashes) from its state; the machine\n"
        "                       options come from FILE. With the same --digest-every\n"
        "                       as the run that wrote it, the digests are those of the\n"
        "                       run that never stopped.\n");
}

/* ---- --from-checkpoint */

bool run_checkpoint_options(RunCheckpoint *rc, RunOptions *o, MachineConfig *cfg, char *err,
                            size_t errlen)
{
    if (!rc->from_path) {
        /* Drives as snapshot=on (as record does): what the checkpoint holds
         * of a disk is its overlay, and the image stays as it is. */
        for (unsigned i = 0; rc->save_path && i < o->ndrives; i++)
            o->drives[i] = trace_config_snapshot_drive(&rc->tc, o->drives[i]);
        return true;
    }
    if (!rc->ckpt && (o->bios || o->kernel || o->initrd || o->append || o->ndrives ||
                      o->ndevices || o->nnetdevs || o->nnics)) {
        snprintf(err, errlen, "--from-checkpoint: the machine (images, drives, devices) "
                 "comes from the checkpoint; give no -bios, -kernel, -initrd, -append, "
                 "-drive, -device, -netdev or -nic");
        return false;
    }
    if (!rc->ckpt && !(rc->ckpt = checkpoint_open(rc->from_path, err, errlen)))
        return false;
    const TraceHeader *h = checkpoint_machine(rc->ckpt);
    /* The machine's options come from the checkpoint (which sets them
     * all); what only concerns this run comes from this command line. */
    const RunOptions mine = *o;
    if (!trace_config_cpu_agrees(h, mine.cpu, mine.isa_ext, err, errlen) ||
        !trace_config_to_options(&rc->from_tc, h, NULL, 0, o, cfg, err, errlen) ||
        !trace_config_check_images(h, NULL, 0, err, errlen))
        return false;
    o->stats = mine.stats;
    o->log_mask = mine.log_mask;
    o->log_file = mine.log_file;
    o->digest_every = cfg->digest_every = mine.digest_every;
    /* The engine and backend are not the machine's: this run's choice. */
    o->backend = mine.backend;
    cfg->backend = (MachineBackend)mine.backend;
    o->code_buffer_size = cfg->code_buffer_size = mine.code_buffer_size;
    o->multi_thread = cfg->multi_thread = mine.multi_thread;
    if (o->nnetdevs || o->nnics)
        /* The machine is built anew from the checkpoint, slirp with it
         * (also after --fast-forward-until: its machine is gone). */
        fprintf(stderr, "rewind: note: %s%s: the guest's network comes up with the link "
                "up, but its connections to the host from before %s are gone (user "
                "networking starts afresh; forwarded ports listen again)\n",
                rc->from_path == rc->ff_name ? "" : "--from-checkpoint ", rc->from_path,
                rc->from_path == rc->ff_name ? "the hand-off" : "the checkpoint");
    /* --chaos here replaces the checkpoint's schedule (if it had one). */
    o->chaos = mine.chaos;
    o->chaos_seed_given = mine.chaos_seed_given;
    o->chaos_seed = mine.chaos_seed;
    return true;
}

/* Load c into m; this run's digests are counted from there. */
static bool load_here(const Checkpoint *c, Machine *m, char *err, size_t errlen)
{
    if (!checkpoint_load(c, m, err, errlen))
        return false;
    m->next_digest = m->cfg.digest_every ? machine_icount(m) + m->cfg.digest_every
                                         : UINT64_MAX;
    return true;
}

bool run_checkpoint_load(RunCheckpoint *rc, Machine *m, char *err, size_t errlen)
{
    return load_here(rc->ckpt, m, err, errlen);
}

void run_checkpoint_embed(const RunCheckpoint *rc, TraceHeader *h)
{
    if (!rc->ckpt)
        return;
    h->start_checkpoint = rc->from_path;
    h->start_state = checkpoint_bytes(rc->ckpt, &h->start_state_len);
}

bool run_checkpoint_start_state(Machine *m, const TraceHeader *h, char *err, size_t errlen)
{
    if (!h->start_state)
        return true;
    char name[512];
    snprintf(name, sizeof(name), "the trace's start checkpoint (%s)",
             h->start_checkpoint ? h->start_checkpoint : "unnamed");
    Checkpoint *c = checkpoint_open_bytes(h->start_state, h->start_state_len, name, err,
                                          errlen);
    bool ok = c && load_here(c, m, err, errlen);
    checkpoint_close(c);
    return ok;
}

/* ---- --until / --save-checkpoint */

static void until_stopped(void *opaque, const DebugStop *why)
{
    RunCheckpoint *rc = opaque;
    Machine *m = rc->m;
    (void)why;
    char err[512];
    if (!checkpoint_write(m, &rc->tc.hdr, rc->save_path, err, sizeof(err))) {
        machine_fail(m, "%s", err);
        return;
    }
    rc->saved = true;
    rc->saved_icount = machine_icount(m);
    machine_request_exit(m, 0);
}

/* console:TEXT: every console byte; a stop is requested once the last
 * bytes are TEXT. */
static void until_console_byte(void *opaque, uint8_t byte)
{
    RunCheckpoint *rc = opaque;
    size_t n = strlen(rc->until_text);
    if (rc->text_found)
        return;
    rc->seen[rc->nseen % n] = byte;
    rc->nseen++;
    if (rc->nseen < n)
        return;
    for (size_t i = 0; i < n; i++)
        if (rc->seen[(rc->nseen + i) % n] != (uint8_t)rc->until_text[i])
            return;
    rc->text_found = true;
    if (!rc->fast) /* the fast mode's timer thread sees text_found */
        debug_request_stop(rc->m, DEBUG_STOP_REQUEST);
}

/* signal: the fast mode's timer thread looks at this every millisecond
 * (atomic: the handler may run on any thread; lock-free, so signal-safe). */
static int got_stop_signal;

static void on_stop_signal(int sig)
{
    (void)sig;
    __atomic_store_n(&got_stop_signal, 1, __ATOMIC_RELAXED);
}

/* Machine.fast_until: under the device lock, which the console watch
 * (where text_found is set) is called under too. */
static bool fast_until_holds(void *opaque, uint64_t run_ns)
{
    const RunCheckpoint *rc = opaque;
    switch (rc->until) {
    case RUN_UNTIL_CONSOLE: return rc->text_found;
    case RUN_UNTIL_TIME: return run_ns >= rc->until_value;
    case RUN_UNTIL_SIGNAL: return __atomic_load_n(&got_stop_signal, __ATOMIC_RELAXED) != 0;
    default: return false;
    }
}

/* The fast mode's stop: the checkpoint is written now, with every hart
 * stopped and the clock handed over (core/mt_run.c). */
static void fast_hand_off(RunCheckpoint *rc)
{
    Machine *m = rc->m;
    if (!rc->fast || rc->saved || !m || !m->fast_until_reached || m->stop != STOP_NONE)
        return;
    char err[512];
    if (!checkpoint_write(m, &rc->tc.hdr, rc->save_path, err, sizeof(err))) {
        fprintf(stderr, "rewind: %s\n", err);
        return;
    }
    rc->saved = true;
    rc->saved_icount = machine_icount(m);
    fprintf(stderr, "rewind: fast mode handed off at icount %" PRIu64 ", guest clock %" PRIu64
            " ns, fast mode's clock %" PRIu64 " ns (%s)\n", rc->saved_icount,
            machine_clock_ns(m), m->fast_end_clock_ns, rc->until_spec);
    if (m->fast_clock_lead_ns)
        fprintf(stderr, "rewind: the instruction count's clock was %" PRIu64 " ns ahead of "
                "the host's: the guest's time jumps forward by that much here\n",
                m->fast_clock_lead_ns);
}

/* Arm COND for the fast mode (Machine.fast_until). */
static bool arm_fast(RunCheckpoint *rc, Machine *m, char *err, size_t errlen)
{
    rc->fast = true;
    switch (rc->until) {
    case RUN_UNTIL_PC:
        /* Only the TB that starts at ADDR checks (core/mt_run.h): TBs
         * translated before are dropped. */
        m->fast_until_pc = rc->until_value;
        m->fast_until_pc_on = true;
        tb_cache_flush(m);
        return true;
    case RUN_UNTIL_INSNS:
        m->fast_until_insns = rc->until_value;
        return true;
    case RUN_UNTIL_CONSOLE:
        m->console_watch = until_console_byte;
        m->console_watch_opaque = rc;
        break;
    case RUN_UNTIL_SIGNAL: {
        struct sigaction sa = { .sa_handler = on_stop_signal };
        sigemptyset(&sa.sa_mask);
        __atomic_store_n(&got_stop_signal, 0, __ATOMIC_RELAXED);
        sigaction(SIGUSR1, &sa, NULL);
        break;
    }
    default:
        break;
    }
    m->fast_until = fast_until_holds;
    m->fast_until_opaque = rc;
    return true;
}

bool run_checkpoint_arm(RunCheckpoint *rc, Machine *m, const RunOptions *o, int argc,
                        char **argv, char *err, size_t errlen)
{
    if (!rc->save_path)
        return true;
    if (o->gdb || o->gdb_wait) {
        snprintf(err, errlen, "--until cannot be combined with a debugger (-s, -S, -gdb)");
        return false;
    }
    rc->m = m;
    if (!trace_config_from_options(&rc->tc, o, &m->cfg, argc, argv, err, errlen))
        return false;
    if (rc->until == RUN_UNTIL_INSNS && rc->until_value <= machine_icount(m)) {
        snprintf(err, errlen, "--until insns:%" PRIu64 ": the run starts at %" PRIu64,
                 rc->until_value, machine_icount(m));
        return false;
    }
    if (o->multi_thread)
        return arm_fast(rc, m, err, errlen);
    if (rc->until == RUN_UNTIL_TIME || rc->until == RUN_UNTIL_SIGNAL) {
        snprintf(err, errlen, "--until %s: host time and signals are the fast mode's "
                 "(-accel tcg,thread=multi); the deterministic engine stops at insns:N, "
                 "pc:ADDR or console:TEXT", rc->until_spec);
        return false;
    }
    DebugFrontEnd fe = { .opaque = rc, .stopped = until_stopped };
    if (!debug_attach(m, &fe)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (rc->until == RUN_UNTIL_INSNS) {
        debug_set_stop_icount(m, rc->until_value);
    } else if (rc->until == RUN_UNTIL_CONSOLE) {
        m->console_watch = until_console_byte;
        m->console_watch_opaque = rc;
    } else if (!debug_bp_insert(m, rc->until_value, DEBUG_BP_SW)) {
        snprintf(err, errlen, "--until pc:0x%" PRIx64 ": cannot set a breakpoint there",
                 rc->until_value);
        return false;
    }
    return true;
}

int run_checkpoint_finish(RunCheckpoint *rc, int rc_run)
{
    if (!rc->save_path || rc_run == EXIT_REWIND_ERROR)
        return rc_run;
    fast_hand_off(rc);
    if (!rc->saved) {
        fprintf(stderr, "rewind run: the machine stopped (exit code %d) before --until was "
                "reached: no checkpoint written\n", rc_run);
        return EXIT_REWIND_ERROR;
    }
    fprintf(stderr, "rewind run: checkpoint at icount %" PRIu64 " written to %s\n",
            rc->saved_icount, rc->save_path);
    return 0;
}

bool run_checkpoint_fast_forward(RunCheckpoint *rc, const char *cond, const RunOptions *o,
                                 const MachineConfig *cfg, int argc, char **argv, char *err,
                                 size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/rewind-fast-forward-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, errlen, "--fast-forward-until: cannot create a temporary file in %s: %s",
                 dir && *dir ? dir : "/tmp", strerror(errno));
        return false;
    }
    close(fd);
    if (!parse_until(rc, cond, err, errlen)) {
        unlink(path);
        return false;
    }
    rc->until_spec = cond;
    rc->save_path = path;
    RunOptions fo = *o;
    MachineConfig fcfg = *cfg;
    fcfg.digest_every = 0; /* nothing is recorded yet */
    fo.digest_every = 0;
    TraceConfig snap = { 0 };
    for (unsigned i = 0; i < fo.ndrives; i++) /* what the checkpoint keeps of a disk */
        fo.drives[i] = trace_config_snapshot_drive(&snap, fo.drives[i]);
    RunSession s = { 0 };
    bool ok = run_session_open(&s, &fo, &fcfg, NULL, NULL, err, errlen) &&
              run_checkpoint_arm(rc, s.m, &fo, argc, argv, err, errlen);
    if (ok) {
        int code = run_session_run(&s, "record", false);
        fast_hand_off(rc);
        ok = rc->saved;
        if (!ok)
            snprintf(err, errlen, "the machine stopped (exit code %d) before "
                     "--fast-forward-until %s was reached: nothing recorded", code, cond);
    }
    run_session_close(&s);
    trace_config_free(&snap);
    trace_config_free(&rc->tc);
    if (ok)
        rc->ckpt = checkpoint_open(path, err, errlen);
    unlink(path);
    rc->save_path = NULL;
    if (!rc->ckpt)
        return false;
    snprintf(rc->ff_name, sizeof(rc->ff_name), "fast-forward until %s", cond);
    rc->from_path = rc->ff_name;
    return true;
}

void run_checkpoint_free(RunCheckpoint *rc)
{
    checkpoint_close(rc->ckpt);
    trace_config_free(&rc->tc);
    trace_config_free(&rc->from_tc);
    memset(rc, 0, sizeof(*rc));
}
