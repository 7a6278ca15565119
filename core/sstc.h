/* Sstc: the supervisor timer compare register (stimecmp).
 *
 * With menvcfg.STCE set, a hart's mip.STIP is (time >= stimecmp), driven
 * like the CLINT drives MTIP: a machine device (present when the machine
 * has Sstc) whose deadline is the earliest armed stimecmp, so the run loop
 * cuts its slice there and the interrupt is taken on the exact instruction
 * under icount. A write to stimecmp or menvcfg updates STIP at once and
 * ends the slice (Hart.slice_end), so the new deadline counts from the
 * next instruction on.
 *
 * The CSR itself lives in the hart (Csrs.stimecmp, architectural state);
 * the device keeps an atomic copy per hart of the armed compare value, as
 * the fast mode's timer thread reads it while the hart runs. */
#ifndef REWIND_CORE_SSTC_H
#define REWIND_CORE_SSTC_H

#include <stdbool.h>
#include <stddef.h>

struct Machine;
struct Hart;
typedef struct Sstc Sstc;

/* Attach the device to m (machine_new does, when cfg.isa_ext has Sstc).
 * false with a message in err on failure. */
bool sstc_attach(struct Machine *m, char *err, size_t errlen);

/* h's stimecmp or menvcfg changed (a CSR write, a state restore): re-arm
 * its timer and drive STIP from it. No effect without Sstc. */
void sstc_update(struct Hart *h);

#endif
