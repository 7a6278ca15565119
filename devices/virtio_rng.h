/* virtio-rng (entropy source) over virtio-mmio: one request queue whose
 * device-writable buffers are filled with host entropy. The host read goes
 * through one function (rng_host_entropy in virtio_rng.c) so that record
 * and replay can route it. */
#ifndef REWIND_DEVICES_VIRTIO_RNG_H
#define REWIND_DEVICES_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "core/irq.h"

struct Machine;

typedef struct VirtioRng VirtioRng;

/* Create the device and its transport at base. Returns NULL with a message
 * in err on failure. The machine owns the result. */
VirtioRng *virtio_rng_new(struct Machine *m, uint64_t base, IrqLine irq,
                          char *err, size_t errlen);

#endif
