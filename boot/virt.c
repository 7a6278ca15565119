/* Assembling the virt machine: devices, device tree, images. */
#include "boot/virt.h"

#include <stdlib.h>
#include <string.h>

#include "boot/bootrom.h"
#include "boot/fdt.h"
#include "boot/loader.h"
#include "devices/chardev.h"
#include "devices/clint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/syscon.h"
#include "devices/uart.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"

#define MiB (1ULL << 20)
/* QEMU keeps the device tree below 3 GiB so that 32-bit code can reach
 * it; we do the same so that both machines put it at the same address. */
#define FDT_CEILING 0xc0000000ULL
#define FDT_ALIGN (2 * MiB)
/* Where QEMU puts the initrd: this far above the kernel (at most). */
#define INITRD_OFFSET_MAX (128 * MiB)
#define PAGE 0x1000ULL
/* OpenSBI's fw_jump for the generic platform copies the device tree here
 * (FW_JUMP_FDT_ADDR = firmware base + 0x2200000) before starting the
 * kernel: with a firmware, the initrd must stay out of that window. */
#define FW_JUMP_FDT_ADDR (MEM_RAM_BASE + 0x2200000ULL)

/* Everything needed to load the machine again after a reset: the image
 * bytes as read at start-up (never re-read, so a reboot sees what the
 * first boot saw), the blob and the addresses. Owned by the machine
 * through a MachineDevice record. */
typedef struct VirtBoot {
    BootImage bios, kernel, initrd;
    bool has_bios, has_kernel, has_initrd;
    void *fdt;
    BootRom *rom;
    FILE *console;
    VirtLayout layout;
} VirtBoot;

static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static void virt_boot_free(void *opaque)
{
    VirtBoot *vb = opaque;
    boot_image_free(&vb->bios);
    boot_image_free(&vb->kernel);
    boot_image_free(&vb->initrd);
    free(vb->fdt);
    free(vb);
}

/* Copy everything into (zeroed) RAM and point the harts at the entry.
 * Runs at start-up and as m->reload after every machine reset. */
static bool virt_reload(Machine *m, void *ctx, char *err, size_t errlen)
{
    VirtBoot *vb = ctx;
    if (vb->has_bios && !boot_image_load(&vb->bios, m, vb->console, err, errlen))
        return false;
    if (vb->has_kernel && !boot_image_load(&vb->kernel, m, vb->console, err, errlen))
        return false;
    if (vb->has_initrd && !boot_image_load(&vb->initrd, m, vb->console, err, errlen))
        return false;
    uint8_t *dst = memory_ram_ptr(&m->mem, vb->layout.fdt_addr, vb->layout.fdt_size);
    if (!dst) {
        snprintf(err, errlen, "device tree at 0x%llx is outside RAM",
                 (unsigned long long)vb->layout.fdt_addr);
        return false;
    }
    memcpy(dst, vb->fdt, vb->layout.fdt_size);
    boot_set_harts(m, vb->layout.entry, vb->layout.fdt_addr);
    return true;
}

const VirtLayout *virt_layout(const Machine *m)
{
    if (m->reload != virt_reload || !m->reload_ctx)
        return NULL;
    return &((const VirtBoot *)m->reload_ctx)->layout;
}

static bool describe_overlap(const BootImage *a, const BootImage *b, char *err,
                             size_t errlen)
{
    snprintf(err, errlen, "%s %s (0x%llx-0x%llx) overlaps %s %s (0x%llx-0x%llx)",
             a->option, a->path, (unsigned long long)a->lo, (unsigned long long)a->hi,
             b->option, b->path, (unsigned long long)b->lo, (unsigned long long)b->hi);
    return false;
}

/* Read and place the firmware and the kernel; set the entry point. */
static bool open_images(VirtBoot *vb, Machine *m, const VirtConfig *cfg, char *err,
                        size_t errlen)
{
    const Memory *mem = &m->mem;
    if (cfg->bios) {
        if (!boot_image_open(&vb->bios, "-bios", cfg->bios, 0, err, errlen))
            return false;
        vb->has_bios = true;
        if (!boot_image_place(&vb->bios, mem, MEM_RAM_BASE, err, errlen))
            return false;
        vb->layout.entry = vb->bios.entry;
        if (cfg->kernel) {
            if (!boot_image_open(&vb->kernel, "-kernel", cfg->kernel, BOOT_OPEN_KERNEL,
                                 err, errlen))
                return false;
            vb->has_kernel = true;
            if (!boot_image_place(&vb->kernel, mem, BOOT_KERNEL_ADDR, err, errlen))
                return false;
            if (boot_image_overlaps(&vb->bios, &vb->kernel))
                return describe_overlap(&vb->kernel, &vb->bios, err, errlen);
        }
    } else {
        if (!cfg->kernel) {
            if (cfg->dumpdtb)
                return true; /* a tree can be dumped without images */
            snprintf(err, errlen, "-bios none needs -kernel FILE: nothing to run");
            return false;
        }
        if (!boot_image_open(&vb->kernel, "-kernel", cfg->kernel, BOOT_OPEN_KERNEL, err,
                             errlen))
            return false;
        vb->has_kernel = true;
        if (vb->kernel.kind == BOOT_IMAGE_LINUX) {
            snprintf(err, errlen, "-kernel %s: a Linux Image needs a firmware to start "
                     "it in S mode: add -bios %s", cfg->kernel, VIRT_OPENSBI_FW_JUMP);
            return false;
        }
        if (!boot_image_place(&vb->kernel, mem, MEM_RAM_BASE, err, errlen))
            return false;
        vb->layout.entry = vb->kernel.entry;
    }
    if (vb->has_kernel) {
        vb->layout.kernel_lo = vb->kernel.lo;
        vb->layout.kernel_hi = vb->kernel.hi;
    }
    if (cfg->initrd) {
        if (!vb->has_kernel) {
            snprintf(err, errlen, "-initrd %s needs -kernel FILE", cfg->initrd);
            return false;
        }
        if (!boot_image_open(&vb->initrd, "-initrd", cfg->initrd, BOOT_OPEN_DATA, err,
                             errlen))
            return false;
        vb->has_initrd = true;
    }
    return true;
}

static bool build_fdt(VirtBoot *vb, Machine *m, const VirtConfig *cfg, char *err,
                      size_t errlen)
{
    FdtConfig fc = { .nharts = m->nharts, .ram_base = m->mem.ram_base,
                     .ram_size = m->mem.ram_size, .bootargs = cfg->append,
                     .initrd_start = vb->layout.initrd_start,
                     .initrd_end = vb->layout.initrd_end, .isa_ext = m->cfg.isa_ext };
    size_t size;
    void *blob = bootfdt_build(&fc, &size, err, errlen);
    if (!blob)
        return false;
    free(vb->fdt);
    vb->fdt = blob;
    vb->layout.fdt = blob;
    vb->layout.fdt_size = size;
    return true;
}

/* The device tree at the end of RAM, the initrd below it; then the final
 * tree with the initrd addresses in /chosen. */
static bool place_fdt_and_initrd(VirtBoot *vb, Machine *m, const VirtConfig *cfg,
                                 char *err, size_t errlen)
{
    uint64_t ram_lo = m->mem.ram_base, ram_hi = ram_lo + m->mem.ram_size;
    uint64_t images_end = ram_lo;
    if (vb->has_bios && vb->bios.hi > images_end)
        images_end = vb->bios.hi;
    if (vb->has_kernel && vb->kernel.hi > images_end)
        images_end = vb->kernel.hi;
    images_end = align_up(images_end, PAGE);

    /* The tree's size does not depend on the initrd addresses (two 64-bit
     * cells each), so a first build with dummy values gives the size. */
    if (vb->has_initrd) {
        vb->layout.initrd_start = ram_lo;
        vb->layout.initrd_end = ram_lo + vb->initrd.size;
    }
    if (!build_fdt(vb, m, cfg, err, errlen))
        return false;
    uint64_t size = vb->layout.fdt_size;
    uint64_t top = ram_lo < FDT_CEILING && ram_hi > FDT_CEILING ? FDT_CEILING : ram_hi;
    uint64_t fdt = top >= ram_lo + size ? align_down(top - size, FDT_ALIGN) : 0;
    if (fdt < images_end) /* small RAM: give up the 2 MiB alignment */
        fdt = top >= ram_lo + size ? align_down(top - size, PAGE) : 0;
    if (fdt < images_end) {
        snprintf(err, errlen, "-m: %llu bytes of RAM leave no room for the device tree "
                 "(%llu bytes) above the images (which end at 0x%llx)",
                 (unsigned long long)m->mem.ram_size, (unsigned long long)size,
                 (unsigned long long)images_end);
        return false;
    }
    vb->layout.fdt_addr = fdt;
    if (!vb->has_initrd)
        return true;

    /* QEMU's spot (above the kernel by half the RAM, at most 128 MiB) when
     * it fits, else as high as possible under the device tree. Nothing may
     * go below `floor`: the images, and with a firmware its copy of the
     * device tree. */
    uint64_t floor = images_end;
    if (vb->has_bios && floor < align_up(FW_JUMP_FDT_ADDR + size, PAGE))
        floor = align_up(FW_JUMP_FDT_ADDR + size, PAGE);
    uint64_t isize = vb->initrd.size;
    uint64_t half = m->mem.ram_size / 2;
    uint64_t start = vb->kernel.lo + (half < INITRD_OFFSET_MAX ? half : INITRD_OFFSET_MAX);
    if (start < floor || start + isize > fdt)
        start = fdt >= isize ? align_down(fdt - isize, PAGE) : 0;
    if (start < floor) {
        snprintf(err, errlen, "-initrd %s: %llu bytes do not fit in RAM: %llu bytes free "
                 "between 0x%llx (%s) and the device tree at 0x%llx; use a larger -m",
                 cfg->initrd, (unsigned long long)isize,
                 (unsigned long long)(fdt > floor ? fdt - floor : 0),
                 (unsigned long long)floor,
                 floor == images_end ? "end of the kernel" : "the firmware's device tree",
                 (unsigned long long)fdt);
        return false;
    }
    if (!boot_image_place(&vb->initrd, &m->mem, start, err, errlen))
        return false;
    vb->layout.initrd_start = start;
    vb->layout.initrd_end = start + isize;
    return build_fdt(vb, m, cfg, err, errlen);
}

/* The NICs: -nic options become a netdev and a NIC each (after the
 * -device ones, in order); every NIC gets its netdev's configuration and
 * its number among the NICs. */
static bool add_net_specs(const VirtConfig *cfg, VirtioDevSpec *specs, unsigned *nspecs,
                          char *err, size_t errlen)
{
    if (cfg->nnetdevs + cfg->nnics > NETDEV_MAX) {
        snprintf(err, errlen, "-netdev/-nic: at most %d netdevs", NETDEV_MAX);
        return false;
    }
    NetdevSpec nds[NETDEV_MAX];
    unsigned nnd = 0;
    for (unsigned i = 0; i < cfg->nnetdevs; i++)
        if (!netdev_parse(cfg->netdevs[i], &nds[nnd++], err, errlen))
            return false;
    unsigned nic_no = 0;
    for (unsigned i = 0; i < *nspecs; i++)
        if (specs[i].kind == VIRTIO_DEV_NET)
            nic_no++;
    for (unsigned i = 0; i < cfg->nnics; i++) {
        if (*nspecs == VIRTIO_MMIO_SLOTS) {
            snprintf(err, errlen, "-nic %s: too many virtio devices (at most %d)",
                     cfg->nics[i], VIRTIO_MMIO_SLOTS);
            return false;
        }
        VirtioDevSpec *sp = &specs[(*nspecs)++];
        memset(sp, 0, sizeof(*sp));
        sp->kind = VIRTIO_DEV_NET;
        if (!netdev_parse_nic(cfg->nics[i], nic_no++, &nds[nnd++], &sp->nic, err, errlen))
            return false;
    }
    NetNicSpec nics[VIRTIO_MMIO_SLOTS];
    unsigned nnics = 0;
    for (unsigned i = 0; i < *nspecs; i++)
        if (specs[i].kind == VIRTIO_DEV_NET)
            nics[nnics++] = specs[i].nic;
    if (!netdev_resolve(nds, nnd, nics, nnics, err, errlen))
        return false;
    for (unsigned i = 0; i < cfg->nobjects; i++) {
        NetFilterDump fd;
        if (!netdev_parse_filter_dump(cfg->objects[i], &fd, err, errlen))
            return false;
        NetNicSpec *nic = NULL;
        for (unsigned k = 0; k < nnics && !nic; k++)
            if (!strcmp(nics[k].netdev.id, fd.netdev))
                nic = &nics[k];
        if (!nic) {
            snprintf(err, errlen, "-object %s: netdev '%s' not found", cfg->objects[i],
                     fd.netdev);
            return false;
        }
        if (nic->dump.file[0]) {
            snprintf(err, errlen, "-object %s: netdev '%s' already has a filter-dump",
                     cfg->objects[i], fd.netdev);
            return false;
        }
        nic->dump = fd;
    }
    for (unsigned i = 0, k = 0; i < *nspecs; i++)
        if (specs[i].kind == VIRTIO_DEV_NET) {
            specs[i].nic = nics[k];
            specs[i].nic_index = k++;
        }
    return true;
}

/* Every device of the board. The serial backend comes last: a tcp server
 * backend waits for its client, which should happen only once everything
 * else is known to be right. */
static bool add_devices(Machine *m, const VirtConfig *cfg, char *err, size_t errlen)
{
    int64_t rtc_base_ns;
    if (!rtc_parse_base(cfg->rtc, &rtc_base_ns, err, errlen))
        return false;
    VirtioDevSpec specs[VIRTIO_MMIO_SLOTS];
    unsigned nspecs = 0;
    if (!virtio_blk_parse_drives(cfg->drives, cfg->ndrives, cfg->devices, cfg->ndevices,
                                 specs, VIRTIO_MMIO_SLOTS, &nspecs, err, errlen) ||
        !add_net_specs(cfg, specs, &nspecs, err, errlen))
        return false;

    if (!syscon_new(m, MEM_TEST_BASE, err, errlen))
        return false;
    Plic *plic = plic_new(m, PLIC_BASE, m->nharts, err, errlen);
    if (!plic)
        return false;
    if (!clint_new(m, CLINT_BASE, err, errlen))
        return false;
    if (!goldfish_rtc_new(m, GOLDFISH_RTC_BASE, plic_irq(plic, GOLDFISH_RTC_IRQ),
                          rtc_base_ns, err, errlen))
        return false;
    IrqLine irqs[VIRTIO_MMIO_SLOTS];
    for (unsigned slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++)
        irqs[slot] = plic_irq(plic, virtio_mmio_slot_irq(slot));
    if (!virtio_attach_slots(m, specs, nspecs, irqs, err, errlen))
        return false;

    CharDev *cd = chardev_new(m, cfg->serial, err, errlen);
    if (!cd)
        return false;
    if (!uart_new(m, MEM_UART_BASE, plic_irq(plic, BOOTFDT_UART_IRQ), cd, err, errlen)) {
        chardev_free(cd);
        return false;
    }
    return true;
}

bool virt_build(Machine *m, const VirtConfig *cfg, char *err, size_t errlen)
{
    VirtBoot *vb = calloc(1, sizeof(*vb));
    if (!vb) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    vb->console = cfg->console ? cfg->console : stdout;
    MachineDevice dev = { .name = "boot", .opaque = vb, .free = virt_boot_free };
    if (!machine_add_device(m, &dev)) {
        free(vb);
        snprintf(err, errlen, "too many devices");
        return false;
    }
    m->reload = virt_reload;
    m->reload_ctx = vb;

    /* Images first: their errors are the likeliest and need no device. */
    if (!open_images(vb, m, cfg, err, errlen) ||
        !place_fdt_and_initrd(vb, m, cfg, err, errlen))
        return false;
    if (cfg->dumpdtb)
        return bootfdt_write_file(cfg->dumpdtb, vb->fdt, vb->layout.fdt_size, err, errlen);
    vb->rom = bootrom_new(m, BOOTROM_BASE, vb->layout.entry, vb->layout.fdt_addr, err,
                          errlen);
    if (!vb->rom || !add_devices(m, cfg, err, errlen))
        return false;
    return virt_reload(m, vb, err, errlen);
}
