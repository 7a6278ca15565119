/* The machine: harts, memory, devices and the translation cache, plus the
 * run state that the run loop and the tools share. No globals: everything
 * hangs off this struct. */
#ifndef REWIND_CORE_MACHINE_H
#define REWIND_CORE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/chaos.h"
#include "core/hart.h"
#include "core/log.h"
#include "core/memory.h"
#include "icount/icount.h"
#include "icount/timerq.h"

struct TbCache;
struct Htif;
struct Replay;
struct Debug;
struct MtState;
struct Sstc;

enum { MACHINE_MAX_HARTS = 8 };

/* Default memory map (see DESIGN.md, "Machine"). */
#define MEM_RAM_BASE 0x80000000ULL
#define MEM_BOOTROM_BASE 0x1000ULL
#define MEM_TEST_BASE 0x100000ULL
#define MEM_UART_BASE 0x10000000ULL

/* Which backend runs translated code. Not part of the machine's identity:
 * a run gives the same results with either (a trace recorded with one
 * replays with the other). */
typedef enum {
    MACHINE_BACKEND_DEFAULT = 0, /* $REWIND_BACKEND, else native where available */
    MACHINE_BACKEND_NATIVE,      /* host code (x86-64 hosts) */
    MACHINE_BACKEND_PORTABLE,    /* ops through their handlers */
} MachineBackend;

/* The default quanta (--quantum). */
enum { MACHINE_QUANTUM = 10000, MACHINE_QUANTUM_ONE_HART = 100000 };

typedef struct MachineConfig {
    uint64_t ram_size;
    unsigned nharts;
    /* Instructions a hart runs before the next one takes its turn (0:
     * MACHINE_QUANTUM, or MACHINE_QUANTUM_ONE_HART on a one-hart machine). */
    uint64_t quantum;
    /* Bytes of translated code kept before a full flush (0: default), for
     * the ops and for the native backend's host code each. */
    uint64_t code_buffer_size;
    MachineBackend backend;
    /* The virtual clock (icount/icount.h). */
    IcountConfig icount;
    /* Print a state digest every this many instructions (0: never). */
    uint64_t digest_every;
    /* -no-reboot: a guest's reset request ends the run (exit code 0, as
     * QEMU) instead of rebooting. */
    bool no_reboot;
    /* -accel tcg,thread=multi: the fast mode (core/mt_run.h), one host
     * thread per hart, time from the host clock; not deterministic. */
    bool multi_thread;
    /* --chaos: the schedule varies with a seed (core/chaos.h). */
    ChaosConfig chaos;
    /* The ISA extensions on (core/isa.h, -cpu): a bit per IsaExt. 0 is
     * RV64GC alone (what an engine without -cpu implemented); the tools
     * start from isa_ext_default(). Fixed for the machine's life. */
    uint64_t isa_ext;
} MachineConfig;

typedef struct MachineStats {
    uint64_t tbs_translated;
    uint64_t tb_lookups_hit;   /* found in jump cache or hash table */
    uint64_t tb_lookups_miss;  /* had to translate */
    uint64_t chain_links;
    uint64_t native_links;     /* of those: patched jumps between host code */
    uint64_t tb_flushes;       /* full flushes (code buffer full) */
    uint64_t host_code_flushes; /* of those: the host code buffer was full */
    uint64_t host_code_bytes;  /* host code and data emitted (native) */
    uint64_t tb_invalidations; /* TBs dropped by writes to code pages */
    /* TBs cut short and rebuilt, by cause (icount): */
    uint64_t recompile_io;     /* MMIO outside a CF_LAST_IO TB */
    uint64_t recompile_budget; /* budget smaller than the TB */
} MachineStats;

/* Why the run loop stopped. */
typedef enum {
    STOP_NONE = 0,
    STOP_EXIT,  /* guest asked to exit: see exit_code */
    STOP_ERROR, /* the emulator cannot continue: see error message */
} StopReason;

/* A device model attached to the machine. Devices are reached by the harts
 * through MMIO regions (core/memory.h); this record gives the run loop and
 * the machine their other hooks. Any hook may be NULL. */
typedef struct MachineDevice {
    const char *name;
    void *opaque;
    /* Called between slices, at every point where something was due
     * (a timer, a digest, recorded input): host I/O to serve (the UART's
     * input and output), levels to propagate (the PLIC). Deadlines are not
     * asked of the devices: a device with one arms a Timer on the
     * machine's queue (Machine.timers, icount/timerq.h), which fires it;
     * when every hart waits for an interrupt, the clock jumps to the
     * queue's earliest deadline. */
    void (*tick)(void *opaque);
    /* Machine reset (reboot request): back to power-on state. */
    void (*reset)(void *opaque);
    void (*free)(void *opaque);
    /* Checkpoints (core/snapshot.h). save writes the device's state (never
     * host pointers or handles) to buf when it fits in cap and returns its
     * size either way; load puts such a state back, or refuses it (false)
     * if it does not fit this device or breaks one of its invariants (a
     * checkpoint file can hold any bytes), changing nothing then. release drops what a saved state holds besides its
     * bytes (references to buffers shared copy-on-write); it gets no
     * opaque, as it may run after the device is gone. A device without
     * save has no state of its own. */
    size_t (*save)(void *opaque, void *buf, size_t cap);
    bool (*load)(void *opaque, const void *buf, size_t len);
    void (*release)(void *buf, size_t len);
    /* Checkpoint files (replay/checkpoint.h): the same pair for a state
     * that must stand alone in a file. Only a device whose save keeps
     * references (it has release) needs them; the others' save bytes are
     * written as they are. */
    size_t (*save_flat)(void *opaque, void *buf, size_t cap);
    bool (*load_flat)(void *opaque, const void *buf, size_t len);
} MachineDevice;

enum { MACHINE_MAX_DEVICES = 32 };

/* The revision of the execution semantics: bumped whenever a change makes
 * the same inputs give a different run (a recording then no longer
 * replays). Traces carry it (option "engine"); those without it are 1.
 *   2: a wfi always ends its hart's turn (before: a pending interrupt was
 *      taken at once unless the slice ended right there).
 *   3: a turn that reaches its quantum with an LR reservation held goes on
 *      until the reservation is gone, up to TURN_LR_GRACE instructions
 *      (core/turn.h; before: it ended, and at a quantum shorter than an
 *      LR/SC sequence no SC could ever succeed).
 *   4: -cpu (core/isa.h): the default machine has more extensions (Zba,
 *      Zbb, Zbc, Zbs, Zihintpause, Sstc, Sdtrig). A trace without the "cpu"
 *      option replays with none of them, exactly as revision 3 ran it
 *      (tools/trace_config.c), so revision 3 traces still replay. */
#define MACHINE_ENGINE_REVISION 4

/* Watches architectural milestones for `rewind diff`'s summary and
 * `rewind timeline` (a tool, not the guest, is told): a hart changed
 * privilege (a trap, with its cause, or an xRET, cause
 * MACHINE_OBSERVE_XRET), satp writes, and accesses that reached a device
 * (after the device answered: value is what was read or written). Called
 * after the change, with the registers as the instruction left them. It
 * changes nothing the guest sees. NULL (the usual case): one pointer test
 * (device accesses: on the MMIO path only). Any hook may be NULL.
 *
 * Instruction counts: machine_observed_icount. An exception is seen
 * before the rest of its TB is given back (Hart.unretired); an xRET, a
 * CSR write and a device access end their TB, so they are counted as
 * retired. */
#define MACHINE_OBSERVE_XRET UINT64_MAX
struct MmioRegion;
typedef struct MachineObserver {
    void *opaque;
    void (*priv_change)(void *opaque, struct Hart *h, unsigned from, uint64_t cause);
    void (*satp_write)(void *opaque, struct Hart *h, uint64_t value);
    void (*device_access)(void *opaque, struct Hart *h, const struct MmioRegion *r,
                          uint64_t offset, unsigned size, bool write, uint64_t value);
} MachineObserver;

typedef struct Machine {
    MachineConfig cfg;
    Memory mem;
    Hart *harts;
    unsigned nharts;
    struct TbCache *tbc;
    struct Htif *htif; /* the loader's, for an ELF with tohost; machine_free frees it */
    struct Sstc *sstc; /* the stimecmp timers (core/sstc.h); NULL without Sstc */
    MachineDevice devices[MACHINE_MAX_DEVICES];
    unsigned ndevices;
    /* The devices' timers (icount/timerq.h), in mtime units: the run loops
     * ask it for the next deadline and fire what is due. */
    TimerQueue timers;
    /* Host event loop (console input, sockets): polled between slices,
     * waited on when every hart is idle with no deadline. */
    struct uv_loop_s *loop;
    /* mtime units skipped while every hart was idle (the clock jumped to
     * the next deadline). */
    uint64_t mtime_skipped;
    /* The round robin's position (core/run.c), here so that a snapshot
     * puts it back: whose turn it is, the instructions done in that turn,
     * and whether any hart made progress in this round so far. */
    struct {
        unsigned hart;
        uint64_t done;
        bool progress;
        ChaosState chaos; /* --chaos only */
    } sched;
    /* Host time at the start of the run, for shift=auto pacing. */
    uint64_t host_start_ns;
    /* Total icount at which the next state digest is due (UINT64_MAX: none),
     * and where digest lines go. */
    uint64_t next_digest;
    FILE *digest_out;
    /* Set by a device that needs the run loop to come back to it soon
     * (e.g. a reboot request, new host input). */
    bool reset_requested;
    /* Record/replay state (replay/replay.h); NULL when neither. */
    struct Replay *replay;
    /* Debugger state (core/debug.h); NULL without a debugger. The run
     * loop stops at the next slice boundary when debug_pending is set. */
    struct Debug *debug;
    bool debug_pending;
    /* A checkpoint was restored while the run loop was inside a hart's
     * turn (from a debugger stop): the loop must drop what it was doing
     * and go on from the restored schedule position (m->sched). Set by
     * whoever restores (replay/reverse.c), cleared by the run loop. */
    bool rewound;
    /* The guest's console output is not shown on the host: a reverse
     * debugger is re-running a span of the recording on its own. */
    bool output_muted;
    /* Receivers of asynchronous input, by (kind, source) (replay/). */
    struct {
        int kind;
        unsigned source;
        void (*sink)(void *opaque, const uint8_t *buf, size_t len);
        void *opaque;
    } input_sinks[8];
    unsigned ninput_sinks;
    /* Sees every byte the guest writes to its console (UART, HTIF), as
     * it is written, even when output is muted or discarded: for `rewind
     * run --until console:TEXT`. NULL: nobody watches. */
    void (*console_watch)(void *opaque, uint8_t byte);
    void *console_watch_opaque;
    /* The fast mode's hand-off (rewind run -accel tcg,thread=multi --until,
     * tools/run_checkpoint.h): the timer thread calls fast_until under the
     * device lock about every millisecond (run_ns: host time since the
     * fast mode began); true stops every hart thread. fast_until_insns
     * (0: none): stop once the harts' retired instructions add up to it,
     * looked at every 10 ms with every hart stopped. fast_until_reached:
     * the run stopped for one of them (machine_run returned with stop
     * still STOP_NONE, every hart at a TB boundary). */
    bool (*fast_until)(void *opaque, uint64_t run_ns);
    void *fast_until_opaque;
    uint64_t fast_until_insns;
    bool fast_until_reached;
    /* --until pc:ADDR in the fast mode: the translator starts a TB at
     * fast_until_pc (a virtual address) behind an op that stops every hart
     * before that instruction (mt_op_until_pc); no other TB checks
     * anything. Set before the run, never while hart threads run. */
    bool fast_until_pc_on;
    uint64_t fast_until_pc;
    /* The fast mode's clock when its threads were joined, and the
     * deterministic clock's lead over it then (0 unless it was ahead, see
     * docs/internals.md, "Hand-off"). */
    uint64_t fast_end_clock_ns, fast_clock_lead_ns;
    const MachineObserver *observer; /* NULL: nobody watches */
    /* Print digest lines (--digest-every); they are taken for replay too. */
    bool digest_print;
    /* Reloads the images after a machine reset (set by the boot code). */
    bool (*reload)(struct Machine *m, void *ctx, char *err, size_t errlen);
    void *reload_ctx;
    Log log;
    MachineStats stats;
    /* The fast mode's shared state (core/mt_run.h) while machine_run runs
     * it; NULL otherwise (the deterministic engine). Code shared by both
     * engines takes the fast mode's locks only when it is set. */
    struct MtState *mt;

    StopReason stop;
    int exit_code;
    char error[256];
} Machine;

/* The backend a config asks for: DEFAULT resolved ($REWIND_BACKEND, "native"
 * or "portable", else native where the host has it). false with a message
 * for a bad $REWIND_BACKEND or native on a host without it. */
bool machine_resolve_backend(MachineBackend want, MachineBackend *out, char *err,
                             size_t errlen);
const char *machine_backend_name(MachineBackend b);

/* Build an empty machine (RAM, harts at reset, no image loaded). Returns
 * NULL with a message in err on failure. */
Machine *machine_new(const MachineConfig *cfg, char *err, size_t errlen);
void machine_free(Machine *m);

/* Attach a device's hooks. Returns false when the table is full. The
 * machine calls dev->free on machine_free. */
bool machine_add_device(Machine *m, const MachineDevice *dev);

/* Guest RAM [pa, pa+len) is about to be written by something other than
 * the soft-TLB fast path (slow-path stores, atomics, page-table A/D
 * updates, device DMA): drop translated code there, mark the pages for the
 * next digest, and end LR reservations on those bytes. */
void machine_ram_written(Machine *m, uint64_t pa, uint64_t len);

/* Fire the timers due now, then run every device's tick hook (the run
 * loops do this between slices, where an event is due). */
void machine_tick_devices(Machine *m);

/* Reboot: reset harts (pc at the reset vector), devices, clear RAM and
 * reload the images through m->reload. Called by the run loop when a
 * device set reset_requested. */
bool machine_reset(Machine *m, char *err, size_t errlen);

/* A guest asks for a reboot (the syscon's reset): the run loop resets the
 * machine, or with cfg.no_reboot the run ends with exit code 0. */
void machine_request_reset(Machine *m);

/* Ask the run loop to stop at the next opportunity. */
void machine_request_exit(Machine *m, int code);

/* Make every hart's native code leave its chain of TBs at the next chain
 * entry (its icount budget, h->icount_end, becomes 0): a stop or a
 * debugger stop was set while a TB runs (the run loop sets the budget
 * again before the next TB). Single-threaded engine. */
void machine_break_chains(Machine *m);

/* A byte the guest wrote to its console (devices call this). */
static inline void machine_console_byte(Machine *m, uint8_t byte)
{
    if (m->console_watch)
        m->console_watch(m->console_watch_opaque, byte);
}
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

/* For observers (MachineObserver): the total icount and h's own, exact
 * while h takes an exception raised inside a TB. */
uint64_t machine_observed_icount(const Machine *m, const struct Hart *h);
uint64_t machine_observed_hart_icount(const struct Hart *h);

/* The earliest deadline (mtime), or UINT64_MAX: the timer queue's head, or
 * "now" when record/replay has input waiting for an idle point
 * (replay_deadline). What the run loops (core/run.c, core/mt_run.c) wait
 * for. */
uint64_t machine_next_deadline(Machine *m);

/* The virtual clock in ns (icount/icount.h): a function of the total
 * instruction count and of the time skipped while all harts were idle. */
uint64_t machine_clock_ns(const Machine *m);

/* The platform timer (mtime, the `time` CSR): the clock in 10 MHz ticks. */
uint64_t machine_mtime(const Machine *m);
/* The last mtime the clock can show: it counts nanoseconds in 64 bits
 * (584 years). A deadline past it (a guest may set mtimecmp to anything)
 * is never reached. */
#define MACHINE_MTIME_MAX (UINT64_MAX / 100)

#endif
