/* The reset-vector ROM: a read-only MMIO region (see bootrom.h for why the
 * harts do not execute it). */
#include "boot/bootrom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/le.h"
#include "core/machine.h"

struct BootRom {
    uint8_t bytes[BOOTROM_SIZE];
};

/* RISC-V base encodings, enough for the five instructions. */
static uint32_t enc_i(uint32_t opcode, unsigned rd, unsigned funct3, unsigned rs1,
                      uint32_t imm12)
{
    return (imm12 & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode;
}

enum { REG_T0 = 5, REG_A0 = 10, REG_A1 = 11, CSR_MHARTID_NUM = 0xf14 };

void bootrom_fill(uint8_t *rom, uint64_t start, uint64_t fdt_addr)
{
    const uint32_t code[] = {
        REG_T0 << 7 | 0x17,                                   /* auipc t0, 0 */
        enc_i(0x73, REG_A0, 2, 0, CSR_MHARTID_NUM),           /* csrr a0, mhartid */
        enc_i(0x03, REG_A1, 3, REG_T0, BOOTROM_FDT_OFF),      /* ld a1, 32(t0) */
        enc_i(0x03, REG_T0, 3, REG_T0, BOOTROM_START_OFF),    /* ld t0, 24(t0) */
        enc_i(0x67, 0, 0, REG_T0, 0),                         /* jr t0 */
        enc_i(0x13, 0, 0, 0, 0),                              /* nop (align) */
    };
    for (size_t i = 0; i < sizeof(code) / sizeof(code[0]); i++)
        le_put32(rom + 4 * i, code[i]);
    le_put64(rom + BOOTROM_START_OFF, start);
    le_put64(rom + BOOTROM_FDT_OFF, fdt_addr);
}

static bool rom_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    const BootRom *r = opaque;
    if (offset + size > BOOTROM_SIZE)
        return false;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)r->bytes[offset + i] << (8 * i);
    *val = v;
    return true;
}

static bool rom_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    (void)opaque, (void)offset, (void)size, (void)val;
    return false; /* read-only: the guest gets an access fault */
}

static const MmioOps bootrom_ops = { .read = rom_read, .write = rom_write };

static void rom_free(void *opaque)
{
    free(opaque);
}

BootRom *bootrom_new(Machine *m, uint64_t base, uint64_t start, uint64_t fdt_addr,
                     char *err, size_t errlen)
{
    BootRom *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "boot ROM: out of memory");
        return NULL;
    }
    bootrom_fill(r->bytes, start, fdt_addr);
    /* Attached first so that the machine frees r whatever fails next. */
    MachineDevice dev = { .name = "bootrom", .opaque = r, .free = rom_free };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "boot ROM: too many devices");
        free(r);
        return NULL;
    }
    if (!memory_add_mmio(&m->mem, base, BOOTROM_SIZE, &bootrom_ops, r, "bootrom")) {
        snprintf(err, errlen, "boot ROM: cannot map 0x%llx (overlap or too many regions)",
                 (unsigned long long)base);
        return NULL;
    }
    return r;
}

void bootrom_set(BootRom *r, uint64_t start, uint64_t fdt_addr)
{
    bootrom_fill(r->bytes, start, fdt_addr);
}
