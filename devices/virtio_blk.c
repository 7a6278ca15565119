/* virtio-blk: raw image, synchronous I/O, optional in-memory overlay. */
#include "devices/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hostio.h"
#include "core/machine.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"

/* Feature bits. */
enum {
    VIRTIO_BLK_F_SEG_MAX = 2,
    VIRTIO_BLK_F_RO = 5,
    VIRTIO_BLK_F_BLK_SIZE = 6,
    VIRTIO_BLK_F_FLUSH = 9,
};

/* Request types and status codes. */
enum {
    VIRTIO_BLK_T_IN = 0,
    VIRTIO_BLK_T_OUT = 1,
    VIRTIO_BLK_T_FLUSH = 4,
    VIRTIO_BLK_T_GET_ID = 8,
};
enum { VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2 };

enum {
    BLK_QUEUE_SIZE = 256,
    BLK_HDR_SIZE = 16,
    BLK_CONFIG_SIZE = 36, /* up to and including num_queues */
    BLK_CLUSTER = 64 * 1024,   /* overlay granularity */
    BLK_BOUNCE = 64 * 1024,    /* host <-> guest copy chunk */
};

/* An overlay cluster. Snapshots share clusters (refs > 1): a guest write
 * to a shared one copies it first. */
typedef struct BlkCluster {
    uint64_t refs;
    uint8_t data[BLK_CLUSTER];
} BlkCluster;

struct VirtioBlk {
    Machine *m;
    VirtioMmio *vm;
    VirtioDeviceOps ops; /* features depend on readonly */
    int fd;
    uint64_t size;       /* image bytes */
    uint64_t capacity;   /* sectors */
    bool snapshot, readonly;
    char file[1024];
    char serial[VIRTIO_BLK_SERIAL_LEN + 1];
    /* snapshot=on: clusters written by the guest, NULL = still the file's */
    BlkCluster **overlay;
    uint64_t nclusters;
    uint8_t bounce[BLK_BOUNCE];
    VirtqReq req;
};

/* ---- host file access: the only place the image file is touched ---- */

static bool blk_host_read(VirtioBlk *b, void *buf, size_t len, uint64_t off)
{
    ssize_t n = hostio_pread(b->fd, buf, len, off);
    if (n < 0)
        return false;
    /* The file shrank under us: the rest reads as zeros. */
    memset((uint8_t *)buf + n, 0, len - (size_t)n);
    return true;
}

static bool blk_host_write(VirtioBlk *b, const void *buf, size_t len, uint64_t off)
{
    return hostio_pwrite(b->fd, buf, len, off);
}

static bool blk_host_flush(VirtioBlk *b)
{
    return fdatasync(b->fd) == 0;
}

/* ---- image bytes, through the overlay when there is one ---- */

static bool blk_read_bytes(VirtioBlk *b, uint8_t *buf, size_t len, uint64_t off)
{
    if (!b->overlay)
        return blk_host_read(b, buf, len, off);
    while (len) {
        uint64_t c = off / BLK_CLUSTER, in = off % BLK_CLUSTER;
        size_t n = BLK_CLUSTER - in < len ? BLK_CLUSTER - in : len;
        if (b->overlay[c])
            memcpy(buf, b->overlay[c]->data + in, n);
        else if (!blk_host_read(b, buf, n, off))
            return false;
        buf += n;
        len -= n;
        off += n;
    }
    return true;
}

static void blk_cluster_unref(BlkCluster *cl)
{
    if (cl && --cl->refs == 0)
        free(cl);
}

/* Cluster c, writable: read from the file on first write, copied if a
 * snapshot shares it. */
static uint8_t *blk_overlay_cluster(VirtioBlk *b, uint64_t c)
{
    BlkCluster *old = b->overlay[c];
    if (old && old->refs == 1)
        return old->data;
    BlkCluster *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->refs = 1;
    if (old) {
        memcpy(p->data, old->data, BLK_CLUSTER);
        old->refs--; /* still held by a snapshot */
    } else {
        uint64_t start = c * BLK_CLUSTER;
        uint64_t n = b->size - start < BLK_CLUSTER ? b->size - start : BLK_CLUSTER;
        if (!blk_host_read(b, p->data, n, start)) {
            free(p);
            return NULL;
        }
    }
    b->overlay[c] = p;
    return p->data;
}

static bool blk_write_bytes(VirtioBlk *b, const uint8_t *buf, size_t len, uint64_t off)
{
    if (!b->overlay)
        return blk_host_write(b, buf, len, off);
    while (len) {
        uint64_t c = off / BLK_CLUSTER, in = off % BLK_CLUSTER;
        size_t n = BLK_CLUSTER - in < len ? BLK_CLUSTER - in : len;
        uint8_t *p = blk_overlay_cluster(b, c);
        if (!p)
            return false;
        memcpy(p + in, buf, n);
        buf += n;
        len -= n;
        off += n;
    }
    return true;
}

/* ---- requests ---- */

static bool blk_range_ok(const VirtioBlk *b, uint64_t sector, uint64_t bytes)
{
    if (bytes % VIRTIO_BLK_SECTOR)
        return false;
    uint64_t n = bytes / VIRTIO_BLK_SECTOR;
    return sector <= b->capacity && n <= b->capacity - sector;
}

static uint8_t blk_do_in(VirtioBlk *b, VirtioMmio *vm, const VirtqReq *req,
                         uint64_t sector, uint64_t bytes)
{
    if (!blk_range_ok(b, sector, bytes))
        return VIRTIO_BLK_S_IOERR;
    uint64_t off = sector * VIRTIO_BLK_SECTOR;
    for (uint64_t done = 0; done < bytes;) {
        size_t n = bytes - done < BLK_BOUNCE ? bytes - done : BLK_BOUNCE;
        if (!blk_read_bytes(b, b->bounce, n, off + done))
            return VIRTIO_BLK_S_IOERR;
        virtio_req_write(vm, req, done, b->bounce, n);
        done += n;
    }
    return VIRTIO_BLK_S_OK;
}

static uint8_t blk_do_out(VirtioBlk *b, VirtioMmio *vm, const VirtqReq *req,
                          uint64_t sector, uint64_t bytes)
{
    if (b->readonly || !blk_range_ok(b, sector, bytes))
        return VIRTIO_BLK_S_IOERR;
    uint64_t off = sector * VIRTIO_BLK_SECTOR;
    for (uint64_t done = 0; done < bytes;) {
        size_t n = bytes - done < BLK_BOUNCE ? bytes - done : BLK_BOUNCE;
        virtio_req_read(vm, req, BLK_HDR_SIZE + done, b->bounce, n);
        if (!blk_write_bytes(b, b->bounce, n, off + done))
            return VIRTIO_BLK_S_IOERR;
        done += n;
    }
    return VIRTIO_BLK_S_OK;
}

static void blk_queue_notify(void *opaque, VirtioMmio *vm, unsigned q)
{
    VirtioBlk *b = opaque;
    VirtqReq *req = &b->req;
    while (virtio_queue_pop(vm, q, req) == 1) {
        uint8_t hdr[BLK_HDR_SIZE];
        if (req->out_len < BLK_HDR_SIZE || req->in_len < 1) {
            virtio_mmio_set_broken(vm, "virtio-blk: request without header or status byte");
            return;
        }
        virtio_req_read(vm, req, 0, hdr, sizeof(hdr));
        uint32_t type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
                        (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
        uint64_t sector = 0;
        for (int i = 7; i >= 0; i--)
            sector = sector << 8 | hdr[8 + i];
        uint64_t data_in = req->in_len - 1; /* the status byte is last */
        uint32_t written = 1;
        uint8_t st;
        switch (type) {
        case VIRTIO_BLK_T_IN:
            st = blk_do_in(b, vm, req, sector, data_in);
            written = (uint32_t)req->in_len;
            break;
        case VIRTIO_BLK_T_OUT:
            st = blk_do_out(b, vm, req, sector, req->out_len - BLK_HDR_SIZE);
            break;
        case VIRTIO_BLK_T_FLUSH:
            /* Overlay and read-only images have nothing to persist. */
            st = b->overlay || b->readonly || blk_host_flush(b) ? VIRTIO_BLK_S_OK
                                                                : VIRTIO_BLK_S_IOERR;
            break;
        case VIRTIO_BLK_T_GET_ID: {
            uint8_t id[VIRTIO_BLK_SERIAL_LEN] = { 0 };
            memcpy(id, b->serial, strlen(b->serial));
            size_t n = data_in < sizeof(id) ? data_in : sizeof(id);
            virtio_req_write(vm, req, 0, id, n);
            written = (uint32_t)n + 1;
            st = VIRTIO_BLK_S_OK;
            break;
        }
        default:
            log_printf(&b->m->log, LOG_UNIMP, "virtio-blk: unsupported request type %u\n", type);
            st = VIRTIO_BLK_S_UNSUPP;
            break;
        }
        if (st != VIRTIO_BLK_S_OK && type == VIRTIO_BLK_T_IN)
            written = 1;
        virtio_req_write(vm, req, req->in_len - 1, &st, 1);
        virtio_queue_push(vm, q, req, written);
    }
}

static uint64_t blk_config_read(void *opaque, uint32_t off, unsigned size)
{
    VirtioBlk *b = opaque;
    uint8_t cfg[BLK_CONFIG_SIZE] = { 0 };
    for (int i = 0; i < 8; i++)
        cfg[i] = (uint8_t)(b->capacity >> (8 * i));
    uint32_t seg_max = BLK_QUEUE_SIZE - 2; /* room for header and status */
    uint32_t blk_size = VIRTIO_BLK_SECTOR;
    for (int i = 0; i < 4; i++) {
        cfg[12 + i] = (uint8_t)(seg_max >> (8 * i));
        cfg[20 + i] = (uint8_t)(blk_size >> (8 * i));
    }
    cfg[34] = 1; /* num_queues */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)cfg[off + i] << (8 * i);
    return v;
}

static void blk_free(void *opaque)
{
    VirtioBlk *b = opaque;
    if (b->overlay) {
        for (uint64_t c = 0; c < b->nclusters; c++)
            blk_cluster_unref(b->overlay[c]);
        free(b->overlay);
    }
    if (b->fd >= 0)
        close(b->fd);
    free(b);
}

/* Snapshots of the overlay: the table of clusters, each one shared (a
 * reference taken) rather than copied. The image file itself is not
 * state: without snapshot=on there is nothing to save. */
static size_t blk_save(void *opaque, void *buf, size_t cap)
{
    VirtioBlk *b = opaque;
    size_t len = b->nclusters * sizeof(BlkCluster *);
    if (len <= cap) {
        BlkCluster **table = buf;
        for (uint64_t c = 0; c < b->nclusters; c++) {
            table[c] = b->overlay[c];
            if (table[c])
                table[c]->refs++;
        }
    }
    return len;
}

static bool blk_load(void *opaque, const void *buf, size_t len)
{
    VirtioBlk *b = opaque;
    if (len != b->nclusters * sizeof(BlkCluster *))
        return false;
    BlkCluster *const *table = buf;
    for (uint64_t c = 0; c < b->nclusters; c++)
        if (b->overlay[c] != table[c]) {
            blk_cluster_unref(b->overlay[c]);
            b->overlay[c] = table[c];
            if (table[c])
                table[c]->refs++; /* the snapshot keeps its own */
        }
    return true;
}

static void blk_release(void *buf, size_t len)
{
    BlkCluster **table = buf;
    for (size_t c = 0; c < len / sizeof(*table); c++)
        blk_cluster_unref(table[c]);
}

/* The overlay for a checkpoint file: the cluster count (8 bytes LE), then
 * each written cluster as its index (8 bytes LE) and its bytes, in
 * increasing order. */
static size_t blk_save_flat(void *opaque, void *buf, size_t cap)
{
    VirtioBlk *b = opaque;
    size_t len = 8;
    for (uint64_t c = 0; c < b->nclusters; c++)
        if (b->overlay[c])
            len += 8 + BLK_CLUSTER;
    if (len <= cap) {
        uint8_t *p = buf;
        memcpy(p, &b->nclusters, 8); /* little-endian host (configure checks) */
        p += 8;
        for (uint64_t c = 0; c < b->nclusters; c++)
            if (b->overlay[c]) {
                memcpy(p, &c, 8);
                memcpy(p + 8, b->overlay[c]->data, BLK_CLUSTER);
                p += 8 + BLK_CLUSTER;
            }
    }
    return len;
}

static bool blk_load_flat(void *opaque, const void *buf, size_t len)
{
    VirtioBlk *b = opaque;
    const uint8_t *p = buf, *end = p + len;
    uint64_t n;
    if (len < 8 || (len - 8) % (8 + BLK_CLUSTER) != 0)
        return false;
    memcpy(&n, p, 8);
    if (n != b->nclusters)
        return false;
    /* Check every index before changing anything. */
    uint64_t prev = 0;
    for (const uint8_t *q = p + 8; q < end; q += 8 + BLK_CLUSTER) {
        uint64_t c;
        memcpy(&c, q, 8);
        if (c >= n || (q > p + 8 && c <= prev))
            return false;
        prev = c;
    }
    for (uint64_t c = 0; c < n; c++) {
        blk_cluster_unref(b->overlay[c]);
        b->overlay[c] = NULL;
    }
    for (const uint8_t *q = p + 8; q < end; q += 8 + BLK_CLUSTER) {
        uint64_t c;
        memcpy(&c, q, 8);
        BlkCluster *cl = malloc(sizeof(*cl));
        if (!cl)
            return false;
        cl->refs = 1;
        memcpy(cl->data, q + 8, BLK_CLUSTER);
        b->overlay[c] = cl;
    }
    return true;
}

static void blk_reset(void *opaque)
{
    /* The overlay is the disk's content, like the file: a reboot keeps it. */
    (void)opaque;
}

static const VirtioDeviceOps blk_ops_template = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .nqueues = 1,
    .queue_max = BLK_QUEUE_SIZE,
    .features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                1ull << VIRTIO_BLK_F_FLUSH,
    .config_size = BLK_CONFIG_SIZE,
    .config_read = blk_config_read,
    .queue_notify = blk_queue_notify,
    .reset = blk_reset,
    .free = blk_free,
};

VirtioBlk *virtio_blk_new(Machine *m, uint64_t base, IrqLine irq,
                          const BlkDriveSpec *spec, char *err, size_t errlen)
{
    VirtioBlk *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "virtio-blk: out of memory");
        return NULL;
    }
    b->m = m;
    b->fd = -1;
    b->snapshot = spec->snapshot;
    b->readonly = spec->readonly;
    snprintf(b->file, sizeof(b->file), "%s", spec->file);
    snprintf(b->serial, sizeof(b->serial), "%s", spec->serial);
    int flags = (b->snapshot || b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    b->fd = open(b->file, flags);
    if (b->fd < 0) {
        snprintf(err, errlen, "-drive file=%s: %s", b->file, strerror(errno));
        blk_free(b);
        return NULL;
    }
    off_t end = lseek(b->fd, 0, SEEK_END);
    if (end < 0) {
        snprintf(err, errlen, "-drive file=%s: %s", b->file, strerror(errno));
        blk_free(b);
        return NULL;
    }
    b->size = (uint64_t)end;
    /* A partial last sector is not addressable, as on QEMU. */
    b->capacity = b->size / VIRTIO_BLK_SECTOR;
    if (b->snapshot) {
        b->nclusters = (b->size + BLK_CLUSTER - 1) / BLK_CLUSTER;
        b->overlay = calloc(b->nclusters ? b->nclusters : 1, sizeof(*b->overlay));
        if (!b->overlay) {
            snprintf(err, errlen, "-drive file=%s: out of memory", b->file);
            blk_free(b);
            return NULL;
        }
    }
    b->ops = blk_ops_template;
    if (b->readonly)
        b->ops.features |= 1ull << VIRTIO_BLK_F_RO;
    /* On failure the transport has already freed b. */
    VirtioMmio *vm = virtio_mmio_new(m, base, irq, &b->ops, b, err, errlen);
    if (!vm)
        return NULL;
    b->vm = vm;
    if (b->overlay) {
        /* The transport owns b (and frees it); this record only saves. */
        MachineDevice dev = { .name = "virtio-blk-overlay", .opaque = b, .save = blk_save,
                              .load = blk_load, .release = blk_release,
                              .save_flat = blk_save_flat, .load_flat = blk_load_flat };
        if (!machine_add_device(m, &dev)) {
            snprintf(err, errlen, "-drive file=%s: too many devices", b->file);
            return NULL;
        }
    }
    return b;
}

uint64_t virtio_blk_capacity(const VirtioBlk *b)
{
    return b->capacity;
}

/* ---- command line ---- */

enum { OPT_MAX_ITEMS = 16, OPT_MAX_LEN = 1024 };

typedef struct OptItem {
    char key[32];
    char val[OPT_MAX_LEN];
    bool has_val;
} OptItem;

/* Split "a=b,c=d" into items; ",," is a literal comma. */
static bool opt_split(const char *s, OptItem *items, unsigned *n, char *err, size_t errlen,
                      const char *opt)
{
    *n = 0;
    while (*s) {
        if (*n == OPT_MAX_ITEMS) {
            snprintf(err, errlen, "%s %s: too many parameters", opt, s);
            return false;
        }
        OptItem *it = &items[(*n)++];
        memset(it, 0, sizeof(*it));
        size_t kl = 0;
        while (*s && *s != '=' && *s != ',') {
            if (kl + 1 >= sizeof(it->key)) {
                snprintf(err, errlen, "%s: parameter name too long", opt);
                return false;
            }
            it->key[kl++] = *s++;
        }
        if (*s == '=') {
            s++;
            it->has_val = true;
            size_t vl = 0;
            for (;;) {
                if (*s == ',' && s[1] == ',')
                    s++;
                else if (*s == ',' || !*s)
                    break;
                if (vl + 1 >= sizeof(it->val)) {
                    snprintf(err, errlen, "%s: value of '%s' too long", opt, it->key);
                    return false;
                }
                it->val[vl++] = *s++;
            }
        }
        if (*s == ',')
            s++;
    }
    return true;
}

static bool opt_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
        *out = false;
        return true;
    }
    return false;
}

typedef enum { DRIVE_IF_UNSET, DRIVE_IF_NONE, DRIVE_IF_VIRTIO } DriveIf;

typedef struct DriveParse {
    BlkDriveSpec spec;
    DriveIf iface;
    bool used;
} DriveParse;

static bool blk_parse_drive(const char *s, DriveParse *d, char *err, size_t errlen)
{
    OptItem items[OPT_MAX_ITEMS];
    unsigned n;
    memset(d, 0, sizeof(*d));
    if (!opt_split(s, items, &n, err, errlen, "-drive"))
        return false;
    bool have_file = false;
    for (unsigned i = 0; i < n; i++) {
        const OptItem *it = &items[i];
        if (!it->has_val) {
            snprintf(err, errlen, "-drive %s: expected key=value, got '%s'", s, it->key);
            return false;
        }
        if (!strcmp(it->key, "file")) {
            if (strlen(it->val) >= sizeof(d->spec.file)) {
                snprintf(err, errlen, "-drive %s: file name too long", s);
                return false;
            }
            strcpy(d->spec.file, it->val);
            have_file = it->val[0] != 0;
        } else if (!strcmp(it->key, "format")) {
            if (strcmp(it->val, "raw")) {
                snprintf(err, errlen, "-drive %s: format '%s' is not supported (only raw)",
                         s, it->val);
                return false;
            }
        } else if (!strcmp(it->key, "if")) {
            if (!strcmp(it->val, "virtio"))
                d->iface = DRIVE_IF_VIRTIO;
            else if (!strcmp(it->val, "none"))
                d->iface = DRIVE_IF_NONE;
            else {
                snprintf(err, errlen, "-drive %s: if=%s is not supported (use if=virtio or if=none)",
                         s, it->val);
                return false;
            }
        } else if (!strcmp(it->key, "id")) {
            if (!it->val[0] || strlen(it->val) >= sizeof(d->spec.id)) {
                snprintf(err, errlen, "-drive %s: invalid id '%s'", s, it->val);
                return false;
            }
            strcpy(d->spec.id, it->val);
        } else if (!strcmp(it->key, "snapshot") || !strcmp(it->key, "readonly")) {
            bool *flag = it->key[0] == 's' ? &d->spec.snapshot : &d->spec.readonly;
            if (!opt_bool(it->val, flag)) {
                snprintf(err, errlen, "-drive %s: %s expects on or off, got '%s'",
                         s, it->key, it->val);
                return false;
            }
        } else if (!strcmp(it->key, "serial")) {
            if (strlen(it->val) > VIRTIO_BLK_SERIAL_LEN) {
                snprintf(err, errlen, "-drive %s: serial is longer than %d characters",
                         s, VIRTIO_BLK_SERIAL_LEN);
                return false;
            }
            strcpy(d->spec.serial, it->val);
        } else if (!strcmp(it->key, "media")) {
            if (strcmp(it->val, "disk")) {
                snprintf(err, errlen, "-drive %s: media=%s is not supported", s, it->val);
                return false;
            }
        } else {
            snprintf(err, errlen, "-drive %s: unknown parameter '%s'", s, it->key);
            return false;
        }
    }
    if (!have_file) {
        snprintf(err, errlen, "-drive %s: file= is required", s);
        return false;
    }
    /* Fail now, naming the file, rather than when the machine is built. */
    int fd = open(d->spec.file,
                  (d->spec.snapshot || d->spec.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "-drive file=%s: %s", d->spec.file, strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

static bool blk_push_spec(VirtioDevSpec *out, unsigned max_out, unsigned *nout,
                          const VirtioDevSpec *spec, const char *opt, const char *s,
                          char *err, size_t errlen)
{
    if (*nout >= max_out || *nout >= VIRTIO_MMIO_SLOTS) {
        snprintf(err, errlen, "%s %s: too many virtio devices (at most %d)", opt, s,
                 VIRTIO_MMIO_SLOTS);
        return false;
    }
    out[(*nout)++] = *spec;
    return true;
}

static bool blk_parse_device(const char *s, DriveParse *drives, unsigned ndrives,
                             VirtioDevSpec *out, unsigned max_out, unsigned *nout,
                             char *err, size_t errlen)
{
    OptItem items[OPT_MAX_ITEMS];
    unsigned n;
    if (!opt_split(s, items, &n, err, errlen, "-device"))
        return false;
    const char *driver = NULL, *drive = NULL, *serial = NULL, *netdev = NULL, *mac = NULL;
    for (unsigned i = 0; i < n; i++) {
        const OptItem *it = &items[i];
        if (i == 0 && !it->has_val)
            driver = it->key;
        else if (!it->has_val) {
            snprintf(err, errlen, "-device %s: expected key=value, got '%s'", s, it->key);
            return false;
        } else if (!strcmp(it->key, "driver"))
            driver = it->val;
        else if (!strcmp(it->key, "drive"))
            drive = it->val;
        else if (!strcmp(it->key, "serial"))
            serial = it->val;
        else if (!strcmp(it->key, "netdev"))
            netdev = it->val;
        else if (!strcmp(it->key, "mac"))
            mac = it->val;
        else if (strcmp(it->key, "id")) {
            snprintf(err, errlen, "-device %s: unknown parameter '%s'", s, it->key);
            return false;
        }
    }
    if (!driver) {
        snprintf(err, errlen, "-device %s: no device type given", s);
        return false;
    }
    VirtioDevSpec spec;
    memset(&spec, 0, sizeof(spec));
    if (!strcmp(driver, "virtio-net-device")) {
        if (drive || serial) {
            snprintf(err, errlen, "-device %s: unknown parameter '%s'", s,
                     drive ? "drive" : "serial");
            return false;
        }
        if (!netdev || !netdev[0]) {
            snprintf(err, errlen, "-device %s: netdev= is required (-netdev user,id=ID and "
                     "-device virtio-net-device,netdev=ID)", s);
            return false;
        }
        if (strlen(netdev) >= sizeof(spec.nic.netdev_id)) {
            snprintf(err, errlen, "-device %s: netdev id too long", s);
            return false;
        }
        snprintf(spec.nic.netdev_id, sizeof(spec.nic.netdev_id), "%s", netdev);
        snprintf(spec.nic.option, sizeof(spec.nic.option), "-device %s", s);
        if (mac) {
            if (!netdev_parse_mac(mac, spec.nic.mac)) {
                snprintf(err, errlen, "-device %s: mac=%s is not a unicast MAC address "
                         "(like 52:54:00:12:34:56)", s, mac);
                return false;
            }
            spec.nic.has_mac = true;
        }
        spec.kind = VIRTIO_DEV_NET;
        return blk_push_spec(out, max_out, nout, &spec, "-device", s, err, errlen);
    }
    if (netdev || mac) {
        snprintf(err, errlen, "-device %s: unknown parameter '%s'", s,
                 netdev ? "netdev" : "mac");
        return false;
    }
    if (!strcmp(driver, "virtio-rng-device")) {
        if (drive || serial) {
            snprintf(err, errlen, "-device %s: unknown parameter '%s'", s,
                     drive ? "drive" : "serial");
            return false;
        }
        spec.kind = VIRTIO_DEV_RNG;
        return blk_push_spec(out, max_out, nout, &spec, "-device", s, err, errlen);
    }
    if (strcmp(driver, "virtio-blk-device")) {
        snprintf(err, errlen,
                 "-device %s: unknown device '%s' (supported: virtio-blk-device, virtio-rng-device, "
                 "virtio-net-device)",
                 s, driver);
        return false;
    }
    if (!drive) {
        snprintf(err, errlen, "-device %s: drive= is required", s);
        return false;
    }
    DriveParse *d = NULL;
    for (unsigned i = 0; i < ndrives && !d; i++)
        if (!strcmp(drives[i].spec.id, drive))
            d = &drives[i];
    if (!d) {
        snprintf(err, errlen, "-device %s: drive '%s' not found", s, drive);
        return false;
    }
    if (d->used || d->iface == DRIVE_IF_VIRTIO) {
        snprintf(err, errlen, "-device %s: drive '%s' is already in use", s, drive);
        return false;
    }
    if (serial && strlen(serial) > VIRTIO_BLK_SERIAL_LEN) {
        snprintf(err, errlen, "-device %s: serial is longer than %d characters", s,
                 VIRTIO_BLK_SERIAL_LEN);
        return false;
    }
    d->used = true;
    spec.kind = VIRTIO_DEV_BLK;
    spec.blk = d->spec;
    if (serial)
        snprintf(spec.blk.serial, sizeof(spec.blk.serial), "%s", serial);
    return blk_push_spec(out, max_out, nout, &spec, "-device", s, err, errlen);
}

bool virtio_blk_parse_drives(const char *const *drives, unsigned ndrives,
                             const char *const *devices, unsigned ndevices,
                             VirtioDevSpec *out, unsigned max_out,
                             unsigned *nout, char *err, size_t errlen)
{
    *nout = 0;
    DriveParse *dp = calloc(ndrives ? ndrives : 1, sizeof(*dp));
    if (!dp) {
        snprintf(err, errlen, "-drive: out of memory");
        return false;
    }
    bool ok = false;
    for (unsigned i = 0; i < ndrives; i++) {
        if (!blk_parse_drive(drives[i], &dp[i], err, errlen))
            goto out;
        for (unsigned j = 0; j < i; j++)
            if (dp[i].spec.id[0] && !strcmp(dp[i].spec.id, dp[j].spec.id)) {
                snprintf(err, errlen, "-drive %s: duplicate id '%s'", drives[i],
                         dp[i].spec.id);
                goto out;
            }
    }
    /* QEMU's order: -device options first, then the if=virtio drives. */
    for (unsigned i = 0; i < ndevices; i++)
        if (!blk_parse_device(devices[i], dp, ndrives, out, max_out, nout, err, errlen))
            goto out;
    for (unsigned i = 0; i < ndrives; i++) {
        /* A drive with no if= that no -device took gets the machine's
         * default interface, virtio (QEMU's virt does the same), so
         * `-drive file=disk.img,format=raw` alone gives a disk. */
        if (dp[i].iface == DRIVE_IF_VIRTIO ||
            (dp[i].iface == DRIVE_IF_UNSET && !dp[i].used)) {
            VirtioDevSpec spec;
            memset(&spec, 0, sizeof(spec));
            spec.kind = VIRTIO_DEV_BLK;
            spec.blk = dp[i].spec;
            dp[i].used = true;
            if (!blk_push_spec(out, max_out, nout, &spec, "-drive", drives[i], err, errlen))
                goto out;
        } else if (!dp[i].used) {
            snprintf(err, errlen,
                     "-drive %s: if=none but not used by any device (add "
                     "-device virtio-blk-device,drive=ID with its id=)",
                     drives[i]);
            goto out;
        }
    }
    ok = true;
out:
    free(dp);
    return ok;
}

bool virtio_attach_slots(Machine *m, const VirtioDevSpec *specs, unsigned nspecs,
                         const IrqLine *irqs, char *err, size_t errlen)
{
    for (unsigned slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
        uint64_t base = virtio_mmio_slot_base(slot);
        const VirtioDevSpec *spec = NULL;
        for (unsigned i = 0; i < nspecs; i++)
            if (virtio_slot_for(i) == (int)slot)
                spec = &specs[i];
        bool ok;
        if (!spec)
            ok = virtio_mmio_new(m, base, irqs[slot], NULL, NULL, err, errlen) != NULL;
        else if (spec->kind == VIRTIO_DEV_BLK)
            ok = virtio_blk_new(m, base, irqs[slot], &spec->blk, err, errlen) != NULL;
        else if (spec->kind == VIRTIO_DEV_NET)
            ok = virtio_net_new(m, base, irqs[slot], &spec->nic, spec->nic_index, err,
                                errlen) != NULL;
        else
            ok = virtio_rng_new(m, base, irqs[slot], err, errlen) != NULL;
        if (!ok)
            return false;
    }
    return true;
}
