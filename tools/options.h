/* Machine options shared by the subcommands, named like QEMU's. */
#ifndef REWIND_TOOLS_OPTIONS_H
#define REWIND_TOOLS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "icount/icount.h"

typedef struct RunOptions {
    const char *bios;     /* NULL = none */
    const char *kernel;
    const char *append;
    const char *initrd;
    const char *dumpdtb;  /* --dumpdtb FILE: write the device tree and exit */
    const char *serial;   /* -serial SPEC (stdio, file:PATH, tcp:..., none) */
    const char *rtc;      /* -rtc base=... */
    /* -drive and -device, in order, unparsed: their modules parse them. */
    const char *drives[8];
    unsigned ndrives;
    const char *devices[8];
    unsigned ndevices;
    uint64_t ram_size;
    unsigned smp;
    IcountConfig icount;   /* -icount shift=N|auto (zeroed: the default clock) */
    uint64_t quantum;      /* --quantum N (0: the default) */
    uint64_t digest_every; /* --digest-every N (0: none) */
    int backend;           /* --backend: a MachineBackend (0: the default) */
    uint64_t code_buffer_size; /* --code-buffer SIZE (0: the default) */
    unsigned log_mask;
    const char *log_file;
    const char *gdb;      /* -gdb tcp:HOST:PORT, -s: the GDB stub (NULL: none) */
    bool gdb_wait;        /* -S: stop before the first instruction (-s implied) */
    bool stats;
    bool help;
    bool listed_log_categories; /* -d help: the list is printed already */
} RunOptions;

/* Fill defaults, then parse argv[0..argc). Returns false with a message
 * naming the option at fault. */
bool options_parse_run(RunOptions *o, int argc, char **argv, char *err, size_t errlen);

/* -s, -S or -gdb SPEC at argv[i], for subcommands with a parser of their
 * own (replay): returns how many arguments it took (0: none of these),
 * or -1 with a message in err. */
int options_parse_gdb(RunOptions *o, int argc, char **argv, int i, char *err, size_t errlen);

/* --backend NAME / --code-buffer SIZE at argv[i] (val: the next argument),
 * for the subcommands with a parser of their own: returns how many
 * arguments it took (0: none of these), or -1 with a message in err. */
int options_parse_engine(RunOptions *o, int argc, char **argv, int i, char *err,
                         size_t errlen);

/* The help lines of --backend and --code-buffer. */
extern const char options_engine_help[];

/* "256M", "2G", "512K", or a plain number of MiB (as QEMU's -m). */
bool options_parse_size(const char *s, uint64_t *out);

/* A positive decimal number (64 bits). */
bool options_parse_count(const char *s, uint64_t *out);

/* A plain decimal number in [min, max]. */
bool options_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/* The help text for `rewind run`. */
void options_print_run_help(FILE *out);

#endif
