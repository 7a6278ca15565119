/* rewind diff, part 1: one pass over both trace files (see diff.h).
 *
 * Inputs: the events other than digests (console, RTC, entropy, exit,
 * reset, fail, end) are compared in order, the k-th of one trace with the
 * k-th of the other: kind, source, icount and bytes. The first pair that
 * differs is the input divergence; a trace that has run out of events
 * against one that has not is a divergence too (that event, and none).
 *
 * State: digests are compared where both traces have one at the same
 * icount (periodic ones always line up when both were recorded with the
 * same --digest-every; input points line up while the inputs do). The
 * last one that agrees before the first one that differs brackets the
 * first difference of state. This is a pass over the recorded digests,
 * not a binary search over them: a digest's memory hash covers only the
 * pages written since the previous digest, so "digest k agrees" is not
 * monotone (a window that differs may be followed by one that agrees) and
 * a bisection could land on a later difference than the first. Reading
 * the digests costs a decompression of the file (milliseconds for a boot
 * of Linux), against the minutes of a replay; the binary search happens
 * where it is sound, in diff_lockstep.c, on the machines' full state. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/diff.h"

static void event_copy(DiffEvent *d, const TraceEvent *ev)
{
    memset(d, 0, sizeof(*d));
    d->valid = true;
    d->icount = ev->icount;
    d->hart = ev->hart;
    d->kind = ev->kind;
    d->source = ev->source;
    d->pc = ev->pc;
    d->exit_code = ev->exit_code;
    d->len = ev->len;
    memcpy(d->bytes, ev->payload, ev->len < sizeof(d->bytes) ? ev->len : sizeof(d->bytes));
}

/* Same event? (Payloads are compared whole.) */
static bool event_same(const TraceEvent *x, const uint8_t *xp, const TraceEvent *y)
{
    return x->kind == y->kind && x->source == y->source && x->icount == y->icount &&
           x->exit_code == y->exit_code && x->len == y->len &&
           (!x->len || memcmp(xp, y->payload, x->len) == 0);
}

/* One side of a pass: the next event of one class (digests, or all the
 * others), its payload copied (the reader's is short-lived). */
typedef struct Side {
    TraceReader *r;
    bool digests;  /* the class read */
    int state;     /* 1 an event in ev, 0 the end, -1 damaged */
    TraceEvent ev;
    uint8_t *buf;
    size_t cap;
    uint64_t events, ndigests, last_icount;
} Side;

static bool side_error(Side *s, char *err, size_t errlen)
{
    const char *e = trace_reader_error(s->r);
    snprintf(err, errlen, "%s", e ? e : "the trace cannot be read");
    return false;
}

static int side_next(Side *s)
{
    for (;;) {
        s->state = trace_reader_next(s->r, &s->ev);
        if (s->state <= 0)
            return s->state;
        s->events++;
        s->last_icount = s->ev.icount;
        bool dg = s->ev.kind == TRACE_DIGEST;
        s->ndigests += dg;
        if (dg != s->digests)
            continue;
        if (s->ev.len > s->cap) {
            uint8_t *nb = realloc(s->buf, s->ev.len);
            if (!nb) {
                s->state = -1;
                return -1;
            }
            s->buf = nb;
            s->cap = s->ev.len;
        }
        if (s->ev.len)
            memcpy(s->buf, s->ev.payload, s->ev.len);
        s->ev.payload = s->buf;
        return 1;
    }
}

static bool side_start(Side *s, TraceReader *r, bool digests, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->r = r;
    s->digests = digests;
    if (!trace_reader_seek(r, 0))
        return side_error(s, err, errlen);
    return true;
}

/* Pass 1: the events other than digests, in order. */
static bool scan_inputs(TraceReader *rd[2], DiffScan *out, char *err, size_t errlen)
{
    Side s[2];
    memset(s, 0, sizeof(s)); /* both freed below, even when the first fails */
    bool ok = side_start(&s[0], rd[0], false, err, errlen) &&
              side_start(&s[1], rd[1], false, err, errlen);
    while (ok) {
        for (int i = 0; i < 2 && ok; i++)
            if (side_next(&s[i]) < 0)
                ok = side_error(&s[i], err, errlen);
        if (!ok || (s[0].state == 0 && s[1].state == 0))
            break;
        if (s[0].state == 1 && s[1].state == 1 && event_same(&s[0].ev, s[0].buf, &s[1].ev))
            continue;
        out->input_differs = true;
        out->input_icount = UINT64_MAX;
        for (int i = 0; i < 2; i++)
            if (s[i].state == 1) {
                event_copy(&out->input[i], &s[i].ev);
                if (s[i].ev.icount < out->input_icount)
                    out->input_icount = s[i].ev.icount;
            }
        break;
    }
    free(s[0].buf);
    free(s[1].buf);
    return ok;
}

/* Pass 2: digests at the same icount, in order. */
static bool scan_digests(TraceReader *rd[2], DiffScan *out, char *err, size_t errlen)
{
    Side s[2];
    memset(s, 0, sizeof(s));
    bool ok = side_start(&s[0], rd[0], true, err, errlen) &&
              side_start(&s[1], rd[1], true, err, errlen);
    for (int i = 0; i < 2 && ok; i++)
        if (side_next(&s[i]) < 0)
            ok = side_error(&s[i], err, errlen);
    while (ok && s[0].state == 1 && s[1].state == 1) {
        const TraceEvent *x = &s[0].ev, *y = &s[1].ev;
        int adv = 0; /* bit per side to read on */
        if (x->icount < y->icount) {
            adv = 1;
        } else if (y->icount < x->icount) {
            adv = 2;
        } else {
            out->shared++;
            bool same = x->digest_harts == y->digest_harts &&
                        x->digest_memory == y->digest_memory &&
                        x->digest_pages == y->digest_pages;
            if (!same) {
                out->digest_differs = true;
                out->differ_icount = x->icount;
                break;
            }
            /* An agreeing digest past the first different input is still
             * a point where harts and RAM agree (devices may not: the
             * input went there); the caller picks. */
            out->agree_icount = x->icount;
            if (!out->input_differs || x->icount <= out->input_icount)
                out->agree_before_input = x->icount;
            adv = 3;
        }
        for (int i = 0; i < 2 && ok; i++)
            if ((adv >> i & 1) && side_next(&s[i]) < 0)
                ok = side_error(&s[i], err, errlen);
    }
    /* The rest, for the counts (and the damage check). */
    for (int i = 0; i < 2 && ok; i++) {
        while (s[i].state == 1)
            side_next(&s[i]);
        if (s[i].state < 0)
            ok = side_error(&s[i], err, errlen);
        out->digests[i] = s[i].ndigests;
        out->end_icount[i] = s[i].last_icount;
        out->events[i] = s[i].events;
    }
    free(s[0].buf);
    free(s[1].buf);
    return ok;
}

bool diff_scan(TraceReader *a, TraceReader *b, DiffScan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    TraceReader *rd[2] = { a, b };
    return scan_inputs(rd, out, err, errlen) && scan_digests(rd, out, err, errlen);
}

bool diff_last_events(TraceReader *r, uint64_t at, DiffEvent *out, unsigned *n, char *err,
                      size_t errlen)
{
    *n = 0;
    if (!trace_reader_seek(r, 0)) {
        const char *e = trace_reader_error(r);
        snprintf(err, errlen, "%s", e ? e : "the trace cannot be read");
        return false;
    }
    DiffEvent ring[DIFF_LAST_EVENTS];
    uint64_t seen = 0;
    TraceEvent ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) > 0 && ev.icount <= at) {
        if (ev.kind == TRACE_DIGEST)
            continue;
        event_copy(&ring[seen % DIFF_LAST_EVENTS], &ev);
        seen++;
    }
    if (rc < 0) {
        const char *e = trace_reader_error(r);
        snprintf(err, errlen, "%s", e ? e : "the trace cannot be read");
        return false;
    }
    unsigned k = seen < DIFF_LAST_EVENTS ? (unsigned)seen : DIFF_LAST_EVENTS;
    for (unsigned i = 0; i < k; i++)
        out[i] = ring[(seen - k + i) % DIFF_LAST_EVENTS];
    *n = k;
    return true;
}

void diff_event_describe(const DiffEvent *ev, char *out, size_t len)
{
    if (!ev->valid) {
        snprintf(out, len, "none (the trace has no more events)");
        return;
    }
    const char *name = trace_kind_name(ev->kind);
    char kbuf[16];
    if (!name) {
        snprintf(kbuf, sizeof(kbuf), "kind%u", ev->kind);
        name = kbuf;
    }
    size_t k = (size_t)snprintf(out, len, "%s", name);
    switch (ev->kind) {
    case TRACE_CONSOLE_INPUT:
    case TRACE_ENTROPY:
    case TRACE_RTC_BASE: {
        k += (size_t)snprintf(out + k, len - k, " %zu byte%s \"", ev->len, ev->len == 1 ? "" : "s");
        size_t show = ev->len < 48 ? ev->len : 48;
        for (size_t i = 0; i < show && k + 8 < len; i++) {
            uint8_t c = ev->bytes[i];
            if (ev->kind == TRACE_CONSOLE_INPUT && c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                out[k++] = (char)c;
            else if (ev->kind == TRACE_CONSOLE_INPUT && c == '\n')
                k += (size_t)snprintf(out + k, len - k, "\\n");
            else
                k += (size_t)snprintf(out + k, len - k, "\\x%02x", c);
        }
        if (k < len)
            k += (size_t)snprintf(out + k, len - k, "%s\" (source %u)", ev->len > show ? "..." : "",
                                  ev->source);
        break;
    }
    case TRACE_EXIT:
        k += (size_t)snprintf(out + k, len - k, " code %d", ev->exit_code);
        break;
    case TRACE_END:
        k += (size_t)snprintf(out + k, len - k, " (exit code %d)", ev->exit_code);
        break;
    case TRACE_FAIL:
        k += (size_t)snprintf(out + k, len - k, " \"%.*s\"", (int)(ev->len < 120 ? ev->len : 120),
                              (const char *)ev->bytes);
        break;
    default:
        break;
    }
    if (k < len)
        snprintf(out + k, len - k, " at icount %" PRIu64 " (hart %u, pc 0x%" PRIx64 ")",
                 ev->icount, ev->hart, ev->pc);
}

/* ------------------------------------------------------- console logs */

void diff_console_add(DiffConsole *c, uint64_t icount, uint8_t byte)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        uint8_t *nb = realloc(c->bytes, cap);
        if (nb)
            c->bytes = nb;
        uint64_t *ni = realloc(c->icount, cap * sizeof(*ni));
        if (ni)
            c->icount = ni;
        if (!nb || !ni)
            return; /* out of memory: the log stops growing */
        c->cap = cap;
    }
    c->bytes[c->len] = byte;
    c->icount[c->len++] = icount;
}

void diff_console_cut(DiffConsole *c, uint64_t at)
{
    while (c->len && c->icount[c->len - 1] > at)
        c->len--;
}

void diff_console_free(DiffConsole *c)
{
    free(c->bytes);
    free(c->icount);
    memset(c, 0, sizeof(*c));
}
