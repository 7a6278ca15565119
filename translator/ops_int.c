/* Semantics of RV64I and M (rows in insns_int.def). */
#include <stdint.h>

#include "core/mmu.h"
#include "translator/insn_table.h"

#define SEXT32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))
#define RS1 X(op->rs1)
#define RS2 X(op->rs2)
#define IMM ((uint64_t)op->imm)

/* Register-register and register-immediate ALU ops: one line each. */
#define ALU(id, expr)                        \
    int op_##id(Hart *h, const Op *op)       \
    {                                        \
        X(op->rd) = (expr);                  \
        return op_next(h, op);               \
    }

ALU(lui, IMM)
ALU(auipc, op->pc + IMM)
ALU(addi, RS1 + IMM)
ALU(slti, (int64_t)RS1 < (int64_t)IMM)
ALU(sltiu, RS1 < IMM)
ALU(xori, RS1 ^ IMM)
ALU(ori, RS1 | IMM)
ALU(andi, RS1 & IMM)
ALU(slli, RS1 << (op->imm & 63))
ALU(srli, RS1 >> (op->imm & 63))
ALU(srai, (uint64_t)((int64_t)RS1 >> (op->imm & 63)))
ALU(add, RS1 + RS2)
ALU(sub, RS1 - RS2)
ALU(sll, RS1 << (RS2 & 63))
ALU(slt, (int64_t)RS1 < (int64_t)RS2)
ALU(sltu, RS1 < RS2)
ALU(xor, RS1 ^ RS2)
ALU(srl, RS1 >> (RS2 & 63))
ALU(sra, (uint64_t)((int64_t)RS1 >> (RS2 & 63)))
ALU(or, RS1 | RS2)
ALU(and, RS1 & RS2)
ALU(addiw, SEXT32(RS1 + IMM))
ALU(slliw, SEXT32((uint32_t)RS1 << (op->imm & 31)))
ALU(srliw, SEXT32((uint32_t)RS1 >> (op->imm & 31)))
ALU(sraiw, SEXT32((int32_t)(uint32_t)RS1 >> (op->imm & 31)))
ALU(addw, SEXT32(RS1 + RS2))
ALU(subw, SEXT32(RS1 - RS2))
ALU(sllw, SEXT32((uint32_t)RS1 << (RS2 & 31)))
ALU(srlw, SEXT32((uint32_t)RS1 >> (RS2 & 31)))
ALU(sraw, SEXT32((int32_t)(uint32_t)RS1 >> (RS2 & 31)))

/* M extension. Division by zero and signed overflow do not trap: the
 * results are the ones the spec tabulates. */
static uint64_t div_s64(int64_t a, int64_t b)
{
    if (b == 0)
        return UINT64_MAX;
    if (a == INT64_MIN && b == -1)
        return (uint64_t)a;
    return (uint64_t)(a / b);
}
static uint64_t rem_s64(int64_t a, int64_t b)
{
    if (b == 0)
        return (uint64_t)a;
    if (a == INT64_MIN && b == -1)
        return 0;
    return (uint64_t)(a % b);
}
static uint64_t div_s32(int32_t a, int32_t b)
{
    if (b == 0)
        return UINT64_MAX;
    if (a == INT32_MIN && b == -1)
        return SEXT32(a);
    return SEXT32(a / b);
}
static uint64_t rem_s32(int32_t a, int32_t b)
{
    if (b == 0)
        return SEXT32(a);
    if (a == INT32_MIN && b == -1)
        return 0;
    return SEXT32(a % b);
}

ALU(mul, RS1 * RS2)
ALU(mulh, (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(int64_t)RS2) >> 64))
ALU(mulhsu, (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(unsigned __int128)RS2) >> 64))
ALU(mulhu, (uint64_t)(((unsigned __int128)RS1 * RS2) >> 64))
ALU(div, div_s64((int64_t)RS1, (int64_t)RS2))
ALU(divu, RS2 ? RS1 / RS2 : UINT64_MAX)
ALU(rem, rem_s64((int64_t)RS1, (int64_t)RS2))
ALU(remu, RS2 ? RS1 % RS2 : RS1)
ALU(mulw, SEXT32((uint32_t)RS1 * (uint32_t)RS2))
ALU(divw, div_s32((int32_t)RS1, (int32_t)RS2))
ALU(divuw, (uint32_t)RS2 ? SEXT32((uint32_t)RS1 / (uint32_t)RS2) : UINT64_MAX)
ALU(remw, rem_s32((int32_t)RS1, (int32_t)RS2))
ALU(remuw, (uint32_t)RS2 ? SEXT32((uint32_t)RS1 % (uint32_t)RS2) : SEXT32(RS1))

/* Control transfer. The target is computed before rd is written, since rd
 * may be rs1. Targets are always even (IALIGN=16 with C), so no
 * instruction-address-misaligned exception can arise. */
int op_jal(Hart *h, const Op *op)
{
    X(op->rd) = NEXT_PC(op);
    h->pc = op->pc + IMM;
    return OP_EXIT_JUMP0;
}

int op_jalr(Hart *h, const Op *op)
{
    uint64_t target = (RS1 + IMM) & ~1ULL;
    X(op->rd) = NEXT_PC(op);
    h->pc = target;
    return OP_EXIT_INDIRECT;
}

#define BRANCH(id, cond)                                 \
    int op_##id(Hart *h, const Op *op)                   \
    {                                                    \
        if (cond) {                                      \
            h->pc = op->pc + IMM;                        \
            return OP_EXIT_JUMP0;                        \
        }                                                \
        h->pc = NEXT_PC(op);                             \
        return OP_EXIT_JUMP1;                            \
    }

BRANCH(beq, RS1 == RS2)
BRANCH(bne, RS1 != RS2)
BRANCH(blt, (int64_t)RS1 < (int64_t)RS2)
BRANCH(bge, (int64_t)RS1 >= (int64_t)RS2)
BRANCH(bltu, RS1 < RS2)
BRANCH(bgeu, RS1 >= RS2)

/* Loads and stores. A TLB hit is handled inline and continues with a
 * tail call; a miss goes out of line, so that no local's address escapes
 * in the handler (which would cost the tail call a stack frame). */
static inline uint64_t load_extend(uint64_t v, unsigned size, bool sign)
{
    if (!sign || size == 8)
        return v;
    unsigned shift = 64 - 8 * size;
    return (uint64_t)((int64_t)(v << shift) >> shift);
}

static __attribute__((noinline)) int load_slow(Hart *h, const Op *op, uint64_t va,
                                               unsigned size, bool sign)
{
    uint64_t v;
    if (!mmu_read_slow(h, op, va, size, &v))
        return OP_EXIT_EXC;
    X(op->rd) = load_extend(v, size, sign);
    return op_next(h, op);
}

static __attribute__((noinline)) int store_slow(Hart *h, const Op *op, uint64_t va,
                                                unsigned size)
{
    if (!mmu_write_slow(h, op, va, size, RS2))
        return OP_EXIT_EXC;
    return op_next(h, op);
}

#define LOAD(id, size, sign)                                               \
    int op_##id(Hart *h, const Op *op)                                     \
    {                                                                      \
        uint64_t va = RS1 + IMM;                                           \
        const TlbEntry *e = mmu_dtlb(h, ACC_READ, va);                    \
        if (likely(mmu_tlb_hit(e, va, size))) {                            \
            X(op->rd) = load_extend(mmu_host_load(va + e->addend, size),   \
                                    size, sign);                           \
            return op_next(h, op);                                         \
        }                                                                  \
        return load_slow(h, op, va, size, sign);                           \
    }

LOAD(lb, 1, true)
LOAD(lh, 2, true)
LOAD(lw, 4, true)
LOAD(ld, 8, false)
LOAD(lbu, 1, false)
LOAD(lhu, 2, false)
LOAD(lwu, 4, false)

#define STORE(id, size)                                                     \
    int op_##id(Hart *h, const Op *op)                                      \
    {                                                                       \
        uint64_t va = RS1 + IMM;                                            \
        const TlbEntry *e = mmu_dtlb(h, ACC_WRITE, va);                     \
        if (likely(mmu_tlb_hit(e, va, size))) {                             \
            mmu_host_store(va + e->addend, size, RS2);                      \
            return op_next(h, op);                                          \
        }                                                                   \
        return store_slow(h, op, va, size);                                 \
    }

STORE(sb, 1)
STORE(sh, 2)
STORE(sw, 4)
STORE(sd, 8)
