/* Getting images into guest RAM: ELF executables at their own addresses,
 * Linux RISC-V Image files and raw binaries at a given address, and the
 * initial ramdisk. An image is read and checked once (boot_image_open),
 * placed (boot_image_place: where it will go, checked against RAM), and
 * copied into RAM as often as needed (boot_image_load: at boot and after
 * every machine reset, from the same bytes). */
#ifndef REWIND_BOOT_LOADER_H
#define REWIND_BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "boot/elf.h"
#include "core/machine.h"

/* Where a kernel goes when a firmware runs first (OpenSBI fw_jump). */
#define BOOT_KERNEL_ADDR 0x80200000ULL

typedef enum {
    BOOT_IMAGE_RAW = 0, /* flat binary */
    BOOT_IMAGE_ELF,     /* RV64 ELF executable */
    BOOT_IMAGE_LINUX,   /* Linux RISC-V Image (flat, with its header) */
} BootImageKind;

typedef struct BootImage {
    const char *path;   /* for messages */
    const char *option; /* "-bios", "-kernel", "-initrd" */
    uint8_t *data;
    size_t size;
    BootImageKind kind;
    ElfImage elf;        /* kind == BOOT_IMAGE_ELF */
    /* After boot_image_place: the RAM span [lo, hi) it occupies and its
     * first instruction. For a Linux Image, hi covers the header's
     * image_size (text, data and bss), not just the file. */
    uint64_t lo, hi, entry;
} BootImage;

/* Linux RISC-V Image header (Documentation/riscv/boot-image-header.rst). */
enum { BOOT_LINUX_MAGIC_OFF = 0x30, BOOT_LINUX_MAGIC2_OFF = 0x38,
       BOOT_LINUX_HEADER_SIZE = 0x40 };

/* How boot_image_open looks at a file. */
enum {
    /* Refuse kernels for another architecture and compressed kernels,
     * with a message saying which (an ELF for another machine is always
     * refused). */
    BOOT_OPEN_KERNEL = 1,
    /* Data, not code (initrd): always BOOT_IMAGE_RAW. */
    BOOT_OPEN_DATA = 2,
};

/* Read path and find out what it is. Messages start with "OPTION PATH". */
bool boot_image_open(BootImage *img, const char *option, const char *path,
                     unsigned flags, char *err, size_t errlen);

/* Decide where the image goes: ELF at its own addresses, the others at
 * raw_addr. Fails (naming the image) if it does not lie wholly in RAM. */
bool boot_image_place(BootImage *img, const Memory *mem, uint64_t raw_addr,
                      char *err, size_t errlen);

/* Copy the placed image into RAM. An ELF that defines tohost gets HTIF
 * (once per machine; console output to `console`). */
bool boot_image_load(const BootImage *img, Machine *m, FILE *console, char *err,
                     size_t errlen);

/* Do two placed images overlap? */
bool boot_image_overlaps(const BootImage *a, const BootImage *b);

void boot_image_free(BootImage *img);

/* Point every hart at entry with a0 = hart id, a1 = device tree address:
 * the state the reset vector hands to the firmware. */
void boot_set_harts(Machine *m, uint64_t entry, uint64_t fdt_addr);

/* Read a whole file. Returns NULL with a message naming the file. */
uint8_t *boot_read_file(const char *path, size_t *size, char *err, size_t errlen);

#endif
