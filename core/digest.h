/* State digests: a hash of the architectural state (every hart's pc,
 * registers and the CSRs that matter) and of the RAM pages written since
 * the previous digest. Taken at exact instruction counts; `rewind run
 * --digest-every N` prints one line per digest, and record/replay compares
 * them to find the first divergence. */
#ifndef REWIND_CORE_DIGEST_H
#define REWIND_CORE_DIGEST_H

#include <stdint.h>

struct Machine;

typedef struct Digest {
    uint64_t icount;   /* total instructions retired when it was taken */
    uint64_t harts;    /* hash of the harts' state */
    uint64_t memory;   /* hash of the pages written since the last digest */
    uint64_t pages;    /* how many such pages */
} Digest;

/* Compute the digest now and start a new window of written pages. */
Digest digest_take(struct Machine *m);

/* Print a digest on m->digest_out as one line. */
void digest_print(struct Machine *m, const Digest *d);

#endif
