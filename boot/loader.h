/* Putting the firmware and kernel images into a machine and pointing the
 * harts at the first instruction. */
#ifndef REWIND_BOOT_LOADER_H
#define REWIND_BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/machine.h"

typedef struct BootConfig {
    const char *bios;   /* firmware path, or NULL for -bios none */
    const char *kernel; /* kernel path or NULL */
    const char *append; /* kernel command line or NULL */
    FILE *console;      /* where HTIF console output goes */
} BootConfig;

/* Where a kernel goes when a firmware runs first (OpenSBI fw_jump). */
#define BOOT_KERNEL_ADDR 0x80200000ULL

/* Load the images, set every hart's pc, a0 = hart id, a1 = device tree
 * address. Messages name the file at fault. */
bool boot_load(Machine *m, const BootConfig *bc, char *err, size_t errlen);

/* Read a whole file. Returns NULL with a message naming the file. */
uint8_t *boot_read_file(const char *path, size_t *size, char *err, size_t errlen);

#endif
