/* virtio-rng: fills the driver's buffers with host entropy. */
#include "devices/virtio_rng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/machine.h"
#include "replay/replay.h"
#include "devices/virtio_mmio.h"

enum {
    RNG_QUEUE_SIZE = 64,
    RNG_CHUNK = 256,
    /* Bytes given per request at most: the driver asks again for more. */
    RNG_MAX_PER_REQ = 4096,
};

struct VirtioRng {
    Machine *m;
    VirtqReq req;
};

/* The host's entropy, all of it or nothing (replay/replay.h's host read). */
static bool rng_read_host(void *ctx, void *vbuf, size_t len)
{
    (void)ctx;
    uint8_t *buf = vbuf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done == len;
}

/* The one place the device reads host input, through the replay
 * interface (recorded, or taken from the trace). Never leaves buf
 * uninitialised: on failure the bytes are zeros. */
static size_t rng_host_entropy(Machine *m, uint8_t *buf, size_t len)
{
    return replay_sync_input(m, EV_ENTROPY, 0, buf, len, rng_read_host, NULL) ? len : 0;
}

static void rng_queue_notify(void *opaque, VirtioMmio *vm, unsigned q)
{
    VirtioRng *r = opaque;
    while (virtio_queue_pop(vm, q, &r->req) == 1) {
        uint64_t want = r->req.in_len < RNG_MAX_PER_REQ ? r->req.in_len : RNG_MAX_PER_REQ;
        uint64_t done = 0;
        while (done < want) {
            uint8_t chunk[RNG_CHUNK];
            size_t n = want - done < RNG_CHUNK ? want - done : RNG_CHUNK;
            size_t got = rng_host_entropy(r->m, chunk, n);
            virtio_req_write(vm, &r->req, done, chunk, got);
            done += got;
            if (got < n) {
                log_printf(&r->m->log, LOG_UNIMP, "virtio-rng: host entropy source failed\n");
                break;
            }
        }
        virtio_queue_push(vm, q, &r->req, (uint32_t)done);
    }
}

static void rng_free(void *opaque)
{
    free(opaque);
}

static const VirtioDeviceOps rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .nqueues = 1,
    .queue_max = RNG_QUEUE_SIZE,
    .queue_notify = rng_queue_notify,
    .free = rng_free,
};

VirtioRng *virtio_rng_new(Machine *m, uint64_t base, IrqLine irq, char *err, size_t errlen)
{
    VirtioRng *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "virtio-rng: out of memory");
        return NULL;
    }
    r->m = m;
    /* On failure the transport has already freed r. */
    if (!virtio_mmio_new(m, base, irq, &rng_ops, r, err, errlen))
        return NULL;
    return r;
}
