/* The run loop: harts take turns (round robin, fixed quantum) on one host
 * thread; each turn looks up TBs, follows chains and takes interrupts. */
#include <inttypes.h>

#include <uv.h>

#include "core/machine.h"
#include "core/mmu.h"
#include "core/trap.h"
#include "translator/exec.h"
#include "translator/translate.h"

/* Is there anything for the interrupt logic to look at? (cheap check) */
static inline bool irq_maybe(const Hart *h)
{
    return (h->csr.mip & h->csr.mie) != 0;
}

uint64_t machine_run_hart(Machine *m, Hart *h, uint64_t n)
{
    const uint64_t start = h->icount, end = start + n;
    TB *prev = NULL; /* last TB, when it left through a chainable slot */
    int prev_slot = 0;
    const bool trace = LOG_ON(&m->log, LOG_EXEC) != 0;

    while (m->stop == STOP_NONE && h->icount < end) {
        if (irq_maybe(h) && trap_check_interrupts(h))
            prev = NULL;
        if (h->wfi)
            break;
        uint64_t left = end - h->icount;
        uint32_t flags = tb_flags_for(h);
        TB *tb = tb_find(h, flags);
        if (tb && tb->ninsns > left) {
            /* Not enough budget for the whole block: run one cut to the
             * exact number of instructions left. */
            tb = tb_find(h, flags | (uint32_t)left << TBF_COUNT_SHIFT);
            prev = NULL;
        }
        if (!tb) { /* fetch fault: the trap was taken */
            prev = NULL;
            continue;
        }
        if (prev)
            tb_chain(m, prev, prev_slot, tb);
        prev = NULL;
        for (;;) {
            if (unlikely(trace))
                log_printf(&m->log, LOG_EXEC,
                           "Trace hart %u: pc 0x%016" PRIx64 " [%u insns] icount %" PRIu64 "\n",
                           h->id, tb->vpc, tb->ninsns, h->icount);
            int r = tb_exec(h, tb);
            if (r != OP_EXIT_JUMP0 && r != OP_EXIT_JUMP1)
                break;
            int slot = r - OP_EXIT_JUMP0;
            TB *next = tb->next[slot];
            if (!next || next->ninsns > end - h->icount || irq_maybe(h) ||
                m->stop != STOP_NONE) {
                if (!next && !tb->nochain && !tb->invalid) {
                    prev = tb;
                    prev_slot = slot;
                }
                break;
            }
            tb = next;
        }
    }
    return h->icount - start;
}

/* The earliest device deadline (mtime), or UINT64_MAX. */
static uint64_t next_deadline(Machine *m)
{
    uint64_t t = UINT64_MAX;
    for (unsigned i = 0; i < m->ndevices; i++)
        if (m->devices[i].next_deadline) {
            uint64_t d = m->devices[i].next_deadline(m->devices[i].opaque);
            if (d < t)
                t = d;
        }
    return t;
}

/* Every hart waits for an interrupt: jump the clock to the next device
 * deadline, or wait for host input. Returns false if nothing can ever
 * wake the machine. */
static bool idle(Machine *m)
{
    uint64_t now = machine_mtime(m), t = next_deadline(m);
    if (t != UINT64_MAX) {
        if (t > now)
            m->mtime_skipped += t - now;
        return true;
    }
    if (uv_loop_alive(m->loop)) {
        uv_run(m->loop, UV_RUN_ONCE);
        return true;
    }
    return false;
}

void machine_run(Machine *m)
{
    while (m->stop == STOP_NONE) {
        if (m->reset_requested) {
            char err[256];
            if (!machine_reset(m, err, sizeof(err))) {
                machine_fail(m, "reset: %s", err);
                break;
            }
        }
        bool progress = false;
        for (unsigned i = 0; i < m->nharts && m->stop == STOP_NONE; i++) {
            Hart *h = &m->harts[i];
            /* wfi ends when an interrupt is pending and enabled in mie,
             * even if globally disabled. */
            if (h->wfi && !(h->csr.mip & h->csr.mie))
                continue;
            h->wfi = false;
            if (machine_run_hart(m, h, m->cfg.quantum))
                progress = true;
            /* A reservation does not survive another hart's turn, so an
             * interleaved store can never be missed by SC. With one hart
             * nothing can interleave: keep it (a spurious SC failure at
             * every quantum boundary would differ from QEMU). */
            if (m->nharts > 1)
                h->lr_valid = false;
        }
        uv_run(m->loop, UV_RUN_NOWAIT);
        machine_tick_devices(m);
        if (!progress && m->stop == STOP_NONE && !m->reset_requested) {
            if (!idle(m))
                machine_fail(m, "all harts are waiting for an interrupt that "
                                "nothing can raise (icount %" PRIu64 ")",
                             machine_icount(m));
            machine_tick_devices(m);
        }
    }
}
