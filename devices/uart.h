/* NS16550A UART (as on QEMU's virt: reg-shift 0, byte registers, input
 * clock 3.6864 MHz). Transmit is immediate; received bytes come from a
 * host character backend into a 16-byte RX FIFO. The interrupt goes
 * through an IrqLine (PLIC source 10 on virt). */
#ifndef REWIND_DEVICES_UART_H
#define REWIND_DEVICES_UART_H

#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"
#include "devices/chardev.h"

struct Machine;

typedef struct Uart Uart;

/* Size of the MMIO region (as in the device tree's reg); registers sit at
 * offsets 0..7, other offsets fault. */
#define UART_MMIO_SIZE 0x100ULL
/* The clock-frequency property for the device tree. */
#define UART_CLOCK_HZ 3686400u

/* Map a UART at base, attach it to backend and register its machine
 * device record. On success the UART owns the backend: machine_free frees
 * both. On failure (NULL, message in err) the caller still owns it. */
Uart *uart_new(struct Machine *m, uint64_t base, IrqLine irq, CharDev *backend,
               char *err, size_t errlen);

/* Put host bytes into the RX FIFO; returns how many fit. This is the one
 * place where host input reaches the guest (record/replay hooks here). */
size_t uart_host_input(Uart *u, const uint8_t *buf, size_t len);

#endif
