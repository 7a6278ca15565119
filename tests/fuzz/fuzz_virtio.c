/* Fuzz the virtqueues of virtio-blk and virtio-rng (devices/virtio_mmio.c,
 * virtio_blk.c, virtio_rng.c) as a malicious guest driver would drive
 * them: the input programs the transports through their MMIO registers,
 * writes guest RAM (descriptor tables, rings, indirect tables, request
 * headers), notifies, and lets time pass. Descriptor loops, lengths that
 * wrap, addresses outside RAM, indirect tables inside indirect tables,
 * queue sizes and ring addresses are all the fuzzer's. ASan checks that
 * no access leaves guest RAM and the images.
 *
 * The machine is tests/fuzz/guest_machine.h's (blk at 0x10008000, rng at
 * 0x10007000, blk with an overlay at 0x10006000), put back for each input
 * to a snapshot taken after it was built.
 *
 * Input: a stream of operations, each a byte `op` then its fields
 * (little-endian; missing bytes read as 0). `dev` is a byte (% 3) picking
 * one of the three devices. An address field is a selector byte and 8
 * bytes, mapped so that the fuzzer finds the edges (gm_addr): inside the
 * first 64 KiB of RAM, just below the end of RAM, just below RAM, or any
 * 64-bit value.
 *   0 reg write   dev, offset byte (x4: every register and the config),
 *                 u32 value
 *   1 reg read    dev, u16 offset (& 0xfff), size byte (1 << (b % 4))
 *   2 RAM write   u16 offset into the window, count byte (% 64), bytes
 *   3 descriptor  table selector (0-2: that device's queue 0 table, 3: a
 *                 table at an address), index byte, address, u32 length,
 *                 flags byte (& 7), u16 next
 *   4 avail       dev, u16 head: appended to queue 0's available ring
 *   5 setup       dev, size byte (QueueNum = 1 << (b % 10), so also too
 *                 big), features u32 (high word VERSION_1), three address
 *                 selectors (the default layout in the window for 0),
 *                 then the whole driver start-up through the registers
 *   6 notify      dev, queue byte
 *   7 time        u16 ticks of mtime
 * An input is at most MAX_OPS operations. */
#include "tests/fuzz/guest_machine.h"

enum { MAX_OPS = 256, WINDOW = 0x10000 };

static Machine *machine;
static Snapshot *start;

/* The driver's view of queue 0 of each device. */
typedef struct GuestQueue {
    uint64_t desc, avail, used;
    uint32_t num;
    uint16_t avail_idx;
} GuestQueue;

static uint64_t dev_base(unsigned dev)
{
    return virtio_mmio_slot_base(gm_dev_slot[dev % GM_NDEVS]);
}

static uint64_t gm_addr(GmInput *in)
{
    unsigned sel = (unsigned)gm_take(in, 1);
    uint64_t raw = gm_take(in, 8);
    switch (sel % 4) {
    case 0:
        return MEM_RAM_BASE + (raw % WINDOW);
    case 1:
        return MEM_RAM_BASE + GM_RAM_SIZE - (raw & 0xffff);
    case 2:
        return MEM_RAM_BASE - (raw & 0xfff);
    default:
        return raw;
    }
}

static void reg_write(unsigned dev, uint64_t off, uint32_t val)
{
    uint64_t v = val;
    gm_mmio(machine, dev_base(dev) + off, 4, true, &v);
}

static void ram_put(uint64_t pa, const void *bytes, size_t n)
{
    uint8_t *p = memory_ram_ptr(&machine->mem, pa, n);
    if (p) {
        machine_ram_written(machine, pa, n);
        memcpy(p, bytes, n);
    }
}

/* The whole start-up of a driver: reset, ACKNOWLEDGE, DRIVER, features,
 * FEATURES_OK, queue 0, DRIVER_OK. */
static void setup(GmInput *in, GuestQueue *gq)
{
    unsigned dev = (unsigned)gm_take(in, 1) % GM_NDEVS;
    uint32_t num = 1u << (gm_take(in, 1) % 10);
    uint32_t features = (uint32_t)gm_take(in, 4);
    GuestQueue *q = &gq[dev];
    uint64_t layout = MEM_RAM_BASE + 0x4000 * dev;
    uint64_t a[3];
    for (int i = 0; i < 3; i++) {
        GmInput save = *in;
        a[i] = gm_addr(in);
        if (save.n == 0 || save.p[0] == 0) /* selector 0 with a 0: the default */
            a[i] = layout + 0x1000 * (uint64_t)i;
    }
    q->desc = a[0], q->avail = a[1], q->used = a[2], q->num = num, q->avail_idx = 0;
    reg_write(dev, VIRTIO_MMIO_STATUS, 0);
    reg_write(dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, features);
    reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    reg_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
    reg_write(dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                           VIRTIO_STATUS_FEATURES_OK);
    reg_write(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
    reg_write(dev, VIRTIO_MMIO_QUEUE_NUM, num);
    reg_write(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
    reg_write(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
    reg_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
    reg_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32));
    reg_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
    reg_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32));
    reg_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
    reg_write(dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                           VIRTIO_STATUS_FEATURES_OK |
                                           VIRTIO_STATUS_DRIVER_OK);
    fuzz_note("setup dev %u num %u desc %#llx avail %#llx used %#llx\n", dev, num,
              (unsigned long long)q->desc, (unsigned long long)q->avail,
              (unsigned long long)q->used);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    machine = gm_build();
    start = snapshot_take(machine);
    if (!start)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (!snapshot_restore(machine, start, err, sizeof(err))) {
        fprintf(stderr, "fuzz: snapshot_restore: %s\n", err);
        abort();
    }
    GuestQueue gq[GM_NDEVS] = { 0 };
    GmInput in = { data, size };
    for (unsigned ops = 0; in.n && ops < MAX_OPS; ops++) {
        unsigned op = (unsigned)gm_take(&in, 1) % 8;
        switch (op) {
        case 0: {
            unsigned dev = (unsigned)gm_take(&in, 1);
            uint64_t off = 4 * gm_take(&in, 1);
            reg_write(dev, off, (uint32_t)gm_take(&in, 4));
            break;
        }
        case 1: {
            unsigned dev = (unsigned)gm_take(&in, 1);
            uint64_t off = gm_take(&in, 2) & 0xfff;
            unsigned sz = 1u << (gm_take(&in, 1) % 4);
            uint64_t v = 0;
            gm_mmio(machine, dev_base(dev) + off, sz, false, &v);
            fuzz_sink += v;
            break;
        }
        case 2: {
            uint64_t off = gm_take(&in, 2);
            size_t n = gm_take(&in, 1) % 64;
            uint8_t bytes[64];
            for (size_t i = 0; i < n; i++)
                bytes[i] = (uint8_t)gm_take(&in, 1);
            ram_put(MEM_RAM_BASE + off, bytes, n);
            break;
        }
        case 3: {
            unsigned sel = (unsigned)gm_take(&in, 1) % 4;
            unsigned idx = (unsigned)gm_take(&in, 1);
            uint64_t table = sel < GM_NDEVS ? gq[sel].desc : gm_addr(&in);
            uint8_t d[16];
            uint64_t addr = gm_addr(&in);
            uint32_t len = (uint32_t)gm_take(&in, 4);
            uint16_t flags = (uint16_t)(gm_take(&in, 1) & 7);
            uint16_t next = (uint16_t)gm_take(&in, 2);
            memcpy(d, &addr, 8);
            memcpy(d + 8, &len, 4);
            memcpy(d + 12, &flags, 2);
            memcpy(d + 14, &next, 2);
            ram_put(table + 16ull * idx, d, sizeof(d));
            break;
        }
        case 4: {
            GuestQueue *q = &gq[gm_take(&in, 1) % GM_NDEVS];
            uint16_t head = (uint16_t)gm_take(&in, 2);
            if (q->num) {
                ram_put(q->avail + 4 + 2ull * (q->avail_idx % q->num), &head, 2);
                q->avail_idx++;
                ram_put(q->avail + 2, &q->avail_idx, 2);
            }
            break;
        }
        case 5:
            setup(&in, gq);
            break;
        case 6: {
            unsigned dev = (unsigned)gm_take(&in, 1);
            reg_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)gm_take(&in, 1) % 2);
            break;
        }
        default:
            gm_pass_time(machine, gm_take(&in, 2));
            break;
        }
    }
    for (unsigned dev = 0; dev < GM_NDEVS; dev++) {
        uint64_t v = 0;
        gm_mmio(machine, dev_base(dev) + VIRTIO_MMIO_STATUS, 4, false, &v);
        fuzz_note("dev %u status %#llx\n", dev, (unsigned long long)v);
    }
    return 0;
}
