/* The instruction table: every instruction described once, as a row of a
 * .def file (insns_int.def, insns_atomic.def, insns_fp.def, insns_sys.def,
 * insns_bitmanip.def):
 *
 *   INSN(id, "name", mask, match, format, flags)
 *   INSN_X(id, "name", mask, match, format, flags, extension)
 *
 * An INSN_X row belongs to an optional extension (core/isa.h): on a
 * machine without it, the decoder skips the row.
 *
 * An instruction word w is this instruction when (w & mask) == match. Its
 * semantics are the handler op_<id> (translator/ops_*.c). The table drives
 * the decoder, the disassembler (-d in_asm) and the decoder tests.
 * Compressed instructions are expanded to their 32-bit equivalents first
 * (translator/compressed.c), so they need no rows of their own. */
#ifndef REWIND_TRANSLATOR_INSN_TABLE_H
#define REWIND_TRANSLATOR_INSN_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/isa.h"
#include "translator/op.h"

/* How the immediate is laid out (register fields are positional in
 * RISC-V and are always extracted: rd 11:7, rs1 19:15, rs2 24:20,
 * rs3 31:27, rm/funct3 14:12). */
typedef enum {
    FMT_R,     /* no immediate */
    FMT_I,     /* imm[11:0] = w[31:20], sign-extended */
    FMT_S,     /* stores */
    FMT_B,     /* conditional branches, offset from pc */
    FMT_U,     /* lui/auipc: w[31:12] << 12, sign-extended */
    FMT_J,     /* jal, offset from pc */
    FMT_SHIFT, /* imm = shift amount w[25:20] */
    FMT_CSR,   /* imm = CSR number w[31:20]; rs1 field is the uimm for csrr?i */
} InsnFormat;

enum {
    IF_RDX = 1 << 0,    /* rd is an integer register (x0 writes go to the sink) */
    IF_END = 1 << 1,    /* ends the TB: control transfer or a change of state */
    IF_FP = 1 << 2,     /* illegal while mstatus.FS is Off */
    IF_MEM = 1 << 3,    /* accesses memory: may fault, may reach a device */
    IF_BRANCH = 1 << 4, /* direct control transfer: exits through chain slots */
    IF_IO = 1 << 5,     /* reads state that icount must see exactly (counters) */
};

typedef struct InsnDesc {
    const char *name;
    uint32_t mask, match;
    uint8_t fmt;
    uint16_t flags;
    /* 0: always there; else 1 + the IsaExt (core/isa.h) it belongs to. */
    uint8_t ext;
    OpFn fn;
} InsnDesc;

/* Whether row d exists on a machine with the extension set isa_ext. */
static inline bool insn_enabled(const InsnDesc *d, uint64_t isa_ext)
{
    return !d->ext || ((isa_ext >> (d->ext - 1)) & 1);
}

extern const InsnDesc insn_table[];
extern const unsigned insn_table_len;

/* Declarations of every handler, from the .def files. */
#define INSN(id, name, mask, match, fmt, flags) int op_##id(Hart *h, const Op *op);
#define INSN_X(id, name, mask, match, fmt, flags, ext) int op_##id(Hart *h, const Op *op);
#include "translator/insns_int.def"
#include "translator/insns_atomic.def"
#include "translator/insns_fp.def"
#include "translator/insns_sys.def"
#include "translator/insns_bitmanip.def"
#include "translator/insns_zfh.def"
#undef INSN
#undef INSN_X

/* What op_fence does in the fast mode (translator/ops_system.c), for a
 * backend that emits fences inline: a fence that orders earlier stores
 * before later loads is a full host barrier (mfence); pause yields the
 * host thread; every other fence is nothing on x86-64 (TSO). */
bool op_fence_orders_store_load(uint32_t raw);
bool op_fence_is_pause(uint32_t raw);

#endif
