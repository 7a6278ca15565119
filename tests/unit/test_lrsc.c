/* LR/SC across harts (core/turn.h): a constrained LR/SC sequence succeeds
 * at any quantum, and nothing lets an SC succeed over a write made by
 * another hart, a device or the debugger between its LR and it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/debug.h"
#include "core/snapshot.h"
#include "core/turn.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

enum { A0 = 10, A1, A2, A3, A4, A5 };

#define CODE0 MEM_RAM_BASE /* hart 0; test_machine_with_finisher starts every hart here */
#define CODE1 0x80008000ULL /* hart 1 */
#define POWEROFF TEST_POWEROFF
#define DATA 0x80100000ULL

/* A machine of nharts, quantum q, with a test finisher; POWEROFF holds
 * code that powers off. a1 = DATA on every hart. */
static Machine *lrsc_machine(unsigned nharts, uint64_t quantum)
{
    Machine *m = test_machine_with_finisher(nharts, quantum);
    for (unsigned i = 0; i < nharts; i++)
        m->harts[i].x[A1] = DATA;
    return m;
}

static uint64_t data(Machine *m, unsigned i)
{
    uint64_t v;
    memcpy(&v, memory_ram_ptr(&m->mem, DATA + 8 * i, 8), 8);
    return v;
}

/* Hart 0: up to 100 tries of a constrained increment of DATA whose SC
 * comes `gap` (2 or more) instructions after its LR; then tries left (a4, -1 when
 * every SC failed) to DATA+8, power off. Returns the number of words. */
static unsigned increment_code(uint32_t *c, unsigned gap)
{
    unsigned n = 0;
    c[n++] = ADDI(A4, 0, 100);
    unsigned loop = n;
    c[n++] = ADDI(A4, A4, -1);
    unsigned exit_branch = n++; /* blt a4, zero, done */
    c[n++] = LR_D(A0, A1);
    c[n++] = ADDI(A0, A0, 1);
    for (unsigned i = 1; i + 1 < gap; i++)
        c[n++] = NOP;
    c[n++] = SC_D(A2, A0, A1);
    c[n] = BNE(A2, 0, (int32_t)(loop - n) * 4);
    n++;
    c[exit_branch] = BLT(A4, 0, (int32_t)(n - exit_branch) * 4);
    c[n++] = SD(A4, A1, 8);
    c[n] = enc_jump(CODE0 + 4 * n, POWEROFF);
    return n + 1;
}

/* Hart 1 (and up): spin. */
static void spin_others(Machine *m)
{
    uint32_t self = 0x0000006f;
    test_put_code(m, CODE1, &self, 1);
    for (unsigned i = 1; i < m->nharts; i++)
        m->harts[i].pc = CODE1;
}

START_TEST(test_constrained_sequence_succeeds_at_small_quanta)
{
    /* A quantum shorter than the LR..SC distance used to end every turn
     * inside the sequence, and the end of a turn ends the reservation:
     * no SC ever succeeded. */
    for (unsigned nharts = 2; nharts <= 8; nharts += 6)
        for (uint64_t q = 1; q <= 4; q++)
            for (unsigned gap = 2; gap <= 14; gap += gap < 5 ? 3 : 9) {
                Machine *m = lrsc_machine(nharts, q);
                uint32_t code[64];
                test_put_code(m, CODE0, code, increment_code(code, gap));
                spin_others(m);
                machine_run(m);
                ck_assert_int_eq(m->stop, STOP_EXIT);
                ck_assert_msg(data(m, 0) == 1 && data(m, 1) == 99,
                              "%u harts, quantum %lu, SC %u after LR: value %lu, "
                              "tries left %ld", nharts, (unsigned long)q, gap,
                              (unsigned long)data(m, 0), (long)data(m, 1));
                machine_free(m);
            }
}
END_TEST

START_TEST(test_extension_is_bounded_and_only_with_a_reservation)
{
    /* Hart 0: LR, then 200 nops, power off. Hart 1 spins. At quantum 1
     * hart 1 gets a turn per instruction of hart 0's, but for the turn of
     * the LR, which goes on TURN_LR_GRACE instructions (the reservation
     * outlives them all: no SC comes). Compared with the same program
     * with a nop for the LR. */
    uint32_t code[210];
    unsigned n = 0;
    code[n++] = NOP;
    for (int i = 0; i < 200; i++)
        code[n++] = NOP;
    code[n] = enc_jump(CODE0 + 4 * n, POWEROFF);
    Machine *m = lrsc_machine(2, 1);
    test_put_code(m, CODE0, code, n + 1);
    spin_others(m);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    uint64_t plain = m->harts[0].icount - m->harts[1].icount;
    ck_assert_uint_le(plain, 1);
    machine_free(m);

    m = lrsc_machine(2, 1);
    code[0] = LR_D(A0, A1);
    test_put_code(m, CODE0, code, n + 1);
    spin_others(m);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(m->harts[0].icount - m->harts[1].icount, plain + TURN_LR_GRACE);
    ck_assert(!m->harts[0].lr_valid);
    machine_free(m);
}
END_TEST

/* Hart 0's program: LR of DATA, 100 nops (longer than a turn's grace),
 * SC of 5 to DATA, its result to DATA+8, power off. */
static void put_long_lr_sc(Machine *m)
{
    uint32_t code[120];
    unsigned n = 0;
    code[n++] = ADDI(A3, 0, 5);
    code[n++] = LR_D(A0, A1);
    for (int i = 0; i < 100; i++)
        code[n++] = NOP;
    code[n++] = SC_D(A2, A3, A1);
    code[n++] = SD(A2, A1, 8);
    code[n] = enc_jump(CODE0 + 4 * n, POWEROFF);
    test_put_code(m, CODE0, code, n + 1);
}

START_TEST(test_store_by_another_hart_fails_sc)
{
    /* Hart 0: LR, 100 nops (past the grace: its turn ends with the
     * reservation), SC of 5; the SC's result to DATA+8. Hart 1 stores 7
     * to DATA all along. The SC must fail and leave hart 1's value. */
    Machine *m = lrsc_machine(2, 1);
    put_long_lr_sc(m);
    const uint32_t store[] = { ADDI(A5, 0, 7), SD(A5, A1, 0), enc_jump(CODE1 + 8, CODE1 + 4) };
    test_put_code(m, CODE1, store, 3);
    m->harts[1].pc = CODE1;
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_ne(data(m, 1), 0); /* the SC failed */
    ck_assert_uint_eq(data(m, 0), 7);
    machine_free(m);
}
END_TEST

/* A debugger that single-steps hart 0 and, at the stop before the SC of
 * the first try, writes DATA as a device or GDB would (write_at_sc) or
 * takes a checkpoint (snap_at_sc). */
typedef struct Stepper {
    Machine *m;
    uint64_t sc_pc;
    bool write_at_sc, wrote, snap_at_sc;
    Snapshot *snap;
    unsigned nstops;
} Stepper;

static void stepper_stopped(void *opaque, const DebugStop *why)
{
    (void)why;
    Stepper *s = opaque;
    s->nstops++;
    Hart *h0 = &s->m->harts[0];
    if (s->write_at_sc && !s->wrote && h0->pc == s->sc_pc) {
        ck_assert(h0->lr_valid);
        uint64_t v = 41;
        memcpy(memory_ram_ptr(&s->m->mem, DATA, 8), &v, 8);
        machine_ram_written(s->m, DATA, 8);
        s->wrote = true;
    }
    if (s->snap_at_sc && !s->snap && h0->pc == s->sc_pc) {
        ck_assert(h0->lr_valid);
        ck_assert_uint_ge(s->m->sched.done, s->m->cfg.quantum); /* in the extension */
        s->snap = snapshot_take(s->m);
        ck_assert_ptr_nonnull(s->snap);
    }
    debug_resume(s->m, 1);
}

static void run_stepped(Machine *m, Stepper *s)
{
    s->m = m;
    DebugFrontEnd fe = { .opaque = s, .stopped = stepper_stopped };
    ck_assert(debug_attach(m, &fe));
    debug_request_stop(m, DEBUG_STOP_REQUEST);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
}

START_TEST(test_debugger_inside_the_extension)
{
    /* Quantum 1, SC 5 after LR: the SC runs in the turn's extension. */
    uint32_t code[64];
    unsigned n = increment_code(code, 5);
    uint64_t sc_pc = CODE0 + 4 * 8; /* li, addi, blt, lr, addi, 3 nops: sc */
    ck_assert_uint_eq(code[8], SC_D(A2, A0, A1));

    /* Undisturbed. */
    Machine *m = lrsc_machine(2, 1);
    test_put_code(m, CODE0, code, n);
    spin_others(m);
    machine_run(m);
    uint64_t plain[2] = { m->harts[0].icount, m->harts[1].icount };
    ck_assert_uint_eq(data(m, 0), 1);
    machine_free(m);

    /* Stopped after every instruction of hart 0: the same run (a stop is
     * a slice end the run did not have; the extension does not care). */
    m = lrsc_machine(2, 1);
    test_put_code(m, CODE0, code, n);
    spin_others(m);
    Stepper s = { .sc_pc = sc_pc };
    run_stepped(m, &s);
    ck_assert_uint_gt(s.nstops, 10);
    ck_assert_uint_eq(m->harts[0].icount, plain[0]);
    ck_assert_uint_eq(m->harts[1].icount, plain[1]);
    ck_assert_uint_eq(data(m, 0), 1);
    ck_assert_uint_eq(data(m, 1), 99);
    machine_free(m);

    /* A checkpoint taken inside the extension, restored after the end:
     * the run from there ends as the first did. */
    m = lrsc_machine(2, 1);
    test_put_code(m, CODE0, code, n);
    spin_others(m);
    Stepper c = { .sc_pc = sc_pc, .snap_at_sc = true };
    run_stepped(m, &c);
    ck_assert_ptr_nonnull(c.snap);
    char err[256];
    ck_assert_msg(snapshot_restore(m, c.snap, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(data(m, 0), 0);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(m->harts[0].icount, plain[0]);
    ck_assert_uint_eq(m->harts[1].icount, plain[1]);
    ck_assert_uint_eq(data(m, 0), 1);
    ck_assert_uint_eq(data(m, 1), 99);
    snapshot_free(c.snap);
    machine_free(m);

    /* A write to the reserved word at the stop before the SC (inside the
     * extension): that SC fails, the retry adds 1 to the written value. */
    m = lrsc_machine(2, 1);
    test_put_code(m, CODE0, code, n);
    spin_others(m);
    Stepper w = { .sc_pc = sc_pc, .write_at_sc = true };
    run_stepped(m, &w);
    ck_assert(w.wrote);
    ck_assert_uint_eq(data(m, 0), 42);
    ck_assert_uint_eq(data(m, 1), 98);
    machine_free(m);
}
END_TEST

START_TEST(test_one_hart_keeps_its_reservation)
{
    /* Nothing can interleave: the reservation outlives turns, however
     * long the sequence (no grace involved). */
    Machine *m = lrsc_machine(1, 1);
    put_long_lr_sc(m);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(data(m, 1), 0);
    ck_assert_uint_eq(data(m, 0), 5);
    machine_free(m);
}
END_TEST

START_TEST(test_chaos_keeps_lrsc_progressing_and_follows_its_seed)
{
    /* --chaos draws a quantum per turn, 1 instruction and up: with quanta
     * of 1 to 3 every LR/SC sequence meets a turn's end, and still
     * succeeds (the extension of core/turn.h). The schedule is the
     * seed's: the same seed, the same run to the instruction; another
     * seed, another interleaving. */
    uint64_t icount1[3];
    const uint64_t seeds[3] = { 5, 5, 6 };
    for (int k = 0; k < 3; k++) {
        Machine *m = lrsc_machine(4, 0);
        chaos_config_default(&m->cfg.chaos, seeds[k]);
        m->cfg.chaos.quantum_min = 1;
        m->cfg.chaos.quantum_max = 3;
        m->cfg.chaos.starve_min = 1;
        m->cfg.chaos.starve_max = 50;
        chaos_state_init(&m->sched.chaos, &m->cfg.chaos);
        uint32_t code[64];
        test_put_code(m, CODE0, code, increment_code(code, 9));
        spin_others(m);
        machine_run(m);
        ck_assert_int_eq(m->stop, STOP_EXIT);
        ck_assert_msg(data(m, 0) == 1 && data(m, 1) == 99, "seed %lu: value %lu, tries "
                      "left %ld", (unsigned long)seeds[k], (unsigned long)data(m, 0),
                      (long)data(m, 1));
        icount1[k] = m->harts[1].icount; /* what the spinning hart got */
        machine_free(m);
    }
    ck_assert_uint_eq(icount1[0], icount1[1]);
    ck_assert_uint_ne(icount1[0], icount1[2]);
}
END_TEST

Suite *suite_lrsc(void)
{
    Suite *s = suite_create("lrsc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_constrained_sequence_succeeds_at_small_quanta);
    tcase_add_test(tc, test_extension_is_bounded_and_only_with_a_reservation);
    tcase_add_test(tc, test_store_by_another_hart_fails_sc);
    tcase_add_test(tc, test_debugger_inside_the_extension);
    tcase_add_test(tc, test_one_hart_keeps_its_reservation);
    tcase_add_test(tc, test_chaos_keeps_lrsc_progressing_and_follows_its_seed);
    suite_add_tcase(s, tc);
    return s;
}
