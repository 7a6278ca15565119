/* The subcommands of the rewind tool. Each returns the process exit code. */
#ifndef REWIND_TOOLS_COMMANDS_H
#define REWIND_TOOLS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/machine.h"
#include "tools/options.h"

int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_pack(int argc, char **argv);

/* Exit code for errors of rewind itself (bad options, bad images, an
 * emulation failure), kept apart from small guest exit codes. */
enum { EXIT_REWIND_ERROR = 125 };

/* A machine built from the machine options; run, record and replay share
 * it (tools/cmd_run.c). */
typedef struct RunSession {
    Machine *m;
    FILE *logf;     /* -D */
    double seconds; /* host time spent in machine_run */
    const char *name; /* -name, for --stats (NULL: none) */
} RunSession;

/* Called when the machine exists but has no devices yet. */
typedef bool (*RunAttachFn)(Machine *m, void *ctx, char *err, size_t errlen);

/* The MachineConfig the options ask for. */
void run_machine_config(const RunOptions *o, MachineConfig *cfg);

/* machine_new(cfg), the log options, attach (may be NULL), then the virt
 * machine with o's images and devices. On failure, err says why; close s
 * in every case. */
bool run_session_open(RunSession *s, const RunOptions *o, const MachineConfig *cfg,
                      RunAttachFn attach, void *ctx, char *err, size_t errlen);

/* Run to the end. Returns the guest's exit code, or EXIT_REWIND_ERROR
 * after printing the emulator's error as "rewind WHO: ...". --stats
 * figures when stats. */
int run_session_run(RunSession *s, const char *who, bool stats);

void run_session_close(RunSession *s);

#endif
