/* rewind timeline: the milestones of one replay (see timeline.h). */
#include "replay/timeline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hart.h"
#include "core/memory.h"
#include "core/trap.h"

enum {
    CAUSE_ECALL_U = 8,
    CAUSE_ECALL_S = 9,
    SYS_EXIT = 93,
    SYS_EXIT_GROUP = 94,
    SYS_REBOOT = 142,
    VIRTIO_DEVICE_ID = 0x008,
    VIRTIO_QUEUE_NOTIFY = 0x050,
    VIRTIO_ID_BLOCK = 2,
    PLIC_CONTEXT_BASE = 0x200000,
    PLIC_CLAIM = 0x4,
    SBI_EXT_BASE = 0x10,
    SBI_EXT_TIMER = 0x54494D45,
    SBI_EXT_IPI = 0x735049,
    SBI_EXT_RFENCE = 0x52464E43,
    SBI_EXT_HSM = 0x48534D,
    SBI_EXT_SRST = 0x53525354,
    SBI_EXT_DBCN = 0x4442434E,
    SBI_LEGACY_SHUTDOWN = 0x08,
    MAX_DISK_LISTED = 16,
};

const char *const timeline_default_marks[] = {
    "start_kernel", "setup_arch", "paging_init", "trap_init", "mm_init", "sched_init",
    "init_IRQ", "time_init", "console_init", "rest_init", "kernel_init", "smp_init",
    "smp_callin", "do_basic_setup", "free_initmem", "run_init_process", NULL,
};

static const char *const kind_names[TL_KIND_COUNT] = {
    [TL_RESET] = "reset", [TL_FIRMWARE] = "firmware_entry", [TL_MODE] = "mode_switch",
    [TL_KERNEL_ENTRY] = "kernel_entry", [TL_SATP] = "satp_write", [TL_PAGING] = "paging_on",
    [TL_TRAP] = "trap", [TL_EXT_IRQ] = "external_interrupt", [TL_SBI] = "sbi_call",
    [TL_HSM_START] = "hsm_hart_start", [TL_HART_START] = "hart_start",
    [TL_POWEROFF] = "power_off", [TL_DEVICE] = "device", [TL_DISK] = "disk_request",
    [TL_CONSOLE] = "console", [TL_SYMBOL] = "symbol", [TL_USER] = "user_space",
    [TL_SYSCALL] = "syscall", [TL_END] = "end",
};

const char *timeline_kind_name(TimelineKind k)
{
    return k < TL_KIND_COUNT ? kind_names[k] : "?";
}

const char *timeline_phase_name(TimelinePhase p)
{
    static const char *const n[TL_PHASE_COUNT] = { "reset", "firmware", "kernel", "paging",
                                                   "user" };
    return p < TL_PHASE_COUNT ? n[p] : "?";
}

const char *timeline_phase_title(TimelinePhase p)
{
    static const char *const n[TL_PHASE_COUNT] = {
        "reset: every hart starts in M-mode at its reset vector",
        "firmware: OpenSBI sets up M-mode and jumps to the kernel in S-mode",
        "kernel, early: S-mode, physical addresses, before paging is on",
        "kernel: paging on (satp), the other harts started through SBI HSM",
        "user space: the first process (init) runs in U-mode",
    };
    return p < TL_PHASE_COUNT ? n[p] : "?";
}

char timeline_mode_char(unsigned priv)
{
    return "USHM"[priv & 3];
}

const char *timeline_sbi_name(uint64_t eid, char *buf, size_t len)
{
    switch (eid) {
    case 0x00: return "legacy-set-timer";
    case 0x01: return "legacy-console-putchar";
    case 0x02: return "legacy-console-getchar";
    case 0x08: return "legacy-shutdown";
    case SBI_EXT_BASE: return "base";
    case SBI_EXT_TIMER: return "timer";
    case SBI_EXT_IPI: return "ipi";
    case SBI_EXT_RFENCE: return "rfence";
    case SBI_EXT_HSM: return "hsm";
    case SBI_EXT_SRST: return "srst";
    case 0x504D55: return "pmu";
    case SBI_EXT_DBCN: return "dbcn";
    default:
        snprintf(buf, len, "eid-0x%" PRIx64, eid);
        return buf;
    }
}

/* The function's name within its extension (SBI spec v2.0). */
static const char *sbi_function_name(uint64_t eid, uint64_t fid)
{
    static const char *const base[] = { "get_spec_version", "get_impl_id", "get_impl_version",
                                        "probe_extension", "get_mvendorid", "get_marchid",
                                        "get_mimpid" };
    static const char *const hsm[] = { "hart_start", "hart_stop", "hart_get_status",
                                       "hart_suspend" };
    static const char *const rfence[] = { "remote_fence_i", "remote_sfence_vma",
                                          "remote_sfence_vma_asid" };
    static const char *const dbcn[] = { "write", "read", "write_byte" };
    switch (eid) {
    case SBI_EXT_BASE: return fid < 7 ? base[fid] : NULL;
    case SBI_EXT_HSM: return fid < 4 ? hsm[fid] : NULL;
    case SBI_EXT_RFENCE: return fid < 3 ? rfence[fid] : NULL;
    case SBI_EXT_DBCN: return fid < 3 ? dbcn[fid] : NULL;
    case SBI_EXT_TIMER: return fid == 0 ? "set_timer" : NULL;
    case SBI_EXT_IPI: return fid == 0 ? "send_ipi" : NULL;
    case SBI_EXT_SRST: return fid == 0 ? "system_reset" : NULL;
    default: return NULL;
    }
}

/* ------------------------------------------------------------ milestones */

static uint64_t time_at(const Timeline *t, uint64_t icount)
{
    return icount * t->m->cfg.icount.ns_per_insn + t->m->mtime_skipped * 100;
}

static TimelineMilestone *add_at(Timeline *t, TimelineKind kind, const Hart *h, uint64_t icount,
                                 uint64_t hart_icount, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static TimelineMilestone *add_at(Timeline *t, TimelineKind kind, const Hart *h, uint64_t icount,
                                 uint64_t hart_icount, const char *fmt, ...)
{
    if (t->nms == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        TimelineMilestone *n = realloc(t->ms, cap * sizeof(*n));
        if (!n)
            return NULL; /* out of memory: the timeline stops growing */
        t->ms = n;
        t->cap = cap;
    }
    TimelineMilestone *ms = &t->ms[t->nms++];
    memset(ms, 0, sizeof(*ms));
    ms->kind = kind;
    ms->phase = t->phase;
    ms->icount = icount;
    ms->hart_icount = hart_icount;
    ms->time_ns = time_at(t, icount);
    ms->hart = h->id;
    ms->priv = h->priv;
    ms->pc = h->pc;
    ms->count = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ms->name, sizeof(ms->name), fmt, ap);
    va_end(ap);
    return ms;
}

#define ADD(t, kind, h, ...) \
    add_at((t), (kind), (h), machine_observed_icount((t)->m, (h)), \
           machine_observed_hart_icount(h), __VA_ARGS__)

/* The milestone of a counted kind, or NULL the first time. */
static TimelineMilestone *find_key(Timeline *t, TimelineKind kind, uint64_t key)
{
    for (size_t i = 0; i < t->nms; i++)
        if (t->ms[i].kind == kind && t->ms[i].key == key)
            return &t->ms[i];
    return NULL;
}

static void enter_phase(Timeline *t, TimelinePhase p)
{
    if (p > t->phase)
        t->phase = p;
}

/* ------------------------------------------------------------ lanes */

static void lane_mode(Timeline *t, const Hart *h, unsigned from)
{
    unsigned id = h->id;
    if (id >= TIMELINE_MAX_HARTS)
        return;
    uint64_t hic = machine_observed_hart_icount(h);
    t->mode_insns[id][from & 3] += hic - t->mode_at[id];
    t->mode_at[id] = hic;
    if (t->nseg[id] && t->seg[id][t->nseg[id] - 1].priv == h->priv)
        return;
    if (t->nseg[id] == t->segcap[id]) {
        size_t cap = t->segcap[id] ? t->segcap[id] * 2 : 1024;
        TimelineSegment *n = realloc(t->seg[id], cap * sizeof(*n));
        if (!n)
            return;
        t->seg[id] = n;
        t->segcap[id] = cap;
    }
    t->seg[id][t->nseg[id]++] = (TimelineSegment){ .icount = machine_observed_icount(t->m, h),
                                                   .priv = h->priv };
}

/* ------------------------------------------------------------ observer */

static void sbi_call(Timeline *t, Hart *h)
{
    uint64_t eid = h->x[17], fid = h->x[16];
    char buf[32];
    const char *ext = timeline_sbi_name(eid, buf, sizeof(buf));
    const char *fn = sbi_function_name(eid, fid);
    uint64_t key = (eid << 16) ^ fid;
    TimelineMilestone *ms = find_key(t, TL_SBI, key);
    if (ms) {
        ms->count++;
    } else {
        char fbuf[32];
        if (!fn) {
            snprintf(fbuf, sizeof(fbuf), "fid %" PRIu64, fid);
            fn = fbuf;
        }
        ms = ADD(t, TL_SBI, h, "first SBI call %s %s (a7=0x%" PRIx64 ", a6=%" PRIu64 ")", ext,
                 fn, eid, fid);
        if (ms)
            ms->key = key;
    }
    if (eid == SBI_EXT_HSM && fid == 0) {
        uint64_t target = h->x[10];
        if (target < 64)
            t->hsm_asked |= 1ULL << target;
        ms = ADD(t, TL_HSM_START, h, "SBI HSM hart_start: hart %u asks for hart %" PRIu64
                 " to start at 0x%" PRIx64, h->id, target, h->x[11]);
        if (ms)
            ms->arg = target;
    } else if ((eid == SBI_EXT_SRST && fid == 0) || eid == SBI_LEGACY_SHUTDOWN) {
        static const char *const types[] = { "shutdown", "cold reboot", "warm reboot" };
        uint64_t type = eid == SBI_LEGACY_SHUTDOWN ? 0 : h->x[10];
        ADD(t, TL_POWEROFF, h, "SBI system reset: %s (the kernel powers the machine off)",
            type < 3 ? types[type] : "vendor reset");
    }
}

static void syscall_u(Timeline *t, Hart *h)
{
    uint64_t nr = h->x[17];
    const char *what = nr == SYS_EXIT ? "first exit system call: a user thread ends"
                       : nr == SYS_EXIT_GROUP ? "first exit_group system call: a process ends"
                       : nr == SYS_REBOOT ? "reboot system call: init asks the kernel to power off"
                       : NULL;
    if (!what || find_key(t, TL_SYSCALL, nr))
        return;
    TimelineMilestone *ms = ADD(t, TL_SYSCALL, h, "%s", what);
    if (ms)
        ms->key = nr;
}

static void watch_priv(void *opaque, Hart *h, unsigned from, uint64_t cause)
{
    Timeline *t = opaque;
    lane_mode(t, h, from);
    unsigned to = h->priv;
    if (cause == MACHINE_OBSERVE_XRET && from == PRV_M && to == PRV_S) {
        uint64_t bit = h->id < 64 ? 1ULL << h->id : 0;
        if (!t->kernel_entered) {
            t->kernel_entered = true;
            enter_phase(t, TL_PHASE_KERNEL);
            t->hart_started |= bit;
            ADD(t, TL_KERNEL_ENTRY, h, "jump into the kernel: mret from M-mode to S-mode at "
                "0x%" PRIx64 " (hart %u boots)", h->pc, h->id);
        } else if (!(t->hart_started & bit)) {
            t->hart_started |= bit;
            ADD(t, TL_HART_START, h, "hart %u starts in the kernel (mret to S-mode)%s", h->id,
                t->hsm_asked & bit ? ", as HSM hart_start asked" : ", without an HSM call seen");
        }
    }
    if (from != to && h->id < TIMELINE_MAX_HARTS) {
        if (t->switches[h->id][from & 3][to & 3]++ == 0) {
            char how[96];
            if (cause == MACHINE_OBSERVE_XRET)
                snprintf(how, sizeof(how), "%s", from == PRV_M ? "mret" : "sret");
            else
                snprintf(how, sizeof(how), "%s", trap_cause_name(cause >> 63, cause & ~(1ULL << 63)));
            TimelineMilestone *ms = ADD(t, TL_MODE, h, "hart %u: first switch %c -> %c (%s)",
                                        h->id, timeline_mode_char(from),
                                        timeline_mode_char(to), how);
            if (ms)
                ms->key = (uint64_t)h->id << 8 | (from & 3) << 4 | (to & 3);
        }
    }
    if (to == PRV_U && !t->user_seen) {
        t->user_seen = true;
        enter_phase(t, TL_PHASE_USER);
        ADD(t, TL_USER, h, "first user-space instruction (init, U-mode)");
    }
    if (cause == MACHINE_OBSERVE_XRET)
        return;
    TimelineMilestone *ms = find_key(t, TL_TRAP, cause);
    if (ms) {
        ms->count++;
    } else {
        bool irq = cause >> 63;
        ms = ADD(t, TL_TRAP, h, "first %s: %s (%c -> %c)", irq ? "interrupt" : "exception",
                 trap_cause_name(irq, cause & ~(1ULL << 63)), timeline_mode_char(from),
                 timeline_mode_char(to));
        if (ms) {
            ms->key = cause;
            ms->arg = cause;
        }
    }
    if (cause == CAUSE_ECALL_S && from == PRV_S)
        sbi_call(t, h);
    else if (cause == CAUSE_ECALL_U && from == PRV_U)
        syscall_u(t, h);
}

static void watch_satp(void *opaque, Hart *h, uint64_t value)
{
    Timeline *t = opaque;
    if (!t->satp_seen) {
        t->satp_seen = true;
        ADD(t, TL_SATP, h, "first satp write (0x%016" PRIx64 ")", value);
    }
    /* Firmware may probe satp with MODE=Bare; the kernel's first write
     * with a mode turns paging on. */
    if (!t->paging_on && value >> 60) {
        static const char *const modes[16] = { [8] = "Sv39", [9] = "Sv48", [10] = "Sv57" };
        const char *mode = modes[value >> 60] ? modes[value >> 60] : "?";
        t->paging_on = true;
        enter_phase(t, TL_PHASE_PAGING);
        ADD(t, TL_PAGING, h, "paging on: satp = %s, root page table at 0x%" PRIx64, mode,
            (uint64_t)((value & ((1ULL << 44) - 1)) << 12));
    }
}

static const char *virtio_type(uint32_t id)
{
    switch (id) {
    case 1: return "network";
    case 2: return "block";
    case 3: return "console";
    case 4: return "entropy";
    case 0: return "empty slot";
    default: return "other";
    }
}

static void watch_device(void *opaque, Hart *h, const MmioRegion *r, uint64_t offset,
                         unsigned size, bool write, uint64_t value)
{
    Timeline *t = opaque;
    size_t idx = (size_t)(r - t->m->mem.regions);
    bool virtio = !strcmp(r->name, "virtio-mmio");
    if (virtio && !write && offset == VIRTIO_DEVICE_ID && idx < 32) {
        t->virtio_id[idx] = (uint32_t)value;
        t->virtio_read[idx] = true;
    }
    if (write && idx < 32)
        t->last_writer = h->id; /* the console's bytes are this hart's */
    TimelineMilestone *ms = find_key(t, TL_DEVICE, idx);
    if (ms) {
        ms->count++;
    } else {
        ms = ADD(t, TL_DEVICE, h, "first access to %s at 0x%" PRIx64 ": %s of %u byte%s at +0x%"
                 PRIx64, r->name, r->base, write ? "write" : "read", size, size > 1 ? "s" : "",
                 offset);
        if (ms) {
            ms->key = idx;
            ms->arg = r->base;
        }
    }
    if (virtio && write && offset == VIRTIO_QUEUE_NOTIFY && idx < 32 &&
        t->virtio_id[idx] == VIRTIO_ID_BLOCK) {
        TimelineMilestone *first = find_key(t, TL_DISK, 0);
        if (first)
            first->count++;
        if (!first || first->count <= MAX_DISK_LISTED) {
            ms = ADD(t, TL_DISK, h, "disk request %" PRIu64 " (virtio block at 0x%" PRIx64
                     ", queue %" PRIu64 " notified)", first ? first->count : 1, r->base, value);
            if (ms && first)
                ms->key = first->count; /* only the first is the counted one */
        }
    }
    if (!write && !strcmp(r->name, "plic") && offset >= PLIC_CONTEXT_BASE &&
        (offset & 0xfff) == PLIC_CLAIM && value) {
        ms = find_key(t, TL_EXT_IRQ, value);
        if (ms) {
            ms->count++;
        } else {
            ms = ADD(t, TL_EXT_IRQ, h, "first external interrupt from PLIC source %" PRIu64
                     " (claimed by hart %u, context %" PRIu64 ")", value, h->id,
                     (offset - PLIC_CONTEXT_BASE) >> 12);
            if (ms) {
                ms->key = value;
                ms->arg = value;
            }
        }
    }
}

static void watch_console(void *opaque, uint8_t byte)
{
    Timeline *t = opaque;
    if (t->con_len == t->con_cap) {
        size_t cap = t->con_cap ? t->con_cap * 2 : 4096;
        uint8_t *b = realloc(t->con, cap);
        if (b)
            t->con = b;
        uint64_t *ic = realloc(t->con_icount, cap * sizeof(*ic));
        if (ic)
            t->con_icount = ic;
        uint8_t *hh = realloc(t->con_hart, cap);
        if (hh)
            t->con_hart = hh;
        uint64_t *hic = realloc(t->con_hicount, cap * sizeof(*hic));
        if (hic)
            t->con_hicount = hic;
        uint64_t *tm = realloc(t->con_time, cap * sizeof(*tm));
        if (tm)
            t->con_time = tm;
        if (!b || !ic || !hh || !hic || !tm)
            return;
        t->con_cap = cap;
    }
    /* The hart that last wrote to a device (the UART's data register, or
     * HTIF) wrote it; the byte may leave the UART later. */
    unsigned hart = t->last_writer < t->m->nharts ? t->last_writer : 0;
    const Hart *h = &t->m->harts[hart];
    t->con[t->con_len] = byte;
    t->con_icount[t->con_len] = machine_observed_icount(t->m, h);
    t->con_hart[t->con_len] = (uint8_t)hart;
    t->con_hicount[t->con_len] = machine_observed_hart_icount(h);
    /* The clock now: time skipped while idle later must not count. */
    t->con_time[t->con_len] = time_at(t, t->con_icount[t->con_len]);
    t->con_len++;
}

/* ------------------------------------------------------------ breakpoints */

static void bp_hit(Timeline *t, const DebugStop *why)
{
    if (why->hart < 0 || (unsigned)why->hart >= t->m->nharts)
        return;
    Hart *h = &t->m->harts[why->hart];
    uint64_t bit = h->id < 64 ? 1ULL << h->id : 0;
    uint64_t all = t->m->nharts >= 64 ? ~0ULL : (1ULL << t->m->nharts) - 1;
    uint64_t pc = why->addr;
    if (t->reset_bp && pc == t->reset_pc && !(t->reset_seen & bit)) {
        t->reset_seen |= bit;
        ADD(t, TL_RESET, h, "hart %u: first instruction, at the reset vector (M-mode)", h->id);
        if ((t->reset_seen & all) == all) {
            t->reset_bp = false;
            if (!(t->firmware_bp && t->firmware_pc == pc))
                debug_bp_remove(t->m, pc, DEBUG_BP_SW);
        }
    }
    if (t->firmware_bp && pc == t->firmware_pc && !(t->firmware_seen & bit)) {
        /* On rewind's virt board the reset vector is the firmware's entry
         * (a0 = hart id, a1 = the device tree, as QEMU's boot ROM leaves
         * them): the firmware phase starts once every hart is there. */
        bool same = t->firmware_pc == t->reset_pc;
        if (!same && !t->firmware_seen)
            enter_phase(t, TL_PHASE_FIRMWARE);
        t->firmware_seen |= bit;
        if ((t->firmware_seen & all) == all && same)
            enter_phase(t, TL_PHASE_FIRMWARE);
        if (!same || t->firmware_seen == bit)
            ADD(t, TL_FIRMWARE, h, "the firmware's entry (-bios, OpenSBI): hart %u at 0x%" PRIx64
                "%s", h->id, pc, same ? ", the reset vector of every hart" : "");
        if ((t->firmware_seen & all) == all) {
            t->firmware_bp = false;
            if (!(t->reset_bp && t->reset_pc == pc))
                debug_bp_remove(t->m, pc, DEBUG_BP_SW);
        }
    }
    bool removed = false;
    for (unsigned i = 0; i < t->nmarks; i++) {
        TimelineMark *mk = &t->marks[i];
        if (mk->hit || mk->addr != pc)
            continue;
        mk->hit = true;
        ADD(t, TL_SYMBOL, h, "%s() first reached", mk->name);
        if (!removed && !(t->reset_bp && t->reset_pc == pc) &&
            !(t->firmware_bp && t->firmware_pc == pc))
            debug_bp_remove(t->m, pc, DEBUG_BP_SW);
        removed = true;
    }
}

static bool bp_stopped(void *opaque, DebugStop *why)
{
    Timeline *t = opaque;
    if (why->kind == DEBUG_STOP_BREAK)
        bp_hit(t, why);
    debug_continue(t->m);
    return true;
}

/* ------------------------------------------------------------ life */

bool timeline_attach(Timeline *t, Machine *m, const TimelineMark *marks, unsigned nmarks,
                     char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    t->m = m;
    t->obs = (MachineObserver){ .opaque = t, .priv_change = watch_priv,
                                .satp_write = watch_satp, .device_access = watch_device };
    m->observer = &t->obs;
    m->console_watch = watch_console;
    m->console_watch_opaque = t;
    for (unsigned i = 0; i < m->nharts && i < TIMELINE_MAX_HARTS; i++) {
        Hart *h = &m->harts[i];
        t->mode_at[i] = h->icount;
        t->seg[i] = malloc(1024 * sizeof(TimelineSegment));
        if (t->seg[i]) {
            t->segcap[i] = 1024;
            t->seg[i][0] = (TimelineSegment){ .icount = machine_icount(m), .priv = h->priv };
            t->nseg[i] = 1;
        }
    }
    DebugFrontEnd fe = { 0 };
    if (!m->debug && !debug_attach(m, &fe)) {
        snprintf(err, errlen, "cannot attach the debugger state (out of memory)");
        return false;
    }
    t->ctl = (DebugController){ .opaque = t, .stopped = bp_stopped };
    debug_set_controller(m, &t->ctl);
    /* Every hart starts at the same reset vector. A recording that starts
     * from a checkpoint has no reset: its harts are where they stood. */
    t->reset_pc = m->harts[0].pc;
    if (machine_icount(m) == 0) {
        t->reset_bp = debug_bp_insert(m, t->reset_pc, DEBUG_BP_SW);
    } else {
        t->reset_pc = UINT64_MAX;
        for (unsigned i = 0; i < m->nharts; i++)
            ADD(t, TL_RESET, &m->harts[i], "hart %u: where the recording starts (a checkpoint, "
                "%c-mode)", i, timeline_mode_char(m->harts[i].priv));
    }
    for (unsigned i = 0; i < nmarks && t->nmarks < TIMELINE_MAX_MARKS; i++) {
        t->marks[t->nmarks] = marks[i];
        t->marks[t->nmarks].hit = false;
        if (marks[i].addr != t->reset_pc)
            debug_bp_insert(m, marks[i].addr, DEBUG_BP_SW);
        t->nmarks++;
    }
    return true;
}

void timeline_set_firmware(Timeline *t, uint64_t pc)
{
    if (machine_icount(t->m) != 0)
        return; /* from a checkpoint: the firmware started before it */
    t->firmware_pc = pc;
    if (pc == t->reset_pc) {
        t->firmware_bp = true; /* the reset breakpoint serves both */
        return;
    }
    t->firmware_bp = debug_bp_insert(t->m, pc, DEBUG_BP_SW);
}

void timeline_finish(Timeline *t, const char *end_note)
{
    Machine *m = t->m;
    t->end_icount = machine_icount(m);
    t->end_time_ns = machine_clock_ns(m);
    for (unsigned i = 0; i < m->nharts && i < TIMELINE_MAX_HARTS; i++)
        t->mode_insns[i][m->harts[i].priv & 3] += m->harts[i].icount - t->mode_at[i];
    /* Counted kinds: the totals. */
    for (size_t i = 0; i < t->nms; i++) {
        TimelineMilestone *ms = &t->ms[i];
        if (ms->kind == TL_MODE)
            ms->count = t->switches[ms->key >> 8][(ms->key >> 4) & 3][ms->key & 3];
        if (ms->kind == TL_DEVICE && ms->key < 32 && t->virtio_read[ms->key] &&
            strstr(ms->name, "virtio-mmio")) {
            char tail[200];
            snprintf(tail, sizeof(tail), "%s", strstr(ms->name, "virtio-mmio") + 11);
            snprintf(strstr(ms->name, "virtio-mmio"), sizeof(ms->name) - (size_t)(strstr(ms->name, "virtio-mmio") - ms->name),
                     "virtio-mmio (%s)%s", virtio_type(t->virtio_id[ms->key]), tail);
        }
    }
    /* The console's lines, each at the icount of its newline; their phase
     * is that of the milestones around them. */
    size_t first_console = t->nms;
    size_t start = 0;
    for (size_t i = 0; i < t->con_len; i++) {
        if (t->con[i] != '\n')
            continue;
        char line[200];
        size_t n = 0;
        for (size_t k = start; k < i && n + 1 < sizeof(line); k++) {
            uint8_t c = t->con[k];
            if (c != '\r')
                line[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        line[n] = 0;
        Hart *h = &m->harts[t->con_hart[i]];
        TimelineMilestone *ms = add_at(t, TL_CONSOLE, h, t->con_icount[i], t->con_hicount[i],
                                       "%s", line);
        if (ms)
            ms->time_ns = t->con_time[i];
        start = i + 1;
    }
    Hart *h0 = &m->harts[m->sched.hart < m->nharts ? m->sched.hart : 0];
    add_at(t, TL_END, h0, t->end_icount, h0->icount, "%s", end_note);
    /* Milestones came in icount order except the console lines: merge
     * them in (a stable sort keeps same-icount milestones as they came). */
    size_t n = t->nms;
    TimelineMilestone *sorted = malloc(n * sizeof(*sorted));
    if (sorted) {
        size_t a = 0, b = first_console, o = 0;
        while (a < first_console || b < n) {
            bool take_a = b >= n || (a < first_console && t->ms[a].icount <= t->ms[b].icount);
            sorted[o++] = take_a ? t->ms[a++] : t->ms[b++];
        }
        memcpy(t->ms, sorted, n * sizeof(*sorted));
        free(sorted);
    }
    /* Console lines, the end and anything else: the phase at their icount
     * (the phase of the milestone before them). */
    TimelinePhase p = TL_PHASE_RESET;
    for (size_t i = 0; i < t->nms; i++) {
        TimelineMilestone *ms = &t->ms[i];
        if (ms->kind == TL_CONSOLE || ms->kind == TL_END) {
            ms->phase = p;
        } else if (ms->phase > p) {
            p = ms->phase;
        }
    }
    m->observer = NULL;
    m->console_watch = NULL;
}

void timeline_free(Timeline *t)
{
    for (unsigned i = 0; i < TIMELINE_MAX_HARTS; i++)
        free(t->seg[i]);
    free(t->ms);
    free(t->con);
    free(t->con_icount);
    free(t->con_hart);
    free(t->con_hicount);
    free(t->con_time);
    memset(t, 0, sizeof(*t));
}
