/* Sstc: stimecmp and menvcfg.STCE. Access rules (S needs mcounteren.TM
 * and STCE; M always), STIP following (time >= stimecmp) while STCE is
 * set and read-only to mip writes then, writable by M again when STCE is
 * clear, and the timer interrupt taken on time: the handler's first
 * instruction reads a time at most one tick past stimecmp. The timing
 * checks assume the default clock (10 ns per instruction: a tick of
 * mtime is 10 instructions), as run-isa runs it.
 *
 * run-isa qemu: skip (QEMU's spike machine gives its harts no time source, so no stimecmp)
 */
#include "test.h"

    .option norvc

#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG 0x30a
#define STCE_HI (1 << 31) /* menvcfg.STCE is bit 63: shifted from here */
#define STIP (1 << IRQ_STI)
#define TM 2 /* mcounteren.TM */

#define STCE_ON  li t0, 1; slli t0, t0, 63; csrs CSR_MENVCFG, t0
#define STCE_OFF li t0, 1; slli t0, t0, 63; csrc CSR_MENVCFG, t0

TEST_BEGIN
    csrw mie, zero
    csrw mideleg, zero
    STCE_OFF
    csrw mcounteren, zero

    /* ---- access ---- */
    /* M reads and writes it whatever STCE says */
    TEST_CASE(1, a0, 1234, li a1, 1234; csrw CSR_STIMECMP, a1; csrr a0, CSR_STIMECMP)
    /* from S: illegal without STCE, or without TM */
    TEST_TRAP_IN(MPP_S, 2, CAUSE_ILLEGAL, csrr a0, CSR_STIMECMP)
    BACK_TO_M
    csrwi mcounteren, TM
    TEST_TRAP_IN(MPP_S, 3, CAUSE_ILLEGAL, csrr a0, CSR_STIMECMP)
    BACK_TO_M
    STCE_ON
    csrw mcounteren, zero
    TEST_TRAP_IN(MPP_S, 4, CAUSE_ILLEGAL, csrr a0, CSR_STIMECMP)
    BACK_TO_M
    csrwi mcounteren, TM
    GOTO_MODE(MPP_S)
    TEST_CASE(5, a0, 3, li a1, 3; csrw CSR_STIMECMP, a1; csrr a0, CSR_STIMECMP)
    BACK_TO_M
    /* menvcfg keeps STCE */
    TEST_CASE(6, a0, 1, csrr a0, CSR_MENVCFG; srli a0, a0, 63)

    /* ---- STIP follows the compare while STCE is set ---- */
    /* stimecmp = 3 is past: STIP is set */
    TEST_CASE(7, a0, STIP, csrr a0, mip; andi a0, a0, STIP)
    /* and M cannot clear it through mip */
    TEST_CASE(8, a0, STIP, li a1, STIP; csrc mip, a1; csrr a0, mip; andi a0, a0, STIP)
    /* all ones: never; STIP drops at once */
    TEST_CASE(9, a0, 0, li a1, -1; csrw CSR_STIMECMP, a1; csrr a0, mip; andi a0, a0, STIP)
    /* nor can M set it */
    TEST_CASE(10, a0, 0, li a1, STIP; csrs mip, a1; csrr a0, mip; andi a0, a0, STIP)
    /* STCE clear: mip.STIP is M's to write again */
    STCE_OFF
    TEST_CASE(11, a0, STIP, li a1, STIP; csrs mip, a1; csrr a0, mip; andi a0, a0, STIP)
    TEST_CASE(12, a0, 0, li a1, STIP; csrc mip, a1; csrr a0, mip; andi a0, a0, STIP)

    /* ---- the interrupt, on time ---- */
    la t0, timer_handler
    csrw mtvec, t0
    STCE_ON
    li s4, 0
    csrr s1, time
    addi s1, s1, 20               /* 20 ticks from now */
    csrw CSR_STIMECMP, s1
    li t0, STIP
    csrs mie, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    li a0, 0
    li a1, 1000000
1:  addi a0, a0, 1
    bnez s4, 2f
    bltu a0, a1, 1b
2:  li t0, MSTATUS_MIE
    csrc mstatus, t0
    la t0, rt_catch_m
    csrw mtvec, t0
    /* it came, as a supervisor timer interrupt, not before stimecmp and
     * at most one tick after */
    li TNUM, 13
    li TEST_EXP, CAUSE_INTR | IRQ_STI
    TEST_FAIL_IF_NE(s4, TEST_EXP)
    li TNUM, 14
    bltu s3, s1, test_fail
    sub t0, s3, s1
    li t1, 1
    bltu t1, t0, test_fail
    /* it interrupted the loop, not a later instruction */
    li TNUM, 15
    la t0, 1b
    bltu s2, t0, test_fail
    addi t0, t0, 12
    bltu t0, s2, test_fail
    /* re-armed in the future: STIP drops */
    TEST_CASE(16, a0, 0, csrr a1, time; addi a1, a1, 1000; csrw CSR_STIMECMP, a1; csrr a0, mip; andi a0, a0, STIP)
    csrw mie, zero
    STCE_OFF
TEST_END

/* The timer interrupt: when (time), why (mcause), where (mepc); STIE off
 * so it does not come again, back to the interrupted instruction. */
    .align 2
timer_handler:
    csrr s3, time
    csrr s4, mcause
    csrr s2, mepc
    li t0, STIP
    csrc mie, t0
    mret
