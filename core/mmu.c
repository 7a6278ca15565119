/* Address translation (Sv39, Sv48), the slow paths of loads and stores,
 * atomics' host pointers and instruction-fetch translation.
 *
 * A/D bits are updated by the walker itself (the "hardware" scheme, as
 * QEMU does), so a TLB entry for writes is only ever installed once D is
 * set. Page-table reads and A/D writes are implicit S-mode accesses: they
 * go through PMP and must hit RAM, else the original access takes an
 * access fault. */
#include "core/mmu.h"

#include <inttypes.h>

#include "core/csr.h"
#include "core/debug.h"
#include "core/isa.h"
#include "core/machine.h"
#include "core/memory.h"
#include "core/mt_run.h"
#include "translator/tb_cache.h"

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_G (1ULL << 5)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ULL << 44) - 1)
/* Bits 63:54: N (Svnapot), PBMT (Svpbmt, 62:61) and reserved (60:54). */
#define PTE_HI_RESERVED (0x3ffULL << 54)
#define PTE_N (1ULL << 63)
#define PTE_PBMT (3ULL << 61)

enum { PAGE_SHIFT = 12, PAGE_SIZE = 1 << PAGE_SHIFT };
#define PAGE_MASK (~(uint64_t)(PAGE_SIZE - 1))

static unsigned mmu_idx_priv(int mmu_idx)
{
    return mmu_idx == MMU_IDX_M ? PRV_M : mmu_idx == MMU_IDX_S ? PRV_S : PRV_U;
}

static char acc_char(int acc)
{
    return acc == ACC_WRITE ? 'w' : acc == ACC_EXEC ? 'x' : 'r';
}

static uint64_t mmu_fault_cause(XlateResult r, int acc)
{
    static const uint64_t page[3] = {
        EXC_LOAD_PAGE_FAULT, EXC_STORE_PAGE_FAULT, EXC_INSN_PAGE_FAULT,
    };
    static const uint64_t access[3] = {
        EXC_LOAD_ACCESS, EXC_STORE_ACCESS, EXC_INSN_ACCESS,
    };
    return r == XLATE_PAGE_FAULT ? page[acc] : access[acc];
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    return mmu_host_load((uintptr_t)p, size);
}

static void store_le(uint8_t *p, unsigned size, uint64_t val)
{
    mmu_host_store((uintptr_t)p, size, val);
}

/* ------------------------------------------------------------ page walk */

typedef struct Walk {
    uint64_t pa;
    int level;     /* level reached: a leaf there maps 4 KiB << (9 * level) */
    uint64_t pte;
    const char *why; /* reason of a fault, for the log */
} Walk;

/* The walk proper. `debug` disables everything with a side effect or a
 * permission meaning: no PMP, no A/D update, no U/R/W/X checks. */
static XlateResult mmu_walk(Hart *h, uint64_t va, int acc, int mmu_idx,
                            bool debug, Walk *w)
{
    uint64_t satp = h->csr.satp;
    unsigned mode = (unsigned)(satp >> SATP_MODE_SHIFT);
    Memory *mem = &h->m->mem;

    w->level = 0;
    w->pte = 0;
    w->why = NULL;
    if (mmu_idx == MMU_IDX_M || mode == SATP_MODE_BARE) {
        w->pa = va;
        return XLATE_OK;
    }
    int levels;
    if (mode == SATP_MODE_SV39)
        levels = 3;
    else if (mode == SATP_MODE_SV48)
        levels = 4;
    else {
        /* csr.c never lets another mode in; be safe if it does. */
        w->why = "unsupported satp mode";
        return XLATE_PAGE_FAULT;
    }

    /* The bits above the VA width must all copy its top bit. */
    unsigned va_bits = PAGE_SHIFT + 9 * (unsigned)levels;
    int64_t sext = (int64_t)(va << (64 - va_bits)) >> (64 - va_bits);
    if ((uint64_t)sext != va) {
        w->why = "non-canonical address";
        return XLATE_PAGE_FAULT;
    }

    /* The high PTE bits that must be zero here: N without Svnapot, PBMT
     * without Svpbmt or with menvcfg.PBMTE clear. */
    uint64_t isa = h->m->cfg.isa_ext, hi_reserved = PTE_HI_RESERVED;
    if (isa & ISA_BIT(ISA_SVNAPOT))
        hi_reserved &= ~PTE_N;
    if ((isa & ISA_BIT(ISA_SVPBMT)) && (h->csr.menvcfg & MENVCFG_PBMTE))
        hi_reserved &= ~PTE_PBMT;

    uint64_t table = (satp & SATP_PPN_MASK) << PAGE_SHIFT;
    for (int level = levels - 1;; level--) {
        uint64_t vpn = (va >> (PAGE_SHIFT + 9 * level)) & 0x1ff;
        uint64_t pte_addr = table + vpn * 8;
        if (!debug && !pmp_check(h, pte_addr, 8, ACC_READ, PRV_S)) {
            w->why = "PMP denies the page-table read";
            return XLATE_ACCESS_FAULT;
        }
        uint8_t *pte_host = memory_find_mmio(mem, pte_addr)
                                ? NULL : memory_ram_ptr(mem, pte_addr, 8);
        if (!pte_host) {
            w->why = "page table outside RAM";
            return XLATE_ACCESS_FAULT;
        }
        /* Relaxed atomic load/CAS keep a later multi-threaded mode honest
         * when another hart updates the same PTE; single-threaded they are
         * plain loads and stores. */
        uint64_t pte = __atomic_load_n((uint64_t *)pte_host, __ATOMIC_ACQUIRE);
        w->pte = pte;
        w->level = level;

        if (!(pte & PTE_V) || (pte & hi_reserved) ||
            (pte & (PTE_R | PTE_W)) == PTE_W ||
            (pte & PTE_PBMT) == PTE_PBMT /* PBMT 3 is reserved */) {
            w->why = !(pte & PTE_V) ? "invalid PTE" : "reserved PTE encoding";
            return XLATE_PAGE_FAULT;
        }
        uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
        if (!(pte & (PTE_R | PTE_X))) {
            /* Pointer to the next level. D, A, U, N and PBMT are reserved
             * here. */
            if (pte & (PTE_D | PTE_A | PTE_U | PTE_N | PTE_PBMT)) {
                w->why = "D/A/U/N/PBMT set in a non-leaf PTE";
                return XLATE_PAGE_FAULT;
            }
            if (level == 0) {
                w->why = "no leaf at level 0";
                return XLATE_PAGE_FAULT;
            }
            table = ppn << PAGE_SHIFT;
            continue;
        }

        /* Leaf. A superpage's low PPN fields must be zero. */
        uint64_t low_mask = (1ULL << (9 * level)) - 1;
        if (ppn & low_mask) {
            w->why = "misaligned superpage";
            return XLATE_PAGE_FAULT;
        }
        /* Svnapot: N on a 4 KiB leaf whose ppn[3:0] is 1000 maps 64 KiB;
         * the page is the one of va inside it. Other N encodings (and N
         * on a superpage) are reserved. */
        if (pte & PTE_N) {
            if (level != 0 || (ppn & 0xf) != 0x8) {
                w->why = "reserved NAPOT encoding";
                return XLATE_PAGE_FAULT;
            }
            ppn = (ppn & ~0xfULL) | ((va >> PAGE_SHIFT) & 0xf);
        }
        if (!debug) {
            const char *deny = NULL;
            uint64_t mstatus = h->csr.mstatus;
            if (mmu_idx == MMU_IDX_U && !(pte & PTE_U))
                deny = "supervisor page from U";
            else if (mmu_idx == MMU_IDX_S && (pte & PTE_U) &&
                     (acc == ACC_EXEC || !(mstatus & MSTATUS_SUM)))
                deny = acc == ACC_EXEC ? "user page executed from S"
                                       : "user page from S without SUM";
            else if (acc == ACC_READ &&
                     !((pte & PTE_R) ||
                       ((mstatus & MSTATUS_MXR) && (pte & PTE_X))))
                deny = "not readable";
            else if (acc == ACC_WRITE && !(pte & PTE_W))
                deny = "not writable";
            else if (acc == ACC_EXEC && !(pte & PTE_X))
                deny = "not executable";
            if (deny) {
                w->why = deny;
                return XLATE_PAGE_FAULT;
            }

            uint64_t want = pte | PTE_A | (acc == ACC_WRITE ? PTE_D : 0);
            if (want != pte) {
                if (!pmp_check(h, pte_addr, 8, ACC_WRITE, PRV_S)) {
                    w->why = "PMP denies the A/D update";
                    return XLATE_ACCESS_FAULT;
                }
                machine_ram_written(h->m, pte_addr, 8);
                /* If the PTE changed under us, walk again from the root. */
                if (!__atomic_compare_exchange_n((uint64_t *)pte_host, &pte,
                                                 want, false, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_ACQUIRE))
                    return mmu_walk(h, va, acc, mmu_idx, debug, w);
                w->pte = want;
            }
        }
        uint64_t off_mask = (1ULL << (PAGE_SHIFT + 9 * level)) - 1;
        w->pa = (ppn << PAGE_SHIFT) | (va & off_mask);
        return XLATE_OK;
    }
}

XlateResult mmu_translate(Hart *h, uint64_t va, int acc, int mmu_idx,
                          uint64_t *pa, bool *perm_page)
{
    Walk w;
    XlateResult r = mmu_walk(h, va, acc, mmu_idx, false, &w);
    Log *lg = &h->m->log;
    if (r != XLATE_OK) {
        log_printf(lg, LOG_MMU,
                   "mmu: hart %u %c va 0x%" PRIx64 " idx %d: %s fault, %s"
                   " (level %d pte 0x%" PRIx64 ")\n",
                   h->id, acc_char(acc), va, mmu_idx,
                   r == XLATE_PAGE_FAULT ? "page" : "access",
                   w.why ? w.why : "?", w.level, w.pte);
        return r;
    }
    if (w.pte)
        log_printf(lg, LOG_MMU,
                   "mmu: hart %u %c va 0x%" PRIx64 " idx %d -> pa 0x%" PRIx64
                   " (level %d pte 0x%" PRIx64 ")\n",
                   h->id, acc_char(acc), va, mmu_idx, w.pa, w.level, w.pte);
    *pa = w.pa;
    /* Pages are at least 4 KiB, so only PMP can split a page's result. */
    if (perm_page)
        *perm_page = pmp_page_uniform(h, w.pa, mmu_idx_priv(mmu_idx));
    return XLATE_OK;
}

bool mmu_debug_translate(Hart *h, uint64_t va, uint64_t *pa)
{
    Walk w;
    if (mmu_walk(h, va, ACC_READ, h->mmu_idx_data, true, &w) != XLATE_OK)
        return false;
    *pa = w.pa;
    return true;
}

/* ------------------------------------------------------- physical access */

/* Reads and writes of guest physical memory. MMIO regions win over RAM.
 * Return false when nothing accepts the access (-> access fault). */
static bool phys_read(Hart *h, uint64_t pa, unsigned size, uint64_t *val)
{
    Memory *mem = &h->m->mem;
    MmioRegion *r = memory_find_mmio(mem, pa);
    if (r) {
        if (pa - r->base > r->size - size || !r->ops->read)
            return false;
        uint64_t v = 0;
        /* Fast mode: devices and the interrupt controllers sit behind one
         * lock (core/mt_run.h). */
        Machine *m = h->m;
        if (unlikely(m->mt))
            mt_io_lock(m);
        bool ok = r->ops->read(r->opaque, pa - r->base, size, &v);
        if (unlikely(m->mt))
            mt_io_unlock(m, false);
        if (!ok)
            return false;
        *val = size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
        if (unlikely(m->observer != NULL) && m->observer->device_access)
            m->observer->device_access(m->observer->opaque, h, r, pa - r->base, size, false,
                                       *val);
        return true;
    }
    if (size > 1 && memory_find_mmio(mem, pa + size - 1))
        return false; /* straddles RAM and a device */
    const uint8_t *p = memory_ram_ptr(mem, pa, size);
    if (!p)
        return false;
    *val = load_le(p, size);
    return true;
}

static bool phys_write(Hart *h, uint64_t pa, unsigned size, uint64_t val)
{
    Memory *mem = &h->m->mem;
    MmioRegion *r = memory_find_mmio(mem, pa);
    if (r) {
        if (pa - r->base > r->size - size || !r->ops->write)
            return false;
        Machine *m = h->m;
        bool ok;
        if (likely(!m->mt)) {
            ok = r->ops->write(r->opaque, pa - r->base, size, val);
        } else {
            mt_io_lock(m);
            ok = r->ops->write(r->opaque, pa - r->base, size, val);
            mt_io_unlock(m, true); /* a deadline may have moved */
        }
        if (ok && unlikely(m->observer != NULL) && m->observer->device_access)
            m->observer->device_access(m->observer->opaque, h, r, pa - r->base, size, true, val);
        return ok;
    }
    if (size > 1 && memory_find_mmio(mem, pa + size - 1))
        return false;
    uint8_t *p = memory_ram_ptr(mem, pa, size);
    if (!p)
        return false;
    /* Drop translated code before it can go stale. The TB that is running
     * keeps its ops until it ends; RISC-V needs fence.i to see new code
     * anyway. */
    machine_ram_written(h->m, pa, size);
    store_le(p, size, val);
    return true;
}

/* Is [pa, pa+size) backed by RAM or wholly by one device? */
static bool phys_exists(Hart *h, uint64_t pa, unsigned size)
{
    Memory *mem = &h->m->mem;
    MmioRegion *r = memory_find_mmio(mem, pa);
    if (r)
        return pa - r->base <= r->size - size;
    return !memory_find_mmio(mem, pa + size - 1) &&
           memory_ram_ptr(mem, pa, size) != NULL;
}

/* Cache the translation of va's page for `acc` at `mmu_idx`. Only plain
 * RAM pages are cached, and write entries never for a page holding code
 * (those writes must reach the slow path to invalidate it). */
static void mmu_tlb_fill(Hart *h, int mmu_idx, int acc, uint64_t va,
                         uint64_t pa)
{
    Memory *mem = &h->m->mem;
    uint64_t ppage = pa & PAGE_MASK;
    if (!memory_page_is_plain_ram(mem, ppage))
        return;
    /* Accesses to a debugger's watched range must reach the slow path. */
    if (unlikely(h->m->debug) && debug_page_watched(h->m, va, acc))
        return;
    if (acc == ACC_WRITE) {
        if (memory_page_has_code(mem, ppage))
            return;
        /* Writes through this entry bypass the slow path: count the page
         * as written for the next digest now (the fast mode takes neither
         * digests nor snapshots). */
        if (!h->m->mt)
            memory_mark_dirty(mem, ppage);
    }
    uint8_t *host = memory_ram_ptr(mem, ppage, PAGE_SIZE);
    uint64_t vpage = va & PAGE_MASK;
    TlbEntry *e = mmu_tlb_entry(h, mmu_idx, acc, va);
    e->vpage = vpage;
    e->addend = (uintptr_t)host - (uintptr_t)vpage;
    e->ppage = ppage;
}

/* ------------------------------------------------------------ slow paths */

static bool mmu_raise(Hart *h, const Op *op, uint64_t cause, uint64_t tval)
{
    op_raise(h, op, cause, tval);
    return false;
}

/* icount: a device may only be reached by the one instruction of a
 * CF_LAST_IO TB, so that it sees the exact instruction count. From any
 * other TB the access is abandoned before it happens: the op does not
 * retire and the run loop runs it again alone with CF_LAST_IO. */
static bool mmu_io_gate(Hart *h, const Op *op, uint64_t pa)
{
    /* The fast mode has no exact instruction count to keep. */
    if ((h->cur_tb->flags & TBF_LAST_IO) || h->m->mt || !memory_find_mmio(&h->m->mem, pa))
        return true;
    h->io_retry = true;
    h->exc_idx = op->idx;
    h->pc = op->pc;
    return false;
}

/* Debugger watchpoints (core/debug.h): false when the op stops before it
 * happens, as mmu_io_gate does (but not to be retried). acc_mask:
 * DEBUG_WATCH_*. */
static inline bool mmu_watch_gate(Hart *h, const Op *op, uint64_t va,
                                  unsigned size, int acc_mask)
{
    return likely(!h->m->debug) || debug_watch_access(h, op, va, size, acc_mask);
}

/* Translate and PMP-check [va, va+size), which lies within one page, for
 * the data MMU index. Raises the fault (tval = va) and returns false. */
static bool mmu_resolve(Hart *h, const Op *op, uint64_t va, unsigned size,
                        int acc, uint64_t *pa, bool *uniform)
{
    int idx = h->mmu_idx_data;
    XlateResult r = mmu_translate(h, va, acc, idx, pa, uniform);
    if (r == XLATE_OK && !pmp_check(h, *pa, size, acc, mmu_idx_priv(idx))) {
        log_printf(&h->m->log, LOG_MMU,
                   "mmu: hart %u %c pa 0x%" PRIx64 " size %u priv %u: "
                   "PMP denies\n", h->id, acc_char(acc), *pa, size,
                   mmu_idx_priv(idx));
        r = XLATE_ACCESS_FAULT;
    }
    if (r != XLATE_OK)
        return mmu_raise(h, op, mmu_fault_cause(r, acc), va);
    return true;
}

/* A misaligned access that crosses into the next page. Both parts are
 * translated and checked before any byte moves, so a fault on the second
 * page leaves memory and devices untouched. tval is the virtual address
 * of the first byte of the part that faults (the original address for the
 * first page, the start of the second page for the second): the spec's
 * "portion of the access that caused the fault", and what QEMU reports.
 * The bytes then go one by one, each to its own physical address. */
static bool mmu_cross_page(Hart *h, const Op *op, uint64_t va, unsigned size,
                           int acc, uint64_t *val)
{
    unsigned n0 = PAGE_SIZE - (unsigned)(va & (PAGE_SIZE - 1));
    uint64_t va1 = va + n0;
    uint64_t pa0, pa1;
    bool u;
    uint64_t exc = acc == ACC_WRITE ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS;

    if (!mmu_resolve(h, op, va, n0, acc, &pa0, &u) ||
        !mmu_resolve(h, op, va1, size - n0, acc, &pa1, &u) ||
        !mmu_io_gate(h, op, pa0) || !mmu_io_gate(h, op, pa1) ||
        !mmu_watch_gate(h, op, va, size,
                        acc == ACC_WRITE ? DEBUG_WATCH_WRITE : DEBUG_WATCH_READ))
        return false;
    if (!phys_exists(h, pa0, n0))
        return mmu_raise(h, op, exc, va);
    if (!phys_exists(h, pa1, size - n0))
        return mmu_raise(h, op, exc, va1);

    uint64_t v = acc == ACC_WRITE ? *val : 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t pa = i < n0 ? pa0 + i : pa1 + (i - n0);
        if (acc == ACC_WRITE) {
            if (!phys_write(h, pa, 1, (v >> (8 * i)) & 0xff))
                return mmu_raise(h, op, exc, va + i);
        } else {
            uint64_t b;
            if (!phys_read(h, pa, 1, &b))
                return mmu_raise(h, op, exc, va + i);
            v |= b << (8 * i);
        }
    }
    if (acc == ACC_READ)
        *val = v;
    return true;
}

static bool mmu_crosses_page(uint64_t va, unsigned size)
{
    return (va & (PAGE_SIZE - 1)) + size > PAGE_SIZE;
}

bool mmu_read_slow(Hart *h, const Op *op, uint64_t va, unsigned size,
                   uint64_t *val)
{
    if (mmu_crosses_page(va, size))
        return mmu_cross_page(h, op, va, size, ACC_READ, val);
    uint64_t pa;
    bool uniform;
    if (!mmu_resolve(h, op, va, size, ACC_READ, &pa, &uniform) ||
        !mmu_io_gate(h, op, pa) || !mmu_watch_gate(h, op, va, size, DEBUG_WATCH_READ))
        return false;
    if (!phys_read(h, pa, size, val))
        return mmu_raise(h, op, EXC_LOAD_ACCESS, va);
    if (uniform)
        mmu_tlb_fill(h, h->mmu_idx_data, ACC_READ, va, pa);
    return true;
}

bool mmu_cbo_check(Hart *h, const Op *op, uint64_t va, int acc)
{
    uint64_t pa;
    bool uniform;
    int idx = h->mmu_idx_data;
    XlateResult r = mmu_translate(h, va, acc, idx, &pa, &uniform);
    if (r == XLATE_OK && !pmp_check(h, pa, 1, acc, mmu_idx_priv(idx)))
        r = XLATE_ACCESS_FAULT;
    if (r != XLATE_OK)
        return mmu_raise(h, op, mmu_fault_cause(r, ACC_WRITE), va);
    return true;
}

bool mmu_write_slow(Hart *h, const Op *op, uint64_t va, unsigned size,
                    uint64_t val)
{
    if (mmu_crosses_page(va, size))
        return mmu_cross_page(h, op, va, size, ACC_WRITE, &val);
    uint64_t pa;
    bool uniform;
    if (!mmu_resolve(h, op, va, size, ACC_WRITE, &pa, &uniform) ||
        !mmu_io_gate(h, op, pa) || !mmu_watch_gate(h, op, va, size, DEBUG_WATCH_WRITE))
        return false;
    if (!phys_write(h, pa, size, val))
        return mmu_raise(h, op, EXC_STORE_ACCESS, va);
    /* phys_write dropped any code in the page, so it may be cached now. */
    if (uniform)
        mmu_tlb_fill(h, h->mmu_idx_data, ACC_WRITE, va, pa);
    return true;
}

void *mmu_amo_ptr(Hart *h, const Op *op, uint64_t va, unsigned size,
                  bool is_lr, uint64_t *pa_out)
{
    int acc = is_lr ? ACC_READ : ACC_WRITE;
    int idx = h->mmu_idx_data;
    unsigned priv = mmu_idx_priv(idx);
    Memory *mem = &h->m->mem;

    /* Misaligned atomics trap (no emulation of them, unlike plain loads
     * and stores): alignment is checked before translation. */
    if (va & (size - 1)) {
        op_raise(h, op, is_lr ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED, va);
        return NULL;
    }
    uint64_t pa;
    XlateResult r = mmu_translate(h, va, acc, idx, &pa, NULL);
    /* An AMO reads and writes: PMP must grant both. */
    if (r == XLATE_OK &&
        (!pmp_check(h, pa, size, acc, priv) ||
         (!is_lr && !pmp_check(h, pa, size, ACC_READ, priv))))
        r = XLATE_ACCESS_FAULT;
    uint8_t *p = NULL;
    if (r == XLATE_OK) {
        p = memory_find_mmio(mem, pa) ? NULL : memory_ram_ptr(mem, pa, size);
        if (!p)
            r = XLATE_ACCESS_FAULT; /* atomics on devices are not supported */
    }
    if (r != XLATE_OK) {
        op_raise(h, op, mmu_fault_cause(r, acc), va);
        return NULL;
    }
    /* An LR reads; SC and AMOs read and write (SC's read of the
     * reservation counts as an access too). */
    if (!mmu_watch_gate(h, op, va, size,
                        is_lr ? DEBUG_WATCH_READ : DEBUG_WATCH_ACCESS))
        return NULL;
    if (!is_lr) {
        /* Other harts' reservations on these bytes end with this write;
         * the caller handles its own. */
        bool own = h->lr_valid;
        machine_ram_written(h->m, pa, size);
        h->lr_valid = own;
    }
    if (pa_out)
        *pa_out = pa;
    return p;
}

int mmu_fetch_page(Hart *h, uint64_t va, uint64_t *pa, uint8_t **host)
{
    int idx = h->mmu_idx_fetch;
    Memory *mem = &h->m->mem;
    /* A cached execute translation (plain RAM, PMP-uniform) needs no walk. */
    TlbEntry *e = mmu_tlb_entry(h, idx, ACC_EXEC, va);
    if (e->vpage == (va & PAGE_MASK)) {
        *pa = e->ppage | (va & (PAGE_SIZE - 1));
        *host = (uint8_t *)(uintptr_t)(va + e->addend);
        return 0;
    }
    uint64_t p;
    bool uniform;
    XlateResult r = mmu_translate(h, va, ACC_EXEC, idx, &p, &uniform);
    /* PMP is checked at va (2 bytes, the shortest instruction). A page
     * whose execute permission changes inside it is not split further:
     * the translator reads the page as one unit. */
    if (r == XLATE_OK && !pmp_check(h, p, 2, ACC_EXEC, mmu_idx_priv(idx))) {
        log_printf(&h->m->log, LOG_MMU,
                   "mmu: hart %u x pa 0x%" PRIx64 " priv %u: PMP denies\n",
                   h->id, p, mmu_idx_priv(idx));
        r = XLATE_ACCESS_FAULT;
    }
    if (r != XLATE_OK)
        return (int)mmu_fault_cause(r, ACC_EXEC);
    *pa = p;
    *host = memory_find_mmio(mem, p) ? NULL : memory_ram_ptr(mem, p, 2);
    if (*host && uniform)
        mmu_tlb_fill(h, idx, ACC_EXEC, va, p);
    return 0;
}
