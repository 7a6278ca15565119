/* Building translation blocks: fetch, decode, and end the block at a
 * control transfer, a change of state, a page end or the count limit. */
#include "translator/translate.h"

#include <string.h>

#include "core/csr.h"
#include "core/debug.h"
#include "core/machine.h"
#include "core/mmu.h"
#include "core/mt_run.h"
#include "core/trigger.h"
#include "core/trap.h"
#include "translator/decode.h"
#include "translator/native.h"
#include "translator/tb_log.h"

uint32_t tb_flags_for(const Hart *h)
{
    uint32_t f = h->priv & TBF_PRIV_MASK;
    if (csr_fs(h) == FS_OFF)
        f |= TBF_FS_OFF;
    /* Armed triggers: one instruction per TB, behind its check. */
    if (unlikely(h->trig_armed))
        f |= TBF_TRIG | 1u << TBF_COUNT_SHIFT;
    return f;
}

/* Translate the page of va for execution. Returns false after taking the
 * fault (tval = va). */
static bool fetch_page(Hart *h, uint64_t va, uint64_t *ppage, const uint8_t **host)
{
    uint64_t pa;
    uint8_t *p;
    int cause = mmu_fetch_page(h, va, &pa, &p);
    if (cause == 0 && !p)
        cause = EXC_INSN_ACCESS;
    if (cause) {
        uint64_t epc = h->pc;
        trap_take(h, (uint64_t)cause, va, epc);
        /* The trap vector itself cannot be fetched: the hart would fault
         * on it forever. Stop with a report instead of spinning. */
        if (h->pc == epc && va == epc)
            machine_fail(h->m, "hart %u: cannot fetch instructions at 0x%llx "
                         "(cause %d) and the trap vector points there too: "
                         "the guest is stuck (icount %llu)", h->id,
                         (unsigned long long)va, cause,
                         (unsigned long long)h->icount);
        return false;
    }
    *ppage = pa & ~0xfffULL;
    *host = p - (va & 0xfff);
    return true;
}

static TB *translate(Hart *h, uint64_t vpc, uint64_t ppage, const uint8_t *host,
                     uint32_t flags)
{
    Machine *m = h->m;
    /* Room for the instructions, the exit and a debugger op. */
    TB *tb = tb_cache_alloc(m->tbc, TB_MAX_INSNS + 2);
    if (!tb && m->mt) {
        /* Other threads may be running TBs: the flush is exclusive work,
         * done by the run loop before this hart goes on. */
        mt_note_flush(h);
        return NULL;
    }
    if (!tb) {
        tb_cache_flush(m);
        tb = tb_cache_alloc(m->tbc, TB_MAX_INSNS + 2);
    }
    unsigned limit = (flags & TBF_COUNT_MASK) >> TBF_COUNT_SHIFT;
    if (!limit || limit > TB_MAX_INSNS)
        limit = TB_MAX_INSNS;
    tb->vpc = vpc;
    tb->ppc = ppage | (vpc & 0xfff);
    tb->flags = flags;
    tb->page[0] = tb->page[1] = ppage;
    log_printf(&m->log, LOG_IN_ASM, "IN: hart %u priv %u pc 0x%llx\n", h->id,
               flags & TBF_PRIV_MASK, (unsigned long long)vpc);
    /* With out_asm too, the guest lines wait for the host code, to go
     * each before its own (tb_log_out_asm). */
    bool log_in_asm = LOG_ON(&m->log, LOG_IN_ASM) && !LOG_ON(&m->log, LOG_OUT_ASM);

    uint64_t pc = vpc;
    unsigned n = 0;
    bool ended = false;
    /* A debugger breakpoint starts a TB, behind an op that stops the hart
     * before the instruction (core/debug.h). ops[k + nd] is instruction k. */
    unsigned nd = 0;
    if (unlikely(m->debug) && debug_bp_at(m, vpc)) {
        memset(&tb->ops[0], 0, sizeof(Op));
        tb->ops[0].fn = debug_op_break;
        tb->ops[0].pc = vpc;
        nd = 1;
    }
    /* The fast mode's --until pc:ADDR, the same way: only the TB that
     * starts there checks (core/mt_run.h). */
    if (unlikely(m->fast_until_pc_on) && vpc == m->fast_until_pc) {
        memset(&tb->ops[nd], 0, sizeof(Op));
        tb->ops[nd].fn = mt_op_until_pc;
        tb->ops[nd].pc = vpc;
        nd++;
    }
    if (flags & TBF_TRIG) {
        memset(&tb->ops[nd], 0, sizeof(Op));
        tb->ops[nd].fn = trigger_op_check;
        tb->ops[nd].pc = vpc;
        nd++;
    }
    /* The space holds TB_MAX_INSNS + 2 ops: one prefix op, or fewer
     * instructions (a trigger's TB has one). */
    if (limit + nd > TB_MAX_INSNS + 1)
        limit = TB_MAX_INSNS + 1 - nd;
    while (n < limit) {
        if (n > 0 && unlikely(m->debug) && debug_bp_at(m, pc))
            break;
        if (n > 0 && unlikely(m->fast_until_pc_on) && pc == m->fast_until_pc)
            break;
        unsigned off = pc & 0xfff;
        /* Guest code is guest memory, which other harts may write in the
         * fast mode: read it as the loads do (mmu_host_load). */
        uint16_t lo = (uint16_t)mmu_host_load((uintptr_t)(host + off), 2);
        unsigned len = decode_length(lo);
        uint32_t raw = lo;
        if (len == 4) {
            if (off == 0xffe) {
                /* The instruction straddles two pages: it gets a TB of its
                 * own, covering both pages and never chained. */
                if (n > 0)
                    break;
                uint64_t ppage2;
                const uint8_t *host2;
                if (!fetch_page(h, pc + 2, &ppage2, &host2))
                    return NULL;
                uint16_t hi;
                hi = (uint16_t)mmu_host_load((uintptr_t)host2, 2);
                raw |= (uint32_t)hi << 16;
                tb->page[1] = ppage2;
                tb->nochain = true;
            } else {
                raw = (uint32_t)mmu_host_load((uintptr_t)(host + off), 4);
            }
        }
        Op *op = &tb->ops[n + nd];
        const InsnDesc *d = decode_op(op, raw, len, pc, m->cfg.isa_ext);
        op->idx = (uint16_t)n;
        if (d && (d->flags & IF_FP) && (flags & TBF_FS_OFF))
            op->fn = op_illegal_insn;
        if (flags & TBF_TRIG)
            trigger_op_fill(&tb->ops[nd - 1], op);
        if (log_in_asm)
            tb_log_insn(m->log.out ? m->log.out : stderr, op);
        n++;
        pc += len;
        if (!d || op->fn == op_illegal_insn || (d->flags & IF_END)) {
            ended = true;
            break;
        }
        if ((pc & 0xfff) == 0 || tb->nochain)
            break;
    }
    tb->ninsns = (uint16_t)n;
    tb->nops = (uint16_t)(n + nd);
    if (!ended) {
        Op *op = &tb->ops[n + nd];
        memset(op, 0, sizeof(*op));
        op->fn = op_goto_next;
        op->pc = pc;
        op->idx = (uint16_t)n;
        tb->nops++;
    }
    NativeBackend *nb = tb_cache_native(m->tbc);
    if (nb) {
        size_t before = native_backend_used(nb);
        tb->host = native_emit(nb, tb, m->mt != NULL);
        m->stats.host_code_bytes += native_backend_used(nb) - before;
        /* No room left: this TB runs on the portable backend, and the next
         * translation flushes the cache. */
        if (!tb->host)
            tb_cache_native_full(m->tbc);
    }
    if (LOG_ON(&m->log, LOG_OUT_ASM))
        tb_log_out_asm(m->log.out ? m->log.out : stderr, tb,
                       tb->host ? native_last_map(nb) : NULL,
                       !nb ? "the portable backend runs this TB"
                           : "the host code buffer is full: this TB runs on the portable "
                             "backend until the flush",
                       LOG_ON(&m->log, LOG_IN_ASM));
    if (m->mt) {
        /* The fast mode marks a page as holding code (which sends every
         * hart's stores there to the slow path) as exclusive work, before
         * its bytes are read. A page not marked now was written since
         * (its TBs dropped): these bytes may be stale; drop this TB (its
         * space is reused) and come back once the page is marked again. */
        for (int i = 0; i < 2; i++)
            if (!memory_page_has_code(&m->mem, tb->page[i])) {
                mt_note_code_page(h, tb->page[i]);
                return NULL;
            }
    }
    tb_cache_insert(m, tb);
    return tb;
}

/* The fast mode's miss path: translation and insertion under the TB lock,
 * after a last lookup (another thread may have just built the TB). */
static TB *translate_shared(Hart *h, uint64_t vpc, uint64_t ppage, const uint8_t *host,
                            uint32_t flags)
{
    Machine *m = h->m;
    if (!memory_page_has_code(&m->mem, ppage)) {
        mt_note_code_page(h, ppage);
        return NULL;
    }
    mt_tb_lock(m);
    TB *tb = tb_cache_lookup(m->tbc, ppage | (vpc & 0xfff), vpc, flags);
    if (!tb)
        tb = translate(h, vpc, ppage, host, flags);
    mt_tb_unlock(m);
    return tb;
}

static unsigned jc_hash(uint64_t vpc)
{
    return (unsigned)((vpc >> 1) ^ (vpc >> (JC_BITS + 1))) & (JC_SIZE - 1);
}

TB *tb_find(Hart *h, uint32_t flags)
{
    uint64_t vpc = h->pc;
    unsigned j = jc_hash(vpc);
    TB *tb = h->jmp_cache[j];
    Machine *m = h->m;
    if (tb && tb->vpc == vpc && tb->flags == flags && !tb_is_invalid(tb)) {
        if (!m->mt) /* statistics of the deterministic engine only */
            m->stats.tb_lookups_hit++;
        return tb;
    }
    uint64_t ppage;
    const uint8_t *host;
    if (!fetch_page(h, vpc, &ppage, &host))
        return NULL;
    tb = tb_cache_lookup(m->tbc, ppage | (vpc & 0xfff), vpc, flags);
    if (tb) {
        if (!m->mt)
            m->stats.tb_lookups_hit++;
    } else if (m->mt) {
        tb = translate_shared(h, vpc, ppage, host, flags);
        if (!tb)
            return NULL; /* a fault, or exclusive work to do first */
    } else {
        h->m->stats.tb_lookups_miss++;
        tb = translate(h, vpc, ppage, host, flags);
        if (!tb)
            return NULL;
    }
    h->jmp_cache[j] = tb;
    return tb;
}
