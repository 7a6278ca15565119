/* The default -cpu (QEMU 7.2's -M virt set) has Zba, Zbb, Zbc, Zbs,
 * Zihintpause and Sstc: one instruction of each does not trap, and
 * stimecmp exists. */
#include "test.h"

    .option norvc
    .option arch, +zba, +zbb, +zbc, +zbs
TEST_BEGIN
    TEST_CASE(1, a3, 7, li a1, 3; li a2, 1; sh1add a3, a1, a2)
    TEST_CASE(2, a3, 63, li a1, 1; clz a3, a1)
    TEST_CASE(3, a3, 6, li a1, 3; li a2, 2; clmul a3, a1, a2)
    TEST_CASE(4, a3, 9, li a1, 1; bseti a3, a1, 3)
    TEST_NO_TRAP(5, .word 0x0100000f) /* pause */
    /* QEMU's spike machine gives its harts no time source, so its Sstc
     * has no stimecmp there (the system tier compares Sstc with QEMU's
     * virt, under Linux). */
    TEST_ON_QEMU(t3)
    bnez t3, 10f
    TEST_NO_TRAP(6, li a1, -1; csrw 0x14d, a1; csrr a3, 0x14d)
    li TEST_EXP, -1
    TEST_FAIL_IF_NE(a3, TEST_EXP)
10:
TEST_END
