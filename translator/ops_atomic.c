/* The A extension: LR/SC and the AMOs, on host pointers from mmu_amo_ptr.
 *
 * In the deterministic engine harts run one at a time, so plain loads and
 * stores would do; the host atomics make the handlers correct in the fast
 * mode (core/mt_run.h), where harts run on their own threads. aq/rl need
 * nothing more: every host atomic here is sequentially consistent (a
 * locked instruction on x86-64, a full barrier).
 *
 * The reservation is one physical address per hart. An SC succeeds when
 * the reservation is valid and its address equals the SC's; any SC ends
 * it. SC and AMOs end the reservations other harts hold on the bytes they
 * may write (mmu_amo_ptr -> machine_ram_written). Plain stores from other
 * harts do not (they take the TLB fast path): the scheduler ends a hart's
 * reservation when it switches harts, which keeps LR/SC atomic across
 * harts, and draws a turn out while its hart holds a reservation, so that
 * an LR/SC sequence makes progress at any quantum (core/turn.h). */
#include "core/machine.h"
#include "core/mmu.h"
#include "translator/insn_table.h"

static int atomic_lr(Hart *h, const Op *op, unsigned size)
{
    uint64_t pa;
    void *p = mmu_amo_ptr(h, op, X(op->rs1), size, true, &pa);
    if (!p)
        return OP_EXIT_EXC;
    uint64_t v;
    if (size == 4)
        v = (uint64_t)(int64_t)(int32_t)__atomic_load_n((uint32_t *)p,
                                                        __ATOMIC_SEQ_CST);
    else
        v = __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
    h->lr_addr = pa;
    h->lr_valid = true;
    h->lr_value = v;
    X(op->rd) = v;
    return op_next(h, op);
}

static int atomic_sc(Hart *h, const Op *op, unsigned size)
{
    uint64_t pa;
    /* Translated (and checked for write) whether or not it will succeed:
     * the reservation is physical, so the address is needed to decide. */
    void *p = mmu_amo_ptr(h, op, X(op->rs1), size, false, &pa);
    if (!p) {
        h->lr_valid = false;
        return OP_EXIT_EXC;
    }
    bool ok = h->lr_valid && h->lr_addr == pa;
    h->lr_valid = false;
    if (ok && h->m->mt) {
        /* Fast mode: other harts run at the same time and their plain
         * stores reach memory without telling anyone, so the reservation
         * is checked against memory itself: the SC succeeds only if the
         * word still holds what the LR read, and stores atomically with
         * that check (docs/internals.md: what this can and cannot see). */
        if (size == 4) {
            uint32_t want = (uint32_t)h->lr_value;
            ok = __atomic_compare_exchange_n((uint32_t *)p, &want, (uint32_t)X(op->rs2),
                                             false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        } else {
            uint64_t want = h->lr_value;
            ok = __atomic_compare_exchange_n((uint64_t *)p, &want, X(op->rs2), false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        }
    } else if (ok) {
        if (size == 4)
            __atomic_store_n((uint32_t *)p, (uint32_t)X(op->rs2),
                             __ATOMIC_SEQ_CST);
        else
            __atomic_store_n((uint64_t *)p, X(op->rs2), __ATOMIC_SEQ_CST);
    }
    X(op->rd) = ok ? 0 : 1;
    return op_next(h, op);
}

int op_lr_w(Hart *h, const Op *op) { return atomic_lr(h, op, 4); }
int op_lr_d(Hart *h, const Op *op) { return atomic_lr(h, op, 8); }
int op_sc_w(Hart *h, const Op *op) { return atomic_sc(h, op, 4); }
int op_sc_d(Hart *h, const Op *op) { return atomic_sc(h, op, 8); }

/* One AMO handler: `a` is the old memory value, `b` the rs2 operand, EXPR
 * the new value. A compare-and-swap loop covers every operation alike
 * (min/max have no host fetch-op); single-threaded it runs once. The
 * result is the old value, sign-extended for .w. rs2 is read before rd is
 * written, as rd may be rs2. */
#define AMO_HANDLER(id, T, ST, EXPR)                                        \
    int op_##id(Hart *h, const Op *op)                                      \
    {                                                                       \
        T *p = mmu_amo_ptr(h, op, X(op->rs1), sizeof(T), false, NULL);      \
        if (!p)                                                             \
            return OP_EXIT_EXC;                                             \
        T b = (T)X(op->rs2);                                                \
        T a = __atomic_load_n(p, __ATOMIC_RELAXED);                         \
        T n;                                                                \
        do {                                                                \
            n = (EXPR);                                                     \
        } while (!__atomic_compare_exchange_n(p, &a, n, true,               \
                                              __ATOMIC_SEQ_CST,             \
                                              __ATOMIC_RELAXED));           \
        X(op->rd) = (uint64_t)(int64_t)(ST)a;                               \
        return op_next(h, op);                                              \
    }

#define AMO_PAIR(name, EXPR)                                                \
    AMO_HANDLER(name##_w, uint32_t, int32_t, EXPR)                          \
    AMO_HANDLER(name##_d, uint64_t, int64_t, EXPR)

/* Signed comparisons go through the signed type of the operand width. */
#define SMIN(ST) ((ST)a < (ST)b ? a : b)
#define SMAX(ST) ((ST)a > (ST)b ? a : b)

AMO_PAIR(amoswap, b)
AMO_PAIR(amoadd, a + b)
AMO_PAIR(amoxor, a ^ b)
AMO_PAIR(amoand, a & b)
AMO_PAIR(amoor, a | b)
AMO_HANDLER(amomin_w, uint32_t, int32_t, SMIN(int32_t))
AMO_HANDLER(amomin_d, uint64_t, int64_t, SMIN(int64_t))
AMO_HANDLER(amomax_w, uint32_t, int32_t, SMAX(int32_t))
AMO_HANDLER(amomax_d, uint64_t, int64_t, SMAX(int64_t))
AMO_PAIR(amominu, a < b ? a : b)
AMO_PAIR(amomaxu, a > b ? a : b)
