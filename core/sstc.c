/* Sstc: stimecmp drives mip.STIP while menvcfg.STCE is set. */
#include "core/sstc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/csr.h"
#include "core/machine.h"
#include "core/mt_run.h"
#include "core/snapshot.h"
#include "translator/op.h"

typedef struct SstcTimer {
    struct Sstc *s;
    unsigned hart;
} SstcTimer;

struct Sstc {
    Machine *m;
    /* Per hart: armed at stimecmp while STIP is low (icount/timerq.h). */
    Timer timer[MACHINE_MAX_HARTS];
    SstcTimer timer_ctx[MACHINE_MAX_HARTS];
    /* Per hart: stimecmp while STCE is set, UINT64_MAX (never) when not.
     * Written by the hart's thread, read by the timer's in the fast mode:
     * accessed atomically. */
    uint64_t armed[MACHINE_MAX_HARTS];
};

static uint64_t armed_get(const Sstc *s, unsigned i)
{
    return __atomic_load_n(&s->armed[i], __ATOMIC_RELAXED);
}

/* STIP from the armed compare value, and the timer armed while STIP is
 * low: it can only rise at stimecmp (a write to stimecmp or menvcfg comes
 * through sstc_update again). */
static void drive(Sstc *s, unsigned i)
{
    uint64_t cmp = armed_get(s, i);
    bool level = machine_mtime(s->m) >= cmp;
    if (cmp != UINT64_MAX || (s->m->harts[i].csr.menvcfg & MENVCFG_STCE))
        hart_set_mip(&s->m->harts[i], IRQ_S_TIMER, level);
    timer_arm(&s->timer[i], level ? TIMER_NEVER : cmp);
}

static void sstc_timer_fired(void *opaque)
{
    SstcTimer *t = opaque;
    drive(t->s, t->hart);
}

void sstc_update(Hart *h)
{
    Machine *m = h->m;
    if (!m || !m->sstc)
        return;
    /* The fast mode: the timer thread drives STIP from the timer, under
     * the device lock; this hart's thread takes it too, so that the two
     * never interleave (an arm could be lost). */
    if (m->mt)
        mt_io_lock(m);
    bool on = h->csr.menvcfg & MENVCFG_STCE;
    /* stimecmp = all ones with STCE set is armed "never", which is what
     * UINT64_MAX says anyway; drive() then clears STIP (time < 2^64-1). */
    __atomic_store_n(&m->sstc->armed[h->id], on ? h->csr.stimecmp : UINT64_MAX,
                     __ATOMIC_RELAXED);
    if (on)
        drive(m->sstc, h->id);
    else
        timer_cancel(&m->sstc->timer[h->id]);
    if (m->mt)
        mt_io_unlock(m, false); /* an earlier deadline pokes through the queue */
    /* The slice's budget was computed without this deadline. */
    h->slice_end = true;
}

/* The timers follow from the armed values and the harts' STIP, which a
 * restore put back before the devices. */
static void sstc_rearm(Sstc *s)
{
    for (unsigned i = 0; i < s->m->nharts; i++) {
        uint64_t cmp = armed_get(s, i);
        bool high = hart_mip(&s->m->harts[i]) & (1ULL << IRQ_S_TIMER);
        timer_arm(&s->timer[i], high ? TIMER_NEVER : cmp);
    }
}

static void sstc_reset(void *opaque)
{
    Sstc *s = opaque;
    for (unsigned i = 0; i < MACHINE_MAX_HARTS; i++)
        __atomic_store_n(&s->armed[i], UINT64_MAX, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < s->m->nharts; i++)
        timer_cancel(&s->timer[i]);
}

static size_t sstc_save(void *opaque, void *buf, size_t cap)
{
    Sstc *s = opaque;
    return snapshot_save_bytes(buf, cap, s->armed, sizeof(s->armed));
}

static bool sstc_load(void *opaque, const void *buf, size_t len)
{
    Sstc *s = opaque;
    if (!snapshot_load_bytes(s->armed, sizeof(s->armed), buf, len))
        return false;
    sstc_rearm(s);
    return true;
}

static void sstc_free(void *opaque)
{
    Machine *m = ((Sstc *)opaque)->m;
    m->sstc = NULL;
    free(opaque);
}

bool sstc_attach(Machine *m, char *err, size_t errlen)
{
    Sstc *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "sstc: out of memory");
        return false;
    }
    s->m = m;
    for (unsigned i = 0; i < m->nharts; i++) {
        s->timer_ctx[i] = (SstcTimer){ .s = s, .hart = i };
        if (!timer_init(&m->timers, &s->timer[i], "sstc stimecmp", sstc_timer_fired,
                        &s->timer_ctx[i])) {
            snprintf(err, errlen, "sstc: too many timers");
            free(s);
            return false;
        }
    }
    sstc_reset(s);
    MachineDevice dev = {
        .name = "sstc",
        .opaque = s,
        .reset = sstc_reset,
        .free = sstc_free,
        .save = sstc_save,
        .load = sstc_load,
    };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "sstc: too many devices");
        free(s);
        return false;
    }
    m->sstc = s;
    return true;
}
