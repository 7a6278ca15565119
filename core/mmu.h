/* Address translation (Sv39, Sv48), PMP checks and the soft TLB.
 *
 * Loads and stores from ops use mmu_read/mmu_write: the inline fast path
 * hits the soft TLB for RAM pages; everything else (TLB miss, MMIO,
 * page-crossing access, write to a page holding translated code) goes to
 * the slow path, which walks the page table, checks PMP, refills the TLB,
 * dispatches MMIO and raises the right fault. Misaligned accesses are
 * performed (as QEMU does), except for LR/SC and AMOs, which trap. */
#ifndef REWIND_CORE_MMU_H
#define REWIND_CORE_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/hart.h"
#include "translator/op.h"

#if defined(__GNUC__)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#else
#define likely(x) (x)
#define unlikely(x) (x)
#endif

/* Outcome of a translation. */
typedef enum {
    XLATE_OK = 0,
    XLATE_PAGE_FAULT,
    XLATE_ACCESS_FAULT, /* PMP or a page-table access outside memory */
} XlateResult;

/* Translate va for an access of the given kind at the given MMU index.
 * Updates A/D bits in the page table. On success *pa is set and *perm_page
 * says whether the whole 4 KiB page shares the result (so it may be cached
 * in the TLB). */
XlateResult mmu_translate(Hart *h, uint64_t va, int acc, int mmu_idx,
                          uint64_t *pa, bool *perm_page);

/* Translate without side effects (no A/D updates, no faults taken), for the
 * debugger and the logs. Returns false when unmapped. */
bool mmu_debug_translate(Hart *h, uint64_t va, uint64_t *pa);

/* Slow paths. On a fault they take the trap via op_raise and return false. */
bool mmu_read_slow(Hart *h, const Op *op, uint64_t va, unsigned size,
                   uint64_t *val);
bool mmu_write_slow(Hart *h, const Op *op, uint64_t va, unsigned size,
                    uint64_t val);

/* Zicbom's permission check of the cache block at va: a translation for
 * acc (ACC_READ: clean and flush, which need read or write permission;
 * ACC_WRITE: inval) and PMP, with no access made. A fault is raised as a
 * store/AMO fault (the spec's rule for cache-block operations), tval va. */
bool mmu_cbo_check(Hart *h, const Op *op, uint64_t va, int acc);

/* Host pointer for an aligned atomic access of `size` bytes at va (needs
 * read and write permission; RAM only). On a fault it takes the trap and
 * returns NULL. `is_lr` selects load faults (LR) instead of store/AMO faults. */
void *mmu_amo_ptr(Hart *h, const Op *op, uint64_t va, unsigned size,
                  bool is_lr, uint64_t *pa_out);

/* Instruction fetch for the translator: translate the page of va for
 * execution. Returns 0 and sets *pa and *host (NULL if not RAM), or an
 * exception cause to raise at va. */
int mmu_fetch_page(Hart *h, uint64_t va, uint64_t *pa, uint8_t **host);

static inline TlbEntry *mmu_tlb_entry(Hart *h, int mmu_idx, int acc,
                                      uint64_t va)
{
    return &h->tlb[mmu_idx][acc][(va >> 12) & (TLB_SIZE - 1)];
}

/* Does the TLB entry give direct access to [va, va+size) (one page)? */
static inline bool mmu_tlb_hit(const TlbEntry *e, uint64_t va, unsigned size)
{
    return e->vpage == (va & ~0xfffULL) && (va & 0xfff) <= 0x1000u - size;
}

/* Little-endian host loads and stores of 1, 2, 4 or 8 bytes, any alignment.
 *
 * In a ThreadSanitizer build they are relaxed atomic accesses (byte by
 * byte when misaligned): in the fast mode harts race on guest memory as
 * the guest program races, and that is the guest's business; what TSan
 * must check is the emulator's own data. On x86-64 an aligned access is
 * atomic anyway, so this changes nothing the guest could see. */
#if defined(__SANITIZE_THREAD__)
static inline uint64_t mmu_host_load(uintptr_t addr, unsigned size)
{
    if ((addr & (size - 1)) == 0)
        switch (size) {
        case 1: return __atomic_load_n((uint8_t *)addr, __ATOMIC_RELAXED);
        case 2: return __atomic_load_n((uint16_t *)addr, __ATOMIC_RELAXED);
        case 4: return __atomic_load_n((uint32_t *)addr, __ATOMIC_RELAXED);
        default: return __atomic_load_n((uint64_t *)addr, __ATOMIC_RELAXED);
        }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)__atomic_load_n((uint8_t *)addr + i, __ATOMIC_RELAXED) << (8 * i);
    return v;
}

static inline void mmu_host_store(uintptr_t addr, unsigned size, uint64_t val)
{
    if ((addr & (size - 1)) == 0)
        switch (size) {
        case 1: __atomic_store_n((uint8_t *)addr, (uint8_t)val, __ATOMIC_RELAXED); return;
        case 2: __atomic_store_n((uint16_t *)addr, (uint16_t)val, __ATOMIC_RELAXED); return;
        case 4: __atomic_store_n((uint32_t *)addr, (uint32_t)val, __ATOMIC_RELAXED); return;
        default: __atomic_store_n((uint64_t *)addr, val, __ATOMIC_RELAXED); return;
        }
    for (unsigned i = 0; i < size; i++)
        __atomic_store_n((uint8_t *)addr + i, (uint8_t)(val >> (8 * i)), __ATOMIC_RELAXED);
}
#else
static inline uint64_t mmu_host_load(uintptr_t addr, unsigned size)
{
    const uint8_t *p = (const uint8_t *)addr;
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void mmu_host_store(uintptr_t addr, unsigned size, uint64_t val)
{
    uint8_t *p = (uint8_t *)addr;
    switch (size) {
    case 1: *p = (uint8_t)val; break;
    case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)val; memcpy(p, &v, 4); break; }
    default: memcpy(p, &val, 8); break;
    }
}
#endif

/* The data TLB entry for va in the current MMU index (acc: read or write). */
static inline const TlbEntry *mmu_dtlb(const Hart *h, int acc, uint64_t va)
{
    return &h->dtlb[acc][(va >> 12) & (TLB_SIZE - 1)];
}

static inline bool mmu_read(Hart *h, const Op *op, uint64_t va, unsigned size,
                            uint64_t *val)
{
    const TlbEntry *e = mmu_dtlb(h, ACC_READ, va);
    if (likely(mmu_tlb_hit(e, va, size))) {
        *val = mmu_host_load(va + e->addend, size);
        return true;
    }
    return mmu_read_slow(h, op, va, size, val);
}

static inline bool mmu_write(Hart *h, const Op *op, uint64_t va, unsigned size,
                             uint64_t val)
{
    const TlbEntry *e = mmu_dtlb(h, ACC_WRITE, va);
    if (likely(mmu_tlb_hit(e, va, size))) {
        mmu_host_store(va + e->addend, size, val);
        return true;
    }
    return mmu_write_slow(h, op, va, size, val);
}

/* PMP (core/pmp.c) */
/* Is an access of `size` bytes at pa allowed for `acc` at privilege priv?
 * M-mode accesses pass unless a locked entry matches. */
bool pmp_check(const Hart *h, uint64_t pa, unsigned size, int acc,
               unsigned priv);
/* Does the same PMP decision apply to the whole 4 KiB page of pa? */
bool pmp_page_uniform(const Hart *h, uint64_t pa, unsigned priv);
/* Writes of pmpcfg/pmpaddr honouring the lock bits. */
void pmp_write_cfg(Hart *h, unsigned index, uint8_t val);
void pmp_write_addr(Hart *h, unsigned index, uint64_t val);

#endif
