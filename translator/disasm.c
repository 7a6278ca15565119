/* A compact disassembler over the instruction table, for -d in_asm. */
#include <stdio.h>

#include "core/csr.h"
#include "translator/decode.h"

static const char *const xname[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};
static const char *const fname[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

void disasm(char *buf, size_t len, uint32_t raw, unsigned ilen, uint64_t pc)
{
    Op op;
    const InsnDesc *d = decode_op(&op, raw, ilen, pc, UINT64_MAX);
    if (!d) {
        snprintf(buf, len, "illegal 0x%0*x", ilen * 2, raw);
        return;
    }
    unsigned rd = op.rd == 32 ? 0 : op.rd;
    bool fp = d->flags & IF_FP;
    uint32_t w = ilen == 2 ? rvc_expand((uint16_t)raw) : raw;
    unsigned opcode = w & 0x7f, funct5 = w >> 27;
    /* FP rows name f registers, except an integer rd (IF_RDX), the base
     * address of FP loads and stores, and the integer source of fmv.?.x
     * and fcvt.{s,d}.{w,l}[u] (OP-FP funct5 0x1e and 0x1a). */
    bool int_rs1 = fp && opcode == 0x53 && (funct5 == 0x1e || funct5 == 0x1a);
    const char *rdn = (fp && !(d->flags & IF_RDX)) ? fname[rd] : xname[rd];
    const char *r1 = (fp && !(d->flags & IF_MEM) && !int_rs1) ? fname[op.rs1]
                                                              : xname[op.rs1];
    const char *r2 = fp ? fname[op.rs2] : xname[op.rs2];
    const char *c = ilen == 2 ? "c:" : "";
    long long imm = (long long)op.imm;
    if (opcode == 0x2f) { /* AMO: rd, rs2, (rs1); lr has no rs2 */
        if (funct5 == 0x02)
            snprintf(buf, len, "%s%s %s,(%s)", c, d->name, rdn, xname[op.rs1]);
        else
            snprintf(buf, len, "%s%s %s,%s,(%s)", c, d->name, rdn,
                     xname[op.rs2], xname[op.rs1]);
        return;
    }
    if ((opcode & 0x73) == 0x43) { /* fmadd, fmsub, fnmsub, fnmadd */
        snprintf(buf, len, "%s%s %s,%s,%s,%s", c, d->name, rdn, r1, r2,
                 fname[op.rs3]);
        return;
    }
    /* one-operand FP ops: fsqrt, fclass, fmv, fcvt (OP-FP funct5 0x0b,
     * 0x1c, 0x1e, 0x18, 0x1a, 0x08) */
    if (fp && opcode == 0x53 &&
        (funct5 == 0x0b || funct5 == 0x1c || funct5 == 0x1e || funct5 == 0x18 ||
         funct5 == 0x1a || funct5 == 0x08)) {
        snprintf(buf, len, "%s%s %s,%s", c, d->name, rdn, r1);
        return;
    }
    switch (d->fmt) {
    case FMT_U:
        snprintf(buf, len, "%s%s %s,0x%llx", c, d->name, rdn,
                 (unsigned long long)(op.imm >> 12) & 0xfffff);
        break;
    case FMT_J:
        snprintf(buf, len, "%s%s %s,0x%llx", c, d->name, rdn,
                 (unsigned long long)(pc + op.imm));
        break;
    case FMT_B:
        snprintf(buf, len, "%s%s %s,%s,0x%llx", c, d->name, xname[op.rs1],
                 xname[op.rs2], (unsigned long long)(pc + op.imm));
        break;
    case FMT_S:
        snprintf(buf, len, "%s%s %s,%lld(%s)", c, d->name, r2, imm, xname[op.rs1]);
        break;
    case FMT_I:
        if (d->flags & IF_MEM)
            snprintf(buf, len, "%s%s %s,%lld(%s)", c, d->name, rdn, imm, xname[op.rs1]);
        else
            snprintf(buf, len, "%s%s %s,%s,%lld", c, d->name, rdn, r1, imm);
        break;
    case FMT_SHIFT:
        snprintf(buf, len, "%s%s %s,%s,%lld", c, d->name, rdn, r1, imm);
        break;
    case FMT_CSR: {
        const char *cn = csr_name((unsigned)op.imm);
        char num[16];
        if (!cn) {
            snprintf(num, sizeof(num), "0x%03llx", (unsigned long long)op.imm);
            cn = num;
        }
        snprintf(buf, len, "%s%s %s,%s,%s", c, d->name, xname[rd], cn, xname[op.rs1]);
        break;
    }
    default:
        if (d->mask == 0xffffffffu)
            snprintf(buf, len, "%s%s", c, d->name);
        else
            snprintf(buf, len, "%s%s %s,%s,%s", c, d->name, rdn, r1, r2);
        break;
    }
}
