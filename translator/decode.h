/* The decoder: instruction words -> table rows -> ops. */
#ifndef REWIND_TRANSLATOR_DECODE_H
#define REWIND_TRANSLATOR_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translator/insn_table.h"

/* Length in bytes of the instruction whose low 16 bits are `lo`. Only 16-
 * and 32-bit instructions exist in RV64GC; longer encodings are reported
 * as 4 and then fail to decode. */
static inline unsigned decode_length(uint16_t lo)
{
    return (lo & 3) == 3 ? 4 : 2;
}

/* Expand a compressed instruction to its 32-bit equivalent, or return 0
 * when it is reserved or illegal for RV64C. */
uint32_t rvc_expand(uint16_t c);

/* The table row for a 32-bit instruction word on a machine with the
 * extension set isa_ext (core/isa.h), or NULL if illegal there. */
const InsnDesc *decode_lookup(uint32_t w, uint64_t isa_ext);
/* The same answer by a scan of the whole table (the reference the direct
 * lookup is tested against), and whether the direct lookup is in use. */
const InsnDesc *decode_lookup_linear(uint32_t w, uint64_t isa_ext);
bool decode_index_in_use(void);

/* Fill op from an instruction: `raw` is the encoding as fetched (16 or 32
 * bits), len its length, isa_ext the machine's extensions. Illegal
 * encodings get a handler that raises an illegal-instruction exception.
 * Returns the row (NULL if illegal). */
const InsnDesc *decode_op(Op *op, uint32_t raw, unsigned len, uint64_t pc, uint64_t isa_ext);

/* Handler bound to illegal encodings. */
int op_illegal_insn(Hart *h, const Op *op);

/* Disassemble into buf (e.g. "addi a0,a0,1"), for -d in_asm: every
 * extension's rows count (a disabled one's instruction traps before it
 * could matter; its name says what the guest tried). */
void disasm(char *buf, size_t len, uint32_t raw, unsigned ilen, uint64_t pc);

#endif
