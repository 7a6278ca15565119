/* A RISC-V hart: architectural state plus the per-hart caches of the engine.
 *
 * Everything that belongs to one hart lives here (registers, CSRs, soft TLB,
 * jump cache, instruction counts) so that a later multi-threaded mode can run
 * each hart on its own host thread without touching shared state. */
#ifndef REWIND_CORE_HART_H
#define REWIND_CORE_HART_H

#include <stdbool.h>
#include <stdint.h>

struct Machine;
struct TB;

enum { PRV_U = 0, PRV_S = 1, PRV_M = 3 };

/* Soft TLB: direct mapped, one array per access kind and per MMU index, so
 * that read, write and execute permissions are checked separately and a
 * change of privilege does not force a flush. */
enum { TLB_BITS = 8, TLB_SIZE = 1 << TLB_BITS };
enum { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };
/* MMU index: the privilege whose translation applies (U, S, M). */
enum { MMU_IDX_U = 0, MMU_IDX_S = 1, MMU_IDX_M = 2, MMU_IDX_COUNT = 3 };

typedef struct TlbEntry {
    uint64_t vpage;   /* virtual page address (va & ~0xfff); TLB_INVALID when empty */
    uintptr_t addend; /* host address = guest va + addend (RAM pages only) */
    uint64_t ppage;   /* guest physical page address */
    uint64_t unused;  /* to 32 bytes: native code finds an entry with a
                       * shift and a mask (translator/x86_64/emit.c) */
} TlbEntry;
#define TLB_INVALID UINT64_MAX

enum { JC_BITS = 12, JC_SIZE = 1 << JC_BITS };

/* Number of PMP entries implemented. */
enum { PMP_COUNT = 16 };

typedef struct Csrs {
    uint64_t mstatus;  /* sstatus is a view of this */
    uint64_t misa;
    uint64_t medeleg, mideleg;
    uint64_t mie, mip; /* sie/sip are views masked by mideleg */
    uint64_t mtvec, mscratch, mepc, mcause, mtval;
    uint64_t stvec, sscratch, sepc, scause, stval;
    uint64_t satp;
    uint64_t mcounteren, scounteren, mcountinhibit;
    uint64_t menvcfg, senvcfg;
    uint64_t stimecmp; /* Sstc (core/sstc.h) */
    /* Sdtrig (core/trigger.h): TRIGGER_COUNT triggers */
    uint64_t tselect, tcontrol;
    uint64_t tdata1[2], tdata2[2];
    uint64_t mhartid;
    uint32_t fflags, frm;
    /* Offsets so that mcycle/minstret writes take effect relative to the
     * hart's retired instruction count. */
    uint64_t mcycle_offset, minstret_offset;
    uint8_t pmpcfg[PMP_COUNT];
    uint64_t pmpaddr[PMP_COUNT];
} Csrs;

/* Result of executing one op / one TB (see translator/op.h). */
typedef struct Hart {
    /* x[0] always reads zero; writes to rd=0 are redirected to x[32] by the
     * decoder, so handlers never test for x0. */
    uint64_t x[33];
    uint64_t f[32]; /* raw bits; single precision values are NaN-boxed */
    uint64_t pc;
    uint8_t priv;
    Csrs csr;

    /* LR/SC reservation (physical address), valid flag. */
    uint64_t lr_addr;
    bool lr_valid;
    /* The value the LR read: the fast mode's SC is a compare-and-swap
     * against it (translator/ops_atomic.c). Not architectural state. */
    uint64_t lr_value;

    /* Retired instructions. Incremented by a TB's length when it starts;
     * on an early exit the unretired part is given back, so inside a TB
     * the exact count at op index i is icount - cur_tb->ninsns + i. */
    uint64_t icount;
    uint32_t exc_idx; /* index in its TB of the op that raised the last exception */
    /* While an op's exception is being taken (op_raise): the instructions
     * counted in icount that will not retire (the faulting op and those
     * after it in its TB), so that an observer (core/machine.h) sees the
     * exact count. 0 at any other time. */
    uint32_t unretired;
    /* The TB running, or the one that ran last (translator/exec.h): its
     * length gives the exact icount inside it (op_icount), its flags say
     * whether it may reach a device (CF_LAST_IO); native code chains from
     * TB to TB by itself and sets it. Then the icount a chain of native
     * TBs must not pass (the run loop's budget). */
    struct TB *cur_tb;
    uint64_t icount_end;
    /* An op reached a device from a TB without CF_LAST_IO: it did not
     * retire, and the run loop re-executes it alone in a CF_LAST_IO TB. */
    bool io_retry;

    /* Set by wfi: the hart sleeps until an interrupt is pending. */
    bool wfi;
    /* The run loop found the hart in a trap loop (core/trap_loop.h): its
     * turn ended as a wfi's would. Cleared when the hart runs again. */
    bool trap_loop;
    /* An instruction changed a device deadline from inside a slice (a
     * stimecmp write, core/sstc.h): the run loop ends the slice after it
     * and computes the next budget with the new deadline. */
    bool slice_end;
    /* A debug trigger is armed (core/trigger.h): TBs get TBF_TRIG. */
    bool trig_armed;

    /* Current MMU index for data and fetch accesses (derived from priv,
     * mstatus.MPRV/MPP and satp; recomputed by hart_update_mmu_idx). */
    uint8_t mmu_idx_data, mmu_idx_fetch;
    /* The read and write TLB arrays of mmu_idx_data, so the load/store fast
     * path indexes one array. Points into this Hart: recompute it (with
     * hart_update_mmu_idx) after copying a Hart. */
    TlbEntry *dtlb[2];

    TlbEntry tlb[MMU_IDX_COUNT][3][TLB_SIZE];
    /* Scratch space for a budget-cut copy of a TB (translator/tb_cache.h). */
    struct TB *cut_tb;
    struct TB *jmp_cache[JC_SIZE];

    unsigned id;
    struct Machine *m;
} Hart;

/* The architectural state of a hart: what a checkpoint saves and puts
 * back (the caches are rebuilt instead). */
typedef struct HartArch {
    uint64_t x[33], f[32], pc;
    uint8_t priv;
    Csrs csr;
    uint64_t lr_addr;
    bool lr_valid;
    uint64_t icount;
    bool wfi;
} HartArch;

void hart_arch_get(const Hart *h, HartArch *a);
/* Put a back, and drop what depended on the old state: the soft TLB, the
 * jump cache, a pending I/O retry; the MMU indices are recomputed. */
void hart_arch_set(Hart *h, const HartArch *a);

/* Reset a hart to its power-on state, pc at the reset vector. */
void hart_reset(Hart *h, unsigned id, struct Machine *m, uint64_t reset_pc);

/* Recompute the MMU indices after a change of priv, mstatus or satp. */
void hart_update_mmu_idx(Hart *h);

/* Drop every soft-TLB entry (sfence.vma, satp, mstatus.SUM/MXR, PMP). */
void hart_tlb_flush(Hart *h);

/* Drop the write entries of the soft TLB that map physical page ppage, or
 * all of them when ppage is TLB_INVALID (writes must reach the slow path
 * again: new code in the page, or a new digest window). */
void hart_tlb_drop_writes(Hart *h, uint64_t ppage);

/* Drop the virtual-pc -> TB map (needed whenever virtual->physical changes). */
void hart_jmp_cache_flush(Hart *h);

/* mip is the one CSR that other threads write in the fast mode (devices
 * drive its wires from whichever thread reaches them): every access is
 * atomic. Relaxed is enough: an interrupt is taken at a TB boundary
 * anyway, and the wake-up path (core/mt_run.c) orders itself. */
static inline uint64_t hart_mip(const Hart *h)
{
    return __atomic_load_n(&h->csr.mip, __ATOMIC_RELAXED);
}

/* mip = (mip & ~mask) | (val & mask), without losing a concurrent change
 * of the other bits. */
static inline void hart_mip_write(Hart *h, uint64_t mask, uint64_t val)
{
    __atomic_fetch_and(&h->csr.mip, ~(mask & ~val), __ATOMIC_RELAXED);
    __atomic_fetch_or(&h->csr.mip, val & mask, __ATOMIC_RELAXED);
}

/* Drive one of the device-owned mip bits (MSIP, MTIP, MEIP, SEIP) from a
 * device: bit is the interrupt number. The run loop sees the change at the
 * end of the current TB. */
void hart_set_mip(Hart *h, unsigned bit, bool level);

#endif
