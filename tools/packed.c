/* Packed recordings (see packed.h; the layout: docs/trace-format.md). */
#define _GNU_SOURCE /* memfd_create */
#include "tools/packed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "core/fuzzing.h"
#include "core/le.h"

/* Layout, all little endian:
 *   header  16 bytes: magic "RWNDPAK\0", u32 version, u32 entries (N)
 *   table   N x 64 bytes: u32 kind (1 trace, 2 image), u32 zero,
 *           u64 offset, u64 stored (zstd bytes), u64 size (raw bytes),
 *           u64 xxh128 low, u64 xxh128 high (of the raw bytes),
 *           char role[16] (NUL padded: "trace", "kernel", ...)
 *   data    each entry's zstd frame, at its offset
 *   footer  16 bytes: u64 XXH64 of header and table, magic "RWNDPKE\0" */
static const uint8_t pack_magic[8] = { 'R', 'W', 'N', 'D', 'P', 'A', 'K', 0 };
static const uint8_t pack_end_magic[8] = { 'R', 'W', 'N', 'D', 'P', 'K', 'E', 0 };
enum { PACK_HEADER = 16, PACK_ENTRY = 64, PACK_FOOTER = 16, PACK_ROLE = 16 };
enum { PACK_KIND_TRACE = 1, PACK_KIND_IMAGE = 2 };
/* No image or trace of a sane recording comes near this: a bound for a
 * damaged size field before anything is allocated. */
#define PACK_MAX_SIZE (64ULL << 30)

typedef struct PackEntry {
    uint32_t kind;
    uint64_t offset, stored, size, hash_lo, hash_hi;
    char role[PACK_ROLE + 1];
} PackEntry;

bool packed_is_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    uint8_t m[8];
    bool is = read(fd, m, 8) == 8 && memcmp(m, pack_magic, 8) == 0;
    close(fd);
    return is;
}

static void hex128(char out[33], uint64_t hi, uint64_t lo)
{
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, hi, lo);
}

/* ------------------------------------------------------------ reading */

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* An entry's name in messages: "the trace" or "the kernel image
 * (recorded as PATH)". */
static void entry_name(const PackEntry *e, const char *recorded, char *out, size_t len)
{
    if (e->kind == PACK_KIND_TRACE)
        snprintf(out, len, "the trace");
    else
        snprintf(out, len, "the %s image%s%.900s%s", e->role[0] ? e->role : "(unnamed)",
                 recorded ? " (recorded as " : "", recorded ? recorded : "",
                 recorded ? ")" : "");
}

/* Decompress entry e of the file into a new memory file; its hash must be
 * the recorded one. Returns the fd, or -1 with a message. */
static int unpack_entry(int fd, const char *path, const PackEntry *e, const char *recorded,
                        char *err, size_t errlen)
{
    char name[1000];
    entry_name(e, recorded, name, sizeof(name));
    /* The compressed bytes lie inside the file (read_table checked), so
     * this allocation is bounded by its size; the raw size is believed
     * only once the frame confirms it. */
    uint8_t *cbuf = malloc(e->stored ? e->stored : 1), *raw = NULL;
    int mfd = -1;
    if (!cbuf) {
        snprintf(err, errlen, "%s: %s: out of memory (%" PRIu64 " bytes)", path, name,
                 e->stored);
        goto out;
    }
    if (!read_at(fd, cbuf, e->stored, e->offset)) {
        snprintf(err, errlen, "%s: %s: cannot read its %" PRIu64 " bytes at offset %" PRIu64
                 " (cut short?)", path, name, e->stored, e->offset);
        goto out;
    }
    unsigned long long content = ZSTD_getFrameContentSize(cbuf, e->stored);
    if (content != e->size) {
        snprintf(err, errlen, "%s: %s is damaged: its compressed data does not hold the "
                 "%" PRIu64 " bytes the table says", path, name, e->size);
        goto out;
    }
    if (!(raw = malloc(e->size ? e->size : 1))) {
        snprintf(err, errlen, "%s: %s: out of memory (%" PRIu64 " bytes)", path, name, e->size);
        goto out;
    }
    size_t got = zstd_reader_decompress(raw, e->size, cbuf, e->stored);
    if (ZSTD_isError(got) || got != e->size) {
        snprintf(err, errlen, "%s: %s is damaged: %s", path, name,
                 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short data");
        goto out;
    }
    XXH128_hash_t hh = XXH3_128bits(raw, e->size);
    if (!checksum_ok(hh.low64 == e->hash_lo && hh.high64 == e->hash_hi)) {
        char now[33], want[33];
        hex128(now, hh.high64, hh.low64);
        hex128(want, e->hash_hi, e->hash_lo);
        snprintf(err, errlen, "%s: %s is not the recorded one: its bytes hash as xxh128 %s, "
                 "the pack names xxh128 %s (the packed file was altered or damaged)", path,
                 name, now, want);
        goto out;
    }
    /* Not close-on-exec: debug's replay and GDB open it as /proc/self/fd/N. */
    mfd = memfd_create(e->kind == PACK_KIND_TRACE ? "rewind-pack-trace" : "rewind-pack-image",
                       0);
    if (mfd < 0 || !write_all(mfd, raw, e->size)) {
        snprintf(err, errlen, "%s: %s: cannot make a memory file: %s", path, name,
                 strerror(errno));
        if (mfd >= 0)
            close(mfd);
        mfd = -1;
    }
out:
    free(cbuf);
    free(raw);
    return mfd;
}

/* Header, table and footer of the file: false with a message when it is
 * cut short, damaged or of another version. */
static bool read_table(int fd, const char *path, PackEntry *entries, unsigned *n,
                       char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    uint64_t size = (uint64_t)st.st_size;
    uint8_t head[PACK_HEADER];
    if (size < PACK_HEADER + PACK_FOOTER || !read_at(fd, head, sizeof(head), 0)) {
        snprintf(err, errlen, "%s: packed file cut short (%" PRIu64 " bytes)", path, size);
        return false;
    }
    uint32_t version = le_get32(head + 8), count = le_get32(head + 12);
    if (version != PACK_FORMAT_VERSION) {
        snprintf(err, errlen, "%s: packed file of format version %" PRIu32 ", this rewind "
                 "reads version %d", path, version, PACK_FORMAT_VERSION);
        return false;
    }
    uint8_t foot[PACK_FOOTER];
    if (!read_at(fd, foot, sizeof(foot), size - PACK_FOOTER) ||
        memcmp(foot + 8, pack_end_magic, 8) != 0) {
        snprintf(err, errlen, "%s: packed file cut short or damaged: it does not end with "
                 "the packed footer (%" PRIu64 " bytes)", path, size);
        return false;
    }
    if (count < 1 || count > PACK_MAX_ENTRIES ||
        PACK_HEADER + (uint64_t)count * PACK_ENTRY + PACK_FOOTER > size) {
        snprintf(err, errlen, "%s: packed file damaged: its table says %" PRIu32
                 " entries", path, count);
        return false;
    }
    size_t tlen = PACK_HEADER + (size_t)count * PACK_ENTRY;
    uint8_t *table = malloc(tlen);
    if (!table || !read_at(fd, table, tlen, 0)) {
        free(table);
        snprintf(err, errlen, "%s: cannot read the packed table", path);
        return false;
    }
    bool ok = checksum_ok(XXH64(table, tlen, 0) == le_get64(foot));
    if (!ok)
        snprintf(err, errlen, "%s: packed file damaged: its table's checksum does not "
                 "match", path);
    unsigned traces = 0;
    uint64_t data_end = size - PACK_FOOTER;
    for (unsigned i = 0; ok && i < count; i++) {
        const uint8_t *t = table + PACK_HEADER + (size_t)i * PACK_ENTRY;
        PackEntry *e = &entries[i];
        e->kind = le_get32(t);
        e->offset = le_get64(t + 8);
        e->stored = le_get64(t + 16);
        e->size = le_get64(t + 24);
        e->hash_lo = le_get64(t + 32);
        e->hash_hi = le_get64(t + 40);
        memcpy(e->role, t + 48, PACK_ROLE);
        e->role[PACK_ROLE] = 0;
        for (char *c = e->role; *c; c++)
            if (*c < ' ' || *c > '~')
                *c = '?';
        traces += e->kind == PACK_KIND_TRACE;
        if ((e->kind != PACK_KIND_TRACE && e->kind != PACK_KIND_IMAGE) ||
            e->offset < tlen || e->offset > data_end || e->stored > data_end - e->offset ||
            e->size > PACK_MAX_SIZE) {
            snprintf(err, errlen, "%s: packed file damaged: entry %u (kind %" PRIu32
                     ", offset %" PRIu64 ", %" PRIu64 " bytes) lies outside the file", path,
                     i, e->kind, e->offset, e->stored);
            ok = false;
        }
    }
    if (ok && traces != 1) {
        snprintf(err, errlen, "%s: packed file damaged: %u traces in it, not one", path,
                 traces);
        ok = false;
    }
    free(table);
    *n = count;
    return ok;
}

bool packed_open(const char *path, PackedOpen *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    if (!packed_is_file(path))
        return true;
    p->packed = true;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    PackEntry entries[PACK_MAX_ENTRIES];
    unsigned n = 0;
    int efd[PACK_MAX_ENTRIES];
    TraceReader *r = NULL;
    bool ok = read_table(fd, path, entries, &n, err, errlen);
    /* The trace first: its header names the images (for messages, and to
     * check that every image it needs is here). */
    for (unsigned i = 0; ok && i < n; i++)
        if (entries[i].kind == PACK_KIND_TRACE) {
            efd[i] = unpack_entry(fd, path, &entries[i], NULL, err, errlen);
            if (efd[i] < 0) {
                ok = false;
                break;
            }
            p->fds[p->nfds++] = efd[i];
            snprintf(p->trace, sizeof(p->trace), "/proc/self/fd/%d", efd[i]);
            char why[512];
            if (!(r = trace_reader_open(p->trace, why, sizeof(why)))) {
                snprintf(err, errlen, "%s: the packed trace: %s", path, why);
                ok = false;
            }
        }
    const TraceHeader *h = r ? trace_reader_header(r) : NULL;
    for (unsigned i = 0; ok && i < n; i++) {
        if (entries[i].kind != PACK_KIND_IMAGE)
            continue;
        const char *recorded = NULL;
        for (size_t k = 0; k < h->nimages && !recorded; k++)
            if (h->images[k].hash_lo == entries[i].hash_lo &&
                h->images[k].hash_hi == entries[i].hash_hi)
                recorded = h->images[k].path;
        efd[i] = unpack_entry(fd, path, &entries[i], recorded, err, errlen);
        if (efd[i] < 0)
            ok = false;
        else
            p->fds[p->nfds++] = efd[i];
    }
    close(fd);
    /* Every image the trace's header names must be in the pack. */
    for (size_t k = 0; ok && k < h->nimages && p->nmaps < PACK_MAX_ENTRIES; k++) {
        const TraceImage *im = &h->images[k];
        int found = -1;
        for (unsigned i = 0; i < n && found < 0; i++)
            if (entries[i].kind == PACK_KIND_IMAGE && entries[i].size == im->size &&
                entries[i].hash_lo == im->hash_lo && entries[i].hash_hi == im->hash_hi)
                found = (int)i;
        if (found < 0) {
            snprintf(err, errlen, "%s: the packed file has no %s image %s (xxh128 %016"
                     PRIx64 "%016" PRIx64 ") that its trace needs", path,
                     im->role ? im->role : "", im->path ? im->path : "?", im->hash_hi,
                     im->hash_lo);
            ok = false;
            break;
        }
        snprintf(p->from[p->nmaps], sizeof(p->from[0]), "%s", im->path ? im->path : "");
        snprintf(p->to[p->nmaps], sizeof(p->to[0]), "/proc/self/fd/%d", efd[found]);
        p->maps[p->nmaps] = (TraceImageMap){ p->from[p->nmaps], p->to[p->nmaps] };
        p->nmaps++;
    }
    if (r)
        trace_reader_close(r);
    if (!ok) {
        packed_close(p);
        p->packed = true;
    }
    return ok;
}

const char *packed_trace_path(const PackedOpen *p, const char *path)
{
    return p->packed && p->trace[0] ? p->trace : path;
}

unsigned packed_add_maps(const PackedOpen *p, const TraceImageMap *maps, unsigned nmaps,
                         TraceImageMap *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nmaps && n < max; i++)
        out[n++] = maps[i];
    for (unsigned i = 0; i < p->nmaps && n < max; i++) {
        bool mapped = false;
        for (unsigned k = 0; k < nmaps; k++)
            mapped = mapped || strcmp(maps[k].from, p->maps[i].from) == 0;
        if (!mapped)
            out[n++] = p->maps[i];
    }
    return n;
}

void packed_close(PackedOpen *p)
{
    for (unsigned i = 0; i < p->nfds; i++)
        close(p->fds[i]);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------ writing */

/* The whole file, or NULL with a message. */
static uint8_t *slurp(const char *path, uint64_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf || !read_at(fd, buf, (size_t)st.st_size, 0)) {
        snprintf(err, errlen, "%s: %s", path, buf ? "cannot read it" : "out of memory");
        free(buf);
        close(fd);
        return NULL;
    }
    close(fd);
    *len = (uint64_t)st.st_size;
    return buf;
}

static const char *map_path(const TraceImageMap *maps, unsigned nmaps, const char *path)
{
    for (unsigned i = 0; path && i < nmaps; i++)
        if (strcmp(maps[i].from, path) == 0)
            return maps[i].to;
    return path;
}

bool packed_write(const char *trace_path, const TraceHeader *h, const TraceImageMap *maps,
                  unsigned nmaps, const char *out_path, int level, char *err, size_t errlen)
{
    /* What goes in: the trace, then each distinct image (by hash). */
    PackEntry e[PACK_MAX_ENTRIES];
    const char *src[PACK_MAX_ENTRIES];
    unsigned n = 0;
    memset(e, 0, sizeof(e));
    e[n].kind = PACK_KIND_TRACE;
    snprintf(e[n].role, sizeof(e[n].role), "trace");
    src[n++] = trace_path;
    for (size_t k = 0; k < h->nimages; k++) {
        const TraceImage *im = &h->images[k];
        bool dup = false;
        for (unsigned i = 1; i < n; i++)
            dup = dup || (e[i].hash_lo == im->hash_lo && e[i].hash_hi == im->hash_hi &&
                          e[i].size == im->size);
        if (dup || n == PACK_MAX_ENTRIES)
            continue;
        e[n].kind = PACK_KIND_IMAGE;
        e[n].hash_lo = im->hash_lo;
        e[n].hash_hi = im->hash_hi;
        e[n].size = im->size;
        snprintf(e[n].role, sizeof(e[n].role), "%s", im->role ? im->role : "image");
        src[n++] = map_path(maps, nmaps, im->path);
    }

    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out_path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "-o %s: %s", tmp, strerror(errno));
        return false;
    }
    size_t tlen = PACK_HEADER + (size_t)n * PACK_ENTRY;
    uint8_t *table = calloc(1, tlen);
    uint64_t off = tlen, raw_total = 0;
    bool ok = table != NULL;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    for (unsigned i = 0; ok && i < n; i++) {
        uint64_t len = 0;
        uint8_t *raw = slurp(src[i], &len, err, errlen);
        if (!raw) {
            ok = false;
            break;
        }
        XXH128_hash_t hh = XXH3_128bits(raw, len);
        if (e[i].kind == PACK_KIND_TRACE) {
            e[i].size = len;
            e[i].hash_lo = hh.low64;
            e[i].hash_hi = hh.high64;
        } else if (len != e[i].size || hh.low64 != e[i].hash_lo || hh.high64 != e[i].hash_hi) {
            /* Checked before, but the file may have changed since. */
            snprintf(err, errlen, "%s image %s changed while it was packed", e[i].role,
                     src[i]);
            free(raw);
            ok = false;
            break;
        }
        size_t cap = ZSTD_compressBound(len);
        uint8_t *c = malloc(cap ? cap : 1);
        size_t clen = c ? ZSTD_compress(c, cap, raw, len, level) : 0;
        free(raw);
        if (!c || ZSTD_isError(clen)) {
            snprintf(err, errlen, "%s: cannot compress (%s)", src[i],
                     c ? ZSTD_getErrorName(clen) : "out of memory");
            free(c);
            ok = false;
            break;
        }
        ok = lseek(fd, (off_t)off, SEEK_SET) >= 0 && write_all(fd, c, clen);
        free(c);
        if (!ok) {
            snprintf(err, errlen, "-o %s: %s", out_path, strerror(errno));
            break;
        }
        e[i].offset = off;
        e[i].stored = clen;
        off += clen;
        raw_total += len;
        printf("  %-7s %s: %" PRIu64 " bytes, %" PRIu64 " compressed\n", e[i].role, src[i],
               len, (uint64_t)clen);
    }
    if (ok) {
        memcpy(table, pack_magic, 8);
        le_put32(table + 8, PACK_FORMAT_VERSION);
        le_put32(table + 12, n);
        for (unsigned i = 0; i < n; i++) {
            uint8_t *t = table + PACK_HEADER + (size_t)i * PACK_ENTRY;
            le_put32(t, e[i].kind);
            le_put64(t + 8, e[i].offset);
            le_put64(t + 16, e[i].stored);
            le_put64(t + 24, e[i].size);
            le_put64(t + 32, e[i].hash_lo);
            le_put64(t + 40, e[i].hash_hi);
            memcpy(t + 48, e[i].role, strnlen(e[i].role, PACK_ROLE));
        }
        uint8_t foot[PACK_FOOTER];
        le_put64(foot, XXH64(table, tlen, 0));
        memcpy(foot + 8, pack_end_magic, 8);
        ok = lseek(fd, (off_t)off, SEEK_SET) >= 0 && write_all(fd, foot, sizeof(foot)) &&
             lseek(fd, 0, SEEK_SET) == 0 && write_all(fd, table, tlen) && fsync(fd) == 0;
        if (!ok)
            snprintf(err, errlen, "-o %s: %s", out_path, strerror(errno));
    }
    free(table);
    if (close(fd) != 0 && ok) {
        snprintf(err, errlen, "-o %s: %s", out_path, strerror(errno));
        ok = false;
    }
    /* Only a complete file takes the name. */
    if (ok && rename(tmp, out_path) != 0) {
        snprintf(err, errlen, "-o %s: %s", out_path, strerror(errno));
        ok = false;
    }
    if (!ok) {
        unlink(tmp);
        return false;
    }
    printf("packed %s: the trace and %u image%s (%" PRIu64 " bytes) in %" PRIu64 " bytes\n",
           out_path, n - 1, n == 2 ? "" : "s", raw_total, off + PACK_FOOTER);
    return true;
}

/* ------------------------------------------------------------ --image-dir */

unsigned image_dir_maps(ImageDirFound *found, const TraceHeader *h, const char *dir,
                        TraceImageMap *out, unsigned n, unsigned max)
{
    for (size_t k = 0; k < h->nimages && n < max && found->n < TRACE_CONFIG_MAX_IMAGES; k++) {
        const TraceImage *im = &h->images[k];
        const char *now = map_path(out, n, im->path);
        if (!im->path || (now && access(now, F_OK) == 0))
            continue;
        DIR *d = opendir(dir);
        if (!d)
            return n;
        struct dirent *de;
        while ((de = readdir(d))) {
            char p[1024];
            if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
                continue;
            struct stat st;
            if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != im->size)
                continue;
            uint64_t size, lo, hi;
            char why[256];
            if (!trace_hash_file(p, &size, &lo, &hi, why, sizeof(why)) || size != im->size ||
                lo != im->hash_lo || hi != im->hash_hi)
                continue;
            snprintf(found->path[found->n], sizeof(found->path[0]), "%s", p);
            out[n++] = (TraceImageMap){ im->path, found->path[found->n++] };
            break;
        }
        closedir(d);
    }
    return n;
}
