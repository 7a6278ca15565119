/* Tiny runtime for rewind's bare-metal guests: console output, a small
 * printf, exit, and CSR helpers.
 *
 * By default the console and exit go through HTIF (tohost/fromhost, as on
 * QEMU's spike machine and rewind's bare mode). Built with -DRT_VIRT they go
 * through the NS16550 UART at 0x10000000 and the SiFive test finisher at
 * 0x100000 instead (QEMU's and rewind's virt machine); if reading the UART
 * traps, such an image falls back to HTIF. */
#ifndef RT_H
#define RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

int putchar(int c);
/* Writes s and a newline, like C's puts. */
int puts(const char *s);
/* Writes s without a newline. */
void rt_print(const char *s);
void rt_print_hex(uint64_t v);   /* 0x-prefixed, 16 digits */
void rt_print_dec(int64_t v);
void rt_print_udec(uint64_t v);

/* Supports %d %i %u %x %X %p %s %c %% with an optional l/ll/z length,
 * a field width and the 0 and - flags. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

/* Ends the program: 0 is success, anything else is failure. */
void exit(int code) __attribute__((noreturn));

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Called from crt.S. */
void rt_unexpected_trap(uint64_t cause, uint64_t epc, uint64_t tval,
                        int mode, uint64_t test) __attribute__((noreturn));
void rt_fail(uint64_t test) __attribute__((noreturn));
int main(void);
/* The device tree address hart 0 found in a1 at reset (set by crt.S). */
extern const void *rt_fdt;

#define RT_STR_(x) #x
#define RT_STR(x) RT_STR_(x)
#define rt_csr_read(csr) ({                                   \
    uint64_t rt_v_;                                           \
    __asm__ volatile("csrr %0, " RT_STR(csr) : "=r"(rt_v_));  \
    rt_v_; })
#define rt_csr_write(csr, v)                                  \
    __asm__ volatile("csrw " RT_STR(csr) ", %0" :: "r"((uint64_t)(v)))

static inline uint64_t rt_instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static inline uint64_t rt_cycle(void)
{
    uint64_t v;
    __asm__ volatile("rdcycle %0" : "=r"(v));
    return v;
}

#endif
