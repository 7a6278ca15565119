/* RVC: each 16-bit instruction is rewritten as the 32-bit instruction it
 * stands for, so compressed code shares the decoder and the handlers. */
#include "translator/decode.h"

#define BITS(v, hi, lo) (((v) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define BIT(v, n) (((v) >> (n)) & 1u)

/* 32-bit encoders for the formats RVC expands into. */
static uint32_t enc_i(uint32_t opc, uint32_t f3, unsigned rd, unsigned rs1, int32_t imm)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
static uint32_t enc_s(uint32_t opc, uint32_t f3, unsigned rs1, unsigned rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return BITS(u, 11, 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           BITS(u, 4, 0) << 7 | opc;
}
static uint32_t enc_r(uint32_t opc, uint32_t f3, uint32_t f7, unsigned rd,
                      unsigned rs1, unsigned rs2)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
static uint32_t enc_b(uint32_t f3, unsigned rs1, unsigned rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return BIT(u, 12) << 31 | BITS(u, 10, 5) << 25 | rs2 << 20 | rs1 << 15 |
           f3 << 12 | BITS(u, 4, 1) << 8 | BIT(u, 11) << 7 | 0x63;
}
static uint32_t enc_j(unsigned rd, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return BIT(u, 20) << 31 | BITS(u, 10, 1) << 21 | BIT(u, 11) << 20 |
           BITS(u, 19, 12) << 12 | rd << 7 | 0x6f;
}

static int32_t sext(uint32_t v, unsigned bits)
{
    uint32_t m = 1u << (bits - 1);
    return (int32_t)((v ^ m) - m);
}

enum {
    OPC_LOAD = 0x03, OPC_LOAD_FP = 0x07, OPC_OP_IMM = 0x13, OPC_OP_IMM32 = 0x1b,
    OPC_STORE = 0x23, OPC_STORE_FP = 0x27, OPC_OP = 0x33, OPC_LUI = 0x37,
    OPC_OP32 = 0x3b, OPC_JALR = 0x67,
};

static uint32_t expand_q0(uint32_t c)
{
    unsigned rdp = 8 + BITS(c, 4, 2), rs1p = 8 + BITS(c, 9, 7);
    /* offsets scaled by 8 (d/ld/fsd) and by 4 (w) */
    uint32_t off8 = BITS(c, 12, 10) << 3 | BITS(c, 6, 5) << 6;
    uint32_t off4 = BITS(c, 12, 10) << 3 | BIT(c, 6) << 2 | BIT(c, 5) << 6;
    switch (BITS(c, 15, 13)) {
    case 0: { /* c.addi4spn */
        uint32_t imm = BITS(c, 12, 11) << 4 | BITS(c, 10, 7) << 6 |
                       BIT(c, 6) << 2 | BIT(c, 5) << 3;
        return imm ? enc_i(OPC_OP_IMM, 0, rdp, 2, (int32_t)imm) : 0;
    }
    case 1: return enc_i(OPC_LOAD_FP, 3, rdp, rs1p, (int32_t)off8);  /* c.fld */
    case 2: return enc_i(OPC_LOAD, 2, rdp, rs1p, (int32_t)off4);     /* c.lw */
    case 3: return enc_i(OPC_LOAD, 3, rdp, rs1p, (int32_t)off8);     /* c.ld */
    case 5: return enc_s(OPC_STORE_FP, 3, rs1p, rdp, (int32_t)off8); /* c.fsd */
    case 6: return enc_s(OPC_STORE, 2, rs1p, rdp, (int32_t)off4);    /* c.sw */
    case 7: return enc_s(OPC_STORE, 3, rs1p, rdp, (int32_t)off8);    /* c.sd */
    default: return 0;
    }
}

static uint32_t expand_q1(uint32_t c)
{
    unsigned rd = BITS(c, 11, 7);
    unsigned rdp = 8 + BITS(c, 9, 7), rs2p = 8 + BITS(c, 4, 2);
    int32_t imm6 = sext(BIT(c, 12) << 5 | BITS(c, 6, 2), 6);
    switch (BITS(c, 15, 13)) {
    case 0: return enc_i(OPC_OP_IMM, 0, rd, rd, imm6);           /* c.addi / c.nop */
    case 1: return rd ? enc_i(OPC_OP_IMM32, 0, rd, rd, imm6) : 0; /* c.addiw */
    case 2: return enc_i(OPC_OP_IMM, 0, rd, 0, imm6);            /* c.li */
    case 3:
        if (rd == 2) { /* c.addi16sp */
            int32_t imm = sext(BIT(c, 12) << 9 | BIT(c, 6) << 4 | BIT(c, 5) << 6 |
                               BITS(c, 4, 3) << 7 | BIT(c, 2) << 5, 10);
            return imm ? enc_i(OPC_OP_IMM, 0, 2, 2, imm) : 0;
        }
        /* c.lui */
        return imm6 ? ((uint32_t)imm6 & 0xfffff) << 12 | rd << 7 | OPC_LUI : 0;
    case 4: {
        unsigned shamt = BIT(c, 12) << 5 | BITS(c, 6, 2);
        switch (BITS(c, 11, 10)) {
        case 0: return enc_i(OPC_OP_IMM, 5, rdp, rdp, (int32_t)shamt);         /* c.srli */
        case 1: return enc_i(OPC_OP_IMM, 5, rdp, rdp, (int32_t)(shamt | 0x400)); /* c.srai */
        case 2: return enc_i(OPC_OP_IMM, 7, rdp, rdp, imm6);                    /* c.andi */
        default: {
            static const uint8_t f3[4] = { 0, 4, 6, 7 }; /* sub xor or and */
            unsigned f = BITS(c, 6, 5);
            if (!BIT(c, 12))
                return enc_r(OPC_OP, f3[f], f == 0 ? 0x20 : 0, rdp, rdp, rs2p);
            if (f == 0)
                return enc_r(OPC_OP32, 0, 0x20, rdp, rdp, rs2p); /* c.subw */
            if (f == 1)
                return enc_r(OPC_OP32, 0, 0, rdp, rdp, rs2p);    /* c.addw */
            return 0;
        }
        }
    }
    case 5: { /* c.j */
        int32_t off = sext(BIT(c, 12) << 11 | BIT(c, 11) << 4 | BITS(c, 10, 9) << 8 |
                           BIT(c, 8) << 10 | BIT(c, 7) << 6 | BIT(c, 6) << 7 |
                           BITS(c, 5, 3) << 1 | BIT(c, 2) << 5, 12);
        return enc_j(0, off);
    }
    default: { /* c.beqz, c.bnez */
        int32_t off = sext(BIT(c, 12) << 8 | BITS(c, 11, 10) << 3 | BITS(c, 6, 5) << 6 |
                           BITS(c, 4, 3) << 1 | BIT(c, 2) << 5, 9);
        return enc_b(BITS(c, 15, 13) == 6 ? 0 : 1, rdp, 0, off);
    }
    }
}

static uint32_t expand_q2(uint32_t c)
{
    unsigned rd = BITS(c, 11, 7), rs2 = BITS(c, 6, 2);
    uint32_t off8 = BIT(c, 12) << 5 | BITS(c, 6, 5) << 3 | BITS(c, 4, 2) << 6;
    uint32_t soff8 = BITS(c, 12, 10) << 3 | BITS(c, 9, 7) << 6;
    switch (BITS(c, 15, 13)) {
    case 0: return enc_i(OPC_OP_IMM, 1, rd, rd, (int32_t)(BIT(c, 12) << 5 | rs2)); /* c.slli */
    case 1: return enc_i(OPC_LOAD_FP, 3, rd, 2, (int32_t)off8);                    /* c.fldsp */
    case 2: { /* c.lwsp */
        uint32_t off = BIT(c, 12) << 5 | BITS(c, 6, 4) << 2 | BITS(c, 3, 2) << 6;
        return rd ? enc_i(OPC_LOAD, 2, rd, 2, (int32_t)off) : 0;
    }
    case 3: return rd ? enc_i(OPC_LOAD, 3, rd, 2, (int32_t)off8) : 0;             /* c.ldsp */
    case 4:
        if (!BIT(c, 12)) {
            if (rs2 == 0)
                return rd ? enc_i(OPC_JALR, 0, 0, rd, 0) : 0; /* c.jr */
            return enc_r(OPC_OP, 0, 0, rd, 0, rs2);           /* c.mv */
        }
        if (rs2 == 0)
            return rd ? enc_i(OPC_JALR, 0, 1, rd, 0)          /* c.jalr */
                      : 0x00100073;                           /* c.ebreak */
        return enc_r(OPC_OP, 0, 0, rd, rd, rs2);              /* c.add */
    case 5: return enc_s(OPC_STORE_FP, 3, 2, rs2, (int32_t)soff8); /* c.fsdsp */
    case 6: { /* c.swsp */
        uint32_t off = BITS(c, 12, 9) << 2 | BITS(c, 8, 7) << 6;
        return enc_s(OPC_STORE, 2, 2, rs2, (int32_t)off);
    }
    default: return enc_s(OPC_STORE, 3, 2, rs2, (int32_t)soff8);   /* c.sdsp */
    }
}

uint32_t rvc_expand(uint16_t c16)
{
    uint32_t c = c16;
    switch (c & 3) {
    case 0: return expand_q0(c);
    case 1: return expand_q1(c);
    case 2: return expand_q2(c);
    default: return 0;
    }
}
