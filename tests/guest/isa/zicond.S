/* Zicond: czero.eqz and czero.nez, including rd = rs1/rs2 and x0. Written
 * with .insn: binutils 2.40 does not know the extension.
 *
 * run-isa rewind: -cpu rv64,zicond=on
 * run-isa qemu: skip (QEMU 7.2 has no Zicond)
 */
#include "test.h"

/* czero.eqz rd, rs1, rs2: rd = rs2 == 0 ? 0 : rs1 (funct7 7, funct3 5);
 * czero.nez: rd = rs2 != 0 ? 0 : rs1 (funct3 7). */
#define CZERO_EQZ(rd, rs1, rs2) .insn r 0x33, 5, 7, rd, rs1, rs2
#define CZERO_NEZ(rd, rs1, rs2) .insn r 0x33, 7, 7, rd, rs1, rs2

    .option norvc
TEST_BEGIN
    TEST_CASE(1, a3, 0x1234, li a1, 0x1234; li a2, 1; CZERO_EQZ(a3, a1, a2))
    TEST_CASE(2, a3, 0, li a1, 0x1234; li a2, 0; CZERO_EQZ(a3, a1, a2))
    TEST_CASE(3, a3, 0, li a1, 0x1234; li a2, 1; CZERO_NEZ(a3, a1, a2))
    TEST_CASE(4, a3, 0x1234, li a1, 0x1234; li a2, 0; CZERO_NEZ(a3, a1, a2))
    /* any non-zero bit of rs2 counts, the top one too */
    TEST_CASE(5, a3, -1, li a1, -1; li a2, 0x8000000000000000; CZERO_EQZ(a3, a1, a2))
    TEST_CASE(6, a3, 0, li a1, -1; li a2, 0x8000000000000000; CZERO_NEZ(a3, a1, a2))
    /* rd = rs1, rd = rs2, x0 as condition and as destination */
    TEST_CASE(7, a1, 0, li a1, 77; CZERO_EQZ(a1, a1, zero))
    TEST_CASE(8, a1, 77, li a1, 77; CZERO_NEZ(a1, a1, zero))
    TEST_CASE(9, a2, 5, li a2, 5; CZERO_EQZ(a2, a2, a2))
    TEST_CASE(10, a2, 0, li a2, 5; CZERO_NEZ(a2, a2, a2))
    TEST_CASE(11, zero, 0, li a1, 5; li a2, 1; CZERO_EQZ(zero, a1, a2))
TEST_END
