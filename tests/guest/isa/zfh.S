/* Zfh and Zfhmin: arithmetic with its flags (exact, inexact, overflow),
 * sqrt and fma, conversions to and from S, D and integers (subnormals,
 * overflow), NaN-boxing (a badly boxed half reads as the canonical NaN),
 * fmv.x.h sign extension, fclass.h, flh/fsh, comparisons. The random
 * streams of the diff tier cover the rest against QEMU.
 *
 * run-isa rewind: -cpu rv64,zfh=on
 * run-isa qemu: -cpu rv64,Zfh=on
 */
#include "test.h"

    .option norvc
    .option arch, +zfh

#define BOX_H 0xffffffffffff0000
/* fr = the half `bits`, NaN-boxed */
#define FP_LOAD_H(fr, bits) li t0, BOX_H | (bits); fmv.d.x fr, t0
/* fa3 must hold the half `result`, NaN-boxed, with fflags `flags` */
#define CHECK_H(flags, result)                      \
    fmv.x.d a3, fa3;                                \
    li TEST_EXP, BOX_H | (result);                  \
    TEST_FAIL_IF_NE(a3, TEST_EXP);                  \
    TEST_FP_FLAGS(flags)
#define OP2_H(n, inst, flags, result, v1, v2)       \
    li TNUM, n; FP_LOAD_H(fa0, v1); FP_LOAD_H(fa1, v2); fsflags zero; \
    inst fa3, fa0, fa1; CHECK_H(flags, result)

TEST_BEGIN
    OP2_H(1, fadd.h, 0, 0x4000, 0x3c00, 0x3c00)              /* 1 + 1 = 2 */
    OP2_H(2, fdiv.h, FF_NX, 0x3555, 0x3c00, 0x4200)          /* 1 / 3 */
    OP2_H(3, fmul.h, FF_OF | FF_NX, 0x7c00, 0x7bff, 0x4000)  /* max * 2: inf */
    OP2_H(4, fsub.h, 0, 0x8000, 0x8000, 0x0000)              /* -0 - 0 = -0 */
    OP2_H(5, fmul.h, FF_UF | FF_NX, 0x0000, 0x0001, 0x3800)  /* min subnormal / 2 */
    OP2_H(6, fdiv.h, FF_DZ, 0x7c00, 0x3c00, 0x0000)          /* 1 / 0 */
    OP2_H(7, fadd.h, FF_NV, 0x7e00, 0x7c00, 0xfc00)          /* inf - inf */
    OP2_H(8, fmin.h, 0, 0xbc00, 0x3c00, 0xbc00)
    OP2_H(9, fmax.h, FF_NV, 0x3c00, 0x7d00, 0x3c00)          /* sNaN: NV */
    OP2_H(10, fsgnjn.h, 0, 0xbc00, 0x3c00, 0x3c00)
    /* sqrt(2), rounded to nearest */
    TEST_CASE(11, a0, 0, FP_LOAD_H(fa0, 0x4000); fsflags zero; fsqrt.h fa3, fa0; li a0, 0)
    CHECK_H(FF_NX, 0x3da8)
    /* fma: 2 * 3 + 1 = 7 */
    li TNUM, 12
    FP_LOAD_H(fa0, 0x4000); FP_LOAD_H(fa1, 0x4200); FP_LOAD_H(fa2, 0x3c00); fsflags zero
    fmadd.h fa3, fa0, fa1, fa2
    CHECK_H(0, 0x4700)
    /* a half that is not NaN-boxed reads as the canonical NaN */
    li TNUM, 13
    li t0, 0x3c00; fmv.d.x fa0, t0; FP_LOAD_H(fa1, 0x3c00); fsflags zero
    fadd.h fa3, fa0, fa1
    CHECK_H(0, 0x7e00)
    /* conversions with S and D */
    li TNUM, 14
    li t0, 0x477ff000; fmv.w.x fa0, t0; fsflags zero   /* 65520.0f */
    fcvt.h.s fa3, fa0, rne
    CHECK_H(FF_OF | FF_NX, 0x7c00)
    li TNUM, 15
    li t0, 0x477ff000; fmv.w.x fa0, t0; fsflags zero
    fcvt.h.s fa3, fa0, rtz        /* 65504 unbounded: no overflow */
    CHECK_H(FF_NX, 0x7bff)
    TEST_CASE(16, a0, 0xffffffff33800000, FP_LOAD_H(fa0, 0x0001); fcvt.s.h fa3, fa0; fmv.x.d a0, fa3)
    TEST_CASE(17, a0, 0xc001800000000000, FP_LOAD_H(fa0, 0xc060); fcvt.d.h fa3, fa0; fmv.x.d a0, fa3)
    li TNUM, 18
    li t0, 0x3fd5555555555555; fmv.d.x fa0, t0; fsflags zero   /* 1/3 */
    fcvt.h.d fa3, fa0, rup
    CHECK_H(FF_NX, 0x3556)
    /* integers */
    TEST_CASE(19, a0, 65504, FP_LOAD_H(fa0, 0x7bff); fcvt.w.h a0, fa0, rtz)
    TEST_CASE(20, a0, -3, FP_LOAD_H(fa0, 0xc060); fcvt.l.h a0, fa0, rdn) /* -2.1875 */
    TEST_CASE(21, a0, 0, FP_LOAD_H(fa0, 0xbc00); fsflags zero; fcvt.wu.h a0, fa0, rtz; frflags a1; li t1, FF_NV; bne a1, t1, test_fail)
    li TNUM, 22
    li a1, 100000; fsflags zero
    fcvt.h.w fa3, a1, rne
    CHECK_H(FF_OF | FF_NX, 0x7c00)
    li TNUM, 23
    li a1, -3; fsflags zero
    fcvt.h.l fa3, a1, rne
    CHECK_H(0, 0xc200)
    /* moves, classification, comparisons */
    TEST_CASE(24, a0, 0xffffffffffff8000, FP_LOAD_H(fa0, 0x8000); fmv.x.h a0, fa0)
    TEST_CASE(25, a0, 0xffffffffffff1234, li a1, 0x51234; fmv.h.x fa0, a1; fmv.x.d a0, fa0)
    TEST_CASE(26, a0, 1 << 7, FP_LOAD_H(fa0, 0x7c00); fclass.h a0, fa0)
    TEST_CASE(27, a0, 1 << 8, FP_LOAD_H(fa0, 0x7d00); fclass.h a0, fa0)
    TEST_CASE(28, a0, 1 << 5, FP_LOAD_H(fa0, 0x0001); fclass.h a0, fa0)
    TEST_CASE(29, a0, 1, FP_LOAD_H(fa0, 0xbc00); FP_LOAD_H(fa1, 0x3c00); flt.h a0, fa0, fa1)
    TEST_CASE(30, a0, 1, FP_LOAD_H(fa0, 0x0000); FP_LOAD_H(fa1, 0x8000); feq.h a0, fa0, fa1)
    /* flh / fsh: 16 bits, boxed on load */
    TEST_CASE(31, a0, 0xffffffffffffabcd, la a1, hbuf; flh fa0, 2(a1); fmv.x.d a0, fa0)
    TEST_CASE(32, a0, 0xabcd5678, la a1, hbuf; FP_LOAD_H(fa0, 0x5678); fsh fa0, 0(a1); lwu a0, 0(a1))
TEST_END

    .data
    .align 3
hbuf: .half 0x1111, 0xabcd, 0, 0
