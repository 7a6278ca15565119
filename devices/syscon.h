/* SiFive test finisher, also used as the syscon behind Linux's
 * syscon-poweroff / syscon-reboot nodes. One 32-bit register at offset 0:
 *   0x5555            pass: the run ends with exit code 0 (poweroff)
 *   0x7777            reset: machine_request_reset (reboot; -no-reboot: exit 0)
 *   0x3333 | code<<16 fail: the run ends with exit code `code` (as QEMU,
 *                     so code 0 ends with 0 too)
 * Other values are ignored (logged under -d unimp). Reads return 0. */
#ifndef REWIND_DEVICES_SYSCON_H
#define REWIND_DEVICES_SYSCON_H

#include <stddef.h>
#include <stdint.h>

struct Machine;

#define SYSCON_SIZE 0x1000ULL
enum { SYSCON_FAIL = 0x3333, SYSCON_PASS = 0x5555, SYSCON_RESET = 0x7777 };

typedef struct Syscon Syscon;

/* Map the finisher at base (MEM_TEST_BASE on virt) and attach its free hook
 * (the machine frees it). Returns NULL with a message in err on failure. */
Syscon *syscon_new(struct Machine *m, uint64_t base, char *err, size_t errlen);

#endif
