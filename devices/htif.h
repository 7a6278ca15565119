/* HTIF: the host-target interface of Spike and the RISC-V ISA tests. The
 * guest writes commands to `tohost` and reads answers from `fromhost`,
 * two words in RAM found through the ELF symbol table. rewind handles exit
 * (device 0, command 0, payload bit 0 set) and console output (device 1,
 * command 1). */
#ifndef REWIND_DEVICES_HTIF_H
#define REWIND_DEVICES_HTIF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct Machine;

typedef struct Htif Htif;

/* Map tohost/fromhost (addresses in RAM) as a device; console output goes
 * to `out`. Returns NULL with a message in err on failure. */
Htif *htif_new(struct Machine *m, uint64_t tohost, uint64_t fromhost,
               FILE *out, char *err, size_t errlen);
void htif_free(Htif *h);

#endif
