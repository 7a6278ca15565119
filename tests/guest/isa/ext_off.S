/* -cpu with every optional extension off: their instructions are illegal
 * (mtval = the encoding), pause is the fence it encodes, and stimecmp
 * does not exist.
 *
 * run-isa rewind: -cpu rv64,zba=off,zbb=off,zbc=off,zbs=off,zicond=off,zihintpause=off,sstc=off,zicbom=off,zicboz=off,svinval=off,sdtrig=off,zfh=off,zfhmin=off
 * run-isa qemu: -cpu rv64,zba=off,zbb=off,zbc=off,zbs=off,Zihintpause=off,sstc=off,svinval=off,debug=off,Zfh=off,Zfhmin=off
 */
#include "test.h"

#define ILLEGAL(n, insn)                            \
    TEST_TRAP(n, CAUSE_ILLEGAL, .word insn);        \
    TEST_TRAP_TVAL(insn)

    .option norvc
TEST_BEGIN
    ILLEGAL(1, 0x20c5a533)  /* sh1add a0,a1,a2 (Zba) */
    ILLEGAL(2, 0x0805053b)  /* add.uw a0,a0,zero (Zba) */
    ILLEGAL(3, 0x0a85951b)  /* slli.uw a0,a1,40 (Zba) */
    ILLEGAL(4, 0x60051513)  /* clz a0,a0 (Zbb) */
    ILLEGAL(5, 0x6b855513)  /* rev8 a0,a0 (Zbb) */
    ILLEGAL(6, 0x0805453b)  /* zext.h a0,a0 (Zbb) */
    ILLEGAL(7, 0x62155513)  /* rori a0,a0,33 (Zbb) */
    ILLEGAL(8, 0x28755513)  /* orc.b a0,a0 (Zbb) */
    ILLEGAL(9, 0x0ac59533)  /* clmul a0,a1,a2 (Zbc) */
    ILLEGAL(10, 0x0ac5a533) /* clmulr a0,a1,a2 (Zbc) */
    ILLEGAL(11, 0x48c59533) /* bclr a0,a1,a2 (Zbs) */
    ILLEGAL(12, 0x4a85d513) /* bexti a0,a1,40 (Zbs) */
    ILLEGAL(13, 0x0ec5d533) /* czero.eqz a0,a1,a2 (Zicond) */
    ILLEGAL(14, 0x14d02573) /* csrr a0, stimecmp (Sstc) */
    ILLEGAL(16, 0x0005a00f) /* cbo.inval (a1) (Zicbom) */
    ILLEGAL(17, 0x0025a00f) /* cbo.flush (a1) (Zicbom) */
    ILLEGAL(18, 0x0045a00f) /* cbo.zero (a1) (Zicboz) */
    ILLEGAL(19, 0x16058073) /* sinval.vma a1, zero (Svinval) */
    ILLEGAL(20, 0x18000073) /* sfence.w.inval (Svinval) */
    ILLEGAL(21, 0x7a002573) /* csrr a0, tselect (Sdtrig) */
    ILLEGAL(22, 0x7a159073) /* csrw tdata1, a1 (Sdtrig) */
    ILLEGAL(23, 0x00059507) /* flh fa0, 0(a1) (Zfhmin) */
    ILLEGAL(24, 0x04c5f553) /* fadd.h fa0, fa1, fa2 (Zfh) */
    /* pause without Zihintpause: a fence, no trap */
    TEST_NO_TRAP(15, .word 0x0100000f)
TEST_END
