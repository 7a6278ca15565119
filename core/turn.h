/* Where a hart's turn ends.
 *
 * A turn is a quantum of instructions (with --chaos, one drawn for the
 * turn: core/chaos.h), drawn out while the hart holds an
 * LR reservation: with more than one hart, a reservation ends with its
 * hart's turn (nothing else tracks other harts' plain stores, so this is
 * what keeps an SC from missing one), and a quantum shorter than the
 * distance from an LR to its SC would then fail every SC, for ever (a
 * livelock: the A extension promises that a constrained LR/SC loop
 * eventually succeeds). So a turn that reaches its quantum with a
 * reservation held goes on, one instruction at a time, until the
 * reservation is gone (an SC, a write to it by a device or a debugger) or
 * TURN_LR_GRACE instructions past the quantum, whichever comes first. No
 * other hart runs inside the sequence, so the SC of a constrained loop
 * succeeds; a store by another hart still fails it, since that store can
 * only come after the turn ended, which ends the reservation.
 *
 * Where the turn ends is a function of the hart's instruction stream
 * alone (its count in the turn and its reservation after each
 * instruction), not of where slices end: events, debugger stops and
 * checkpoints inside the extension change nothing. */
#ifndef REWIND_CORE_TURN_H
#define REWIND_CORE_TURN_H

#include <stdint.h>

#include "core/hart.h"

struct Machine;

/* The spec's constrained LR/SC loop is at most 16 instructions, so its SC
 * comes at most 15 after its LR; a trap handler or an unconstrained
 * sequence inside the extension is cut off here. */
enum { TURN_LR_GRACE = 64 };

/* Instructions hart h may still run in this turn, `done` having retired:
 * what is left of the quantum; past it 1 while the reservation is held
 * and the grace is not used up; 0 when the turn is over. */
uint64_t turn_insns_left(const struct Machine *m, const Hart *h, uint64_t done);

/* The hart whose turn it is at the round's position m->sched.hart: that
 * hart in the round robin, the drawn one with --chaos (core/chaos.h). */
Hart *turn_hart(struct Machine *m);

/* Hart h's turn is over: with other harts to run, its reservation ends. */
void turn_end(struct Machine *m, Hart *h);

#endif
