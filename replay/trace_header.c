/* The trace Header message to and from TraceHeader. */
#include "config.h"

#include "replay/trace_header.h"

#include <stdlib.h>
#include <string.h>

#include "replay/trace.pb-c.h"

/* Pointers are borrowed from h: the message lives only while it is packed. */
uint8_t *trace_header_encode(const TraceHeader *h, size_t *len)
{
    Rewind__Trace__Header pb = REWIND__TRACE__HEADER__INIT;
    pb.has_schema_version = true;
    pb.schema_version = TRACE_SCHEMA_VERSION;
    pb.rewind_version = (char *)(h->rewind_version ? h->rewind_version : PACKAGE_VERSION);
    pb.has_ram_size = true;
    pb.ram_size = h->ram_size;
    pb.has_harts = true;
    pb.harts = h->nharts;
    pb.has_ns_per_insn = true;
    pb.ns_per_insn = h->ns_per_insn;
    pb.has_pace = true;
    pb.pace = h->pace;
    pb.has_quantum = true;
    pb.quantum = h->quantum;
    pb.has_digest_every = true;
    pb.digest_every = h->digest_every;
    pb.rtc = (char *)h->rtc;
    pb.n_devices = h->ndevices;
    pb.devices = (char **)h->devices;
    pb.n_argv = h->argc;
    pb.argv = (char **)h->argv;
    pb.start_checkpoint = (char *)h->start_checkpoint;
    if (h->start_state) {
        pb.has_start_state = true;
        pb.start_state.data = (uint8_t *)h->start_state;
        pb.start_state.len = h->start_state_len;
    }

    Rewind__Trace__Image *imgs = calloc(h->nimages + 1, sizeof(*imgs));
    Rewind__Trace__Image **pimgs = calloc(h->nimages + 1, sizeof(*pimgs));
    Rewind__Trace__Option *opts = calloc(h->noptions + 1, sizeof(*opts));
    Rewind__Trace__Option **popts = calloc(h->noptions + 1, sizeof(*popts));
    uint8_t *out = NULL;
    if (!imgs || !pimgs || !opts || !popts)
        goto done;
    for (size_t i = 0; i < h->nimages; i++) {
        const TraceImage *s = &h->images[i];
        Rewind__Trace__Image *d = &imgs[i];
        rewind__trace__image__init(d);
        d->role = (char *)s->role;
        d->path = (char *)s->path;
        d->has_size = d->has_xxh128_low = d->has_xxh128_high = true;
        d->size = s->size;
        d->xxh128_low = s->hash_lo;
        d->xxh128_high = s->hash_hi;
        pimgs[i] = d;
    }
    pb.n_images = h->nimages;
    pb.images = pimgs;
    for (size_t i = 0; i < h->noptions; i++) {
        rewind__trace__option__init(&opts[i]);
        opts[i].key = (char *)h->options[i].key;
        opts[i].value = (char *)h->options[i].value;
        popts[i] = &opts[i];
    }
    pb.n_options = h->noptions;
    pb.options = popts;
    *len = rewind__trace__header__get_packed_size(&pb);
    out = malloc(*len ? *len : 1);
    if (out)
        rewind__trace__header__pack(&pb, out);
done:
    free(imgs);
    free(pimgs);
    free(opts);
    free(popts);
    return out;
}

bool trace_header_decode(const uint8_t *buf, size_t len, TraceHeaderDecoded *d)
{
    memset(d, 0, sizeof(*d));
    Rewind__Trace__Header *p = rewind__trace__header__unpack(NULL, len, buf);
    if (!p)
        return false;
    d->msg = p;
    d->images = calloc(p->n_images + 1, sizeof(*d->images));
    d->options = calloc(p->n_options + 1, sizeof(*d->options));
    if (!d->images || !d->options) {
        trace_header_decoded_free(d);
        return false;
    }
    TraceHeader *h = &d->hdr;
    h->schema_version = p->schema_version;
    h->rewind_version = p->rewind_version;
    h->ram_size = p->ram_size;
    h->nharts = p->harts;
    h->ns_per_insn = p->ns_per_insn;
    h->pace = p->pace;
    h->quantum = p->quantum;
    h->digest_every = p->digest_every;
    h->rtc = p->rtc;
    h->devices = (const char *const *)p->devices;
    h->ndevices = p->n_devices;
    h->argv = (const char *const *)p->argv;
    h->argc = p->n_argv;
    h->start_checkpoint = p->start_checkpoint;
    if (p->has_start_state) {
        h->start_state = p->start_state.data;
        h->start_state_len = p->start_state.len;
    }
    for (size_t i = 0; i < p->n_images; i++) {
        const Rewind__Trace__Image *s = p->images[i];
        d->images[i] = (TraceImage){ .role = s->role, .path = s->path, .size = s->size,
                                     .hash_lo = s->xxh128_low, .hash_hi = s->xxh128_high };
    }
    for (size_t i = 0; i < p->n_options; i++)
        d->options[i] = (TraceOption){ p->options[i]->key, p->options[i]->value };
    h->images = d->images;
    h->nimages = p->n_images;
    h->options = d->options;
    h->noptions = p->n_options;
    return true;
}

void trace_header_decoded_free(TraceHeaderDecoded *d)
{
    if (d->msg)
        rewind__trace__header__free_unpacked(d->msg, NULL);
    free(d->images);
    free(d->options);
    memset(d, 0, sizeof(*d));
}
