/* Svinval and the cache-block operations of Zicbom and Zicboz (rows in
 * insns_bitmanip.def). rewind has no caches: memory is always coherent,
 * so clean, flush and inval only check what the spec says they check
 * (the envcfg gates, the translation and PMP of the block) and cbo.zero
 * writes its block of zeros. */
#include <stdint.h>

#include "core/csr.h"
#include "core/isa.h"
#include "core/mmu.h"
#include "translator/insn_table.h"

int op_sinval_vma(Hart *h, const Op *op)
{
    /* The same checks and the same (full) flush as sfence.vma. */
    return op_sfence_vma(h, op);
}

/* The two fences of Svinval order sinval.vma against the hart's own
 * accesses: nothing to do for one hart at a time. Illegal in U. */
int op_sfence_w_inval(Hart *h, const Op *op)
{
    if (h->priv == PRV_U)
        return op_illegal(h, op);
    return op_next(h, op);
}

int op_sfence_inval_ir(Hart *h, const Op *op)
{
    return op_sfence_w_inval(h, op);
}

/* Whether the envcfg bits `bits` allow the operation at the current
 * privilege: M always; S needs them in menvcfg, U in menvcfg and senvcfg.
 * (For CBIE, a field, any non-zero value allows: 01 flushes, 11
 * invalidates, which is the same here.) */
static bool envcfg_allows(const Hart *h, uint64_t bits)
{
    if (h->priv == PRV_M)
        return true;
    if (!(h->csr.menvcfg & bits))
        return false;
    return h->priv == PRV_S || (h->csr.senvcfg & bits);
}

static uint64_t cbo_block(const Hart *h, const Op *op)
{
    return X(op->rs1) & ~(uint64_t)(ISA_CBO_BLOCK_SIZE - 1);
}

static int cbo_manage(Hart *h, const Op *op, uint64_t gate, int acc)
{
    if (!envcfg_allows(h, gate))
        return op_illegal(h, op);
    if (!mmu_cbo_check(h, op, cbo_block(h, op), acc))
        return OP_EXIT_EXC;
    return op_next(h, op);
}

int op_cbo_clean(Hart *h, const Op *op)
{
    return cbo_manage(h, op, MENVCFG_CBCFE, ACC_READ);
}

int op_cbo_flush(Hart *h, const Op *op)
{
    return cbo_manage(h, op, MENVCFG_CBCFE, ACC_READ);
}

int op_cbo_inval(Hart *h, const Op *op)
{
    return cbo_manage(h, op, MENVCFG_CBIE, ACC_WRITE);
}

/* A block of zeros, as eight aligned doubleword stores: the block lies in
 * one page, so a fault (tval: the block's address) comes from the first,
 * before any byte is written; a device sees eight stores. */
int op_cbo_zero(Hart *h, const Op *op)
{
    if (!envcfg_allows(h, MENVCFG_CBZE))
        return op_illegal(h, op);
    uint64_t base = cbo_block(h, op);
    for (unsigned off = 0; off < ISA_CBO_BLOCK_SIZE; off += 8)
        if (!mmu_write(h, op, base + off, 8, 0))
            return OP_EXIT_EXC;
    return op_next(h, op);
}
