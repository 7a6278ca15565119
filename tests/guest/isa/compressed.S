/* C extension, RV64: every compressed instruction (quadrants 0, 1, 2,
 * including c.fld/c.fsd/c.fldsp/c.fsdsp, c.addi4spn, c.addi16sp, c.lui,
 * c.srli/c.srai/c.andi, c.j/c.jr/c.jalr with their link values,
 * c.beqz/c.bnez both ways, c.ebreak), reserved encodings, 32-bit
 * instructions at 2-byte aligned addresses and one that straddles a page
 * boundary. sp is pointed at a scratch area for the sp-relative forms. */
#include "test.h"

    .option rvc

/* run code with sp = cdata, the real sp kept in s3 */
#define WITH_DATA_SP(...) mv s3, sp; la sp, cdata; __VA_ARGS__; mv sp, s3

TEST_BEGIN
    /* ---- quadrant 1: immediates ---- */
    TEST_CASE(1, a0, 0x1f, c.li a0, 31)
    TEST_CASE(2, a0, 0xffffffffffffffe0, c.li a0, -32)
    TEST_CASE(3, a5, 0, c.li a5, 0)
    TEST_CASE(4, a0, 0x1e, c.li a0, 1; c.addi a0, 29)
    TEST_CASE(5, a0, 0xffffffffffffffe1, c.li a0, 1; c.addi a0, -32)
    TEST_CASE(6, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
    TEST_CASE(7, a0, 0x0, li a0, 0xffffffff; c.addiw a0, 1)
    TEST_CASE(8, a0, 0x12345678, li a0, 0x5555555512345678; c.addiw a0, 0)    /* sext.w */
    TEST_CASE(9, a0, 0x1f000, c.lui a0, 0x1f)
    TEST_CASE(10, a0, 0x1000, c.lui a0, 1)
    TEST_CASE(11, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
    TEST_CASE(12, a0, 0xfffffffffffff000, c.lui a0, 0xfffff)
    TEST_CASE(13, s0, 0x7fff, c.lui s0, 8; c.addi s0, -1)
    TEST_CASE(14, a2, 0x1234, li a2, 0x1234; c.nop)

    /* ---- quadrant 1: shifts and logic on x8-x15 ---- */
    TEST_CASE(20, a1, 0x0123456789abcdef >> 4, li a1, 0x0123456789abcdef; c.srli a1, 4)
    TEST_CASE(21, a1, 1, li a1, 0x8000000000000000; c.srli a1, 63)
    TEST_CASE(22, a1, 0x80000000, li a1, 0x8000000000000000; c.srli a1, 32)
    TEST_CASE(23, a1, 0xfffffffffffffff8, li a1, 0x8000000000000000; c.srai a1, 60)
    TEST_CASE(24, a1, 0xffffffffffffffff, li a1, 0x8000000000000000; c.srai a1, 63)
    TEST_CASE(25, a1, 0x0000000040000000, li a1, 0x0000000080000000; c.srai a1, 1)
    TEST_CASE(26, a1, 0x0d, li a1, 0xff0d; c.andi a1, 0x1f)
    TEST_CASE(27, a1, 0xfffffffffffffff0 & 0xabcdabcd, li a1, 0xabcdabcd; c.andi a1, -16)
    TEST_CASE(28, a1, 0x10, li a1, 0x30; li a2, 0x20; c.sub a1, a2)
    TEST_CASE(29, a1, 0xffffffffffffffff, li a1, 0; li a2, 1; c.sub a1, a2)
    TEST_CASE(30, a1, 0x0ff0, li a1, 0x0f0f; li a2, 0x00ff; c.xor a1, a2)
    TEST_CASE(31, a1, 0x0fff, li a1, 0x0f0f; li a2, 0x00ff; c.or a1, a2)
    TEST_CASE(32, a1, 0x000f, li a1, 0x0f0f; li a2, 0x00ff; c.and a1, a2)
    TEST_CASE(33, s1, 0xffffffff80000000, li s1, 0x7fffffff; li a2, -1; c.subw s1, a2)
    TEST_CASE(34, s1, 0x1, li s1, 0x100000000; li a2, -1; c.subw s1, a2)
    TEST_CASE(35, s1, 0xffffffff80000000, li s1, 0x7fffffff; li a5, 1; c.addw s1, a5)
    TEST_CASE(36, s1, 0x2, li s1, 0x300000001; li a5, 0x100000001; c.addw s1, a5)

    /* ---- quadrant 2: full register set ---- */
    TEST_CASE(40, t3, 0x0123456789abcdef << 4 & 0xffffffffffffffff, li t3, 0x0123456789abcdef; c.slli t3, 4)
    TEST_CASE(41, t3, 0x8000000000000000, li t3, 1; c.slli t3, 63)
    TEST_CASE(42, t3, 0x100000000, li t3, 1; c.slli t3, 32)
    TEST_CASE(43, t4, 0xabcdef, li t3, 0xabcdef; c.mv t4, t3)
    TEST_CASE(44, t4, 0xabcdf0, li t4, 1; c.add t4, t3)
    TEST_CASE(45, ra, 0x55, li t5, 0x55; c.mv ra, t5)
    TEST_CASE(46, t5, 0xaa, li t5, 0x55; c.add t5, t5)

    /* ---- stack-pointer forms ---- */
    TEST_CASE(50, a0, 0, WITH_DATA_SP(c.addi4spn a0, sp, 4); la a1, cdata; addi a1, a1, 4; sub a0, a0, a1)
    TEST_CASE(51, a0, 0, WITH_DATA_SP(c.addi4spn a0, sp, 1020); la a1, cdata; addi a1, a1, 1020; sub a0, a0, a1)
    TEST_CASE(52, a0, 496 - 512, WITH_DATA_SP(c.addi16sp sp, 496; c.addi16sp sp, -512; c.mv a0, sp); la a1, cdata; sub a0, a0, a1)
    TEST_CASE(53, a0, 16, WITH_DATA_SP(c.addi16sp sp, 16; c.mv a0, sp); la a1, cdata; sub a0, a0, a1)
    TEST_CASE(54, a0, 0x1122334455667788, WITH_DATA_SP(li a2, 0x1122334455667788; c.sdsp a2, 504(sp); c.ldsp a0, 504(sp)))
    TEST_CASE(55, a0, 0xffffffff99aabbcc, WITH_DATA_SP(li a2, 0x99aabbcc; c.swsp a2, 252(sp); c.lwsp a0, 252(sp)))
    TEST_CASE(56, a0, 0x99aabbcc, la a1, cdata; lwu a0, 252(a1))
    TEST_CASE(57, t6, 0x0102030405060708, WITH_DATA_SP(li a2, 0x0102030405060708; c.sdsp a2, 0(sp); c.ldsp t6, 0(sp)))
    TEST_CASE(58, a0, 0x400921fb54442d18, WITH_DATA_SP(li a2, 0x400921fb54442d18; fmv.d.x ft0, a2; c.fsdsp ft0, 8(sp); c.fldsp ft11, 8(sp)); fmv.x.d a0, ft11)
    TEST_CASE(59, a0, 0x400921fb54442d18, WITH_DATA_SP(c.fldsp fs2, 8(sp)); la a1, cdata; ld a0, 8(a1))
    TEST_CASE(60, a0, 0xbff0000000000000, la a1, cdata; li a2, 0xbff0000000000000; sd a2, 496(a1); WITH_DATA_SP(c.fldsp ft1, 496(sp)); fmv.x.d a0, ft1)

    /* ---- quadrant 0: register-relative loads and stores ---- */
    TEST_CASE(70, a0, 0xfedcba9876543210, la a1, cdata; li a2, 0xfedcba9876543210; c.sd a2, 248(a1); c.ld a0, 248(a1))
    TEST_CASE(71, a0, 0xfffffffff0e1d2c3, la a1, cdata; li a2, 0xf0e1d2c3; c.sw a2, 124(a1); c.lw a0, 124(a1))
    TEST_CASE(72, a0, 0x0000000012345678, la a1, cdata; li a2, 0x12345678; c.sw a2, 0(a1); c.lw a0, 0(a1))
    TEST_CASE(73, a0, 0x3ff0000000000000, la a1, cdata; li a2, 0x3ff0000000000000; fmv.d.x fa5, a2; c.fsd fa5, 16(a1); c.fld fs0, 16(a1); fmv.x.d a0, fs0)
    TEST_CASE(74, a0, 0x3ff0000000000000, la a1, cdata; c.fld fs1, 16(a1); c.fsd fs1, 240(a1); ld a0, 240(a1))
    /* base overwritten by the load */
    TEST_CASE(75, a1, 0x3ff0000000000000, la a1, cdata; c.ld a1, 16(a1))

    /* ---- control transfer ---- */
    li TNUM, 80
    c.j 1f
    j test_fail
1:  li TNUM, 81
    li a0, 0
    c.beqz a0, 1f
    j test_fail
1:  li TNUM, 82
    li a0, 1
    c.beqz a0, test_fail_near
    li TNUM, 83
    c.bnez a0, 1f
    j test_fail
1:  li TNUM, 84
    li a0, 0
    c.bnez a0, test_fail_near
    /* backward c.bnez loop */
    TEST_CASE(85, a1, 5, li a0, 5; li a1, 0; 1: c.addi a1, 1; c.addi a0, -1; c.bnez a0, 1b)
    /* c.jr: no link */
    li TNUM, 86
    la t0, 1f
    li ra, 0x77
    c.jr t0
    j test_fail
1:  li TEST_EXP, 0x77
    TEST_FAIL_IF_NE(ra, TEST_EXP)
    /* c.jalr: ra = pc + 2 */
    li TNUM, 87
    la t0, cjalr_target
    c.jalr t0
cjalr_link:
    j test_fail
cjalr_target:
    la TEST_EXP, cjalr_link
    TEST_FAIL_IF_NE(ra, TEST_EXP)
    /* c.jalr ra: target is the old ra */
    li TNUM, 88
    la ra, 1f
    c.jalr ra
2:  j test_fail
1:  la TEST_EXP, 2b
    TEST_FAIL_IF_NE(ra, TEST_EXP)
    /* a call into a routine that returns with c.jr ra, target 2-aligned */
    TEST_CASE(89, a0, 42, li a0, 0; call cfunc)

    /* ---- 32-bit instructions at 2-byte aligned addresses ---- */
    li TNUM, 90
    c.nop
    .option push
    .option norvc
    addi a0, zero, 9        /* at an odd halfword */
    addi a0, a0, 1
    .option pop
    li TEST_EXP, 10
    TEST_FAIL_IF_NE(a0, TEST_EXP)
    /* a 32-bit instruction that straddles a page boundary */
    TEST_CASE(91, a0, 77, li a0, 0; call straddle)
    /* jump to it directly through a register (2-aligned target) */
    TEST_CASE(92, a0, 77, li a0, 0; la t0, straddle_insn; jalr t0)

    /* ---- c.ebreak and reserved encodings (mtval = the 16-bit encoding) ---- */
    TEST_TRAP(100, CAUSE_BREAKPOINT, cebreak_at: c.ebreak)
    TEST_TRAP_EPC_LABEL(cebreak_at)
    TEST_TRAP(101, CAUSE_ILLEGAL, .half 0x0000)          /* all zeros */
    TEST_TRAP(102, CAUSE_ILLEGAL, .half 0x0008)          /* c.addi4spn a0, sp, 0 */
    TEST_TRAP_TVAL(0x0008)
    TEST_TRAP(103, CAUSE_ILLEGAL, .half 0x6101)          /* c.addi16sp imm=0 */
    TEST_TRAP_TVAL(0x6101)
    TEST_TRAP(104, CAUSE_ILLEGAL, .half 0x6501)          /* c.lui a0, 0 */
    TEST_TRAP_TVAL(0x6501)
    TEST_TRAP(105, CAUSE_ILLEGAL, .half 0x4002)          /* c.lwsp x0 */
    TEST_TRAP_TVAL(0x4002)
    TEST_TRAP(106, CAUSE_ILLEGAL, .half 0x6002)          /* c.ldsp x0 */
    TEST_TRAP_TVAL(0x6002)
    TEST_TRAP(107, CAUSE_ILLEGAL, .half 0x8002)          /* c.jr x0 */
    TEST_TRAP_TVAL(0x8002)
    TEST_TRAP(108, CAUSE_ILLEGAL, .half 0x2001)          /* c.addiw x0 */
    TEST_TRAP_TVAL(0x2001)

TEST_END

test_fail_near:
    j test_fail

cfunc:
    c.li a0, 21
    c.slli a0, 1
    c.jr ra

    /* the page boundary falls in the middle of straddle_insn */
    .balign 4096
    .skip 4096 - 6
straddle:
    c.nop
straddle_insn:
    .option push
    .option norvc
    addi a0, a0, 77
    .option pop
    c.jr ra

    .data
    .align 4
cdata:
    .skip 1024, 0
