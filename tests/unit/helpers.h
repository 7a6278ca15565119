/* Shared fixtures for unit tests: a small machine with RAM at 0x80000000,
 * and a way to run a few instruction words on it. */
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

#endif
