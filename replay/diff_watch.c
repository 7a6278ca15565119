/* rewind diff, part 3: what one replay shows at a higher level (see
 * diff.h), through the machine's observer hook (core/machine.h) and its
 * console watch. Icounts of traps are those of the hart's block (a trap
 * taken inside a translation block is seen before the block's unretired
 * instructions are given back): within a few instructions, and the same
 * in every replay. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debug.h"
#include "core/hart.h"
#include "core/machine.h"
#include "replay/diff.h"

enum { CAUSE_ECALL_S = 9 };

static DiffMilestone *watch_add(DiffWatch *w, DiffMilestoneKind kind, const char *name,
                                uint64_t icount, unsigned hart)
{
    if (w->nms == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        DiffMilestone *n = realloc(w->ms, cap * sizeof(*n));
        if (!n)
            return NULL;
        w->ms = n;
        w->cap = cap;
    }
    DiffMilestone *ms = &w->ms[w->nms++];
    memset(ms, 0, sizeof(*ms));
    ms->kind = kind;
    snprintf(ms->name, sizeof(ms->name), "%s", name);
    ms->icount = icount;
    ms->hart = hart;
    return ms;
}

const char *diff_sbi_name(uint64_t eid, char *buf, size_t len)
{
    switch (eid) {
    case 0x00: return "legacy-set-timer";
    case 0x01: return "legacy-console-putchar";
    case 0x02: return "legacy-console-getchar";
    case 0x08: return "legacy-shutdown";
    case 0x10: return "base";
    case 0x54494D45: return "timer";
    case 0x735049: return "ipi";
    case 0x52464E43: return "rfence";
    case 0x48534D: return "hsm";
    case 0x53525354: return "srst";
    case 0x504D55: return "pmu";
    case 0x4442434E: return "dbcn";
    default:
        snprintf(buf, len, "eid-0x%" PRIx64, eid);
        return buf;
    }
}

static void watch_priv(void *opaque, Hart *h, unsigned from, uint64_t cause)
{
    DiffWatch *w = opaque;
    uint64_t ic = machine_icount(h->m);
    if (h->priv == PRV_S && !w->seen_s) {
        w->seen_s = true;
        watch_add(w, DIFF_MS_S_MODE, "first entry into S-mode", ic, h->id);
    }
    if (h->priv == PRV_U && !w->seen_u) {
        w->seen_u = true;
        watch_add(w, DIFF_MS_U_MODE, "first entry into U-mode", ic, h->id);
    }
    if (cause != CAUSE_ECALL_S || from != PRV_S)
        return;
    char buf[32], name[64];
    snprintf(name, sizeof(name), "first SBI call: %s", diff_sbi_name(h->x[17], buf, sizeof(buf)));
    for (size_t i = 0; i < w->nms; i++)
        if (w->ms[i].kind == DIFF_MS_SBI && !strcmp(w->ms[i].name, name)) {
            w->ms[i].count++;
            return;
        }
    DiffMilestone *ms = watch_add(w, DIFF_MS_SBI, name, ic, h->id);
    if (ms)
        ms->count = 1;
}

static void watch_satp(void *opaque, Hart *h, uint64_t value)
{
    DiffWatch *w = opaque;
    if (!w->seen_satp) {
        w->seen_satp = true;
        watch_add(w, DIFF_MS_SATP, "first satp write", machine_icount(h->m), h->id);
    }
    /* Firmware probes satp with MODE=Bare; the kernel's first write with
     * a mode turns the MMU on. */
    if (!w->seen_mmu && value >> 60) {
        w->seen_mmu = true;
        watch_add(w, DIFF_MS_SATP, "MMU on (first satp write with a mode)", machine_icount(h->m),
                  h->id);
    }
}

static void watch_console(void *opaque, uint8_t byte)
{
    DiffWatch *w = opaque;
    diff_console_add(&w->console, machine_icount(w->m), byte);
}

void diff_watch_attach(Machine *m, DiffWatch *w)
{
    memset(w, 0, sizeof(*w));
    w->m = m;
    w->obs = (MachineObserver){ .opaque = w, .priv_change = watch_priv,
                                .satp_write = watch_satp };
    m->observer = &w->obs;
    m->console_watch = watch_console;
    m->console_watch_opaque = w;
}

static void sample_add(DiffWatch *w, const Hart *h, uint64_t insns)
{
    if (w->nsamples == w->samples_cap) {
        size_t cap = w->samples_cap ? w->samples_cap * 2 : 4096;
        DiffSample *n = realloc(w->samples, cap * sizeof(*n));
        if (!n)
            return; /* out of memory: the profile stops growing */
        w->samples = n;
        w->samples_cap = cap;
    }
    w->samples[w->nsamples++] = (DiffSample){ .pc = h->pc, .insns = insns, .priv = h->priv };
}

/* Every hart that ran since the previous sample: its instructions go to
 * where it stands now (a sampling estimate, exact on average). */
static void sample_take(DiffWatch *w)
{
    Machine *m = w->m;
    for (unsigned i = 0; i < m->nharts; i++) {
        const Hart *h = &m->harts[i];
        if (h->icount > w->sample_last[i]) {
            sample_add(w, h, h->icount - w->sample_last[i]);
            w->sample_last[i] = h->icount;
        }
    }
}

static bool sample_stopped(void *opaque, DebugStop *why)
{
    DiffWatch *w = opaque;
    if (why->kind != DEBUG_STOP_ICOUNT)
        return false;
    sample_take(w);
    debug_continue(w->m);
    debug_set_stop_icount(w->m, machine_icount(w->m) + w->sample_every);
    return true;
}

bool diff_watch_sample(Machine *m, DiffWatch *w, uint64_t every)
{
    DebugFrontEnd fe = { 0 };
    if (!every || !debug_attach(m, &fe))
        return false;
    DebugController ctl = { .opaque = w, .stopped = sample_stopped };
    debug_set_controller(m, &ctl);
    w->sample_every = every;
    for (unsigned i = 0; i < m->nharts; i++)
        w->sample_last[i] = m->harts[i].icount;
    debug_set_stop_icount(m, machine_icount(m) + every);
    return true;
}

void diff_watch_finish(Machine *m, DiffWatch *w)
{
    if (w->sample_every)
        sample_take(w); /* the tail since the last sample */
    w->end_icount = machine_icount(m);
    w->exit_code = m->exit_code;
    /* Console lines, each at the icount of its newline. */
    size_t start = 0;
    for (size_t i = 0; i < w->console.len; i++) {
        if (w->console.bytes[i] != '\n')
            continue;
        char line[120];
        size_t n = 0;
        for (size_t k = start; k < i && n + 1 < sizeof(line); k++) {
            uint8_t c = w->console.bytes[k];
            if (c != '\r')
                line[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        line[n] = 0;
        watch_add(w, DIFF_MS_CONSOLE, line, w->console.icount[i], 0);
        start = i + 1;
    }
    watch_add(w, DIFF_MS_END, m->stop == STOP_ERROR ? "the end (emulator error)"
                              : "the end (power-off or exit)", w->end_icount, 0);
    /* In icount order (milestones come in order, console lines were added
     * last): a stable insertion sort. */
    for (size_t i = 1; i < w->nms; i++) {
        DiffMilestone t = w->ms[i];
        size_t k = i;
        while (k && w->ms[k - 1].icount > t.icount) {
            w->ms[k] = w->ms[k - 1];
            k--;
        }
        w->ms[k] = t;
    }
    m->observer = NULL;
    m->console_watch = NULL;
}

void diff_watch_free(DiffWatch *w)
{
    diff_console_free(&w->console);
    free(w->samples);
    free(w->ms);
    memset(w, 0, sizeof(*w));
}
