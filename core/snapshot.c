/* Machine checkpoints: harts, clock, schedule, devices, and RAM pages
 * shared between checkpoints by reference count. */
#include "core/snapshot.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/machine.h"
#include "translator/tb_cache.h"

enum { SNAP_PAGE_SIZE = 4096, SNAP_NAME_LEN = 40 };

/* One saved RAM page; NULL in a page table stands for a page of zeros. */
typedef struct SnapPage {
    uint64_t refs;
    uint8_t data[SNAP_PAGE_SIZE];
} SnapPage;

static const uint8_t snap_zero_page[SNAP_PAGE_SIZE];

typedef struct SnapDevice {
    char name[SNAP_NAME_LEN];
    void *state;
    size_t len;
    void (*release)(void *buf, size_t len);
} SnapDevice;

struct Snapshot {
    uint64_t ram_size, npages;
    unsigned nharts, ndevices;
    HartArch harts[MACHINE_MAX_HARTS];
    uint64_t mtime_skipped, next_digest;
    unsigned sched_hart;
    uint64_t sched_done;
    bool sched_progress, reset_requested;
    ChaosState sched_chaos;
    StopReason stop;
    int exit_code;
    uint8_t *dirty_bitmap;
    SnapPage **pages;
    SnapDevice devices[MACHINE_MAX_DEVICES];
    size_t bytes;
    size_t page_bytes; /* the part of bytes that is RAM pages */
};

/* The pages of the last snapshot taken or restored on a machine: the
 * baseline the next one is compared with. It is a device record of the
 * machine (no state; free and reset hooks) so that it goes with the
 * machine. */
typedef struct SnapBase {
    uint64_t npages;
    SnapPage **pages;
    /* RAM equals `pages` except in the pages marked in mem.snap_bitmap.
     * False until the first take or restore, and again from a machine
     * reset (which clears RAM and loads images without marking): RAM is
     * then compared in full. */
    bool valid;
} SnapBase;

/* Bytes of saved pages alive in the process (snapshot_pages_in_use). The
 * engine takes and frees snapshots on one thread. */
static uint64_t snap_pages_live;

static SnapPage *snap_page_new(void)
{
    SnapPage *p = malloc(sizeof(*p));
    if (p) {
        p->refs = 1;
        snap_pages_live += sizeof(*p);
    }
    return p;
}

static void snap_page_unref(SnapPage *p)
{
    if (p && --p->refs == 0) {
        snap_pages_live -= sizeof(*p);
        free(p);
    }
}

uint64_t snapshot_pages_in_use(void)
{
    return snap_pages_live;
}

static SnapPage *snap_page_ref(SnapPage *p)
{
    if (p)
        p->refs++;
    return p;
}

static void snap_base_reset(void *opaque)
{
    SnapBase *b = opaque;
    b->valid = false;
}

static void snap_base_free(void *opaque)
{
    SnapBase *b = opaque;
    for (uint64_t i = 0; i < b->npages; i++)
        snap_page_unref(b->pages[i]);
    free(b->pages);
    free(b);
}

/* The machine's baseline, created on first use; NULL when that fails
 * (snapshots then just share nothing). */
static SnapBase *snap_base(Machine *m)
{
    for (unsigned i = 0; i < m->ndevices; i++)
        if (m->devices[i].free == snap_base_free)
            return m->devices[i].opaque;
    SnapBase *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->npages = m->mem.ram_size / SNAP_PAGE_SIZE;
    b->pages = calloc(b->npages ? b->npages : 1, sizeof(*b->pages));
    MachineDevice dev = {
        .name = "snapshot-base", .opaque = b, .reset = snap_base_reset, .free = snap_base_free,
    };
    if (!b->pages || !machine_add_device(m, &dev)) {
        free(b->pages);
        free(b);
        return NULL;
    }
    return b;
}

void snapshot_ram_replaced(Machine *m)
{
    for (unsigned i = 0; i < m->ndevices; i++)
        if (m->devices[i].free == snap_base_free)
            snap_base_reset(m->devices[i].opaque);
}

static bool snap_page_marked(const Memory *mem, uint64_t page)
{
    return (mem->snap_bitmap[page >> 3] >> (page & 7)) & 1;
}

/* Is RAM's page i known to equal the baseline's? Only an unmarked page of
 * a valid baseline is. */
static bool snap_page_unchanged(const Memory *mem, const SnapBase *b, uint64_t i)
{
    return b && b->valid && !snap_page_marked(mem, i);
}

/* Devices whose registers sit inside RAM (HTIF's words) write those pages
 * from their callbacks, which need not mark them: count the pages as
 * written so that they are always compared. The digest's map is left
 * alone. */
static void snap_mark_device_pages(Memory *mem)
{
    uint64_t ram_end = mem->ram_base + mem->ram_size;
    for (unsigned i = 0; i < mem->nregions; i++) {
        const MmioRegion *r = &mem->regions[i];
        uint64_t lo = r->base > mem->ram_base ? r->base : mem->ram_base;
        uint64_t hi = r->base + r->size < ram_end ? r->base + r->size : ram_end;
        if (lo >= hi)
            continue; /* outside RAM */
        for (uint64_t pa = lo & ~(uint64_t)(SNAP_PAGE_SIZE - 1); pa < hi; pa += SNAP_PAGE_SIZE) {
            uint64_t page = (pa - mem->ram_base) / SNAP_PAGE_SIZE;
            mem->snap_bitmap[page >> 3] |= (uint8_t)(1u << (page & 7));
        }
    }
}

/* RAM now equals `pages` (a take or a restore just ended): make them the
 * baseline and start a new window of written pages. */
static void snap_base_set(Machine *m, SnapBase *b, SnapPage *const *pages)
{
    if (!b)
        return;
    for (uint64_t i = 0; i < b->npages; i++)
        if (b->pages[i] != pages[i]) {
            snap_page_unref(b->pages[i]);
            b->pages[i] = snap_page_ref(pages[i]);
        }
    b->valid = true;
    memset(m->mem.snap_bitmap, 0, (b->npages + 7) / 8);
    /* Stores through a write entry filled before now would not mark their
     * page again: drop the entries so that the next store refills (and
     * marks). */
    for (unsigned i = 0; i < m->nharts; i++)
        hart_tlb_drop_writes(&m->harts[i], TLB_INVALID);
}

static const uint8_t *snap_page_bytes(const SnapPage *p)
{
    return p ? p->data : snap_zero_page;
}

void snapshot_free(Snapshot *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->ndevices; i++) {
        SnapDevice *d = &s->devices[i];
        if (d->release && d->state)
            d->release(d->state, d->len);
        free(d->state);
    }
    if (s->pages)
        for (uint64_t i = 0; i < s->npages; i++)
            snap_page_unref(s->pages[i]);
    free(s->pages);
    free(s->dirty_bitmap);
    free(s);
}

static bool snap_take_ram(Machine *m, Snapshot *s)
{
    Memory *mem = &m->mem;
    s->npages = mem->ram_size / SNAP_PAGE_SIZE;
    size_t bitmap_len = (s->npages + 7) / 8;
    s->pages = calloc(s->npages ? s->npages : 1, sizeof(*s->pages));
    s->dirty_bitmap = malloc(bitmap_len ? bitmap_len : 1);
    if (!s->pages || !s->dirty_bitmap)
        return false;
    memcpy(s->dirty_bitmap, mem->dirty_bitmap, bitmap_len);
    s->bytes += s->npages * sizeof(*s->pages) + bitmap_len;
    SnapBase *b = snap_base(m);
    snap_mark_device_pages(mem);
    for (uint64_t i = 0; i < s->npages; i++) {
        const uint8_t *ram = mem->ram + i * SNAP_PAGE_SIZE;
        SnapPage *base = b ? b->pages[i] : NULL;
        /* Unchanged since the baseline (not written, or written back to
         * the same bytes): share its page. */
        if (snap_page_unchanged(mem, b, i) ||
            memcmp(ram, snap_page_bytes(base), SNAP_PAGE_SIZE) == 0) {
            s->pages[i] = snap_page_ref(base);
            continue;
        }
        if (memcmp(ram, snap_zero_page, SNAP_PAGE_SIZE) == 0)
            continue; /* NULL: zeros */
        SnapPage *p = snap_page_new();
        if (!p)
            return false;
        memcpy(p->data, ram, SNAP_PAGE_SIZE);
        s->pages[i] = p;
        s->bytes += sizeof(*p);
        s->page_bytes += sizeof(*p);
    }
    snap_base_set(m, b, s->pages);
    return true;
}

static bool snap_take_devices(Machine *m, Snapshot *s)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save)
            continue;
        SnapDevice *d = &s->devices[s->ndevices++];
        snprintf(d->name, sizeof(d->name), "%s", md->name ? md->name : "");
        size_t len = md->save(md->opaque, NULL, 0);
        d->state = malloc(len ? len : 1);
        if (!d->state)
            return false;
        if (md->save(md->opaque, d->state, len) != len) {
            free(d->state); /* the state grew between the calls: a bug */
            d->state = NULL;
            return false;
        }
        d->len = len;
        d->release = md->release;
        s->bytes += len;
    }
    return true;
}

Snapshot *snapshot_take(Machine *m)
{
    Snapshot *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->bytes = sizeof(*s);
    s->ram_size = m->mem.ram_size;
    s->nharts = m->nharts;
    for (unsigned i = 0; i < m->nharts; i++)
        hart_arch_get(&m->harts[i], &s->harts[i]);
    s->mtime_skipped = m->mtime_skipped;
    s->next_digest = m->next_digest;
    s->sched_hart = m->sched.hart;
    s->sched_done = m->sched.done;
    s->sched_progress = m->sched.progress;
    s->sched_chaos = m->sched.chaos;
    s->reset_requested = m->reset_requested;
    s->stop = m->stop;
    s->exit_code = m->exit_code;
    if (!snap_take_devices(m, s) || !snap_take_ram(m, s)) {
        snapshot_free(s);
        return NULL;
    }
    return s;
}

/* Does s fit m? (checked before anything is changed) */
static bool snap_check(const Machine *m, const Snapshot *s, char *err, size_t errlen)
{
    if (s->ram_size != m->mem.ram_size || s->nharts != m->nharts) {
        snprintf(err, errlen, "snapshot of a machine with %u harts and %llu bytes of RAM, "
                 "machine has %u and %llu", s->nharts, (unsigned long long)s->ram_size,
                 m->nharts, (unsigned long long)m->mem.ram_size);
        return false;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save)
            continue;
        if (k == s->ndevices || strncmp(s->devices[k].name, md->name ? md->name : "",
                                        SNAP_NAME_LEN - 1) != 0) {
            snprintf(err, errlen, "snapshot devices differ from the machine's (at %s)",
                     md->name ? md->name : "?");
            return false;
        }
        k++;
    }
    if (k != s->ndevices) {
        snprintf(err, errlen, "snapshot has %u devices with state, machine has %u",
                 s->ndevices, k);
        return false;
    }
    return true;
}

bool snapshot_restore(Machine *m, const Snapshot *s, char *err, size_t errlen)
{
    if (!snap_check(m, s, err, errlen))
        return false;
    Memory *mem = &m->mem;
    SnapBase *b = snap_base(m);
    snap_mark_device_pages(mem);
    for (uint64_t i = 0; i < s->npages; i++) {
        /* A page not written since the baseline and saved as the very
         * page the baseline holds (pages never change once saved) is
         * already right. */
        if (snap_page_unchanged(mem, b, i) && s->pages[i] == b->pages[i])
            continue;
        uint8_t *ram = mem->ram + i * SNAP_PAGE_SIZE;
        const uint8_t *src = snap_page_bytes(s->pages[i]);
        /* Comparing first keeps the untouched pages' cache lines clean. */
        if (memcmp(ram, src, SNAP_PAGE_SIZE) != 0)
            memcpy(ram, src, SNAP_PAGE_SIZE);
    }
    memcpy(mem->dirty_bitmap, s->dirty_bitmap, (s->npages + 7) / 8);
    snap_base_set(m, b, s->pages);
    /* The code in RAM changed under the translation cache. */
    tb_cache_flush(m);
    for (unsigned i = 0; i < m->nharts; i++)
        hart_arch_set(&m->harts[i], &s->harts[i]);
    m->mtime_skipped = s->mtime_skipped;
    m->next_digest = s->next_digest;
    m->sched.hart = s->sched_hart;
    m->sched.done = s->sched_done;
    m->sched.progress = s->sched_progress;
    m->sched.chaos = s->sched_chaos;
    m->reset_requested = s->reset_requested;
    m->stop = s->stop;
    m->exit_code = s->exit_code;
    if (m->stop == STOP_NONE)
        m->error[0] = 0;
    unsigned k = 0;
    for (unsigned i = 0; i < m->ndevices; i++) {
        const MachineDevice *md = &m->devices[i];
        if (!md->save)
            continue;
        const SnapDevice *d = &s->devices[k++];
        if (!md->load || !md->load(md->opaque, d->state, d->len)) {
            snprintf(err, errlen, "device %s refused its saved state", d->name);
            return false;
        }
    }
    return true;
}

size_t snapshot_bytes(const Snapshot *s)
{
    return s ? s->bytes : 0;
}

size_t snapshot_own_bytes(const Snapshot *s)
{
    return s ? s->bytes - s->page_bytes : 0;
}
