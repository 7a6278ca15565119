/* CLINT (SiFive core-local interruptor): per-hart software interrupt
 * (msip) and timer compare (mtimecmp) registers, plus the shared mtime.
 * Drives MSIP and MTIP in each hart's mip. Layout as on QEMU's virt:
 * msip[h] at 0x0 + 4*h, mtimecmp[h] at 0x4000 + 8*h, mtime at 0xbff8.
 * mtime is machine_mtime(); guest writes to it are accepted and ignored
 * (the platform clock is a function of icount and cannot be set). */
#ifndef REWIND_DEVICES_CLINT_H
#define REWIND_DEVICES_CLINT_H

#include <stddef.h>
#include <stdint.h>

struct Machine;

#define CLINT_BASE 0x2000000ULL
#define CLINT_SIZE 0x10000ULL

typedef struct Clint Clint;

/* Map the CLINT at base for all of m's harts, register its timers (one per
 * hart, on m->timers) and attach its
 * reset / free / save / load hooks (the machine frees it). Returns NULL
 * with a message in err on failure. */
Clint *clint_new(struct Machine *m, uint64_t base, char *err, size_t errlen);

#endif
