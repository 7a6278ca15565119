/* PLIC (platform-level interrupt controller), QEMU virt layout: priority
 * at 0x0 + 4*src, pending bits at 0x1000, enables at 0x2000 + 0x80*ctx,
 * threshold at 0x200000 + 0x1000*ctx, claim/complete at 0x200004 +
 * 0x1000*ctx. Two contexts per hart: 2*h drives MEIP, 2*h+1 drives SEIP.
 * Sources 1..96 are level-triggered with the claim/complete gateway. */
#ifndef REWIND_DEVICES_PLIC_H
#define REWIND_DEVICES_PLIC_H

#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"

struct Machine;

#define PLIC_BASE 0xc000000ULL
#define PLIC_SIZE 0x600000ULL
/* Source ids 1..PLIC_NDEV (0 means "none"). QEMU 7.2's virt advertises
 * riscv,ndev = 96 (0x60): use PLIC_NDEV for that property. */
enum { PLIC_NDEV = 96, PLIC_NUM_SOURCES = PLIC_NDEV + 1,
       PLIC_MAX_PRIORITY = 7 };

typedef struct Plic Plic;

/* Map the PLIC at base with 2 contexts for each of nharts harts (harts
 * 0..nharts-1 of m) and attach its tick / reset / free hooks (the machine
 * frees it). Returns NULL with a message in err on failure. */
Plic *plic_new(struct Machine *m, uint64_t base, unsigned nharts, char *err,
               size_t errlen);

/* The interrupt line of a source (1..PLIC_NDEV). For 0 or an out-of-range
 * source the line is unconnected (irq_set does nothing). */
IrqLine plic_irq(Plic *p, unsigned source);

#endif
