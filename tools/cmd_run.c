/* `rewind run`: build the virt machine, load the images, run to the end. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot/virt.h"
#include "core/gdbstub.h"
#include "core/machine.h"
#include "tools/commands.h"
#include "tools/options.h"
#include "tools/output_file.h"
#include "tools/run_checkpoint.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_stats(const Machine *m, double seconds, const char *name)
{
    const MachineStats *s = &m->stats;
    uint64_t insns = machine_icount(m);
    if (name)
        fprintf(stderr, "name:             %s\n", name); /* -name */
    fprintf(stderr,
            "instructions:     %" PRIu64 "\n"
            "tbs translated:   %" PRIu64 "\n"
            "tb cache hits:    %" PRIu64 "\n"
            "tb cache misses:  %" PRIu64 "\n"
            "chain links:      %" PRIu64 " (native: %" PRIu64 ")\n"
            "tb flushes:       %" PRIu64 "\n"
            "backend:          %s%s\n"
            "host code flushes: %" PRIu64 "\n"
            "host code bytes:  %" PRIu64 "\n"
            "tb invalidations: %" PRIu64 "\n"
            "recompiles, io:   %" PRIu64 "\n"
            "recompiles, budget: %" PRIu64 "\n"
            "host seconds:     %.3f\n"
            "guest MIPS:       %.1f\n",
            insns, s->tbs_translated, s->tb_lookups_hit, s->tb_lookups_miss,
            s->chain_links, s->native_links, s->tb_flushes, machine_backend_name(m->cfg.backend),
            /* The fast mode does not count lookups (a shared counter would
             * cost every TB a locked add); the rest it counts under its
             * TB lock. */
            m->cfg.multi_thread ? " (fast mode: tb cache hits and misses not counted)" : "",
            s->host_code_flushes, s->host_code_bytes, s->tb_invalidations, s->recompile_io,
            s->recompile_budget, seconds,
            seconds > 0 ? (double)insns / seconds / 1e6 : 0.0);
}

void run_machine_config(const RunOptions *o, MachineConfig *cfg)
{
    *cfg = (MachineConfig){ .ram_size = o->ram_size, .nharts = o->smp,
                            .icount = o->icount, .quantum = o->quantum,
                            .digest_every = o->digest_every, .no_reboot = o->no_reboot,
                            .backend = (MachineBackend)o->backend,
                            .multi_thread = o->multi_thread,
                            .code_buffer_size = o->code_buffer_size,
                            .isa_ext = o->isa_ext };
}

bool run_session_open(RunSession *s, const RunOptions *o, const MachineConfig *cfg,
                      RunAttachFn attach, void *ctx, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    options_print_notes(o, "rewind: ", stderr); /* what is accepted but ignored */
    s->name = o->name;
    Machine *m = machine_new(cfg, err, errlen);
    if (!m)
        return false;
    s->m = m;
    if (o->log_file) {
        s->logf = fopen(o->log_file, "w");
        if (!s->logf) {
            snprintf(err, errlen, "-D %s: cannot open for writing", o->log_file);
            return false;
        }
        m->log.out = s->logf;
    }
    m->log.mask = o->log_mask;
    /* Record and replay hook in before the devices exist: the devices
     * read host input (the RTC's base time) while they are built. */
    if (attach && !attach(m, ctx, err, errlen))
        return false;
    VirtConfig vc = {
        .bios = o->bios, .kernel = o->kernel, .initrd = o->initrd, .append = o->append,
        .serial = o->serial, .rtc = o->rtc,
        .drives = o->drives, .ndrives = o->ndrives,
        .devices = o->devices, .ndevices = o->ndevices,
        .netdevs = o->netdevs, .nnetdevs = o->nnetdevs, .nics = o->nics, .nnics = o->nnics,
        .objects = o->objects, .nobjects = o->nobjects,
        .dumpdtb = o->dumpdtb, .console = o->console_out ? o->console_out : stdout,
    };
    if (!virt_build(m, &vc, err, errlen))
        return false;
    /* -s / -gdb / -S: the stub serves from the machine's event loop. */
    const char *gdb = o->gdb ? o->gdb : o->gdb_wait ? GDBSTUB_DEFAULT_SPEC : NULL;
    return !gdb || o->dumpdtb || gdbstub_start(m, gdb, o->gdb_wait, err, errlen);
}

int run_session_run(RunSession *s, const char *who, bool stats)
{
    Machine *m = s->m;
    double t0 = now_seconds();
    machine_run(m);
    s->seconds = now_seconds() - t0;
    fflush(stdout);
    int rc;
    if (m->stop == STOP_ERROR) {
        fprintf(stderr, "rewind %s: %s\n", who, m->error);
        rc = EXIT_REWIND_ERROR;
    } else {
        rc = m->exit_code;
    }
    if (stats)
        print_stats(m, s->seconds, s->name);
    return rc;
}

void run_session_close(RunSession *s)
{
    Machine *m = s->m;
    machine_free(m); /* HTIF included */
    if (s->logf)
        fclose(s->logf);
    memset(s, 0, sizeof(*s));
}

/* What the fast mode (-accel tcg,thread=multi) cannot do yet, or ever
 * (--from-checkpoint it can: the threads start from the loaded state):
 * the options of the deterministic engine's clock and schedule. (--until
 * COND --save-checkpoint FILE is the hand-off: tools/run_checkpoint.h.) */
static bool run_check_fast_mode(const RunOptions *o, const RunCheckpoint *ck, char *err,
                                size_t errlen)
{
    if (!o->multi_thread)
        return true;
    const char *what = o->icount.ns_per_insn || o->icount.pace ? "-icount (its time is the host's)"
                       : o->quantum ? "--quantum (every hart runs all the time)"
                       : o->chaos ? "--chaos (the host schedules the threads)"
                       : o->digest_every ? "--digest-every (runs differ: nothing to compare)"
                       : o->gdb || o->gdb_wait ? "-s/-gdb/-S (not yet)"
                       : NULL;
    if (what)
        snprintf(err, errlen, "-accel tcg,thread=multi does not go with %s", what);
    return what == NULL;
}

/* -D, --dumpdtb, -serial file:, --save-checkpoint: never over an input. */
static bool run_check_outputs(const RunOptions *o, const RunCheckpoint *ck, char *err,
                              size_t errlen)
{
    OutputGuard guard;
    output_guard_init(&guard, false);
    output_guard_add_machine_inputs(&guard, o);
    if (ck->from_path)
        output_guard_add_input(&guard, "--from-checkpoint", ck->from_path);
    return output_guard_check_machine_outputs(&guard, o, err, errlen) &&
           (!ck->save_path || output_guard_check(&guard, "--save-checkpoint", ck->save_path,
                                                 OUTPUT_PLAIN, err, errlen));
}

int cmd_run(int argc, char **argv)
{
    RunOptions o;
    RunCheckpoint ck;
    char err[512];
    if (!run_checkpoint_extract(&ck, &argc, argv, err, sizeof(err)) ||
        !options_parse_run(&o, argc, argv, err, sizeof(err))) {
        fprintf(stderr, "rewind run: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    if (o.help) {
        if (!o.printed_list) {
            options_print_run_help(stdout);
            run_checkpoint_print_help(stdout);
        }
        return 0;
    }
    MachineConfig cfg;
    run_machine_config(&o, &cfg);
    RunSession s = { 0 };
    int rc;
    if (!run_check_fast_mode(&o, &ck, err, sizeof(err)) ||
        !run_checkpoint_options(&ck, &o, &cfg, err, sizeof(err)) ||
        (options_apply_chaos(&o, &cfg, "run"), false) ||
        !run_check_outputs(&o, &ck, err, sizeof(err)) ||
        !run_session_open(&s, &o, &cfg, NULL, NULL, err, sizeof(err)) ||
        (ck.from_path && !run_checkpoint_load(&ck, s.m, err, sizeof(err))) ||
        !run_checkpoint_arm(&ck, s.m, &o, argc, argv, err, sizeof(err))) {
        fprintf(stderr, "rewind run: %s\n", err);
        rc = EXIT_REWIND_ERROR;
    } else if (o.dumpdtb) {
        rc = 0; /* as QEMU: the tree is written, nothing runs */
    } else {
        rc = run_checkpoint_finish(&ck, run_session_run(&s, "run", o.stats));
    }
    run_session_close(&s);
    run_checkpoint_free(&ck);
    return rc;
}
