/* Replay mode: the run takes its inputs from the trace and checks itself
 * against it. Events are consumed strictly in order, each at the point the
 * recorder logged it (replay/internal.h): the run loop's budget stops the
 * harts at the icount of the next input point, synchronous inputs must come
 * in the recorded order, and each digest must match. At the first mismatch
 * the machine stops with a report (icount, hart, pc, what differed, the
 * last event before). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/debug.h"
#include "icount/icount.h"
#include "replay/internal.h"

/* ------------------------------------------------------------- events */

/* The lengths a net-rx frame may have (devices/virtio_net.h's maximum). */
enum { PLAY_ETH_MIN = 14, PLAY_ETH_MAX = 65536 };

static const char *play_kind_name(uint32_t kind)
{
    const char *n = trace_kind_name(kind);
    return n ? n : "unknown";
}

/* One line about an event, for reports. */
static void play_describe(const TraceEvent *ev, const StateSumInfo *info, char *out,
                          size_t len)
{
    int n = snprintf(out, len, "%s", play_kind_name(ev->kind));
    if (n < 0 || (size_t)n >= len)
        return;
    size_t k = (size_t)n;
    switch (ev->kind) {
    case TRACE_DIGEST:
        if (info && info->input_point)
            k += (size_t)snprintf(out + k, len - k, " (input point%s)",
                                  info->idle_step ? ", idle" : "");
        else if (info && info->sync_input)
            k += (size_t)snprintf(out + k, len - k, " (before an input)");
        break;
    case TRACE_CONSOLE_INPUT: {
        k += (size_t)snprintf(out + k, len - k, " %zu byte%s \"", ev->len,
                              ev->len == 1 ? "" : "s");
        for (size_t i = 0; i < ev->len && i < 24 && k + 8 < len; i++) {
            uint8_t c = ev->payload[i];
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                out[k++] = (char)c;
            else if (c == '\n')
                k += (size_t)snprintf(out + k, len - k, "\\n");
            else if (c == '\r')
                k += (size_t)snprintf(out + k, len - k, "\\r");
            else
                k += (size_t)snprintf(out + k, len - k, "\\x%02x", c);
        }
        if (k < len)
            k += (size_t)snprintf(out + k, len - k, "%s\"", ev->len > 24 ? "..." : "");
        break;
    }
    case TRACE_RTC_BASE:
    case TRACE_ENTROPY:
        k += (size_t)snprintf(out + k, len - k, " %zu bytes", ev->len);
        break;
    case TRACE_NET_RX:
    case TRACE_NET_TX:
        k += (size_t)snprintf(out + k, len - k, " on NIC %u, %zu bytes (xxh64 %016" PRIx64 ")",
                              ev->source, ev->len, trace_payload_digest(ev->payload, ev->len));
        break;
    case TRACE_EXIT:
        k += (size_t)snprintf(out + k, len - k, " code %d", ev->exit_code);
        break;
    case TRACE_FAIL:
    case TRACE_END:
        k += (size_t)snprintf(out + k, len - k, " \"%.*s\"", (int)(ev->len > 160 ? 160 : ev->len),
                              (const char *)ev->payload);
        break;
    default:
        break;
    }
    if (k < len)
        snprintf(out + k, len - k, " at icount %" PRIu64 " (hart %u, pc 0x%" PRIx64 ")",
                 ev->icount, ev->hart, ev->pc);
}

static bool play_known_kind(uint32_t kind)
{
    return kind == TRACE_CONSOLE_INPUT || kind == TRACE_RTC_BASE || kind == TRACE_ENTROPY ||
           kind == TRACE_NET_RX || kind == TRACE_NET_TX || kind == TRACE_DIGEST || kind == TRACE_EXIT || kind == TRACE_RESET ||
           kind == TRACE_FAIL || kind == TRACE_END;
}

/* The next event, read on demand. Unknown kinds (a newer writer) are
 * passed over. Returns NULL at the readable end of the trace. */
static ReplayNext *play_peek(struct Replay *r)
{
    ReplayNext *nx = &r->next;
    while (!nx->valid && !r->reader_done) {
        TraceEvent ev;
        int rc = trace_reader_next(r->reader, &ev);
        if (rc <= 0) {
            r->reader_done = true;
            r->reader_damaged = rc < 0;
            break;
        }
        r->read_rank = r->read_any && ev.icount == r->read_icount ? r->read_rank + 1 : 0;
        r->read_icount = ev.icount;
        r->read_any = true;
        if (!play_known_kind(ev.kind))
            continue;
        if (ev.len > nx->cap) {
            uint8_t *nb = realloc(nx->payload, ev.len);
            if (!nb) {
                r->reader_done = r->reader_damaged = true;
                break;
            }
            nx->payload = nb;
            nx->cap = ev.len;
        }
        if (ev.len)
            memcpy(nx->payload, ev.payload, ev.len);
        nx->ev = ev;
        nx->ev.payload = nx->payload;
        nx->rank = r->read_rank;
        memset(&nx->info, 0, sizeof(nx->info));
        if (ev.kind == TRACE_DIGEST)
            statesum_info(nx->payload, ev.len, &nx->info);
        nx->valid = true;
    }
    return nx->valid ? nx : NULL;
}

static void play_consume(struct Replay *r)
{
    play_describe(&r->next.ev, &r->next.info, r->last_event, sizeof(r->last_event));
    r->next.valid = false;
    r->events_replayed++;
}

/* --------------------------------------------------------------- stops */

static void play_progress_clear(struct Replay *r);

/* Stop the run with a result (the first one counts). */
static void play_finish(struct Replay *r, ReplayResult res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void play_finish(struct Replay *r, ReplayResult res, const char *fmt, ...)
{
    if (r->result != REPLAY_RESULT_RUNNING)
        return;
    r->result = res;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->report, sizeof(r->report), fmt, ap);
    va_end(ap);
    play_progress_clear(r);
    machine_request_exit(r->m, 0);
}

/* A divergence report: where (icount, hart, pc), what, the last event. */
static void play_diverged(struct Replay *r, const char *what)
{
    Machine *m = r->m;
    unsigned hart = replay_running_hart(r);
    play_finish(r, REPLAY_RESULT_DIVERGED,
                "divergence at icount %" PRIu64 " (hart %u, pc 0x%" PRIx64 "):\n"
                "  %s\n"
                "  last event before it: %s",
                machine_icount(m), hart, m->harts[hart].pc, what,
                r->last_event[0] ? r->last_event : "none (the start of the run)");
}

/* The readable events are used up: the trace was cut short or damaged
 * (a complete trace always ends with its END event, consumed at the
 * stop). */
static void play_trace_ended(struct Replay *r)
{
    Machine *m = r->m;
    if (r->reader_damaged) {
        const char *e = trace_reader_error(r->reader);
        play_finish(r, REPLAY_RESULT_DAMAGED,
                    "%s\n  replayed up to icount %" PRIu64 ", the last event before the "
                    "damage (%s)", e ? e : "the trace is damaged", machine_icount(m),
                    r->last_event[0] ? r->last_event : "none");
        return;
    }
    TraceSummary s;
    trace_reader_summary(r->reader, &s);
    if (s.complete) {
        play_diverged(r, "the recording's events end here without its END event");
        return;
    }
    play_finish(r, REPLAY_RESULT_CUT_SHORT,
                "%s\n  replayed up to icount %" PRIu64 " (the last recorded event: %s); "
                "stopped there",
                s.note[0] ? s.note : "the trace was cut short (the recording was interrupted)",
                machine_icount(m), r->last_event[0] ? r->last_event : "none");
}

/* After an event consumed at a point where the run may stop (a digest, an
 * input point): if it was the last readable one, stop right here, so that
 * a cut-short replay ends at the trace's last icount, not an instruction
 * later. */
static void play_end_if_used_up(struct Replay *r)
{
    if (r->result == REPLAY_RESULT_RUNNING && !play_peek(r))
        play_trace_ended(r);
}

/* The next event must be `kind` at this icount; otherwise a divergence
 * naming what the replay did (`doing`) and what the recording has. */
static ReplayNext *play_expect(struct Replay *r, uint32_t kind, const char *doing)
{
    ReplayNext *nx = play_peek(r);
    if (!nx) {
        play_trace_ended(r);
        return NULL;
    }
    uint64_t total = machine_icount(r->m);
    if (nx->ev.kind == kind && nx->ev.icount == total &&
        (kind != TRACE_DIGEST || (!nx->info.input_point && !nx->info.sync_input)))
        return nx;
    char desc[320], what[800];
    play_describe(&nx->ev, &nx->info, desc, sizeof(desc));
    snprintf(what, sizeof(what), "the replay %s; the recording's next event is %s", doing,
             desc);
    play_diverged(r, what);
    return NULL;
}

/* A host-caused end of the recording (a signal, Ctrl-A x, a host error)
 * happens where no instruction follows at that icount: reproduce it. */
static bool play_stop_point(struct Replay *r, uint64_t total)
{
    ReplayNext *nx = play_peek(r);
    if (!nx || nx->ev.icount != total)
        return false;
    if (nx->ev.kind == TRACE_EXIT || nx->ev.kind == TRACE_END) {
        machine_request_exit(r->m, nx->ev.exit_code);
        return true;
    }
    if (nx->ev.kind == TRACE_FAIL) {
        /* The error is the recording's (it may have been the recording
         * host's, such as a console it could not write): say so, never
         * pass it off as this replay's own. */
        machine_fail(r->m, "stopped where the recording stopped with an error: %.*s",
                     (int)nx->ev.len, (const char *)nx->ev.payload);
        r->replayed_fail = true;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------ digests */

/* Compare the digest taken now with the recorded one. */
static bool play_check_digest(struct Replay *r, const Digest *d, const ReplayNext *nx)
{
    Machine *m = r->m;
    char msg[1024];
    if (!statesum_compare(m, nx->payload, nx->ev.len, msg, sizeof(msg))) {
        play_diverged(r, msg);
        return false;
    }
    if (d->harts != nx->ev.digest_harts) {
        play_diverged(r, "hart state differs (digest of the harts)");
        return false;
    }
    if (d->memory != nx->ev.digest_memory || d->pages != nx->ev.digest_pages) {
        snprintf(msg, sizeof(msg),
                 "memory differs: the %" PRIu64 " pages written since the previous digest "
                 "hash to %016" PRIx64 ", the recording has %" PRIu64 " pages hashing to "
                 "%016" PRIx64, d->pages, d->memory, nx->ev.digest_pages,
                 nx->ev.digest_memory);
        play_diverged(r, msg);
        return false;
    }
    r->digests_checked++;
    return true;
}

void play_on_digest(Machine *m, const Digest *d)
{
    struct Replay *r = m->replay;
    if (r->result != REPLAY_RESULT_RUNNING)
        return;
    ReplayNext *nx = play_expect(r, TRACE_DIGEST, "took a periodic digest");
    if (nx && play_check_digest(r, d, nx)) {
        play_consume(r);
        /* A recording stopped by a signal at the look at events that
         * comes before the digests of this icount (record_next_icount,
         * record_deliver_due) still took this digest, then ended: its end
         * is right behind it. Stop here too, before another instruction
         * runs (the run loop would run one: it runs at least one after
         * the events due). */
        if (!play_stop_point(r, machine_icount(m)))
            play_end_if_used_up(r);
    }
}

/* ------------------------------------------------------------- inputs */

bool play_sync_input(Machine *m, EventKind kind, unsigned source, void *buf, size_t len)
{
    struct Replay *r = m->replay;
    memset(buf, 0, len);
    if (r->result != REPLAY_RESULT_RUNNING)
        return false;
    char doing[160];
    snprintf(doing, sizeof(doing), "asked for %zu bytes of %s input (source %u)", len,
             play_kind_name(kind), source);
    /* The digest the recorder took there comes first. */
    ReplayNext *nx = play_peek(r);
    if (nx && nx->ev.kind == TRACE_DIGEST && nx->info.sync_input &&
        nx->ev.icount == machine_icount(m)) {
        Digest d = digest_take(m);
        if (!play_check_digest(r, &d, nx))
            return false;
        play_consume(r);
    }
    nx = play_expect(r, kind, doing);
    if (!nx)
        return false;
    if (nx->ev.source != source || (nx->ev.len != len && nx->ev.len != 0)) {
        char desc[320], what[600];
        play_describe(&nx->ev, NULL, desc, sizeof(desc));
        snprintf(what, sizeof(what), "the replay %s; the recording has %s", doing, desc);
        play_diverged(r, what);
        return false;
    }
    /* No bytes: the host read failed during the recording. */
    bool ok = nx->ev.len == len;
    if (ok)
        memcpy(buf, nx->payload, len);
    play_consume(r);
    return ok;
}

/* Deliver the input point at the head of the trace: its digest first,
 * then every input event logged with it. */
static void play_deliver_point(struct Replay *r)
{
    Machine *m = r->m;
    Digest d = digest_take(m);
    ReplayNext *nx = play_peek(r);
    if (!play_check_digest(r, &d, nx))
        return;
    play_consume(r);
    r->idle_spins = 0;
    while ((nx = play_peek(r)) && nx->ev.icount == d.icount &&
           (nx->ev.kind == TRACE_CONSOLE_INPUT || nx->ev.kind == TRACE_NET_RX)) {
        /* An Ethernet frame has at least its 14-byte header; a shorter
         * one was cut (the recorder never logs one). */
        if (nx->ev.kind == TRACE_NET_RX &&
            (nx->ev.len < PLAY_ETH_MIN || nx->ev.len > PLAY_ETH_MAX)) {
            play_finish(r, REPLAY_RESULT_DAMAGED,
                        "the trace is damaged: its net-rx event at icount %" PRIu64
                        " (NIC %u) holds %zu bytes, not an Ethernet frame (%d to %d "
                        "bytes)\n  replayed up to icount %" PRIu64 ", before that frame",
                        nx->ev.icount, nx->ev.source, nx->ev.len, PLAY_ETH_MIN,
                        PLAY_ETH_MAX, machine_icount(m));
            return;
        }
        replay_deliver_to_sinks(m, nx->ev.kind, nx->ev.source, nx->payload, nx->ev.len);
        play_consume(r);
    }
}

static void play_progress(struct Replay *r);
static bool play_deliver_due_at(struct Replay *r, bool idle, bool armed);

/* The run loop's queries never stop the machine themselves (the idle
 * step asks one for its message just before it declares the machine
 * stuck): a query that finds something to do now returns the current
 * icount, so that replay_deliver_due() comes at once, and leaves the
 * verdict in r->query_divergence when it is one. */
uint64_t play_next_icount(Machine *m, uint64_t total, bool first)
{
    struct Replay *r = m->replay;
    if (r->result != REPLAY_RESULT_RUNNING)
        return UINT64_MAX;
    if (r->progress && (++r->progress_ticks & 255) == 0)
        play_progress(r);
    ReplayNext *nx = play_peek(r);
    if (!nx)
        return total; /* the trace ends here */
    uint64_t x = nx->ev.icount;
    uint32_t kind = nx->ev.kind;
    bool positional = kind == TRACE_EXIT || kind == TRACE_FAIL || kind == TRACE_END ||
                      (kind == TRACE_DIGEST && nx->info.input_point);
    /* Slices end at every recorded event (which changes nothing the guest
     * sees): a missed event then shows at once. */
    if (total < x)
        return x;
    if (!positional && total == x)
        return UINT64_MAX; /* digests and synchronous inputs come by themselves */
    if (total > x) {
        char desc[320];
        play_describe(&nx->ev, &nx->info, desc, sizeof(desc));
        snprintf(r->query_divergence, sizeof(r->query_divergence),
                 "the replay ran past the recording's %s", desc);
        return total;
    }
    if (kind != TRACE_DIGEST)
        return total; /* a stop point: the recording ended here */
    if (!nx->info.idle_step) {
        if (!first) {
            snprintf(r->query_divergence, sizeof(r->query_divergence),
                     "input was due at the first slice at this icount; the replay is "
                     "past that point");
            return total;
        }
        r->armed = true;
        return total;
    }
    return UINT64_MAX; /* an idle-step point: wait for the idle step */
}

void play_deliver_due(Machine *m)
{
    struct Replay *r = m->replay;
    /* The run loop's verdict that nothing can wake the machine does not
     * know the trace: recorded input may be due right at this idle step.
     * Judge here instead (below: deliver, or report a divergence). */
    bool verdict = replay_idle_verdict(r);
    bool idle = replay_at_idle_step(r);
    bool armed = r->armed;
    r->armed = false;
    if (verdict) {
        m->stop = STOP_NONE;
        m->error[0] = 0;
    }
    if (r->result == REPLAY_RESULT_RUNNING && r->query_divergence[0])
        play_diverged(r, r->query_divergence);
    if (r->result != REPLAY_RESULT_RUNNING) {
        machine_request_exit(m, 0);
        return;
    }
    bool acted = play_deliver_due_at(r, idle, armed);
    if (verdict && !acted && m->stop == STOP_NONE && r->result == REPLAY_RESULT_RUNNING) {
        /* Nothing came: the machine is stuck where the recording was not. */
        ReplayNext *nx = play_peek(r);
        if (!nx) {
            play_trace_ended(r);
            return;
        }
        char desc[320], what[500];
        play_describe(&nx->ev, &nx->info, desc, sizeof(desc));
        snprintf(what, sizeof(what), "every hart waits for an interrupt and nothing is "
                 "due, but the recording's next event is %s", desc);
        play_diverged(r, what);
    }
}

/* The body of play_deliver_due: true if it delivered input or stopped. */
static bool play_deliver_due_at(struct Replay *r, bool idle, bool armed)
{
    Machine *m = r->m;
    ReplayNext *nx = play_peek(r);
    if (!nx) {
        play_trace_ended(r);
        return true;
    }
    uint64_t total = machine_icount(m);
    if (play_stop_point(r, total))
        return true;
    if (nx->ev.kind == TRACE_DIGEST && nx->info.input_point && nx->ev.icount == total) {
        if ((!nx->info.idle_step && armed) ||
            (nx->info.idle_step && idle && m->mtime_skipped == nx->info.mtime_skipped)) {
            play_deliver_point(r);
            play_end_if_used_up(r);
            return true;
        }
    }
    if (!idle)
        return false;
    /* Idle steps in a row at one (icount, clock) and nothing delivered:
     * nothing will ever wake the machine, yet the recording went on. */
    if (r->idle_spins && r->idle_spin_total == total &&
        r->idle_spin_skipped == m->mtime_skipped) {
        if (++r->idle_spins >= 4) {
            char desc[320], what[500];
            play_describe(&nx->ev, &nx->info, desc, sizeof(desc));
            snprintf(what, sizeof(what), "every hart waits for an interrupt and nothing is "
                     "due, but the recording's next event is %s", desc);
            play_diverged(r, what);
        }
    } else {
        r->idle_spins = 1;
        r->idle_spin_total = total;
        r->idle_spin_skipped = m->mtime_skipped;
    }
    return false;
}

bool play_idle_point_due(struct Replay *r)
{
    if (r->result != REPLAY_RESULT_RUNNING)
        return false;
    ReplayNext *nx = play_peek(r);
    const Machine *m = r->m;
    return nx && nx->ev.kind == TRACE_DIGEST && nx->info.input_point && nx->info.idle_step &&
           nx->ev.icount == machine_icount(m) && nx->info.mtime_skipped == m->mtime_skipped;
}

void play_net_output(Machine *m, unsigned source, uint64_t frame_no, const uint8_t *buf,
                     size_t len)
{
    struct Replay *r = m->replay;
    if (r->result != REPLAY_RESULT_RUNNING)
        return;
    char doing[200];
    snprintf(doing, sizeof(doing), "sent frame %" PRIu64 " on NIC %u (%zu bytes, xxh64 "
             "%016" PRIx64 ")", frame_no, source, len, trace_payload_digest(buf, len));
    ReplayNext *nx = play_expect(r, TRACE_NET_TX, doing);
    if (!nx)
        return;
    if (nx->ev.source != source || nx->ev.len != len || memcmp(nx->payload, buf, len)) {
        char desc[320], what[700];
        play_describe(&nx->ev, NULL, desc, sizeof(desc));
        size_t first = 0;
        while (first < len && first < nx->ev.len && buf[first] == nx->payload[first])
            first++;
        snprintf(what, sizeof(what), "the guest %s; the recording's frame %" PRIu64
                 " is %s; they first differ at byte %zu", doing, frame_no, desc, first);
        play_diverged(r, what);
        return;
    }
    play_consume(r);
}

void play_on_reset(Machine *m)
{
    struct Replay *r = m->replay;
    if (!r || r->result != REPLAY_RESULT_RUNNING)
        return;
    if (play_expect(r, TRACE_RESET, "reset the machine"))
        play_consume(r);
}

void play_on_stop(Machine *m)
{
    struct Replay *r = m->replay;
    play_progress_clear(r);
    if (r->result != REPLAY_RESULT_RUNNING && r->result != REPLAY_RESULT_CUT_SHORT)
        return;
    if (debug_killed(m)) {
        r->result = REPLAY_RESULT_KILLED;
        snprintf(r->report, sizeof(r->report), "ended from the debugger at icount %" PRIu64,
                 machine_icount(m));
        return;
    }
    if (r->result != REPLAY_RESULT_RUNNING)
        return;
    char doing[400];
    ReplayNext *nx;
    if (m->stop == STOP_ERROR) {
        snprintf(doing, sizeof(doing), "stopped with an error (%s)", m->error);
        nx = play_expect(r, TRACE_FAIL, doing);
        if (!nx)
            return;
        if (!r->replayed_fail &&
            (nx->ev.len != strlen(m->error) || memcmp(nx->payload, m->error, nx->ev.len))) {
            char what[800];
            snprintf(what, sizeof(what), "the replay stopped with the error \"%s\"; the "
                     "recording with \"%.*s\"", m->error, (int)nx->ev.len,
                     (const char *)nx->payload);
            play_diverged(r, what);
            return;
        }
    } else {
        snprintf(doing, sizeof(doing), "stopped (exit code %d)", m->exit_code);
        nx = play_expect(r, TRACE_EXIT, doing);
        if (!nx)
            return;
        if (nx->ev.exit_code != m->exit_code) {
            char what[200];
            snprintf(what, sizeof(what), "the guest exited with code %d; in the recording "
                     "with %d", m->exit_code, nx->ev.exit_code);
            play_diverged(r, what);
            return;
        }
    }
    play_consume(r);
    nx = play_expect(r, TRACE_END, "ended");
    if (!nx)
        return;
    r->exit_code = nx->ev.exit_code;
    play_consume(r);
    r->result = REPLAY_RESULT_MATCHED;
}

/* ------------------------------------------------------------ cursor */

/* The fields a cursor copies from and to struct Replay (same names). */
#define PLAY_CURSOR_FIELDS(X)                                                \
    X(last_query_total) X(armed) X(idle_step) X(stop_after_query)            \
    X(hart_icount) X(last_hart) X(idle_spins) X(idle_spin_total)             \
    X(idle_spin_skipped) X(digests_checked) X(events_replayed) X(last_event)

bool play_cursor_save(const struct Replay *r, PlayCursor *c)
{
    if (r->mode != REPLAY_PLAY || r->result != REPLAY_RESULT_RUNNING ||
        r->query_divergence[0])
        return false;
    memset(c, 0, sizeof(*c));
    if (r->next.valid) {
        c->next_icount = r->next.ev.icount;
        c->next_rank = r->next.rank;
    } else if (r->read_any) {
        /* The event after the last one read (maybe none: the end). */
        c->next_icount = r->read_icount;
        c->next_rank = r->read_rank + 1;
    }
#define SAVE(f)                                                              \
    _Static_assert(sizeof(c->f) == sizeof(r->f), "PlayCursor." #f);           \
    memcpy(&c->f, &r->f, sizeof(c->f));
    PLAY_CURSOR_FIELDS(SAVE)
#undef SAVE
    return true;
}

/* Read the trace error (or a default) into err. */
static bool play_read_error(struct Replay *r, char *err, size_t errlen)
{
    const char *e = trace_reader_error(r->reader);
    snprintf(err, errlen, "%s", e ? e : "the trace cannot be read");
    return false;
}

bool play_cursor_restore(struct Replay *r, const PlayCursor *c, char *err, size_t errlen)
{
    r->next.valid = false;
    r->reader_done = r->reader_damaged = false;
    r->read_any = false;
    if (!trace_reader_seek(r->reader, c->next_icount))
        return play_read_error(r, err, errlen);
    /* Pass over the events at that icount that came before. */
    for (uint32_t i = 0; i < c->next_rank; i++) {
        TraceEvent ev;
        int rc = trace_reader_next(r->reader, &ev);
        if (rc < 0)
            return play_read_error(r, err, errlen);
        if (rc == 0 || ev.icount != c->next_icount) {
            snprintf(err, errlen, "the trace changed under the replay near icount %" PRIu64,
                     c->next_icount);
            return false;
        }
        r->read_rank = i;
        r->read_icount = ev.icount;
        r->read_any = true;
    }
#define RESTORE(f) memcpy(&r->f, &c->f, sizeof(r->f));
    PLAY_CURSOR_FIELDS(RESTORE)
#undef RESTORE
    r->query_divergence[0] = '\0';
    r->result = REPLAY_RESULT_RUNNING;
    r->report[0] = '\0';
    r->replayed_fail = false;
    return true;
}

/* ------------------------------------------------------- progress bar */

static void play_progress(struct Replay *r)
{
    uint64_t now = icount_host_ns();
    if (now - r->progress_last_ns < 200000000ULL)
        return;
    r->progress_last_ns = now;
    uint64_t done = machine_icount(r->m), total = r->total_icount;
    double secs = (double)(now - r->progress_start_ns) / 1e9;
    double mips = secs > 0 ? (double)done / secs / 1e6 : 0;
    double frac = total ? (double)done / (double)total : 0;
    if (frac > 1)
        frac = 1;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '=' : ' ';
    bar[30] = 0;
    double eta = mips > 0 && total > done ? (double)(total - done) / (mips * 1e6) : 0;
    /* The cursor goes back to the start of the line: console output that
     * comes meanwhile starts there instead of after the bar. */
    fprintf(stderr, "\r\033[Kreplay [%s] %3d%% %" PRIu64 "/%" PRIu64 " insns %.0f MIPS "
            "ETA %d:%02d\r", bar, (int)(frac * 100), done, total, mips, (int)eta / 60,
            (int)eta % 60);
    fflush(stderr);
    r->progress_drawn = true;
}

static void play_progress_clear(struct Replay *r)
{
    if (!r->progress_drawn)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    r->progress_drawn = false;
}

/* ---------------------------------------------------------------- life */

static void play_keepalive(uv_idle_t *h)
{
    (void)h; /* keeps the loop alive and the idle step from blocking */
}

static void play_handle_closed(uv_handle_t *h)
{
    free(h->data);
}

void play_free(struct Replay *r)
{
    if (r->reader)
        trace_reader_close(r->reader);
    r->reader = NULL;
    free(r->next.payload);
    if (r->keepalive_open) {
        r->keepalive.data = r;
        uv_close((uv_handle_t *)&r->keepalive, play_handle_closed);
        return;
    }
    free(r);
}

bool replay_play_attach(Machine *m, TraceReader *reader, const ReplayPlayOptions *opt,
                        char *err, size_t errlen)
{
    struct Replay *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        trace_reader_close(reader);
        return false;
    }
    r->mode = REPLAY_PLAY;
    r->reader = reader;
    TraceSummary s;
    trace_reader_summary(reader, &s);
    r->total_icount = s.last_icount;
    r->progress = opt && opt->progress;
    r->progress_start_ns = r->progress_last_ns = icount_host_ns();
    if (!replay_attach_common(m, r, err, errlen)) {
        trace_reader_close(reader);
        free(r);
        return false;
    }
    m->digest_print = opt && opt->print_digests;
    /* In replay, the idle step must come back to us (to deliver the next
     * recorded input) instead of failing for want of host input sources. */
    if (uv_idle_init(m->loop, &r->keepalive) == 0) {
        r->keepalive_open = true;
        uv_idle_start(&r->keepalive, play_keepalive);
    }
    return true;
}

ReplayResult replay_play_result(const Machine *m, char *report, size_t len, int *exit_code)
{
    const struct Replay *r = m->replay;
    if (!r || r->mode != REPLAY_PLAY) {
        snprintf(report, len, "not replaying");
        return REPLAY_RESULT_RUNNING;
    }
    snprintf(report, len, "%s", r->report);
    *exit_code = r->exit_code;
    return r->result;
}

void replay_play_counts(const Machine *m, uint64_t *digests, uint64_t *events)
{
    const struct Replay *r = m->replay;
    *digests = r ? r->digests_checked : 0;
    *events = r ? r->events_replayed : 0;
}
