/* PLIC: priorities, level-triggered gateways, per-context enables,
 * thresholds and claim/complete. */
#include "devices/plic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/snapshot.h"
#include "translator/op.h"

enum {
    PLIC_WORDS = (PLIC_NUM_SOURCES + 31) / 32,
    PLIC_MAX_CONTEXTS = 2 * MACHINE_MAX_HARTS,
    PLIC_PRIORITY = 0x0,
    PLIC_PENDING = 0x1000,
    PLIC_ENABLE = 0x2000,
    PLIC_ENABLE_STRIDE = 0x80,
    PLIC_CONTEXT = 0x200000,
    PLIC_CONTEXT_STRIDE = 0x1000,
};

struct Plic {
    Machine *m;
    unsigned nharts, ncontexts;
    uint32_t priority[PLIC_NUM_SOURCES];
    /* Input levels as the devices drive them. */
    uint32_t level[PLIC_WORDS];
    /* Claimed and not yet completed: the gateway holds these back. */
    uint32_t claimed[PLIC_WORDS];
    uint32_t enable[PLIC_MAX_CONTEXTS][PLIC_WORDS];
    uint32_t threshold[PLIC_MAX_CONTEXTS];
};

/* A level-triggered gateway forwards a request while the line is high and
 * the previous request has been completed. Pending follows the level
 * (a device that lowers its line before the claim withdraws the request),
 * which spares the guest spurious claims. */
static uint32_t plic_pending_word(const Plic *p, unsigned w)
{
    return p->level[w] & ~p->claimed[w];
}

/* The best pending enabled source for a context: highest priority above
 * min_prio, lowest id on ties; 0 if none. */
static unsigned plic_best(const Plic *p, unsigned ctx, uint32_t min_prio)
{
    unsigned best = 0;
    uint32_t best_prio = min_prio;
    for (unsigned w = 0; w < PLIC_WORDS; w++) {
        uint32_t bits = plic_pending_word(p, w) & p->enable[ctx][w];
        while (bits) {
            unsigned src = w * 32 + (unsigned)__builtin_ctz(bits);
            bits &= bits - 1;
            if (p->priority[src] > best_prio) {
                best_prio = p->priority[src];
                best = src;
            }
        }
    }
    return best;
}

/* Drive every context's external-interrupt bit from the PLIC state. Also
 * re-asserts SEIP after a guest `csrw mip` cleared it behind our back. */
static void plic_update(Plic *p)
{
    for (unsigned ctx = 0; ctx < p->ncontexts; ctx++)
        hart_set_mip(&p->m->harts[ctx / 2],
                     (ctx & 1) ? IRQ_S_EXT : IRQ_M_EXT,
                     plic_best(p, ctx, p->threshold[ctx]) != 0);
}

static void plic_set_irq(void *opaque, unsigned src, bool level)
{
    Plic *p = opaque;
    uint32_t bit = 1u << (src % 32);
    uint32_t old = p->level[src / 32];
    if (level)
        p->level[src / 32] |= bit;
    else
        p->level[src / 32] &= ~bit;
    if (old != p->level[src / 32])
        plic_update(p);
}

IrqLine plic_irq(Plic *p, unsigned source)
{
    IrqLine line = { 0 };
    if (source >= 1 && source < PLIC_NUM_SOURCES) {
        line.set = plic_set_irq;
        line.opaque = p;
        line.n = source;
    }
    return line;
}

static uint32_t plic_claim(Plic *p, unsigned ctx)
{
    /* The threshold only gates the notification: the PLIC spec says a
     * claim is not affected by it. Priority 0 never interrupts. */
    unsigned src = plic_best(p, ctx, 0);
    if (src) {
        p->claimed[src / 32] |= 1u << (src % 32);
        plic_update(p);
    }
    return src;
}

static void plic_complete(Plic *p, unsigned ctx, uint64_t src)
{
    /* The spec ignores completions for sources not enabled in the
     * context; Linux and OpenSBI always complete what they claimed. */
    if (src == 0 || src >= PLIC_NUM_SOURCES ||
        !(p->enable[ctx][src / 32] & (1u << (src % 32))))
        return;
    p->claimed[src / 32] &= ~(1u << (src % 32));
    plic_update(p);
}

/* Decode a context register offset: returns the context and sets *reg to
 * 0 (threshold) or 4 (claim/complete); false for anything else. */
static bool plic_context_reg(const Plic *p, uint64_t off, unsigned *ctx,
                             unsigned *reg)
{
    uint64_t c = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
    uint64_t r = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
    if (c >= p->ncontexts || r > 4)
        return false;
    *ctx = (unsigned)c;
    *reg = (unsigned)r;
    return true;
}

static bool plic_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    Plic *p = opaque;
    if (size != 4 || (off & 3))
        return false; /* 32-bit registers only, as QEMU */
    *val = 0;
    if (off < PLIC_PENDING) {
        unsigned src = (unsigned)(off / 4);
        if (src < PLIC_NUM_SOURCES)
            *val = p->priority[src];
    } else if (off < PLIC_ENABLE) {
        unsigned w = (unsigned)((off - PLIC_PENDING) / 4);
        if (w < PLIC_WORDS)
            *val = plic_pending_word(p, w);
    } else if (off < PLIC_CONTEXT) {
        uint64_t ctx = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
        unsigned w = (unsigned)((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4);
        if (ctx < p->ncontexts && w < PLIC_WORDS)
            *val = p->enable[ctx][w];
    } else {
        unsigned ctx, reg;
        if (plic_context_reg(p, off, &ctx, &reg))
            *val = reg == 0 ? p->threshold[ctx] : plic_claim(p, ctx);
    }
    return true;
}

static bool plic_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    Plic *p = opaque;
    if (size != 4 || (off & 3))
        return false;
    val &= 0xffffffffu;
    if (off < PLIC_PENDING) {
        unsigned src = (unsigned)(off / 4);
        if (src >= 1 && src < PLIC_NUM_SOURCES) {
            p->priority[src] = (uint32_t)val & PLIC_MAX_PRIORITY;
            plic_update(p);
        }
    } else if (off < PLIC_ENABLE) {
        /* Pending bits are read-only. */
        log_printf(&p->m->log, LOG_UNIMP,
                   "plic: write to pending bits ignored (offset 0x%llx)\n",
                   (unsigned long long)off);
    } else if (off < PLIC_CONTEXT) {
        uint64_t ctx = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
        unsigned w = (unsigned)((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4);
        if (ctx < p->ncontexts && w < PLIC_WORDS) {
            uint32_t v = (uint32_t)val;
            if (w == 0)
                v &= ~1u; /* source 0 does not exist */
            if (w == PLIC_WORDS - 1 && PLIC_NUM_SOURCES % 32)
                v &= (1u << (PLIC_NUM_SOURCES % 32)) - 1;
            p->enable[ctx][w] = v;
            plic_update(p);
        }
    } else {
        unsigned ctx, reg;
        if (plic_context_reg(p, off, &ctx, &reg)) {
            if (reg == 0) {
                p->threshold[ctx] = (uint32_t)val & PLIC_MAX_PRIORITY;
                plic_update(p);
            } else {
                plic_complete(p, ctx, val);
            }
        }
    }
    return true;
}

static const MmioOps plic_ops = { .read = plic_read, .write = plic_write };

/* The hart may have lost SEIP to a guest mip write: put it back. */
static void plic_tick(void *opaque)
{
    plic_update(opaque);
}

static void plic_reset(void *opaque)
{
    Plic *p = opaque;
    /* Input levels belong to the devices, which reset themselves and
     * lower or re-raise their lines. */
    memset(p->priority, 0, sizeof(p->priority));
    memset(p->claimed, 0, sizeof(p->claimed));
    memset(p->enable, 0, sizeof(p->enable));
    memset(p->threshold, 0, sizeof(p->threshold));
    plic_update(p);
}

static void plic_free(void *opaque)
{
    free(opaque);
}

/* The state: the registers, from the priorities on (the geometry before
 * them is fixed at creation). */
#define PLIC_STATE_OFF offsetof(Plic, priority)

static size_t plic_save(void *opaque, void *buf, size_t cap)
{
    return snapshot_save_bytes(buf, cap, (char *)opaque + PLIC_STATE_OFF,
                               sizeof(Plic) - PLIC_STATE_OFF);
}

static bool plic_load(void *opaque, const void *buf, size_t len)
{
    return snapshot_load_bytes((char *)opaque + PLIC_STATE_OFF,
                               sizeof(Plic) - PLIC_STATE_OFF, buf, len);
}

Plic *plic_new(Machine *m, uint64_t base, unsigned nharts, char *err,
               size_t errlen)
{
    if (nharts < 1 || nharts > m->nharts) {
        snprintf(err, errlen, "plic: %u harts requested, machine has %u",
                 nharts, m->nharts);
        return NULL;
    }
    Plic *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "plic: out of memory");
        return NULL;
    }
    p->m = m;
    p->nharts = nharts;
    p->ncontexts = 2 * nharts;
    MachineDevice dev = {
        .name = "plic",
        .opaque = p,
        .tick = plic_tick,
        .reset = plic_reset,
        .free = plic_free,
        .save = plic_save,
        .load = plic_load,
    };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "plic: too many devices");
        free(p);
        return NULL;
    }
    /* From here on the machine owns p (its free hook). */
    if (!memory_add_mmio(&m->mem, base, PLIC_SIZE, &plic_ops, p, "plic")) {
        snprintf(err, errlen, "plic: cannot map at 0x%llx (overlap?)",
                 (unsigned long long)base);
        return NULL;
    }
    return p;
}
