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

/* ---- random floating-point operands (see helpers.h) */

static uint64_t fp_rng = 0x9e3779b97f4a7c15ULL;

uint64_t test_fp_rand(void)
{
    fp_rng ^= fp_rng << 13;
    fp_rng ^= fp_rng >> 7;
    fp_rng ^= fp_rng << 17;
    return fp_rng;
}

/* A random operand of the format (frac_bits 52 or 23, exp_bits 11 or 8). */
uint64_t test_fp_operand(unsigned fb, unsigned eb)
{
    uint64_t emax = (1ULL << eb) - 1, bias = emax >> 1;
    uint64_t fmask = (1ULL << fb) - 1, sign = (test_fp_rand() & 1) << (fb + eb);
    uint64_t e, frac = test_fp_rand() & fmask;
    /* few significant bits make shared lowest bits and exact sums likely */
    if (test_fp_rand() & 1)
        frac &= ~0ULL << (test_fp_rand() % (fb + 1));
    switch (test_fp_rand() % 16) {
    case 0: /* any bits */
        return test_fp_rand() & (sign | emax << fb | fmask);
    case 1: { /* specials and boundaries */
        static const uint64_t pick[][2] = {
            { 0, 0 }, { 0, 1 }, { 0, ~0ULL }, { 1, 0 }, { 1, ~0ULL },
            { ~0ULL, 0 }, { ~0ULL, 1 }, { ~0ULL, ~0ULL }, { 2, 0 },
        };
        unsigned i = (unsigned)(test_fp_rand() % (sizeof(pick) / sizeof(pick[0])));
        e = pick[i][0] == ~0ULL ? emax : pick[i][0];
        if (pick[i][0] == 1 && pick[i][1] == ~0ULL)
            e = emax - 1; /* the largest finite */
        return sign | e << fb | (pick[i][1] & fmask);
    }
    case 2: /* subnormal */
        return sign | (frac >> (test_fp_rand() % (fb + 1)));
    case 3: /* near the overflow boundary */
        e = emax - 1 - test_fp_rand() % 4;
        break;
    case 4: /* near the smallest normal */
        e = 1 + test_fp_rand() % 4;
        break;
    case 5: /* a product near an edge: half the exponent range either way */
        e = (test_fp_rand() & 1) ? bias + bias / 2 + test_fp_rand() % 3
                             : bias - bias / 2 - test_fp_rand() % (fb / 2 + 3);
        break;
    default: /* ordinary values */
        e = bias - 8 + test_fp_rand() % 17;
        break;
    }
    return sign | e << fb | frac;
}

/* Position of the lowest set bit of a finite nonzero value (biased
 * exponent units: the smallest subnormal's bit is 1). */
static int fp_lsb_of(uint64_t v, unsigned fb, unsigned eb)
{
    uint64_t e = v >> fb & ((1ULL << eb) - 1), m = v & ((1ULL << fb) - 1);
    if (e)
        m |= 1ULL << fb;
    else
        e = 1;
    return m ? (int)e + __builtin_ctzll(m) : 0;
}

/* A random normal addend whose lowest set bit is that of a*b, and so
 * whose sum with it has carries below the result's last place (with full
 * significands, up to 55 places below); a random operand when no normal
 * number has that lowest bit. */
uint64_t test_fp_same_lsb(uint64_t a, uint64_t b, unsigned fb, unsigned eb)
{
    int bias = (1 << (eb - 1)) - 1, emax = (1 << eb) - 1;
    int la = fp_lsb_of(a, fb, eb), lb = fp_lsb_of(b, fb, eb);
    if (!la || !lb)
        return test_fp_operand(fb, eb);
    int lp = la + lb - bias - (int)fb;
    for (int tries = 0; tries < 4; tries++) {
        int t = (int)(test_fp_rand() % (fb + 1)), e = lp - t;
        if (e < 1 || e >= emax)
            continue;
        uint64_t m = (test_fp_rand() | 1ULL << t) & ~((1ULL << t) - 1) & ((1ULL << fb) - 1);
        return (test_fp_rand() & 1) << (fb + eb) | (uint64_t)e << fb | m;
    }
    return test_fp_operand(fb, eb);
}
