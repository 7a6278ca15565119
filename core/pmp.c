/* Physical memory protection: 16 entries (pmpcfg bytes + pmpaddr words).
 *
 * Matching follows the privileged spec: entries are tried in order, the
 * lowest-numbered entry that overlaps any byte of the access decides, and
 * it must contain every byte of the access or the access fails.
 *
 * Default for S/U when no entry matches: the access fails, even when every
 * entry is OFF. This is the letter of the spec (the manual's commentary
 * states it for the all-OFF case) and what current QEMU does; older QEMU
 * let S/U run unchecked while all entries were OFF. OpenSBI always
 * programs a catch-all entry before entering S-mode, so it boots the same
 * way under both readings; bare programs that drop to S/U must program
 * PMP first, as they must on hardware. */
#include "core/hart.h"
#include "core/mmu.h"

enum {
    PMP_R = 1 << 0,
    PMP_W = 1 << 1,
    PMP_X = 1 << 2,
    PMP_A_SHIFT = 3,
    PMP_L = 1 << 7,
    /* Bits 6:5 are reserved (WARL, read as zero). */
    PMP_CFG_MASK = 0x9f,
};
enum { PMP_OFF = 0, PMP_TOR = 1, PMP_NA4 = 2, PMP_NAPOT = 3 };

/* pmpaddr holds physical address bits 55:2 on RV64. */
#define PMP_ADDR_MASK ((1ULL << 54) - 1)

static unsigned pmp_mode(uint8_t cfg)
{
    return (cfg >> PMP_A_SHIFT) & 3;
}

/* Byte range [*lo, *hi) covered by entry i; false when it covers nothing
 * (OFF, or a TOR whose bounds are out of order). hi stays below 2^58, so
 * the half-open form never overflows. */
static bool pmp_range(const Hart *h, unsigned i, uint64_t *lo, uint64_t *hi)
{
    uint64_t a = h->csr.pmpaddr[i] & PMP_ADDR_MASK;
    switch (pmp_mode(h->csr.pmpcfg[i])) {
    case PMP_TOR:
        *lo = i ? (h->csr.pmpaddr[i - 1] & PMP_ADDR_MASK) << 2 : 0;
        *hi = a << 2;
        return *lo < *hi;
    case PMP_NA4:
        *lo = a << 2;
        *hi = *lo + 4;
        return true;
    case PMP_NAPOT: {
        /* The number of trailing ones t encodes a 2^(t+3)-byte region. */
        unsigned t = (unsigned)__builtin_ctzll(~a);
        *lo = (a & ~((1ULL << t) - 1)) << 2;
        *hi = *lo + (1ULL << (t + 3));
        return true;
    }
    default:
        return false;
    }
}

static uint8_t pmp_perm_bit(int acc)
{
    return acc == ACC_WRITE ? PMP_W : acc == ACC_EXEC ? PMP_X : PMP_R;
}

bool pmp_check(const Hart *h, uint64_t pa, unsigned size, int acc,
               unsigned priv)
{
    uint64_t last = pa + size - 1;
    if (last < pa)
        last = UINT64_MAX;
    for (unsigned i = 0; i < PMP_COUNT; i++) {
        uint64_t lo, hi;
        if (!pmp_range(h, i, &lo, &hi))
            continue;
        if (last < lo || pa >= hi)
            continue; /* no byte of the access in this entry */
        if (pa < lo || last >= hi)
            return false; /* partial match fails whatever the bits */
        uint8_t cfg = h->csr.pmpcfg[i];
        if (priv == PRV_M && !(cfg & PMP_L))
            return true;
        return (cfg & pmp_perm_bit(acc)) != 0;
    }
    return priv == PRV_M;
}

bool pmp_page_uniform(const Hart *h, uint64_t pa, unsigned priv)
{
    /* The decision is the same for every byte of the page when the first
     * entry touching the page covers it whole (entries before it do not
     * touch it at all), or when no entry touches it. priv does not change
     * the geometry, so it is not needed here. */
    (void)priv;
    uint64_t page = pa & ~0xfffULL;
    uint64_t last = page + 0xfff;
    for (unsigned i = 0; i < PMP_COUNT; i++) {
        uint64_t lo, hi;
        if (!pmp_range(h, i, &lo, &hi))
            continue;
        if (last < lo || page >= hi)
            continue;
        return page >= lo && last < hi;
    }
    return true;
}

static bool pmp_locked(const Hart *h, unsigned i)
{
    return (h->csr.pmpcfg[i] & PMP_L) != 0;
}

/* TLB entries cache PMP decisions, and TBs were translated under the old
 * execute permissions, so every cached translation is dropped. */
static void pmp_changed(Hart *h)
{
    hart_tlb_flush(h);
    hart_jmp_cache_flush(h);
}

void pmp_write_cfg(Hart *h, unsigned index, uint8_t val)
{
    if (index >= PMP_COUNT || pmp_locked(h, index))
        return;
    val &= PMP_CFG_MASK;
    /* R=0 W=1 is reserved: keep it from ever being observable. */
    if ((val & (PMP_R | PMP_W)) == PMP_W)
        val &= (uint8_t)~PMP_W;
    if (h->csr.pmpcfg[index] == val)
        return;
    h->csr.pmpcfg[index] = val;
    pmp_changed(h);
}

void pmp_write_addr(Hart *h, unsigned index, uint64_t val)
{
    if (index >= PMP_COUNT || pmp_locked(h, index))
        return;
    /* A locked TOR entry also freezes its lower bound. */
    if (index + 1 < PMP_COUNT && pmp_locked(h, index + 1) &&
        pmp_mode(h->csr.pmpcfg[index + 1]) == PMP_TOR)
        return;
    val &= PMP_ADDR_MASK;
    if (h->csr.pmpaddr[index] == val)
        return;
    h->csr.pmpaddr[index] = val;
    pmp_changed(h);
}
