/* HTIF tohost/fromhost. */
#include "devices/htif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"

struct Htif {
    struct Machine *m;
    uint64_t base, tohost, fromhost; /* guest physical addresses */
    FILE *out;
    bool write_failed; /* reported once; output dropped since */
};

/* The words live in guest RAM; the region only intercepts accesses. */
static uint8_t *htif_ram(Htif *s, uint64_t off, unsigned size)
{
    return memory_ram_ptr(&s->m->mem, s->base + off, size);
}

static void htif_command(Htif *s, uint64_t cmd)
{
    unsigned dev = (unsigned)(cmd >> 56), what = (unsigned)(cmd >> 48) & 0xff;
    uint64_t payload = cmd & 0xffffffffffffULL;
    uint64_t reply = 0;
    bool answered = false;
    if (dev == 0 && what == 0 && (payload & 1)) {
        machine_request_exit(s->m, (int)(payload >> 1));
    } else if (dev == 1 && what == 1) {
        machine_console_byte(s->m, (uint8_t)payload);
        if (!s->m->output_muted && !s->write_failed &&
            (fputc((int)(payload & 0xff), s->out) == EOF ||
             ((payload & 0xff) == '\n' && fflush(s->out) == EOF))) {
            /* As a UART console (devices/chardev.c): said once, then
             * dropped; the machine goes on. */
            fprintf(stderr, "rewind: HTIF console: write error: %s: the console's output is "
                    "discarded from now on (the machine goes on)\n", strerror(errno));
            s->write_failed = true;
        }
        reply = (1ULL << 56) | (1ULL << 48);
        answered = true;
    } else {
        log_printf(&s->m->log, LOG_UNIMP,
                   "htif: unsupported command 0x%016llx (device %u, command %u)\n",
                   (unsigned long long)cmd, dev, what);
    }
    uint64_t zero = 0;
    memcpy(htif_ram(s, s->tohost - s->base, 8), &zero, 8);
    if (answered)
        memcpy(htif_ram(s, s->fromhost - s->base, 8), &reply, 8);
}

static bool htif_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    Htif *s = opaque;
    uint8_t *p = htif_ram(s, off, size);
    if (!p)
        return false;
    uint64_t v = 0;
    memcpy(&v, p, size);
    *val = v;
    return true;
}

static bool htif_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    Htif *s = opaque;
    uint8_t *p = htif_ram(s, off, size);
    if (!p)
        return false;
    memcpy(p, &val, size);
    /* A command is complete when the upper half of tohost is written
     * (an 8-byte store, or the second of two 4-byte stores). */
    uint64_t to = s->tohost - s->base;
    if (off <= to + 4 && off + size >= to + 8) {
        uint64_t cmd;
        memcpy(&cmd, htif_ram(s, to, 8), 8);
        if (cmd)
            htif_command(s, cmd);
    }
    return true;
}

static const MmioOps htif_ops = { .read = htif_read, .write = htif_write };

Htif *htif_new(struct Machine *m, uint64_t tohost, uint64_t fromhost, FILE *out,
               char *err, size_t errlen)
{
    uint64_t lo = tohost < fromhost ? tohost : fromhost;
    uint64_t hi = (tohost > fromhost ? tohost : fromhost) + 8;
    if (!memory_ram_ptr(&m->mem, lo, hi - lo) || (tohost & 7) || (fromhost & 7)) {
        snprintf(err, errlen,
                 "tohost (0x%llx) and fromhost (0x%llx) must be aligned words in RAM",
                 (unsigned long long)tohost, (unsigned long long)fromhost);
        return NULL;
    }
    Htif *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *s = (Htif){ .m = m, .base = lo, .tohost = tohost, .fromhost = fromhost, .out = out };
    if (!memory_add_mmio(&m->mem, lo, hi - lo, &htif_ops, s, "htif")) {
        snprintf(err, errlen, "htif: address range 0x%llx-0x%llx is already in use",
                 (unsigned long long)lo, (unsigned long long)hi);
        free(s);
        return NULL;
    }
    return s;
}

void htif_free(Htif *h)
{
    free(h);
}
