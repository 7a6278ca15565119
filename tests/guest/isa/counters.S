/* Counters: rdinstret and rdcycle advance by exactly the number of
 * instructions retired between two reads (straight-line code, loops,
 * calls, compressed code, an ecall that does not retire), minstret and
 * mcycle writes, time never going back, mcounteren/scounteren gating for
 * S and U, and the hpm counters reading zero.
 *
 * Exactness is required everywhere except on QEMU without -icount, where
 * cycle and instret are host clock ticks: there (and only there) the
 * counters are just checked not to go backwards. */
#include "test.h"

    .option norvc

/* a1 - a0 must be expected (exact mode, s4 = 1) or not negative */
#define CHECK_DELTA(expected)                       \
    sub a2, a1, a0;                                 \
    beqz s4, 7771f;                                 \
    li TEST_EXP, expected;                          \
    TEST_FAIL_IF_NE(a2, TEST_EXP);                  \
    j 7772f;                                        \
7771:                                               \
    bgeu a1, a0, 7772f;                             \
    j test_fail;                                    \
7772:

/* counter read with rdinstret / rdcycle around code */
#define TEST_INSTRET(n, expected, ...)              \
    li TNUM, n;                                     \
    rdinstret a0;                                   \
    __VA_ARGS__;                                    \
    rdinstret a1;                                   \
    CHECK_DELTA(expected)
#define TEST_CYCLE(n, expected, ...)                \
    li TNUM, n;                                     \
    rdcycle a0;                                     \
    __VA_ARGS__;                                    \
    rdcycle a1;                                     \
    CHECK_DELTA(expected)

#define NOP10 nop; nop; nop; nop; nop; nop; nop; nop; nop; nop

TEST_BEGIN
    /* ---- exact or not? ---- */
    TEST_ON_QEMU(s3)
    li TNUM, 1
    rdinstret a0
    rdinstret a1
    sub a2, a1, a0
    li s4, 1
    li TEST_EXP, 1
    beq a2, TEST_EXP, 1f
    beqz s3, test_fail_near     /* only QEMU without icount may be inexact */
    li s4, 0
1:

    /* ---- instret ---- */
    TEST_INSTRET(2, 1, )
    TEST_INSTRET(3, 11, NOP10)
    TEST_INSTRET(4, 202, li t0, 100; 1: addi t0, t0, -1; bnez t0, 1b)
    TEST_INSTRET(5, 5, jal ra, three_insns)
    TEST_INSTRET(6, 6, la t0, scratch; sd a0, 0(t0); ld t1, 0(t0); amoadd.d t1, t1, (t0))
    TEST_INSTRET(7, 4, li t0, 1; beqz t0, test_fail_near; bnez t0, 1f; 1:)
    TEST_INSTRET(8, 5, .option push; .option rvc; c.nop; c.nop; c.addi t0, 1; c.mv t1, t0; .option pop)
    TEST_INSTRET(9, 4, fmv.d.x fa0, zero; fadd.d fa1, fa0, fa0; fmul.d fa2, fa1, fa0)
    /* the CSR read itself is not counted in the value it returns */
    TEST_CASE(10, a2, 1, csrr a0, minstret; csrr a1, minstret; sub a2, a1, a0; bnez s4, 1f; li a2, 1; 1:)
    TEST_CASE(11, a2, 1, csrr a0, instret; csrr a1, minstret; sub a2, a1, a0; bnez s4, 1f; li a2, 1; 1:)

    /* ---- cycle: one per instruction where exact ---- */
    TEST_CYCLE(20, 1, )
    TEST_CYCLE(21, 11, NOP10)
    TEST_CYCLE(22, 202, li t0, 100; 1: addi t0, t0, -1; bnez t0, 1b)
    TEST_CASE(23, a2, 1, csrr a0, mcycle; csrr a1, cycle; sub a2, a1, a0; bnez s4, 1f; li a2, 1; 1:)

    /* ---- an exception does not retire its instruction: la (2), ecall
     * (0), then rt_catch_m (11 instructions) resumes here ---- */
    bnez s3, 1f                 /* QEMU counts the ecall: skipped there */
    TEST_INSTRET(30, 14, la TRAP_RESUME, 2f; ecall; 2:)
1:

    /* ---- writes to minstret / mcycle ---- */
    li TNUM, 40
    li a0, 1000000
    csrw minstret, a0
    csrr a1, minstret
    beqz s4, 1f
    sub a2, a1, a0
    bltz a2, test_fail_near     /* the new value, maybe plus the write */
    li TEST_EXP, 2
    bgeu a2, TEST_EXP, test_fail_near
1:  li TNUM, 41
    TEST_INSTRET(41, 11, NOP10)
    li TNUM, 42
    li a0, 5000000
    csrw mcycle, a0
    csrr a1, mcycle
    beqz s4, 1f
    sub a2, a1, a0
    bltz a2, test_fail_near
    li TEST_EXP, 2
    bgeu a2, TEST_EXP, test_fail_near
1:

    /* ---- time never goes back (the CSR is optional: QEMU's spike
     * machine has none, s2 = 0 then) ---- */
    li TNUM, 50
    li s2, 0
    la TRAP_RESUME, 1f
    rdtime a0
    li TRAP_RESUME, 0
    li s2, 1
    NOP10
    rdtime a1
    bltu a1, a0, test_fail_near
1:

    /* ---- hpm counters: implemented as reading zero ---- */
    TEST_CASE(60, a0, 0, csrr a0, mhpmcounter3)
    TEST_CASE(61, a0, 0, csrr a0, mhpmcounter4)
    TEST_CASE(63, a0, 0, csrr a0, mhpmevent3)
    TEST_CASE(64, a0, 0, csrr a0, hpmcounter3)
    /* all of 3..31 must exist; QEMU 7.2 has only its pmu-num (16) */
    bnez s3, 1f
    TEST_CASE(62, a0, 0, csrr a0, mhpmcounter31)
    TEST_CASE(65, a0, 0, csrr a0, hpmcounter31)
    TEST_CASE(66, a0, 0, csrr a0, mhpmevent31)
1:

    /* ---- mcounteren / scounteren ---- */
    csrw mcounteren, zero
    csrw scounteren, zero
    TEST_TRAP_IN(MPP_S, 70, CAUSE_ILLEGAL, rdcycle a0)
    TEST_TRAP_TVAL(0xc0002573)
    TEST_TRAP_IN(MPP_S, 71, CAUSE_ILLEGAL, rdtime a0)
    TEST_TRAP_IN(MPP_S, 72, CAUSE_ILLEGAL, rdinstret a0)
    TEST_TRAP_IN(MPP_S, 73, CAUSE_ILLEGAL, csrr a0, hpmcounter3)
    TEST_TRAP_IN(MPP_U, 74, CAUSE_ILLEGAL, rdcycle a0)
    TEST_TRAP_IN(MPP_U, 75, CAUSE_ILLEGAL, rdinstret a0)
    /* S never reaches the M counters */
    TEST_TRAP_IN(MPP_S, 76, CAUSE_ILLEGAL, csrr a0, minstret)
    /* mcounteren lets S in, U still needs scounteren */
    li t0, 7                    /* CY, TM, IR */
    csrw mcounteren, t0
    TEST_CASE(77, a0, 7, csrr a0, mcounteren)
    li TNUM, 78
    GOTO_MODE(MPP_S)
    rdcycle a0
    rdinstret a0
    rdinstret a1
    BACK_TO_M
    CHECK_DELTA(1)
    TEST_TRAP_IN(MPP_U, 79, CAUSE_ILLEGAL, rdinstret a0)
    TEST_TRAP_IN(MPP_U, 80, CAUSE_ILLEGAL, rdtime a0)
    /* bit by bit: only IR for U */
    li TNUM, 81
    li t0, 4
    csrw scounteren, t0
    TEST_CASE(81, a0, 4, csrr a0, scounteren)
    li TNUM, 82
    GOTO_MODE(MPP_U)
    rdinstret a0
    NOP10
    rdinstret a1
    BACK_TO_M
    CHECK_DELTA(11)
    TEST_TRAP_IN(MPP_U, 83, CAUSE_ILLEGAL, rdcycle a0)
    /* scounteren alone is not enough: mcounteren gates S and U */
    li t0, 1
    csrw mcounteren, t0
    li t0, 7
    csrw scounteren, t0
    TEST_TRAP_IN(MPP_U, 84, CAUSE_ILLEGAL, rdinstret a0)
    li TNUM, 85
    GOTO_MODE(MPP_U)
    rdcycle a0
    BACK_TO_M
    TEST_TRAP_IN(MPP_S, 86, CAUSE_ILLEGAL, rdinstret a0)
    /* counters are read-only from every mode */
    li t0, 7
    csrw mcounteren, t0
    TEST_TRAP(87, CAUSE_ILLEGAL, csrw cycle, zero)
    TEST_TRAP_IN(MPP_S, 88, CAUSE_ILLEGAL, csrw instret, zero)
    csrw mcounteren, zero
    csrw scounteren, zero

TEST_END

test_fail_near:
    j test_fail

three_insns:
    nop
    nop
    ret

    .data
    .align 3
scratch:
    .dword 0
