/* Traps: taking exceptions and interrupts with delegation, and returning
 * from them (mret, sret). */
#ifndef REWIND_CORE_TRAP_H
#define REWIND_CORE_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hart.h"

/* Take a trap now. cause has bit 63 set for interrupts. epc is the pc of
 * the instruction that trapped (or the next one to run, for interrupts).
 * Chooses M or S mode from medeleg/mideleg and the current privilege,
 * updates the CSRs, privilege and pc. */
void trap_take(Hart *h, uint64_t cause, uint64_t tval, uint64_t epc);

/* The highest-priority interrupt that is pending, enabled and allowed at
 * the current privilege, as a cause number, or -1. */
int trap_pending_interrupt(const Hart *h);

/* If an interrupt is to be taken, take it (pc = h->pc) and return true. */
bool trap_check_interrupts(Hart *h);

/* The cause's name as the privileged spec says it ("ecall from S-mode",
 * "supervisor timer interrupt"). */
const char *trap_cause_name(bool irq, uint64_t code);

/* mret / sret: restore privilege and interrupt enables, set pc. */
void trap_mret(Hart *h);
void trap_sret(Hart *h);

#endif
