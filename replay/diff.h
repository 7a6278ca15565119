/* `rewind diff`: compare two recordings (docs/diff.md).
 *
 * Three parts, each in its own file:
 *
 *  - diff_scan.c: one pass over both trace files (no replay): the first
 *    input event that differs, and the bracket of recorded digests around
 *    the first difference of state (the last digest both record alike,
 *    the first they record differently);
 *  - diff_lockstep.c: two machines in one process, each replaying its own
 *    trace, run together into the bracket and bisected with in-memory
 *    checkpoints down to the one instruction after which their harts or
 *    RAM differ;
 *  - diff_watch.c: what one replay shows at a higher level, for runs whose
 *    instruction counts do not line up (another kernel): console lines
 *    with their icounts, and milestones (first S-mode and U-mode entries,
 *    the first satp write, SBI calls by kind, the end).
 *
 * tools/cmd_diff.c builds the machines from the traces and prints. */
#ifndef REWIND_REPLAY_DIFF_H
#define REWIND_REPLAY_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/machine.h"
#include "replay/trace.h"

/* ------------------------------------------------------------ the scan */

/* A copy of one event, payload included (bounded). */
typedef struct DiffEvent {
    bool valid;
    uint64_t icount;
    uint32_t hart, kind, source;
    uint64_t pc;
    int32_t exit_code;
    size_t len;          /* the payload's whole length */
    uint8_t bytes[256];  /* its first bytes */
} DiffEvent;

enum { DIFF_LAST_EVENTS = 5 };

typedef struct DiffScan {
    /* Inputs and the machine's own events (digests aside): the first that
     * differ; one side may have none (valid false: that trace has no event
     * there). input_differs false: the same events in the same order. */
    bool input_differs;
    uint64_t input_icount; /* the smaller icount of the two */
    DiffEvent input[2];
    /* Digests at the same icount in both traces, compared in order. */
    uint64_t digests[2];   /* digest events in each trace */
    uint64_t shared;       /* icounts where both have one */
    bool digest_differs;
    uint64_t agree_icount; /* the last shared digest that agrees before the first that differs */
    uint64_t agree_before_input; /* the last that agrees at or before input_icount */
    uint64_t differ_icount; /* the first shared digest that differs (valid if digest_differs) */
    uint64_t end_icount[2]; /* each trace's last icount */
    uint64_t events[2];
} DiffScan;

/* Read both traces through (each reader from its start). false with a
 * message naming the file on a damaged frame. */
bool diff_scan(TraceReader *a, TraceReader *b, DiffScan *out, char *err, size_t errlen);

/* The last DIFF_LAST_EVENTS events other than digests with icount <= at,
 * oldest first; returns how many. false on a damaged frame. */
bool diff_last_events(TraceReader *r, uint64_t at, DiffEvent *out, unsigned *n, char *err,
                      size_t errlen);

/* One line about an event ("console 3 bytes \"ab\\n\" (source 0)"). */
void diff_event_describe(const DiffEvent *ev, char *out, size_t len);

/* ------------------------------------------------------- console logs */

/* Console bytes of one replay, each with the total icount at which the
 * guest wrote it. */
typedef struct DiffConsole {
    uint8_t *bytes;
    uint64_t *icount;
    size_t len, cap;
} DiffConsole;

void diff_console_add(DiffConsole *c, uint64_t icount, uint8_t byte);
/* Forget the bytes written after icount `at` (the machine went back). */
void diff_console_cut(DiffConsole *c, uint64_t at);
void diff_console_free(DiffConsole *c);

/* ------------------------------------------------------------ lockstep */

enum { DIFF_MAX_REGS = 96, DIFF_MAX_MEM = 16 };

typedef struct DiffReg {
    unsigned hart;
    char name[16];
    uint64_t a, b;
} DiffReg;

/* A run of bytes that differ (at most 16 shown). */
typedef struct DiffMem {
    uint64_t addr; /* physical */
    unsigned len;
    uint8_t a[16], b[16];
} DiffMem;

typedef struct DiffPoint {
    bool found;        /* false: harts and RAM agree over the whole bracket */
    uint64_t lo, hi;   /* the bracket the bisection started from */
    uint64_t icount;   /* total icount before the instruction */
    int hart;          /* the hart that ran it on A (-1: none could be told) */
    uint64_t pc;       /* its pc (virtual) */
    /* B's: the same as A's unless the runs part by running another hart
     * (input woke one on one side only). */
    int hart_b;
    uint64_t pc_b;
    unsigned priv_b;
    uint32_t insn[2];  /* the instruction word on each side (its own hart's) */
    unsigned ilen[2];  /* 0: not readable */
    unsigned priv;
    DiffReg regs[DIFF_MAX_REGS];
    unsigned nregs;
    DiffMem mem[DIFF_MAX_MEM];
    unsigned nmem;
    uint64_t mem_bytes; /* bytes that differ in all (nmem shows the first runs) */
    /* Machine icounts the bisection ran, per side (its cost). */
    uint64_t replayed;
    unsigned steps;
    char note[256];    /* why no point was found, or a side's replay failure */
} DiffPoint;

typedef struct DiffLockstep DiffLockstep;

/* Take two machines built from the two traces, each with its replay
 * attached (replay_play_attach) and a start state loaded if any, not run
 * yet. Console bytes go to c[0] and c[1]. */
DiffLockstep *diff_lockstep_new(struct Machine *a, struct Machine *b, DiffConsole c[2],
                                char *err, size_t errlen);

/* Run both to lo (where they should agree), then bisect [lo, hi] down to
 * the first instruction after which harts or RAM differ (RAM bytes that
 * already differed at lo, such as a changed instruction in an image, do
 * not count). Then run both on to `show_to` for the console around it. */
bool diff_lockstep_find(DiffLockstep *ls, uint64_t lo, uint64_t hi, uint64_t show_to,
                        DiffPoint *out, char *err, size_t errlen);

/* Let both machines end (kill their replays) and free the lockstep; the
 * machines are the caller's. */
void diff_lockstep_free(DiffLockstep *ls);

/* ------------------------------------------------------------ watching */

typedef enum {
    DIFF_MS_S_MODE,   /* first entry into S-mode */
    DIFF_MS_U_MODE,   /* first entry into U-mode */
    DIFF_MS_SATP,     /* first satp write; first one with a mode (MMU on) */
    DIFF_MS_SBI,      /* first SBI call of a kind (name: the extension) */
    DIFF_MS_CONSOLE,  /* a console line (name: its text) */
    DIFF_MS_END,      /* the end of the run (power-off, exit) */
} DiffMilestoneKind;

typedef struct DiffMilestone {
    DiffMilestoneKind kind;
    char name[128];
    uint64_t icount;
    unsigned hart;
    uint64_t count; /* SBI: calls of that kind in the whole run */
} DiffMilestone;

/* A profile sample: hart h ran `insns` instructions since the previous
 * sample and stands at pc, in privilege priv. */
typedef struct DiffSample {
    uint64_t pc;
    uint64_t insns;
    uint8_t priv;
} DiffSample;

typedef struct DiffWatch {
    DiffConsole console;
    DiffSample *samples;
    size_t nsamples, samples_cap;
    uint64_t sample_every;
    uint64_t sample_last[MACHINE_MAX_HARTS];
    DiffMilestone *ms;
    size_t nms, cap;
    bool seen_s, seen_u, seen_satp, seen_mmu;
    uint64_t end_icount;
    int exit_code;
    struct Machine *m;
    MachineObserver obs;
} DiffWatch;

/* Watch m (console bytes, privilege changes, satp, SBI calls) into w. */
void diff_watch_attach(struct Machine *m, DiffWatch *w);
/* Also sample every hart's pc every `every` instructions (a debugger stop,
 * which does not change the run), for a per-function profile. Call after
 * diff_watch_attach. false when out of memory. */
bool diff_watch_sample(struct Machine *m, DiffWatch *w, uint64_t every);
/* After machine_run: the end milestone and console lines (in icount order). */
void diff_watch_finish(struct Machine *m, DiffWatch *w);
void diff_watch_free(DiffWatch *w);

/* The name of an SBI extension id ("base", "timer", "legacy-console-putchar", ...). */
const char *diff_sbi_name(uint64_t eid, char *buf, size_t len);

#endif
