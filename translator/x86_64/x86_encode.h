/* A small x86-64 instruction encoder: just the forms the TB emitter uses.
 *
 * Every function appends one instruction at buf->p. Running past buf->end
 * sets buf->overflow instead of writing (the emitter checks it once per TB
 * and gives up on native code for that TB), so no encoder call can write
 * outside the buffer. Memory operands are [base + disp32] with any base
 * register; no index registers except in x86_lea_index. */
#ifndef REWIND_TRANSLATOR_X86_64_X86_ENCODE_H
#define REWIND_TRANSLATOR_X86_64_X86_ENCODE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct X86Buf {
    uint8_t *p, *end;
    bool overflow;
} X86Buf;

typedef enum {
    RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
    R8, R9, R10, R11, R12, R13, R14, R15,
} X86Reg;

/* Condition codes (the low nibble of jcc / setcc). */
typedef enum {
    CC_O = 0, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
    CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G,
} X86Cond;

/* Group-1 ALU operations: the /digit of 0x81/0x83 and the base opcode of
 * the reg/rm forms (base + 1: r/m <- r; base + 3: r <- r/m). */
typedef enum {
    ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7,
} X86Alu;

/* Group-2 shifts: the /digit of 0xC1 / 0xD3. */
typedef enum { SHIFT_SHL = 4, SHIFT_SHR = 5, SHIFT_SAR = 7 } X86Shift;

/* The longest instruction emitted, for the room check. */
enum { X86_MAX_INSN = 16 };

static inline bool x86_room(X86Buf *b, unsigned n)
{
    if (b->overflow || (size_t)(b->end - b->p) < n) {
        b->overflow = true;
        return false;
    }
    return true;
}

static inline void x86_b(X86Buf *b, uint8_t v)
{
    *b->p++ = v;
}

static inline void x86_d(X86Buf *b, uint32_t v)
{
    memcpy(b->p, &v, 4);
    b->p += 4;
}

static inline void x86_q(X86Buf *b, uint64_t v)
{
    memcpy(b->p, &v, 8);
    b->p += 8;
}

static inline bool x86_fits_s32(int64_t v)
{
    return v == (int64_t)(int32_t)v;
}

/* REX prefix for reg (ModRM.reg) and rm (ModRM.rm / base); emitted when
 * needed (64-bit operand, extended register, or a byte register beyond
 * the legacy four). */
static inline void x86_rex(X86Buf *b, bool w, unsigned reg, unsigned rm, bool byte_regs)
{
    uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
    if (rex != 0x40 || (byte_regs && ((reg & 7) >= 4 || (rm & 7) >= 4)))
        x86_b(b, rex);
}

/* ModRM (+SIB, +displacement) for reg, [base + disp]. */
static inline void x86_modrm_mem(X86Buf *b, unsigned reg, unsigned base, int32_t disp)
{
    unsigned mod = disp == 0 && (base & 7) != RBP ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
    x86_b(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
    if ((base & 7) == RSP)
        x86_b(b, 0x24); /* SIB: no index, base */
    if (mod == 1)
        x86_b(b, (uint8_t)disp);
    else if (mod == 2)
        x86_d(b, (uint32_t)disp);
}

static inline void x86_modrm_reg(X86Buf *b, unsigned reg, unsigned rm)
{
    x86_b(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* opcode (one or two bytes, 0x0f-prefixed when op > 0xff) with reg and a
 * memory operand. */
static inline void x86_op_mem(X86Buf *b, unsigned op, bool w, unsigned reg, unsigned base,
                              int32_t disp, bool byte_regs)
{
    if (!x86_room(b, X86_MAX_INSN))
        return;
    x86_rex(b, w, reg, base, byte_regs);
    if (op > 0xff)
        x86_b(b, (uint8_t)(op >> 8));
    x86_b(b, (uint8_t)op);
    x86_modrm_mem(b, reg, base, disp);
}

static inline void x86_op_reg(X86Buf *b, unsigned op, bool w, unsigned reg, unsigned rm,
                              bool byte_regs)
{
    if (!x86_room(b, X86_MAX_INSN))
        return;
    x86_rex(b, w, reg, rm, byte_regs);
    if (op > 0xff)
        x86_b(b, (uint8_t)(op >> 8));
    x86_b(b, (uint8_t)op);
    x86_modrm_reg(b, reg, rm);
}

/* --------------------------------------------------------------- moves */

/* mov r64, [base + disp] */
static inline void x86_load64(X86Buf *b, X86Reg r, X86Reg base, int32_t disp)
{
    x86_op_mem(b, 0x8b, true, r, base, disp, false);
}

/* mov [base + disp], r64 */
static inline void x86_store64(X86Buf *b, X86Reg base, int32_t disp, X86Reg r)
{
    x86_op_mem(b, 0x89, true, r, base, disp, false);
}

/* mov r64, r64 */
static inline void x86_mov_rr(X86Buf *b, X86Reg dst, X86Reg src)
{
    x86_op_reg(b, 0x89, true, src, dst, false);
}

/* mov r32, r32 (zero-extends into the 64-bit register) */
static inline void x86_mov_rr32(X86Buf *b, X86Reg dst, X86Reg src)
{
    x86_op_reg(b, 0x89, false, src, dst, false);
}

/* r = imm, in the shortest form. */
static inline void x86_mov_imm(X86Buf *b, X86Reg r, uint64_t imm)
{
    if (!x86_room(b, X86_MAX_INSN))
        return;
    if (imm == 0) {
        x86_op_reg(b, 0x31, false, r, r, false); /* xor r32, r32 */
    } else if (imm <= UINT32_MAX) {
        x86_rex(b, false, 0, r, false);
        x86_b(b, (uint8_t)(0xb8 + (r & 7)));
        x86_d(b, (uint32_t)imm);
    } else if (x86_fits_s32((int64_t)imm)) {
        x86_rex(b, true, 0, r, false);
        x86_b(b, 0xc7);
        x86_modrm_reg(b, 0, r);
        x86_d(b, (uint32_t)imm);
    } else {
        x86_rex(b, true, 0, r, false);
        x86_b(b, (uint8_t)(0xb8 + (r & 7)));
        x86_q(b, imm);
    }
}

/* mov qword [base + disp], simm32 */
static inline void x86_store_imm32(X86Buf *b, X86Reg base, int32_t disp, int32_t imm)
{
    x86_op_mem(b, 0xc7, true, 0, base, disp, false);
    if (!b->overflow)
        x86_d(b, (uint32_t)imm);
}

/* mov dword [base + disp], imm32 */
static inline void x86_store_imm32_32(X86Buf *b, X86Reg base, int32_t disp, uint32_t imm)
{
    x86_op_mem(b, 0xc7, false, 0, base, disp, false);
    if (!b->overflow)
        x86_d(b, imm);
}

/* Loads of 1, 2, 4 or 8 bytes from [base + disp] into r, zero- or
 * sign-extended to 64 bits. */
static inline void x86_load_ext(X86Buf *b, X86Reg r, X86Reg base, int32_t disp, unsigned size,
                                bool sign)
{
    switch (size) {
    case 1: x86_op_mem(b, sign ? 0x0fbe : 0x0fb6, sign, r, base, disp, false); break;
    case 2: x86_op_mem(b, sign ? 0x0fbf : 0x0fb7, sign, r, base, disp, false); break;
    case 4:
        if (sign)
            x86_op_mem(b, 0x63, true, r, base, disp, false); /* movsxd */
        else
            x86_op_mem(b, 0x8b, false, r, base, disp, false);
        break;
    default: x86_load64(b, r, base, disp); break;
    }
}

/* Store the low `size` bytes of r to [base + disp]. */
static inline void x86_store_sized(X86Buf *b, X86Reg base, int32_t disp, X86Reg r,
                                   unsigned size)
{
    switch (size) {
    case 1: x86_op_mem(b, 0x88, false, r, base, disp, true); break;
    case 2:
        if (x86_room(b, X86_MAX_INSN)) {
            x86_b(b, 0x66);
            x86_op_mem(b, 0x89, false, r, base, disp, false);
        }
        break;
    case 4: x86_op_mem(b, 0x89, false, r, base, disp, false); break;
    default: x86_store64(b, base, disp, r); break;
    }
}

/* lea r, [base + disp] */
static inline void x86_lea(X86Buf *b, X86Reg r, X86Reg base, int32_t disp)
{
    x86_op_mem(b, 0x8d, true, r, base, disp, false);
}

/* lea r32, [base + disp]: the low 32 bits of the sum, zero-extended */
static inline void x86_lea32(X86Buf *b, X86Reg r, X86Reg base, int32_t disp)
{
    x86_op_mem(b, 0x8d, false, r, base, disp, false);
}

/* lea r, [base + index * scale] (scale 1, 2, 4 or 8; base not rbp/r13) */
static inline void x86_lea_index(X86Buf *b, X86Reg r, X86Reg base, X86Reg index,
                                 unsigned scale)
{
    if (!x86_room(b, X86_MAX_INSN))
        return;
    unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
    x86_b(b, (uint8_t)(0x48 | ((r & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0)));
    x86_b(b, 0x8d);
    x86_b(b, (uint8_t)(0x04 | (r & 7) << 3));
    x86_b(b, (uint8_t)(ss << 6 | (index & 7) << 3 | (base & 7)));
}

/* ----------------------------------------------------------------- ALU */

/* dst op= src (64 or 32 bits) */
static inline void x86_alu_rr(X86Buf *b, X86Alu op, bool w, X86Reg dst, X86Reg src)
{
    x86_op_reg(b, (unsigned)op * 8 + 1, w, src, dst, false);
}

/* r op= [base + disp] */
static inline void x86_alu_rm(X86Buf *b, X86Alu op, bool w, X86Reg r, X86Reg base,
                              int32_t disp)
{
    x86_op_mem(b, (unsigned)op * 8 + 3, w, r, base, disp, false);
}

/* r op= simm32 */
static inline void x86_alu_ri(X86Buf *b, X86Alu op, bool w, X86Reg r, int32_t imm)
{
    bool small = imm >= -128 && imm <= 127;
    x86_op_reg(b, small ? 0x83 : 0x81, w, (unsigned)op, r, false);
    if (b->overflow)
        return;
    if (small)
        x86_b(b, (uint8_t)imm);
    else
        x86_d(b, (uint32_t)imm);
}

/* r <<= / >>= imm (64 or 32 bits) */
static inline void x86_shift_ri(X86Buf *b, X86Shift op, bool w, X86Reg r, unsigned amount)
{
    x86_op_reg(b, 0xc1, w, (unsigned)op, r, false);
    if (!b->overflow)
        x86_b(b, (uint8_t)amount);
}

/* r <<= / >>= cl (the hardware masks cl to 6 bits, or 5 for 32 bits: the
 * RISC-V rule for sll/sllw and friends) */
static inline void x86_shift_cl(X86Buf *b, X86Shift op, bool w, X86Reg r)
{
    x86_op_reg(b, 0xd3, w, (unsigned)op, r, false);
}

/* dst *= src (imul, low half) */
static inline void x86_imul_rr(X86Buf *b, bool w, X86Reg dst, X86Reg src)
{
    x86_op_reg(b, 0x0faf, w, dst, src, false);
}

/* The one-operand group-3 forms on rdx:rax (64 bits): mul, imul, div,
 * idiv r; and neg r. */
typedef enum { GRP3_NEG = 3, GRP3_MUL = 4, GRP3_IMUL = 5, GRP3_DIV = 6, GRP3_IDIV = 7 } X86Grp3;

static inline void x86_grp3(X86Buf *b, X86Grp3 op, X86Reg r)
{
    x86_op_reg(b, 0xf7, true, (unsigned)op, r, false);
}

/* The same on edx:eax (32 bits): mul, imul, div, idiv r32; neg r32. */
static inline void x86_grp3_32(X86Buf *b, X86Grp3 op, X86Reg r)
{
    x86_op_reg(b, 0xf7, false, (unsigned)op, r, false);
}

/* cdq: edx = the sign of eax */
static inline void x86_cdq(X86Buf *b)
{
    if (!x86_room(b, 1))
        return;
    x86_b(b, 0x99);
}

/* mfence: every earlier load and store before any later one */
static inline void x86_mfence(X86Buf *b)
{
    if (!x86_room(b, 3))
        return;
    x86_b(b, 0x0f);
    x86_b(b, 0xae);
    x86_b(b, 0xf0);
}

/* cqo: rdx = the sign of rax */
static inline void x86_cqo(X86Buf *b)
{
    if (!x86_room(b, 2))
        return;
    x86_b(b, 0x48);
    x86_b(b, 0x99);
}

/* movsxd r64, r32 */
static inline void x86_sext32(X86Buf *b, X86Reg dst, X86Reg src)
{
    x86_op_reg(b, 0x63, true, dst, src, false);
}

/* test a, b (64 bits) */
static inline void x86_test_rr(X86Buf *b, bool w, X86Reg a, X86Reg c)
{
    x86_op_reg(b, 0x85, w, c, a, false);
}

/* setcc r8, then zero-extend into r32: r = condition ? 1 : 0 */
static inline void x86_setcc_zx(X86Buf *b, X86Cond cc, X86Reg r)
{
    x86_op_reg(b, 0x0f90 + (unsigned)cc, false, 0, r, true);
    x86_op_reg(b, 0x0fb6, false, r, r, true);
}

/* cmovcc dst, src (32 bits) */
static inline void x86_cmov32(X86Buf *b, X86Cond cc, X86Reg dst, X86Reg src)
{
    x86_op_reg(b, 0x0f40 + (unsigned)cc, false, dst, src, false);
}

/* bts / btc r64, imm8: set / complement bit `bit` */
static inline void x86_bts_ri(X86Buf *b, X86Reg r, unsigned bit)
{
    x86_op_reg(b, 0x0fba, true, 5, r, false);
    if (!b->overflow)
        x86_b(b, (uint8_t)bit);
}

static inline void x86_btc_ri(X86Buf *b, X86Reg r, unsigned bit)
{
    x86_op_reg(b, 0x0fba, true, 7, r, false);
    if (!b->overflow)
        x86_b(b, (uint8_t)bit);
}

/* tzcnt dst, src (64 bits; BMI1) */
static inline void x86_tzcnt(X86Buf *b, X86Reg dst, X86Reg src)
{
    if (!x86_room(b, X86_MAX_INSN + 1))
        return;
    x86_b(b, 0xf3);
    x86_op_reg(b, 0x0fbc, true, dst, src, false);
}

/* op dword [base + disp], simm8 (ALU_CMP, ALU_OR, ...) */
static inline void x86_alu_m32_i8(X86Buf *b, X86Alu op, X86Reg base, int32_t disp, int8_t imm)
{
    x86_op_mem(b, 0x83, false, (unsigned)op, base, disp, false);
    if (!b->overflow)
        x86_b(b, (uint8_t)imm);
}

/* --------------------------------------------------------------- SSE */

/* movq xmm, r64 */
static inline void x86_movq_x_r(X86Buf *b, unsigned xmm, X86Reg r)
{
    if (!x86_room(b, X86_MAX_INSN + 1))
        return;
    x86_b(b, 0x66);
    x86_op_reg(b, 0x0f6e, true, xmm, r, false);
}

/* movq r64, xmm */
static inline void x86_movq_r_x(X86Buf *b, X86Reg r, unsigned xmm)
{
    if (!x86_room(b, X86_MAX_INSN + 1))
        return;
    x86_b(b, 0x66);
    x86_op_reg(b, 0x0f7e, true, xmm, r, false);
}

/* movq xmm, [base + disp] */
static inline void x86_movq_x_m(X86Buf *b, unsigned xmm, X86Reg base, int32_t disp)
{
    if (!x86_room(b, X86_MAX_INSN + 1))
        return;
    x86_b(b, 0xf3);
    x86_op_mem(b, 0x0f7e, false, xmm, base, disp, false);
}

/* movq [base + disp], xmm */
static inline void x86_movq_m_x(X86Buf *b, X86Reg base, int32_t disp, unsigned xmm)
{
    if (!x86_room(b, X86_MAX_INSN + 1))
        return;
    x86_b(b, 0x66);
    x86_op_mem(b, 0x0fd6, false, xmm, base, disp, false);
}

/* vfmadd231sd {rn-sae}, xmm2, xmm1, xmm0: xmm0 = xmm1 * xmm2 + xmm0 with
 * one rounding to nearest even whatever MXCSR.RC says, no flag raised
 * (AVX-512F static rounding; EVEX.b on a register form). */
static inline void x86_fma231sd_rn_x0_x1_x2(X86Buf *b)
{
    static const uint8_t insn[] = { 0x62, 0xf2, 0xf5, 0x18, 0xb9, 0xc2 };
    if (!x86_room(b, sizeof(insn)))
        return;
    memcpy(b->p, insn, sizeof(insn));
    b->p += sizeof(insn);
}

/* ------------------------------------------------------ control transfer */

static inline void x86_ret(X86Buf *b)
{
    if (x86_room(b, 1))
        x86_b(b, 0xc3);
}

static inline void x86_push(X86Buf *b, X86Reg r)
{
    if (!x86_room(b, 2))
        return;
    if (r & 8)
        x86_b(b, 0x41);
    x86_b(b, (uint8_t)(0x50 + (r & 7)));
}

static inline void x86_pop(X86Buf *b, X86Reg r)
{
    if (!x86_room(b, 2))
        return;
    if (r & 8)
        x86_b(b, 0x41);
    x86_b(b, (uint8_t)(0x58 + (r & 7)));
}

/* call r */
static inline void x86_call_reg(X86Buf *b, X86Reg r)
{
    x86_op_reg(b, 0xff, false, 2, r, false);
}

/* jcc rel32 / jmp rel32 to a target not known yet: returns where the
 * 32-bit displacement lies (NULL on overflow), for x86_patch_rel32. */
static inline uint8_t *x86_jcc_fwd(X86Buf *b, X86Cond cc)
{
    if (!x86_room(b, 6))
        return NULL;
    x86_b(b, 0x0f);
    x86_b(b, (uint8_t)(0x80 + cc));
    uint8_t *at = b->p;
    x86_d(b, 0);
    return at;
}

/* Padding until b->p + skip is a multiple of 4, as one instruction (the
 * recommended multi-byte nops: 90, 66 90, 0f 1f 00), which costs the
 * processor less than a run of one-byte nops. */
static inline void x86_align4(X86Buf *b, unsigned skip)
{
    unsigned n = (unsigned)(-((uintptr_t)b->p + skip)) & 3;
    if (n == 0 || !x86_room(b, n))
        return;
    if (n == 1) {
        x86_b(b, 0x90);
    } else if (n == 2) {
        x86_b(b, 0x66);
        x86_b(b, 0x90);
    } else {
        x86_b(b, 0x0f);
        x86_b(b, 0x1f);
        x86_b(b, 0x00);
    }
}

static inline uint8_t *x86_jmp_fwd(X86Buf *b)
{
    if (!x86_room(b, 5))
        return NULL;
    x86_b(b, 0xe9);
    uint8_t *at = b->p;
    x86_d(b, 0);
    return at;
}

/* Point the rel32 at `at` to target (both in the same buffer). */
static inline void x86_patch_rel32(uint8_t *at, const uint8_t *target)
{
    if (!at)
        return;
    int32_t rel = (int32_t)(target - (at + 4));
    memcpy(at, &rel, 4);
}

/* jmp rel32 to a known target */
static inline void x86_jmp_to(X86Buf *b, const uint8_t *target)
{
    x86_patch_rel32(x86_jmp_fwd(b), target);
}

/* jcc over the next `n` bytes (short form) */
static inline void x86_jcc_short(X86Buf *b, X86Cond cc, uint8_t n)
{
    if (!x86_room(b, 2))
        return;
    x86_b(b, (uint8_t)(0x70 + cc));
    x86_b(b, n);
}

#endif
