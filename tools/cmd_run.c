/* `rewind run`: build the machine, load the images, run to the end. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot/loader.h"
#include "core/machine.h"
#include "devices/htif.h"
#include "tools/commands.h"
#include "tools/options.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_stats(const Machine *m, double seconds)
{
    const MachineStats *s = &m->stats;
    uint64_t insns = machine_icount(m);
    fprintf(stderr,
            "instructions:     %" PRIu64 "\n"
            "tbs translated:   %" PRIu64 "\n"
            "tb cache hits:    %" PRIu64 "\n"
            "tb cache misses:  %" PRIu64 "\n"
            "chain links:      %" PRIu64 "\n"
            "tb flushes:       %" PRIu64 "\n"
            "tb invalidations: %" PRIu64 "\n"
            "host seconds:     %.3f\n"
            "guest MIPS:       %.1f\n",
            insns, s->tbs_translated, s->tb_lookups_hit, s->tb_lookups_miss,
            s->chain_links, s->tb_flushes, s->tb_invalidations, seconds,
            seconds > 0 ? (double)insns / seconds / 1e6 : 0.0);
}

int cmd_run(int argc, char **argv)
{
    RunOptions o;
    char err[512];
    if (!options_parse_run(&o, argc, argv, err, sizeof(err))) {
        fprintf(stderr, "rewind run: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    if (o.help) {
        if (!o.log_mask)
            options_print_run_help(stdout);
        return 0;
    }
    MachineConfig cfg = { .ram_size = o.ram_size, .nharts = o.smp };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "rewind run: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    FILE *logf = NULL;
    if (o.log_file) {
        logf = fopen(o.log_file, "w");
        if (!logf) {
            fprintf(stderr, "rewind run: -D %s: cannot open for writing\n", o.log_file);
            machine_free(m);
            return EXIT_REWIND_ERROR;
        }
        m->log.out = logf;
    }
    m->log.mask = o.log_mask;
    BootConfig bc = { .bios = o.bios, .kernel = o.kernel, .append = o.append,
                      .console = stdout };
    int rc;
    if (!boot_load(m, &bc, err, sizeof(err))) {
        fprintf(stderr, "rewind run: %s\n", err);
        rc = EXIT_REWIND_ERROR;
    } else {
        double t0 = now_seconds();
        machine_run(m);
        double t1 = now_seconds();
        fflush(stdout);
        if (m->stop == STOP_ERROR) {
            fprintf(stderr, "rewind run: %s\n", m->error);
            rc = EXIT_REWIND_ERROR;
        } else {
            rc = m->exit_code;
        }
        if (o.stats)
            print_stats(m, t1 - t0);
    }
    if (m->htif)
        htif_free(m->htif);
    machine_free(m);
    if (logf)
        fclose(logf);
    return rc;
}
