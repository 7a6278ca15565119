/* User-mode networking through libslirp on the machine's libuv loop (see
 * net_slirp.h). */
#include "devices/net_slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slirp/libslirp.h>
#include <uv.h>

#include "core/machine.h"
#include "replay/replay.h"

/* One socket slirp asked us to poll. Allocated alone: libuv keeps the
 * handle's address until its close callback. */
typedef struct SlirpWatch {
    NetSlirp *owner;
    uv_poll_t poll;
    int fd;
    int started;  /* UV_ events the handle is started with (0: stopped) */
    int wanted;   /* UV_ events slirp asked for in the last fill */
    int revents;  /* SLIRP_POLL_ events seen since the last slirp poll */
    bool seen;    /* asked for in the last fill */
    struct SlirpWatch *next;
} SlirpWatch;

/* A slirp timer. */
typedef struct SlirpTimer {
    NetSlirp *owner;
    uv_timer_t timer;
    SlirpTimerCb cb; /* timer_new (NULL for timer_new_opaque) */
    void *cb_opaque;
    SlirpTimerId id;
} SlirpTimer;

struct NetSlirp {
    Machine *m;
    Slirp *slirp;
    unsigned nic;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_timer_t wake; /* slirp's own timeout (TCP fast/slow timers) */
    SlirpWatch *watches;
    /* The last fill: index -> fd, for get_revents. */
    int *fill_fd;
    unsigned nfill, cap_fill;
    bool filled;
    unsigned open_handles; /* the struct goes when the last one closes */
    bool freeing;
};

/* ------------------------------------------------------------ handles */

static void slirp_maybe_release(NetSlirp *s)
{
    if (s->freeing && s->open_handles == 0) {
        free(s->fill_fd);
        free(s);
    }
}

static void slirp_handle_closed(uv_handle_t *h)
{
    NetSlirp *s = h->data;
    s->open_handles--;
    slirp_maybe_release(s);
}

static void slirp_watch_closed(uv_handle_t *h)
{
    SlirpWatch *w = h->data;
    NetSlirp *s = w->owner;
    free(w);
    s->open_handles--;
    slirp_maybe_release(s);
}

static void slirp_timer_closed(uv_handle_t *h)
{
    SlirpTimer *t = h->data;
    NetSlirp *s = t->owner;
    free(t);
    s->open_handles--;
    slirp_maybe_release(s);
}

/* ------------------------------------------------------------ sockets */

static void slirp_watch_cb(uv_poll_t *h, int status, int events)
{
    SlirpWatch *w = h->data;
    if (status < 0)
        w->revents |= SLIRP_POLL_ERR | SLIRP_POLL_IN | SLIRP_POLL_OUT;
    if (events & UV_READABLE)
        w->revents |= SLIRP_POLL_IN;
    if (events & UV_WRITABLE)
        w->revents |= SLIRP_POLL_OUT;
    if (events & UV_PRIORITIZED)
        w->revents |= SLIRP_POLL_PRI;
    if (events & UV_DISCONNECT)
        w->revents |= SLIRP_POLL_HUP;
}

static SlirpWatch *slirp_find_watch(NetSlirp *s, int fd)
{
    for (SlirpWatch *w = s->watches; w; w = w->next)
        if (w->fd == fd)
            return w;
    return NULL;
}

static int slirp_add_poll(int fd, int events, void *opaque)
{
    NetSlirp *s = opaque;
    SlirpWatch *w = slirp_find_watch(s, fd);
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w)
            return -1;
        if (uv_poll_init_socket(s->m->loop, &w->poll, fd) != 0) {
            free(w);
            return -1;
        }
        w->owner = s;
        w->fd = fd;
        w->poll.data = w;
        w->next = s->watches;
        s->watches = w;
        s->open_handles++;
    }
    if (!w->seen)
        w->wanted = 0;
    w->seen = true;
    if (events & SLIRP_POLL_IN)
        w->wanted |= UV_READABLE;
    if (events & SLIRP_POLL_OUT)
        w->wanted |= UV_WRITABLE;
    if (events & SLIRP_POLL_PRI)
        w->wanted |= UV_PRIORITIZED;
    if (s->nfill == s->cap_fill) {
        unsigned cap = s->cap_fill ? s->cap_fill * 2 : 16;
        int *nf = realloc(s->fill_fd, cap * sizeof(*nf));
        if (!nf)
            return -1;
        s->fill_fd = nf;
        s->cap_fill = cap;
    }
    s->fill_fd[s->nfill] = fd;
    return (int)s->nfill++;
}

static int slirp_get_revents(int idx, void *opaque)
{
    NetSlirp *s = opaque;
    if (idx < 0 || (unsigned)idx >= s->nfill)
        return 0;
    SlirpWatch *w = slirp_find_watch(s, s->fill_fd[idx]);
    return w ? w->revents : 0;
}

static void slirp_unregister_fd(int fd, void *opaque)
{
    NetSlirp *s = opaque;
    for (SlirpWatch **pw = &s->watches; *pw; pw = &(*pw)->next)
        if ((*pw)->fd == fd) {
            SlirpWatch *w = *pw;
            *pw = w->next;
            /* Forget it in the last fill too: slirp will not ask. */
            for (unsigned i = 0; i < s->nfill; i++)
                if (s->fill_fd[i] == fd)
                    s->fill_fd[i] = -1;
            uv_close((uv_handle_t *)&w->poll, slirp_watch_closed);
            return;
        }
}

static void slirp_register_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque; /* watched from the next fill on */
}

static void slirp_wake_cb(uv_timer_t *h)
{
    (void)h; /* the check that follows runs slirp's timers */
}

/* What slirp wants polled: one uv_poll per socket, started with the
 * events it asks for (stopped when it asks for none), and the timer for
 * its own timeout. Active polls are what keeps the loop alive. */
static void slirp_fill_and_watch(NetSlirp *s)
{
    for (SlirpWatch *w = s->watches; w; w = w->next)
        w->seen = false;
    s->nfill = 0;
    uint32_t timeout = UINT32_MAX;
    slirp_pollfds_fill(s->slirp, &timeout, slirp_add_poll, s);
    for (SlirpWatch *w = s->watches; w; w = w->next) {
        int want = w->seen ? w->wanted : 0;
        if (want == w->started)
            continue;
        if (want)
            uv_poll_start(&w->poll, want, slirp_watch_cb);
        else
            uv_poll_stop(&w->poll);
        w->started = want;
    }
    if (timeout != UINT32_MAX)
        uv_timer_start(&s->wake, slirp_wake_cb, timeout, 0);
}

/* Before libuv waits (in every loop iteration). */
static void slirp_prepare_cb(uv_prepare_t *h)
{
    NetSlirp *s = h->data;
    slirp_fill_and_watch(s);
    s->filled = true;
}

/* After libuv's wait: sockets that became ready, slirp's timers. */
static void slirp_check_cb(uv_check_t *h)
{
    NetSlirp *s = h->data;
    if (!s->filled)
        return;
    s->filled = false;
    slirp_pollfds_poll(s->slirp, 0, slirp_get_revents, s);
    for (SlirpWatch *w = s->watches; w; w = w->next)
        w->revents = 0;
}

/* ------------------------------------------------------------ timers */

static void slirp_timer_fire(uv_timer_t *h)
{
    SlirpTimer *t = h->data;
    if (t->cb)
        t->cb(t->cb_opaque);
    else
        slirp_handle_timer(t->owner->slirp, t->id, t->cb_opaque);
}

static SlirpTimer *slirp_timer_make(NetSlirp *s)
{
    SlirpTimer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->owner = s;
    uv_timer_init(s->m->loop, &t->timer);
    t->timer.data = t;
    uv_unref((uv_handle_t *)&t->timer);
    s->open_handles++;
    return t;
}

static void *slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    SlirpTimer *t = slirp_timer_make(opaque);
    if (t) {
        t->cb = cb;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void *slirp_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    SlirpTimer *t = slirp_timer_make(opaque);
    if (t) {
        t->id = id;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void slirp_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    SlirpTimer *t = timer;
    if (t)
        uv_close((uv_handle_t *)&t->timer, slirp_timer_closed);
}

static void slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    SlirpTimer *t = timer;
    /* expire_ms is on clock_get_ns's clock (uv_hrtime), in ms. */
    int64_t now_ms = (int64_t)(uv_hrtime() / 1000000u);
    uint64_t delay = expire_ms > now_ms ? (uint64_t)(expire_ms - now_ms) : 0;
    uv_timer_start(&t->timer, slirp_timer_fire, delay, 0);
}

static int64_t slirp_clock_ns(void *opaque)
{
    (void)opaque;
    return (int64_t)uv_hrtime(); /* the host's: never reaches the guest */
}

/* ------------------------------------------------------------ frames */

static ssize_t slirp_send_packet(const void *buf, size_t len, void *opaque)
{
    NetSlirp *s = opaque;
    /* Recorded (or handed over) as one frame, delivered at an input point. */
    replay_async_input(s->m, EV_NET_RX, s->nic, buf, len);
    return (ssize_t)len;
}

static void slirp_guest_error(const char *msg, void *opaque)
{
    NetSlirp *s = opaque;
    log_printf(&s->m->log, LOG_UNIMP, "net%u (slirp): %s\n", s->nic, msg);
}

static void slirp_notify(void *opaque)
{
    (void)opaque; /* one thread: the next loop iteration polls anyway */
}

static const SlirpCb slirp_callbacks = {
    .send_packet = slirp_send_packet,
    .guest_error = slirp_guest_error,
    .clock_get_ns = slirp_clock_ns,
    .timer_new = slirp_timer_new,
    .timer_free = slirp_timer_free,
    .timer_mod = slirp_timer_mod,
    .register_poll_fd = slirp_register_fd,
    .unregister_poll_fd = slirp_unregister_fd,
    .notify = slirp_notify,
    .timer_new_opaque = slirp_timer_new_opaque,
};

/* ------------------------------------------------------------ life */

NetSlirp *net_slirp_new(Machine *m, const NetdevSpec *nd, unsigned nic_index, char *err,
                        size_t errlen)
{
    NetSlirp *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", nd->option);
        return NULL;
    }
    s->m = m;
    s->nic = nic_index;
    uint32_t net = ntohl(nd->net);
    SlirpConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.version = 4;
    cfg.in_enabled = true;
    cfg.vnetwork.s_addr = htonl(net);
    cfg.vnetmask.s_addr = nd->mask;
    cfg.vhost.s_addr = htonl(net | 2);       /* 10.0.2.2: the host */
    cfg.vdhcp_start.s_addr = htonl(net | 15); /* 10.0.2.15: the guest */
    cfg.vnameserver.s_addr = htonl(net | 3);  /* 10.0.2.3: DNS */
    cfg.in6_enabled = false;
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    if (!s->slirp) {
        snprintf(err, errlen, "%s: libslirp could not start", nd->option);
        free(s);
        return NULL;
    }
    for (unsigned i = 0; i < nd->nfwd; i++) {
        const NetHostFwd *f = &nd->fwd[i];
        struct in_addr host = { .s_addr = f->host_addr };
        struct in_addr guest = { .s_addr = f->guest_addr ? f->guest_addr
                                                          : cfg.vdhcp_start.s_addr };
        errno = 0;
        if (slirp_add_hostfwd(s->slirp, f->udp, host, f->host_port, guest,
                              f->guest_port) < 0) {
            int e = errno;
            snprintf(err, errlen, "%s: hostfwd=%s: cannot listen on host port %u%s%s",
                     nd->option, f->text, f->host_port, e ? ": " : " (in use?)",
                     e ? strerror(e) : "");
            /* No loop handle exists yet: nothing to wait for. */
            slirp_cleanup(s->slirp);
            free(s);
            return NULL;
        }
    }
    uv_prepare_init(m->loop, &s->prepare);
    uv_check_init(m->loop, &s->check);
    uv_timer_init(m->loop, &s->wake);
    s->prepare.data = s->check.data = s->wake.data = s;
    s->open_handles += 3;
    uv_prepare_start(&s->prepare, slirp_prepare_cb);
    uv_check_start(&s->check, slirp_check_cb);
    /* Only the sockets' polls keep the loop alive (a machine whose NIC has
     * no socket open cannot be woken from the host: the run loop may say
     * so). They are started right away (here for the forwarded ports,
     * after each frame from the guest for what it opened), since libuv
     * runs no iteration, so no prepare, in a loop with nothing alive. */
    uv_unref((uv_handle_t *)&s->prepare);
    uv_unref((uv_handle_t *)&s->check);
    slirp_fill_and_watch(s);
    uv_unref((uv_handle_t *)&s->wake);
    return s;
}

void net_slirp_input(NetSlirp *s, const uint8_t *frame, size_t len)
{
    slirp_input(s->slirp, frame, (int)len);
    slirp_fill_and_watch(s); /* a socket it opened is polled at once */
}

void net_slirp_free(NetSlirp *s)
{
    if (!s)
        return;
    slirp_cleanup(s->slirp); /* unregisters (and so closes) every watch */
    s->slirp = NULL;
    while (s->watches) {
        SlirpWatch *w = s->watches;
        s->watches = w->next;
        uv_close((uv_handle_t *)&w->poll, slirp_watch_closed);
    }
    uv_close((uv_handle_t *)&s->prepare, slirp_handle_closed);
    uv_close((uv_handle_t *)&s->check, slirp_handle_closed);
    uv_close((uv_handle_t *)&s->wake, slirp_handle_closed);
    s->freeing = true;
}
