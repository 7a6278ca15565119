/* icount: the clock is a function of the instruction count, timers fire
 * on their exact instruction, devices see the exact count (CF_LAST_IO),
 * and runs are deterministic. Guest code is given as instruction words. */
#include <check.h>
#include <string.h>

#include "core/csr.h"
#include "core/digest.h"
#include "devices/clint.h"
#include "devices/syscon.h"
#include "icount/icount.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "translator/op.h"
#include "translator/translate.h"

enum {
    ADDI_A0 = 0x00150513,   /* addi a0,a0,1 */
    ADDI_A0_100 = 0x06450513, /* addi a0,a0,100 */
    SELF_LOOP = 0x0000006f, /* jal zero,0 */
};
#define HANDLER 0x80010000ULL

/* A 1-hart machine with a CLINT, a test finisher and the given clock. The
 * trap handler at HANDLER powers the machine off through the finisher. */
static Machine *icount_machine(uint64_t ns_per_insn)
{
    char err[256];
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = 1,
                          .icount = { .ns_per_insn = ns_per_insn } };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert(clint_new(m, CLINT_BASE, err, sizeof(err)));
    ck_assert(syscon_new(m, MEM_TEST_BASE, err, sizeof(err)));
    test_put_poweroff(m, HANDLER);
    Hart *h = &m->harts[0];
    h->csr.mtvec = HANDLER;
    h->pc = 0x80000000;
    return m;
}

static void put_words(Machine *m, uint64_t addr, const uint32_t *w, unsigned n)
{
    memcpy(memory_ram_ptr(&m->mem, addr, n * 4), w, n * 4);
}

static void fill_addi(Machine *m, unsigned n)
{
    uint32_t *p = (uint32_t *)memory_ram_ptr(&m->mem, 0x80000000, n * 4);
    for (unsigned i = 0; i < n; i++)
        p[i] = ADDI_A0;
}

static void clint_write(Machine *m, uint64_t off, uint64_t val)
{
    MmioRegion *r = memory_find_mmio(&m->mem, CLINT_BASE + off);
    ck_assert_ptr_nonnull(r);
    ck_assert(r->ops->write(r->opaque, off, 8, val));
}

static void arm_timer(Machine *m, uint64_t mtimecmp)
{
    Hart *h = &m->harts[0];
    clint_write(m, 0x4000, mtimecmp);
    h->csr.mie = 1u << IRQ_M_TIMER;
    h->csr.mstatus |= MSTATUS_MIE;
}

START_TEST(test_timer_fires_on_exact_instruction)
{
    /* With 128 ns per instruction, mtime reaches d at instruction
     * k = ceil(d * 100 / 128): the interrupt must be taken there, with
     * mepc pointing at instruction k, whatever k is. */
    for (uint64_t d = 1; d < 400; d += 7) {
        Machine *m = icount_machine(128);
        fill_addi(m, 1000);
        arm_timer(m, d);
        machine_run(m);
        Hart *h = &m->harts[0];
        uint64_t k = (d * 100 + 127) / 128;
        ck_assert_int_eq(m->stop, STOP_EXIT);
        ck_assert_uint_eq(h->csr.mcause, CAUSE_INTERRUPT | IRQ_M_TIMER);
        ck_assert_msg(h->csr.mepc == 0x80000000 + 4 * k,
                      "d=%llu: mepc 0x%llx, want instruction %llu",
                      (unsigned long long)d, (unsigned long long)h->csr.mepc,
                      (unsigned long long)k);
        ck_assert_uint_eq(h->x[10], k); /* exactly k addi retired */
        machine_free(m);
    }
}
END_TEST

START_TEST(test_quantum_does_not_move_the_timer)
{
    /* The same deadline with very different quanta: same instruction. */
    uint64_t mepc[3];
    uint64_t quanta[3] = { 1, 7, 100000 };
    for (int i = 0; i < 3; i++) {
        Machine *m = icount_machine(16);
        m->cfg.quantum = quanta[i];
        fill_addi(m, 4000);
        arm_timer(m, 301);
        machine_run(m);
        mepc[i] = m->harts[0].csr.mepc;
        machine_free(m);
    }
    ck_assert_uint_eq(mepc[0], 0x80000000 + 4 * ((301 * 100 + 15) / 16));
    ck_assert_uint_eq(mepc[0], mepc[1]);
    ck_assert_uint_eq(mepc[0], mepc[2]);
}
END_TEST

START_TEST(test_default_quantum_by_hart_count)
{
    /* One hart: no other hart waits for the end of its turn, so the
     * default turn is longer; an explicit --quantum is kept as given. */
    static const struct { unsigned nharts; uint64_t asked, got; } cases[] = {
        { 1, 0, MACHINE_QUANTUM_ONE_HART }, { 2, 0, MACHINE_QUANTUM },
        { 4, 0, MACHINE_QUANTUM }, { 1, 500, 500 }, { 4, 500, 500 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256];
        MachineConfig cfg = { .ram_size = 16 << 20, .nharts = cases[i].nharts,
                              .quantum = cases[i].asked };
        Machine *m = machine_new(&cfg, err, sizeof(err));
        ck_assert_msg(m != NULL, "%s", err);
        ck_assert_uint_eq(m->cfg.quantum, cases[i].got);
        machine_free(m);
    }
}
END_TEST

START_TEST(test_mmio_mtime_read_is_exact)
{
    /* 7 addi, then ld a1,0(t1) from mtime (t1 = 0x200bff8), then power off
     * through the handler (ecall). The load is the 8th instruction: at
     * 1024 ns each, mtime = 8 * 1024 / 100 = 81. The load sits inside a
     * TB that was not compiled with CF_LAST_IO: it must be re-run alone. */
    Machine *m = icount_machine(1024);
    fill_addi(m, 7);
    static const uint32_t tail[] = { 0x00033583, /* ld a1,0(t1) */
                                     0x00000073, /* ecall */ };
    put_words(m, 0x80000000 + 7 * 4, tail, 2);
    Hart *h = &m->harts[0];
    h->x[6] = CLINT_BASE + 0xbff8;
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_eq(h->x[11], 8 * 1024 / 100);
    ck_assert_uint_ge(m->stats.recompile_io, 1);
    ck_assert_uint_eq(h->csr.mcause, EXC_ECALL_M);
    machine_free(m);
}
END_TEST

START_TEST(test_counters_agree_with_the_clock)
{
    /* 5 addi; csrr a1,instret; csrr a2,time; csrr a3,cycle; ecall.
     * instret and cycle count the instructions before the reading one;
     * the clock counts the reading instruction too (it is the 7th). */
    Machine *m = icount_machine(1024);
    fill_addi(m, 5);
    static const uint32_t tail[] = { 0xc02025f3, /* csrr a1,instret */
                                     0xc0102673, /* csrr a2,time */
                                     0xc00026f3, /* csrr a3,cycle */
                                     0x00000073 };
    put_words(m, 0x80000000 + 5 * 4, tail, 4);
    machine_run(m);
    Hart *h = &m->harts[0];
    ck_assert_uint_eq(h->x[11], 5);
    ck_assert_uint_eq(h->x[12], 7 * 1024 / 100);
    ck_assert_uint_eq(h->x[13], 7);
    machine_free(m);
}
END_TEST

START_TEST(test_self_modifying_code_with_timer)
{
    /* 0:  sw t1,64(t0)     rewrite instruction 16 (addi a0,a0,1) to addi a0,a0,100
     * 4:  fence.i
     * 8.. addi a0,a0,1 (x60)
     * The timer fires at instruction k = 40; the handler stops. Instruction
     * 16 ran before k, rewritten: a0 = (k - 2) - 1 + 100. */
    Machine *m = icount_machine(100); /* 1 mtime tick per instruction */
    fill_addi(m, 64);
    static const uint32_t head[] = { 0x0462a023, /* sw t1,64(t0) */
                                     0x0000100f  /* fence.i */ };
    put_words(m, 0x80000000, head, 2);
    Hart *h = &m->harts[0];
    h->x[5] = 0x80000000;
    h->x[6] = ADDI_A0_100;
    /* translate the original code first, so the store must invalidate it */
    h->pc = 0x80000008;
    ck_assert_ptr_nonnull(tb_find(h, tb_flags_for(h)));
    h->pc = 0x80000000;
    arm_timer(m, 40);
    machine_run(m);
    ck_assert_uint_eq(h->csr.mepc, 0x80000000 + 4 * 40);
    ck_assert_uint_eq(h->x[10], (40 - 2) - 1 + 100);
    ck_assert_uint_ge(m->stats.tb_invalidations, 1);
    machine_free(m);
}
END_TEST

START_TEST(test_deadline_arithmetic)
{
    ck_assert_uint_eq(icount_insns_until(0, 100, 10), 10);
    ck_assert_uint_eq(icount_insns_until(0, 101, 10), 11);
    ck_assert_uint_eq(icount_insns_until(50, 50, 10), 0);
    ck_assert_uint_eq(icount_insns_until(60, 50, 10), 0);
    ck_assert_uint_eq(icount_insns_until(0, 1, 1024), 1);
    IcountConfig c;
    char err[128];
    ck_assert(icount_parse("shift=0", &c, err, sizeof(err)) && c.ns_per_insn == 1);
    ck_assert(icount_parse("10", &c, err, sizeof(err)) && c.ns_per_insn == 1024);
    ck_assert(icount_parse("shift=auto", &c, err, sizeof(err)) && c.pace);
    ck_assert(!icount_parse("shift=11", &c, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "shift=11"));
    ck_assert(!icount_parse("shift=3,align=on", &c, err, sizeof(err)));
    ck_assert(!icount_parse("", &c, err, sizeof(err)));
}
END_TEST

START_TEST(test_idle_jumps_to_the_deadline)
{
    /* wfi with a timer armed far away: the clock jumps to the deadline,
     * no instructions are burnt waiting. */
    Machine *m = icount_machine(1);
    static const uint32_t prog[] = { 0x10500073, /* wfi */ SELF_LOOP };
    put_words(m, 0x80000000, prog, 2);
    arm_timer(m, 5000000); /* 0.5 s of guest time */
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_lt(machine_icount(m), 100);
    ck_assert_uint_ge(machine_mtime(m), 5000000);
    ck_assert_uint_eq(m->harts[0].csr.mepc, 0x80000004);
    machine_free(m);
}
END_TEST

/* wfi with the timer armed past the clock's range (mtime in 10 MHz ticks,
 * the clock in nanoseconds: 584 years): the jump to it wrapped the clock
 * round below the deadline, and the machine idled for ever at full CPU
 * (found by tests/fuzz/fuzz_checkpoint). Nothing can wake the hart now:
 * the machine stops and says so. A deadline just inside the range is
 * still reached. */
START_TEST(test_idle_deadline_past_the_clock_range)
{
    Machine *m = icount_machine(1);
    static const uint32_t prog[] = { 0x10500073, /* wfi */ SELF_LOOP };
    put_words(m, 0x80000000, prog, 2);
    arm_timer(m, 0x6800000000000000ULL);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_ERROR);
    ck_assert_msg(strstr(m->error, "nothing can raise") != NULL, "%s", m->error);
    machine_free(m);

    m = icount_machine(1);
    put_words(m, 0x80000000, prog, 2);
    arm_timer(m, MACHINE_MTIME_MAX - 1000);
    machine_run(m);
    ck_assert_int_eq(m->stop, STOP_EXIT);
    ck_assert_uint_ge(machine_mtime(m), MACHINE_MTIME_MAX - 1000);
    machine_free(m);
}
END_TEST

START_TEST(test_digest_is_deterministic_and_sensitive)
{
    Digest d[3];
    for (int i = 0; i < 3; i++) {
        Machine *m = icount_machine(1);
        fill_addi(m, 100);
        if (i == 2) /* one register differs */
            m->harts[0].x[9] = 1;
        machine_run_hart(m, &m->harts[0], 50);
        d[i] = digest_take(m);
        machine_free(m);
    }
    ck_assert_uint_eq(d[0].harts, d[1].harts);
    ck_assert_uint_eq(d[0].memory, d[1].memory);
    ck_assert_uint_ne(d[0].harts, d[2].harts);
    ck_assert_uint_eq(d[0].icount, 50);
}
END_TEST

START_TEST(test_digest_sees_written_pages)
{
    /* sd a0,0(t0) twice with a digest between: each window holds the
     * written page once; a store through a cached TLB entry still counts
     * after the digest dropped the write entries. */
    Machine *m = icount_machine(1);
    static const uint32_t prog[] = { 0x00a2b023, /* sd a0,0(t0) */
                                     0x00a2b023, SELF_LOOP };
    put_words(m, 0x80000000, prog, 3);
    Hart *h = &m->harts[0];
    h->x[5] = 0x80100000;
    h->x[10] = 42;
    digest_take(m); /* start a clean window */
    machine_run_hart(m, h, 1);
    Digest a = digest_take(m);
    ck_assert_uint_eq(a.pages, 1);
    machine_run_hart(m, h, 1);
    Digest b = digest_take(m);
    ck_assert_uint_eq(b.pages, 1);
    Digest c = digest_take(m);
    ck_assert_uint_eq(c.pages, 0);
    machine_free(m);
}
END_TEST

Suite *suite_icount(void)
{
    Suite *s = suite_create("icount");
    TCase *tc = tcase_create("icount");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_timer_fires_on_exact_instruction);
    tcase_add_test(tc, test_quantum_does_not_move_the_timer);
    tcase_add_test(tc, test_default_quantum_by_hart_count);
    tcase_add_test(tc, test_mmio_mtime_read_is_exact);
    tcase_add_test(tc, test_counters_agree_with_the_clock);
    tcase_add_test(tc, test_self_modifying_code_with_timer);
    tcase_add_test(tc, test_deadline_arithmetic);
    tcase_add_test(tc, test_idle_jumps_to_the_deadline);
    tcase_add_test(tc, test_idle_deadline_past_the_clock_range);
    tcase_add_test(tc, test_digest_is_deterministic_and_sensitive);
    tcase_add_test(tc, test_digest_sees_written_pages);
    suite_add_tcase(s, tc);
    return s;
}
