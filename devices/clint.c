/* CLINT: msip, mtimecmp and mtime. */
#include "devices/clint.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/machine.h"
#include "core/snapshot.h"
#include "translator/op.h"

enum {
    CLINT_MSIP = 0x0,
    CLINT_MTIMECMP = 0x4000,
    CLINT_MTIME = 0xbff8,
};

struct Clint;
typedef struct ClintTimer {
    struct Clint *c;
    unsigned hart;
} ClintTimer;

struct Clint {
    Machine *m;
    /* Per hart: armed at mtimecmp while MTIP is low (icount/timerq.h).
     * Not state of their own: they follow from mtimecmp and mtip. */
    Timer timer[MACHINE_MAX_HARTS];
    ClintTimer timer_ctx[MACHINE_MAX_HARTS];
    uint32_t msip[MACHINE_MAX_HARTS];
    uint64_t mtimecmp[MACHINE_MAX_HARTS];
    /* MTIP as last driven: the timer is armed only while it is low. */
    bool mtip[MACHINE_MAX_HARTS];
};

/* Re-evaluate MTIP of one hart against the current time. */
static void clint_update_timer(Clint *c, unsigned h)
{
    bool level = machine_mtime(c->m) >= c->mtimecmp[h];
    c->mtip[h] = level;
    hart_set_mip(&c->m->harts[h], IRQ_M_TIMER, level);
    /* Until the level rises, it can only rise at mtimecmp (time does not
     * go back; a write to mtimecmp comes here again). */
    timer_arm(&c->timer[h], level ? TIMER_NEVER : c->mtimecmp[h]);
}

static void clint_timer_fired(void *opaque)
{
    ClintTimer *t = opaque;
    clint_update_timer(t->c, t->hart);
}

/* The timers follow from the registers: after a restore, arm them as the
 * saved mtip says (no interrupt level is driven: the harts' mip was
 * restored with them). */
static void clint_rearm(Clint *c)
{
    for (unsigned h = 0; h < c->m->nharts; h++)
        timer_arm(&c->timer[h], c->mtip[h] ? TIMER_NEVER : c->mtimecmp[h]);
}

/* Read `size` bytes at byte offset `off` of a little-endian 64-bit value. */
static uint64_t clint_extract(uint64_t v, unsigned off, unsigned size)
{
    v >>= 8 * off;
    return size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

static uint64_t clint_deposit(uint64_t v, unsigned off, unsigned size,
                              uint64_t val)
{
    uint64_t mask = size == 8 ? ~0ULL : ((1ULL << (8 * size)) - 1) << (8 * off);
    return (v & ~mask) | ((val << (8 * off)) & mask);
}

/* Timer registers take naturally aligned 4- and 8-byte accesses; the
 * software-interrupt registers 4-byte ones only. */
static bool clint_timer_access_ok(uint64_t off, unsigned size)
{
    return (size == 4 || size == 8) && (off & (size - 1)) == 0;
}

static bool clint_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    Clint *c = opaque;
    unsigned n = c->m->nharts;
    if (off < CLINT_MTIMECMP) {
        if (size != 4 || (off & 3))
            return false;
        unsigned h = (unsigned)(off / 4);
        *val = h < n ? c->msip[h] : 0;
        return true;
    }
    if (!clint_timer_access_ok(off, size))
        return false;
    if (off >= CLINT_MTIMECMP && off < CLINT_MTIMECMP + 8ULL * n) {
        unsigned h = (unsigned)((off - CLINT_MTIMECMP) / 8);
        *val = clint_extract(c->mtimecmp[h], off & 7, size);
    } else if (off >= CLINT_MTIME && off < CLINT_MTIME + 8) {
        *val = clint_extract(machine_mtime(c->m), off & 7, size);
    } else {
        *val = 0; /* reserved: reads as zero, as on QEMU */
    }
    return true;
}

static bool clint_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    Clint *c = opaque;
    unsigned n = c->m->nharts;
    if (off < CLINT_MTIMECMP) {
        if (size != 4 || (off & 3))
            return false;
        unsigned h = (unsigned)(off / 4);
        if (h < n) {
            c->msip[h] = val & 1;
            hart_set_mip(&c->m->harts[h], IRQ_M_SOFT, val & 1);
        }
        return true;
    }
    if (!clint_timer_access_ok(off, size))
        return false;
    if (off >= CLINT_MTIMECMP && off < CLINT_MTIMECMP + 8ULL * n) {
        unsigned h = (unsigned)((off - CLINT_MTIMECMP) / 8);
        c->mtimecmp[h] = clint_deposit(c->mtimecmp[h], off & 7, size, val);
        clint_update_timer(c, h);
    } else if (off >= CLINT_MTIME && off < CLINT_MTIME + 8) {
        /* mtime is derived from icount (DESIGN.md, determinism): letting
         * the guest set it would make the time CSR, the RTC and device
         * deadlines disagree, so the write is dropped. */
        log_printf(&c->m->log, LOG_UNIMP,
                   "clint: write to mtime ignored (0x%llx)\n",
                   (unsigned long long)val);
    }
    return true;
}

static const MmioOps clint_ops = { .read = clint_read, .write = clint_write };

static void clint_reset(void *opaque)
{
    Clint *c = opaque;
    for (unsigned h = 0; h < c->m->nharts; h++) {
        c->msip[h] = 0;
        /* All ones: no timer interrupt until software programs one. */
        c->mtimecmp[h] = UINT64_MAX;
        hart_set_mip(&c->m->harts[h], IRQ_M_SOFT, false);
        clint_update_timer(c, h);
    }
}

static void clint_free(void *opaque)
{
    free(opaque);
}

/* The state: everything after the machine pointer. */
#define CLINT_STATE_OFF offsetof(Clint, msip)

static size_t clint_save(void *opaque, void *buf, size_t cap)
{
    return snapshot_save_bytes(buf, cap, (char *)opaque + CLINT_STATE_OFF,
                               sizeof(Clint) - CLINT_STATE_OFF);
}

static bool clint_load(void *opaque, const void *buf, size_t len)
{
    if (!snapshot_bools_valid(buf, len, offsetof(Clint, mtip) - CLINT_STATE_OFF,
                              sizeof(((Clint *)0)->mtip)))
        return false;
    if (!snapshot_load_bytes((char *)opaque + CLINT_STATE_OFF,
                             sizeof(Clint) - CLINT_STATE_OFF, buf, len))
        return false;
    clint_rearm(opaque);
    return true;
}

Clint *clint_new(Machine *m, uint64_t base, char *err, size_t errlen)
{
    Clint *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "clint: out of memory");
        return NULL;
    }
    c->m = m;
    for (unsigned h = 0; h < MACHINE_MAX_HARTS; h++) {
        c->timer_ctx[h] = (ClintTimer){ .c = c, .hart = h };
        if (h < m->nharts &&
            !timer_init(&m->timers, &c->timer[h], "clint mtimecmp", clint_timer_fired,
                        &c->timer_ctx[h])) {
            snprintf(err, errlen, "clint: too many timers");
            free(c);
            return NULL;
        }
    }
    clint_reset(c);
    MachineDevice dev = {
        .name = "clint",
        .opaque = c,
        .reset = clint_reset,
        .free = clint_free,
        .save = clint_save,
        .load = clint_load,
    };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "clint: too many devices");
        free(c);
        return NULL;
    }
    /* From here on the machine owns c (its free hook). */
    if (!memory_add_mmio(&m->mem, base, CLINT_SIZE, &clint_ops, c, "clint")) {
        snprintf(err, errlen, "clint: cannot map at 0x%llx (overlap?)",
                 (unsigned long long)base);
        return NULL;
    }
    return c;
}
