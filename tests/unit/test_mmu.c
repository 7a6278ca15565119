/* Sv39/Sv48 translation, the load/store slow paths, PMP and the A
 * extension, on page tables built by hand in the test machine's RAM. */
#include <check.h>
#include <string.h>

#include "core/csr.h"
#include "core/machine.h"
#include "core/memory.h"
#include "core/mmu.h"
#include "tests/unit/helpers.h"
#include "translator/tb_cache.h"
#include "tests/unit/suites.h"
#include "translator/insn_table.h"

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)
#define PTE_RW (PTE_R | PTE_W | PTE_A | PTE_D)

enum { PMP_R = 1, PMP_W = 2, PMP_X = 4, PMP_L = 0x80 };
#define PMP_TOR (1 << 3)
#define PMP_NA4 (2 << 3)
#define PMP_NAPOT (3 << 3)

#define PT_ROOT 0x80100000ULL

/* ------------------------------------------------------------ fixtures */

typedef struct Env {
    Machine *m;
    Hart *h;
    int levels;
    uint64_t next_table;
} Env;

static uint8_t *ram(Env *e, uint64_t pa)
{
    uint8_t *p = memory_ram_ptr(&e->m->mem, pa, 8);
    ck_assert_ptr_nonnull(p);
    return p;
}

static uint64_t rd64(Env *e, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, ram(e, pa), 8);
    return v;
}

static void wr64(Env *e, uint64_t pa, uint64_t v)
{
    memcpy(ram(e, pa), &v, 8);
}

static void set_priv(Env *e, unsigned priv)
{
    e->h->priv = (uint8_t)priv;
    hart_update_mmu_idx(e->h);
}

/* PMP entry 15 grants everything, so that S/U accesses pass by default
 * (with all entries OFF they fail); lower entries override it. */
static void pmp_allow_all(Hart *h)
{
    pmp_write_addr(h, 15, ~0ULL);
    pmp_write_cfg(h, 15, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
}

static Env env_new(int levels)
{
    Env e = { .m = test_machine_new(), .levels = levels };
    ck_assert_ptr_nonnull(e.m);
    e.h = &e.m->harts[0];
    e.next_table = PT_ROOT + 0x1000;
    if (levels) {
        unsigned mode = levels == 4 ? SATP_MODE_SV48 : SATP_MODE_SV39;
        e.h->csr.satp = ((uint64_t)mode << SATP_MODE_SHIFT) | (PT_ROOT >> 12);
    }
    pmp_allow_all(e.h);
    return e;
}

static void env_free(Env *e)
{
    machine_free(e->m);
}

/* Address of the PTE for va at `level`, creating the tables above it. */
static uint64_t pte_addr(Env *e, uint64_t va, int level)
{
    uint64_t table = PT_ROOT;
    for (int l = e->levels - 1;; l--) {
        uint64_t slot = table + ((va >> (12 + 9 * l)) & 0x1ff) * 8;
        if (l == level)
            return slot;
        uint64_t pte = rd64(e, slot);
        if (!(pte & PTE_V)) {
            uint64_t t = e->next_table;
            e->next_table += 0x1000;
            memset(ram(e, t), 0, 8); /* fresh RAM is zero already */
            pte = ((t >> 12) << 10) | PTE_V;
            wr64(e, slot, pte);
        }
        table = (pte >> 10) << 12;
    }
}

static uint64_t map(Env *e, uint64_t va, uint64_t pa, int level,
                    uint64_t flags)
{
    uint64_t a = pte_addr(e, va, level);
    wr64(e, a, ((pa >> 12) << 10) | flags | PTE_V);
    return a;
}

static Op make_op(OpFn fn, unsigned rd, unsigned rs1, unsigned rs2)
{
    Op op = { .fn = fn, .rd = (uint8_t)(rd ? rd : 32), .rs1 = (uint8_t)rs1,
              .rs2 = (uint8_t)rs2, .pc = 0x80000000, .len = 4, .idx = 0 };
    return op;
}

static const Op *dummy_op(Env *e)
{
    static const Op op = { .pc = 0x80000040, .len = 4 };
    /* as the one op of a CF_LAST_IO TB: device accesses go through */
    test_as_lone_op(e->h);
    return &op;
}

static XlateResult xlate(Env *e, uint64_t va, int acc, int idx, uint64_t *pa)
{
    bool uniform;
    return mmu_translate(e->h, va, acc, idx, pa, &uniform);
}

/* Run a load through mmu_read and expect a trap with cause/tval. */
static void expect_read_fault(Env *e, uint64_t va, unsigned size,
                              uint64_t cause, uint64_t tval)
{
    uint64_t v = 0;
    unsigned priv = e->h->priv;
    e->h->csr.mcause = 0xdead;
    ck_assert(!mmu_read(e->h, dummy_op(e), va, size, &v));
    ck_assert_uint_eq(e->h->csr.mcause, cause);
    ck_assert_uint_eq(e->h->csr.mtval, tval);
    ck_assert_uint_eq(e->h->csr.mepc, 0x80000040);
    set_priv(e, priv);
}

static void expect_write_fault(Env *e, uint64_t va, unsigned size,
                               uint64_t cause, uint64_t tval)
{
    unsigned priv = e->h->priv;
    e->h->csr.mcause = 0xdead;
    ck_assert(!mmu_write(e->h, dummy_op(e), va, size, 0x1122334455667788ULL));
    ck_assert_uint_eq(e->h->csr.mcause, cause);
    ck_assert_uint_eq(e->h->csr.mtval, tval);
    set_priv(e, priv);
}

/* ------------------------------------------------------ translation */

START_TEST(test_sv39_4k)
{
    Env e = env_new(3);
    map(&e, 0x1000, 0x80200000, 0, PTE_RW | PTE_X);
    uint64_t pa = 0;
    ck_assert_int_eq(xlate(&e, 0x1123, ACC_READ, MMU_IDX_S, &pa), XLATE_OK);
    ck_assert_uint_eq(pa, 0x80200123);
    ck_assert_int_eq(xlate(&e, 0x1ff8, ACC_WRITE, MMU_IDX_S, &pa), XLATE_OK);
    ck_assert_uint_eq(pa, 0x80200ff8);
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_EXEC, MMU_IDX_S, &pa), XLATE_OK);
    /* the neighbouring page is unmapped */
    ck_assert_int_eq(xlate(&e, 0x2000, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    /* the M index and bare mode bypass the tables */
    ck_assert_int_eq(xlate(&e, 0x1123, ACC_READ, MMU_IDX_M, &pa), XLATE_OK);
    ck_assert_uint_eq(pa, 0x1123);
    e.h->csr.satp = 0;
    ck_assert_int_eq(xlate(&e, 0x2000, ACC_READ, MMU_IDX_S, &pa), XLATE_OK);
    ck_assert_uint_eq(pa, 0x2000);
    env_free(&e);
}
END_TEST

START_TEST(test_sv39_superpages)
{
    Env e = env_new(3);
    map(&e, 0x40200000, 0x80400000, 1, PTE_RW);            /* 2 MiB */
    map(&e, 0xffffffc000000000ULL, 0x80000000, 2, PTE_RW); /* 1 GiB */
    uint64_t pa;
    ck_assert_int_eq(xlate(&e, 0x40212345, ACC_READ, MMU_IDX_S, &pa), XLATE_OK);
    ck_assert_uint_eq(pa, 0x80412345);
    ck_assert_int_eq(xlate(&e, 0x403ffff8, ACC_WRITE, MMU_IDX_S, &pa), XLATE_OK);
    ck_assert_uint_eq(pa, 0x805ffff8);
    ck_assert_int_eq(xlate(&e, 0x40400000, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    ck_assert_int_eq(xlate(&e, 0xffffffc012345678ULL, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_OK);
    ck_assert_uint_eq(pa, 0x92345678);
    /* and through the load path */
    set_priv(&e, PRV_S);
    wr64(&e, 0x80412340, 0xfeedfacecafef00dULL);
    uint64_t v = 0;
    ck_assert(mmu_read(e.h, dummy_op(&e), 0x40212340, 8, &v));
    ck_assert_uint_eq(v, 0xfeedfacecafef00dULL);
    ck_assert(mmu_read(e.h, dummy_op(&e), 0xffffffc000412340ULL, 4, &v));
    ck_assert_uint_eq(v, 0xcafef00d);
    env_free(&e);
}
END_TEST

START_TEST(test_sv48)
{
    Env e = env_new(4);
    map(&e, 0x00007ffffffff000ULL, 0x80300000, 0, PTE_RW);
    map(&e, 0xffff800000000000ULL, 0x80000000, 2, PTE_RW);  /* 1 GiB */
    map(&e, 0x0000008000000000ULL, 0x80600000, 1, PTE_RW);  /* 2 MiB */
    uint64_t pa;
    ck_assert_int_eq(xlate(&e, 0x00007fffffffffe0ULL, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_OK);
    ck_assert_uint_eq(pa, 0x80300fe0);
    ck_assert_int_eq(xlate(&e, 0xffff800000abcdefULL, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_OK);
    ck_assert_uint_eq(pa, 0x80abcdef);
    /* beyond Sv39's reach, inside Sv48's */
    ck_assert_int_eq(xlate(&e, 0x0000008000012345ULL, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_OK);
    ck_assert_uint_eq(pa, 0x80612345);
    /* non-canonical for Sv48 */
    ck_assert_int_eq(xlate(&e, 0x0000800000000000ULL, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    env_free(&e);
}
END_TEST

START_TEST(test_accessed_dirty)
{
    Env e = env_new(3);
    uint64_t a = map(&e, 0x5000, 0x80205000, 0, PTE_R | PTE_W);
    set_priv(&e, PRV_S);
    uint64_t v;
    ck_assert(mmu_read(e.h, dummy_op(&e), 0x5008, 8, &v));
    ck_assert(rd64(&e, a) & PTE_A);
    ck_assert(!(rd64(&e, a) & PTE_D));
    ck_assert(mmu_write(e.h, dummy_op(&e), 0x5008, 8, 42));
    ck_assert(rd64(&e, a) & PTE_D);
    ck_assert_uint_eq(rd64(&e, 0x80205008), 42);
    /* a fetch sets A too; a superpage leaf is updated in place */
    uint64_t b = map(&e, 0x200000, 0x80400000, 1, PTE_X);
    uint64_t pa;
    uint8_t *host;
    set_priv(&e, PRV_S);
    ck_assert_int_eq(mmu_fetch_page(e.h, 0x200010, &pa, &host), 0);
    ck_assert_uint_eq(pa, 0x80400010);
    ck_assert_ptr_eq(host, memory_ram_ptr(&e.m->mem, 0x80400010, 1));
    ck_assert_uint_eq(rd64(&e, b) & (PTE_A | PTE_D), PTE_A);
    /* debug translation has no side effects */
    uint64_t c = map(&e, 0x6000, 0x80206000, 0, PTE_R | PTE_W);
    ck_assert(mmu_debug_translate(e.h, 0x6010, &pa));
    ck_assert_uint_eq(pa, 0x80206010);
    ck_assert_uint_eq(rd64(&e, c) & (PTE_A | PTE_D), 0);
    ck_assert(!mmu_debug_translate(e.h, 0x7000, &pa));
    env_free(&e);
}
END_TEST

START_TEST(test_page_faults)
{
    Env e = env_new(3);
    map(&e, 0x1000, 0x80201000, 0, PTE_RW);
    map(&e, 0x2000, 0x80202000, 0, PTE_W | PTE_A | PTE_D);       /* W only */
    wr64(&e, pte_addr(&e, 0x3000, 0), ((0x80203000ULL >> 12) << 10) | PTE_RW);
    /* ^ V clear */
    map(&e, 0x4000, 0x80204000, 0, PTE_RW | (1ULL << 54));      /* reserved */
    map(&e, 0x400000, 0x80201000, 1, PTE_RW);      /* misaligned 2 MiB */
    map(&e, 0x8000, 0x80208000, 0, PTE_R | PTE_A);               /* read-only */
    map(&e, 0x9000, 0x80209000, 0, PTE_X | PTE_A);               /* exec-only */
    set_priv(&e, PRV_S);

    expect_read_fault(&e, 0x3008, 8, EXC_LOAD_PAGE_FAULT, 0x3008);
    expect_write_fault(&e, 0x2000, 4, EXC_STORE_PAGE_FAULT, 0x2000);
    expect_read_fault(&e, 0x2004, 4, EXC_LOAD_PAGE_FAULT, 0x2004);
    expect_read_fault(&e, 0x4000, 1, EXC_LOAD_PAGE_FAULT, 0x4000);
    expect_read_fault(&e, 0x400010, 8, EXC_LOAD_PAGE_FAULT, 0x400010);
    expect_write_fault(&e, 0x8010, 2, EXC_STORE_PAGE_FAULT, 0x8010);
    expect_read_fault(&e, 0x9000, 8, EXC_LOAD_PAGE_FAULT, 0x9000);
    /* non-canonical: bit 38 clear but bit 39 set */
    expect_read_fault(&e, 0x0000008000001000ULL, 8, EXC_LOAD_PAGE_FAULT,
                      0x0000008000001000ULL);
    expect_write_fault(&e, 0xfffffff000001000ULL & ~(1ULL << 38), 8,
                       EXC_STORE_PAGE_FAULT,
                       0xfffffff000001000ULL & ~(1ULL << 38));

    /* instruction fetch causes */
    uint64_t pa;
    uint8_t *host;
    ck_assert_int_eq(mmu_fetch_page(e.h, 0x1000, &pa, &host),
                     EXC_INSN_PAGE_FAULT); /* not executable */
    ck_assert_int_eq(mmu_fetch_page(e.h, 0x9000, &pa, &host), 0);
    ck_assert_int_eq(mmu_fetch_page(e.h, 0x3000, &pa, &host),
                     EXC_INSN_PAGE_FAULT);

    /* MXR makes the exec-only page readable */
    e.h->csr.mstatus |= MSTATUS_MXR;
    hart_tlb_flush(e.h);
    uint64_t v;
    ck_assert(mmu_read(e.h, dummy_op(&e), 0x9000, 8, &v));
    ck_assert_int_eq(xlate(&e, 0x9000, ACC_WRITE, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    env_free(&e);
}
END_TEST

START_TEST(test_user_supervisor)
{
    Env e = env_new(3);
    map(&e, 0x1000, 0x80201000, 0, PTE_RW | PTE_X | PTE_U);
    map(&e, 0x2000, 0x80202000, 0, PTE_RW | PTE_X);
    uint64_t pa;
    /* U page from S: only with SUM, never for execution */
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_WRITE, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    e.h->csr.mstatus |= MSTATUS_SUM;
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_READ, MMU_IDX_S, &pa), XLATE_OK);
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_WRITE, MMU_IDX_S, &pa), XLATE_OK);
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_EXEC, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    /* S page from U: never, SUM or not */
    ck_assert_int_eq(xlate(&e, 0x2000, ACC_READ, MMU_IDX_U, &pa),
                     XLATE_PAGE_FAULT);
    ck_assert_int_eq(xlate(&e, 0x2000, ACC_EXEC, MMU_IDX_U, &pa),
                     XLATE_PAGE_FAULT);
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_EXEC, MMU_IDX_U, &pa), XLATE_OK);
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_WRITE, MMU_IDX_U, &pa), XLATE_OK);

    /* through the hart: U-mode load of an S page */
    set_priv(&e, PRV_U);
    expect_read_fault(&e, 0x2000, 8, EXC_LOAD_PAGE_FAULT, 0x2000);
    /* MPRV with MPP=S in M-mode: S's translation applies to data */
    e.h->csr.mstatus &= ~(MSTATUS_SUM | MSTATUS_MPP);
    e.h->csr.mstatus |= MSTATUS_MPRV | ((uint64_t)PRV_S << MSTATUS_MPP_SHIFT);
    set_priv(&e, PRV_M);
    ck_assert_int_eq(e.h->mmu_idx_data, MMU_IDX_S);
    uint64_t v;
    ck_assert(mmu_read(e.h, dummy_op(&e), 0x2000, 8, &v));
    expect_read_fault(&e, 0x1000, 8, EXC_LOAD_PAGE_FAULT, 0x1000);
    env_free(&e);
}
END_TEST

START_TEST(test_nonleaf_and_table_faults)
{
    Env e = env_new(3);
    /* a non-leaf PTE with A set is reserved */
    map(&e, 0x1000, 0x80201000, 0, PTE_RW);
    uint64_t l1 = pte_addr(&e, 0x1000, 1);
    wr64(&e, l1, rd64(&e, l1) | PTE_A);
    uint64_t pa;
    ck_assert_int_eq(xlate(&e, 0x1000, ACC_READ, MMU_IDX_S, &pa),
                     XLATE_PAGE_FAULT);
    /* a page table outside RAM: access fault of the access's kind */
    e.h->csr.satp = ((uint64_t)SATP_MODE_SV39 << SATP_MODE_SHIFT) | 0x10;
    set_priv(&e, PRV_S);
    expect_read_fault(&e, 0x1000, 8, EXC_LOAD_ACCESS, 0x1000);
    expect_write_fault(&e, 0x1000, 8, EXC_STORE_ACCESS, 0x1000);
    uint8_t *host;
    ck_assert_int_eq(mmu_fetch_page(e.h, 0x1000, &pa, &host), EXC_INSN_ACCESS);
    env_free(&e);
}
END_TEST

/* ----------------------------------------------------- slow path & TLB */

typedef struct FakeDev {
    uint64_t last_off, last_val;
    unsigned last_size, reads, writes;
} FakeDev;

static bool fake_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    FakeDev *d = opaque;
    d->last_off = off;
    d->last_size = size;
    d->reads++;
    if (off >= 0x100)
        return false;
    *val = 0xa5a5a5a5a5a5a5a5ULL;
    return true;
}

static bool fake_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    FakeDev *d = opaque;
    d->last_off = off;
    d->last_size = size;
    d->last_val = val;
    d->writes++;
    return off < 0x100;
}

static const MmioOps fake_ops = { fake_read, fake_write };

START_TEST(test_slow_path_tlb_mmio)
{
    Env e = env_new(3);
    FakeDev dev = { 0 };
    ck_assert(memory_add_mmio(&e.m->mem, 0x10000000, 0x1000, &fake_ops, &dev,
                              "fake"));
    map(&e, 0x1000, 0x80201000, 0, PTE_RW);
    map(&e, 0x2000, 0x10000000, 0, PTE_RW);
    set_priv(&e, PRV_S);
    Hart *h = e.h;

    /* a RAM read fills the TLB; the fast path then hits */
    uint64_t v;
    wr64(&e, 0x80201010, 0x0123456789abcdefULL);
    ck_assert(mmu_read(h, dummy_op(&e), 0x1010, 8, &v));
    ck_assert_uint_eq(v, 0x0123456789abcdefULL);
    TlbEntry *te = mmu_tlb_entry(h, MMU_IDX_S, ACC_READ, 0x1010);
    ck_assert_uint_eq(te->vpage, 0x1000);
    ck_assert_uint_eq(te->ppage, 0x80201000);
    ck_assert_ptr_eq((uint8_t *)(uintptr_t)(0x1010 + te->addend),
                     ram(&e, 0x80201010));
    /* misaligned within the page works */
    ck_assert(mmu_read(h, dummy_op(&e), 0x1011, 4, &v));
    ck_assert_uint_eq(v, 0x6789abcd);
    ck_assert(mmu_write(h, dummy_op(&e), 0x1023, 8, 0x1122334455667788ULL));
    ck_assert_uint_eq(rd64(&e, 0x80201020), 0x4455667788000000ULL);

    /* a write to a page with code invalidates it, then may be cached */
    memory_set_code_page(&e.m->mem, 0x80201000, true);
    hart_tlb_flush(h);
    ck_assert(mmu_write(h, dummy_op(&e), 0x1100, 4, 7));
    ck_assert(!memory_page_has_code(&e.m->mem, 0x80201000));
    ck_assert_uint_eq(mmu_tlb_entry(h, MMU_IDX_S, ACC_WRITE, 0x1100)->vpage,
                      0x1000);

    /* MMIO: device sees the offset; no TLB entry; refusal -> access fault */
    ck_assert(mmu_read(h, dummy_op(&e), 0x2008, 4, &v));
    ck_assert_uint_eq(v, 0xa5a5a5a5);
    ck_assert_uint_eq(dev.last_off, 8);
    ck_assert_uint_eq(dev.last_size, 4);
    ck_assert(mmu_write(h, dummy_op(&e), 0x2010, 2, 0xbeef));
    ck_assert_uint_eq(dev.last_val, 0xbeef);
    ck_assert_uint_eq(dev.last_off, 0x10);
    ck_assert(mmu_tlb_entry(h, MMU_IDX_S, ACC_READ, 0x2008)->vpage != 0x2000);
    ck_assert(mmu_read(h, dummy_op(&e), 0x2008, 4, &v));
    ck_assert_uint_eq(dev.reads, 2);
    expect_read_fault(&e, 0x2200, 4, EXC_LOAD_ACCESS, 0x2200);
    expect_write_fault(&e, 0x2200, 4, EXC_STORE_ACCESS, 0x2200);
    /* nothing there at all */
    set_priv(&e, PRV_M);
    expect_read_fault(&e, 0x20000000, 4, EXC_LOAD_ACCESS, 0x20000000);
    env_free(&e);
}
END_TEST

START_TEST(test_page_crossing)
{
    Env e = env_new(3);
    map(&e, 0x1000, 0x80201000, 0, PTE_RW);
    map(&e, 0x2000, 0x80205000, 0, PTE_RW);  /* not contiguous physically */
    map(&e, 0x3000, 0x80206000, 0, PTE_R | PTE_A); /* read-only */
    set_priv(&e, PRV_S);
    Hart *h = e.h;
    uint64_t v;
    ck_assert(mmu_write(h, dummy_op(&e), 0x1ffc, 8, 0x8877665544332211ULL));
    ck_assert_uint_eq(rd64(&e, 0x80201ff8) >> 32, 0x44332211);
    ck_assert_uint_eq(rd64(&e, 0x80205000) & 0xffffffff, 0x88776655);
    ck_assert(mmu_read(h, dummy_op(&e), 0x1ffe, 4, &v));
    ck_assert_uint_eq(v, 0x66554433);
    ck_assert(mmu_read(h, dummy_op(&e), 0x1ffd, 8, &v));
    ck_assert_uint_eq(v, 0x0088776655443322ULL);

    /* second page faults: tval is the start of the second page and the
     * first page is left untouched */
    wr64(&e, 0x80205ff8, 0);
    expect_write_fault(&e, 0x2ffc, 8, EXC_STORE_PAGE_FAULT, 0x3000);
    ck_assert_uint_eq(rd64(&e, 0x80205ff8), 0);
    expect_read_fault(&e, 0x3ffe, 4, EXC_LOAD_PAGE_FAULT, 0x4000);
    /* first page faults: tval is the original address */
    expect_read_fault(&e, 0xffe, 4, EXC_LOAD_PAGE_FAULT, 0xffe);
    /* second page maps to nothing: access fault at the second page */
    map(&e, 0x5000, 0x80207000, 0, PTE_RW);
    map(&e, 0x6000, 0x20000000, 0, PTE_RW);
    expect_read_fault(&e, 0x5ffc, 8, EXC_LOAD_ACCESS, 0x6000);
    wr64(&e, 0x80207ff8, 0);
    expect_write_fault(&e, 0x5ffa, 8, EXC_STORE_ACCESS, 0x6000);
    ck_assert_uint_eq(rd64(&e, 0x80207ff8), 0);
    env_free(&e);
}
END_TEST

/* ------------------------------------------------------------------ PMP */

static Env pmp_env(void)
{
    Env e = env_new(0);
    pmp_write_cfg(e.h, 15, 0); /* start from all OFF */
    return e;
}

START_TEST(test_pmp_default)
{
    Env e = pmp_env();
    Hart *h = e.h;
    /* all OFF: M passes, S and U fail (spec; current QEMU) */
    ck_assert(pmp_check(h, 0x80000000, 8, ACC_READ, PRV_M));
    ck_assert(!pmp_check(h, 0x80000000, 8, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x80000000, 8, ACC_EXEC, PRV_U));
    /* an S-mode load through the hart: load access fault */
    set_priv(&e, PRV_S);
    expect_read_fault(&e, 0x80001000, 8, EXC_LOAD_ACCESS, 0x80001000);
    uint64_t pa;
    uint8_t *host;
    set_priv(&e, PRV_S);
    ck_assert_int_eq(mmu_fetch_page(h, 0x80000000, &pa, &host), EXC_INSN_ACCESS);
    env_free(&e);
}
END_TEST

START_TEST(test_pmp_tor_na4_napot)
{
    Env e = pmp_env();
    Hart *h = e.h;
    /* TOR: entry 1 covers [0x80000000, 0x80001000) read-only */
    pmp_write_addr(h, 0, 0x80000000 >> 2);
    pmp_write_addr(h, 1, 0x80001000 >> 2);
    pmp_write_cfg(h, 1, PMP_TOR | PMP_R);
    ck_assert(pmp_check(h, 0x80000000, 8, ACC_READ, PRV_S));
    ck_assert(pmp_check(h, 0x80000ff8, 8, ACC_READ, PRV_U));
    ck_assert(!pmp_check(h, 0x80000800, 4, ACC_WRITE, PRV_S));
    ck_assert(!pmp_check(h, 0x80000800, 4, ACC_EXEC, PRV_S));
    ck_assert(!pmp_check(h, 0x80001000, 4, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x7ffffffc, 4, ACC_READ, PRV_S));
    /* straddling the top: fails even though part matches */
    ck_assert(!pmp_check(h, 0x80000ffc, 8, ACC_READ, PRV_S));
    /* M unaffected by an unlocked entry */
    ck_assert(pmp_check(h, 0x80000800, 4, ACC_WRITE, PRV_M));
    /* TOR of entry 0 starts at address 0 */
    pmp_write_cfg(h, 1, 0);
    pmp_write_addr(h, 0, 0x1000 >> 2);
    pmp_write_cfg(h, 0, PMP_TOR | PMP_X);
    ck_assert(pmp_check(h, 0x0, 4, ACC_EXEC, PRV_S));
    ck_assert(pmp_check(h, 0xffc, 4, ACC_EXEC, PRV_S));
    ck_assert(!pmp_check(h, 0x1000, 4, ACC_EXEC, PRV_S));
    pmp_write_cfg(h, 0, 0);

    /* NA4 */
    pmp_write_addr(h, 2, 0x80000010 >> 2);
    pmp_write_cfg(h, 2, PMP_NA4 | PMP_R | PMP_W);
    ck_assert(pmp_check(h, 0x80000010, 4, ACC_WRITE, PRV_S));
    ck_assert(pmp_check(h, 0x80000012, 2, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x80000010, 8, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x8000000c, 8, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x80000014, 4, ACC_READ, PRV_S));
    pmp_write_cfg(h, 2, 0);

    /* NAPOT: 64 KiB at 0x80010000 */
    pmp_write_addr(h, 3, (0x80010000 >> 2) | (0x10000 / 8 - 1));
    pmp_write_cfg(h, 3, PMP_NAPOT | PMP_R | PMP_X);
    ck_assert(pmp_check(h, 0x80010000, 8, ACC_READ, PRV_S));
    ck_assert(pmp_check(h, 0x8001fff8, 8, ACC_EXEC, PRV_S));
    ck_assert(!pmp_check(h, 0x8001fffc, 8, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x80020000, 1, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x8000fff8, 8, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x80010000, 8, ACC_WRITE, PRV_S));
    /* NAPOT of 8 bytes (no trailing ones) */
    pmp_write_addr(h, 4, 0x80030000 >> 2);
    pmp_write_cfg(h, 4, PMP_NAPOT | PMP_R);
    ck_assert(pmp_check(h, 0x80030000, 8, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x80030008, 1, ACC_READ, PRV_S));
    /* all ones: the whole physical address space */
    pmp_write_addr(h, 5, ~0ULL);
    pmp_write_cfg(h, 5, PMP_NAPOT | PMP_W | PMP_R);
    ck_assert(pmp_check(h, 0x0, 8, ACC_WRITE, PRV_U));
    ck_assert(pmp_check(h, 0xfffffffffff8ULL, 8, ACC_WRITE, PRV_U));
    /* entry 3 still wins inside its region */
    ck_assert(!pmp_check(h, 0x80010000, 8, ACC_WRITE, PRV_S));

    /* page uniformity */
    ck_assert(pmp_page_uniform(h, 0x80010000, PRV_S));
    ck_assert(pmp_page_uniform(h, 0x80040000, PRV_S));
    ck_assert(!pmp_page_uniform(h, 0x80030000, PRV_S));
    env_free(&e);
}
END_TEST

START_TEST(test_pmp_priority_lock)
{
    Env e = pmp_env();
    Hart *h = e.h;
    /* entry 0: a 4 KiB hole with no permission; entry 1: everything */
    pmp_write_addr(h, 0, (0x80000000 >> 2) | (0x1000 / 8 - 1));
    pmp_write_cfg(h, 0, PMP_NAPOT);
    pmp_write_addr(h, 1, ~0ULL);
    pmp_write_cfg(h, 1, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    ck_assert(!pmp_check(h, 0x80000100, 4, ACC_READ, PRV_S));
    ck_assert(pmp_check(h, 0x80001000, 4, ACC_READ, PRV_S));
    ck_assert(pmp_check(h, 0x80000100, 4, ACC_READ, PRV_M));
    /* straddling the hole's end: entry 0 matches partly, so the access
     * fails, whatever entry 1 says and even for M */
    ck_assert(!pmp_check(h, 0x80000ffc, 8, ACC_READ, PRV_S));
    ck_assert(!pmp_check(h, 0x80000ffc, 8, ACC_READ, PRV_M));
    /* the hole applies to S loads through the hart */
    set_priv(&e, PRV_S);
    expect_read_fault(&e, 0x80000100, 4, EXC_LOAD_ACCESS, 0x80000100);
    expect_write_fault(&e, 0x80000100, 4, EXC_STORE_ACCESS, 0x80000100);

    /* W=1 R=0 is stored as R=0 W=0 */
    pmp_write_cfg(h, 2, PMP_NAPOT | PMP_W | PMP_X);
    ck_assert_uint_eq(h->csr.pmpcfg[2], PMP_NAPOT | PMP_X);
    pmp_write_cfg(h, 2, 0);

    /* lock entry 0 with read only: M now obeys it, writes are ignored */
    pmp_write_cfg(h, 0, PMP_NAPOT | PMP_R | PMP_L);
    ck_assert(pmp_check(h, 0x80000100, 4, ACC_READ, PRV_M));
    ck_assert(!pmp_check(h, 0x80000100, 4, ACC_WRITE, PRV_M));
    ck_assert(!pmp_check(h, 0x80000100, 4, ACC_EXEC, PRV_M));
    ck_assert(pmp_check(h, 0x80001000, 4, ACC_WRITE, PRV_M));
    pmp_write_cfg(h, 0, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    ck_assert_uint_eq(h->csr.pmpcfg[0], PMP_NAPOT | PMP_R | PMP_L);
    uint64_t old = h->csr.pmpaddr[0];
    pmp_write_addr(h, 0, 0);
    ck_assert_uint_eq(h->csr.pmpaddr[0], old);
    set_priv(&e, PRV_M);
    expect_write_fault(&e, 0x80000100, 4, EXC_STORE_ACCESS, 0x80000100);

    /* a locked TOR entry freezes the address below it too */
    pmp_write_addr(h, 2, 0x90000000 >> 2);
    pmp_write_addr(h, 3, 0x90001000 >> 2);
    pmp_write_cfg(h, 3, PMP_TOR | PMP_L | PMP_R);
    pmp_write_addr(h, 2, 0x80000000 >> 2);
    ck_assert_uint_eq(h->csr.pmpaddr[2], 0x90000000 >> 2);
    pmp_write_addr(h, 3, 0);
    ck_assert_uint_eq(h->csr.pmpaddr[3], 0x90001000 >> 2);
    pmp_write_cfg(h, 1, 0); /* else the catch-all entry 1 matches first */
    ck_assert(!pmp_check(h, 0x90000000, 4, ACC_WRITE, PRV_M));
    ck_assert(pmp_check(h, 0x90000000, 4, ACC_READ, PRV_M));
    /* an unlocked NAPOT entry above a locked one stays writable */
    pmp_write_addr(h, 4, 0x1234);
    ck_assert_uint_eq(h->csr.pmpaddr[4], 0x1234);
    env_free(&e);
}
END_TEST

START_TEST(test_pmp_tlb_and_tables)
{
    Env e = env_new(3);
    Hart *h = e.h;
    map(&e, 0x1000, 0x80201000, 0, PTE_RW);
    set_priv(&e, PRV_S);
    uint64_t v;
    ck_assert(mmu_read(h, dummy_op(&e), 0x1000, 8, &v));
    ck_assert_uint_eq(mmu_tlb_entry(h, MMU_IDX_S, ACC_READ, 0x1000)->vpage,
                      0x1000);
    /* any PMP change drops cached translations */
    pmp_write_addr(h, 0, (0x80201000 >> 2) | (0x1000 / 8 - 1));
    pmp_write_cfg(h, 0, PMP_NAPOT | PMP_W);
    ck_assert_uint_eq(mmu_tlb_entry(h, MMU_IDX_S, ACC_READ, 0x1000)->vpage,
                      TLB_INVALID);
    /* W without R was stored as no permission: denied */
    expect_read_fault(&e, 0x1000, 8, EXC_LOAD_ACCESS, 0x1000);
    pmp_write_cfg(h, 0, PMP_NAPOT | PMP_R);
    ck_assert(mmu_read(h, dummy_op(&e), 0x1000, 8, &v));
    expect_write_fault(&e, 0x1008, 8, EXC_STORE_ACCESS, 0x1008);

    /* page-table reads are S-mode accesses: deny the root table */
    pmp_write_addr(h, 0, (PT_ROOT >> 2) | (0x1000 / 8 - 1));
    pmp_write_cfg(h, 0, PMP_NAPOT);
    expect_read_fault(&e, 0x1000, 8, EXC_LOAD_ACCESS, 0x1000);
    expect_write_fault(&e, 0x1000, 8, EXC_STORE_ACCESS, 0x1000);
    uint64_t pa;
    uint8_t *host;
    ck_assert_int_eq(mmu_fetch_page(h, 0x1000, &pa, &host), EXC_INSN_ACCESS);
    /* ... even when the access itself is from M with MPRV */
    e.h->csr.mstatus &= ~MSTATUS_MPP;
    e.h->csr.mstatus |= MSTATUS_MPRV | ((uint64_t)PRV_S << MSTATUS_MPP_SHIFT);
    set_priv(&e, PRV_M);
    expect_read_fault(&e, 0x1000, 8, EXC_LOAD_ACCESS, 0x1000);
    env_free(&e);
}
END_TEST

/* --------------------------------------------------------------- atomics */

#define ADDR 0x80200000ULL

static int run_op(Env *e, OpFn fn, unsigned rd, uint64_t addr, uint64_t src)
{
    Op op = make_op(fn, rd, 11, 12);
    e->h->x[11] = addr;
    e->h->x[12] = src;
    e->h->csr.mcause = 0xdead;
    return test_exec_op(e->h, &op);
}

START_TEST(test_lr_sc)
{
    Env e = env_new(0);
    Hart *h = e.h;
    wr64(&e, ADDR, 0xffffffff80000001ULL);
    /* LR.W sign-extends and reserves */
    ck_assert_int_eq(run_op(&e, op_lr_w, 10, ADDR, 0), OP_NEXT);
    ck_assert_uint_eq(h->x[10], 0xffffffff80000001ULL);
    ck_assert(h->lr_valid);
    ck_assert_uint_eq(h->lr_addr, ADDR);
    ck_assert_int_eq(run_op(&e, op_sc_w, 10, ADDR, 0x12345678), OP_NEXT);
    ck_assert_uint_eq(h->x[10], 0);
    ck_assert_uint_eq(rd64(&e, ADDR), 0xffffffff12345678ULL);
    ck_assert(!h->lr_valid);
    /* a second SC fails: the reservation is gone */
    ck_assert_int_eq(run_op(&e, op_sc_w, 10, ADDR, 0x5555), OP_NEXT);
    ck_assert_uint_eq(h->x[10], 1);
    ck_assert_uint_eq(rd64(&e, ADDR), 0xffffffff12345678ULL);
    /* SC to another address fails and still ends the reservation */
    run_op(&e, op_lr_d, 10, ADDR, 0);
    ck_assert_uint_eq(h->x[10], 0xffffffff12345678ULL);
    ck_assert_int_eq(run_op(&e, op_sc_d, 10, ADDR + 8, 1), OP_NEXT);
    ck_assert_uint_eq(h->x[10], 1);
    ck_assert_uint_eq(rd64(&e, ADDR + 8), 0);
    ck_assert_int_eq(run_op(&e, op_sc_d, 10, ADDR, 1), OP_NEXT);
    ck_assert_uint_eq(h->x[10], 1);
    /* LR.D / SC.D succeed */
    run_op(&e, op_lr_d, 10, ADDR, 0);
    ck_assert_int_eq(run_op(&e, op_sc_d, 13, ADDR, 0x0102030405060708ULL),
                     OP_NEXT);
    ck_assert_uint_eq(h->x[13], 0);
    ck_assert_uint_eq(rd64(&e, ADDR), 0x0102030405060708ULL);
    /* rd = x0 goes to the sink */
    run_op(&e, op_lr_d, 0, ADDR, 0);
    ck_assert_uint_eq(h->x[0], 0);

    /* misaligned: LR -> load misaligned, SC/AMO -> store misaligned */
    ck_assert_int_eq(run_op(&e, op_lr_w, 10, ADDR + 2, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_LOAD_MISALIGNED);
    ck_assert_uint_eq(h->csr.mtval, ADDR + 2);
    ck_assert_int_eq(run_op(&e, op_sc_d, 10, ADDR + 4, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_STORE_MISALIGNED);
    ck_assert_int_eq(run_op(&e, op_amoadd_w, 10, ADDR + 1, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_STORE_MISALIGNED);
    ck_assert_uint_eq(h->csr.mtval, ADDR + 1);
    ck_assert_int_eq(run_op(&e, op_amoswap_d, 10, ADDR + 4, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_STORE_MISALIGNED);
    env_free(&e);
}
END_TEST

typedef struct AmoCase {
    OpFn fn;
    bool word;
    uint64_t mem, src, result_mem;
} AmoCase;

START_TEST(test_amo_results)
{
    static const AmoCase cases[] = {
        { op_amoswap_w, true, 0x80000000, 0x1234, 0x1234 },
        { op_amoadd_w, true, 0xffffffff, 2, 0x1 },
        { op_amoxor_w, true, 0xf0f0f0f0, 0xffff0000, 0x0f0ff0f0 },
        { op_amoand_w, true, 0xf0f0f0f0, 0xffff0000, 0xf0f00000 },
        { op_amoor_w, true, 0xf0f0f0f0, 0x0000000f, 0xf0f0f0ff },
        { op_amomin_w, true, 0xfffffffe, 1, 0xfffffffe },
        { op_amomin_w, true, 5, 0xffffffff80000000ULL, 0x80000000 },
        { op_amomax_w, true, 0xfffffffe, 1, 1 },
        { op_amomax_w, true, 0x7fffffff, 0x80000000, 0x7fffffff },
        { op_amominu_w, true, 0xfffffffe, 1, 1 },
        { op_amomaxu_w, true, 0xfffffffe, 1, 0xfffffffe },
        { op_amoswap_d, false, 0x8000000000000000ULL, 7, 7 },
        { op_amoadd_d, false, 0xffffffffffffffffULL, 2, 1 },
        { op_amoxor_d, false, 0xff00ff00ff00ff00ULL, 0xffffffff00000000ULL,
          0x00ff00ffff00ff00ULL },
        { op_amoand_d, false, 0xff00ff00ff00ff00ULL, 0xffffffff00000000ULL,
          0xff00ff0000000000ULL },
        { op_amoor_d, false, 0xff00ff00ff00ff00ULL, 0xff, 0xff00ff00ff00ffffULL },
        { op_amomin_d, false, 0xfffffffffffffffeULL, 1, 0xfffffffffffffffeULL },
        { op_amomax_d, false, 0xfffffffffffffffeULL, 1, 1 },
        { op_amominu_d, false, 0xfffffffffffffffeULL, 1, 1 },
        { op_amomaxu_d, false, 0xfffffffffffffffeULL, 1, 0xfffffffffffffffeULL },
    };
    Env e = env_new(0);
    Hart *h = e.h;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const AmoCase *c = &cases[i];
        const uint64_t guard = 0x5a5a5a5a00000000ULL;
        wr64(&e, ADDR, c->word ? guard | (c->mem & 0xffffffff) : c->mem);
        ck_assert_int_eq(run_op(&e, c->fn, 10, ADDR, c->src), OP_NEXT);
        uint64_t old = c->word ? (uint64_t)(int64_t)(int32_t)c->mem : c->mem;
        ck_assert_msg(h->x[10] == old, "case %zu: rd %#llx want %#llx", i,
                      (unsigned long long)h->x[10], (unsigned long long)old);
        uint64_t want = c->word ? guard | c->result_mem : c->result_mem;
        ck_assert_msg(rd64(&e, ADDR) == want, "case %zu: mem %#llx want %#llx",
                      i, (unsigned long long)rd64(&e, ADDR),
                      (unsigned long long)want);
    }
    /* rd == rs2: the operand is read before rd is written */
    wr64(&e, ADDR, 10);
    Op op = make_op(op_amoadd_d, 12, 11, 12);
    h->x[11] = ADDR;
    h->x[12] = 5;
    ck_assert_int_eq(test_exec_op(h, &op), OP_NEXT);
    ck_assert_uint_eq(h->x[12], 10);
    ck_assert_uint_eq(rd64(&e, ADDR), 15);
    env_free(&e);
}
END_TEST

START_TEST(test_amo_faults)
{
    Env e = env_new(3);
    Hart *h = e.h;
    FakeDev dev = { 0 };
    ck_assert(memory_add_mmio(&e.m->mem, 0x10000000, 0x1000, &fake_ops, &dev,
                              "fake"));
    map(&e, 0x1000, 0x80201000, 0, PTE_R | PTE_A);  /* read-only */
    map(&e, 0x2000, 0x80202000, 0, PTE_RW);
    map(&e, 0x3000, 0x10000000, 0, PTE_RW);
    set_priv(&e, PRV_S);
    /* LR of a read-only page works, SC/AMO fault as stores */
    ck_assert_int_eq(run_op(&e, op_lr_w, 10, 0x1000, 0), OP_NEXT);
    set_priv(&e, PRV_S);
    ck_assert_int_eq(run_op(&e, op_sc_w, 10, 0x1000, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_STORE_PAGE_FAULT);
    ck_assert_uint_eq(h->csr.mtval, 0x1000);
    set_priv(&e, PRV_S);
    ck_assert_int_eq(run_op(&e, op_amoor_d, 10, 0x1008, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_STORE_PAGE_FAULT);
    set_priv(&e, PRV_S);
    ck_assert_int_eq(run_op(&e, op_lr_d, 10, 0x5000, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_LOAD_PAGE_FAULT);
    /* atomics on a device: access fault */
    set_priv(&e, PRV_S);
    ck_assert_int_eq(run_op(&e, op_amoadd_w, 10, 0x3000, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_STORE_ACCESS);
    set_priv(&e, PRV_S);
    ck_assert_int_eq(run_op(&e, op_lr_w, 10, 0x3000, 0), OP_EXIT_EXC);
    ck_assert_uint_eq(h->csr.mcause, EXC_LOAD_ACCESS);
    ck_assert_uint_eq(dev.reads + dev.writes, 0);
    /* the reservation is physical; the virtual alias of a word works */
    set_priv(&e, PRV_S);
    ck_assert_int_eq(run_op(&e, op_lr_w, 10, 0x2010, 0), OP_NEXT);
    ck_assert_uint_eq(h->lr_addr, 0x80202010);
    ck_assert_int_eq(run_op(&e, op_sc_w, 10, 0x2010, 9), OP_NEXT);
    ck_assert_uint_eq(h->x[10], 0);
    ck_assert_uint_eq(rd64(&e, 0x80202010), 9);
    /* an AMO on a page with code drops that code */
    memory_set_code_page(&e.m->mem, 0x80202000, true);
    ck_assert_int_eq(run_op(&e, op_amoadd_w, 10, 0x2010, 1), OP_NEXT);
    ck_assert(!memory_page_has_code(&e.m->mem, 0x80202000));
    ck_assert_uint_eq(rd64(&e, 0x80202010), 10);
    env_free(&e);
}
END_TEST

START_TEST(test_atomic_decode_rows)
{
    /* every A row is found by its encoding with aq/rl set or clear */
    static const struct { uint32_t w; const char *name; } enc[] = {
        { 0x1005a52f, "lr.w" },      { 0x1605b52f, "lr.d" },
        { 0x18c5a52f, "sc.w" },      { 0x1ec5b52f, "sc.d" },
        { 0x08c5a52f, "amoswap.w" }, { 0x00c5b52f, "amoadd.d" },
        { 0x20c5a52f, "amoxor.w" },  { 0x60c5b52f, "amoand.d" },
        { 0x40c5a52f, "amoor.w" },   { 0x80c5b52f, "amomin.d" },
        { 0xa6c5a52f, "amomax.w" },  { 0xc0c5b52f, "amominu.d" },
        { 0xe0c5a52f, "amomaxu.w" },
    };
    for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
        const char *found = NULL;
        for (unsigned j = 0; j < insn_table_len; j++)
            if ((enc[i].w & insn_table[j].mask) == insn_table[j].match) {
                ck_assert_msg(!found, "%08x matches two rows", enc[i].w);
                found = insn_table[j].name;
            }
        ck_assert_msg(found && strcmp(found, enc[i].name) == 0,
                      "%08x decoded as %s, want %s", enc[i].w,
                      found ? found : "nothing", enc[i].name);
    }
    /* LR with rs2 != 0 is not LR */
    for (unsigned j = 0; j < insn_table_len; j++)
        ck_assert(strcmp(insn_table[j].name, "lr.w") != 0 ||
                  (0x1015a52f & insn_table[j].mask) != insn_table[j].match);
}
END_TEST

Suite *suite_mmu(void)
{
    Suite *s = suite_create("mmu");
    TCase *t = tcase_create("translate");
    tcase_add_test(t, test_sv39_4k);
    tcase_add_test(t, test_sv39_superpages);
    tcase_add_test(t, test_sv48);
    tcase_add_test(t, test_accessed_dirty);
    tcase_add_test(t, test_page_faults);
    tcase_add_test(t, test_user_supervisor);
    tcase_add_test(t, test_nonleaf_and_table_faults);
    suite_add_tcase(s, t);
    t = tcase_create("slow_path");
    tcase_add_test(t, test_slow_path_tlb_mmio);
    tcase_add_test(t, test_page_crossing);
    suite_add_tcase(s, t);
    t = tcase_create("pmp");
    tcase_add_test(t, test_pmp_default);
    tcase_add_test(t, test_pmp_tor_na4_napot);
    tcase_add_test(t, test_pmp_priority_lock);
    tcase_add_test(t, test_pmp_tlb_and_tables);
    suite_add_tcase(s, t);
    t = tcase_create("atomic");
    tcase_add_test(t, test_lr_sc);
    tcase_add_test(t, test_amo_results);
    tcase_add_test(t, test_amo_faults);
    tcase_add_test(t, test_atomic_decode_rows);
    suite_add_tcase(s, t);
    return s;
}
