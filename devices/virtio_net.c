/* virtio-net: Ethernet frames between the driver's queues and user-mode
 * networking, every received frame an input of the replay interface (see
 * virtio_net.h). */
#include "devices/virtio_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/le.h"
#include "core/machine.h"
#include "core/snapshot.h"
#include "devices/net_slirp.h"
#include "devices/pcap_write.h"
#include "devices/virtio_mmio.h"
#include "replay/replay.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

enum { NET_QUEUE_SIZE = 256, NET_RXQ = 0, NET_TXQ = 1, NET_CONFIG_SIZE = 12 };

typedef struct NetFrame {
    uint32_t len;
    uint8_t *data;
} NetFrame;

struct VirtioNet {
    Machine *m;
    VirtioMmio *vm;
    unsigned index;
    uint8_t mac[6];
    char option[300];
    NetSlirp *backend; /* NULL when replaying */
    FILE *dump;        /* -object filter-dump: the frames both ways, or NULL */
    uint32_t dump_maxlen;
    char dump_file[1024];
    VirtqReq rxreq, txreq;
    uint8_t *txbuf; /* VIRTIO_NET_FRAME_MAX + header */
    /* ---- state (saved in checkpoints) ---- */
    NetFrame rxq[VIRTIO_NET_RX_QUEUE_MAX]; /* ring of frames to receive */
    unsigned rx_head, rx_count;
    uint64_t rx_frames, tx_frames, rx_dropped;
};

static bool net_driver_ready(const VirtioNet *n)
{
    return (virtio_mmio_status(n->vm) & VIRTIO_STATUS_DRIVER_OK) &&
           !(virtio_mmio_status(n->vm) & VIRTIO_STATUS_NEEDS_RESET);
}

static void net_rx_clear(VirtioNet *n)
{
    for (unsigned i = 0; i < n->rx_count; i++)
        free(n->rxq[(n->rx_head + i) % VIRTIO_NET_RX_QUEUE_MAX].data);
    n->rx_head = n->rx_count = 0;
}

/* Hand waiting frames to the buffers the driver posted, one per buffer. */
static void net_rx_flush(VirtioNet *n)
{
    while (n->rx_count && net_driver_ready(n)) {
        int got = virtio_queue_pop(n->vm, NET_RXQ, &n->rxreq);
        if (got != 1)
            return; /* no buffer (wait for the next notify), or broken */
        NetFrame *f = &n->rxq[n->rx_head];
        uint32_t written = 0;
        if (n->rxreq.in_len >= VIRTIO_NET_HDR_LEN + (uint64_t)f->len) {
            uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };
            put16(hdr + 10, 1); /* num_buffers */
            virtio_req_write(n->vm, &n->rxreq, 0, hdr, sizeof(hdr));
            virtio_req_write(n->vm, &n->rxreq, VIRTIO_NET_HDR_LEN, f->data, f->len);
            written = VIRTIO_NET_HDR_LEN + f->len;
            n->rx_frames++;
        } else {
            /* A buffer too small for the frame: the frame is lost (the
             * driver sees an empty buffer, counts an error, goes on). */
            n->rx_dropped++;
            log_printf(&n->m->log, LOG_UNIMP, "virtio-net%u: %u-byte frame dropped: receive "
                       "buffer of %llu bytes\n", n->index, f->len,
                       (unsigned long long)n->rxreq.in_len);
        }
        free(f->data);
        f->data = NULL;
        n->rx_head = (n->rx_head + 1) % VIRTIO_NET_RX_QUEUE_MAX;
        n->rx_count--;
        virtio_queue_push(n->vm, NET_RXQ, &n->rxreq, written);
    }
}

/* -object filter-dump: one frame, stamped with the icount. A write error
 * is reported once and ends the dump (the guest goes on). */
static void net_dump(VirtioNet *n, const uint8_t *buf, size_t len)
{
    if (!n->dump)
        return;
    /* The fast mode has no exact count (the harts' counts are their own
     * threads'): its frames are stamped with the clock (host time) in ns. */
    uint64_t stamp = n->m->mt ? machine_clock_ns(n->m) : machine_icount(n->m);
    if (!pcap_write_frame(n->dump, stamp, buf, len, n->dump_maxlen)) {
        fprintf(stderr, "rewind: filter-dump %s: %s: the dump stops here\n", n->dump_file,
                strerror(errno));
        pcap_close(n->dump);
        n->dump = NULL;
    }
}

/* A frame for the guest, at an input point (replay/replay.h). */
static void net_rx_sink(void *opaque, const uint8_t *buf, size_t len)
{
    VirtioNet *n = opaque;
    net_dump(n, buf, len);
    /* No driver yet, or a full queue: lost, as on a real NIC. Both depend
     * only on the guest's state here, so a replay loses the same ones. */
    if (!net_driver_ready(n) || n->rx_count == VIRTIO_NET_RX_QUEUE_MAX || len == 0 ||
        len > VIRTIO_NET_FRAME_MAX) {
        n->rx_dropped++;
        return;
    }
    uint8_t *copy = malloc(len);
    if (!copy) {
        n->rx_dropped++;
        return;
    }
    memcpy(copy, buf, len);
    NetFrame *f = &n->rxq[(n->rx_head + n->rx_count) % VIRTIO_NET_RX_QUEUE_MAX];
    f->data = copy;
    f->len = (uint32_t)len;
    n->rx_count++;
    net_rx_flush(n);
}

static void net_tx(VirtioNet *n, VirtioMmio *vm)
{
    while (virtio_queue_pop(vm, NET_TXQ, &n->txreq) == 1) {
        uint64_t total = n->txreq.out_len;
        virtio_queue_push(vm, NET_TXQ, &n->txreq, 0);
        if (total <= VIRTIO_NET_HDR_LEN || total > VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX) {
            log_printf(&n->m->log, LOG_UNIMP, "virtio-net%u: transmit request of %llu bytes "
                       "ignored\n", n->index, (unsigned long long)total);
            continue;
        }
        size_t len = (size_t)total - VIRTIO_NET_HDR_LEN;
        virtio_req_read(vm, &n->txreq, VIRTIO_NET_HDR_LEN, n->txbuf, len);
        n->tx_frames++;
        net_dump(n, n->txbuf, len);
        if (replay_net_output(n->m, n->index, n->tx_frames, n->txbuf, len) && n->backend)
            net_slirp_input(n->backend, n->txbuf, len);
    }
}

static void net_queue_notify(void *opaque, VirtioMmio *vm, unsigned q)
{
    VirtioNet *n = opaque;
    if (q == NET_RXQ)
        net_rx_flush(n);
    else if (q == NET_TXQ)
        net_tx(n, vm);
}

static uint64_t net_config_read(void *opaque, uint32_t off, unsigned size)
{
    VirtioNet *n = opaque;
    uint8_t cfg[NET_CONFIG_SIZE] = { 0 };
    memcpy(cfg, n->mac, 6);
    put16(cfg + 6, VIRTIO_NET_S_LINK_UP); /* status */
    put16(cfg + 8, 1);                    /* max_virtqueue_pairs */
    put16(cfg + 10, 1500);                /* mtu (not offered) */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)cfg[off + i] << (8 * i);
    return v;
}

static void net_config_write(void *opaque, uint32_t off, unsigned size, uint64_t val)
{
    (void)opaque;
    (void)off;
    (void)size;
    (void)val; /* the MAC is read-only without VIRTIO_NET_F_CTRL_MAC_ADDR */
}

static void net_reset(void *opaque)
{
    net_rx_clear(opaque);
}

static void net_free(void *opaque)
{
    VirtioNet *n = opaque;
    net_slirp_free(n->backend);
    if (n->dump && !pcap_close(n->dump))
        fprintf(stderr, "rewind: filter-dump %s: %s\n", n->dump_file, strerror(errno));
    net_rx_clear(n);
    free(n->txbuf);
    free(n);
}

static const VirtioDeviceOps net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .nqueues = 2,
    .queue_max = NET_QUEUE_SIZE,
    .features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS),
    .config_size = NET_CONFIG_SIZE,
    .config_read = net_config_read,
    .config_write = net_config_write,
    .queue_notify = net_queue_notify,
    .reset = net_reset,
    .free = net_free,
};

/* ---- checkpoints: counters, then the waiting frames (u32 len, bytes) ---- */

static size_t net_save(void *opaque, void *vbuf, size_t cap)
{
    VirtioNet *n = opaque;
    size_t need = 3 * 8 + 4;
    for (unsigned i = 0; i < n->rx_count; i++)
        need += 4 + n->rxq[(n->rx_head + i) % VIRTIO_NET_RX_QUEUE_MAX].len;
    if (need > cap)
        return need;
    uint8_t *b = vbuf;
    le_put64(b, n->rx_frames);
    le_put64(b + 8, n->tx_frames);
    le_put64(b + 16, n->rx_dropped);
    le_put32(b + 24, n->rx_count);
    size_t off = 28;
    for (unsigned i = 0; i < n->rx_count; i++) {
        const NetFrame *f = &n->rxq[(n->rx_head + i) % VIRTIO_NET_RX_QUEUE_MAX];
        le_put32(b + off, f->len);
        memcpy(b + off + 4, f->data, f->len);
        off += 4 + f->len;
    }
    return need;
}

static bool net_load(void *opaque, const void *vbuf, size_t len)
{
    VirtioNet *n = opaque;
    const uint8_t *b = vbuf;
    if (len < 28)
        return false;
    uint32_t count = le_get32(b + 24);
    if (count > VIRTIO_NET_RX_QUEUE_MAX)
        return false;
    /* Check the whole state before changing anything. */
    size_t off = 28;
    for (uint32_t i = 0; i < count; i++) {
        if (off + 4 > len)
            return false;
        uint32_t fl = le_get32(b + off);
        if (fl == 0 || fl > VIRTIO_NET_FRAME_MAX || off + 4 + fl > len)
            return false;
        off += 4 + fl;
    }
    if (off != len)
        return false;
    net_rx_clear(n);
    n->rx_frames = le_get64(b);
    n->tx_frames = le_get64(b + 8);
    n->rx_dropped = le_get64(b + 16);
    off = 28;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t fl = le_get32(b + off);
        uint8_t *copy = malloc(fl);
        if (!copy)
            return false;
        memcpy(copy, b + off + 4, fl);
        n->rxq[n->rx_count].data = copy;
        n->rxq[n->rx_count].len = fl;
        n->rx_count++;
        off += 4 + fl;
    }
    return true;
}

VirtioNet *virtio_net_new(Machine *m, uint64_t base, IrqLine irq, const NetNicSpec *spec,
                          unsigned nic_index, char *err, size_t errlen)
{
    VirtioNet *n = calloc(1, sizeof(*n));
    uint8_t *txbuf = malloc(VIRTIO_NET_FRAME_MAX + VIRTIO_NET_HDR_LEN);
    if (!n || !txbuf) {
        free(n);
        free(txbuf);
        snprintf(err, errlen, "virtio-net: out of memory");
        return NULL;
    }
    n->m = m;
    n->index = nic_index;
    n->txbuf = txbuf;
    memcpy(n->mac, spec->mac, 6);
    snprintf(n->option, sizeof(n->option), "%s", spec->option);
    if (spec->dump.file[0]) {
        n->dump = pcap_open(spec->dump.file, err, errlen);
        if (!n->dump) {
            free(n->txbuf);
            free(n);
            return NULL;
        }
        n->dump_maxlen = spec->dump.maxlen;
        snprintf(n->dump_file, sizeof(n->dump_file), "%s", spec->dump.file);
    }
    /* A replay takes every frame from the trace: no socket, no port. */
    if (replay_mode(m) != REPLAY_PLAY) {
        n->backend = net_slirp_new(m, &spec->netdev, nic_index, err, errlen);
        if (!n->backend) {
            if (n->dump)
                pcap_close(n->dump);
            free(n->txbuf);
            free(n);
            return NULL;
        }
    }
    /* On failure the transport has already freed n (and its backend). */
    n->vm = virtio_mmio_new(m, base, irq, &net_ops, n, err, errlen);
    if (!n->vm)
        return NULL;
    MachineDevice dev = { .name = "virtio-net-queue", .opaque = n, .save = net_save,
                          .load = net_load };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "virtio-net: too many devices");
        return NULL;
    }
    replay_register_sink(m, EV_NET_RX, nic_index, net_rx_sink, n);
    return n;
}
