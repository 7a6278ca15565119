/* The translation-block cache: TBs keyed by (physical pc, virtual pc,
 * flags), a bump-allocated code buffer that is flushed whole when full,
 * per-page lists for invalidation when guest code is written, and chaining
 * of direct jumps between TBs that start in the same page.
 *
 * Ownership: one TbCache per machine, shared by all harts. In the
 * multi-threaded fast mode (core/mt_run.h), lookups are lock-free (readers
 * see a TB only once it is fully built: published by a release store),
 * translation, insertion, chaining and invalidation run under the mode's
 * TB lock, and a flush is stop-the-world exclusive work. A dropped TB's
 * memory stays valid until the next flush, so a thread still inside it
 * finishes it safely. */
#ifndef REWIND_TRANSLATOR_TB_CACHE_H
#define REWIND_TRANSLATOR_TB_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translator/op.h"

struct Machine;

/* TB flags: part of the cache key. */
#define TBF_PRIV_MASK 0x3u       /* privilege mode the code runs in */
#define TBF_FS_OFF (1u << 2)     /* mstatus.FS is Off: FP ops are illegal */
#define TBF_LAST_IO (1u << 3)    /* CF_LAST_IO: I/O allowed as the last op only */
#define TBF_TRIG (1u << 4)       /* a debug trigger is armed (core/trigger.h) */
#define TBF_COUNT_SHIFT 16       /* instruction-count limit, 0 = no limit */
#define TBF_COUNT_MASK (0xffffu << TBF_COUNT_SHIFT)

/* Longest TB, in guest instructions. */
enum { TB_MAX_INSNS = 512 };

/* A TB's host code (the native backend, translator/native.h). */
typedef int (*TbHostFn)(Hart *h);

typedef struct TB {
    uint64_t vpc, ppc;
    uint32_t flags;
    uint16_t ninsns;   /* guest instructions (ops may be one more: the exit) */
    uint16_t nops;
    bool invalid;      /* dropped: never entered again, memory reused at flush */
    bool nochain;      /* spans two pages: neither linked to nor from */
    struct TB *next[2];      /* chained successors for exit slots 0 and 1 */
    struct TB *hash_next;    /* bucket chain */
    struct TB *page_next[2]; /* TBs on the same physical page (first, second) */
    uint64_t page[2];        /* physical pages covered; page[1] = page[0] if one */
    TbHostFn host;           /* native code, or NULL: run the ops (portable) */
    /* Native chaining: the patchable jumps of the direct exits (slots 0
     * and 1; NULL: none) and the entry that other TBs' exits jump to. */
    uint8_t *host_exit[2];
    const uint8_t *host_chain;
    /* A TB whose exit `host_loop_slot` goes back to its own start: the
     * entry that exit links to instead of host_chain, which keeps the
     * guest registers it holds in host registers (NULL: none). */
    const uint8_t *host_loop;
    int host_loop_slot;
    Op ops[];
} TB;

/* Exact retired-instruction count at the start of op, in the TB running. */
static inline uint64_t op_icount(const Hart *h, const Op *op)
{
    return h->icount - h->cur_tb->ninsns + op->idx;
}

/* Dropped? (read by other threads than the one dropping it in the fast
 * mode) */
static inline bool tb_is_invalid(const TB *tb)
{
    return __atomic_load_n(&tb->invalid, __ATOMIC_ACQUIRE);
}

typedef struct TbCache TbCache;

/* code_size: bytes of code buffer (TB headers + ops). */
TbCache *tb_cache_new(uint64_t ram_base, uint64_t ram_size, size_t code_size);
void tb_cache_free(TbCache *c);

/* Give the cache a native backend (translator/native.h): it owns it from
 * now on; its code is flushed with the TBs. */
struct NativeBackend;
void tb_cache_set_native(TbCache *c, struct NativeBackend *nb);
struct NativeBackend *tb_cache_native(TbCache *c);
/* The host code buffer is full: the next tb_cache_alloc fails, so that the
 * next translation flushes (and counts a host code flush). */
void tb_cache_native_full(TbCache *c);

/* Find a valid TB for the key, or NULL. */
TB *tb_cache_lookup(TbCache *c, uint64_t ppc, uint64_t vpc, uint32_t flags);

/* Reserve room for a TB of up to nops ops. Returns NULL when the buffer is
 * full (or the host code buffer is: tb_cache_native_full): the caller then
 * flushes (tb_cache_flush) and retries. */
TB *tb_cache_alloc(TbCache *c, unsigned nops);
/* Make a TB built in the space from tb_cache_alloc visible (shrinking the
 * reservation to its final nops). Marks its pages as holding code. */
void tb_cache_insert(struct Machine *m, TB *tb);

/* Drop every TB (code buffer full, or explicitly): clears every hart's jump
 * cache and the code-page marks. */
void tb_cache_flush(struct Machine *m);

/* Guest code in physical page `ppage` was (or is about to be) written:
 * drop its TBs. Returns the number of TBs dropped. */
unsigned tb_invalidate_page(struct Machine *m, uint64_t ppage);

/* The op that closes a TB not ending in a control transfer: continue at
 * its pc (the next instruction) through chain slot 1. */
int op_goto_next(Hart *h, const Op *op);

/* A TB of the first `count` instructions of tb, built in scratch (room
 * for TB_MAX_INSNS + 1 ops) by copying its ops: the budget cut of icount
 * without a new translation. The result is never cached or chained. */
TB *tb_cut(const TB *tb, unsigned count, TB *scratch);

/* Allocate a scratch TB for tb_cut. */
TB *tb_scratch_new(void);

/* Link from->next[slot] = to if both may be chained. */
void tb_chain(struct Machine *m, TB *from, int slot, TB *to);

#endif
