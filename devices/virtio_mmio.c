/* virtio-mmio version 2 transport and split virtqueues. */
#include "devices/virtio_mmio.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "core/snapshot.h"
#include "core/memory.h"
#include "translator/tb_cache.h"

/* Avail ring flag: the driver does not want used-buffer interrupts. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

typedef struct VirtioQueue {
    uint32_t num;          /* QueueNum as written by the driver */
    bool ready;
    uint64_t desc, avail, used;
    uint16_t last_avail;   /* next avail ring entry to consume */
    uint16_t used_idx;     /* our copy of used->idx */
} VirtioQueue;

struct VirtioMmio {
    Machine *m;
    uint64_t base;
    IrqLine irq;
    const VirtioDeviceOps *dev; /* NULL: empty slot */
    void *dev_opaque;
    uint32_t status;
    uint32_t int_status;
    uint32_t dev_features_sel, drv_features_sel;
    uint32_t queue_sel;
    uint32_t shm_sel;
    uint32_t config_gen;
    uint64_t driver_features;
    bool broken; /* malformed driver data seen: queues ignored until reset */
    VirtioQueue q[VIRTIO_MAX_QUEUES];
    char name[40];
};

/* Guest memory is little-endian; assemble values byte by byte so that the
 * code does not depend on the host's byte order or alignment. */
static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint64_t ld64(const uint8_t *p) { return ld32(p) | (uint64_t)ld32(p + 4) << 32; }
static void st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int virtio_slot_for(unsigned index)
{
    if (index >= VIRTIO_MMIO_SLOTS)
        return -1;
    return (int)(VIRTIO_MMIO_SLOTS - 1 - index);
}

Machine *virtio_mmio_machine(VirtioMmio *vm) { return vm->m; }
uint32_t virtio_mmio_status(const VirtioMmio *vm) { return vm->status; }
uint32_t virtio_mmio_interrupt_status(const VirtioMmio *vm) { return vm->int_status; }
uint64_t virtio_mmio_driver_features(const VirtioMmio *vm) { return vm->driver_features; }

static uint64_t virtio_offered_features(const VirtioMmio *vm)
{
    if (!vm->dev)
        return 0;
    return vm->dev->features | 1ull << VIRTIO_F_VERSION_1 |
           1ull << VIRTIO_F_INDIRECT_DESC;
}

static void virtio_update_irq(VirtioMmio *vm)
{
    irq_set(&vm->irq, vm->int_status != 0);
}

static void virtio_raise(VirtioMmio *vm, uint32_t bits)
{
    vm->int_status |= bits;
    virtio_update_irq(vm);
}

void virtio_mmio_set_broken(VirtioMmio *vm, const char *fmt, ...)
{
    if (LOG_ON(&vm->m->log, LOG_UNIMP)) {
        FILE *out = vm->m->log.out ? vm->m->log.out : stderr;
        va_list ap;
        va_start(ap, fmt);
        fprintf(out, "%s: guest error: ", vm->name);
        vfprintf(out, fmt, ap);
        fprintf(out, " (device needs reset)\n");
        va_end(ap);
    }
    vm->broken = true;
    vm->status |= VIRTIO_STATUS_NEEDS_RESET;
    virtio_raise(vm, VIRTIO_INT_CONFIG);
}

void virtio_config_changed(VirtioMmio *vm)
{
    vm->config_gen++;
    virtio_raise(vm, VIRTIO_INT_CONFIG);
}

/* Back to the state after power-on: driver state gone, line low. */
static void virtio_mmio_reset(VirtioMmio *vm)
{
    vm->status = 0;
    vm->int_status = 0;
    vm->dev_features_sel = vm->drv_features_sel = 0;
    vm->queue_sel = 0;
    vm->shm_sel = 0;
    vm->driver_features = 0;
    vm->broken = false;
    memset(vm->q, 0, sizeof(vm->q));
    if (vm->dev) {
        for (unsigned i = 0; i < vm->dev->nqueues; i++)
            vm->q[i].num = vm->dev->queue_max;
        if (vm->dev->reset)
            vm->dev->reset(vm->dev_opaque);
    }
    virtio_update_irq(vm);
}

/* A device wrote [pa, pa+len) of guest RAM: translated code there is stale. */
static void virtio_dma_written(VirtioMmio *vm, uint64_t pa, uint64_t len)
{
    machine_ram_written(vm->m, pa, len);
}

static VirtioQueue *virtio_cur_queue(VirtioMmio *vm)
{
    if (!vm->dev || vm->queue_sel >= vm->dev->nqueues)
        return NULL;
    return &vm->q[vm->queue_sel];
}

static void virtio_set_queue_ready(VirtioMmio *vm, VirtioQueue *vq, bool ready)
{
    if (!ready) {
        vq->ready = false;
        return;
    }
    if (vq->ready)
        return;
    uint32_t n = vq->num;
    if (n == 0 || n > vm->dev->queue_max || (n & (n - 1))) {
        virtio_mmio_set_broken(vm, "queue %u: bad QueueNum %u", vm->queue_sel, n);
        return;
    }
    vq->ready = true;
    vq->last_avail = 0;
    vq->used_idx = 0;
}

static void virtio_write_status(VirtioMmio *vm, uint32_t val)
{
    if (val == 0) {
        virtio_mmio_reset(vm);
        return;
    }
    uint32_t old = vm->status;
    if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
        uint64_t f = vm->driver_features;
        /* Refusing FEATURES_OK (it does not read back) is how the device
         * says the driver's feature set is unacceptable. */
        if ((f & ~virtio_offered_features(vm)) ||
            !(f & 1ull << VIRTIO_F_VERSION_1)) {
            log_printf(&vm->m->log, LOG_UNIMP,
                       "%s: driver features %#llx refused\n", vm->name,
                       (unsigned long long)f);
            val &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        } else if (vm->dev->set_features) {
            vm->dev->set_features(vm->dev_opaque, f);
        }
    }
    /* NEEDS_RESET is the device's to set; only a reset clears it. */
    vm->status = (val & 0xff) | (old & VIRTIO_STATUS_NEEDS_RESET);
}

static uint32_t virtio_reg_read(VirtioMmio *vm, uint64_t off)
{
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION:
        return 2;
    case VIRTIO_MMIO_VENDOR:
        return VIRTIO_MMIO_VENDOR_ID;
    }
    if (!vm->dev)
        return 0; /* empty slot: DeviceID 0 and nothing else */
    VirtioQueue *vq = virtio_cur_queue(vm);
    switch (off) {
    case VIRTIO_MMIO_DEVICE_ID:
        return vm->dev->device_id;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (vm->dev_features_sel > 1)
            return 0;
        return (uint32_t)(virtio_offered_features(vm) >> (32 * vm->dev_features_sel));
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return vq ? vm->dev->queue_max : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return vq ? vq->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return vm->int_status;
    case VIRTIO_MMIO_STATUS:
        return vm->status;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
        return 0xffffffffu; /* no shared memory regions: length -1 */
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH:
        return 0xffffffffu;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return vm->config_gen;
    }
    log_printf(&vm->m->log, LOG_UNIMP, "%s: read of write-only or unknown register %#llx\n",
               vm->name, (unsigned long long)off);
    return 0;
}

static void virtio_set_half(uint64_t *v, bool high, uint32_t val)
{
    if (high)
        *v = (*v & 0xffffffffull) | (uint64_t)val << 32;
    else
        *v = (*v & ~0xffffffffull) | val;
}

static void virtio_reg_write(VirtioMmio *vm, uint64_t off, uint32_t val)
{
    if (!vm->dev)
        return;
    VirtioQueue *vq = virtio_cur_queue(vm);
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        vm->dev_features_sel = val;
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (vm->drv_features_sel <= 1 && !(vm->status & VIRTIO_STATUS_FEATURES_OK))
            virtio_set_half(&vm->driver_features, vm->drv_features_sel, val);
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        vm->drv_features_sel = val;
        return;
    case VIRTIO_MMIO_QUEUE_SEL:
        vm->queue_sel = val;
        return;
    case VIRTIO_MMIO_QUEUE_NUM:
        if (vq && !vq->ready)
            vq->num = val;
        return;
    case VIRTIO_MMIO_QUEUE_READY:
        if (vq)
            virtio_set_queue_ready(vm, vq, val & 1);
        return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (val < vm->dev->nqueues && vm->q[val].ready && !vm->broken &&
            (vm->status & VIRTIO_STATUS_DRIVER_OK) && vm->dev->queue_notify)
            vm->dev->queue_notify(vm->dev_opaque, vm, val);
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        vm->int_status &= ~val;
        virtio_update_irq(vm);
        return;
    case VIRTIO_MMIO_STATUS:
        virtio_write_status(vm, val);
        return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        if (vq && !vq->ready)
            virtio_set_half(&vq->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
        return;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        if (vq && !vq->ready)
            virtio_set_half(&vq->avail, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
        return;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if (vq && !vq->ready)
            virtio_set_half(&vq->used, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
        return;
    case VIRTIO_MMIO_SHM_SEL:
        vm->shm_sel = val;
        return;
    }
    log_printf(&vm->m->log, LOG_UNIMP, "%s: write of read-only or unknown register %#llx\n",
               vm->name, (unsigned long long)off);
}

static bool virtio_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    VirtioMmio *vm = opaque;
    *val = 0;
    if (off >= VIRTIO_MMIO_CONFIG) {
        uint64_t coff = off - VIRTIO_MMIO_CONFIG;
        if (vm->dev && vm->dev->config_read && coff + size <= vm->dev->config_size)
            *val = vm->dev->config_read(vm->dev_opaque, (uint32_t)coff, size);
        return true;
    }
    /* Registers are 32-bit wide and accessed as such (spec 4.2.2.2). */
    if (size != 4 || (off & 3)) {
        log_printf(&vm->m->log, LOG_UNIMP, "%s: %u-byte read at %#llx\n",
                   vm->name, size, (unsigned long long)off);
        return true;
    }
    *val = virtio_reg_read(vm, off);
    return true;
}

static bool virtio_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    VirtioMmio *vm = opaque;
    if (off >= VIRTIO_MMIO_CONFIG) {
        uint64_t coff = off - VIRTIO_MMIO_CONFIG;
        if (vm->dev && vm->dev->config_write && coff + size <= vm->dev->config_size)
            vm->dev->config_write(vm->dev_opaque, (uint32_t)coff, size, val);
        return true;
    }
    if (size != 4 || (off & 3)) {
        log_printf(&vm->m->log, LOG_UNIMP, "%s: %u-byte write at %#llx\n",
                   vm->name, size, (unsigned long long)off);
        return true;
    }
    virtio_reg_write(vm, off, (uint32_t)val);
    return true;
}

const MmioOps virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
};

/* ---- split virtqueues ---- */

static uint8_t *virtio_guest(VirtioMmio *vm, uint64_t pa, uint64_t len)
{
    return memory_ram_ptr(&vm->m->mem, pa, len);
}

static bool virtio_add_seg(VirtioMmio *vm, VirtqReq *req, uint64_t addr,
                           uint32_t len, bool writable)
{
    if (len == 0)
        return true;
    if (!virtio_guest(vm, addr, len)) {
        virtio_mmio_set_broken(vm, "buffer %#llx+%u outside RAM",
                               (unsigned long long)addr, len);
        return false;
    }
    /* The walk's step bound lets an indirect descriptor and a full table
     * through (VIRTIO_QUEUE_MAX + 1 steps), and a loop as far: the
     * segments themselves must fit the request's arrays. */
    if (req->nin + req->nout >= VIRTIO_QUEUE_MAX) {
        virtio_mmio_set_broken(vm, "descriptor chain of more than %u buffers",
                               (unsigned)VIRTIO_QUEUE_MAX);
        return false;
    }
    if (writable) {
        req->in[req->nin++] = (VirtqSeg){ addr, len };
        req->in_len += len;
    } else {
        if (req->nin) {
            virtio_mmio_set_broken(vm, "device-readable descriptor after a writable one");
            return false;
        }
        req->out[req->nout++] = (VirtqSeg){ addr, len };
        req->out_len += len;
    }
    return true;
}

/* Walk the chain from head (through at most one indirect table). */
static bool virtio_walk_chain(VirtioMmio *vm, VirtioQueue *vq, uint16_t head,
                              VirtqReq *req)
{
    const uint8_t *table = virtio_guest(vm, vq->desc, 16ull * vq->num);
    if (!table) {
        virtio_mmio_set_broken(vm, "descriptor table %#llx outside RAM",
                               (unsigned long long)vq->desc);
        return false;
    }
    uint32_t tsize = vq->num, idx = head;
    bool indirect = false;
    /* Every descriptor counts, so a loop in the chain ends here too. */
    for (unsigned steps = 0;; steps++) {
        if (idx >= tsize || steps > VIRTIO_QUEUE_MAX) {
            virtio_mmio_set_broken(vm, idx >= tsize ? "descriptor index %u out of range"
                                                    : "descriptor chain too long at %u",
                                   idx);
            return false;
        }
        const uint8_t *d = table + 16 * idx;
        uint64_t addr = ld64(d);
        uint32_t len = ld32(d + 8);
        uint16_t flags = ld16(d + 12), next = ld16(d + 14);
        if (flags & VIRTQ_DESC_F_INDIRECT) {
            if (indirect || (flags & VIRTQ_DESC_F_NEXT) || len == 0 || len % 16 ||
                len / 16 > VIRTIO_QUEUE_MAX) {
                virtio_mmio_set_broken(vm, "bad indirect descriptor (len %u flags %#x)",
                                       len, flags);
                return false;
            }
            table = virtio_guest(vm, addr, len);
            if (!table) {
                virtio_mmio_set_broken(vm, "indirect table %#llx outside RAM",
                                       (unsigned long long)addr);
                return false;
            }
            tsize = len / 16;
            idx = 0;
            indirect = true;
            continue;
        }
        if (!virtio_add_seg(vm, req, addr, len, flags & VIRTQ_DESC_F_WRITE))
            return false;
        if (!(flags & VIRTQ_DESC_F_NEXT))
            return true;
        idx = next;
    }
}

int virtio_queue_pop(VirtioMmio *vm, unsigned q, VirtqReq *req)
{
    if (vm->broken || !vm->dev || q >= vm->dev->nqueues || !vm->q[q].ready)
        return 0;
    VirtioQueue *vq = &vm->q[q];
    const uint8_t *avail = virtio_guest(vm, vq->avail, 4 + 2ull * vq->num);
    if (!avail) {
        virtio_mmio_set_broken(vm, "available ring %#llx outside RAM",
                               (unsigned long long)vq->avail);
        return -1;
    }
    uint16_t avail_idx = ld16(avail + 2);
    if (avail_idx == vq->last_avail)
        return 0;
    if ((uint16_t)(avail_idx - vq->last_avail) > vq->num) {
        virtio_mmio_set_broken(vm, "avail idx %u runs ahead of %u by more than the queue size",
                               avail_idx, vq->last_avail);
        return -1;
    }
    uint16_t head = ld16(avail + 4 + 2 * (vq->last_avail % vq->num));
    vq->last_avail++;
    req->head = head;
    req->nout = req->nin = 0;
    req->out_len = req->in_len = 0;
    return virtio_walk_chain(vm, vq, head, req) ? 1 : -1;
}

/* Copy between buf and the guest segments of a request, starting `off`
 * bytes into them; stops at the first segment outside RAM. */
static size_t virtio_req_copy(VirtioMmio *vm, const VirtqSeg *segs, unsigned nsegs,
                              uint64_t off, uint8_t *buf, size_t len, bool to_guest)
{
    size_t done = 0;
    for (unsigned i = 0; i < nsegs && done < len; i++) {
        const VirtqSeg *s = &segs[i];
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        size_t n = s->len - off;
        if (n > len - done)
            n = len - done;
        uint8_t *g = virtio_guest(vm, s->addr + off, n);
        if (!g)
            break;
        if (to_guest) {
            memcpy(g, buf + done, n);
            virtio_dma_written(vm, s->addr + off, n);
        } else {
            memcpy(buf + done, g, n);
        }
        done += n;
        off = 0;
    }
    return done;
}

size_t virtio_req_read(VirtioMmio *vm, const VirtqReq *req, uint64_t off,
                       void *buf, size_t len)
{
    return virtio_req_copy(vm, req->out, req->nout, off, buf, len, false);
}

size_t virtio_req_write(VirtioMmio *vm, const VirtqReq *req, uint64_t off,
                        const void *buf, size_t len)
{
    /* The buffer is only read when copying to the guest. */
    return virtio_req_copy(vm, req->in, req->nin, off, (uint8_t *)(uintptr_t)buf,
                           len, true);
}

void virtio_queue_push(VirtioMmio *vm, unsigned q, const VirtqReq *req,
                       uint32_t written)
{
    if (vm->broken || !vm->dev || q >= vm->dev->nqueues || !vm->q[q].ready)
        return;
    VirtioQueue *vq = &vm->q[q];
    uint64_t used_len = 4 + 8ull * vq->num;
    uint8_t *used = virtio_guest(vm, vq->used, used_len);
    const uint8_t *avail = virtio_guest(vm, vq->avail, 4);
    if (!used || !avail) {
        virtio_mmio_set_broken(vm, "used ring %#llx outside RAM",
                               (unsigned long long)vq->used);
        return;
    }
    if (written > req->in_len)
        written = (uint32_t)req->in_len;
    uint8_t *elem = used + 4 + 8 * (vq->used_idx % vq->num);
    st32(elem, req->head);
    st32(elem + 4, written);
    vq->used_idx++;
    /* The element is complete before the index makes it visible. */
    st16(used + 2, vq->used_idx);
    virtio_dma_written(vm, vq->used, used_len);
    if (!(ld16(avail) & VIRTQ_AVAIL_F_NO_INTERRUPT))
        virtio_raise(vm, VIRTIO_INT_USED_BUFFER);
}

/* ---- machine hooks ---- */

static void virtio_mmio_machine_reset(void *opaque)
{
    virtio_mmio_reset(opaque);
}

/* The state: the registers and the queues, from status up to the name
 * (the device model behind saves its own state, if it has any). */
#define VIRTIO_STATE_OFF offsetof(VirtioMmio, status)
#define VIRTIO_STATE_LEN (offsetof(VirtioMmio, name) - VIRTIO_STATE_OFF)

static size_t virtio_mmio_save(void *opaque, void *buf, size_t cap)
{
    return snapshot_save_bytes(buf, cap, (char *)opaque + VIRTIO_STATE_OFF, VIRTIO_STATE_LEN);
}

static bool virtio_mmio_load(void *opaque, const void *buf, size_t len)
{
    VirtioMmio *vm = opaque;
    /* A saved state comes from a file: a ready queue must have a size the
     * driver could have set (virtio_set_queue_ready), or the next pop
     * would divide by zero or walk a table larger than the device's. The
     * bytes are checked in a copy, so a refused state changes nothing. */
    VirtioMmio copy = *vm;
    if (!snapshot_bools_valid(buf, len, offsetof(VirtioMmio, broken) - VIRTIO_STATE_OFF, 1))
        return false;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        if (!snapshot_bools_valid(buf, len, offsetof(VirtioMmio, q[i].ready) - VIRTIO_STATE_OFF,
                                  1))
            return false;
    if (!snapshot_load_bytes((char *)&copy + VIRTIO_STATE_OFF, VIRTIO_STATE_LEN, buf, len))
        return false;
    for (unsigned i = 0; vm->dev && i < vm->dev->nqueues; i++) {
        uint32_t n = copy.q[i].num;
        if (copy.q[i].ready && (n == 0 || n > vm->dev->queue_max || (n & (n - 1))))
            return false;
    }
    return snapshot_load_bytes((char *)opaque + VIRTIO_STATE_OFF, VIRTIO_STATE_LEN, buf, len);
}

static void virtio_mmio_free(void *opaque)
{
    VirtioMmio *vm = opaque;
    if (vm->dev && vm->dev->free)
        vm->dev->free(vm->dev_opaque);
    free(vm);
}

VirtioMmio *virtio_mmio_new(Machine *m, uint64_t base, IrqLine irq,
                            const VirtioDeviceOps *dev, void *dev_opaque,
                            char *err, size_t errlen)
{
    if (dev && (dev->nqueues > VIRTIO_MAX_QUEUES || dev->queue_max == 0 ||
                dev->queue_max > VIRTIO_QUEUE_MAX ||
                (dev->queue_max & (dev->queue_max - 1)))) {
        snprintf(err, errlen, "virtio-mmio: bad queue layout for %s", dev->name);
        if (dev->free)
            dev->free(dev_opaque);
        return NULL;
    }
    VirtioMmio *vm = calloc(1, sizeof(*vm));
    if (!vm) {
        snprintf(err, errlen, "virtio-mmio: out of memory");
        if (dev && dev->free)
            dev->free(dev_opaque);
        return NULL;
    }
    vm->m = m;
    vm->base = base;
    vm->irq = irq;
    vm->dev = dev;
    vm->dev_opaque = dev_opaque;
    snprintf(vm->name, sizeof(vm->name), "virtio-mmio@%#llx", (unsigned long long)base);
    virtio_mmio_reset(vm);

    /* The device record first: from here on machine_free owns vm, even if
     * the MMIO registration below fails. */
    MachineDevice md = {
        .name = vm->name,
        .opaque = vm,
        .reset = virtio_mmio_machine_reset,
        .free = virtio_mmio_free,
        .save = virtio_mmio_save,
        .load = virtio_mmio_load,
    };
    if (!machine_add_device(m, &md)) {
        snprintf(err, errlen, "%s: too many devices", vm->name);
        virtio_mmio_free(vm);
        return NULL;
    }
    if (!memory_add_mmio(&m->mem, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, vm,
                         "virtio-mmio")) {
        snprintf(err, errlen, "%s: address range overlaps another device", vm->name);
        return NULL;
    }
    return vm;
}
