/* The fast mode's benchmark guest: every hart (1 to 8) runs the same
 * CPU-bound loop on its own data (integer arithmetic, loads and stores to
 * a private buffer, branches), with no sharing until the end: the work
 * scales with the harts and an engine that runs them at once finishes
 * sooner. Hart 0 sums the harts' checksums, prints it and exits through
 * the virt test finisher (-DRT_VIRT). */
#include "rt.h"
#include "fdt_cpus.h"

enum { MAX_HARTS = 8, ROUNDS = 1500, BUF_WORDS = 2048 };

static unsigned nharts;
static volatile uint32_t go, done;
static volatile uint64_t result[MAX_HARTS];
static uint64_t buf[MAX_HARTS][BUF_WORDS] __attribute__((aligned(64)));

static uint64_t work(unsigned id)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL * (id + 1), sum = 0;
    uint64_t *b = buf[id];
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < BUF_WORDS * 16; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            unsigned k = (unsigned)(x % BUF_WORDS);
            b[k] += x;
            sum += b[(k * 7) % BUF_WORDS] ^ (x >> 3);
        }
    return sum;
}

void rt_other_hart(uint64_t hartid, const void *fdt);
void rt_other_hart(uint64_t hartid, const void *fdt)
{
    (void)fdt;
    while (!go)
        ;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    result[hartid] = work((unsigned)hartid);
    __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    nharts = rt_fdt_count_cpus(rt_fdt);
    if (nharts == 0)
        nharts = 1; /* no device tree: hart 0 alone */
    if (nharts > MAX_HARTS)
        nharts = MAX_HARTS;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    go = 1;
    uint64_t total = work(0);
    while (done != nharts - 1)
        ;
    for (unsigned h = 1; h < nharts; h++)
        total += result[h];
    printf("parallel: %u harts, checksum %lx\n", nharts, (unsigned long)total);
    return 0;
}
