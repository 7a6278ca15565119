/* A lost update in a narrow window: harts 0 and 1 each add ROUNDS to a
 * shared counter, one plain load, add and store at a time (no lock, no
 * atomic), with other work between the increments. An increment is lost
 * only when a hart's turn ends between its load and its store (a window
 * of two instructions in every seven) and the other hart increments
 * before that hart runs again.
 *
 * Hart 0 starts at once; hart 1 first does a longer setup. With the fixed
 * round robin (any --quantum up to its default) the two loops never meet,
 * or meet without a turn ending inside a window while the other hart
 * increments, and the program passes every run.
 *
 * Exit code 0: the counter is 2 * ROUNDS; 1: an update was lost (console:
 * "lostupdate: FAIL"). Needs -smp 2 (or more). */
#include "common.h"

enum { ROUNDS = 200, WORK = 2, SETUP_1 = 950 };

volatile uint32_t chaos_go;
static volatile uint64_t counter;
static volatile uint32_t hart1_done;

/* counter + 1, not atomic: the turn may end after the load or the add. */
static inline void increment(volatile uint64_t *c)
{
    uint64_t t;
    __asm__ volatile("ld %0, 0(%1)\n"
                     "addi %0, %0, 1\n"
                     "sd %0, 0(%1)\n"
                     : "=&r"(t) : "r"(c) : "memory");
}

static void work(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        increment(&counter);
        spin(WORK / 2);
    }
}

void rt_other_hart(uint64_t hartid, const void *fdt);
void rt_other_hart(uint64_t hartid, const void *fdt)
{
    (void)fdt;
    extern char rt_default_trap_m[];
    __asm__ volatile("csrw mtvec, %0" :: "r"(rt_default_trap_m));
    while (!chaos_go)
        ;
    if (hartid == 1) {
        spin(SETUP_1);
        work();
        __atomic_store_n(&hart1_done, 1, __ATOMIC_RELEASE);
    }
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    __atomic_store_n(&chaos_go, 1, __ATOMIC_RELEASE);
    work();
    while (!__atomic_load_n(&hart1_done, __ATOMIC_ACQUIRE))
        ;
    if (counter != 2 * ROUNDS) {
        printf("lostupdate: FAIL: counter %lu, want %d (%lu increments lost)\n",
               (unsigned long)counter, 2 * ROUNDS, (unsigned long)(2 * ROUNDS - counter));
        return 1;
    }
    printf("lostupdate: ok: counter %lu\n", (unsigned long)counter);
    return 0;
}
