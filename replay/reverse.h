/* Reverse debugging of a replay: the GDB stub's bs (reverse-stepi), bc
 * (reverse-continue), `monitor seek ICOUNT` and `monitor when`, built on
 * checkpoints and exact forward runs.
 *
 * A replay is a pure function of its trace, so any earlier point of it is
 * reached by restoring a checkpoint taken before that point and running
 * forward with an exact instruction budget. The controller here (a
 * DebugController of core/debug.h, between the engine and the stub):
 *
 *  - takes checkpoints (core/snapshot.h plus the replay's cursor in the
 *    trace) on a grid of total icounts while the replay runs forward; when
 *    they exceed the memory budget, temporary ones go first, then every
 *    other grid checkpoint (the grid spacing doubles);
 *  - seeks: restore the nearest checkpoint at or before the target, run
 *    there with breakpoints off, dropping temporary checkpoints at
 *    geometrically closer points on the way, so that the next steps
 *    backwards replay little;
 *  - reverse-stepi on hart T whose icount is c: the point where T's icount
 *    first became c - 1, which is where a forward stepi from there would
 *    have stopped;
 *  - reverse-continue from P: scan the span [checkpoint, P) forward with
 *    the breakpoints and watchpoints on, counting hits; if any, restore
 *    and run to the last one; else the span before, down to the start
 *    (replaylog:begin). A watchpoint hit going backwards is reported just
 *    after the accessing instruction, so that GDB, which steps back over
 *    a RISC-V ("non-steppable") watchpoint, lands on that instruction with
 *    the memory as it was before it;
 *  - holds the machine at the end of the recording (replaylog:end)
 *    instead of letting it exit, so that the debugger can go back.
 *
 * Console output is muted while the controller runs spans on its own;
 * what the user runs forward is shown (again). */
#ifndef REWIND_REPLAY_REVERSE_H
#define REWIND_REPLAY_REVERSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;

/* Default memory budget for checkpoints. */
#define REVERSE_DEFAULT_CHECKPOINT_MEM (1024ULL << 20)

/* Turn on reverse debugging for a replaying machine with a GDB stub
 * (after replay_play_attach, virt_build and gdbstub_start, before
 * machine_run): takes the first checkpoint (the start). mem_budget: bytes
 * of checkpoints to keep at most. */
bool reverse_attach(struct Machine *m, uint64_t mem_budget, char *err, size_t errlen);

/* Parse a size: a number with an optional K, M, G suffix (powers of 2). */
bool reverse_parse_size(const char *s, uint64_t *bytes);

#endif
