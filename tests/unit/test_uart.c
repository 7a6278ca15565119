/* NS16550A registers driven through the MMIO callbacks, and the host
 * character backends (file, tcp, stdio on a pipe, a file and a pty). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "devices/chardev.h"
#include "devices/uart.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define BASE MEM_UART_BASE

typedef struct FakeIrq {
    bool level;
    unsigned raises, lowers;
} FakeIrq;

static void fake_irq_set(void *opaque, unsigned n, bool level)
{
    FakeIrq *f = opaque;
    ck_assert_uint_eq(n, 10);
    if (level && !f->level)
        f->raises++;
    if (!level && f->level)
        f->lowers++;
    f->level = level;
}

typedef struct Fix {
    Machine *m;
    Uart *u;
    FakeIrq irq;
    MmioRegion *r;
} Fix;

/* Build a machine with a UART at BASE on the given backend spec; the
 * backend is returned in *cdp when wanted. */
static void fix_init_cd(Fix *f, const char *spec, CharDev **cdp)
{
    memset(f, 0, sizeof(*f));
    f->m = test_machine_new();
    char err[256];
    CharDev *cd = chardev_new(f->m, spec, err, sizeof(err));
    ck_assert_msg(cd != NULL, "chardev_new(%s): %s", spec, err);
    if (cdp)
        *cdp = cd;
    IrqLine line = { .set = fake_irq_set, .opaque = &f->irq, .n = 10 };
    f->u = uart_new(f->m, BASE, line, cd, err, sizeof(err));
    ck_assert_msg(f->u != NULL, "uart_new: %s", err);
    f->r = memory_find_mmio(&f->m->mem, BASE);
    ck_assert_ptr_nonnull(f->r);
}

static void fix_init(Fix *f, const char *spec)
{
    fix_init_cd(f, spec, NULL);
}

static void fix_done(Fix *f)
{
    machine_free(f->m);
}

static uint8_t rd(Fix *f, unsigned off)
{
    uint64_t v = 0xdead;
    ck_assert(f->r->ops->read(f->r->opaque, off, 1, &v));
    ck_assert_uint_le(v, 0xff);
    return (uint8_t)v;
}

static void wr(Fix *f, unsigned off, uint8_t v)
{
    ck_assert(f->r->ops->write(f->r->opaque, off, 1, v));
}

static const MachineDevice *uart_device(Machine *m)
{
    for (unsigned i = 0; i < m->ndevices; i++)
        if (strcmp(m->devices[i].name, "uart") == 0)
            return &m->devices[i];
    ck_abort_msg("no uart device registered");
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Spin the host loop and the device hooks until the UART holds n bytes
 * (LSR.DR is set and the FIFO is read back only by the caller). */
static bool pump_until(Fix *f, bool (*done)(Fix *, void *), void *arg)
{
    double end = now_s() + 1.0;
    while (now_s() < end) {
        uv_run(f->m->loop, UV_RUN_NOWAIT);
        machine_tick_devices(f->m);
        if (done(f, arg))
            return true;
        usleep(200);
    }
    return false;
}

static bool has_data(Fix *f, void *arg)
{
    (void)arg;
    /* LSR has no read side effects on DR. */
    return rd(f, 5) & 0x01;
}

static bool stopped(Fix *f, void *arg)
{
    (void)arg;
    return f->m->stop != STOP_NONE;
}

/* ------------------------------------------------------------ registers */

START_TEST(test_reset_values_and_scratch)
{
    Fix f;
    fix_init(&f, "none");
    ck_assert_uint_eq(rd(&f, 5), 0x60); /* THRE | TEMT */
    ck_assert_uint_eq(rd(&f, 2), 0x01); /* no interrupt, FIFOs off */
    ck_assert_uint_eq(rd(&f, 6), 0xb0); /* DCD, DSR, CTS */
    ck_assert_uint_eq(rd(&f, 1), 0x00);
    ck_assert_uint_eq(rd(&f, 3), 0x00);
    wr(&f, 7, 0x5a);
    ck_assert_uint_eq(rd(&f, 7), 0x5a);
    wr(&f, 7, 0xa5);
    ck_assert_uint_eq(rd(&f, 7), 0xa5);
    /* IER keeps its low nibble only (the 8250 autoconfig checks this). */
    wr(&f, 1, 0xff);
    ck_assert_uint_eq(rd(&f, 1), 0x0f);
    /* Machine reset: back to power-on values, interrupt lowered. */
    ck_assert(f.irq.level); /* THRE raised by enabling ETBEI */
    uart_device(f.m)->reset(uart_device(f.m)->opaque);
    ck_assert(!f.irq.level);
    ck_assert_uint_eq(rd(&f, 1), 0);
    ck_assert_uint_eq(rd(&f, 7), 0);
    ck_assert_uint_eq(rd(&f, 2), 0x01);
    fix_done(&f);
}
END_TEST

START_TEST(test_divisor_latch)
{
    Fix f;
    fix_init(&f, "none");
    wr(&f, 3, 0x83); /* DLAB, 8N1 */
    wr(&f, 0, 0x02);
    wr(&f, 1, 0x01);
    ck_assert_uint_eq(rd(&f, 0), 0x02);
    ck_assert_uint_eq(rd(&f, 1), 0x01);
    ck_assert_uint_eq(rd(&f, 3), 0x83);
    wr(&f, 3, 0x03);
    ck_assert_uint_eq(rd(&f, 1), 0x00); /* IER, not DLM */
    wr(&f, 1, 0x05);
    ck_assert_uint_eq(rd(&f, 1), 0x05);
    wr(&f, 3, 0x83);
    ck_assert_uint_eq(rd(&f, 0), 0x02); /* latch untouched by IER writes */
    ck_assert_uint_eq(rd(&f, 1), 0x01);
    wr(&f, 3, 0x03);
    ck_assert_uint_eq(rd(&f, 1), 0x05);
    fix_done(&f);
}
END_TEST

START_TEST(test_bad_access)
{
    Fix f;
    fix_init(&f, "none");
    uint64_t v = 0;
    ck_assert(!f.r->ops->read(f.r->opaque, 0, 8, &v));
    ck_assert(!f.r->ops->write(f.r->opaque, 7, 8, 1));
    ck_assert(!f.r->ops->read(f.r->opaque, 8, 1, &v));
    ck_assert(!f.r->ops->write(f.r->opaque, 0xff, 1, 1));
    /* 2- and 4-byte accesses reach the register in the low byte. */
    ck_assert(f.r->ops->read(f.r->opaque, 5, 4, &v));
    ck_assert_uint_eq(v, 0x60);
    ck_assert(f.r->ops->write(f.r->opaque, 7, 2, 0x1234));
    ck_assert_uint_eq(rd(&f, 7), 0x34);
    ck_assert(f.r->ops->write(f.r->opaque, 7, 4, 0xffffff77));
    ck_assert(f.r->ops->read(f.r->opaque, 7, 4, &v));
    ck_assert_uint_eq(v, 0x77);
    /* A second UART on the same range is refused. */
    char err[128];
    CharDev *cd = chardev_new(f.m, "none", err, sizeof(err));
    IrqLine line = { 0 };
    ck_assert_ptr_null(uart_new(f.m, BASE, line, cd, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "already in use"));
    chardev_free(cd);
    fix_done(&f);
}
END_TEST

/* A saved state holds the input the backend still queues for the UART: in
 * a replay these are recorded bytes, and a machine put back to a
 * checkpoint (reverse debugging, rewind diff) must read them again, not
 * lose them (before, "abc" restored after reading "ab" gave "ac"). */
START_TEST(test_state_keeps_backend_queue)
{
    Fix f;
    CharDev *cd;
    fix_init_cd(&f, "none", &cd);
    const MachineDevice *d = uart_device(f.m);
    chardev_host_input(cd, (const uint8_t *)"abc", 3);
    chardev_offer_input(cd); /* FIFOs off: 'a' in the holding register */
    uint8_t st[4096];
    size_t n = d->save(d->opaque, st, sizeof(st));
    ck_assert_uint_le(n, sizeof(st));
    ck_assert_uint_eq(rd(&f, 0), 'a');
    chardev_offer_input(cd);
    ck_assert_uint_eq(rd(&f, 0), 'b');
    ck_assert(d->load(d->opaque, st, n));
    ck_assert_uint_eq(rd(&f, 0), 'a');
    chardev_offer_input(cd);
    ck_assert_uint_eq(rd(&f, 0), 'b');
    chardev_offer_input(cd);
    ck_assert_uint_eq(rd(&f, 0), 'c');
    ck_assert_uint_eq(chardev_pending_input(cd), 0);
    /* A state without the queue (an older checkpoint file): loads, and
     * the queue is empty. */
    chardev_host_input(cd, (const uint8_t *)"xy", 2);
    ck_assert(d->load(d->opaque, st, n - 2));
    ck_assert_uint_eq(chardev_pending_input(cd), 0);
    ck_assert(!d->load(d->opaque, st, 3));
    fix_done(&f);
}
END_TEST

START_TEST(test_rx_fifo_order_and_capacity)
{
    Fix f;
    fix_init(&f, "none");
    const uint8_t msg[] = "0123456789abcdefXYZ";
    /* FIFOs off: a single holding register. */
    ck_assert_uint_eq(uart_host_input(f.u, msg, 3), 1);
    ck_assert_uint_eq(rd(&f, 5), 0x61);
    ck_assert_uint_eq(rd(&f, 0), '0');
    ck_assert_uint_eq(rd(&f, 5), 0x60);
    /* FIFOs on: 16 bytes, in order. */
    wr(&f, 2, 0x07);
    ck_assert_uint_eq(rd(&f, 2) & 0xc0, 0xc0);
    ck_assert_uint_eq(uart_host_input(f.u, msg, sizeof(msg) - 1), 16);
    ck_assert_uint_eq(uart_host_input(f.u, msg, 1), 0);
    for (unsigned i = 0; i < 16; i++) {
        ck_assert_uint_eq(rd(&f, 5) & 1, 1);
        ck_assert_uint_eq(rd(&f, 0), msg[i]);
    }
    ck_assert_uint_eq(rd(&f, 5) & 1, 0);
    ck_assert_uint_eq(rd(&f, 0), 'f'); /* empty: the last byte again */
    /* FCR bit 1 empties the FIFO. */
    ck_assert_uint_eq(uart_host_input(f.u, msg, 5), 5);
    wr(&f, 2, 0x03);
    ck_assert_uint_eq(rd(&f, 5) & 1, 0);
    /* Turning the FIFOs off empties them as well. */
    ck_assert_uint_eq(uart_host_input(f.u, msg, 5), 5);
    wr(&f, 2, 0x00);
    ck_assert_uint_eq(rd(&f, 5) & 1, 0);
    ck_assert_uint_eq(rd(&f, 2), 0x01);
    fix_done(&f);
}
END_TEST

START_TEST(test_overrun_and_line_status_irq)
{
    Fix f;
    fix_init(&f, "none");
    wr(&f, 2, 0x01);
    wr(&f, 4, 0x10); /* loopback */
    rd(&f, 6);       /* clear the deltas of entering loopback */
    wr(&f, 1, 0x04); /* ELSI only */
    for (unsigned i = 0; i < 17; i++)
        wr(&f, 0, (uint8_t)('a' + i));
    ck_assert(f.irq.level);
    ck_assert_uint_eq(rd(&f, 2), 0xc6);
    ck_assert_uint_eq(rd(&f, 5), 0x63); /* DR | OE | THRE | TEMT */
    ck_assert(!f.irq.level);            /* reading LSR cleared OE */
    ck_assert_uint_eq(rd(&f, 5), 0x61);
    for (unsigned i = 0; i < 16; i++)
        ck_assert_uint_eq(rd(&f, 0), 'a' + i); /* the 17th was lost */
    ck_assert_uint_eq(rd(&f, 5), 0x60);
    /* Non-FIFO mode overruns on the second byte. */
    wr(&f, 2, 0x00);
    wr(&f, 0, 'x');
    wr(&f, 0, 'y');
    ck_assert_uint_eq(rd(&f, 5), 0x63);
    ck_assert_uint_eq(rd(&f, 0), 'x');
    fix_done(&f);
}
END_TEST

START_TEST(test_iir_priorities)
{
    Fix f;
    fix_init(&f, "none");
    wr(&f, 2, 0x01); /* FIFOs on, trigger 1 */
    ck_assert_uint_eq(rd(&f, 2), 0xc1);
    wr(&f, 4, 0x10); /* loopback: modem lines drop, deltas pending */
    ck_assert_uint_eq(rd(&f, 6) & 0x0f, 0x0b); /* DCTS DDSR DDCD */
    wr(&f, 4, 0x14); /* OUT1 -> RI rises */
    wr(&f, 4, 0x10); /* RI falls: TERI */
    wr(&f, 1, 0x0f);
    ck_assert(f.irq.level);
    /* Fill past the FIFO: every source is pending at once. */
    for (unsigned i = 0; i < 17; i++)
        wr(&f, 0, (uint8_t)i);
    ck_assert_uint_eq(rd(&f, 2), 0xc6); /* line status first */
    rd(&f, 5);
    ck_assert_uint_eq(rd(&f, 2), 0xc4); /* then received data */
    for (unsigned i = 0; i < 16; i++)
        rd(&f, 0);
    ck_assert_uint_eq(rd(&f, 2), 0xc2); /* then THRE (cleared by this read) */
    ck_assert_uint_eq(rd(&f, 2), 0xc0); /* then modem status */
    ck_assert(f.irq.level);
    ck_assert_uint_eq(rd(&f, 6), 0x04); /* TERI, no lines in loopback */
    ck_assert_uint_eq(rd(&f, 2), 0xc1);
    ck_assert(!f.irq.level);
    fix_done(&f);
}
END_TEST

START_TEST(test_thre_interrupt)
{
    Fix f;
    fix_init(&f, "none");
    ck_assert(!f.irq.level);
    wr(&f, 1, 0x02); /* ETBEI with THR empty: raised at once */
    ck_assert(f.irq.level);
    ck_assert_uint_eq(rd(&f, 2), 0x02);
    ck_assert(!f.irq.level); /* acknowledged by the IIR read */
    ck_assert_uint_eq(rd(&f, 2), 0x01);
    /* Linux's THRE test: disable, re-enable, it must come back. */
    wr(&f, 1, 0x00);
    wr(&f, 1, 0x02);
    ck_assert(f.irq.level);
    ck_assert_uint_eq(rd(&f, 2), 0x02);
    ck_assert(!f.irq.level);
    /* Rewriting IER with ETBEI still set does not re-raise it. */
    wr(&f, 1, 0x02);
    ck_assert(!f.irq.level);
    /* A THR write clears it, and the immediate transmit raises it again. */
    wr(&f, 0, 'q');
    ck_assert(f.irq.level);
    ck_assert_uint_eq(rd(&f, 2), 0x02);
    wr(&f, 0, 'q');
    ck_assert(f.irq.level);
    wr(&f, 1, 0x00);
    ck_assert(!f.irq.level);
    ck_assert_uint_eq(rd(&f, 2), 0x01);
    ck_assert_uint_eq(f.irq.raises, 4);
    fix_done(&f);
}
END_TEST

START_TEST(test_loopback)
{
    Fix f;
    char path[] = "/tmp/rewind-uart-loopXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof(spec), "file:%s", path);
    fix_init(&f, spec);
    /* The 8250 autoconfig check: LOOP | RTS | OUT2 reads CTS | DCD. */
    wr(&f, 4, 0x1a);
    ck_assert_uint_eq(rd(&f, 6) & 0xf0, 0x90);
    wr(&f, 4, 0x1f);
    ck_assert_uint_eq(rd(&f, 6), 0xf0 | 0x02); /* DSR rose */
    ck_assert_uint_eq(rd(&f, 4), 0x1f);
    wr(&f, 0, 'L');
    ck_assert_uint_eq(rd(&f, 5), 0x61);
    ck_assert_uint_eq(rd(&f, 0), 'L');
    /* Host input waits while the line is looped back. */
    ck_assert_uint_eq(uart_host_input(f.u, (const uint8_t *)"h", 1), 0);
    wr(&f, 4, 0x00);
    ck_assert_uint_eq(rd(&f, 6), 0xb4); /* idle lines, RI fell */
    ck_assert_uint_eq(rd(&f, 6), 0xb0);
    wr(&f, 0, 'T');
    wr(&f, 0, '\n');
    fix_done(&f);
    FILE *in = fopen(path, "r");
    ck_assert_ptr_nonnull(in);
    char buf[16] = { 0 };
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    unlink(path);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(buf, "T\n"); /* the looped byte never left */
}
END_TEST

START_TEST(test_char_timeout)
{
    Fix f;
    fix_init(&f, "none");
    wr(&f, 3, 0x83);
    wr(&f, 0, 0x02); /* 115200 baud at 3.6864 MHz */
    wr(&f, 1, 0x00);
    wr(&f, 3, 0x03);
    wr(&f, 2, 0x81); /* FIFOs on, trigger 8 */
    wr(&f, 1, 0x01);
    ck_assert_uint_eq(uart_host_input(f.u, (const uint8_t *)"abc", 3), 3);
    ck_assert_uint_eq(rd(&f, 2), 0xc1); /* below the trigger level */
    ck_assert(!f.irq.level);
    uint64_t t = machine_next_deadline(f.m), now = machine_mtime(f.m);
    /* 4 characters of 10 bits at 115200 baud: about 347 us. */
    ck_assert_uint_ge(t - now, 3400);
    ck_assert_uint_le(t - now, 3500);
    machine_tick_devices(f.m);
    ck_assert(!f.irq.level); /* not yet */
    f.m->mtime_skipped += t - now;
    machine_tick_devices(f.m);
    ck_assert(f.irq.level);
    ck_assert_uint_eq(rd(&f, 2), 0xcc);
    ck_assert_uint_eq(machine_next_deadline(f.m), UINT64_MAX);
    ck_assert_uint_eq(rd(&f, 0), 'a'); /* a read restarts the timer */
    ck_assert(!f.irq.level);
    ck_assert_uint_ne(machine_next_deadline(f.m), UINT64_MAX);
    /* Reaching the trigger level raises "data available" at once. */
    ck_assert_uint_eq(uart_host_input(f.u, (const uint8_t *)"defghi", 6), 6);
    ck_assert(f.irq.level);
    ck_assert_uint_eq(rd(&f, 2), 0xc4);
    fix_done(&f);
}
END_TEST

/* The checks Linux's 8250 driver makes when it probes and opens a port
 * (autoconfig and startup), in order, with the answers a 16550A gives. */
/* The timeout's deadline and the wake-up for queued host input are timers
 * (icount/timerq.h), not saved: a load re-arms them from the state. */
START_TEST(test_timers_follow_a_restore)
{
    Fix f;
    CharDev *cd;
    fix_init_cd(&f, "none", &cd);
    wr(&f, 2, 0x81); /* FIFOs on, trigger 8 */
    wr(&f, 1, 0x01);
    chardev_host_input(cd, (const uint8_t *)"abc", 3);
    ck_assert_uint_le(machine_next_deadline(f.m), machine_mtime(f.m)); /* input: due */
    machine_tick_devices(f.m); /* the FIFO takes it: the timeout is armed */
    uint64_t t = machine_next_deadline(f.m);
    ck_assert_uint_gt(t, machine_mtime(f.m));
    ck_assert_uint_ne(t, UINT64_MAX);
    const MachineDevice *d = uart_device(f.m);
    uint8_t st[4096];
    size_t n = d->save(d->opaque, st, sizeof(st));
    ck_assert_uint_le(n, sizeof(st));
    for (int i = 0; i < 3; i++)
        rd(&f, 0); /* the FIFO empties: no timeout any more */
    ck_assert_uint_eq(machine_next_deadline(f.m), UINT64_MAX);
    ck_assert(d->load(d->opaque, st, n));
    ck_assert_uint_eq(machine_next_deadline(f.m), t);
    fix_done(&f);
}
END_TEST

START_TEST(test_linux_8250_probe_sequence)
{
    Fix f;
    fix_init(&f, "none");
    /* IER holds exactly its low nibble. */
    wr(&f, 1, 0x00);
    ck_assert_uint_eq(rd(&f, 1) & 0x0f, 0x00);
    wr(&f, 1, 0x0f);
    ck_assert_uint_eq(rd(&f, 1) & 0x0f, 0x0f);
    wr(&f, 1, 0x00);
    /* Loopback with RTS|OUT2 must read CTS|DCD. */
    uint8_t save_mcr = rd(&f, 4);
    wr(&f, 4, 0x1a);
    ck_assert_uint_eq(rd(&f, 6) & 0xf0, 0x90);
    wr(&f, 4, save_mcr);
    /* FIFO type: IIR bits 7:6 == 3 means a working 16550A FIFO. */
    wr(&f, 2, 0x01);
    ck_assert_uint_eq(rd(&f, 2) >> 6, 3);
    /* No EFR behind LCR=0xBF (reg 2 does not read 0), no 64-byte FIFO,
     * no XScale UUE bit in IER. */
    wr(&f, 3, 0xbf);
    ck_assert_uint_ne(rd(&f, 2), 0);
    wr(&f, 3, 0x80);
    wr(&f, 2, 0x21);
    ck_assert_uint_eq(rd(&f, 2) & 0x20, 0);
    wr(&f, 3, 0x00);
    wr(&f, 1, 0x40);
    ck_assert_uint_eq(rd(&f, 1) & 0x40, 0);
    wr(&f, 1, 0x00);
    /* Startup: clear and disable the FIFOs, drain, the port exists. */
    wr(&f, 2, 0x01);
    wr(&f, 2, 0x07);
    wr(&f, 2, 0x00);
    rd(&f, 5);
    rd(&f, 0);
    rd(&f, 2);
    rd(&f, 6);
    ck_assert_uint_ne(rd(&f, 5), 0xff);
    wr(&f, 3, 0x03);
    wr(&f, 2, 0x81); /* what the driver uses for a 16550A: trigger 8 */
    /* THRE must be re-asserted after being acknowledged (else the driver
     * sets UART_BUG_THRE and polls). */
    wr(&f, 1, 0x02);
    uint8_t iir1 = rd(&f, 2);
    wr(&f, 1, 0x00);
    wr(&f, 1, 0x02);
    uint8_t iir = rd(&f, 2);
    wr(&f, 1, 0x00);
    ck_assert_uint_eq(iir1 & 0x01, 0);
    ck_assert_uint_eq(iir & 0x01, 0);
    /* Enabling the TX interrupt must show up in IIR (else UART_BUG_TXEN). */
    wr(&f, 1, 0x02);
    uint8_t lsr = rd(&f, 5);
    iir = rd(&f, 2);
    wr(&f, 1, 0x00);
    ck_assert(lsr & 0x40);
    ck_assert_uint_eq(iir & 0x01, 0);
    ck_assert(!f.irq.level);
    fix_done(&f);
}
END_TEST

/* -------------------------------------------------------------- backends */

START_TEST(test_file_backend)
{
    char path[] = "/tmp/rewind-uart-fileXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "old contents\n", 13), 13);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof(spec), "file:%s", path);
    Fix f;
    fix_init(&f, spec);
    const char *msg = "hello, uart\r\nprompt# ";
    ck_assert_uint_eq(machine_next_deadline(f.m), UINT64_MAX);
    for (const char *p = msg; *p; p++)
        wr(&f, 0, (uint8_t)*p);
    /* The partial line asks for a tick now, before the loop may block. */
    ck_assert_uint_le(machine_next_deadline(f.m), machine_mtime(f.m)); /* due */
    machine_tick_devices(f.m);
    ck_assert_uint_eq(machine_next_deadline(f.m), UINT64_MAX);
    FILE *in = fopen(path, "r");
    ck_assert_ptr_nonnull(in);
    char buf[64] = { 0 };
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    ck_assert_uint_eq(n, strlen(msg));
    ck_assert_str_eq(buf, msg); /* truncated, then written */
    fix_done(&f);
    unlink(path);
}
END_TEST

/* A console that cannot be written is said once (on stderr) and dropped:
 * the machine goes on (issue 21: `| head`, `>/dev/full`). */
START_TEST(test_write_error_drops_output)
{
    if (access("/dev/full", W_OK) != 0)
        return;
    Fix f;
    fix_init(&f, "file:/dev/full");
    for (int i = 0; i < 3; i++) {
        wr(&f, 0, 'x');
        wr(&f, 0, '\n');
    }
    ck_assert_int_eq(f.m->stop, STOP_NONE);
    fix_done(&f);
}
END_TEST

START_TEST(test_bad_specs)
{
    Machine *m = test_machine_new();
    static const struct {
        const char *spec, *want;
    } cases[] = {
        { "bogus", "-serial bogus: unknown backend" },
        { "file:", "-serial file:: missing file name" },
        { "file:/nonexistent-dir/x", "-serial file:/nonexistent-dir/x: No such file" },
        { "tcp:127.0.0.1", "expected tcp:" },
        { "tcp::99999,server", "expected tcp:" },
        { "tcp::x1,server", "expected tcp:" },
        { "tcp::0", "only server mode" },
        { "tcp::0,server,telnet", "unknown option 'telnet'" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        ck_assert_ptr_null(chardev_new(m, cases[i].spec, err, sizeof(err)));
        ck_assert_msg(strstr(err, cases[i].want) != NULL, "%s: got '%s'", cases[i].spec, err);
    }
    /* A port in use is reported with the address. */
    char err[256];
    CharDev *a = chardev_new(m, "tcp::0,server,nowait", err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d,server,nowait", chardev_tcp_port(a));
    ck_assert_ptr_null(chardev_new(m, spec, err, sizeof(err)));
    ck_assert_msg(strstr(err, "cannot listen on 127.0.0.1:") != NULL, "%s", err);
    chardev_free(a);
    machine_free(m);
}
END_TEST

static int connect_to(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    return s;
}

static bool got_bytes(Fix *f, void *arg)
{
    (void)f;
    int *pair = arg; /* socket, bytes wanted */
    struct pollfd p = { .fd = pair[0], .events = POLLIN };
    return poll(&p, 1, 0) == 1 && pair[1]-- <= 0;
}

START_TEST(test_tcp_backend)
{
    Fix f;
    CharDev *cd;
    fix_init_cd(&f, "tcp::0,server,nowait", &cd);
    int port = chardev_tcp_port(cd);
    ck_assert_int_gt(port, 0);
    wr(&f, 0, 'z'); /* no client yet: dropped */
    machine_tick_devices(f.m);
    int s = connect_to(port);
    wr(&f, 2, 0x07); /* FIFOs on */
    const char msg[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD"; /* 40 > FIFO */
    ck_assert_int_eq(send(s, msg, 40, 0), 40);
    char got[41] = { 0 };
    for (unsigned n = 0; n < 40;) {
        ck_assert_msg(pump_until(&f, has_data, NULL), "only %u bytes arrived", n);
        while ((rd(&f, 5) & 1) && n < 40)
            got[n++] = (char)rd(&f, 0);
    }
    ck_assert_str_eq(got, msg); /* back-pressure kept every byte, in order */
    /* Output reaches the client. */
    for (const char *p = "out"; *p; p++)
        wr(&f, 0, (uint8_t)*p);
    int arg[2] = { s, 0 };
    ck_assert(pump_until(&f, got_bytes, arg));
    char buf[8] = { 0 };
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 3); /* 'z' was not kept */
    ck_assert_str_eq(buf, "out");
    /* A second client waits until the first leaves. */
    int s2 = connect_to(port);
    ck_assert_int_eq(send(s2, "2", 1, 0), 1);
    for (unsigned i = 0; i < 20; i++) {
        uv_run(f.m->loop, UV_RUN_NOWAIT);
        machine_tick_devices(f.m);
    }
    ck_assert_uint_eq(rd(&f, 5) & 1, 0);
    close(s);
    ck_assert(pump_until(&f, has_data, NULL));
    ck_assert_uint_eq(rd(&f, 0), '2');
    close(s2);
    fix_done(&f);
}
END_TEST

/* A client that stops reading: output queues up to a bound, then the
 * client leaves with writes in flight; later output is dropped. */
START_TEST(test_tcp_slow_client)
{
    Fix f;
    CharDev *cd;
    fix_init_cd(&f, "tcp::0,server,nowait", &cd);
    int s = connect_to(chardev_tcp_port(cd));
    for (unsigned i = 0; i < 20; i++)
        uv_run(f.m->loop, UV_RUN_NOWAIT); /* accept */
    static uint8_t chunk[64 << 10];
    memset(chunk, 'o', sizeof(chunk));
    for (unsigned i = 0; i < 40; i++) { /* 2.5 MiB, more than the bound */
        chardev_write(cd, chunk, sizeof(chunk));
        uv_run(f.m->loop, UV_RUN_NOWAIT);
    }
    ck_assert_int_eq(f.m->stop, STOP_NONE);
    close(s);
    for (unsigned i = 0; i < 20; i++) {
        chardev_write(cd, chunk, sizeof(chunk));
        uv_run(f.m->loop, UV_RUN_NOWAIT);
    }
    ck_assert_int_eq(f.m->stop, STOP_NONE);
    fix_done(&f);
}
END_TEST

/* Run a stdio backend with fd 0 replaced (the test runs in its own
 * process under check's fork mode; fd 0 is put back anyway). */
static void with_stdin(int fd, void (*body)(void *), void *arg)
{
    int saved = dup(0);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fd, 0), 0);
    close(fd);
    body(arg);
    dup2(saved, 0);
    close(saved);
}

static void stdio_reads_three_bytes(void *arg)
{
    (void)arg;
    Fix f;
    fix_init(&f, "stdio");
    wr(&f, 2, 0x01);
    char got[4] = { 0 };
    for (unsigned n = 0; n < 3;) {
        ck_assert_msg(pump_until(&f, has_data, NULL), "only %u bytes arrived", n);
        while (rd(&f, 5) & 1)
            got[n++] = (char)rd(&f, 0);
    }
    ck_assert_str_eq(got, "abc");
    /* EOF closed the input: nothing keeps the loop alive. */
    for (unsigned i = 0; i < 5; i++)
        uv_run(f.m->loop, UV_RUN_NOWAIT);
    ck_assert(!uv_loop_alive(f.m->loop));
    fix_done(&f);
}

START_TEST(test_stdio_pipe)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "abc", 3), 3);
    close(p[1]);
    with_stdin(p[0], stdio_reads_three_bytes, NULL);
}
END_TEST

START_TEST(test_stdio_file)
{
    char path[] = "/tmp/rewind-uart-stdinXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "abc", 3), 3);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    unlink(path);
    with_stdin(fd, stdio_reads_three_bytes, NULL);
}
END_TEST

static void stdio_tty_escapes(void *arg)
{
    int pty_master = *(int *)arg;
    Fix f;
    fix_init(&f, "stdio");
    wr(&f, 2, 0x01);
    /* Ctrl-A Ctrl-A is a literal Ctrl-A, Ctrl-A h only prints help,
     * Ctrl-A x quits and drops what follows. */
    const char keys[] = "a\001\001b\001hc\001xd";
    ck_assert_int_eq(write(pty_master, keys, sizeof(keys) - 1), (int)sizeof(keys) - 1);
    ck_assert(pump_until(&f, stopped, NULL));
    ck_assert_int_eq(f.m->stop, STOP_EXIT);
    ck_assert_int_eq(f.m->exit_code, 0);
    char got[8] = { 0 };
    unsigned n = 0;
    while ((rd(&f, 5) & 1) && n < 7) {
        got[n++] = (char)rd(&f, 0);
        machine_tick_devices(f.m);
    }
    ck_assert_str_eq(got, "a\001bc");
    fix_done(&f);
}

START_TEST(test_stdio_tty_escapes)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        return; /* no ptys here: nothing to test */
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(slave, 0);
    struct termios before, after;
    ck_assert_int_eq(tcgetattr(slave, &before), 0);
    int keep = dup(slave);
    with_stdin(slave, stdio_tty_escapes, &master);
    /* The terminal settings are back. */
    ck_assert_int_eq(tcgetattr(keep, &after), 0);
    ck_assert_uint_eq(after.c_lflag, before.c_lflag);
    ck_assert_uint_eq(after.c_iflag, before.c_iflag);
    close(keep);
    close(master);
}
END_TEST

/* In a child with the pty as stdin: open the console (raw mode), then
 * leave by a signal or by exit() without closing it. */
static void tty_child(int slave, int how)
{
    dup2(slave, 0);
    /* As in the rewind process: default dispositions (check's own
     * handlers, inherited here, would kill the whole test). */
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
    Machine *m = test_machine_new();
    char err[128];
    CharDev *cd = chardev_new(m, "stdio", err, sizeof(err));
    struct termios t;
    tcgetattr(0, &t);
    if (!cd || (t.c_lflag & ICANON))
        _exit(3); /* not in raw mode: the parent sees a wrong status */
    if (how)
        raise(how);
    exit(7);
}

START_TEST(test_stdio_tty_restored_on_signal_and_exit)
{
    static const int hows[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, 0 };
    /* libuv saves the terminal settings once per process: without check's
     * fork mode an earlier tty test already used that slot. */
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode && strcmp(fork_mode, "no") == 0)
        return;
    for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
        int master = posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
            return;
        int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
        ck_assert_int_ge(slave, 0);
        struct termios before, after;
        ck_assert_int_eq(tcgetattr(slave, &before), 0);
        fflush(NULL);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            tty_child(slave, hows[i]);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        if (hows[i]) {
            ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == hows[i],
                          "signal %d: status 0x%x", hows[i], status);
        } else {
            ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
        }
        ck_assert_int_eq(tcgetattr(slave, &after), 0);
        ck_assert_msg(after.c_lflag == before.c_lflag && after.c_iflag == before.c_iflag,
                      "signal %d: terminal not restored", hows[i]);
        close(slave);
        close(master);
    }
}
END_TEST

Suite *suite_uart(void)
{
    Suite *s = suite_create("uart");
    TCase *regs = tcase_create("registers");
    tcase_add_test(regs, test_reset_values_and_scratch);
    tcase_add_test(regs, test_divisor_latch);
    tcase_add_test(regs, test_bad_access);
    tcase_add_test(regs, test_rx_fifo_order_and_capacity);
    tcase_add_test(regs, test_state_keeps_backend_queue);
    tcase_add_test(regs, test_overrun_and_line_status_irq);
    tcase_add_test(regs, test_iir_priorities);
    tcase_add_test(regs, test_thre_interrupt);
    tcase_add_test(regs, test_loopback);
    tcase_add_test(regs, test_char_timeout);
    tcase_add_test(regs, test_timers_follow_a_restore);
    tcase_add_test(regs, test_linux_8250_probe_sequence);
    suite_add_tcase(s, regs);
    TCase *back = tcase_create("backends");
    tcase_add_test(back, test_file_backend);
    tcase_add_test(back, test_write_error_drops_output);
    tcase_add_test(back, test_bad_specs);
    tcase_add_test(back, test_tcp_backend);
    tcase_add_test(back, test_tcp_slow_client);
    tcase_add_test(back, test_stdio_pipe);
    tcase_add_test(back, test_stdio_file);
    tcase_add_test(back, test_stdio_tty_escapes);
    tcase_add_test(back, test_stdio_tty_restored_on_signal_and_exit);
    suite_add_tcase(s, back);
    return s;
}
