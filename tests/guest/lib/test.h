/* Assembly helpers for rewind's self-checking ISA test programs.
 *
 * A test program is one .S file:
 *
 *     #include "test.h"
 *     TEST_BEGIN
 *         TEST_RR_OP(1, add, 3, 1, 2)
 *         ...
 *     TEST_END
 *
 * TEST_BEGIN defines main() (called in M-mode by crt.S with the FPU on and
 * PMP open to S/U) and installs the trap catchers. TEST_END exits 0.
 * A failing check exits with the test number as exit code (clamped to
 * 1..254, the real number is printed); an unexpected trap exits 255.
 *
 * Register conventions (tests must not use these for anything else):
 *   s11 (x27) TNUM         number of the check being run
 *   s10 (x26) TRAP_RESUME  where the next trap resumes (0: unexpected)
 *   s9  (x25) TRAP_CAUSE   cause of the last caught trap
 *   s8  (x24) TRAP_EPC     epc of the last caught trap
 *   s7  (x23) TRAP_TVAL    tval of the last caught trap
 *   s6  (x22) TEST_EXP     expected value of the current check
 *   s5  (x21) TRAP_STATUS  mstatus (sstatus) as the last caught trap left it
 * Caught traps resume in the mode that took them (M for the M catcher,
 * S for the S catcher) at TRAP_RESUME, which is then reset to 0.
 * The macros use the local labels 1111, 2222, 3333, 4444, 5555, 5556,
 * 6666, 7771, 7772, 8881-8883: tests should pick other numbers.
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#define TNUM        s11
#define TRAP_RESUME s10
#define TRAP_CAUSE  s9
#define TRAP_EPC    s8
#define TRAP_TVAL   s7
#define TEST_EXP    s6
#define TRAP_STATUS s5

/* ---- CSR bits used by the tests ---- */
#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U          8
#define CAUSE_ECALL_S          9
#define CAUSE_ECALL_M          11
#define CAUSE_FETCH_PAGE       12
#define CAUSE_LOAD_PAGE        13
#define CAUSE_STORE_PAGE       15
#define CAUSE_INTR             (1 << 63)

#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define IRQ_SEI 9
#define IRQ_MEI 11

/* fflags bits */
#define FF_NX 0x01
#define FF_UF 0x02
#define FF_OF 0x04
#define FF_DZ 0x08
#define FF_NV 0x10

/* rounding modes */
#define RM_RNE 0
#define RM_RTZ 1
#define RM_RDN 2
#define RM_RUP 3
#define RM_RMM 4
#define RM_DYN 7

/* ---- program frame ---- */

#define TEST_BEGIN                                  \
    .text;                                          \
    .globl main;                                    \
    .align 2;                                       \
main:                                               \
    li TNUM, 0;                                     \
    li TRAP_RESUME, 0;                              \
    la t0, rt_catch_m;                              \
    csrw mtvec, t0;                                 \
    la t0, rt_catch_s;                              \
    csrw stvec, t0;

#define TEST_END                                    \
    li a0, 0;                                       \
    j exit;                                         \
test_fail:                                          \
    mv a0, TNUM;                                    \
    j rt_test_fail;

/* Branch to the failure path (a plain branch has too little reach). */
#define TEST_FAIL_IF_NE(a, b) \
    beq a, b, 1111f; j test_fail; 1111:
#define TEST_FAIL_IF_EQ(a, b) \
    bne a, b, 1111f; j test_fail; 1111:

/* Check that reg holds value. */
#define CHECK_REG(reg, value) li TEST_EXP, value; TEST_FAIL_IF_NE(reg, TEST_EXP)

/* Generic check: run code, then compare reg with the expected value. */
#define TEST_CASE(n, reg, expected, ...)            \
    li TNUM, n;                                     \
    __VA_ARGS__;                                    \
    li TEST_EXP, expected;                          \
    TEST_FAIL_IF_NE(reg, TEST_EXP)

/* ---- integer operations ---- */

#define TEST_RR_OP(n, inst, result, v1, v2)         \
    TEST_CASE(n, a3, result, li a1, v1; li a2, v2; inst a3, a1, a2)

/* rd is also rs1 / rs2 / both sources the same register */
#define TEST_RR_SRC1_DEST(n, inst, result, v1, v2)  \
    TEST_CASE(n, a1, result, li a1, v1; li a2, v2; inst a1, a1, a2)
#define TEST_RR_SRC2_DEST(n, inst, result, v1, v2)  \
    TEST_CASE(n, a2, result, li a1, v1; li a2, v2; inst a2, a1, a2)
#define TEST_RR_SAME_SRC(n, inst, result, v1)       \
    TEST_CASE(n, a3, result, li a1, v1; inst a3, a1, a1)
/* x0 as destination must stay zero */
#define TEST_RR_ZERO_DEST(n, inst, v1, v2)          \
    TEST_CASE(n, x0, 0, li a1, v1; li a2, v2; inst x0, a1, a2)
#define TEST_RR_ZERO_SRC1(n, inst, result, v2)      \
    TEST_CASE(n, a3, result, li a2, v2; inst a3, x0, a2)

#define TEST_IMM_OP(n, inst, result, v1, imm)       \
    TEST_CASE(n, a3, result, li a1, v1; inst a3, a1, imm)
#define TEST_IMM_SRC1_DEST(n, inst, result, v1, imm) \
    TEST_CASE(n, a1, result, li a1, v1; inst a1, a1, imm)

/* ---- loads and stores (base is a label in .data) ---- */

#define TEST_LD(n, inst, result, offset, base)      \
    TEST_CASE(n, a3, result, la a1, base; inst a3, offset(a1))

/* store value with st, read it back with ld */
#define TEST_ST(n, ld, st, result, value, offset, base) \
    TEST_CASE(n, a3, result, la a1, base; li a2, value; \
              st a2, offset(a1); ld a3, offset(a1))

/* ---- branches ---- */

#define TEST_BR_TAKEN(n, inst, v1, v2)              \
    li TNUM, n;                                     \
    li a1, v1;                                      \
    li a2, v2;                                      \
    inst a1, a2, 2222f;                             \
    j test_fail;                                    \
2222:

#define TEST_BR_NOT_TAKEN(n, inst, v1, v2)          \
    li TNUM, n;                                     \
    li a1, v1;                                      \
    li a2, v2;                                      \
    inst a1, a2, 3333f;                             \
    j 4444f;                                        \
3333:                                               \
    j test_fail;                                    \
4444:

/* ---- traps ---- */

/* Run code that must trap (into M, caught by rt_catch_m) with the given
 * cause; execution resumes after the macro in M-mode. */
#define TEST_TRAP(n, cause, ...)                    \
    li TNUM, n;                                     \
    la TRAP_RESUME, 5555f;                          \
    __VA_ARGS__;                                    \
    j test_fail;                                    \
5555:                                               \
    li TEST_EXP, cause;                             \
    TEST_FAIL_IF_NE(TRAP_CAUSE, TEST_EXP)

/* Check the tval / epc of the last caught trap. */
#define TEST_TRAP_TVAL(expected)                    \
    li TEST_EXP, expected;                          \
    TEST_FAIL_IF_NE(TRAP_TVAL, TEST_EXP)
#define TEST_TRAP_TVAL_LABEL(label)                 \
    la TEST_EXP, label;                             \
    TEST_FAIL_IF_NE(TRAP_TVAL, TEST_EXP)
#define TEST_TRAP_EPC_LABEL(label)                  \
    la TEST_EXP, label;                             \
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)

/* Run code that must trap into M with any cause (checked by the caller). */
#define TEST_TRAP_ANY(n, ...)                       \
    li TNUM, n;                                     \
    la TRAP_RESUME, 5556f;                          \
    __VA_ARGS__;                                    \
    j test_fail;                                    \
5556:

/* reg = 1 when running on QEMU (mvendorid 0, marchid = mimpid = QEMU's
 * version), else 0. Used only to accept QEMU's known deviations from the
 * spec; every other machine must follow the spec. Clobbers TEST_EXP. */
#define TEST_ON_QEMU(reg)                           \
    csrr reg, mvendorid;                            \
    bnez reg, 7771f;                                \
    csrr reg, marchid;                              \
    beqz reg, 7771f;                                \
    csrr TEST_EXP, mimpid;                          \
    bne reg, TEST_EXP, 7771f;                       \
    li reg, 1;                                      \
    j 7772f;                                        \
7771:                                               \
    li reg, 0;                                      \
7772:

/* ---- privilege mode switches ----
 * The mode tests (traps, pmp, mmu, interrupts, counters, cbo, sstc,
 * triggers) leave M for S or U and come back: these keep them alike. */

/* MPP values for GOTO_MODE */
#define MPP_U 0
#define MPP_S MSTATUS_MPP_S

/* Continue at the next instruction in the given mode (from M). */
#define GOTO_MODE(mpp)                              \
    li t0, MSTATUS_MPP;                             \
    csrc mstatus, t0;                               \
    li t0, mpp;                                     \
    csrs mstatus, t0;                               \
    la t0, 8881f;                                   \
    csrw mepc, t0;                                  \
    mret;                                           \
8881:

/* Back to M from S or U through an ecall that M catches. */
#define BACK_TO_M                                   \
    la TRAP_RESUME, 8882f;                          \
    ecall;                                          \
8882:

/* Run code in the given mode (entered from M) that must trap into M with
 * the given cause; execution resumes after the macro in M-mode. */
#define TEST_TRAP_IN(mpp, n, cause, ...)            \
    GOTO_MODE(mpp);                                 \
    TEST_TRAP(n, cause, __VA_ARGS__)

/* From S, continue at the next instruction in U (sret with SPP=0). */
#define S_GOTO_U                                    \
    li t0, MSTATUS_SPP;                             \
    csrc sstatus, t0;                               \
    la t0, 8883f;                                   \
    csrw sepc, t0;                                  \
    sret;                                           \
8883:

/* Run code that must not trap. */
#define TEST_NO_TRAP(n, ...)                        \
    li TNUM, n;                                     \
    __VA_ARGS__;

/* ---- floating point ----
 * Operands and expected results are raw bit patterns, so special values
 * (NaNs, infinities, subnormals) are written exactly. The fflags
 * accumulated by the instruction are checked too. */

#define TEST_FP_FLAGS(flags)                        \
    frflags t1;                                     \
    li TEST_EXP, flags;                             \
    TEST_FAIL_IF_NE(t1, TEST_EXP)

/* single precision: fa0/fa1/fa2 from 32-bit patterns, NaN-boxed */
#define FP_LOAD_S(fr, bits) li t0, bits; fmv.w.x fr, t0
#define FP_LOAD_D(fr, bits) li t0, bits; fmv.d.x fr, t0

/* A single-precision result must be NaN-boxed: the whole 64-bit register
 * is compared (upper half all ones). */
#define TEST_FP_S_CHECK(flags, result)              \
    fmv.x.d a3, fa3;                                \
    li TEST_EXP, result;                            \
    li t2, 0xffffffff00000000;                      \
    or TEST_EXP, TEST_EXP, t2;                      \
    TEST_FAIL_IF_NE(a3, TEST_EXP);                  \
    TEST_FP_FLAGS(flags)

#define TEST_FP_D_CHECK(flags, result)              \
    fmv.x.d a3, fa3;                                \
    li TEST_EXP, result;                            \
    TEST_FAIL_IF_NE(a3, TEST_EXP);                  \
    TEST_FP_FLAGS(flags)

/* Operations: fa3 = inst(fa0[, fa1[, fa2]]); X is S or D. The _RM forms
 * take a static rounding mode, the _DYN forms set frm first and use the
 * dynamic mode. */
#define TEST_FP_OP1_X(X, n, inst, flags, result, v1, ...) \
    li TNUM, n; FP_LOAD_##X(fa0, v1); fsflags zero; \
    inst fa3, fa0 __VA_OPT__(,) __VA_ARGS__; TEST_FP_##X##_CHECK(flags, result)
#define TEST_FP_OP2_X(X, n, inst, flags, result, v1, v2, ...) \
    li TNUM, n; FP_LOAD_##X(fa0, v1); FP_LOAD_##X(fa1, v2); fsflags zero; \
    inst fa3, fa0, fa1 __VA_OPT__(,) __VA_ARGS__; TEST_FP_##X##_CHECK(flags, result)
#define TEST_FP_OP3_X(X, n, inst, flags, result, v1, v2, v3, ...) \
    li TNUM, n; FP_LOAD_##X(fa0, v1); FP_LOAD_##X(fa1, v2); FP_LOAD_##X(fa2, v3); \
    fsflags zero; inst fa3, fa0, fa1, fa2 __VA_OPT__(,) __VA_ARGS__; \
    TEST_FP_##X##_CHECK(flags, result)
#define TEST_FP_OP2_X_DYN(X, n, inst, frm, flags, result, v1, v2) \
    li TNUM, n; FP_LOAD_##X(fa0, v1); FP_LOAD_##X(fa1, v2); fsflags zero; \
    fsrmi frm; inst fa3, fa0, fa1; fsrmi 0; TEST_FP_##X##_CHECK(flags, result)

#define TEST_FP_OP1_S(n, inst, flags, result, v1) \
    TEST_FP_OP1_X(S, n, inst, flags, result, v1)
#define TEST_FP_OP2_S(n, inst, flags, result, v1, v2) \
    TEST_FP_OP2_X(S, n, inst, flags, result, v1, v2)
#define TEST_FP_OP3_S(n, inst, flags, result, v1, v2, v3) \
    TEST_FP_OP3_X(S, n, inst, flags, result, v1, v2, v3)
#define TEST_FP_OP1_S_RM(n, inst, rm, flags, result, v1) \
    TEST_FP_OP1_X(S, n, inst, flags, result, v1, rm)
#define TEST_FP_OP2_S_RM(n, inst, rm, flags, result, v1, v2) \
    TEST_FP_OP2_X(S, n, inst, flags, result, v1, v2, rm)
#define TEST_FP_OP3_S_RM(n, inst, rm, flags, result, v1, v2, v3) \
    TEST_FP_OP3_X(S, n, inst, flags, result, v1, v2, v3, rm)
#define TEST_FP_OP2_S_DYN(n, inst, frm, flags, result, v1, v2) \
    TEST_FP_OP2_X_DYN(S, n, inst, frm, flags, result, v1, v2)

#define TEST_FP_OP1_D(n, inst, flags, result, v1) \
    TEST_FP_OP1_X(D, n, inst, flags, result, v1)
#define TEST_FP_OP2_D(n, inst, flags, result, v1, v2) \
    TEST_FP_OP2_X(D, n, inst, flags, result, v1, v2)
#define TEST_FP_OP3_D(n, inst, flags, result, v1, v2, v3) \
    TEST_FP_OP3_X(D, n, inst, flags, result, v1, v2, v3)
#define TEST_FP_OP1_D_RM(n, inst, rm, flags, result, v1) \
    TEST_FP_OP1_X(D, n, inst, flags, result, v1, rm)
#define TEST_FP_OP2_D_RM(n, inst, rm, flags, result, v1, v2) \
    TEST_FP_OP2_X(D, n, inst, flags, result, v1, v2, rm)
#define TEST_FP_OP3_D_RM(n, inst, rm, flags, result, v1, v2, v3) \
    TEST_FP_OP3_X(D, n, inst, flags, result, v1, v2, v3, rm)
#define TEST_FP_OP2_D_DYN(n, inst, frm, flags, result, v1, v2) \
    TEST_FP_OP2_X_DYN(D, n, inst, frm, flags, result, v1, v2)

/* FP -> integer register (classify, convert to int; optional rm) */
#define TEST_FP_INT_X(X, n, inst, flags, result, v1, ...) \
    li TNUM, n; FP_LOAD_##X(fa0, v1); fsflags zero; \
    inst a3, fa0 __VA_OPT__(,) __VA_ARGS__;         \
    li TEST_EXP, result; TEST_FAIL_IF_NE(a3, TEST_EXP); TEST_FP_FLAGS(flags)
#define TEST_FP_CMP_X(X, n, inst, flags, result, v1, v2) \
    li TNUM, n; FP_LOAD_##X(fa0, v1); FP_LOAD_##X(fa1, v2); fsflags zero; \
    inst a3, fa0, fa1;                              \
    li TEST_EXP, result; TEST_FAIL_IF_NE(a3, TEST_EXP); TEST_FP_FLAGS(flags)
#define TEST_FP_INT_S(n, inst, flags, result, ...) \
    TEST_FP_INT_X(S, n, inst, flags, result, __VA_ARGS__)
#define TEST_FP_INT_D(n, inst, flags, result, ...) \
    TEST_FP_INT_X(D, n, inst, flags, result, __VA_ARGS__)
#define TEST_FP_CMP_S(n, inst, flags, result, v1, v2) \
    TEST_FP_CMP_X(S, n, inst, flags, result, v1, v2)
#define TEST_FP_CMP_D(n, inst, flags, result, v1, v2) \
    TEST_FP_CMP_X(D, n, inst, flags, result, v1, v2)

/* integer register -> FP (conversions from int; optional rm) */
#define TEST_INT_FP_S(n, inst, flags, result, v1, ...) \
    li TNUM, n; li a1, v1; fsflags zero;            \
    inst fa3, a1 __VA_OPT__(,) __VA_ARGS__; TEST_FP_S_CHECK(flags, result)
#define TEST_INT_FP_D(n, inst, flags, result, v1, ...) \
    li TNUM, n; li a1, v1; fsflags zero;            \
    inst fa3, a1 __VA_OPT__(,) __VA_ARGS__; TEST_FP_D_CHECK(flags, result)

/* conversions between the formats */
#define TEST_FP_CVT_SD(n, rm, flags, result, v1)    \
    li TNUM, n; FP_LOAD_D(fa0, v1); fsflags zero;   \
    fcvt.s.d fa3, fa0, rm; TEST_FP_S_CHECK(flags, result)
#define TEST_FP_CVT_DS(n, flags, result, v1)        \
    li TNUM, n; FP_LOAD_S(fa0, v1); fsflags zero;   \
    fcvt.d.s fa3, fa0; TEST_FP_D_CHECK(flags, result)

#endif
