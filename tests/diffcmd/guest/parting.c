/* The guest of tests/diffcmd: prints a few lines and works on memory, in
 * builds that differ by one instruction each:
 *   (none)          the reference
 *   -DCHANGE_INSN   `addi t3, t3, 1` at changed_insn becomes `addi t3, t3, 2`
 *   -DCHANGE_STORE  the store at changed_store writes t2 instead of t1 (both
 *                   hold what they hold in every build): only memory differs
 * Both changes keep every instruction's size and address, so the builds
 * line up and rewind diff compares them exactly. */
#include "rt.h"

volatile uint64_t target[4];
volatile uint64_t result;

static void work(void)
{
    uint64_t out;
    __asm__ volatile(
        ".option push\n.option norvc\n"
        "li t3, 40\n"
        "li t1, 0x1111\n"
        "li t2, 0x2222\n"
        ".globl changed_insn\nchanged_insn:\n"
#ifdef CHANGE_INSN
        "addi t3, t3, 2\n"
#else
        "addi t3, t3, 1\n"
#endif
        ".globl changed_store\nchanged_store:\n"
#ifdef CHANGE_STORE
        "sd t2, 16(%1)\n"
#else
        "sd t1, 16(%1)\n"
#endif
        "mv %0, t3\n"
        ".option pop\n"
        : "=r"(out)
        : "r"(target)
        : "t1", "t2", "t3", "memory");
    result = out;
}

int main(void)
{
    printf("parting guest: start\n");
    uint64_t sum = 0;
    for (int i = 0; i < 20000; i++)
        sum += (uint64_t)i * 3;
    printf("sum %lu\n", (unsigned long)sum);
    work();
    for (int i = 0; i < 20000; i++)
        sum += (uint64_t)i;
    printf("result %lu\n", (unsigned long)result);
    printf("done\n");
    return 0;
}
