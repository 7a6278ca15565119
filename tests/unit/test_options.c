/* Command-line option parsing. */
#include <check.h>
#include <stdarg.h>
#include <string.h>

#include "core/log.h"
#include "tests/unit/suites.h"
#include "tools/options.h"

START_TEST(test_sizes)
{
    uint64_t v;
    ck_assert(options_parse_size("256M", &v) && v == 256ULL << 20);
    ck_assert(options_parse_size("2G", &v) && v == 2ULL << 30);
    ck_assert(options_parse_size("512", &v) && v == 512ULL << 20); /* MiB, as QEMU */
    ck_assert(options_parse_size("64k", &v) && v == 64ULL << 10);
    ck_assert(options_parse_size("1GiB", &v) && v == 1ULL << 30);
    ck_assert(!options_parse_size("", &v));
    ck_assert(!options_parse_size("0", &v));
    ck_assert(!options_parse_size("12X", &v));
    ck_assert(!options_parse_size("-1G", &v));
    ck_assert(!options_parse_size("99999999999999999999G", &v));
}
END_TEST

static bool parse(RunOptions *o, char *err, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return options_parse_run(o, argc, argv, err, 256);
}

START_TEST(test_run_options)
{
    RunOptions o;
    char err[256];
    ck_assert(parse(&o, err, 9, "-bios", "none", "-kernel", "k.elf", "-m", "64M",
                    "-smp", "4", "-nographic"));
    ck_assert_ptr_null(o.bios);
    ck_assert_str_eq(o.kernel, "k.elf");
    ck_assert_uint_eq(o.ram_size, 64ULL << 20);
    ck_assert_uint_eq(o.smp, 4);
    ck_assert(parse(&o, err, 3, "--stats", "-d", "in_asm,int"));
    ck_assert(o.stats);
    ck_assert_uint_eq(o.log_mask, LOG_IN_ASM | LOG_INT);
    ck_assert(parse(&o, err, 2, "-smp", "cpus=2") && o.smp == 2);
}
END_TEST

START_TEST(test_bad_options_are_named)
{
    RunOptions o;
    char err[256];
    ck_assert(!parse(&o, err, 2, "-smp", "0"));
    ck_assert_ptr_nonnull(strstr(err, "-smp 0"));
    ck_assert(!parse(&o, err, 2, "-smp", "99"));
    ck_assert(!parse(&o, err, 2, "-m", "lots"));
    ck_assert_ptr_nonnull(strstr(err, "-m lots"));
    ck_assert(!parse(&o, err, 1, "-kernel"));
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    ck_assert(!parse(&o, err, 1, "--frobnicate"));
    ck_assert_ptr_nonnull(strstr(err, "--frobnicate"));
    ck_assert(!parse(&o, err, 2, "-d", "in_asm,bogus"));
    ck_assert_ptr_nonnull(strstr(err, "bogus"));
}
END_TEST

/* -accel, QEMU's spelling: thread=multi is the fast mode; the default and
 * thread=single are the deterministic engine; anything else is named. */
START_TEST(test_accel)
{
    RunOptions o;
    char err[256];
    ck_assert(parse(&o, err, 0) && !o.multi_thread);
    ck_assert(parse(&o, err, 2, "-accel", "tcg,thread=multi") && o.multi_thread);
    ck_assert(parse(&o, err, 2, "--accel", "accel=tcg,thread=multi") && o.multi_thread);
    ck_assert(parse(&o, err, 2, "-accel", "tcg") && !o.multi_thread);
    ck_assert(parse(&o, err, 4, "-accel", "tcg,thread=multi", "-accel", "tcg,thread=single") &&
              !o.multi_thread);
    ck_assert(!parse(&o, err, 2, "-accel", "kvm"));
    ck_assert_ptr_nonnull(strstr(err, "only tcg"));
    ck_assert(!parse(&o, err, 2, "-accel", "tcg,thread=many"));
    ck_assert_ptr_nonnull(strstr(err, "thread=many"));
    ck_assert(!parse(&o, err, 2, "-accel", ""));
    ck_assert(!parse(&o, err, 1, "-accel"));
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    ck_assert(parse(&o, err, 2, "-accel", "tcg,thread=multi"));
    ck_assert(!options_refuse_multi_thread(&o, "record", err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "rewind record cannot use it"));
    ck_assert(parse(&o, err, 2, "-accel", "tcg,thread=single"));
    ck_assert(options_refuse_multi_thread(&o, "record", err, sizeof(err)));
}
END_TEST

Suite *suite_options(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_run_options);
    tcase_add_test(tc, test_bad_options_are_named);
    tcase_add_test(tc, test_accel);
    suite_add_tcase(s, tc);
    return s;
}
