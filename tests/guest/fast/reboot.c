/* Reboots in the fast mode: hart 0 asks the syscon for a reset (0x7777 to
 * the SiFive test finisher) until 0.1 s of mtime has passed, while the
 * other harts store to memory in a loop; then it exits with 0. RAM is
 * cleared and the images reloaded at every reset, but the clock keeps
 * going, so the program runs again and again until the time is up. A
 * reboot that cannot stop the running harts, or leaves one asleep,
 * hangs (the caller's time limit catches it). */
#include "rt.h"

#define CLINT_MTIME ((volatile uint64_t *)0x200bff8UL)
#define FINISHER ((volatile uint32_t *)0x100000UL)

static volatile uint64_t busy[8][8];

void rt_other_hart(uint64_t hartid, const void *fdt);
void rt_other_hart(uint64_t hartid, const void *fdt)
{
    (void)fdt;
    for (uint64_t i = 0;; i++)
        busy[hartid & 7][i & 7] = i;
}

int main(void)
{
    if (*CLINT_MTIME < 1000000) { /* 0.1 s at 10 MHz */
        *FINISHER = 0x7777;
        for (;;)
            ;
    }
    printf("reboot: done at mtime %lu\n", (unsigned long)*CLINT_MTIME);
    return 0;
}
