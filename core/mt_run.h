/* The fast mode: -accel tcg,thread=multi (QEMU's MTTCG).
 *
 * One host thread per hart, all running at once, with time from the
 * host's clock (mtime follows real time, as QEMU without -icount). Not
 * deterministic: thread timing decides the interleaving, and it cannot be
 * recorded, replayed or debugged (those commands refuse it).
 *
 * What is shared, and how (details in docs/internals.md, "Fast mode"):
 * - the TB cache: lock-free lookups; translation, insertion, chaining and
 *   invalidation under the TB lock (recursive: a page walk during a
 *   translation may drop code); a flush, and marking a page as holding
 *   code, are exclusive work: every hart thread is outside its TBs;
 * - devices and interrupt controllers: one lock (the MMIO slow path, the
 *   timer thread's ticks and host input);
 * - mip: atomic (hart.h); a hart in wfi sleeps on its own condition
 *   variable, woken when a device raises one of its mip bits;
 * - LR/SC: SC is a compare-and-swap against the value the LR read;
 * - the calling thread becomes the timer and I/O thread: it runs the
 *   devices' ticks at their host-clock deadlines and polls host input.
 * Everything else a hart touches is its own (registers, soft TLB, jump
 * cache). */
#ifndef REWIND_CORE_MT_RUN_H
#define REWIND_CORE_MT_RUN_H

#include <stdint.h>

#include "core/machine.h"

/* Run the machine in the fast mode until it stops (machine_run calls this
 * when cfg.multi_thread is set). */
void mt_run(Machine *m);

/* The fast mode's clock: host time since the run began, added to the
 * machine's clock at that point. */
uint64_t mt_clock_ns(const Machine *m);

/* One of hart h's mip bits was raised: wake it if it sleeps in wfi. */
void mt_kick(Hart *h);

/* machine_request_exit / machine_fail in the fast mode: record the reason
 * (the first exit, or the first error, wins as in the other engine) and
 * stop every thread. msg: the error (STOP_ERROR) or NULL. */
void mt_request_stop(Machine *m, StopReason why, int code, const char *msg);

/* The device lock. unlock's `poke`: a device register was written, a
 * deadline may have moved: wake the timer thread to look again. */
void mt_io_lock(Machine *m);
void mt_io_unlock(Machine *m, bool poke);

/* The TB lock (recursive). */
void mt_tb_lock(Machine *m);
void mt_tb_unlock(Machine *m);

/* machine_ram_written in the fast mode: drop the TBs of the code pages in
 * [pa, pa+len), under the TB lock. (No LR reservation to end: the SC's
 * compare-and-swap checks memory itself; no digest to mark pages for.) */
void mt_ram_written(Machine *m, uint64_t pa, uint64_t len);

/* The translator of hart h (on its own thread) needs exclusive work done
 * before it can go on: a flush (the code buffer is full), or marking
 * physical page `page` as holding code. tb_find then returns NULL, and the
 * hart's run loop does it and tries again. */
void mt_note_flush(Hart *h);
void mt_note_code_page(Hart *h, uint64_t page);

/* The op the translator places before the instruction at
 * Machine.fast_until_pc (--until pc:ADDR in the fast mode): the hart
 * leaves its TB before that instruction, which does not retire, and every
 * hart thread stops for the hand-off (as when Machine.fast_until holds).
 * Outside the fast mode it does nothing. */
struct Op;
int mt_op_until_pc(Hart *h, const struct Op *op);

#endif
