/* `rewind timeline`: the milestones of a boot, taken from one replay
 * (docs/boot/README.md explains them for students; tools/cmd_timeline.c
 * prints them).
 *
 * Everything comes through hooks that cost nothing when unused: the
 * machine's observer (core/machine.h: privilege changes, satp writes,
 * device accesses), its console watch, and debugger breakpoints served by
 * a controller that takes every stop for itself (core/debug.h): the reset
 * vector and the firmware's entry (each hart's first instruction there),
 * and the kernel functions asked for (their first call). Nothing here
 * changes what the guest sees, so the timeline of a replay is the
 * timeline of the recording.
 *
 * Instruction counts: `icount` is the machine's total (as `rewind debug`'s
 * `monitor when` and `seek` count), `hart_icount` the hart's own. A trap
 * is counted before the trapping instruction (it did not retire); an
 * xRET, a CSR write and a device access after theirs; a breakpoint
 * (firmware entry, a kernel function) before the instruction at its pc. */
#ifndef REWIND_REPLAY_TIMELINE_H
#define REWIND_REPLAY_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/debug.h"
#include "core/machine.h"

typedef enum TimelineKind {
    TL_RESET,          /* a hart at the reset vector, before its first instruction */
    TL_FIRMWARE,       /* a hart's first instruction in the firmware (-bios) */
    TL_MODE,           /* a hart's first switch from one mode to another (counted) */
    TL_KERNEL_ENTRY,   /* the first mret into S-mode: the jump into the kernel */
    TL_SATP,           /* the first satp write */
    TL_PAGING,         /* the first satp write with a translation mode: paging on */
    TL_TRAP,           /* the first trap of a cause (counted) */
    TL_EXT_IRQ,        /* the first claim of a PLIC source (counted) */
    TL_SBI,            /* the first SBI call of an extension and function (counted) */
    TL_HSM_START,      /* each SBI HSM hart_start call (arg: the hart asked for) */
    TL_HART_START,     /* a secondary hart's first instruction in S-mode */
    TL_POWEROFF,       /* the SBI system reset (or legacy shutdown) call */
    TL_DEVICE,         /* the first access to a device (counted) */
    TL_DISK,           /* a virtio block request (the queue notified; counted) */
    TL_CONSOLE,        /* a console line, at its newline */
    TL_SYMBOL,         /* a kernel function reached for the first time */
    TL_USER,           /* the first user-space instruction */
    TL_SYSCALL,        /* the first exit / exit_group / reboot system call */
    TL_END,            /* where the replay ended */
    TL_KIND_COUNT
} TimelineKind;

/* The boot's phases, in order; a milestone belongs to the phase its icount
 * falls in. */
typedef enum TimelinePhase {
    TL_PHASE_RESET,     /* reset and the boot ROM */
    TL_PHASE_FIRMWARE,  /* the firmware in M-mode */
    TL_PHASE_KERNEL,    /* the kernel, physical addresses */
    TL_PHASE_PAGING,    /* the kernel with paging on */
    TL_PHASE_USER,      /* user space */
    TL_PHASE_COUNT
} TimelinePhase;

typedef struct TimelineMilestone {
    TimelineKind kind;
    TimelinePhase phase;
    char name[200];
    uint64_t icount, hart_icount, time_ns;
    unsigned hart, priv;
    uint64_t pc;
    uint64_t count;  /* for counted kinds: how many in the whole run */
    uint64_t arg;    /* HSM_START: the hart started; TRAP: the cause; EXT_IRQ: source */
    uint64_t key;    /* what makes a counted milestone "of a kind" */
} TimelineMilestone;

/* A hart's mode from a total icount on (lanes of the HTML page). */
typedef struct TimelineSegment {
    uint64_t icount;
    uint8_t priv;
} TimelineSegment;

enum { TIMELINE_MAX_HARTS = 64, TIMELINE_MAX_MARKS = 64 };

typedef struct TimelineMark {
    char name[96];
    uint64_t addr;
    bool hit;
} TimelineMark;

typedef struct Timeline {
    struct Machine *m;
    MachineObserver obs;
    DebugController ctl;
    TimelineMilestone *ms;
    size_t nms, cap;
    /* The lanes: segments per hart. */
    TimelineSegment *seg[TIMELINE_MAX_HARTS];
    size_t nseg[TIMELINE_MAX_HARTS], segcap[TIMELINE_MAX_HARTS];
    /* Instructions each hart ran in each mode (indexed by priv), and its
     * mode switches by from and to. */
    uint64_t mode_insns[TIMELINE_MAX_HARTS][4];
    uint64_t mode_at[TIMELINE_MAX_HARTS]; /* hart icount at its last switch */
    uint64_t switches[TIMELINE_MAX_HARTS][4][4];
    /* Breakpoints: the reset vector and the firmware's entry (until every
     * hart has been there), and the marks (kernel functions). */
    uint64_t reset_pc, firmware_pc;
    uint64_t reset_seen, firmware_seen; /* harts, one bit each */
    bool reset_bp, firmware_bp;
    TimelineMark marks[TIMELINE_MAX_MARKS];
    unsigned nmarks;
    /* Progress through the boot. */
    TimelinePhase phase;
    bool kernel_entered, satp_seen, paging_on, user_seen;
    uint64_t hart_started;   /* secondary harts seen starting in S-mode */
    uint64_t hsm_asked;      /* harts an HSM hart_start asked for */
    /* virtio slots: the DeviceID each one answered (0: not read yet). */
    uint32_t virtio_id[32];
    bool virtio_read[32];
    unsigned last_writer; /* the hart that last wrote to a device */
    uint64_t virtio_base;
    /* The console, byte by byte, with the icount and hart of each. */
    uint8_t *con;
    uint64_t *con_icount;
    uint8_t *con_hart;
    uint64_t *con_hicount;
    uint64_t *con_time;
    size_t con_len, con_cap;
    /* The end. */
    uint64_t end_icount, end_time_ns;
} Timeline;

/* Watch m (built, replay attached, not run yet). The marks are breakpoint
 * addresses (virtual) with their names; they are copied. false with a
 * message when the debugger state cannot be attached. */
bool timeline_attach(Timeline *t, struct Machine *m, const TimelineMark *marks,
                     unsigned nmarks, char *err, size_t errlen);

/* The firmware's entry (-bios): a breakpoint there until every hart has
 * been there. Before the run. */
void timeline_set_firmware(Timeline *t, uint64_t pc);

/* After the run: the console lines and the end become milestones, all in
 * icount order; the hooks are removed. `end_note` names how it ended. */
void timeline_finish(Timeline *t, const char *end_note);

void timeline_free(Timeline *t);

/* Names for the printers. */
const char *timeline_kind_name(TimelineKind k);   /* "kernel_entry" */
const char *timeline_phase_name(TimelinePhase p); /* "firmware" */
const char *timeline_phase_title(TimelinePhase p); /* a sentence's worth */
char timeline_mode_char(unsigned priv);           /* 'M', 'S', 'U' */

/* The SBI extension's name ("hsm", "timer", ...; buf for unknown ones). */
const char *timeline_sbi_name(uint64_t eid, char *buf, size_t len);

/* The kernel functions a boot passes, in the order Linux calls them. */
extern const char *const timeline_default_marks[];

#endif
