/* Handlers for the F and D extensions (rows in insns_fp.def).
 *
 * Results and fflags must be bit-exact with the RISC-V spec (and so with
 * QEMU's softfloat) and must not depend on host state. Two engines:
 *
 *  - a software engine (fpsoft_*): exact IEEE 754 arithmetic on integer
 *    significands, every rounding mode, tininess detected after rounding.
 *    It handles RMM, the directed modes, every special case (NaN, infinity,
 *    zero, subnormal and overflowing results), and everything on hosts
 *    other than x86-64.
 *  - on x86-64, a fast path for the common case, round to nearest even with
 *    ordinary operands: the host computes the result and the flags are
 *    derived exactly from the operands and an error term (see below); it
 *    neither reads nor writes the host's exception flags or rounding mode.
 *
 * Conversions to/from integers, comparisons, min/max, sign injection and
 * classification are integer code on every host. */
#include <stdbool.h>
#include <stdint.h>

#include "core/csr.h"
#include "core/mmu.h"
#include "translator/insn_table.h"
#include "translator/ops_fp.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(REWIND_FP_SOFTWARE)
#define FP_HOST 1
#else
#define FP_HOST 0
#endif

/* fflags bits. */
enum { FFLAG_NX = 1, FFLAG_UF = 2, FFLAG_OF = 4, FFLAG_DZ = 8, FFLAG_NV = 16 };

/* Rounding modes (the rm field). */
enum { RM_RNE = 0, RM_RTZ = 1, RM_RDN = 2, RM_RUP = 3, RM_RMM = 4, RM_DYN = 7 };

#define CANON_NAN_S 0x7fc00000u
#define CANON_NAN_D 0x7ff8000000000000ULL
#define BOX_S 0xffffffff00000000ULL

typedef unsigned __int128 u128;

/* ------------------------------------------------------------------------
 * Format description and bit-level predicates */

typedef struct FpFmt {
    unsigned frac_bits; /* 23 or 52 */
    unsigned exp_bits;  /* 8 or 11 */
} FpFmt;

static const FpFmt fp_single = { 23, 8 };
static const FpFmt fp_double = { 52, 11 };
static const FpFmt fp_half = { 10, 5 };

static inline uint64_t fp_sign_bit(const FpFmt *f)
{
    return 1ULL << (f->frac_bits + f->exp_bits);
}

static inline uint64_t fp_emask(const FpFmt *f)
{
    return (1ULL << f->exp_bits) - 1;
}

static inline int fp_bias(const FpFmt *f)
{
    return (1 << (f->exp_bits - 1)) - 1;
}

static inline uint64_t fp_inf(const FpFmt *f, bool sign)
{
    return (sign ? fp_sign_bit(f) : 0) | fp_emask(f) << f->frac_bits;
}

static inline uint64_t fp_zero(const FpFmt *f, bool sign)
{
    return sign ? fp_sign_bit(f) : 0;
}

/* The canonical NaN: exponent all ones, only the quiet bit set. */
static inline uint64_t fp_canon(const FpFmt *f)
{
    return (fp_emask(f) << f->frac_bits) | 1ULL << (f->frac_bits - 1);
}

static inline uint64_t fp_abs(const FpFmt *f, uint64_t v)
{
    return v & (fp_sign_bit(f) - 1);
}

static inline bool fp_is_nan(const FpFmt *f, uint64_t v)
{
    return fp_abs(f, v) > fp_inf(f, false);
}

static inline bool fp_is_snan(const FpFmt *f, uint64_t v)
{
    return fp_is_nan(f, v) && !(v >> (f->frac_bits - 1) & 1);
}

static inline int fp_clz64(uint64_t v)
{
    return __builtin_clzll(v);
}

static inline int fp_clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? fp_clz64(hi) : 64 + fp_clz64((uint64_t)v);
}

/* Shift right, OR-ing every bit shifted out into bit 0 ("sticky"). */
static inline uint64_t fp_shr_jam64(uint64_t v, unsigned n)
{
    if (n == 0)
        return v;
    if (n >= 64)
        return v != 0;
    return (v >> n) | ((v & ((1ULL << n) - 1)) != 0);
}

static inline u128 fp_shr_jam128(u128 v, unsigned n)
{
    if (n == 0)
        return v;
    if (n >= 128)
        return v != 0;
    return (v >> n) | ((v & (((u128)1 << n) - 1)) != 0);
}

/* ------------------------------------------------------------------------
 * Software engine */

enum { FPC_ZERO, FPC_FINITE, FPC_INF, FPC_QNAN, FPC_SNAN };

/* A finite nonzero value is sig * 2^(exp - 62) with sig in [2^62, 2^63). */
typedef struct FpUnpacked {
    int cls;
    bool sign;
    int exp;
    uint64_t sig;
} FpUnpacked;

static inline FpUnpacked fp_unpack(const FpFmt *f, uint64_t v)
{
    FpUnpacked u = { .sign = (v & fp_sign_bit(f)) != 0 };
    uint64_t bexp = v >> f->frac_bits & fp_emask(f);
    uint64_t frac = v & ((1ULL << f->frac_bits) - 1);
    if (bexp == fp_emask(f)) {
        if (!frac)
            u.cls = FPC_INF;
        else
            u.cls = frac >> (f->frac_bits - 1) ? FPC_QNAN : FPC_SNAN;
    } else if (bexp == 0) {
        if (!frac) {
            u.cls = FPC_ZERO;
        } else {
            int n = fp_clz64(frac) - 1;
            u.cls = FPC_FINITE;
            u.sig = frac << n;
            u.exp = 1 - fp_bias(f) - (n - (int)(62 - f->frac_bits));
        }
    } else {
        u.cls = FPC_FINITE;
        u.exp = (int)bexp - fp_bias(f);
        u.sig = (frac | 1ULL << f->frac_bits) << (62 - f->frac_bits);
    }
    return u;
}

static inline bool fp_cls_nan(int cls)
{
    return cls >= FPC_QNAN;
}

/* sig >> drop rounded to an integer according to rm (sign is the sign of
 * the value, for the directed modes). drop may exceed 63. */
static inline uint64_t fp_shift_round(uint64_t sig, unsigned drop, bool sign,
                                      unsigned rm, bool *inexact)
{
    uint64_t q, rem;
    int half_cmp; /* rem compared with half a unit of q: -1, 0, 1 */
    if (drop >= 64) {
        q = 0; /* callers pass sig < 2^63, which is below half a unit */
        rem = sig;
        half_cmp = -1;
    } else {
        uint64_t half = 1ULL << (drop - 1);
        q = sig >> drop;
        rem = sig & ((half << 1) - 1);
        half_cmp = rem > half ? 1 : rem == half ? 0 : -1;
    }
    *inexact = rem != 0;
    if (!rem)
        return q;
    switch (rm) {
    case RM_RNE: return q + (half_cmp > 0 || (half_cmp == 0 && (q & 1)));
    case RM_RMM: return q + (half_cmp >= 0);
    case RM_RDN: return q + sign;
    case RM_RUP: return q + !sign;
    default: return q;
    }
}

/* Round sig * 2^(exp - 62) (sig in [2^62, 2^63), bit 0 sticky) to format f
 * and pack it, accumulating NX/UF/OF. Tininess is detected after rounding:
 * the value is tiny when rounding it to full precision with an unbounded
 * exponent stays below the smallest normal. */
static uint64_t fp_round_pack(const FpFmt *f, bool sign, int exp,
                              uint64_t sig, unsigned rm, unsigned *fl)
{
    const unsigned p = f->frac_bits + 1;
    const unsigned drop = 63 - p;
    const int bias = fp_bias(f), emin = 1 - bias;
    const uint64_t sbit = sign ? fp_sign_bit(f) : 0;
    bool inexact;
    uint64_t q;

    if (exp >= emin) {
        q = fp_shift_round(sig, drop, sign, rm, &inexact);
        if (q >> p) {
            q >>= 1; /* carried into a new bit: the dropped bit is 0 */
            exp++;
        }
        if (exp > bias) {
            bool to_inf = rm == RM_RNE || rm == RM_RMM ||
                          (rm == RM_RDN && sign) || (rm == RM_RUP && !sign);
            *fl |= FFLAG_OF | FFLAG_NX;
            return to_inf ? fp_inf(f, sign) : sbit | ((fp_emask(f) << f->frac_bits) - 1);
        }
        if (inexact)
            *fl |= FFLAG_NX;
        /* q carries the implicit bit, which adds one to the exponent field */
        return sbit | (((uint64_t)(exp + bias - 1) << f->frac_bits) + q);
    }

    bool tiny = true;
    if (exp == emin - 1) {
        bool ix;
        tiny = !(fp_shift_round(sig, drop, sign, rm, &ix) >> p);
    }
    /* a subnormal that rounds up to 2^emin packs as the smallest normal */
    q = fp_shift_round(sig, drop + (unsigned)(emin - exp), sign, rm, &inexact);
    if (inexact)
        *fl |= tiny ? FFLAG_UF | FFLAG_NX : FFLAG_NX;
    return sbit | q;
}

/* Common NaN handling for arithmetic: NV for any signaling input. */
static inline uint64_t fp_nan_result(const FpFmt *f, bool any_snan,
                                     unsigned *fl)
{
    if (any_snan)
        *fl |= FFLAG_NV;
    return fp_canon(f);
}

static uint64_t fpsoft_add(const FpFmt *f, uint64_t a, uint64_t b, bool sub,
                           unsigned rm, unsigned *fl)
{
    FpUnpacked x = fp_unpack(f, a), y = fp_unpack(f, b);
    y.sign ^= sub;
    if (fp_cls_nan(x.cls) || fp_cls_nan(y.cls))
        return fp_nan_result(f, x.cls == FPC_SNAN || y.cls == FPC_SNAN, fl);
    if (x.cls == FPC_INF) {
        if (y.cls == FPC_INF && x.sign != y.sign) {
            *fl |= FFLAG_NV;
            return fp_canon(f);
        }
        return fp_inf(f, x.sign);
    }
    if (y.cls == FPC_INF)
        return fp_inf(f, y.sign);
    if (x.cls == FPC_ZERO) {
        if (y.cls == FPC_ZERO)
            return fp_zero(f, x.sign == y.sign ? x.sign : rm == RM_RDN);
        return sub ? b ^ fp_sign_bit(f) : b;
    }
    if (y.cls == FPC_ZERO)
        return a;

    if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) {
        FpUnpacked t = x;
        x = y;
        y = t;
    }
    /* |x| >= |y|; the significands have at least 10 zero guard bits, so
     * the shifts that matter for cancellation are exact */
    uint64_t ys = fp_shr_jam64(y.sig, (unsigned)(x.exp - y.exp));
    uint64_t sig;
    int exp = x.exp;
    if (x.sign == y.sign) {
        sig = x.sig + ys;
        if (sig >> 63) {
            sig = fp_shr_jam64(sig, 1);
            exp++;
        }
    } else {
        sig = x.sig - ys;
        if (!sig)
            return fp_zero(f, rm == RM_RDN);
        int n = fp_clz64(sig) - 1;
        sig <<= n;
        exp -= n;
    }
    return fp_round_pack(f, x.sign, exp, sig, rm, fl);
}

static uint64_t fpsoft_mul(const FpFmt *f, uint64_t a, uint64_t b,
                           unsigned rm, unsigned *fl)
{
    FpUnpacked x = fp_unpack(f, a), y = fp_unpack(f, b);
    bool sign = x.sign ^ y.sign;
    if (fp_cls_nan(x.cls) || fp_cls_nan(y.cls))
        return fp_nan_result(f, x.cls == FPC_SNAN || y.cls == FPC_SNAN, fl);
    if (x.cls == FPC_INF || y.cls == FPC_INF) {
        if (x.cls == FPC_ZERO || y.cls == FPC_ZERO) {
            *fl |= FFLAG_NV;
            return fp_canon(f);
        }
        return fp_inf(f, sign);
    }
    if (x.cls == FPC_ZERO || y.cls == FPC_ZERO)
        return fp_zero(f, sign);
    u128 p = (u128)x.sig * y.sig; /* in [2^124, 2^126) */
    int exp = x.exp + y.exp;
    uint64_t sig;
    if (p >> 125) {
        exp++;
        sig = (uint64_t)fp_shr_jam128(p, 63);
    } else {
        sig = (uint64_t)fp_shr_jam128(p, 62);
    }
    return fp_round_pack(f, sign, exp, sig, rm, fl);
}

static uint64_t fpsoft_div(const FpFmt *f, uint64_t a, uint64_t b,
                           unsigned rm, unsigned *fl)
{
    FpUnpacked x = fp_unpack(f, a), y = fp_unpack(f, b);
    bool sign = x.sign ^ y.sign;
    if (fp_cls_nan(x.cls) || fp_cls_nan(y.cls))
        return fp_nan_result(f, x.cls == FPC_SNAN || y.cls == FPC_SNAN, fl);
    if (x.cls == FPC_INF) {
        if (y.cls == FPC_INF) {
            *fl |= FFLAG_NV;
            return fp_canon(f);
        }
        return fp_inf(f, sign);
    }
    if (y.cls == FPC_INF)
        return fp_zero(f, sign);
    if (y.cls == FPC_ZERO) {
        if (x.cls == FPC_ZERO) {
            *fl |= FFLAG_NV;
            return fp_canon(f);
        }
        *fl |= FFLAG_DZ;
        return fp_inf(f, sign);
    }
    if (x.cls == FPC_ZERO)
        return fp_zero(f, sign);
    /* quotient of the significands, scaled by 2^64: in (2^63, 2^65) */
    u128 num = (u128)x.sig << 64;
    u128 q = num / y.sig;
    bool rem = num % y.sig != 0;
    int exp;
    uint64_t sig;
    if (q >> 64) {
        exp = x.exp - y.exp;
        sig = (uint64_t)fp_shr_jam128(q, 2) | rem;
    } else {
        exp = x.exp - y.exp - 1;
        sig = (uint64_t)fp_shr_jam128(q, 1) | rem;
    }
    return fp_round_pack(f, sign, exp, sig, rm, fl);
}

static uint64_t fpsoft_sqrt(const FpFmt *f, uint64_t a, unsigned rm,
                            unsigned *fl)
{
    FpUnpacked x = fp_unpack(f, a);
    if (fp_cls_nan(x.cls))
        return fp_nan_result(f, x.cls == FPC_SNAN, fl);
    if (x.cls == FPC_ZERO)
        return a; /* sqrt(-0) = -0 */
    if (x.sign) {
        *fl |= FFLAG_NV;
        return fp_canon(f);
    }
    if (x.cls == FPC_INF)
        return a;
    /* value = sig * 2^(exp-62); with n = sig << (62 + (exp & 1)),
     * sqrt(value) = isqrt(n) * 2^(floor(exp/2) - 62), isqrt(n) in [2^62, 2^63) */
    u128 n = (u128)x.sig << (62 + (x.exp & 1));
    u128 root = 0, bit = (u128)1 << 126;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= root + bit) {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    uint64_t sig = (uint64_t)root | (n != 0);
    int exp = x.exp >= 0 ? x.exp / 2 : -((1 - x.exp) / 2);
    return fp_round_pack(f, false, exp, sig, rm, fl);
}

/* a * b + c with one rounding. The fused variants negate inputs before
 * calling this (as the spec defines them: -(a*b) is a product of -a and b),
 * so exact zero results get the IEEE sign. */
static uint64_t fpsoft_fma(const FpFmt *f, uint64_t a, uint64_t b, uint64_t c,
                           unsigned rm, unsigned *fl)
{
    FpUnpacked x = fp_unpack(f, a), y = fp_unpack(f, b), z = fp_unpack(f, c);
    bool inf_zero = (x.cls == FPC_INF && y.cls == FPC_ZERO) ||
                    (x.cls == FPC_ZERO && y.cls == FPC_INF);
    /* inf * 0 is invalid even when the addend is a quiet NaN */
    if (fp_cls_nan(x.cls) || fp_cls_nan(y.cls) || fp_cls_nan(z.cls) || inf_zero)
        return fp_nan_result(f, inf_zero || x.cls == FPC_SNAN ||
                                    y.cls == FPC_SNAN || z.cls == FPC_SNAN, fl);
    bool ps = x.sign ^ y.sign;
    if (x.cls == FPC_INF || y.cls == FPC_INF) {
        if (z.cls == FPC_INF && z.sign != ps) {
            *fl |= FFLAG_NV;
            return fp_canon(f);
        }
        return fp_inf(f, ps);
    }
    if (z.cls == FPC_INF)
        return c;
    if (x.cls == FPC_ZERO || y.cls == FPC_ZERO) {
        if (z.cls == FPC_ZERO)
            return fp_zero(f, ps == z.sign ? ps : rm == RM_RDN);
        return c;
    }

    /* product: P * 2^(pe - 124), P in [2^124, 2^126) */
    u128 prod = (u128)x.sig * y.sig;
    int pe = x.exp + y.exp, e = pe;
    bool sign = ps;
    u128 r = prod;
    if (z.cls != FPC_ZERO) {
        /* addend on the same scale: C * 2^(ce - 124), C in [2^124, 2^125).
         * Both have >= 20 zero low bits, so any cancellation is exact. */
        u128 add = (u128)z.sig << 62;
        int ce = z.exp;
        if (pe >= ce) {
            add = fp_shr_jam128(add, (unsigned)(pe - ce));
        } else {
            prod = fp_shr_jam128(prod, (unsigned)(ce - pe));
            e = ce;
        }
        if (ps == z.sign) {
            r = prod + add;
        } else if (prod >= add) {
            r = prod - add;
        } else {
            r = add - prod;
            sign = z.sign;
        }
        if (!r)
            return fp_zero(f, rm == RM_RDN);
    }
    int msb = 127 - fp_clz128(r);
    uint64_t sig = msb >= 62 ? (uint64_t)fp_shr_jam128(r, (unsigned)(msb - 62))
                             : (uint64_t)r << (62 - msb);
    return fp_round_pack(f, sign, e - 124 + msb, sig, rm, fl);
}

/* Conversion between the two formats. */
static uint64_t fpsoft_convert(const FpFmt *to, const FpFmt *from, uint64_t a,
                               unsigned rm, unsigned *fl)
{
    FpUnpacked x = fp_unpack(from, a);
    switch (x.cls) {
    case FPC_QNAN:
    case FPC_SNAN: return fp_nan_result(to, x.cls == FPC_SNAN, fl);
    case FPC_INF: return fp_inf(to, x.sign);
    case FPC_ZERO: return fp_zero(to, x.sign);
    default: return fp_round_pack(to, x.sign, x.exp, x.sig, rm, fl);
    }
}

/* Integer (already sign- or zero-extended to 64 bits) to float. */
static uint64_t fp_from_int(const FpFmt *f, uint64_t v, bool is_signed,
                            unsigned rm, unsigned *fl)
{
    bool sign = is_signed && (int64_t)v < 0;
    uint64_t mag = sign ? -v : v;
    if (!mag)
        return 0;
    int exp = 63 - fp_clz64(mag);
    uint64_t sig = exp == 63 ? fp_shr_jam64(mag, 1) : mag << (62 - exp);
    return fp_round_pack(f, sign, exp, sig, rm, fl);
}

/* Float to a 32- or 64-bit integer, saturating as the spec's table says:
 * NaN and +overflow give the largest value, -overflow the smallest, all
 * with NV (and then no NX). The 32-bit results are sign-extended. */
static uint64_t fp_to_int(const FpFmt *f, uint64_t a, bool is_signed,
                          unsigned width, unsigned rm, unsigned *fl)
{
    const uint64_t max = is_signed ? (1ULL << (width - 1)) - 1
                                   : ~0ULL >> (64 - width);
    const uint64_t min_mag = is_signed ? 1ULL << (width - 1) : 0;
    FpUnpacked x = fp_unpack(f, a);
    uint64_t r;
    bool inexact = false;

    switch (x.cls) {
    case FPC_QNAN:
    case FPC_SNAN:
        *fl |= FFLAG_NV;
        r = max;
        goto out;
    case FPC_ZERO:
        return 0;
    case FPC_INF:
        goto invalid;
    default:
        break;
    }
    if (x.exp > 63)
        goto invalid;
    uint64_t mag = x.exp >= 62 ? x.sig << (x.exp - 62)
                               : fp_shift_round(x.sig, (unsigned)(62 - x.exp),
                                                x.sign, rm, &inexact);
    if (x.sign ? mag > min_mag : mag > max)
        goto invalid;
    if (inexact)
        *fl |= FFLAG_NX;
    r = x.sign ? -mag : mag;
    goto out;
invalid:
    *fl |= FFLAG_NV;
    r = x.sign ? -min_mag : max;
out:
    return width == 32 ? (uint64_t)(int64_t)(int32_t)r : r;
}

/* Total order used by comparisons: +0 and -0 equal. */
static inline int64_t fp_order_key(const FpFmt *f, uint64_t v)
{
    int64_t mag = (int64_t)fp_abs(f, v);
    return v & fp_sign_bit(f) ? -mag : mag;
}

/* Order for fmin/fmax, where -0 < +0. */
static inline int64_t fp_minmax_key(const FpFmt *f, uint64_t v)
{
    int64_t mag = (int64_t)fp_abs(f, v);
    return v & fp_sign_bit(f) ? -mag - 1 : mag;
}

/* fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber): a NaN operand is
 * ignored unless both are NaN; a signaling NaN still raises NV. */
static uint64_t fp_minmax(const FpFmt *f, uint64_t a, uint64_t b, bool is_max,
                          unsigned *fl)
{
    bool an = fp_is_nan(f, a), bn = fp_is_nan(f, b);
    if (fp_is_snan(f, a) || fp_is_snan(f, b))
        *fl |= FFLAG_NV;
    if (an && bn)
        return fp_canon(f);
    if (an)
        return b;
    if (bn)
        return a;
    int64_t ka = fp_minmax_key(f, a), kb = fp_minmax_key(f, b);
    return (is_max ? ka >= kb : ka <= kb) ? a : b;
}

enum { CMP_EQ, CMP_LT, CMP_LE };

/* feq is a quiet comparison (NV only for signaling NaNs); flt/fle are
 * signaling (NV for any NaN). Unordered compares false. */
static uint64_t fp_compare(const FpFmt *f, uint64_t a, uint64_t b, int kind,
                           unsigned *fl)
{
    if (fp_is_nan(f, a) || fp_is_nan(f, b)) {
        if (kind != CMP_EQ || fp_is_snan(f, a) || fp_is_snan(f, b))
            *fl |= FFLAG_NV;
        return 0;
    }
    int64_t ka = fp_order_key(f, a), kb = fp_order_key(f, b);
    switch (kind) {
    case CMP_EQ: return ka == kb;
    case CMP_LT: return ka < kb;
    default: return ka <= kb;
    }
}

static uint64_t fp_classify(const FpFmt *f, uint64_t v)
{
    bool sign = (v & fp_sign_bit(f)) != 0;
    uint64_t bexp = v >> f->frac_bits & fp_emask(f);
    uint64_t frac = v & ((1ULL << f->frac_bits) - 1);
    if (bexp == fp_emask(f)) {
        if (!frac)
            return sign ? 1u << 0 : 1u << 7;
        return frac >> (f->frac_bits - 1) ? 1u << 9 : 1u << 8;
    }
    if (bexp == 0) {
        if (!frac)
            return sign ? 1u << 3 : 1u << 4;
        return sign ? 1u << 2 : 1u << 5;
    }
    return sign ? 1u << 1 : 1u << 6;
}

/* ------------------------------------------------------------------------
 * Host fast path (x86-64 SSE), round to nearest even only
 *
 * Loading MXCSR costs more than the whole software operation on common
 * hosts, so this path never writes it and never reads its flags. It runs
 * only when MXCSR already holds the default control bits (RNE, no FTZ/DAZ;
 * checked with a cheap stmxcsr, so a library that changed them cannot leak
 * into results), computes the result on the host, and derives the flags
 * exactly: it accepts only results that cannot have overflowed or
 * underflowed and whose operands rule out invalid and divide-by-zero, so
 * the only possible flag is NX, found from an exact error term. Anything
 * else (NaN or infinite results, zero or tiny products, quotients and fused
 * results, other rounding modes) goes to the software engine. The fused
 * multiply-add has a second form on AVX-512 hosts that needs no MXCSR
 * check at all (static rounding: fp_host_fma_rn_d); the native backend
 * emits the same test inline (translator/x86_64/emit.c, emit_fma_d). */

#if FP_HOST
static inline bool fp_host_ready(void)
{
    uint32_t mx;
    __asm__ volatile("stmxcsr %0" : "=m"(mx));
    return (mx & ~0x3fu) == 0x1f80; /* ignore the sticky flag bits */
}

static inline bool fp_host_has_fma(void)
{
    return __builtin_cpu_supports("fma");
}

static inline double fp_bits_d(uint64_t v)
{
    double d;
    __builtin_memcpy(&d, &v, 8);
    return d;
}

static inline uint64_t fp_d_bits(double d)
{
    uint64_t v;
    __builtin_memcpy(&v, &d, 8);
    return v;
}

static inline float fp_bits_s(uint32_t v)
{
    float s;
    __builtin_memcpy(&s, &v, 4);
    return s;
}

static inline uint32_t fp_s_bits(float s)
{
    uint32_t v;
    __builtin_memcpy(&v, &s, 4);
    return v;
}

/* sqrt without libm's errno path (the operand is always positive here). */
static inline double fp_host_sqrt_d(double a)
{
    double r;
    __asm__("sqrtsd %1, %0" : "=x"(r) : "x"(a));
    return r;
}

static inline float fp_host_sqrt_s(float a)
{
    float r;
    __asm__("sqrtss %1, %0" : "=x"(r) : "x"(a));
    return r;
}

/* a * b + c, one rounding (FMA3; the build does not assume -mfma). */
static inline double fp_host_fma_d(double a, double b, double c)
{
    __asm__("vfmadd231sd %[b], %[a], %[c]" : [c] "+x"(c) : [a] "x"(a), [b] "x"(b));
    return c;
}

static inline float fp_host_fma_s(float a, float b, float c)
{
    __asm__("vfmadd231ss %[b], %[a], %[c]" : [c] "+x"(c) : [a] "x"(a), [b] "x"(b));
    return c;
}

/* AVX-512's static rounding: {rn-sae} rounds a*b + c to nearest even
 * whatever MXCSR.RC holds, and raises no flag and no trap (whatever the
 * masks), so this form needs no stmxcsr check. That check costs more than
 * the rest of the fast path where stmxcsr is microcoded (AMD Zen: 60% of
 * fp_fma_d's samples on tests/bench/mips). MXCSR's DAZ and FTZ still
 * apply: callers pass normal operands only, or a zero addend (DAZ reads
 * subnormals as zero), and keep normal results only (FTZ flushes tiny ones
 * to zero). */
static inline bool fp_host_has_rn_fma(void)
{
    return __builtin_cpu_supports("avx512f");
}

static inline double fp_host_fma_rn_d(double a, double b, double c)
{
    __asm__("vfmadd231sd %{rn-sae%}, %[b], %[a], %[c]" : [c] "+v"(c) : [a] "v"(a), [b] "v"(b));
    return c;
}

static inline float fp_host_fma_rn_s(float a, float b, float c)
{
    __asm__("vfmadd231ss %{rn-sae%}, %[b], %[a], %[c]" : [c] "+v"(c) : [a] "v"(a), [b] "v"(b));
    return c;
}
#endif

/* Finite, normal and above the smallest normal: a rounded result in this
 * range is neither tiny (even after rounding) nor an overflow. */
static inline bool fp_safe_result(const FpFmt *f, uint64_t v)
{
    const uint64_t lo = (1ULL << f->frac_bits) + 1;
    return fp_abs(f, v) - lo < fp_inf(f, false) - lo;
}

static inline bool fp_finite_nonzero(const FpFmt *f, uint64_t v)
{
    return fp_abs(f, v) - 1 < fp_inf(f, false) - 1;
}

/* Finite, nonzero and not subnormal. */
static inline bool fp_normal(const FpFmt *f, uint64_t v)
{
    const uint64_t lo = 1ULL << f->frac_bits;
    return fp_abs(f, v) - lo < fp_inf(f, false) - lo;
}

static inline unsigned fp_bexp(const FpFmt *f, uint64_t v)
{
    return (unsigned)(v >> f->frac_bits & fp_emask(f));
}

/* Position of the lowest set bit of a finite nonzero value, plus
 * bias + frac_bits (so that it is never negative). */
static inline int fp_lsb(const FpFmt *f, uint64_t v)
{
    unsigned e = fp_bexp(f, v);
    uint64_t m = v & ((1ULL << f->frac_bits) - 1);
    if (e)
        m |= 1ULL << f->frac_bits;
    else
        e = 1;
    return (int)e + __builtin_ctzll(m);
}

/* a*b is exact iff its lowest set bit, lsb(a) + lsb(b) (odd significands
 * multiply to odd ones), is not below the last place of the rounded r. */
static inline bool fp_mul_exact(const FpFmt *f, uint64_t a, uint64_t b,
                                uint64_t r)
{
    const int shift = fp_bias(f) + (int)f->frac_bits;
    return fp_lsb(f, a) + fp_lsb(f, b) - shift >= (int)fp_bexp(f, r);
}

/* The significand of a finite nonzero value without its trailing zeros
 * (an odd number). */
static inline uint64_t fp_odd_sig(const FpFmt *f, uint64_t v)
{
    uint64_t m = v & ((1ULL << f->frac_bits) - 1);
    if (fp_bexp(f, v))
        m |= 1ULL << f->frac_bits;
    return m >> __builtin_ctzll(m);
}

/* a*b + c with a and b finite and nonzero, c finite (zero too), r its
 * rounded value, normal: is the sum exact, that is a multiple of r's last
 * place? The lowest set bit of a*b is lsb(a) + lsb(b) (odd significands
 * multiply to odd ones), c's is lsb(c). When they differ, the sum's lowest
 * set bit is the smaller one. When they are equal (L) and below r's last
 * place (L + k), the sum is the terms' odd parts added (or subtracted, by
 * their signs) times 2^L, and exact iff that is 0 modulo 2^k: 64-bit
 * arithmetic gives it, as k <= 55 (|r| < 4 max(|a*b|, |c|), the odd
 * part of a*b has at most 106 bits and c's 53, r keeps 53). Returns 1
 * exact, 0 inexact, -1 unknown (k > 63, which those bounds rule out). */
static inline int fp_fma_exact(const FpFmt *f, uint64_t a, uint64_t b,
                               uint64_t c, uint64_t r)
{
    const int shift = fp_bias(f) + (int)f->frac_bits;
    int lp = fp_lsb(f, a) + fp_lsb(f, b) - shift, u = (int)fp_bexp(f, r);
    if (!fp_abs(f, c))
        return lp >= u;
    int lc = fp_lsb(f, c);
    if (lp != lc || lp >= u)
        return (lp < lc ? lp : lc) >= u;
    unsigned k = (unsigned)(u - lp);
    if (k > 63)
        return -1;
    uint64_t op = fp_odd_sig(f, a) * fp_odd_sig(f, b), oc = fp_odd_sig(f, c);
    uint64_t sum = (a ^ b ^ c) & fp_sign_bit(f) ? op - oc : op + oc;
    return (sum & ((1ULL << k) - 1)) == 0;
}

/* Smallest biased exponent of a dividend (or radicand) for which the
 * remainder a - r*b (or a - r*r) is a multiple of the smallest subnormal,
 * so that its rounded value is zero only when it is zero: 2p + 1. */
static inline unsigned fp_rem_min_exp(const FpFmt *f)
{
    return 2 * (f->frac_bits + 1) + 1;
}

/* ------------------------------------------------------------------------
 * Operation dispatch: host fast path when it applies, software otherwise */

enum { FA_ADD, FA_SUB, FA_MUL, FA_DIV, FA_SQRT };

/* The software form of fp_arith_d and fp_arith_s, for either format f:
 * any rounding mode, any operands. Inlined like them, so that each keeps
 * the code it had. */
static inline __attribute__((always_inline)) uint64_t
fp_arith_soft(const FpFmt *f, int kind, uint64_t a, uint64_t b, unsigned rm, unsigned *fl)
{
    /* a separate flags word keeps the fast path's one out of memory */
    unsigned sfl = 0;
    uint64_t r;
    switch (kind) {
    case FA_ADD: r = fpsoft_add(f, a, b, false, rm, &sfl); break;
    case FA_SUB: r = fpsoft_add(f, a, b, true, rm, &sfl); break;
    case FA_MUL: r = fpsoft_mul(f, a, b, rm, &sfl); break;
    case FA_DIV: r = fpsoft_div(f, a, b, rm, &sfl); break;
    default: r = fpsoft_sqrt(f, a, rm, &sfl); break;
    }
    *fl |= sfl;
    return r;
}

static inline __attribute__((always_inline)) uint64_t
fp_arith_d(int kind, uint64_t a, uint64_t b, unsigned rm, unsigned *fl)
{
    const FpFmt *f = &fp_double;
#if FP_HOST
    if (likely(rm == RM_RNE && fp_host_ready())) {
        double x = fp_bits_d(a), y = fp_bits_d(b);
        uint64_t r;
        switch (kind) {
        case FA_ADD:
        case FA_SUB: {
            /* a sum is never tiny and inexact, and a finite sum had finite
             * operands: only NX is possible, and 2Sum gives the error */
            if (kind == FA_SUB)
                y = -y;
            double s = x + y, bb = s - x;
            double e = (x - (s - bb)) + (y - bb);
            r = fp_d_bits(s);
            if (likely(fp_abs(f, r) < fp_inf(f, false))) {
                if (e == 0)
                    return r;
                if (likely(fp_abs(f, fp_d_bits(e)) < fp_inf(f, false))) {
                    *fl |= FFLAG_NX;
                    return r;
                }
            }
            break;
        }
        case FA_MUL:
            r = fp_d_bits(x * y);
            if (likely(fp_safe_result(f, r))) {
                *fl |= fp_mul_exact(f, a, b, r) ? 0 : FFLAG_NX;
                return r;
            }
            break;
        case FA_DIV:
            if (fp_host_has_fma() && fp_bexp(f, a) >= fp_rem_min_exp(f) &&
                fp_bexp(f, a) < fp_emask(f)) {
                double q = x / y;
                r = fp_d_bits(q);
                if (likely(fp_safe_result(f, r))) {
                    *fl |= fp_host_fma_d(-q, y, x) == 0 ? 0 : FFLAG_NX;
                    return r;
                }
            }
            break;
        default:
            if (fp_host_has_fma() && !(a >> 63) &&
                fp_bexp(f, a) >= fp_rem_min_exp(f) &&
                fp_bexp(f, a) < fp_emask(f)) {
                double q = fp_host_sqrt_d(x);
                *fl |= fp_host_fma_d(-q, q, x) == 0 ? 0 : FFLAG_NX;
                return fp_d_bits(q);
            }
            break;
        }
    }
#endif
    return fp_arith_soft(f, kind, a, b, rm, fl);
}

static inline __attribute__((always_inline)) uint32_t
fp_arith_s(int kind, uint32_t a, uint32_t b, unsigned rm, unsigned *fl)
{
    const FpFmt *f = &fp_single;
#if FP_HOST
    if (likely(rm == RM_RNE && fp_host_ready())) {
        float x = fp_bits_s(a), y = fp_bits_s(b);
        uint32_t r;
        switch (kind) {
        case FA_ADD:
        case FA_SUB: {
            if (kind == FA_SUB)
                y = -y;
            float s = x + y, bb = s - x;
            float e = (x - (s - bb)) + (y - bb);
            r = fp_s_bits(s);
            if (likely(fp_abs(f, r) < fp_inf(f, false))) {
                if (e == 0)
                    return r;
                if (likely(fp_abs(f, fp_s_bits(e)) < fp_inf(f, false))) {
                    *fl |= FFLAG_NX;
                    return r;
                }
            }
            break;
        }
        case FA_MUL:
            r = fp_s_bits(x * y);
            if (likely(fp_safe_result(f, r))) {
                *fl |= fp_mul_exact(f, a, b, r) ? 0 : FFLAG_NX;
                return r;
            }
            break;
        case FA_DIV:
            if (fp_host_has_fma() && fp_bexp(f, a) >= fp_rem_min_exp(f) &&
                fp_bexp(f, a) < fp_emask(f)) {
                float q = x / y;
                r = fp_s_bits(q);
                if (likely(fp_safe_result(f, r))) {
                    *fl |= fp_host_fma_s(-q, y, x) == 0 ? 0 : FFLAG_NX;
                    return r;
                }
            }
            break;
        default:
            if (fp_host_has_fma() && !(a >> 31) &&
                fp_bexp(f, a) >= fp_rem_min_exp(f) &&
                fp_bexp(f, a) < fp_emask(f)) {
                float q = fp_host_sqrt_s(x);
                *fl |= fp_host_fma_s(-q, q, x) == 0 ? 0 : FFLAG_NX;
                return fp_s_bits(q);
            }
            break;
        }
    }
#endif
    return (uint32_t)fp_arith_soft(f, kind, a, b, rm, fl);
}

/* a * b + c; the caller has already flipped signs for the variants. */
static inline uint64_t fp_fma_d(uint64_t a, uint64_t b, uint64_t c,
                                unsigned rm, unsigned *fl)
{
    const FpFmt *f = &fp_double;
    uint64_t r;
    unsigned sfl = 0; /* apart from *fl, which the fast path keeps in a register */
#if FP_HOST
    if (likely(rm == RM_RNE && fp_host_has_rn_fma() && fp_normal(f, a) &&
               fp_normal(f, b) && (fp_normal(f, c) || !fp_abs(f, c))))
        r = fp_d_bits(fp_host_fma_rn_d(fp_bits_d(a), fp_bits_d(b), fp_bits_d(c)));
    else if (rm == RM_RNE && fp_host_has_fma() && fp_host_ready() &&
             fp_finite_nonzero(f, a) && fp_finite_nonzero(f, b) &&
             (fp_finite_nonzero(f, c) || !fp_abs(f, c)))
        r = fp_d_bits(fp_host_fma_d(fp_bits_d(a), fp_bits_d(b), fp_bits_d(c)));
    else
        goto soft;
    {
        int exact;
        if (likely(fp_safe_result(f, r)) &&
            likely((exact = fp_fma_exact(f, a, b, c, r)) >= 0)) {
            *fl |= exact ? 0 : FFLAG_NX;
            return r;
        }
    }
soft:
#endif
    r = fpsoft_fma(f, a, b, c, rm, &sfl);
    *fl |= sfl;
    return r;
}

static inline uint32_t fp_fma_s(uint32_t a, uint32_t b, uint32_t c,
                                unsigned rm, unsigned *fl)
{
    const FpFmt *f = &fp_single;
    uint32_t r;
    unsigned sfl = 0; /* apart from *fl, which the fast path keeps in a register */
#if FP_HOST
    if (likely(rm == RM_RNE && fp_host_has_rn_fma() && fp_normal(f, a) &&
               fp_normal(f, b) && (fp_normal(f, c) || !fp_abs(f, c))))
        r = fp_s_bits(fp_host_fma_rn_s(fp_bits_s(a), fp_bits_s(b), fp_bits_s(c)));
    else if (rm == RM_RNE && fp_host_has_fma() && fp_host_ready() &&
             fp_finite_nonzero(f, a) && fp_finite_nonzero(f, b) &&
             (fp_finite_nonzero(f, c) || !fp_abs(f, c)))
        r = fp_s_bits(fp_host_fma_s(fp_bits_s(a), fp_bits_s(b), fp_bits_s(c)));
    else
        goto soft;
    {
        int exact;
        if (likely(fp_safe_result(f, r)) &&
            likely((exact = fp_fma_exact(f, a, b, c, r)) >= 0)) {
            *fl |= exact ? 0 : FFLAG_NX;
            return r;
        }
    }
soft:
#endif
    r = (uint32_t)fpsoft_fma(f, a, b, c, rm, &sfl);
    *fl |= sfl;
    return r;
}

uint64_t fp_fma_software(bool is_double, uint64_t a, uint64_t b, uint64_t c,
                         unsigned rm, unsigned *fl)
{
    const FpFmt *f = is_double ? &fp_double : &fp_single;
    unsigned sfl = 0;
    uint64_t r = fpsoft_fma(f, a, b, c, rm, &sfl);
    *fl |= sfl;
    return r;
}

/* fcvt.s.d: a normal single result is exact iff it widens back to a. */
static inline uint32_t fp_narrow(uint64_t a, unsigned rm, unsigned *fl)
{
#if FP_HOST
    if (likely(rm == RM_RNE && fp_host_ready())) {
        double x = fp_bits_d(a);
        float s = (float)x;
        uint32_t r = fp_s_bits(s);
        if (likely(fp_safe_result(&fp_single, r))) {
            *fl |= (double)s == x ? 0 : FFLAG_NX;
            return r;
        }
    }
#endif
    unsigned sfl = 0;
    uint32_t r = (uint32_t)fpsoft_convert(&fp_single, &fp_double, a, rm, &sfl);
    *fl |= sfl;
    return r;
}

/* ------------------------------------------------------------------------
 * Register access and bookkeeping */

/* A single-precision operand: the low half if properly NaN-boxed, else
 * the canonical NaN. */
static inline uint32_t fp_get_s(const Hart *h, unsigned r)
{
    uint64_t v = h->f[r];
    return (v >> 32) == 0xffffffffu ? (uint32_t)v : CANON_NAN_S;
}

static inline void fp_set_s(Hart *h, unsigned r, uint32_t v)
{
    h->f[r] = BOX_S | v;
}

/* The effective rounding mode, or -1 when it is reserved (illegal). */
static inline int fp_rm(const Hart *h, const Op *op)
{
    unsigned rm = op->rm == RM_DYN ? h->csr.frm : op->rm;
    return rm <= RM_RMM ? (int)rm : -1;
}

static inline void fp_accrue(Hart *h, unsigned fl)
{
    if (fl) {
        h->csr.fflags |= fl;
        csr_set_fs_dirty(h);
    }
}

/* After an FP register write: flags, and FS is dirty in any case. */
static inline int fp_done(Hart *h, const Op *op, unsigned fl)
{
    h->csr.fflags |= fl;
    csr_set_fs_dirty(h);
    return op_next(h, op);
}

#define FP_GET_RM(h, op)                                                    \
    int rm = fp_rm(h, op);                                                  \
    if (unlikely(rm < 0))                                                   \
        return op_illegal(h, op)

/* ------------------------------------------------------------------------
 * Loads and stores */

int op_flw(Hart *h, const Op *op)
{
    uint64_t v;
    if (!mmu_read(h, op, X(op->rs1) + (uint64_t)op->imm, 4, &v))
        return OP_EXIT_EXC;
    fp_set_s(h, op->rd, (uint32_t)v);
    csr_set_fs_dirty(h);
    return op_next(h, op);
}

int op_fld(Hart *h, const Op *op)
{
    uint64_t v;
    if (!mmu_read(h, op, X(op->rs1) + (uint64_t)op->imm, 8, &v))
        return OP_EXIT_EXC;
    h->f[op->rd] = v;
    csr_set_fs_dirty(h);
    return op_next(h, op);
}

/* Stores move raw bits: fsw ignores the NaN-boxing of its source. */
int op_fsw(Hart *h, const Op *op)
{
    if (!mmu_write(h, op, X(op->rs1) + (uint64_t)op->imm, 4,
                   (uint32_t)h->f[op->rs2]))
        return OP_EXIT_EXC;
    return op_next(h, op);
}

int op_fsd(Hart *h, const Op *op)
{
    if (!mmu_write(h, op, X(op->rs1) + (uint64_t)op->imm, 8, h->f[op->rs2]))
        return OP_EXIT_EXC;
    return op_next(h, op);
}

/* ------------------------------------------------------------------------
 * Arithmetic */

#define FP_ARITH_OPS(name, kind)                                            \
    int op_##name##_s(Hart *h, const Op *op)                                \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint32_t r = fp_arith_s(kind, fp_get_s(h, op->rs1),                 \
                                fp_get_s(h, op->rs2), (unsigned)rm, &fl);   \
        fp_set_s(h, op->rd, r);                                             \
        return fp_done(h, op, fl);                                              \
    }                                                                       \
    int op_##name##_d(Hart *h, const Op *op)                                \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        h->f[op->rd] = fp_arith_d(kind, h->f[op->rs1], h->f[op->rs2],       \
                                  (unsigned)rm, &fl);                       \
        return fp_done(h, op, fl);                                              \
    }

FP_ARITH_OPS(fadd, FA_ADD)
FP_ARITH_OPS(fsub, FA_SUB)
FP_ARITH_OPS(fmul, FA_MUL)
FP_ARITH_OPS(fdiv, FA_DIV)
FP_ARITH_OPS(fsqrt, FA_SQRT)

/* Fused multiply-add family: which of the product and the addend are
 * negated (fmsub: -c; fnmsub: -(a*b); fnmadd: -(a*b) - c). */
#define FP_FMA_OPS(name, neg_prod, neg_add)                                 \
    int op_##name##_s(Hart *h, const Op *op)                                \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint32_t a = fp_get_s(h, op->rs1), c = fp_get_s(h, op->rs3);        \
        a ^= (neg_prod) ? 0x80000000u : 0;                                  \
        c ^= (neg_add) ? 0x80000000u : 0;                                   \
        fp_set_s(h, op->rd,                                                 \
                 fp_fma_s(a, fp_get_s(h, op->rs2), c, (unsigned)rm, &fl));  \
        return fp_done(h, op, fl);                                              \
    }                                                                       \
    int op_##name##_d(Hart *h, const Op *op)                                \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint64_t a = h->f[op->rs1], c = h->f[op->rs3];                      \
        a ^= (neg_prod) ? 1ULL << 63 : 0;                                   \
        c ^= (neg_add) ? 1ULL << 63 : 0;                                    \
        h->f[op->rd] = fp_fma_d(a, h->f[op->rs2], c, (unsigned)rm, &fl);    \
        return fp_done(h, op, fl);                                              \
    }

FP_FMA_OPS(fmadd, 0, 0)
FP_FMA_OPS(fmsub, 0, 1)
FP_FMA_OPS(fnmsub, 1, 0)
FP_FMA_OPS(fnmadd, 1, 1)

/* ------------------------------------------------------------------------
 * Sign injection, min/max */

#define FP_SGNJ_OPS(name, expr)                                             \
    int op_##name##_s(Hart *h, const Op *op)                                \
    {                                                                       \
        uint32_t a = fp_get_s(h, op->rs1), b = fp_get_s(h, op->rs2);        \
        const uint32_t sm = 0x80000000u;                                    \
        fp_set_s(h, op->rd, (a & ~sm) | ((expr) & sm));                     \
        return fp_done(h, op, 0);                                               \
    }                                                                       \
    int op_##name##_d(Hart *h, const Op *op)                                \
    {                                                                       \
        uint64_t a = h->f[op->rs1], b = h->f[op->rs2];                      \
        const uint64_t sm = 1ULL << 63;                                     \
        h->f[op->rd] = (a & ~sm) | ((expr) & sm);                           \
        return fp_done(h, op, 0);                                               \
    }

FP_SGNJ_OPS(fsgnj, b)
FP_SGNJ_OPS(fsgnjn, ~b)
FP_SGNJ_OPS(fsgnjx, a ^ b)

#define FP_MINMAX_OPS(name, is_max)                                         \
    int op_##name##_s(Hart *h, const Op *op)                                \
    {                                                                       \
        unsigned fl = 0;                                                    \
        fp_set_s(h, op->rd,                                                 \
                 (uint32_t)fp_minmax(&fp_single, fp_get_s(h, op->rs1),      \
                                     fp_get_s(h, op->rs2), is_max, &fl));   \
        return fp_done(h, op, fl);                                              \
    }                                                                       \
    int op_##name##_d(Hart *h, const Op *op)                                \
    {                                                                       \
        unsigned fl = 0;                                                    \
        h->f[op->rd] = fp_minmax(&fp_double, h->f[op->rs1], h->f[op->rs2], \
                                 is_max, &fl);                              \
        return fp_done(h, op, fl);                                              \
    }

FP_MINMAX_OPS(fmin, false)
FP_MINMAX_OPS(fmax, true)

/* ------------------------------------------------------------------------
 * Conversions between formats */

int op_fcvt_s_d(Hart *h, const Op *op)
{
    FP_GET_RM(h, op);
    unsigned fl = 0;
    fp_set_s(h, op->rd, fp_narrow(h->f[op->rs1], (unsigned)rm, &fl));
    return fp_done(h, op, fl);
}

/* Widening is exact; the rm field must still be a valid mode. */
int op_fcvt_d_s(Hart *h, const Op *op)
{
    FP_GET_RM(h, op);
    unsigned fl = 0;
    h->f[op->rd] = fpsoft_convert(&fp_double, &fp_single, fp_get_s(h, op->rs1),
                                  (unsigned)rm, &fl);
    return fp_done(h, op, fl);
}

/* ------------------------------------------------------------------------
 * Comparisons (integer results) */

#define FP_CMP_OPS(name, kind)                                              \
    int op_##name##_s(Hart *h, const Op *op)                                \
    {                                                                       \
        unsigned fl = 0;                                                    \
        X(op->rd) = fp_compare(&fp_single, fp_get_s(h, op->rs1),            \
                               fp_get_s(h, op->rs2), kind, &fl);            \
        fp_accrue(h, fl);                                                   \
        return op_next(h, op);                                                     \
    }                                                                       \
    int op_##name##_d(Hart *h, const Op *op)                                \
    {                                                                       \
        unsigned fl = 0;                                                    \
        X(op->rd) = fp_compare(&fp_double, h->f[op->rs1], h->f[op->rs2],    \
                               kind, &fl);                                  \
        fp_accrue(h, fl);                                                   \
        return op_next(h, op);                                                     \
    }

FP_CMP_OPS(feq, CMP_EQ)
FP_CMP_OPS(flt, CMP_LT)
FP_CMP_OPS(fle, CMP_LE)

/* ------------------------------------------------------------------------
 * Float <-> integer conversions */

#define FP_TO_INT_OPS(name, is_signed, width)                               \
    int op_fcvt_##name##_s(Hart *h, const Op *op)                           \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        X(op->rd) = fp_to_int(&fp_single, fp_get_s(h, op->rs1), is_signed,  \
                              width, (unsigned)rm, &fl);                    \
        fp_accrue(h, fl);                                                   \
        return op_next(h, op);                                                     \
    }                                                                       \
    int op_fcvt_##name##_d(Hart *h, const Op *op)                           \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        X(op->rd) = fp_to_int(&fp_double, h->f[op->rs1], is_signed, width,  \
                              (unsigned)rm, &fl);                           \
        fp_accrue(h, fl);                                                   \
        return op_next(h, op);                                                     \
    }

FP_TO_INT_OPS(w, true, 32)
FP_TO_INT_OPS(wu, false, 32)
FP_TO_INT_OPS(l, true, 64)
FP_TO_INT_OPS(lu, false, 64)

/* The source is the integer register's low 32 bits (w, wu) or all 64. */
#define FP_FROM_INT_OPS(name, is_signed, ext)                               \
    int op_fcvt_s_##name(Hart *h, const Op *op)                             \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint64_t v = X(op->rs1);                                            \
        fp_set_s(h, op->rd, (uint32_t)fp_from_int(&fp_single, ext, is_signed, \
                                                  (unsigned)rm, &fl));      \
        return fp_done(h, op, fl);                                              \
    }                                                                       \
    int op_fcvt_d_##name(Hart *h, const Op *op)                             \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint64_t v = X(op->rs1);                                            \
        h->f[op->rd] = fp_from_int(&fp_double, ext, is_signed,              \
                                   (unsigned)rm, &fl);                      \
        return fp_done(h, op, fl);                                              \
    }

FP_FROM_INT_OPS(w, true, (uint64_t)(int64_t)(int32_t)v)
FP_FROM_INT_OPS(wu, false, (uint64_t)(uint32_t)v)
FP_FROM_INT_OPS(l, true, v)
FP_FROM_INT_OPS(lu, false, v)

/* ------------------------------------------------------------------------
 * Moves and classification */

/* fmv.x.w moves raw bits (no NaN-box check), sign-extended. */
int op_fmv_x_w(Hart *h, const Op *op)
{
    X(op->rd) = (uint64_t)(int64_t)(int32_t)(uint32_t)h->f[op->rs1];
    return op_next(h, op);
}

int op_fmv_x_d(Hart *h, const Op *op)
{
    X(op->rd) = h->f[op->rs1];
    return op_next(h, op);
}

int op_fmv_w_x(Hart *h, const Op *op)
{
    fp_set_s(h, op->rd, (uint32_t)X(op->rs1));
    return fp_done(h, op, 0);
}

int op_fmv_d_x(Hart *h, const Op *op)
{
    h->f[op->rd] = X(op->rs1);
    return fp_done(h, op, 0);
}

int op_fclass_s(Hart *h, const Op *op)
{
    X(op->rd) = fp_classify(&fp_single, fp_get_s(h, op->rs1));
    return op_next(h, op);
}

int op_fclass_d(Hart *h, const Op *op)
{
    X(op->rd) = fp_classify(&fp_double, h->f[op->rs1]);
    return op_next(h, op);
}

/* ------------------------------------------------------------------------
 * Zfhmin and Zfh: half precision, on the software engine (rows in
 * insns_zfh.def). A half in an f register is NaN-boxed in 64 bits. */

#define BOX_H 0xffffffffffff0000ULL
#define CANON_NAN_H 0x7e00u

static inline uint64_t fp_get_h(const Hart *h, unsigned r)
{
    uint64_t v = h->f[r];
    return (v >> 16) == 0xffffffffffffULL ? (v & 0xffff) : CANON_NAN_H;
}

static inline void fp_set_h(Hart *h, unsigned r, uint64_t v)
{
    h->f[r] = BOX_H | (v & 0xffff);
}

int op_flh(Hart *h, const Op *op)
{
    uint64_t v;
    if (!mmu_read(h, op, X(op->rs1) + (uint64_t)op->imm, 2, &v))
        return OP_EXIT_EXC;
    fp_set_h(h, op->rd, v);
    csr_set_fs_dirty(h);
    return op_next(h, op);
}

int op_fsh(Hart *h, const Op *op)
{
    if (!mmu_write(h, op, X(op->rs1) + (uint64_t)op->imm, 2, h->f[op->rs2] & 0xffff))
        return OP_EXIT_EXC;
    return op_next(h, op);
}

/* fmv.x.h moves raw bits, sign-extended from bit 15. */
int op_fmv_x_h(Hart *h, const Op *op)
{
    X(op->rd) = (uint64_t)(int64_t)(int16_t)(uint16_t)h->f[op->rs1];
    return op_next(h, op);
}

int op_fmv_h_x(Hart *h, const Op *op)
{
    fp_set_h(h, op->rd, X(op->rs1));
    return fp_done(h, op, 0);
}

#define FP_CVT_H(name, to, from, get, set)                                  \
    int op_##name(Hart *h, const Op *op)                                    \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint64_t r = fpsoft_convert(to, from, get, (unsigned)rm, &fl);      \
        set;                                                                \
        return fp_done(h, op, fl);                                          \
    }

FP_CVT_H(fcvt_s_h, &fp_single, &fp_half, fp_get_h(h, op->rs1), fp_set_s(h, op->rd, (uint32_t)r))
FP_CVT_H(fcvt_h_s, &fp_half, &fp_single, fp_get_s(h, op->rs1), fp_set_h(h, op->rd, r))
FP_CVT_H(fcvt_d_h, &fp_double, &fp_half, fp_get_h(h, op->rs1), h->f[op->rd] = r)
FP_CVT_H(fcvt_h_d, &fp_half, &fp_double, h->f[op->rs1], fp_set_h(h, op->rd, r))

static uint64_t fp_arith_h(int kind, uint64_t a, uint64_t b, unsigned rm, unsigned *fl)
{
    switch (kind) {
    case FA_ADD: return fpsoft_add(&fp_half, a, b, false, rm, fl);
    case FA_SUB: return fpsoft_add(&fp_half, a, b, true, rm, fl);
    case FA_MUL: return fpsoft_mul(&fp_half, a, b, rm, fl);
    case FA_DIV: return fpsoft_div(&fp_half, a, b, rm, fl);
    default: return fpsoft_sqrt(&fp_half, a, rm, fl);
    }
}

#define FP_ARITH_H(name, kind)                                              \
    int op_##name##_h(Hart *h, const Op *op)                                \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        fp_set_h(h, op->rd, fp_arith_h(kind, fp_get_h(h, op->rs1),          \
                                       fp_get_h(h, op->rs2), (unsigned)rm, &fl)); \
        return fp_done(h, op, fl);                                          \
    }

FP_ARITH_H(fadd, FA_ADD)
FP_ARITH_H(fsub, FA_SUB)
FP_ARITH_H(fmul, FA_MUL)
FP_ARITH_H(fdiv, FA_DIV)
FP_ARITH_H(fsqrt, FA_SQRT)

#define FP_FMA_H(name, neg_prod, neg_add)                                   \
    int op_##name##_h(Hart *h, const Op *op)                                \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint64_t a = fp_get_h(h, op->rs1), c = fp_get_h(h, op->rs3);        \
        a ^= (neg_prod) ? 0x8000u : 0;                                      \
        c ^= (neg_add) ? 0x8000u : 0;                                       \
        fp_set_h(h, op->rd, fpsoft_fma(&fp_half, a, fp_get_h(h, op->rs2), c, \
                                       (unsigned)rm, &fl));                 \
        return fp_done(h, op, fl);                                          \
    }

FP_FMA_H(fmadd, 0, 0)
FP_FMA_H(fmsub, 0, 1)
FP_FMA_H(fnmsub, 1, 0)
FP_FMA_H(fnmadd, 1, 1)

#define FP_SGNJ_H(name, expr)                                               \
    int op_##name##_h(Hart *h, const Op *op)                                \
    {                                                                       \
        uint64_t a = fp_get_h(h, op->rs1), b = fp_get_h(h, op->rs2);        \
        fp_set_h(h, op->rd, (a & 0x7fff) | ((expr) & 0x8000));              \
        return fp_done(h, op, 0);                                           \
    }

FP_SGNJ_H(fsgnj, b)
FP_SGNJ_H(fsgnjn, ~b)
FP_SGNJ_H(fsgnjx, a ^ b)

#define FP_MINMAX_H(name, is_max)                                           \
    int op_##name##_h(Hart *h, const Op *op)                                \
    {                                                                       \
        unsigned fl = 0;                                                    \
        fp_set_h(h, op->rd, fp_minmax(&fp_half, fp_get_h(h, op->rs1),       \
                                      fp_get_h(h, op->rs2), is_max, &fl));  \
        return fp_done(h, op, fl);                                          \
    }

FP_MINMAX_H(fmin, false)
FP_MINMAX_H(fmax, true)

#define FP_CMP_H(name, kind)                                                \
    int op_##name##_h(Hart *h, const Op *op)                                \
    {                                                                       \
        unsigned fl = 0;                                                    \
        X(op->rd) = fp_compare(&fp_half, fp_get_h(h, op->rs1),              \
                               fp_get_h(h, op->rs2), kind, &fl);            \
        fp_accrue(h, fl);                                                   \
        return op_next(h, op);                                              \
    }

FP_CMP_H(feq, CMP_EQ)
FP_CMP_H(flt, CMP_LT)
FP_CMP_H(fle, CMP_LE)

int op_fclass_h(Hart *h, const Op *op)
{
    X(op->rd) = fp_classify(&fp_half, fp_get_h(h, op->rs1));
    return op_next(h, op);
}

#define FP_TO_INT_H(name, is_signed, width)                                 \
    int op_fcvt_##name##_h(Hart *h, const Op *op)                           \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        X(op->rd) = fp_to_int(&fp_half, fp_get_h(h, op->rs1), is_signed,    \
                              width, (unsigned)rm, &fl);                    \
        fp_accrue(h, fl);                                                   \
        return op_next(h, op);                                              \
    }

FP_TO_INT_H(w, true, 32)
FP_TO_INT_H(wu, false, 32)
FP_TO_INT_H(l, true, 64)
FP_TO_INT_H(lu, false, 64)

#define FP_FROM_INT_H(name, is_signed, ext)                                 \
    int op_fcvt_h_##name(Hart *h, const Op *op)                             \
    {                                                                       \
        FP_GET_RM(h, op);                                                   \
        unsigned fl = 0;                                                    \
        uint64_t v = X(op->rs1);                                            \
        fp_set_h(h, op->rd, fp_from_int(&fp_half, ext, is_signed, (unsigned)rm, &fl)); \
        return fp_done(h, op, fl);                                          \
    }

FP_FROM_INT_H(w, true, (uint64_t)(int64_t)(int32_t)v)
FP_FROM_INT_H(wu, false, (uint64_t)(uint32_t)v)
FP_FROM_INT_H(l, true, v)
FP_FROM_INT_H(lu, false, v)
