/* Hart reset and the per-hart caches that depend on translation state. */
#include "core/hart.h"

#include "core/machine.h"
#include "core/mt_run.h"
#include "core/trigger.h"

#include <string.h>

#include "core/csr.h"

void hart_reset(Hart *h, unsigned id, struct Machine *m, uint64_t reset_pc)
{
    struct TB *cut_tb = h->cut_tb; /* host memory, kept across resets */
    memset(h, 0, sizeof(*h));
    h->cut_tb = cut_tb;
    h->id = id;
    h->m = m;
    h->pc = reset_pc;
    h->priv = PRV_M;
    h->csr.misa = csr_misa_default();
    h->csr.mhartid = id;
    /* UXL and SXL are fixed at 64 bits. */
    h->csr.mstatus = (2ULL << 32) | (2ULL << 34);
    hart_tlb_flush(h);
    hart_update_mmu_idx(h);
}

void hart_arch_get(const Hart *h, HartArch *a)
{
    memset(a, 0, sizeof(*a)); /* padding too: a state may be hashed or written */
    memcpy(a->x, h->x, sizeof(a->x));
    memcpy(a->f, h->f, sizeof(a->f));
    a->pc = h->pc;
    a->priv = h->priv;
    a->csr = h->csr;
    a->lr_addr = h->lr_addr;
    a->lr_valid = h->lr_valid;
    a->icount = h->icount;
    a->wfi = h->wfi;
}

void hart_arch_set(Hart *h, const HartArch *a)
{
    memcpy(h->x, a->x, sizeof(h->x));
    memcpy(h->f, a->f, sizeof(h->f));
    h->pc = a->pc;
    h->priv = a->priv;
    h->csr = a->csr;
    h->lr_addr = a->lr_addr;
    h->lr_valid = a->lr_valid;
    h->icount = a->icount;
    h->wfi = a->wfi;
    h->io_retry = false;
    hart_tlb_flush(h);
    hart_jmp_cache_flush(h);
    hart_update_mmu_idx(h);
    trigger_update(h);
}

static int mmu_idx_for(const Hart *h, unsigned priv)
{
    if (priv == PRV_M)
        return MMU_IDX_M;
    return priv == PRV_S ? MMU_IDX_S : MMU_IDX_U;
}

void hart_update_mmu_idx(Hart *h)
{
    unsigned data_priv = h->priv;
    /* MPRV makes loads and stores (not fetches) use MPP's translation. */
    if (h->priv == PRV_M && (h->csr.mstatus & MSTATUS_MPRV))
        data_priv = (unsigned)((h->csr.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    h->mmu_idx_data = (uint8_t)mmu_idx_for(h, data_priv);
    h->mmu_idx_fetch = (uint8_t)mmu_idx_for(h, h->priv);
    h->dtlb[ACC_READ] = h->tlb[h->mmu_idx_data][ACC_READ];
    h->dtlb[ACC_WRITE] = h->tlb[h->mmu_idx_data][ACC_WRITE];
}

void hart_tlb_flush(Hart *h)
{
    for (int i = 0; i < MMU_IDX_COUNT; i++)
        for (int a = 0; a < 3; a++)
            for (int e = 0; e < TLB_SIZE; e++)
                h->tlb[i][a][e].vpage = TLB_INVALID;
}

void hart_tlb_drop_writes(Hart *h, uint64_t ppage)
{
    for (int i = 0; i < MMU_IDX_COUNT; i++)
        for (int e = 0; e < TLB_SIZE; e++) {
            TlbEntry *te = &h->tlb[i][ACC_WRITE][e];
            if (ppage == TLB_INVALID || te->ppage == ppage)
                te->vpage = TLB_INVALID;
        }
}

void hart_jmp_cache_flush(Hart *h)
{
    memset(h->jmp_cache, 0, sizeof(h->jmp_cache));
}

void hart_set_mip(Hart *h, unsigned bit, bool level)
{
    uint64_t b = 1ULL << bit;
    if (!level) {
        __atomic_fetch_and(&h->csr.mip, ~b, __ATOMIC_RELAXED);
        return;
    }
    uint64_t old = __atomic_fetch_or(&h->csr.mip, b, __ATOMIC_SEQ_CST);
    /* Deterministic engine: native code chained from TB to TB looks at
     * icount_end at each TB, not at mip (translator/x86_64/emit.c,
     * emit_irq_check): a new interrupt sends it back to the run loop,
     * which looks at interrupts (and sets icount_end again). The fast
     * mode's code looks at mip itself. */
    if (!(old & b) && !(h->m && h->m->mt))
        __atomic_store_n(&h->icount_end, 0, __ATOMIC_RELAXED);
    /* Fast mode: the hart may sleep in wfi on another thread. */
    if (h->m && h->m->mt && !(old & b))
        mt_kick(h);
}
