/* Host character backends (stdio, pty, file, tcp server, none) on libuv. */
#include "devices/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/machine.h"
#include "devices/chardev_pty.h"
#include "replay/replay.h"

enum {
    CHARDEV_INQ_SIZE = 4096,  /* host input waiting for the frontend */
    CHARDEV_OUTBUF_SIZE = 4096,
    /* Output queued for a slow TCP client beyond this is dropped, so a
     * client that stops reading cannot make us grow without bound. */
    CHARDEV_TCP_MAX_QUEUED = 1 << 20,
    CHARDEV_ESCAPE = 0x01, /* Ctrl-A */
};

typedef enum {
    CHARDEV_NONE,
    CHARDEV_STDIO,
    CHARDEV_FILE,
    CHARDEV_TCP,
    CHARDEV_PTY,
} CharDevKind;

/* How stdin is read when it is the input. */
typedef enum {
    STDIN_NONE,
    STDIN_STREAM, /* tty, pipe or socket: a libuv stream */
    STDIN_FILE,   /* regular file or device: polled read() from the frontend */
} StdinMode;

typedef struct TcpClient {
    uv_tcp_t handle; /* first: the handle's address is the client's */
    struct CharDev *cd;
    size_t queued; /* bytes in uv_write requests not yet done */
} TcpClient;

typedef struct TcpWrite {
    uv_write_t req;
    TcpClient *client; /* outlives the request: freed at close, after it */
    size_t len;
    uint8_t data[];
} TcpWrite;

struct CharDev {
    Machine *m;
    CharDevKind kind;
    char *spec;
    CharDevReceiveFn receive;
    void *receive_opaque;
    void (*input_notify)(void *opaque); /* with receive_opaque */
    /* Host input goes to the guest through replay/ (recorded, or taken from
     * a trace instead of the host): this backend's source number there, and
     * the bytes handed to it that have not come back to inq yet. */
    unsigned source;
    size_t inflight;

    uint8_t inq[CHARDEV_INQ_SIZE];
    size_t inq_len;
    uint8_t readbuf[CHARDEV_INQ_SIZE]; /* libuv reads land here */
    uint8_t outbuf[CHARDEV_OUTBUF_SIZE];
    size_t out_len;
    bool write_failed;

    FILE *out;      /* stdio and file */
    bool out_owned; /* fclose it */

    /* stdio input */
    StdinMode stdin_mode;
    union {
        uv_tty_t tty;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } in;
    uv_stream_t *in_stream; /* NULL once closed (pty: its master, both ways) */
    int pty_slave;          /* pty: the slave we keep open, or -1 */
    bool reading;
    bool in_raw_tty; /* the terminal is in raw mode: restore it */
    bool escape;     /* the last key was Ctrl-A */
    int stdin_flags; /* fcntl flags of fd 0 before libuv changed them */
    bool input_eof;

    /* tcp server */
    uv_tcp_t server;
    bool server_open;
    bool conn_pending; /* a connection waits in the backlog */
    TcpClient *client;

    /* Open libuv handles: the struct is freed when the last one closed. */
    unsigned open_handles;
    bool freeing;
};

const char *chardev_spec(const CharDev *cd)
{
    return cd->spec;
}

/* ------------------------------------------------------------- input */

/* While a trace is replayed the host's input is not read at all. */
static bool chardev_replaying(const CharDev *cd)
{
    return replay_mode(cd->m) == REPLAY_PLAY;
}

/* Bytes read from the host: through replay/, which hands them back to
 * chardev_replay_sink (at once, or at the point where a recording logs
 * them). */
static void chardev_from_host(CharDev *cd, const uint8_t *buf, size_t len)
{
    if (!len)
        return;
    cd->inflight += len;
    replay_async_input(cd->m, EV_CONSOLE_INPUT, cd->source, buf, len);
}

static void chardev_update_reading(CharDev *cd);

static void chardev_replay_sink(void *opaque, const uint8_t *buf, size_t len)
{
    CharDev *cd = opaque;
    cd->inflight -= len < cd->inflight ? len : cd->inflight;
    chardev_host_input(cd, buf, len);
    chardev_update_reading(cd);
}

void chardev_host_input(CharDev *cd, const uint8_t *buf, size_t len)
{
    size_t room = CHARDEV_INQ_SIZE - cd->inq_len;
    if (len > room)
        len = room;
    memcpy(cd->inq + cd->inq_len, buf, len);
    cd->inq_len += len;
    if (cd->input_notify)
        cd->input_notify(cd->receive_opaque);
}

size_t chardev_pending_input(const CharDev *cd)
{
    return cd->inq_len;
}

size_t chardev_save_input(const CharDev *cd, uint8_t *buf, size_t cap)
{
    if (buf && cd->inq_len && cd->inq_len <= cap)
        memcpy(buf, cd->inq, cd->inq_len);
    return cd->inq_len;
}

size_t chardev_input_capacity(void)
{
    return CHARDEV_INQ_SIZE;
}

void chardev_load_input(CharDev *cd, const uint8_t *buf, size_t len)
{
    if (len > CHARDEV_INQ_SIZE)
        len = CHARDEV_INQ_SIZE;
    if (len)
        memcpy(cd->inq, buf, len);
    cd->inq_len = len;
    if (cd->input_notify)
        cd->input_notify(cd->receive_opaque);
}

void chardev_set_receive(CharDev *cd, CharDevReceiveFn fn, void *opaque)
{
    cd->receive = fn;
    cd->receive_opaque = opaque;
}

void chardev_set_input_notify(CharDev *cd, void (*fn)(void *opaque))
{
    cd->input_notify = fn;
}

static uv_stream_t *chardev_input_stream(CharDev *cd)
{
    if (chardev_replaying(cd))
        return NULL;
    if (cd->kind == CHARDEV_STDIO || cd->kind == CHARDEV_PTY)
        return cd->in_stream;
    if (cd->kind == CHARDEV_TCP && cd->client)
        return (uv_stream_t *)&cd->client->handle;
    return NULL;
}

static void chardev_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void chardev_stdin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void chardev_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void chardev_pty_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/* Read from the host only while the queue has room (back-pressure). */
static void chardev_update_reading(CharDev *cd)
{
    uv_stream_t *s = chardev_input_stream(cd);
    if (!s)
        return;
    bool want = cd->inq_len + cd->inflight < CHARDEV_INQ_SIZE;
    if (want && !cd->reading)
        uv_read_start(s, chardev_alloc,
                      cd->kind == CHARDEV_TCP ? chardev_tcp_read
                      : cd->kind == CHARDEV_PTY ? chardev_pty_read : chardev_stdin_read);
    else if (!want && cd->reading)
        uv_read_stop(s);
    cd->reading = want;
}

static size_t chardev_filter_escapes(CharDev *cd, uint8_t *p, size_t n);

/* stdin redirected from a file or a device: read what is there now. */
static void chardev_refill_from_file(CharDev *cd)
{
    if (cd->stdin_mode != STDIN_FILE || cd->input_eof || chardev_replaying(cd) ||
        cd->inq_len + cd->inflight >= CHARDEV_INQ_SIZE)
        return;
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0)
        return;
    uint8_t buf[CHARDEV_INQ_SIZE];
    ssize_t n = read(STDIN_FILENO, buf, CHARDEV_INQ_SIZE - cd->inq_len - cd->inflight);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            cd->input_eof = true;
        return;
    }
    chardev_from_host(cd, buf, chardev_filter_escapes(cd, buf, (size_t)n));
}

void chardev_offer_input(CharDev *cd)
{
    chardev_refill_from_file(cd);
    if (cd->receive && cd->inq_len) {
        size_t took = cd->receive(cd->receive_opaque, cd->inq, cd->inq_len);
        if (took > cd->inq_len)
            took = cd->inq_len;
        memmove(cd->inq, cd->inq + took, cd->inq_len - took);
        cd->inq_len -= took;
    }
    chardev_update_reading(cd);
}

static void chardev_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    CharDev *cd = handle->data;
    /* Never read more than the queue can take: the rest waits in the
     * kernel (back-pressure instead of loss). */
    buf->base = (char *)cd->readbuf;
    buf->len = CHARDEV_INQ_SIZE - cd->inq_len - cd->inflight;
}

static void chardev_close_cb(uv_handle_t *handle);

/* Raw mode keeps ONLCR (libuv), so plain newlines suffice. */
static void chardev_print_help(void)
{
    fprintf(stderr,
            "\n"
            "rewind console escapes (Ctrl-A then a key):\n"
            "  Ctrl-A x       quit rewind\n"
            "  Ctrl-A h       print this help\n"
            "  Ctrl-A Ctrl-A  send Ctrl-A to the guest\n");
}

/* Handle the Ctrl-A escapes in place over the n bytes just read at p;
 * returns how many bytes remain for the guest. */
static size_t chardev_filter_escapes(CharDev *cd, uint8_t *p, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (!cd->escape) {
            if (c == CHARDEV_ESCAPE)
                cd->escape = true;
            else
                p[out++] = c;
            continue;
        }
        cd->escape = false;
        if (c == 'x') {
            fprintf(stderr, "\nrewind: terminated (Ctrl-A x)\n");
            machine_request_exit(cd->m, 0);
            cd->input_eof = true;
            return out;
        } else if (c == 'h' || c == '?') {
            chardev_print_help();
        } else if (c == CHARDEV_ESCAPE) {
            p[out++] = c;
        } /* other keys after Ctrl-A are swallowed, as QEMU does */
    }
    return out;
}

static void chardev_stop_stdin(CharDev *cd)
{
    if (!cd->in_stream)
        return;
    /* libuv restores through the handle's own fd (a reopened copy of the
     * tty), which closing the handle closes: restore first. */
    if (cd->in_raw_tty)
        uv_tty_reset_mode();
    cd->in_raw_tty = false;
    if (cd->reading)
        uv_read_stop(cd->in_stream);
    cd->reading = false;
    uv_close((uv_handle_t *)cd->in_stream, chardev_close_cb);
    cd->in_stream = NULL;
}

/* What a read callback of the input stream does for a read of n < 0: a
 * full queue (UV_ENOBUFS) only pauses reading; anything else (EOF, the
 * terminal or the pty's slave went away) ends input, and output goes on.
 * Returns true when n was such a result and the callback has no bytes. */
static bool chardev_read_without_bytes(CharDev *cd, ssize_t n)
{
    if (n == UV_ENOBUFS) { /* the queue is full */
        chardev_update_reading(cd);
        return true;
    }
    if (n < 0) {
        cd->input_eof = true;
        chardev_stop_stdin(cd);
        return true;
    }
    return false;
}

static void chardev_stdin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    CharDev *cd = s->data;
    (void)buf;
    if (chardev_read_without_bytes(cd, n))
        return;
    /* The escapes work from a pipe too, as with QEMU's mux. */
    size_t keep = chardev_filter_escapes(cd, cd->readbuf, (size_t)n);
    chardev_from_host(cd, cd->readbuf, keep);
    if (cd->input_eof)
        chardev_stop_stdin(cd);
    else
        chardev_update_reading(cd);
}

/* ------------------------------------------------------------ output */

/* A console that cannot be written any more (a closed pipe, a full disk,
 * an I/O error) is said once; its output is dropped from then on. The
 * machine and a recording go on: what the guest sees does not depend on
 * whether the host could show its output. */
static void chardev_write_error(CharDev *cd, const char *what)
{
    if (!cd->write_failed)
        fprintf(stderr, "rewind: -serial %s: %s: the console's output is discarded from "
                "now on (the machine goes on)\n", cd->spec, what);
    cd->write_failed = true;
}

static void chardev_tcp_write_done(uv_write_t *req, int status)
{
    TcpWrite *w = (TcpWrite *)req;
    (void)status; /* a failed write also shows up as a read error */
    w->client->queued -= w->len;
    free(w);
}

static void chardev_tcp_close_client(CharDev *cd);
static void chardev_pty_send(CharDev *cd, const uint8_t *buf, size_t len);

static void chardev_tcp_send(CharDev *cd, const uint8_t *buf, size_t len)
{
    if (!cd->client)
        return; /* no one listening: dropped */
    TcpClient *c = cd->client;
    uv_stream_t *s = (uv_stream_t *)&c->handle;
    size_t done = 0;
    if (c->queued == 0) {
        uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
        int r = uv_try_write(s, &b, 1);
        if (r >= 0)
            done = (size_t)r;
        else if (r != UV_EAGAIN) {
            chardev_tcp_close_client(cd);
            return;
        }
    }
    size_t rest = len - done;
    if (!rest || c->queued + rest > CHARDEV_TCP_MAX_QUEUED)
        return;
    TcpWrite *w = malloc(sizeof(*w) + rest);
    if (!w)
        return;
    w->client = c;
    w->len = rest;
    memcpy(w->data, buf + done, rest);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)rest);
    if (uv_write(&w->req, s, &b, 1, chardev_tcp_write_done) != 0) {
        free(w);
        chardev_tcp_close_client(cd);
        return;
    }
    c->queued += rest;
}

void chardev_flush(CharDev *cd)
{
    if (!cd->out_len)
        return;
    size_t len = cd->out_len;
    cd->out_len = 0;
    if (cd->write_failed)
        return;
    switch (cd->kind) {
    case CHARDEV_STDIO:
    case CHARDEV_FILE:
        if (fwrite(cd->outbuf, 1, len, cd->out) != len || fflush(cd->out) != 0) {
            char msg[160];
            snprintf(msg, sizeof(msg), "write error: %s", strerror(errno));
            chardev_write_error(cd, msg);
        }
        break;
    case CHARDEV_TCP:
        chardev_tcp_send(cd, cd->outbuf, len);
        break;
    case CHARDEV_PTY:
        chardev_pty_send(cd, cd->outbuf, len);
        break;
    case CHARDEV_NONE:
        break;
    }
}

void chardev_write(CharDev *cd, const uint8_t *buf, size_t len)
{
    /* Muted: a reverse debugger re-runs output the user has seen. */
    if (cd->kind == CHARDEV_NONE || cd->m->output_muted)
        return;
    bool newline = false;
    while (len) {
        size_t n = CHARDEV_OUTBUF_SIZE - cd->out_len;
        if (n > len)
            n = len;
        memcpy(cd->outbuf + cd->out_len, buf, n);
        newline = newline || memchr(buf, '\n', n) != NULL;
        cd->out_len += n;
        buf += n;
        len -= n;
        if (cd->out_len == CHARDEV_OUTBUF_SIZE)
            chardev_flush(cd);
    }
    /* Whole lines go out at once so that logs and pipes see them early;
     * a prompt without newline waits for the next flush (between slices). */
    if (newline)
        chardev_flush(cd);
}

/* ------------------------------------------------------------- handles */

static void chardev_destroy(CharDev *cd)
{
    free(cd->spec);
    free(cd);
}

static void chardev_close_cb(uv_handle_t *handle)
{
    CharDev *cd = handle->data;
    if (--cd->open_handles == 0 && cd->freeing)
        chardev_destroy(cd);
}

/* ---------------------------------------------------------- tcp server */

static void chardev_tcp_client_closed(uv_handle_t *handle)
{
    TcpClient *c = (TcpClient *)handle;
    CharDev *cd = c->cd;
    free(c);
    if (--cd->open_handles == 0 && cd->freeing)
        chardev_destroy(cd);
}

static void chardev_tcp_accept(CharDev *cd);

static void chardev_tcp_close_client(CharDev *cd)
{
    TcpClient *c = cd->client;
    if (!c)
        return;
    cd->client = NULL;
    cd->reading = false;
    uv_close((uv_handle_t *)&c->handle, chardev_tcp_client_closed);
    /* One client at a time: the next one waited in the backlog. */
    if (cd->conn_pending && !cd->freeing)
        chardev_tcp_accept(cd);
}

static void chardev_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    CharDev *cd = s->data;
    (void)buf;
    if (n == UV_ENOBUFS) { /* the queue is full */
        chardev_update_reading(cd);
        return;
    }
    if (n < 0) {
        chardev_tcp_close_client(cd);
        return;
    }
    chardev_from_host(cd, cd->readbuf, (size_t)n);
    chardev_update_reading(cd);
}

static void chardev_tcp_accept(CharDev *cd)
{
    cd->conn_pending = false;
    TcpClient *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->cd = cd;
    c->handle.data = cd;
    if (uv_tcp_init(cd->m->loop, &c->handle) != 0) {
        free(c);
        return;
    }
    cd->open_handles++;
    if (uv_accept((uv_stream_t *)&cd->server, (uv_stream_t *)&c->handle) != 0) {
        uv_close((uv_handle_t *)&c->handle, chardev_tcp_client_closed);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    cd->client = c;
    cd->reading = false;
    chardev_update_reading(cd);
}

static void chardev_tcp_connection(uv_stream_t *server, int status)
{
    CharDev *cd = server->data;
    if (status < 0)
        return;
    /* A second client is left in the backlog (not accepted) until the
     * first one goes: libuv stops watching the socket meanwhile. */
    cd->conn_pending = true;
    if (!cd->client)
        chardev_tcp_accept(cd);
}

/* "[HOST]:PORT" or "HOST:PORT" with an empty HOST meaning 127.0.0.1. */
static bool chardev_split_host_port(const char *s, size_t len, char *host, size_t hostlen,
                                    char *port, size_t portlen)
{
    const char *colon;
    const char *h;
    size_t hl;
    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close || close + 1 >= s + len || close[1] != ':')
            return false;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = 0; i < len; i++)
            if (s[i] == ':')
                colon = s + i;
        if (!colon)
            return false;
        h = s;
        hl = (size_t)(colon - s);
    }
    size_t pl = len - (size_t)(colon + 1 - s);
    if (hl >= hostlen || pl == 0 || pl >= portlen)
        return false;
    if (hl == 0)
        snprintf(host, hostlen, "127.0.0.1");
    else {
        memcpy(host, h, hl);
        host[hl] = '\0';
    }
    memcpy(port, colon + 1, pl);
    port[pl] = '\0';
    char *end;
    long v = strtol(port, &end, 10);
    return *end == '\0' && v >= 0 && v <= 65535 && port[0] >= '0' && port[0] <= '9';
}

static bool chardev_open_tcp(CharDev *cd, const char *arg, char *err, size_t errlen)
{
    const char *comma = strchr(arg, ',');
    size_t addrlen = comma ? (size_t)(comma - arg) : strlen(arg);
    char host[256], port[16];
    if (!chardev_split_host_port(arg, addrlen, host, sizeof(host), port, sizeof(port))) {
        snprintf(err, errlen, "-serial %s: expected tcp:[HOST]:PORT,server[,nowait]", cd->spec);
        return false;
    }
    bool server = false, wait = true;
    for (const char *o = comma; o; o = strchr(o + 1, ',')) {
        const char *name = o + 1;
        const char *next = strchr(name, ',');
        size_t n = next ? (size_t)(next - name) : strlen(name);
#define OPT_IS(lit) (n == sizeof(lit) - 1 && strncmp(name, lit, n) == 0)
        if (OPT_IS("server") || OPT_IS("server=on"))
            server = true;
        else if (OPT_IS("server=off"))
            server = false;
        else if (OPT_IS("nowait") || OPT_IS("wait=off"))
            wait = false;
        else if (OPT_IS("wait") || OPT_IS("wait=on"))
            wait = true;
        else if (OPT_IS("nodelay") || OPT_IS("nodelay=on"))
            ; /* always on */
        else {
            snprintf(err, errlen, "-serial %s: unknown option '%.*s' (known: server, nowait, wait=on|off)",
                     cd->spec, (int)n, name);
            return false;
        }
#undef OPT_IS
    }
    if (!server) {
        snprintf(err, errlen, "-serial %s: only server mode is supported: add ',server'", cd->spec);
        return false;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    int r = getaddrinfo(host, port, &hints, &ai);
    if (r != 0 || !ai) {
        snprintf(err, errlen, "-serial %s: cannot resolve '%s': %s", cd->spec, host,
                 gai_strerror(r));
        return false;
    }
    cd->server.data = cd;
    r = uv_tcp_init(cd->m->loop, &cd->server);
    if (r == 0) {
        cd->open_handles++;
        cd->server_open = true;
        r = uv_tcp_bind(&cd->server, ai->ai_addr, 0);
        if (r == 0)
            r = uv_listen((uv_stream_t *)&cd->server, 1, chardev_tcp_connection);
    }
    freeaddrinfo(ai);
    if (r != 0) {
        snprintf(err, errlen, "-serial %s: cannot listen on %s:%s: %s", cd->spec, host, port,
                 uv_strerror(r));
        return false;
    }
    if (wait) {
        /* As QEMU: without nowait, the machine starts once a client is
         * there, so that it sees the output from the first byte. */
        fprintf(stderr, "rewind: -serial %s: waiting for a connection on %s:%d\n", cd->spec,
                host, chardev_tcp_port(cd));
        while (!cd->client && cd->m->stop == STOP_NONE)
            uv_run(cd->m->loop, UV_RUN_ONCE);
    }
    return true;
}

int chardev_tcp_port(const CharDev *cd)
{
    if (cd->kind != CHARDEV_TCP || !cd->server_open)
        return -1;
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getsockname(&cd->server, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

/* --------------------------------------------------------------- stdio */

/* The saved terminal settings live in libuv (uv_tty_reset_mode is
 * async-signal-safe), so these process-wide hooks need no state here. */
static void chardev_restore_terminal_atexit(void)
{
    uv_tty_reset_mode();
}

static void chardev_restore_terminal_signal(int sig)
{
    uv_tty_reset_mode();
    /* SA_RESETHAND put the default action back: die of the same signal. */
    raise(sig);
}

static void chardev_install_restore_hooks(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction old;
        /* A handler someone else installed (e.g. to finish a trace) stays;
         * it must restore the terminal itself (uv_tty_reset_mode). */
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        struct sigaction sa = { .sa_handler = chardev_restore_terminal_signal,
                                .sa_flags = (int)SA_RESETHAND };
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
    atexit(chardev_restore_terminal_atexit);
}

static bool chardev_open_stdio(CharDev *cd, char *err, size_t errlen)
{
    cd->out = stdout;
    if (chardev_replaying(cd))
        return true; /* output only: the trace has the input */
    uv_loop_t *loop = cd->m->loop;
    uv_handle_type t = uv_guess_handle(STDIN_FILENO);
    int r = 0;
    cd->stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
    switch (t) {
    case UV_TTY:
        r = uv_tty_init(loop, &cd->in.tty, STDIN_FILENO, 1);
        if (r == 0) {
            cd->open_handles++;
            cd->in_stream = (uv_stream_t *)&cd->in.tty;
            chardev_install_restore_hooks();
            r = uv_tty_set_mode(&cd->in.tty, UV_TTY_MODE_RAW);
            cd->in_raw_tty = r == 0;
        }
        break;
    case UV_NAMED_PIPE:
        r = uv_pipe_init(loop, &cd->in.pipe, 0);
        if (r == 0) {
            cd->open_handles++;
            cd->in_stream = (uv_stream_t *)&cd->in.pipe;
            r = uv_pipe_open(&cd->in.pipe, STDIN_FILENO);
        }
        break;
    case UV_TCP:
        r = uv_tcp_init(loop, &cd->in.tcp);
        if (r == 0) {
            cd->open_handles++;
            cd->in_stream = (uv_stream_t *)&cd->in.tcp;
            r = uv_tcp_open(&cd->in.tcp, STDIN_FILENO);
        }
        break;
    case UV_FILE:
        cd->stdin_mode = STDIN_FILE;
        return true;
    default: /* closed or unusable stdin: output only */
        return true;
    }
    if (cd->in_stream)
        cd->in_stream->data = cd;
    if (r != 0) {
        snprintf(err, errlen, "-serial %s: cannot use standard input: %s", cd->spec,
                 uv_strerror(r));
        return false;
    }
    cd->stdin_mode = STDIN_STREAM;
    chardev_update_reading(cd);
    return true;
}

/* ----------------------------------------------------------------- pty */

/* A pty (devices/chardev_pty.c): its master is a libuv stream for input
 * and output; the path of its slave is printed as QEMU prints it. No
 * Ctrl-A escapes: every byte goes to the guest, as with QEMU's pty. */
static bool chardev_open_pty(CharDev *cd, char *err, size_t errlen)
{
    char path[128];
    int master = chardev_pty_open(path, sizeof(path), &cd->pty_slave, err, errlen);
    if (master < 0)
        return false;
    int r = uv_pipe_init(cd->m->loop, &cd->in.pipe, 0);
    if (r == 0) {
        cd->open_handles++;
        cd->in_stream = (uv_stream_t *)&cd->in.pipe;
        cd->in_stream->data = cd;
        r = uv_pipe_open(&cd->in.pipe, master);
    }
    if (r != 0) {
        close(master); /* not the handle's: its open failed */
        snprintf(err, errlen, "-serial %s: cannot watch %s: %s", cd->spec, path,
                 uv_strerror(r));
        return false;
    }
    /* QEMU's words (the label is the UART's: virt has only serial0), so
     * that scripts written for QEMU find the path. */
    fprintf(stderr, "char device redirected to %s (label serial0)\n", path);
    chardev_update_reading(cd);
    return true;
}

static void chardev_pty_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    CharDev *cd = s->data;
    (void)buf;
    /* An end is not expected while the slave is held open: input (and with
     * the stream, output) ends, the machine goes on. */
    if (chardev_read_without_bytes(cd, n))
        return;
    chardev_from_host(cd, cd->readbuf, (size_t)n);
    chardev_update_reading(cd);
}

/* What the pty cannot take now (no one reads it and the kernel's buffer is
 * full) is dropped, as for a TCP client that stops reading: the machine
 * never waits for the host. */
static void chardev_pty_send(CharDev *cd, const uint8_t *buf, size_t len)
{
    if (!cd->in_stream)
        return;
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    (void)uv_try_write(cd->in_stream, &b, 1);
}

/* ---------------------------------------------------------- life cycle */

CharDev *chardev_new(Machine *m, const char *spec, char *err, size_t errlen)
{
    if (!spec)
        spec = "stdio";
    CharDev *cd = calloc(1, sizeof(*cd));
    if (!cd || !(cd->spec = strdup(spec))) {
        free(cd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cd->m = m;
    cd->stdin_flags = -1;
    cd->pty_slave = -1;
    bool ok = true;
    if (strcmp(spec, "none") == 0 || strcmp(spec, "null") == 0) {
        cd->kind = CHARDEV_NONE;
    } else if (strcmp(spec, "stdio") == 0 || strcmp(spec, "mon:stdio") == 0) {
        cd->kind = CHARDEV_STDIO;
        ok = chardev_open_stdio(cd, err, errlen);
    } else if (strcmp(spec, "pty") == 0) {
        cd->kind = CHARDEV_PTY;
        ok = chardev_open_pty(cd, err, errlen);
    } else if (strncmp(spec, "file:", 5) == 0) {
        cd->kind = CHARDEV_FILE;
        if (!spec[5]) {
            snprintf(err, errlen, "-serial %s: missing file name", spec);
            ok = false;
        } else if (!(cd->out = fopen(spec + 5, "w"))) {
            snprintf(err, errlen, "-serial %s: %s", spec, strerror(errno));
            ok = false;
        } else {
            cd->out_owned = true;
        }
    } else if (strncmp(spec, "tcp:", 4) == 0) {
        cd->kind = CHARDEV_TCP;
        ok = chardev_open_tcp(cd, spec + 4, err, errlen);
    } else {
        snprintf(err, errlen, "-serial %s: unknown backend (use stdio, pty, file:PATH, "
                              "tcp:[HOST]:PORT,server[,nowait] or none)", spec);
        ok = false;
    }
    if (!ok) {
        chardev_free(cd);
        return NULL;
    }
    /* Sources are numbered in creation order, which the machine
     * configuration fixes: the same in a recording and its replay. (Host
     * input is read only from the machine's next loop turn on.) */
    for (unsigned i = 0; i < m->ninput_sinks; i++)
        cd->source += m->input_sinks[i].kind == EV_CONSOLE_INPUT;
    replay_register_sink(m, EV_CONSOLE_INPUT, cd->source, chardev_replay_sink, cd);
    return cd;
}

void chardev_free(CharDev *cd)
{
    if (!cd)
        return;
    chardev_flush(cd);
    if (cd->out_owned)
        fclose(cd->out);
    else if (cd->out)
        fflush(cd->out);
    if (cd->pty_slave >= 0)
        chardev_pty_drain(cd->pty_slave); /* closing loses what is unread */
    chardev_stop_stdin(cd); /* the pty's master too */
    if (cd->pty_slave >= 0)
        close(cd->pty_slave);
    if (cd->stdin_flags != -1)
        fcntl(STDIN_FILENO, F_SETFL, cd->stdin_flags); /* libuv made it non-blocking */
    cd->freeing = true;
    chardev_tcp_close_client(cd);
    if (cd->server_open) {
        cd->server_open = false;
        uv_close((uv_handle_t *)&cd->server, chardev_close_cb);
    }
    /* The close callbacks run at the loop's next turn (machine_free runs
     * one); the last one frees the struct. */
    if (cd->open_handles == 0)
        chardev_destroy(cd);
}
