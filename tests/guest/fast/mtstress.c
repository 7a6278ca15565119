/* A stress program for the fast mode (-accel tcg,thread=multi): every hart
 * of the machine (2 to 8) runs the same phases at once, separated by
 * barriers, and hart 0 checks the results. It is correct on any engine;
 * the fast mode runs it on real host threads, where a missing fence, a
 * lost AMO or SC, a stale translation or a lost wake-up shows.
 *
 *  1 amo:   every hart adds 1 to a counter with amoadd.d and amoadd.w,
 *           AMO_ROUNDS times: none lost.
 *  2 lock:  an LR/SC spin lock guards a plain (non-atomic) counter, and
 *           an LR/SC loop adds to another: no update lost.
 *  3 mp:    message passing, pairs (0,1), (2,3)...: the producer writes a
 *           message, fence w,w, a flag; the consumer sees the flag, fence
 *           r,r, and must see the whole message.
 *  4 sb:    store buffering with fence rw,rw, pairs: x=1; fence; r0=y and
 *           y=1; fence; r1=x never give r0 = r1 = 0 (RVWMO forbids it; an
 *           x86-64 host shows it unless the fence is an mfence).
 *  5 smc:   hart 0 rewrites an instruction (li a0, K), fence.i, calls it
 *           and publishes K; the others, once they see K and run fence.i,
 *           must get at least K from the code (never a stale translation).
 *  6 ipi:   hart 0 sends IPIs (CLINT msip) to every other hart, which
 *           waits for each in wfi and acknowledges it.
 *  7 timer: every hart sets its mtimecmp 2 ms ahead, waits in wfi for
 *           the timer interrupt, and checks that mtime got there.
 * Exit code: 0 pass, else the number of the first phase that failed (10 +
 * phase for a wrong count; 99: fewer than 2 harts or no device tree). */
#include "rt.h"
#include "fdt_cpus.h"

enum { MAX_HARTS = 8 };
enum { AMO_ROUNDS = 20000, LOCK_ROUNDS = 20000, MP_ROUNDS = 3000, SB_ROUNDS = 3000,
       SMC_ROUNDS = 300, IPI_ROUNDS = 200 };

#define CLINT_BASE 0x2000000UL
#define CLINT_MSIP(h) ((volatile uint32_t *)(CLINT_BASE + 4 * (h)))
#define CLINT_MTIMECMP(h) ((volatile uint64_t *)(CLINT_BASE + 0x4000 + 8 * (h)))
#define CLINT_MTIME ((volatile uint64_t *)(CLINT_BASE + 0xbff8))
#define MIP_MSIP (1UL << 3)
#define MIP_MTIP (1UL << 7)

static unsigned nharts;
static volatile uint32_t go;
static volatile uint32_t failed; /* first failing phase, 0: none */

static void fail(uint32_t code)
{
    uint32_t zero = 0;
    __atomic_compare_exchange_n(&failed, &zero, code, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
}

/* Zihintpause: a hint that this hart spins (the fast mode yields the
 * host CPU on it; elsewhere it is a fence that orders nothing). */
static inline void spin_pause(void)
{
    __asm__ volatile(".word 0x0100000f" ::: "memory");
}

/* A sense-reversing barrier of every hart. */
static volatile uint32_t bar_count, bar_sense;
static void barrier(uint32_t *sense)
{
    uint32_t s = !*sense;
    *sense = s;
    if (__atomic_fetch_add(&bar_count, 1, __ATOMIC_SEQ_CST) == nharts - 1) {
        bar_count = 0;
        __atomic_store_n(&bar_sense, s, __ATOMIC_SEQ_CST);
    } else {
        while (__atomic_load_n(&bar_sense, __ATOMIC_ACQUIRE) != s)
            spin_pause();
    }
}

/* ---------------------------------------------------------------- 1 amo */
static volatile uint64_t amo_d;
static volatile uint32_t amo_w;

static void phase_amo(void)
{
    for (int i = 0; i < AMO_ROUNDS; i++) {
        __asm__ volatile("amoadd.d zero, %1, (%0)" :: "r"(&amo_d), "r"(1L) : "memory");
        __asm__ volatile("amoadd.w zero, %1, (%0)" :: "r"(&amo_w), "r"(1) : "memory");
    }
}

/* --------------------------------------------------------------- 2 lock */
static volatile uint32_t lock_word;
static volatile uint64_t lock_counter;
static volatile uint64_t lrsc_sum; /* LR/SC atomic adds */

static void phase_lock(void)
{
    for (int i = 0; i < LOCK_ROUNDS; i++) {
        uint32_t v;
        __asm__ volatile("1: lr.w.aq %0, (%1)\n"
                         "   bnez %0, 1b\n"
                         "   sc.w %0, %2, (%1)\n"
                         "   bnez %0, 1b\n"
                         : "=&r"(v) : "r"(&lock_word), "r"(1) : "memory");
        lock_counter = lock_counter + 1;
        __asm__ volatile("fence rw, w\n"
                         "sw zero, 0(%0)\n" :: "r"(&lock_word) : "memory");
        uint64_t old, tmp;
        __asm__ volatile("1: lr.d %0, (%2)\n"
                         "   addi %1, %0, 1\n"
                         "   sc.d %1, %1, (%2)\n"
                         "   bnez %1, 1b\n"
                         : "=&r"(old), "=&r"(tmp) : "r"(&lrsc_sum) : "memory");
    }
}

/* ----------------------------------------------------------------- 3 mp */
static struct {
    volatile uint64_t data[4];
    volatile uint64_t flag; /* round number of the message, 0: empty */
    uint64_t pad[3];
} mp[MAX_HARTS / 2];

static void phase_mp(unsigned id)
{
    unsigned pair = id / 2;
    if (pair * 2 + 1 >= nharts)
        return; /* the odd one out */
    for (uint64_t r = 1; r <= MP_ROUNDS; r++) {
        if (id % 2 == 0) { /* producer */
            while (mp[pair].flag != 0)
                spin_pause();
            __asm__ volatile("fence r, rw" ::: "memory");
            for (int k = 0; k < 4; k++)
                mp[pair].data[k] = r * 4 + k;
            __asm__ volatile("fence w, w" ::: "memory");
            mp[pair].flag = r;
        } else { /* consumer */
            while (mp[pair].flag != r)
                spin_pause();
            __asm__ volatile("fence r, r" ::: "memory");
            for (int k = 0; k < 4; k++)
                if (mp[pair].data[k] != r * 4 + k)
                    fail(3);
            __asm__ volatile("fence r, w" ::: "memory");
            mp[pair].flag = 0;
        }
    }
}

/* ----------------------------------------------------------------- 4 sb */
static struct {
    volatile uint64_t x, y;
    volatile uint32_t start; /* round both may start */
    volatile uint32_t ready[2]; /* round a side arrived at */
    volatile uint32_t done[2];  /* round whose result a side has written */
    volatile uint64_t r[2];
    uint64_t pad[2];
} sb[MAX_HARTS / 2];

static void phase_sb(unsigned id)
{
    unsigned pair = id / 2, side = id % 2;
    if (pair * 2 + 1 >= nharts)
        return;
    for (uint32_t round = 1; round <= SB_ROUNDS; round++) {
        /* Both sides arrive; side 0 resets and releases the round. */
        __atomic_store_n(&sb[pair].ready[side], round, __ATOMIC_SEQ_CST);
        if (side == 0) {
            while (__atomic_load_n(&sb[pair].ready[1], __ATOMIC_SEQ_CST) != round)
                spin_pause();
            sb[pair].x = 0;
            sb[pair].y = 0;
            __atomic_store_n(&sb[pair].start, round, __ATOMIC_SEQ_CST);
        } else {
            /* A tight spin (no pause) at first: both sides then run the
             * test at nearly the same moment, which is when a store buffer
             * shows. Then pause: with more harts than host cores the other
             * side may not be running at all. */
            for (unsigned spin = 0;
                 __atomic_load_n(&sb[pair].start, __ATOMIC_RELAXED) != round; spin++)
                if (spin > 5000)
                    spin_pause();
        }
        volatile uint64_t *mine = side ? &sb[pair].y : &sb[pair].x;
        volatile uint64_t *other = side ? &sb[pair].x : &sb[pair].y;
        uint64_t seen;
        __asm__ volatile("sd %2, 0(%1)\n"
                         "fence rw, rw\n"
                         "ld %0, 0(%3)\n"
                         : "=&r"(seen) : "r"(mine), "r"(1L), "r"(other) : "memory");
        sb[pair].r[side] = seen;
        /* Both results in: side 0 checks (after the next arrival). */
        __atomic_store_n(&sb[pair].done[side], round, __ATOMIC_SEQ_CST);
        if (side == 0) {
            while (__atomic_load_n(&sb[pair].done[1], __ATOMIC_SEQ_CST) != round)
                spin_pause();
            if (sb[pair].r[0] == 0 && sb[pair].r[1] == 0)
                fail(4);
        }
        /* Side 1 goes on: it writes r[1] again only once side 0, done
         * with this round, starts the next one. */
    }
}

/* ---------------------------------------------------------------- 5 smc */
/* Its own page: f0 = "li a0, K; ret" (rewritten), f1 = "li a0, 7; ret". */
static uint32_t smc_code[1024] __attribute__((aligned(4096)));
static volatile uint64_t smc_seq;

static uint32_t li_a0(uint32_t k)
{
    return 0x00000513u | (k << 20); /* addi a0, zero, k */
}

static uint64_t call(const uint32_t *code)
{
    return ((uint64_t(*)(void))(uintptr_t)code)();
}

static void smc_setup(void)
{
    smc_code[0] = li_a0(0);
    smc_code[1] = 0x00008067; /* ret */
    smc_code[8] = li_a0(7);
    smc_code[9] = 0x00008067;
    __asm__ volatile("fence.i" ::: "memory");
}

static void phase_smc(unsigned id)
{
    if (id == 0) {
        for (uint32_t k = 1; k <= SMC_ROUNDS; k++) {
            __atomic_store_n(&smc_code[0], li_a0(k), __ATOMIC_RELAXED);
            __asm__ volatile("fence.i" ::: "memory");
            if (call(smc_code) != k)
                fail(5);
            __atomic_store_n(&smc_seq, k, __ATOMIC_RELEASE);
            for (int spin = 0; spin < 50; spin++)
                if (call(&smc_code[8]) != 7)
                    fail(5);
        }
        return;
    }
    uint64_t s;
    do {
        s = __atomic_load_n(&smc_seq, __ATOMIC_ACQUIRE);
        __asm__ volatile("fence.i" ::: "memory");
        if (call(smc_code) < s || call(&smc_code[8]) != 7)
            fail(5);
        spin_pause();
    } while (s < SMC_ROUNDS);
}

/* ---------------------------------------------------------------- 6 ipi */
static volatile uint32_t ipi_ack[MAX_HARTS];

static void phase_ipi(unsigned id)
{
    if (id == 0) {
        for (uint32_t r = 1; r <= IPI_ROUNDS; r++)
            for (unsigned h = 1; h < nharts; h++) {
                *CLINT_MSIP(h) = 1;
                while (__atomic_load_n(&ipi_ack[h], __ATOMIC_ACQUIRE) != r)
                    spin_pause();
            }
        return;
    }
    /* mstatus.MIE stays 0: the pending interrupt ends wfi, is not taken. */
    rt_csr_write(mie, MIP_MSIP);
    for (uint32_t r = 1; r <= IPI_ROUNDS; r++) {
        while (!(rt_csr_read(mip) & MIP_MSIP))
            __asm__ volatile("wfi");
        *CLINT_MSIP(id) = 0;
        while (rt_csr_read(mip) & MIP_MSIP)
            ;
        __atomic_store_n(&ipi_ack[id], r, __ATOMIC_RELEASE);
    }
    rt_csr_write(mie, 0);
}

/* -------------------------------------------------------------- 7 timer */
static void phase_timer(unsigned id)
{
    uint64_t when = *CLINT_MTIME + 20000; /* 2 ms at 10 MHz */
    *CLINT_MTIMECMP(id) = when;
    rt_csr_write(mie, MIP_MTIP);
    while (!(rt_csr_read(mip) & MIP_MTIP))
        __asm__ volatile("wfi");
    if (*CLINT_MTIME < when)
        fail(7);
    *CLINT_MTIMECMP(id) = ~0UL;
    rt_csr_write(mie, 0);
}

/* ----------------------------------------------------------------- main */
/* Hart 0 says where it is, so that a hang names its phase. */
static void reached(unsigned id, const char *phase)
{
    if (id == 0)
        printf("mtstress: %s\n", phase);
}

static void all_phases(unsigned id)
{
    uint32_t sense = 0;
    barrier(&sense);
    reached(id, "amo");
    phase_amo();
    barrier(&sense);
    reached(id, "lock");
    phase_lock();
    barrier(&sense);
    reached(id, "mp");
    phase_mp(id);
    barrier(&sense);
    reached(id, "sb");
    phase_sb(id);
    barrier(&sense);
    reached(id, "smc");
    phase_smc(id);
    barrier(&sense);
    reached(id, "ipi");
    phase_ipi(id);
    barrier(&sense);
    reached(id, "timer");
    phase_timer(id);
    barrier(&sense);
}

void rt_other_hart(uint64_t hartid, const void *fdt);
void rt_other_hart(uint64_t hartid, const void *fdt)
{
    (void)fdt;
    extern char rt_default_trap_m[];
    __asm__ volatile("csrw mtvec, %0" :: "r"(rt_default_trap_m));
    while (!go)
        spin_pause();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    all_phases((unsigned)hartid);
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    nharts = rt_fdt_count_cpus(rt_fdt);
    if (nharts > MAX_HARTS)
        nharts = MAX_HARTS;
    if (nharts < 2) {
        printf("mtstress: needs 2 to 8 harts (found %u)\n", nharts);
        return 99;
    }
    smc_setup();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    go = 1;
    all_phases(0);
    uint64_t n = nharts;
    printf("mtstress: %u harts: amo %lu/%lu (want %lu), lock %lu, lr/sc %lu (want %lu), "
           "failed phase %u\n", nharts, (unsigned long)amo_d, (unsigned long)amo_w,
           (unsigned long)(n * AMO_ROUNDS), (unsigned long)lock_counter,
           (unsigned long)lrsc_sum, (unsigned long)(n * LOCK_ROUNDS), (unsigned)failed);
    if (failed)
        return (int)failed;
    if (amo_d != n * AMO_ROUNDS || amo_w != n * AMO_ROUNDS)
        return 11;
    if (lock_counter != n * LOCK_ROUNDS || lrsc_sum != n * LOCK_ROUNDS)
        return 12;
    return 0;
}
