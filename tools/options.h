/* Machine options shared by the subcommands, named like QEMU's. */
#ifndef REWIND_TOOLS_OPTIONS_H
#define REWIND_TOOLS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "icount/icount.h"

/* -smp as given and as completed by QEMU's rules: every missing value is
 * computed, and cpus = sockets * cores * threads = maxcpus. */
typedef struct SmpTopology {
    unsigned cpus, maxcpus, sockets, cores, threads;
} SmpTopology;

enum { OPTIONS_MAX_NOTES = 4, OPTIONS_VALUES_SIZE = 4096 };

typedef struct RunOptions {
    const char *bios;     /* NULL = none */
    const char *kernel;
    const char *append;
    const char *initrd;
    const char *dumpdtb;  /* --dumpdtb FILE: write the device tree and exit */
    const char *serial;   /* -serial SPEC (stdio, pty, file:PATH, tcp:..., none);
                           * NULL: stdio, or none after -nodefaults */
    const char *name;     /* -name: labels --stats and the trace (NULL: none) */
    bool no_reboot;       /* -no-reboot: a guest reset ends the run (exit 0) */
    bool nodefaults;      /* -nodefaults: no default serial backend */
    const char *rtc;      /* -rtc base=... */
    /* -drive and -device, in order, unparsed: their modules parse them. */
    const char *drives[8];
    unsigned ndrives;
    const char *devices[8];
    unsigned ndevices;
    /* -netdev and -nic, in order, unparsed (devices/netdev.h parses them). */
    const char *netdevs[8];
    unsigned nnetdevs;
    const char *nics[8];
    unsigned nnics;
    /* -object, unparsed (filter-dump only; host-side: not in the trace). */
    const char *objects[8];
    unsigned nobjects;
    uint64_t ram_size;
    unsigned smp;          /* harts: topology.cpus */
    SmpTopology topology;  /* -smp as completed (only cpus matters to rewind) */
    IcountConfig icount;   /* -icount shift=N|auto (zeroed: the default clock) */
    uint64_t quantum;      /* --quantum N (0: the default) */
    uint64_t digest_every; /* --digest-every N (0: none) */
    bool chaos;            /* --chaos[=SEED] (core/chaos.h) */
    bool chaos_seed_given; /* --chaos=SEED, else a random seed is drawn */
    uint64_t chaos_seed;
    int backend;           /* --backend: a MachineBackend (0: the default) */
    bool multi_thread;     /* -accel tcg,thread=multi: the fast mode */
    uint64_t code_buffer_size; /* --code-buffer SIZE (0: the default) */
    uint64_t isa_ext;      /* -cpu: the extensions on (core/isa.h) */
    const char *cpu;       /* -cpu as given (NULL: none, the default set) */
    unsigned log_mask;
    const char *log_file;
    const char *gdb;      /* -gdb tcp:HOST:PORT, -s: the GDB stub (NULL: none) */
    bool gdb_wait;        /* -S: stop before the first instruction (-s implied) */
    bool stats;
    bool help;
    bool printed_list;    /* -d help, -machine help: the list is printed already */
    /* Options accepted but ignored, one line each, for the commands to
     * print as notes (run_session_open does). */
    char notes[OPTIONS_MAX_NOTES][200];
    unsigned nnotes;
    /* Values taken apart from a QEMU option list (-machine kernel=...,
     * -name guest=...) with ",," read as ",": the pointers above may point
     * here, so they live as long as this struct (not a copy of it). */
    char values[OPTIONS_VALUES_SIZE];
    size_t values_used;
    /* Where the boot code and HTIF print the guest's console (NULL:
     * stdout); tools that watch it instead (timeline) give /dev/null. */
    FILE *console_out;
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

/* -accel tcg[,thread=single|multi] or -accel help at argv[i] (QEMU's
 * spelling): returns how many arguments it took (0: not -accel), or -1
 * with a message in err. -accel help prints the list and sets o->help. */
int options_parse_accel(RunOptions *o, int argc, char **argv, int i, char *err,
                        size_t errlen);
/* A command that only runs the deterministic engine (record, replay,
 * debug) refuses -accel tcg,thread=multi: false with the message. */
bool options_refuse_multi_thread(const RunOptions *o, const char *command, char *err,
                                 size_t errlen);

/* -cpu SPEC at argv[i] (QEMU's spelling: rv64[,EXT=on|off...]; -cpu help
 * prints the extensions and sets o->help): returns how many arguments it
 * took (0: not -cpu), or -1 with a message in err naming the part at
 * fault. */
int options_parse_cpu(RunOptions *o, int argc, char **argv, int i, char *err, size_t errlen);

/* The help lines of --backend and --code-buffer. */
extern const char options_engine_help[];

/* A size as QEMU's -m reads it: "256M", "2G", "1.5G", "512K", "4096B", or
 * a plain number of MiB. Suffixes K M G T (either case, optionally
 * followed by "B" or "iB"); a fraction needs one of them and is truncated
 * to a byte. 0 and anything else: false. */
bool options_parse_size(const char *s, uint64_t *out);

/* -smp [cpus=]N[,maxcpus=N][,sockets=N][,cores=N][,threads=N] (dies,
 * clusters, books and drawers only as 1), completed and checked as QEMU
 * does, then held to rewind's limits: maxcpus equal to cpus (no hotplug),
 * 1 to MACHINE_MAX_HARTS harts. false with a message naming the problem
 * (without the "-smp SPEC: " prefix). */
bool options_parse_smp(const char *spec, SmpTopology *t, char *err, size_t errlen);

/* A positive decimal number (64 bits). */
bool options_parse_count(const char *s, uint64_t *out);

/* A plain decimal number in [min, max]. */
bool options_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/* Print o's notes on out, one line each, after prefix. */
void options_print_notes(const RunOptions *o, const char *prefix, FILE *out);

/* --chaos in o as a machine's chaos configuration (cfg->chaos), with
 * the clock rate drawn when there is one hart; a seed is drawn when none
 * was given (and kept in o). Prints the seed on stderr after `who`. */
struct MachineConfig;
void options_apply_chaos(RunOptions *o, struct MachineConfig *cfg, const char *who);

/* The help text for `rewind run`. */
void options_print_run_help(FILE *out);

#endif
