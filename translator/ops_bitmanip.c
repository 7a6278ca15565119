/* Semantics of Zba, Zbb, Zbc, Zbs and Zicond (rows in insns_bitmanip.def). */
#include <stdint.h>

#include "translator/insn_table.h"

#define SEXT32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))
#define RS1 X(op->rs1)
#define RS2 X(op->rs2)
#define SHAMT ((unsigned)op->imm & 63)
#define UW(v) ((uint64_t)(uint32_t)(v)) /* the .uw forms: the low word, zero-extended */

#define ALU(id, expr)                        \
    int op_##id(Hart *h, const Op *op)       \
    {                                        \
        X(op->rd) = (expr);                  \
        return op_next(h, op);               \
    }

static uint64_t rol64(uint64_t v, unsigned n)
{
    n &= 63;
    return n ? (v << n) | (v >> (64 - n)) : v;
}
static uint64_t ror64(uint64_t v, unsigned n)
{
    return rol64(v, (64 - (n & 63)) & 63);
}
static uint32_t rol32(uint32_t v, unsigned n)
{
    n &= 31;
    return n ? (v << n) | (v >> (32 - n)) : v;
}
static uint32_t ror32(uint32_t v, unsigned n)
{
    return rol32(v, (32 - (n & 31)) & 31);
}

/* Each byte: all ones if it is non-zero, else zero. */
static uint64_t orc_b(uint64_t v)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i += 8)
        if ((v >> i) & 0xff)
            r |= 0xffULL << i;
    return r;
}

/* Carry-less products: the low and the high 64 bits of the 128-bit one. */
static uint64_t clmul_lo(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i++)
        if ((b >> i) & 1)
            r ^= a << i;
    return r;
}
static uint64_t clmul_hi(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 1; i < 64; i++)
        if ((b >> i) & 1)
            r ^= a >> (64 - i);
    return r;
}
/* Bits 126..63 of the product: clmulr(a, b) = clmulh << 1 | clmul >> 63. */
static uint64_t clmul_rev(uint64_t a, uint64_t b)
{
    return (clmul_hi(a, b) << 1) | (clmul_lo(a, b) >> 63);
}

/* Zba */
ALU(add_uw, RS2 + UW(RS1))
ALU(sh1add, RS2 + (RS1 << 1))
ALU(sh2add, RS2 + (RS1 << 2))
ALU(sh3add, RS2 + (RS1 << 3))
ALU(sh1add_uw, RS2 + (UW(RS1) << 1))
ALU(sh2add_uw, RS2 + (UW(RS1) << 2))
ALU(sh3add_uw, RS2 + (UW(RS1) << 3))
ALU(slli_uw, UW(RS1) << SHAMT)

/* Zbb */
ALU(andn, RS1 & ~RS2)
ALU(orn, RS1 | ~RS2)
ALU(xnor, ~(RS1 ^ RS2))
ALU(clz, RS1 ? (uint64_t)__builtin_clzll(RS1) : 64)
ALU(ctz, RS1 ? (uint64_t)__builtin_ctzll(RS1) : 64)
ALU(cpop, (uint64_t)__builtin_popcountll(RS1))
ALU(sext_b, (uint64_t)(int64_t)(int8_t)(uint8_t)RS1)
ALU(sext_h, (uint64_t)(int64_t)(int16_t)(uint16_t)RS1)
ALU(clzw, (uint32_t)RS1 ? (uint64_t)__builtin_clz((uint32_t)RS1) : 32)
ALU(ctzw, (uint32_t)RS1 ? (uint64_t)__builtin_ctz((uint32_t)RS1) : 32)
ALU(cpopw, (uint64_t)__builtin_popcount((uint32_t)RS1))
ALU(max, (int64_t)RS1 > (int64_t)RS2 ? RS1 : RS2)
ALU(maxu, RS1 > RS2 ? RS1 : RS2)
ALU(min, (int64_t)RS1 < (int64_t)RS2 ? RS1 : RS2)
ALU(minu, RS1 < RS2 ? RS1 : RS2)
ALU(orc_b, orc_b(RS1))
ALU(rev8, __builtin_bswap64(RS1))
ALU(rol, rol64(RS1, (unsigned)RS2))
ALU(ror, ror64(RS1, (unsigned)RS2))
ALU(rolw, SEXT32(rol32((uint32_t)RS1, (unsigned)RS2)))
ALU(rorw, SEXT32(ror32((uint32_t)RS1, (unsigned)RS2)))
ALU(rori, ror64(RS1, SHAMT))
ALU(roriw, SEXT32(ror32((uint32_t)RS1, SHAMT)))
ALU(zext_h, (uint64_t)(uint16_t)RS1)

/* Zbc */
ALU(clmul, clmul_lo(RS1, RS2))
ALU(clmulh, clmul_hi(RS1, RS2))
ALU(clmulr, clmul_rev(RS1, RS2))

/* Zbs: the bit index is the low 6 bits of rs2 or of the immediate. */
ALU(bclr, RS1 & ~(1ULL << (RS2 & 63)))
ALU(bclri, RS1 & ~(1ULL << SHAMT))
ALU(bext, (RS1 >> (RS2 & 63)) & 1)
ALU(bexti, (RS1 >> SHAMT) & 1)
ALU(binv, RS1 ^ (1ULL << (RS2 & 63)))
ALU(binvi, RS1 ^ (1ULL << SHAMT))
ALU(bset, RS1 | (1ULL << (RS2 & 63)))
ALU(bseti, RS1 | (1ULL << SHAMT))

/* Zicond */
ALU(czero_eqz, RS2 ? RS1 : 0)
ALU(czero_nez, RS2 ? 0 : RS1)
