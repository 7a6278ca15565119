/* Decoder tests: RVC expansion against the GNU assembler's encodings,
 * immediates of every format, the x0 sink, illegal encodings. */
#include <check.h>
#include <string.h>

#include "tests/unit/suites.h"
#include "translator/decode.h"

/* Each compressed instruction and the 32-bit instruction it stands for,
 * both as assembled by riscv64-unknown-elf-as (see the comments). */
static const struct { uint16_t c; uint32_t w; } rvc_pairs[] = {
    { 0x1fe0, 0x3fc10413 }, /* c.addi4spn s0,sp,1020 */
    { 0x3ffc, 0x0f87b787 }, /* c.fld fa5,248(a5) */
    { 0x5de8, 0x07c5a503 }, /* c.lw a0,124(a1) */
    { 0x7ef0, 0x0f86b603 }, /* c.ld a2,248(a3) */
    { 0xa404, 0x00943427 }, /* c.fsd fs1,8(s0) */
    { 0xc3b8, 0x04e7a023 }, /* c.sw a4,64(a5) */
    { 0xf144, 0x0a953023 }, /* c.sd s1,160(a0) */
    { 0x0001, 0x00000013 }, /* c.nop */
    { 0x1281, 0xfe028293 }, /* c.addi t0,-32 */
    { 0x257d, 0x01f5051b }, /* c.addiw a0,31 */
    { 0x5ffd, 0xfff00f93 }, /* c.li t6,-1 */
    { 0x7101, 0xe0010113 }, /* c.addi16sp sp,-512 */
    { 0x617d, 0x1f010113 }, /* c.addi16sp sp,496 */
    { 0x7581, 0xfffe05b7 }, /* c.lui a1,0xfffe0 */
    { 0x697d, 0x0001f937 }, /* c.lui s2,31 */
    { 0x917d, 0x03f55513 }, /* c.srli a0,63 */
    { 0x8585, 0x4015d593 }, /* c.srai a1,1 */
    { 0x9a65, 0xff967613 }, /* c.andi a2,-7 */
    { 0x8c05, 0x40940433 }, /* c.sub s0,s1 */
    { 0x8eb9, 0x00e6c6b3 }, /* c.xor a3,a4 */
    { 0x8fc1, 0x0087e7b3 }, /* c.or a5,s0 */
    { 0x8ce9, 0x00a4f4b3 }, /* c.and s1,a0 */
    { 0x9d0d, 0x40b5053b }, /* c.subw a0,a1 */
    { 0x9e35, 0x00d6063b }, /* c.addw a2,a3 */
    { 0x1286, 0x02129293 }, /* c.slli t0,33 */
    { 0x31fe, 0x1f813187 }, /* c.fldsp ft3,504(sp) */
    { 0x50fe, 0x0fc12083 }, /* c.lwsp ra,252(sp) */
    { 0x6da2, 0x00813d83 }, /* c.ldsp s11,8(sp) */
    { 0x8082, 0x00008067 }, /* c.jr ra */
    { 0x851e, 0x00700533 }, /* c.mv a0,t2 */
    { 0x9002, 0x00100073 }, /* c.ebreak */
    { 0x9302, 0x000300e7 }, /* c.jalr t1 */
    { 0x99d2, 0x014989b3 }, /* c.add s3,s4 */
    { 0xbfee, 0x1fb13c27 }, /* c.fsdsp fs11,504(sp) */
    { 0xdf9e, 0x0e712e23 }, /* c.swsp t2,252(sp) */
    { 0xe046, 0x01113023 }, /* c.sdsp a7,0(sp) */
    { 0xaffd, 0x7fe0006f }, /* c.j .+2046 */
    { 0xb001, 0x801ff06f }, /* c.j .-2048 */
    { 0xccfd, 0x0e048f63 }, /* c.beqz s1,.+254 */
    { 0xf381, 0xf00790e3 }, /* c.bnez a5,.-256 */
    { 0xa02d, 0x02a0006f }, /* c.j .+42 */
};

START_TEST(test_rvc_expand_matches_assembler)
{
    for (size_t i = 0; i < sizeof(rvc_pairs) / sizeof(rvc_pairs[0]); i++)
        ck_assert_msg(rvc_expand(rvc_pairs[i].c) == rvc_pairs[i].w,
                      "c=0x%04x: got 0x%08x want 0x%08x", rvc_pairs[i].c,
                      rvc_expand(rvc_pairs[i].c), rvc_pairs[i].w);
}
END_TEST

START_TEST(test_rvc_reserved)
{
    static const uint16_t bad[] = {
        0x0000, /* all zero: defined illegal */
        0x8000, /* quadrant 0, funct3 100: reserved */
        0x4002, /* c.lwsp with rd=0 */
        0x6002, /* c.ldsp with rd=0 */
        0x8002, /* c.jr with rs1=0 */
        0x2001, /* c.addiw with rd=0 */
        0x6081, /* c.lui with imm=0 */
        0x6101, /* c.addi16sp with imm=0 */
        0x9c41, /* 100 1 11 000 10 000 01: reserved in the subw/addw group */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(rvc_expand(bad[i]) == 0, "0x%04x should be reserved", bad[i]);
}
END_TEST

static const InsnDesc *dec(Op *op, uint32_t w, unsigned len)
{
    return decode_op(op, w, len, 0x80000000, UINT64_MAX);
}

START_TEST(test_immediates)
{
    Op op;
    ck_assert_ptr_nonnull(dec(&op, 0x0e048f63, 4)); /* beq s1,zero,.+254 */
    ck_assert_str_eq(insn_table[op.insn].name, "beq");
    ck_assert_int_eq(op.imm, 254);
    ck_assert_uint_eq(op.rs1, 9);
    dec(&op, 0xf00790e3, 4); /* bne a5,zero,.-256 */
    ck_assert_int_eq(op.imm, -256);
    dec(&op, 0x801ff06f, 4); /* jal zero,.-2048 */
    ck_assert_int_eq(op.imm, -2048);
    ck_assert_uint_eq(op.rd, 32); /* rd = x0 goes to the sink */
    dec(&op, 0x7fe0006f, 4);
    ck_assert_int_eq(op.imm, 2046);
    dec(&op, 0x04e7a023, 4); /* sw a4,64(a5) */
    ck_assert_int_eq(op.imm, 64);
    ck_assert_uint_eq(op.rs2, 14);
    dec(&op, 0xfe028293, 4); /* addi t0,t0,-32 */
    ck_assert_int_eq(op.imm, -32);
    dec(&op, 0xfffe05b7, 4); /* lui a1,0xfffe0 */
    ck_assert_int_eq(op.imm, (int64_t)(int32_t)0xfffe0000);
    dec(&op, 0x4015d593, 4); /* srai a1,a1,1 */
    ck_assert_str_eq(insn_table[op.insn].name, "srai");
    ck_assert_int_eq(op.imm, 1);
    dec(&op, 0x03f55513, 4); /* srli a0,a0,63 */
    ck_assert_int_eq(op.imm, 63);
    dec(&op, 0xfe112e23, 4); /* sw ra,-4(sp) */
    ck_assert_int_eq(op.imm, -4);
}
END_TEST

START_TEST(test_compressed_op_keeps_raw_and_length)
{
    Op op;
    const InsnDesc *d = dec(&op, 0x1281, 2); /* c.addi t0,-32 */
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->name, "addi");
    ck_assert_uint_eq(op.len, 2);
    ck_assert_uint_eq(op.raw, 0x1281);
    ck_assert_int_eq(op.imm, -32);
}
END_TEST

START_TEST(test_illegal_words)
{
    Op op;
    ck_assert_ptr_null(dec(&op, 0xffffffff, 4));
    ck_assert_ptr_eq((void *)op.fn, (void *)op_illegal_insn);
    ck_assert_uint_eq(op.raw, 0xffffffff);
    ck_assert_ptr_null(dec(&op, 0x00000000, 2));
    ck_assert_ptr_null(dec(&op, 0x0000007f, 4)); /* a 64-bit-long encoding */
}
END_TEST

START_TEST(test_disasm)
{
    char buf[96];
    disasm(buf, sizeof(buf), 0xfe028293, 4, 0x80000000);
    ck_assert_str_eq(buf, "addi t0,t0,-32");
    disasm(buf, sizeof(buf), 0x1281, 2, 0x80000000);
    ck_assert_str_eq(buf, "c:addi t0,t0,-32");
    disasm(buf, sizeof(buf), 0x04e7a023, 4, 0x80000000);
    ck_assert_str_eq(buf, "sw a4,64(a5)");
    disasm(buf, sizeof(buf), 0x0e048f63, 4, 0x80000000);
    ck_assert_str_eq(buf, "beq s1,zero,0x800000fe");
    disasm(buf, sizeof(buf), 0xffffffff, 4, 0x80000000);
    ck_assert_str_eq(buf, "illegal 0xffffffff");
    /* encodings from riscv64-unknown-elf-as */
    disasm(buf, sizeof(buf), 0x1836a5af, 4, 0x80000000); /* sc.w a1,gp,(a3) */
    ck_assert_str_eq(buf, "sc.w a1,gp,(a3)");
    disasm(buf, sizeof(buf), 0x1006ab2f, 4, 0x80000000); /* lr.w s6,(a3) */
    ck_assert_str_eq(buf, "lr.w s6,(a3)");
    disasm(buf, sizeof(buf), 0xf00403d3, 4, 0x80000000); /* fmv.w.x ft7,s0 */
    ck_assert_str_eq(buf, "fmv.w.x ft7,s0");
    disasm(buf, sizeof(buf), 0xe2051553, 4, 0x80000000); /* fclass.d a0,fa0 */
    ck_assert_str_eq(buf, "fclass.d a0,fa0");
    disasm(buf, sizeof(buf), 0x6a57f7c3, 4, 0x80000000); /* fmadd.d fa5,fa5,ft5,fa3 */
    ck_assert_str_eq(buf, "fmadd.d fa5,fa5,ft5,fa3");
}
END_TEST

START_TEST(test_table_rows_are_consistent)
{
    /* Every row's match lies inside its mask, and no two rows claim the
     * same encoding (the first match would hide the second). */
    for (unsigned i = 0; i < insn_table_len; i++) {
        const InsnDesc *a = &insn_table[i];
        ck_assert_msg((a->match & ~a->mask) == 0, "%s: match outside mask", a->name);
        ck_assert_msg(decode_lookup(a->match, UINT64_MAX) == a, "%s is shadowed by %s",
                      a->name, decode_lookup(a->match, UINT64_MAX)->name);
    }
}
END_TEST

/* The direct lookup gives the linear scan's answer: for every row's
 * match and for 50000 pseudo-random words, with every extension on
 * and with none. */
START_TEST(test_direct_lookup_is_the_scan)
{
    ck_assert(decode_index_in_use());
    for (unsigned i = 0; i < insn_table_len; i++)
        ck_assert_ptr_eq(decode_lookup(insn_table[i].match, UINT64_MAX),
                         decode_lookup_linear(insn_table[i].match, UINT64_MAX));
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < 50000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t w = (uint32_t)x | 3;
        for (int e = 0; e < 2; e++) {
            uint64_t ext = e ? UINT64_MAX : 0;
            ck_assert_msg(decode_lookup(w, ext) == decode_lookup_linear(w, ext),
                          "0x%08x: %s, the scan says %s", w,
                          decode_lookup(w, ext) ? decode_lookup(w, ext)->name : "illegal",
                          decode_lookup_linear(w, ext) ? decode_lookup_linear(w, ext)->name
                                                       : "illegal");
        }
    }
}
END_TEST

/* An extension's rows exist only when it is on: off, its encodings are
 * illegal (or the base instruction they are a hint of). */
START_TEST(test_disabled_extension_is_illegal)
{
    static const struct { uint32_t w; const char *name; IsaExt ext; } rows[] = {
        { 0x20c5a533, "sh1add", ISA_ZBA },     /* sh1add a0,a1,a2 */
        { 0x0805053b, "add.uw", ISA_ZBA },     /* add.uw a0,a0,zero (zext.w) */
        { 0x60051513, "clz", ISA_ZBB },        /* clz a0,a0 */
        { 0x6b855513, "rev8", ISA_ZBB },       /* rev8 a0,a0 */
        { 0x0805453b, "zext.h", ISA_ZBB },     /* zext.h a0,a0 */
        { 0x0ac59533, "clmul", ISA_ZBC },      /* clmul a0,a1,a2 */
        { 0x48c59533, "bclr", ISA_ZBS },       /* bclr a0,a1,a2 */
        { 0x0ec5d533, "czero.eqz", ISA_ZICOND }, /* czero.eqz a0,a1,a2 */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const InsnDesc *on = decode_lookup(rows[i].w, ISA_BIT(rows[i].ext));
        ck_assert_msg(on && strcmp(on->name, rows[i].name) == 0, "0x%08x: %s", rows[i].w,
                      on ? on->name : "illegal");
        ck_assert_msg(!decode_lookup(rows[i].w, ~ISA_BIT(rows[i].ext)),
                      "0x%08x decodes with %s off", rows[i].w, isa_ext_name(rows[i].ext));
        Op op;
        ck_assert_ptr_null(decode_op(&op, rows[i].w, 4, 0, 0));
        ck_assert_ptr_eq((void *)op.fn, (void *)op_illegal_insn);
    }
    /* pause without Zihintpause is the fence it encodes. */
    ck_assert_str_eq(decode_lookup(0x0100000f, ISA_BIT(ISA_ZIHINTPAUSE))->name, "pause");
    ck_assert_str_eq(decode_lookup(0x0100000f, 0)->name, "fence");
}
END_TEST

Suite *suite_decode(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_rvc_expand_matches_assembler);
    tcase_add_test(tc, test_rvc_reserved);
    tcase_add_test(tc, test_immediates);
    tcase_add_test(tc, test_compressed_op_keeps_raw_and_length);
    tcase_add_test(tc, test_illegal_words);
    tcase_add_test(tc, test_disasm);
    tcase_add_test(tc, test_table_rows_are_consistent);
    tcase_add_test(tc, test_disabled_extension_is_illegal);
    tcase_add_test(tc, test_direct_lookup_is_the_scan);
    suite_add_tcase(s, tc);
    return s;
}
