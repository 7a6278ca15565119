/* A publish-before-use race: hart 0 prepares a value after a short setup
 * and stores it in a shared word; hart 1, after a longer setup, reads
 * that word and uses it, without waiting for any flag that says it is
 * there. Nothing orders the two; hart 1 only relies on its setup being
 * the longer one.
 *
 * The fixed round robin (any --quantum) always runs hart 0's short setup
 * and its store before hart 1's longer setup ends, as does QEMU: the
 * program passes every run. A hart 0 stalled for longer than the
 * difference of the setups (an interrupt storm, a preempted vCPU, here
 * --chaos) lets hart 1 read the word before the store: it reads 0.
 *
 * Exit code 0: hart 1 read the value; 1: hart 1 read it before it was
 * published (console: "publish: FAIL"). Needs -smp 2 (or more). */
#include "common.h"

enum { SETUP_0 = 300, SETUP_1 = 3000, VALUE = 42 };

volatile uint32_t chaos_go;
static volatile uint64_t shared_value; /* hart 0 writes it once */
static volatile uint64_t seen;         /* what hart 1 read */
static volatile uint32_t hart1_done;

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
        seen = shared_value; /* the bug: no wait for hart 0's store */
        __atomic_store_n(&hart1_done, 1, __ATOMIC_RELEASE);
    }
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    __atomic_store_n(&chaos_go, 1, __ATOMIC_RELEASE);
    spin(SETUP_0);
    shared_value = VALUE; /* published */
    while (!__atomic_load_n(&hart1_done, __ATOMIC_ACQUIRE))
        ;
    if (seen != VALUE) {
        printf("publish: FAIL: hart 1 used the value before hart 0 published it "
               "(read %lu, want %d)\n", (unsigned long)seen, VALUE);
        return 1;
    }
    printf("publish: ok: hart 1 read %lu\n", (unsigned long)seen);
    return 0;
}
