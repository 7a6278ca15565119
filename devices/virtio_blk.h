/* virtio-blk over virtio-mmio: a raw image file as a disk, with an
 * optional in-memory overlay (snapshot=on) that keeps the file unchanged.
 * I/O is synchronous (pread/pwrite at notify time, no host threads) so that
 * completion order is deterministic.
 *
 * This module also parses the virtio part of the command line (-drive and
 * -device), since -drive is block-specific and -device orders all virtio
 * devices (rng included) into their transport slots. */
#ifndef REWIND_DEVICES_VIRTIO_BLK_H
#define REWIND_DEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"
#include "devices/netdev.h"

struct Machine;

/* VIRTIO_BLK_ID_BYTES: the GET_ID serial string length. */
enum { VIRTIO_BLK_SERIAL_LEN = 20, VIRTIO_BLK_SECTOR = 512 };

/* One block device, as parsed from the command line. */
typedef struct BlkDriveSpec {
    char file[1024];
    char id[64];                               /* "" when none */
    char serial[VIRTIO_BLK_SERIAL_LEN + 1];    /* GET_ID answer, "" default */
    bool snapshot;                             /* writes go to memory */
    bool readonly;                             /* writes fail, F_RO offered */
} BlkDriveSpec;

typedef enum { VIRTIO_DEV_BLK = 1, VIRTIO_DEV_RNG = 2, VIRTIO_DEV_NET = 3 } VirtioDevKind;

/* One virtio device to create, in creation order: the i-th goes into slot
 * virtio_slot_for(i) (devices/virtio_mmio.h). */
typedef struct VirtioDevSpec {
    VirtioDevKind kind;
    BlkDriveSpec blk; /* kind == VIRTIO_DEV_BLK */
    NetNicSpec nic;   /* kind == VIRTIO_DEV_NET: netdev resolved by netdev_resolve */
    unsigned nic_index; /* kind == VIRTIO_DEV_NET: its number among the NICs */
} VirtioDevSpec;

/* Parse and cross-check every -drive and -device option:
 *   -drive file=IMG[,format=raw][,if=virtio|none][,id=ID][,snapshot=on|off]
 *          [,readonly=on|off][,serial=S][,media=disk]
 *   -device virtio-blk-device,drive=ID[,serial=S][,id=X]
 *   -device virtio-rng-device[,id=X]
 * (",," in a value is a literal comma, as in QEMU). Errors name the option:
 * unknown keys or devices, a format other than raw, an image that cannot be
 * opened ("-drive file=x.img: No such file or directory"), a drive no device
 * uses, a device naming an unknown or already used drive, more than
 * VIRTIO_MMIO_SLOTS devices. Order (as QEMU's virt): the -device options in
 * command-line order, then the if=virtio drives in command-line order.
 * out must hold max_out entries. */
bool virtio_blk_parse_drives(const char *const *drives, unsigned ndrives,
                             const char *const *devices, unsigned ndevices,
                             VirtioDevSpec *out, unsigned max_out,
                             unsigned *nout, char *err, size_t errlen);

typedef struct VirtioBlk VirtioBlk;

/* Open the image (O_RDWR unless snapshot or readonly), size it, and create
 * its transport at base. Returns NULL with a message naming the file on
 * failure. The machine owns the result (freed on machine_free). */
VirtioBlk *virtio_blk_new(struct Machine *m, uint64_t base, IrqLine irq,
                          const BlkDriveSpec *spec, char *err, size_t errlen);

/* Disk size in 512-byte sectors (the config space's capacity). */
uint64_t virtio_blk_capacity(const VirtioBlk *b);

/* Create the transports of all VIRTIO_MMIO_SLOTS slots of the virt
 * machine: specs[i] in slot virtio_slot_for(i), empty transports in the
 * others. irqs[slot] is the line of slot `slot` (PLIC source 1 + slot).
 * Returns false with a message on the first failure. */
bool virtio_attach_slots(struct Machine *m, const VirtioDevSpec *specs,
                         unsigned nspecs, const IrqLine *irqs,
                         char *err, size_t errlen);

#endif
