/* The machine of the guest-side harnesses (fuzz_virtio, fuzz_mmio): the
 * `virt` board as `rewind run` builds it (boot/virt.c: CLINT, PLIC, UART,
 * goldfish RTC, syscon, the boot ROM, eight virtio-mmio slots), with
 *   slot 7 (0x10008000) virtio-blk on a writable image (a memory file, so
 *                       the guest's writes reach pwrite without the disk),
 *   slot 6 (0x10007000) virtio-rng,
 *   slot 5 (0x10006000) virtio-blk with snapshot=on (the overlay),
 * the others empty, and HTIF's tohost/fromhost mapped in RAM (as an ELF
 * with a tohost symbol gets it). The images are GM_IMAGE_SIZE bytes.
 * RAM is small (GM_RAM_SIZE) so that a snapshot restore per input is cheap.
 *
 * Guest accesses go through gm_mmio(), which does what a hart's load or
 * store does (core/mmu.c phys_read/phys_write): the region that contains
 * the address, the access refused when it runs past the region's end. */
#ifndef REWIND_TESTS_FUZZ_GUEST_MACHINE_H
#define REWIND_TESTS_FUZZ_GUEST_MACHINE_H

#include "tests/fuzz/fuzz_support.h"

#include <string.h>

#include "boot/virt.h"
#include "core/machine.h"
#include "core/memory.h"
#include "core/snapshot.h"
#include "devices/htif.h"
#include "devices/virtio_mmio.h"

#define GM_RAM_SIZE (4ull << 20)
#define GM_IMAGE_SIZE (64u << 10)
#define GM_HTIF_TOHOST (MEM_RAM_BASE + 0x100000)

enum { GM_NDEVS = 3 };
static const unsigned gm_dev_slot[GM_NDEVS] = { 7, 6, 5 };

/* A memory file of n bytes of a pattern, named /proc/self/fd/N. */
static inline void gm_memfile(char *path, size_t cap, const char *name, const uint8_t *data,
                              size_t n)
{
    int fd = memfd_create(name, 0);
    if (fd < 0 || ftruncate(fd, (off_t)n) != 0 ||
        (n && pwrite(fd, data, n, 0) != (ssize_t)n)) {
        perror("fuzz: memory file");
        abort();
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
}

static inline Machine *gm_build(void)
{
    static char kernel[64], img0[64], img1[64], d0[160], d1[160];
    static uint8_t pattern[GM_IMAGE_SIZE];
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7 + (i >> 9));
    static const uint8_t loop[4] = { 0x6f, 0x00, 0x00, 0x00 }; /* j . */
    gm_memfile(kernel, sizeof(kernel), "kernel", loop, sizeof(loop));
    gm_memfile(img0, sizeof(img0), "img0", pattern, sizeof(pattern));
    gm_memfile(img1, sizeof(img1), "img1", pattern, sizeof(pattern));
    snprintf(d0, sizeof(d0), "file=%s,format=raw,id=hd0", img0);
    snprintf(d1, sizeof(d1), "file=%s,format=raw,id=hd1,snapshot=on", img1);
    static const char *drives[2];
    drives[0] = d0, drives[1] = d1;
    static const char *const devices[] = { "virtio-blk-device,drive=hd0,serial=fuzz",
                                           "virtio-rng-device",
                                           "virtio-blk-device,drive=hd1" };
    FILE *null = fopen("/dev/null", "w");
    if (!null)
        abort();
    char err[256];
    MachineConfig cfg = { .ram_size = GM_RAM_SIZE, .nharts = 1, .quantum = 1000,
                          .code_buffer_size = 1 << 20 };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    VirtConfig vc = { .kernel = kernel, .serial = "null", .rtc = "base=2020-01-01T00:00:00",
                      .drives = drives, .ndrives = 2, .devices = devices, .ndevices = 3,
                      .console = null };
    if (!m || !virt_build(m, &vc, err, sizeof(err)) ||
        !(m->htif = htif_new(m, GM_HTIF_TOHOST, GM_HTIF_TOHOST + 8, null, err, sizeof(err)))) {
        fprintf(stderr, "fuzz: the machine: %s\n", err);
        abort();
    }
    return m;
}

/* A hart's access to physical address pa (core/mmu.c phys_read and
 * phys_write): false when no device or RAM accepts it. */
static inline bool gm_mmio(Machine *m, uint64_t pa, unsigned size, bool write, uint64_t *val)
{
    MmioRegion *r = memory_find_mmio(&m->mem, pa);
    if (r) {
        if (pa - r->base > r->size - size)
            return false;
        if (write)
            return r->ops->write && r->ops->write(r->opaque, pa - r->base, size, *val);
        return r->ops->read && r->ops->read(r->opaque, pa - r->base, size, val);
    }
    if (size > 1 && memory_find_mmio(&m->mem, pa + size - 1))
        return false;
    uint8_t *p = memory_ram_ptr(&m->mem, pa, size);
    if (!p)
        return false;
    if (write) {
        machine_ram_written(m, pa, size);
        memcpy(p, val, size); /* little-endian host (configure checks) */
    } else {
        *val = 0;
        memcpy(val, p, size);
    }
    return true;
}

/* Time passes: the clock moves on by ticks of mtime (100 ns each) and the
 * devices' tick hooks run, as between two slices of the run loop. */
static inline void gm_pass_time(Machine *m, uint64_t ticks)
{
    m->mtime_skipped += ticks;
    machine_tick_devices(m);
}

/* The input as a stream of fields; reads past its end give zeros. */
typedef struct GmInput {
    const uint8_t *p;
    size_t n;
} GmInput;

static inline uint64_t gm_take(GmInput *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        if (in->n) {
            v |= (uint64_t)*in->p << (8 * i);
            in->p++, in->n--;
        }
    }
    return v;
}

#endif
