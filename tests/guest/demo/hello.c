/* The demo guest that ./quickstart runs: says hello, tells what machine it
 * finds itself on, does a little work and reports how many instructions
 * that took. Bare metal, M-mode, HTIF console (see ../lib). */
#include "rt.h"

/* misa letters in the order an ISA string lists them (privilege modes
 * S and U are listed separately). */
static const char hello_isa_order[] = "IEMAFDQCBJPVH";

static void hello_print_isa(uint64_t misa)
{
    static const char *const widths[] = { "?", "32", "64", "128" };
    printf("RV%s", widths[misa >> 62]);
    for (const char *p = hello_isa_order; *p; p++)
        if (misa & (1UL << (*p - 'A')))
            putchar(*p);
}

static void hello_print_modes(uint64_t misa)
{
    rt_print("M");
    if (misa & (1UL << ('S' - 'A')))
        rt_print(" S");
    if (misa & (1UL << ('U' - 'A')))
        rt_print(" U");
}

/* Sieve of Eratosthenes over [0, HELLO_LIMIT). */
#define HELLO_LIMIT 10000
static uint8_t hello_composite[HELLO_LIMIT];

static unsigned hello_sieve(void)
{
    unsigned count = 0;
    for (unsigned i = 2; i < HELLO_LIMIT; i++) {
        if (hello_composite[i])
            continue;
        count++;
        for (unsigned j = i * i; j < HELLO_LIMIT; j += i)
            hello_composite[j] = 1;
    }
    return count;
}

int main(void)
{
    uint64_t misa = rt_csr_read(misa);

    /* the work, measured on its own (printing polls the console) */
    uint64_t start = rt_instret();
    unsigned primes = hello_sieve();
    /* FNV-1a over the sieve: the same on every run and every machine */
    uint32_t hash = 2166136261u;
    for (unsigned i = 0; i < HELLO_LIMIT; i++)
        hash = (hash ^ hello_composite[i]) * 16777619u;
    /* a little floating point too: Newton's method for sqrt(2) */
    double x = 1.0;
    for (int i = 0; i < 20; i++)
        x = x - (x * x - 2.0) / (2.0 * x);
    uint64_t used = rt_instret() - start;

    puts("");
    puts("  Hello from a rewind guest!");
    puts("  --------------------------");
    rt_print("  machine : ");
    hello_print_isa(misa);
    printf(" (misa 0x%lx)\n", misa);
    rt_print("  modes   : ");
    hello_print_modes(misa);
    puts("");
    printf("  hart    : %lu, running in M-mode\n", rt_csr_read(mhartid));
    rt_print("  primes  : ");
    for (unsigned i = 2, shown = 0; shown < 12; i++) {
        if (!hello_composite[i]) {
            printf("%u ", i);
            shown++;
        }
    }
    printf("... %u of them below %u\n", primes, HELLO_LIMIT);
    printf("  checksum: 0x%08x (FNV-1a of the sieve)\n", hash);
    printf("  sqrt(2) : 1.%06u (Newton, 20 steps)\n",
           (unsigned)((x - 1.0) * 1000000.0));
    printf("  work    : %lu instructions retired for the above (rdinstret)\n",
           used);
    puts("");
    puts("  Bye!");
    return 0;
}
