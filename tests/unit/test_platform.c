/* Platform devices: CLINT, PLIC, goldfish RTC and the test finisher, driven
 * through the machine's memory map (as a hart would reach them) and, for
 * the timer paths, through the run loop with tiny guest programs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/csr.h"
#include "core/isa.h"
#include "core/machine.h"
#include "core/sstc.h"
#include "devices/clint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/syscon.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "translator/op.h"

/* ---- fixtures ---- */

static Machine *tm;

static Machine *new_machine(unsigned nharts)
{
    char err[256];
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = nharts };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(m != NULL, "machine_new: %s", err);
    return m;
}

static void teardown(void)
{
    machine_free(tm);
    tm = NULL;
}

/* An access as a hart's load/store would make it; fails the test if the
 * device refuses it. */
static uint64_t rd(uint64_t pa, unsigned size)
{
    MmioRegion *r = memory_find_mmio(&tm->mem, pa);
    ck_assert_msg(r != NULL, "no device at 0x%llx", (unsigned long long)pa);
    uint64_t v = 0xdeadbeef;
    ck_assert_msg(r->ops->read(r->opaque, pa - r->base, size, &v),
                  "read of %u bytes at 0x%llx refused", size,
                  (unsigned long long)pa);
    return v;
}

static void wr(uint64_t pa, unsigned size, uint64_t v)
{
    MmioRegion *r = memory_find_mmio(&tm->mem, pa);
    ck_assert_msg(r != NULL, "no device at 0x%llx", (unsigned long long)pa);
    ck_assert_msg(r->ops->write(r->opaque, pa - r->base, size, v),
                  "write of %u bytes at 0x%llx refused", size,
                  (unsigned long long)pa);
}

/* True when the device accepts the access (false = access fault). */
static bool rd_ok(uint64_t pa, unsigned size)
{
    MmioRegion *r = memory_find_mmio(&tm->mem, pa);
    uint64_t v;
    return r && r->ops->read(r->opaque, pa - r->base, size, &v);
}

static bool wr_ok(uint64_t pa, unsigned size, uint64_t v)
{
    MmioRegion *r = memory_find_mmio(&tm->mem, pa);
    return r && r->ops->write(r->opaque, pa - r->base, size, v);
}

static bool mip(unsigned hart, unsigned bit)
{
    return (tm->harts[hart].csr.mip >> bit) & 1;
}

/* Advance the platform clock without running code. */
static void advance(uint64_t mtime_units)
{
    tm->mtime_skipped += mtime_units;
    machine_tick_devices(tm);
}

/* The earliest deadline on the timer queue, as the run loop sees it. */
static uint64_t deadline(void)
{
    return machine_next_deadline(tm);
}

/* Load a program at RAM base and run the machine to its end. */
static void run_program(const uint32_t *words, unsigned n)
{
    uint8_t *ram = memory_ram_ptr(&tm->mem, MEM_RAM_BASE, n * 4);
    memcpy(ram, words, n * 4);
    tm->harts[0].pc = MEM_RAM_BASE;
    tm->harts[0].priv = PRV_M;
    machine_run(tm);
}

/* Records what a device drives on its interrupt line. */
typedef struct {
    bool level;
    unsigned changes;
} IrqProbe;

static void probe_set(void *opaque, unsigned n, bool level)
{
    (void)n;
    IrqProbe *p = opaque;
    if (p->level != level)
        p->changes++;
    p->level = level;
}

/* ---- CLINT ---- */

#define MSIP(h) (CLINT_BASE + 4 * (h))
#define MTIMECMP(h) (CLINT_BASE + 0x4000 + 8 * (h))
#define MTIME (CLINT_BASE + 0xbff8)

static void clint_setup(void)
{
    char err[256];
    tm = new_machine(2);
    ck_assert_msg(clint_new(tm, CLINT_BASE, err, sizeof(err)) != NULL, "%s",
                  err);
}

START_TEST(clint_msip)
{
    wr(MSIP(1), 4, 1);
    ck_assert(mip(1, IRQ_M_SOFT));
    ck_assert(!mip(0, IRQ_M_SOFT));
    ck_assert_uint_eq(rd(MSIP(1), 4), 1);
    /* Only bit 0 is implemented. */
    wr(MSIP(0), 4, 0xfffffffe);
    ck_assert(!mip(0, IRQ_M_SOFT));
    ck_assert_uint_eq(rd(MSIP(0), 4), 0);
    wr(MSIP(1), 4, 0);
    ck_assert(!mip(1, IRQ_M_SOFT));
    /* A hart that does not exist: ignored, reads zero. */
    wr(MSIP(5), 4, 1);
    ck_assert_uint_eq(rd(MSIP(5), 4), 0);
    /* msip takes 32-bit accesses only. */
    ck_assert(!wr_ok(MSIP(0), 8, 1));
    ck_assert(!rd_ok(MSIP(0), 1));
}
END_TEST

START_TEST(clint_power_on)
{
    ck_assert_uint_eq(rd(MTIMECMP(0), 8), UINT64_MAX);
    ck_assert_uint_eq(rd(MTIMECMP(1), 8), UINT64_MAX);
    advance(1000000);
    ck_assert(!mip(0, IRQ_M_TIMER));
    ck_assert(!mip(1, IRQ_M_TIMER));
    /* No deadline until software programs one. */
    ck_assert_uint_eq(deadline(), UINT64_MAX);
}
END_TEST

START_TEST(clint_mtime_follows_icount)
{
    uint64_t t0 = rd(MTIME, 8);
    ck_assert_uint_eq(t0, machine_mtime(tm));
    /* 1000 instructions at the nominal 100 MIPS = 100 ticks of 10 MHz. */
    uint32_t nop = 0x00000013;
    test_run_words(tm, &nop, 1, 1000);
    ck_assert_uint_eq(rd(MTIME, 8), t0 + 100);
    ck_assert_uint_eq(tm->harts[0].icount, 1000);
    /* 4-byte halves. */
    tm->mtime_skipped += 0x123456789ULL;
    uint64_t t = machine_mtime(tm);
    ck_assert_uint_eq(rd(MTIME, 4), t & 0xffffffff);
    ck_assert_uint_eq(rd(MTIME + 4, 4), t >> 32);
    /* Writes are accepted and ignored (the clock is icount-derived). */
    wr(MTIME, 8, 0);
    ck_assert_uint_eq(rd(MTIME, 8), t);
    ck_assert(!rd_ok(MTIME, 2));
    ck_assert(!rd_ok(MTIME + 2, 4)); /* misaligned */
}
END_TEST

START_TEST(clint_timer)
{
    uint64_t now = machine_mtime(tm);
    wr(MTIMECMP(0), 8, now + 100);
    ck_assert(!mip(0, IRQ_M_TIMER));
    ck_assert_uint_eq(deadline(), now + 100);
    advance(99);
    ck_assert(!mip(0, IRQ_M_TIMER));
    advance(1);
    ck_assert(mip(0, IRQ_M_TIMER));
    ck_assert(!mip(1, IRQ_M_TIMER));
    /* A hart whose timer is due no longer has a deadline. */
    ck_assert_uint_eq(deadline(), UINT64_MAX);
    /* Moving the compare into the future clears MTIP at once, without a
     * tick; moving it into the past sets it at once. */
    wr(MTIMECMP(0), 8, now + 1000);
    ck_assert(!mip(0, IRQ_M_TIMER));
    wr(MTIMECMP(0), 8, now);
    ck_assert(mip(0, IRQ_M_TIMER));
    /* The earliest pending compare among harts wins. */
    wr(MTIMECMP(0), 8, now + 5000);
    wr(MTIMECMP(1), 8, now + 3000);
    ck_assert_uint_eq(deadline(), now + 3000);
    advance(3000 - 100);
    ck_assert(mip(1, IRQ_M_TIMER));
    ck_assert(!mip(0, IRQ_M_TIMER));
    ck_assert_uint_eq(deadline(), now + 5000);
}
END_TEST

/* The device named `name` on tm. */
static const MachineDevice *device_named(Machine *m, const char *name)
{
    for (unsigned i = 0; i < m->ndevices; i++)
        if (strcmp(m->devices[i].name, name) == 0)
            return &m->devices[i];
    ck_abort_msg("no device %s", name);
    return NULL;
}

/* Timers are not saved: a device's load re-arms them from its registers
 * (icount/timerq.h). A restore brings back the deadlines it saved and
 * drops those armed since. */
START_TEST(clint_timers_follow_a_restore)
{
    uint64_t now = machine_mtime(tm);
    const MachineDevice *d = device_named(tm, "clint");
    uint8_t none[1024], two[1024];
    size_t n0 = d->save(d->opaque, none, sizeof(none));
    wr(MTIMECMP(0), 8, now + 100);
    wr(MTIMECMP(1), 8, now + 300);
    size_t n2 = d->save(d->opaque, two, sizeof(two));
    ck_assert_uint_le(n2, sizeof(two));
    wr(MTIMECMP(0), 8, UINT64_MAX);
    wr(MTIMECMP(1), 8, UINT64_MAX);
    ck_assert_uint_eq(deadline(), UINT64_MAX);
    ck_assert(d->load(d->opaque, two, n2));
    ck_assert_uint_eq(deadline(), now + 100);
    advance(100);
    ck_assert(mip(0, IRQ_M_TIMER));
    ck_assert_uint_eq(deadline(), now + 300);
    ck_assert(d->load(d->opaque, none, n0));
    ck_assert_uint_eq(deadline(), UINT64_MAX);
}
END_TEST

START_TEST(sstc_timers_follow_a_restore)
{
    char err[256];
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = 2, .isa_ext = ISA_BIT(ISA_SSTC) };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(m != NULL, "%s", err);
    Hart *h = &m->harts[1];
    uint64_t now = machine_mtime(m);
    h->csr.menvcfg |= MENVCFG_STCE;
    h->csr.stimecmp = now + 50;
    sstc_update(h);
    ck_assert_uint_eq(machine_next_deadline(m), now + 50);
    const MachineDevice *d = device_named(m, "sstc");
    uint8_t st[1024];
    size_t n = d->save(d->opaque, st, sizeof(st));
    ck_assert_uint_le(n, sizeof(st));
    h->csr.stimecmp = UINT64_MAX;
    sstc_update(h);
    ck_assert_uint_eq(machine_next_deadline(m), UINT64_MAX);
    ck_assert(d->load(d->opaque, st, n));
    ck_assert_uint_eq(machine_next_deadline(m), now + 50);
    m->mtime_skipped += 50;
    machine_tick_devices(m);
    ck_assert(hart_mip(h) & (1ULL << IRQ_S_TIMER));
    ck_assert_uint_eq(machine_next_deadline(m), UINT64_MAX);
    machine_free(m);
}
END_TEST

START_TEST(clint_mtimecmp_halves)
{
    wr(MTIMECMP(1), 4, 0x89abcdef);
    ck_assert_uint_eq(rd(MTIMECMP(1), 8), 0xffffffff89abcdefULL);
    wr(MTIMECMP(1), 4, 0x01234567); /* low again */
    wr(MTIMECMP(1) + 4, 4, 0x00000012);
    ck_assert_uint_eq(rd(MTIMECMP(1), 8), 0x0000001201234567ULL);
    ck_assert_uint_eq(rd(MTIMECMP(1), 4), 0x01234567);
    ck_assert_uint_eq(rd(MTIMECMP(1) + 4, 4), 0x12);
    ck_assert_uint_eq(rd(MTIMECMP(0), 8), UINT64_MAX);
    /* The usual RV32-safe sequence: high = max, low, high. */
    wr(MTIMECMP(0) + 4, 4, 0xffffffff);
    wr(MTIMECMP(0), 4, 50);
    wr(MTIMECMP(0) + 4, 4, 0);
    ck_assert_uint_eq(rd(MTIMECMP(0), 8), 50);
    ck_assert(mip(0, IRQ_M_TIMER) == (machine_mtime(tm) >= 50));
}
END_TEST

START_TEST(clint_reset_hook)
{
    wr(MSIP(0), 4, 1);
    wr(MTIMECMP(0), 8, 0);
    ck_assert(mip(0, IRQ_M_TIMER));
    char err[256];
    ck_assert_msg(machine_reset(tm, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(rd(MTIMECMP(0), 8), UINT64_MAX);
    ck_assert_uint_eq(rd(MSIP(0), 4), 0);
    ck_assert(!mip(0, IRQ_M_TIMER));
    ck_assert(!mip(0, IRQ_M_SOFT));
}
END_TEST

/* Guest: mtimecmp = 1000, enable MTIE and MIE, wfi; the handler powers off
 * through the test finisher. The run loop must jump the clock to the
 * deadline while the hart waits. */
START_TEST(clint_wfi_wakes_on_timer)
{
    char err[256];
    ck_assert_msg(syscon_new(tm, MEM_TEST_BASE, err, sizeof(err)) != NULL,
                  "%s", err);
    static const uint32_t prog[] = {
        0x020042b7, /* lui t0, 0x2004 */
        0x3e800313, /* li t1, 1000 */
        0x0062b023, /* sd t1, 0(t0) */
        0x00000397, /* auipc t2, 0 */
        0x02038393, /* addi t2, t2, 32 -> handler */
        0x30539073, /* csrw mtvec, t2 */
        0x08000e13, /* li t3, 0x80 */
        0x304e1073, /* csrw mie, t3 */
        0x30046073, /* csrsi mstatus, 8 */
        0x10500073, /* 1: wfi */
        0xffdff06f, /* j 1b */
        0x001002b7, /* handler: lui t0, 0x100 */
        0x00005337, /* lui t1, 5 */
        0x5553031b, /* addiw t1, t1, 0x555 */
        0x0062a023, /* sw t1, 0(t0) */
        0x0000006f, /* j . */
    };
    /* The second hart has nothing to do. */
    tm->harts[1].wfi = true;
    run_program(prog, sizeof(prog) / 4);
    ck_assert_msg(tm->stop == STOP_EXIT, "stop %d: %s", tm->stop, tm->error);
    ck_assert_int_eq(tm->exit_code, 0);
    ck_assert_uint_ge(machine_mtime(tm), 1000);
    /* Woken by the timer well before 1000 ticks' worth of instructions. */
    ck_assert_uint_lt(tm->harts[0].icount, 1000);
    ck_assert_uint_eq(tm->harts[0].csr.mcause, (1ULL << 63) | IRQ_M_TIMER);
}
END_TEST

/* ---- PLIC ---- */

#define PRIO(s) (PLIC_BASE + 4 * (s))
#define PENDING(w) (PLIC_BASE + 0x1000 + 4 * (w))
#define ENABLE(c, w) (PLIC_BASE + 0x2000 + 0x80 * (c) + 4 * (w))
#define THRESHOLD(c) (PLIC_BASE + 0x200000 + 0x1000 * (c))
#define CLAIM(c) (PLIC_BASE + 0x200004 + 0x1000 * (c))

static Plic *tp;

static void plic_setup(void)
{
    char err[256];
    tm = new_machine(2);
    tp = plic_new(tm, PLIC_BASE, 2, err, sizeof(err));
    ck_assert_msg(tp != NULL, "%s", err);
}

static void raise_src(unsigned src, bool level)
{
    IrqLine l = plic_irq(tp, src);
    irq_set(&l, level);
}

static void enable_src(unsigned ctx, unsigned src)
{
    uint64_t a = ENABLE(ctx, src / 32);
    wr(a, 4, rd(a, 4) | (1u << (src % 32)));
}

START_TEST(plic_priority_regs)
{
    wr(PRIO(10), 4, 5);
    ck_assert_uint_eq(rd(PRIO(10), 4), 5);
    wr(PRIO(10), 4, 0xff); /* 3 bits */
    ck_assert_uint_eq(rd(PRIO(10), 4), 7);
    wr(PRIO(0), 4, 3); /* source 0 does not exist */
    ck_assert_uint_eq(rd(PRIO(0), 4), 0);
    wr(PRIO(96), 4, 2);
    ck_assert_uint_eq(rd(PRIO(96), 4), 2);
    wr(PRIO(97), 4, 2);
    ck_assert_uint_eq(rd(PRIO(97), 4), 0);
    /* Enable bit 0 is hardwired to zero; sources above 96 do not exist. */
    wr(ENABLE(0, 0), 4, 0xffffffff);
    ck_assert_uint_eq(rd(ENABLE(0, 0), 4), 0xfffffffe);
    wr(ENABLE(0, 2), 4, 0xffffffff);
    ck_assert_uint_eq(rd(ENABLE(0, 2), 4), 0xffffffff);
    wr(ENABLE(0, 3), 4, 0xffffffff);
    ck_assert_uint_eq(rd(ENABLE(0, 3), 4), 1);
    wr(ENABLE(0, 4), 4, 0xffffffff);
    ck_assert_uint_eq(rd(ENABLE(0, 4), 4), 0);
    wr(THRESHOLD(3), 4, 9);
    ck_assert_uint_eq(rd(THRESHOLD(3), 4), 1);
    /* 32-bit registers only. */
    ck_assert(!rd_ok(PRIO(1), 8));
    ck_assert(!wr_ok(PRIO(1), 1, 1));
    ck_assert(!rd_ok(PRIO(1) + 2, 4));
}
END_TEST

START_TEST(plic_pending_follows_level)
{
    raise_src(10, true);
    raise_src(40, true);
    ck_assert_uint_eq(rd(PENDING(0), 4), 1u << 10);
    ck_assert_uint_eq(rd(PENDING(1), 4), 1u << 8);
    /* Pending bits are read-only. */
    wr(PENDING(0), 4, 0);
    ck_assert_uint_eq(rd(PENDING(0), 4), 1u << 10);
    /* A source lowered before anyone claimed it withdraws its request. */
    raise_src(10, false);
    ck_assert_uint_eq(rd(PENDING(0), 4), 0);
    /* Priority 0 or disabled: pending but no interrupt. */
    ck_assert(!mip(0, IRQ_M_EXT));
    enable_src(0, 40);
    ck_assert(!mip(0, IRQ_M_EXT));
    wr(PRIO(40), 4, 1);
    ck_assert(mip(0, IRQ_M_EXT));
}
END_TEST

START_TEST(plic_claim_complete)
{
    wr(PRIO(7), 4, 3);
    enable_src(0, 7);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 0); /* nothing pending */
    raise_src(7, true);
    ck_assert(mip(0, IRQ_M_EXT));
    ck_assert_uint_eq(rd(CLAIM(0), 4), 7);
    /* Claimed: no longer pending, the gateway holds the level back. */
    ck_assert(!mip(0, IRQ_M_EXT));
    ck_assert_uint_eq(rd(PENDING(0), 4), 0);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 0);
    /* Completing while the level is still high re-pends it. */
    wr(CLAIM(0), 4, 7);
    ck_assert(mip(0, IRQ_M_EXT));
    ck_assert_uint_eq(rd(PENDING(0), 4), 1u << 7);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 7);
    /* The device lowers its line, then the guest completes: quiet. */
    raise_src(7, false);
    wr(CLAIM(0), 4, 7);
    ck_assert(!mip(0, IRQ_M_EXT));
    ck_assert_uint_eq(rd(PENDING(0), 4), 0);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 0);
}
END_TEST

START_TEST(plic_complete_ignored_when_not_enabled)
{
    wr(PRIO(7), 4, 1);
    enable_src(0, 7);
    raise_src(7, true);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 7);
    /* Completion through a context where 7 is not enabled: ignored. */
    wr(CLAIM(1), 4, 7);
    ck_assert_uint_eq(rd(PENDING(0), 4), 0);
    /* Completion of nonsense ids: ignored. */
    wr(CLAIM(0), 4, 0);
    wr(CLAIM(0), 4, 200);
    ck_assert_uint_eq(rd(PENDING(0), 4), 0);
    wr(CLAIM(0), 4, 7);
    ck_assert_uint_eq(rd(PENDING(0), 4), 1u << 7);
}
END_TEST

START_TEST(plic_threshold)
{
    wr(PRIO(3), 4, 2);
    enable_src(0, 3);
    raise_src(3, true);
    ck_assert(mip(0, IRQ_M_EXT));
    wr(THRESHOLD(0), 4, 2); /* must be strictly above */
    ck_assert(!mip(0, IRQ_M_EXT));
    wr(PRIO(3), 4, 3);
    ck_assert(mip(0, IRQ_M_EXT));
    wr(THRESHOLD(0), 4, 7);
    ck_assert(!mip(0, IRQ_M_EXT));
    /* The threshold masks the notification only; a claim still returns
     * the source (PLIC spec: claims are not affected by the threshold). */
    ck_assert_uint_eq(rd(CLAIM(0), 4), 3);
    wr(CLAIM(0), 4, 3);
    wr(THRESHOLD(0), 4, 0);
    ck_assert(mip(0, IRQ_M_EXT));
}
END_TEST

START_TEST(plic_contexts)
{
    /* ctx 0: hart 0 M, 1: hart 0 S, 2: hart 1 M, 3: hart 1 S. */
    wr(PRIO(1), 4, 1);
    wr(PRIO(2), 4, 1);
    enable_src(1, 1);
    enable_src(2, 2);
    raise_src(1, true);
    ck_assert(mip(0, IRQ_S_EXT));
    ck_assert(!mip(0, IRQ_M_EXT));
    ck_assert(!mip(1, IRQ_M_EXT) && !mip(1, IRQ_S_EXT));
    raise_src(2, true);
    ck_assert(mip(1, IRQ_M_EXT));
    ck_assert(!mip(1, IRQ_S_EXT));
    /* Contexts do not see each other's sources. */
    ck_assert_uint_eq(rd(CLAIM(0), 4), 0);
    ck_assert_uint_eq(rd(CLAIM(3), 4), 0);
    ck_assert_uint_eq(rd(CLAIM(2), 4), 2);
    ck_assert(!mip(1, IRQ_M_EXT));
    ck_assert_uint_eq(rd(CLAIM(1), 4), 1);
    ck_assert(!mip(0, IRQ_S_EXT));
    /* A source enabled in two contexts is claimed once. */
    wr(CLAIM(1), 4, 1);
    enable_src(3, 1);
    ck_assert(mip(0, IRQ_S_EXT) && mip(1, IRQ_S_EXT));
    ck_assert_uint_eq(rd(CLAIM(3), 4), 1);
    ck_assert(!mip(0, IRQ_S_EXT) && !mip(1, IRQ_S_EXT));
    ck_assert_uint_eq(rd(CLAIM(1), 4), 0);
    /* Contexts beyond the harts: read zero, writes ignored. */
    wr(THRESHOLD(4), 4, 3);
    ck_assert_uint_eq(rd(THRESHOLD(4), 4), 0);
    ck_assert_uint_eq(rd(CLAIM(4), 4), 0);
    ck_assert_uint_eq(rd(ENABLE(4, 0), 4), 0);
}
END_TEST

START_TEST(plic_tie_break)
{
    for (unsigned s = 3; s <= 9; s += 2) {
        wr(PRIO(s), 4, 4);
        enable_src(0, s);
    }
    wr(PRIO(50), 4, 4);
    enable_src(0, 50);
    raise_src(50, true);
    raise_src(9, true);
    raise_src(5, true);
    raise_src(3, true);
    /* Equal priorities: lowest id first. */
    ck_assert_uint_eq(rd(CLAIM(0), 4), 3);
    /* A higher priority wins over a lower id. */
    wr(PRIO(9), 4, 6);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 9);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 5);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 50);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 0);
}
END_TEST

START_TEST(plic_out_of_range_source)
{
    IrqLine l0 = plic_irq(tp, 0), l97 = plic_irq(tp, PLIC_NUM_SOURCES);
    ck_assert_ptr_null(l0.set);
    ck_assert_ptr_null(l97.set);
    irq_set(&l0, true); /* harmless */
    irq_set(&l97, true);
    IrqLine l96 = plic_irq(tp, PLIC_NDEV), l95 = plic_irq(tp, 95);
    ck_assert_uint_eq(PLIC_NDEV, 96); /* QEMU 7.2's riscv,ndev */
    ck_assert_ptr_nonnull(l96.set);
    irq_set(&l96, true);
    irq_set(&l95, true);
    ck_assert_uint_eq(rd(PENDING(2), 4), 1u << 31);
    ck_assert_uint_eq(rd(PENDING(3), 4), 1);
    ck_assert_uint_eq(rd(PENDING(0), 4), 0);
    ck_assert_uint_eq(rd(PENDING(4), 4), 0);
    /* And it can be claimed like any other. */
    wr(PRIO(96), 4, 7);
    enable_src(0, 96);
    ck_assert(mip(0, IRQ_M_EXT));
    ck_assert_uint_eq(rd(CLAIM(0), 4), 96);
}
END_TEST

START_TEST(plic_redrives_seip)
{
    wr(PRIO(4), 4, 1);
    enable_src(1, 4);
    raise_src(4, true);
    ck_assert(mip(0, IRQ_S_EXT));
    /* As if M-mode software had cleared mip.SEIP. */
    tm->harts[0].csr.mip &= ~(1ULL << IRQ_S_EXT);
    machine_tick_devices(tm);
    ck_assert(mip(0, IRQ_S_EXT));
}
END_TEST

START_TEST(plic_reset_hook)
{
    wr(PRIO(4), 4, 1);
    enable_src(0, 4);
    raise_src(4, true);
    ck_assert_uint_eq(rd(CLAIM(0), 4), 4);
    char err[256];
    ck_assert_msg(machine_reset(tm, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(rd(PRIO(4), 4), 0);
    ck_assert_uint_eq(rd(ENABLE(0, 0), 4), 0);
    ck_assert(!mip(0, IRQ_M_EXT));
    /* The claim was forgotten: the still-high line is pending again. */
    ck_assert_uint_eq(rd(PENDING(0), 4), 1u << 4);
}
END_TEST

/* ---- goldfish RTC ---- */

#define RTC(off) (GOLDFISH_RTC_BASE + (off))
/* 2006-06-17T16:01:21Z */
#define RTC_TEST_BASE_S 1150560081LL

static IrqProbe probe;
static GoldfishRtc *trtc;

static void rtc_setup(void)
{
    char err[256];
    tm = new_machine(1);
    memset(&probe, 0, sizeof(probe));
    IrqLine line = { .set = probe_set, .opaque = &probe, .n = 11 };
    trtc = goldfish_rtc_new(tm, GOLDFISH_RTC_BASE, line,
                            RTC_TEST_BASE_S * 1000000000LL, err, sizeof(err));
    ck_assert_msg(trtc != NULL, "%s", err);
}

static uint64_t rtc_read_time(void)
{
    uint64_t lo = rd(RTC(0x00), 4);
    return rd(RTC(0x04), 4) << 32 | lo;
}

static void rtc_set_alarm(uint64_t ns)
{
    wr(RTC(0x0c), 4, ns >> 32);
    wr(RTC(0x08), 4, ns & 0xffffffff);
}

START_TEST(rtc_time)
{
    uint64_t base = RTC_TEST_BASE_S * 1000000000ULL;
    ck_assert_uint_eq(rtc_read_time(), base + machine_mtime(tm) * 100);
    tm->mtime_skipped += 12345;
    ck_assert_uint_eq(rtc_read_time(), base + machine_mtime(tm) * 100);
    ck_assert(!rd_ok(RTC(0), 8));
    ck_assert(!rd_ok(RTC(2), 2));
}
END_TEST

START_TEST(rtc_time_high_latch)
{
    uint64_t lo = rd(RTC(0x00), 4);
    uint64_t hi = rd(RTC(0x04), 4);
    /* ~43 s later the high half has moved on... */
    tm->mtime_skipped += (1ULL << 32) / 100 + 1;
    /* ...but TIME_HIGH still answers for the last TIME_LOW read. */
    ck_assert_uint_eq(rd(RTC(0x04), 4), hi);
    ck_assert_uint_eq(rd(RTC(0x04), 4), hi);
    uint64_t lo2 = rd(RTC(0x00), 4);
    uint64_t hi2 = rd(RTC(0x04), 4);
    ck_assert_uint_eq((hi2 << 32 | lo2) - (hi << 32 | lo),
                      ((1ULL << 32) / 100 + 1) * 100);
}
END_TEST

START_TEST(rtc_set_time)
{
    uint64_t want = 1700000000ULL * 1000000000ULL;
    /* Linux: TIME_HIGH, then TIME_LOW commits. */
    wr(RTC(0x04), 4, want >> 32);
    ck_assert_uint_lt(rtc_read_time(), want); /* not applied yet */
    wr(RTC(0x04), 4, want >> 32);
    wr(RTC(0x00), 4, want & 0xffffffff);
    ck_assert_uint_eq(rtc_read_time(), want);
    advance(10);
    ck_assert_uint_eq(rtc_read_time(), want + 1000);
    /* The time survives a machine reset (battery-backed). */
    char err[256];
    ck_assert_msg(machine_reset(tm, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(rtc_read_time(), want + 1000);
}
END_TEST

START_TEST(rtc_alarm)
{
    uint64_t now = rtc_read_time(), t0 = machine_mtime(tm);
    ck_assert_uint_eq(deadline(), UINT64_MAX);
    rtc_set_alarm(now + 1050);
    wr(RTC(0x10), 4, 1);
    ck_assert_uint_eq(rd(RTC(0x18), 4), 1); /* running */
    ck_assert_uint_eq(rd(RTC(0x08), 4), (now + 1050) & 0xffffffff);
    ck_assert_uint_eq(rd(RTC(0x0c), 4), (now + 1050) >> 32);
    ck_assert_uint_eq(rd(RTC(0x10), 4), 1);
    /* 1050 ns = 10.5 ticks: due at the 11th. */
    ck_assert_uint_eq(deadline(), t0 + 11);
    advance(10);
    ck_assert(!probe.level);
    ck_assert_uint_eq(rd(RTC(0x18), 4), 1);
    advance(1);
    ck_assert(probe.level);
    ck_assert_uint_eq(rd(RTC(0x18), 4), 0); /* one-shot */
    ck_assert_uint_eq(deadline(), UINT64_MAX);
    /* The interrupt stays up until cleared. */
    advance(1000);
    ck_assert(probe.level);
    wr(RTC(0x1c), 4, 1);
    ck_assert(!probe.level);
    ck_assert_uint_eq(probe.changes, 2);
}
END_TEST

START_TEST(rtc_alarm_follows_a_restore)
{
    uint64_t now = rtc_read_time(), t0 = machine_mtime(tm);
    const MachineDevice *d = device_named(tm, "goldfish-rtc");
    rtc_set_alarm(now + 1050);
    ck_assert_uint_eq(deadline(), t0 + 11);
    uint8_t st[1024];
    size_t n = d->save(d->opaque, st, sizeof(st));
    ck_assert_uint_le(n, sizeof(st));
    wr(RTC(0x14), 4, 1); /* clear the alarm */
    ck_assert_uint_eq(deadline(), UINT64_MAX);
    ck_assert(d->load(d->opaque, st, n));
    ck_assert_uint_eq(deadline(), t0 + 11);
}
END_TEST

START_TEST(rtc_alarm_irq_disabled)
{
    uint64_t now = rtc_read_time();
    rtc_set_alarm(now + 100);
    advance(1);
    /* Fired, but the line stays low until interrupts are enabled. */
    ck_assert_uint_eq(rd(RTC(0x18), 4), 0);
    ck_assert(!probe.level);
    wr(RTC(0x10), 4, 1);
    ck_assert(probe.level);
    wr(RTC(0x10), 4, 0);
    ck_assert(!probe.level);
    wr(RTC(0x1c), 4, 1);
    wr(RTC(0x10), 4, 1);
    ck_assert(!probe.level);
}
END_TEST

START_TEST(rtc_alarm_clear_and_past)
{
    uint64_t now = rtc_read_time();
    wr(RTC(0x10), 4, 1);
    rtc_set_alarm(now + 1000000);
    ck_assert_uint_ne(deadline(), UINT64_MAX);
    wr(RTC(0x14), 4, 1); /* CLEAR_ALARM disarms */
    ck_assert_uint_eq(rd(RTC(0x18), 4), 0);
    ck_assert_uint_eq(deadline(), UINT64_MAX);
    advance(20000);
    ck_assert(!probe.level);
    /* An alarm set in the past fires at once. */
    rtc_set_alarm(now);
    ck_assert(probe.level);
    ck_assert_uint_eq(rd(RTC(0x18), 4), 0);
}
END_TEST

START_TEST(rtc_reset_hook)
{
    wr(RTC(0x10), 4, 1);
    rtc_set_alarm(0);
    ck_assert(probe.level);
    rtc_set_alarm(UINT64_MAX);
    char err[256];
    ck_assert_msg(machine_reset(tm, err, sizeof(err)), "%s", err);
    ck_assert(!probe.level);
    ck_assert_uint_eq(rd(RTC(0x10), 4), 0);
    ck_assert_uint_eq(rd(RTC(0x18), 4), 0);
    ck_assert_uint_eq(deadline(), UINT64_MAX);
}
END_TEST

static void parse_ok(const char *spec, int64_t expect_s)
{
    char err[256] = "";
    int64_t ns = -1;
    ck_assert_msg(rtc_parse_base(spec, &ns, err, sizeof(err)), "%s: %s", spec,
                  err);
    ck_assert_int_eq(ns, expect_s * 1000000000LL);
}

static void parse_bad(const char *spec, const char *needle)
{
    char err[256] = "";
    int64_t ns = 0;
    ck_assert_msg(!rtc_parse_base(spec, &ns, err, sizeof(err)),
                  "%s accepted", spec);
    ck_assert_msg(strncmp(err, "-rtc ", 5) == 0, "%s: '%s'", spec, err);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: '%s'", spec, err);
}

START_TEST(rtc_parse)
{
    parse_ok("base=2006-06-17T16:01:21", RTC_TEST_BASE_S);
    parse_ok("base=2006-06-17", RTC_TEST_BASE_S - (16 * 3600 + 1 * 60 + 21));
    parse_ok("base=1970-01-01T00:00:00", 0);
    parse_ok("base=2000-02-29T23:59:59", 951868799);
    parse_ok("base=2100-03-01", 4107542400LL);
    parse_ok("clock=vm,base=2024-01-01T00:00:00", 1704067200);

    char err[256];
    int64_t ns = 0, host = rtc_host_time_ns(false);
    ck_assert(rtc_parse_base("base=utc", &ns, err, sizeof(err)));
    ck_assert_int_lt(llabs(ns - host), 5000000000LL);
    ck_assert(rtc_parse_base(NULL, &ns, err, sizeof(err)));
    ck_assert_int_lt(llabs(ns - host), 5000000000LL);
    ck_assert(rtc_parse_base("", &ns, err, sizeof(err)));
    ck_assert(rtc_parse_base("base=localtime", &ns, err, sizeof(err)));
    ck_assert_int_lt(llabs(ns - host), 15 * 3600 * 1000000000LL);

    parse_bad("base=bogus", "bad base 'bogus'");
    parse_bad("base=2006-13-01", "bad base");
    parse_bad("base=2006-02-29", "bad base");
    parse_bad("base=2006-06-17T24:00:00", "bad base");
    parse_bad("base=2006-06-17T16:01", "bad base");
    parse_bad("base=2006-06-17T16:01:21Z", "bad base");
    parse_bad("base=1969-12-31", "from 1970");
    parse_bad("base=", "bad base");
    parse_bad("base=+206-06-17", "bad base");
    parse_bad("base=2006-6-17", "bad base");
    parse_bad("clock=host", "only clock=vm");
    parse_bad("driftfix=slew", "unknown sub-option 'driftfix=slew'");
}
END_TEST

/* The alarm travels RTC -> PLIC source 11 -> MEIP; the guest handler
 * claims and exits through the finisher with the claimed id as the code. */
START_TEST(rtc_alarm_through_plic)
{
    char err[256];
    machine_free(tm);
    tm = new_machine(1);
    Plic *p = plic_new(tm, PLIC_BASE, 1, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert(goldfish_rtc_new(tm, GOLDFISH_RTC_BASE,
                               plic_irq(p, GOLDFISH_RTC_IRQ), 0, err,
                               sizeof(err)) != NULL);
    ck_assert(syscon_new(tm, MEM_TEST_BASE, err, sizeof(err)) != NULL);
    wr(PRIO(GOLDFISH_RTC_IRQ), 4, 1);
    enable_src(0, GOLDFISH_RTC_IRQ);
    wr(RTC(0x10), 4, 1);
    rtc_set_alarm(1000000); /* 1 ms after time 0 = mtime 10000 */
    static const uint32_t prog[] = {
        0x00000397, /* auipc t2, 0 */
        0x02438393, /* addi t2, t2, 36 -> handler */
        0x30539073, /* csrw mtvec, t2 */
        0x00001e37, /* lui t3, 1 */
        0x800e0e1b, /* addiw t3, t3, -2048 (MEIE) */
        0x304e1073, /* csrw mie, t3 */
        0x30046073, /* csrsi mstatus, 8 */
        0x10500073, /* 1: wfi */
        0xffdff06f, /* j 1b */
        0x0c2002b7, /* handler: lui t0, 0xc200 */
        0x0042a503, /* lw a0, 4(t0) (claim) */
        0x01051513, /* slli a0, a0, 16 */
        0x00003337, /* lui t1, 3 */
        0x3333031b, /* addiw t1, t1, 0x333 */
        0x00a36333, /* or t1, t1, a0 */
        0x001002b7, /* lui t0, 0x100 */
        0x0062a023, /* sw t1, 0(t0) */
        0x0000006f, /* j . */
    };
    run_program(prog, sizeof(prog) / 4);
    ck_assert_msg(tm->stop == STOP_EXIT, "stop %d: %s", tm->stop, tm->error);
    ck_assert_int_eq(tm->exit_code, GOLDFISH_RTC_IRQ);
    ck_assert_uint_ge(machine_mtime(tm), 10000);
    ck_assert_uint_eq(tm->harts[0].csr.mcause, (1ULL << 63) | IRQ_M_EXT);
}
END_TEST

/* ---- syscon / test finisher ---- */

static void syscon_setup(void)
{
    char err[256];
    tm = new_machine(1);
    ck_assert_msg(syscon_new(tm, MEM_TEST_BASE, err, sizeof(err)) != NULL,
                  "%s", err);
}

START_TEST(syscon_poweroff)
{
    ck_assert_uint_eq(rd(MEM_TEST_BASE, 4), 0);
    wr(MEM_TEST_BASE, 4, SYSCON_PASS);
    ck_assert_int_eq(tm->stop, STOP_EXIT);
    ck_assert_int_eq(tm->exit_code, 0);
}
END_TEST

START_TEST(syscon_fail_code)
{
    wr(MEM_TEST_BASE, 4, SYSCON_FAIL | 42 << 16);
    ck_assert_int_eq(tm->stop, STOP_EXIT);
    ck_assert_int_eq(tm->exit_code, 42);
}
END_TEST

START_TEST(syscon_fail_code_zero)
{
    /* As QEMU: FAIL with code 0 exits with status 0. */
    wr(MEM_TEST_BASE, 4, SYSCON_FAIL);
    ck_assert_int_eq(tm->stop, STOP_EXIT);
    ck_assert_int_eq(tm->exit_code, 0);
}
END_TEST

START_TEST(syscon_reboot)
{
    wr(MEM_TEST_BASE, 4, SYSCON_RESET);
    ck_assert(tm->reset_requested);
    ck_assert_int_eq(tm->stop, STOP_NONE);
}
END_TEST

START_TEST(syscon_reboot_with_no_reboot)
{
    /* -no-reboot: the reset request ends the run with 0, as QEMU. */
    tm->cfg.no_reboot = true;
    wr(MEM_TEST_BASE, 4, SYSCON_RESET);
    ck_assert(!tm->reset_requested);
    ck_assert_int_eq(tm->stop, STOP_EXIT);
    ck_assert_int_eq(tm->exit_code, 0);
}
END_TEST

START_TEST(syscon_other_writes)
{
    wr(MEM_TEST_BASE, 4, 0x1234);
    wr(MEM_TEST_BASE + 4, 4, SYSCON_PASS); /* only offset 0 counts */
    wr(MEM_TEST_BASE, 4, 0x5554);
    ck_assert_int_eq(tm->stop, STOP_NONE);
    ck_assert(!tm->reset_requested);
    ck_assert(!wr_ok(MEM_TEST_BASE, 1, 0x55));
    ck_assert(!wr_ok(MEM_TEST_BASE, 8, SYSCON_PASS));
    ck_assert_int_eq(tm->stop, STOP_NONE);
    /* A halfword store of the pass value powers off too. */
    wr(MEM_TEST_BASE, 2, SYSCON_PASS);
    ck_assert_int_eq(tm->stop, STOP_EXIT);
    ck_assert_int_eq(tm->exit_code, 0);
}
END_TEST

Suite *suite_platform(void)
{
    Suite *s = suite_create("platform");

    TCase *tc = tcase_create("clint");
    tcase_add_checked_fixture(tc, clint_setup, teardown);
    tcase_add_test(tc, clint_msip);
    tcase_add_test(tc, clint_power_on);
    tcase_add_test(tc, clint_mtime_follows_icount);
    tcase_add_test(tc, clint_timer);
    tcase_add_test(tc, clint_mtimecmp_halves);
    tcase_add_test(tc, clint_timers_follow_a_restore);
    tcase_add_test(tc, sstc_timers_follow_a_restore);
    tcase_add_test(tc, clint_reset_hook);
    tcase_add_test(tc, clint_wfi_wakes_on_timer);
    suite_add_tcase(s, tc);

    tc = tcase_create("plic");
    tcase_add_checked_fixture(tc, plic_setup, teardown);
    tcase_add_test(tc, plic_priority_regs);
    tcase_add_test(tc, plic_pending_follows_level);
    tcase_add_test(tc, plic_claim_complete);
    tcase_add_test(tc, plic_complete_ignored_when_not_enabled);
    tcase_add_test(tc, plic_threshold);
    tcase_add_test(tc, plic_contexts);
    tcase_add_test(tc, plic_tie_break);
    tcase_add_test(tc, plic_out_of_range_source);
    tcase_add_test(tc, plic_redrives_seip);
    tcase_add_test(tc, plic_reset_hook);
    suite_add_tcase(s, tc);

    tc = tcase_create("goldfish_rtc");
    tcase_add_checked_fixture(tc, rtc_setup, teardown);
    tcase_add_test(tc, rtc_time);
    tcase_add_test(tc, rtc_time_high_latch);
    tcase_add_test(tc, rtc_set_time);
    tcase_add_test(tc, rtc_alarm);
    tcase_add_test(tc, rtc_alarm_follows_a_restore);
    tcase_add_test(tc, rtc_alarm_irq_disabled);
    tcase_add_test(tc, rtc_alarm_clear_and_past);
    tcase_add_test(tc, rtc_reset_hook);
    tcase_add_test(tc, rtc_parse);
    tcase_add_test(tc, rtc_alarm_through_plic);
    suite_add_tcase(s, tc);

    tc = tcase_create("syscon");
    tcase_add_checked_fixture(tc, syscon_setup, teardown);
    tcase_add_test(tc, syscon_poweroff);
    tcase_add_test(tc, syscon_fail_code);
    tcase_add_test(tc, syscon_fail_code_zero);
    tcase_add_test(tc, syscon_reboot);
    tcase_add_test(tc, syscon_reboot_with_no_reboot);
    tcase_add_test(tc, syscon_other_writes);
    suite_add_tcase(s, tc);

    return s;
}
