/* The console guest of the record/replay tests: reads lines from the UART
 * and reports, for each, the virtual time its first byte arrived and a
 * counter that the other harts increment meanwhile. Any difference in the
 * instruction where input arrived, in the clock or in the interleaving of
 * the harts shows in its output, so a replay must reproduce it exactly.
 *
 * Line k is awaited in mode k % 3: 0 polls the UART, 1 sleeps (wfi) until
 * the UART interrupt (PLIC, M-mode context of hart 0), 2 sleeps on 100 us
 * timer ticks and polls. Other harts add to the counter in bursts and nap
 * on the timer between bursts, so that at times every hart sleeps. The
 * line "quit" ends the program (exit 0), "reboot" resets the machine. First it reports the RTC's time,
 * which comes from the host clock when recording, and, when the machine has
 * a virtio-rng device, 16 bytes of its entropy. */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000UL)
#define UART_RBR 0
#define UART_IER 1
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define PLIC 0x0c000000UL
#define UART_IRQ 10
#define CLINT_MTIMECMP(h) ((volatile uint64_t *)(0x2004000UL + 8 * (h)))
#define RTC ((volatile uint32_t *)0x101000UL)
#define FINISHER ((volatile uint32_t *)0x100000UL)
#define MIE_MTIE (1UL << 7)
#define MIE_MEIE (1UL << 11)

static volatile uint64_t counter;
static volatile int stop;

static void putc_(char c)
{
    while (!(UART[UART_LSR] & LSR_THRE))
        ;
    UART[0] = (uint8_t)c;
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void putu(uint64_t v)
{
    char b[24];
    int n = 0;
    do
        b[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        putc_(b[--n]);
}

static uint64_t mtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

static void csr_set_mie(uint64_t v)
{
    __asm__ volatile("csrw mie, %0" ::"r"(v));
}

static void wfi(void)
{
    __asm__ volatile("wfi");
}

static void exit_(int code)
{
    *FINISHER = code ? (uint32_t)code << 16 | 0x3333 : 0x5555;
    for (;;)
        wfi();
}

/* Sleep on the timer for `ticks` mtime units (10 MHz). */
static void nap(uint64_t hart, uint64_t ticks)
{
    *CLINT_MTIMECMP(hart) = mtime() + ticks;
    csr_set_mie(MIE_MTIE);
    wfi();
    *CLINT_MTIMECMP(hart) = UINT64_MAX;
    csr_set_mie(0);
}

static void worker(uint64_t hart)
{
    while (!stop) {
        for (int i = 0; i < 2000; i++)
            __atomic_fetch_add(&counter, hart, __ATOMIC_RELAXED);
        nap(hart, 200 * hart);
    }
    for (;;)
        wfi();
}

static void uart_irq_setup(void)
{
    *(volatile uint32_t *)(PLIC + 4 * UART_IRQ) = 1;             /* priority */
    *(volatile uint32_t *)(PLIC + 0x2000) = 1u << UART_IRQ;      /* enable, ctx 0 */
    *(volatile uint32_t *)(PLIC + 0x200000) = 0;                 /* threshold */
    UART[UART_IER] = 1;                                          /* rx data */
}

/* Wait for one byte in the given mode. */
static uint8_t getc_(int mode)
{
    while (!(UART[UART_LSR] & LSR_DR)) {
        if (mode == 1) {
            csr_set_mie(MIE_MEIE);
            wfi();
            csr_set_mie(0);
            volatile uint32_t *claim = (volatile uint32_t *)(PLIC + 0x200004);
            uint32_t id = *claim;
            if (id)
                *claim = id;
        } else if (mode == 2) {
            nap(0, 1000);
        }
    }
    return UART[UART_RBR];
}

/* ---- virtio-rng (virtio-mmio version 2), one request, polled ---- */
#define VIRTIO_SLOT(i) (0x10001000UL + 0x1000UL * (i))
#define VREG(b, off) (*(volatile uint32_t *)((b) + (off)))

struct vdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};
static struct vdesc vq_desc[8] __attribute__((aligned(16)));
static volatile uint16_t vq_avail[2 + 8] __attribute__((aligned(2)));
static volatile uint32_t vq_used[1 + 2 * 8] __attribute__((aligned(4)));
static uint8_t rng_buf[16];

/* Fill rng_buf from the first virtio-rng device; false if there is none. */
static int rng_read(void)
{
    for (int i = 7; i >= 0; i--) {
        uintptr_t b = VIRTIO_SLOT(i);
        if (VREG(b, 0x000) != 0x74726976 || VREG(b, 0x004) != 2 || VREG(b, 0x008) != 4)
            continue;
        VREG(b, 0x070) = 0;
        VREG(b, 0x070) = 1 | 2;               /* ACKNOWLEDGE | DRIVER */
        VREG(b, 0x024) = 1;
        VREG(b, 0x020) = 1;                   /* VIRTIO_F_VERSION_1 */
        VREG(b, 0x024) = 0;
        VREG(b, 0x020) = 0;
        VREG(b, 0x070) = 1 | 2 | 8;           /* FEATURES_OK */
        if (!(VREG(b, 0x070) & 8))
            return 0;
        VREG(b, 0x030) = 0;
        VREG(b, 0x038) = 8;
        VREG(b, 0x080) = (uint32_t)(uintptr_t)vq_desc;
        VREG(b, 0x084) = 0;
        VREG(b, 0x090) = (uint32_t)(uintptr_t)vq_avail;
        VREG(b, 0x094) = 0;
        VREG(b, 0x0a0) = (uint32_t)(uintptr_t)vq_used;
        VREG(b, 0x0a4) = 0;
        VREG(b, 0x044) = 1;                   /* QueueReady */
        VREG(b, 0x070) = 1 | 2 | 8 | 4;       /* DRIVER_OK */
        vq_desc[0] = (struct vdesc){ (uintptr_t)rng_buf, sizeof(rng_buf), 2, 0 };
        vq_avail[2] = 0;
        __asm__ volatile("fence" ::: "memory");
        vq_avail[1] = 1;
        __asm__ volatile("fence" ::: "memory");
        VREG(b, 0x050) = 0;                   /* notify queue 0 */
        while ((vq_used[0] >> 16) == 0)
            ;
        return 1;
    }
    return 0;
}

static void puthex8(uint8_t v)
{
    static const char d[] = "0123456789abcdef";
    putc_(d[v >> 4]);
    putc_(d[v & 15]);
}

void guest_main(uint64_t hart);
void guest_main(uint64_t hart)
{
    if (hart != 0)
        worker(hart);
    uart_irq_setup();
    uint64_t rtc = RTC[0];
    rtc |= (uint64_t)RTC[1] << 32;
    puts_("console guest: rtc ");
    putu(rtc / 1000000000);
    puts_(" s\n");
    if (rng_read()) {
        puts_("console guest: entropy ");
        for (unsigned i = 0; i < sizeof(rng_buf); i++)
            puthex8(rng_buf[i]);
        putc_('\n');
    }
    char line[128];
    for (int k = 0;; k++) {
        int mode = k % 3, n = 0;
        uint64_t first = 0, seen = 0;
        puts_("> ");
        for (;;) {
            uint8_t c = getc_(mode);
            if (n == 0) {
                first = mtime();
                seen = counter;
            }
            if (c == '\n' || c == '\r')
                break;
            if (n < (int)sizeof(line) - 1)
                line[n++] = (char)c;
        }
        line[n] = 0;
        puts_("line ");
        putu((uint64_t)k);
        puts_(" mode ");
        putu((uint64_t)mode);
        puts_(": \"");
        puts_(line);
        puts_("\" at mtime ");
        putu(first);
        puts_(" counter ");
        putu(seen);
        putc_('\n');
        if (n == 4 && line[0] == 'q' && line[1] == 'u' && line[2] == 'i' && line[3] == 't')
            break;
        if (n == 6 && line[0] == 'r' && line[1] == 'e' && line[2] == 'b' && line[3] == 'o' &&
            line[4] == 'o' && line[5] == 't') {
            puts_("rebooting\n");
            *FINISHER = 0x7777; /* the machine starts over (same images) */
            for (;;)
                wfi();
        }
    }
    stop = 1;
    puts_("bye\n");
    exit_(0);
}
