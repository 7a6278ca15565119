/* Reverse debugging of a replay (see reverse.h): checkpoints, seeks,
 * reverse-stepi and reverse-continue, as a controller of core/debug.h and
 * hooks of the GDB stub. */
#include "replay/reverse.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debug.h"
#include "core/gdbstub.h"
#include "core/snapshot.h"
#include "replay/internal.h"

/* Grid spacing of the first checkpoints, in instructions: a seek replays
 * at most this many (tens of milliseconds); the spacing doubles whenever
 * the budget is exceeded. */
enum { REVERSE_FIRST_SPACING = 10000000 };
/* Temporary checkpoints kept at most (besides the budget). */
enum { REVERSE_MAX_TEMPORARY = 48 };
/* Seeks farther than this leave temporary checkpoints on their way. */
enum { REVERSE_WAYPOINT_MIN = 2048 };
enum { REVERSE_MAX_WAYPOINTS = 40 };

typedef struct Checkpoint {
    uint64_t icount;                         /* total, where it was taken */
    uint64_t hart_icount[MACHINE_MAX_HARTS];
    int hart;        /* the hart whose slice had just ended there; -1: the start */
    bool regular;    /* on the grid; else temporary */
    uint64_t used;   /* LRU stamp (temporaries) */
    Snapshot *snap;
    PlayCursor cursor;
    size_t own_bytes; /* besides RAM pages (shared, counted apart) */
} Checkpoint;

typedef enum {
    OP_NONE,       /* the user's own forward run, or stopped */
    OP_SEEK,       /* run to a total icount (monitor seek) */
    OP_STEP_BACK,  /* run until a hart's icount reaches a target */
    OP_SCAN,       /* count breakpoint hits over [checkpoint, scan_hi) */
    OP_FINAL,      /* run to the want-th hit from the checkpoint */
    OP_FINAL_STEP, /* a watchpoint hit: past its instruction */
} ReverseOp;

typedef struct Reverse {
    Machine *m;
    struct Replay *r;
    Checkpoint *cps; /* sorted by icount */
    size_t ncps, cap;
    uint64_t budget, own_bytes;
    uint64_t spacing;
    uint64_t clock;      /* LRU */
    uint64_t end_icount; /* the recording's last icount */
    bool failed;         /* a restore failed: no more reverse execution */

    ReverseOp op;
    DebugStop report;    /* FINAL_STEP: the watchpoint hit to report */
    uint64_t target;     /* SEEK: total icount */
    int step_hart;       /* STEP_BACK */
    uint64_t step_icount;
    uint64_t way[REVERSE_MAX_WAYPOINTS]; /* ascending totals */
    unsigned nway, iway;
    size_t scan_cp;      /* SCAN, FINAL: the checkpoint the pass starts at */
    uint64_t scan_hi;
    uint64_t hits, want;
    char monitor_out[512];
    uint64_t stats_restores, stats_taken;
} Reverse;

/* ------------------------------------------------------------ checkpoints */

/* Host memory the checkpoints hold: their own records, and the saved RAM
 * pages alive (a page copied by one checkpoint lives on while a later one
 * shares it). */
static uint64_t cp_memory(const Reverse *rv)
{
    return rv->own_bytes + snapshot_pages_in_use();
}

static void cp_free(Reverse *rv, size_t i)
{
    rv->own_bytes -= rv->cps[i].own_bytes;
    snapshot_free(rv->cps[i].snap);
    memmove(&rv->cps[i], &rv->cps[i + 1], (rv->ncps - i - 1) * sizeof(*rv->cps));
    rv->ncps--;
}

/* Index of the checkpoint at exactly `icount`, or SIZE_MAX. */
static size_t cp_find(const Reverse *rv, uint64_t icount)
{
    for (size_t i = 0; i < rv->ncps; i++)
        if (rv->cps[i].icount == icount)
            return i;
    return SIZE_MAX;
}

/* Drop checkpoints until the budget holds: the least recently used
 * temporary ones first, then every other grid one (the spacing doubles).
 * The first checkpoint (the start) always stays. */
static void cp_enforce_budget(Reverse *rv)
{
    size_t ntemp = 0;
    for (size_t i = 0; i < rv->ncps; i++)
        ntemp += !rv->cps[i].regular;
    while (ntemp && (cp_memory(rv) > rv->budget || ntemp > REVERSE_MAX_TEMPORARY)) {
        size_t victim = SIZE_MAX;
        for (size_t i = 1; i < rv->ncps; i++)
            if (!rv->cps[i].regular &&
                (victim == SIZE_MAX || rv->cps[i].used < rv->cps[victim].used))
                victim = i;
        if (victim == SIZE_MAX)
            break;
        cp_free(rv, victim);
        ntemp--;
    }
    while (cp_memory(rv) > rv->budget && rv->ncps > 1) {
        rv->spacing *= 2;
        size_t before = rv->ncps;
        for (size_t i = rv->ncps; i-- > 1;)
            if (rv->cps[i].regular && rv->cps[i].icount % rv->spacing != 0)
                cp_free(rv, i);
        if (rv->ncps == before && rv->spacing > (UINT64_MAX >> 2))
            break;
    }
}

/* Take a checkpoint here (at a first arrival at this total icount: a slice
 * just ended for `hart`). */
static void cp_take(Reverse *rv, int hart, bool regular)
{
    Machine *m = rv->m;
    uint64_t total = machine_icount(m);
    size_t at = cp_find(rv, total);
    if (at != SIZE_MAX) {
        rv->cps[at].regular |= regular;
        rv->cps[at].used = ++rv->clock;
        return;
    }
    Checkpoint c = { .icount = total, .hart = hart, .regular = regular, .used = ++rv->clock };
    if (!play_cursor_save(rv->r, &c.cursor))
        return; /* the replay has reached a verdict: nothing to come back to */
    if (rv->ncps == rv->cap) {
        size_t cap = rv->cap ? rv->cap * 2 : 64;
        Checkpoint *n = realloc(rv->cps, cap * sizeof(*n));
        if (!n)
            return;
        rv->cps = n;
        rv->cap = cap;
    }
    c.snap = snapshot_take(m);
    if (!c.snap)
        return;
    for (unsigned i = 0; i < m->nharts; i++)
        c.hart_icount[i] = m->harts[i].icount;
    c.own_bytes = snapshot_own_bytes(c.snap) + sizeof(c);
    size_t i = rv->ncps;
    while (i > 0 && rv->cps[i - 1].icount > total)
        i--;
    memmove(&rv->cps[i + 1], &rv->cps[i], (rv->ncps - i) * sizeof(*rv->cps));
    rv->cps[i] = c;
    rv->ncps++;
    rv->own_bytes += c.own_bytes;
    rv->stats_taken++;
    cp_enforce_budget(rv);
}

/* Put the machine (and the replay's place in the trace) back to cps[i]. */
static bool cp_restore(Reverse *rv, size_t i)
{
    Machine *m = rv->m;
    Checkpoint *c = &rv->cps[i];
    char err[512];
    if (!snapshot_restore(m, c->snap, err, sizeof(err)) ||
        !play_cursor_restore(rv->r, &c->cursor, err, sizeof(err))) {
        rv->failed = true;
        machine_fail(m, "reverse debugging: cannot go back to icount %" PRIu64 ": %s",
                     c->icount, err);
        return false;
    }
    c->used = ++rv->clock;
    m->rewound = true;
    rv->stats_restores++;
    return true;
}

/* The next grid point after the current icount without a checkpoint. */
static uint64_t next_grid(const Reverse *rv)
{
    uint64_t total = machine_icount(rv->m);
    uint64_t g = (total / rv->spacing + 1) * rv->spacing;
    while (g <= rv->end_icount && cp_find(rv, g) != SIZE_MAX)
        g += rv->spacing;
    return g > rv->end_icount ? UINT64_MAX : g;
}

/* ------------------------------------------------------------ running */

/* The icount at which the controller next needs a stop: a grid point, a
 * waypoint, the operation's target. */
static void set_icount_target(Reverse *rv)
{
    uint64_t t = next_grid(rv);
    uint64_t total = machine_icount(rv->m);
    while (rv->iway < rv->nway && rv->way[rv->iway] <= total)
        rv->iway++;
    if (rv->iway < rv->nway && rv->way[rv->iway] < t)
        t = rv->way[rv->iway];
    uint64_t goal = rv->op == OP_SEEK ? rv->target
                  : rv->op == OP_SCAN || rv->op == OP_FINAL ? rv->scan_hi : UINT64_MAX;
    if (goal < t)
        t = goal;
    debug_set_stop_icount(rv->m, t);
}

/* Temporary checkpoints between `from` and `to` (both totals), closer and
 * closer to `to`: P - D/2, P - D/4, ... so that stepping back from `to`
 * again and again replays little each time. */
static void plan_waypoints(Reverse *rv, uint64_t from, uint64_t to)
{
    rv->nway = rv->iway = 0;
    if (to <= from + 2 * REVERSE_WAYPOINT_MIN)
        return;
    uint64_t d = (to - from) / 2;
    uint64_t tmp[REVERSE_MAX_WAYPOINTS];
    unsigned n = 0;
    while (d >= REVERSE_WAYPOINT_MIN && n < REVERSE_MAX_WAYPOINTS) {
        tmp[n++] = to - d;
        d /= 2;
    }
    for (unsigned i = 0; i < n; i++) /* ascending */
        rv->way[i] = tmp[i];
    rv->nway = n;
}

/* Start an operation's forward run from the machine's current state. */
static void run_op(Reverse *rv, ReverseOp op, bool points)
{
    Machine *m = rv->m;
    rv->op = op;
    m->output_muted = true;
    debug_set_points_enabled(m, points);
    bool stepping = op == OP_STEP_BACK || op == OP_FINAL_STEP;
    debug_resume_to(m, stepping ? rv->step_hart : -1, stepping ? rv->step_icount : 0);
    set_icount_target(rv);
}

/* The operation is over: the user gets the machine back. */
static void op_done(Reverse *rv)
{
    rv->op = OP_NONE;
    rv->nway = rv->iway = 0;
    rv->m->output_muted = false;
    debug_set_points_enabled(rv->m, true);
}

/* Report `why` now, the machine having been put where it is without
 * running (a restored checkpoint that is the target). */
static void report_now(Reverse *rv, DebugStopKind kind, int hart)
{
    op_done(rv);
    Machine *m = rv->m;
    DebugStop st = { .kind = kind, .hart = hart,
                     .addr = hart >= 0 ? m->harts[hart].pc : 0 };
    debug_stop_now(m, &st);
}

/* The latest checkpoint before total icount `hi` (strictly), or the start. */
static size_t cp_before(const Reverse *rv, uint64_t hi)
{
    size_t k = 0;
    for (size_t i = 0; i < rv->ncps; i++)
        if (rv->cps[i].icount < hi)
            k = i;
    return k;
}

/* ------------------------------------------------------------ operations */

/* The output of `monitor seek`: where the machine is now. GDB is not told
 * that the registers changed (a monitor command is not a stop). */
static void seek_report(Reverse *rv, uint64_t total, bool at_end)
{
    snprintf(rv->monitor_out, sizeof(rv->monitor_out),
             "%s %" PRIu64 "\n(GDB still shows the registers it had: `maint flush "
             "register-cache`; the `seek` command of rewind debug does it)\n",
             at_end ? "the recording ends at icount" : "at icount", total);
}

/* Seek to total icount n. false with a message in out when impossible. */
static bool op_seek(Reverse *rv, uint64_t n, bool *resumed)
{
    Machine *m = rv->m;
    uint64_t total = machine_icount(m);
    if (n == total) {
        seek_report(rv, n, false);
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < rv->ncps; i++)
        if (rv->cps[i].icount <= n)
            k = i;
    bool forward_here = n > total && total >= rv->cps[k].icount && m->stop == STOP_NONE;
    if (!forward_here) {
        if (!cp_restore(rv, k))
            return false;
        if (rv->cps[k].icount == n) {
            seek_report(rv, n, false);
            return false;
        }
    }
    rv->target = n;
    plan_waypoints(rv, machine_icount(m), n);
    run_op(rv, OP_SEEK, false);
    *resumed = true;
    return true;
}

/* bs: the previous instruction of hart `hart`. */
static void op_step_back(Reverse *rv, int hart)
{
    Machine *m = rv->m;
    uint64_t c = m->harts[hart].icount;
    if (c == 0) {
        report_now(rv, DEBUG_STOP_HISTORY_BEGIN, hart);
        return;
    }
    uint64_t want = c - 1;
    /* A checkpoint where the hart has not retired instruction `want` yet,
     * or where it just did (a first arrival there). */
    size_t k = 0;
    for (size_t i = 0; i < rv->ncps; i++) {
        const Checkpoint *cp = &rv->cps[i];
        uint64_t hi = cp->hart_icount[hart];
        if (hi < want || (hi == want && (i == 0 || cp->hart == hart || m->nharts == 1)))
            k = i;
    }
    uint64_t from = rv->cps[k].icount, to = machine_icount(m);
    if (!cp_restore(rv, k))
        return;
    rv->step_hart = hart;
    rv->step_icount = want;
    if (m->harts[hart].icount == want) {
        report_now(rv, DEBUG_STOP_STEP, hart);
        return;
    }
    plan_waypoints(rv, from, to);
    run_op(rv, OP_STEP_BACK, false);
}

/* bc: scan the span before the current point. */
static void op_continue_back(Reverse *rv)
{
    Machine *m = rv->m;
    uint64_t total = machine_icount(m);
    if (total == 0 || !debug_has_points(m)) {
        /* Nothing to stop at: the start. */
        if (total != 0 && !cp_restore(rv, 0))
            return;
        report_now(rv, DEBUG_STOP_HISTORY_BEGIN, -1);
        return;
    }
    rv->scan_hi = total;
    rv->scan_cp = cp_before(rv, total);
    rv->hits = 0;
    if (!cp_restore(rv, rv->scan_cp))
        return;
    rv->nway = rv->iway = 0;
    run_op(rv, OP_SCAN, true);
}

/* ------------------------------------------------------------ controller */

/* A stop during an operation that is not the one awaited (ctrl-C): the
 * operation ends there. */
static bool pass_through(Reverse *rv)
{
    op_done(rv);
    return false;
}

static bool rv_stopped(void *opaque, DebugStop *why)
{
    Reverse *rv = opaque;
    Machine *m = rv->m;
    uint64_t total = machine_icount(m);
    if (rv->failed)
        return false;
    /* Slice ends are first arrivals: checkpoints may be taken there. */
    if ((why->kind == DEBUG_STOP_ICOUNT || why->kind == DEBUG_STOP_STEP) && total &&
        total % rv->spacing == 0 && cp_find(rv, total) == SIZE_MAX)
        cp_take(rv, why->hart, true);
    if (why->kind == DEBUG_STOP_ICOUNT && rv->iway < rv->nway && rv->way[rv->iway] == total) {
        cp_take(rv, why->hart, false);
        rv->iway++;
    }
    switch (rv->op) {
    case OP_NONE:
        if (why->kind == DEBUG_STOP_ICOUNT) {
            /* Only the controller sets icount targets: a checkpoint stop. */
            set_icount_target(rv);
            debug_continue(m);
            return true;
        }
        return false;
    case OP_SEEK:
        if (why->kind == DEBUG_STOP_ICOUNT && total < rv->target)
            break;
        seek_report(rv, total, why->kind == DEBUG_STOP_HISTORY_END);
        return pass_through(rv);
    case OP_STEP_BACK:
        if (why->kind == DEBUG_STOP_ICOUNT)
            break;
        return pass_through(rv); /* the step stop, as a forward stepi's */
    case OP_SCAN:
        if (why->kind == DEBUG_STOP_BREAK || why->kind == DEBUG_STOP_WATCH) {
            rv->hits++;
            debug_continue(m);
            return true;
        }
        if (why->kind != DEBUG_STOP_ICOUNT)
            return pass_through(rv);
        if (total < rv->scan_hi)
            break;
        if (rv->hits) {
            /* The last hit is in this span: run to it. */
            rv->want = rv->hits;
            rv->hits = 0;
            if (!cp_restore(rv, rv->scan_cp))
                return pass_through(rv);
            run_op(rv, OP_FINAL, true);
            return true;
        }
        if (rv->scan_cp == 0) {
            /* No hit since the start. */
            if (!cp_restore(rv, 0))
                return pass_through(rv);
            *why = (DebugStop){ .kind = DEBUG_STOP_HISTORY_BEGIN, .hart = -1 };
            return pass_through(rv);
        }
        rv->scan_hi = rv->cps[rv->scan_cp].icount;
        rv->scan_cp = cp_before(rv, rv->scan_hi);
        if (!cp_restore(rv, rv->scan_cp))
            return pass_through(rv);
        run_op(rv, OP_SCAN, true);
        return true;
    case OP_FINAL:
        if (why->kind == DEBUG_STOP_BREAK || why->kind == DEBUG_STOP_WATCH) {
            if (++rv->hits < rv->want) {
                debug_continue(m);
                return true;
            }
            if (why->kind == DEBUG_STOP_BREAK)
                return pass_through(rv);
            /* A watchpoint: past the accessing instruction (see reverse.h). */
            rv->report = *why;
            rv->step_hart = why->hart;
            rv->step_icount = m->harts[why->hart].icount + 1;
            run_op(rv, OP_FINAL_STEP, false);
            return true;
        }
        if (why->kind == DEBUG_STOP_ICOUNT && total < rv->scan_hi)
            break;
        return pass_through(rv);
    case OP_FINAL_STEP:
        if (why->kind == DEBUG_STOP_ICOUNT)
            break;
        if (why->kind == DEBUG_STOP_STEP)
            *why = rv->report;
        return pass_through(rv);
    }
    /* An intermediate icount stop (grid point, waypoint): go on. */
    set_icount_target(rv);
    debug_continue(m);
    return true;
}

/* The user resumed forward: checkpoints on the grid as it runs. */
static void rv_resumed(void *opaque)
{
    Reverse *rv = opaque;
    if (rv->failed)
        return;
    op_done(rv);
    set_icount_target(rv);
}

static bool rv_hold_at_end(void *opaque)
{
    Reverse *rv = opaque;
    if (rv->failed || !rv->r)
        return false;
    ReplayResult res = rv->r->result;
    return res == REPLAY_RESULT_RUNNING || res == REPLAY_RESULT_CUT_SHORT;
}

/* ------------------------------------------------------------ stub hooks */

static bool rv_packet(void *opaque, Machine *m, const char *pkt, size_t len, char *reply,
                      size_t replylen, bool *resumed)
{
    Reverse *rv = opaque;
    (void)len;
    if (strcmp(pkt, "bs") != 0 && strcmp(pkt, "bc") != 0)
        return false;
    if (!debug_stopped(m) || rv->failed) {
        snprintf(reply, replylen, "E01");
        return true;
    }
    if (pkt[1] == 's')
        op_step_back(rv, gdbstub_current_hart(m));
    else
        op_continue_back(rv);
    *resumed = true;
    return true;
}

static const char *skip_spaces(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

static bool rv_monitor(void *opaque, Machine *m, const char *cmd, char *out, size_t outlen,
                       bool *resumed)
{
    Reverse *rv = opaque;
    if (strcmp(cmd, "help") == 0) {
        snprintf(out, outlen,
                 "monitor when        the current instruction count (as rr's when)\n"
                 "monitor seek N      go to total instruction count N, backwards or "
                 "forwards\n"
                 "monitor checkpoints the checkpoints kept for going back\n");
        return true;
    }
    if (strcmp(cmd, "when") == 0) {
        snprintf(out, outlen, "Current icount: %" PRIu64 " (recording ends at %" PRIu64 ")\n",
                 machine_icount(m), rv->end_icount);
        return true;
    }
    if (strcmp(cmd, "checkpoints") == 0) {
        size_t ntemp = 0;
        for (size_t i = 0; i < rv->ncps; i++)
            ntemp += !rv->cps[i].regular;
        snprintf(out, outlen,
                 "%zu checkpoints (%zu temporary), %.1f MiB of %.1f MiB, grid spacing %"
                 PRIu64 " instructions; %" PRIu64 " taken, %" PRIu64 " restores\n",
                 rv->ncps, ntemp, (double)cp_memory(rv) / 1048576.0,
                 (double)rv->budget / 1048576.0, rv->spacing, rv->stats_taken,
                 rv->stats_restores);
        return true;
    }
    if (strncmp(cmd, "seek", 4) == 0 && (cmd[4] == ' ' || cmd[4] == '\0')) {
        const char *a = skip_spaces(cmd + 4);
        char *end;
        uint64_t n = strtoull(a, &end, 0);
        if (!isdigit((unsigned char)*a) || *skip_spaces(end)) {
            snprintf(out, outlen, "usage: monitor seek ICOUNT (a total instruction count)\n");
            return true;
        }
        if (!debug_stopped(m) || rv->failed) {
            snprintf(out, outlen, "seek: the machine must be stopped\n");
            return true;
        }
        if (!op_seek(rv, n, resumed) && !*resumed)
            snprintf(out, outlen, "%s", rv->monitor_out);
        return true;
    }
    return false;
}

static void rv_monitor_done(void *opaque, Machine *m, char *out, size_t outlen)
{
    Reverse *rv = opaque;
    (void)m;
    snprintf(out, outlen, "%s", rv->monitor_out);
}

static uint64_t rv_total_icount(void *opaque, Machine *m)
{
    (void)m;
    return ((Reverse *)opaque)->end_icount;
}

/* ------------------------------------------------------------ life */

static void rv_free(void *opaque)
{
    Reverse *rv = opaque;
    while (rv->ncps)
        cp_free(rv, rv->ncps - 1);
    free(rv->cps);
    free(rv);
}

bool reverse_attach(Machine *m, uint64_t mem_budget, char *err, size_t errlen)
{
    if (!m->replay || m->replay->mode != REPLAY_PLAY || !m->debug) {
        snprintf(err, errlen, "reverse debugging needs a replay with a GDB stub");
        return false;
    }
    Reverse *rv = calloc(1, sizeof(*rv));
    if (!rv) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    rv->m = m;
    rv->r = m->replay;
    rv->budget = mem_budget;
    rv->spacing = REVERSE_FIRST_SPACING;
    rv->end_icount = m->replay->total_icount;
    MachineDevice dev = { .name = "reverse", .opaque = rv, .free = rv_free };
    if (!machine_add_device(m, &dev)) {
        free(rv);
        snprintf(err, errlen, "too many devices");
        return false;
    }
    cp_take(rv, -1, true);
    if (rv->ncps != 1 || rv->cps[0].icount != machine_icount(m)) {
        snprintf(err, errlen, "cannot take the first checkpoint (out of memory?)");
        return false;
    }
    DebugController ctl = { .opaque = rv, .stopped = rv_stopped, .resumed = rv_resumed,
                            .hold_at_end = rv_hold_at_end };
    debug_set_controller(m, &ctl);
    GdbStubHooks hooks = { .opaque = rv, .features = "ReverseStep+;ReverseContinue+",
                           .packet = rv_packet, .monitor = rv_monitor,
                           .monitor_done = rv_monitor_done,
                           .total_icount = rv_total_icount };
    if (!gdbstub_set_hooks(m, &hooks)) {
        snprintf(err, errlen, "reverse debugging needs the GDB stub");
        return false;
    }
    set_icount_target(rv);
    return true;
}

bool reverse_parse_size(const char *s, uint64_t *bytes)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: break;
    }
    if ((*end == 'i' || *end == 'I') && shift)
        end++;
    if ((*end == 'b' || *end == 'B'))
        end++;
    if (*end || v == 0 || v > (UINT64_MAX >> shift))
        return false;
    *bytes = (uint64_t)v << shift;
    return true;
}
