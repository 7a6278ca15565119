/* rewind diff, part 2: two replays side by side, bisected to the exact
 * instruction where their states part (see diff.h).
 *
 * Each machine runs machine_run() on a thread of its own, under a
 * debugger controller (core/debug.h) that parks it at every stop and
 * waits for the next order: run on to total icount X, or go on from a
 * checkpoint the main thread put back. The main thread looks at, saves
 * and restores the machines only while both are parked, so nothing is
 * shared while they run (the two run at the same time, on two host
 * cores when there are). A stop at icount X is a first arrival at X,
 * the same point reverse debugging uses, so "the state at X" means one
 * thing on each side.
 *
 * Search: both sides are taken to lo and checkpointed, then run on to
 * lo + 1, lo + 2, lo + 4, ... (a checkpoint at each point that agrees)
 * until the states differ or hi is reached; then bisection: for mid in
 * (lo, hi) both run from lo to mid and are compared: every hart's
 * registers, pc, privilege, CSRs and icount, and RAM. RAM bytes that
 * already differed at the first lo (a patched instruction or constant in
 * an image) count only once they change. Equal: lo = mid (new
 * checkpoints); else hi = mid and both go back to lo. Each side runs
 * about twice the span, and the search ends on the one instruction
 * between lo and lo + 1. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debug.h"
#include "core/machine.h"
#include "core/mmu.h"
#include "core/snapshot.h"
#include "replay/diff.h"
#include "replay/internal.h"

enum { CMD_NONE, CMD_RUN, CMD_KILL };
enum { PAGE = 4096, BASELINE_MAX_PAGES = 8192 };

typedef struct Runner {
    struct DiffLockstep *ls;
    Machine *m;
    DiffConsole *con;
    pthread_t th;
    bool started;
    /* Protocol with the main thread (under ls->mu). */
    bool parked;  /* stopped, waiting for an order */
    bool ended;   /* at the end of its recording (or its replay stopped) */
    bool done;    /* machine_run returned */
    int cmd;
    uint64_t target;
} Runner;

/* A RAM page that differed between the sides at the start of the search,
 * both versions as they were then. */
typedef struct BasePage {
    uint64_t index;
    uint8_t a[PAGE], b[PAGE];
} BasePage;

struct DiffLockstep {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    Runner r[2];
    Snapshot *snap[2];
    PlayCursor cur[2];
    uint64_t snap_icount;
    bool have_snap;
    BasePage *base;
    size_t nbase;
    bool base_overflow;
    uint64_t replayed;
};

static const char *const xnames[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};
static const char *const fnames[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* ------------------------------------------------------------ runners */

static bool runner_stopped(void *opaque, DebugStop *why)
{
    Runner *r = opaque;
    struct DiffLockstep *ls = r->ls;
    pthread_mutex_lock(&ls->mu);
    r->parked = true;
    r->ended = why->kind == DEBUG_STOP_HISTORY_END;
    r->cmd = CMD_NONE;
    pthread_cond_broadcast(&ls->cv);
    while (r->cmd == CMD_NONE)
        pthread_cond_wait(&ls->cv, &ls->mu);
    int cmd = r->cmd;
    uint64_t target = r->target;
    pthread_mutex_unlock(&ls->mu);
    if (cmd == CMD_KILL) {
        debug_kill(r->m);
        return true;
    }
    debug_resume_to(r->m, -1, 0);
    debug_set_stop_icount(r->m, target);
    return true;
}

static bool runner_hold(void *opaque)
{
    (void)opaque;
    return true; /* the main thread may take the machine back from the end */
}

static void runner_console(void *opaque, uint8_t byte)
{
    Runner *r = opaque;
    diff_console_add(r->con, machine_icount(r->m), byte);
}

static void *runner_main(void *opaque)
{
    Runner *r = opaque;
    machine_run(r->m);
    pthread_mutex_lock(&r->ls->mu);
    r->done = r->ended = r->parked = true;
    pthread_cond_broadcast(&r->ls->cv);
    pthread_mutex_unlock(&r->ls->mu);
    return NULL;
}

static void wait_parked(struct DiffLockstep *ls)
{
    pthread_mutex_lock(&ls->mu);
    while (!ls->r[0].parked || !ls->r[1].parked)
        pthread_cond_wait(&ls->cv, &ls->mu);
    pthread_mutex_unlock(&ls->mu);
}

static void wait_parked_started(struct DiffLockstep *ls)
{
    pthread_mutex_lock(&ls->mu);
    for (int i = 0; i < 2; i++)
        while (ls->r[i].started && !ls->r[i].parked)
            pthread_cond_wait(&ls->cv, &ls->mu);
    pthread_mutex_unlock(&ls->mu);
}

static void order(struct DiffLockstep *ls, int side, int cmd, uint64_t target)
{
    pthread_mutex_lock(&ls->mu);
    Runner *r = &ls->r[side];
    if (!r->done) {
        r->parked = false;
        r->cmd = cmd;
        r->target = target;
        pthread_cond_broadcast(&ls->cv);
    }
    pthread_mutex_unlock(&ls->mu);
}

/* Both sides to total icount x (from where they are, at or before x).
 * false when a side cannot get there (its recording ends first). */
static bool run_both(struct DiffLockstep *ls, uint64_t x)
{
    for (int i = 0; i < 2; i++) {
        uint64_t at = machine_icount(ls->r[i].m);
        if (at < x) {
            ls->replayed += x - at;
            order(ls, i, CMD_RUN, x);
        }
    }
    wait_parked(ls);
    return machine_icount(ls->r[0].m) == x && machine_icount(ls->r[1].m) == x;
}

DiffLockstep *diff_lockstep_new(Machine *a, Machine *b, DiffConsole c[2], char *err,
                                size_t errlen)
{
    struct DiffLockstep *ls = calloc(1, sizeof(*ls));
    if (!ls) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&ls->mu, NULL);
    pthread_cond_init(&ls->cv, NULL);
    Machine *ms[2] = { a, b };
    for (int i = 0; i < 2; i++) {
        Runner *r = &ls->r[i];
        r->ls = ls;
        r->m = ms[i];
        r->con = &c[i];
        DebugFrontEnd fe = { 0 };
        if (!debug_attach(r->m, &fe)) {
            snprintf(err, errlen, "out of memory");
            diff_lockstep_free(ls);
            return NULL;
        }
        DebugController ctl = { .opaque = r, .stopped = runner_stopped,
                                .hold_at_end = runner_hold };
        debug_set_controller(r->m, &ctl);
        debug_attach_client(r->m);
        r->m->console_watch = runner_console;
        r->m->console_watch_opaque = r;
        /* Park at once: the first order comes from diff_lockstep_find. */
        debug_request_stop(r->m, DEBUG_STOP_REQUEST);
        if (pthread_create(&r->th, NULL, runner_main, r) != 0) {
            snprintf(err, errlen, "cannot start a thread");
            diff_lockstep_free(ls);
            return NULL;
        }
        r->started = true;
    }
    wait_parked(ls);
    return ls;
}

void diff_lockstep_free(DiffLockstep *ls)
{
    if (!ls)
        return;
    /* Orders go only to a parked runner (one on its way to a stop would
     * clear the order on arrival). */
    wait_parked_started(ls);
    for (int i = 0; i < 2; i++)
        if (ls->r[i].started) {
            order(ls, i, CMD_KILL, 0);
            pthread_join(ls->r[i].th, NULL);
        }
    for (int i = 0; i < 2; i++)
        if (ls->snap[i])
            snapshot_free(ls->snap[i]);
    free(ls->base);
    pthread_cond_destroy(&ls->cv);
    pthread_mutex_destroy(&ls->mu);
    free(ls);
}

/* ------------------------------------------------------------ checkpoints */

static bool checkpoint_both(struct DiffLockstep *ls)
{
    for (int i = 0; i < 2; i++) {
        if (ls->snap[i])
            snapshot_free(ls->snap[i]);
        ls->snap[i] = snapshot_take(ls->r[i].m);
        if (!ls->snap[i] || !play_cursor_save(ls->r[i].m->replay, &ls->cur[i]))
            return false;
    }
    ls->snap_icount = machine_icount(ls->r[0].m);
    ls->have_snap = true;
    return true;
}

static bool restore_both(struct DiffLockstep *ls, char *err, size_t errlen)
{
    for (int i = 0; i < 2; i++) {
        Machine *m = ls->r[i].m;
        if (!snapshot_restore(m, ls->snap[i], err, errlen) ||
            !play_cursor_restore(m->replay, &ls->cur[i], err, errlen))
            return false;
        m->rewound = true;
        ls->r[i].ended = false;
        diff_console_cut(ls->r[i].con, ls->snap_icount);
    }
    return true;
}

/* ------------------------------------------------------------ comparing */

/* The named fields of a hart, in a fixed order. */
static unsigned hart_fields(const Hart *h, const char **names, uint64_t *v)
{
    unsigned n = 0;
#define F(nm, val) (names[n] = (nm), v[n++] = (val))
    F("pc", h->pc);
    F("priv", h->priv);
    for (int i = 1; i < 32; i++)
        F(xnames[i], h->x[i]);
    for (int i = 0; i < 32; i++)
        F(fnames[i], h->f[i]);
    const Csrs *c = &h->csr;
    F("icount", h->icount);
    F("mstatus", c->mstatus);
    F("mie", c->mie);
    F("mip", c->mip);
    F("medeleg", c->medeleg);
    F("mideleg", c->mideleg);
    F("mtvec", c->mtvec);
    F("mscratch", c->mscratch);
    F("mepc", c->mepc);
    F("mcause", c->mcause);
    F("mtval", c->mtval);
    F("stvec", c->stvec);
    F("sscratch", c->sscratch);
    F("sepc", c->sepc);
    F("scause", c->scause);
    F("stval", c->stval);
    F("satp", c->satp);
    F("fflags", c->fflags);
    F("frm", c->frm);
    F("reservation", h->lr_valid ? h->lr_addr : UINT64_MAX);
    F("wfi", h->wfi);
#undef F
    return n;
}

enum { HART_FIELDS_MAX = 2 + 31 + 32 + 24 };

/* The registers that differ (all harts), into out (at most max). */
static unsigned diff_harts(const Machine *a, const Machine *b, DiffReg *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned h = 0; h < a->nharts && h < b->nharts; h++) {
        const char *na[HART_FIELDS_MAX], *nb[HART_FIELDS_MAX];
        uint64_t va[HART_FIELDS_MAX], vb[HART_FIELDS_MAX];
        unsigned k = hart_fields(&a->harts[h], na, va);
        hart_fields(&b->harts[h], nb, vb);
        for (unsigned i = 0; i < k; i++)
            if (va[i] != vb[i]) {
                if (out && n < max) {
                    out[n].hart = h;
                    snprintf(out[n].name, sizeof(out[n].name), "%s", na[i]);
                    out[n].a = va[i];
                    out[n].b = vb[i];
                }
                n++;
            }
    }
    return n;
}

static const BasePage *base_find(const struct DiffLockstep *ls, uint64_t index)
{
    size_t lo = 0, hi = ls->nbase;
    while (lo < hi) { /* the pages are sorted */
        size_t mid = (lo + hi) / 2;
        if (ls->base[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ls->nbase && ls->base[lo].index == index ? &ls->base[lo] : NULL;
}

/* Is the difference at byte i of a page new since the baseline? */
static bool byte_new(const BasePage *bp, size_t i, uint8_t a, uint8_t b)
{
    return a != b && (!bp || bp->a[i] != a || bp->b[i] != b);
}

/* New RAM differences: their number in bytes; the first runs into out. */
static uint64_t diff_ram(const struct DiffLockstep *ls, DiffMem *out, unsigned max,
                         unsigned *nout)
{
    const Memory *ma = &ls->r[0].m->mem, *mb = &ls->r[1].m->mem;
    uint64_t size = ma->ram_size < mb->ram_size ? ma->ram_size : mb->ram_size;
    uint64_t bytes = 0;
    unsigned n = 0;
    for (uint64_t off = 0; off < size; off += PAGE) {
        size_t len = size - off < PAGE ? (size_t)(size - off) : PAGE;
        const uint8_t *pa = ma->ram + off, *pb = mb->ram + off;
        uint64_t page = off / PAGE;
        const BasePage *bp = base_find(ls, page);
        /* Only pages written since the last checkpoint taken or restored
         * (where no new difference existed) can hold one: Memory's
         * snap_bitmap marks them on both sides (core/snapshot.h). */
        if (!bp && !(((ma->snap_bitmap[page >> 3] | mb->snap_bitmap[page >> 3]) >> (page & 7)) & 1))
            continue;
        if (memcmp(pa, pb, len) == 0)
            continue;
        for (size_t i = 0; i < len; i++) {
            if (!byte_new(bp, i, pa[i], pb[i]))
                continue;
            bytes++;
            if (!out)
                return bytes; /* only asked whether there is one */
            if (n && out[n - 1].addr + out[n - 1].len == ma->ram_base + off + i &&
                out[n - 1].len < 16) {
                DiffMem *d = &out[n - 1];
                d->a[d->len] = pa[i];
                d->b[d->len++] = pb[i];
            } else if (n < max) {
                DiffMem *d = &out[n++];
                d->addr = ma->ram_base + off + i;
                d->len = 1;
                d->a[0] = pa[i];
                d->b[0] = pb[i];
            }
        }
    }
    if (nout)
        *nout = n;
    return bytes;
}

/* Remember the RAM pages that differ now (the start of the search). */
static bool take_baseline(struct DiffLockstep *ls)
{
    const Memory *ma = &ls->r[0].m->mem, *mb = &ls->r[1].m->mem;
    uint64_t size = ma->ram_size < mb->ram_size ? ma->ram_size : mb->ram_size;
    for (uint64_t off = 0; off + PAGE <= size; off += PAGE) {
        if (memcmp(ma->ram + off, mb->ram + off, PAGE) == 0)
            continue;
        if (ls->nbase == BASELINE_MAX_PAGES) {
            ls->base_overflow = true;
            return false;
        }
        BasePage *nb = realloc(ls->base, (ls->nbase + 1) * sizeof(*nb));
        if (!nb)
            return false;
        ls->base = nb;
        BasePage *bp = &ls->base[ls->nbase++];
        bp->index = off / PAGE;
        memcpy(bp->a, ma->ram + off, PAGE);
        memcpy(bp->b, mb->ram + off, PAGE);
    }
    return true;
}

static bool states_agree(const struct DiffLockstep *ls)
{
    return diff_harts(ls->r[0].m, ls->r[1].m, NULL, 0) == 0 && diff_ram(ls, NULL, 0, NULL) == 0;
}

/* The instruction at hart h's pc on machine m (0 length: unreadable). */
static unsigned read_insn(Machine *m, unsigned hart, uint32_t *insn)
{
    Hart *h = &m->harts[hart];
    uint64_t pa;
    *insn = 0;
    if (!mmu_debug_translate(h, h->pc, &pa))
        return 0;
    const uint8_t *p = memory_ram_ptr(&m->mem, pa, 2);
    if (!p)
        return 0;
    uint32_t w = p[0] | (uint32_t)p[1] << 8;
    if ((w & 3) != 3) {
        *insn = w;
        return 2;
    }
    uint64_t pa2;
    if (!mmu_debug_translate(h, h->pc + 2, &pa2) || !(p = memory_ram_ptr(&m->mem, pa2, 2)))
        return 0;
    *insn = w | (uint32_t)(p[0] | p[1] << 8) << 16;
    return 4;
}

/* ------------------------------------------------------------ the search */

static void side_note(struct DiffLockstep *ls, DiffPoint *out, const char *doing, uint64_t x)
{
    for (int i = 0; i < 2; i++) {
        Machine *m = ls->r[i].m;
        if (machine_icount(m) == x)
            continue;
        char report[512] = "";
        int code;
        ReplayResult res = replay_play_result(m, report, sizeof(report), &code);
        snprintf(out->note, sizeof(out->note), "trace %c cannot be replayed %s icount %" PRIu64
                 " (it stops at %" PRIu64 ")%s%.160s", 'A' + i, doing, x, machine_icount(m),
                 res == REPLAY_RESULT_DIVERGED ? ": its replay diverged from it: " : "",
                 res == REPLAY_RESULT_DIVERGED ? report : "");
        return;
    }
}

bool diff_lockstep_find(DiffLockstep *ls, uint64_t lo, uint64_t hi, uint64_t show_to,
                        DiffPoint *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->hart = -1;
    out->lo = lo;
    out->hi = hi;
    uint64_t start = machine_icount(ls->r[0].m);
    if (machine_icount(ls->r[1].m) != start) {
        snprintf(out->note, sizeof(out->note), "the recordings start at different icounts");
        return true;
    }
    if (lo < start)
        lo = start;
    if (!run_both(ls, lo)) {
        side_note(ls, out, "to", lo);
        return true;
    }
    if (!take_baseline(ls) && !ls->base_overflow) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (ls->base_overflow) {
        snprintf(out->note, sizeof(out->note), "RAM differs in more than %d pages at icount "
                 "%" PRIu64 ": the runs are too different to bisect", BASELINE_MAX_PAGES, lo);
        return true;
    }
    if (diff_harts(ls->r[0].m, ls->r[1].m, NULL, 0)) {
        /* Already apart where they should agree: report that point. */
        out->found = true;
        out->icount = lo;
        out->nregs = diff_harts(ls->r[0].m, ls->r[1].m, out->regs, DIFF_MAX_REGS);
        if (out->nregs > DIFF_MAX_REGS)
            out->nregs = DIFF_MAX_REGS;
        snprintf(out->note, sizeof(out->note), "the harts already differ at icount %" PRIu64,
                 lo);
        return true;
    }
    if (!checkpoint_both(ls)) {
        snprintf(err, errlen, "cannot take a checkpoint (out of memory?)");
        return false;
    }
    /* Gallop from lo (lo + 1, + 2, + 4, ... up to hi) to the first point
     * where the states differ: a difference may be gone again by hi (a
     * different byte typed into a buffer that is overwritten later). */
    uint64_t lo0 = lo, step = 1;
    bool apart = false;
    for (;;) {
        uint64_t x = hi - lo0 > step ? lo0 + step : hi;
        if (!run_both(ls, x)) {
            side_note(ls, out, "to", x);
            return true;
        }
        if (!states_agree(ls)) {
            hi = x;
            apart = true;
            break;
        }
        lo = x;
        if (x == hi)
            break;
        if (!checkpoint_both(ls)) {
            snprintf(err, errlen, "cannot take a checkpoint (out of memory?)");
            return false;
        }
        step *= 2;
    }
    if (!apart) {
        snprintf(out->note, sizeof(out->note), "harts and RAM agree from icount %" PRIu64
                 " to %" PRIu64, lo0, hi);
        out->replayed = ls->replayed;
        return true;
    }
    uint64_t at = hi; /* where the machines stand */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (at > mid) {
            if (!restore_both(ls, err, errlen))
                return false;
            wait_parked(ls); /* still parked: the restore does not run them */
        }
        if (!run_both(ls, mid)) {
            side_note(ls, out, "to", mid);
            return true;
        }
        at = mid;
        out->steps++;
        if (states_agree(ls)) {
            lo = mid;
            if (!checkpoint_both(ls)) {
                snprintf(err, errlen, "cannot take a checkpoint (out of memory?)");
                return false;
            }
        } else {
            hi = mid;
        }
    }
    /* The instruction between lo and lo + 1. */
    if (at != lo && !restore_both(ls, err, errlen))
        return false;
    uint64_t before[2][MACHINE_MAX_HARTS], pcs[2][MACHINE_MAX_HARTS];
    unsigned privs[2][MACHINE_MAX_HARTS];
    uint32_t insn[2][MACHINE_MAX_HARTS];
    unsigned ilen[2][MACHINE_MAX_HARTS];
    for (int i = 0; i < 2; i++) {
        Machine *m = ls->r[i].m;
        for (unsigned h = 0; h < m->nharts; h++) {
            before[i][h] = m->harts[h].icount;
            pcs[i][h] = m->harts[h].pc;
            privs[i][h] = m->harts[h].priv;
            ilen[i][h] = read_insn(m, h, &insn[i][h]);
        }
    }
    if (!run_both(ls, lo + 1)) {
        side_note(ls, out, "to", lo + 1);
        return true;
    }
    out->found = true;
    out->icount = lo;
    out->hart_b = -1;
    for (int i = 0; i < 2; i++) {
        Machine *m = ls->r[i].m;
        for (unsigned h = 0; h < m->nharts; h++) {
            if (m->harts[h].icount == before[i][h])
                continue;
            *(i ? &out->hart_b : &out->hart) = (int)h;
            *(i ? &out->pc_b : &out->pc) = pcs[i][h];
            *(i ? &out->priv_b : &out->priv) = privs[i][h];
            out->insn[i] = insn[i][h];
            out->ilen[i] = ilen[i][h];
        }
    }
    unsigned nr = diff_harts(ls->r[0].m, ls->r[1].m, out->regs, DIFF_MAX_REGS);
    out->nregs = nr > DIFF_MAX_REGS ? DIFF_MAX_REGS : nr;
    out->mem_bytes = diff_ram(ls, out->mem, DIFF_MAX_MEM, &out->nmem);
    out->replayed = ls->replayed;
    /* On a little, for the console output after the point. */
    uint64_t end = show_to;
    for (int i = 0; i < 2; i++) {
        TraceSummary s;
        trace_reader_summary(ls->r[i].m->replay->reader, &s);
        if (s.last_icount < end)
            end = s.last_icount;
    }
    if (end > lo + 1)
        run_both(ls, end);
    out->replayed = ls->replayed;
    return true;
}
