/* The TB cache: hash table, code buffer, page lists, chaining. */
#include "translator/tb_cache.h"

#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "translator/native.h"

enum { TB_HASH_BITS = 16, TB_HASH_SIZE = 1 << TB_HASH_BITS };

struct TbCache {
    uint8_t *buf;        /* code buffer */
    size_t size, used;
    TB *hash[TB_HASH_SIZE];
    TB **page_head;      /* per RAM page: TBs whose code lies in it */
    uint64_t ram_base, npages;
    NativeBackend *native; /* NULL: the portable backend only */
    bool native_full;      /* the last alloc failed for lack of host code room */
};

static unsigned tb_hash(uint64_t ppc, uint32_t flags)
{
    uint64_t k = (ppc >> 1) ^ ((uint64_t)flags * 0x9e3779b97f4a7c15ULL);
    k ^= k >> 29;
    k *= 0xbf58476d1ce4e5b9ULL;
    k ^= k >> 32;
    return (unsigned)(k & (TB_HASH_SIZE - 1));
}

TbCache *tb_cache_new(uint64_t ram_base, uint64_t ram_size, size_t code_size)
{
    TbCache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->buf = malloc(code_size);
    c->npages = ram_size >> 12;
    c->page_head = calloc(c->npages, sizeof(TB *));
    if (!c->buf || !c->page_head) {
        tb_cache_free(c);
        return NULL;
    }
    c->size = code_size;
    c->ram_base = ram_base;
    return c;
}

void tb_cache_set_native(TbCache *c, NativeBackend *nb)
{
    native_backend_free(c->native);
    c->native = nb;
}

NativeBackend *tb_cache_native(TbCache *c)
{
    return c->native;
}

void tb_cache_native_full(TbCache *c)
{
    c->native_full = true;
}

void tb_cache_free(TbCache *c)
{
    native_backend_free(c->native);
    free(c->buf);
    free(c->page_head);
    free(c);
}

TB *tb_cache_lookup(TbCache *c, uint64_t ppc, uint64_t vpc, uint32_t flags)
{
    /* Lock-free in the fast mode: a TB is published (tb_cache_insert)
     * with a release store after it is complete, and a dropped one keeps
     * its hash_next, so a reader walking past it goes on safely. */
    for (TB *tb = __atomic_load_n(&c->hash[tb_hash(ppc, flags)], __ATOMIC_ACQUIRE); tb;
         tb = __atomic_load_n(&tb->hash_next, __ATOMIC_ACQUIRE))
        if (tb->ppc == ppc && tb->vpc == vpc && tb->flags == flags && !tb_is_invalid(tb))
            return tb;
    return NULL;
}

static size_t tb_bytes(unsigned nops)
{
    size_t n = sizeof(TB) + (size_t)nops * sizeof(Op);
    return (n + 15) & ~(size_t)15;
}

TB *tb_cache_alloc(TbCache *c, unsigned nops)
{
    if (c->used + tb_bytes(nops) > c->size)
        return NULL;
    if (c->native_full)
        return NULL; /* the host code of the last TB did not fit: flush */
    TB *tb = (TB *)(c->buf + c->used);
    memset(tb, 0, sizeof(*tb));
    return tb;
}

static uint64_t page_index(const TbCache *c, uint64_t page)
{
    return (page - c->ram_base) >> 12;
}

void tb_cache_insert(Machine *m, TB *tb)
{
    TbCache *c = m->tbc;
    c->used += tb_bytes(tb->nops);
    unsigned b = tb_hash(tb->ppc, tb->flags);
    tb->hash_next = c->hash[b];
    __atomic_store_n(&c->hash[b], tb, __ATOMIC_RELEASE); /* complete: visible */
    int npages = tb->page[1] != tb->page[0] ? 2 : 1;
    for (int i = 0; i < npages; i++) {
        uint64_t pi = page_index(c, tb->page[i]);
        tb->page_next[i] = c->page_head[pi];
        c->page_head[pi] = tb;
        if (!memory_page_has_code(&m->mem, tb->page[i])) {
            memory_set_code_page(&m->mem, tb->page[i], true);
            /* Writes to this page must now take the slow path, which
             * invalidates the code: drop cached write translations. */
            for (unsigned h = 0; h < m->nharts; h++)
                hart_tlb_drop_writes(&m->harts[h], tb->page[i]);
        }
    }
    m->stats.tbs_translated++;
}

void tb_cache_flush(Machine *m)
{
    TbCache *c = m->tbc;
    c->used = 0;
    if (c->native) {
        native_backend_reset(c->native);
        if (c->native_full)
            m->stats.host_code_flushes++;
        c->native_full = false;
    }
    memset(c->hash, 0, sizeof(c->hash));
    memset(c->page_head, 0, c->npages * sizeof(TB *));
    memset(m->mem.code_bitmap, 0, (c->npages + 7) / 8);
    for (unsigned h = 0; h < m->nharts; h++)
        hart_jmp_cache_flush(&m->harts[h]);
    m->stats.tb_flushes++;
}

static void hash_remove(TbCache *c, TB *tb)
{
    for (TB **p = &c->hash[tb_hash(tb->ppc, tb->flags)]; *p; p = &(*p)->hash_next)
        if (*p == tb) {
            __atomic_store_n(p, tb->hash_next, __ATOMIC_RELEASE);
            return;
        }
}

unsigned tb_invalidate_page(Machine *m, uint64_t ppage)
{
    TbCache *c = m->tbc;
    ppage &= ~0xfffULL;
    if (ppage < c->ram_base || page_index(c, ppage) >= c->npages)
        return 0;
    uint64_t pi = page_index(c, ppage);
    unsigned n = 0;
    TB *tb = c->page_head[pi];
    c->page_head[pi] = NULL;
    while (tb) {
        int slot = tb->page[0] == ppage ? 0 : 1;
        TB *next = tb->page_next[slot];
        if (!tb->invalid) {
            /* Chains only link TBs of one page, so every TB that jumps to
             * this one is dropped here as well; the memory stays valid
             * (even for a TB still running) until the next full flush. */
            __atomic_store_n(&tb->invalid, true, __ATOMIC_RELEASE);
            __atomic_store_n(&tb->next[0], NULL, __ATOMIC_RELEASE);
            __atomic_store_n(&tb->next[1], NULL, __ATOMIC_RELEASE);
            /* The same for the host code's patched jumps (a TB still
             * running leaves through the run loop then). */
            for (int s = 0; s < 2; s++)
                if (tb->host_exit[s])
                    native_unlink(c->native, tb->host_exit[s]);
            hash_remove(c, tb);
            n++;
        }
        tb = next;
    }
    memory_set_code_page(&m->mem, ppage, false);
    m->stats.tb_invalidations += n;
    return n;
}

int op_goto_next(Hart *h, const Op *op)
{
    h->pc = op->pc;
    return OP_EXIT_JUMP1;
}

TB *tb_scratch_new(void)
{
    return calloc(1, tb_bytes(TB_MAX_INSNS + 1));
}

TB *tb_cut(const TB *tb, unsigned count, TB *scratch)
{
    /* Ops are copied up to the first op of instruction `count` (an
     * instruction may have more than one op, e.g. a debugger's). */
    unsigned n = 0;
    while (n < tb->nops && tb->ops[n].idx < count)
        n++;
    memcpy(scratch, tb, sizeof(*tb));
    memcpy(scratch->ops, tb->ops, n * sizeof(Op));
    Op *exit = &scratch->ops[n];
    *exit = (Op){ .fn = op_goto_next, .pc = tb->ops[n].pc, .idx = (uint16_t)count };
    scratch->ninsns = (uint16_t)count;
    scratch->nops = (uint16_t)(n + 1);
    scratch->flags = tb->flags | (uint32_t)count << TBF_COUNT_SHIFT;
    scratch->nochain = true;
    scratch->host = NULL; /* a cut copy runs on the portable backend */
    scratch->host_exit[0] = scratch->host_exit[1] = NULL;
    scratch->host_chain = NULL;
    scratch->host_loop = NULL;
    scratch->next[0] = scratch->next[1] = NULL;
    return scratch;
}

/* A thread that jumps through a patched exit into another TB's code reads
 * that TB's ops after the TB lock's holder wrote them; x86 orders this
 * (the ops are written before the jump is patched), but the jump is not an
 * access ThreadSanitizer sees, so in a TSan build it would report every
 * such read. There the native code leaves through the run loop instead,
 * whose lookups are acquire loads (tb->next, the hash table). */
#if defined(__SANITIZE_THREAD__)
enum { NATIVE_LINKS = 0 };
#else
enum { NATIVE_LINKS = 1 };
#endif

void tb_chain(Machine *m, TB *from, int slot, TB *to)
{
    if (from->nochain || to->nochain || tb_is_invalid(from) || tb_is_invalid(to))
        return;
    if (from->page[0] != to->page[0])
        return;
    /* Other threads follow it without a lock in the fast mode. */
    __atomic_store_n(&from->next[slot], to, __ATOMIC_RELEASE);
    m->stats.chain_links++;
    /* Host code jumps there itself; not while every TB is being traced. */
    if (NATIVE_LINKS && from->host_exit[slot] && to->host_chain &&
        !LOG_ON(&m->log, LOG_EXEC)) {
        bool loop = to == from && from->host_loop && from->host_loop_slot == slot;
        native_link(m->tbc->native, from->host_exit[slot], loop ? from->host_loop : to->host_chain);
        m->stats.native_links++;
    }
}
