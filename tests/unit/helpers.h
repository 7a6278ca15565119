/* Shared fixtures for unit tests: a small machine with RAM at 0x80000000,
 * a way to run a few instruction words on it, and encoders to write them. */
#ifndef REWIND_TESTS_UNIT_HELPERS_H
#define REWIND_TESTS_UNIT_HELPERS_H

#include <stdint.h>

#include "core/machine.h"
#include "translator/op.h"

/* A 1-hart machine with 16 MiB of RAM, hart in M mode at 0x80000000. */
Machine *test_machine_new(void);

/* Copy 32-bit instruction words to RAM at 0x80000000 followed by an
 * infinite loop, and run hart 0 for n instructions exactly (or until it
 * leaves the program). Returns the hart. */
Hart *test_run_words(Machine *m, const uint32_t *words, unsigned count,
                     uint64_t n);

/* Make h run as if inside the TB of a lone op (one instruction, CF_LAST_IO):
 * what handlers and the MMU read of the running TB. */
void test_as_lone_op(Hart *h);

/* Run a single op as a TB of its own: a terminator after it returns
 * OP_NEXT, so a handler that continues (op_next) gives back OP_NEXT. */
int test_exec_op(Hart *h, const Op *op);

/* Copy n instruction words to RAM at addr. */
void test_put_code(Machine *m, uint64_t addr, const uint32_t *w, unsigned n);

/* Where test_machine_with_finisher puts its power-off code. */
#define TEST_POWEROFF 0x80010000ULL

/* Write at addr a program that powers the machine off through the test
 * finisher at MEM_TEST_BASE (which the machine must have). */
void test_put_poweroff(Machine *m, uint64_t addr);

/* A machine of nharts (16 MiB of RAM, the given quantum) with a test
 * finisher, the power-off program at TEST_POWEROFF and every hart at
 * MEM_RAM_BASE. */
Machine *test_machine_with_finisher(unsigned nharts, uint64_t quantum);

/* ---- random floating-point operands, weighted towards what fast paths
 * must get right (for the fused multiply-add: shared lowest set bits,
 * cancellations, the overflow and underflow boundaries), plus subnormals,
 * zeros, infinities and NaNs. fb, eb: 52, 11 (double) or 23, 8 (single);
 * the values are the format's bits. A fixed seed: every run is the same. */
uint64_t test_fp_rand(void);
uint64_t test_fp_operand(unsigned fb, unsigned eb);
/* A normal addend whose lowest set bit is that of a*b (else a random
 * operand). */
uint64_t test_fp_same_lsb(uint64_t a, uint64_t b, unsigned fb, unsigned eb);

/* ---- RV64 instruction words, for the programs tests write into RAM ----
 * The fields in the order the formats keep them (rd, rs1, rs2: register
 * numbers; imm, off: signed byte values). */
uint32_t enc_i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned opc);
uint32_t enc_s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned opc);
uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd, unsigned opc);
/* a conditional branch by off bytes */
uint32_t enc_b(int32_t off, unsigned rs2, unsigned rs1, unsigned f3);
/* jal zero, to - from: a jump placed at from to to */
uint32_t enc_jump(uint64_t from, uint64_t to);

#define ADDI(rd, rs1, imm) enc_i(imm, rs1, 0, rd, 0x13)
#define NOP ADDI(0, 0, 0)
#define SLLI(rd, rs1, sh) enc_i(sh, rs1, 1, rd, 0x13)
#define LD(rd, rs1, imm) enc_i(imm, rs1, 3, rd, 0x03)
#define SD(rs2, rs1, imm) enc_s(imm, rs2, rs1, 3, 0x23)
#define ADD(rd, rs1, rs2) enc_r(0, rs2, rs1, 0, rd, 0x33)
#define AMOADD_D(rd, rs2, rs1) enc_r(0x00, rs2, rs1, 3, rd, 0x2f)
#define LR_D(rd, rs1) enc_r(0x08, 0, rs1, 3, rd, 0x2f)
#define SC_D(rd, rs2, rs1) enc_r(0x0c, rs2, rs1, 3, rd, 0x2f)
#define BNE(rs1, rs2, off) enc_b(off, rs2, rs1, 1)
#define BLT(rs1, rs2, off) enc_b(off, rs2, rs1, 4)

#endif
