/* One check suite per module under test; tests/unit/main.c runs them all. */
#ifndef REWIND_TESTS_UNIT_SUITES_H
#define REWIND_TESTS_UNIT_SUITES_H

#include <check.h>

Suite *suite_decode(void);
Suite *suite_tb_cache(void);
Suite *suite_mmu(void);
Suite *suite_csr(void);
Suite *suite_fp(void);
Suite *suite_options(void);
Suite *suite_elf(void);
Suite *suite_uart(void);
Suite *suite_platform(void);
Suite *suite_virtio(void);
Suite *suite_boot(void);
Suite *suite_icount(void);
Suite *suite_trace(void);
Suite *suite_replay(void);
Suite *suite_gdb(void);
Suite *suite_snapshot(void);
Suite *suite_lrsc(void);
Suite *suite_chaos(void);
Suite *suite_native(void);
Suite *suite_timerq(void);
Suite *suite_trap_loop(void);

#endif
