/* State digests with xxHash (XXH3, 64 bits). */
#include "config.h"

#include "core/digest.h"

#include <inttypes.h>
#include <xxhash.h>
#if defined(HAVE_XXH_X86DISPATCH_H) && defined(HAVE_XXH3_64BITS_UPDATE_DISPATCH)
/* XXH3_64bits_update becomes the dispatcher's (AVX2 or AVX-512 when the
 * host has them, else SSE2): the same hashes, the memory digest's pages
 * hashed about twice as fast (1% of `rewind record` on tests/bench/mips,
 * which digests about 100 dirty pages every 5 M instructions). */
#include <xxh_x86dispatch.h>
#endif

#include "core/isa.h"
#include "core/machine.h"

/* The state of one hart that a correct replay must reproduce. Host
 * pointers and caches (TLB, jump cache) are left out: they are not
 * guest-visible. */
static void hash_hart(XXH3_state_t *st, const Hart *h)
{
    const Csrs *c = &h->csr;
    uint64_t v[] = {
        h->pc, h->priv, h->icount, c->mstatus, c->medeleg, c->mideleg, c->mie,
        c->mip, c->mtvec, c->mscratch, c->mepc, c->mcause, c->mtval,
        c->stvec, c->sscratch, c->sepc, c->scause, c->stval, c->satp,
        c->mcounteren, c->scounteren, c->menvcfg, c->senvcfg, c->fflags,
        c->frm, h->lr_valid ? h->lr_addr : UINT64_MAX,
    };
    XXH3_64bits_update(st, v, sizeof(v));
    /* Only where the CSR exists: the digests of a machine without Sstc
     * (every trace made before -cpu) stay what they were. */
    if (h->m && h->m->sstc)
        XXH3_64bits_update(st, &c->stimecmp, sizeof(c->stimecmp));
    if (h->m && (h->m->cfg.isa_ext & ISA_BIT(ISA_SDTRIG))) {
        uint64_t t[] = { c->tselect, c->tcontrol, c->tdata1[0], c->tdata1[1],
                         c->tdata2[0], c->tdata2[1] };
        XXH3_64bits_update(st, t, sizeof(t));
    }
    XXH3_64bits_update(st, &h->x[1], 31 * sizeof(uint64_t));
    XXH3_64bits_update(st, h->f, sizeof(h->f));
}

Digest digest_take(Machine *m)
{
    Digest d = { .icount = machine_icount(m) };
    XXH3_state_t *st = XXH3_createState();
    XXH3_64bits_reset(st);
    for (unsigned i = 0; i < m->nharts; i++)
        hash_hart(st, &m->harts[i]);
    d.harts = XXH3_64bits_digest(st);

    Memory *mem = &m->mem;
    uint64_t npages = mem->ram_size >> 12;
    XXH3_64bits_reset(st);
    for (uint64_t w = 0; w < (npages + 7) / 8; w++) {
        if (!mem->dirty_bitmap[w])
            continue;
        for (unsigned b = 0; b < 8; b++) {
            uint64_t page = w * 8 + b;
            if (!(mem->dirty_bitmap[w] >> b & 1) || page >= npages)
                continue;
            XXH3_64bits_update(st, &page, sizeof(page));
            XXH3_64bits_update(st, mem->ram + (page << 12), 4096);
            d.pages++;
        }
        mem->dirty_bitmap[w] = 0;
    }
    d.memory = XXH3_64bits_digest(st);
    XXH3_freeState(st);

    /* Writes through cached TLB entries would not mark their pages again:
     * drop the write entries so the next write refills (and marks). */
    for (unsigned i = 0; i < m->nharts; i++)
        hart_tlb_drop_writes(&m->harts[i], TLB_INVALID);
    return d;
}

void digest_print(Machine *m, const Digest *d)
{
    FILE *out = m->digest_out ? m->digest_out : stdout;
    fprintf(out, "digest icount=%" PRIu64 " mtime=%" PRIu64, d->icount, machine_mtime(m));
    for (unsigned i = 0; i < m->nharts; i++)
        fprintf(out, " pc%u=0x%" PRIx64, i, m->harts[i].pc);
    fprintf(out, " harts=%016" PRIx64 " memory=%016" PRIx64 " pages=%" PRIu64 "\n",
            d->harts, d->memory, d->pages);
    fflush(out);
}
