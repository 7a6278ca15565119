/* Interrupts raised by software through mip (there is no timer device
 * here): SSIP/STIP/SEIP written from M, the global enables in M and S,
 * delegation with mideleg and the sip/sie views, priority order
 * (SEI > SSI > STI), interrupts taken from lower modes, vectored mtvec and
 * stvec, epc of an interrupt, and wfi returning when an interrupt is
 * pending (also when it is globally disabled).
 *
 * The interrupt handlers append the cause to irq_log (s2 counts entries)
 * and keep cause, epc and status of the last one in irq_last:
 * code for M, 0x100 + code for S, 0x200 + code for vectored M,
 * 0x300 + code for vectored S. t5/t6 belong to the handlers. */
#include "test.h"

    .option norvc

#define SSIP (1 << IRQ_SSI)
#define STIP (1 << IRQ_STI)
#define SEIP (1 << IRQ_SEI)

/* empty the log */
#define LOG_RESET li s2, 0
/* check the number of entries and entry i */
#define CHECK_LOG_COUNT(n) CHECK_REG(s2, n)
#define CHECK_LOG(i, value) la t0, irq_log; ld t0, (i) * 8(t0); CHECK_REG(t0, value)

/* cause, epc and status of the last interrupt into TRAP_CAUSE/EPC/STATUS */
#define LAST_IRQ la t0, irq_last; ld TRAP_CAUSE, 0(t0); ld TRAP_EPC, 8(t0); ld TRAP_STATUS, 16(t0)

#define MIE_ON  li t0, MSTATUS_MIE; csrs mstatus, t0
#define MIE_OFF li t0, MSTATUS_MIE; csrc mstatus, t0

TEST_BEGIN
    la t0, irq_m_handler
    csrw mtvec, t0
    la t0, irq_s_handler
    csrw stvec, t0
    MIE_OFF
    csrw mie, zero
    csrw mip, zero
    csrw mideleg, zero
    LOG_RESET

    /* ---- the CSRs ---- */
    /* mideleg: the S-level bits are delegable, the M-level ones are not */
    TEST_CASE(1, a0, SSIP | STIP | SEIP, li a1, -1; csrw mideleg, a1; csrr a0, mideleg; li t1, 0xaaa; and a0, a0, t1; csrw mideleg, zero)
    /* M can set the S-level pending bits (M-level ones are left out:
     * a CLINT may hold MTIP) */
    TEST_CASE(2, a0, SSIP | STIP | SEIP, li a1, SSIP | STIP | SEIP; csrs mip, a1; csrr a0, mip; li t1, 0x222; and a0, a0, t1)
    TEST_CASE(3, a0, 0, csrc mip, a1; csrr a0, mip; li t1, 0x222; and a0, a0, t1)
    TEST_CASE(4, a0, SSIP | STIP | SEIP, li a1, SSIP | STIP | SEIP; csrs mie, a1; csrr a0, mie; li t1, 0x222; and a0, a0, t1; csrw mie, zero)
    /* sip/sie show only delegated bits */
    TEST_CASE(5, a0, 0, li a1, SSIP | STIP; csrs mip, a1; csrr a0, sip)
    TEST_CASE(6, a0, SSIP, li a1, SSIP; csrw mideleg, a1; csrr a0, sip)
    TEST_CASE(7, a0, STIP | SSIP, li a1, STIP | SSIP; csrw mideleg, a1; csrr a0, sip)
    TEST_CASE(8, a0, SSIP, li a1, SSIP | STIP; csrw mideleg, SSIP; csrw sie, a1; csrr a0, sie)
    TEST_CASE(9, a0, SSIP, csrr a0, mie)
    /* S can clear SSIP through sip when delegated */
    TEST_CASE(10, a0, STIP, csrc sip, SSIP; csrr a0, mip; li t1, 0x222; and a0, a0, t1)
    csrw mip, zero
    csrw mie, zero
    csrw mideleg, zero

    /* ---- M-level handling: the global enable, epc ---- */
    li TNUM, 20
    li t0, SSIP
    csrs mie, t0
    csrs mip, t0                /* pending and enabled, but MIE = 0 */
    nop
    nop
    CHECK_LOG_COUNT(0)
    li TNUM, 21
    MIE_ON
irq_next_21:
    nop                         /* taken before this instruction */
    MIE_OFF
    CHECK_LOG_COUNT(1)
    CHECK_LOG(0, IRQ_SSI)
    LAST_IRQ
    CHECK_REG(TRAP_CAUSE, CAUSE_INTR | IRQ_SSI)
    la TEST_EXP, irq_next_21
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    /* on entry MPIE kept the old MIE, MIE was cleared, MPP = M */
    li TNUM, 22
    li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
    and a0, TRAP_STATUS, t0
    CHECK_REG(a0, MSTATUS_MPIE | MSTATUS_MPP)
    /* mstatus.SIE does not gate M-level interrupts */
    li TNUM, 23
    LOG_RESET
    li t0, MSTATUS_SIE
    csrs mstatus, t0
    li t0, SSIP
    csrs mip, t0
    nop
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    CHECK_LOG_COUNT(0)
    MIE_ON
    nop
    MIE_OFF
    CHECK_LOG_COUNT(1)

    /* ---- priority: SEI, then SSI, then STI. QEMU 7.2 (without AIA)
     * takes the lowest-numbered pending interrupt first: that order is
     * accepted on QEMU only. ---- */
    TEST_ON_QEMU(s3)
    li TNUM, 30
    LOG_RESET
    li t0, SSIP | STIP | SEIP
    csrw mie, t0
    li t0, STIP
    csrs mip, t0
    li t0, SSIP
    csrs mip, t0
    li t0, SEIP
    csrs mip, t0
    MIE_ON
    nop
    MIE_OFF
    CHECK_LOG_COUNT(3)
    bnez s3, 1f
    CHECK_LOG(0, IRQ_SEI)
    CHECK_LOG(1, IRQ_SSI)
    CHECK_LOG(2, IRQ_STI)
    j 2f
1:  CHECK_LOG(0, IRQ_SSI)       /* QEMU 7.2: lowest number first */
    CHECK_LOG(1, IRQ_STI)
    CHECK_LOG(2, IRQ_SEI)
2:
    /* an interrupt not enabled in mie stays pending, not taken */
    li TNUM, 31
    LOG_RESET
    li t0, SSIP
    csrw mie, t0
    li t0, STIP
    csrs mip, t0
    MIE_ON
    nop
    MIE_OFF
    CHECK_LOG_COUNT(0)
    csrw mip, zero
    csrw mie, zero

    /* ---- wfi returns when an enabled interrupt is pending, even with
     * MIE clear (and then nothing is taken) ---- */
    li TNUM, 40
    LOG_RESET
    li t0, SSIP
    csrw mie, t0
    csrs mip, t0
    wfi
    CHECK_LOG_COUNT(0)
    MIE_ON
    nop
    MIE_OFF
    CHECK_LOG_COUNT(1)
    csrw mie, zero

    /* ---- delegation: a delegated interrupt is never taken in M ---- */
    li TNUM, 50
    LOG_RESET
    li t0, SSIP | STIP | SEIP
    csrw mideleg, t0
    csrw mie, t0
    li t0, SSIP
    csrs mip, t0
    MIE_ON
    nop
    nop
    MIE_OFF
    CHECK_LOG_COUNT(0)
    /* in S with SIE set it is taken there; scause has the interrupt bit */
    li TNUM, 51
    li t0, MSTATUS_SIE
    csrs mstatus, t0
    GOTO_MODE(MPP_S)
irq_next_51:
    nop
    BACK_TO_M
    CHECK_LOG_COUNT(1)
    CHECK_LOG(0, 0x100 + IRQ_SSI)
    LAST_IRQ
    CHECK_REG(TRAP_CAUSE, CAUSE_INTR | IRQ_SSI)
    la TEST_EXP, irq_next_51
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    /* in S with SIE clear it waits; wfi in S still returns */
    li TNUM, 52
    LOG_RESET
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    li t0, SSIP | STIP | SEIP
    csrw mie, t0
    li t0, STIP
    csrs mip, t0
    GOTO_MODE(MPP_S)
    nop
    wfi
    csrr a0, sip
    BACK_TO_M
    CHECK_LOG_COUNT(0)
    CHECK_REG(a0, STIP)
    /* in U, S-level interrupts are taken whatever SIE says */
    li TNUM, 53
    GOTO_MODE(MPP_U)
irq_next_53:
    nop
    BACK_TO_M
    CHECK_LOG_COUNT(1)
    CHECK_LOG(0, 0x100 + IRQ_STI)
    LAST_IRQ
    la TEST_EXP, irq_next_53
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    /* the S handler saw SPP = U */
    li TNUM, 54
    andi a0, TRAP_STATUS, MSTATUS_SPP
    CHECK_REG(a0, 0)
    li t0, STIP
    csrc mip, t0
    /* S raises its own software interrupt through sip */
    li TNUM, 55
    LOG_RESET
    li t0, SSIP | STIP | SEIP
    csrw mie, t0
    GOTO_MODE(MPP_S)
    li t0, SSIP
    csrs sip, t0
    nop
    csrr a0, sip
    li t0, MSTATUS_SIE
    csrs sstatus, t0
    nop
    csrc sstatus, t0
    BACK_TO_M
    CHECK_REG(a0, SSIP)
    CHECK_LOG_COUNT(1)
    CHECK_LOG(0, 0x100 + IRQ_SSI)
    /* priority holds for S-level delivery too */
    li TNUM, 56
    LOG_RESET
    li t0, SSIP | STIP | SEIP
    csrw mie, t0
    csrs mip, t0
    GOTO_MODE(MPP_U)
    nop
    BACK_TO_M
    CHECK_LOG_COUNT(3)
    bnez s3, 1f
    CHECK_LOG(0, 0x100 + IRQ_SEI)
    CHECK_LOG(1, 0x100 + IRQ_SSI)
    CHECK_LOG(2, 0x100 + IRQ_STI)
    j 2f
1:  CHECK_LOG(0, 0x100 + IRQ_SSI)
    CHECK_LOG(1, 0x100 + IRQ_STI)
    CHECK_LOG(2, 0x100 + IRQ_SEI)
2:
    csrw mip, zero

    /* ---- an interrupt that is not delegated, pending while in S, goes
     * to M even with MIE clear ---- */
    li TNUM, 60
    LOG_RESET
    MIE_OFF                     /* (the last mret may have set it) */
    csrw mideleg, zero
    li t0, SSIP
    csrw mie, t0
    csrs mip, t0
    GOTO_MODE(MPP_S)
irq_next_60:
    nop
    BACK_TO_M
    CHECK_LOG_COUNT(1)
    CHECK_LOG(0, IRQ_SSI)
    LAST_IRQ
    la TEST_EXP, irq_next_60
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    li TNUM, 61
    li t0, MSTATUS_MPP
    and a0, TRAP_STATUS, t0
    CHECK_REG(a0, MPP_S)
    csrw mie, zero

    /* ---- vectored mtvec: interrupt i at base + 4 * i, exceptions at base ---- */
    li TNUM, 70
    LOG_RESET
    la t0, mvec_table
    ori t0, t0, 1
    csrw mtvec, t0
    csrr a0, mtvec
    TEST_FAIL_IF_NE(a0, t0)
    li TNUM, 71
    li t0, SSIP | STIP
    csrw mie, t0
    li t0, STIP
    csrs mip, t0
    MIE_ON
    nop
    MIE_OFF
    li t0, SSIP
    csrs mip, t0
    MIE_ON
    nop
    MIE_OFF
    CHECK_LOG_COUNT(2)
    CHECK_LOG(0, 0x200 + IRQ_STI)
    CHECK_LOG(1, 0x200 + IRQ_SSI)
    csrw mie, zero
    TEST_TRAP(72, CAUSE_ECALL_M, ecall)
    la t0, irq_m_handler
    csrw mtvec, t0

    /* ---- vectored stvec ---- */
    li TNUM, 80
    LOG_RESET
    la t0, svec_table
    ori t0, t0, 1
    csrw stvec, t0
    li t0, SSIP | STIP | SEIP
    csrw mideleg, t0
    li t0, SEIP
    csrw mie, t0
    csrs mip, t0
    GOTO_MODE(MPP_U)
    nop
    TEST_TRAP(81, CAUSE_ECALL_U, ecall)   /* exceptions stay at M (not delegated) */
    CHECK_LOG_COUNT(1)
    CHECK_LOG(0, 0x300 + IRQ_SEI)
    csrw mip, zero
    csrw mie, zero
    csrw mideleg, zero
    la t0, irq_s_handler
    csrw stvec, t0

    /* leave the catch-all handlers for the exit path */
    la t0, rt_catch_m
    csrw mtvec, t0
TEST_END

/* ---- handlers ---- */
    .align 2
/* The handlers of M and S differ only in their CSRs and what they clear. */

/* irq_last = cause (in t6), epc, status; t6 = the cause's code */
#define KEEP_LAST(epc, status)                      \
    la t5, irq_last;                                \
    sd t6, 0(t5);                                   \
    csrr t6, epc;                                   \
    sd t6, 8(t5);                                   \
    csrr t6, status;                                \
    sd t6, 16(t5);                                  \
    ld t6, 0(t5);                                   \
    slli t6, t6, 1;                                 \
    srli t6, t6, 1

/* append t6 to irq_log; t5 = the bit of the interrupt in mip/sip */
#define LOG_AND_MASK                                \
    la t5, irq_log;                                 \
    slli TEST_EXP, s2, 3;                           \
    add t5, t5, TEST_EXP;                           \
    sd t6, 0(t5);                                   \
    addi s2, s2, 1;                                 \
    andi t6, t6, 0xff;                              \
    li t5, 1;                                       \
    sll t5, t5, t6

irq_m_handler:
    csrr t6, mcause
    bltz t6, 1f
    j rt_catch_m                /* exceptions: the usual catcher */
1:
    KEEP_LAST(mepc, mstatus)
irq_m_log:
    LOG_AND_MASK
    csrc mip, t5                /* consume the request */
    mret

    .align 2
irq_s_handler:
    csrr t6, scause
    bltz t6, 1f
    j rt_catch_s
1:
    KEEP_LAST(sepc, sstatus)
    ori t6, t6, 0x100
irq_s_log:
    LOG_AND_MASK
    csrc sie, t5                /* S cannot clear STIP/SEIP: mask it */
    csrc sip, t5                /* (clears SSIP) */
    sret

/* vectored entries: a0..a1 untouched, cause code in t6 */
#define VEC_M(code) li t6, 0x200 + code; j irq_m_log
#define VEC_S(code) li t6, 0x300 + code; j irq_s_log
    .align 8
mvec_table:
    j irq_m_handler             /* 0: exceptions */
    j mvec_ssi                  /* 1 */
    j test_fail_vec
    j test_fail_vec
    j test_fail_vec
    j mvec_sti                  /* 5 */
    .rept 10
    j test_fail_vec
    .endr
mvec_ssi:
    VEC_M(IRQ_SSI)
mvec_sti:
    VEC_M(IRQ_STI)

    .align 8
svec_table:
    j irq_s_handler             /* 0: exceptions */
    .rept 8
    j test_fail_vec
    .endr
    j svec_sei                  /* 9 */
    .rept 6
    j test_fail_vec
    .endr
svec_sei:
    VEC_S(IRQ_SEI)

test_fail_vec:
    j test_fail

    .bss
    .align 3
irq_last:
    .skip 3 * 8
irq_log:
    .skip 64 * 8
