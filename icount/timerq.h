/* The timer queue: the deadlines of every time-driven device, in one
 * place, for both clocks.
 *
 * A device owns its Timer records (CLINT: one per hart's mtimecmp; Sstc:
 * one per hart's stimecmp; the goldfish RTC's alarm; the UART's character
 * timeout and its "host I/O to serve" wake-up), registers them once with
 * timer_init, and arms or cancels them whenever what it would fire on
 * changes. The run loops ask timerq_next() for the earliest deadline and
 * call timerq_run_due() when the clock reaches it:
 *  - the deterministic engine (core/run.c): deadlines are converted to
 *    instructions of the virtual clock (icount/icount.h), so that each
 *    timer fires on its exact instruction;
 *  - the fast mode (core/mt_run.c): the timer thread sleeps on the host
 *    clock until the deadline, or until an arm made the head earlier
 *    (the queue's `earlier` hook pokes it).
 *
 * Deadlines are in mtime units (10 MHz ticks), whatever the clock: the
 * queue never reads a clock itself, so it is the same code for both.
 *
 * Ties: timers due at the same mtime fire in registration order (the
 * order devices were created, then hart index), never in an order that
 * depends on when or by which thread they were armed. A callback runs
 * with its timer already disarmed; it may re-arm it.
 *
 * Threads: in the fast mode (timerq_set_shared) every operation takes the
 * queue's mutex; callbacks run outside it (a callback re-arms). The
 * deterministic engine takes no lock. The queue holds no state of the
 * guest's: a device's timers follow from its registers, and its snapshot
 * load re-arms them (so snapshots and checkpoints carry no timer). */
#ifndef REWIND_ICOUNT_TIMERQ_H
#define REWIND_ICOUNT_TIMERQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum { TIMERQ_MAX = 64 };

/* "Not armed". */
#define TIMER_NEVER UINT64_MAX

typedef struct TimerQueue TimerQueue;
typedef void (*TimerFn)(void *opaque);

typedef struct Timer {
    TimerQueue *q;
    const char *name;
    TimerFn fn;      /* NULL: a wake-up only (the run loop comes back) */
    void *opaque;
    uint64_t deadline; /* TIMER_NEVER when not armed */
    unsigned seq;      /* registration order: breaks ties */
    int slot;          /* index in the heap, -1 when not armed */
} Timer;

struct TimerQueue {
    Timer *heap[TIMERQ_MAX]; /* a binary min-heap on (deadline, seq) */
    unsigned n;
    unsigned registered;
    bool shared;
    pthread_mutex_t lock;
    /* Called (outside the lock) when an arm made the earliest deadline
     * earlier: the fast mode wakes its timer thread. NULL: nobody. */
    void (*earlier)(void *opaque);
    void *earlier_opaque;
};

void timerq_init(TimerQueue *q);
void timerq_destroy(TimerQueue *q);

/* The fast mode's threads start (shared) or have been joined (not). */
void timerq_set_shared(TimerQueue *q, bool shared);

/* Register t on q, not armed. false when q already has TIMERQ_MAX timers. */
bool timer_init(TimerQueue *q, Timer *t, const char *name, TimerFn fn, void *opaque);

/* Fire t when the clock reaches `deadline` (mtime); a deadline already
 * past fires at the next timerq_run_due. Re-arming moves it; TIMER_NEVER
 * cancels it. */
void timer_arm(Timer *t, uint64_t deadline);
void timer_cancel(Timer *t);

/* t's deadline, TIMER_NEVER when not armed. */
uint64_t timer_deadline(Timer *t);

/* The earliest armed deadline, TIMER_NEVER when none. */
uint64_t timerq_next(TimerQueue *q);

/* Disarm and call, in (deadline, registration) order, every timer due at
 * `now` (deadline <= now), including one a callback arms due (so a
 * callback must not re-arm its own timer at or before now). Returns how
 * many fired. */
unsigned timerq_run_due(TimerQueue *q, uint64_t now);

#endif
