/* The intermediate form: a translation block is an array of pre-decoded
 * instruction records ("ops"), each bound to a specialised handler.
 *
 * The portable backend runs a TB by calling each op's handler in turn. A
 * handler returns OP_NEXT to fall through to the next op, or an exit code
 * that ends the TB. Every op carries its guest pc and its index inside the
 * TB, so whenever an exception or an MMIO access happens the exact number
 * of retired instructions is known (icount relies on this).
 *
 * The native backend (translator/native.h) consumes the same op array: it
 * emits host code per op kind and calls the handler for ops it does not
 * specialise, with the handlers' semantics as they are. */
#ifndef REWIND_TRANSLATOR_OP_H
#define REWIND_TRANSLATOR_OP_H

#include <stdint.h>

#include "core/hart.h"

typedef struct Op Op;
typedef int (*OpFn)(Hart *h, const Op *op);

struct Op {
    OpFn fn;
    int64_t imm;     /* sign-extended immediate, CSR number, or shift amount */
    uint64_t pc;     /* guest virtual pc of this instruction */
    uint32_t raw;    /* raw encoding, 16-bit ones zero-extended */
    uint16_t idx;    /* index of this instruction inside its TB */
    uint8_t rd;      /* integer rd==0 is remapped to 32 (the sink) */
    uint8_t rs1, rs2, rs3;
    uint8_t rm;      /* funct3: FP rounding mode, or aq/rl bits for atomics */
    uint8_t len;     /* 2 or 4 */
    uint16_t insn;   /* index in the instruction table (disassembly, stats) */
};

/* Handler results. Handlers that continue call op_next() instead of
 * returning; OP_NEXT is what a TB's terminator returns in tests that run a
 * single op (tests/unit/helpers.c). */
enum {
    OP_NEXT = 0,      /* continue with the next op */
    OP_EXIT_JUMP0,    /* h->pc set to a direct target: chain slot 0 */
    OP_EXIT_JUMP1,    /* h->pc set to a direct target: chain slot 1 */
    OP_EXIT_INDIRECT, /* h->pc set to a computed target (jalr, mret, ...) */
    OP_EXIT_SYNC,     /* h->pc = next insn; state changed that TBs depend on */
    OP_EXIT_EXC,      /* trap taken: h->pc is the handler, op not retired */
    OP_EXIT_WFI,      /* h->pc = next insn, hart waits for an interrupt */
};

/* Continue with the next op of the TB. Handlers tail-call each other
 * (the compiler turns this into a jump), so there is no dispatch loop: the
 * last op of every TB returns an exit code instead. */
static inline int op_next(Hart *h, const Op *op)
{
    return op[1].fn(h, op + 1);
}

/* Helpers for handlers. */
#define X(r) (h->x[(r)])
#define NEXT_PC(op) ((op)->pc + (op)->len)

/* Raise a synchronous exception at op: the op and those after it do not
 * retire. Returns OP_EXIT_EXC so a handler can `return op_raise(...)`. */
int op_raise(Hart *h, const Op *op, uint64_t cause, uint64_t tval);


/* Exception causes (privileged spec, mcause values). */
enum {
    EXC_INSN_MISALIGNED = 0,
    EXC_INSN_ACCESS = 1,
    EXC_ILLEGAL_INSN = 2,
    EXC_BREAKPOINT = 3,
    EXC_LOAD_MISALIGNED = 4,
    EXC_LOAD_ACCESS = 5,
    EXC_STORE_MISALIGNED = 6,
    EXC_STORE_ACCESS = 7,
    EXC_ECALL_U = 8,
    EXC_ECALL_S = 9,
    EXC_ECALL_M = 11,
    EXC_INSN_PAGE_FAULT = 12,
    EXC_LOAD_PAGE_FAULT = 13,
    EXC_STORE_PAGE_FAULT = 15,
};
#define CAUSE_INTERRUPT (1ULL << 63)
enum {
    IRQ_S_SOFT = 1, IRQ_M_SOFT = 3,
    IRQ_S_TIMER = 5, IRQ_M_TIMER = 7,
    IRQ_S_EXT = 9, IRQ_M_EXT = 11,
};

/* Illegal instruction: tval is the raw encoding, as Linux and OpenSBI's
 * emulation paths expect. */
static inline int op_illegal(Hart *h, const Op *op)
{
    return op_raise(h, op, EXC_ILLEGAL_INSN, op->raw);
}

#endif
