/* virtio-net over virtio-mmio (virtio 1.x): one receive and one transmit
 * queue, a MAC address and a link that is always up (VIRTIO_NET_F_MAC,
 * VIRTIO_NET_F_STATUS); no offloads, no merged receive buffers, no
 * control queue.
 *
 * Receive: frames arrive through the replay interface (EV_NET_RX, source
 * = the NIC's index), at input points, into a queue that is part of the
 * device's state (checkpoints save it), and go to the driver's receive
 * buffers as it posts them. Transmit: each frame the driver queues goes
 * through replay_net_output (logged when recording, compared with the
 * recording when replaying) and then to the backend (libslirp; none in a
 * replay). */
#ifndef REWIND_DEVICES_VIRTIO_NET_H
#define REWIND_DEVICES_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"
#include "devices/netdev.h"

struct Machine;

/* Feature bits (virtio 1.x, 5.1.3). */
enum {
    VIRTIO_NET_F_MAC = 5,
    VIRTIO_NET_F_STATUS = 16,
};

enum {
    VIRTIO_NET_S_LINK_UP = 1,
    /* struct virtio_net_hdr with num_buffers: 12 bytes with VERSION_1. */
    VIRTIO_NET_HDR_LEN = 12,
    /* Frames waiting for receive buffers, at most (more are dropped, as a
     * full NIC does; TCP recovers). */
    VIRTIO_NET_RX_QUEUE_MAX = 4096,
    /* The longest frame accepted either way (no TSO: MTU 1500 + header,
     * with room to spare). */
    VIRTIO_NET_FRAME_MAX = 65536,
};

typedef struct VirtioNet VirtioNet;

/* Create the device at base with irq for NIC number nic_index: starts the
 * user-mode backend (binding its forwarded ports) unless the machine
 * replays. NULL with a message naming the option at fault. */
VirtioNet *virtio_net_new(struct Machine *m, uint64_t base, IrqLine irq,
                          const NetNicSpec *spec, unsigned nic_index, char *err,
                          size_t errlen);

#endif
