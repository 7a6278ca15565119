/* Telling a hart caught in a trap loop from one that is merely slow.
 *
 * A hart whose trap vector is the instruction that faults (a wrong mtvec,
 * a handler on an unmapped page, an illegal instruction at the vector)
 * takes the same exception at the same pc for ever and retires nothing.
 * The run loop's budgets count retired instructions, so such a hart
 * would never end its slice: no other hart, device, host input or
 * debugger (a ctrl-C) would be served again. Real hardware stays in the
 * loop too, but time goes on around it; so here: once an exception leaves
 * the hart exactly where the previous one did (same pc, privilege and
 * trap registers, nothing retired in between), the next would too, and
 * the run loop treats the hart like one waiting for an interrupt: its
 * slice ends, the other harts run, and when none can, the clock jumps to
 * the next device deadline (an interrupt may get the hart out) or the
 * machine stops with a message naming the loop.
 *
 * The check is a fixed point of the trap's own effect, so a hart that is
 * still on its way into the loop (the first trap changes mstatus.MPP, the
 * privilege) is not cut short: only runs that used to hang change. */
#ifndef REWIND_CORE_TRAP_LOOP_H
#define REWIND_CORE_TRAP_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/hart.h"

/* What a trap leaves behind, all in 64-bit fields (no padding: compared
 * with memcmp). */
typedef struct TrapMark {
    uint64_t icount, pc, priv;
    uint64_t mstatus, mepc, mcause, mtval, sepc, scause, stval;
} TrapMark;

typedef struct TrapLoopWatch {
    bool seen; /* `last` holds the previous such exit */
    TrapMark last;
} TrapLoopWatch;

/* Called after each trap that ended a TB (OP_EXIT_EXC, or a fetch fault
 * while looking for the next TB) and was no debugger's stop (a breakpoint
 * leaves its TB the same way, before its instruction, taking no trap):
 * true when the hart stands exactly where the previous such exit left it,
 * with nothing retired. */
static inline bool trap_loop_stuck(TrapLoopWatch *w, const Hart *h)
{
    const TrapMark now = {
        h->icount,        h->pc,          h->priv,        h->csr.mstatus,
        h->csr.mepc,      h->csr.mcause,  h->csr.mtval,   h->csr.sepc,
        h->csr.scause,    h->csr.stval,
    };
    bool same = w->seen && memcmp(&w->last, &now, sizeof(now)) == 0;
    w->seen = true;
    w->last = now;
    return same;
}

#endif
