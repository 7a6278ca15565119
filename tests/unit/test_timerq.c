/* The timer queue (icount/timerq.h): order by deadline, ties by
 * registration, re-arm, cancel, callbacks that re-arm, the "earlier" hook,
 * and many threads arming at once (the fast mode). */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "icount/timerq.h"
#include "tests/unit/suites.h"

/* Each firing appends the timer's tag to a log. */
typedef struct Fired {
    int order[64];
    unsigned n;
} Fired;

typedef struct Tag {
    Fired *log;
    int id;
    Timer *rearm;          /* re-armed by the callback, if set */
    uint64_t rearm_at;
} Tag;

static void fire(void *opaque)
{
    Tag *t = opaque;
    t->log->order[t->log->n++] = t->id;
    if (t->rearm)
        timer_arm(t->rearm, t->rearm_at);
}

/* Register n timers t[0..n-1] on q, in that order, each logging its
 * index to log when it fires. */
static void init_logged_timers(TimerQueue *q, Timer *t, Tag *tag, int n, Fired *log)
{
    for (int i = 0; i < n; i++) {
        tag[i] = (Tag){ .log = log, .id = i };
        ck_assert(timer_init(q, &t[i], "t", fire, &tag[i]));
    }
}

START_TEST(test_fires_in_deadline_order)
{
    TimerQueue q;
    timerq_init(&q);
    Fired log = { 0 };
    Timer t[5];
    Tag tag[5];
    static const uint64_t at[5] = { 50, 10, 40, 20, 30 };
    init_logged_timers(&q, t, tag, 5, &log);
    ck_assert_uint_eq(timerq_next(&q), TIMER_NEVER);
    for (int i = 0; i < 5; i++)
        timer_arm(&t[i], at[i]);
    ck_assert_uint_eq(timerq_next(&q), 10);
    ck_assert_uint_eq(timerq_run_due(&q, 9), 0);
    ck_assert_uint_eq(timerq_run_due(&q, 25), 2);
    ck_assert_uint_eq(timerq_next(&q), 30);
    ck_assert_uint_eq(timerq_run_due(&q, 1000), 3);
    static const int want[5] = { 1, 3, 4, 2, 0 };
    ck_assert_uint_eq(log.n, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(log.order[i], want[i]);
    /* A fired timer is disarmed. */
    ck_assert_uint_eq(timerq_next(&q), TIMER_NEVER);
    ck_assert_uint_eq(timer_deadline(&t[0]), TIMER_NEVER);
    timerq_destroy(&q);
}
END_TEST

START_TEST(test_ties_in_registration_order)
{
    /* Armed in reverse order, at the same deadline: they still fire in
     * the order they were registered, whatever order they were armed in. */
    TimerQueue q;
    timerq_init(&q);
    Fired log = { 0 };
    Timer t[8];
    Tag tag[8];
    init_logged_timers(&q, t, tag, 8, &log);
    static const int arm_order[8] = { 7, 2, 5, 0, 6, 3, 1, 4 };
    for (int i = 0; i < 8; i++)
        timer_arm(&t[arm_order[i]], 100);
    ck_assert_uint_eq(timerq_run_due(&q, 100), 8);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(log.order[i], i);
    timerq_destroy(&q);
}
END_TEST

START_TEST(test_rearm_and_cancel)
{
    TimerQueue q;
    timerq_init(&q);
    Fired log = { 0 };
    Timer t[3];
    Tag tag[3];
    init_logged_timers(&q, t, tag, 3, &log);
    timer_arm(&t[0], 10);
    timer_arm(&t[1], 20);
    timer_arm(&t[2], 30);
    timer_arm(&t[0], 40); /* later: moves behind the others */
    ck_assert_uint_eq(timerq_next(&q), 20);
    timer_arm(&t[2], 5); /* earlier: moves to the head */
    ck_assert_uint_eq(timerq_next(&q), 5);
    timer_cancel(&t[2]);
    timer_cancel(&t[2]); /* cancelling twice is harmless */
    ck_assert_uint_eq(timer_deadline(&t[2]), TIMER_NEVER);
    ck_assert_uint_eq(timerq_next(&q), 20);
    timer_arm(&t[1], TIMER_NEVER); /* TIMER_NEVER cancels too */
    ck_assert_uint_eq(timerq_next(&q), 40);
    ck_assert_uint_eq(timerq_run_due(&q, 100), 1);
    ck_assert_uint_eq(log.n, 1);
    ck_assert_int_eq(log.order[0], 0);
    timerq_destroy(&q);
}
END_TEST

START_TEST(test_callback_rearms)
{
    /* A callback arming another timer due now: it fires in the same run;
     * one arming a later deadline: it waits. */
    TimerQueue q;
    timerq_init(&q);
    Fired log = { 0 };
    Timer t[3];
    Tag tag[3];
    init_logged_timers(&q, t, tag, 3, &log);
    tag[0].rearm = &t[1];
    tag[0].rearm_at = 7;
    tag[1].rearm = &t[0];
    tag[1].rearm_at = 500; /* its own timer's peer, later */
    timer_arm(&t[0], 10);
    timer_arm(&t[2], 8);
    ck_assert_uint_eq(timerq_run_due(&q, 10), 3);
    /* t2 (8) first, then t0 (10), whose callback arms t1 at 7: past, so
     * it fires in this run too, and re-arms t0 at 500. */
    ck_assert_int_eq(log.order[0], 2);
    ck_assert_int_eq(log.order[1], 0);
    ck_assert_int_eq(log.order[2], 1);
    ck_assert_uint_eq(timerq_next(&q), 500);
    timerq_destroy(&q);
}
END_TEST

START_TEST(test_wake_only_timer)
{
    TimerQueue q;
    timerq_init(&q);
    Timer w;
    ck_assert(timer_init(&q, &w, "wake", NULL, NULL));
    timer_arm(&w, 0);
    ck_assert_uint_eq(timerq_next(&q), 0);
    ck_assert_uint_eq(timerq_run_due(&q, 0), 1);
    ck_assert_uint_eq(timerq_next(&q), TIMER_NEVER);
    timerq_destroy(&q);
}
END_TEST

static unsigned earlier_calls;
static void count_earlier(void *opaque)
{
    (void)opaque;
    __atomic_fetch_add(&earlier_calls, 1, __ATOMIC_RELAXED);
}

START_TEST(test_earlier_hook)
{
    TimerQueue q;
    timerq_init(&q);
    q.earlier = count_earlier;
    earlier_calls = 0;
    Timer a, b;
    ck_assert(timer_init(&q, &a, "a", NULL, NULL));
    ck_assert(timer_init(&q, &b, "b", NULL, NULL));
    timer_arm(&a, 100);
    ck_assert_uint_eq(earlier_calls, 1); /* from none to 100 */
    timer_arm(&b, 200);
    ck_assert_uint_eq(earlier_calls, 1); /* the head did not move */
    timer_arm(&b, 50);
    ck_assert_uint_eq(earlier_calls, 2);
    timer_cancel(&b);
    ck_assert_uint_eq(earlier_calls, 2); /* later is never a wake-up */
    timerq_destroy(&q);
}
END_TEST

START_TEST(test_registration_limit)
{
    TimerQueue q;
    timerq_init(&q);
    static Timer t[TIMERQ_MAX + 1];
    for (int i = 0; i < TIMERQ_MAX; i++)
        ck_assert(timer_init(&q, &t[i], "t", NULL, NULL));
    ck_assert(!timer_init(&q, &t[TIMERQ_MAX], "t", NULL, NULL));
    /* All of them armed, in an order that exercises the heap. */
    for (int i = 0; i < TIMERQ_MAX; i++)
        timer_arm(&t[i], (uint64_t)((i * 37) % TIMERQ_MAX) + 1);
    uint64_t last = 0;
    for (int i = 0; i < TIMERQ_MAX; i++) {
        uint64_t d = timerq_next(&q);
        ck_assert_uint_ge(d, last);
        last = d;
        ck_assert_uint_eq(timerq_run_due(&q, d), 1);
    }
    ck_assert_uint_eq(timerq_next(&q), TIMER_NEVER);
    timerq_destroy(&q);
}
END_TEST

/* Threads arm, re-arm and cancel their own timers while one thread fires
 * what is due: with the queue shared, the heap stays consistent (TSan
 * build: no report) and every timer's last arm is what is left. */
typedef struct Arming {
    TimerQueue *q;
    Timer *t;
    unsigned seed;
    unsigned idx;
} Arming;

static void *arm_a_lot(void *opaque)
{
    Arming *a = opaque;
    for (int i = 0; i < 20000; i++) {
        a->seed = a->seed * 1103515245u + 12345u;
        uint64_t d = 1000 + (a->seed >> 8) % 100000;
        if (a->seed & 0x10000)
            timer_cancel(a->t);
        else
            timer_arm(a->t, d);
    }
    timer_arm(a->t, 1000000 + a->idx);
    return NULL;
}

static void *fire_a_lot(void *opaque)
{
    TimerQueue *q = opaque;
    for (int i = 0; i < 2000; i++)
        timerq_run_due(q, 999); /* nothing armed is ever due */
    return NULL;
}

START_TEST(test_shared_threads)
{
    TimerQueue q;
    timerq_init(&q);
    timerq_set_shared(&q, true);
    q.earlier = count_earlier;
    enum { N = 4 };
    Timer t[N];
    Arming a[N];
    pthread_t th[N + 1];
    for (int i = 0; i < N; i++) {
        ck_assert(timer_init(&q, &t[i], "t", NULL, NULL));
        a[i] = (Arming){ .q = &q, .t = &t[i], .seed = (unsigned)i + 1, .idx = (unsigned)i };
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, arm_a_lot, &a[i]), 0);
    ck_assert_int_eq(pthread_create(&th[N], NULL, fire_a_lot, &q), 0);
    for (int i = 0; i <= N; i++)
        pthread_join(th[i], NULL);
    timerq_set_shared(&q, false);
    /* Each thread's last arm left its timer at 1000000 + its index: they
     * come out in that order, all of them. */
    unsigned n = 0;
    uint64_t last = 0;
    while (timerq_next(&q) != TIMER_NEVER) {
        uint64_t d = timerq_next(&q);
        ck_assert_uint_eq(d, 1000000 + n);
        ck_assert_uint_ge(d, last);
        last = d;
        n += timerq_run_due(&q, d);
    }
    ck_assert_uint_eq(n, N);
    timerq_destroy(&q);
}
END_TEST

Suite *suite_timerq(void)
{
    Suite *s = suite_create("timerq");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fires_in_deadline_order);
    tcase_add_test(tc, test_ties_in_registration_order);
    tcase_add_test(tc, test_rearm_and_cancel);
    tcase_add_test(tc, test_callback_rearms);
    tcase_add_test(tc, test_wake_only_timer);
    tcase_add_test(tc, test_earlier_hook);
    tcase_add_test(tc, test_registration_limit);
    tcase_add_test(tc, test_shared_threads);
    suite_add_tcase(s, tc);
    return s;
}
