/* Chaos scheduling (core/chaos.h): the integer log/exp, the log-uniform
 * draws, the header string both ways, the checkpoint bytes. (A chaos
 * schedule on a machine: test_lrsc.c.) */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/chaos.h"
#include "tests/unit/suites.h"

START_TEST(test_log2_exp2_fixed_point)
{
    for (unsigned k = 0; k < 63; k++)
        ck_assert_uint_eq(chaos_log2_q32(1ULL << k), (uint64_t)k << 32);
    /* Against libm (here only, never in the schedule): within 1e-8. */
    for (uint64_t x = 3; x < 4000000000ULL; x = x * 7 / 3 + 1) {
        double want = log2((double)x), got = (double)chaos_log2_q32(x) / 4294967296.0;
        ck_assert_msg(fabs(got - want) < 1e-8, "log2(%lu): %.10f, want %.10f",
                      (unsigned long)x, got, want);
        uint64_t back = chaos_exp2_q32(chaos_log2_q32(x));
        ck_assert_msg(back + 1 >= x && back <= x, "2^log2(%lu) = %lu", (unsigned long)x,
                      (unsigned long)back);
    }
}
END_TEST

START_TEST(test_log_uniform_is_log_uniform)
{
    uint64_t rng = 12345;
    enum { N = 200000 };
    unsigned below_1e4 = 0, decade[9] = { 0 };
    for (int i = 0; i < N; i++) {
        uint64_t v = chaos_log_uniform(&rng, 10, 1000000000);
        ck_assert(v >= 10 && v <= 1000000000);
        below_1e4 += v < 10000;
        unsigned d = 0;
        for (uint64_t t = v; t >= 100; t /= 10)
            d++;
        decade[d]++;
    }
    /* 8 decades from 10 to 10^9: 3 of them below 10^4, 1/8 in each. */
    ck_assert_msg(fabs((double)below_1e4 / N - 3.0 / 8) < 0.01, "%u", below_1e4);
    for (int d = 0; d < 8; d++)
        ck_assert_msg(fabs((double)decade[d] / N - 1.0 / 8) < 0.01, "decade %d: %u", d,
                      decade[d]);
    ck_assert_uint_eq(chaos_log_uniform(&rng, 7, 7), 7);
}
END_TEST

START_TEST(test_config_string_both_ways)
{
    ChaosConfig c, back;
    char s[256], err[300];
    chaos_config_default(&c, 987654321);
    chaos_config_format(&c, s, sizeof(s));
    ck_assert_str_eq(s, "seed=987654321,quantum=1..100000,starve=10..1000000000,"
                        "starve-every=16");
    ck_assert_msg(chaos_config_parse(s, &back, err, sizeof(err)), "%s", err);
    ck_assert(back.on && back.seed == c.seed && back.quantum_min == c.quantum_min &&
              back.quantum_max == c.quantum_max && back.starve_min == c.starve_min &&
              back.starve_max == c.starve_max && back.starve_every == c.starve_every);
    static const char *const bad[] = {
        "", "seed=1", "seed=x,quantum=1..2,starve=1..2,starve-every=1",
        "seed=1,quantum=3..2,starve=1..2,starve-every=1",
        "seed=1,quantum=0..2,starve=1..2,starve-every=1",
        "seed=1,quantum=1..2,starve=1..2,starve-every=0",
        "seed=1,quantum=1..2,starve=1..2,starve-every=1,colour=red",
        "seed=1,quantum=1..2;starve=1..2,starve-every=1",
        "seed=99999999999999999999,quantum=1..2,starve=1..2,starve-every=1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!chaos_config_parse(bad[i], &back, err, sizeof(err)), "%s", bad[i]);
}
END_TEST

START_TEST(test_state_bytes_both_ways)
{
    ChaosState s = { .rng = 1, .quantum = 2, .starve_end = 3, .calm_end = 4,
                     .order = { 1, 0, 2, 3, 4, 5, 6, 7 }, .starved = 1, .drawn = true }, r;
    uint8_t b[CHAOS_STATE_BYTES];
    chaos_state_pack(&s, b);
    ck_assert(chaos_state_unpack(&r, b, sizeof(b)));
    ck_assert(r.rng == 1 && r.quantum == 2 && r.starve_end == 3 && r.calm_end == 4 &&
              memcmp(r.order, s.order, sizeof(s.order)) == 0 && r.starved == 1 && r.drawn);
    ck_assert(!chaos_state_unpack(&r, b, sizeof(b) - 1));
    b[32] = 9; /* a hart that cannot be */
    ck_assert(!chaos_state_unpack(&r, b, sizeof(b)));
}
END_TEST

Suite *suite_chaos(void)
{
    Suite *s = suite_create("chaos");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_log2_exp2_fixed_point);
    tcase_add_test(tc, test_log_uniform_is_log_uniform);
    tcase_add_test(tc, test_config_string_both_ways);
    tcase_add_test(tc, test_state_bytes_both_ways);
    suite_add_tcase(s, tc);
    return s;
}
