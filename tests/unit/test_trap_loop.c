/* A hart caught in a trap loop (core/trap_loop.h): its trap vector is the
 * instruction that faults, so it retires nothing. It used to hold the run
 * loop for ever: no other hart ran, no debugger stop was served. Now its
 * turn ends as a wfi's would. */
#include <check.h>
#include <string.h>

#include "core/hart.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

enum { T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11 };

#define CSRW(csr, rs) enc_i(csr, rs, 1, 0, 0x73)  /* csrrw x0, csr, rs */
#define CSRR(rd, csr) enc_i(csr, 0, 2, rd, 0x73)  /* csrrs rd, csr, x0 */
#define AUIPC0(rd) ((uint32_t)(rd) << 7 | 0x17)   /* auipc rd, 0 */
#define LWU(rd, rs1, imm) enc_i(imm, rs1, 6, rd, 0x03)
#define SW(rs2, rs1, imm) enc_s(imm, rs2, rs1, 2, 0x23)
#define CSR_MTVEC 0x305
#define CSR_MHARTID 0xf14

/* One hart, mtvec pointing at an illegal instruction: the machine stops
 * with a message naming the loop, instead of spinning. */
START_TEST(test_trap_loop_one_hart_stops_with_a_message)
{
    Machine *m = test_machine_with_finisher(1, 0);
    const uint32_t prog[] = {
        AUIPC0(T0),        /* 0x00: t0 = 0x80000000 */
        ADDI(T0, T0, 12),  /* 0x04: t0 = bad */
        CSRW(CSR_MTVEC, T0), /* 0x08 */
        0x00000000,        /* 0x0c: bad: illegal */
    };
    test_put_code(m, MEM_RAM_BASE, prog, 4);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_ERROR);
    ck_assert_msg(strstr(m->error, "hart 0 takes exception 2 at pc 0x8000000c again and "
                                   "again, retiring nothing") != NULL, "%s", m->error);
    ck_assert_msg(strstr(m->error, "mtvec") != NULL, "%s", m->error);
    ck_assert_uint_eq(m->harts[0].icount, 3);
    machine_free(m);
}
END_TEST

/* Two harts: hart 0 loops on its illegal trap vector; hart 1 counts down,
 * then writes a jump to the power-off code over that instruction. Hart 1
 * must get its turns (before, hart 0's turn never ended), and hart 0 then
 * leaves the loop and powers the machine off. At every quantum. */
START_TEST(test_trap_loop_other_harts_run_and_free_it)
{
    static const uint64_t quanta[] = { 1, 7, 100, 0 };
    for (unsigned qi = 0; qi < sizeof(quanta) / sizeof(quanta[0]); qi++) {
        Machine *m = test_machine_with_finisher(2, quanta[qi]);
        const uint64_t bad = MEM_RAM_BASE + 0x18, word = MEM_RAM_BASE + 0x100;
        const uint32_t prog[] = {
            CSRR(A0, CSR_MHARTID), /* 0x00 */
            BNE(A0, 0, 0x20 - 4),  /* 0x04: hart 1 to 0x24 */
            AUIPC0(T0),            /* 0x08: t0 = 0x80000008 */
            ADDI(T0, T0, 0x10),    /* 0x0c: t0 = bad */
            CSRW(CSR_MTVEC, T0),   /* 0x10 */
            NOP,                   /* 0x14 */
            0x00000000,            /* 0x18: bad: illegal */
            NOP, NOP,              /* 0x1c, 0x20 */
            ADDI(A1, 0, 500),      /* 0x24: hart 1: a1 = 500 */
            ADDI(A1, A1, -1),      /* 0x28 */
            BNE(A1, 0, -4),        /* 0x2c */
            AUIPC0(T1),            /* 0x30: t1 = 0x80000030 */
            ADDI(T1, T1, -0x18),   /* 0x34: t1 = bad */
            LWU(T2, T1, 0xe8),     /* 0x38: t2 = the word at bad + 0xe8 = word */
            SW(T2, T1, 0),         /* 0x3c: over the illegal instruction */
            enc_jump(MEM_RAM_BASE + 0x40, MEM_RAM_BASE + 0x40), /* 0x40: spin */
        };
        test_put_code(m, MEM_RAM_BASE, prog, sizeof(prog) / 4);
        const uint32_t jump = enc_jump(bad, TEST_POWEROFF);
        test_put_code(m, word, &jump, 1);
        machine_run(m);
        ck_assert_msg(m->stop == STOP_EXIT, "quantum %llu: stop %d: %s",
                      (unsigned long long)quanta[qi], (int)m->stop, m->error);
        ck_assert_uint_ge(m->harts[1].icount, 1000); /* its countdown ran */
        machine_free(m);
    }
}
END_TEST

Suite *suite_trap_loop(void)
{
    Suite *s = suite_create("trap_loop");
    TCase *tc = tcase_create("trap_loop");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_trap_loop_one_hart_stops_with_a_message);
    tcase_add_test(tc, test_trap_loop_other_harts_run_and_free_it);
    suite_add_tcase(s, tc);
    return s;
}
