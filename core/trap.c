/* Trap entry with delegation, interrupt selection, and xRET
 * (privileged spec v1.12, sections 3.1.6-3.1.9, 3.3.2 and 4.1). */
#include <inttypes.h>

#include "core/csr.h"
#include "core/isa.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/trap.h"
#include "core/trigger.h"
#include "translator/op.h"

static const char *const trap_exc_names[16] = {
    "instruction address misaligned", "instruction access fault",
    "illegal instruction", "breakpoint", "load address misaligned",
    "load access fault", "store/AMO address misaligned",
    "store/AMO access fault", "ecall from U-mode", "ecall from S-mode",
    "reserved", "ecall from M-mode", "instruction page fault",
    "load page fault", "reserved", "store/AMO page fault",
};

static const char *const trap_irq_names[12] = {
    "reserved", "supervisor software interrupt", "reserved",
    "machine software interrupt", "reserved", "supervisor timer interrupt",
    "reserved", "machine timer interrupt", "reserved",
    "supervisor external interrupt", "reserved",
    "machine external interrupt",
};

const char *trap_cause_name(bool irq, uint64_t code)
{
    if (irq)
        return code < 12 ? trap_irq_names[code] : "unknown interrupt";
    return code < 16 ? trap_exc_names[code] : "unknown exception";
}

static uint64_t trap_target_pc(uint64_t tvec, bool irq, uint64_t code)
{
    uint64_t base = tvec & ~3ULL;
    /* Vectored mode applies to interrupts only: synchronous exceptions
     * always go to BASE. */
    if ((tvec & 3) == 1 && irq)
        return base + 4 * code;
    return base;
}

/* Tell an observer (rewind diff) that h's privilege may have changed. */
static void trap_observe(Hart *h, unsigned from, uint64_t cause)
{
    const MachineObserver *o = h->m ? h->m->observer : NULL;
    if (o && o->priv_change)
        o->priv_change(o->opaque, h, from, cause);
}

void trap_take(Hart *h, uint64_t cause, uint64_t tval, uint64_t epc)
{
    Csrs *c = &h->csr;
    bool irq = (cause & CAUSE_INTERRUPT) != 0;
    uint64_t code = cause & ~CAUSE_INTERRUPT;
    uint64_t deleg = irq ? c->mideleg : c->medeleg;
    /* Traps never go to a less privileged mode than the current one. */
    bool to_s = h->priv <= PRV_S && code < 64 && ((deleg >> code) & 1);
    unsigned from = h->priv;

    if (to_s) {
        c->scause = cause;
        c->sepc = epc & ~1ULL;
        c->stval = tval;
        uint64_t s = c->mstatus & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
        if (c->mstatus & MSTATUS_SIE)
            s |= MSTATUS_SPIE;
        if (from == PRV_S)
            s |= MSTATUS_SPP;
        c->mstatus = s;
        h->priv = PRV_S;
        h->pc = trap_target_pc(c->stvec, irq, code);
    } else {
        c->mcause = cause;
        c->mepc = epc & ~1ULL;
        c->mtval = tval;
        uint64_t s = c->mstatus & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
        if (c->mstatus & MSTATUS_MIE)
            s |= MSTATUS_MPIE;
        s |= (uint64_t)from << MSTATUS_MPP_SHIFT;
        c->mstatus = s;
        h->priv = PRV_M;
        if (h->m && (h->m->cfg.isa_ext & ISA_BIT(ISA_SDTRIG)))
            trigger_trap_to_m(h);
        h->pc = trap_target_pc(c->mtvec, irq, code);
    }
    h->wfi = false;
    hart_update_mmu_idx(h);
    trap_observe(h, from, cause);

    if (h->m)
        log_printf(&h->m->log, LOG_INT,
                   "hart %u: %s %" PRIu64 " (%s) epc=0x%" PRIx64
                   " tval=0x%" PRIx64 " %c->%c pc=0x%" PRIx64 "\n",
                   h->id, irq ? "interrupt" : "exception", code,
                   trap_cause_name(irq, code), epc, tval, "US?M"[from],
                   to_s ? 'S' : 'M', h->pc);
}

/* Interrupts in decreasing priority (spec 3.1.9). */
static const int trap_irq_order[] = {
    IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER,
};

static int trap_highest(uint64_t set)
{
    for (unsigned i = 0; i < sizeof(trap_irq_order) / sizeof(trap_irq_order[0]);
         i++)
        if ((set >> trap_irq_order[i]) & 1)
            return trap_irq_order[i];
    return -1;
}

int trap_pending_interrupt(const Hart *h)
{
    const Csrs *c = &h->csr;
    uint64_t pending = hart_mip(h) & c->mie;
    if (!pending)
        return -1;

    /* Interrupts that go to M: taken below M, or in M with MIE set. */
    uint64_t to_m = pending & ~c->mideleg;
    bool m_on = h->priv < PRV_M || (c->mstatus & MSTATUS_MIE);
    if (m_on && to_m)
        return trap_highest(to_m);

    /* Delegated ones: taken below S, or in S with SIE; never in M. */
    uint64_t to_s = pending & c->mideleg;
    bool s_on = h->priv < PRV_S ||
                (h->priv == PRV_S && (c->mstatus & MSTATUS_SIE));
    if (s_on && to_s)
        return trap_highest(to_s);
    return -1;
}

bool trap_check_interrupts(Hart *h)
{
    /* wfi wakes on any locally enabled pending interrupt, even when the
     * global enables would not let it be taken. */
    if (hart_mip(h) & h->csr.mie)
        h->wfi = false;
    int irq = trap_pending_interrupt(h);
    if (irq < 0)
        return false;
    trap_take(h, CAUSE_INTERRUPT | (uint64_t)irq, 0, h->pc);
    return true;
}

void trap_mret(Hart *h)
{
    Csrs *c = &h->csr;
    unsigned prev = (unsigned)((c->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    uint64_t s = c->mstatus & ~(MSTATUS_MIE | MSTATUS_MPP);
    if (c->mstatus & MSTATUS_MPIE)
        s |= MSTATUS_MIE;
    s |= MSTATUS_MPIE; /* MPP = U (0) */
    if (prev != PRV_M)
        s &= ~MSTATUS_MPRV;
    c->mstatus = s;
    if (h->m && (h->m->cfg.isa_ext & ISA_BIT(ISA_SDTRIG)))
        trigger_mret(h);
    unsigned from = h->priv;
    h->priv = (uint8_t)prev;
    h->pc = c->mepc;
    hart_update_mmu_idx(h);
    trap_observe(h, from, MACHINE_OBSERVE_XRET);
}

void trap_sret(Hart *h)
{
    Csrs *c = &h->csr;
    unsigned prev = (c->mstatus & MSTATUS_SPP) ? PRV_S : PRV_U;
    uint64_t s = c->mstatus & ~(MSTATUS_SIE | MSTATUS_SPP);
    if (c->mstatus & MSTATUS_SPIE)
        s |= MSTATUS_SIE;
    s |= MSTATUS_SPIE;
    s &= ~MSTATUS_MPRV; /* sret always returns below M */
    c->mstatus = s;
    unsigned from = h->priv;
    h->priv = (uint8_t)prev;
    h->pc = c->sepc;
    hart_update_mmu_idx(h);
    trap_observe(h, from, MACHINE_OBSERVE_XRET);
}
