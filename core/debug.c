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

    DebugController ctl;
    bool points_off; /* breakpoints and watchpoints do not stop (a seek) */
    bool let_go;     /* the front end let go: the machine may end */
    bool killed;     /* ... and ended it (debug_kill) */
    bool client;     /* a debugger is connected */
    bool silent;     /* the pending stop was answered already: just wait */

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

/* A stop for the debugger is due: the run loop looks at debug_pending
 * between TBs, and native code chained from TB to TB leaves at its next
 * chain entry (machine_break_chains). */
static void debug_set_pending(Machine *m)
{
    m->debug_pending = true;
    machine_break_chains(m);
}

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

void debug_set_points_enabled(Machine *m, bool enabled)
{
    if (m->debug)
        m->debug->points_off = !enabled;
}

void debug_set_controller(Machine *m, const DebugController *c)
{
    if (m->debug)
        m->debug->ctl = *c;
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
    if (!d || !d->nwps || size == 0 || d->points_off)
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
        debug_set_pending(m);
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
        if (d->points_off ||
            (hs->skip_bp && hs->skip_pc == op->pc && hs->skip_icount == op_icount(h, op)))
            return op_next(h, op);
        if (!m->debug_pending) {
            const DebugBp *bp = bp_find(d, op->pc);
            d->stop = (DebugStop){ .kind = DEBUG_STOP_BREAK, .hart = (int)h->id,
                                   .addr = op->pc,
                                   .bp_kind = bp && !(bp->kinds & DEBUG_BP_SW)
                                                  ? DEBUG_BP_HW : DEBUG_BP_SW };
            debug_set_pending(m);
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
    debug_set_pending(m);
}

bool debug_stopped(const Machine *m)
{
    return m->debug && m->debug->stopped;
}

/* The machine may run again (the stop being served ends). */
static void debug_set_running(Machine *m)
{
    m->debug->stopped = false;
    m->debug->silent = false;
    m->debug_pending = false;
}

void debug_resume(Machine *m, uint32_t step_mask)
{
    Debug *d = m->debug;
    if (!d)
        return;
    debug_set_running(m);
    for (unsigned i = 0; i < m->nharts; i++) {
        Hart *h = &m->harts[i];
        d->hart[i].step_end = (step_mask >> i) & 1 ? h->icount + 1 : UINT64_MAX;
        d->hart[i].skip_bp = debug_bp_at(m, h->pc);
        d->hart[i].skip_watch = d->stop.kind == DEBUG_STOP_WATCH && d->stop.hart == (int)i;
        d->hart[i].skip_pc = h->pc;
        d->hart[i].skip_icount = h->icount;
    }
    if (d->ctl.resumed)
        d->ctl.resumed(d->ctl.opaque);
}

void debug_resume_to(Machine *m, int hart, uint64_t icount)
{
    Debug *d = m->debug;
    if (!d)
        return;
    debug_set_running(m);
    for (unsigned i = 0; i < m->nharts; i++) {
        d->hart[i].step_end = (int)i == hart ? icount : UINT64_MAX;
        d->hart[i].skip_bp = d->hart[i].skip_watch = false;
    }
}

void debug_continue(Machine *m)
{
    Debug *d = m->debug;
    if (!d)
        return;
    /* The hart that stopped executes the instruction it stopped at; the
     * other harts' targets and skips stay as they were. */
    if (d->stop.hart >= 0 && (d->stop.kind == DEBUG_STOP_BREAK ||
                              d->stop.kind == DEBUG_STOP_WATCH)) {
        DebugHart *hs = &d->hart[d->stop.hart];
        const Hart *h = &m->harts[d->stop.hart];
        /* A watch stop comes after the breakpoint at the same instruction
         * (if any) was passed: both let it through now, as debug_resume
         * does, or they would stop it in turn for ever. */
        hs->skip_bp = d->stop.kind == DEBUG_STOP_BREAK || debug_bp_at(m, h->pc);
        hs->skip_watch = d->stop.kind == DEBUG_STOP_WATCH;
        hs->skip_pc = h->pc;
        hs->skip_icount = h->icount;
    }
    debug_set_running(m);
}

void debug_stop_now(Machine *m, const DebugStop *why)
{
    Debug *d = m->debug;
    if (!d)
        return;
    debug_resume_to(m, -1, 0);
    d->stop = *why;
    debug_set_pending(m);
}

bool debug_has_points(const Machine *m)
{
    return m->debug && (m->debug->nbps || m->debug->nwps);
}

void debug_detach(Machine *m)
{
    Debug *d = m->debug;
    if (!d)
        return;
    debug_clear_points(m);
    d->let_go = true;
    if (d->stopped || m->debug_pending)
        debug_resume(m, 0);
}

void debug_kill(Machine *m)
{
    Debug *d = m->debug;
    if (!d)
        return;
    debug_detach(m);
    d->killed = true;
    machine_request_exit(m, 0);
}

bool debug_killed(const Machine *m)
{
    return m->debug && m->debug->killed;
}

void debug_attach_client(Machine *m)
{
    if (m->debug) {
        m->debug->let_go = false;
        m->debug->client = true;
    }
}

void debug_client_gone(Machine *m)
{
    if (m->debug)
        m->debug->client = false;
}

void debug_set_stop_icount(Machine *m, uint64_t total)
{
    if (m->debug)
        m->debug->stop_icount = total;
}

/* Wait in the host event loop until the front end resumes the machine,
 * the machine stops for good (at_end: until it no longer is stopped for
 * good, or the front end lets go). */
static void debug_wait(Machine *m, bool at_end)
{
    Debug *d = m->debug;
    while (d->stopped && (at_end ? m->stop != STOP_NONE && !d->let_go
                                 : m->stop == STOP_NONE)) {
        if (uv_run(m->loop, UV_RUN_ONCE) == 0 && d->stopped && !uv_loop_alive(m->loop)) {
            if (at_end) {
                d->let_go = true;
                break;
            }
            machine_fail(m, "stopped for the debugger, and nothing is left that "
                            "could resume the machine");
            break;
        }
    }
}

/* A stop: the controller first, then (unless it took the stop) the one-
 * shot targets go and the front end is told. Returns false when the
 * controller let the machine go on at once. */
static bool debug_announce(Machine *m)
{
    Debug *d = m->debug;
    d->stopped = true;
    if (d->silent) {
        d->silent = false;
        return true;
    }
    if (d->ctl.stopped && d->ctl.stopped(d->ctl.opaque, &d->stop))
        return d->stopped;
    /* Targets are one-shot: a new resume sets them again. */
    for (unsigned i = 0; i < MACHINE_MAX_HARTS; i++)
        d->hart[i].step_end = UINT64_MAX;
    d->stop_icount = UINT64_MAX;
    DebugStop why = d->stop;
    if (d->fe.stopped)
        d->fe.stopped(d->fe.opaque, &why);
    return true;
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
    for (unsigned i = 0; i < m->nharts; i++)
        if (d->hart[i].lr_saved) {
            d->hart[i].lr_saved = false;
            m->harts[i].lr_valid = d->hart[i].lr_valid;
            m->harts[i].lr_addr = d->hart[i].lr_addr;
        }
    uint64_t t0 = icount_host_ns();
    if (debug_announce(m))
        debug_wait(m, false);
    d->stopped = false;
    if (!m->debug_pending) /* else a stop made by debug_stop_now */
        d->stop.kind = DEBUG_STOP_NONE;
    /* -icount shift=auto paces the guest to host time: the time spent
     * stopped is not the guest's. */
    m->host_start_ns += icount_host_ns() - t0;
}

bool debug_hold_at_end(Machine *m)
{
    Debug *d = m->debug;
    if (!d || d->let_go || !d->client || !d->ctl.hold_at_end ||
        !d->ctl.hold_at_end(d->ctl.opaque))
        return false;
    m->debug_pending = false;
    for (;;) {
        d->stop = (DebugStop){ .kind = DEBUG_STOP_HISTORY_END, .hart = -1 };
        if (debug_announce(m))
            debug_wait(m, true);
        if (m->stop == STOP_NONE) {
            /* A checkpoint was restored: the run goes on from there, still
             * stopped if the debugger has not resumed it yet. */
            if (d->stopped) {
                d->silent = true;
                debug_set_pending(m);
            } else if (!m->debug_pending) {
                d->stop.kind = DEBUG_STOP_NONE;
            }
            return true;
        }
        d->stopped = false;
        if (d->let_go)
            return false;
        /* Resumed forward at the end: there is nothing more; stop again. */
    }
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
            debug_set_pending(m);
        } else if (d->stop_icount != UINT64_MAX && machine_icount(m) >= d->stop_icount) {
            d->stop = (DebugStop){ .kind = DEBUG_STOP_ICOUNT, .hart = (int)h->id,
                                   .addr = h->pc };
            debug_set_pending(m);
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
