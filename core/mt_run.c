/* The fast mode: one host thread per hart (see mt_run.h). */
#include "core/mt_run.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "core/mmu.h"
#include "core/trap.h"
#include "translator/exec.h"
#include "translator/tb_cache.h"
#include "translator/translate.h"

typedef struct MtHart {
    pthread_t thread;
    Machine *m;
    Hart *h;
    /* Set (atomically) to make the hart leave its TB loop at the next TB
     * boundary: exclusive work is waiting, or the machine stops. */
    int kick;
    /* wfi: the hart sleeps on `wake` under `sleep_lock` until a mip bit
     * enabled in mie is set (mt_kick) or the machine stops. */
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    /* Exclusive work the translator asked for (its own thread only). */
    bool want_flush;
    uint64_t flushes_seen; /* stats.tb_flushes when it asked */
    uint64_t want_code_page; /* a page to mark as holding code, or 0 */
} MtHart;

typedef struct MtState MtState;

struct MtState {
    Machine *m;
    /* The exclusive protocol (as MTTCG's start_exclusive): a hart thread
     * is "running" while inside its TBs (and translating); exclusive work
     * waits until none is, and none starts while it is active. */
    pthread_mutex_t lock;
    pthread_cond_t none_running, resume;
    unsigned nrunning;
    bool exclusive;
    pthread_mutex_t io_lock;
    pthread_mutex_t tb_lock; /* recursive */
    /* The timer thread sleeps on `timer` until the next deadline or a poke. */
    pthread_mutex_t timer_lock;
    pthread_cond_t timer;
    bool poked;
    /* The machine stops: set once, read by every thread. */
    int stopping;
    /* A reboot is in progress (its thread holds every sleep lock). */
    int resetting;
    pthread_mutex_t stop_lock;
    uint64_t host_start_ns, clock_base_ns;
    MtHart harts[MACHINE_MAX_HARTS];
};

static bool stopping(const MtState *mt)
{
    return __atomic_load_n(&mt->stopping, __ATOMIC_ACQUIRE) != 0;
}

/* ----------------------------------------------------------------- clock */

uint64_t mt_clock_ns(const Machine *m)
{
    return icount_host_ns() - m->mt->host_start_ns + m->mt->clock_base_ns;
}

/* --------------------------------------------------------------- locks */

void mt_io_lock(Machine *m)
{
    pthread_mutex_lock(&m->mt->io_lock);
}

static void poke_timer(MtState *mt)
{
    pthread_mutex_lock(&mt->timer_lock);
    mt->poked = true;
    pthread_cond_signal(&mt->timer);
    pthread_mutex_unlock(&mt->timer_lock);
}

/* The timer queue's head moved earlier (a hart armed a timer). */
static void timer_head_earlier(void *opaque)
{
    poke_timer(opaque);
}

void mt_io_unlock(Machine *m, bool poke)
{
    pthread_mutex_unlock(&m->mt->io_lock);
    if (poke)
        poke_timer(m->mt);
}

void mt_tb_lock(Machine *m)
{
    pthread_mutex_lock(&m->mt->tb_lock);
}

void mt_tb_unlock(Machine *m)
{
    pthread_mutex_unlock(&m->mt->tb_lock);
}

void mt_ram_written(Machine *m, uint64_t pa, uint64_t len)
{
    for (uint64_t page = pa & ~0xfffULL; page < pa + len; page += 0x1000)
        if (memory_ram_ptr(&m->mem, page, 1) && memory_page_has_code(&m->mem, page)) {
            mt_tb_lock(m);
            tb_invalidate_page(m, page);
            mt_tb_unlock(m);
        }
}

void mt_note_flush(Hart *h)
{
    MtHart *t = &h->m->mt->harts[h->id];
    t->want_flush = true;
    t->flushes_seen = h->m->stats.tb_flushes; /* under the TB lock */
}

void mt_note_code_page(Hart *h, uint64_t page)
{
    h->m->mt->harts[h->id].want_code_page = page & ~0xfffULL;
}

/* ------------------------------------------------------ wake-ups, stops */

void mt_kick(Hart *h)
{
    MtHart *t = &h->m->mt->harts[h->id];
    /* A device reset during a reboot: the rebooting thread holds the
     * sleep locks, and wakes every hart when it is done. */
    if (__atomic_load_n(&h->m->mt->resetting, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&t->sleep_lock);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->sleep_lock);
}

/* Make a hart leave its TB loop: the portable loop looks at `kick`
 * between TBs; native code chains from TB to TB without returning, and
 * each chain entry compares the hart's icount with icount_end, which 0
 * makes fail. */
static void kick_hart(MtHart *t)
{
    __atomic_store_n(&t->kick, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&t->h->icount_end, 0, __ATOMIC_SEQ_CST);
}

static void kick_all(MtState *mt)
{
    for (unsigned i = 0; i < mt->m->nharts; i++)
        kick_hart(&mt->harts[i]);
}

void mt_request_stop(Machine *m, StopReason why, int code, const char *msg)
{
    MtState *mt = m->mt;
    pthread_mutex_lock(&mt->stop_lock);
    if (why == STOP_ERROR && m->stop != STOP_ERROR) {
        snprintf(m->error, sizeof(m->error), "%s", msg);
        m->stop = STOP_ERROR;
    } else if (why == STOP_EXIT && m->stop == STOP_NONE) {
        m->stop = STOP_EXIT;
        m->exit_code = code;
    }
    pthread_mutex_unlock(&mt->stop_lock);
    __atomic_store_n(&mt->stopping, 1, __ATOMIC_SEQ_CST);
    kick_all(mt);
    for (unsigned i = 0; i < m->nharts; i++)
        mt_kick(&m->harts[i]);
    poke_timer(mt);
}

/* ------------------------------------------------------------ exclusive */

/* The calling hart thread enters its TBs: not while exclusive work runs. */
static void exec_begin(MtState *mt, MtHart *t)
{
    pthread_mutex_lock(&mt->lock);
    while (mt->exclusive)
        pthread_cond_wait(&mt->resume, &mt->lock);
    /* Cleared here, under the lock and with no exclusive work pending, so
     * that a request made later is never lost. A stop is not made under
     * this lock: it sets `stopping` before it kicks, so if the kick it
     * made is the one cleared here, the load below sees `stopping`
     * (all sequentially consistent) and the kick is put back. The native
     * chain's limit goes the same way (no budget: time is the host's). */
    __atomic_store_n(&t->h->icount_end, UINT64_MAX, __ATOMIC_SEQ_CST);
    __atomic_store_n(&t->kick, 0, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&mt->stopping, __ATOMIC_SEQ_CST))
        kick_hart(t);
    mt->nrunning++;
    pthread_mutex_unlock(&mt->lock);
}

static void exec_end(MtState *mt)
{
    pthread_mutex_lock(&mt->lock);
    if (--mt->nrunning == 0 && mt->exclusive)
        pthread_cond_signal(&mt->none_running);
    pthread_mutex_unlock(&mt->lock);
}

/* Stop the world: wait until no hart thread is inside its TBs (sleeping
 * ones are not), then take the device lock too, so that no device DMA
 * runs either. The caller must hold neither lock nor be "running". */
static void exclusive_begin(MtState *mt)
{
    pthread_mutex_lock(&mt->lock);
    while (mt->exclusive)
        pthread_cond_wait(&mt->resume, &mt->lock);
    mt->exclusive = true;
    kick_all(mt);
    while (mt->nrunning > 0)
        pthread_cond_wait(&mt->none_running, &mt->lock);
    pthread_mutex_unlock(&mt->lock);
    pthread_mutex_lock(&mt->io_lock);
}

static void exclusive_end(MtState *mt)
{
    pthread_mutex_unlock(&mt->io_lock);
    pthread_mutex_lock(&mt->lock);
    mt->exclusive = false;
    pthread_cond_broadcast(&mt->resume);
    pthread_mutex_unlock(&mt->lock);
}

/* What the translator asked for, as exclusive work. */
static void do_exclusive_requests(MtState *mt, MtHart *t)
{
    Machine *m = mt->m;
    if (t->want_flush) {
        t->want_flush = false;
        exclusive_begin(mt);
        if (m->stats.tb_flushes == t->flushes_seen) /* nobody else did it */
            tb_cache_flush(m);
        exclusive_end(mt);
    }
    if (t->want_code_page) {
        uint64_t page = t->want_code_page;
        t->want_code_page = 0;
        exclusive_begin(mt);
        if (!memory_page_has_code(&m->mem, page)) {
            /* From now on every store to the page takes the slow path,
             * which drops its TBs before it writes: no hart is inside a
             * store that could slip past (they are all stopped). */
            memory_set_code_page(&m->mem, page, true);
            for (unsigned i = 0; i < m->nharts; i++)
                hart_tlb_drop_writes(&m->harts[i], page);
        }
        exclusive_end(mt);
    }
}

/* ------------------------------------------------------------ hart loop */

static bool irq_enabled_pending(const Hart *h)
{
    return (hart_mip(h) & h->csr.mie) != 0;
}

/* Run TBs until a kick, a wfi, or exclusive work the translator asked for. */
static void run_tbs(MtState *mt, MtHart *t)
{
    Hart *h = t->h;
    Machine *m = mt->m;
    TB *prev = NULL; /* last TB, when it left through a chainable slot */
    int prev_slot = 0;
    while (!__atomic_load_n(&t->kick, __ATOMIC_ACQUIRE)) {
        if (irq_enabled_pending(h) && trap_check_interrupts(h))
            prev = NULL;
        if (h->wfi)
            return;
        TB *tb = tb_find(h, tb_flags_for(h));
        if (!tb) { /* a fetch fault was taken, or exclusive work is due */
            if (t->want_flush || t->want_code_page)
                return;
            prev = NULL;
            continue;
        }
        if (prev) {
            mt_tb_lock(m);
            tb_chain(m, prev, prev_slot, tb);
            mt_tb_unlock(m);
        }
        prev = NULL;
        for (;;) {
            int r = tb_exec(h, &tb, TB_EXEC_END_AS_SET); /* exec_begin set it */
            if (r != OP_EXIT_JUMP0 && r != OP_EXIT_JUMP1)
                break; /* (a wfi is seen at the top of the loop) */
            int slot = r - OP_EXIT_JUMP0;
            TB *next = __atomic_load_n(&tb->next[slot], __ATOMIC_ACQUIRE);
            if (!next || tb_is_invalid(next) || irq_enabled_pending(h) ||
                __atomic_load_n(&t->kick, __ATOMIC_RELAXED)) {
                if (!next && !tb->nochain && !tb_is_invalid(tb)) {
                    prev = tb;
                    prev_slot = slot;
                }
                break;
            }
            tb = next;
        }
    }
}

/* wfi: sleep until an interrupt enabled in mie is pending (or a reboot
 * ended the wait). Between batches the hart's wfi and mie are read under
 * its sleep lock, which a reboot holds while it resets them. */
static void sleep_in_wfi(MtState *mt, MtHart *t)
{
    Hart *h = t->h;
    pthread_mutex_lock(&t->sleep_lock);
    /* A wfi with an enabled interrupt already pending is a nop (the spec
     * lets the hart go on). Guests spin on such a wfi: OpenSBI 1.1 waits
     * for its HSM start with a stale MSIP still pending. The spinning
     * thread lets the others run first: on a loaded host it otherwise
     * takes the core from the hart that is about to start it, and OpenSBI
     * 1.1 sets the START_PENDING state before it writes the start address,
     * so the woken hart can jump to the old one (docs/internals.md). */
    bool spun = h->wfi && irq_enabled_pending(h);
    while (h->wfi && !irq_enabled_pending(h) && !stopping(mt))
        pthread_cond_wait(&t->wake, &t->sleep_lock);
    if (h->wfi && irq_enabled_pending(h))
        h->wfi = false;
    pthread_mutex_unlock(&t->sleep_lock);
    if (spun)
        sched_yield();
}

static void *hart_thread(void *arg)
{
    MtHart *t = arg;
    MtState *mt = t->m->mt;
    while (!stopping(mt)) {
        do_exclusive_requests(mt, t);
        sleep_in_wfi(mt, t);
        if (stopping(mt))
            break;
        exec_begin(mt, t);
        run_tbs(mt, t);
        exec_end(mt);
    }
    return NULL;
}

/* ---------------------------------------------------------- timer, I/O */

/* A guest reboot: every hart stopped (asleep ones too: their sleep locks
 * are held so that none looks at its state while it is reset). */
static void do_reset(MtState *mt)
{
    Machine *m = mt->m;
    exclusive_begin(mt);
    __atomic_store_n(&mt->resetting, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < m->nharts; i++)
        pthread_mutex_lock(&mt->harts[i].sleep_lock);
    char err[256];
    bool ok = machine_reset(m, err, sizeof(err));
    for (unsigned i = m->nharts; i-- > 0;)
        pthread_mutex_unlock(&mt->harts[i].sleep_lock);
    __atomic_store_n(&mt->resetting, 0, __ATOMIC_RELEASE);
    /* Harts asleep in wfi are not any more: wake them to look. */
    for (unsigned i = 0; i < m->nharts; i++) {
        pthread_mutex_lock(&mt->harts[i].sleep_lock);
        pthread_cond_signal(&mt->harts[i].wake);
        pthread_mutex_unlock(&mt->harts[i].sleep_lock);
    }
    exclusive_end(mt);
    if (!ok)
        machine_fail(m, "reset: %s", err);
}

/* The hand-off (Machine.fast_until): stop every hart thread without a
 * stop reason; machine_run returns with stop still STOP_NONE. */
static void stop_for_hand_off(MtState *mt)
{
    Machine *m = mt->m;
    /* Read after the threads are joined; hart threads may set it too. */
    __atomic_store_n(&m->fast_until_reached, true, __ATOMIC_RELAXED);
    __atomic_store_n(&mt->stopping, 1, __ATOMIC_SEQ_CST);
    kick_all(mt);
    for (unsigned i = 0; i < m->nharts; i++)
        mt_kick(&m->harts[i]);
}

int mt_op_until_pc(Hart *h, const Op *op)
{
    Machine *m = h->m;
    if (!m->mt)
        return op_next(h, op);
    /* Stop before the instruction, as a breakpoint does (core/debug.c):
     * the TB's instructions are given back, pc is ADDR. The kick this
     * makes ends this hart's loop too, before it runs anything else. */
    stop_for_hand_off(m->mt);
    h->exc_idx = op->idx;
    h->pc = op->pc;
    return OP_EXIT_EXC;
}

/* Machine.fast_until_insns: the harts' counts are their own threads'
 * (plain stores), so they are added up with every hart stopped. */
static bool insns_reached(MtState *mt)
{
    exclusive_begin(mt);
    bool reached = machine_icount(mt->m) >= mt->m->fast_until_insns;
    exclusive_end(mt);
    return reached;
}

/* The calling thread: the timers due (host clock) and the devices' ticks,
 * host input every 10 ms at least, reboots, the hand-off's conditions. It
 * sleeps until the timer queue's head, or until an arm makes it earlier. */
static void timer_loop(MtState *mt)
{
    Machine *m = mt->m;
    uint64_t next_insns_check = 0;
    while (!stopping(mt)) {
        pthread_mutex_lock(&mt->io_lock);
        bool reset = m->reset_requested, hand_off = false;
        uint64_t deadline = UINT64_MAX;
        if (!reset) {
            machine_tick_devices(m);
            uv_run(m->loop, UV_RUN_NOWAIT);
            deadline = machine_next_deadline(m);
            hand_off = m->fast_until &&
                       m->fast_until(m->fast_until_opaque, mt_clock_ns(m) - mt->clock_base_ns);
        }
        pthread_mutex_unlock(&mt->io_lock);
        if (reset) {
            do_reset(mt);
            continue;
        }
        uint64_t now = mt_clock_ns(m), wait = 10000000;
        if (!hand_off && m->fast_until_insns && now >= next_insns_check) {
            next_insns_check = now + 10000000;
            hand_off = insns_reached(mt);
        }
        if (hand_off) {
            stop_for_hand_off(mt);
            break;
        }
        if (m->fast_until || m->fast_until_insns)
            wait = 1000000; /* the conditions are looked at every millisecond */
        if (deadline != UINT64_MAX) {
            uint64_t d = deadline > UINT64_MAX / 100 ? UINT64_MAX : deadline * 100;
            wait = d <= now ? 0 : d - now < wait ? d - now : wait;
        }
        if (wait == 0)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + wait;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_mutex_lock(&mt->timer_lock);
        while (!mt->poked && !stopping(mt))
            if (pthread_cond_timedwait(&mt->timer, &mt->timer_lock, &ts) == ETIMEDOUT)
                break;
        mt->poked = false;
        pthread_mutex_unlock(&mt->timer_lock);
    }
}

/* -------------------------------------------------------------- the run */

static void mt_state_free(MtState *mt)
{
    for (unsigned i = 0; i < mt->m->nharts; i++) {
        pthread_mutex_destroy(&mt->harts[i].sleep_lock);
        pthread_cond_destroy(&mt->harts[i].wake);
    }
    pthread_mutex_destroy(&mt->lock);
    pthread_cond_destroy(&mt->none_running);
    pthread_cond_destroy(&mt->resume);
    pthread_mutex_destroy(&mt->io_lock);
    pthread_mutex_destroy(&mt->tb_lock);
    pthread_mutex_destroy(&mt->timer_lock);
    pthread_cond_destroy(&mt->timer);
    pthread_mutex_destroy(&mt->stop_lock);
    free(mt);
}

void mt_run(Machine *m)
{
    MtState *mt = calloc(1, sizeof(*mt));
    if (!mt) {
        machine_fail(m, "fast mode: out of memory");
        return;
    }
    mt->m = m;
    pthread_mutex_init(&mt->lock, NULL);
    pthread_cond_init(&mt->none_running, NULL);
    pthread_cond_init(&mt->resume, NULL);
    pthread_mutex_init(&mt->io_lock, NULL);
    pthread_mutexattr_t rec;
    pthread_mutexattr_init(&rec);
    pthread_mutexattr_settype(&rec, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&mt->tb_lock, &rec);
    pthread_mutexattr_destroy(&rec);
    pthread_mutex_init(&mt->timer_lock, NULL);
    pthread_cond_init(&mt->timer, NULL);
    pthread_mutex_init(&mt->stop_lock, NULL);
    for (unsigned i = 0; i < m->nharts; i++) {
        MtHart *t = &mt->harts[i];
        t->m = m;
        t->h = &m->harts[i];
        pthread_mutex_init(&t->sleep_lock, NULL);
        pthread_cond_init(&t->wake, NULL);
    }
    /* The clock goes on from where the machine's clock stands (0 from a
     * boot, a checkpoint's time after --from-checkpoint). */
    mt->clock_base_ns = machine_clock_ns(m);
    mt->host_start_ns = icount_host_ns();
    /* Hart threads arm timers: the queue takes its lock, and an earlier
     * head wakes the timer thread. */
    m->timers.earlier = timer_head_earlier;
    m->timers.earlier_opaque = mt;
    timerq_set_shared(&m->timers, true);
    /* From here on the shared code takes the fast mode's paths. Pages
     * marked as code by an earlier run keep their marks: every hart's
     * write entries for them are already gone. */
    m->mt = mt;
    /* Native code translated by the deterministic engine does not look at
     * interrupts that other threads raise (translator/native.h): drop it. */
    tb_cache_flush(m);
    /* A reservation of the deterministic engine (a checkpoint's) holds an
     * address, not the value the fast mode's SC compares: drop it, and
     * the SC fails and is retried, as after any interrupt. */
    for (unsigned i = 0; i < m->nharts; i++)
        m->harts[i].lr_valid = false;
    if (m->stop != STOP_NONE)
        __atomic_store_n(&mt->stopping, 1, __ATOMIC_RELEASE);
    unsigned started = 0;
    for (; started < m->nharts && !stopping(mt); started++)
        if (pthread_create(&mt->harts[started].thread, NULL, hart_thread,
                           &mt->harts[started]) != 0) {
            machine_fail(m, "fast mode: cannot start the thread of hart %u", started);
            break;
        }
    timer_loop(mt);
    for (unsigned i = 0; i < started; i++)
        pthread_join(mt->harts[i].thread, NULL);
    /* Back to one thread: the machine's clock stands where the host's did
     * (as if the time had been skipped). */
    uint64_t end_ns = mt_clock_ns(m);
    m->mt = NULL;
    timerq_set_shared(&m->timers, false);
    m->timers.earlier = NULL;
    uint64_t now = machine_clock_ns(m);
    /* Rounded up to the next mtime tick: the guest's time never goes back.
     * If the deterministic clock is already ahead (more instructions were
     * retired than ns_per_insn allows for the host time that passed),
     * nothing can be taken off: the guest sees time jump forward by the
     * difference, as after a host stall (docs/internals.md, "Hand-off"). */
    if (end_ns > now)
        m->mtime_skipped += (end_ns - now + 99) / 100;
    m->fast_end_clock_ns = end_ns;
    m->fast_clock_lead_ns = now > end_ns ? now - end_ns : 0;
    if (m->fast_until_reached)
        for (unsigned i = 0; i < m->nharts; i++) {
            /* A fast-mode reservation is checked by value (the SC's
             * compare-and-swap), the deterministic engine's by address:
             * drop it, and a pending SC fails and is retried, as after
             * any interrupt. */
            m->harts[i].lr_valid = false;
        }
    mt_state_free(mt);
}
