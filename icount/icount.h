/* The virtual clock: a function of the instructions retired by all harts.
 *
 *   clock (ns) = total icount * ns_per_insn + time skipped while idle
 *   mtime      = clock / 100  (the 10 MHz timebase)
 *
 * `-icount shift=N` sets ns_per_insn = 2^N. Without -icount the clock runs
 * at a nominal 100 MIPS (10 ns per instruction). `shift=auto` uses 2^3 ns
 * per instruction and paces the host: when the guest's clock gets ahead of
 * wall-clock time, the run loop sleeps. Pacing changes wall time only:
 * everything the guest sees stays a function of icount. */
#ifndef REWIND_ICOUNT_ICOUNT_H
#define REWIND_ICOUNT_ICOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct IcountConfig {
    uint64_t ns_per_insn; /* 1..1024; 0 means the default (10) */
    bool pace;            /* shift=auto: sleep when ahead of real time */
} IcountConfig;

/* Parse the argument of -icount: "shift=N", "N" (0..10), "shift=auto",
 * "auto". Other QEMU sub-options (align=, sleep=) are refused with a
 * message naming them. */
bool icount_parse(const char *spec, IcountConfig *cfg, char *err, size_t errlen);

/* Instructions to run from clock `now_ns` until the clock reaches
 * `deadline_ns` (at least 1 when the deadline lies ahead; 0 if it has
 * passed). */
uint64_t icount_insns_until(uint64_t now_ns, uint64_t deadline_ns,
                            uint64_t ns_per_insn);

/* Host monotonic time in ns: used only for pacing and statistics, never
 * for anything the guest sees. */
uint64_t icount_host_ns(void);

#endif
