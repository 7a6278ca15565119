/* The machine: harts, memory, devices and the translation cache, plus the
 * run state that the run loop and the tools share. No globals: everything
 * hangs off this struct. */
#ifndef REWIND_CORE_MACHINE_H
#define REWIND_CORE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/hart.h"
#include "core/log.h"
#include "core/memory.h"

struct TbCache;
struct Htif;

enum { MACHINE_MAX_HARTS = 8 };

/* Default memory map (see DESIGN.md, "Machine"). */
#define MEM_RAM_BASE 0x80000000ULL
#define MEM_BOOTROM_BASE 0x1000ULL
#define MEM_TEST_BASE 0x100000ULL
#define MEM_UART_BASE 0x10000000ULL

typedef struct MachineConfig {
    uint64_t ram_size;
    unsigned nharts;
    /* Instructions a hart runs before the next one takes its turn. */
    uint64_t quantum;
} MachineConfig;

typedef struct MachineStats {
    uint64_t tbs_translated;
    uint64_t tb_lookups_hit;   /* found in jump cache or hash table */
    uint64_t tb_lookups_miss;  /* had to translate */
    uint64_t chain_links;
    uint64_t tb_flushes;       /* full flushes (code buffer full) */
    uint64_t tb_invalidations; /* TBs dropped by writes to code pages */
} MachineStats;

/* Why the run loop stopped. */
typedef enum {
    STOP_NONE = 0,
    STOP_EXIT,  /* guest asked to exit: see exit_code */
    STOP_ERROR, /* the emulator cannot continue: see error message */
} StopReason;

typedef struct Machine {
    MachineConfig cfg;
    Memory mem;
    Hart *harts;
    unsigned nharts;
    struct TbCache *tbc;
    struct Htif *htif;
    Log log;
    MachineStats stats;

    StopReason stop;
    int exit_code;
    char error[256];
} Machine;

/* Build an empty machine (RAM, harts at reset, no image loaded). Returns
 * NULL with a message in err on failure. */
Machine *machine_new(const MachineConfig *cfg, char *err, size_t errlen);
void machine_free(Machine *m);

/* Ask the run loop to stop at the next opportunity. */
void machine_request_exit(Machine *m, int code);
void machine_fail(Machine *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Run until the guest exits or an error stops the machine. */
void machine_run(Machine *m);

/* Run hart h alone for at most n instructions (exact: TBs are cut to fit).
 * Returns the number of instructions retired. Stops early when the
 * machine stops or the hart waits for an interrupt. */
uint64_t machine_run_hart(Machine *m, Hart *h, uint64_t n);

/* Total instructions retired by all harts. */
uint64_t machine_icount(const Machine *m);

/* The platform timer (mtime, the `time` CSR), 10 MHz timebase. Until the
 * icount layer lands it is derived from the total instruction count. */
uint64_t machine_mtime(const Machine *m);

#endif
