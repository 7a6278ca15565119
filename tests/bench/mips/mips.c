/* A CPU-bound guest workload with a fixed amount of work, for measuring
 * guest MIPS: integer arithmetic (multiply, divide, shifts), memory traffic
 * over a 256 KiB array (sequential and random, pointer chasing), data-
 * dependent branches (sorting, searching) and a little double-precision
 * FP. It prints one checksum that must be the same on every machine.
 * Built with -DRT_VIRT: UART console and test-finisher exit. */
#include "rt.h"

#define MIPS_ROUNDS 240
#define MIPS_WORDS (256 * 1024 / 8)      /* the big array: 256 KiB */
#define MIPS_SORT 4096                   /* elements sorted per round */
#define MIPS_MAT 24                      /* FP matrix size */

static uint64_t mips_data[MIPS_WORDS];
static uint32_t mips_next[MIPS_WORDS];   /* a single random cycle */
static uint64_t mips_sorted[MIPS_SORT];
static double mips_ma[MIPS_MAT][MIPS_MAT], mips_mb[MIPS_MAT][MIPS_MAT],
    mips_mc[MIPS_MAT][MIPS_MAT];

typedef struct MipsRng {
    uint64_t s;
} MipsRng;

/* xorshift64*: cheap, and the same sequence everywhere */
static uint64_t mips_rand(MipsRng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dULL;
}

static uint64_t mips_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return (h << 13) | (h >> 51);
}

/* Sequential traffic: fill, then a running prefix combination. */
static uint64_t mips_phase_stream(MipsRng *r)
{
    uint64_t acc = 0;
    for (unsigned i = 0; i < MIPS_WORDS; i++)
        mips_data[i] = mips_rand(r);
    for (unsigned i = 1; i < MIPS_WORDS; i++) {
        mips_data[i] += mips_data[i - 1] >> 3;
        acc ^= mips_data[i];
    }
    return acc;
}

/* Random traffic: a Sattolo shuffle makes one cycle through all entries,
 * then walking it is a chain of dependent loads. */
static uint64_t mips_phase_chase(MipsRng *r)
{
    for (unsigned i = 0; i < MIPS_WORDS; i++)
        mips_next[i] = i;
    for (unsigned i = MIPS_WORDS - 1; i > 0; i--) {
        unsigned j = (unsigned)(mips_rand(r) % i);
        uint32_t t = mips_next[i];
        mips_next[i] = mips_next[j];
        mips_next[j] = t;
    }
    uint64_t acc = 0;
    uint32_t p = 0;
    for (unsigned step = 0; step < MIPS_WORDS; step++) {
        p = mips_next[p];
        acc += mips_data[p] ^ step;
    }
    return acc ^ p;
}

/* Data-dependent branches: shell sort, then binary searches. */
static uint64_t mips_phase_sort(MipsRng *r)
{
    static const unsigned gaps[] = { 1750, 701, 301, 132, 57, 23, 10, 4, 1 };
    for (unsigned i = 0; i < MIPS_SORT; i++)
        mips_sorted[i] = mips_rand(r) >> 20;
    for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        unsigned gap = gaps[g];
        for (unsigned i = gap; i < MIPS_SORT; i++) {
            uint64_t v = mips_sorted[i];
            unsigned j = i;
            while (j >= gap && mips_sorted[j - gap] > v) {
                mips_sorted[j] = mips_sorted[j - gap];
                j -= gap;
            }
            mips_sorted[j] = v;
        }
    }
    uint64_t acc = 0;
    for (unsigned q = 0; q < MIPS_SORT; q++) {
        uint64_t key = mips_rand(r) >> 20;
        unsigned lo = 0, hi = MIPS_SORT;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (mips_sorted[mid] < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        acc += lo;
    }
    for (unsigned i = 1; i < MIPS_SORT; i++)
        if (mips_sorted[i - 1] > mips_sorted[i])
            acc ^= 0xdeadULL << i % 48; /* never: the sort is checked */
    return mips_mix(acc, mips_sorted[MIPS_SORT / 2]);
}

/* Integer arithmetic: multiply, divide, remainder, bit counting. */
static uint64_t mips_phase_alu(MipsRng *r)
{
    uint64_t acc = 1;
    for (unsigned i = 0; i < 60000; i++) {
        uint64_t a = mips_rand(r);
        uint64_t b = (a >> 40) | 1;
        acc += a / b + a % b;
        acc ^= (uint64_t)((__int128)(int64_t)a * (int64_t)acc >> 64);
        unsigned bits = 0;
        for (uint64_t v = a & 0xffff; v; v &= v - 1)
            bits++;
        acc = mips_mix(acc, bits);
    }
    return acc;
}

/* A little FP: matrix multiply and a Newton iteration. */
static uint64_t mips_phase_fp(MipsRng *r)
{
    for (unsigned i = 0; i < MIPS_MAT; i++)
        for (unsigned j = 0; j < MIPS_MAT; j++) {
            mips_ma[i][j] = (double)(mips_rand(r) >> 40) / 16777216.0;
            mips_mb[i][j] = (double)(mips_rand(r) >> 40) / 8388608.0 - 1.0;
        }
    for (unsigned i = 0; i < MIPS_MAT; i++)
        for (unsigned j = 0; j < MIPS_MAT; j++) {
            double s = 0.0;
            for (unsigned k = 0; k < MIPS_MAT; k++)
                s += mips_ma[i][k] * mips_mb[k][j];
            mips_mc[i][j] = s;
        }
    double trace = 0.0;
    for (unsigned i = 0; i < MIPS_MAT; i++)
        trace += mips_mc[i][i];
    double x = 2.0 + (trace < 0 ? -trace : trace);
    double y = x;
    for (int i = 0; i < 30; i++)
        y = 0.5 * (y + x / y);
    /* compare the bit patterns: FP results are exactly reproducible */
    union {
        double d;
        uint64_t u;
    } t = { .d = trace }, s = { .d = y };
    return mips_mix(t.u, s.u);
}

int main(void)
{
    MipsRng rng = { 0x0123456789abcdefULL };
    uint64_t sum = 0;

    puts("mips: fixed workload, " RT_STR(MIPS_ROUNDS) " rounds");
    for (unsigned round = 0; round < MIPS_ROUNDS; round++) {
        sum = mips_mix(sum, mips_phase_stream(&rng));
        sum = mips_mix(sum, mips_phase_chase(&rng));
        sum = mips_mix(sum, mips_phase_sort(&rng));
        sum = mips_mix(sum, mips_phase_alu(&rng));
        sum = mips_mix(sum, mips_phase_fp(&rng));
    }
    printf("mips: checksum 0x%016lx\n", sum);
    printf("mips: guest instret %lu\n", rt_instret());
    return 0;
}
