/* Sstc: stimecmp drives mip.STIP while menvcfg.STCE is set. */
#include "core/sstc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/csr.h"
#include "core/machine.h"
#include "core/snapshot.h"
#include "translator/op.h"

struct Sstc {
    Machine *m;
    /* Per hart: stimecmp while STCE is set, UINT64_MAX (never) when not.
     * Written by the hart's thread, read by the timer's in the fast mode:
     * accessed atomically. */
    uint64_t armed[MACHINE_MAX_HARTS];
};

static uint64_t armed_get(const Sstc *s, unsigned i)
{
    return __atomic_load_n(&s->armed[i], __ATOMIC_RELAXED);
}

static void drive(Sstc *s, unsigned i)
{
    uint64_t cmp = armed_get(s, i);
    if (cmp != UINT64_MAX || (s->m->harts[i].csr.menvcfg & MENVCFG_STCE))
        hart_set_mip(&s->m->harts[i], IRQ_S_TIMER, machine_mtime(s->m) >= cmp);
}

void sstc_update(Hart *h)
{
    Machine *m = h->m;
    if (!m || !m->sstc)
        return;
    bool on = h->csr.menvcfg & MENVCFG_STCE;
    /* stimecmp = all ones with STCE set is armed "never", which is what
     * UINT64_MAX says anyway; drive() then clears STIP (time < 2^64-1). */
    __atomic_store_n(&m->sstc->armed[h->id], on ? h->csr.stimecmp : UINT64_MAX,
                     __ATOMIC_RELAXED);
    if (on)
        drive(m->sstc, h->id);
    /* The slice's budget was computed without this deadline. */
    h->slice_end = true;
}

static void sstc_tick(void *opaque)
{
    Sstc *s = opaque;
    for (unsigned i = 0; i < s->m->nharts; i++)
        if (armed_get(s, i) != UINT64_MAX)
            drive(s, i);
}

static uint64_t sstc_next_deadline(void *opaque)
{
    Sstc *s = opaque;
    uint64_t t = UINT64_MAX;
    for (unsigned i = 0; i < s->m->nharts; i++) {
        uint64_t cmp = armed_get(s, i);
        if (cmp < t && !(hart_mip(&s->m->harts[i]) & (1ULL << IRQ_S_TIMER)))
            t = cmp;
    }
    return t;
}

static void sstc_reset(void *opaque)
{
    Sstc *s = opaque;
    for (unsigned i = 0; i < MACHINE_MAX_HARTS; i++)
        __atomic_store_n(&s->armed[i], UINT64_MAX, __ATOMIC_RELAXED);
}

static size_t sstc_save(void *opaque, void *buf, size_t cap)
{
    Sstc *s = opaque;
    return snapshot_save_bytes(buf, cap, s->armed, sizeof(s->armed));
}

static bool sstc_load(void *opaque, const void *buf, size_t len)
{
    Sstc *s = opaque;
    return snapshot_load_bytes(s->armed, sizeof(s->armed), buf, len);
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
    sstc_reset(s);
    MachineDevice dev = {
        .name = "sstc",
        .opaque = s,
        .tick = sstc_tick,
        .next_deadline = sstc_next_deadline,
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
