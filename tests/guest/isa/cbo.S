/* Zicbom, Zicboz, Zicbop: cbo.zero writes the aligned 64-byte block of
 * rs1 with zeros and nothing around it; a fault is a store access fault
 * with the block's address; the gates: M always, S needs the menvcfg bit,
 * U the menvcfg and the senvcfg bit (CBZE for cbo.zero, CBCFE for clean
 * and flush, CBIE for inval, whose reserved value 10 is not taken); the
 * prefetch hints never trap. Written with .insn: binutils 2.40 does not
 * know the extensions.
 *
 * run-isa rewind: -cpu rv64,zicbom=on,zicboz=on,zicbop=on
 * run-isa qemu: skip (QEMU 7.2 has no Zicbom, Zicboz, Zicbop)
 */
#include "test.h"

    .option norvc

#define CSR_SENVCFG 0x10a
#define CSR_MENVCFG 0x30a
#define CBIE_FLUSH (1 << 4)
#define CBIE_INVAL (3 << 4)
#define CBCFE (1 << 6)
#define CBZE (1 << 7)

/* cbo.* (rs1): MISC-MEM, funct3 2, imm = operation */
#define CBO(op, rs1) .insn i 0x0f, 2, x0, rs1, op
#define CBO_INVAL(rs1) CBO(0, rs1)
#define CBO_CLEAN(rs1) CBO(1, rs1)
#define CBO_FLUSH(rs1) CBO(2, rs1)
#define CBO_ZERO(rs1) CBO(4, rs1)
/* prefetch.i/r/w offset(rs1): ori x0 with imm[4:0] = 0, 1, 3 */
#define PREFETCH(kind, rs1) .insn i 0x13, 6, x0, rs1, (32 + kind)

/* fill buf (3 blocks) with 0xa5 bytes */
#define FILL                                        \
    la t0, buf;                                     \
    li t1, 0xa5a5a5a5a5a5a5a5;                      \
    li t2, 24;                                      \
9991: sd t1, 0(t0); addi t0, t0, 8; addi t2, t2, -1; bnez t2, 9991b
/* a0 = buf[off] (doubleword) */
#define BUF(off) la t0, buf; ld a0, off(t0)

TEST_BEGIN
    csrw CSR_MENVCFG, zero
    csrw CSR_SENVCFG, zero

    /* ---- cbo.zero in M ---- */
    FILL
    la a1, buf + 64 + 17        /* inside the middle block */
    CBO_ZERO(a1)
    TEST_CASE(1, a0, 0, BUF(64))
    TEST_CASE(2, a0, 0, BUF(64 + 56))
    TEST_CASE(3, a0, 0xa5a5a5a5a5a5a5a5, BUF(56))
    TEST_CASE(4, a0, 0xa5a5a5a5a5a5a5a5, BUF(128))
    /* an address with nothing there: store access fault, tval the block */
    li a1, 0x50
    TEST_TRAP(5, CAUSE_STORE_ACCESS, CBO_ZERO(a1))
    TEST_TRAP_TVAL(0x40)
    /* clean, flush, inval and the hints in M: no trap */
    la a1, buf
    TEST_NO_TRAP(6, CBO_CLEAN(a1); CBO_FLUSH(a1); CBO_INVAL(a1))
    TEST_NO_TRAP(7, PREFETCH(0, a1); PREFETCH(1, a1); PREFETCH(3, a1))

    /* ---- the gates from S ---- */
    FILL
    la a1, buf
    /* (a caught trap resumes in M: one trap per visit) */
    TEST_TRAP_IN(MPP_S, 10, CAUSE_ILLEGAL, CBO_ZERO(a1))
    TEST_TRAP_IN(MPP_S, 11, CAUSE_ILLEGAL, CBO_CLEAN(a1))
    TEST_TRAP_IN(MPP_S, 12, CAUSE_ILLEGAL, CBO_FLUSH(a1))
    TEST_TRAP_IN(MPP_S, 13, CAUSE_ILLEGAL, CBO_INVAL(a1))
    GOTO_MODE(MPP_S)
    TEST_NO_TRAP(14, PREFETCH(1, a1))
    BACK_TO_M
    TEST_CASE(15, a0, 0xa5a5a5a5a5a5a5a5, BUF(0))
    li t0, CBZE | CBCFE | CBIE_FLUSH
    csrw CSR_MENVCFG, t0
    GOTO_MODE(MPP_S)
    TEST_NO_TRAP(16, CBO_ZERO(a1); CBO_CLEAN(a1); CBO_FLUSH(a1); CBO_INVAL(a1))
    BACK_TO_M
    TEST_CASE(17, a0, 0, BUF(0))
    /* the same from U needs senvcfg too */
    TEST_TRAP_IN(MPP_U, 20, CAUSE_ILLEGAL, CBO_ZERO(a1))
    TEST_TRAP_IN(MPP_U, 21, CAUSE_ILLEGAL, CBO_CLEAN(a1))
    TEST_TRAP_IN(MPP_U, 22, CAUSE_ILLEGAL, CBO_INVAL(a1))
    li t0, CBZE | CBCFE | CBIE_INVAL
    csrw CSR_SENVCFG, t0
    FILL
    GOTO_MODE(MPP_U)
    TEST_NO_TRAP(23, CBO_ZERO(a1); CBO_CLEAN(a1); CBO_FLUSH(a1); CBO_INVAL(a1))
    BACK_TO_M
    TEST_CASE(24, a0, 0, BUF(8))
    /* the envcfg fields read back; CBIE = 10 is reserved: unchanged */
    TEST_CASE(25, a0, CBZE | CBCFE | CBIE_INVAL, csrr a0, CSR_SENVCFG)
    TEST_CASE(26, a0, CBZE | CBCFE | CBIE_INVAL, li t0, 2 << 4; csrc CSR_SENVCFG, t0 /* 11 -> 01 */; li t0, 1 << 5; csrs CSR_SENVCFG, t0 /* 01 -> 11 */; csrr a0, CSR_SENVCFG)
    TEST_CASE(27, a0, CBZE | CBCFE | CBIE_INVAL, li t0, (2 << 4) | CBZE | CBCFE; csrw CSR_SENVCFG, t0; csrr a0, CSR_SENVCFG)
    csrw CSR_MENVCFG, zero
    csrw CSR_SENVCFG, zero
TEST_END

    .data
    .align 6
buf: .skip 3 * 64
