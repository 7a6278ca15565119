/* Decoding instruction words into ops through the instruction table. */
#include "translator/decode.h"

#include <string.h>

static int64_t imm_of(uint32_t w, InsnFormat fmt)
{
    int32_t s = (int32_t)w;
    switch (fmt) {
    case FMT_I: return s >> 20;
    case FMT_S: return (s >> 25) * 32 + (int32_t)((w >> 7) & 31);
    case FMT_B:
        return (int64_t)((s >> 31) * 4096) | ((w >> 7) & 1) << 11 |
               ((w >> 25) & 63) << 5 | ((w >> 8) & 15) << 1;
    case FMT_U: return (int64_t)(s & ~0xfff);
    case FMT_J:
        return (int64_t)((s >> 31) * (1 << 20)) | ((w >> 12) & 255) << 12 |
               ((w >> 20) & 1) << 11 | ((w >> 21) & 1023) << 1;
    case FMT_SHIFT: return (w >> 20) & 63;
    case FMT_CSR: return (w >> 20) & 0xfff;
    default: return 0;
    }
}

const InsnDesc *decode_lookup_linear(uint32_t w, uint64_t isa_ext)
{
    /* The first row that matches, in table order. Rows of extensions
     * that are off are skipped, so their encodings are illegal (or, for a
     * hint such as pause, the base instruction they are an encoding of). */
    for (unsigned i = 0; i < insn_table_len; i++)
        if ((w & insn_table[i].mask) == insn_table[i].match &&
            insn_enabled(&insn_table[i], isa_ext))
            return &insn_table[i];
    return NULL;
}

/* The direct lookup: the rows that can match a word, by its opcode (bits
 * 6:2) and funct3 (14:12), in table order, so the first match is the
 * linear scan's. A row whose mask leaves funct3 open (lui, jal, the FP
 * ops with a rounding mode) is in all eight of its opcode's buckets.
 * Built once, before main, from the constant table: read-only after. */
enum { DECODE_BUCKETS = 32 * 8, DECODE_BUCKET_MAX = 96 };
static struct {
    uint8_t n;
    uint16_t row[DECODE_BUCKET_MAX];
} decode_index[DECODE_BUCKETS];
static bool decode_index_ok;

static unsigned bucket_of(uint32_t w)
{
    return ((w >> 2) & 31) * 8 + ((w >> 12) & 7);
}

__attribute__((constructor)) static void decode_index_build(void)
{
    for (unsigned i = 0; i < insn_table_len; i++) {
        const InsnDesc *d = &insn_table[i];
        /* Every row fixes the whole opcode; if one did not, the index
         * would be wrong: keep the linear scan then. */
        if ((d->mask & 0x7f) != 0x7f)
            return;
        for (unsigned f3 = 0; f3 < 8; f3++) {
            if ((d->mask & 0x7000) == 0x7000 && ((d->match >> 12) & 7) != f3)
                continue;
            unsigned b = ((d->match >> 2) & 31) * 8 + f3;
            if (decode_index[b].n == DECODE_BUCKET_MAX)
                return;
            decode_index[b].row[decode_index[b].n++] = (uint16_t)i;
        }
    }
    decode_index_ok = true;
}

const InsnDesc *decode_lookup(uint32_t w, uint64_t isa_ext)
{
    if (__builtin_expect(!decode_index_ok, 0))
        return decode_lookup_linear(w, isa_ext);
    const __typeof__(decode_index[0]) *b = &decode_index[bucket_of(w)];
    for (unsigned k = 0; k < b->n; k++) {
        const InsnDesc *d = &insn_table[b->row[k]];
        if ((w & d->mask) == d->match && insn_enabled(d, isa_ext))
            return d;
    }
    return NULL;
}

bool decode_index_in_use(void)
{
    return decode_index_ok;
}

int op_illegal_insn(Hart *h, const Op *op)
{
    return op_illegal(h, op);
}

const InsnDesc *decode_op(Op *op, uint32_t raw, unsigned len, uint64_t pc, uint64_t isa_ext)
{
    uint32_t w = len == 2 ? rvc_expand((uint16_t)raw) : raw;
    const InsnDesc *d = (w && (len == 2 || (w & 3) == 3)) ? decode_lookup(w, isa_ext) : NULL;
    memset(op, 0, sizeof(*op));
    op->pc = pc;
    op->raw = raw;
    op->len = (uint8_t)len;
    if (!d) {
        op->fn = op_illegal_insn;
        op->insn = UINT16_MAX;
        return NULL;
    }
    op->fn = d->fn;
    op->insn = (uint16_t)(d - insn_table);
    op->rd = (w >> 7) & 31;
    op->rs1 = (w >> 15) & 31;
    op->rs2 = (w >> 20) & 31;
    op->rs3 = (w >> 27) & 31;
    op->rm = (w >> 12) & 7;
    op->imm = imm_of(w, (InsnFormat)d->fmt);
    if ((d->flags & IF_RDX) && op->rd == 0)
        op->rd = 32; /* the sink: writes to x0 vanish */
    return d;
}
