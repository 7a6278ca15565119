/* NS16550A UART: byte registers (reg-shift 0), 16-byte RX FIFO, immediate
 * transmit, the interrupt identification logic Linux's 8250 driver and
 * OpenSBI's uart8250 driver rely on. */
#include "devices/uart.h"

#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/snapshot.h"

enum {
    UART_FIFO_SIZE = 16,
    UART_NREGS = 8,

    /* Register offsets */
    UART_RBR = 0, /* THR on write, DLL with DLAB */
    UART_IER = 1, /* DLM with DLAB */
    UART_IIR = 2, /* FCR on write */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,

    UART_IER_ERBFI = 0x01, /* received data available */
    UART_IER_ETBEI = 0x02, /* transmit holding register empty */
    UART_IER_ELSI = 0x04,  /* receiver line status */
    UART_IER_EDSSI = 0x08, /* modem status */

    UART_IIR_NO_INT = 0x01,
    UART_IIR_MSI = 0x00,
    UART_IIR_THRI = 0x02,
    UART_IIR_RDI = 0x04,
    UART_IIR_RLSI = 0x06,
    UART_IIR_CTI = 0x0c, /* character timeout */
    UART_IIR_FIFOS = 0xc0,

    UART_FCR_ENABLE = 0x01,
    UART_FCR_CLEAR_RX = 0x02,

    UART_LCR_DLAB = 0x80,

    UART_MCR_DTR = 0x01,
    UART_MCR_RTS = 0x02,
    UART_MCR_OUT1 = 0x04,
    UART_MCR_OUT2 = 0x08,
    UART_MCR_LOOP = 0x10,

    UART_LSR_DR = 0x01,
    UART_LSR_OE = 0x02,
    UART_LSR_BI = 0x10,
    UART_LSR_THRE = 0x20,
    UART_LSR_TEMT = 0x40,
    UART_LSR_ERRORS = 0x1e, /* OE, PE, FE, BI: cleared by reading LSR */

    UART_MSR_DCTS = 0x01,
    UART_MSR_DDSR = 0x02,
    UART_MSR_TERI = 0x04,
    UART_MSR_DDCD = 0x08,
    UART_MSR_CTS = 0x10,
    UART_MSR_DSR = 0x20,
    UART_MSR_RI = 0x40,
    UART_MSR_DCD = 0x80,
    /* Outside loopback the modem lines read as a connected peer. */
    UART_MSR_IDLE_LINES = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS,
};

struct Uart {
    Machine *m;
    CharDev *cd;
    IrqLine irq;
    /* Wake-ups on the machine's timer queue (icount/timerq.h), with no
     * callback: the run loop comes back and the tick hook does the work.
     * `serve`: due at once while output waits for a flush or host input
     * can be taken; `timeout`: the character timeout (timeout_at). They
     * follow from the state (uart_rearm), and are not saved. */
    Timer serve, timeout;
    bool irq_level;

    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
    bool fifo_enabled;
    unsigned rx_trigger;
    uint8_t rx[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
    uint8_t rbr_last; /* what RBR reads when the FIFO is empty */
    /* THRE interrupt pending: set when THR becomes empty (or ETBEI is
     * enabled while it is), cleared by reading IIR or writing THR. */
    bool thr_pending;
    /* Character timeout: fires at timeout_at (mtime) if the FIFO holds
     * data and nothing entered or left it for 4 character times. */
    bool timeout_pending;
    uint64_t timeout_at;
    /* Output sits in the backend's buffer until the next tick. */
    bool tx_unflushed;
};

static const unsigned uart_trigger_levels[4] = { 1, 4, 8, 14 };

/* --------------------------------------------------------- interrupts */

static uint8_t uart_interrupt_id(const Uart *u)
{
    if ((u->ier & UART_IER_ELSI) && (u->lsr & UART_LSR_ERRORS))
        return UART_IIR_RLSI;
    if (u->ier & UART_IER_ERBFI) {
        if (u->rx_count && (!u->fifo_enabled || u->rx_count >= u->rx_trigger))
            return UART_IIR_RDI;
        if (u->timeout_pending)
            return UART_IIR_CTI;
    }
    if ((u->ier & UART_IER_ETBEI) && u->thr_pending)
        return UART_IIR_THRI;
    if ((u->ier & UART_IER_EDSSI) && (u->msr & 0x0f))
        return UART_IIR_MSI;
    return UART_IIR_NO_INT;
}

static void uart_update_irq(Uart *u)
{
    bool level = uart_interrupt_id(u) != UART_IIR_NO_INT;
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

/* Modem lines: in loopback they follow MCR (DTR->DSR, RTS->CTS,
 * OUT1->RI, OUT2->DCD); the delta bits record changes until MSR is read. */
static void uart_update_msr(Uart *u)
{
    uint8_t lines = UART_MSR_IDLE_LINES;
    if (u->mcr & UART_MCR_LOOP) {
        lines = 0;
        if (u->mcr & UART_MCR_DTR)
            lines |= UART_MSR_DSR;
        if (u->mcr & UART_MCR_RTS)
            lines |= UART_MSR_CTS;
        if (u->mcr & UART_MCR_OUT1)
            lines |= UART_MSR_RI;
        if (u->mcr & UART_MCR_OUT2)
            lines |= UART_MSR_DCD;
    }
    uint8_t old = u->msr & 0xf0, changed = old ^ lines, delta = 0;
    if (changed & UART_MSR_CTS)
        delta |= UART_MSR_DCTS;
    if (changed & UART_MSR_DSR)
        delta |= UART_MSR_DDSR;
    if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI)) /* trailing edge only */
        delta |= UART_MSR_TERI;
    if (changed & UART_MSR_DCD)
        delta |= UART_MSR_DDCD;
    u->msr = lines | (u->msr & 0x0f) | delta;
}

static void uart_rearm(Uart *u);

/* ------------------------------------------------------------ receive */

/* One character on the wire in mtime units (10 MHz): start bit, data
 * bits, parity, stop bits at the baud rate the divisor selects. */
static uint64_t uart_char_time(const Uart *u)
{
    unsigned divisor = (unsigned)u->dlm << 8 | u->dll;
    if (!divisor)
        divisor = 1;
    unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 8) ? 1 : 0) + ((u->lcr & 4) ? 2 : 1);
    uint64_t t = (10000000ULL * bits * 16 * divisor + UART_CLOCK_HZ - 1) / UART_CLOCK_HZ;
    return t ? t : 1;
}

static void uart_restart_timeout(Uart *u)
{
    u->timeout_pending = false;
    u->timeout_at = (u->fifo_enabled && u->rx_count)
                        ? machine_mtime(u->m) + 4 * uart_char_time(u)
                        : UINT64_MAX;
}

static void uart_clear_rx(Uart *u)
{
    u->rx_head = u->rx_count = 0;
    u->timeout_pending = false;
    u->timeout_at = UINT64_MAX;
}

static unsigned uart_rx_capacity(const Uart *u)
{
    return u->fifo_enabled ? UART_FIFO_SIZE : 1;
}

/* A character arrives from the line (host or loopback). When there is no
 * room it is lost and LSR.OE reports the overrun. */
static void uart_rx_push(Uart *u, uint8_t c)
{
    if (u->rx_count == uart_rx_capacity(u)) {
        u->lsr |= UART_LSR_OE;
        return;
    }
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = c;
    u->rx_count++;
}

size_t uart_host_input(Uart *u, const uint8_t *buf, size_t len)
{
    /* In loopback the line input is disconnected: the host waits. */
    if (u->mcr & UART_MCR_LOOP)
        return 0;
    size_t room = uart_rx_capacity(u) - u->rx_count;
    if (len > room)
        len = room;
    for (size_t i = 0; i < len; i++)
        uart_rx_push(u, buf[i]);
    if (len) {
        uart_restart_timeout(u);
        uart_update_irq(u);
    }
    return len;
}

static size_t uart_receive(void *opaque, const uint8_t *buf, size_t len)
{
    return uart_host_input(opaque, buf, len);
}

static uint8_t uart_read_rbr(Uart *u)
{
    if (u->rx_count) {
        u->rbr_last = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
        u->rx_count--;
    }
    uart_restart_timeout(u);
    uart_update_irq(u);
    return u->rbr_last;
}

/* ----------------------------------------------------------- transmit */

static void uart_write_thr(Uart *u, uint8_t c)
{
    if (u->mcr & UART_MCR_LOOP) {
        uart_rx_push(u, c);
        uart_restart_timeout(u);
    } else {
        machine_console_byte(u->m, c);
        chardev_write(u->cd, &c, 1);
        u->tx_unflushed = true;
    }
    /* Writing THR clears the THRE interrupt; the byte leaves at once, so
     * THR is empty again and the interrupt comes straight back. */
    u->thr_pending = true;
    uart_update_irq(u);
}

static void uart_write_fcr(Uart *u, uint8_t v)
{
    bool enable = v & UART_FCR_ENABLE;
    if (enable != u->fifo_enabled) {
        /* Switching mode empties the FIFOs, as on the chip. */
        uart_clear_rx(u);
        u->fifo_enabled = enable;
    }
    if (enable) {
        if (v & UART_FCR_CLEAR_RX)
            uart_clear_rx(u);
        u->rx_trigger = uart_trigger_levels[v >> 6];
    }
    uart_update_irq(u);
}

static void uart_write_ier(Uart *u, uint8_t v)
{
    uint8_t old = u->ier;
    u->ier = v & 0x0f;
    /* Enabling ETBEI while THR is empty raises THRE at once: Linux's 8250
     * driver starts transmission this way (and tests for it at startup). */
    if ((u->ier & UART_IER_ETBEI) && !(old & UART_IER_ETBEI))
        u->thr_pending = true;
    else if (!(u->ier & UART_IER_ETBEI))
        u->thr_pending = false;
    uart_update_irq(u);
}

/* ---------------------------------------------------------- registers */

static uint8_t uart_read_reg(Uart *u, unsigned reg)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    uint8_t v = 0;
    switch (reg) {
    case UART_RBR:
        v = dlab ? u->dll : uart_read_rbr(u);
        break;
    case UART_IER:
        v = dlab ? u->dlm : u->ier;
        break;
    case UART_IIR:
        v = uart_interrupt_id(u);
        if (v == UART_IIR_THRI) { /* reading IIR acknowledges THRE */
            u->thr_pending = false;
            uart_update_irq(u);
        }
        if (u->fifo_enabled)
            v |= UART_IIR_FIFOS;
        break;
    case UART_LCR:
        v = u->lcr;
        break;
    case UART_MCR:
        v = u->mcr;
        break;
    case UART_LSR:
        v = u->lsr | UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
        u->lsr &= (uint8_t)~UART_LSR_ERRORS;
        uart_update_irq(u);
        break;
    case UART_MSR:
        v = u->msr;
        u->msr &= 0xf0;
        uart_update_irq(u);
        break;
    case UART_SCR:
        v = u->scr;
        break;
    }
    return v;
}

static void uart_write_reg(Uart *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg) {
    case UART_RBR:
        if (dlab)
            u->dll = v;
        else
            uart_write_thr(u, v);
        break;
    case UART_IER:
        if (dlab)
            u->dlm = v;
        else
            uart_write_ier(u, v);
        break;
    case UART_IIR:
        uart_write_fcr(u, v);
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        uart_update_msr(u);
        uart_update_irq(u);
        break;
    case UART_LSR:
    case UART_MSR:
        break; /* read-only (factory test writes are ignored) */
    case UART_SCR:
        u->scr = v;
        break;
    }
}

/* Registers are bytes; wider accesses (reg-io-width 4 users) see the
 * register in the low byte. */
static bool uart_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    if (off >= UART_NREGS || size > 4)
        return false;
    *val = uart_read_reg(opaque, (unsigned)off);
    uart_rearm(opaque);
    return true;
}

static bool uart_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    if (off >= UART_NREGS || size > 4)
        return false;
    uart_write_reg(opaque, (unsigned)off, (uint8_t)val);
    uart_rearm(opaque);
    return true;
}

static const MmioOps uart_ops = { .read = uart_mmio_read, .write = uart_mmio_write };

/* ------------------------------------------------------- machine hooks */

/* Arm the wake-ups for the state as it is now: called after anything that
 * changes it (register accesses, the tick, input joining the queue, a
 * reset or restore). */
static void uart_rearm(Uart *u)
{
    bool serve = u->tx_unflushed ||
                 (chardev_pending_input(u->cd) && u->rx_count < uart_rx_capacity(u) &&
                  !(u->mcr & UART_MCR_LOOP));
    timer_arm(&u->serve, serve ? 0 : TIMER_NEVER);
    timer_arm(&u->timeout, u->timeout_at);
}

static void uart_input_joined(void *opaque)
{
    uart_rearm(opaque);
}

static void uart_tick(void *opaque)
{
    Uart *u = opaque;
    /* Host input enters only here, between slices. */
    chardev_offer_input(u->cd);
    if (u->timeout_at != UINT64_MAX && machine_mtime(u->m) >= u->timeout_at) {
        u->timeout_at = UINT64_MAX;
        u->timeout_pending = u->rx_count != 0;
        uart_update_irq(u);
    }
    chardev_flush(u->cd);
    u->tx_unflushed = false;
    /* Output to flush (before the loop may block on the host), or queued
     * host input with room for it: come back at the end of this slice. */
    uart_rearm(u);
}

static void uart_reset(void *opaque)
{
    Uart *u = opaque;
    u->ier = u->lcr = u->mcr = u->lsr = u->scr = u->dll = u->dlm = 0;
    u->msr = UART_MSR_IDLE_LINES;
    u->fifo_enabled = false;
    u->rx_trigger = 1;
    u->rbr_last = 0;
    u->thr_pending = false;
    uart_clear_rx(u);
    uart_update_irq(u);
    uart_rearm(u);
}

/* The state: registers, FIFO and timers, everything after the backend and
 * the line; then the input the backend still holds for the UART (in a
 * replay, recorded bytes the guest has yet to take: a restored machine
 * must find them again). A state without that tail (a checkpoint file of
 * an older rewind) loads with an empty queue. */
#define UART_STATE_OFF offsetof(Uart, irq_level)
#define UART_STATE_LEN (sizeof(Uart) - UART_STATE_OFF)

static size_t uart_save(void *opaque, void *buf, size_t cap)
{
    Uart *u = opaque;
    size_t queued = chardev_save_input(u->cd, NULL, 0);
    size_t n = UART_STATE_LEN + queued;
    if (n <= cap) {
        memcpy(buf, (char *)u + UART_STATE_OFF, UART_STATE_LEN);
        chardev_save_input(u->cd, (uint8_t *)buf + UART_STATE_LEN, queued);
    }
    return n;
}

/* Offsets of the bools in a saved state, for uart_load's check. */
#define UART_SAVED(field) (offsetof(Uart, field) - UART_STATE_OFF)
static const size_t uart_saved_bools[] = {
    UART_SAVED(irq_level), UART_SAVED(fifo_enabled), UART_SAVED(thr_pending),
    UART_SAVED(timeout_pending), UART_SAVED(tx_unflushed),
};

static bool uart_load(void *opaque, const void *buf, size_t len)
{
    Uart *u = opaque;
    if (len < UART_STATE_LEN || len - UART_STATE_LEN > chardev_input_capacity())
        return false;
    for (size_t i = 0; i < sizeof(uart_saved_bools) / sizeof(uart_saved_bools[0]); i++)
        if (!snapshot_bools_valid(buf, len, uart_saved_bools[i], 1))
            return false;
    /* The FIFO's indices, checked in a copy so that a refused state
     * changes nothing: a head past the array or more bytes than the FIFO
     * holds would send reads and writes outside it. */
    Uart copy = *u;
    memcpy((char *)&copy + UART_STATE_OFF, buf, UART_STATE_LEN);
    if (copy.rx_head >= UART_FIFO_SIZE || copy.rx_count > uart_rx_capacity(&copy))
        return false;
    memcpy((char *)u + UART_STATE_OFF, buf, UART_STATE_LEN);
    chardev_load_input(u->cd, (const uint8_t *)buf + UART_STATE_LEN, len - UART_STATE_LEN);
    uart_rearm(u);
    return true;
}

static void uart_free(void *opaque)
{
    Uart *u = opaque;
    chardev_free(u->cd);
    free(u);
}

Uart *uart_new(Machine *m, uint64_t base, IrqLine irq, CharDev *backend, char *err,
               size_t errlen)
{
    if (m->ndevices == MACHINE_MAX_DEVICES) {
        snprintf(err, errlen, "uart: too many devices");
        return NULL;
    }
    Uart *u = calloc(1, sizeof(*u));
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->m = m;
    u->cd = backend;
    u->irq = irq;
    if (!timer_init(&m->timers, &u->serve, "uart serve", NULL, NULL) ||
        !timer_init(&m->timers, &u->timeout, "uart timeout", NULL, NULL)) {
        snprintf(err, errlen, "uart: too many timers");
        free(u);
        return NULL;
    }
    uart_reset(u);
    if (!memory_add_mmio(&m->mem, base, UART_MMIO_SIZE, &uart_ops, u, "uart")) {
        snprintf(err, errlen, "uart: address range 0x%llx-0x%llx is already in use",
                 (unsigned long long)base, (unsigned long long)(base + UART_MMIO_SIZE - 1));
        free(u);
        return NULL;
    }
    MachineDevice dev = { .name = "uart", .opaque = u, .tick = uart_tick,
                          .reset = uart_reset,
                          .free = uart_free, .save = uart_save, .load = uart_load };
    machine_add_device(m, &dev); /* room checked above */
    chardev_set_receive(backend, uart_receive, u);
    chardev_set_input_notify(backend, uart_input_joined);
    return u;
}
