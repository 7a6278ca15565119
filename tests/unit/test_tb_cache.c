/* TB cache tests: exact instruction budgets, chaining, invalidation of
 * code written by the guest, full flush. */
#include <check.h>
#include <string.h>

#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "translator/tb_cache.h"
#include "translator/translate.h"

/* addi a0,a0,1 ; jal zero,-4 */
static const uint32_t counting_loop[] = { 0x00150513, 0xffdff06f };

START_TEST(test_budget_is_exact)
{
    /* The loop body is two instructions; any budget must stop on the exact
     * instruction, cutting a TB when it is longer than what is left. */
    for (uint64_t n = 1; n < 40; n++) {
        Machine *m = test_machine_new();
        Hart *h = test_run_words(m, counting_loop, 2, n);
        ck_assert_uint_eq(h->icount, n);
        ck_assert_uint_eq(h->x[10], (n + 1) / 2);
        machine_free(m);
    }
}
END_TEST

START_TEST(test_chaining_skips_lookups)
{
    Machine *m = test_machine_new();
    Hart *h = test_run_words(m, counting_loop, 2, 200001);
    ck_assert_uint_eq(h->x[10], 100001);
    ck_assert_uint_ge(m->stats.chain_links, 1);
    /* Chained TBs run without a lookup: far fewer lookups than TB runs. */
    ck_assert_uint_lt(m->stats.tb_lookups_hit + m->stats.tb_lookups_miss, 1000);
    ck_assert_uint_le(m->stats.tbs_translated, 3);
    machine_free(m);
}
END_TEST

START_TEST(test_store_to_code_invalidates)
{
    /* 0: addi a0,a0,1     (rewritten below to addi a0,a0,100)
     * 4: sw t1,0(t0)      t0 = 0x80000000, t1 = encoding of addi a0,a0,100
     * 8: jal zero,-8 */
    static const uint32_t prog[] = { 0x00150513, 0x0062a023, 0xff9ff06f };
    Machine *m = test_machine_new();
    Hart *h = &m->harts[0];
    h->x[5] = 0x80000000;
    h->x[6] = 0x06450513;
    test_run_words(m, prog, 3, 3);
    ck_assert_uint_eq(h->x[10], 1);
    ck_assert_uint_ge(m->stats.tb_invalidations, 1);
    machine_run_hart(m, h, 1);
    ck_assert_uint_eq(h->x[10], 101);
    machine_free(m);
}
END_TEST

START_TEST(test_flush_drops_everything)
{
    Machine *m = test_machine_new();
    Hart *h = test_run_words(m, counting_loop, 2, 10);
    uint32_t flags = tb_flags_for(h);
    ck_assert_ptr_nonnull(tb_cache_lookup(m->tbc, 0x80000000, 0x80000000, flags));
    tb_cache_flush(m);
    ck_assert_ptr_null(tb_cache_lookup(m->tbc, 0x80000000, 0x80000000, flags));
    for (unsigned i = 0; i < JC_SIZE; i++)
        ck_assert_ptr_null(h->jmp_cache[i]);
    ck_assert(!memory_page_has_code(&m->mem, 0x80000000));
    /* and it runs again from scratch */
    machine_run_hart(m, h, 10);
    ck_assert_uint_eq(h->x[10], 10);
    machine_free(m);
}
END_TEST

START_TEST(test_tb_ends_at_page_boundary)
{
    /* A run of addi crossing from one page into the next: TBs stop at
     * the page end so invalidation stays page-granular. */
    Machine *m = test_machine_new();
    uint8_t *ram = memory_ram_ptr(&m->mem, 0x80000000, 0x2000);
    for (unsigned i = 0; i < 0x2000 / 4; i++) {
        uint32_t addi = 0x00150513;
        memcpy(ram + i * 4, &addi, 4);
    }
    Hart *h = &m->harts[0];
    h->pc = 0x80000ff0;
    machine_run_hart(m, h, 8);
    ck_assert_uint_eq(h->x[10], 8);
    TB *tb = tb_cache_lookup(m->tbc, 0x80000ff0, 0x80000ff0, tb_flags_for(h));
    ck_assert_ptr_nonnull(tb);
    ck_assert_uint_eq(tb->ninsns, 4);
    machine_free(m);
}
END_TEST

START_TEST(test_full_buffer_flushes)
{
    /* A code buffer with room for a handful of TBs: a loop over 64 pages
     * of straight-line code fills it again and again; every flush must
     * leave the machine running correctly. */
    char err[256];
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = 1,
                          .code_buffer_size = 64 << 10 };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    uint8_t *ram = memory_ram_ptr(&m->mem, 0x80000000, 64 * 4096);
    for (unsigned i = 0; i < 64 * 1024 - 1; i++) {
        uint32_t addi = 0x00150513; /* addi a0,a0,1 */
        memcpy(ram + i * 4, &addi, 4);
    }
    /* last word: jump back to the start */
    int32_t off = -(int32_t)((64 * 1024 - 1) * 4);
    uint32_t u = (uint32_t)off;
    uint32_t jal = ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 |
                   ((u >> 11) & 1) << 20 | ((u >> 12) & 0xff) << 12 | 0x6f;
    memcpy(ram + (64 * 1024 - 1) * 4, &jal, 4);
    Hart *h = &m->harts[0];
    h->pc = 0x80000000;
    machine_run_hart(m, h, 3 * 64 * 1024);
    ck_assert_uint_ge(m->stats.tb_flushes, 2);
    /* three passes of 65535 addi and one jal each */
    ck_assert_uint_eq(h->x[10], 3 * (64 * 1024 - 1));
    machine_free(m);
}
END_TEST

Suite *suite_tb_cache(void)
{
    Suite *s = suite_create("tb_cache");
    TCase *tc = tcase_create("tb_cache");
    tcase_add_test(tc, test_budget_is_exact);
    tcase_add_test(tc, test_chaining_skips_lookups);
    tcase_add_test(tc, test_store_to_code_invalidates);
    tcase_add_test(tc, test_flush_drops_everything);
    tcase_add_test(tc, test_tb_ends_at_page_boundary);
    tcase_add_test(tc, test_full_buffer_flushes);
    suite_add_tcase(s, tc);
    return s;
}
