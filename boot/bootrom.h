/* The boot ROM of the virt machine at 0x1000: QEMU's reset vector (a0 =
 * mhartid, a1 = device tree address, jump to the firmware at 0x80000000).
 *
 * rewind maps it as a read-only MMIO region, which the translator cannot
 * fetch from (only RAM is executable), so the harts do not run it: they
 * start at its target with a0/a1 already set, which is exactly the state
 * the ROM would hand over (boot/virt.c). The region is there so that a
 * guest or a debugger reading 0x1000 sees the same words as on QEMU, and
 * so that the boot walkthrough can show the reset vector. */
#ifndef REWIND_BOOT_BOOTROM_H
#define REWIND_BOOT_BOOTROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;

#define BOOTROM_BASE 0x1000ULL
#define BOOTROM_SIZE 0x1000ULL

/* Offsets of the two data words the reset vector loads. */
enum { BOOTROM_START_OFF = 0x18, BOOTROM_FDT_OFF = 0x20, BOOTROM_CODE_LEN = 0x28 };

/* Write the reset vector into rom (BOOTROM_CODE_LEN bytes, little-endian):
 *   auipc t0, 0; csrr a0, mhartid; ld a1, 32(t0); ld t0, 24(t0); jr t0
 * followed by the start and device tree addresses. */
void bootrom_fill(uint8_t *rom, uint64_t start, uint64_t fdt_addr);

typedef struct BootRom BootRom;

/* Map the ROM at base holding the reset vector for (start, fdt_addr).
 * Guest writes fault. The machine frees it. Returns NULL with a message
 * in err on failure. */
BootRom *bootrom_new(struct Machine *m, uint64_t base, uint64_t start,
                     uint64_t fdt_addr, char *err, size_t errlen);

/* Point the reset vector at new addresses (after a reload). */
void bootrom_set(BootRom *r, uint64_t start, uint64_t fdt_addr);

#endif
