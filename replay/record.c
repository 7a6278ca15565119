/* Record mode: every host input is logged with the point of the run where
 * it entered the guest; digests and the end of the run go to the trace.
 *
 * Host bytes (console input) arrive whenever libuv reads them; they wait
 * here until the next input point (replay/internal.h), where a digest and
 * the bytes are logged and the bytes are handed to the device. The player
 * finds the same point from the trace alone. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <time.h>

#include "replay/internal.h"

/* An image file of the recording, as it was when the recording began. */
struct ReplayWatchedImage {
    char *path;
    const char *role;
    struct stat st;
    uint64_t size, hash_lo, hash_hi; /* as the trace has them */
};

/* Remember every image file's identity (device, inode, size, change
 * times): the trace has their hashes, and a replay will want the same
 * bytes. A drive is read as the guest asks, so a file rewritten under the
 * recording would hand the guest bytes whose hash the trace does not
 * have: the recording refuses that, it does not keep a copy (a disk may
 * be large). Boot images are loaded once, at the start. */
static void record_watch_images(struct Replay *r, const TraceHeader *hdr)
{
    r->watch = calloc(hdr->nimages ? hdr->nimages : 1, sizeof(*r->watch));
    if (!r->watch)
        return;
    for (size_t i = 0; i < hdr->nimages; i++) {
        const TraceImage *im = &hdr->images[i];
        struct ReplayWatchedImage *w = &r->watch[r->nwatch];
        if (!im->path || stat(im->path, &w->st) != 0 || !(w->path = strdup(im->path)))
            continue;
        w->role = im->role ? im->role : "image";
        w->size = im->size;
        w->hash_lo = im->hash_lo;
        w->hash_hi = im->hash_hi;
        r->nwatch++;
    }
}

static bool record_same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* At a digest (at most every 50 ms of host time: digests may come every
 * few thousand instructions) and at the end: has an image file changed
 * since the start? Then the recording ends at the next point where a
 * replay can end too. The host clock decides only when the files are
 * looked at; where the recording ended is in the trace. */
static void record_check_images(struct Replay *r, bool now_anyway)
{
    if (r->image_changed[0] || !r->nwatch)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    if (!now_anyway && ns - r->watch_checked_ns < 50000000ull)
        return;
    r->watch_checked_ns = ns;
    for (unsigned i = 0; i < r->nwatch; i++) {
        struct ReplayWatchedImage *w = &r->watch[i];
        struct stat now;
        if (stat(w->path, &now) == 0 && record_same_file(&now, &w->st))
            continue;
        /* Touched, or copied over with the same bytes: still the recorded
         * file. Hashed only when its identity changed. */
        uint64_t size, lo, hi;
        char why[300];
        if (stat(w->path, &now) == 0 &&
            trace_hash_file(w->path, &size, &lo, &hi, why, sizeof(why)) && size == w->size &&
            lo == w->hash_lo && hi == w->hash_hi) {
            w->st = now;
            continue;
        }
        snprintf(r->image_changed, sizeof(r->image_changed),
                 "the %s image %s changed during the recording (%s) before icount %" PRIu64
                 ": the trace has the hash of the file as it was at the start, and a %s",
                 w->role, w->path,
                 stat(w->path, &now) != 0 ? "removed or renamed" : "rewritten",
                 machine_icount(r->m),
                 strcmp(w->role, "drive") ? "replay needs those bytes (--image OLD=NEW)"
                                          : "drive is read while the guest runs, so the "
                                            "guest may have read the new bytes");
        return;
    }
}

static void record_check_writer(struct Replay *r)
{
    const char *e = trace_writer_error(r->writer);
    if (e && !r->werr[0])
        snprintf(r->werr, sizeof(r->werr), "%s", e);
}

static void record_append(struct Replay *r, const TraceEvent *ev)
{
    if (r->closed || !r->writer)
        return;
    if (!trace_writer_append(r->writer, ev)) {
        record_check_writer(r);
        /* A trace that cannot be written is worthless: stop, say why. */
        machine_fail(r->m, "trace: %s", r->werr[0] ? r->werr : "write error");
    }
}

static void record_digest_event(struct Replay *r, const Digest *d, const StateSumInfo *info);

void record_sync_input(Machine *m, EventKind kind, unsigned source, const void *buf,
                       size_t len, bool ok)
{
    struct Replay *r = m->replay;
    unsigned hart = replay_running_hart(r);
    /* A digest first, as at every input (the device reads the host inside
     * a one-instruction TB: the state there is the same in a replay). */
    Digest d = digest_take(m);
    StateSumInfo info = { .sync_input = true, .mtime_skipped = m->mtime_skipped };
    record_digest_event(r, &d, &info);
    /* A failed host read is logged without bytes: the replay then fails the
     * same way (zeros, false). */
    TraceEvent ev = { .icount = machine_icount(m), .hart = hart, .pc = m->harts[hart].pc,
                      .kind = kind, .source = source, .payload = buf,
                      .len = ok ? len : 0 };
    record_append(r, &ev);
}

static void record_wake(uv_idle_t *h)
{
    (void)h; /* only there so that the idle step does not block */
}

void record_async_input(Machine *m, EventKind kind, unsigned source, const uint8_t *buf,
                        size_t len)
{
    struct Replay *r = m->replay;
    if (r->closed || len == 0)
        return;
    ReplayPending *p = NULL;
    for (unsigned i = 0; i < r->npending; i++)
        if (r->pending[i].kind == kind && r->pending[i].source == source)
            p = &r->pending[i];
    if (!p) {
        if (r->npending == REPLAY_MAX_PENDING)
            return; /* more sources than any machine has */
        p = &r->pending[r->npending++];
        p->kind = kind;
        p->source = source;
    }
    bool packet = replay_kind_is_packet(kind);
    size_t need = len + (packet ? sizeof(uint32_t) : 0);
    if (p->len + need > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < p->len + need)
            cap *= 2;
        uint8_t *nb = realloc(p->buf, cap);
        if (!nb)
            return;
        p->buf = nb;
        p->cap = cap;
    }
    if (packet) {
        uint32_t n = (uint32_t)len;
        memcpy(p->buf + p->len, &n, sizeof(n));
        p->len += sizeof(n);
    }
    memcpy(p->buf + p->len, buf, len);
    p->len += len;
    r->have_pending = true;
    /* The run loop's idle step waits on the host only while nothing is
     * pending: an active idle handle turns that wait into a poll. */
    if (r->wake_open && !r->wake_active) {
        uv_idle_start(&r->wake, record_wake);
        r->wake_active = true;
    }
}

static void record_digest_event(struct Replay *r, const Digest *d, const StateSumInfo *info)
{
    Machine *m = r->m;
    uint8_t *payload = NULL;
    size_t len = statesum_encode(m, info, &payload);
    unsigned hart = r->last_hart < m->nharts ? r->last_hart : 0;
    TraceEvent ev = { .icount = d->icount, .hart = hart, .pc = m->harts[hart].pc,
                      .kind = TRACE_DIGEST, .payload = payload, .len = len,
                      .digest_harts = d->harts, .digest_memory = d->memory,
                      .digest_pages = d->pages };
    record_append(r, &ev);
    free(payload);
    record_check_images(r, false);
}

void record_on_digest(Machine *m, const Digest *d)
{
    struct Replay *r = m->replay;
    StateSumInfo info = { .mtime_skipped = m->mtime_skipped };
    record_digest_event(r, d, &info);
}

/* A signal asked to end the recording: stop here, where the player can
 * stop too (any point of the run at this icount is as good). */
static void record_check_signal(struct Replay *r)
{
    if (r->image_changed[0] && !r->image_stopping && r->m->stop == STOP_NONE) {
        r->image_stopping = true;
        machine_request_exit(r->m, REPLAY_EXIT_ERROR);
        return;
    }
    if (r->stop_icount && !r->stopped && !r->interrupted &&
        machine_icount(r->m) >= r->stop_icount && r->m->stop == STOP_NONE) {
        r->stopped = true; /* --stop-after-insns: the run is still going */
        machine_request_exit(r->m, REPLAY_EXIT_STOPPED);
        return;
    }
    if (!r->stop_signal || !*r->stop_signal || r->interrupted)
        return;
    r->interrupted = (int)*r->stop_signal;
    machine_request_exit(r->m, 128 + r->interrupted);
}

void replay_record_stop_after(Machine *m, uint64_t insns)
{
    if (m->replay && m->replay->mode == REPLAY_RECORD)
        m->replay->stop_icount = insns;
}

uint64_t record_next_icount(Machine *m, uint64_t total, bool first)
{
    struct Replay *r = m->replay;
    record_check_signal(r);
    if (r->have_pending && first && m->stop == STOP_NONE) {
        r->armed = true; /* point A: deliver before the next instruction */
        return total;
    }
    /* The slice ends on the stop's exact instruction. */
    if (r->stop_icount && !r->stopped && total < r->stop_icount)
        return r->stop_icount;
    return UINT64_MAX;
}

/* The packets waiting in p, each logged as an event of its own, then
 * handed to the sink alone. */
static void record_deliver_packets(struct Replay *r, ReplayPending *p, const Digest *d,
                                   unsigned hart)
{
    Machine *m = r->m;
    size_t len = p->len;
    p->len = 0;
    for (size_t off = 0; off + sizeof(uint32_t) <= len;) {
        uint32_t n;
        memcpy(&n, p->buf + off, sizeof(n));
        off += sizeof(n);
        TraceEvent ev = { .icount = d->icount, .hart = hart, .pc = m->harts[hart].pc,
                          .kind = p->kind, .source = p->source, .payload = p->buf + off,
                          .len = n };
        record_append(r, &ev);
        replay_deliver_to_sinks(m, p->kind, p->source, p->buf + off, n);
        off += n;
    }
}

void record_deliver_due(Machine *m)
{
    struct Replay *r = m->replay;
    bool idle = replay_at_idle_step(r);
    bool armed = r->armed;
    r->armed = false;
    record_check_signal(r);
    if (!r->have_pending || !(armed || idle) || r->closed)
        return;
    Digest d = digest_take(m);
    StateSumInfo info = { .input_point = true, .idle_step = idle && !armed,
                          .mtime_skipped = m->mtime_skipped };
    record_digest_event(r, &d, &info);
    unsigned hart = r->last_hart < m->nharts ? r->last_hart : 0;
    for (unsigned i = 0; i < r->npending; i++) {
        ReplayPending *p = &r->pending[i];
        if (!p->len)
            continue;
        if (replay_kind_is_packet(p->kind)) {
            record_deliver_packets(r, p, &d, hart);
            continue;
        }
        TraceEvent ev = { .icount = d.icount, .hart = hart, .pc = m->harts[hart].pc,
                          .kind = p->kind, .source = p->source, .payload = p->buf,
                          .len = p->len };
        record_append(r, &ev);
        /* Logged first: a sink may take long or stop the machine. */
        size_t len = p->len;
        p->len = 0;
        replay_deliver_to_sinks(m, p->kind, p->source, p->buf, len);
    }
    r->have_pending = false;
    if (r->wake_active) {
        uv_idle_stop(&r->wake);
        r->wake_active = false;
    }
}

bool record_input_waiting(const struct Replay *r)
{
    return r->have_pending && !r->closed;
}

void record_net_output(Machine *m, unsigned source, const uint8_t *buf, size_t len)
{
    struct Replay *r = m->replay;
    unsigned hart = replay_running_hart(r);
    TraceEvent ev = { .icount = machine_icount(m), .hart = hart, .pc = m->harts[hart].pc,
                      .kind = TRACE_NET_TX, .source = source, .payload = buf, .len = len };
    record_append(r, &ev);
}

void record_on_reset(Machine *m)
{
    struct Replay *r = m->replay;
    if (!r)
        return;
    TraceEvent ev = { .icount = machine_icount(m), .kind = TRACE_RESET };
    record_append(r, &ev);
}

void record_on_stop(Machine *m)
{
    struct Replay *r = m->replay;
    if (r->closed)
        return;
    uint64_t icount = machine_icount(m);
    int code;
    char why[320];
    record_check_images(r, true); /* a change after the last check counts too */
    if (m->stop == STOP_NONE) /* the machine never ran (it could not be built) */
        machine_fail(m, "the recording ended before the machine ran");
    if (m->stop == STOP_ERROR) {
        TraceEvent ev = { .icount = icount, .kind = TRACE_FAIL,
                          .payload = (const uint8_t *)m->error, .len = strlen(m->error) };
        record_append(r, &ev);
        code = REPLAY_EXIT_ERROR;
        snprintf(why, sizeof(why), "error: %s", m->error);
    } else {
        TraceEvent ev = { .icount = icount, .kind = TRACE_EXIT, .exit_code = m->exit_code };
        record_append(r, &ev);
        code = m->exit_code;
        if (r->interrupted)
            snprintf(why, sizeof(why), "interrupted by signal %d", r->interrupted);
        else if (r->stopped)
            snprintf(why, sizeof(why), "stopped after %" PRIu64 " instructions",
                     r->stop_icount);
        else if (r->image_stopping)
            snprintf(why, sizeof(why), "stopped: an image changed");
        else
            snprintf(why, sizeof(why), "exit %d", m->exit_code);
    }
    TraceEvent end = { .icount = icount, .kind = TRACE_END, .exit_code = code,
                       .payload = (const uint8_t *)why, .len = strlen(why) };
    record_append(r, &end);
    /* Statistics once every frame is out (only the index follows). */
    if (!trace_writer_flush(r->writer))
        record_check_writer(r);
    trace_writer_stats(r->writer, &r->wstats);
    char err[512];
    if (!trace_writer_close(r->writer, err, sizeof(err)) && !r->werr[0])
        snprintf(r->werr, sizeof(r->werr), "%s", err);
    r->writer = NULL;
    r->closed = true;
}

/* ------------------------------------------------------------ life */

static void record_handle_closed(uv_handle_t *h)
{
    free(h->data);
}

void record_free(struct Replay *r)
{
    for (unsigned i = 0; i < r->nwatch; i++)
        free(r->watch[i].path);
    free(r->watch);
    if (r->writer) /* the machine never ran to its end */
        trace_writer_abandon(r->writer, true);
    r->writer = NULL;
    for (unsigned i = 0; i < r->npending; i++)
        free(r->pending[i].buf);
    if (r->wake_open) {
        /* The struct goes with the handle's close callback. */
        r->wake.data = r;
        uv_close((uv_handle_t *)&r->wake, record_handle_closed);
        return;
    }
    free(r);
}

bool replay_record_attach(Machine *m, const char *path, const TraceHeader *hdr,
                          volatile sig_atomic_t *stop_signal, char *err, size_t errlen)
{
    struct Replay *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    r->mode = REPLAY_RECORD;
    r->stop_signal = stop_signal;
    r->writer = trace_writer_open(path, hdr, err, errlen);
    if (!r->writer) {
        free(r);
        return false;
    }
    if (!replay_attach_common(m, r, err, errlen)) {
        trace_writer_abandon(r->writer, false);
        free(r);
        return false;
    }
    if (uv_idle_init(m->loop, &r->wake) == 0)
        r->wake_open = true;
    record_watch_images(r, hdr);
    return true;
}

bool replay_record_finish(Machine *m, ReplayRecordStats *st, char *err, size_t errlen)
{
    struct Replay *r = m->replay;
    memset(st, 0, sizeof(*st));
    if (!r || r->mode != REPLAY_RECORD) {
        snprintf(err, errlen, "not recording");
        return false;
    }
    if (!r->closed)
        record_on_stop(m);
    st->events = r->wstats.events;
    st->frames = r->wstats.frames;
    st->bytes_written = r->wstats.bytes_written;
    st->bytes_uncompressed = r->wstats.bytes_uncompressed;
    st->interrupted = r->interrupted;
    st->stopped = r->stopped;
    snprintf(st->image_changed, sizeof(st->image_changed), "%s", r->image_changed);
    if (r->werr[0]) {
        snprintf(err, errlen, "%s", r->werr);
        return false;
    }
    return true;
}
