/* The engine-facing half of the debugger: breakpoints, watchpoints, single
 * steps and the stopped/running state of the machine. The GDB stub
 * (core/gdbstub.c) is one front end; a replay-driven seek (reverse
 * debugging) is meant to be another user of the same stop/resume calls.
 *
 * How a stop happens. Something sets m->debug_pending (a breakpoint op, a
 * watched access, a finished step, debug_request_stop). The run loop looks
 * at the flag at every slice boundary and calls debug_serve(), which tells
 * the front end why the machine stopped and then runs the host event loop
 * (the debugger's socket) until the front end calls debug_resume() or the
 * machine is told to exit. The stop happens inside the current hart's turn
 * and the turn goes on afterwards exactly where it was: a debugger never
 * changes the round-robin schedule, so a run (or a replay) debugged and
 * stepped through retires the same instructions in the same order as one
 * that was not.
 *
 * Breakpoints are on virtual pcs and apply to every hart. The translator
 * starts a TB at each one with a debug op (debug_op_break) that abandons
 * the TB before the instruction, as an exception would but without a trap.
 * Adding or removing one drops every TB.
 *
 * Watchpoints are on virtual data addresses, any length. Pages holding one
 * get no soft-TLB entry for the watched kind of access, so those accesses
 * reach the slow path, which checks the ranges. A hit stops the hart
 * before the accessing instruction, which does not retire: GDB's RISC-V
 * target expects that ("non-steppable" watchpoints: GDB itself steps over
 * the access with the watchpoint removed, then reports the new value).
 * Resuming a hart executes the instruction it stopped at past its
 * breakpoints and watchpoints. */
#ifndef REWIND_CORE_DEBUG_H
#define REWIND_CORE_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translator/op.h"

struct Machine;
typedef struct Debug Debug;

/* Breakpoint kinds (GDB's Z0 and Z1; both work the same way here and only
 * the stop reply differs). */
enum { DEBUG_BP_SW = 1, DEBUG_BP_HW = 2 };

/* Watchpoint kinds (Z2, Z3, Z4): a bit mask of the accesses that hit. */
enum { DEBUG_WATCH_WRITE = 1, DEBUG_WATCH_READ = 2, DEBUG_WATCH_ACCESS = 3 };

typedef enum {
    DEBUG_STOP_NONE = 0,
    DEBUG_STOP_REQUEST,   /* debug_request_stop: -S, a debugger attached */
    DEBUG_STOP_INTERRUPT, /* ctrl-C from the debugger */
    DEBUG_STOP_BREAK,     /* a breakpoint: hart at addr, bp_kind */
    DEBUG_STOP_WATCH,     /* a watchpoint: after the access to addr */
    DEBUG_STOP_STEP,      /* a stepping hart retired its instruction */
    DEBUG_STOP_ICOUNT,    /* the machine reached debug_set_stop_icount's target */
    DEBUG_STOP_HISTORY_BEGIN, /* reverse execution reached the start of the recording */
    DEBUG_STOP_HISTORY_END,   /* forward execution reached the end of the recording */
} DebugStopKind;

typedef struct DebugStop {
    DebugStopKind kind;
    int hart;          /* the hart that stopped, -1 when none in particular */
    uint64_t addr;     /* BREAK: the pc; WATCH: the data address hit */
    int bp_kind;       /* BREAK: DEBUG_BP_SW or DEBUG_BP_HW */
    int watch_kind;    /* WATCH: the kind of the watchpoint that hit */
} DebugStop;

/* The front end (the GDB stub). Any hook may be NULL. */
typedef struct DebugFrontEnd {
    void *opaque;
    /* The machine just stopped (called from debug_serve, before waiting). */
    void (*stopped)(void *opaque, const DebugStop *why);
    /* The machine stopped for good (guest exit or an emulator error). */
    void (*exited)(void *opaque);
    /* Release the front end (from debug_free, i.e. machine_free): close
     * its libuv handles; the loop runs their close callbacks afterwards. */
    void (*release)(void *opaque);
} DebugFrontEnd;

/* A controller sits between the engine and the front end: reverse
 * debugging in a replay (replay/reverse.c) drives the machine through
 * checkpoints and forward runs that the front end must not see. Any hook
 * may be NULL. */
typedef struct DebugController {
    void *opaque;
    /* The machine stopped (first thing in debug_serve, before the one-shot
     * targets are cleared). Return true to take the stop for itself: the
     * controller has let the machine go on (debug_continue), or restored a
     * checkpoint and resumed it, or, with the machine still stopped, has
     * answered the front end by other means. false passes the stop on to
     * the front end; *why may have been changed. */
    bool (*stopped)(void *opaque, DebugStop *why);
    /* The front end resumed the machine (debug_resume): the controller may
     * add targets of its own (debug_set_stop_icount). */
    void (*resumed)(void *opaque);
    /* The machine reached its end (guest exit, the end of the recording)
     * while a debugger is attached: true to hold it there, stopped with
     * DEBUG_STOP_HISTORY_END, so that the debugger can go back. */
    bool (*hold_at_end)(void *opaque);
} DebugController;

/* Attach the debugger state to m (once; m->debug). Returns false when out
 * of memory. */
bool debug_attach(struct Machine *m, const DebugFrontEnd *fe);
/* Called by machine_free. */
void debug_free(struct Machine *m);

/* ---- breakpoints and watchpoints (all return false on bad arguments or
 * when out of memory; removing one that does not exist is an error) */
bool debug_bp_insert(struct Machine *m, uint64_t pc, int kind);
bool debug_bp_remove(struct Machine *m, uint64_t pc, int kind);
bool debug_wp_insert(struct Machine *m, uint64_t addr, uint64_t len, int kind);
bool debug_wp_remove(struct Machine *m, uint64_t addr, uint64_t len, int kind);
/* Remove every breakpoint and watchpoint (the debugger went away). */
void debug_clear_points(struct Machine *m);
/* Breakpoints and watchpoints stay in place but do not stop the machine
 * while disabled (a seek runs through them). */
void debug_set_points_enabled(struct Machine *m, bool enabled);

/* Install the controller (once, after debug_attach). */
void debug_set_controller(struct Machine *m, const DebugController *c);

/* ---- stop and resume */

/* Stop at the next slice boundary (or at once if the machine sits between
 * rounds). Does nothing if a stop is already pending or in progress. */
void debug_request_stop(struct Machine *m, DebugStopKind why);

/* Is the machine stopped (inside debug_serve)? */
bool debug_stopped(const struct Machine *m);

/* Let the machine run again: the harts in step_mask (bit = hart id) each
 * stop after retiring one instruction (interrupts pending are taken first,
 * as on hardware); the others run as the schedule dictates until some
 * stop. A hart resumed from a breakpoint's pc executes that instruction. */
void debug_resume(struct Machine *m, uint32_t step_mask);

/* Stop when the machine's total icount reaches `total` (UINT64_MAX: no
 * target). For seeks: the slices are cut so that the stop is exact. */
void debug_set_stop_icount(struct Machine *m, uint64_t total);

/* For controllers. Resume with no breakpoint or watchpoint skipped where
 * the harts stand (they may have been restored from a checkpoint) and no
 * step; hart `hart` (-1: none) stops when its icount reaches `icount`,
 * with DEBUG_STOP_STEP. The front end is not told (no resumed hook). */
void debug_resume_to(struct Machine *m, int hart, uint64_t icount);
/* From the controller's stopped hook: go on as if the stop had not
 * happened (same step targets), past the breakpoint or watchpoint that
 * caused it. */
void debug_continue(struct Machine *m);
/* For controllers, with the machine stopped: report `why` as a new stop
 * without running an instruction (served at the next slice boundary,
 * before the events due there). */
void debug_stop_now(struct Machine *m, const DebugStop *why);
/* Are there breakpoints or watchpoints? */
bool debug_has_points(const struct Machine *m);

/* The front end lets go of the machine (detach, kill): breakpoints go, a
 * stopped machine runs on, and a machine held at its end ends. */
void debug_detach(struct Machine *m);
/* The debugger ends the run (GDB's kill): as debug_detach, then the
 * machine stops; debug_killed() tells a replay that it did not end by
 * itself. */
void debug_kill(struct Machine *m);
bool debug_killed(const struct Machine *m);
/* A debugger (re)connects: a machine at its end may be held again; and
 * hangs up: a machine that reaches its end without one is not held. */
void debug_attach_client(struct Machine *m);
void debug_client_gone(struct Machine *m);

/* Run loop: the machine stopped for good (m->stop is set). If the
 * controller holds it there, serve the debugger (stop reply
 * DEBUG_STOP_HISTORY_END) until it either restores a checkpoint (returns
 * true: m->stop was cleared and the run goes on) or lets go (false). */
bool debug_hold_at_end(struct Machine *m);

/* The front end's opaque pointer (debug_attach), or NULL. */
void *debug_front_end_opaque(const struct Machine *m);

/* ---- hooks for the engine (core/run.c, translator, core/mmu.c) */

/* Run loop: serve a pending stop (blocks until resumed). h is the hart
 * whose turn it is, or NULL between rounds. */
void debug_serve(struct Machine *m, struct Hart *h);

/* Run loop: clip a slice's budget for hart h to the debugger's targets. */
uint64_t debug_budget(struct Machine *m, const struct Hart *h, uint64_t budget);

/* Run loop, after each slice of hart h: note finished steps and targets,
 * and serve a pending stop. Returns true if the machine stopped (and has
 * been resumed since). */
bool debug_slice_end(struct Machine *m, struct Hart *h);

/* Run loop: the machine stopped for good; tell the front end. */
void debug_on_exit(struct Machine *m);

/* Translator: is there a breakpoint at virtual pc? */
bool debug_bp_at(const struct Machine *m, uint64_t pc);

/* The op the translator places before an instruction with a breakpoint. */
int debug_op_break(struct Hart *h, const Op *op);

/* Soft TLB: may accesses of kind acc (ACC_READ/ACC_WRITE) to va's page be
 * cached? */
bool debug_page_watched(const struct Machine *m, uint64_t va, int acc);

/* Slow path of loads and stores, after translation succeeded: acc_mask is
 * DEBUG_WATCH_READ and/or DEBUG_WATCH_WRITE. Returns false when a
 * watchpoint hit: the stop is pending and the op must end its TB without
 * retiring (as after mmu_io_gate, but with no retry). */
bool debug_watch_access(struct Hart *h, const Op *op, uint64_t va, unsigned size,
                        int acc_mask);

#endif
