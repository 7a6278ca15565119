/* Tiny runtime for rewind's bare-metal guests (see rt.h). */
#include "rt.h"

const void *rt_fdt;

/* ---- HTIF: a 64-bit command word in tohost, the answer in fromhost ---- */
extern volatile uint64_t tohost;
extern volatile uint64_t fromhost;

#define RT_HTIF_CMD(dev, cmd, payload) \
    (((uint64_t)(dev) << 56) | ((uint64_t)(cmd) << 48) | (payload))

static void rt_htif_send(uint64_t cmd)
{
    while (tohost != 0)
        ;
    tohost = cmd;
}

static void rt_htif_byte(uint8_t c)
{
    rt_htif_send(RT_HTIF_CMD(1, 1, c));
    /* The host acknowledges each byte through fromhost. */
    while (fromhost == 0)
        ;
    fromhost = 0;
}

static void rt_htif_exit(int code)
{
    rt_htif_send(((uint64_t)(uint32_t)code << 1) | 1);
}

#ifdef RT_VIRT
/* ---- virt machine: NS16550 UART and SiFive test finisher ----
 * If there is no UART (the load traps), HTIF is used instead, so the same
 * image also runs on a machine that only has HTIF. */
#define RT_UART_BASE 0x10000000UL
#define RT_UART_THR 0
#define RT_UART_LSR 5
#define RT_UART_LSR_THRE 0x20
#define RT_FINISHER_BASE 0x100000UL
#define RT_FINISHER_PASS 0x5555
#define RT_FINISHER_FAIL 0x3333

int rt_probe_read8(uintptr_t addr); /* crt.S: 1 if a byte load works */

static int rt_virt_mode; /* 0 unknown, 1 UART, 2 HTIF */

static int rt_have_uart(void)
{
    if (rt_virt_mode == 0)
        rt_virt_mode = rt_probe_read8(RT_UART_BASE + RT_UART_LSR) ? 1 : 2;
    return rt_virt_mode == 1;
}

static void rt_console_byte(uint8_t c)
{
    volatile uint8_t *uart = (volatile uint8_t *)RT_UART_BASE;
    if (!rt_have_uart()) {
        rt_htif_byte(c);
        return;
    }
    while (!(uart[RT_UART_LSR] & RT_UART_LSR_THRE))
        ;
    uart[RT_UART_THR] = c;
}

void exit(int code)
{
    volatile uint32_t *fin = (volatile uint32_t *)RT_FINISHER_BASE;
    if (rt_have_uart())
        *fin = code == 0 ? RT_FINISHER_PASS
                         : ((uint32_t)code << 16) | RT_FINISHER_FAIL;
    else
        rt_htif_exit(code);
    for (;;)
        __asm__ volatile("wfi");
}

#else
static void rt_console_byte(uint8_t c)
{
    rt_htif_byte(c);
}

void exit(int code)
{
    rt_htif_exit(code);
    for (;;)
        __asm__ volatile("wfi");
}
#endif

int putchar(int c)
{
    rt_console_byte((uint8_t)c);
    return (uint8_t)c;
}

void rt_print(const char *s)
{
    while (*s)
        rt_console_byte((uint8_t)*s++);
}

int puts(const char *s)
{
    rt_print(s);
    rt_console_byte('\n');
    return 0;
}

/* Digits of v in base, least significant first; returns the count. */
static int rt_digits(uint64_t v, unsigned base, int upper, char *buf)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        buf[n++] = set[v % base];
        v /= base;
    } while (v);
    return n;
}

typedef struct RtFmt {
    int width;
    int zero;
    int left;
} RtFmt;

static int rt_pad(int count, char c)
{
    for (int i = 0; i < count; i++)
        rt_console_byte((uint8_t)c);
    return count > 0 ? count : 0;
}

static int rt_emit_num(uint64_t v, int neg, unsigned base, int upper,
                       const char *prefix, const RtFmt *f)
{
    char buf[24];
    int n = rt_digits(v, base, upper, buf);
    int plen = (int)strlen(prefix) + (neg ? 1 : 0);
    int pad = f->width - n - plen;
    int out = 0;

    if (!f->left && !f->zero)
        out += rt_pad(pad, ' ');
    if (neg)
        out += rt_pad(1, '-');
    rt_print(prefix);
    out += (int)strlen(prefix);
    if (!f->left && f->zero)
        out += rt_pad(pad, '0');
    for (int i = n - 1; i >= 0; i--)
        rt_console_byte((uint8_t)buf[i]);
    out += n;
    if (f->left)
        out += rt_pad(pad, ' ');
    return out;
}

void rt_print_hex(uint64_t v)
{
    RtFmt f = { 16, 1, 0 };
    rt_emit_num(v, 0, 16, 0, "0x", &f);
}

void rt_print_udec(uint64_t v)
{
    RtFmt f = { 0, 0, 0 };
    rt_emit_num(v, 0, 10, 0, "", &f);
}

void rt_print_dec(int64_t v)
{
    RtFmt f = { 0, 0, 0 };
    /* negate in unsigned arithmetic so INT64_MIN works */
    rt_emit_num(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 10, 0, "", &f);
}

int vprintf(const char *fmt, va_list ap)
{
    int out = 0;

    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            rt_console_byte((uint8_t)*p);
            out++;
            continue;
        }
        RtFmt f = { 0, 0, 0 };
        int longs = 0;
        p++;
        for (;; p++) {
            if (*p == '0')
                f.zero = 1;
            else if (*p == '-')
                f.left = 1;
            else
                break;
        }
        while (*p >= '0' && *p <= '9')
            f.width = f.width * 10 + (*p++ - '0');
        while (*p == 'l' || *p == 'z') {
            longs++;
            p++;
        }
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            out += rt_emit_num(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0,
                               10, 0, "", &f);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            out += rt_emit_num(v, 0, *p == 'u' ? 10 : 16, *p == 'X', "", &f);
            break;
        }
        case 'p':
            out += rt_emit_num((uint64_t)(uintptr_t)va_arg(ap, void *), 0, 16,
                               0, "0x", &f);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len;
            if (!s)
                s = "(null)";
            len = (int)strlen(s);
            if (!f.left)
                out += rt_pad(f.width - len, ' ');
            rt_print(s);
            out += len;
            if (f.left)
                out += rt_pad(f.width - len, ' ');
            break;
        }
        case 'c':
            rt_console_byte((uint8_t)va_arg(ap, int));
            out++;
            break;
        case '%':
            rt_console_byte('%');
            out++;
            break;
        case '\0':
            return out;
        default:
            /* unknown conversion: show it as written */
            rt_console_byte('%');
            rt_console_byte((uint8_t)*p);
            out += 2;
            break;
        }
    }
    return out;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* ---- the C library functions the compiler may call on its own ---- */

void *memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d; /* volatile: keep gcc from calling memset here */
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    volatile uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp <= sp || dp >= sp + n) {
        while (n--)
            *dp++ = *sp++;
    } else {
        while (n--)
            dp[n] = sp[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* ---- failure reports, called from crt.S ---- */

static const char *rt_cause_name(uint64_t cause)
{
    static const char *const names[] = {
        "instruction address misaligned", "instruction access fault",
        "illegal instruction", "breakpoint", "load address misaligned",
        "load access fault", "store/AMO address misaligned",
        "store/AMO access fault", "ecall from U-mode", "ecall from S-mode",
        "reserved", "ecall from M-mode", "instruction page fault",
        "load page fault", "reserved", "store/AMO page fault",
    };
    if (cause >> 63)
        return "interrupt";
    return cause < sizeof names / sizeof names[0] ? names[cause] : "reserved";
}

void rt_unexpected_trap(uint64_t cause, uint64_t epc, uint64_t tval, int mode,
                        uint64_t test)
{
    printf("unexpected trap into %c-mode: %s (cause=0x%lx epc=0x%lx "
           "tval=0x%lx), test %lu\n",
           mode, rt_cause_name(cause), cause, epc, tval, test);
    exit(255);
}

void rt_fail(uint64_t test)
{
    printf("FAIL: test %lu\n", test);
    /* Exit codes are 8 bits on the host side: keep failures nonzero and
     * distinct from the unexpected-trap code 255. */
    exit(test >= 1 && test <= 254 ? (int)test : 254);
}
