/* The virt machine's device tree, generated with libfdt's sequential-write
 * API from the machine configuration. It describes what OpenSBI's generic
 * platform and Linux look for (see /work/shared/reference/qemu-virt-7.2.dts
 * for QEMU's): harts with their interrupt controllers, RAM, CLINT, PLIC,
 * UART, goldfish RTC, the test finisher as syscon with poweroff/reboot
 * nodes, the eight virtio-mmio slots, and /chosen. No rng-seed: it would
 * make the guest nondeterministic. */
#ifndef REWIND_BOOT_FDT_H
#define REWIND_BOOT_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTFDT_MMU_TYPE "riscv,sv48"
#define BOOTFDT_TIMEBASE_HZ 10000000u
#define BOOTFDT_MODEL "riscv-virtio,rewind"
/* The UART's PLIC source on virt. */
enum { BOOTFDT_UART_IRQ = 10 };

typedef struct FdtConfig {
    unsigned nharts;
    uint64_t ram_base, ram_size;
    const char *bootargs;             /* NULL: no bootargs property */
    uint64_t initrd_start, initrd_end; /* both 0: no initrd */
    uint64_t isa_ext;                  /* -cpu: riscv,isa (core/isa.h) */
} FdtConfig;

/* Build the blob. Returns malloc'd memory holding a valid, packed tree of
 * *size bytes (fdt_totalsize; a firmware that adds nodes makes room with
 * fdt_open_into, as OpenSBI does); NULL with a message in err on failure. */
void *bootfdt_build(const FdtConfig *cfg, size_t *size, char *err, size_t errlen);

/* Write a blob to path (for --dumpdtb). Messages name the file. */
bool bootfdt_write_file(const char *path, const void *blob, size_t size, char *err,
                        size_t errlen);

#endif
