/* The trace file container (docs/trace-format.md): file header, frames of
 * length-delimited Event messages compressed with zstd, index, footer.
 *
 * The writer encodes events on the caller's thread into a buffer; full or
 * old buffers go through a small bounded queue to a helper thread that
 * compresses, writes and fsyncs them, so the hart's thread never waits for
 * zstd or the disk unless the helper falls several frames behind. Host time
 * decides only when a buffer becomes a frame, never what an event holds.
 *
 * The reader trusts nothing: every length is checked against the file,
 * every frame against its two checksums (xxh32 of the stored bytes, zstd's
 * own content checksum) and against the index, and every event against its
 * frame's icount range. */
#include "config.h"

#include "replay/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "core/fuzzing.h"
#include "core/hostio.h"
#include "core/le.h"
#include "replay/replay.h"
#include "replay/trace.pb-c.h"
#include "replay/trace_header.h"

_Static_assert((int)TRACE_CONSOLE_INPUT == (int)EV_CONSOLE_INPUT, "kinds follow replay.h");
_Static_assert((int)TRACE_RTC_BASE == (int)EV_RTC_BASE, "kinds follow replay.h");
_Static_assert((int)TRACE_ENTROPY == (int)EV_ENTROPY, "kinds follow replay.h");
_Static_assert((int)TRACE_NET_RX == (int)EV_NET_RX, "kinds follow replay.h");

/* ------------------------------------------------------------ layout */

static const uint8_t trace_magic[8] = { 'R', 'W', 'N', 'D', 'T', 'R', 'C', 0 };
static const uint8_t footer_magic[8] = { 'R', 'W', 'N', 'D', 'E', 'N', 'D', 0 };
static const uint8_t frame_magic[4] = { 'R', 'W', 'F', 'R' };
static const uint8_t index_magic[4] = { 'R', 'W', 'I', 'X' };

enum {
    FILE_HDR_SIZE = 20,  /* magic, version, header length, header xxh32 */
    FRAME_HDR_SIZE = 40, /* see FrameHdr */
    FOOTER_SIZE = 24,    /* magic, index offset, reserved, xxh32 */
};

/* Writer policy and reader limits. */
enum {
    FRAME_TARGET = 1 << 20,       /* uncompressed bytes per frame */
    QUEUE_MAX = 4,                /* frames waiting for the helper */
    MAX_PAYLOAD = 16 << 20,       /* one event's payload */
    MAX_FRAME_USIZE = 64 << 20,   /* what a reader accepts */
    MAX_HEADER = 1 << 30,         /* a start checkpoint lives in the header */
    ZSTD_LEVEL = 3,
};
/* A SIGKILL loses at most the events of this much host time. */
#define FRAME_MAX_AGE_NS 250000000ULL
#define FSYNC_INTERVAL_NS 1000000000ULL

/* A frame header: 40 bytes, little endian. */
typedef struct FrameHdr {
    uint8_t magic[4];
    uint32_t csize;     /* compressed bytes that follow */
    uint32_t usize;     /* their decompressed size */
    uint32_t events;    /* events in the frame (frames in an index frame) */
    uint64_t first;     /* icount of the first and last event */
    uint64_t last;
    uint32_t data_hash; /* xxh32 of the compressed bytes */
    /* then xxh32 of the 36 bytes above */
} FrameHdr;

static void frame_hdr_encode(const FrameHdr *f, uint8_t out[FRAME_HDR_SIZE])
{
    memcpy(out, f->magic, 4);
    le_put32(out + 4, f->csize);
    le_put32(out + 8, f->usize);
    le_put32(out + 12, f->events);
    le_put64(out + 16, f->first);
    le_put64(out + 24, f->last);
    le_put32(out + 32, f->data_hash);
    le_put32(out + 36, XXH32(out, 36, 0));
}

/* False when the header's own checksum does not match. */
static bool frame_hdr_decode(const uint8_t in[FRAME_HDR_SIZE], FrameHdr *f)
{
    memcpy(f->magic, in, 4);
    f->csize = le_get32(in + 4);
    f->usize = le_get32(in + 8);
    f->events = le_get32(in + 12);
    f->first = le_get64(in + 16);
    f->last = le_get64(in + 24);
    f->data_hash = le_get32(in + 32);
    return checksum_ok(le_get32(in + 36) == XXH32(in, 36, 0));
}

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Read exactly len bytes at off; false on error or end of file. */
static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
    return hostio_pread(fd, buf, len, off) == (ssize_t)len;
}

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    uint8_t *p = realloc(*buf, n);
    if (!p)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Decode a varint of at most 10 bytes from [p, end); 0 on failure. */
static size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < 10 && p + i < end; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ shared */

uint64_t trace_payload_digest(const uint8_t *buf, size_t len)
{
    return XXH64(buf, len, 0);
}

const char *trace_kind_name(unsigned kind)
{
    switch (kind) {
    case TRACE_CONSOLE_INPUT: return "console";
    case TRACE_RTC_BASE: return "rtc";
    case TRACE_ENTROPY: return "entropy";
    case TRACE_NET_RX: return "net-rx";
    case TRACE_NET_TX: return "net-tx";
    case TRACE_DIGEST: return "digest";
    case TRACE_EXIT: return "exit";
    case TRACE_RESET: return "reset";
    case TRACE_FAIL: return "fail";
    case TRACE_END: return "end";
    default: return NULL;
    }
}

const char *trace_header_option(const TraceHeader *h, const char *key)
{
    for (size_t i = 0; i < h->noptions; i++)
        if (h->options[i].key && strcmp(h->options[i].key, key) == 0)
            return h->options[i].value;
    return NULL;
}

bool trace_file_is_trace(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    uint8_t magic[8];
    bool is = read_at(fd, magic, sizeof(magic), 0) && memcmp(magic, trace_magic, 8) == 0;
    close(fd);
    return is;
}

/* Who holds the writer's lock on fd's file (0: no one, or this process). */
static long trace_fd_recorder(int fd)
{
    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_GETLK, &lk) != 0 || lk.l_type == F_UNLCK)
        return 0;
    return (long)lk.l_pid;
}

long trace_file_recorder(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long pid = trace_fd_recorder(fd);
    close(fd);
    return pid;
}

bool trace_hash_file(const char *path, uint64_t *size, uint64_t *hash_lo,
                     uint64_t *hash_hi, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    XXH3_state_t *st = XXH3_createState();
    uint8_t *buf = malloc(1 << 20);
    bool ok = st && buf && XXH3_128bits_reset(st) == XXH_OK;
    uint64_t total = 0;
    while (ok) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            ok = false;
            break;
        }
        if (n == 0)
            break;
        XXH3_128bits_update(st, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (ok) {
        XXH128_hash_t h = XXH3_128bits_digest(st);
        *size = total;
        *hash_lo = h.low64;
        *hash_hi = h.high64;
    } else if (!st || !buf) {
        snprintf(err, errlen, "%s: out of memory", path);
    }
    free(buf);
    XXH3_freeState(st);
    close(fd);
    return ok;
}

/* ------------------------------------------------------------ writer */

typedef struct WBuf {
    uint8_t *data;
    size_t len, cap;
    uint32_t events;
    uint64_t first, last;
} WBuf;

typedef struct FrameRec {
    uint64_t offset, first, last;
    uint32_t events, csize, usize;
} FrameRec;

typedef struct KindStat {
    uint32_t kind;
    uint64_t events, bytes;
} KindStat;

enum { MAX_KIND_STATS = 64 };

struct TraceWriter {
    char *path;
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t work; /* to the helper: a frame is queued, or stop */
    pthread_cond_t done; /* from the helper: a frame is written */
    pthread_t helper;
    bool helper_running;

    /* Under mu. */
    WBuf cur;
    uint64_t cur_since; /* host time of cur's first event */
    WBuf queue[QUEUE_MAX];
    unsigned qhead, qlen;
    bool busy, stop;
    bool failed;
    char error[512];
    uint64_t events, bytes_unc, bytes_comp, bytes_written;
    uint64_t first_icount, last_icount;
    KindStat kinds[MAX_KIND_STATS];
    unsigned nkinds;
    FrameRec *frames;
    size_t nframes, frames_cap;

    /* The helper's own (the closing thread's after the join). */
    ZSTD_CCtx *cctx;
    uint8_t *cbuf;
    size_t ccap;
    uint64_t offset; /* end of the file */
    uint64_t last_sync;
    bool dirty;
};

static void writer_fail_locked(TraceWriter *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void writer_fail_locked(TraceWriter *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    w->failed = true;
    int n = snprintf(w->error, sizeof(w->error), "%s: ", w->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error + n, sizeof(w->error) - (size_t)n, fmt, ap);
    va_end(ap);
    pthread_cond_broadcast(&w->done);
}

/* Compress src into w->cbuf; returns the compressed size or 0. */
static size_t writer_compress(TraceWriter *w, const void *src, size_t len)
{
    size_t bound = ZSTD_compressBound(len);
    if (!grow(&w->cbuf, &w->ccap, bound))
        return 0;
    size_t n = ZSTD_compress2(w->cctx, w->cbuf, w->ccap, src, len);
    return ZSTD_isError(n) ? 0 : n;
}

/* Write one frame at w->offset (helper thread, or the closing thread). */
static bool writer_put_frame(TraceWriter *w, const uint8_t magic[4], const void *data,
                             size_t len, uint32_t events, uint64_t first,
                             uint64_t last, FrameRec *rec, char *why, size_t whylen)
{
    size_t c = writer_compress(w, data, len);
    if (!c) {
        snprintf(why, whylen, "zstd compression failed");
        return false;
    }
    FrameHdr f = { .csize = (uint32_t)c, .usize = (uint32_t)len, .events = events,
                   .first = first, .last = last,
                   .data_hash = XXH32(w->cbuf, c, 0) };
    memcpy(f.magic, magic, 4);
    uint8_t hdr[FRAME_HDR_SIZE];
    frame_hdr_encode(&f, hdr);
    if (!hostio_write(w->fd, hdr, sizeof(hdr)) || !hostio_write(w->fd, w->cbuf, c)) {
        snprintf(why, whylen, "write failed: %s", strerror(errno));
        return false;
    }
    *rec = (FrameRec){ .offset = w->offset, .first = first, .last = last,
                       .events = events, .csize = (uint32_t)c, .usize = (uint32_t)len };
    w->offset += FRAME_HDR_SIZE + c;
    return true;
}

static bool writer_sync(TraceWriter *w, char *why, size_t whylen)
{
    w->last_sync = host_ns();
    w->dirty = false;
    if (fdatasync(w->fd) != 0) {
        snprintf(why, whylen, "fsync failed: %s", strerror(errno));
        return false;
    }
    return true;
}

/* Move the current buffer to the queue, waiting for a free slot. */
static void writer_push_locked(TraceWriter *w)
{
    if (!w->cur.events)
        return;
    while (w->qlen == QUEUE_MAX && !w->failed)
        pthread_cond_wait(&w->done, &w->mu);
    if (w->failed) {
        free(w->cur.data);
    } else {
        w->queue[(w->qhead + w->qlen) % QUEUE_MAX] = w->cur;
        w->qlen++;
        pthread_cond_signal(&w->work);
    }
    memset(&w->cur, 0, sizeof(w->cur));
}

static void *writer_helper(void *arg)
{
    TraceWriter *w = arg;
    char why[256];
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (!w->qlen) {
            if (w->stop)
                break;
            uint64_t now = host_ns();
            /* An old buffer becomes a frame even if the guest is idle. */
            if (w->cur.events && now - w->cur_since >= FRAME_MAX_AGE_NS) {
                writer_push_locked(w);
                continue;
            }
            if (w->dirty && now - w->last_sync >= FSYNC_INTERVAL_NS) {
                pthread_mutex_unlock(&w->mu);
                bool ok = writer_sync(w, why, sizeof(why));
                pthread_mutex_lock(&w->mu);
                if (!ok)
                    writer_fail_locked(w, "%s", why);
                continue;
            }
            uint64_t deadline = UINT64_MAX;
            if (w->cur.events)
                deadline = w->cur_since + FRAME_MAX_AGE_NS;
            if (w->dirty && w->last_sync + FSYNC_INTERVAL_NS < deadline)
                deadline = w->last_sync + FSYNC_INTERVAL_NS;
            if (deadline == UINT64_MAX) {
                pthread_cond_wait(&w->work, &w->mu);
            } else {
                struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ULL),
                                       .tv_nsec = (long)(deadline % 1000000000ULL) };
                pthread_cond_timedwait(&w->work, &w->mu, &ts);
            }
            continue;
        }
        WBuf b = w->queue[w->qhead];
        w->qhead = (w->qhead + 1) % QUEUE_MAX;
        w->qlen--;
        w->busy = true;
        bool skip = w->failed;
        pthread_mutex_unlock(&w->mu);

        FrameRec rec;
        bool ok = skip || writer_put_frame(w, frame_magic, b.data, b.len, b.events,
                                           b.first, b.last, &rec, why, sizeof(why));
        if (ok && !skip) {
            if (host_ns() - w->last_sync >= FSYNC_INTERVAL_NS)
                ok = writer_sync(w, why, sizeof(why));
            else
                w->dirty = true;
        }
        free(b.data);

        pthread_mutex_lock(&w->mu);
        w->busy = false;
        if (!ok) {
            writer_fail_locked(w, "%s", why);
        } else if (!skip) {
            if (w->nframes == w->frames_cap) {
                size_t n = w->frames_cap ? 2 * w->frames_cap : 64;
                FrameRec *p = realloc(w->frames, n * sizeof(*p));
                if (!p) {
                    writer_fail_locked(w, "out of memory");
                    pthread_cond_broadcast(&w->done);
                    continue;
                }
                w->frames = p;
                w->frames_cap = n;
            }
            w->frames[w->nframes++] = rec;
            w->bytes_comp += rec.csize;
            w->bytes_written = w->offset;
        }
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* The directory entry of a new file must survive a host crash too. */
static void sync_parent_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash) {
        *(slash == dir ? slash + 1 : slash) = 0;
        d = dir;
    }
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static void writer_free(TraceWriter *w)
{
    free(w->cur.data);
    for (unsigned i = 0; i < w->qlen; i++)
        free(w->queue[(w->qhead + i) % QUEUE_MAX].data);
    if (w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    free(w->cbuf);
    free(w->frames);
    free(w->path);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

TraceWriter *trace_writer_open(const char *path, const TraceHeader *hdr,
                               char *err, size_t errlen)
{
    TraceWriter *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    w->fd = -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the helper's deadlines */
    pthread_cond_init(&w->work, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->done, NULL);
    w->path = strdup(path);
    w->cctx = ZSTD_createCCtx();
    if (!w->path || !w->cctx ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
        snprintf(err, errlen, "%s: cannot set up zstd", path);
        writer_free(w);
        return NULL;
    }
    /* Locked before it is truncated: a trace another recorder is writing
     * is left alone. The lock lasts as long as the descriptor. */
    w->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        writer_free(w);
        return NULL;
    }
    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(w->fd, F_SETLK, &lk) != 0) {
        long pid = trace_file_recorder(path);
        if (pid > 0)
            snprintf(err, errlen, "%s is being recorded by pid %ld right now", path, pid);
        else
            snprintf(err, errlen, "%s: cannot lock it: %s", path, strerror(errno));
        writer_free(w);
        return NULL;
    }
    if (ftruncate(w->fd, 0) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        writer_free(w);
        return NULL;
    }
    size_t hlen = 0;
    uint8_t *hbytes = trace_header_encode(hdr, &hlen);
    if (!hbytes) {
        snprintf(err, errlen, "%s: out of memory", path);
        writer_free(w);
        return NULL;
    }
    uint8_t fh[FILE_HDR_SIZE];
    memcpy(fh, trace_magic, 8);
    le_put32(fh + 8, TRACE_FORMAT_VERSION);
    le_put32(fh + 12, (uint32_t)hlen);
    le_put32(fh + 16, XXH32(hbytes, hlen, 0));
    bool ok = hostio_write(w->fd, fh, sizeof(fh)) && hostio_write(w->fd, hbytes, hlen);
    free(hbytes);
    char why[256];
    if (!ok || !writer_sync(w, why, sizeof(why))) {
        snprintf(err, errlen, "%s: cannot write the trace header: %s", path, strerror(errno));
        /* Emptied and never a trace (a full disk): no file is better than
         * one that every reader would call empty. Only a regular file: a
         * device node given as the path stays where it is. */
        struct stat st;
        if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode))
            unlink(path);
        writer_free(w);
        return NULL;
    }
    sync_parent_dir(path);
    w->offset = FILE_HDR_SIZE + hlen;
    w->bytes_written = w->offset;
    if (pthread_create(&w->helper, NULL, writer_helper, w) != 0) {
        snprintf(err, errlen, "%s: cannot start the writer thread", path);
        writer_free(w);
        return NULL;
    }
    w->helper_running = true;
    return w;
}

static void writer_count_kind(TraceWriter *w, uint32_t kind, size_t bytes)
{
    for (unsigned i = 0; i < w->nkinds; i++) {
        if (w->kinds[i].kind == kind) {
            w->kinds[i].events++;
            w->kinds[i].bytes += bytes;
            return;
        }
    }
    if (w->nkinds < MAX_KIND_STATS)
        w->kinds[w->nkinds++] = (KindStat){ kind, 1, bytes };
}

bool trace_writer_append(TraceWriter *w, const TraceEvent *ev)
{
    Rewind__Trace__Event pb = REWIND__TRACE__EVENT__INIT;
    /* Zero fields are left out: readers take absent as zero. */
    pb.has_icount = true;
    pb.icount = ev->icount;
    pb.has_hart = ev->hart != 0;
    pb.hart = ev->hart;
    pb.has_pc = ev->pc != 0;
    pb.pc = ev->pc;
    pb.has_kind = true;
    pb.kind = ev->kind;
    pb.has_source = ev->source != 0;
    pb.source = ev->source;
    pb.has_payload = ev->len != 0;
    pb.payload.len = ev->len;
    pb.payload.data = (uint8_t *)ev->payload;
    bool digest = ev->kind == TRACE_DIGEST;
    pb.has_digest_harts = pb.has_digest_memory = pb.has_digest_pages = digest;
    pb.digest_harts = ev->digest_harts;
    pb.digest_memory = ev->digest_memory;
    pb.digest_pages = ev->digest_pages;
    pb.has_exit_code = ev->kind == TRACE_EXIT || ev->exit_code != 0;
    pb.exit_code = ev->exit_code;
    size_t n = rewind__trace__event__get_packed_size(&pb);

    pthread_mutex_lock(&w->mu);
    bool ok = false;
    if (w->failed)
        goto out;
    if (ev->len > MAX_PAYLOAD) {
        writer_fail_locked(w, "an event payload of %zu bytes is over the limit (%d)",
                           ev->len, MAX_PAYLOAD);
        goto out;
    }
    if (w->events && ev->icount < w->last_icount) {
        writer_fail_locked(w, "event at icount %" PRIu64 " appended after icount %" PRIu64
                           " (events must come in icount order)", ev->icount, w->last_icount);
        goto out;
    }
    if (!grow(&w->cur.data, &w->cur.cap, w->cur.len + 10 + n)) {
        writer_fail_locked(w, "out of memory");
        goto out;
    }
    size_t v = put_varint(w->cur.data + w->cur.len, n);
    rewind__trace__event__pack(&pb, w->cur.data + w->cur.len + v);
    w->cur.len += v + n;
    if (!w->cur.events++) {
        w->cur.first = ev->icount;
        w->cur_since = host_ns();
        /* The helper may sleep without a deadline: wake it so that this
         * frame is cut by age even if no more events come (a recording
         * killed now must still leave it on disk). */
        pthread_cond_signal(&w->work);
    }
    w->cur.last = ev->icount;
    if (!w->events)
        w->first_icount = ev->icount;
    w->events++;
    w->last_icount = ev->icount;
    w->bytes_unc += v + n;
    writer_count_kind(w, ev->kind, ev->len);
    if (w->cur.len >= FRAME_TARGET)
        writer_push_locked(w);
    ok = !w->failed;
out:
    pthread_mutex_unlock(&w->mu);
    return ok;
}

bool trace_writer_flush(TraceWriter *w)
{
    pthread_mutex_lock(&w->mu);
    writer_push_locked(w);
    while ((w->qlen || w->busy) && !w->failed)
        pthread_cond_wait(&w->done, &w->mu);
    bool ok = !w->failed;
    pthread_mutex_unlock(&w->mu);
    if (ok && fdatasync(w->fd) != 0) {
        pthread_mutex_lock(&w->mu);
        writer_fail_locked(w, "fsync failed: %s", strerror(errno));
        pthread_mutex_unlock(&w->mu);
        ok = false;
    }
    return ok;
}

const char *trace_writer_error(const TraceWriter *w)
{
    TraceWriter *mw = (TraceWriter *)w;
    pthread_mutex_lock(&mw->mu);
    const char *e = w->failed ? w->error : NULL;
    pthread_mutex_unlock(&mw->mu);
    return e;
}

void trace_writer_stats(const TraceWriter *w, TraceWriterStats *st)
{
    TraceWriter *mw = (TraceWriter *)w;
    pthread_mutex_lock(&mw->mu);
    st->events = w->events;
    st->frames = w->nframes;
    st->bytes_uncompressed = w->bytes_unc;
    st->bytes_written = w->bytes_written;
    pthread_mutex_unlock(&mw->mu);
}

static void writer_stop_helper(TraceWriter *w)
{
    if (!w->helper_running)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->helper, NULL);
    w->helper_running = false;
}

/* The index frame and the footer (after the helper has stopped). */
static bool writer_finish(TraceWriter *w, char *why, size_t whylen)
{
    Rewind__Trace__Index idx = REWIND__TRACE__INDEX__INIT;
    Rewind__Trace__FrameInfo *fi = calloc(w->nframes + 1, sizeof(*fi));
    Rewind__Trace__FrameInfo **pfi = calloc(w->nframes + 1, sizeof(*pfi));
    Rewind__Trace__KindCount kc[MAX_KIND_STATS];
    Rewind__Trace__KindCount *pkc[MAX_KIND_STATS];
    uint8_t *buf = NULL;
    bool ok = false;
    if (!fi || !pfi) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < w->nframes; i++) {
        const FrameRec *r = &w->frames[i];
        rewind__trace__frame_info__init(&fi[i]);
        fi[i].has_offset = fi[i].has_first_icount = fi[i].has_last_icount = true;
        fi[i].has_events = fi[i].has_compressed_size = fi[i].has_uncompressed_size = true;
        fi[i].offset = r->offset;
        fi[i].first_icount = r->first;
        fi[i].last_icount = r->last;
        fi[i].events = r->events;
        fi[i].compressed_size = r->csize;
        fi[i].uncompressed_size = r->usize;
        pfi[i] = &fi[i];
    }
    idx.n_frames = w->nframes;
    idx.frames = pfi;
    idx.has_first_icount = idx.has_last_icount = idx.has_events = true;
    idx.has_compressed_bytes = idx.has_uncompressed_bytes = true;
    idx.first_icount = w->first_icount;
    idx.last_icount = w->last_icount;
    idx.events = w->events;
    idx.compressed_bytes = w->bytes_comp;
    idx.uncompressed_bytes = w->bytes_unc;
    for (unsigned i = 0; i < w->nkinds; i++) {
        rewind__trace__kind_count__init(&kc[i]);
        kc[i].has_kind = kc[i].has_events = kc[i].has_payload_bytes = true;
        kc[i].kind = w->kinds[i].kind;
        kc[i].events = w->kinds[i].events;
        kc[i].payload_bytes = w->kinds[i].bytes;
        pkc[i] = &kc[i];
    }
    idx.n_kinds = w->nkinds;
    idx.kinds = pkc;
    size_t len = rewind__trace__index__get_packed_size(&idx);
    buf = malloc(len ? len : 1);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    rewind__trace__index__pack(&idx, buf);
    uint64_t index_offset = w->offset;
    FrameRec rec;
    if (!writer_put_frame(w, index_magic, buf, len, (uint32_t)w->nframes,
                          w->first_icount, w->last_icount, &rec, why, whylen))
        goto out;
    uint8_t foot[FOOTER_SIZE];
    memcpy(foot, footer_magic, 8);
    le_put64(foot + 8, index_offset);
    le_put32(foot + 16, 0);
    le_put32(foot + 20, XXH32(foot, 20, 0));
    if (!hostio_write(w->fd, foot, sizeof(foot))) {
        snprintf(why, whylen, "write failed: %s", strerror(errno));
        goto out;
    }
    w->offset += FOOTER_SIZE;
    ok = writer_sync(w, why, whylen);
out:
    free(fi);
    free(pfi);
    free(buf);
    return ok;
}

bool trace_writer_close(TraceWriter *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    writer_push_locked(w);
    pthread_mutex_unlock(&w->mu);
    writer_stop_helper(w);
    bool ok = !w->failed;
    char why[256];
    if (ok && !writer_finish(w, why, sizeof(why))) {
        snprintf(w->error, sizeof(w->error), "%s: %s", w->path, why);
        ok = false;
    }
    if (ok && close(w->fd) != 0) {
        snprintf(w->error, sizeof(w->error), "%s: %s", w->path, strerror(errno));
        ok = false;
    }
    if (ok)
        w->fd = -1;
    else
        snprintf(err, errlen, "%s", w->error);
    writer_free(w);
    return ok;
}

void trace_writer_abandon(TraceWriter *w, bool flush)
{
    pthread_mutex_lock(&w->mu);
    if (flush) {
        writer_push_locked(w);
    } else {
        free(w->cur.data);
        memset(&w->cur, 0, sizeof(w->cur));
        for (unsigned i = 0; i < w->qlen; i++)
            free(w->queue[(w->qhead + i) % QUEUE_MAX].data);
        w->qlen = 0;
    }
    pthread_mutex_unlock(&w->mu);
    writer_stop_helper(w);
    writer_free(w);
}

/* ------------------------------------------------------------ reader */

struct TraceReader {
    char *path;
    int fd;
    uint64_t size;
    uint64_t data_start; /* first frame */
    TraceHeaderDecoded hdr;
    FrameRec *frames; /* the readable event frames */
    size_t nframes;
    bool complete;
    char note[512];
    long recorder_pid; /* a recorder holds the file's lock: still being written */
    ZSTD_DCtx *dctx;

    /* Iteration. */
    size_t next_frame;  /* to load when the current one is used up */
    size_t cur_frame;   /* loaded (SIZE_MAX: none) */
    uint8_t *cbuf, *ubuf;
    size_t ccap, ucap;
    size_t upos, ulen;
    uint32_t seen;      /* events returned from the loaded frame */
    uint64_t prev_icount;
    Rewind__Trace__Event *ev;
    bool failed;
    char error[512];
};

static void reader_fail(TraceReader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reader_fail(TraceReader *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
}

static void frame_fail(TraceReader *r, size_t i, const char *why)
{
    const FrameRec *f = &r->frames[i];
    reader_fail(r, "%s: frame %zu at offset %" PRIu64 " (icount %" PRIu64 "..%" PRIu64
                ") is damaged: %s", r->path, i + 1, f->offset, f->first, f->last, why);
}

/* Read and check a frame header at off; a reason in why when it is bad. */
static bool reader_frame_hdr(TraceReader *r, uint64_t off, FrameHdr *f, char *why,
                             size_t whylen)
{
    uint8_t b[FRAME_HDR_SIZE];
    if (off + FRAME_HDR_SIZE > r->size || !read_at(r->fd, b, sizeof(b), off)) {
        snprintf(why, whylen, "the frame header at offset %" PRIu64 " is cut short", off);
        return false;
    }
    if (!frame_hdr_decode(b, f)) {
        snprintf(why, whylen, "the frame header at offset %" PRIu64 " fails its checksum", off);
        return false;
    }
    if (f->usize > MAX_FRAME_USIZE || f->first > f->last) {
        snprintf(why, whylen, "the frame header at offset %" PRIu64 " is inconsistent", off);
        return false;
    }
    return true;
}

/* Read the compressed bytes of a frame and decompress them into r->ubuf. */
static bool reader_frame_data(TraceReader *r, uint64_t off, const FrameHdr *f,
                              char *why, size_t whylen)
{
    uint64_t start = off + FRAME_HDR_SIZE;
    if (start + f->csize > r->size || !grow(&r->cbuf, &r->ccap, f->csize + 1) ||
        !read_at(r->fd, r->cbuf, f->csize, start)) {
        snprintf(why, whylen, "its %" PRIu32 " bytes go beyond the end of the file", f->csize);
        return false;
    }
    if (!checksum_ok(XXH32(r->cbuf, f->csize, 0) == f->data_hash)) {
        snprintf(why, whylen, "frame checksum (xxh32) mismatch");
        return false;
    }
    unsigned long long content = ZSTD_getFrameContentSize(r->cbuf, f->csize);
    if (content != f->usize) {
        snprintf(why, whylen, "the zstd frame does not hold the %" PRIu32 " bytes announced",
                 f->usize);
        return false;
    }
    if (!grow(&r->ubuf, &r->ucap, (size_t)f->usize + 1)) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    size_t n = ZSTD_decompressDCtx(r->dctx, r->ubuf, r->ucap, r->cbuf, f->csize);
    if (ZSTD_isError(n)) {
        snprintf(why, whylen, "zstd: %s", ZSTD_getErrorName(n));
        return false;
    }
    if (n != f->usize) {
        snprintf(why, whylen, "decompressed to %zu bytes instead of %" PRIu32, n, f->usize);
        return false;
    }
    r->ulen = n;
    return true;
}

static bool reader_add_frame(TraceReader *r, const FrameRec *rec, size_t *cap)
{
    if (r->nframes == *cap) {
        size_t n = *cap ? 2 * *cap : 64;
        FrameRec *p = realloc(r->frames, n * sizeof(*p));
        if (!p)
            return false;
        r->frames = p;
        *cap = n;
    }
    r->frames[r->nframes++] = *rec;
    return true;
}

/* Find the frames from the footer's index. False (with why) when there is
 * no usable index: the caller then scans the frames one by one. */
static bool reader_load_index(TraceReader *r, char *why, size_t whylen)
{
    uint8_t foot[FOOTER_SIZE];
    if (r->size < r->data_start + FOOTER_SIZE ||
        !read_at(r->fd, foot, sizeof(foot), r->size - FOOTER_SIZE) ||
        memcmp(foot, footer_magic, 8) != 0) {
        snprintf(why, whylen, "no footer");
        return false;
    }
    if (!checksum_ok(le_get32(foot + 20) == XXH32(foot, 20, 0))) {
        snprintf(why, whylen, "the footer fails its checksum");
        return false;
    }
    uint64_t ioff = le_get64(foot + 8);
    FrameHdr f;
    if (ioff < r->data_start || ioff > r->size - FOOTER_SIZE - FRAME_HDR_SIZE ||
        !reader_frame_hdr(r, ioff, &f, why, whylen) || memcmp(f.magic, index_magic, 4) != 0 ||
        ioff + FRAME_HDR_SIZE + f.csize != r->size - FOOTER_SIZE) {
        snprintf(why, whylen, "the footer points to no index frame");
        return false;
    }
    char dwhy[200];
    if (!reader_frame_data(r, ioff, &f, dwhy, sizeof(dwhy))) {
        snprintf(why, whylen, "the index is damaged (%s)", dwhy);
        return false;
    }
    Rewind__Trace__Index *idx = rewind__trace__index__unpack(NULL, r->ulen, r->ubuf);
    if (!idx) {
        snprintf(why, whylen, "the index cannot be decoded (protobuf)");
        return false;
    }
    bool ok = idx->n_frames == f.events;
    uint64_t expect = r->data_start, prev_last = 0;
    size_t cap = 0;
    for (size_t i = 0; ok && i < idx->n_frames; i++) {
        const Rewind__Trace__FrameInfo *fi = idx->frames[i];
        FrameRec rec = { .offset = fi->offset, .first = fi->first_icount,
                         .last = fi->last_icount, .events = fi->events,
                         .csize = fi->compressed_size, .usize = fi->uncompressed_size };
        /* Frames lie end to end between the header and the index. */
        ok = rec.offset == expect && rec.first <= rec.last && rec.first >= prev_last &&
             rec.events > 0 && rec.usize <= MAX_FRAME_USIZE &&
             rec.offset + FRAME_HDR_SIZE + rec.csize <= ioff &&
             reader_add_frame(r, &rec, &cap);
        expect = rec.offset + FRAME_HDR_SIZE + rec.csize;
        prev_last = rec.last;
    }
    ok = ok && expect == ioff;
    rewind__trace__index__free_unpacked(idx, NULL);
    if (!ok) {
        r->nframes = 0;
        snprintf(why, whylen, "the index does not match the frames");
        return false;
    }
    return true;
}

/* No index: walk the frame headers from the start; the readable part ends
 * at the first frame that is cut short or damaged. */
static void reader_scan(TraceReader *r, const char *no_index, bool interrupted)
{
    uint64_t off = r->data_start, prev_last = 0;
    size_t cap = 0;
    char why[400] = "";
    r->nframes = 0;
    for (;;) {
        if (off == r->size) {
            snprintf(why, sizeof(why), "%s", no_index);
            break;
        }
        FrameHdr f;
        if (!reader_frame_hdr(r, off, &f, why, sizeof(why)))
            break;
        if (memcmp(f.magic, index_magic, 4) == 0) {
            snprintf(why, sizeof(why), "%s", no_index);
            break;
        }
        if (memcmp(f.magic, frame_magic, 4) != 0 || !f.events || f.first < prev_last) {
            snprintf(why, sizeof(why), "no frame at offset %" PRIu64, off);
            break;
        }
        if (off + FRAME_HDR_SIZE + f.csize > r->size) {
            snprintf(why, sizeof(why), "frame %zu at offset %" PRIu64 " is cut short (%" PRIu64
                     " of %" PRIu32 " bytes)", r->nframes + 1, off,
                     r->size - off - FRAME_HDR_SIZE, f.csize);
            break;
        }
        FrameRec rec = { .offset = off, .first = f.first, .last = f.last,
                         .events = f.events, .csize = f.csize, .usize = f.usize };
        if (!reader_add_frame(r, &rec, &cap)) {
            snprintf(why, sizeof(why), "out of memory");
            break;
        }
        off += FRAME_HDR_SIZE + f.csize;
        prev_last = f.last;
    }
    uint64_t last = r->nframes ? r->frames[r->nframes - 1].last : 0;
    if (r->recorder_pid > 0)
        snprintf(r->note, sizeof(r->note),
                 "%s: still being recorded by pid %ld: so far the trace holds %zu frames, "
                 "up to icount %" PRIu64, r->path, r->recorder_pid, r->nframes, last);
    else if (!interrupted)
        snprintf(r->note, sizeof(r->note),
                 "%s: %s: %zu frames found by scanning, up to icount %" PRIu64 "%s%s",
                 r->path, no_index, r->nframes, last,
                 strcmp(why, no_index) ? "; then " : "", strcmp(why, no_index) ? why : "");
    else if (r->nframes)
        snprintf(r->note, sizeof(r->note),
                 "%s: the trace ends after frame %zu at icount %" PRIu64
                 ": the recording was interrupted (%s)", r->path, r->nframes, last, why);
    else
        snprintf(r->note, sizeof(r->note),
                 "%s: the trace ends before its first frame: the recording was "
                 "interrupted (%s)", r->path, why);
}

static bool reader_header(TraceReader *r, char *err, size_t errlen)
{
    uint8_t fh[FILE_HDR_SIZE];
    if (r->size == 0) {
        snprintf(err, errlen, "%s: empty file (not a rewind trace)", r->path);
        return false;
    }
    size_t have = r->size < FILE_HDR_SIZE ? (size_t)r->size : FILE_HDR_SIZE;
    if (!read_at(r->fd, fh, have, 0)) {
        snprintf(err, errlen, "%s: %s", r->path, strerror(errno));
        return false;
    }
    if (have < 8 || memcmp(fh, trace_magic, 8) != 0) {
        bool prefix = memcmp(fh, trace_magic, have < 8 ? have : 8) == 0;
        if (prefix)
            snprintf(err, errlen, "%s: cut short in its first %zu bytes (a rewind trace "
                     "whose recording was interrupted before it started)", r->path, have);
        else
            snprintf(err, errlen, "%s: not a rewind trace (no RWNDTRC magic)", r->path);
        return false;
    }
    if (have < FILE_HDR_SIZE) {
        snprintf(err, errlen, "%s: cut short inside its file header (%zu of %d bytes): the "
                 "recording was interrupted before it started", r->path, have, FILE_HDR_SIZE);
        return false;
    }
    uint32_t version = le_get32(fh + 8);
    if (version > TRACE_FORMAT_VERSION) {
        snprintf(err, errlen, "%s: trace format version %" PRIu32 " is newer than this "
                 "rewind (%d): read it with a newer rewind", r->path, version,
                 TRACE_FORMAT_VERSION);
        return false;
    }
    if (version == 0) {
        snprintf(err, errlen, "%s: not a rewind trace (format version 0)", r->path);
        return false;
    }
    uint32_t hlen = le_get32(fh + 12);
    if (hlen > MAX_HEADER) {
        snprintf(err, errlen, "%s: the trace header is damaged (length %" PRIu32 ")",
                 r->path, hlen);
        return false;
    }
    if (FILE_HDR_SIZE + (uint64_t)hlen > r->size) {
        snprintf(err, errlen, "%s: cut short inside its header (%" PRIu64 " of %" PRIu32
                 " bytes): the recording was interrupted before it started", r->path,
                 r->size - FILE_HDR_SIZE, hlen);
        return false;
    }
    uint8_t *hb = malloc(hlen ? hlen : 1);
    if (!hb || !read_at(r->fd, hb, hlen, FILE_HDR_SIZE)) {
        snprintf(err, errlen, "%s: cannot read the header", r->path);
        free(hb);
        return false;
    }
    if (!checksum_ok(XXH32(hb, hlen, 0) == le_get32(fh + 16))) {
        snprintf(err, errlen, "%s: the trace header is damaged (checksum mismatch)", r->path);
        free(hb);
        return false;
    }
    bool decoded = trace_header_decode(hb, hlen, &r->hdr);
    free(hb);
    if (!decoded) {
        snprintf(err, errlen, "%s: the trace header is damaged (protobuf cannot decode it)",
                 r->path);
        return false;
    }
    r->data_start = FILE_HDR_SIZE + (uint64_t)hlen;
    return true;
}

TraceReader *trace_reader_open(const char *path, char *err, size_t errlen)
{
    TraceReader *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    r->fd = -1;
    r->cur_frame = SIZE_MAX;
    r->path = strdup(path);
    r->dctx = zstd_reader_dctx();
    if (!r->path || !r->dctx) {
        snprintf(err, errlen, "%s: out of memory", path);
        trace_reader_close(r);
        return NULL;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        trace_reader_close(r);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        trace_reader_close(r);
        return NULL;
    }
    r->size = (uint64_t)st.st_size;
    if (!reader_header(r, err, errlen)) {
        trace_reader_close(r);
        return NULL;
    }
    char why[256];
    if (reader_load_index(r, why, sizeof(why))) {
        r->complete = true;
    } else {
        bool missing = strcmp(why, "no footer") == 0;
        r->recorder_pid = trace_fd_recorder(r->fd);
        reader_scan(r, missing ? "no index or footer" : why, missing);
    }
    return r;
}

const TraceHeader *trace_reader_header(const TraceReader *r)
{
    return &r->hdr.hdr;
}

const char *trace_reader_path(const TraceReader *r)
{
    return r->path;
}

const char *trace_reader_error(const TraceReader *r)
{
    return r->failed ? r->error : NULL;
}

void trace_reader_summary(const TraceReader *r, TraceSummary *s)
{
    memset(s, 0, sizeof(*s));
    s->complete = r->complete;
    s->recorder_pid = r->recorder_pid;
    s->frames = r->nframes;
    s->file_size = r->size;
    for (size_t i = 0; i < r->nframes; i++) {
        s->events += r->frames[i].events;
        s->compressed_bytes += r->frames[i].csize;
        s->uncompressed_bytes += r->frames[i].usize;
    }
    if (r->nframes) {
        s->first_icount = r->frames[0].first;
        s->last_icount = r->frames[r->nframes - 1].last;
    }
    if (!r->complete)
        snprintf(s->note, sizeof(s->note), "%s", r->note);
}

/* Load frame i into r->ubuf after checking it against its record. */
static bool reader_load_frame(TraceReader *r, size_t i)
{
    const FrameRec *rec = &r->frames[i];
    FrameHdr f;
    char why[256];
    r->cur_frame = SIZE_MAX;
    if (!reader_frame_hdr(r, rec->offset, &f, why, sizeof(why))) {
        frame_fail(r, i, why);
        return false;
    }
    if (memcmp(f.magic, frame_magic, 4) != 0 || f.csize != rec->csize ||
        f.usize != rec->usize || f.events != rec->events || f.first != rec->first ||
        f.last != rec->last) {
        frame_fail(r, i, "its header does not match the index");
        return false;
    }
    if (!reader_frame_data(r, rec->offset, &f, why, sizeof(why))) {
        frame_fail(r, i, why);
        return false;
    }
    r->cur_frame = i;
    r->upos = 0;
    r->seen = 0;
    return true;
}

int trace_reader_next(TraceReader *r, TraceEvent *out)
{
    if (r->failed)
        return -1;
    if (r->ev) {
        rewind__trace__event__free_unpacked(r->ev, NULL);
        r->ev = NULL;
    }
    while (r->cur_frame == SIZE_MAX || r->upos == r->ulen) {
        if (r->cur_frame != SIZE_MAX) {
            size_t i = r->cur_frame;
            if (r->seen != r->frames[i].events) {
                frame_fail(r, i, "it holds fewer events than its header says");
                return -1;
            }
            if (r->prev_icount != r->frames[i].last) {
                frame_fail(r, i, "its last event is not at its last icount");
                return -1;
            }
            r->cur_frame = SIZE_MAX;
        }
        if (r->next_frame >= r->nframes)
            return 0;
        if (!reader_load_frame(r, r->next_frame++))
            return -1;
    }
    size_t i = r->cur_frame;
    const FrameRec *fr = &r->frames[i];
    uint64_t len;
    size_t v = get_varint(r->ubuf + r->upos, r->ubuf + r->ulen, &len);
    if (!v || len > r->ulen - r->upos - v) {
        frame_fail(r, i, "an event length goes beyond the frame");
        return -1;
    }
    if (r->seen == fr->events) {
        frame_fail(r, i, "it holds more events than its header says");
        return -1;
    }
    r->ev = rewind__trace__event__unpack(NULL, (size_t)len, r->ubuf + r->upos + v);
    if (!r->ev) {
        char why[64];
        snprintf(why, sizeof(why), "event %" PRIu32 " cannot be decoded (protobuf)",
                 r->seen + 1);
        frame_fail(r, i, why);
        return -1;
    }
    r->upos += v + (size_t)len;
    const Rewind__Trace__Event *e = r->ev;
    bool first = r->seen == 0;
    if (e->icount < fr->first || e->icount > fr->last || (first && e->icount != fr->first) ||
        (!first && e->icount < r->prev_icount)) {
        char why[128];
        snprintf(why, sizeof(why), "event %" PRIu32 " at icount %" PRIu64
                 " is out of order", r->seen + 1, e->icount);
        frame_fail(r, i, why);
        return -1;
    }
    r->seen++;
    r->prev_icount = e->icount;
    *out = (TraceEvent){
        .icount = e->icount, .hart = e->hart, .pc = e->pc, .kind = e->kind,
        .source = e->source, .payload = e->has_payload ? e->payload.data : NULL,
        .len = e->has_payload ? e->payload.len : 0,
        .digest_harts = e->digest_harts, .digest_memory = e->digest_memory,
        .digest_pages = e->digest_pages, .exit_code = e->exit_code,
    };
    return 1;
}

bool trace_reader_seek(TraceReader *r, uint64_t icount)
{
    if (r->failed)
        return false;
    if (r->ev) {
        rewind__trace__event__free_unpacked(r->ev, NULL);
        r->ev = NULL;
    }
    /* The first frame that may hold an event at or after icount. */
    size_t lo = 0, hi = r->nframes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->frames[mid].last < icount)
            lo = mid + 1;
        else
            hi = mid;
    }
    r->cur_frame = SIZE_MAX;
    r->next_frame = lo;
    if (lo == r->nframes)
        return true;
    if (!reader_load_frame(r, r->next_frame++))
        return false;
    /* Skip the frame's earlier events; the next call returns the first
     * event at or after icount. */
    for (;;) {
        size_t pos = r->upos;
        uint32_t seen = r->seen;
        uint64_t prev = r->prev_icount;
        TraceEvent ev;
        int rc = trace_reader_next(r, &ev);
        if (rc < 0)
            return false;
        if (rc == 0)
            return true;
        if (ev.icount >= icount) {
            rewind__trace__event__free_unpacked(r->ev, NULL);
            r->ev = NULL;
            r->upos = pos;
            r->seen = seen;
            r->prev_icount = prev;
            return true;
        }
    }
}

void trace_reader_close(TraceReader *r)
{
    if (!r)
        return;
    if (r->ev)
        rewind__trace__event__free_unpacked(r->ev, NULL);
    trace_header_decoded_free(&r->hdr);
    if (r->fd >= 0)
        close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    free(r->frames);
    free(r->cbuf);
    free(r->ubuf);
    free(r->path);
    free(r);
}
