/* Breakpoints, watchpoints, steps and the stopped state (see debug.h). */
#include "core/debug.h"

#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/machine.h"
#include "translator/tb_cache.h"

typedef struct DebugBp {
    uint64_t pc;
    int kinds; /* DEBUG_BP_SW | DEBUG_BP_HW */
} DebugBp;

typedef struct DebugWp {
    uint64_t addr, len;
    int kind;
} DebugWp;

/* Per-hart debugger state. */
typedef struct DebugHart {
    /* A single step: stop once the hart's icount reaches this. */
    uint64_t step_end;
    /* Where the hart was resumed: the instruction there (same pc, same
     * icount) goes past its breakpoint, and past the watchpoint it
     * stopped on, however many times its TB is rebuilt (MMIO retries). */
    uint64_t skip_pc, skip_icount;
    bool skip_bp, skip_watch;
    /* LR reservation before an op a watchpoint abandoned. */
    bool lr_saved, lr_valid;
    uint64_t lr_addr;
} DebugHart;

struct Debug {
    Machine *m;
    DebugFrontEnd fe;
    DebugBp *bps; /* sorted by pc */
    size_t nbps, capbps;
    DebugWp *wps;
    size_t nwps, capwps;

    bool stopped;  /* inside debug_serve, waiting for a resume */
    DebugStop stop; /* why: valid while a stop is pending or served */
    uint64_t stop_icount; /* total icount target (UINT64_MAX: none) */
    DebugHart hart[MACHINE_MAX_HARTS];
};

enum { PAGE_BYTES = 4096 };

bool debug_attach(Machine *m, const DebugFrontEnd *fe)
{
    if (m->debug)
        return true;
    Debug *d = calloc(1, sizeof(*d));
    if (!d)
        return false;
    d->m = m;
    if (fe)
        d->fe = *fe;
    d->stop_icount = UINT64_MAX;
    for (unsigned i = 0; i < MACHINE_MAX_HARTS; i++)
        d->hart[i].step_end = UINT64_MAX;
    m->debug = d;
    return true;
}

void debug_free(Machine *m)
{
    Debug *d = m->debug;
    if (!d)
        return;
    if (d->fe.release)
        d->fe.release(d->fe.opaque);
    free(d->bps);
    free(d->wps);
    free(d);
    m->debug = NULL;
    m->debug_pending = false;
}

/* ------------------------------------------------------------ breakpoints */

/* Index of the first breakpoint with pc >= the given one. */
static size_t bp_lower_bound(const Debug *d, uint64_t pc)
{
    size_t lo = 0, hi = d->nbps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->bps[mid].pc < pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const DebugBp *bp_find(const Debug *d, uint64_t pc)
{
    size_t i = bp_lower_bound(d, pc);
    return i < d->nbps && d->bps[i].pc == pc ? &d->bps[i] : NULL;
}

bool debug_bp_at(const Machine *m, uint64_t pc)
{
    return m->debug && m->debug->nbps && bp_find(m->debug, pc);
}

bool debug_bp_insert(Machine *m, uint64_t pc, int kind)
{
    Debug *d = m->debug;
    if (!d || (kind != DEBUG_BP_SW && kind != DEBUG_BP_HW) || (pc & 1))
        return false;
    size_t i = bp_lower_bound(d, pc);
    if (i < d->nbps && d->bps[i].pc == pc) {
        d->bps[i].kinds |= kind;
        return true;
    }
    if (d->nbps == d->capbps) {
        size_t cap = d->capbps ? 2 * d->capbps : 16;
        DebugBp *n = realloc(d->bps, cap * sizeof(*n));
        if (!n)
            return false;
        d->bps = n;
        d->capbps = cap;
    }
    memmove(&d->bps[i + 1], &d->bps[i], (d->nbps - i) * sizeof(*d->bps));
    d->bps[i] = (DebugBp){ .pc = pc, .kinds = kind };
    d->nbps++;
    /* Translated code has no debug op there yet. */
    tb_cache_flush(m);
    return true;
}

bool debug_bp_remove(Machine *m, uint64_t pc, int kind)
{
    Debug *d = m->debug;
    if (!d)
        return false;
    size_t i = bp_lower_bound(d, pc);
    if (i == d->nbps || d->bps[i].pc != pc || !(d->bps[i].kinds & kind))
        return false;
    d->bps[i].kinds &= ~kind;
    if (!d->bps[i].kinds) {
        memmove(&d->bps[i], &d->bps[i + 1], (d->nbps - i - 1) * sizeof(*d->bps));
        d->nbps--;
        tb_cache_flush(m);
    }
    return true;
}

/* ------------------------------------------------------------ watchpoints */

static void flush_all_tlbs(Machine *m)
{
    for (unsigned i = 0; i < m->nharts; i++)
        hart_tlb_flush(&m->harts[i]);
}

bool debug_wp_insert(Machine *m, uint64_t addr, uint64_t len, int kind)
{
    Debug *d = m->debug;
    if (!d || len == 0 || addr + len - 1 < addr ||
        (kind != DEBUG_WATCH_WRITE && kind != DEBUG_WATCH_READ &&
         kind != DEBUG_WATCH_ACCESS))
        return false;
    if (d->nwps == d->capwps) {
        size_t cap = d->capwps ? 2 * d->capwps : 8;
        DebugWp *n = realloc(d->wps, cap * sizeof(*n));
        if (!n)
            return false;
        d->wps = n;
        d->capwps = cap;
    }
    d->wps[d->nwps++] = (DebugWp){ .addr = addr, .len = len, .kind = kind };
    /* Cached translations would let accesses to the range bypass the
     * slow path. */
    flush_all_tlbs(m);
    return true;
}

bool debug_wp_remove(Machine *m, uint64_t addr, uint64_t len, int kind)
{
    Debug *d = m->debug;
    if (!d)
        return false;
    for (size_t i = 0; i < d->nwps; i++)
        if (d->wps[i].addr == addr && d->wps[i].len == len && d->wps[i].kind == kind) {
            memmove(&d->wps[i], &d->wps[i + 1], (d->nwps - i - 1) * sizeof(*d->wps));
            d->nwps--;
            return true;
        }
    return false;
}

void debug_clear_points(Machine *m)
{
    Debug *d = m->debug;
    if (!d)
        return;
    if (d->nbps)
        tb_cache_flush(m);
    d->nbps = 0;
    d->nwps = 0;
}

/* Does [a, a+alen) meet [b, b+blen)? (lengths >= 1, no wrap-around) */
static bool ranges_meet(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a <= b + (blen - 1) && b <= a + (alen - 1);
}

bool debug_page_watched(const Machine *m, uint64_t va, int acc)
{
    const Debug *d = m->debug;
    if (!d || !d->nwps)
        return false;
    int bit = acc == ACC_READ ? DEBUG_WATCH_READ
            : acc == ACC_WRITE ? DEBUG_WATCH_WRITE : 0;
    uint64_t page = va & ~(uint64_t)(PAGE_BYTES - 1);
    for (size_t i = 0; i < d->nwps; i++)
        if ((d->wps[i].kind & bit) &&
            ranges_meet(page, PAGE_BYTES, d->wps[i].addr, d->wps[i].len))
            return true;
    return false;
}

bool debug_watch_access(Hart *h, const Op *op, uint64_t va, unsigned size, int acc_mask)
{
    Machine *m = h->m;
    Debug *d = m->debug;
    if (!d || !d->nwps || size == 0)
        return true;
    const DebugWp *hit = NULL;
    for (size_t i = 0; i < d->nwps && !hit; i++)
        if ((d->wps[i].kind & acc_mask) &&
            ranges_meet(va, size, d->wps[i].addr, d->wps[i].len))
            hit = &d->wps[i];
    if (!hit)
        return true;
    /* The access the machine was resumed at goes through. */
    DebugHart *hs = &d->hart[h->id];
    if (hs->skip_watch && hs->skip_pc == op->pc && hs->skip_icount == op_icount(h, op))
        return true;
    if (!m->debug_pending) {
        d->stop = (DebugStop){ .kind = DEBUG_STOP_WATCH, .hart = (int)h->id,
                               .addr = va > hit->addr ? va : hit->addr,
                               .watch_kind = hit->kind };
        m->debug_pending = true;
    }
    /* Stop before the instruction, which does not retire. The handler of
     * an abandoned SC drops the reservation: debug_serve puts it back. */
    hs->lr_saved = true;
    hs->lr_valid = h->lr_valid;
    hs->lr_addr = h->lr_addr;
    h->exc_idx = op->idx;
    h->pc = op->pc;
    return false;
}

/* ------------------------------------------------------------ the debug op */

int debug_op_break(Hart *h, const Op *op)
{
    Machine *m = h->m;
    Debug *d = m->debug;
    if (d) {
        const DebugHart *hs = &d->hart[h->id];
        if (hs->skip_bp && hs->skip_pc == op->pc && hs->skip_icount == op_icount(h, op))
            return op_next(h, op);
        if (!m->debug_pending) {
            const DebugBp *bp = bp_find(d, op->pc);
            d->stop = (DebugStop){ .kind = DEBUG_STOP_BREAK, .hart = (int)h->id,
                                   .addr = op->pc,
                                   .bp_kind = bp && !(bp->kinds & DEBUG_BP_SW)
                                                  ? DEBUG_BP_HW : DEBUG_BP_SW };
            m->debug_pending = true;
        }
    }
    /* Leave the TB before the instruction, which does not retire (as
     * for an exception, but no trap is taken). */
    h->exc_idx = op->idx;
    h->pc = op->pc;
    return OP_EXIT_EXC;
}

/* ------------------------------------------------------------ stop / resume */

void debug_request_stop(Machine *m, DebugStopKind why)
{
    Debug *d = m->debug;
    if (!d || d->stopped || m->debug_pending)
        return;
    d->stop = (DebugStop){ .kind = why, .hart = -1 };
    m->debug_pending = true;
}

bool debug_stopped(const Machine *m)
{
    return m->debug && m->debug->stopped;
}

void debug_resume(Machine *m, uint32_t step_mask)
{
    Debug *d = m->debug;
    if (!d)
        return;
    d->stopped = false;
    m->debug_pending = false;
    for (unsigned i = 0; i < m->nharts; i++) {
        Hart *h = &m->harts[i];
        d->hart[i].step_end = (step_mask >> i) & 1 ? h->icount + 1 : UINT64_MAX;
        d->hart[i].skip_bp = debug_bp_at(m, h->pc);
        d->hart[i].skip_watch = d->stop.kind == DEBUG_STOP_WATCH && d->stop.hart == (int)i;
        d->hart[i].skip_pc = h->pc;
        d->hart[i].skip_icount = h->icount;
    }
}

void debug_set_stop_icount(Machine *m, uint64_t total)
{
    if (m->debug)
        m->debug->stop_icount = total;
}

void debug_serve(Machine *m, Hart *h)
{
    (void)h;
    Debug *d = m->debug;
    m->debug_pending = false;
    if (!d)
        return;
    if (d->stop.kind == DEBUG_STOP_NONE)
        d->stop = (DebugStop){ .kind = DEBUG_STOP_REQUEST, .hart = -1 };
    d->stopped = true;
    /* Targets are one-shot: a new resume sets them again. */
    for (unsigned i = 0; i < MACHINE_MAX_HARTS; i++)
        d->hart[i].step_end = UINT64_MAX;
    for (unsigned i = 0; i < m->nharts; i++)
        if (d->hart[i].lr_saved) {
            d->hart[i].lr_saved = false;
            m->harts[i].lr_valid = d->hart[i].lr_valid;
            m->harts[i].lr_addr = d->hart[i].lr_addr;
        }
    d->stop_icount = UINT64_MAX;
    uint64_t t0 = icount_host_ns();
    DebugStop why = d->stop;
    if (d->fe.stopped)
        d->fe.stopped(d->fe.opaque, &why);
    while (d->stopped && m->stop == STOP_NONE) {
        if (uv_run(m->loop, UV_RUN_ONCE) == 0 && d->stopped && !uv_loop_alive(m->loop)) {
            machine_fail(m, "stopped for the debugger, and nothing is left that "
                            "could resume the machine");
            break;
        }
    }
    d->stopped = false;
    d->stop.kind = DEBUG_STOP_NONE;
    /* -icount shift=auto paces the guest to host time: the time spent
     * stopped is not the guest's. */
    m->host_start_ns += icount_host_ns() - t0;
}

uint64_t debug_budget(Machine *m, const Hart *h, uint64_t budget)
{
    const Debug *d = m->debug;
    uint64_t end = d->hart[h->id].step_end;
    if (end != UINT64_MAX) {
        uint64_t left = end > h->icount ? end - h->icount : 0;
        if (left < budget)
            budget = left;
    }
    if (d->stop_icount != UINT64_MAX) {
        uint64_t total = machine_icount(m);
        uint64_t left = d->stop_icount > total ? d->stop_icount - total : 0;
        if (left < budget)
            budget = left;
    }
    return budget;
}

bool debug_slice_end(Machine *m, Hart *h)
{
    Debug *d = m->debug;
    if (!m->debug_pending) {
        if (d->hart[h->id].step_end != UINT64_MAX && h->icount >= d->hart[h->id].step_end) {
            d->stop = (DebugStop){ .kind = DEBUG_STOP_STEP, .hart = (int)h->id,
                                   .addr = h->pc };
            m->debug_pending = true;
        } else if (d->stop_icount != UINT64_MAX && machine_icount(m) >= d->stop_icount) {
            d->stop = (DebugStop){ .kind = DEBUG_STOP_ICOUNT, .hart = (int)h->id,
                                   .addr = h->pc };
            m->debug_pending = true;
        }
    }
    if (!m->debug_pending)
        return false;
    debug_serve(m, h);
    return true;
}

void debug_on_exit(Machine *m)
{
    Debug *d = m->debug;
    if (d && d->fe.exited)
        d->fe.exited(d->fe.opaque);
}

void *debug_front_end_opaque(const Machine *m)
{
    return m->debug ? m->debug->fe.opaque : NULL;
}
