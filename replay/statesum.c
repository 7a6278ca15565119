/* Per-hart state summaries (see statesum.h).
 *
 * Layout (little endian): u8 version, u8 flags (bit 0 input point, bit 1
 * idle step, bit 2 synchronous input), u64 mtime_skipped, u8 harts, u8 fields, then per hart: u64
 * pc, u64 hash, `fields` fingerprint bytes in the order of statesum_fields.
 * New fields go at the end of the table; a reader compares the fields both
 * sides know. */
#include "replay/statesum.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/le.h"
#include "core/machine.h"

enum { SS_HEAD = 1 + 1 + 8 + 1 + 1, SS_HART_FIXED = 16 };
enum { SS_FLAG_INPUT = 1, SS_FLAG_IDLE = 2, SS_FLAG_SYNC = 4 };

static const char *const statesum_fields[] = {
    "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
    "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
    "s11", "t3", "t4", "t5", "t6",
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
    "priv", "icount", "mstatus", "misa", "medeleg", "mideleg", "mie", "mip",
    "mtvec", "mscratch", "mepc", "mcause", "mtval", "stvec", "sscratch", "sepc",
    "scause", "stval", "satp", "mcounteren", "scounteren", "mcountinhibit",
    "menvcfg", "senvcfg", "fflags", "frm", "mcycle", "minstret", "reservation",
    "wfi", "pmp",
};
enum { SS_NFIELDS = sizeof(statesum_fields) / sizeof(statesum_fields[0]) };

/* The values behind statesum_fields, in the same order. */
static void statesum_values(const Hart *h, uint64_t v[SS_NFIELDS])
{
    unsigned n = 0;
    for (int i = 1; i < 32; i++)
        v[n++] = h->x[i];
    for (int i = 0; i < 32; i++)
        v[n++] = h->f[i];
    const Csrs *c = &h->csr;
    uint64_t pmp = XXH3_64bits(c->pmpcfg, sizeof(c->pmpcfg)) ^
                   XXH3_64bits(c->pmpaddr, sizeof(c->pmpaddr));
    uint64_t rest[] = {
        h->priv, h->icount, c->mstatus, c->misa, c->medeleg, c->mideleg, c->mie,
        c->mip, c->mtvec, c->mscratch, c->mepc, c->mcause, c->mtval, c->stvec,
        c->sscratch, c->sepc, c->scause, c->stval, c->satp, c->mcounteren,
        c->scounteren, c->mcountinhibit, c->menvcfg, c->senvcfg, c->fflags, c->frm,
        c->mcycle_offset, c->minstret_offset, h->lr_valid ? h->lr_addr : UINT64_MAX,
        h->wfi, pmp,
    };
    _Static_assert(31 + 32 + sizeof(rest) / sizeof(rest[0]) == SS_NFIELDS,
                   "one value per field name");
    memcpy(v + n, rest, sizeof(rest));
}

/* One byte that changes with the value (a 64-bit finalizer, top byte). */
static uint8_t statesum_fp(uint64_t v)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdULL;
    v ^= v >> 33;
    v *= 0xc4ceb9fe1a85ec53ULL;
    v ^= v >> 33;
    return (uint8_t)(v >> 56);
}

/* pc, hash and fingerprints of one hart. */
static void statesum_hart(const Hart *h, uint64_t *hash, uint8_t fp[SS_NFIELDS])
{
    uint64_t v[SS_NFIELDS + 1];
    statesum_values(h, v);
    for (unsigned i = 0; i < SS_NFIELDS; i++)
        fp[i] = statesum_fp(v[i] + i);
    v[SS_NFIELDS] = h->pc;
    *hash = XXH3_64bits(v, sizeof(v));
}

size_t statesum_encode(const Machine *m, const StateSumInfo *info, uint8_t **out)
{
    size_t len = SS_HEAD + (size_t)m->nharts * (SS_HART_FIXED + SS_NFIELDS);
    uint8_t *p = malloc(len);
    *out = p;
    if (!p)
        return 0;
    p[0] = STATESUM_VERSION;
    p[1] = (uint8_t)((info->input_point ? SS_FLAG_INPUT : 0) |
                     (info->idle_step ? SS_FLAG_IDLE : 0) |
                     (info->sync_input ? SS_FLAG_SYNC : 0));
    le_put64(p + 2, info->mtime_skipped);
    p[10] = (uint8_t)m->nharts;
    p[11] = SS_NFIELDS;
    uint8_t *q = p + SS_HEAD;
    for (unsigned i = 0; i < m->nharts; i++) {
        uint64_t hash;
        le_put64(q, m->harts[i].pc);
        statesum_hart(&m->harts[i], &hash, q + 16);
        le_put64(q + 8, hash);
        q += SS_HART_FIXED + SS_NFIELDS;
    }
    return len;
}

/* Checks the layout; gives the number of harts and of fields. */
static bool statesum_parse(const uint8_t *p, size_t len, unsigned *nharts, unsigned *nfields)
{
    if (len < SS_HEAD || p[0] != STATESUM_VERSION)
        return false;
    *nharts = p[10];
    *nfields = p[11];
    return len >= SS_HEAD + (size_t)*nharts * (SS_HART_FIXED + *nfields);
}

bool statesum_info(const uint8_t *p, size_t len, StateSumInfo *info)
{
    unsigned nh, nf;
    if (!statesum_parse(p, len, &nh, &nf))
        return false;
    info->input_point = p[1] & SS_FLAG_INPUT;
    info->idle_step = (p[1] & SS_FLAG_IDLE) != 0;
    info->sync_input = (p[1] & SS_FLAG_SYNC) != 0;
    info->mtime_skipped = le_get64(p + 2);
    return true;
}

bool statesum_pc(const uint8_t *p, size_t len, unsigned hart, uint64_t *pc)
{
    unsigned nh, nf;
    if (!statesum_parse(p, len, &nh, &nf) || hart >= nh)
        return false;
    *pc = le_get64(p + SS_HEAD + (size_t)hart * (SS_HART_FIXED + nf));
    return true;
}

bool statesum_compare(const Machine *m, const uint8_t *p, size_t len, char *msg,
                      size_t msglen)
{
    unsigned nh, nf;
    if (!statesum_parse(p, len, &nh, &nf)) {
        snprintf(msg, msglen, "the recorded hart summary is not readable");
        return false;
    }
    if (nh != m->nharts) {
        snprintf(msg, msglen, "the recording has %u harts, the replay %u", nh, m->nharts);
        return false;
    }
    uint64_t skipped = le_get64(p + 2);
    for (unsigned i = 0; i < nh; i++) {
        const uint8_t *q = p + SS_HEAD + (size_t)i * (SS_HART_FIXED + nf);
        const Hart *h = &m->harts[i];
        uint64_t hash;
        uint8_t fp[SS_NFIELDS];
        statesum_hart(h, &hash, fp);
        uint64_t rpc = le_get64(q);
        if (hash == le_get64(q + 8) && rpc == h->pc)
            continue;
        size_t n = (size_t)snprintf(msg, msglen, "hart %u: pc 0x%" PRIx64, i, h->pc);
        if (rpc != h->pc && n < msglen)
            n += (size_t)snprintf(msg + n, msglen - n, " (recorded 0x%" PRIx64 ")", rpc);
        unsigned known = nf < SS_NFIELDS ? nf : SS_NFIELDS, shown = 0;
        for (unsigned k = 0; k < known && n < msglen; k++)
            if (fp[k] != q[16 + k])
                n += (size_t)snprintf(msg + n, msglen - n, "%s%s", shown++ ? ", " : ": registers differ: ",
                                      statesum_fields[k]);
        if (!shown && rpc == h->pc && n < msglen)
            snprintf(msg + n, msglen - n, ": hart state differs (no single register "
                     "stands out)");
        return false;
    }
    if (skipped != m->mtime_skipped) {
        snprintf(msg, msglen, "the clock: %" PRIu64 " mtime ticks skipped while idle, "
                 "recorded %" PRIu64, m->mtime_skipped, skipped);
        return false;
    }
    return true;
}
