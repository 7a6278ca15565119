/* Handlers for the system instructions of translator/insns_sys.def:
 * Zicsr, ecall/ebreak, mret/sret, wfi, sfence.vma and the fences. */
#include <sched.h>

#include "core/csr.h"
#include "core/machine.h"
#include "core/mmu.h"
#include "core/trap.h"
#include "translator/insn_table.h"
#include "translator/op.h"
#include "translator/tb_cache.h"

typedef enum { SYS_CSR_RW, SYS_CSR_RS, SYS_CSR_RC } SysCsrKind;

/* One Zicsr instruction. src is rs1's value or the 5-bit immediate; the
 * rs1 field being zero (not its value) is what suppresses the write of
 * csrrs/csrrc. */
static int sys_csr(Hart *h, const Op *op, SysCsrKind kind, uint64_t src)
{
    unsigned num = (unsigned)op->imm & 0xfff;
    uint64_t now = op_icount(h, op);
    bool write = kind == SYS_CSR_RW || op->rs1 != 0;
    /* csrrw with rd = x0 does not read the CSR at all. */
    bool read = kind != SYS_CSR_RW || op->rd != 32;
    uint64_t old = 0;

    if (write && csr_check_write(h, num) != CSR_OK)
        return op_illegal(h, op);
    if (read && csr_read(h, num, now, &old) != CSR_OK)
        return op_illegal(h, op);
    if (write) {
        uint64_t v = kind == SYS_CSR_RW   ? src
                     : kind == SYS_CSR_RS ? old | src
                                          : old & ~src;
        if (csr_write(h, num, now, v) != CSR_OK)
            return op_illegal(h, op);
    }
    X(op->rd) = old;
    /* Interrupt enables, FS or the privilege-dependent TB flags may have
     * changed: let the run loop look again. */
    h->pc = NEXT_PC(op);
    return OP_EXIT_SYNC;
}

int op_csrrw(Hart *h, const Op *op)
{
    return sys_csr(h, op, SYS_CSR_RW, X(op->rs1));
}

int op_csrrs(Hart *h, const Op *op)
{
    return sys_csr(h, op, SYS_CSR_RS, X(op->rs1));
}

int op_csrrc(Hart *h, const Op *op)
{
    return sys_csr(h, op, SYS_CSR_RC, X(op->rs1));
}

int op_csrrwi(Hart *h, const Op *op)
{
    return sys_csr(h, op, SYS_CSR_RW, op->rs1);
}

int op_csrrsi(Hart *h, const Op *op)
{
    return sys_csr(h, op, SYS_CSR_RS, op->rs1);
}

int op_csrrci(Hart *h, const Op *op)
{
    return sys_csr(h, op, SYS_CSR_RC, op->rs1);
}

int op_ecall(Hart *h, const Op *op)
{
    uint64_t cause = h->priv == PRV_M   ? EXC_ECALL_M
                     : h->priv == PRV_S ? EXC_ECALL_S
                                        : EXC_ECALL_U;
    return op_raise(h, op, cause, 0);
}

int op_ebreak(Hart *h, const Op *op)
{
    return op_raise(h, op, EXC_BREAKPOINT, op->pc);
}

int op_mret(Hart *h, const Op *op)
{
    if (h->priv < PRV_M)
        return op_illegal(h, op);
    trap_mret(h);
    return OP_EXIT_INDIRECT;
}

int op_sret(Hart *h, const Op *op)
{
    if (h->priv < PRV_S ||
        (h->priv == PRV_S && (h->csr.mstatus & MSTATUS_TSR)))
        return op_illegal(h, op);
    trap_sret(h);
    return OP_EXIT_INDIRECT;
}

int op_wfi(Hart *h, const Op *op)
{
    /* A wfi below M would have to complete in bounded time to be legal;
     * in U it never is (S-mode exists), in S only while TW is clear. */
    if (h->priv == PRV_U ||
        (h->priv == PRV_S && (h->csr.mstatus & MSTATUS_TW)))
        return op_illegal(h, op);
    h->wfi = true;
    h->pc = NEXT_PC(op);
    return OP_EXIT_WFI;
}

int op_sfence_vma(Hart *h, const Op *op)
{
    if (h->priv == PRV_U ||
        (h->priv == PRV_S && (h->csr.mstatus & MSTATUS_TVM)))
        return op_illegal(h, op);
    /* No ASIDs in the soft TLB: every sfence.vma is a full flush. */
    hart_tlb_flush(h);
    hart_jmp_cache_flush(h);
    h->pc = NEXT_PC(op);
    return OP_EXIT_SYNC;
}

/* The memory model in the fast mode (core/mt_run.h). Guest loads and
 * stores are host loads and stores, one op (a call) each, so neither the
 * compiler nor an x86-64 host (TSO) reorders them but for one case: a
 * store followed by a load of another address may complete after it (the
 * store buffer). RVWMO orders nothing without a fence or an annotation,
 * so TSO gives every ordering a fence asks for, except W -> R: only a
 * fence whose predecessor set has W (or O) and whose successor set has R
 * (or I) becomes an mfence (fence rw,rw; fence w,r; ...); fence.tso
 * (fm=1000) by definition does not order W -> R, and needs nothing, nor
 * do fence r,rw / fence rw,w / fence w,w. Device accesses go through a
 * mutex, a full barrier. AMOs and SC are locked instructions. The
 * deterministic engine, one hart at a time, needs none of it. */
/* A full host barrier (mfence). ThreadSanitizer does not model fences:
 * there, a locked read-modify-write of a thread-local word (as strong on
 * x86-64, and no synchronisation between threads that TSan could take
 * for real ordering). */
static inline void host_full_barrier(void)
{
#if defined(__SANITIZE_THREAD__)
    static __thread int word;
    __atomic_fetch_add(&word, 0, __ATOMIC_SEQ_CST);
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

bool op_fence_orders_store_load(uint32_t raw)
{
    unsigned fm = (raw >> 28) & 0xf, pred = (raw >> 24) & 0xf, succ = (raw >> 20) & 0xf;
    /* pred/succ bits: I=8 O=4 R=2 W=1 */
    return fm != 8 && (pred & 0x5) && (succ & 0xa);
}

/* Zihintpause's pause: fence w,0 with fm=0. */
enum { INSN_PAUSE = 0x0100000f };

bool op_fence_is_pause(uint32_t raw)
{
    return raw == INSN_PAUSE;
}

int op_fence(Hart *h, const Op *op)
{
    if (unlikely(h->m->mt)) {
        if (op_fence_orders_store_load(op->raw))
            host_full_barrier(); /* mfence */
        else if (op->raw == INSN_PAUSE)
            sched_yield(); /* a spinning hart lets another thread have the core */
    }
    return op_next(h, op);
}

/* The Zihintpause row: the same fence, named for what it is. */
int op_pause(Hart *h, const Op *op)
{
    return op_fence(h, op);
}

int op_fence_i(Hart *h, const Op *op)
{
    /* Stores to code pages already dropped the stale TBs; ending this TB
     * makes the next fetch see them. In the fast mode another hart's store
     * dropped them before it stored (core/mt_run.h), and the lookups check
     * each TB's dropped flag; the barrier orders those reads after this
     * hart's earlier loads (the ones that saw the new code's flag). */
    if (unlikely(h->m->mt))
        host_full_barrier();
    h->pc = NEXT_PC(op);
    return OP_EXIT_SYNC;
}
