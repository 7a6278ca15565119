/* Goldfish RTC (Linux rtc-goldfish): nanoseconds since the epoch plus a
 * one-shot alarm with an interrupt. Time runs on the platform clock:
 * base_ns + machine_mtime() * 100 (+ whatever offset the guest set), so
 * it is deterministic once base_ns is fixed. */
#ifndef REWIND_DEVICES_GOLDFISH_RTC_H
#define REWIND_DEVICES_GOLDFISH_RTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"

struct Machine;

#define GOLDFISH_RTC_BASE 0x101000ULL
#define GOLDFISH_RTC_SIZE 0x1000ULL
enum { GOLDFISH_RTC_IRQ = 11 }; /* PLIC source on QEMU's virt */

typedef struct GoldfishRtc GoldfishRtc;

/* Map the RTC at base; base_ns is the wall-clock time (ns since
 * 1970-01-01 UTC) at mtime 0, normally from rtc_parse_base(). Attaches its
 * alarm timer (on m->timers) and its reset / free / save / load hooks (the
 * machine frees it).
 * Returns NULL with a message in err on failure. */
GoldfishRtc *goldfish_rtc_new(struct Machine *m, uint64_t base, IrqLine irq,
                              int64_t base_ns, char *err, size_t errlen);

/* Parse the -rtc option: "base=utc" (host time now, also for spec NULL or
 * ""), "base=localtime" (host time shifted by the host's UTC offset) or
 * "base=YYYY-MM-DDTHH:MM:SS" / "base=YYYY-MM-DD" (UTC). Returns false with
 * a message naming the option in err on a bad spec. */
bool rtc_parse_base(const char *spec, int64_t *base_ns, char *err,
                    size_t errlen);

/* The only place host wall-clock time is read (to be routed through
 * record/replay): ns since the epoch, shifted by the host's UTC offset
 * when local is true. */
int64_t rtc_host_time_ns(bool local);

#endif
