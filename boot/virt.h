/* The `virt` machine: every device of QEMU's riscv virt board that rewind
 * models, wired to the PLIC and CLINT, its device tree, and the images.
 *
 * Boot flow (as QEMU with -bios FILE / -bios none):
 *   -bios FILE   firmware (ELF, or raw at 0x80000000) runs first, in M mode;
 *                -kernel goes to 0x80200000 (raw or Linux Image) or to its
 *                ELF addresses, for the firmware to jump to (fw_jump).
 *   -bios none   -kernel (ELF, or raw at 0x80000000) runs first, in M mode.
 *                A Linux Image needs a firmware: refused with a hint.
 * The device tree is placed at the end of RAM (2 MiB aligned, below 3 GiB
 * as QEMU), the initrd right below it. Every hart starts at the first
 * image's entry with a0 = hart id and a1 = device tree address: the state
 * the reset vector at 0x1000 would leave (boot/bootrom.h). */
#ifndef REWIND_BOOT_VIRT_H
#define REWIND_BOOT_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/machine.h"

/* Debian's OpenSBI build for the generic platform (the hint we print). */
#define VIRT_OPENSBI_FW_JUMP "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"

typedef struct VirtConfig {
    const char *bios;    /* firmware path, NULL for -bios none */
    const char *kernel;  /* NULL: none */
    const char *initrd;  /* NULL: none */
    const char *append;  /* kernel command line, NULL: none */
    const char *serial;  /* -serial spec, NULL: stdio */
    const char *rtc;     /* -rtc spec, NULL: base=utc */
    const char *const *drives;  /* -drive options, unparsed */
    unsigned ndrives;
    const char *const *devices; /* -device options, unparsed */
    unsigned ndevices;
    const char *const *netdevs; /* -netdev options, unparsed */
    unsigned nnetdevs;
    const char *const *nics;    /* -nic options, unparsed */
    unsigned nnics;
    const char *const *objects; /* -object options (filter-dump), unparsed */
    unsigned nobjects;
    const char *dumpdtb; /* write the device tree here (the caller then
                          * exits without running) */
    FILE *console;       /* HTIF console output */
} VirtConfig;

/* Create and wire the devices of m, build the device tree, load the
 * images and point the harts at them; set m->reload so that a reboot
 * loads the same bytes again. Messages name the option or file at fault.
 * On failure m may hold some devices: free it with machine_free. */
bool virt_build(Machine *m, const VirtConfig *cfg, char *err, size_t errlen);

/* Where things went (for tests, the boot walkthrough and the debugger). */
typedef struct VirtLayout {
    uint64_t entry;                    /* first instruction of every hart */
    uint64_t fdt_addr, fdt_size;
    uint64_t kernel_lo, kernel_hi;     /* 0, 0 without -kernel */
    uint64_t initrd_start, initrd_end; /* 0, 0 without -initrd */
    const void *fdt;                   /* the blob (fdt_size bytes) */
} VirtLayout;

/* The layout of a machine built by virt_build, or NULL for another. */
const VirtLayout *virt_layout(const Machine *m);

#endif
