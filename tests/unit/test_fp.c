/* F and D extensions: handlers called directly on hart 0 of a test machine
 * with hand-built ops. Expected values are worked out from the spec (the
 * comments say how); every table row was also cross-checked against
 * qemu-system-riscv64. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csr.h"
#include "core/machine.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "translator/insn_table.h"
#include "translator/op.h"
#include "translator/ops_fp.h"

#define TPC 0x80000100ULL
#define MTVEC 0x80001000ULL

enum { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 };
enum { RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4, DYN = 7 };

/* A NaN-boxed single. */
#define S(x) (0xffffffff00000000ULL | (uint64_t)(x))

/* Frequently used encodings. */
#define S_ONE 0x3f800000u
#define S_TWO 0x40000000u
#define S_HALF 0x3f000000u
#define S_INF 0x7f800000u
#define S_NINF 0xff800000u
#define S_QNAN 0x7fc00000u
#define S_SNAN 0x7f800001u
#define S_MAX 0x7f7fffffu
#define D_ONE 0x3ff0000000000000ULL
#define D_NONE 0xbff0000000000000ULL
#define D_TWO 0x4000000000000000ULL
#define D_THREE 0x4008000000000000ULL
#define D_HALF 0x3fe0000000000000ULL
#define D_NHALF 0xbfe0000000000000ULL
#define D_INF 0x7ff0000000000000ULL
#define D_NINF 0xfff0000000000000ULL
#define D_QNAN 0x7ff8000000000000ULL
#define D_SNAN 0x7ff0000000000001ULL
#define D_MAX 0x7fefffffffffffffULL
#define D_NZERO 0x8000000000000000ULL

static Machine *tm;
static Hart *th;

static void fp_setup(void)
{
    tm = test_machine_new();
    th = &tm->harts[0];
    th->priv = PRV_M;
    th->csr.mtvec = MTVEC;
    th->csr.medeleg = 0;
    th->csr.mstatus = (uint64_t)FS_INITIAL << MSTATUS_FS_SHIFT;
    th->csr.fflags = 0;
    th->csr.frm = RNE;
}

static void fp_teardown(void)
{
    machine_free(tm);
    tm = NULL;
    th = NULL;
}

/* The instruction-table row of a handler (NULL if there is none). */
static const InsnDesc *fp_row(OpFn fn)
{
    for (unsigned i = 0; i < insn_table_len; i++)
        if (insn_table[i].fn == fn)
            return &insn_table[i];
    return NULL;
}

/* Does rs1 name an integer register (int -> float conversions, fmv.*.x)? */
static bool fp_int_source(const InsnDesc *d)
{
    const char *n = d->name;
    if (!strncmp(n, "fmv.", 4))
        return n[strlen(n) - 1] == 'x';
    if (strncmp(n, "fcvt.", 5))
        return false;
    const char *src = strrchr(n, '.') + 1;
    return strcmp(src, "s") && strcmp(src, "d");
}

/* Run one op as a one-instruction TB at TPC. */
static int fp_run(Op *op)
{
    op->pc = TPC;
    op->len = 4;
    op->idx = 0;
    th->icount = 1;
    return test_exec_op(th, op);
}

/* One handler call: FP sources are f1, f2, f3 (or x11 for an integer
 * source), the result goes to f4 or x10. */
typedef struct FpCase {
    const char *what;
    OpFn fn;
    uint8_t rm;
    uint64_t a, b, c;
    uint64_t expect;
    uint8_t flags;
} FpCase;

#define C(fn, rm, a, b, c, r, fl, what) { what, op_##fn, rm, a, b, c, r, fl }

static const FpCase fp_cases[] = {
    /* ---- rounding of an exact tie, single: 1 + 2^-24 lies halfway
     * between 1.0 (even) and 1 + 2^-23 */
    C(fadd_s, RNE, S(S_ONE), S(0x33800000), 0, S(0x3f800000), NX, "tie rne -> even (down)"),
    C(fadd_s, RTZ, S(S_ONE), S(0x33800000), 0, S(0x3f800000), NX, "tie rtz"),
    C(fadd_s, RDN, S(S_ONE), S(0x33800000), 0, S(0x3f800000), NX, "tie rdn"),
    C(fadd_s, RUP, S(S_ONE), S(0x33800000), 0, S(0x3f800001), NX, "tie rup"),
    C(fadd_s, RMM, S(S_ONE), S(0x33800000), 0, S(0x3f800001), NX, "tie rmm -> away"),
    /* the same tie, negative: -(1 + 2^-24) */
    C(fadd_s, RNE, S(0xbf800000), S(0xb3800000), 0, S(0xbf800000), NX, "neg tie rne"),
    C(fadd_s, RTZ, S(0xbf800000), S(0xb3800000), 0, S(0xbf800000), NX, "neg tie rtz"),
    C(fadd_s, RDN, S(0xbf800000), S(0xb3800000), 0, S(0xbf800001), NX, "neg tie rdn -> -inf side"),
    C(fadd_s, RUP, S(0xbf800000), S(0xb3800000), 0, S(0xbf800000), NX, "neg tie rup"),
    C(fadd_s, RMM, S(0xbf800000), S(0xb3800000), 0, S(0xbf800001), NX, "neg tie rmm -> away"),
    /* (1 + 2^-23) + 2^-24: tie with an odd lower neighbour, RNE goes up */
    C(fadd_s, RNE, S(0x3f800001), S(0x33800000), 0, S(0x3f800002), NX, "odd tie rne -> up"),
    C(fadd_s, RTZ, S(0x3f800001), S(0x33800000), 0, S(0x3f800001), NX, "odd tie rtz"),
    C(fadd_s, RMM, S(0x3f800001), S(0x33800000), 0, S(0x3f800002), NX, "odd tie rmm"),
    /* 1 + 2^-25: below half an ulp */
    C(fadd_s, RNE, S(S_ONE), S(0x33000000), 0, S(0x3f800000), NX, "below half rne"),
    C(fadd_s, RMM, S(S_ONE), S(0x33000000), 0, S(0x3f800000), NX, "below half rmm"),
    C(fadd_s, RUP, S(S_ONE), S(0x33000000), 0, S(0x3f800001), NX, "below half rup"),
    /* double: 1 + 2^-53 is a tie */
    C(fadd_d, RNE, D_ONE, 0x3ca0000000000000ULL, 0, D_ONE, NX, "d tie rne"),
    C(fadd_d, RMM, D_ONE, 0x3ca0000000000000ULL, 0, 0x3ff0000000000001ULL, NX, "d tie rmm"),
    C(fadd_d, RUP, D_ONE, 0x3ca0000000000000ULL, 0, 0x3ff0000000000001ULL, NX, "d tie rup"),
    C(fadd_d, RDN, D_NONE, 0xbca0000000000000ULL, 0, 0xbff0000000000001ULL, NX, "d neg tie rdn"),
    C(fadd_d, RUP, D_NONE, 0xbca0000000000000ULL, 0, D_NONE, NX, "d neg tie rup"),
    C(fadd_d, RMM, D_NONE, 0xbca0000000000000ULL, 0, 0xbff0000000000001ULL, NX, "d neg tie rmm"),
    C(fsub_d, RTZ, D_NONE, 0x3ca0000000000000ULL, 0, D_NONE, NX, "d neg tie rtz (sub)"),
    /* dynamic rounding mode comes from frm (set to RUP by the test) */
    C(fadd_d, DYN, D_ONE, 0x3ca0000000000000ULL, 0, 0x3ff0000000000001ULL, NX, "dyn = frm rup"),

    /* ---- multiplication ties: 3 * (1 + 3*2^-23) = 3 + 4.5 ulp; RNE keeps
     * the even 3 + 4 ulp, RMM goes away to 3 + 5 ulp */
    C(fmul_s, RNE, S(0x40400000), S(0x3f800003), 0, S(0x40400004), NX, "mul tie rne"),
    C(fmul_s, RMM, S(0x40400000), S(0x3f800003), 0, S(0x40400005), NX, "mul tie rmm"),
    C(fmul_s, RMM, S(0xc0400000), S(0x3f800003), 0, S(0xc0400005), NX, "mul neg tie rmm"),
    C(fmul_d, RNE, D_THREE, 0x3ff0000000000003ULL, 0, 0x4008000000000004ULL, NX, "d mul tie rne"),
    C(fmul_d, RMM, D_THREE, 0x3ff0000000000003ULL, 0, 0x4008000000000005ULL, NX, "d mul tie rmm"),
    C(fmadd_s, RMM, S(0x40400000), S(0x3f800003), S(0x80000000), S(0x40400005), NX, "fma tie rmm"),
    C(fmadd_d, RMM, D_THREE, 0x3ff0000000000003ULL, 0, 0x4008000000000005ULL, NX, "d fma tie rmm"),

    /* ---- division: 1/3 = 1.0101..b * 2^-2, remainder 2/3 ulp */
    C(fdiv_s, RNE, S(S_ONE), S(0x40400000), 0, S(0x3eaaaaab), NX, "1/3 rne"),
    C(fdiv_s, RTZ, S(S_ONE), S(0x40400000), 0, S(0x3eaaaaaa), NX, "1/3 rtz"),
    C(fdiv_s, RMM, S(S_ONE), S(0x40400000), 0, S(0x3eaaaaab), NX, "1/3 rmm"),
    C(fdiv_s, RDN, S(0xbf800000), S(0x40400000), 0, S(0xbeaaaaab), NX, "-1/3 rdn"),
    C(fdiv_s, RUP, S(0xbf800000), S(0x40400000), 0, S(0xbeaaaaaa), NX, "-1/3 rup"),
    /* 2/3 = 1.0101..b * 2^-1, remainder 1/3 ulp */
    C(fdiv_d, RNE, D_TWO, D_THREE, 0, 0x3fe5555555555555ULL, NX, "d 2/3 rne"),
    C(fdiv_d, RUP, D_TWO, D_THREE, 0, 0x3fe5555555555556ULL, NX, "d 2/3 rup"),
    /* 5 * 2^-149 / 2 = 2.5 subnormal units: a tie only RMM rounds up */
    C(fdiv_s, RNE, S(0x00000005), S(S_TWO), 0, S(0x00000002), UF | NX, "subnormal div tie rne"),
    C(fdiv_s, RMM, S(0x00000005), S(S_TWO), 0, S(0x00000003), UF | NX, "subnormal div tie rmm"),
    C(fdiv_s, RUP, S(0x00000005), S(S_TWO), 0, S(0x00000003), UF | NX, "subnormal div tie rup"),
    C(fdiv_d, RNE, D_ONE, 0, 0, D_INF, DZ, "1/+0"),
    C(fdiv_d, RNE, D_NONE, 0, 0, D_NINF, DZ, "-1/+0"),
    C(fdiv_d, RNE, D_ONE, D_NZERO, 0, D_NINF, DZ, "1/-0"),
    C(fdiv_d, RNE, 0, 0, 0, D_QNAN, NV, "0/0"),
    C(fdiv_d, RNE, D_INF, D_NINF, 0, D_QNAN, NV, "inf/inf"),
    C(fdiv_d, RNE, D_ONE, D_INF, 0, 0, 0, "1/inf"),
    C(fdiv_s, RNE, S(S_INF), S(0), 0, S(S_INF), 0, "inf/0: no DZ"),

    /* ---- square root */
    C(fsqrt_s, RNE, S(0x40800000), 0, 0, S(S_TWO), 0, "sqrt 4"),
    C(fsqrt_s, RNE, S(S_TWO), 0, 0, S(0x3fb504f3), NX, "sqrt 2 rne"),
    C(fsqrt_s, RUP, S(S_TWO), 0, 0, S(0x3fb504f4), NX, "sqrt 2 rup"),
    C(fsqrt_s, RMM, S(S_TWO), 0, 0, S(0x3fb504f3), NX, "sqrt 2 rmm (never a tie)"),
    C(fsqrt_d, RNE, D_TWO, 0, 0, 0x3ff6a09e667f3bcdULL, NX, "d sqrt 2 rne"),
    C(fsqrt_d, RTZ, D_TWO, 0, 0, 0x3ff6a09e667f3bccULL, NX, "d sqrt 2 rtz"),
    C(fsqrt_d, RMM, D_TWO, 0, 0, 0x3ff6a09e667f3bcdULL, NX, "d sqrt 2 rmm"),
    C(fsqrt_d, RNE, D_NZERO, 0, 0, D_NZERO, 0, "sqrt -0 = -0"),
    C(fsqrt_d, RNE, D_NONE, 0, 0, D_QNAN, NV, "sqrt -1"),
    C(fsqrt_d, RNE, D_NINF, 0, 0, D_QNAN, NV, "sqrt -inf"),
    C(fsqrt_d, RNE, D_INF, 0, 0, D_INF, 0, "sqrt inf"),
    C(fsqrt_d, RMM, 0x0000000000000004ULL, 0, 0, 0x1e70000000000000ULL, 0, "sqrt 2^-1072 = 2^-536 exact"),

    /* ---- overflow: max * 2 -> inf or max finite depending on mode */
    C(fmul_s, RNE, S(S_MAX), S(S_TWO), 0, S(S_INF), OF | NX, "ovf rne"),
    C(fmul_s, RTZ, S(S_MAX), S(S_TWO), 0, S(S_MAX), OF | NX, "ovf rtz"),
    C(fmul_s, RDN, S(S_MAX), S(S_TWO), 0, S(S_MAX), OF | NX, "ovf rdn positive"),
    C(fmul_s, RUP, S(S_MAX), S(S_TWO), 0, S(S_INF), OF | NX, "ovf rup"),
    C(fmul_s, RMM, S(S_MAX), S(S_TWO), 0, S(S_INF), OF | NX, "ovf rmm"),
    C(fmul_s, RNE, S(0xff7fffff), S(S_TWO), 0, S(S_NINF), OF | NX, "neg ovf rne"),
    C(fmul_s, RTZ, S(0xff7fffff), S(S_TWO), 0, S(0xff7fffff), OF | NX, "neg ovf rtz"),
    C(fmul_s, RDN, S(0xff7fffff), S(S_TWO), 0, S(S_NINF), OF | NX, "neg ovf rdn"),
    C(fmul_s, RUP, S(0xff7fffff), S(S_TWO), 0, S(0xff7fffff), OF | NX, "neg ovf rup"),
    C(fmul_s, RMM, S(0xff7fffff), S(S_TWO), 0, S(S_NINF), OF | NX, "neg ovf rmm"),
    C(fmul_d, RNE, D_MAX, D_TWO, 0, D_INF, OF | NX, "d ovf rne"),
    C(fmul_d, RTZ, D_MAX, D_TWO, 0, D_MAX, OF | NX, "d ovf rtz"),
    C(fmul_d, RUP, 0xffefffffffffffffULL, D_TWO, 0, 0xffefffffffffffffULL, OF | NX, "d neg ovf rup"),
    C(fmul_d, RDN, 0xffefffffffffffffULL, D_TWO, 0, D_NINF, OF | NX, "d neg ovf rdn"),
    /* max + 2^103 is exactly half an ulp above max: RNE rounds to the even
     * 2^128, which overflows; RTZ stays at max with NX only */
    C(fadd_s, RNE, S(S_MAX), S(0x73000000), 0, S(S_INF), OF | NX, "max + half ulp rne"),
    C(fadd_s, RMM, S(S_MAX), S(0x73000000), 0, S(S_INF), OF | NX, "max + half ulp rmm"),
    C(fadd_s, RTZ, S(S_MAX), S(0x73000000), 0, S(S_MAX), NX, "max + half ulp rtz"),
    C(fadd_s, RNE, S(S_MAX), S(0x72800000), 0, S(S_MAX), NX, "max + quarter ulp rne"),

    /* ---- underflow */
    C(fmul_s, RNE, S(0x00800000), S(S_HALF), 0, S(0x00400000), 0, "exact subnormal: no UF"),
    C(fmul_s, RNE, S(0x00000001), S(S_HALF), 0, S(0x00000000), UF | NX, "2^-150 rne -> 0"),
    C(fmul_s, RUP, S(0x00000001), S(S_HALF), 0, S(0x00000001), UF | NX, "2^-150 rup"),
    C(fmul_s, RMM, S(0x00000001), S(S_HALF), 0, S(0x00000001), UF | NX, "2^-150 rmm"),
    C(fmul_s, RTZ, S(0x00000001), S(S_HALF), 0, S(0x00000000), UF | NX, "2^-150 rtz"),
    C(fmul_s, RDN, S(0x80000001), S(S_HALF), 0, S(0x80000001), UF | NX, "-2^-150 rdn"),
    C(fmul_s, RUP, S(0x80000001), S(S_HALF), 0, S(0x80000000), UF | NX, "-2^-150 rup -> -0"),
    C(fmul_d, RNE, 0x0010000000000000ULL, D_HALF, 0, 0x0008000000000000ULL, 0, "d exact subnormal"),
    C(fmul_d, RNE, 0x0000000000000001ULL, D_HALF, 0, 0, UF | NX, "d 2^-1075 rne"),
    C(fmul_d, RUP, 0x0000000000000001ULL, D_HALF, 0, 0x0000000000000001ULL, UF | NX, "d 2^-1075 rup"),
    /* 2^-126 - 2^-150 is exact at 24 bits and below 2^-126: tiny; on the
     * subnormal grid it is a tie that rounds to the even 2^-126 */
    C(fmul_s, RNE, S(0x3f7fffff), S(0x00800000), 0, S(0x00800000), UF | NX, "tiny, rounds to min normal"),
    C(fcvt_s_d, RNE, 0x380fffffe0000000ULL, 0, 0, S(0x00800000), UF | NX, "narrow 2^-126-2^-150"),
    /* 2^-126 - 2^-151 rounds to 2^-126 at 24 bits: not tiny after
     * rounding (RISC-V), so no UF */
    C(fcvt_s_d, RNE, 0x380ffffff0000000ULL, 0, 0, S(0x00800000), NX, "tininess after rounding"),
    C(fcvt_s_d, RUP, 0x380ffffff0000000ULL, 0, 0, S(0x00800000), NX, "tininess after rounding rup"),
    C(fcvt_s_d, RTZ, 0x380ffffff0000000ULL, 0, 0, S(0x007fffff), UF | NX, "tiny under rtz"),
    C(fcvt_s_d, RNE, 0x0000000000000001ULL, 0, 0, S(0), UF | NX, "narrow d min subnormal"),
    C(fcvt_s_d, RUP, 0x0000000000000001ULL, 0, 0, S(1), UF | NX, "narrow d min subnormal rup"),

    /* ---- NaNs: every NaN result is the canonical NaN */
    C(fadd_d, RNE, 0x7ff8000000012345ULL, D_ONE, 0, D_QNAN, 0, "qnan payload dropped"),
    C(fadd_d, RNE, 0xfff8000000000000ULL, D_ONE, 0, D_QNAN, 0, "negative qnan -> canonical"),
    C(fadd_d, RNE, D_SNAN, D_ONE, 0, D_QNAN, NV, "snan operand"),
    C(fmul_d, RNE, D_ONE, D_SNAN, 0, D_QNAN, NV, "snan second operand"),
    C(fsub_d, RNE, D_INF, D_INF, 0, D_QNAN, NV, "inf - inf"),
    C(fadd_d, RNE, D_INF, D_INF, 0, D_INF, 0, "inf + inf"),
    C(fmul_d, RNE, 0, D_NINF, 0, D_QNAN, NV, "0 * -inf"),
    C(fadd_s, RNE, S(0xffc00001), S(S_ONE), 0, S(S_QNAN), 0, "s negative qnan"),
    C(fadd_s, RNE, S(S_SNAN), S(S_ONE), 0, S(S_QNAN), NV, "s snan"),
    C(fmul_s, RNE, S(S_INF), S(0), 0, S(S_QNAN), NV, "s inf*0"),

    /* ---- signed zeros of exact results */
    C(fadd_d, RNE, 0, D_NZERO, 0, 0, 0, "+0 + -0"),
    C(fadd_d, RDN, 0, D_NZERO, 0, D_NZERO, 0, "+0 + -0 rdn"),
    C(fadd_d, RNE, D_NZERO, D_NZERO, 0, D_NZERO, 0, "-0 + -0"),
    C(fsub_d, RNE, D_ONE, D_ONE, 0, 0, 0, "1 - 1"),
    C(fsub_d, RDN, D_ONE, D_ONE, 0, D_NZERO, 0, "1 - 1 rdn"),
    C(fmul_d, RNE, D_NONE, 0, 0, D_NZERO, 0, "-1 * 0"),

    /* ---- fused multiply-add */
    C(fmadd_d, RNE, D_TWO, D_THREE, D_ONE, 0x401c000000000000ULL, 0, "2*3+1"),
    C(fmsub_d, RNE, D_TWO, D_THREE, D_ONE, 0x4014000000000000ULL, 0, "2*3-1"),
    C(fnmsub_d, RNE, D_TWO, D_THREE, D_ONE, 0xc014000000000000ULL, 0, "-(2*3)+1"),
    C(fnmadd_d, RNE, D_TWO, D_THREE, D_ONE, 0xc01c000000000000ULL, 0, "-(2*3)-1"),
    /* (1+2^-52)(1-2^-52) - 1 = -2^-104 exactly: a single rounding */
    C(fmadd_d, RNE, 0x3ff0000000000001ULL, 0x3feffffffffffffeULL, D_NONE, 0xb970000000000000ULL, 0, "fused: no intermediate rounding"),
    C(fmadd_s, RNE, S(0x3f800001), S(0x3f7ffffe), S(0xbf800000), S(0xa8800000), 0, "s fused"),
    /* 0 * inf + qNaN: NV although the addend is a quiet NaN */
    C(fmadd_d, RNE, 0, D_INF, D_QNAN, D_QNAN, NV, "0*inf+qnan"),
    C(fmadd_d, RNE, D_NINF, 0, D_QNAN, D_QNAN, NV, "-inf*0+qnan"),
    C(fmadd_s, RNE, S(0), S(S_INF), S(S_QNAN), S(S_QNAN), NV, "s 0*inf+qnan"),
    C(fnmadd_s, RNE, S(S_INF), S(0x80000000), S(0x7fc12345), S(S_QNAN), NV, "s inf*-0+qnan (fnmadd)"),
    C(fmadd_d, RNE, 0, D_INF, D_ONE, D_QNAN, NV, "0*inf+1"),
    C(fmadd_d, RNE, D_QNAN, D_ONE, D_ONE, D_QNAN, 0, "qnan*1+1"),
    C(fmadd_d, RNE, D_ONE, D_ONE, D_SNAN, D_QNAN, NV, "1*1+snan"),
    C(fmadd_d, RNE, D_INF, D_ONE, D_NINF, D_QNAN, NV, "inf*1-inf"),
    C(fmsub_d, RNE, D_INF, D_ONE, D_INF, D_QNAN, NV, "inf*1-inf (fmsub)"),
    C(fmadd_d, RNE, D_INF, D_ONE, D_INF, D_INF, 0, "inf*1+inf"),
    C(fmadd_d, RNE, D_ONE, D_ONE, D_NINF, D_NINF, 0, "1*1-inf"),
    /* exact zero results: +0, or -0 in RDN; -(a*b) negates the product */
    C(fnmadd_d, RNE, D_ONE, D_ONE, D_NONE, 0, 0, "-(1*1)-(-1) = +0"),
    C(fnmadd_d, RDN, D_ONE, D_ONE, D_NONE, D_NZERO, 0, "-(1*1)-(-1) rdn = -0"),
    C(fmsub_d, RNE, D_ONE, D_ONE, D_ONE, 0, 0, "1*1-1 = +0"),
    C(fmsub_d, RDN, D_ONE, D_ONE, D_ONE, D_NZERO, 0, "1*1-1 rdn = -0"),
    C(fnmsub_d, RNE, D_ONE, D_ONE, D_ONE, 0, 0, "-(1*1)+1 = +0"),
    C(fmadd_d, RNE, D_NZERO, D_ONE, D_NZERO, D_NZERO, 0, "-0*1 + -0 = -0"),
    C(fmadd_d, RNE, D_NZERO, D_ONE, 0, 0, 0, "-0*1 + +0 = +0"),
    C(fnmadd_d, RNE, 0, D_ONE, 0, D_NZERO, 0, "-(0*1) - 0 = -0"),
    C(fmadd_d, RNE, 0, D_ONE, D_NONE, D_NONE, 0, "0*1 + -1"),
    /* product underflowing below the addend: only NX */
    C(fmadd_d, RNE, 0x0000000000000001ULL, 0x0000000000000001ULL, D_ONE, D_ONE, NX, "tiny product + 1"),
    C(fmadd_d, RUP, 0x0000000000000001ULL, 0x0000000000000001ULL, D_ONE, 0x3ff0000000000001ULL, NX, "tiny product + 1 rup"),
    C(fmadd_d, RNE, 0x0000000000000001ULL, D_HALF, 0, 0, UF | NX, "fma underflow to 0"),
    C(fmadd_d, RNE, D_MAX, D_TWO, 0xffefffffffffffffULL, D_MAX, 0, "2max - max: no overflow"),

    /* ---- NaN boxing: an improperly boxed single reads as canonical NaN */
    C(fadd_s, RNE, 0x000000003f800000ULL, S(S_ONE), 0, S(S_QNAN), 0, "unboxed operand"),
    C(fadd_s, RNE, 0xfffffffe3f800000ULL, S(S_ONE), 0, S(S_QNAN), 0, "almost boxed operand"),
    C(fsgnj_s, RNE, 0x000000003f800000ULL, S(0xbf800000), 0, S(0xffc00000), 0, "fsgnj unboxed rs1"),
    C(fsgnj_s, RNE, S(S_ONE), 0x00000000bf800000ULL, 0, S(S_ONE), 0, "fsgnj unboxed rs2 is +NaN"),
    C(fsgnjn_s, RNE, S(S_ONE), 0x00000000bf800000ULL, 0, S(0xbf800000), 0, "fsgnjn unboxed rs2"),
    C(fsgnjx_s, RNE, 0x1234567800000000ULL, S(0xbf800000), 0, S(0xffc00000), 0, "fsgnjx unboxed rs1"),
    C(fcvt_d_s, RNE, 0x000000003f800000ULL, 0, 0, D_QNAN, 0, "widen unboxed"),
    C(fcvt_w_s, RNE, 0x000000003f800000ULL, 0, 0, 0x7fffffffULL, NV, "cvt unboxed = NaN"),
    C(fclass_s, RNE, 0x000000003f800000ULL, 0, 0, 0x200, 0, "fclass unboxed = qNaN"),
    C(feq_s, RNE, 0x000000003f800000ULL, 0x000000003f800000ULL, 0, 0, 0, "feq unboxed: quiet"),
    C(flt_s, RNE, 0x000000003f800000ULL, S(S_ONE), 0, 0, NV, "flt unboxed: NV"),
    C(fmin_s, RNE, 0x000000003f800000ULL, S(S_TWO), 0, S(S_TWO), 0, "fmin unboxed -> other"),
    C(fmadd_s, RNE, S(S_ONE), S(S_ONE), 0x3f800000ULL, S(S_QNAN), 0, "fma unboxed addend"),
    /* transfers ignore the box */
    C(fmv_x_w, RNE, 0x1234567887654321ULL, 0, 0, 0xffffffff87654321ULL, 0, "fmv.x.w sign-extends raw bits"),
    C(fmv_x_w, RNE, S(0x7fc00000), 0, 0, 0x7fc00000ULL, 0, "fmv.x.w positive"),
    C(fmv_w_x, RNE, 0x1234567887654321ULL, 0, 0, S(0x87654321), 0, "fmv.w.x boxes"),
    C(fmv_x_d, RNE, 0x0123456789abcdefULL, 0, 0, 0x0123456789abcdefULL, 0, "fmv.x.d"),
    C(fmv_d_x, RNE, 0xfff0000000000001ULL, 0, 0, 0xfff0000000000001ULL, 0, "fmv.d.x keeps snan"),

    /* ---- sign injection (double) */
    C(fsgnj_d, RNE, D_ONE, D_NZERO, 0, D_NONE, 0, "fsgnj.d"),
    C(fsgnjn_d, RNE, D_ONE, D_NZERO, 0, D_ONE, 0, "fsgnjn.d"),
    C(fsgnjx_d, RNE, D_NONE, D_NONE, 0, D_ONE, 0, "fsgnjx.d"),
    C(fsgnj_d, RNE, D_SNAN, D_NONE, 0, 0xfff0000000000001ULL, 0, "fsgnj.d keeps snan, no NV"),
    C(fsgnjx_s, RNE, S(0xbf800000), S(0xc0000000), 0, S(S_ONE), 0, "fsgnjx.s"),

    /* ---- fmin/fmax: -0 < +0, a single NaN is ignored, sNaN raises NV */
    C(fmin_d, RNE, D_NZERO, 0, 0, D_NZERO, 0, "fmin(-0,+0)"),
    C(fmin_d, RNE, 0, D_NZERO, 0, D_NZERO, 0, "fmin(+0,-0)"),
    C(fmax_d, RNE, D_NZERO, 0, 0, 0, 0, "fmax(-0,+0)"),
    C(fmax_d, RNE, 0, D_NZERO, 0, 0, 0, "fmax(+0,-0)"),
    C(fmin_s, RNE, S(0x80000000), S(0), 0, S(0x80000000), 0, "s fmin(-0,+0)"),
    C(fmax_s, RNE, S(0), S(0x80000000), 0, S(0), 0, "s fmax(+0,-0)"),
    C(fmin_d, RNE, D_QNAN, D_ONE, 0, D_ONE, 0, "fmin(qnan,1)"),
    C(fmax_d, RNE, D_ONE, 0x7ff8000000012345ULL, 0, D_ONE, 0, "fmax(1,qnan)"),
    C(fmin_d, RNE, D_ONE, D_SNAN, 0, D_ONE, NV, "fmin(1,snan)"),
    C(fmax_d, RNE, D_QNAN, 0x7ff8000000012345ULL, 0, D_QNAN, 0, "fmax(qnan,qnan)"),
    C(fmax_d, RNE, D_SNAN, D_QNAN, 0, D_QNAN, NV, "fmax(snan,qnan)"),
    C(fmin_d, RNE, D_QNAN, D_NINF, 0, D_NINF, 0, "fmin(qnan,-inf)"),
    C(fmin_s, RNE, S(0xbf800000), S(S_TWO), 0, S(0xbf800000), 0, "fmin(-1,2)"),
    C(fmax_s, RNE, S(S_NINF), S(0xbf800000), 0, S(0xbf800000), 0, "fmax(-inf,-1)"),
    C(fmin_s, RNE, S(S_NINF), S(0xbf800000), 0, S(S_NINF), 0, "fmin(-inf,-1)"),
    C(fmax_s, RNE, S(S_SNAN), S(S_SNAN), 0, S(S_QNAN), NV, "fmax(snan,snan)"),

    /* ---- comparisons */
    C(feq_d, RNE, D_QNAN, D_QNAN, 0, 0, 0, "feq qnan: quiet"),
    C(feq_d, RNE, D_SNAN, D_ONE, 0, 0, NV, "feq snan: NV"),
    C(flt_d, RNE, D_QNAN, D_ONE, 0, 0, NV, "flt qnan: NV"),
    C(fle_d, RNE, D_ONE, D_QNAN, 0, 0, NV, "fle qnan: NV"),
    C(feq_d, RNE, 0, D_NZERO, 0, 1, 0, "+0 == -0"),
    C(flt_d, RNE, D_NZERO, 0, 0, 0, 0, "-0 < +0 is false"),
    C(fle_d, RNE, D_NZERO, 0, 0, 1, 0, "-0 <= +0"),
    C(flt_d, RNE, D_NONE, D_ONE, 0, 1, 0, "-1 < 1"),
    C(flt_d, RNE, 0xc000000000000000ULL, D_NONE, 0, 1, 0, "-2 < -1"),
    C(fle_d, RNE, D_NONE, 0xc000000000000000ULL, 0, 0, 0, "-1 <= -2 is false"),
    C(feq_d, RNE, D_INF, D_INF, 0, 1, 0, "inf == inf"),
    C(flt_s, RNE, S(S_NINF), S(S_MAX), 0, 1, 0, "-inf < max"),
    C(fle_s, RNE, S(0x00000001), S(0x00000001), 0, 1, 0, "subnormal <= itself"),
    C(feq_s, RNE, S(S_SNAN), S(S_SNAN), 0, 0, NV, "s feq snan"),

    /* ---- float -> int32: saturation per the spec's table */
    C(fcvt_w_s, RTZ, S(0x4f000000), 0, 0, 0x7fffffffULL, NV, "w.s 2^31"),
    C(fcvt_w_s, RTZ, S(0xcf000000), 0, 0, 0xffffffff80000000ULL, 0, "w.s -2^31"),
    C(fcvt_w_s, RTZ, S(0x4effffff), 0, 0, 0x7fffff80ULL, 0, "w.s 2^31-128"),
    C(fcvt_w_s, RNE, S(S_QNAN), 0, 0, 0x7fffffffULL, NV, "w.s NaN"),
    C(fcvt_w_s, RTZ, S(0xcf000001), 0, 0, 0xffffffff80000000ULL, NV, "w.s -2^31-256 (below -2^31)"),
    C(fcvt_w_s, RNE, S(0xffc00000), 0, 0, 0x7fffffffULL, NV, "w.s -NaN -> max too"),
    C(fcvt_w_s, RNE, S(S_NINF), 0, 0, 0xffffffff80000000ULL, NV, "w.s -inf"),
    C(fcvt_w_s, RNE, S(S_INF), 0, 0, 0x7fffffffULL, NV, "w.s +inf"),
    C(fcvt_w_s, RNE, S(0x80000000), 0, 0, 0, 0, "w.s -0"),
    C(fcvt_w_d, RTZ, 0xc1e0000000200000ULL, 0, 0, 0xffffffff80000000ULL, NV, "w.d -2^31-1"),
    C(fcvt_w_d, RTZ, 0x41dfffffffc00000ULL, 0, 0, 0x7fffffffULL, 0, "w.d 2^31-1"),
    /* -2^31 - 0.5: in range unless rounded away from zero */
    C(fcvt_w_d, RTZ, 0xc1e0000000100000ULL, 0, 0, 0xffffffff80000000ULL, NX, "w.d -2^31-0.5 rtz"),
    C(fcvt_w_d, RNE, 0xc1e0000000100000ULL, 0, 0, 0xffffffff80000000ULL, NX, "w.d -2^31-0.5 rne (even)"),
    C(fcvt_w_d, RDN, 0xc1e0000000100000ULL, 0, 0, 0xffffffff80000000ULL, NV, "w.d -2^31-0.5 rdn"),
    C(fcvt_w_d, RMM, 0xc1e0000000100000ULL, 0, 0, 0xffffffff80000000ULL, NV, "w.d -2^31-0.5 rmm"),
    /* 2^31 - 0.5: RNE's even neighbour is 2^31, out of range */
    C(fcvt_w_d, RNE, 0x41dfffffffe00000ULL, 0, 0, 0x7fffffffULL, NV, "w.d 2^31-0.5 rne"),
    C(fcvt_w_d, RTZ, 0x41dfffffffe00000ULL, 0, 0, 0x7fffffffULL, NX, "w.d 2^31-0.5 rtz"),
    C(fcvt_w_d, RDN, 0x41dfffffffe00000ULL, 0, 0, 0x7fffffffULL, NX, "w.d 2^31-0.5 rdn"),
    C(fcvt_w_d, RMM, 0x41dfffffffe00000ULL, 0, 0, 0x7fffffffULL, NV, "w.d 2^31-0.5 rmm"),
    /* halves in every mode */
    C(fcvt_w_s, RNE, S(0xc0200000), 0, 0, (uint64_t)-2, NX, "-2.5 rne"),
    C(fcvt_w_s, RTZ, S(0xc0200000), 0, 0, (uint64_t)-2, NX, "-2.5 rtz"),
    C(fcvt_w_s, RDN, S(0xc0200000), 0, 0, (uint64_t)-3, NX, "-2.5 rdn"),
    C(fcvt_w_s, RUP, S(0xc0200000), 0, 0, (uint64_t)-2, NX, "-2.5 rup"),
    C(fcvt_w_s, RMM, S(0xc0200000), 0, 0, (uint64_t)-3, NX, "-2.5 rmm"),
    C(fcvt_w_s, RNE, S(0x40200000), 0, 0, 2, NX, "2.5 rne"),
    C(fcvt_w_s, RMM, S(0x40200000), 0, 0, 3, NX, "2.5 rmm"),
    C(fcvt_w_s, RNE, S(0x3fc00000), 0, 0, 2, NX, "1.5 rne"),
    C(fcvt_w_s, RNE, S(S_HALF), 0, 0, 0, NX, "0.5 rne"),
    C(fcvt_w_s, RMM, S(S_HALF), 0, 0, 1, NX, "0.5 rmm"),
    C(fcvt_w_s, RUP, S(0x00000001), 0, 0, 1, NX, "subnormal rup"),
    C(fcvt_w_d, RDN, 0x8000000000000001ULL, 0, 0, (uint64_t)-1, NX, "-subnormal rdn"),
    /* unsigned 32 */
    C(fcvt_wu_d, RTZ, D_NHALF, 0, 0, 0, NX, "wu.d -0.5 rtz"),
    C(fcvt_wu_d, RNE, D_NHALF, 0, 0, 0, NX, "wu.d -0.5 rne"),
    C(fcvt_wu_d, RDN, D_NHALF, 0, 0, 0, NV, "wu.d -0.5 rdn = -1"),
    C(fcvt_wu_d, RTZ, D_NONE, 0, 0, 0, NV, "wu.d -1"),
    C(fcvt_wu_d, RTZ, 0x41efffffffe00000ULL, 0, 0, 0xffffffffffffffffULL, 0, "wu.d 2^32-1 (sign-extended)"),
    C(fcvt_wu_d, RTZ, 0x41f0000000000000ULL, 0, 0, 0xffffffffffffffffULL, NV, "wu.d 2^32"),
    C(fcvt_wu_d, RTZ, 0x41dfffffffc00000ULL, 0, 0, 0x7fffffffULL, 0, "wu.d 2^31-1"),
    C(fcvt_wu_d, RTZ, 0x41e0000000000000ULL, 0, 0, 0xffffffff80000000ULL, 0, "wu.d 2^31 (sign-extended)"),
    C(fcvt_wu_d, RNE, D_QNAN, 0, 0, 0xffffffffffffffffULL, NV, "wu.d NaN"),
    C(fcvt_wu_d, RNE, D_NINF, 0, 0, 0, NV, "wu.d -inf"),
    C(fcvt_wu_s, RNE, S(S_INF), 0, 0, 0xffffffffffffffffULL, NV, "wu.s +inf"),
    C(fcvt_wu_s, RNE, S(0x80000000), 0, 0, 0, 0, "wu.s -0"),
    C(fcvt_wu_s, RTZ, S(0x4f800000), 0, 0, 0xffffffffffffffffULL, NV, "wu.s 2^32"),
    C(fcvt_wu_s, RTZ, S(0x4f7fffff), 0, 0, 0xffffffffffffff00ULL, 0, "wu.s 2^32-256 (sign-extended)"),
    C(fcvt_wu_s, RUP, S(0xbf000000), 0, 0, 0, NX, "wu.s -0.5 rup -> -0"),
    /* 64-bit */
    C(fcvt_l_d, RTZ, 0x43e0000000000000ULL, 0, 0, 0x7fffffffffffffffULL, NV, "l.d 2^63"),
    C(fcvt_l_d, RTZ, 0xc3e0000000000000ULL, 0, 0, 0x8000000000000000ULL, 0, "l.d -2^63"),
    C(fcvt_l_d, RTZ, 0x43dfffffffffffffULL, 0, 0, 0x7ffffffffffffc00ULL, 0, "l.d 2^63-1024"),
    C(fcvt_l_d, RTZ, 0xc3e0000000000001ULL, 0, 0, 0x8000000000000000ULL, NV, "l.d below -2^63"),
    C(fcvt_l_d, RNE, D_SNAN, 0, 0, 0x7fffffffffffffffULL, NV, "l.d sNaN"),
    C(fcvt_l_d, RNE, D_NINF, 0, 0, 0x8000000000000000ULL, NV, "l.d -inf"),
    C(fcvt_l_d, RNE, 0x0000000000000001ULL, 0, 0, 0, NX, "l.d subnormal rne"),
    C(fcvt_l_s, RTZ, S(0x5f000000), 0, 0, 0x7fffffffffffffffULL, NV, "l.s 2^63"),
    C(fcvt_l_s, RTZ, S(0xdf000000), 0, 0, 0x8000000000000000ULL, 0, "l.s -2^63"),
    C(fcvt_l_s, RTZ, S(0xdf000001), 0, 0, 0x8000000000000000ULL, NV, "l.s below -2^63"),
    C(fcvt_lu_s, RMM, S(0xbf000000), 0, 0, 0, NV, "lu.s -0.5 rmm = -1"),
    C(fcvt_lu_d, RTZ, 0x43f0000000000000ULL, 0, 0, 0xffffffffffffffffULL, NV, "lu.d 2^64"),
    C(fcvt_lu_d, RTZ, 0x43efffffffffffffULL, 0, 0, 0xfffffffffffff800ULL, 0, "lu.d 2^64-2048"),
    C(fcvt_lu_d, RTZ, D_NONE, 0, 0, 0, NV, "lu.d -1"),
    C(fcvt_lu_d, RTZ, 0xbfefffffffffffffULL, 0, 0, 0, NX, "lu.d -0.99 rtz"),
    C(fcvt_lu_d, RNE, D_QNAN, 0, 0, 0xffffffffffffffffULL, NV, "lu.d NaN"),
    C(fcvt_lu_s, RTZ, S(0x5f800000), 0, 0, 0xffffffffffffffffULL, NV, "lu.s 2^64"),
    C(fcvt_lu_s, RTZ, S(0x5f7fffff), 0, 0, 0xffffff0000000000ULL, 0, "lu.s 2^64-2^40"),

    /* ---- int -> float */
    /* 2^24 + 1 is a tie between 2^24 (even) and 2^24 + 2 */
    C(fcvt_s_w, RNE, 0x01000001ULL, 0, 0, S(0x4b800000), NX, "s.w 2^24+1 rne"),
    C(fcvt_s_w, RMM, 0x01000001ULL, 0, 0, S(0x4b800001), NX, "s.w 2^24+1 rmm"),
    C(fcvt_s_w, RUP, 0x01000001ULL, 0, 0, S(0x4b800001), NX, "s.w 2^24+1 rup"),
    C(fcvt_s_w, RTZ, 0x01000001ULL, 0, 0, S(0x4b800000), NX, "s.w 2^24+1 rtz"),
    C(fcvt_s_w, RNE, (uint64_t)-0x1000001, 0, 0, S(0xcb800000), NX, "s.w -(2^24+1) rne"),
    C(fcvt_s_w, RDN, (uint64_t)-0x1000001, 0, 0, S(0xcb800001), NX, "s.w -(2^24+1) rdn"),
    C(fcvt_s_w, RMM, (uint64_t)-0x1000001, 0, 0, S(0xcb800001), NX, "s.w -(2^24+1) rmm"),
    C(fcvt_s_w, RNE, 0x00000000ffffffffULL, 0, 0, S(0xbf800000), 0, "s.w uses the low 32 bits"),
    C(fcvt_s_w, RNE, 0xffffffff80000000ULL, 0, 0, S(0xcf000000), 0, "s.w -2^31"),
    C(fcvt_s_wu, RNE, 0xffffffffULL, 0, 0, S(0x4f800000), NX, "s.wu 2^32-1 rne"),
    C(fcvt_s_wu, RTZ, 0xffffffffULL, 0, 0, S(0x4f7fffff), NX, "s.wu 2^32-1 rtz"),
    C(fcvt_s_wu, RNE, 0xffffffff00000001ULL, 0, 0, S(S_ONE), 0, "s.wu low 32 bits"),
    C(fcvt_s_l, RNE, 0, 0, 0, S(0), 0, "s.l 0 = +0"),
    C(fcvt_s_lu, RNE, 0xffffffffffffffffULL, 0, 0, S(0x5f800000), NX, "s.lu 2^64-1"),
    C(fcvt_d_l, RNE, 0x8000000000000000ULL, 0, 0, 0xc3e0000000000000ULL, 0, "d.l -2^63"),
    C(fcvt_d_l, RNE, 0x0020000000000001ULL, 0, 0, 0x4340000000000000ULL, NX, "d.l 2^53+1 rne"),
    C(fcvt_d_l, RMM, 0x0020000000000001ULL, 0, 0, 0x4340000000000001ULL, NX, "d.l 2^53+1 rmm"),
    C(fcvt_d_l, RNE, (uint64_t)-3, 0, 0, 0xc008000000000000ULL, 0, "d.l -3"),
    C(fcvt_d_lu, RNE, 0xffffffffffffffffULL, 0, 0, 0x43f0000000000000ULL, NX, "d.lu 2^64-1 rne"),
    C(fcvt_d_lu, RTZ, 0xffffffffffffffffULL, 0, 0, 0x43efffffffffffffULL, NX, "d.lu 2^64-1 rtz"),
    C(fcvt_d_w, RNE, 0x00000000fffffffdULL, 0, 0, 0xc008000000000000ULL, 0, "d.w -3 from low bits"),
    C(fcvt_d_wu, RNE, 0xffffffffULL, 0, 0, 0x41efffffffe00000ULL, 0, "d.wu 2^32-1"),

    /* ---- between formats */
    C(fcvt_s_d, RNE, D_ONE, 0, 0, S(S_ONE), 0, "s.d 1"),
    C(fcvt_s_d, RNE, D_SNAN, 0, 0, S(S_QNAN), NV, "s.d snan"),
    C(fcvt_s_d, RNE, 0xfff8000000012345ULL, 0, 0, S(S_QNAN), 0, "s.d qnan"),
    C(fcvt_s_d, RNE, 0x3ff0000010000000ULL, 0, 0, S(S_ONE), NX, "s.d tie rne"),
    C(fcvt_s_d, RMM, 0x3ff0000010000000ULL, 0, 0, S(0x3f800001), NX, "s.d tie rmm"),
    C(fcvt_s_d, RNE, D_MAX, 0, 0, S(S_INF), OF | NX, "s.d overflow rne"),
    C(fcvt_s_d, RTZ, D_MAX, 0, 0, S(S_MAX), OF | NX, "s.d overflow rtz"),
    C(fcvt_s_d, RNE, D_NINF, 0, 0, S(S_NINF), 0, "s.d -inf"),
    C(fcvt_d_s, RNE, S(S_SNAN), 0, 0, D_QNAN, NV, "d.s snan"),
    C(fcvt_d_s, RNE, S(0x00000001), 0, 0, 0x36a0000000000000ULL, 0, "d.s min subnormal"),
    C(fcvt_d_s, RNE, S(S_NINF), 0, 0, D_NINF, 0, "d.s -inf"),
    C(fcvt_d_s, RNE, S(0x80000000), 0, 0, D_NZERO, 0, "d.s -0"),

    /* ---- fclass: one bit per class */
    C(fclass_d, RNE, D_NINF, 0, 0, 1 << 0, 0, "class -inf"),
    C(fclass_d, RNE, D_NONE, 0, 0, 1 << 1, 0, "class -normal"),
    C(fclass_d, RNE, 0x800fffffffffffffULL, 0, 0, 1 << 2, 0, "class -subnormal"),
    C(fclass_d, RNE, D_NZERO, 0, 0, 1 << 3, 0, "class -0"),
    C(fclass_d, RNE, 0, 0, 0, 1 << 4, 0, "class +0"),
    C(fclass_d, RNE, 0x0000000000000001ULL, 0, 0, 1 << 5, 0, "class +subnormal"),
    C(fclass_d, RNE, D_MAX, 0, 0, 1 << 6, 0, "class +normal"),
    C(fclass_d, RNE, D_INF, 0, 0, 1 << 7, 0, "class +inf"),
    C(fclass_d, RNE, D_SNAN, 0, 0, 1 << 8, 0, "class snan"),
    C(fclass_d, RNE, 0xfff8000000000000ULL, 0, 0, 1 << 9, 0, "class qnan"),
    C(fclass_s, RNE, S(S_NINF), 0, 0, 1 << 0, 0, "s class -inf"),
    C(fclass_s, RNE, S(0xbf800000), 0, 0, 1 << 1, 0, "s class -normal"),
    C(fclass_s, RNE, S(0x807fffff), 0, 0, 1 << 2, 0, "s class -subnormal"),
    C(fclass_s, RNE, S(0x80000000), 0, 0, 1 << 3, 0, "s class -0"),
    C(fclass_s, RNE, S(0), 0, 0, 1 << 4, 0, "s class +0"),
    C(fclass_s, RNE, S(1), 0, 0, 1 << 5, 0, "s class +subnormal"),
    C(fclass_s, RNE, S(0x00800000), 0, 0, 1 << 6, 0, "s class +normal"),
    C(fclass_s, RNE, S(S_INF), 0, 0, 1 << 7, 0, "s class +inf"),
    C(fclass_s, RNE, S(0x7fbfffff), 0, 0, 1 << 8, 0, "s class snan"),
    C(fclass_s, RNE, S(S_QNAN), 0, 0, 1 << 9, 0, "s class qnan"),
};

enum { FP_NCASES = sizeof(fp_cases) / sizeof(fp_cases[0]) };

/* Set up the registers, run the case's handler, return the result. */
static uint64_t fp_do_case(const FpCase *t, int *ret)
{
    const InsnDesc *d = fp_row(t->fn);
    ck_assert_msg(d != NULL, "%s: handler not in the table", t->what);
    Op op = { .fn = t->fn, .rd = 4, .rs1 = 1, .rs2 = 2, .rs3 = 3, .rm = t->rm,
              .raw = d->match };
    if (d->flags & IF_RDX)
        op.rd = 10;
    if (fp_int_source(d)) {
        op.rs1 = 11;
        th->x[11] = t->a;
    } else {
        th->f[1] = t->a;
    }
    th->f[2] = t->b;
    th->f[3] = t->c;
    th->f[4] = th->x[10] = 0x5a5a5a5a5a5a5a5aULL;
    if (t->rm == DYN)
        th->csr.frm = RUP;
    *ret = fp_run(&op);
    return (d->flags & IF_RDX) ? th->x[10] : th->f[4];
}

START_TEST(test_fp_case)
{
    const FpCase *t = &fp_cases[_i];
    int ret;
    uint64_t got = fp_do_case(t, &ret);
    ck_assert_int_eq(ret, OP_NEXT);
    ck_assert_msg(got == t->expect && th->csr.fflags == t->flags,
                  "%s (rm %u): got %016llx flags %02x, want %016llx flags %02x",
                  t->what, t->rm, (unsigned long long)got, th->csr.fflags,
                  (unsigned long long)t->expect, t->flags);
}
END_TEST

/* rm 5 and 6 are reserved, and so is a dynamic rm when frm holds 5..7:
 * illegal instruction, no register or flag written. */
START_TEST(test_fp_illegal_rm)
{
    static const struct { uint8_t rm, frm; } bad[] = {
        { 5, RNE }, { 6, RNE }, { DYN, 5 }, { DYN, 6 }, { DYN, 7 },
    };
    static const OpFn fns[] = { op_fadd_d, op_fmadd_s, op_fsqrt_d,
                                op_fcvt_w_d, op_fcvt_d_s, op_fcvt_s_l };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (unsigned j = 0; j < sizeof(fns) / sizeof(fns[0]); j++) {
            const InsnDesc *d = fp_row(fns[j]);
            uint32_t raw = d->match | (uint32_t)bad[i].rm << 12 | 4u << 7;
            Op op = { .fn = fns[j], .rd = 4, .rs1 = 1, .rs2 = 2, .rs3 = 3,
                      .rm = bad[i].rm, .raw = raw };
            th->pc = TPC;
            th->priv = PRV_M;
            th->csr.frm = bad[i].frm;
            th->csr.fflags = 0;
            th->f[4] = 0x1234;
            th->x[4] = 0x1234;
            th->f[1] = th->f[2] = D_ONE;
            int r = fp_run(&op);
            ck_assert_int_eq(r, OP_EXIT_EXC);
            ck_assert_uint_eq(th->csr.mcause, EXC_ILLEGAL_INSN);
            ck_assert_uint_eq(th->csr.mtval, raw);
            ck_assert_uint_eq(th->csr.mepc, TPC);
            ck_assert_uint_eq(th->f[4], 0x1234);
            ck_assert_uint_eq(th->x[4], 0x1234);
            ck_assert_uint_eq(th->csr.fflags, 0);
        }
    }
    /* the same op with a valid dynamic mode runs */
    Op op = { .fn = op_fadd_d, .rd = 4, .rs1 = 1, .rs2 = 2, .rm = DYN };
    th->csr.frm = RMM;
    ck_assert_int_eq(fp_run(&op), OP_NEXT);
    ck_assert_uint_eq(th->f[4], D_TWO);
}
END_TEST

/* fflags accumulate; an op without exceptions leaves them alone. */
START_TEST(test_fp_flags_accumulate)
{
    Op add = { .fn = op_fadd_d, .rd = 4, .rs1 = 1, .rs2 = 2, .rm = RNE };
    th->csr.fflags = DZ;
    th->f[1] = D_ONE;
    th->f[2] = D_TWO;
    fp_run(&add);
    ck_assert_uint_eq(th->csr.fflags, DZ);
    th->f[2] = 0x3ca0000000000000ULL; /* 1 + 2^-53: NX */
    fp_run(&add);
    ck_assert_uint_eq(th->csr.fflags, DZ | NX);
    Op lt = { .fn = op_flt_d, .rd = 10, .rs1 = 1, .rs2 = 2 };
    th->f[2] = D_QNAN;
    fp_run(&lt);
    ck_assert_uint_eq(th->csr.fflags, DZ | NX | NV);
    Op cvt = { .fn = op_fcvt_s_d, .rd = 4, .rs1 = 1, .rm = RNE };
    th->f[1] = D_MAX;
    fp_run(&cvt);
    ck_assert_uint_eq(th->csr.fflags, DZ | NX | NV | OF);
}
END_TEST

static unsigned fp_fs(void)
{
    return (unsigned)((th->csr.mstatus & MSTATUS_FS) >> MSTATUS_FS_SHIFT);
}

/* Writes of FP registers or fflags make FS dirty (and set SD); ops that
 * change neither leave FS as it was. (QEMU 7.2 leaves FS alone when an
 * integer-destination op such as flt/fcvt.w only raises flags; the spec
 * counts fflags as FP state, so rewind marks it dirty.) */
START_TEST(test_fp_fs_dirty)
{
    static const struct { OpFn fn; bool dirty; uint64_t a, b; } t[] = {
        { op_fadd_d, true, D_ONE, D_ONE },      /* writes f4 */
        { op_fsgnj_d, true, D_ONE, D_ONE },     /* writes f4, no flags */
        { op_fmv_d_x, true, 0, 0 },             /* writes f4 */
        { op_fmv_w_x, true, 0, 0 },
        { op_feq_d, false, D_ONE, D_ONE },      /* integer rd, no flags */
        { op_fclass_d, false, D_ONE, 0 },
        { op_fmv_x_d, false, D_ONE, 0 },
        { op_fmv_x_w, false, D_ONE, 0 },
        { op_fcvt_w_d, false, D_ONE, 0 },       /* exact */
        { op_fcvt_w_d, true, D_HALF, 0 },       /* NX */
        { op_flt_d, true, D_QNAN, D_ONE },      /* NV */
        { op_feq_d, true, D_SNAN, D_ONE },      /* NV */
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const InsnDesc *d = fp_row(t[i].fn);
        Op op = { .fn = t[i].fn, .rd = (d->flags & IF_RDX) ? 10 : 4,
                  .rs1 = fp_int_source(d) ? 11 : 1, .rs2 = 2, .rm = RNE };
        th->csr.mstatus = (uint64_t)FS_INITIAL << MSTATUS_FS_SHIFT;
        th->csr.fflags = 0;
        th->f[1] = t[i].a;
        th->f[2] = t[i].b;
        th->x[11] = 0;
        ck_assert_int_eq(fp_run(&op), OP_NEXT);
        ck_assert_msg(fp_fs() == (t[i].dirty ? FS_DIRTY : FS_INITIAL),
                      "%s: FS %u", d->name, fp_fs());
        ck_assert(!(th->csr.mstatus & MSTATUS_SD) == !t[i].dirty);
    }
}
END_TEST

/* Loads and stores through the MMU (bare M mode): flw NaN-boxes, fsw stores
 * the raw low half whatever the box, fld/fsd move 64 bits. */
START_TEST(test_fp_load_store)
{
    const uint64_t base = MEM_RAM_BASE + 0x2000;
    th->x[5] = base;
    th->f[7] = 0x0123456789abcdefULL; /* not a boxed single */
    Op fsw = { .fn = op_fsw, .rs1 = 5, .rs2 = 7, .imm = 8 };
    ck_assert_int_eq(fp_run(&fsw), OP_NEXT);
    ck_assert_uint_eq(fp_fs(), FS_INITIAL); /* stores change no FP state */
    Op flw = { .fn = op_flw, .rd = 8, .rs1 = 5, .imm = 8 };
    ck_assert_int_eq(fp_run(&flw), OP_NEXT);
    ck_assert_uint_eq(th->f[8], S(0x89abcdef));
    ck_assert_uint_eq(fp_fs(), FS_DIRTY);

    th->f[9] = D_SNAN;
    Op fsd = { .fn = op_fsd, .rs1 = 5, .rs2 = 9, .imm = -8 };
    th->x[5] = base + 24;
    ck_assert_int_eq(fp_run(&fsd), OP_NEXT);
    Op fld = { .fn = op_fld, .rd = 10, .rs1 = 5, .imm = -8 };
    ck_assert_int_eq(fp_run(&fld), OP_NEXT);
    ck_assert_uint_eq(th->f[10], D_SNAN);
    /* the two halves of the double as singles */
    Op flw2 = { .fn = op_flw, .rd = 11, .rs1 = 5, .imm = -4 };
    ck_assert_int_eq(fp_run(&flw2), OP_NEXT);
    ck_assert_uint_eq(th->f[11], S(0x7ff00000));
    /* a misaligned fld is performed, as the MMU does for plain loads:
     * bytes base+10..17 are ab 89 00 00 00 00 01 00 */
    th->x[5] = base + 1;
    Op fldm = { .fn = op_fld, .rd = 12, .rs1 = 5, .imm = 9 };
    ck_assert_int_eq(fp_run(&fldm), OP_NEXT);
    ck_assert_uint_eq(th->f[12], 0x00010000000089abULL);
}
END_TEST

/* A load from an address with no memory behind it raises an access fault
 * and leaves the destination alone. */
START_TEST(test_fp_load_fault)
{
    th->x[5] = 0x40000000; /* nothing mapped there */
    th->f[3] = 0x77;
    Op fld = { .fn = op_fld, .rd = 3, .rs1 = 5, .imm = 0 };
    ck_assert_int_eq(fp_run(&fld), OP_EXIT_EXC);
    ck_assert_uint_eq(th->csr.mcause, EXC_LOAD_ACCESS);
    ck_assert_uint_eq(th->csr.mtval, 0x40000000);
    ck_assert_uint_eq(th->f[3], 0x77);
    ck_assert_uint_eq(fp_fs(), FS_INITIAL);
}
END_TEST

/* Every FP row decodes its own encodings and only those: each word below
 * was produced by the GNU assembler (rm = dyn where the insn has one). */
START_TEST(test_fp_rows)
{
    static const struct { uint32_t w; const char *name; } enc[] = {
        { 0x0085a107, "flw" }, { 0xff85b187, "fld" },
        { 0x0035a427, "fsw" }, { 0xfe35bc27, "fsd" },
        { 0x60b57243, "fmadd.s" }, { 0x62b57247, "fmsub.d" },
        { 0x60b5124b, "fnmsub.s" }, { 0x62b5724f, "fnmadd.d" },
        { 0x00b57253, "fadd.s" }, { 0x02b57253, "fadd.d" },
        { 0x0ab57253, "fsub.d" }, { 0x12b57253, "fmul.d" },
        { 0x18b54253, "fdiv.s" }, { 0x5a057253, "fsqrt.d" },
        { 0x20b50253, "fsgnj.s" }, { 0x22b51253, "fsgnjn.d" },
        { 0x22b52253, "fsgnjx.d" }, { 0x28b50253, "fmin.s" },
        { 0x2ab51253, "fmax.d" }, { 0x40157253, "fcvt.s.d" },
        { 0x42050253, "fcvt.d.s" }, { 0xa2b52553, "feq.d" },
        { 0xa0b51553, "flt.s" }, { 0xa2b50553, "fle.d" },
        { 0xc0051553, "fcvt.w.s" }, { 0xc2151553, "fcvt.wu.d" },
        { 0xc2251553, "fcvt.l.d" }, { 0xc0351553, "fcvt.lu.s" },
        { 0xd005f253, "fcvt.s.w" }, { 0xd235f253, "fcvt.d.lu" },
        { 0xd2058253, "fcvt.d.w" }, { 0xe0050553, "fmv.x.w" },
        { 0xe2051553, "fclass.d" }, { 0xe2050553, "fmv.x.d" },
        { 0xf0058253, "fmv.w.x" }, { 0xf2058253, "fmv.d.x" },
    };
    for (unsigned i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
        const InsnDesc *hit = NULL;
        unsigned hits = 0;
        for (unsigned j = 0; j < insn_table_len; j++) {
            if ((enc[i].w & insn_table[j].mask) == insn_table[j].match) {
                hit = &insn_table[j];
                hits++;
            }
        }
        ck_assert_msg(hits == 1, "%08x (%s): %u rows match", enc[i].w,
                      enc[i].name, hits);
        ck_assert_str_eq(hit->name, enc[i].name);
        ck_assert(hit->flags & IF_FP);
    }
    /* all FP rows: IF_RDX exactly on integer destinations */
    for (unsigned j = 0; j < insn_table_len; j++) {
        const InsnDesc *d = &insn_table[j];
        if (!(d->flags & IF_FP))
            continue;
        const char *n = d->name;
        bool int_rd = !strncmp(n, "feq", 3) || !strncmp(n, "flt", 3) ||
                      !strncmp(n, "fle", 3) || !strncmp(n, "fclass", 6) ||
                      !strncmp(n, "fmv.x", 5) ||
                      (!strncmp(n, "fcvt.", 5) && n[5] != 's' && n[5] != 'd' &&
                       n[5] != 'h');
        ck_assert_msg(!(d->flags & IF_RDX) == !int_rd, "%s: IF_RDX", n);
    }
}
END_TEST

/* ---- the fused multiply-add's host fast paths against the software
 * engine: random operands weighted towards what the fast paths must get
 * right (operands whose products and addends share their lowest set bit,
 * exact and inexact cancellations, exact zero sums of either sign, results
 * at the overflow and underflow boundaries), plus subnormals, zeros,
 * infinities and NaNs, every rounding mode, every variant; with MXCSR at
 * its default and with DAZ, FTZ and round-toward-zero set (which must not
 * leak into results). */

/* Runs `n` random fused multiply-adds of one format through the handlers,
 * compares with fp_fma_software; returns the mismatches, the first one
 * described in msg. */
static unsigned fma_compare(bool dbl, unsigned n, char *msg, size_t msz)
{
    static const OpFn fns[2][4] = {
        { op_fmadd_s, op_fmsub_s, op_fnmsub_s, op_fnmadd_s },
        { op_fmadd_d, op_fmsub_d, op_fnmsub_d, op_fnmadd_d },
    };
    static const char *names[4] = { "fmadd", "fmsub", "fnmsub", "fnmadd" };
    static const uint8_t rms[] = { RNE, RNE, RNE, RNE, RNE, RTZ, RDN, RUP, RMM, DYN };
    unsigned fb = dbl ? 52 : 23, eb = dbl ? 11 : 8, bad = 0;
    uint64_t sbit = 1ULL << (fb + eb), width = dbl ? ~0ULL : 0xffffffffULL;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = test_fp_operand(fb, eb), b = test_fp_operand(fb, eb), c;
        unsigned v = (unsigned)(test_fp_rand() % 4), rm = rms[test_fp_rand() % sizeof(rms)];
        unsigned frm = (unsigned)(test_fp_rand() % 5), ignore = 0;
        uint64_t pa = a ^ (v >= 2 ? sbit : 0);
        switch (test_fp_rand() % 5) {
        case 0: /* c cancels the product, exactly when it is exact */
        case 1: /* or nearly: one unit in the last place either way */
            c = fp_fma_software(dbl, pa, b, 0, RNE, &ignore) & width;
            c ^= sbit ^ (v == 1 || v == 3 ? sbit : 0);
            if (test_fp_rand() & 1)
                c += (test_fp_rand() & 1) ? 1 : -1ULL;
            c &= width;
            break;
        case 2: /* c's lowest set bit is the product's (carries decide) */
            c = test_fp_same_lsb(pa, b, fb, eb);
            break;
        default:
            c = test_fp_operand(fb, eb);
            break;
        }
        /* the reference: the variant's sign flips, then the software engine */
        uint64_t ra = pa, rc = c ^ (v == 1 || v == 3 ? sbit : 0);
        unsigned want_fl = 0;
        uint64_t want = fp_fma_software(dbl, ra, b, rc, rm == DYN ? frm : rm, &want_fl);
        if (!dbl)
            want = S(want & width);

        Op op = { .fn = fns[dbl][v], .rd = 4, .rs1 = 1, .rs2 = 2, .rs3 = 3, .rm = (uint8_t)rm,
                  .raw = fp_row(fns[dbl][v])->match | (uint32_t)rm << 12 };
        th->f[1] = dbl ? a : S(a);
        th->f[2] = dbl ? b : S(b);
        th->f[3] = dbl ? c : S(c);
        th->csr.frm = frm;
        th->csr.fflags = 0;
        fp_run(&op);
        if ((th->f[4] != want || th->csr.fflags != want_fl) && !bad++)
            snprintf(msg, msz, "%s.%c rm %u (frm %u) a %016llx b %016llx c %016llx: got %016llx "
                     "flags %02x, want %016llx flags %02x", names[v], dbl ? 'd' : 's', rm, frm,
                     (unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
                     (unsigned long long)th->f[4], th->csr.fflags,
                     (unsigned long long)want, want_fl);
    }
    return bad;
}

START_TEST(test_fp_fma_fast_path)
{
#if defined(__x86_64__)
    /* default; DAZ, FTZ and round toward zero (sticky flags left alone) */
    static const uint32_t mxcsr[] = { 0x1f80, 0x1f80 | 0x40 | 0x8000 | 0x6000 };
    unsigned nmx = 2;
#else
    unsigned nmx = 1;
#endif
    for (unsigned m = 0; m < nmx; m++) {
        for (unsigned dbl = 0; dbl < 2; dbl++) {
            char msg[512] = "";
#if defined(__x86_64__)
            uint32_t saved;
            __asm__ volatile("stmxcsr %0" : "=m"(saved));
            __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr[m]));
#endif
            unsigned bad = fma_compare(dbl, 250000, msg, sizeof(msg));
#if defined(__x86_64__)
            __asm__ volatile("ldmxcsr %0" : : "m"(saved));
#endif
            ck_assert_msg(bad == 0, "MXCSR case %u: %u of 250000 differ, first: %s", m, bad,
                          msg);
        }
    }
}
END_TEST

Suite *suite_fp(void)
{
    Suite *s = suite_create("fp");
    TCase *tc = tcase_create("cases");
    tcase_add_checked_fixture(tc, fp_setup, fp_teardown);
    tcase_add_loop_test(tc, test_fp_case, 0, FP_NCASES);
    suite_add_tcase(s, tc);

    TCase *ts = tcase_create("state");
    tcase_add_checked_fixture(ts, fp_setup, fp_teardown);
    tcase_add_test(ts, test_fp_illegal_rm);
    tcase_add_test(ts, test_fp_flags_accumulate);
    tcase_add_test(ts, test_fp_fs_dirty);
    tcase_add_test(ts, test_fp_load_store);
    tcase_add_test(ts, test_fp_load_fault);
    tcase_add_test(ts, test_fp_rows);
    tcase_add_test(ts, test_fp_fma_fast_path);
    suite_add_tcase(s, ts);
    return s;
}
