/* Where a hart's turn ends (see turn.h). */
#include "core/turn.h"

#include "core/machine.h"

uint64_t turn_insns_left(const Machine *m, const Hart *h, uint64_t done)
{
    /* Chaos draws each turn's quantum (core/chaos.h). */
    uint64_t quantum = m->cfg.chaos.on ? m->sched.chaos.quantum : m->cfg.quantum;
    if (done < quantum)
        return quantum - done;
    /* One at a time, so that the turn ends on the first instruction
     * boundary without a reservation. With one hart the reservation is
     * never dropped between turns, so there is nothing to wait for. */
    if (m->nharts > 1 && h->lr_valid && done - quantum < TURN_LR_GRACE)
        return 1;
    return 0;
}

void turn_end(Machine *m, Hart *h)
{
    /* A reservation does not survive another hart's turn, so an
     * interleaved store can never be missed by SC. With one hart nothing
     * can interleave: keep it (a spurious SC failure at every quantum
     * boundary would differ from QEMU). */
    if (m->nharts > 1)
        h->lr_valid = false;
    if (m->cfg.chaos.on)
        chaos_turn_end(m);
}

Hart *turn_hart(Machine *m)
{
    return m->cfg.chaos.on ? chaos_turn_hart(m) : &m->harts[m->sched.hart];
}
