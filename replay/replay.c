/* The replay interface: the calls devices and the run loop make, sent to
 * the recorder (record.c) or the player (play.c), or passed through to the
 * host when neither runs; the sink registry; and the bookkeeping of the
 * points where input may enter the guest (replay/internal.h explains them).
 *
 * How the idle step is recognised: the run loop asks for the next
 * deadline (machine_next_deadline) both before a slice (followed by
 * replay_next_icount) and in its idle step (not followed by it). That
 * asks replay_deadline, which notes that it was called; a
 * replay_deliver_due() reached with that note still set comes from the idle
 * step. (When replaying, an idle step with no deadline ends in the run
 * loop's "nothing can wake the machine" failure instead: see
 * replay_idle_verdict.) */
#include "replay/replay.h"

#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/machine.h"
#include "replay/internal.h"

ReplayMode replay_mode(const struct Machine *m)
{
    return m->replay ? m->replay->mode : REPLAY_OFF;
}

bool replay_sync_input(struct Machine *m, EventKind kind, unsigned source,
                       void *buf, size_t len, ReplayHostRead read_host, void *ctx)
{
    if (m->replay && m->replay->mode == REPLAY_PLAY)
        return play_sync_input(m, kind, source, buf, len); /* the host is never read */
    bool ok = read_host(ctx, buf, len);
    if (!ok)
        memset(buf, 0, len);
    if (m->replay && m->replay->mode == REPLAY_RECORD)
        record_sync_input(m, kind, source, buf, len, ok);
    return ok;
}

void replay_register_sink(struct Machine *m, EventKind kind, unsigned source,
                          ReplaySink sink, void *opaque)
{
    if (m->ninput_sinks == sizeof(m->input_sinks) / sizeof(m->input_sinks[0]))
        return;
    m->input_sinks[m->ninput_sinks].kind = kind;
    m->input_sinks[m->ninput_sinks].source = source;
    m->input_sinks[m->ninput_sinks].sink = sink;
    m->input_sinks[m->ninput_sinks].opaque = opaque;
    m->ninput_sinks++;
}

void replay_deliver_to_sinks(Machine *m, uint32_t kind, uint32_t source, const uint8_t *buf,
                             size_t len)
{
    for (unsigned i = 0; i < m->ninput_sinks; i++)
        if (m->input_sinks[i].kind == (int)kind && m->input_sinks[i].source == source)
            m->input_sinks[i].sink(m->input_sinks[i].opaque, buf, len);
}

void replay_async_input(struct Machine *m, EventKind kind, unsigned source,
                        const uint8_t *buf, size_t len)
{
    if (!m->replay) {
        replay_deliver_to_sinks(m, kind, source, buf, len);
        return;
    }
    if (m->replay->mode == REPLAY_RECORD)
        record_async_input(m, kind, source, buf, len);
    /* Replay: host input is ignored, the trace has the bytes. */
}

bool replay_kind_is_packet(EventKind kind)
{
    return kind == EV_NET_RX;
}

bool replay_net_output(struct Machine *m, unsigned source, uint64_t frame_no,
                       const uint8_t *buf, size_t len)
{
    if (!m->replay)
        return true;
    if (m->replay->mode == REPLAY_RECORD) {
        record_net_output(m, source, buf, len);
        return true;
    }
    play_net_output(m, source, frame_no, buf, len);
    return false;
}

void replay_on_digest(struct Machine *m, const struct Digest *d)
{
    if (!m->replay)
        return;
    if (m->replay->mode == REPLAY_RECORD)
        record_on_digest(m, d);
    else
        play_on_digest(m, d);
}

void replay_on_stop(struct Machine *m)
{
    if (!m->replay)
        return;
    if (m->replay->mode == REPLAY_RECORD)
        record_on_stop(m);
    else
        play_on_stop(m);
}

/* ------------------------------------------------------ input points */

void replay_note_query(struct Replay *r, uint64_t total)
{
    r->last_query_total = total;
    r->idle_step = false;
    /* The hart whose count moved since the last query ran the last slice. */
    const Machine *m = r->m;
    for (unsigned i = 0; i < m->nharts && i < MACHINE_MAX_HARTS; i++)
        if (m->harts[i].icount != r->hart_icount[i]) {
            r->hart_icount[i] = m->harts[i].icount;
            r->last_hart = i;
        }
}

unsigned replay_running_hart(const struct Replay *r)
{
    /* Inside a slice, the running hart is the one whose count moved since
     * the slice began (a TB adds its length when it starts). */
    const Machine *m = r->m;
    for (unsigned i = 0; i < m->nharts && i < MACHINE_MAX_HARTS; i++)
        if (m->harts[i].icount != r->hart_icount[i])
            return i;
    return r->last_hart < m->nharts ? r->last_hart : 0;
}

bool replay_at_idle_step(struct Replay *r)
{
    bool idle = r->idle_step || replay_idle_verdict(r);
    r->idle_step = false;
    return idle;
}

bool replay_idle_verdict(const struct Replay *r)
{
    /* Replaying, the run loop's idle step finds nothing to wait for on the
     * host: it declares the machine stuck (asking replay_next_icount for
     * its message, which hides the idle step from the deadline note), then
     * comes here. */
    return r->mode == REPLAY_PLAY && r->m->stop == STOP_ERROR &&
           r->stop_after_query == STOP_NONE;
}

uint64_t replay_next_icount(const struct Machine *cm)
{
    struct Replay *r = cm->replay;
    if (!r)
        return UINT64_MAX;
    /* The run loop hands us its machine: the hooks may stop it. */
    Machine *m = (Machine *)cm;
    uint64_t total = machine_icount(m);
    bool first = total != r->last_query_total;
    replay_note_query(r, total);
    r->armed = false;
    uint64_t next = r->mode == REPLAY_RECORD ? record_next_icount(m, total, first)
                                             : play_next_icount(m, total, first);
    r->stop_after_query = m->stop;
    return next;
}

void replay_deliver_due(struct Machine *m)
{
    if (!m->replay)
        return;
    if (m->replay->mode == REPLAY_RECORD)
        record_deliver_due(m);
    else
        play_deliver_due(m);
}

/* ---------------------------------------------------- the attached device */

uint64_t replay_deadline(struct Machine *m)
{
    struct Replay *r = m->replay;
    if (!r)
        return UINT64_MAX;
    r->idle_step = true; /* cleared by the query that follows, if any */
    /* Input waiting for an idle step: due now, so that the clock does not
     * jump to the next timer first (the guest would see typed input late).
     * The player asks for the same at the same point of the run. */
    bool due = r->mode == REPLAY_RECORD ? record_input_waiting(r) : play_idle_point_due(r);
    return due ? machine_mtime(r->m) : UINT64_MAX;
}

static void replay_dev_reset(void *opaque)
{
    struct Replay *r = opaque;
    if (r->mode == REPLAY_RECORD)
        record_on_reset(r->m);
    else
        play_on_reset(r->m);
}

static void replay_dev_free(void *opaque)
{
    struct Replay *r = opaque;
    if (r->m->replay == r)
        r->m->replay = NULL;
    if (r->mode == REPLAY_RECORD)
        record_free(r);
    else
        play_free(r);
}

bool replay_attach_common(Machine *m, struct Replay *r, char *err, size_t errlen)
{
    if (m->replay) {
        snprintf(err, errlen, "the machine already records or replays");
        return false;
    }
    r->m = m;
    r->last_query_total = UINT64_MAX;
    MachineDevice dev = { .name = "replay", .opaque = r, .reset = replay_dev_reset, .free = replay_dev_free };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "too many devices");
        return false;
    }
    m->replay = r;
    return true;
}
