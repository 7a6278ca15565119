/* Guest runtime, C half: HTIF console, the per-case loop and the dump format
 * that tests/diff/run compares line by line. */
#include <stdint.h>
#include "layout.h"

/* One row per case, emitted by gen.py. */
struct diff_case {
    const uint64_t *code;       /* position-independent case code ... */
    const uint64_t *code_end;   /* ... copied to EXEC_BASE before it runs */
    const uint8_t *table;       /* TBL_* layout: memory, fcsr, f, x, pool */
    uint64_t index;
    uint64_t seed;
};

extern const struct diff_case rt_cases[];
extern const uint64_t rt_ncases;
/* 0: digests only; 1: full dump of every case; 2 + k: full dump of case k
 * only (to look at a case in the context of its whole batch). */
extern const uint64_t rt_verbose;
extern uint64_t rt_trap_info[TRAP_INFO_SIZE / 8];
void rt_enter_case(const uint8_t *table, void *code);
void rt_main(void);
void rt_fatal_trap(uint64_t cause, uint64_t epc, uint64_t tval);

volatile uint64_t tohost __attribute__((section(".tohost"), aligned(8)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(8)));

static void rt_putc(char c)
{
    while (tohost != 0)
        ;
    tohost = (1ull << 56) | (1ull << 48) | (uint8_t)c;
    while (fromhost == 0)
        ;
    fromhost = 0;
}

static void rt_exit(uint64_t code)
{
    while (tohost != 0)
        ;
    tohost = (code << 1) | 1;
    for (;;)
        ;
}

static void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

static void rt_hex(uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        rt_putc("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void rt_dec(uint64_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        rt_putc(buf[--n]);
}

static void rt_named(const char *name, uint64_t idx, uint64_t v)
{
    rt_puts(name);
    rt_dec(idx);
    rt_putc(' ');
    rt_hex(v, 16);
    rt_putc('\n');
}

static void rt_copy64(volatile uint64_t *dst, const uint64_t *src, uint64_t words)
{
    for (uint64_t i = 0; i < words; i++)
        dst[i] = src[i];
}

static uint64_t rt_mix(uint64_t h, uint64_t v)
{
    h = ((h << 5) | (h >> 59)) ^ v;
    return h * 0x9e3779b97f4a7c15ull;
}

/* Compact form for big batches: one digest per register file and for the
 * buffer, so the console (slow on every emulator) carries ~80 bytes a case.
 * The runner reruns a mismatching case alone with the full dump. */
static void rt_digest(void)
{
    const volatile uint64_t *scr = (const volatile uint64_t *)SCRATCH_BASE;
    uint64_t hx = 0, hf = 0, hm = 0;

    for (int i = 1; i < 32; i++)
        hx = rt_mix(hx, scr[SCR_X / 8 + i]);
    for (int i = 0; i < 32; i++)
        hf = rt_mix(hf, scr[SCR_F / 8 + i]);
    for (int i = 0; i < SCR_MEM_SIZE / 8; i++)
        hm = rt_mix(hm, scr[SCR_MEM / 8 + i]);
    rt_puts("sum x ");
    rt_hex(hx, 16);
    rt_puts(" f ");
    rt_hex(hf, 16);
    rt_puts(" fcsr ");
    rt_hex(scr[SCR_FCSR / 8], 2);
    rt_puts(" mem ");
    rt_hex(hm, 16);
    rt_putc('\n');
}

static void rt_trap_line(void)
{
    rt_puts("trap ");
    rt_dec(rt_trap_info[TRAP_COUNT / 8]);
    if (rt_trap_info[TRAP_COUNT / 8]) {
        rt_puts(" cause ");
        rt_hex(rt_trap_info[TRAP_CAUSE / 8], 16);
        rt_puts(" epc ");
        rt_hex(rt_trap_info[TRAP_EPC / 8], 16);
        rt_puts(" tval ");
        rt_hex(rt_trap_info[TRAP_TVAL / 8], 16);
        rt_puts(" causes ");
        rt_hex(rt_trap_info[TRAP_MASK / 8], 4);
        rt_puts(" hash ");
        rt_hex(rt_trap_info[TRAP_HASH / 8], 16);
    }
    rt_putc('\n');
}

static void rt_dump(const struct diff_case *c)
{
    const volatile uint64_t *scr = (const volatile uint64_t *)SCRATCH_BASE;
    const volatile uint8_t *mem = (const volatile uint8_t *)SCRATCH_BASE;

    if (rt_verbose != 1 && rt_verbose != 2 + c->index) {
        rt_digest();
        rt_trap_line();
        rt_puts("end ");
        rt_dec(c->index);
        rt_putc('\n');
        return;
    }
    for (int i = 1; i < 32; i++)
        rt_named("x", i, scr[SCR_X / 8 + i]);
    for (int i = 0; i < 32; i++)
        rt_named("f", i, scr[SCR_F / 8 + i]);
    rt_puts("fcsr ");
    rt_hex(scr[SCR_FCSR / 8], 2);
    rt_putc('\n');
    rt_trap_line();
    for (int line = 0; line < SCR_MEM_SIZE; line += 32) {
        rt_putc('m');
        rt_hex((uint64_t)line, 3);
        rt_putc(' ');
        for (int b = 0; b < 32; b++)
            rt_hex(mem[SCR_MEM + line + b], 2);
        rt_putc('\n');
    }
    rt_puts("end ");
    rt_dec(c->index);
    rt_putc('\n');
}

void rt_main(void)
{
    for (uint64_t i = 0; i < rt_ncases; i++) {
        const struct diff_case *c = &rt_cases[i];
        const uint64_t *tbl = (const uint64_t *)c->table;
        volatile uint64_t *scr = (volatile uint64_t *)SCRATCH_BASE;
        uint64_t words = (uint64_t)(c->code_end - c->code);

        rt_puts("case ");
        rt_dec(c->index);
        rt_puts(" seed ");
        rt_dec(c->seed);
        rt_putc('\n');
        if (words * 8 > EXEC_SIZE) {
            rt_puts("case code too large\n");
            rt_exit(2);
        }
        for (int k = 0; k < TRAP_INFO_SIZE / 8; k++)
            rt_trap_info[k] = 0;
        rt_copy64(scr + SCR_MEM / 8, tbl + TBL_MEM / 8, SCR_MEM_SIZE / 8);
        rt_copy64(scr + SCR_POOL / 8, tbl + TBL_POOL / 8, POOL_WORDS);
        rt_copy64((volatile uint64_t *)EXEC_BASE, c->code, words);
        /* The exec area was just written: make the new code visible. */
        __asm__ volatile("fence.i" ::: "memory");
        rt_enter_case(c->table, (void *)EXEC_BASE);
        rt_dump(c);
    }
    rt_puts("done\n");
    rt_exit(0);
}

void rt_fatal_trap(uint64_t cause, uint64_t epc, uint64_t tval)
{
    rt_puts("FATAL trap outside case code: cause ");
    rt_hex(cause, 16);
    rt_puts(" epc ");
    rt_hex(epc, 16);
    rt_puts(" tval ");
    rt_hex(tval, 16);
    rt_putc('\n');
    rt_exit(3);
}
