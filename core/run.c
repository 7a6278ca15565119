/* The run loop: harts take turns (round robin, fixed quantum, or the
 * chaos schedule of core/chaos.h) on one host
 * thread. A turn is cut into slices: each slice's budget is the smallest of
 * what is left of the quantum, the instructions until the next device
 * deadline, and those until the next state digest, so that every event
 * happens on its exact instruction. */
#include <inttypes.h>
#include <time.h>

#include <uv.h>

#include "core/debug.h"
#include "core/digest.h"
#include "core/machine.h"
#include "core/mmu.h"
#include "core/mt_run.h"
#include "core/trap.h"
#include "core/trap_loop.h"
#include "core/turn.h"
#include "replay/replay.h"
#include "translator/exec.h"
#include "translator/translate.h"

/* Is there anything for the interrupt logic to look at? (cheap check) */
static inline bool irq_maybe(const Hart *h)
{
    return (h->csr.mip & h->csr.mie) != 0;
}

/* Run the op that reached a device again, alone, in a CF_LAST_IO TB: the
 * device then sees the exact instruction count. */
static void run_io_insn(Machine *m, Hart *h)
{
    h->io_retry = false;
    m->stats.recompile_io++;
    TB *tb = tb_find(h, tb_flags_for(h) | TBF_LAST_IO | 1u << TBF_COUNT_SHIFT);
    if (tb)
        tb_exec(h, &tb, h->icount + 1);
    /* A device may have retried again only if the TB was not LAST_IO,
     * which cannot happen; clear it defensively. */
    h->io_retry = false;
}

uint64_t machine_run_hart(Machine *m, Hart *h, uint64_t n)
{
    const uint64_t start = h->icount, end = start + n;
    TB *prev = NULL; /* last TB, when it left through a chainable slot */
    int prev_slot = 0;
    const bool trace = LOG_ON(&m->log, LOG_EXEC) != 0;
    TrapLoopWatch watch = { 0 };

    h->trap_loop = false;
    while (m->stop == STOP_NONE && h->icount < end && !m->debug_pending) {
        if (irq_maybe(h) && trap_check_interrupts(h))
            prev = NULL;
        if (h->wfi)
            break;
        uint64_t left = end - h->icount;
        uint32_t flags = tb_flags_for(h);
        TB *tb = tb_find(h, flags);
        if (tb && tb->ninsns > left) {
            /* Not enough budget for the whole block: run a copy of its
             * first `left` instructions, so that the budget reaches zero
             * on the exact instruction. */
            m->stats.recompile_budget++;
            tb = tb_cut(tb, (unsigned)left, h->cut_tb);
            prev = NULL;
        }
        if (!tb) { /* fetch fault: the trap was taken */
            prev = NULL;
            if (!m->debug_pending && trap_loop_stuck(&watch, h)) {
                h->trap_loop = true;
                break;
            }
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
            int r = tb_exec(h, &tb, end);
            if (r != OP_EXIT_JUMP0 && r != OP_EXIT_JUMP1) {
                if (unlikely(h->io_retry)) {
                    run_io_insn(m, h);
                    /* Device state changed: let the caller look at
                     * deadlines and interrupts before going on. */
                    return h->icount - start;
                }
                /* A wfi ends the hart's turn, whatever is pending: it
                 * wakes at the start of a later turn. Looking at
                 * interrupts here instead would make the outcome depend
                 * on whether the slice ended right after the wfi, and a
                 * debugger's stop (a slice end of its own) would change
                 * the run. */
                if (r == OP_EXIT_WFI)
                    return h->icount - start;
                if (unlikely(h->slice_end)) {
                    /* A deadline moved (core/sstc.h): the caller
                     * recomputes the budget. */
                    h->slice_end = false;
                    return h->icount - start;
                }
                /* A trap taken (a debugger's stop leaves the same way,
                     * before its instruction, and is no trap). */
                if (r == OP_EXIT_EXC && !m->debug_pending && trap_loop_stuck(&watch, h)) {
                    h->trap_loop = true; /* core/trap_loop.h */
                    return h->icount - start;
                }
                break;
            }
            int slot = r - OP_EXIT_JUMP0;
            TB *next = tb->next[slot];
            if (!next || next->ninsns > end - h->icount || irq_maybe(h) ||
                m->stop != STOP_NONE || m->debug_pending) {
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

/* Instructions that may run before the next event: a device deadline or a
 * digest. 0 when one is due now. */
static uint64_t insns_to_next_event(Machine *m)
{
    uint64_t n = UINT64_MAX;
    uint64_t d = machine_next_deadline(m);
    if (d != UINT64_MAX) {
        uint64_t deadline_ns = d > UINT64_MAX / 100 ? UINT64_MAX : d * 100;
        n = icount_insns_until(machine_clock_ns(m), deadline_ns,
                               m->cfg.icount.ns_per_insn);
    }
    uint64_t total = machine_icount(m);
    uint64_t ev[2] = { m->next_digest, replay_next_icount(m) };
    for (int i = 0; i < 2; i++)
        if (ev[i] != UINT64_MAX) {
            uint64_t k = ev[i] > total ? ev[i] - total : 0;
            if (k < n)
                n = k;
        }
    return n;
}

static bool any_hart_wakes(const Machine *m)
{
    for (unsigned i = 0; i < m->nharts; i++)
        if (irq_maybe(&m->harts[i]))
            return true;
    return false;
}

/* shift=auto: wait until the host's clock reaches the guest's clock at
 * target_ns, polling host input every 10 ms. Returns false when input
 * woke a hart (or the machine stopped) before that. */
static bool pace(Machine *m, uint64_t target_ns)
{
    for (;;) {
        uint64_t host = icount_host_ns() - m->host_start_ns;
        if (target_ns <= host + 1000000) /* within 1 ms: not worth a sleep */
            return true;
        uint64_t d = target_ns - host;
        if (d > 10000000)
            d = 10000000;
        struct timespec ts = { 0, (long)d };
        nanosleep(&ts, NULL);
        uv_run(m->loop, UV_RUN_NOWAIT);
        if (m->stop != STOP_NONE || any_hart_wakes(m) || m->debug_pending)
            return false;
    }
}

/* Events due now: recorded input, digests, then device ticks. */
static void run_due_events(Machine *m)
{
    /* Recorded input first: recording logs an input point (and its bytes)
     * when the run loop first asks about a new icount, which is before a
     * periodic digest due at that same icount; replay must meet them in
     * that order. */
    replay_deliver_due(m);
    if (machine_icount(m) >= m->next_digest) {
        Digest d = digest_take(m);
        if (m->digest_print)
            digest_print(m, &d);
        replay_on_digest(m, &d);
        m->next_digest += m->cfg.digest_every;
    }
    machine_tick_devices(m);
}

/* One hart's turn: a quantum of instructions, or a few more to finish an
 * LR/SC sequence (core/turn.h), in slices that end on each event. Returns
 * the instructions retired. The count lives in m->sched.done (a snapshot
 * may be taken, and restored, mid-turn). */
static uint64_t hart_turn(Machine *m, Hart *h)
{
    uint64_t done, left;
    while ((left = turn_insns_left(m, h, done = m->sched.done)) > 0 &&
           m->stop == STOP_NONE &&
           !m->reset_requested && !m->rewound /* a checkpoint replaced the state */) {
        if (unlikely(m->debug_pending)) {
            /* A stop made while the machine stood still (a reverse
             * debugger's, after a restore): before the events due here,
             * as if the previous slice had just ended. */
            debug_serve(m, h);
            continue;
        }
        uint64_t n = insns_to_next_event(m);
        if (n == 0) {
            run_due_events(m);
            n = insns_to_next_event(m);
            if (n == 0)
                n = 1; /* a device left its deadline in the past */
        }
        /* wfi ends when an interrupt is pending and enabled in mie, even
         * if globally disabled, at the start of a turn. A wfi inside the
         * turn ends it (as below): this is only seen here when a snapshot
         * resumes the turn. */
        if (h->wfi && (done > 0 || !(h->csr.mip & h->csr.mie)))
            break;
        h->wfi = false;
        uint64_t budget = left;
        if (n < budget)
            budget = n;
        if (unlikely(m->debug))
            budget = debug_budget(m, h, budget);
        uint64_t ran = machine_run_hart(m, h, budget);
        m->sched.done = done += ran;
        /* A debugger stop is served here, inside the turn, which then
         * goes on as if nothing happened (core/debug.h). */
        bool served = unlikely(m->debug) && debug_slice_end(m, h);
        if (h->wfi || h->trap_loop)
            break;
        if (ran == 0 && !irq_maybe(h) && !served)
            break; /* the machine stopped */
    }
    return done;
}

/* Every hart waits for an interrupt: jump the clock to the next device
 * deadline, or wait for host input. Returns false if nothing can ever
 * wake the machine. */
static bool idle(Machine *m)
{
    uint64_t t = machine_next_deadline(m);
    /* A jump past the clock's range would wrap it round, below the
     * deadline again: the machine would idle for ever, burning the CPU. */
    if (t > MACHINE_MTIME_MAX)
        t = UINT64_MAX;
    if (t != UINT64_MAX) {
        /* With pacing, host input may wake a hart while we wait: then the
         * clock does not jump (a replay, which delivers that input at the
         * same icount before ever idling, takes no jump either). */
        if (m->cfg.icount.pace && !pace(m, t * 100))
            return true;
        uint64_t now = machine_mtime(m);
        if (t > now)
            m->mtime_skipped += t - now;
        return true;
    }
    if (replay_mode(m) == REPLAY_PLAY) {
        machine_fail(m, "replay: every hart waits for an interrupt at icount %"
                     PRIu64 " and nothing recorded comes before the next event "
                     "(icount %" PRIu64 "): the replay has diverged",
                     machine_icount(m), replay_next_icount(m));
        return true;
    }
    if (uv_loop_alive(m->loop)) {
        uv_run(m->loop, UV_RUN_ONCE);
        return true;
    }
    return false;
}

/* No hart can go on and nothing can raise an interrupt. Name a hart caught
 * in a trap loop (core/trap_loop.h): that is the guest's bug. */
static void fail_nothing_can_wake(Machine *m)
{
    for (unsigned i = 0; i < m->nharts; i++) {
        const Hart *h = &m->harts[i];
        if (!h->trap_loop)
            continue;
        bool to_m = h->priv == PRV_M;
        machine_fail(m, "hart %u takes exception %" PRIu64 " at pc 0x%" PRIx64
                     " again and again, retiring nothing (its trap vector %s is the "
                     "faulting instruction), and nothing can raise an interrupt "
                     "(icount %" PRIu64 ")", h->id, to_m ? h->csr.mcause : h->csr.scause,
                     h->pc, to_m ? "mtvec" : "stvec", machine_icount(m));
        return;
    }
    machine_fail(m, "all harts are waiting for an interrupt that nothing can raise "
                    "(icount %" PRIu64 ")", machine_icount(m));
}

/* Rounds of turns until the machine stops. */
static void machine_run_rounds(Machine *m)
{
    enum { HOST_POLL_ROUNDS = 8 };
    unsigned rounds_unpolled = 0;
    while (m->stop == STOP_NONE) {
        if (m->reset_requested) {
            char err[256];
            if (!machine_reset(m, err, sizeof(err))) {
                machine_fail(m, "reset: %s", err);
                break;
            }
        }
        if (unlikely(m->debug_pending))
            debug_serve(m, NULL); /* -S, ctrl-C, a debugger attached */
        m->rewound = false;
        /* The round goes on from the schedule's position: hart 0 but after
         * a restored snapshot, which may resume in the middle of a turn. */
        while (m->sched.hart < m->nharts && m->stop == STOP_NONE) {
            Hart *h = turn_hart(m);
            uint64_t done = hart_turn(m, h);
            if (m->rewound) {
                m->rewound = false;
                continue; /* on from the restored schedule position */
            }
            if (done)
                m->sched.progress = true;
            turn_end(m, h);
            m->sched.hart++;
            m->sched.done = 0;
        }
        bool progress = m->sched.progress;
        if (m->sched.hart >= m->nharts) {
            m->sched.hart = 0;
            m->sched.progress = false;
        }
        /* Host input: every HOST_POLL_ROUNDS rounds, and after a round
         * without progress (before the idle step). Each uv_run reads the
         * host clock (clock_gettime was 0.7% of a CPU-bound guest polled
         * every round, 10000 instructions); every 8 rounds is still every
         * few tens of microseconds of a busy guest. Not whether the loop
         * is alive: unreferenced handles (the GDB server, libslirp's
         * timers and prepare/check hooks) need their polls too. When the
         * host's input is taken is host timing, which record logs. */
        if (++rounds_unpolled >= HOST_POLL_ROUNDS || !progress) {
            rounds_unpolled = 0;
            uv_run(m->loop, UV_RUN_NOWAIT);
        }
        if (m->cfg.icount.pace)
            pace(m, machine_clock_ns(m)); /* ahead of the host: wait */
        if (!progress && m->stop == STOP_NONE && !m->reset_requested &&
            !m->debug_pending && !(m->cfg.chaos.on && chaos_unstarve(m))) {
            if (!idle(m))
                fail_nothing_can_wake(m);
            run_due_events(m);
        }
    }
}

void machine_run(Machine *m)
{
    if (m->cfg.multi_thread) { /* -accel tcg,thread=multi: core/mt_run.h */
        mt_run(m);
        return;
    }
    m->host_start_ns = icount_host_ns();
    for (;;) {
        machine_run_rounds(m);
        /* A debugger on a replay may hold the machine at its end and take
         * it back to a checkpoint from there. */
        if (!m->debug || !debug_hold_at_end(m))
            break;
    }
    replay_on_stop(m);
    if (m->debug)
        debug_on_exit(m);
}
