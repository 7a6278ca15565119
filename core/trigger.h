/* Sdtrig: the debug trigger module as M-mode software sees it (no debug
 * mode). TRIGGER_COUNT triggers per hart, each of type 6 (mcontrol6) or
 * 2 (mcontrol) as written, or 15 (disabled): address matches on execute,
 * load and store (match 0 equal, 1 NAPOT mask, 2 greater or equal, 3
 * less than), action 0 (a breakpoint exception before the instruction,
 * tval the address), per-mode enables (m, s, u), tcontrol.mte/mpte so
 * that a trigger in M does not fire inside its own trap handler.
 *
 * Cost: nothing while no trigger is armed. Once one is, the hart's TB
 * flags have TBF_TRIG: TBs of one instruction, each behind an op
 * (trigger_op_check) that checks the instruction's pc and, for a memory
 * access, its address, so a trigger fires on its exact instruction. The
 * state is in Csrs (snapshots, checkpoints, digests). */
#ifndef REWIND_CORE_TRIGGER_H
#define REWIND_CORE_TRIGGER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hart.h"

struct Op;

enum {
    CSR_TSELECT = 0x7a0, CSR_TDATA1 = 0x7a1, CSR_TDATA2 = 0x7a2, CSR_TDATA3 = 0x7a3,
    CSR_TINFO = 0x7a4, CSR_TCONTROL = 0x7a5,
};

/* Read / write one of the trigger CSRs (M only; the caller checked the
 * privilege and that the machine has Sdtrig). false: not a trigger CSR. */
bool trigger_csr_read(const Hart *h, unsigned num, uint64_t *val);
bool trigger_csr_write(Hart *h, unsigned num, uint64_t val);

/* Recompute Hart.trig_armed from the CSRs (after a state restore). */
void trigger_update(Hart *h);

/* Trap entry into M and mret: tcontrol's mpte <- mte, mte <- 0, and back. */
void trigger_trap_to_m(Hart *h);
void trigger_mret(Hart *h);

/* The op before each instruction of a TBF_TRIG TB. It is handed what it
 * needs of the instruction by trigger_op_fill (the native backend runs
 * each op from a copy: the next op is not at op + 1). */
int trigger_op_check(Hart *h, const struct Op *op);
void trigger_op_fill(struct Op *check, const struct Op *insn);

#endif
