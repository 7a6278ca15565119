/* Checkpoint files from `rewind run` (replay/checkpoint.h):
 *   --until COND --save-checkpoint FILE   stop where COND holds, write FILE
 *   --from-checkpoint FILE                start from FILE's machine and state
 * COND is insns:N (the machine's total retired instructions reach N,
 * exactly), pc:ADDR (a hart is about to execute the instruction at ADDR)
 * or console:TEXT (TEXT appeared on the guest's console: the machine stops
 * at the end of that slice).
 * The stop is a debugger stop inside the round robin (core/debug.h), so a
 * run that stops there is the same run as one that does not.
 * In the fast mode (-accel tcg,thread=multi) the stop is the hand-off
 * (Machine.fast_until, core/mt_run.c): every hart thread stops at a TB
 * boundary soon after COND holds (insns:N: the total reached N or more;
 * console:TEXT; time:SECONDS of host time; signal: a SIGUSR1), and the
 * checkpoint is written from there (pc:ADDR is refused). */
#ifndef REWIND_TOOLS_RUN_CHECKPOINT_H
#define REWIND_TOOLS_RUN_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/machine.h"
#include "tools/options.h"
#include "tools/trace_config.h"

struct Checkpoint;

typedef enum {
    RUN_UNTIL_NONE,
    RUN_UNTIL_INSNS,
    RUN_UNTIL_PC,
    RUN_UNTIL_CONSOLE,
    RUN_UNTIL_TIME,   /* time:SECONDS, fast mode only (host time) */
    RUN_UNTIL_SIGNAL, /* signal (SIGUSR1), fast mode only */
} RunUntilKind;

enum { RUN_UNTIL_TEXT_MAX = 256 };

typedef struct RunCheckpoint {
    RunUntilKind until;
    uint64_t until_value;  /* insns:N, pc:ADDR; time: in nanoseconds */
    const char *until_text;   /* console:TEXT */
    const char *until_spec;   /* COND as given */
    const char *save_path; /* --save-checkpoint */
    const char *from_path; /* --from-checkpoint */
    /* Internal. */
    Machine *m;
    TraceConfig tc;        /* the header written into the checkpoint */
    TraceConfig from_tc;   /* the machine options read from one */
    struct Checkpoint *ckpt;
    bool saved;
    bool fast;             /* the fast mode runs up to the stop (hand-off) */
    uint64_t saved_icount;
    uint8_t seen[RUN_UNTIL_TEXT_MAX]; /* the console's last bytes, a ring */
    size_t nseen;
    bool text_found;
    char ff_name[RUN_UNTIL_TEXT_MAX + 64]; /* from_path after a fast-forward */
} RunCheckpoint;

/* Take these options out of argv (the rest are machine options). false
 * with a message on a bad value or an incomplete pair. */
bool run_checkpoint_extract(RunCheckpoint *rc, int *argc, char **argv, char *err,
                            size_t errlen);

/* Before the machine is built. --from-checkpoint: open the file and
 * replace the machine options by the checkpoint's machine (images checked
 * against their hashes); the run's own options (--stats, --digest-every,
 * -d, -D) stay. --save-checkpoint: drives become snapshot=on. */
bool run_checkpoint_options(RunCheckpoint *rc, RunOptions *o, MachineConfig *cfg, char *err,
                            size_t errlen);

/* --from-checkpoint: put the state into the built machine. */
bool run_checkpoint_load(RunCheckpoint *rc, Machine *m, char *err, size_t errlen);

/* A recording from --from-checkpoint: the header names the checkpoint and
 * carries its bytes (valid while rc is). */
void run_checkpoint_embed(const RunCheckpoint *rc, TraceHeader *h);

/* A replay of such a recording: load the header's start state into m
 * (nothing to do without one). */
bool run_checkpoint_start_state(Machine *m, const TraceHeader *h, char *err, size_t errlen);

/* --until: arm the stop on the built machine (before it runs). */
bool run_checkpoint_arm(RunCheckpoint *rc, Machine *m, const RunOptions *o, int argc,
                        char **argv, char *err, size_t errlen);

/* After the run: the exit code, with a message when --until was never
 * reached (the guest ended first: an error). */
int run_checkpoint_finish(RunCheckpoint *rc, int rc_run);

/* record --fast-forward-until COND: run the machine of o/cfg (not
 * recorded) until COND holds, and keep its state as if --from-checkpoint
 * had named a file holding it (from_path then describes the
 * fast-forward). The guest's console shows as with rewind run. false with
 * a message when COND is bad or never reached. */
bool run_checkpoint_fast_forward(RunCheckpoint *rc, const char *cond, const RunOptions *o,
                                 const MachineConfig *cfg, int argc, char **argv, char *err,
                                 size_t errlen);

void run_checkpoint_free(RunCheckpoint *rc);

/* The part of `rewind run --help` about these options. */
void run_checkpoint_print_help(FILE *out);

#endif
