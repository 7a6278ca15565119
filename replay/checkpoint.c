/* Checkpoint files: container, state message, load into a machine. */
#include "config.h"

#include "replay/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "core/fuzzing.h"
#include "core/hostio.h"
#include "core/le.h"
#include "core/machine.h"
#include "core/snapshot.h"
#include "replay/checkpoint.pb-c.h"
#include "replay/trace_header.h"
#include "translator/tb_cache.h"

/* ------------------------------------------------------------ layout */

static const uint8_t ckpt_magic[8] = { 'R', 'W', 'N', 'D', 'C', 'K', 'P', 0 };
static const uint8_t ckpt_end_magic[8] = { 'R', 'W', 'N', 'D', 'C', 'K', 'E', 0 };
static const uint8_t state_magic[4] = { 'R', 'W', 'S', 'T' };
static const uint8_t ram_magic[4] = { 'R', 'W', 'R', 'M' };

enum {
    FILE_HDR_SIZE = 16,    /* magic, format version, reserved */
    SECTION_HDR_SIZE = 12, /* magic, compressed size, uncompressed size */
    FOOTER_SIZE = 24,      /* magic, bytes before the footer, XXH64 of them */
    CKPT_PAGE = 4096,
    PAGES_PER_SECTION = 256,
    RECORD_SIZE = 4 + CKPT_PAGE, /* page index, bytes */
    ZSTD_LEVEL = 3,
    RAM_SECTION_MAX = PAGES_PER_SECTION * RECORD_SIZE, /* the writer's sections */
    STATE_MAX = 1 << 30, /* harts and device states: far less in practice */
    ZSTD_MAX_RATIO = 32768,
};

/* ------------------------------------------------------------ CSRs by name */

#define CSR_FIELD(f) { #f, offsetof(Csrs, f), sizeof(((Csrs *)0)->f) }
static const struct {
    const char *name;
    size_t off, size;
} csr_fields[] = {
    CSR_FIELD(mstatus), CSR_FIELD(misa), CSR_FIELD(medeleg), CSR_FIELD(mideleg),
    CSR_FIELD(mie), CSR_FIELD(mip), CSR_FIELD(mtvec), CSR_FIELD(mscratch),
    CSR_FIELD(mepc), CSR_FIELD(mcause), CSR_FIELD(mtval), CSR_FIELD(stvec),
    CSR_FIELD(sscratch), CSR_FIELD(sepc), CSR_FIELD(scause), CSR_FIELD(stval),
    CSR_FIELD(satp), CSR_FIELD(mcounteren), CSR_FIELD(scounteren),
    CSR_FIELD(mcountinhibit), CSR_FIELD(menvcfg), CSR_FIELD(senvcfg),
    CSR_FIELD(mhartid), CSR_FIELD(fflags), CSR_FIELD(frm),
    CSR_FIELD(mcycle_offset), CSR_FIELD(minstret_offset), CSR_FIELD(stimecmp),
    CSR_FIELD(tselect), CSR_FIELD(tcontrol), CSR_FIELD(tdata1[0]), CSR_FIELD(tdata1[1]),
    CSR_FIELD(tdata2[0]), CSR_FIELD(tdata2[1]),
};
enum { NCSR_FIELDS = sizeof(csr_fields) / sizeof(csr_fields[0]),
       NCSRS = NCSR_FIELDS + 2 * PMP_COUNT };

/* The name of CSR slot i (the fields, then pmp<N>cfg, then pmpaddr<N>). */
static void csr_name(unsigned i, char *buf, size_t len)
{
    if (i < NCSR_FIELDS)
        snprintf(buf, len, "%s", csr_fields[i].name);
    else if (i < NCSR_FIELDS + PMP_COUNT)
        snprintf(buf, len, "pmp%ucfg", i - NCSR_FIELDS);
    else
        snprintf(buf, len, "pmpaddr%u", i - NCSR_FIELDS - PMP_COUNT);
}

static uint64_t csr_get(const Csrs *c, unsigned i)
{
    if (i < NCSR_FIELDS) {
        uint64_t v = 0;
        memcpy(&v, (const uint8_t *)c + csr_fields[i].off, csr_fields[i].size);
        return v;
    }
    if (i < NCSR_FIELDS + PMP_COUNT)
        return c->pmpcfg[i - NCSR_FIELDS];
    return c->pmpaddr[i - NCSR_FIELDS - PMP_COUNT];
}

/* false when v does not fit the field. */
static bool csr_set(Csrs *c, unsigned i, uint64_t v)
{
    if (i < NCSR_FIELDS) {
        size_t size = csr_fields[i].size;
        if (size < 8 && v >> (8 * size))
            return false;
        memcpy((uint8_t *)c + csr_fields[i].off, &v, size);
    } else if (i < NCSR_FIELDS + PMP_COUNT) {
        if (v > 0xff)
            return false;
        c->pmpcfg[i - NCSR_FIELDS] = (uint8_t)v;
    } else {
        c->pmpaddr[i - NCSR_FIELDS - PMP_COUNT] = v;
    }
    return true;
}

static int csr_find(const char *name)
{
    char buf[32];
    for (unsigned i = 0; i < NCSRS; i++) {
        csr_name(i, buf, sizeof(buf));
        if (strcmp(buf, name) == 0)
            return (int)i;
    }
    return -1;
}

/* ------------------------------------------------------------ writing */

/* The file being written: a temporary file beside the target, renamed
 * over it once complete. */
typedef struct CkptOut {
    int fd;
    char *tmp;
    XXH64_state_t *sum;
    uint64_t bytes;
    ZSTD_CCtx *cctx;
    uint8_t *cbuf;
    size_t ccap;
} CkptOut;

static bool out_write(CkptOut *o, const void *buf, size_t len)
{
    if (!hostio_write(o->fd, buf, len))
        return false;
    XXH64_update(o->sum, buf, len);
    o->bytes += len;
    return true;
}

static bool out_section(CkptOut *o, const uint8_t magic[4], const void *data, size_t len)
{
    size_t need = ZSTD_compressBound(len);
    if (need > o->ccap) {
        free(o->cbuf);
        o->cbuf = malloc(need);
        o->ccap = o->cbuf ? need : 0;
        if (!o->cbuf) {
            errno = ENOMEM;
            return false;
        }
    }
    size_t clen = ZSTD_compress2(o->cctx, o->cbuf, o->ccap, data, len);
    if (ZSTD_isError(clen) || clen > UINT32_MAX || len > UINT32_MAX) {
        errno = EINVAL;
        return false;
    }
    uint8_t hdr[SECTION_HDR_SIZE];
    memcpy(hdr, magic, 4);
    le_put32(hdr + 4, (uint32_t)clen);
    le_put32(hdr + 8, (uint32_t)len);
    return out_write(o, hdr, sizeof(hdr)) && out_write(o, o->cbuf, clen);
}

static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[CKPT_PAGE];
    return memcmp(p, zero, CKPT_PAGE) == 0;
}

/* The State message's parts, freed together. */
typedef struct StateParts {
    Rewind__Checkpoint__State st;
    Rewind__Trace__Header *machine;
    Rewind__Checkpoint__HartState harts[MACHINE_MAX_HARTS], *pharts[MACHINE_MAX_HARTS];
    uint64_t xs[MACHINE_MAX_HARTS][32], fs[MACHINE_MAX_HARTS][32];
    Rewind__Checkpoint__Csr csrs[MACHINE_MAX_HARTS][NCSRS], *pcsrs[MACHINE_MAX_HARTS][NCSRS];
    char csr_names[NCSRS][32];
    Rewind__Checkpoint__DeviceState devs[MACHINE_MAX_DEVICES], *pdevs[MACHINE_MAX_DEVICES];
    uint8_t *dev_bytes[MACHINE_MAX_DEVICES];
    uint8_t chaos[CHAOS_STATE_BYTES];
} StateParts;

static void state_parts_free(StateParts *sp)
{
    if (sp->machine)
        rewind__trace__header__free_unpacked(sp->machine, NULL);
    for (unsigned i = 0; i < MACHINE_MAX_DEVICES; i++)
        free(sp->dev_bytes[i]);
    free(sp);
}

static StateParts *state_build(Machine *m, const TraceHeader *machine, uint64_t pages,
                               char *err, size_t errlen)
{
    StateParts *sp = calloc(1, sizeof(*sp));
    if (!sp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    Rewind__Checkpoint__State *st = &sp->st;
    rewind__checkpoint__state__init(st);
    st->has_schema_version = true;
    st->schema_version = CHECKPOINT_SCHEMA_VERSION;
    st->rewind_version = (char *)PACKAGE_VERSION;
    st->has_engine_revision = true;
    st->engine_revision = MACHINE_ENGINE_REVISION;
    size_t hlen;
    uint8_t *hbytes = trace_header_encode(machine, &hlen);
    sp->machine = hbytes ? rewind__trace__header__unpack(NULL, hlen, hbytes) : NULL;
    free(hbytes);
    if (!sp->machine) {
        snprintf(err, errlen, "out of memory");
        state_parts_free(sp);
        return NULL;
    }
    st->machine = sp->machine;
    st->has_icount = true;
    st->icount = machine_icount(m);
    for (unsigned i = 0; i < NCSRS; i++)
        csr_name(i, sp->csr_names[i], sizeof(sp->csr_names[i]));
    for (unsigned i = 0; i < m->nharts; i++) {
        HartArch a;
        hart_arch_get(&m->harts[i], &a);
        Rewind__Checkpoint__HartState *hs = &sp->harts[i];
        rewind__checkpoint__hart_state__init(hs);
        hs->has_id = true;
        hs->id = i;
        memcpy(sp->xs[i], a.x, sizeof(sp->xs[i])); /* x0..x31; x[32] is the sink */
        memcpy(sp->fs[i], a.f, sizeof(sp->fs[i]));
        hs->n_x = 32;
        hs->x = sp->xs[i];
        hs->n_f = 32;
        hs->f = sp->fs[i];
        hs->has_pc = hs->has_priv = hs->has_lr_addr = hs->has_lr_valid = true;
        hs->has_icount = hs->has_wfi = true;
        hs->pc = a.pc;
        hs->priv = a.priv;
        hs->lr_addr = a.lr_addr;
        hs->lr_valid = a.lr_valid;
        hs->icount = a.icount;
        hs->wfi = a.wfi;
        for (unsigned k = 0; k < NCSRS; k++) {
            Rewind__Checkpoint__Csr *c = &sp->csrs[i][k];
            rewind__checkpoint__csr__init(c);
            c->name = sp->csr_names[k];
            c->has_value = true;
            c->value = csr_get(&a.csr, k);
            sp->pcsrs[i][k] = c;
        }
        hs->n_csrs = NCSRS;
        hs->csrs = sp->pcsrs[i];
        sp->pharts[i] = hs;
    }
    st->n_harts = m->nharts;
    st->harts = sp->pharts;
    st->has_mtime_skipped = st->has_next_digest = st->has_sched_hart = true;
    st->has_sched_done = st->has_sched_progress = st->has_reset_requested = true;
    st->mtime_skipped = m->mtime_skipped;
    st->next_digest = m->next_digest;
    st->sched_hart = m->sched.hart;
    st->sched_done = m->sched.done;
    st->sched_progress = m->sched.progress;
    if (m->cfg.chaos.on) { /* only then is there a chaos state to keep */
        chaos_state_pack(&m->sched.chaos, sp->chaos);
        st->has_sched_chaos = true;
        st->sched_chaos.data = sp->chaos;
        st->sched_chaos.len = sizeof(sp->chaos);
    }
    st->reset_requested = m->reset_requested;
    unsigned nd = 0;
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save)
            continue;
        if (md->release && !md->save_flat) {
            snprintf(err, errlen, "device %s cannot write its state to a file", md->name);
            state_parts_free(sp);
            return NULL;
        }
        size_t (*save)(void *, void *, size_t) = md->save_flat ? md->save_flat : md->save;
        size_t len = save(md->opaque, NULL, 0);
        uint8_t *buf = malloc(len ? len : 1);
        sp->dev_bytes[nd] = buf;
        if (!buf || save(md->opaque, buf, len) != len) {
            snprintf(err, errlen, "device %s: cannot save its state", md->name);
            state_parts_free(sp);
            return NULL;
        }
        Rewind__Checkpoint__DeviceState *d = &sp->devs[nd];
        rewind__checkpoint__device_state__init(d);
        d->name = (char *)(md->name ? md->name : "");
        d->has_state = true;
        d->state.data = buf;
        d->state.len = len;
        sp->pdevs[nd] = d;
        nd++;
    }
    st->n_devices = nd;
    st->devices = sp->pdevs;
    st->has_ram_size = st->has_page_size = st->has_pages = st->has_digest_written = true;
    st->ram_size = m->mem.ram_size;
    st->page_size = CKPT_PAGE;
    st->pages = pages;
    st->digest_written.data = m->mem.dirty_bitmap;
    st->digest_written.len = (m->mem.ram_size / CKPT_PAGE + 7) / 8;
    return sp;
}

static bool write_body(Machine *m, const TraceHeader *machine, CkptOut *o, char *err,
                       size_t errlen)
{
    uint64_t npages = m->mem.ram_size / CKPT_PAGE, pages = 0;
    for (uint64_t i = 0; i < npages; i++)
        pages += !page_is_zero(m->mem.ram + i * CKPT_PAGE);

    uint8_t fh[FILE_HDR_SIZE] = { 0 };
    memcpy(fh, ckpt_magic, 8);
    le_put32(fh + 8, CHECKPOINT_FORMAT_VERSION);
    if (!out_write(o, fh, sizeof(fh)))
        goto io_error;

    StateParts *sp = state_build(m, machine, pages, err, errlen);
    if (!sp)
        return false;
    size_t slen = rewind__checkpoint__state__get_packed_size(&sp->st);
    uint8_t *sbuf = malloc(slen ? slen : 1);
    if (!sbuf) {
        state_parts_free(sp);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    rewind__checkpoint__state__pack(&sp->st, sbuf);
    state_parts_free(sp);
    bool ok = out_section(o, state_magic, sbuf, slen);
    free(sbuf);
    if (!ok)
        goto io_error;

    uint8_t *sec = malloc((size_t)PAGES_PER_SECTION * RECORD_SIZE);
    if (!sec) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    size_t n = 0;
    for (uint64_t i = 0; i <= npages; i++) {
        if (n == PAGES_PER_SECTION || (i == npages && n > 0)) {
            if (!out_section(o, ram_magic, sec, n * RECORD_SIZE)) {
                free(sec);
                goto io_error;
            }
            n = 0;
        }
        if (i == npages)
            break;
        const uint8_t *p = m->mem.ram + i * CKPT_PAGE;
        if (page_is_zero(p))
            continue;
        le_put32(sec + n * RECORD_SIZE, (uint32_t)i);
        memcpy(sec + n * RECORD_SIZE + 4, p, CKPT_PAGE);
        n++;
    }
    free(sec);

    uint8_t footer[FOOTER_SIZE];
    memcpy(footer, ckpt_end_magic, 8);
    le_put64(footer + 8, o->bytes);
    le_put64(footer + 16, XXH64_digest(o->sum));
    if (!hostio_write(o->fd, footer, sizeof(footer)) || fsync(o->fd) != 0)
        goto io_error;
    return true;
io_error:
    snprintf(err, errlen, "%s", strerror(errno));
    return false;
}

bool checkpoint_write(Machine *m, const TraceHeader *machine, const char *path, char *err,
                      size_t errlen)
{
    if (m->mem.ram_size / CKPT_PAGE > UINT32_MAX) {
        snprintf(err, errlen, "%s: RAM too large for a checkpoint", path);
        return false;
    }
    CkptOut o = { .fd = -1 };
    bool ok = false;
    char why[512] = "out of memory";
    size_t plen = strlen(path);
    o.tmp = malloc(plen + 16);
    o.sum = XXH64_createState();
    o.cctx = ZSTD_createCCtx();
    if (!o.tmp || !o.sum || !o.cctx)
        goto done;
    snprintf(o.tmp, plen + 16, "%s.tmp.XXXXXX", path);
    o.fd = mkstemp(o.tmp);
    if (o.fd < 0) {
        snprintf(why, sizeof(why), "cannot create a file beside it: %s", strerror(errno));
        free(o.tmp);
        o.tmp = NULL;
        goto done;
    }
    XXH64_reset(o.sum, 0);
    ZSTD_CCtx_setParameter(o.cctx, ZSTD_c_compressionLevel, ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(o.cctx, ZSTD_c_checksumFlag, 1);
    if (!write_body(m, machine, &o, why, sizeof(why)))
        goto done;
    if (fchmod(o.fd, 0644) != 0 || close(o.fd) != 0) {
        o.fd = -1;
        snprintf(why, sizeof(why), "%s", strerror(errno));
        goto done;
    }
    o.fd = -1;
    if (rename(o.tmp, path) != 0) {
        snprintf(why, sizeof(why), "cannot rename %s to it: %s", o.tmp, strerror(errno));
        goto done;
    }
    free(o.tmp);
    o.tmp = NULL;
    ok = true;
done:
    if (!ok)
        snprintf(err, errlen, "%s: cannot write the checkpoint: %s", path, why);
    if (o.fd >= 0)
        close(o.fd);
    if (o.tmp) {
        unlink(o.tmp);
        free(o.tmp);
    }
    XXH64_freeState(o.sum);
    ZSTD_freeCCtx(o.cctx);
    free(o.cbuf);
    return ok;
}

/* ------------------------------------------------------------ reading */

struct Checkpoint {
    char *path;
    uint8_t *file;     /* the whole file, as read */
    Rewind__Checkpoint__State *st;
    TraceHeaderDecoded machine;
    uint8_t *pages;    /* records of (index, bytes), in increasing index order */
    uint64_t npages;   /* records */
    uint64_t file_size;
};

void checkpoint_close(Checkpoint *c)
{
    if (!c)
        return;
    if (c->st)
        rewind__checkpoint__state__free_unpacked(c->st, NULL);
    trace_header_decoded_free(&c->machine);
    free(c->pages);
    free(c->file);
    free(c->path);
    free(c);
}

bool checkpoint_is_file(const char *path)
{
    uint8_t buf[8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = hostio_pread(fd, buf, sizeof(buf), 0);
    close(fd);
    return n == (ssize_t)sizeof(buf) && memcmp(buf, ckpt_magic, 8) == 0;
}

/* The whole file in memory. */
static uint8_t *read_whole(const char *path, uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    uint64_t len = (uint64_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    ssize_t n = buf ? hostio_pread(fd, buf, len, 0) : -1;
    close(fd);
    if (n < 0 || (uint64_t)n != len) {
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    *size = len;
    return buf;
}

/* The container around the sections: magic, footer, whole-file checksum,
 * format version. */
static bool check_container(const uint8_t *buf, uint64_t len, char *why, size_t whylen)
{
    if (len < 8 || memcmp(buf, ckpt_magic, 8) != 0) {
        snprintf(why, whylen, "not a rewind checkpoint (no RWNDCKP magic)");
        return false;
    }
    if (len < FILE_HDR_SIZE + FOOTER_SIZE ||
        memcmp(buf + len - FOOTER_SIZE, ckpt_end_magic, 8) != 0 ||
        le_get64(buf + len - FOOTER_SIZE + 8) != len - FOOTER_SIZE) {
        snprintf(why, whylen, "cut short (%" PRIu64 " bytes, no valid footer): the "
                 "checkpoint was not written to its end", len);
        return false;
    }
    if (!checksum_ok(XXH64(buf, len - FOOTER_SIZE, 0) == le_get64(buf + len - 8))) {
        snprintf(why, whylen, "damaged (checksum mismatch)");
        return false;
    }
    uint32_t version = le_get32(buf + 8);
    if (version != CHECKPOINT_FORMAT_VERSION) {
        snprintf(why, whylen, "checkpoint format version %" PRIu32 ", this rewind reads %d",
                 version, CHECKPOINT_FORMAT_VERSION);
        return false;
    }
    return true;
}

/* Decompress the section at *off (advanced past it) into a new buffer. */
static uint8_t *read_section(const uint8_t *buf, uint64_t end, uint64_t *off,
                             const uint8_t magic[4], size_t max, size_t *len,
                             const char *what, char *err, size_t errlen)
{
    if (end - *off < SECTION_HDR_SIZE || memcmp(buf + *off, magic, 4) != 0) {
        snprintf(err, errlen, "damaged: %s section expected at offset %" PRIu64, what, *off);
        return NULL;
    }
    uint32_t clen = le_get32(buf + *off + 4), ulen = le_get32(buf + *off + 8);
    if (clen > end - *off - SECTION_HDR_SIZE) {
        snprintf(err, errlen, "damaged: %s section at offset %" PRIu64 " runs past the end",
                 what, *off);
        return NULL;
    }
    const uint8_t *src = buf + *off + SECTION_HDR_SIZE;
    unsigned long long content = ZSTD_getFrameContentSize(src, clen);
    /* Sizes are checked before anything is allocated: a damaged length
     * must not make rewind ask for gigabytes. zstd expands at most
     * ZSTD_MAX_RATIO times (a 4-byte RLE block of 128 KiB). */
    if (ulen > max || ulen > (uint64_t)clen * ZSTD_MAX_RATIO) {
        snprintf(err, errlen, "damaged: %s section at offset %" PRIu64 " declares %" PRIu32
                 " bytes, more than its %" PRIu32 " compressed bytes (or the %zu bytes of "
                 "such a section) can hold", what, *off, ulen, clen, max);
        return NULL;
    }
    uint8_t *out = content == ulen ? malloc(ulen ? ulen : 1) : NULL;
    size_t got = out ? zstd_reader_decompress(out, ulen, src, clen) : 0;
    if (!out || content != ulen || ZSTD_isError(got) || got != ulen) {
        snprintf(err, errlen, "damaged: %s section at offset %" PRIu64 " does not "
                 "decompress to its %" PRIu32 " bytes", what, *off, ulen);
        free(out);
        return NULL;
    }
    *off += SECTION_HDR_SIZE + clen;
    *len = ulen;
    return out;
}

/* Every count and index of the state message, checked once here so that
 * the loader and the printer can trust it. */
static bool state_check(const Rewind__Checkpoint__State *st, char *err, size_t errlen)
{
    if (st->schema_version > CHECKPOINT_SCHEMA_VERSION) {
        snprintf(err, errlen, "written with checkpoint schema %" PRIu32 ", newer than this "
                 "rewind's (%d)", st->schema_version, CHECKPOINT_SCHEMA_VERSION);
        return false;
    }
    if (!st->rewind_version || strcmp(st->rewind_version, PACKAGE_VERSION) != 0) {
        snprintf(err, errlen, "written by rewind %s; device states are read only by the "
                 "version that wrote them (this is %s)",
                 st->rewind_version ? st->rewind_version : "(unknown)", PACKAGE_VERSION);
        return false;
    }
    if (st->engine_revision != MACHINE_ENGINE_REVISION) {
        snprintf(err, errlen, "written by engine revision %" PRIu32 ", this rewind is %d",
                 st->engine_revision, MACHINE_ENGINE_REVISION);
        return false;
    }
    if (!st->machine) {
        snprintf(err, errlen, "damaged: no machine description");
        return false;
    }
    if (st->page_size != CKPT_PAGE || st->ram_size % CKPT_PAGE != 0 ||
        st->ram_size != st->machine->ram_size) {
        snprintf(err, errlen, "damaged: RAM of %" PRIu64 " bytes in pages of %" PRIu32
                 " (machine: %" PRIu64 " bytes)", st->ram_size, st->page_size,
                 st->machine->ram_size);
        return false;
    }
    if (st->n_harts == 0 || st->n_harts > MACHINE_MAX_HARTS ||
        st->n_harts != st->machine->harts) {
        snprintf(err, errlen, "damaged: %zu hart states for a machine of %" PRIu32 " harts",
                 st->n_harts, st->machine->harts);
        return false;
    }
    for (size_t i = 0; i < st->n_harts; i++) {
        const Rewind__Checkpoint__HartState *hs = st->harts[i];
        if (hs->id != i || hs->n_x != 32 || hs->n_f != 32 ||
            (hs->priv != PRV_U && hs->priv != PRV_S && hs->priv != PRV_M)) {
            snprintf(err, errlen, "damaged: hart %zu's state", i);
            return false;
        }
        for (size_t k = 0; k < hs->n_csrs; k++) {
            if (!hs->csrs[k]->name || csr_find(hs->csrs[k]->name) < 0) {
                snprintf(err, errlen, "hart %zu: unknown CSR %s", i,
                         hs->csrs[k]->name ? hs->csrs[k]->name : "(unnamed)");
                return false;
            }
            /* Checked here, not only when loading: a load that fails
             * half-way would leave the machine half loaded. */
            Csrs scratch;
            if (!csr_set(&scratch, (unsigned)csr_find(hs->csrs[k]->name), hs->csrs[k]->value)) {
                snprintf(err, errlen, "hart %zu: %s = 0x%" PRIx64 " does not fit", i,
                         hs->csrs[k]->name, hs->csrs[k]->value);
                return false;
            }
        }
    }
    ChaosState chaos;
    if (st->has_sched_chaos &&
        !chaos_state_unpack(&chaos, st->sched_chaos.data, st->sched_chaos.len)) {
        snprintf(err, errlen, "damaged: the chaos scheduler's state");
        return false;
    }
    if (st->digest_written.len != (st->ram_size / CKPT_PAGE + 7) / 8 ||
        st->pages > st->ram_size / CKPT_PAGE || st->n_devices > MACHINE_MAX_DEVICES ||
        st->sched_hart > st->n_harts) {
        snprintf(err, errlen, "damaged: inconsistent sizes");
        return false;
    }
    return true;
}

/* Parse buf (len bytes, taken over: freed with c) into c. */
static bool parse(Checkpoint *c, uint8_t *buf, uint64_t len, char *why, size_t whylen)
{
    c->file = buf;
    c->file_size = len;
    if (!check_container(buf, len, why, whylen))
        return false;
    uint64_t end = len - FOOTER_SIZE, off = FILE_HDR_SIZE;
    size_t slen;
    uint8_t *sbuf = read_section(buf, end, &off, state_magic, STATE_MAX, &slen, "state", why,
                                 whylen);
    if (!sbuf)
        return false;
    c->st = rewind__checkpoint__state__unpack(NULL, slen, sbuf);
    free(sbuf);
    if (!c->st) {
        snprintf(why, whylen, "damaged: protobuf cannot decode the state");
        return false;
    }
    if (!state_check(c->st, why, whylen))
        return false;
    /* The machine description, decoded as a trace header is. */
    size_t hlen = rewind__trace__header__get_packed_size(c->st->machine);
    uint8_t *hb = malloc(hlen ? hlen : 1);
    if (hb)
        rewind__trace__header__pack(c->st->machine, hb);
    bool decoded = hb && trace_header_decode(hb, hlen, &c->machine);
    free(hb);
    if (!decoded) {
        snprintf(why, whylen, "damaged: the machine description");
        return false;
    }
    uint64_t limit = c->st->ram_size / CKPT_PAGE;
    while (off < end) {
        size_t n;
        uint8_t *sec = read_section(buf, end, &off, ram_magic, RAM_SECTION_MAX, &n, "RAM",
                                    why, whylen);
        if (!sec)
            return false;
        bool bad = n % RECORD_SIZE != 0 || c->npages + n / RECORD_SIZE > c->st->pages;
        /* The page records grow with the sections actually read, not
         * with the count the state declares (a damaged count must not
         * allocate). */
        uint8_t *grown = bad ? NULL : realloc(c->pages, (c->npages + n / RECORD_SIZE) *
                                                            RECORD_SIZE + 1);
        if (!bad && !grown) {
            free(sec);
            snprintf(why, whylen, "out of memory");
            return false;
        }
        if (grown)
            c->pages = grown;
        for (size_t i = 0; !bad && i < n / RECORD_SIZE; i++) {
            uint32_t idx = le_get32(sec + i * RECORD_SIZE);
            uint32_t prev = c->npages ? le_get32(c->pages + (c->npages - 1) * RECORD_SIZE) : 0;
            bad = idx >= limit || (c->npages > 0 && idx <= prev);
            memcpy(c->pages + c->npages * RECORD_SIZE, sec + i * RECORD_SIZE, RECORD_SIZE);
            c->npages++;
        }
        free(sec);
        if (bad) {
            snprintf(why, whylen, "damaged: RAM section before offset %" PRIu64, off);
            return false;
        }
    }
    if (c->npages != c->st->pages) {
        snprintf(why, whylen, "damaged: %" PRIu64 " RAM pages of %" PRIu64, c->npages,
                 c->st->pages);
        return false;
    }
    return true;
}

static Checkpoint *open_buffer(const char *name, uint8_t *buf, uint64_t len, char *err,
                               size_t errlen)
{
    Checkpoint *c = calloc(1, sizeof(*c));
    char why[256];
    if (!c || !(c->path = strdup(name))) {
        snprintf(err, errlen, "%s: out of memory", name);
        free(c);
        free(buf);
        return NULL;
    }
    if (!parse(c, buf, len, why, sizeof(why))) {
        snprintf(err, errlen, "%s: %s", name, why);
        checkpoint_close(c);
        return NULL;
    }
    return c;
}

Checkpoint *checkpoint_open(const char *path, char *err, size_t errlen)
{
    uint64_t len;
    uint8_t *buf = read_whole(path, &len, err, errlen);
    return buf ? open_buffer(path, buf, len, err, errlen) : NULL;
}

Checkpoint *checkpoint_open_bytes(const uint8_t *bytes, size_t len, const char *name,
                                  char *err, size_t errlen)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    memcpy(buf, bytes, len);
    return open_buffer(name, buf, len, err, errlen);
}

const uint8_t *checkpoint_bytes(const Checkpoint *c, size_t *len)
{
    *len = (size_t)c->file_size;
    return c->file;
}

const TraceHeader *checkpoint_machine(const Checkpoint *c)
{
    return &c->machine.hdr;
}

uint64_t checkpoint_icount(const Checkpoint *c)
{
    return c->st->icount;
}

/* Does m have the checkpoint's shape? Nothing is changed. */
static bool load_check(const Checkpoint *c, const Machine *m, char *err, size_t errlen)
{
    const Rewind__Checkpoint__State *st = c->st;
    if (st->n_harts != m->nharts || st->ram_size != m->mem.ram_size) {
        snprintf(err, errlen, "%s: taken on a machine with %zu harts and %" PRIu64 " MiB of "
                 "RAM, this one has %u and %" PRIu64 " MiB", c->path, st->n_harts,
                 st->ram_size >> 20, m->nharts, m->mem.ram_size >> 20);
        return false;
    }
    size_t k = 0;
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save)
            continue;
        const char *name = md->name ? md->name : "";
        if (k == st->n_devices || strcmp(st->devices[k]->name ? st->devices[k]->name : "",
                                         name) != 0) {
            snprintf(err, errlen, "%s: the machine's devices differ from the checkpoint's "
                     "(device %zu: %s here, %s there)", c->path, k, name,
                     k < st->n_devices ? st->devices[k]->name : "none");
            return false;
        }
        if ((md->release && !md->load_flat) || !(md->load_flat || md->load)) {
            snprintf(err, errlen, "%s: device %s cannot load a state from a file", c->path,
                     name);
            return false;
        }
        k++;
    }
    if (k != st->n_devices) {
        snprintf(err, errlen, "%s: the checkpoint has %zu devices with state, the machine %zu",
                 c->path, st->n_devices, k);
        return false;
    }
    return true;
}

/* Put a device's state from the file in: through load_flat when the
 * device has one (its save keeps references, which a file cannot). */
static bool load_from_file(const MachineDevice *md, const Rewind__Checkpoint__DeviceState *d)
{
    bool (*load)(void *, const void *, size_t) = md->load_flat ? md->load_flat : md->load;
    return load(md->opaque, d->state.data, d->state.len);
}

/* Would every device take its saved state? A device refuses one that
 * breaks its invariants (a crafted file can hold anything), so each is
 * tried here, before anything of the machine changes, and given its own
 * state back at once: the real loads come last, after the harts, whose
 * state a device's load reads (Sstc re-arms its timers from STIP). */
static bool devices_accept(const Checkpoint *c, Machine *m, char *err, size_t errlen)
{
    const Rewind__Checkpoint__State *st = c->st;
    size_t k = 0;
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save)
            continue;
        const Rewind__Checkpoint__DeviceState *d = st->devices[k++];
        size_t n = md->save(md->opaque, NULL, 0);
        void *before = malloc(n ? n : 1);
        if (!before) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        md->save(md->opaque, before, n);
        bool ok = load_from_file(md, d);
        if (ok && !md->load(md->opaque, before, n)) {
            fprintf(stderr, "rewind: device %s refused its own state back\n", md->name);
            abort();
        }
        if (md->release)
            md->release(before, n);
        free(before);
        if (!ok) {
            snprintf(err, errlen, "%s: device %s refused its saved state", c->path, d->name);
            return false;
        }
    }
    return true;
}

bool checkpoint_load(const Checkpoint *c, Machine *m, char *err, size_t errlen)
{
    if (!load_check(c, m, err, errlen) || !devices_accept(c, m, err, errlen))
        return false;
    const Rewind__Checkpoint__State *st = c->st;
    /* RAM: zeros, then the stored pages. Nothing marks these writes, so
     * the snapshot code must compare all of RAM next time. */
    memset(m->mem.ram, 0, m->mem.ram_size);
    for (uint64_t i = 0; i < c->npages; i++) {
        const uint8_t *r = c->pages + i * RECORD_SIZE;
        memcpy(m->mem.ram + (uint64_t)le_get32(r) * CKPT_PAGE, r + 4, CKPT_PAGE);
    }
    memcpy(m->mem.dirty_bitmap, st->digest_written.data, st->digest_written.len);
    snapshot_ram_replaced(m);
    tb_cache_flush(m);
    for (unsigned i = 0; i < m->nharts; i++) {
        const Rewind__Checkpoint__HartState *hs = st->harts[i];
        HartArch a;
        memset(&a, 0, sizeof(a));
        memcpy(a.x, hs->x, 32 * sizeof(uint64_t));
        a.x[0] = 0;
        memcpy(a.f, hs->f, 32 * sizeof(uint64_t));
        a.pc = hs->pc;
        a.priv = (uint8_t)hs->priv;
        for (size_t k = 0; k < hs->n_csrs; k++)
            if (!csr_set(&a.csr, (unsigned)csr_find(hs->csrs[k]->name), hs->csrs[k]->value)) {
                snprintf(err, errlen, "%s: hart %u: %s = 0x%" PRIx64 " does not fit", c->path,
                         i, hs->csrs[k]->name, hs->csrs[k]->value);
                return false;
            }
        a.lr_addr = hs->lr_addr;
        a.lr_valid = hs->lr_valid;
        a.icount = hs->icount;
        a.wfi = hs->wfi;
        hart_arch_set(&m->harts[i], &a);
    }
    m->mtime_skipped = st->mtime_skipped;
    m->next_digest = st->next_digest;
    m->sched.hart = st->sched_hart;
    m->sched.done = st->sched_done;
    m->sched.progress = st->sched_progress;
    /* Without one (a checkpoint of a run without chaos), a chaos run goes
     * on from its seed's initial state. */
    if (st->has_sched_chaos)
        chaos_state_unpack(&m->sched.chaos, st->sched_chaos.data, st->sched_chaos.len);
    m->reset_requested = st->reset_requested;
    size_t k = 0;
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save)
            continue;
        const Rewind__Checkpoint__DeviceState *d = st->devices[k++];
        if (!load_from_file(md, d)) {
            /* devices_accept tried these very bytes. */
            fprintf(stderr, "rewind: device %s refused the state it took before\n", d->name);
            abort();
        }
    }
    return true;
}

void checkpoint_print(const Checkpoint *c, FILE *out)
{
    const Rewind__Checkpoint__State *st = c->st;
    const TraceHeader *h = &c->machine.hdr;
    fprintf(out, "checkpoint %s: %" PRIu64 " bytes, format %d, schema %" PRIu32
            ", rewind %s, engine revision %" PRIu32 "\n", c->path, c->file_size,
            CHECKPOINT_FORMAT_VERSION, st->schema_version, st->rewind_version,
            st->engine_revision);
    fprintf(out, "machine: %" PRIu32 " harts, %" PRIu64 " MiB RAM, quantum %" PRIu64
            ", %" PRIu64 " ns per instruction\n", h->nharts, h->ram_size >> 20, h->quantum,
            h->ns_per_insn);
    for (size_t i = 0; i < h->nimages; i++)
        fprintf(out, "image %s: %s (%" PRIu64 " bytes, xxh128 %016" PRIx64 "%016" PRIx64 ")\n",
                h->images[i].role, h->images[i].path, h->images[i].size, h->images[i].hash_hi,
                h->images[i].hash_lo);
    fprintf(out, "icount %" PRIu64 ", mtime skipped %" PRIu64 ", next digest at %" PRIu64
            ", turn of hart %" PRIu32 " (%" PRIu64 " done)\n", st->icount, st->mtime_skipped,
            st->next_digest, st->sched_hart, st->sched_done);
    for (size_t i = 0; i < st->n_harts; i++) {
        const Rewind__Checkpoint__HartState *hs = st->harts[i];
        fprintf(out, "hart %zu: pc 0x%016" PRIx64 " priv %c icount %" PRIu64 "%s%s\n", i,
                hs->pc, "US?M"[hs->priv & 3], hs->icount, hs->wfi ? " wfi" : "",
                hs->lr_valid ? " reservation" : "");
    }
    for (size_t i = 0; i < st->n_devices; i++)
        fprintf(out, "device %s: %zu bytes of state\n", st->devices[i]->name,
                st->devices[i]->state.len);
    fprintf(out, "RAM: %" PRIu64 " of %" PRIu64 " pages stored (the rest are zero)\n",
            c->npages, st->ram_size / CKPT_PAGE);
}
