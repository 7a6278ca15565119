/* Runs every unit suite. `tests/unit/unit SUITE` runs one suite by name.
 * The last line is "unit: N passed, N failed" for the test tiers' sum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/suites.h"

typedef Suite *(*SuiteFn)(void);

static const struct {
    const char *name;
    SuiteFn fn;
} suites[] = {
    { "decode", suite_decode }, { "tb_cache", suite_tb_cache },
    { "mmu", suite_mmu },       { "csr", suite_csr },
    { "fp", suite_fp },         { "options", suite_options },
    { "elf", suite_elf },       { "uart", suite_uart },
    { "platform", suite_platform }, { "virtio", suite_virtio },
    { "boot", suite_boot },     { "icount", suite_icount },
    { "trace", suite_trace },   { "replay", suite_replay },
    { "gdb", suite_gdb },       { "snapshot", suite_snapshot },
    { "lrsc", suite_lrsc },     { "native", suite_native },
    { "chaos", suite_chaos },
    { "timerq", suite_timerq },
    { "trap_loop", suite_trap_loop },
};

int main(int argc, char **argv)
{
    SRunner *sr = NULL;
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        if (argc > 1 && strcmp(argv[1], suites[i].name) != 0)
            continue;
        Suite *s = suites[i].fn();
        if (!sr)
            sr = srunner_create(s);
        else
            srunner_add_suite(sr, s);
    }
    if (!sr) {
        fprintf(stderr, "unit: no suite named '%s'\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int total = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    printf("unit: %d passed, %d failed\n", total - failed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
