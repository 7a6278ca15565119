/* LR/SC under contention: every hart of the machine (1 to 8) takes a lock
 * word with a constrained LR/SC loop, increments a counter with plain
 * loads and stores inside it, gives the lock back, and adds to a sum with
 * an LR/SC atomic add; ROUNDS times each. Hart 0 then checks that no
 * increment was lost (the lock excluded) and that the sum is complete (the
 * SCs succeeded exactly once per add).
 *
 * A machine that never lets such a loop's SC succeed (a quantum shorter
 * than the LR..SC distance once did: the reservation ended with each
 * turn) never finishes: run-isa's time limit catches it. Exit codes: 0
 * pass, 1 counter wrong, 2 sum wrong, 3 no device tree in a1, 4
 * milestones wrong. */
#include "rt.h"
#include "fdt_cpus.h"

enum { ROUNDS = 300, MAX_HARTS = 8 };

/* Shared. The other harts start before hart 0 has cleared .bss: they only
 * read `go` (zero until hart 0 sets it, after the clear) before then. */
static volatile uint32_t go;
static volatile uint32_t lock;
static volatile uint64_t counter; /* guarded by lock */
static volatile uint64_t sum;     /* LR/SC adds */
static volatile uint32_t finished;
static volatile uint64_t milestones; /* LR/SC adds, a few per hart */

static void lock_take(volatile uint32_t *l)
{
    uint32_t v;
    /* A constrained loop: 7 instructions, only base ones between LR and
     * SC (the nops put the SC 5 after the LR: more than quanta 1 to 3).
     * A failed SC (or a taken lock) retries from the LR. */
    __asm__ volatile("1: lr.w.aq %0, (%1)\n"
                     "   bnez %0, 1b\n"
                     "   nop\n"
                     "   nop\n"
                     "   nop\n"
                     "   nop\n"
                     "   sc.w %0, %2, (%1)\n"
                     "   bnez %0, 1b\n"
                     : "=&r"(v) : "r"(l), "r"(1) : "memory");
}

static void lock_give(volatile uint32_t *l)
{
    /* A plain store, as Linux's and OpenSBI's unlocks are. */
    __asm__ volatile("fence rw, w\n"
                     "sw zero, 0(%0)\n" :: "r"(l) : "memory");
}

static void add_lrsc(volatile uint64_t *p, uint64_t inc)
{
    uint64_t old, tmp;
    /* 9 instructions, the SC 7 after the LR. */
    __asm__ volatile("1: lr.d %0, (%2)\n"
                     "   add %1, %0, %3\n"
                     "   xori %1, %1, 0x5a\n"
                     "   slli %1, %1, 1\n"
                     "   srli %1, %1, 1\n"
                     "   xori %1, %1, 0x5a\n"
                     "   addi %1, %1, 0\n"
                     "   sc.d %1, %1, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(tmp) : "r"(p), "r"(inc) : "memory");
}

/* Every 100 rounds: a function and a word for a debugger's breakpoint
 * and watchpoint (tests/gdb), hit a few times only. */
__attribute__((noipa)) static void milestone(void)
{
    add_lrsc(&milestones, 1);
}

static void work(uint64_t hartid)
{
    for (int i = 0; i < ROUNDS; i++) {
        lock_take(&lock);
        counter = counter + 1; /* not atomic: only the lock protects it */
        lock_give(&lock);
        add_lrsc(&sum, hartid + 1);
        if (i % 100 == 99)
            milestone();
    }
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
}

void rt_other_hart(uint64_t hartid, const void *fdt);
void rt_other_hart(uint64_t hartid, const void *fdt)
{
    (void)fdt;
    extern char rt_default_trap_m[];
    __asm__ volatile("csrw mtvec, %0" :: "r"(rt_default_trap_m));
    while (!go)
        ;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    work(hartid);
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    unsigned n = rt_fdt_count_cpus(rt_fdt);
    if (n == 0) {
        printf("lrsc: no device tree in a1\n");
        return 3;
    }
    if (n > MAX_HARTS)
        n = MAX_HARTS;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    go = 1;
    work(0);
    while (finished != n)
        ;
    uint64_t want_sum = (uint64_t)ROUNDS * n * (n + 1) / 2;
    printf("lrsc: %u harts, counter %lu (want %lu), sum %lu (want %lu)\n", n,
           (unsigned long)counter, (unsigned long)(ROUNDS * n),
           (unsigned long)sum, (unsigned long)want_sum);
    if (counter != (uint64_t)ROUNDS * n)
        return 1;
    if (sum != want_sum)
        return 2;
    if (milestones != (uint64_t)ROUNDS / 100 * n)
        return 4;
    return 0;
}
