/* virtio-mmio transport, version 2 (virtio 1.x "modern" only), with split
 * virtqueues. The transport owns the register block, the queues and the
 * interrupt; a device model (blk, rng) plugs in through VirtioDeviceOps and
 * consumes requests with virtio_queue_pop / virtio_req_read /
 * virtio_req_write / virtio_queue_push.
 *
 * All guest memory accesses are bounds-checked against RAM: a descriptor or
 * ring outside RAM puts the device in DEVICE_NEEDS_RESET (and raises a
 * configuration-change interrupt) instead of touching host memory. Writes
 * into guest RAM drop translated code in the pages they touch. */
#ifndef REWIND_DEVICES_VIRTIO_MMIO_H
#define REWIND_DEVICES_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"

struct Machine;

/* The virt machine's transports: 8 slots of 4 KiB from 0x10001000, slot i
 * on PLIC source 1 + i. Every slot is mapped; unused ones report device
 * ID 0 (as on QEMU), which drivers skip. */
enum { VIRTIO_MMIO_SLOTS = 8 };
#define VIRTIO_MMIO_BASE 0x10001000ULL
#define VIRTIO_MMIO_STRIDE 0x1000ULL
#define VIRTIO_MMIO_SIZE 0x1000ULL
#define VIRTIO_MMIO_IRQ_BASE 1u

static inline uint64_t virtio_mmio_slot_base(unsigned slot)
{
    return VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE * slot;
}

static inline unsigned virtio_mmio_slot_irq(unsigned slot)
{
    return VIRTIO_MMIO_IRQ_BASE + slot;
}

/* The slot of the index-th virtio device given on the command line
 * (counting from 0, in creation order). Like QEMU's virt, devices fill the
 * slots from the last one downwards: the first device sits at 0x10008000
 * (source 8). Returns -1 when index >= VIRTIO_MMIO_SLOTS. */
int virtio_slot_for(unsigned index);

/* "virt" as the MagicValue register reads it (little-endian "virt"). */
#define VIRTIO_MMIO_MAGIC 0x74726976u
/* Our VendorID: "RWND" in little-endian byte order. */
#define VIRTIO_MMIO_VENDOR_ID 0x444e5752u

/* Device IDs. */
enum {
    VIRTIO_ID_NONE = 0,
    VIRTIO_ID_NET = 1,
    VIRTIO_ID_BLOCK = 2,
    VIRTIO_ID_CONSOLE = 3,
    VIRTIO_ID_RNG = 4,
};

/* Device status bits. */
enum {
    VIRTIO_STATUS_ACKNOWLEDGE = 1,
    VIRTIO_STATUS_DRIVER = 2,
    VIRTIO_STATUS_DRIVER_OK = 4,
    VIRTIO_STATUS_FEATURES_OK = 8,
    VIRTIO_STATUS_NEEDS_RESET = 0x40,
    VIRTIO_STATUS_FAILED = 0x80,
};

/* Transport feature bits (bit numbers). The transport always offers
 * VERSION_1 and INDIRECT_DESC; a driver that does not accept VERSION_1
 * cannot reach FEATURES_OK. */
enum {
    VIRTIO_F_INDIRECT_DESC = 28,
    VIRTIO_F_VERSION_1 = 32,
};

/* InterruptStatus bits. */
enum {
    VIRTIO_INT_USED_BUFFER = 1,
    VIRTIO_INT_CONFIG = 2,
};

/* Register offsets (virtio-mmio version 2). */
enum {
    VIRTIO_MMIO_MAGIC_VALUE = 0x000,
    VIRTIO_MMIO_VERSION = 0x004,
    VIRTIO_MMIO_DEVICE_ID = 0x008,
    VIRTIO_MMIO_VENDOR = 0x00c,
    VIRTIO_MMIO_DEVICE_FEATURES = 0x010,
    VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014,
    VIRTIO_MMIO_DRIVER_FEATURES = 0x020,
    VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024,
    VIRTIO_MMIO_QUEUE_SEL = 0x030,
    VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034,
    VIRTIO_MMIO_QUEUE_NUM = 0x038,
    VIRTIO_MMIO_QUEUE_READY = 0x044,
    VIRTIO_MMIO_QUEUE_NOTIFY = 0x050,
    VIRTIO_MMIO_INTERRUPT_STATUS = 0x060,
    VIRTIO_MMIO_INTERRUPT_ACK = 0x064,
    VIRTIO_MMIO_STATUS = 0x070,
    VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080,
    VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084,
    VIRTIO_MMIO_QUEUE_DRIVER_LOW = 0x090,
    VIRTIO_MMIO_QUEUE_DRIVER_HIGH = 0x094,
    VIRTIO_MMIO_QUEUE_DEVICE_LOW = 0x0a0,
    VIRTIO_MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
    VIRTIO_MMIO_SHM_SEL = 0x0ac,
    VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0,
    VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4,
    VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8,
    VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc,
    VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc,
    VIRTIO_MMIO_CONFIG = 0x100,
};

/* Split-virtqueue descriptor flags. */
enum {
    VIRTQ_DESC_F_NEXT = 1,
    VIRTQ_DESC_F_WRITE = 2,
    VIRTQ_DESC_F_INDIRECT = 4,
};

/* Largest queue a device may offer (QueueNumMax), and so the longest
 * descriptor chain (indirect tables included) a request may have. */
enum { VIRTIO_QUEUE_MAX = 256, VIRTIO_MAX_QUEUES = 8 };

typedef struct VirtioMmio VirtioMmio;

/* One guest buffer of a request. */
typedef struct VirtqSeg {
    uint64_t addr;
    uint32_t len;
} VirtqSeg;

/* A request popped from a queue: its descriptor chain split into the
 * device-readable part (out: driver -> device) and the device-writable part
 * (in: device -> driver), each seen as one byte stream. */
typedef struct VirtqReq {
    uint16_t head; /* descriptor index to hand back in the used ring */
    unsigned nout, nin;
    uint64_t out_len, in_len;
    VirtqSeg out[VIRTIO_QUEUE_MAX];
    VirtqSeg in[VIRTIO_QUEUE_MAX];
} VirtqReq;

/* A device model behind the transport. Hooks may be NULL. */
typedef struct VirtioDeviceOps {
    const char *name;
    uint32_t device_id;
    unsigned nqueues;        /* <= VIRTIO_MAX_QUEUES */
    uint16_t queue_max;      /* QueueNumMax, power of 2, <= VIRTIO_QUEUE_MAX */
    uint64_t features;       /* device-specific features offered */
    uint32_t config_size;    /* bytes of config space from 0x100 */
    /* Config space access; off + size <= config_size is checked by the
     * transport. Size is 1, 2, 4 or 8; values are little-endian. */
    uint64_t (*config_read)(void *opaque, uint32_t off, unsigned size);
    void (*config_write)(void *opaque, uint32_t off, unsigned size, uint64_t val);
    /* The driver notified queue q (ready, and DRIVER_OK set): pop and
     * complete requests now (synchronously, for determinism). */
    void (*queue_notify)(void *opaque, VirtioMmio *vm, unsigned q);
    /* The driver accepted these features (at FEATURES_OK). */
    void (*set_features)(void *opaque, uint64_t features);
    /* Device reset (Status written 0, or machine reset). */
    void (*reset)(void *opaque);
    /* Free the device state (machine teardown). */
    void (*free)(void *opaque);
} VirtioDeviceOps;

/* Create a transport at base (VIRTIO_MMIO_SIZE bytes) raising irq, register
 * its MMIO region and its MachineDevice record. dev == NULL gives an empty
 * slot (DeviceID 0). The transport takes ownership of dev_opaque: it calls
 * dev->free on machine teardown, also when this call fails. Returns NULL
 * with a message in err on failure. */
VirtioMmio *virtio_mmio_new(struct Machine *m, uint64_t base, IrqLine irq,
                            const VirtioDeviceOps *dev, void *dev_opaque,
                            char *err, size_t errlen);

/* The register block, for tests and for a machine that maps it itself. */
extern const struct MmioOps virtio_mmio_ops;

struct Machine *virtio_mmio_machine(VirtioMmio *vm);

/* Pop the next available request of queue q. Returns 1 with *req filled,
 * 0 when the queue is empty (or not ready), -1 when the driver gave a
 * malformed chain: the device is then marked NEEDS_RESET and stops. */
int virtio_queue_pop(VirtioMmio *vm, unsigned q, VirtqReq *req);

/* Copy len bytes at offset off of the request's readable (out) stream to
 * buf, or of buf into its writable (in) stream. Return the bytes copied
 * (short at the end of the stream). Writes invalidate translated code in
 * the guest pages they touch. */
size_t virtio_req_read(VirtioMmio *vm, const VirtqReq *req, uint64_t off,
                       void *buf, size_t len);
size_t virtio_req_write(VirtioMmio *vm, const VirtqReq *req, uint64_t off,
                        const void *buf, size_t len);

/* Hand a request back through the used ring with `written` bytes written
 * to its in stream, and raise the used-buffer interrupt unless the driver
 * suppressed it (VIRTQ_AVAIL_F_NO_INTERRUPT). */
void virtio_queue_push(VirtioMmio *vm, unsigned q, const VirtqReq *req,
                       uint32_t written);

/* Signal a configuration change (ConfigGeneration++, config interrupt). */
void virtio_config_changed(VirtioMmio *vm);

/* The driver's requests are malformed: log it, set NEEDS_RESET, raise the
 * config interrupt and ignore the queues until the next reset. */
void virtio_mmio_set_broken(VirtioMmio *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* State for tests and debugging. */
uint32_t virtio_mmio_status(const VirtioMmio *vm);
uint32_t virtio_mmio_interrupt_status(const VirtioMmio *vm);
uint64_t virtio_mmio_driver_features(const VirtioMmio *vm);

#endif
