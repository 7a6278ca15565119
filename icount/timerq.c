/* The timer queue (see timerq.h): a binary min-heap of armed timers,
 * ordered by (deadline, registration order). */
#include "icount/timerq.h"

#include <string.h>

static void lock(TimerQueue *q)
{
    if (q->shared)
        pthread_mutex_lock(&q->lock);
}

static void unlock(TimerQueue *q)
{
    if (q->shared)
        pthread_mutex_unlock(&q->lock);
}

void timerq_init(TimerQueue *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
}

void timerq_destroy(TimerQueue *q)
{
    pthread_mutex_destroy(&q->lock);
}

void timerq_set_shared(TimerQueue *q, bool shared)
{
    q->shared = shared;
}

bool timer_init(TimerQueue *q, Timer *t, const char *name, TimerFn fn, void *opaque)
{
    if (q->registered == TIMERQ_MAX)
        return false;
    *t = (Timer){ .q = q, .name = name, .fn = fn, .opaque = opaque,
                  .deadline = TIMER_NEVER, .seq = q->registered++, .slot = -1 };
    return true;
}

static bool before(const Timer *a, const Timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void place(TimerQueue *q, unsigned i, Timer *t)
{
    q->heap[i] = t;
    t->slot = (int)i;
}

static void sift_up(TimerQueue *q, unsigned i)
{
    Timer *t = q->heap[i];
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (!before(t, q->heap[parent]))
            break;
        place(q, i, q->heap[parent]);
        i = parent;
    }
    place(q, i, t);
}

static void sift_down(TimerQueue *q, unsigned i)
{
    Timer *t = q->heap[i];
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && before(q->heap[c + 1], q->heap[c]))
            c++;
        if (!before(q->heap[c], t))
            break;
        place(q, i, q->heap[c]);
        i = c;
    }
    place(q, i, t);
}

/* Take t out of the heap (it is in it). */
static void remove_locked(TimerQueue *q, Timer *t)
{
    unsigned i = (unsigned)t->slot;
    t->slot = -1;
    t->deadline = TIMER_NEVER;
    Timer *last = q->heap[--q->n];
    if (last == t)
        return;
    place(q, i, last);
    sift_up(q, i);
    sift_down(q, (unsigned)last->slot);
}

void timer_arm(Timer *t, uint64_t deadline)
{
    TimerQueue *q = t->q;
    lock(q);
    uint64_t head = q->n ? q->heap[0]->deadline : TIMER_NEVER;
    if (deadline == TIMER_NEVER) {
        if (t->slot >= 0)
            remove_locked(q, t);
        unlock(q);
        return;
    }
    if (t->slot < 0) {
        t->deadline = deadline;
        place(q, q->n++, t);
        sift_up(q, (unsigned)t->slot);
    } else {
        uint64_t old = t->deadline;
        t->deadline = deadline;
        if (deadline < old)
            sift_up(q, (unsigned)t->slot);
        else
            sift_down(q, (unsigned)t->slot);
    }
    bool earlier = deadline < head;
    void (*hook)(void *) = q->earlier;
    void *hook_opaque = q->earlier_opaque;
    unlock(q);
    if (earlier && hook)
        hook(hook_opaque);
}

void timer_cancel(Timer *t)
{
    timer_arm(t, TIMER_NEVER);
}

uint64_t timer_deadline(Timer *t)
{
    lock(t->q);
    uint64_t d = t->deadline;
    unlock(t->q);
    return d;
}

uint64_t timerq_next(TimerQueue *q)
{
    lock(q);
    uint64_t d = q->n ? q->heap[0]->deadline : TIMER_NEVER;
    unlock(q);
    return d;
}

unsigned timerq_run_due(TimerQueue *q, uint64_t now)
{
    unsigned fired = 0;
    for (;;) {
        lock(q);
        if (q->n == 0 || q->heap[0]->deadline > now) {
            unlock(q);
            return fired;
        }
        Timer *t = q->heap[0];
        remove_locked(q, t);
        TimerFn fn = t->fn;
        void *opaque = t->opaque;
        unlock(q);
        fired++;
        if (fn)
            fn(opaque);
    }
}
