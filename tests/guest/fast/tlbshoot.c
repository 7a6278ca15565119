/* Remote TLB shootdown in the fast mode: one hart changes a page table
 * entry, the others must see the new mapping once they have flushed.
 *
 * Hart 0 builds Sv39 tables: identity gigapages for the devices and RAM,
 * and one 4 KiB page at VPAGE, mapped to one of two physical pages. Every
 * hart sets satp and reads through the mapping in M-mode with
 * mstatus.MPRV (MPP = S), so that the instructions stay untranslated and
 * only these loads go through the TLB. Each round:
 *   hart 0: writes the round's number into the page not mapped now, points
 *           the PTE at it, flushes its own TLB, fence, then an IPI (CLINT
 *           msip) to every other hart and waits for their answers;
 *   others: each had read VPAGE in the round before (its TLB holds the
 *           old mapping); on the IPI it runs sfence.vma (the remote flush,
 *           as an SBI implementation does on the target hart), clears its
 *           msip, reads VPAGE and answers with what it read.
 * A hart that reads the old page after its sfence.vma (a TLB entry that
 * survived the flush, or the PTE store not seen) fails the round. Without
 * the remote flush (the sfence.vma on the target hart skipped) the readers
 * keep reading the old page: this is what the test catches.
 * Exit code: 0 pass; 10 + hart for a stale read; 99: fewer than 2 harts or
 * no device tree. */
#include "rt.h"
#include "fdt_cpus.h"

enum { MAX_HARTS = 8, ROUNDS = 500 };

#define CLINT_MSIP(h) ((volatile uint32_t *)(0x2000000UL + 4 * (h)))
#define MIP_MSIP (1UL << 3)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_MPP (3UL << 11)
#define MSTATUS_MPP_S (1UL << 11)

#define VPAGE 0x40000000UL /* gigapage 1: not identity-mapped */
enum { PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_A = 64, PTE_D = 128 };

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t mid[512] __attribute__((aligned(4096)));
static uint64_t leaf[512] __attribute__((aligned(4096)));
static volatile uint64_t page[2][512] __attribute__((aligned(4096)));

static unsigned nharts;
static volatile uint32_t go;
static volatile uint64_t answer[MAX_HARTS]; /* what each hart read, per round */
static volatile uint32_t stale_hart;      /* 1 + the first hart that read stale */
static volatile uint64_t stale_got, stale_round;

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return (pa >> 12) << 10 | flags;
}

static void map_vpage(unsigned which)
{
    __atomic_store_n(&leaf[0], pte((uint64_t)(uintptr_t)page[which],
                                   PTE_V | PTE_R | PTE_W | PTE_A | PTE_D), __ATOMIC_RELAXED);
}

static void setup_tables(void)
{
    root[0] = pte(0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D); /* devices */
    root[1] = pte((uint64_t)(uintptr_t)mid, PTE_V);
    root[2] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D); /* RAM */
    mid[0] = pte((uint64_t)(uintptr_t)leaf, PTE_V);
    page[0][0] = 0;
    page[1][0] = 0;
    map_vpage(0);
}

/* Translation on for this hart's data accesses under MPRV. */
static void enter_vm(void)
{
    uint64_t satp = 8UL << 60 | (uint64_t)(uintptr_t)root >> 12;
    __asm__ volatile("csrw satp, %0\n\tsfence.vma" :: "r"(satp) : "memory");
    rt_csr_write(mstatus, (rt_csr_read(mstatus) & ~MSTATUS_MPP) | MSTATUS_MPP_S);
}

/* One load of VPAGE through the MMU (M-mode, MPRV with MPP = S). */
static uint64_t read_vpage(void)
{
    uint64_t v;
    __asm__ volatile("csrs mstatus, %1\n\t"
                     "ld %0, 0(%2)\n\t"
                     "csrc mstatus, %1"
                     : "=&r"(v) : "r"(MSTATUS_MPRV), "r"(VPAGE) : "memory");
    return v;
}

static void reader(unsigned id)
{
    enter_vm();
    read_vpage(); /* the TLB now holds the first mapping */
    rt_csr_write(mie, MIP_MSIP); /* mstatus.MIE stays 0: wfi ends, no trap */
    for (uint64_t r = 1; r <= ROUNDS; r++) {
        while (!(rt_csr_read(mip) & MIP_MSIP))
            __asm__ volatile("wfi");
        __asm__ volatile("sfence.vma" ::: "memory"); /* the remote flush */
        *CLINT_MSIP(id) = 0;
        while (rt_csr_read(mip) & MIP_MSIP)
            ;
        uint64_t got = read_vpage();
        if (got != r && !stale_hart) {
            stale_got = got;
            stale_round = r;
            stale_hart = 1 + id;
        }
        __atomic_store_n(&answer[id], r, __ATOMIC_RELEASE);
    }
    rt_csr_write(mie, 0);
}

void rt_other_hart(uint64_t hartid, const void *fdt);
void rt_other_hart(uint64_t hartid, const void *fdt)
{
    (void)fdt;
    extern char rt_default_trap_m[];
    __asm__ volatile("csrw mtvec, %0" :: "r"(rt_default_trap_m));
    /* The runtime gives hart 0 a PMP entry over everything; accesses
     * under MPRV are S-mode's, which need one too. */
    __asm__ volatile("csrw pmpaddr0, %0\n\tcsrw pmpcfg0, %1" :: "r"(-1L), "r"(0x1fL));
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        ;
    if (hartid < nharts)
        reader((unsigned)hartid);
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    nharts = rt_fdt_count_cpus(rt_fdt);
    if (nharts > MAX_HARTS)
        nharts = MAX_HARTS;
    if (nharts < 2) {
        printf("tlbshoot: needs 2 to 8 harts (found %u)\n", nharts);
        return 99;
    }
    setup_tables();
    enter_vm();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    for (uint64_t r = 1; r <= ROUNDS; r++) {
        unsigned next = (unsigned)(r & 1);
        page[next][0] = r;
        map_vpage(next);
        /* The new PTE and the data before the IPIs (device output). */
        __asm__ volatile("fence rw,rw\n\tsfence.vma" ::: "memory");
        if (read_vpage() != r) {
            printf("tlbshoot: hart 0 reads %lu in round %lu after its own sfence.vma\n",
                   (unsigned long)read_vpage(), (unsigned long)r);
            return 10;
        }
        for (unsigned h = 1; h < nharts; h++)
            *CLINT_MSIP(h) = 1;
        for (unsigned h = 1; h < nharts; h++)
            while (__atomic_load_n(&answer[h], __ATOMIC_ACQUIRE) != r)
                ;
        if (stale_hart) {
            printf("tlbshoot: hart %u read %lu through the new mapping in round %lu "
                   "(the old page): its TLB kept the old entry\n",
                   stale_hart - 1, (unsigned long)stale_got, (unsigned long)stale_round);
            return 10 + (int)stale_hart - 1;
        }
    }
    printf("tlbshoot: %u harts, %d rounds: every hart saw every new mapping\n", nharts, ROUNDS);
    return 0;
}
