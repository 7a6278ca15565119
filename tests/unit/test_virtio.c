/* virtio-mmio, virtio-blk and virtio-rng tests: a hand-written driver
 * builds split virtqueues in the test machine's RAM and talks to the
 * transport through its MMIO callbacks, as a guest would. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "core/snapshot.h"
#include "replay/replay.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "translator/tb_cache.h"

enum { QSIZE = 8, IMG_SECTORS = 64 };

#define DESC_PA 0x80100000ULL
#define AVAIL_PA 0x80101000ULL
#define USED_PA 0x80102000ULL
#define BUF_PA 0x80200000ULL
#define INDIRECT_PA 0x80103000ULL

/* Slot 3 of the virt layout; any free address would do. */
#define DEV_BASE 0x10004000ULL

/* A test driver: the transport's callbacks plus the driver-side ring state. */
typedef struct Drv {
    Machine *m;
    const MmioOps *ops;
    void *opaque;
    uint16_t avail_idx;
    bool irq_level;
    unsigned irq_changes;
} Drv;

static void drv_irq_set(void *opaque, unsigned n, bool level)
{
    Drv *d = opaque;
    (void)n;
    d->irq_level = level;
    d->irq_changes++;
}

static IrqLine drv_irq(Drv *d)
{
    return (IrqLine){ .set = drv_irq_set, .opaque = d, .n = 7 };
}

static void drv_bind(Drv *d, uint64_t base)
{
    MmioRegion *r = memory_find_mmio(&d->m->mem, base);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->base, base);
    d->ops = r->ops;
    d->opaque = r->opaque;
}

static uint32_t rd(Drv *d, uint64_t off)
{
    uint64_t v = ~0ull;
    ck_assert(d->ops->read(d->opaque, off, 4, &v));
    return (uint32_t)v;
}

static uint64_t rd_cfg(Drv *d, uint64_t off, unsigned size)
{
    uint64_t v = ~0ull;
    ck_assert(d->ops->read(d->opaque, VIRTIO_MMIO_CONFIG + off, size, &v));
    return v;
}

static void wr(Drv *d, uint64_t off, uint32_t v)
{
    ck_assert(d->ops->write(d->opaque, off, 4, v));
}

static uint8_t *ram(Drv *d, uint64_t pa, uint64_t len)
{
    uint8_t *p = memory_ram_ptr(&d->m->mem, pa, len);
    ck_assert_ptr_nonnull(p);
    return p;
}

static void put16(Drv *d, uint64_t pa, uint16_t v) { memcpy(ram(d, pa, 2), &v, 2); }
static void put32(Drv *d, uint64_t pa, uint32_t v) { memcpy(ram(d, pa, 4), &v, 4); }
static void put64(Drv *d, uint64_t pa, uint64_t v) { memcpy(ram(d, pa, 8), &v, 8); }
static uint16_t get16(Drv *d, uint64_t pa) { uint16_t v; memcpy(&v, ram(d, pa, 2), 2); return v; }
static uint32_t get32(Drv *d, uint64_t pa) { uint32_t v; memcpy(&v, ram(d, pa, 4), 4); return v; }

/* Feature negotiation and queue 0 setup, as Linux's virtio_mmio does it. */
static void drv_init(Drv *d, uint64_t extra_features)
{
    wr(d, VIRTIO_MMIO_STATUS, 0);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    ck_assert(rd(d, VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* VERSION_1 */
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)extra_features);
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    wr(d, VIRTIO_MMIO_STATUS, st);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_STATUS), st);
    memset(ram(d, DESC_PA, 0x3000), 0, 0x3000);
    wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
    ck_assert_uint_ge(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), QSIZE);
    wr(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC_PA);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL_PA);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED_PA);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
    wr(d, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    d->avail_idx = 0;
}

typedef struct Seg {
    uint64_t addr;
    uint32_t len;
    bool write;
} Seg;

static void put_desc(Drv *d, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint64_t pa = table + 16 * i;
    put64(d, pa, addr);
    put32(d, pa + 8, len);
    put16(d, pa + 12, flags);
    put16(d, pa + 14, next);
}

/* Publish descriptor `head` in the avail ring and notify queue 0. */
static void drv_kick(Drv *d, uint16_t head)
{
    put16(d, AVAIL_PA + 4 + 2 * (d->avail_idx % QSIZE), head);
    d->avail_idx++;
    put16(d, AVAIL_PA + 2, d->avail_idx);
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* Submit a chain in descriptors 0..n-1. Returns the used length, and
 * checks that exactly this request completed. */
static uint32_t drv_submit(Drv *d, const Seg *segs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put_desc(d, DESC_PA, i, segs[i].addr, segs[i].len,
                 (uint16_t)((segs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
                            (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
                 (uint16_t)(i + 1));
    uint16_t before = get16(d, USED_PA + 2);
    drv_kick(d, 0);
    ck_assert_uint_eq(get16(d, USED_PA + 2), (uint16_t)(before + 1));
    uint64_t elem = USED_PA + 4 + 8 * (before % QSIZE);
    ck_assert_uint_eq(get32(d, elem), 0);
    return get32(d, elem + 4);
}

/* ---- block device fixtures ---- */

static void img_pattern(uint8_t *buf, uint64_t off, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)((off + i) * 7 + ((off + i) >> 9));
}

static char *img_create(unsigned sectors)
{
    char *path = strdup("/tmp/rewind-virtio-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *buf = malloc(sectors * 512u);
    img_pattern(buf, 0, sectors * 512u);
    ck_assert_int_eq(write(fd, buf, sectors * 512u), (int)(sectors * 512u));
    free(buf);
    close(fd);
    return path;
}

static void img_read(const char *path, uint64_t off, void *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, (long)off, SEEK_SET), 0);
    ck_assert_uint_eq(fread(buf, 1, len, f), len);
    fclose(f);
}

typedef struct BlkFix {
    Machine *m;
    Drv d;
    VirtioBlk *blk;
    char *path;
} BlkFix;

static void blk_setup(BlkFix *f, bool snapshot, bool readonly, const char *serial)
{
    memset(f, 0, sizeof(*f));
    f->m = test_machine_new();
    f->d.m = f->m;
    f->path = img_create(IMG_SECTORS);
    BlkDriveSpec spec;
    memset(&spec, 0, sizeof(spec));
    snprintf(spec.file, sizeof(spec.file), "%s", f->path);
    snprintf(spec.serial, sizeof(spec.serial), "%s", serial ? serial : "");
    spec.snapshot = snapshot;
    spec.readonly = readonly;
    char err[256];
    f->blk = virtio_blk_new(f->m, DEV_BASE, drv_irq(&f->d), &spec, err, sizeof(err));
    ck_assert_msg(f->blk != NULL, "virtio_blk_new: %s", err);
    drv_bind(&f->d, DEV_BASE);
    drv_init(&f->d, 1u << 9); /* FLUSH */
}

static void blk_teardown(BlkFix *f)
{
    machine_free(f->m);
    unlink(f->path);
    free(f->path);
}

/* Header at BUF_PA, data at BUF_PA+0x1000 (split into two segments when
 * long enough), status byte at BUF_PA+0x100. */
static uint32_t blk_request(BlkFix *f, uint32_t type, uint64_t sector, uint32_t len,
                            bool data_write, uint8_t *status)
{
    Drv *d = &f->d;
    put32(d, BUF_PA, type);
    put32(d, BUF_PA + 4, 0);
    put64(d, BUF_PA + 8, sector);
    *ram(d, BUF_PA + 0x100, 1) = 0xff;
    Seg segs[4];
    unsigned n = 0;
    segs[n++] = (Seg){ BUF_PA, 16, false };
    if (len >= 1024) {
        segs[n++] = (Seg){ BUF_PA + 0x1000, 512, data_write };
        segs[n++] = (Seg){ BUF_PA + 0x1200, len - 512, data_write };
    } else if (len) {
        segs[n++] = (Seg){ BUF_PA + 0x1000, len, data_write };
    }
    segs[n++] = (Seg){ BUF_PA + 0x100, 1, true };
    uint32_t used = drv_submit(d, segs, n);
    *status = *ram(d, BUF_PA + 0x100, 1);
    return used;
}

/* ---- tests ---- */

START_TEST(test_handshake_registers)
{
    BlkFix f;
    blk_setup(&f, false, false, NULL);
    Drv *d = &f.d;
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_VERSION), 2);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_VENDOR), VIRTIO_MMIO_VENDOR_ID);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t lo = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    ck_assert(lo & 1u << 9);                       /* FLUSH */
    ck_assert(lo & 1u << VIRTIO_F_INDIRECT_DESC);
    ck_assert(!(lo & 1u << 5));                    /* not read-only */
    ck_assert_uint_eq(rd_cfg(d, 0, 8), IMG_SECTORS);
    ck_assert_uint_eq(rd_cfg(d, 0, 4), IMG_SECTORS);
    ck_assert_uint_eq(rd_cfg(d, 20, 4), 512);      /* blk_size */
    ck_assert_uint_eq(virtio_blk_capacity(f.blk), IMG_SECTORS);
    ck_assert_uint_eq(virtio_mmio_driver_features(d->opaque),
                      1ull << 32 | 1u << 9);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);

    /* A driver without VERSION_1 cannot get FEATURES_OK. */
    wr(d, VIRTIO_MMIO_STATUS, 0);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_STATUS), 0);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 9);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                  VIRTIO_STATUS_FEATURES_OK);
    ck_assert(!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK));
    /* A queue beyond the device's reports QueueNumMax 0. */
    wr(d, VIRTIO_MMIO_QUEUE_SEL, 1);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    blk_teardown(&f);
}
END_TEST

START_TEST(test_empty_slot)
{
    Machine *m = test_machine_new();
    Drv d = { .m = m };
    char err[256];
    ck_assert_ptr_nonnull(virtio_mmio_new(m, DEV_BASE, drv_irq(&d), NULL, NULL,
                                          err, sizeof(err)));
    drv_bind(&d, DEV_BASE);
    ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
    ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_VERSION), 2);
    ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_DEVICE_ID), 0);
    ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    wr(&d, VIRTIO_MMIO_STATUS, 1);
    wr(&d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_STATUS), 0);
    machine_free(m);
}
END_TEST

START_TEST(test_blk_read)
{
    BlkFix f;
    blk_setup(&f, false, false, NULL);
    uint8_t st;
    ck_assert(!f.d.irq_level);
    uint32_t used = blk_request(&f, 0 /* IN */, 5, 2048, true, &st);
    ck_assert_uint_eq(st, 0);
    ck_assert_uint_eq(used, 2049);
    uint8_t want[2048];
    img_pattern(want, 5 * 512, sizeof(want));
    ck_assert_mem_eq(ram(&f.d, BUF_PA + 0x1000, 2048), want, 2048);
    /* Used-buffer interrupt, level until acknowledged. */
    ck_assert_uint_eq(rd(&f.d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
    ck_assert(f.d.irq_level);
    wr(&f.d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
    ck_assert_uint_eq(rd(&f.d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    ck_assert(!f.d.irq_level);
    /* The last sector is readable; the ring wraps past QSIZE requests. */
    for (int i = 0; i < 2 * QSIZE; i++) {
        used = blk_request(&f, 0, IMG_SECTORS - 1, 512, true, &st);
        ck_assert_uint_eq(st, 0);
    }
    img_pattern(want, (IMG_SECTORS - 1) * 512, 512);
    ck_assert_mem_eq(ram(&f.d, BUF_PA + 0x1000, 512), want, 512);
    blk_teardown(&f);
}
END_TEST

START_TEST(test_blk_write_flush_getid)
{
    BlkFix f;
    blk_setup(&f, false, false, "disk-serial-1");
    uint8_t st, data[1536], back[1536];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(0xa5 ^ i);
    memcpy(ram(&f.d, BUF_PA + 0x1000, sizeof(data)), data, sizeof(data));
    uint32_t used = blk_request(&f, 1 /* OUT */, 10, sizeof(data), false, &st);
    ck_assert_uint_eq(st, 0);
    ck_assert_uint_eq(used, 1);
    img_read(f.path, 10 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, data, sizeof(data));
    /* Neighbouring sectors untouched. */
    uint8_t want[512];
    img_read(f.path, 9 * 512, back, 512);
    img_pattern(want, 9 * 512, 512);
    ck_assert_mem_eq(back, want, 512);

    blk_request(&f, 4 /* FLUSH */, 0, 0, false, &st);
    ck_assert_uint_eq(st, 0);

    memset(ram(&f.d, BUF_PA + 0x1000, 20), 0xee, 20);
    used = blk_request(&f, 8 /* GET_ID */, 0, 20, true, &st);
    ck_assert_uint_eq(st, 0);
    ck_assert_uint_eq(used, 21);
    uint8_t id[20] = "disk-serial-1";
    ck_assert_mem_eq(ram(&f.d, BUF_PA + 0x1000, 20), id, 20);

    blk_request(&f, 99, 0, 0, false, &st);
    ck_assert_uint_eq(st, 2); /* UNSUPP */
    blk_teardown(&f);
}
END_TEST

START_TEST(test_blk_out_of_range)
{
    BlkFix f;
    blk_setup(&f, false, false, NULL);
    uint8_t st;
    blk_request(&f, 0, IMG_SECTORS, 512, true, &st);
    ck_assert_uint_eq(st, 1); /* IOERR */
    blk_request(&f, 0, IMG_SECTORS - 1, 1024, true, &st);
    ck_assert_uint_eq(st, 1);
    blk_request(&f, 1, ~0ull, 512, false, &st);
    ck_assert_uint_eq(st, 1);
    blk_request(&f, 0, 0, 100, true, &st); /* not a whole sector */
    ck_assert_uint_eq(st, 1);
    /* The device keeps working after errors. */
    blk_request(&f, 0, 0, 512, true, &st);
    ck_assert_uint_eq(st, 0);
    ck_assert_uint_eq(virtio_mmio_status(f.d.opaque) & VIRTIO_STATUS_NEEDS_RESET, 0);
    blk_teardown(&f);
}
END_TEST

START_TEST(test_blk_snapshot_keeps_file)
{
    BlkFix f;
    blk_setup(&f, true, false, NULL);
    uint8_t st, data[1024], back[1024], orig[1024];
    img_read(f.path, 3 * 512, orig, sizeof(orig));
    memset(data, 0x5a, sizeof(data));
    memcpy(ram(&f.d, BUF_PA + 0x1000, sizeof(data)), data, sizeof(data));
    blk_request(&f, 1, 3, sizeof(data), false, &st);
    ck_assert_uint_eq(st, 0);
    blk_request(&f, 4, 0, 0, false, &st);
    ck_assert_uint_eq(st, 0);
    /* The guest sees its write... */
    memset(ram(&f.d, BUF_PA + 0x1000, 2048), 0, 2048);
    blk_request(&f, 0, 2, 2048, true, &st);
    ck_assert_uint_eq(st, 0);
    uint8_t want[512];
    img_pattern(want, 2 * 512, 512);
    ck_assert_mem_eq(ram(&f.d, BUF_PA + 0x1000, 512), want, 512);
    ck_assert_mem_eq(ram(&f.d, BUF_PA + 0x1200, 1024), data, 1024);
    img_pattern(want, 5 * 512, 512);
    ck_assert_mem_eq(ram(&f.d, BUF_PA + 0x1600, 512), want, 512);
    /* ...the file does not. */
    img_read(f.path, 3 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, orig, sizeof(orig));
    blk_teardown(&f);
}
END_TEST

START_TEST(test_blk_readonly)
{
    BlkFix f;
    blk_setup(&f, false, true, NULL);
    wr(&f.d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    ck_assert(rd(&f.d, VIRTIO_MMIO_DEVICE_FEATURES) & 1u << 5); /* RO */
    uint8_t st, orig[512], back[512];
    img_read(f.path, 0, orig, 512);
    memset(ram(&f.d, BUF_PA + 0x1000, 512), 0x11, 512);
    blk_request(&f, 1, 0, 512, false, &st);
    ck_assert_uint_eq(st, 1);
    img_read(f.path, 0, back, 512);
    ck_assert_mem_eq(back, orig, 512);
    blk_teardown(&f);
}
END_TEST

START_TEST(test_blk_indirect)
{
    BlkFix f;
    blk_setup(&f, false, false, NULL);
    Drv *d = &f.d;
    put32(d, BUF_PA, 0);
    put32(d, BUF_PA + 4, 0);
    put64(d, BUF_PA + 8, 7);
    put_desc(d, INDIRECT_PA, 0, BUF_PA, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(d, INDIRECT_PA, 1, BUF_PA + 0x1000, 512,
             VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    put_desc(d, INDIRECT_PA, 2, BUF_PA + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
    put_desc(d, DESC_PA, 3, INDIRECT_PA, 48, VIRTQ_DESC_F_INDIRECT, 0);
    drv_kick(d, 3);
    ck_assert_uint_eq(get16(d, USED_PA + 2), 1);
    ck_assert_uint_eq(get32(d, USED_PA + 4), 3);
    ck_assert_uint_eq(get32(d, USED_PA + 8), 513);
    ck_assert_uint_eq(*ram(d, BUF_PA + 0x100, 1), 0);
    uint8_t want[512];
    img_pattern(want, 7 * 512, 512);
    ck_assert_mem_eq(ram(d, BUF_PA + 0x1000, 512), want, 512);
    blk_teardown(&f);
}
END_TEST

START_TEST(test_bad_descriptor_needs_reset)
{
    BlkFix f;
    blk_setup(&f, false, false, NULL);
    Drv *d = &f.d;
    put32(d, BUF_PA, 0);
    put64(d, BUF_PA + 8, 0);
    /* Data buffer far outside RAM (and one wrapping the address space). */
    Seg segs[] = {
        { BUF_PA, 16, false },
        { 0xfffffffffffff000ull, 0x2000, true },
        { BUF_PA + 0x100, 1, true },
    };
    for (unsigned i = 0; i < 3; i++)
        put_desc(d, DESC_PA, i, segs[i].addr, segs[i].len,
                 (uint16_t)((segs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
                            (i < 2 ? VIRTQ_DESC_F_NEXT : 0)),
                 (uint16_t)(i + 1));
    drv_kick(d, 0);
    ck_assert_uint_eq(get16(d, USED_PA + 2), 0); /* dropped */
    ck_assert(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
    ck_assert(d->irq_level);
    /* Further notifies are ignored until the driver resets the device. */
    drv_kick(d, 0);
    ck_assert_uint_eq(get16(d, USED_PA + 2), 0);
    wr(d, VIRTIO_MMIO_STATUS, 0);
    ck_assert_uint_eq(rd(d, VIRTIO_MMIO_STATUS), 0);
    ck_assert(!d->irq_level);
    drv_init(d, 0);
    uint8_t st;
    blk_request(&f, 0, 0, 512, true, &st);
    ck_assert_uint_eq(st, 0);

    /* A descriptor loop and a ring outside RAM are caught as well. */
    put_desc(d, DESC_PA, 0, BUF_PA, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(d, DESC_PA, 1, BUF_PA + 0x100, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    drv_kick(d, 0);
    ck_assert(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    drv_init(d, 0);
    wr(d, VIRTIO_MMIO_STATUS, 0);
    wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x2000);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x3000);
    wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    wr(d, VIRTIO_MMIO_STATUS, 0xf);
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    ck_assert(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    blk_teardown(&f);
}
END_TEST

/* A device that leaves its queue alone: the test pops requests itself. */
static const VirtioDeviceOps idle_dev_ops = {
    .name = "idle", .device_id = VIRTIO_ID_RNG, .nqueues = 1, .queue_max = 256,
};

/* A descriptor that chains to itself, device-writable, len > 0: the walk
 * met it 257 times (the loop bound counted steps, not segments) and stored
 * the 257th segment past the end of VirtqReq.in (a heap overflow in
 * virtio-rng and virtio-blk, whose request sits last in their state).
 * Found by tests/fuzz/fuzz_virtio. The request is followed by a canary. */
START_TEST(test_descriptor_loop_stays_in_request)
{
    Machine *m = test_machine_new();
    Drv dd = { .m = m }, *d = &dd;
    char err[256];
    VirtioMmio *vm = virtio_mmio_new(m, DEV_BASE, drv_irq(d), &idle_dev_ops, NULL, err,
                                     sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    drv_bind(d, DEV_BASE);
    drv_init(d, 0);
    for (int writable = 0; writable < 2; writable++) {
        put_desc(d, DESC_PA, 0, BUF_PA, 8,
                 (uint16_t)(VIRTQ_DESC_F_NEXT | (writable ? VIRTQ_DESC_F_WRITE : 0)), 0);
        put16(d, AVAIL_PA + 4 + 2 * (d->avail_idx % QSIZE), 0);
        d->avail_idx++;
        put16(d, AVAIL_PA + 2, d->avail_idx);
        struct {
            VirtqReq req;
            uint64_t canary[4];
        } *s = malloc(sizeof(*s));
        ck_assert_ptr_nonnull(s);
        memset(s->canary, 0xa5, sizeof(s->canary));
        ck_assert_int_eq(virtio_queue_pop(vm, 0, &s->req), -1);
        ck_assert_uint_le(s->req.nin, VIRTIO_QUEUE_MAX);
        ck_assert_uint_le(s->req.nout, VIRTIO_QUEUE_MAX);
        for (int i = 0; i < 4; i++)
            ck_assert_uint_eq(s->canary[i], 0xa5a5a5a5a5a5a5a5ull);
        free(s);
        ck_assert(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
        drv_init(d, 0);
    }
    machine_free(m);
}
END_TEST

/* A checkpoint's transport state with a ready queue of size 0 was loaded
 * as it was, and the guest's next notify divided by zero (the avail ring
 * index modulo QueueNum). The device's load hook now refuses a ready queue
 * whose size the driver could not have set, and keeps its state. */
START_TEST(test_load_refuses_ready_queue_without_size)
{
    Machine *m = test_machine_new();
    Drv dd = { .m = m }, *d = &dd;
    char err[256];
    ck_assert_msg(virtio_mmio_new(m, DEV_BASE, drv_irq(d), &idle_dev_ops, NULL, err,
                                  sizeof(err)) != NULL, "%s", err);
    drv_bind(d, DEV_BASE);
    drv_init(d, 0);
    const MachineDevice *md = NULL;
    for (unsigned i = 0; i < m->ndevices; i++)
        if (m->devices[i].opaque == d->opaque)
            md = &m->devices[i];
    ck_assert_ptr_nonnull(md);
    uint8_t buf[4096];
    size_t n = md->save(md->opaque, buf, sizeof(buf));
    ck_assert_uint_le(n, sizeof(buf));
    ck_assert(md->load(md->opaque, buf, n));
    /* Queue 0 as saved: QueueNum QSIZE (a uint32_t) followed by ready. */
    const uint8_t pattern[5] = { QSIZE, 0, 0, 0, 1 };
    uint8_t *q0 = memmem(buf, n, pattern, sizeof(pattern));
    ck_assert_ptr_nonnull(q0);
    static const uint32_t bad[] = { 0, 3, 512 };
    for (unsigned i = 0; i < 3; i++) {
        memcpy(q0, &bad[i], 4);
        ck_assert_msg(!md->load(md->opaque, buf, n), "QueueNum %u loaded", bad[i]);
        ck_assert_uint_eq(rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
        ck_assert_uint_eq(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
    }
    machine_free(m);
}
END_TEST

START_TEST(test_dma_invalidates_code)
{
    /* addi a0,a0,1 ; jal zero,-4 at 0x80000000: a TB lives in that page. */
    static const uint32_t loop[] = { 0x00150513, 0xffdff06f };
    BlkFix f;
    blk_setup(&f, false, false, NULL);
    Drv *d = &f.d;
    test_run_words(f.m, loop, 2, 100);
    ck_assert(memory_page_has_code(&f.m->mem, MEM_RAM_BASE));
    uint64_t before = f.m->stats.tb_invalidations;
    put32(d, BUF_PA, 0);
    put64(d, BUF_PA + 8, 1);
    *ram(d, BUF_PA + 0x100, 1) = 0xff;
    Seg segs[] = {
        { BUF_PA, 16, false },
        { MEM_RAM_BASE + 0x800, 512, true },
        { BUF_PA + 0x100, 1, true },
    };
    /* An LR reservation on the DMA target is broken like by a store. */
    f.m->harts[0].lr_addr = MEM_RAM_BASE + 0x900;
    f.m->harts[0].lr_valid = true;
    drv_submit(d, segs, 3);
    ck_assert_uint_eq(*ram(d, BUF_PA + 0x100, 1), 0);
    ck_assert(!f.m->harts[0].lr_valid);
    ck_assert_uint_gt(f.m->stats.tb_invalidations, before);
    ck_assert(!memory_page_has_code(&f.m->mem, MEM_RAM_BASE));
    blk_teardown(&f);
}
END_TEST

START_TEST(test_rng_fills_buffer)
{
    Machine *m = test_machine_new();
    Drv d = { .m = m };
    char err[256];
    ck_assert_ptr_nonnull(virtio_rng_new(m, DEV_BASE, drv_irq(&d), err, sizeof(err)));
    drv_bind(&d, DEV_BASE);
    ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    drv_init(&d, 0);
    memset(ram(&d, BUF_PA, 64), 0, 64);
    Seg seg = { BUF_PA, 64, true };
    ck_assert_uint_eq(drv_submit(&d, &seg, 1), 64);
    uint8_t zero[64] = { 0 };
    ck_assert(memcmp(ram(&d, BUF_PA, 64), zero, 64) != 0);
    ck_assert(d.irq_level);
    wr(&d, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    ck_assert(!d.irq_level);
    /* With interrupts suppressed by the driver, none is raised. */
    put16(&d, AVAIL_PA, 1);
    ck_assert_uint_eq(drv_submit(&d, &seg, 1), 64);
    ck_assert(!d.irq_level);
    machine_free(m);
}
END_TEST

/* ---- virtio-net ---- */

/* Post one receive buffer (descriptor 0, 2 KiB at BUF_PA) and notify the
 * receive queue; returns the used length, or -1 when nothing came. */
static int net_post_rx(Drv *d)
{
    memset(ram(d, BUF_PA, 2048), 0xee, 2048);
    put_desc(d, DESC_PA, 0, BUF_PA, 2048, VIRTQ_DESC_F_WRITE, 0);
    uint16_t before = get16(d, USED_PA + 2);
    drv_kick(d, 0);
    if (get16(d, USED_PA + 2) == before)
        return -1;
    return (int)get32(d, USED_PA + 4 + 8 * (before % QSIZE) + 4);
}

static void net_frame(uint8_t *f, size_t len, uint8_t tag)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(tag + i * 7);
}

static void net_expect_frame(Drv *d, size_t len, uint8_t tag)
{
    uint8_t want[256];
    net_frame(want, len, tag);
    ck_assert_int_eq(net_post_rx(d), VIRTIO_NET_HDR_LEN + (int)len);
    ck_assert_uint_eq(get16(d, BUF_PA + 10), 1); /* num_buffers */
    ck_assert(memcmp(ram(d, BUF_PA + VIRTIO_NET_HDR_LEN, len), want, len) == 0);
}

/* Frames that arrive with no receive buffer wait in the device, in order;
 * a checkpoint saves them and a restore puts exactly them back (reverse
 * debugging across network traffic depends on it). Frames before the
 * driver is ready are dropped. The config space has the MAC and link up. */
START_TEST(test_net_rx_queue_checkpoint)
{
    Machine *m = test_machine_new();
    Drv d = { .m = m };
    char err[256];
    NetNicSpec spec;
    memset(&spec, 0, sizeof(spec));
    ck_assert(netdev_parse("user,id=n0", &spec.netdev, err, sizeof(err)));
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    memcpy(spec.mac, mac, 6);
    ck_assert_msg(virtio_net_new(m, DEV_BASE, drv_irq(&d), &spec, 0, err, sizeof(err)) != NULL,
                  "%s", err);
    drv_bind(&d, DEV_BASE);
    ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
    ck_assert(rd(&d, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_NET_F_MAC));
    ck_assert(rd(&d, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_NET_F_STATUS));
    for (unsigned i = 0; i < 6; i++)
        ck_assert_uint_eq(rd_cfg(&d, i, 1), mac[i]);
    ck_assert_uint_eq(rd_cfg(&d, 6, 2), VIRTIO_NET_S_LINK_UP);

    uint8_t f[256];
    net_frame(f, 60, 0x10);
    replay_async_input(m, EV_NET_RX, 0, f, 60); /* no driver yet: dropped */
    drv_init(&d, (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_STATUS));
    /* (The first frame received below is 0xa0's: 0x10's was dropped.) */

    net_frame(f, 60, 0xa0);
    replay_async_input(m, EV_NET_RX, 0, f, 60);
    net_frame(f, 100, 0xb0);
    replay_async_input(m, EV_NET_RX, 0, f, 100);
    replay_async_input(m, EV_NET_RX, 1, f, 100); /* another NIC's: not ours */
    Snapshot *s = snapshot_take(m);
    ck_assert_ptr_nonnull(s);
    uint16_t avail_at_snapshot = d.avail_idx;

    net_expect_frame(&d, 60, 0xa0);
    net_frame(f, 80, 0xc0);
    replay_async_input(m, EV_NET_RX, 0, f, 80);

    ck_assert_msg(snapshot_restore(m, s, err, sizeof(err)), "%s", err);
    d.avail_idx = avail_at_snapshot;
    net_expect_frame(&d, 60, 0xa0);
    net_expect_frame(&d, 100, 0xb0);
    ck_assert_int_eq(net_post_rx(&d), -1); /* and nothing else (not 0xc0's) */
    snapshot_free(s);
    machine_free(m);
}
END_TEST

START_TEST(test_machine_reset_resets_transport)
{
    BlkFix f;
    blk_setup(&f, false, false, NULL);
    uint8_t st;
    blk_request(&f, 0, 0, 512, true, &st);
    ck_assert(f.d.irq_level);
    for (unsigned i = 0; i < f.m->ndevices; i++)
        if (f.m->devices[i].reset)
            f.m->devices[i].reset(f.m->devices[i].opaque);
    ck_assert_uint_eq(rd(&f.d, VIRTIO_MMIO_STATUS), 0);
    ck_assert_uint_eq(rd(&f.d, VIRTIO_MMIO_QUEUE_READY), 0);
    ck_assert(!f.d.irq_level);
    blk_teardown(&f);
}
END_TEST

/* ---- command line ---- */

static bool parse(const char *const *drives, unsigned nd, const char *const *devs,
                  unsigned ndev, VirtioDevSpec *out, unsigned *n, char *err)
{
    return virtio_blk_parse_drives(drives, nd, devs, ndev, out, VIRTIO_MMIO_SLOTS, n,
                                   err, 256);
}

START_TEST(test_parse_ok_and_order)
{
    char *img = img_create(4);
    char d0[1200], d1[1200];
    snprintf(d0, sizeof(d0), "file=%s,format=raw,if=virtio,snapshot=on", img);
    snprintf(d1, sizeof(d1), "file=%s,format=raw,id=hd1,readonly=on", img);
    const char *drives[] = { d0, d1 };
    const char *devs[] = { "virtio-rng-device", "virtio-blk-device,drive=hd1,serial=abc" };
    VirtioDevSpec out[VIRTIO_MMIO_SLOTS];
    unsigned n;
    char err[256] = "";
    ck_assert_msg(parse(drives, 2, devs, 2, out, &n, err), "%s", err);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(out[0].kind, VIRTIO_DEV_RNG);
    ck_assert_int_eq(out[1].kind, VIRTIO_DEV_BLK);
    ck_assert(out[1].blk.readonly && !out[1].blk.snapshot);
    ck_assert_str_eq(out[1].blk.serial, "abc");
    ck_assert_int_eq(out[2].kind, VIRTIO_DEV_BLK);
    ck_assert(out[2].blk.snapshot);
    ck_assert_str_eq(out[2].blk.file, img);

    /* No if= and no -device: the default interface, virtio. */
    char d2[1200];
    snprintf(d2, sizeof(d2), "file=%s,format=raw", img);
    const char *plain[] = { d2 };
    VirtioDevSpec one[VIRTIO_MMIO_SLOTS];
    unsigned none;
    ck_assert_msg(parse(plain, 1, NULL, 0, one, &none, err), "%s", err);
    ck_assert_uint_eq(none, 1);
    ck_assert_int_eq(one[0].kind, VIRTIO_DEV_BLK);

    /* Slots fill from the top, as on QEMU's virt. */
    ck_assert_int_eq(virtio_slot_for(0), 7);
    ck_assert_int_eq(virtio_slot_for(7), 0);
    ck_assert_int_eq(virtio_slot_for(8), -1);
    ck_assert_uint_eq(virtio_mmio_slot_base(7), 0x10008000);
    ck_assert_uint_eq(virtio_mmio_slot_irq(7), 8);

    /* Attach all slots: the first device sits at 0x10008000. */
    Machine *m = test_machine_new();
    Drv d = { .m = m };
    IrqLine irqs[VIRTIO_MMIO_SLOTS];
    for (unsigned i = 0; i < VIRTIO_MMIO_SLOTS; i++)
        irqs[i] = drv_irq(&d);
    ck_assert_msg(virtio_attach_slots(m, out, n, irqs, err, sizeof(err)), "%s", err);
    static const uint32_t want_id[VIRTIO_MMIO_SLOTS] = { 0, 0, 0, 0, 0, 2, 2, 4 };
    for (unsigned s = 0; s < VIRTIO_MMIO_SLOTS; s++) {
        drv_bind(&d, virtio_mmio_slot_base(s));
        ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
        ck_assert_uint_eq(rd(&d, VIRTIO_MMIO_DEVICE_ID), want_id[s]);
    }
    machine_free(m);
    unlink(img);
    free(img);
}
END_TEST

static void expect_error(const char *drive, const char *device, const char *needle)
{
    const char *drives[] = { drive };
    const char *devs[] = { device };
    VirtioDevSpec out[VIRTIO_MMIO_SLOTS];
    unsigned n;
    char err[256] = "";
    ck_assert(!parse(drives, drive ? 1 : 0, devs, device ? 1 : 0, out, &n, err));
    ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

START_TEST(test_parse_errors)
{
    char *img = img_create(1);
    char buf[1200], buf2[1200];
    snprintf(buf, sizeof(buf), "file=%s,bogus=1", img);
    expect_error(buf, NULL, "unknown parameter 'bogus'");
    expect_error(buf, NULL, "-drive ");
    snprintf(buf, sizeof(buf), "file=%s,format=qcow2,if=virtio", img);
    expect_error(buf, NULL, "format 'qcow2'");
    expect_error("file=/nonexistent/x.img,format=raw,if=virtio", NULL,
                 "-drive file=/nonexistent/x.img: No such file or directory");
    expect_error("format=raw,if=virtio", NULL, "file= is required");
    snprintf(buf, sizeof(buf), "file=%s,id=hd0,if=none", img);
    expect_error(buf, NULL, "not used by any device");
    snprintf(buf, sizeof(buf), "file=%s,id=hd0", img);
    expect_error(buf, "virtio-blk-device,drive=hd9", "drive 'hd9' not found");
    expect_error(buf, "virtio-blk-device", "drive= is required");
    expect_error(buf, "virtio-gpu-device", "unknown device 'virtio-gpu-device'");
    expect_error(buf, "virtio-net-device", "netdev= is required");
    expect_error(buf, "virtio-net-device,netdev=n0,mac=ff:ff:ff:ff:ff:ff", "not a unicast MAC");
    expect_error(buf, "virtio-blk-device,drive=x,netdev=n0", "unknown parameter 'netdev'");
    expect_error(NULL, "virtio-rng-device,foo=bar", "-device virtio-rng-device,foo=bar");
    snprintf(buf, sizeof(buf), "file=%s,if=ide", img);
    expect_error(buf, NULL, "if=ide");
    snprintf(buf, sizeof(buf), "file=%s,if=virtio,snapshot=maybe", img);
    expect_error(buf, NULL, "snapshot");
    snprintf(buf, sizeof(buf), "file=%s,id=hd0,if=virtio", img);
    expect_error(buf, "virtio-blk-device,drive=hd0", "already in use");

    /* Two drives with one id, and too many devices. */
    snprintf(buf, sizeof(buf), "file=%s,id=a,if=virtio", img);
    snprintf(buf2, sizeof(buf2), "file=%s,id=a,if=virtio", img);
    const char *drives[] = { buf, buf2 };
    VirtioDevSpec out[VIRTIO_MMIO_SLOTS];
    unsigned n;
    char err[256];
    ck_assert(!parse(drives, 2, NULL, 0, out, &n, err));
    ck_assert(strstr(err, "duplicate id") != NULL);
    const char *devs[9];
    for (int i = 0; i < 9; i++)
        devs[i] = "virtio-rng-device";
    ck_assert(!parse(NULL, 0, devs, 9, out, &n, err));
    ck_assert_msg(strstr(err, "too many virtio devices") != NULL, "%s", err);
    ck_assert(parse(NULL, 0, devs, 8, out, &n, err));

    /* ",," is a literal comma in a file name. */
    char *dir = strdup("/tmp/rewind-virtio-dir-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char comma[1100];
    snprintf(comma, sizeof(comma), "%s/a,b.img", dir);
    FILE *fp = fopen(comma, "wb");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    snprintf(buf, sizeof(buf), "file=%s/a,,b.img,if=virtio", dir);
    const char *dr[] = { buf };
    ck_assert_msg(parse(dr, 1, NULL, 0, out, &n, err), "%s", err);
    ck_assert_str_eq(out[0].blk.file, comma);
    unlink(comma);
    rmdir(dir);
    free(dir);
    unlink(img);
    free(img);
}
END_TEST

Suite *suite_virtio(void)
{
    Suite *s = suite_create("virtio");
    TCase *tc = tcase_create("virtio");
    tcase_add_test(tc, test_handshake_registers);
    tcase_add_test(tc, test_empty_slot);
    tcase_add_test(tc, test_blk_read);
    tcase_add_test(tc, test_blk_write_flush_getid);
    tcase_add_test(tc, test_blk_out_of_range);
    tcase_add_test(tc, test_blk_snapshot_keeps_file);
    tcase_add_test(tc, test_blk_readonly);
    tcase_add_test(tc, test_blk_indirect);
    tcase_add_test(tc, test_bad_descriptor_needs_reset);
    tcase_add_test(tc, test_dma_invalidates_code);
    tcase_add_test(tc, test_descriptor_loop_stays_in_request);
    tcase_add_test(tc, test_load_refuses_ready_queue_without_size);
    tcase_add_test(tc, test_rng_fills_buffer);
    tcase_add_test(tc, test_net_rx_queue_checkpoint);
    tcase_add_test(tc, test_machine_reset_resets_transport);
    tcase_add_test(tc, test_parse_ok_and_order);
    tcase_add_test(tc, test_parse_errors);
    suite_add_tcase(s, tc);
    return s;
}
