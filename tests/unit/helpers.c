/* Shared unit-test fixtures. */
#include "tests/unit/helpers.h"

#include <check.h>
#include <string.h>

#include "devices/syscon.h"
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

void test_put_code(Machine *m, uint64_t addr, const uint32_t *w, unsigned n)
{
    uint8_t *ram = memory_ram_ptr(&m->mem, addr, n * 4);
    ck_assert_ptr_nonnull(ram);
    memcpy(ram, w, n * 4);
}

void test_put_poweroff(Machine *m, uint64_t addr)
{
    static const uint32_t poweroff[] = {
        0x001002b7, /* lui t0,0x100      t0 = 0x100000 */
        0x00005337, /* lui t1,0x5 */
        0x55530313, /* addi t1,t1,0x555  t1 = 0x5555 */
        0x0062a023, /* sw t1,0(t0) */
        0x0000006f, /* j . */
    };
    test_put_code(m, addr, poweroff, sizeof(poweroff) / 4);
}

Machine *test_machine_with_finisher(unsigned nharts, uint64_t quantum)
{
    char err[256];
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = nharts, .quantum = quantum };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(m != NULL, "machine_new: %s", err);
    ck_assert_msg(syscon_new(m, MEM_TEST_BASE, err, sizeof(err)), "syscon_new: %s", err);
    test_put_poweroff(m, TEST_POWEROFF);
    for (unsigned i = 0; i < nharts; i++)
        m->harts[i].pc = MEM_RAM_BASE;
    return m;
}

uint32_t enc_i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return (uint32_t)(imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

uint32_t enc_s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned opc)
{
    return (uint32_t)((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           (uint32_t)(imm & 0x1f) << 7 | opc;
}

uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

uint32_t enc_b(int32_t off, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t o = (uint32_t)off;
    return ((o >> 12) & 1) << 31 | ((o >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 |
           f3 << 12 | ((o >> 1) & 0xf) << 8 | ((o >> 11) & 1) << 7 | 0x63;
}

uint32_t enc_jump(uint64_t from, uint64_t to)
{
    uint32_t o = (uint32_t)(int32_t)(to - from);
    return ((o >> 20) & 1) << 31 | ((o >> 1) & 0x3ff) << 21 | ((o >> 11) & 1) << 20 |
           ((o >> 12) & 0xff) << 12 | 0x6f;
}
