/* Snapshots: a guest program (2 harts storing pseudo-random values over
 * 256 KiB each, an atomic shared counter, CLINT timer interrupts, hart 0
 * reading the UART, every hart sleeping in wfi every 256 loops) runs on the virt
 * machine; a snapshot taken at icount N, the machine run to N + M, put
 * back and run to N + M again must reach the same state. Stops at exact
 * icounts come from the debugger (core/debug.h), inside the turn. Then a
 * virtio-blk disk's overlay, and the tracking of written pages that lets
 * take and restore skip the rest of RAM (every kind of write must count). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "boot/virt.h"
#include "core/debug.h"
#include "core/digest.h"
#include "core/snapshot.h"
#include "devices/htif.h"
#include "devices/uart.h"
#include "devices/virtio_mmio.h"
#include "replay/checkpoint.h"
#include "replay/checkpoint.pb-c.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

/* The guest (assembled from a small .S, RV64 without compressed
 * instructions): see the comment at the top. a5 counts timer interrupts. */
static const uint32_t snap_guest[] = {
    0x00000297, 0x11c28293, 0x30529073, 0x00001437, 0x8014041b, 0x01441413,
    0x01251313, 0x00640433, 0x000034b7, 0x0394849b, 0x00a484b3, 0x020009b7,
    0x000042b7, 0x00598a33, 0x00351313, 0x006a0a33, 0x0000c2b7, 0xff82829b,
    0x00598ab3, 0x000ab283, 0x1f428293, 0x005a3023, 0x08000293, 0x30429073,
    0x30046073, 0x10000b37, 0x00001bb7, 0x803b8b9b, 0x014b9b93, 0x00000c13,
    0x001612b7, 0x47d2829b, 0x00e29293, 0x2d528293, 0x00d29293, 0x92b28293,
    0x00f29293, 0xf2d28293, 0x025484b3, 0x00281337, 0xaf73031b, 0x00c31313,
    0xfdf30313, 0x00c31313, 0xecf30313, 0x00f31313, 0x14f30313, 0x006484b3,
    0x0284d393, 0x00040e37, 0xff8e0e1b, 0x01c3f3b3, 0x008383b3, 0x0093b023,
    0x00100e93, 0x01dbb02f, 0x001c0c13, 0x0ffc7f13, 0x000f1463, 0x10500073,
    0x00050463, 0xf85ff06f, 0x005b4f03, 0x001f7f13, 0xf60f0ce3, 0x000b4f03,
    0x008bbf83, 0x001f9f93, 0x01ef8fb3, 0x01fbb423, 0xf61ff06f, 0x000ab603,
    0x2bc60613, 0x00ca3023, 0x00178793, 0x30200073,
};

enum { SNAP_RAM = 64 << 20, DISK_BYTES = 1 << 20 };
#define REG_A5 15
#define UART_PA 0x10000000ULL

/* What must be equal after a restore and the same run. */
typedef struct SnapState {
    Digest digest;
    uint64_t ram_hash, devices_hash, mtime, icount[MACHINE_MAX_HARTS];
    uint64_t sched_done;
    unsigned sched_hart;
} SnapState;

typedef struct Script {
    Machine *m;
    uint64_t snap_at, end_at;
    Snapshot *snap;
    uint64_t done_at_snap;
    const char *uart_input; /* queued in the FIFO just before the snapshot */
    const char *ckpt_path;  /* also write a checkpoint file there */
    Digest at_ckpt;         /* taken right after writing it */
    bool ended;
    SnapState end;
} Script;

typedef struct SnapFix {
    char dir[64], kernel[96], disk[96];
    Machine *m;
    Script sc;
} SnapFix;

/* The state of every device that saves plain bytes (the disk overlay's
 * state is a table of shared clusters: checked by reading the disk). */
static uint64_t devices_hash(Machine *m)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_64bits_reset(st);
    for (unsigned i = 0; i < m->ndevices; i++) {
        MachineDevice *d = &m->devices[i];
        if (!d->save || d->release)
            continue;
        size_t n = d->save(d->opaque, NULL, 0);
        void *buf = malloc(n ? n : 1);
        ck_assert_uint_eq(d->save(d->opaque, buf, n), n);
        XXH3_64bits_update(st, buf, n);
        free(buf);
    }
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

static SnapState state_now(Machine *m)
{
    SnapState s = { 0 };
    s.ram_hash = XXH3_64bits(m->mem.ram, m->mem.ram_size);
    s.devices_hash = devices_hash(m);
    s.mtime = machine_mtime(m);
    for (unsigned i = 0; i < m->nharts; i++)
        s.icount[i] = m->harts[i].icount;
    s.sched_done = m->sched.done;
    s.sched_hart = m->sched.hart;
    s.digest = digest_take(m); /* last: it starts a new written-pages window */
    return s;
}

static void state_eq(const SnapState *a, const SnapState *b)
{
    ck_assert_uint_eq(a->digest.icount, b->digest.icount);
    ck_assert_uint_eq(a->digest.harts, b->digest.harts);
    ck_assert_uint_eq(a->digest.memory, b->digest.memory);
    ck_assert_uint_eq(a->digest.pages, b->digest.pages);
    ck_assert_uint_eq(a->ram_hash, b->ram_hash);
    ck_assert_uint_eq(a->devices_hash, b->devices_hash);
    ck_assert_uint_eq(a->mtime, b->mtime);
    ck_assert_uint_eq(a->sched_done, b->sched_done);
    ck_assert_uint_eq(a->sched_hart, b->sched_hart);
    ck_assert(memcmp(a->icount, b->icount, sizeof(a->icount)) == 0);
}

/* Debugger stops: take the snapshot at snap_at and go on; stop the run at
 * end_at. */
static void script_stopped(void *opaque, const DebugStop *why)
{
    Script *sc = opaque;
    Machine *m = sc->m;
    uint64_t now = machine_icount(m);
    ck_assert_int_eq(why->kind, DEBUG_STOP_ICOUNT);
    if (!sc->snap && now == sc->snap_at) {
        if (sc->uart_input) {
            MmioRegion *r = memory_find_mmio(&m->mem, UART_PA);
            size_t n = strlen(sc->uart_input);
            /* The guest leaves the FIFO off: one byte fits. */
            ck_assert_uint_ge(uart_host_input(r->opaque, (const uint8_t *)sc->uart_input, n), 1);
        }
        sc->done_at_snap = m->sched.done;
        sc->snap = snapshot_take(m);
        ck_assert_ptr_nonnull(sc->snap);
        if (sc->ckpt_path) {
            char err[512];
            TraceHeader h = { .ram_size = m->mem.ram_size, .nharts = m->nharts,
                              .quantum = m->cfg.quantum };
            ck_assert_msg(checkpoint_write(m, &h, sc->ckpt_path, err, sizeof(err)), "%s", err);
            sc->at_ckpt = digest_take(m); /* the pages written since the last digest too */
        }
        debug_resume(m, 0);
        debug_set_stop_icount(m, sc->end_at);
        return;
    }
    ck_assert_uint_eq(now, sc->end_at);
    sc->end = state_now(m);
    sc->ended = true;
    machine_request_exit(m, 0);
}

static char *fix_file(SnapFix *f, char *path, size_t cap, const char *name, const void *data,
                      size_t len)
{
    snprintf(path, cap, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
    fclose(fp);
    return path;
}

static void fix_setup(SnapFix *f, unsigned nharts, uint64_t quantum, bool disk)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/rewind-snap-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    char err[512];
    MachineConfig cfg = { .ram_size = SNAP_RAM, .nharts = nharts, .quantum = quantum };
    f->m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(f->m != NULL, "%s", err);
    VirtConfig vc = { .serial = "none", .rtc = "base=2020-01-01T00:00:00", .console = stdout };
    vc.kernel = fix_file(f, f->kernel, sizeof(f->kernel), "guest.bin", snap_guest,
                         sizeof(snap_guest));
    char drive[160];
    const char *drives[1] = { drive };
    if (disk) {
        uint8_t *img = malloc(DISK_BYTES);
        for (size_t i = 0; i < DISK_BYTES; i++)
            img[i] = (uint8_t)(i * 7 + 3);
        fix_file(f, f->disk, sizeof(f->disk), "disk.img", img, DISK_BYTES);
        free(img);
        snprintf(drive, sizeof(drive), "file=%s,if=virtio,snapshot=on", f->disk);
        vc.drives = drives;
        vc.ndrives = 1;
    }
    ck_assert_msg(virt_build(f->m, &vc, err, sizeof(err)), "%s", err);
    f->sc.m = f->m;
    DebugFrontEnd fe = { .opaque = &f->sc, .stopped = script_stopped };
    ck_assert(debug_attach(f->m, &fe));
}

static void fix_teardown(SnapFix *f)
{
    snapshot_free(f->sc.snap);
    machine_free(f->m);
    unlink(f->kernel);
    if (f->disk[0])
        unlink(f->disk);
    rmdir(f->dir);
}

/* Run until the script's end point. */
static void run_to_end(SnapFix *f, uint64_t first_stop)
{
    f->sc.ended = false;
    debug_set_stop_icount(f->m, first_stop);
    machine_run(f->m);
    ck_assert_msg(f->m->stop == STOP_EXIT, "%s", f->m->error);
    ck_assert(f->sc.ended);
}

/* Snapshot at n, run to n + more, restore, run to n + more again (twice):
 * the same state every time. */
static void check_round_trip(SnapFix *f, uint64_t n, uint64_t more)
{
    Script *sc = &f->sc;
    sc->snap_at = n;
    sc->end_at = n + more;
    run_to_end(f, n);
    ck_assert_ptr_nonnull(sc->snap);
    SnapState first = sc->end;
    for (int round = 0; round < 2; round++) {
        char err[256];
        ck_assert_msg(snapshot_restore(f->m, sc->snap, err, sizeof(err)), "%s", err);
        ck_assert_uint_eq(machine_icount(f->m), n);
        ck_assert_uint_eq(f->m->sched.done, sc->done_at_snap);
        run_to_end(f, sc->end_at);
        state_eq(&first, &sc->end);
    }
}

START_TEST(test_snapshot_one_hart)
{
    SnapFix f;
    fix_setup(&f, 1, 0, false);
    check_round_trip(&f, 30011, 50000);
    /* Timer interrupts were taken between the snapshot and the end. */
    ck_assert_uint_gt(f.m->harts[0].x[REG_A5], 5);
    fix_teardown(&f);
}
END_TEST

START_TEST(test_snapshot_timer_deadline_inside)
{
    /* The CLINT deadline falls inside the run after the snapshot, and the
     * snapshot lands one instruction before a timer interrupt. */
    SnapFix f;
    fix_setup(&f, 1, 0, false);
    check_round_trip(&f, 6999, 20000);
    fix_teardown(&f);
}
END_TEST

START_TEST(test_snapshot_uart_input)
{
    SnapFix f;
    fix_setup(&f, 1, 0, false);
    f.sc.uart_input = "snapshot!";
    check_round_trip(&f, 40000, 30000);
    /* Hart 0 folded the bytes into its checksum word. */
    uint64_t sum;
    memcpy(&sum, memory_ram_ptr(&f.m->mem, 0x80300008ULL, 8), 8);
    ck_assert_uint_ne(sum, 0);
    fix_teardown(&f);
}
END_TEST

START_TEST(test_snapshot_two_harts_mid_turn)
{
    SnapFix f;
    fix_setup(&f, 2, 777, false);
    check_round_trip(&f, 50123, 60000);
    /* The snapshot was taken inside a turn. */
    ck_assert_uint_gt(f.sc.done_at_snap, 0);
    ck_assert_uint_lt(f.sc.done_at_snap, 777);
    /* Both harts ran, and the clock jumped while both slept. */
    ck_assert_uint_gt(f.m->mtime_skipped, 0);
    ck_assert_uint_gt(f.m->harts[1].icount, 10000);
    fix_teardown(&f);
}
END_TEST

START_TEST(test_snapshot_shares_pages)
{
    SnapFix f;
    fix_setup(&f, 2, 1000, false);
    check_round_trip(&f, 20000, 20000);
    /* RAM is 64 MiB, mostly zeros: the first snapshot holds the program,
     * the device tree and the pages written so far. */
    size_t first = snapshot_bytes(f.sc.snap);
    ck_assert_uint_lt(first, 2u << 20);
    /* A second snapshot shares every unchanged page with the first. */
    Snapshot *s2 = snapshot_take(f.m);
    ck_assert_ptr_nonnull(s2);
    ck_assert_uint_lt(snapshot_bytes(s2), first);
    Snapshot *s3 = snapshot_take(f.m);
    /* Nothing changed: the page table (8 bytes a page) and the records. */
    ck_assert_uint_lt(snapshot_bytes(s3), (SNAP_RAM / 4096) * 8 + (16u << 10));
    snapshot_free(s2);
    char err[256];
    ck_assert(snapshot_restore(f.m, s3, err, sizeof(err)));
    snapshot_free(s3);
    fix_teardown(&f);
}
END_TEST

START_TEST(test_snapshot_mismatch)
{
    SnapFix f, g;
    fix_setup(&f, 1, 0, false);
    fix_setup(&g, 2, 0, false);
    Snapshot *s = snapshot_take(f.m);
    char err[256] = "";
    ck_assert(!snapshot_restore(g.m, s, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "harts"));
    snapshot_free(s);
    fix_teardown(&g);
    fix_teardown(&f);
}
END_TEST

/* ---- virtio-blk overlay: a driver in the test, as in test_virtio.c */

#define Q_DESC 0x80400000ULL
#define Q_AVAIL 0x80401000ULL
#define Q_USED 0x80402000ULL
#define Q_HDR 0x80403000ULL
#define Q_DATA 0x80404000ULL
#define Q_STATUS 0x80405000ULL
enum { Q_SIZE = 8 };

static void blk_wr(MmioRegion *r, uint64_t off, uint32_t v)
{
    ck_assert(r->ops->write(r->opaque, off, 4, v));
}

/* The test plays the guest driver: its stores mark their pages as a
 * hart's do, or snapshots would not see them. */
static void put(Machine *m, uint64_t pa, const void *v, size_t n)
{
    machine_ram_written(m, pa, n);
    memcpy(memory_ram_ptr(&m->mem, pa, n), v, n);
}

static MmioRegion *blk_driver_init(Machine *m)
{
    MmioRegion *r = memory_find_mmio(&m->mem, virtio_mmio_slot_base((unsigned)virtio_slot_for(0)));
    ck_assert_ptr_nonnull(r);
    blk_wr(r, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    blk_wr(r, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    blk_wr(r, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
    blk_wr(r, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                      VIRTIO_STATUS_FEATURES_OK);
    blk_wr(r, VIRTIO_MMIO_QUEUE_SEL, 0);
    blk_wr(r, VIRTIO_MMIO_QUEUE_NUM, Q_SIZE);
    blk_wr(r, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)Q_DESC);
    blk_wr(r, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    blk_wr(r, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)Q_AVAIL);
    blk_wr(r, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    blk_wr(r, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)Q_USED);
    blk_wr(r, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    blk_wr(r, VIRTIO_MMIO_QUEUE_READY, 1);
    blk_wr(r, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    return r;
}

static void desc(Machine *m, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    uint8_t d[16];
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
    put(m, Q_DESC + 16 * i, d, 16);
}

/* One 512-byte request on sector: write buf to it, or read it into buf.
 * The avail index is read from guest RAM, so a restore rewinds it. */
static void blk_io(Machine *m, MmioRegion *r, bool write, uint64_t sector, uint8_t *buf)
{
    uint32_t hdr[4] = { write ? 1 : 0, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
    put(m, Q_HDR, hdr, sizeof(hdr));
    if (write)
        put(m, Q_DATA, buf, 512);
    desc(m, 0, Q_HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    desc(m, 1, Q_DATA, 512, VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE), 2);
    desc(m, 2, Q_STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    uint16_t idx;
    memcpy(&idx, memory_ram_ptr(&m->mem, Q_AVAIL + 2, 2), 2);
    uint16_t head = 0, used_before, used_after;
    put(m, Q_AVAIL + 4 + 2 * (idx % Q_SIZE), &head, 2);
    idx++;
    put(m, Q_AVAIL + 2, &idx, 2);
    uint8_t status = 0xff;
    put(m, Q_STATUS, &status, 1);
    memcpy(&used_before, memory_ram_ptr(&m->mem, Q_USED + 2, 2), 2);
    blk_wr(r, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    memcpy(&used_after, memory_ram_ptr(&m->mem, Q_USED + 2, 2), 2);
    ck_assert_uint_eq((uint16_t)(used_before + 1), used_after);
    ck_assert_uint_eq(*memory_ram_ptr(&m->mem, Q_STATUS, 1), 0);
    if (!write)
        memcpy(buf, memory_ram_ptr(&m->mem, Q_DATA, 512), 512);
}

static void expect_sector(Machine *m, MmioRegion *r, uint64_t sector, uint8_t fill)
{
    uint8_t buf[512];
    blk_io(m, r, false, sector, buf);
    for (int i = 0; i < 512; i++)
        ck_assert_uint_eq(buf[i], fill);
}

static void fill_sector(Machine *m, MmioRegion *r, uint64_t sector, uint8_t fill)
{
    uint8_t buf[512];
    memset(buf, fill, sizeof(buf));
    blk_io(m, r, true, sector, buf);
}

START_TEST(test_snapshot_blk_overlay)
{
    SnapFix f;
    fix_setup(&f, 1, 0, true);
    Machine *m = f.m;
    char err[256];
    MmioRegion *r = blk_driver_init(m);
    fill_sector(m, r, 0, 0xaa);
    Snapshot *s1 = snapshot_take(m);
    /* Cluster 0 is shared with s1 now: this write copies it. */
    fill_sector(m, r, 0, 0xbb);
    fill_sector(m, r, 1000, 0xbb); /* a cluster s1 does not have */
    Snapshot *s2 = snapshot_take(m);
    fill_sector(m, r, 0, 0xcc);
    expect_sector(m, r, 0, 0xcc);

    ck_assert_msg(snapshot_restore(m, s1, err, sizeof(err)), "%s", err);
    expect_sector(m, r, 0, 0xaa);
    uint8_t buf[512];
    blk_io(m, r, false, 1000, buf); /* back to the image file's bytes */
    for (int i = 0; i < 512; i++)
        ck_assert_uint_eq(buf[i], (uint8_t)((1000 * 512 + i) * 7 + 3));
    fill_sector(m, r, 0, 0xdd); /* must not reach s1's copy */

    ck_assert_msg(snapshot_restore(m, s2, err, sizeof(err)), "%s", err);
    expect_sector(m, r, 0, 0xbb);
    expect_sector(m, r, 1000, 0xbb);
    snapshot_free(s2); /* freed before s1, while the device shares its clusters */
    ck_assert_msg(snapshot_restore(m, s1, err, sizeof(err)), "%s", err);
    expect_sector(m, r, 0, 0xaa);
    snapshot_free(s1);
    expect_sector(m, r, 0, 0xaa);

    /* The guest runs on with the disk attached: round trip as above. */
    check_round_trip(&f, 25000, 25000);
    fix_teardown(&f);
}
END_TEST

/* ---- written-pages tracking: a take shares the pages not written since
 * the last take or restore without reading them, and a restore rewrites
 * only the pages written since or saved differently, so every kind of
 * write must be seen. */

#define TRACK_PAGE (MEM_RAM_BASE + 0x100000)
enum { TRACK_RAM = 16 << 20 };

typedef struct Taken {
    Snapshot *s;
    uint64_t ram_hash; /* RAM when it was taken */
} Taken;

static uint64_t ram_hash(Machine *m)
{
    return XXH3_64bits(m->mem.ram, m->mem.ram_size);
}

static Taken take(Machine *m)
{
    Taken t = { .s = snapshot_take(m), .ram_hash = ram_hash(m) };
    ck_assert_ptr_nonnull(t.s);
    return t;
}

/* Restore t and check that RAM is what it saw. */
static void restore_check(Machine *m, const Taken *t)
{
    char err[256];
    ck_assert_msg(snapshot_restore(m, t->s, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(ram_hash(m), t->ram_hash);
}

/* A store from outside the harts (a device's DMA, the debugger). */
static void poke(Machine *m, uint64_t pa, uint64_t val)
{
    put(m, pa, &val, 8);
}

static uint64_t peek(Machine *m, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, memory_ram_ptr(&m->mem, pa, 8), 8);
    return v;
}

START_TEST(test_snapshot_tracks_marked_writes)
{
    Machine *m = test_machine_new();
    for (unsigned k = 0; k < 8; k++)
        poke(m, TRACK_PAGE + k * 4096, 0x1000 + k);
    Taken a = take(m);
    Snapshot *empty = snapshot_take(m); /* nothing written: no page of its own */
    size_t no_pages = snapshot_bytes(empty);
    snapshot_free(empty);

    poke(m, TRACK_PAGE, 0xa0);                  /* changed */
    poke(m, TRACK_PAGE + 1 * 4096, 0x1001);     /* written back to the same bytes */
    poke(m, TRACK_PAGE + 2 * 4096, 0);          /* back to zeros */
    poke(m, TRACK_PAGE + 8 * 4096 + 16, 0xb8);  /* a zero page gets bytes */
    Taken b = take(m);
    /* Two new pages (the changed one and the one that was zeros). */
    ck_assert_uint_ge(snapshot_bytes(b.s) - no_pages, 2 * 4096);
    ck_assert_uint_lt(snapshot_bytes(b.s) - no_pages, 3 * 4096);
    poke(m, TRACK_PAGE + 3 * 4096, 0xc3);
    Taken c = take(m);

    /* Every order, and a write after each restore that the same restore
     * again must undo. */
    const Taken *order[] = { &a, &b, &c, &a, &c, &b, &a, &b, &c, &c };
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        restore_check(m, order[i]);
        poke(m, TRACK_PAGE + (i % 9) * 4096 + 8, 0xdead0000 + i);
        restore_check(m, order[i]);
    }
    ck_assert_uint_eq(peek(m, TRACK_PAGE + 3 * 4096), 0xc3);

    /* A take right after a restore shares every page with it. */
    restore_check(m, &b);
    Snapshot *d = snapshot_take(m);
    ck_assert_uint_eq(snapshot_bytes(d), no_pages);
    ck_assert_uint_lt(snapshot_bytes(d), (TRACK_RAM / 4096) * 8 + (16u << 10));
    restore_check(m, &c);
    char err[256];
    ck_assert(snapshot_restore(m, d, err, sizeof(err)));
    ck_assert_uint_eq(ram_hash(m), b.ram_hash);
    snapshot_free(d);
    snapshot_free(a.s);
    snapshot_free(b.s);
    snapshot_free(c.s);
    machine_free(m);
}
END_TEST

/* Pages alive are counted as long as someone holds them: a page copied by
 * one snapshot and shared by the next outlives the first. */
START_TEST(test_snapshot_pages_in_use)
{
    uint64_t before = snapshot_pages_in_use();
    Machine *m = test_machine_new();
    poke(m, TRACK_PAGE, 0x11);
    Taken a = take(m); /* a full compare: copies the page */
    uint64_t with_a = snapshot_pages_in_use();
    ck_assert_uint_ge(with_a - before, 4096);
    poke(m, TRACK_PAGE + 4096, 0x22);
    Taken b = take(m); /* copies the second page, shares the first */
    ck_assert_uint_ge(snapshot_pages_in_use() - with_a, 4096);
    ck_assert_uint_lt(snapshot_pages_in_use() - with_a, 2 * 4096 + 64);
    uint64_t with_ab = snapshot_pages_in_use();
    snapshot_free(a.s); /* its page lives on in b (and the baseline) */
    ck_assert_uint_eq(snapshot_pages_in_use(), with_ab);
    restore_check(m, &b);
    snapshot_free(b.s);
    machine_free(m); /* the baseline goes with the machine */
    ck_assert_uint_eq(snapshot_pages_in_use(), before);
}
END_TEST

/* auipc t0, 0x100 (t0 = TRACK_PAGE); loop: addi t1, t1, 1; sd t1, 0(t0);
 * j loop. After 1 + 3n instructions the word holds n. */
static const uint32_t store_loop[] = { 0x00100297, 0x00130313, 0x0062b023, 0xff9ff06f };

START_TEST(test_snapshot_tracks_tlb_stores)
{
    Machine *m = test_machine_new();
    put(m, MEM_RAM_BASE, store_loop, sizeof(store_loop));
    Hart *h = &m->harts[0];
    h->pc = MEM_RAM_BASE;
    h->x[6] = 0;
    machine_run_hart(m, h, 1 + 3 * 10);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 10);
    /* The store's write TLB entry was filled (and its page marked) before
     * this take: the stores after it must count as writes all the same. */
    Taken a = take(m);
    machine_run_hart(m, h, 3 * 5);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 15);
    Taken b = take(m);
    restore_check(m, &a);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 10);
    restore_check(m, &b);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 15);

    /* Run on from each, alternating. */
    machine_run_hart(m, h, 3 * 7);
    Taken c = take(m);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 22);
    restore_check(m, &a);
    machine_run_hart(m, h, 3 * 2);
    Taken d = take(m);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 12);
    machine_run_hart(m, h, 3 * 4); /* written, not taken: undone below */
    restore_check(m, &c);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 22);
    restore_check(m, &d);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 12);
    restore_check(m, &b);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 15);
    machine_run_hart(m, h, 3 * 3);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 18);
    restore_check(m, &b);
    Taken *all[] = { &a, &b, &c, &d };
    for (unsigned i = 0; i < 4; i++)
        snapshot_free(all[i]->s);
    machine_free(m);
}
END_TEST

START_TEST(test_snapshot_after_reset)
{
    Machine *m = test_machine_new();
    for (unsigned k = 0; k < 4; k++)
        poke(m, TRACK_PAGE + k * 4096, 0x77 + k);
    Taken a = take(m);
    /* A reset clears RAM (and would reload images) without marking. */
    char err[256];
    ck_assert_msg(machine_reset(m, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 0);
    Taken b = take(m);
    restore_check(m, &a);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 0x77);
    restore_check(m, &b);
    ck_assert_uint_eq(peek(m, TRACK_PAGE), 0);
    snapshot_free(a.s);
    snapshot_free(b.s);
    machine_free(m);
}
END_TEST

START_TEST(test_snapshot_device_in_ram)
{
    Machine *m = test_machine_new();
    FILE *out = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(out);
    char err[256];
    uint64_t tohost = MEM_RAM_BASE + 0x200000, fromhost = tohost + 8;
    Htif *htif = htif_new(m, tohost, fromhost, out, err, sizeof(err));
    ck_assert_msg(htif != NULL, "%s", err);
    Taken a = take(m);
    /* A console write: HTIF answers in fromhost, writing RAM from its
     * callback without marking the page. */
    MmioRegion *r = memory_find_mmio(&m->mem, tohost);
    ck_assert_ptr_nonnull(r);
    uint64_t cmd = (1ULL << 56) | (1ULL << 48) | 'x';
    ck_assert(r->ops->write(r->opaque, tohost - r->base, 8, cmd));
    uint64_t reply = peek(m, fromhost);
    ck_assert_uint_ne(reply, 0);
    Taken b = take(m);
    restore_check(m, &a);
    ck_assert_uint_eq(peek(m, fromhost), 0);
    restore_check(m, &b);
    ck_assert_uint_eq(peek(m, fromhost), reply);
    snapshot_free(a.s);
    snapshot_free(b.s);
    machine_free(m);
    htif_free(htif);
    fclose(out);
}
END_TEST

/* ---- checkpoint files (replay/checkpoint.h): the same state through a
 * file, into another machine built the same way. */

/* Write a checkpoint at n on f's machine and run on to n + more; load it
 * into a fresh machine g and run that to n + more: the same state. */
static void check_file_round_trip(SnapFix *f, SnapFix *g, uint64_t n, uint64_t more,
                                  const char *path)
{
    f->sc.snap_at = n;
    f->sc.end_at = n + more;
    f->sc.ckpt_path = path;
    run_to_end(f, n);
    SnapState first = f->sc.end;
    char err[512];
    Checkpoint *c = checkpoint_open(path, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(checkpoint_icount(c), n);
    ck_assert_uint_eq(checkpoint_machine(c)->nharts, g->m->nharts);
    ck_assert_msg(checkpoint_load(c, g->m, err, sizeof(err)), "%s", err);
    checkpoint_close(c);
    ck_assert_uint_eq(machine_icount(g->m), n);
    ck_assert_uint_eq(g->m->sched.done, f->sc.done_at_snap);
    Digest d = digest_take(g->m);
    ck_assert_uint_eq(d.harts, f->sc.at_ckpt.harts);
    ck_assert_uint_eq(d.memory, f->sc.at_ckpt.memory);
    ck_assert_uint_eq(d.pages, f->sc.at_ckpt.pages);
    g->sc.snap_at = UINT64_MAX;
    g->sc.end_at = n + more;
    run_to_end(g, n + more);
    state_eq(&first, &g->sc.end);
}

START_TEST(test_checkpoint_file_two_harts_mid_turn)
{
    SnapFix f, g;
    fix_setup(&f, 2, 777, false);
    fix_setup(&g, 2, 777, false);
    char path[128];
    snprintf(path, sizeof(path), "%s/run.ckpt", f.dir);
    check_file_round_trip(&f, &g, 50123, 60000, path);
    ck_assert_uint_gt(f.sc.done_at_snap, 0); /* inside a turn */
    unlink(path);
    fix_teardown(&g);
    fix_teardown(&f);
}
END_TEST

START_TEST(test_checkpoint_file_uart_input_and_timer)
{
    SnapFix f, g;
    fix_setup(&f, 1, 0, false);
    fix_setup(&g, 1, 0, false);
    f.sc.uart_input = "checkpoint";
    char path[128];
    snprintf(path, sizeof(path), "%s/run.ckpt", f.dir);
    check_file_round_trip(&f, &g, 6999, 40000, path);
    ck_assert_uint_gt(g.m->harts[0].x[REG_A5], 2); /* timer interrupts after the load */
    unlink(path);
    fix_teardown(&g);
    fix_teardown(&f);
}
END_TEST

START_TEST(test_checkpoint_file_disk_overlay)
{
    SnapFix f, g;
    fix_setup(&f, 1, 0, true);
    fix_setup(&g, 1, 0, true);
    MmioRegion *rf = blk_driver_init(f.m);
    fill_sector(f.m, rf, 0, 0xaa);
    fill_sector(f.m, rf, 1000, 0xbb);
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/disk.ckpt", f.dir);
    TraceHeader h = { .ram_size = f.m->mem.ram_size, .nharts = 1 };
    ck_assert_msg(checkpoint_write(f.m, &h, path, err, sizeof(err)), "%s", err);
    Checkpoint *c = checkpoint_open(path, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_msg(checkpoint_load(c, g.m, err, sizeof(err)), "%s", err);
    checkpoint_close(c);
    /* The driver's queue state came with RAM and the transport's state. */
    MmioRegion *rg = memory_find_mmio(&g.m->mem,
                                      virtio_mmio_slot_base((unsigned)virtio_slot_for(0)));
    expect_sector(g.m, rg, 0, 0xaa);
    expect_sector(g.m, rg, 1000, 0xbb);
    uint8_t buf[512];
    blk_io(g.m, rg, false, 2000, buf); /* not written: the image file's bytes */
    for (int i = 0; i < 512; i++)
        ck_assert_uint_eq(buf[i], (uint8_t)((2000 * 512 + i) * 7 + 3));
    unlink(path);
    fix_teardown(&g);
    fix_teardown(&f);
}
END_TEST

static void expect_refused(const char *path, const char *what)
{
    char err[512] = "";
    Checkpoint *c = checkpoint_open(path, err, sizeof(err));
    ck_assert_msg(c == NULL, "accepted a checkpoint that is %s", what);
    ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" does not say \"%s\"", err, what);
    ck_assert_ptr_nonnull(strstr(err, path));
}

START_TEST(test_checkpoint_file_refused)
{
    SnapFix f, g;
    fix_setup(&f, 1, 0, false);
    fix_setup(&g, 2, 0, false);
    char path[128], bad[160], err[512];
    snprintf(path, sizeof(path), "%s/ok.ckpt", f.dir);
    snprintf(bad, sizeof(bad), "%s/bad.ckpt", f.dir);
    TraceHeader h = { .ram_size = f.m->mem.ram_size, .nharts = 1 };
    ck_assert_msg(checkpoint_write(f.m, &h, path, err, sizeof(err)), "%s", err);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    static uint8_t bytes[4 << 20];
    size_t n = fread(bytes, 1, sizeof(bytes), fp);
    fclose(fp);
    ck_assert_uint_gt(n, 100);
    ck_assert_uint_lt(n, sizeof(bytes));

    fp = fopen(bad, "wb"); /* cut short */
    fwrite(bytes, 1, n - 10, fp);
    fclose(fp);
    expect_refused(bad, "cut short");
    for (size_t at = 8; at < n; at += n / 7) { /* one byte changed anywhere */
        bytes[at] ^= 0x40;
        fp = fopen(bad, "wb");
        fwrite(bytes, 1, n, fp);
        fclose(fp);
        bytes[at] ^= 0x40;
        char e[512];
        ck_assert_msg(checkpoint_open(bad, e, sizeof(e)) == NULL, "byte %zu", at);
    }
    fp = fopen(bad, "wb");
    fwrite("RWNDTRC", 1, 8, fp); /* a trace is not a checkpoint */
    fclose(fp);
    expect_refused(bad, "not a rewind checkpoint");

    /* Another machine: nothing loaded. */
    Checkpoint *c = checkpoint_open(path, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    uint64_t pc = g.m->harts[0].pc;
    ck_assert(!checkpoint_load(c, g.m, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "harts"));
    ck_assert_uint_eq(g.m->harts[0].pc, pc);
    checkpoint_close(c);

    /* A failed write leaves no file behind, and nothing half written. */
    char nodir[160];
    snprintf(nodir, sizeof(nodir), "%s/missing/x.ckpt", f.dir);
    ck_assert(!checkpoint_write(f.m, &h, nodir, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, nodir));
    unlink(bad);
    unlink(path);
    fix_teardown(&g);
    fix_teardown(&f);
}
END_TEST

/* Found by tests/fuzz/fuzz_trace (an embedded start checkpoint): a section
 * header declaring gigabytes made the reader allocate them before it
 * looked at the compressed bytes. The declared size is now checked
 * against what the section can hold first, and the message says so. */
START_TEST(test_checkpoint_file_section_size_checked_first)
{
    SnapFix f;
    fix_setup(&f, 1, 0, false);
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/ok.ckpt", f.dir);
    TraceHeader h = { .ram_size = f.m->mem.ram_size, .nharts = 1 };
    ck_assert_msg(checkpoint_write(f.m, &h, path, err, sizeof(err)), "%s", err);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    static uint8_t bytes[4 << 20];
    size_t n = fread(bytes, 1, sizeof(bytes), fp);
    fclose(fp);
    ck_assert_uint_gt(n, 100);
    /* The state section (after the 16-byte file header): magic, compressed
     * size, uncompressed size. Declare 3.75 GiB and make the checksum
     * (XXH64 of everything before the 24-byte footer) match again. */
    ck_assert_int_eq(memcmp(bytes + 16, "RWST", 4), 0);
    bytes[24] = 0x00, bytes[25] = 0x00, bytes[26] = 0x00, bytes[27] = 0xf0;
    uint64_t sum = XXH64(bytes, n - 24, 0);
    for (int i = 0; i < 8; i++)
        bytes[n - 8 + i] = (uint8_t)(sum >> (8 * i));
    Checkpoint *c = checkpoint_open_bytes(bytes, n, "crafted", err, sizeof(err));
    ck_assert_msg(c == NULL, "accepted a state section of 3.75 GiB");
    ck_assert_msg(strstr(err, "crafted: damaged: state section at offset 16 declares "
                              "4026531840 bytes") != NULL, "%s", err);
    unlink(path);
    fix_teardown(&f);
}
END_TEST

/* A CSR value too wide for its register was found only by the load, after
 * RAM and the harts before it had been replaced: a half-loaded machine.
 * checkpoint_open now checks every value first. (The state section is
 * rewritten here with one CSR changed, the checksum made right again.) */
START_TEST(test_checkpoint_file_csr_checked_at_open)
{
    SnapFix f;
    fix_setup(&f, 1, 0, false);
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/ok.ckpt", f.dir);
    TraceHeader h = { .ram_size = f.m->mem.ram_size, .nharts = 1 };
    ck_assert_msg(checkpoint_write(f.m, &h, path, err, sizeof(err)), "%s", err);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    static uint8_t bytes[4 << 20], out[4 << 20];
    size_t n = fread(bytes, 1, sizeof(bytes), fp);
    fclose(fp);
    /* File header (16 bytes), the state section: "RWST", compressed and
     * uncompressed sizes, zstd data; then the RAM sections; a 24-byte
     * footer: magic, the length before it, XXH64 of those bytes. */
    uint32_t clen, ulen;
    memcpy(&clen, bytes + 20, 4);
    memcpy(&ulen, bytes + 24, 4);
    uint8_t *raw = malloc(ulen);
    ck_assert_uint_eq(ZSTD_decompress(raw, ulen, bytes + 28, clen), ulen);
    Rewind__Checkpoint__State *st = rewind__checkpoint__state__unpack(NULL, ulen, raw);
    ck_assert_ptr_nonnull(st);
    bool changed = false;
    for (size_t k = 0; k < st->harts[0]->n_csrs; k++)
        if (strcmp(st->harts[0]->csrs[k]->name, "frm") == 0) {
            st->harts[0]->csrs[k]->value = 1ULL << 40; /* frm holds 32 bits */
            changed = true;
        }
    ck_assert(changed);
    size_t plen = rewind__checkpoint__state__get_packed_size(st);
    uint8_t *packed = malloc(plen);
    rewind__checkpoint__state__pack(st, packed);
    rewind__checkpoint__state__free_unpacked(st, NULL);
    memcpy(out, bytes, 20);
    size_t c = ZSTD_compress(out + 28, sizeof(out) - 28, packed, plen, 3);
    ck_assert(!ZSTD_isError(c));
    uint32_t c32 = (uint32_t)c, p32 = (uint32_t)plen;
    memcpy(out + 20, &c32, 4);
    memcpy(out + 24, &p32, 4);
    size_t rest = n - 24 - (28 + clen); /* the RAM sections */
    memcpy(out + 28 + c, bytes + 28 + clen, rest);
    size_t body = 28 + c + rest;
    memcpy(out + body, bytes + n - 24, 8);
    uint64_t len64 = body, sum = XXH64(out, body, 0);
    memcpy(out + body + 8, &len64, 8);
    memcpy(out + body + 16, &sum, 8);
    Checkpoint *ck = checkpoint_open_bytes(out, body + 24, "crafted", err, sizeof(err));
    ck_assert_msg(ck == NULL, "opened a checkpoint whose frm does not fit; loading it "
                  "would fail half-way");
    ck_assert_msg(strstr(err, "crafted: hart 0: frm = 0x10000000000 does not fit") != NULL,
                  "%s", err);
    free(packed);
    free(raw);
    unlink(path);
    fix_teardown(&f);
}
END_TEST

/* Found by tests/fuzz/fuzz_checkpoint: a UART state whose bool held 97
 * was copied into the device as it was (undefined behaviour, and a FIFO
 * index from a file could point outside the FIFO). A device now refuses
 * such a state, and checkpoint_load gives the devices loaded before it
 * their own states back: the machine is as it was. The file is written
 * with a valid checksum by a save hook that spoils the UART's first
 * saved byte (irq_level, a bool). */
static size_t (*real_uart_save)(void *, void *, size_t);
static size_t spoiled_uart_save(void *opaque, void *buf, size_t cap)
{
    size_t n = real_uart_save(opaque, buf, cap);
    if (buf && n <= cap && n > 0)
        ((uint8_t *)buf)[0] = 97;
    return n;
}

static MachineDevice *device_named(Machine *m, const char *name)
{
    for (unsigned i = 0; i < m->ndevices; i++)
        if (strcmp(m->devices[i].name, name) == 0)
            return &m->devices[i];
    return NULL;
}

START_TEST(test_checkpoint_file_bad_device_state_changes_nothing)
{
    SnapFix f, g;
    fix_setup(&f, 1, 0, false);
    fix_setup(&g, 1, 0, false);
    f.sc.uart_input = "ab"; /* device states unlike g's power-on ones */
    f.sc.snap_at = 20000;
    f.sc.end_at = 30000;
    run_to_end(&f, 20000);
    MachineDevice *uart = device_named(f.m, "uart");
    ck_assert_ptr_nonnull(uart);
    real_uart_save = uart->save;
    uart->save = spoiled_uart_save;
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/bad-uart.ckpt", f.dir);
    TraceHeader h = { .ram_size = f.m->mem.ram_size, .nharts = 1 };
    ck_assert_msg(checkpoint_write(f.m, &h, path, err, sizeof(err)), "%s", err);
    uart->save = real_uart_save;

    /* g's device states, RAM and pc before the load. */
    uint8_t *states[MACHINE_MAX_DEVICES] = { 0 };
    size_t lens[MACHINE_MAX_DEVICES] = { 0 };
    for (unsigned i = 0; i < g.m->ndevices; i++) {
        const MachineDevice *md = &g.m->devices[i];
        if (!md->save || md->release)
            continue;
        lens[i] = md->save(md->opaque, NULL, 0);
        states[i] = malloc(lens[i] + 1);
        md->save(md->opaque, states[i], lens[i]);
    }
    uint8_t *ram = malloc(g.m->mem.ram_size);
    memcpy(ram, g.m->mem.ram, g.m->mem.ram_size);
    uint64_t pc = g.m->harts[0].pc;

    Checkpoint *c = checkpoint_open(path, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_msg(!checkpoint_load(c, g.m, err, sizeof(err)),
                  "loaded a UART state whose bool holds 97");
    ck_assert_msg(strstr(err, "device uart refused its saved state") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, path));
    checkpoint_close(c);
    ck_assert_uint_eq(g.m->harts[0].pc, pc);
    ck_assert(memcmp(ram, g.m->mem.ram, g.m->mem.ram_size) == 0);
    unsigned compared = 0;
    for (unsigned i = 0; i < g.m->ndevices; i++) {
        const MachineDevice *md = &g.m->devices[i];
        if (!states[i])
            continue;
        uint8_t *now = malloc(lens[i] + 1);
        ck_assert_uint_eq(md->save(md->opaque, now, lens[i]), lens[i]);
        ck_assert_msg(memcmp(now, states[i], lens[i]) == 0, "device %s changed", md->name);
        compared++;
        free(now);
        free(states[i]);
    }
    ck_assert_uint_ge(compared, 3); /* clint, plic, uart at least */
    free(ram);
    unlink(path);
    fix_teardown(&g);
    fix_teardown(&f);
}
END_TEST

Suite *suite_snapshot(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_snapshot_one_hart);
    tcase_add_test(tc, test_snapshot_timer_deadline_inside);
    tcase_add_test(tc, test_snapshot_uart_input);
    tcase_add_test(tc, test_snapshot_two_harts_mid_turn);
    tcase_add_test(tc, test_snapshot_shares_pages);
    tcase_add_test(tc, test_snapshot_mismatch);
    tcase_add_test(tc, test_snapshot_blk_overlay);
    tcase_add_test(tc, test_snapshot_tracks_marked_writes);
    tcase_add_test(tc, test_snapshot_pages_in_use);
    tcase_add_test(tc, test_snapshot_tracks_tlb_stores);
    tcase_add_test(tc, test_snapshot_after_reset);
    tcase_add_test(tc, test_snapshot_device_in_ram);
    tcase_add_test(tc, test_checkpoint_file_two_harts_mid_turn);
    tcase_add_test(tc, test_checkpoint_file_uart_input_and_timer);
    tcase_add_test(tc, test_checkpoint_file_disk_overlay);
    tcase_add_test(tc, test_checkpoint_file_refused);
    tcase_add_test(tc, test_checkpoint_file_section_size_checked_first);
    tcase_add_test(tc, test_checkpoint_file_csr_checked_at_open);
    tcase_add_test(tc, test_checkpoint_file_bad_device_state_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}
