/* Shared unit-test fixtures. */
#include "tests/unit/helpers.h"

#include <check.h>
#include <string.h>

#include "translator/tb_cache.h"

Machine *test_machine_new(void)
{
    char err[256];
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = 1 };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(m != NULL, "machine_new: %s", err);
    return m;
}

Hart *test_run_words(Machine *m, const uint32_t *words, unsigned count, uint64_t n)
{
    uint8_t *ram = memory_ram_ptr(&m->mem, MEM_RAM_BASE, (count + 1) * 4);
    ck_assert_ptr_nonnull(ram);
    memcpy(ram, words, count * 4);
    const uint32_t self_loop = 0x0000006f; /* jal x0, 0 */
    memcpy(ram + count * 4, &self_loop, 4);
    Hart *h = &m->harts[0];
    h->pc = MEM_RAM_BASE;
    machine_run_hart(m, h, n);
    return h;
}

static int test_op_end(Hart *h, const Op *op)
{
    return OP_NEXT;
}

/* The TB of a lone op: one instruction, the last of its TB, so it may
 * reach devices (CF_LAST_IO). */
static TB lone_op_tb = { .ninsns = 1, .flags = TBF_LAST_IO };

void test_as_lone_op(Hart *h)
{
    h->cur_tb = &lone_op_tb;
}

int test_exec_op(Hart *h, const Op *op)
{
    Op ops[2] = { *op, { .fn = test_op_end, .pc = op->pc + op->len } };
    test_as_lone_op(h);
    return ops[0].fn(h, &ops[0]);
}
