/* The x86-64 emitter: one host function per TB.
 *
 * Register use inside a TB's code: rbx holds the Hart * for the whole TB,
 * r15 the hart's icount (ICOUNT_REG); rbp, r12-r14 (callee-saved:
 * handler calls keep them) and rsi, rdi,
 * r8-r11 (caller-saved: dropped at a handler call, loaded again after a
 * slow path's call) cache guest registers (see "The guest-register cache"
 * below); rax, rcx, rdx are scratch, rdi and rsi also a call's
 * arguments. A guest register an inline op writes stays in its host
 * register (write-back, "dirty") until an exit (each exit stores the
 * dirty ones before its jmp), a handler call (which reads h->x[]), a slow
 * path (before its call: a fault, a watchpoint, an abandoned I/O access
 * see h->x[] exact) or its host register's reuse. So h->x[] is the hart's
 * exact state whenever anything but this TB's own code looks at it: the
 * run loop, the debugger and the trace events run between TBs. Every exit
 * jumps to the TB's epilogue, which restores the host's registers.
 *
 * Each op is one of:
 *  - inline: integer ALU (immediates, W forms, shifts, slt, lui/auipc,
 *    mul/mulw, mulh/mulhu/mulhsu, div/divu/rem/remu: a div and a rem of
 *    the same operands share one divide, see pair_divisions; their W
 *    forms), branches, jal, jalr, the closing goto, fence (nothing);
 *    fmadd.d and its variants rounding to nearest even (emit_fma_d);
 *  - a load or store (integer, or flw/fld/fsw/fsd to and from h->f[]):
 *    the soft-TLB lookup inline; a miss, an MMIO page, a
 *    watched page, a code page or a page-crossing access goes to a slow
 *    path out of line that calls mmu_read_slow / mmu_write_slow with the
 *    TB's own op, exactly as the portable handler's slow path does;
 *  - a handler call, for everything else. A handler ends with op_next(),
 *    a tail call of op[1].fn: it is given a copy of its op followed by a
 *    stub op whose fn returns OP_NEXT, so it returns to the host code; a
 *    nonzero result leaves the TB with that code.
 *
 * Chaining: a direct exit (slot 0 or 1) leaves through a jmp that the
 * TB cache patches (tb_chain, native_link) to the chain entry of the TB
 * it links to (or, for an exit back to the TB's own start, to its loop
 * entry: see "Self loops"). That entry makes the run loop's checks (the
 * next TB fits in the budget h->icount_end; a stop, a debugger stop, the
 * fast mode's kick and a newly raised interrupt lower icount_end to 0, so
 * the budget check covers them; in the fast mode, mip & mie too: see
 * emit_irq_check) and tb_exec's count of the icount, then runs the TB;
 * if a check fails, it leaves with OP_EXIT_SYNC, nothing of it run. The
 * other bookkeeping of tb_exec, cur_tb, is done where it is read (see
 * emit_set_cur_tb). Invalidation unpatches the jumps (native_unlink) when
 * it drops the links.
 *
 * x0: rd == 0 was remapped to the sink x[32] by the decoder, so h->x[0]
 * is never written and reads 0; reads of x0 are emitted as a constant 0.
 * Native code does not write the sink (an inline op whose rd is x0 and
 * that has no other effect emits nothing); nothing reads it. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csr.h"
#include "core/machine.h"
#include "core/mmu.h"
#include "translator/insn_table.h"
#include "translator/native.h"
#include "translator/x86_64/code_buffer.h"
#include "translator/x86_64/x86_encode.h"

struct NativeBackend {
    CodeBuffer cb;
    NativeTbMap map; /* of the last TB emitted (-d out_asm) */
    bool have_map;
    FILE *code_map; /* REWIND_CODE_MAP: where each TB's code lies */
};

_Static_assert(sizeof(TlbEntry) == 32 && offsetof(TlbEntry, vpage) == 0 &&
               offsetof(TlbEntry, addend) == 8, "the inline TLB lookup knows TlbEntry");
_Static_assert(TLB_SIZE <= 4096, "the inline TLB lookup masks the index (<< 5) with an imm32");

#define XOFF(r) ((int32_t)(offsetof(Hart, x) + 8 * (size_t)(r)))
#define FOFF(r) ((int32_t)(offsetof(Hart, f) + 8 * (size_t)(r)))
/* BOX_S of translator/ops_fp.c: a single is NaN-boxed in an f register */
#define FP_BOX_S 0xffffffff00000000ULL
#define PC_OFF ((int32_t)offsetof(Hart, pc))
#define DTLB_OFF(acc) ((int32_t)(offsetof(Hart, dtlb) + sizeof(TlbEntry *) * (acc)))
#define HART_OFF(field) ((int32_t)offsetof(Hart, field))

/* ------------------------------------------------------------ helpers */

/* The op after a called handler's op: returns to the host code. */
static int native_stub_next(Hart *h, const Op *op)
{
    (void)h;
    (void)op;
    return OP_NEXT;
}

/* Slow paths of loads and stores: what the portable handlers' slow paths
 * do, returning OP_NEXT instead of going on to the next op. kind: size in
 * the low 4 bits, bit 4 set for a sign-extending load. */
static int native_load_slow(Hart *h, const Op *op, uint64_t va, unsigned kind)
{
    unsigned size = kind & 15;
    uint64_t v;
    if (!mmu_read_slow(h, op, va, size, &v))
        return OP_EXIT_EXC;
    if ((kind & 16) && size < 8) {
        unsigned shift = 64 - 8 * size;
        v = (uint64_t)((int64_t)(v << shift) >> shift);
    }
    X(op->rd) = v;
    return OP_NEXT;
}

static int native_store_slow(Hart *h, const Op *op, uint64_t va, unsigned kind)
{
    return mmu_write_slow(h, op, va, kind & 15, X(op->rs2)) ? OP_NEXT : OP_EXIT_EXC;
}

/* The same for flw/fld and fsw/fsd (op_flw ... in translator/ops_fp.c):
 * a single is NaN-boxed in its 64-bit register, and a load makes FS
 * dirty. */
static int native_fload_slow(Hart *h, const Op *op, uint64_t va, unsigned kind)
{
    unsigned size = kind & 15;
    uint64_t v;
    if (!mmu_read_slow(h, op, va, size, &v))
        return OP_EXIT_EXC;
    h->f[op->rd] = size == 4 ? FP_BOX_S | v : v;
    csr_set_fs_dirty(h);
    return OP_NEXT;
}

static int native_fstore_slow(Hart *h, const Op *op, uint64_t va, unsigned kind)
{
    unsigned size = kind & 15;
    uint64_t v = size == 4 ? (uint32_t)h->f[op->rs2] : h->f[op->rs2];
    return mmu_write_slow(h, op, va, size, v) ? OP_NEXT : OP_EXIT_EXC;
}

/* ------------------------------------------------------------ op kinds */

typedef enum {
    K_CALL = 0, /* call the handler */
    K_NOP,
    K_MFENCE,            /* the fast mode's fence that orders W -> R */
    K_LUI, K_AUIPC,
    K_ALU_RI, K_ALU_RR,  /* add/sub/and/or/xor, 64 or 32 bits */
    K_SHIFT_RI, K_SHIFT_RR,
    K_SLT_RI, K_SLT_RR,
    K_MUL,
    K_MULH,              /* mulh, mulhu: the high half of rdx:rax */
    K_DIV,               /* div, divu, rem, remu (64 bits) */
    K_JAL, K_JALR, K_BRANCH, K_GOTO,
    K_LOAD, K_STORE,
    K_FLOAD, K_FSTORE,   /* flw, fld, fsw, fsd */
    K_FMA_D,             /* fmadd.d and its variants: see emit_fma_d */
} Kind;

typedef struct OpInfo {
    Kind kind;
    uint8_t alu;      /* X86Alu, X86Shift, or X86Cond (slt, branches) */
    bool w;           /* 32-bit op, result sign-extended (W forms) */
    uint8_t size;     /* loads and stores */
    bool sign;        /* loads; signed mulh, div, rem */
    bool rem;         /* rem, remu: the remainder */
} OpInfo;

/* The inline fused multiply-add needs AVX-512F (its static rounding) and
 * BMI1 (tzcnt); without them fmadd.d and its variants call their handler. */
static bool host_has_rn_fma(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("bmi");
}

/* The fused multiply-add variants: bit 0 negates the product, bit 1 the
 * addend (fmsub: -c; fnmsub: -(a*b); fnmadd: -(a*b) - c). */
enum { FMA_NEG_PROD = 1, FMA_NEG_ADD = 2 };

static OpInfo oi(Kind kind, unsigned alu, bool w, unsigned size, bool sign)
{
    return (OpInfo){ .kind = kind, .alu = (uint8_t)alu, .w = w, .size = (uint8_t)size,
                     .sign = sign };
}

static OpInfo classify(const Op *op, bool fast_mode)
{
    OpFn fn = op->fn;
#define IS(f) (fn == op_##f)
    /* A fence is nothing on x86's TSO, and nothing at all with one thread
     * running the harts. In the fast mode, a fence that orders W -> R is
     * an mfence, and pause calls its handler (which yields the thread). */
    if (IS(fence)) {
        if (fast_mode && op_fence_is_pause(op->raw))
            return oi(K_CALL, 0, false, 0, false);
        if (fast_mode && op_fence_orders_store_load(op->raw))
            return oi(K_MFENCE, 0, false, 0, false);
        return oi(K_NOP, 0, false, 0, false);
    }
    if (IS(lui)) return oi(K_LUI, 0, false, 0, false);
    if (IS(auipc)) return oi(K_AUIPC, 0, false, 0, false);
    if (IS(addi)) return oi(K_ALU_RI, ALU_ADD, false, 0, false);
    if (IS(xori)) return oi(K_ALU_RI, ALU_XOR, false, 0, false);
    if (IS(ori)) return oi(K_ALU_RI, ALU_OR, false, 0, false);
    if (IS(andi)) return oi(K_ALU_RI, ALU_AND, false, 0, false);
    if (IS(addiw)) return oi(K_ALU_RI, ALU_ADD, true, 0, false);
    if (IS(add)) return oi(K_ALU_RR, ALU_ADD, false, 0, false);
    if (IS(sub)) return oi(K_ALU_RR, ALU_SUB, false, 0, false);
    if (IS(xor)) return oi(K_ALU_RR, ALU_XOR, false, 0, false);
    if (IS(or)) return oi(K_ALU_RR, ALU_OR, false, 0, false);
    if (IS(and)) return oi(K_ALU_RR, ALU_AND, false, 0, false);
    if (IS(addw)) return oi(K_ALU_RR, ALU_ADD, true, 0, false);
    if (IS(subw)) return oi(K_ALU_RR, ALU_SUB, true, 0, false);
    if (IS(slli)) return oi(K_SHIFT_RI, SHIFT_SHL, false, 0, false);
    if (IS(srli)) return oi(K_SHIFT_RI, SHIFT_SHR, false, 0, false);
    if (IS(srai)) return oi(K_SHIFT_RI, SHIFT_SAR, false, 0, false);
    if (IS(slliw)) return oi(K_SHIFT_RI, SHIFT_SHL, true, 0, false);
    if (IS(srliw)) return oi(K_SHIFT_RI, SHIFT_SHR, true, 0, false);
    if (IS(sraiw)) return oi(K_SHIFT_RI, SHIFT_SAR, true, 0, false);
    if (IS(sll)) return oi(K_SHIFT_RR, SHIFT_SHL, false, 0, false);
    if (IS(srl)) return oi(K_SHIFT_RR, SHIFT_SHR, false, 0, false);
    if (IS(sra)) return oi(K_SHIFT_RR, SHIFT_SAR, false, 0, false);
    if (IS(sllw)) return oi(K_SHIFT_RR, SHIFT_SHL, true, 0, false);
    if (IS(srlw)) return oi(K_SHIFT_RR, SHIFT_SHR, true, 0, false);
    if (IS(sraw)) return oi(K_SHIFT_RR, SHIFT_SAR, true, 0, false);
    if (IS(slti)) return oi(K_SLT_RI, CC_L, false, 0, false);
    if (IS(sltiu)) return oi(K_SLT_RI, CC_B, false, 0, false);
    if (IS(slt)) return oi(K_SLT_RR, CC_L, false, 0, false);
    if (IS(sltu)) return oi(K_SLT_RR, CC_B, false, 0, false);
    if (IS(mul)) return oi(K_MUL, 0, false, 0, false);
    if (IS(mulw)) return oi(K_MUL, 0, true, 0, false);
    if (IS(mulh)) return oi(K_MULH, 0, false, 0, true);
    if (IS(mulhu)) return oi(K_MULH, 0, false, 0, false);
    if (IS(mulhsu)) return oi(K_MULH, 1, false, 0, false); /* alu 1: signed x unsigned */
    if (IS(div)) return oi(K_DIV, 0, false, 0, true);
    if (IS(divu)) return oi(K_DIV, 0, false, 0, false);
    if (IS(rem)) { OpInfo r = oi(K_DIV, 0, false, 0, true); r.rem = true; return r; }
    if (IS(remu)) { OpInfo r = oi(K_DIV, 0, false, 0, false); r.rem = true; return r; }
    if (IS(divw)) return oi(K_DIV, 0, true, 0, true);
    if (IS(divuw)) return oi(K_DIV, 0, true, 0, false);
    if (IS(remw)) { OpInfo r = oi(K_DIV, 0, true, 0, true); r.rem = true; return r; }
    if (IS(remuw)) { OpInfo r = oi(K_DIV, 0, true, 0, false); r.rem = true; return r; }
    if (IS(jal)) return oi(K_JAL, 0, false, 0, false);
    if (IS(jalr)) return oi(K_JALR, 0, false, 0, false);
    if (IS(beq)) return oi(K_BRANCH, CC_E, false, 0, false);
    if (IS(bne)) return oi(K_BRANCH, CC_NE, false, 0, false);
    if (IS(blt)) return oi(K_BRANCH, CC_L, false, 0, false);
    if (IS(bge)) return oi(K_BRANCH, CC_GE, false, 0, false);
    if (IS(bltu)) return oi(K_BRANCH, CC_B, false, 0, false);
    if (IS(bgeu)) return oi(K_BRANCH, CC_AE, false, 0, false);
    if (fn == op_goto_next) return oi(K_GOTO, 0, false, 0, false);
    if (IS(lb)) return oi(K_LOAD, 0, false, 1, true);
    if (IS(lh)) return oi(K_LOAD, 0, false, 2, true);
    if (IS(lw)) return oi(K_LOAD, 0, false, 4, true);
    if (IS(ld)) return oi(K_LOAD, 0, false, 8, false);
    if (IS(lbu)) return oi(K_LOAD, 0, false, 1, false);
    if (IS(lhu)) return oi(K_LOAD, 0, false, 2, false);
    if (IS(lwu)) return oi(K_LOAD, 0, false, 4, false);
    if (IS(sb)) return oi(K_STORE, 0, false, 1, false);
    if (IS(sh)) return oi(K_STORE, 0, false, 2, false);
    if (IS(sw)) return oi(K_STORE, 0, false, 4, false);
    if (IS(sd)) return oi(K_STORE, 0, false, 8, false);
    if (IS(flw)) return oi(K_FLOAD, 0, false, 4, false);
    if (IS(fld)) return oi(K_FLOAD, 0, false, 8, false);
    if (IS(fsw)) return oi(K_FSTORE, 0, false, 4, false);
    if (IS(fsd)) return oi(K_FSTORE, 0, false, 8, false);
    /* Rounding to nearest even only, static or by frm (checked inline). */
    if ((op->rm == 0 || op->rm == 7) && host_has_rn_fma()) {
        if (IS(fmadd_d)) return oi(K_FMA_D, 0, false, 0, false);
        if (IS(fmsub_d)) return oi(K_FMA_D, FMA_NEG_ADD, false, 0, false);
        if (IS(fnmsub_d)) return oi(K_FMA_D, FMA_NEG_PROD, false, 0, false);
        if (IS(fnmadd_d)) return oi(K_FMA_D, FMA_NEG_PROD | FMA_NEG_ADD, false, 0, false);
    }
#undef IS
    return oi(K_CALL, 0, false, 0, false);
}

/* ------------------------------------------------------------ emission */

/* The host registers of the guest-register cache (see below): first the
 * callee-saved ones, which handler calls keep (the prologue saves them),
 * then caller-saved ones, which a call clobbers: a handler call drops
 * them, and a slow path loads them again after its call. rax, rcx, rdx
 * are the ops' scratch registers; rdi and rsi carry a call's arguments,
 * set after the stores that come before every call. */
static const X86Reg cache_regs[] = { RBP, R12, R13, R14, RSI, RDI, R8, R9, R10, R11 };
enum { NCACHE = sizeof(cache_regs) / sizeof(cache_regs[0]), NCALLEE = 4 };

/* The hart's icount, kept in a callee-saved host register from a TB's
 * entry to its last exit (see emit_entry_checks): always equal to
 * h->icount while native code runs, since only tb_exec and the entries
 * below change h->icount and no handler does. */
#define ICOUNT_REG R15

/* A load or store's slow path, emitted after the TB's ops; or an inline
 * fused multiply-add's, which calls its handler (`call`). */
typedef struct SlowPath {
    uint8_t *jump;         /* rel32 of the fast path's jne */
    uint8_t *more[7];      /* more jumps here (an inline FMA's checks) */
    unsigned nmore;
    const Op *call;        /* an op copy and its stub: call its handler */
    uint8_t *resume;       /* where the fast path goes on */
    const Op *op;          /* the TB's own op (pc, idx, registers) */
    bool store;
    bool fp;               /* flw, fld, fsw, fsd */
    unsigned kind;
    int reload;            /* a load's destination register to read back
                            * from h->x[] after the call, or -1 */
    uint16_t dirty;        /* the cache's dirty slots at the jne, and */
    int8_t guest[NCACHE];  /* the guest registers the slots hold: the
                            * dirty ones stored to h->x[] before the call,
                            * the caller-saved ones loaded again after */
} SlowPath;

/* The guest-register cache. Inside a TB, guest registers are kept in the
 * callee-saved host registers below (rbx holds the hart), so a value an op
 * computes reaches the next op that reads it through a register, not
 * through a store and a load of h->x[] (a store-to-load forwarding delay,
 * about 4-5 cycles, on every dependency). A write marks its slot dirty
 * (write-back): the value goes to h->x[] only where something else may
 * read it there: at each exit (flush_dirty, on that path only: the code
 * after a branch's exit still sees the slots dirty), before a handler
 * call (sync_dirty: clean from there on), in a load or store's slow path
 * (the dirty slots as they were at its jne) and when the slot is reused
 * (cache_take). The cache starts empty at each TB's entry (a TB is
 * entered from the run loop or from any TB chained to it); a handler call
 * may write x[op->rd] (the only guest register a handler writes), so that
 * one is dropped after it, and so are the caller-saved slots, which the
 * call clobbers; a slow path loads the caller-saved slots again after its
 * call, as they were at its jne. */

typedef struct Emit {
    X86Buf b;
    const CodeBuffer *cb;
    TB *tb;
    bool fast_mode;             /* translated in the fast mode */
    uint8_t *epilogue;          /* every exit jumps here */
    uint8_t *chain_fail;        /* a failed chain entry check: right before
                                 * the epilogue, which it falls into */
    int8_t slot_of[33];         /* cache slot holding x[i], or -1 */
    int8_t guest_of[NCACHE];    /* guest register in a slot, or -1 */
    uint32_t last_use[NCACHE];  /* for least-recently-used replacement */
    uint32_t clock;
    unsigned pinned;            /* slots the current op reads: not replaced */
    unsigned dirty;             /* slots written since h->x[] was (write-back) */
    /* A TB that loops to its own start (see emit_loop_entry): the guest
     * registers loaded into the slots at its start, and the slot of its
     * exit that goes back there (-1: not such a TB). */
    int8_t loop_regs[NCACHE];
    int loop_slot;
    unsigned loop_dirty;        /* slots dirty at the loop head: the loop
                                 * registers the TB writes */
    SlowPath slow[TB_MAX_INSNS + 2];
    unsigned nslow;
    /* A div and a rem of the same operands (see pair_divisions): the
     * first one also stores the other result in the frame's spare slot
     * [rsp], the second one takes it from there. */
    uint8_t div_role[TB_MAX_INSNS + 2];
    uint8_t cur_div_role;
    const Op *cur_pair;         /* the current op's copy and stub, if any */
} Emit;

enum { DIV_ALONE = 0, DIV_KEEP_OTHER, DIV_TAKE_KEPT };

static void cache_clear(Emit *e)
{
    memset(e->slot_of, -1, sizeof(e->slot_of));
    memset(e->guest_of, -1, sizeof(e->guest_of));
    memset(e->last_use, 0, sizeof(e->last_use));
    e->pinned = 0;
    e->dirty = 0;
}

static void cache_drop(Emit *e, unsigned xr)
{
    if (xr > 32 || e->slot_of[xr] < 0)
        return;
    e->dirty &= ~(1u << e->slot_of[xr]);
    e->guest_of[e->slot_of[xr]] = -1;
    e->slot_of[xr] = -1;
}

/* Store slot s's guest register to h->x[]. */
static void store_slot(Emit *e, int s)
{
    x86_store64(&e->b, RBX, XOFF(e->guest_of[s]), cache_regs[s]);
}

/* Store the dirty slots to h->x[], on a path that leaves the TB (an
 * exit): the code after it still sees them dirty (the other path of a
 * branch did not store them). */
static void flush_dirty(Emit *e)
{
    for (int s = 0; s < (int)NCACHE; s++)
        if (e->dirty & (1u << s))
            store_slot(e, s);
}

/* Store the dirty slots before a handler call, which reads h->x[]: from
 * here on they are clean. */
static void sync_dirty(Emit *e)
{
    flush_dirty(e);
    e->dirty = 0;
}

/* A slot for x[xr] (not cached yet): a free one, else the least recently
 * used one that the current op does not read. */
static int cache_take(Emit *e, unsigned xr)
{
    int best = -1;
    for (int s = 0; s < (int)NCACHE; s++) {
        if (e->pinned & (1u << s))
            continue;
        if (e->guest_of[s] < 0) {
            best = s;
            break;
        }
        if (best < 0 || e->last_use[s] < e->last_use[best])
            best = s;
    }
    /* An op reads at most two registers, so a slot is free. */
    if (e->guest_of[best] >= 0) {
        if (e->dirty & (1u << best)) /* its value is only there */
            store_slot(e, best);
        e->dirty &= ~(1u << best);
        e->slot_of[e->guest_of[best]] = -1;
    }
    e->guest_of[best] = (int8_t)xr;
    e->slot_of[xr] = (int8_t)best;
    return best;
}

static X86Reg cache_use(Emit *e, int slot)
{
    e->last_use[slot] = ++e->clock;
    e->pinned |= 1u << slot;
    return cache_regs[slot];
}

/* A host register holding x[xr], for the current op to read. x0 is the
 * constant 0, put in `zero` (a scratch register). */
static X86Reg src(Emit *e, unsigned xr, X86Reg zero)
{
    if (xr == 0) {
        x86_mov_imm(&e->b, zero, 0);
        return zero;
    }
    int slot = e->slot_of[xr];
    if (slot < 0) {
        slot = cache_take(e, xr);
        x86_load64(&e->b, cache_regs[slot], RBX, XOFF(xr));
    }
    return cache_use(e, slot);
}

/* The host register that will hold x[rd] (rd a real register: 1..31). The
 * op computes the value there, then calls written(). */
static X86Reg dst(Emit *e, unsigned rd)
{
    int slot = e->slot_of[rd];
    if (slot < 0)
        slot = cache_take(e, rd);
    return cache_use(e, slot);
}

static void written(Emit *e, unsigned rd, X86Reg r)
{
    int slot = e->slot_of[rd];
    if (slot >= 0 && cache_regs[slot] == r) {
        e->dirty |= 1u << slot; /* stored at an exit, a call, a slow path */
        return;
    }
    /* A value in a scratch register (jal, jalr's link): to h->x[], and a
     * cached copy of rd is stale. */
    x86_store64(&e->b, RBX, XOFF(rd), r);
    cache_drop(e, rd);
}

/* rd of an op that writes a guest register: x0's writes go to the sink
 * x[32], which nothing reads, so an op that has no other effect is
 * skipped when its rd is the sink. */
static bool real_rd(const Op *op)
{
    return op->rd != 0 && op->rd < 32;
}

static void set_pc(Emit *e, uint64_t pc)
{
    if (x86_fits_s32((int64_t)pc)) {
        x86_store_imm32(&e->b, RBX, PC_OFF, (int32_t)pc);
    } else {
        x86_mov_imm(&e->b, RAX, pc);
        x86_store64(&e->b, RBX, PC_OFF, RAX);
    }
}

/* h->cur_tb = this TB. A TB entered through its chain entry does not set
 * it there (two instructions on every chained jump): it is set where
 * something looks at it, before each call (handlers and the slow paths
 * read the TB's length and flags through it) and on the way out (the run
 * loop: which TB ended). Through `scratch`. */
static void emit_set_cur_tb(Emit *e, X86Reg scratch)
{
    x86_mov_imm(&e->b, scratch, (uint64_t)(uintptr_t)e->tb);
    x86_store64(&e->b, RBX, HART_OFF(cur_tb), scratch);
}

/* Leave the TB with the result in eax: the epilogue restores the host's
 * callee-saved registers and returns. */
static void leave(Emit *e)
{
    x86_jmp_to(&e->b, e->epilogue);
}

static void leave_with(Emit *e, int code)
{
    flush_dirty(e);
    x86_mov_imm(&e->b, RAX, (uint64_t)code);
    leave(e);
}

/* Store the loop registers the TB writes, which may be dirty where they
 * are all in their slots: the loop head, its entry, its exit. */
static void store_loop_dirty(Emit *e)
{
    for (unsigned s = 0; s < NCACHE; s++)
        if (e->loop_dirty & (1u << s))
            x86_store64(&e->b, RBX, XOFF(e->loop_regs[s]), cache_regs[s]);
}

/* Before the exit that goes back to the TB's own start: put the guest
 * registers that the loop head expects into their slots. A slot that
 * holds its loop register already keeps it, dirty or not (the loop head
 * counts the loop registers the TB writes as dirty); the other dirty
 * slots are stored, then the missing loop registers loaded from h->x[].
 * Usually they are all in place. */
static void loop_reconcile(Emit *e)
{
    for (unsigned s = 0; s < NCACHE; s++)
        if ((e->dirty & (1u << s)) && e->guest_of[s] != e->loop_regs[s])
            store_slot(e, (int)s);
    for (unsigned s = 0; s < NCACHE; s++) {
        int xr = e->loop_regs[s];
        if (xr >= 0 && e->guest_of[s] != xr)
            x86_load64(&e->b, cache_regs[s], RBX, XOFF(xr));
    }
}

/* Leave through chain slot `slot` to guest address `target` (h->pc is
 * set to it): a jmp that native_link patches, first to the instruction
 * right after it. Its displacement is 4-byte aligned, so that a patch is
 * one atomic store that a hart running the code on another host thread
 * sees whole (the fast mode). The exit of a TB back to its own start
 * leaves h->pc alone: it holds the TB's start all through the TB (the exit
 * that led here, or the run loop's lookup, set it; an op that changes it
 * leaves the TB). */
static void leave_direct(Emit *e, int slot, uint64_t target)
{
    bool loop = slot == e->loop_slot && target == e->tb->vpc;
    if (loop) {
        loop_reconcile(e);
    } else {
        flush_dirty(e);
        set_pc(e, target);
    }
    x86_mov_imm(&e->b, RAX, (uint64_t)(OP_EXIT_JUMP0 + slot));
    x86_align4(&e->b, 1); /* the jmp's opcode byte, then the rel32 */
    uint8_t *site = x86_jmp_fwd(&e->b);
    if (site && !e->tb->host_exit[slot])
        e->tb->host_exit[slot] = (uint8_t *)code_buffer_exec_addr(e->cb, site);
    /* Not linked (yet) to the loop entry: the loop registers are in
     * their slots, those the TB writes maybe dirty, as at the loop head. */
    if (loop)
        store_loop_dirty(e);
    leave(e);
}

/* rax = rs1 + imm: the address of a load or store. Then look the page up
 * in the data TLB of `acc`: on a hit rax becomes the host address; on a
 * miss the jne to the slow path is recorded. Uses rcx and rdx. */
static SlowPath *emit_tlb_lookup(Emit *e, const Op *op, int acc, unsigned size, unsigned kind)
{
    X86Buf *b = &e->b;
    if (op->rs1 == 0)
        x86_mov_imm(b, RAX, (uint64_t)(int64_t)op->imm);
    else
        x86_lea(b, RAX, src(e, op->rs1, RAX), (int32_t)op->imm);
    /* rcx = the entry: dtlb[acc] + index * 32 (index: va bits 12-19) */
    x86_mov_rr32(b, RCX, RAX);
    x86_shift_ri(b, SHIFT_SHR, false, RCX, 12 - 5);
    x86_alu_ri(b, ALU_AND, false, RCX, (TLB_SIZE - 1) << 5);
    x86_alu_rm(b, ALU_ADD, true, RCX, RBX, DTLB_OFF(acc));
    /* The page of the access's last byte must be the entry's page: the
     * entry sits at the index of the first byte's page, so this also
     * rejects an access that crosses into the next page (the portable
     * check, (va & 0xfff) <= 0x1000 - size, in one compare). */
    x86_lea(b, RDX, RAX, (int32_t)size - 1);
    x86_alu_ri(b, ALU_AND, true, RDX, -4096);
    x86_alu_rm(b, ALU_CMP, true, RDX, RCX, 0);
    SlowPath *s = &e->slow[e->nslow++];
    s->jump = x86_jcc_fwd(b, CC_NE);
    s->nmore = 0;
    s->call = NULL;
    s->op = op;
    s->store = acc == ACC_WRITE;
    s->fp = false;
    s->kind = kind;
    s->reload = -1;
    s->dirty = (uint16_t)e->dirty;
    for (unsigned i = 0; i < NCACHE; i++)
        s->guest[i] = e->guest_of[i];
    x86_alu_rm(b, ALU_ADD, true, RAX, RCX, 8);         /* + addend */
    return s;
}

static void emit_call(Emit *e, const Op *pair_exec, OpFn fn, bool last);

static void emit_slow_paths(Emit *e)
{
    X86Buf *b = &e->b;
    for (unsigned i = 0; i < e->nslow; i++) {
        SlowPath *s = &e->slow[i];
        if (b->overflow)
            return;
        x86_patch_rel32(s->jump, b->p);
        for (unsigned j = 0; j < s->nmore; j++)
            x86_patch_rel32(s->more[j], b->p);
        /* h->x[] exact for the slow path: a fault, a watchpoint, an
         * abandoned I/O access that the run loop runs again alone. */
        for (unsigned r = 0; r < NCACHE; r++)
            if (s->dirty & (1u << r))
                x86_store64(b, RBX, XOFF(s->guest[r]), cache_regs[r]);
        if (s->call) {
            /* The handler: it writes an f register, fflags, mstatus, or
             * raises an exception; no x register. */
            emit_call(e, s->call, s->op->fn, false);
            for (unsigned r = NCALLEE; r < NCACHE; r++)
                if (s->guest[r] >= 0)
                    x86_load64(b, cache_regs[r], RBX, XOFF(s->guest[r]));
            x86_jmp_to(b, s->resume);
            continue;
        }
        x86_mov_rr(b, RDX, RAX); /* va */
        emit_set_cur_tb(e, RDI);
        x86_mov_rr(b, RDI, RBX);
        x86_mov_imm(b, RSI, (uint64_t)(uintptr_t)s->op);
        x86_mov_imm(b, RCX, s->kind);
        int (*fn)(Hart *, const Op *, uint64_t, unsigned) =
            s->fp ? (s->store ? native_fstore_slow : native_fload_slow)
                  : (s->store ? native_store_slow : native_load_slow);
        x86_mov_imm(b, RAX, (uint64_t)(uintptr_t)fn);
        x86_call_reg(b, RAX);
        x86_test_rr(b, false, RAX, RAX);
        x86_patch_rel32(x86_jcc_fwd(b, CC_NE), e->epilogue);
        for (unsigned r = NCALLEE; r < NCACHE; r++) /* as they were at the jne */
            if (s->guest[r] >= 0)
                x86_load64(b, cache_regs[r], RBX, XOFF(s->guest[r]));
        if (s->reload >= 0) /* the value the slow path stored in h->x[] */
            x86_load64(b, (X86Reg)s->reload, RBX, XOFF(s->op->rd));
        x86_jmp_to(b, s->resume);
    }
}

/* Call op's handler through its copy in `pair` (op, then the stub). */
static void emit_call(Emit *e, const Op *pair_exec, OpFn fn, bool last)
{
    X86Buf *b = &e->b;
    emit_set_cur_tb(e, RAX);
    x86_mov_rr(b, RDI, RBX);
    x86_mov_imm(b, RSI, (uint64_t)(uintptr_t)pair_exec);
    x86_mov_imm(b, RAX, (uint64_t)(uintptr_t)fn);
    x86_call_reg(b, RAX);
    if (last) {
        leave(e);
    } else {
        x86_test_rr(b, false, RAX, RAX);
        x86_patch_rel32(x86_jcc_fwd(b, CC_NE), e->epilogue);
    }
}

/* An inline FMA's slow path: its handler, called with the op's copy. */
static SlowPath *fma_slow_path(Emit *e, const Op *op)
{
    SlowPath *s = &e->slow[e->nslow++];
    s->jump = NULL;
    s->nmore = 0;
    s->call = e->cur_pair;
    s->op = op;
    s->store = s->fp = false;
    s->kind = 0;
    s->reload = -1;
    s->dirty = (uint16_t)e->dirty;
    for (unsigned i = 0; i < NCACHE; i++)
        s->guest[i] = e->guest_of[i];
    return s;
}

static void fma_slow_if(Emit *e, SlowPath *s, X86Cond cc)
{
    uint8_t *j = x86_jcc_fwd(&e->b, cc);
    if (!s->jump)
        s->jump = j;
    else if (s->nmore < sizeof(s->more) / sizeof(s->more[0]))
        s->more[s->nmore++] = j;
    else
        e->b.overflow = true; /* cannot happen: emit_fma_d jumps 7 times */
}

/* r = the lowest set bit's position of the normal double f[freg], in the
 * units of translator/ops_fp.c's fp_lsb (biased exponent + trailing zeros
 * of the significand with its hidden bit); to the slow path unless
 * f[freg] is normal (finite, nonzero, not subnormal). Uses tmp. */
static void fma_lsb(Emit *e, SlowPath *s, unsigned freg, X86Reg r, X86Reg tmp)
{
    X86Buf *b = &e->b;
    x86_load64(b, r, RBX, FOFF(freg));
    x86_alu_rr(b, ALU_ADD, true, r, r); /* the sign out */
    x86_shift_ri(b, SHIFT_SHR, true, r, 53);   /* the biased exponent */
    x86_lea32(b, tmp, r, -1);
    x86_alu_ri(b, ALU_CMP, false, tmp, 0x7fd); /* 1..0x7fe: normal */
    fma_slow_if(e, s, CC_A);
    x86_load64(b, tmp, RBX, FOFF(freg));
    x86_bts_ri(b, tmp, 52);
    x86_tzcnt(b, tmp, tmp);
    x86_alu_rr(b, ALU_ADD, false, r, tmp);
}

/* fmadd.d and its variants inline, rounding to nearest even (rm RNE, or
 * DYN with frm RNE): the fast path of translator/ops_fp.c's fp_fma_d,
 * whose reasoning this follows. With a, b and c normal, the host's FMA
 * with static rounding ({rn-sae}: MXCSR neither read nor written, its
 * DAZ and FTZ unable to matter) gives the result; a result of biased
 * exponent 2..0x7fe cannot have overflowed or be tiny, so the only
 * possible flag is NX: the sum is exact iff the lower of the lowest set
 * bits of a*b (lsb(a) + lsb(b)) and c is not below the result's last
 * place, except when the two are equal and below it (carries decide):
 * that case, zero or subnormal operands, other results and frm other than
 * RNE go to the handler, out of line. Scratch: rax, rcx, rdx, xmm0-2. */
static void emit_fma_d(Emit *e, const Op *op, OpInfo in)
{
    X86Buf *b = &e->b;
    SlowPath *s = fma_slow_path(e, op);
    if (op->rm == 7) {
        x86_alu_m32_i8(b, ALU_CMP, RBX, HART_OFF(csr.frm), 0);
        fma_slow_if(e, s, CC_NE);
    }
    fma_lsb(e, s, op->rs1, RAX, RDX);
    fma_lsb(e, s, op->rs2, RCX, RDX);
    x86_alu_rr(b, ALU_ADD, false, RAX, RCX);
    x86_alu_ri(b, ALU_SUB, false, RAX, 1023 + 52); /* eax = lsb(a*b) */
    fma_lsb(e, s, op->rs3, RCX, RDX);              /* ecx = lsb(c) */
    x86_alu_rr(b, ALU_CMP, false, RAX, RCX);
    x86_cmov32(b, CC_G, RAX, RCX);                 /* eax = the lower */
    x86_setcc_zx(b, CC_E, RCX);                    /* ecx = they are equal */
    /* xmm0 = c, xmm1 = a, xmm2 = b, the variant's signs flipped */
    if (in.alu & FMA_NEG_ADD) {
        x86_load64(b, RDX, RBX, FOFF(op->rs3));
        x86_btc_ri(b, RDX, 63);
        x86_movq_x_r(b, 0, RDX);
    } else {
        x86_movq_x_m(b, 0, RBX, FOFF(op->rs3));
    }
    if (in.alu & FMA_NEG_PROD) {
        x86_load64(b, RDX, RBX, FOFF(op->rs1));
        x86_btc_ri(b, RDX, 63);
        x86_movq_x_r(b, 1, RDX);
    } else {
        x86_movq_x_m(b, 1, RBX, FOFF(op->rs1));
    }
    x86_movq_x_m(b, 2, RBX, FOFF(op->rs2));
    x86_fma231sd_rn_x0_x1_x2(b);
    /* edx = the result's biased exponent: 2..0x7fe, else the handler */
    x86_movq_r_x(b, RDX, 0);
    x86_alu_rr(b, ALU_ADD, true, RDX, RDX);
    x86_shift_ri(b, SHIFT_SHR, true, RDX, 53);
    x86_alu_ri(b, ALU_CMP, false, RDX, 2);
    fma_slow_if(e, s, CC_B);
    x86_alu_ri(b, ALU_CMP, false, RDX, 0x7fe);
    fma_slow_if(e, s, CC_A);
    /* exact when the lower lowest bit is not below the last place */
    x86_alu_rr(b, ALU_CMP, false, RAX, RDX);
    uint8_t *exact = x86_jcc_fwd(b, CC_GE);
    x86_test_rr(b, false, RCX, RCX);
    fma_slow_if(e, s, CC_NE);
    x86_alu_m32_i8(b, ALU_OR, RBX, HART_OFF(csr.fflags), 1); /* NX */
    if (!b->overflow)
        x86_patch_rel32(exact, b->p);
    x86_movq_m_x(b, RBX, FOFF(op->rd), 0);
    x86_mov_imm(b, RDX, MSTATUS_FS | MSTATUS_SD);
    x86_op_mem(b, 0x09, true, RDX, RBX, HART_OFF(csr.mstatus), false); /* or [m], rdx */
    s->resume = b->p;
}

static void emit_branch(Emit *e, const Op *op, X86Cond cc)
{
    X86Buf *b = &e->b;
    X86Reg s1 = src(e, op->rs1, RAX);
    if (op->rs2 == 0) {
        x86_test_rr(b, true, s1, s1); /* the flags of cmp s1, 0 */
    } else {
        X86Reg s2 = src(e, op->rs2, RCX);
        x86_alu_rr(b, ALU_CMP, true, s1, s2);
    }
    if (e->loop_slot == 0) {
        /* The branch back to the TB's own start: the loop's way on falls
         * through (x86 condition codes pair up, the low bit negates). */
        uint8_t *not_taken = x86_jcc_fwd(b, (X86Cond)(cc ^ 1));
        leave_direct(e, 0, op->pc + (uint64_t)op->imm);
        if (!b->overflow)
            x86_patch_rel32(not_taken, b->p);
        leave_direct(e, 1, NEXT_PC(op));
        return;
    }
    uint8_t *taken = x86_jcc_fwd(b, cc);
    leave_direct(e, 1, NEXT_PC(op));
    if (!b->overflow)
        x86_patch_rel32(taken, b->p);
    leave_direct(e, 0, op->pc + (uint64_t)op->imm);
}

/* d = s1 <alu> s2, 64 or 32 bits (then sign-extended). */
static void emit_alu_rr(Emit *e, const Op *op, X86Alu alu, bool w, bool commutes)
{
    X86Buf *b = &e->b;
    X86Reg s1 = src(e, op->rs1, RAX);
    X86Reg s2 = src(e, op->rs2, RCX);
    X86Reg d = dst(e, op->rd);
    if (d == s2 && d != s1) {
        if (commutes) {
            x86_alu_rr(b, alu, !w, d, s1);
        } else {
            x86_mov_rr(b, RDX, s1);
            x86_alu_rr(b, alu, !w, RDX, s2);
            x86_mov_rr(b, d, RDX);
        }
    } else {
        if (d != s1)
            x86_mov_rr(b, d, s1);
        x86_alu_rr(b, alu, !w, d, s2);
    }
    if (w)
        x86_sext32(b, d, d);
    written(e, op->rd, d);
}

/* mulh / mulhu: the high 64 bits of the 128-bit product (rdx:rax). */
/* mulh, mulhu, and mulhsu (su: rs1 signed, rs2 unsigned): the high half
 * of the 128-bit product. mulhsu is mulhu's, less rs2 when rs1 is
 * negative (rs1 as signed is its unsigned value - 2^64). */
static void emit_mulh(Emit *e, const Op *op, bool sign, bool su)
{
    X86Buf *b = &e->b;
    X86Reg d;
    if (op->rs1 == 0 || op->rs2 == 0) {
        d = dst(e, op->rd);
        x86_mov_imm(b, d, 0);
    } else {
        X86Reg s1 = src(e, op->rs1, RAX);
        X86Reg s2 = src(e, op->rs2, RCX); /* a cached register: not rax, rdx */
        d = dst(e, op->rd);
        x86_mov_rr(b, RAX, s1);
        x86_grp3(b, sign ? GRP3_IMUL : GRP3_MUL, s2);
        if (su) { /* rdx -= rs1 < 0 ? rs2 : 0 (s1, s2: cached registers) */
            x86_mov_rr(b, RCX, s1);
            x86_shift_ri(b, SHIFT_SAR, true, RCX, 63);
            x86_alu_rr(b, ALU_AND, true, RCX, s2);
            x86_alu_rr(b, ALU_SUB, true, RDX, RCX);
        }
        x86_mov_rr(b, d, RDX);
    }
    written(e, op->rd, d);
}

/* d = v as a result of the width: w, v's low half sign-extended. */
static void div_result(X86Buf *b, bool w, X86Reg d, X86Reg v)
{
    if (w)
        x86_sext32(b, d, v);
    else if (d != v)
        x86_mov_rr(b, d, v);
}

/* div, divu, rem, remu, and (w) their W forms, which take the operands'
 * low halves and sign-extend the 32-bit result (divuw's and remuw's too);
 * with RISC-V's results where x86 would fault: a zero divisor (quotient
 * all ones, remainder the dividend) and, signed, the divisor -1
 * (quotient -rs1, which wraps for the most negative dividend as RISC-V
 * wants; remainder 0). W forms are not paired (pair_divisions). */
static void emit_div(Emit *e, const Op *op, bool sign, bool rem, bool w)
{
    X86Buf *b = &e->b;
    if (e->cur_div_role == DIV_TAKE_KEPT) { /* computed by the div before */
        X86Reg d = dst(e, op->rd);
        x86_load64(b, d, RSP, 0);
        written(e, op->rd, d);
        return;
    }
    bool keep = e->cur_div_role == DIV_KEEP_OTHER; /* rd is neither source */
    if (op->rs2 == 0) { /* the zero divisor, known here */
        X86Reg s1 = src(e, op->rs1, RAX);
        X86Reg d = dst(e, op->rd);
        if (rem)
            div_result(b, w, d, s1);
        else
            x86_mov_imm(b, d, UINT64_MAX);
        written(e, op->rd, d);
        return;
    }
    X86Reg s1 = src(e, op->rs1, RCX);
    X86Reg s2 = src(e, op->rs2, RCX); /* a cached register: not rax, rdx */
    X86Reg d = dst(e, op->rd);
    x86_test_rr(b, !w, s2, s2);
    uint8_t *zero = x86_jcc_fwd(b, CC_E);
    uint8_t *minus_one = NULL;
    if (sign) {
        x86_alu_ri(b, ALU_CMP, !w, s2, -1);
        minus_one = x86_jcc_fwd(b, CC_E);
    }
    if (w)
        x86_mov_rr32(b, RAX, s1);
    else
        x86_mov_rr(b, RAX, s1);
    if (sign)
        w ? x86_cdq(b) : x86_cqo(b);
    else
        x86_mov_imm(b, RDX, 0);
    if (w)
        x86_grp3_32(b, sign ? GRP3_IDIV : GRP3_DIV, s2);
    else
        x86_grp3(b, sign ? GRP3_IDIV : GRP3_DIV, s2);
    div_result(b, w, d, rem ? RDX : RAX);
    if (keep)
        x86_store64(b, RSP, 0, rem ? RAX : RDX);
    uint8_t *done = x86_jmp_fwd(b);
    uint8_t *done2 = NULL;
    if (sign) {
        x86_patch_rel32(minus_one, b->p);
        if (rem) {
            x86_mov_imm(b, d, 0);
            if (keep) { /* the quotient: -s1 */
                x86_mov_rr(b, RAX, s1);
                x86_grp3(b, GRP3_NEG, RAX);
                x86_store64(b, RSP, 0, RAX);
            }
        } else if (w) { /* the low half of -s1 is -(s1's low half) */
            x86_mov_rr32(b, RAX, s1);
            x86_grp3_32(b, GRP3_NEG, RAX);
            x86_sext32(b, d, RAX);
        } else {
            if (d != s1)
                x86_mov_rr(b, d, s1);
            x86_grp3(b, GRP3_NEG, d);
            if (keep) /* the remainder: 0 */
                x86_store_imm32(b, RSP, 0, 0);
        }
        done2 = x86_jmp_fwd(b);
    }
    x86_patch_rel32(zero, b->p);
    if (rem) {
        div_result(b, w, d, s1);
        if (keep) /* the quotient: all ones */
            x86_store_imm32(b, RSP, 0, -1);
    } else {
        x86_mov_imm(b, d, UINT64_MAX);
        if (keep) /* the remainder: the dividend */
            x86_store64(b, RSP, 0, s1);
    }
    x86_patch_rel32(done, b->p);
    if (done2)
        x86_patch_rel32(done2, b->p);
    written(e, op->rd, d);
}

/* The value of an ALU op with an immediate on x0 (li and friends). */
static int64_t alu_on_zero(X86Alu alu, int64_t imm)
{
    return alu == ALU_AND ? 0 : imm; /* add, or, xor: the immediate */
}

static void emit_op(Emit *e, const Op *op, OpInfo in)
{
    X86Buf *b = &e->b;
    /* Ops whose only effect is x[rd]: nothing to do for the sink. */
    switch (in.kind) {
    case K_LUI: case K_AUIPC: case K_ALU_RI: case K_ALU_RR: case K_SHIFT_RI:
    case K_SHIFT_RR: case K_SLT_RI: case K_SLT_RR: case K_MUL: case K_MULH: case K_DIV:
        if (!real_rd(op))
            return;
        break;
    default:
        break;
    }
    switch (in.kind) {
    case K_NOP:
        break;
    case K_MFENCE:
        x86_mfence(b);
        break;
    case K_LUI: {
        X86Reg d = dst(e, op->rd);
        x86_mov_imm(b, d, (uint64_t)(int64_t)op->imm);
        written(e, op->rd, d);
        break;
    }
    case K_AUIPC: {
        X86Reg d = dst(e, op->rd);
        x86_mov_imm(b, d, op->pc + (uint64_t)op->imm);
        written(e, op->rd, d);
        break;
    }
    case K_ALU_RI: {
        X86Alu alu = (X86Alu)in.alu;
        if (op->rs1 == 0) {
            X86Reg d = dst(e, op->rd);
            x86_mov_imm(b, d, (uint64_t)alu_on_zero(alu, op->imm)); /* 12-bit: W is the same */
            written(e, op->rd, d);
            break;
        }
        X86Reg s1 = src(e, op->rs1, RAX);
        X86Reg d = dst(e, op->rd);
        if (alu == ALU_ADD && !in.w && d != s1) {
            x86_lea(b, d, s1, (int32_t)op->imm);
        } else if (alu == ALU_ADD && in.w && op->imm == 0) {
            x86_sext32(b, d, s1); /* sext.w */
        } else if (alu == ALU_ADD && in.w) {
            x86_lea32(b, d, s1, (int32_t)op->imm);
            x86_sext32(b, d, d);
        } else {
            if (d != s1)
                x86_mov_rr(b, d, s1);
            x86_alu_ri(b, alu, !in.w, d, (int32_t)op->imm);
            if (in.w)
                x86_sext32(b, d, d);
        }
        written(e, op->rd, d);
        break;
    }
    case K_ALU_RR:
        emit_alu_rr(e, op, (X86Alu)in.alu, in.w, in.alu != ALU_SUB);
        break;
    case K_SHIFT_RI: {
        X86Reg s1 = src(e, op->rs1, RAX);
        X86Reg d = dst(e, op->rd);
        if (d != s1)
            x86_mov_rr(b, d, s1);
        x86_shift_ri(b, (X86Shift)in.alu, !in.w, d, (unsigned)op->imm & (in.w ? 31 : 63));
        if (in.w)
            x86_sext32(b, d, d);
        written(e, op->rd, d);
        break;
    }
    case K_SHIFT_RR: {
        X86Reg s1 = src(e, op->rs1, RAX);
        X86Reg s2 = src(e, op->rs2, RCX);
        if (s2 != RCX)
            x86_mov_rr(b, RCX, s2); /* the count, before d (which may be s2) changes */
        X86Reg d = dst(e, op->rd);
        if (d != s1)
            x86_mov_rr(b, d, s1);
        x86_shift_cl(b, (X86Shift)in.alu, !in.w, d);
        if (in.w)
            x86_sext32(b, d, d);
        written(e, op->rd, d);
        break;
    }
    case K_SLT_RI: {
        X86Reg s1 = src(e, op->rs1, RAX);
        x86_alu_ri(b, ALU_CMP, true, s1, (int32_t)op->imm);
        X86Reg d = dst(e, op->rd);
        x86_setcc_zx(b, (X86Cond)in.alu, d);
        written(e, op->rd, d);
        break;
    }
    case K_SLT_RR: {
        X86Reg s1 = src(e, op->rs1, RAX);
        X86Reg s2 = src(e, op->rs2, RCX);
        x86_alu_rr(b, ALU_CMP, true, s1, s2);
        X86Reg d = dst(e, op->rd);
        x86_setcc_zx(b, (X86Cond)in.alu, d);
        written(e, op->rd, d);
        break;
    }
    case K_MUL: {
        X86Reg s1 = src(e, op->rs1, RAX);
        X86Reg s2 = src(e, op->rs2, RCX);
        X86Reg d = dst(e, op->rd);
        if (d == s2 && d != s1) {
            x86_imul_rr(b, !in.w, d, s1);
        } else {
            if (d != s1)
                x86_mov_rr(b, d, s1);
            x86_imul_rr(b, !in.w, d, s2);
        }
        if (in.w)
            x86_sext32(b, d, d);
        written(e, op->rd, d);
        break;
    }
    case K_MULH:
        emit_mulh(e, op, in.sign, in.alu == 1);
        break;
    case K_DIV:
        emit_div(e, op, in.sign, in.rem, in.w);
        break;
    case K_JAL:
        if (real_rd(op)) {
            x86_mov_imm(b, RAX, NEXT_PC(op));
            written(e, op->rd, RAX);
        }
        leave_direct(e, 0, op->pc + (uint64_t)op->imm);
        break;
    case K_JALR:
        /* The target first: rd may be rs1. */
        if (op->rs1 == 0) {
            x86_mov_imm(b, RCX, (uint64_t)(int64_t)op->imm & ~(uint64_t)1);
        } else {
            x86_lea(b, RCX, src(e, op->rs1, RAX), (int32_t)op->imm);
            x86_alu_ri(b, ALU_AND, true, RCX, -2);
        }
        if (real_rd(op)) {
            x86_mov_imm(b, RAX, NEXT_PC(op));
            written(e, op->rd, RAX);
        }
        x86_store64(b, RBX, PC_OFF, RCX);
        leave_with(e, OP_EXIT_INDIRECT);
        break;
    case K_BRANCH:
        emit_branch(e, op, (X86Cond)in.alu);
        break;
    case K_GOTO:
        leave_direct(e, 1, op->pc);
        break;
    case K_LOAD: {
        SlowPath *s = emit_tlb_lookup(e, op, ACC_READ, in.size, in.size | (in.sign ? 16u : 0u));
        if (real_rd(op)) {
            X86Reg d = dst(e, op->rd);
            x86_load_ext(b, d, RAX, 0, in.size, in.sign);
            written(e, op->rd, d);
            s->reload = (int)d;
        } else {
            x86_load_ext(b, RCX, RAX, 0, in.size, in.sign); /* the access, for its effects */
        }
        s->resume = b->p;
        break;
    }
    case K_STORE: {
        /* The value's register is loaded before the lookup, so that the
         * slow path, which resumes after the store, leaves the cache as
         * the fast path does. */
        X86Reg v = op->rs2 ? src(e, op->rs2, RCX) : RCX;
        SlowPath *s = emit_tlb_lookup(e, op, ACC_WRITE, in.size, in.size);
        if (op->rs2 == 0)
            x86_mov_imm(b, RCX, 0);
        x86_store_sized(b, RAX, 0, v, in.size);
        s->resume = b->p;
        break;
    }
    case K_FLOAD: {
        /* f[rd] = the value (a single NaN-boxed), then FS dirty, as
         * op_flw / op_fld do. FP registers are not cached. */
        SlowPath *s = emit_tlb_lookup(e, op, ACC_READ, in.size, in.size);
        s->fp = true;
        x86_load_ext(b, RCX, RAX, 0, in.size, false);
        if (in.size == 4) {
            x86_mov_imm(b, RDX, FP_BOX_S);
            x86_alu_rr(b, ALU_OR, true, RCX, RDX);
        }
        x86_store64(b, RBX, FOFF(op->rd), RCX);
        x86_mov_imm(b, RDX, MSTATUS_FS | MSTATUS_SD);
        x86_op_mem(b, 0x09, true, RDX, RBX, HART_OFF(csr.mstatus), false); /* or [m], rdx */
        s->resume = b->p;
        break;
    }
    case K_FSTORE: {
        SlowPath *s = emit_tlb_lookup(e, op, ACC_WRITE, in.size, in.size);
        s->fp = true;
        x86_load64(b, RCX, RBX, FOFF(op->rs2));
        x86_store_sized(b, RAX, 0, RCX, in.size);
        s->resume = b->p;
        break;
    }
    case K_FMA_D:
        emit_fma_d(e, op, in);
        break;
    case K_CALL:
        break; /* emit_tb does it: it owns the op copies */
    }
}

/* --------------------------------------------------------------- backend */

bool native_backend_available(void)
{
    return true;
}

/* REWIND_CODE_MAP=FILE appends a line per TB emitted to FILE: "OFFSET
 * SIZE tb 0xPC", OFFSET being where its code starts in the code buffer
 * (hex). perf(1) reports samples in the buffer as offsets into its memfd
 * (it cannot name JIT code in a file mapping through a perf map), so
 * this file turns `perf report --sort sym` addresses into guest TBs. A
 * profiling aid: see translator/x86_64/README.md. */
static FILE *code_map_open(void)
{
    const char *path = getenv("REWIND_CODE_MAP");
    if (!path || !*path)
        return NULL;
    FILE *f = fopen(path, "a");
    if (!f)
        fprintf(stderr, "rewind: REWIND_CODE_MAP: cannot open %s: %s\n", path, strerror(errno));
    return f;
}

NativeBackend *native_backend_new(size_t size, char *err, size_t errlen)
{
    NativeBackend *nb = calloc(1, sizeof(*nb));
    if (!nb) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!code_buffer_init(&nb->cb, size, err, errlen)) {
        free(nb);
        return NULL;
    }
    nb->code_map = code_map_open();
    return nb;
}

void native_backend_free(NativeBackend *nb)
{
    if (!nb)
        return;
    code_buffer_destroy(&nb->cb);
    if (nb->code_map)
        fclose(nb->code_map);
    free(nb);
}

void native_backend_reset(NativeBackend *nb)
{
    code_buffer_reset(&nb->cb);
    nb->have_map = false;
}

const NativeTbMap *native_last_map(const NativeBackend *nb)
{
    return nb->have_map ? &nb->map : NULL;
}

size_t native_backend_used(const NativeBackend *nb)
{
    return nb->cb.used;
}

/* Patch an exit's rel32 (aligned by leave_direct): one store, which x86
 * makes atomic for the instruction fetch of other cores too. */
static void patch_exit(NativeBackend *nb, uint8_t *exit, int32_t rel)
{
    uint32_t *at = (uint32_t *)(void *)(nb->cb.rw + (exit - nb->cb.rx));
    __atomic_store_n(at, (uint32_t)rel, __ATOMIC_RELEASE);
}

void native_link(NativeBackend *nb, uint8_t *exit, const uint8_t *chain)
{
    patch_exit(nb, exit, (int32_t)(chain - (exit + 4)));
}

void native_unlink(NativeBackend *nb, uint8_t *exit)
{
    patch_exit(nb, exit, 0); /* the instruction after the jmp: leave */
}

/* Leave if an interrupt enabled in mie is pending (eax: the exit code of
 * the TB before). Only in the fast mode, where another thread raises this
 * hart's interrupts at any time. In the deterministic engine nothing
 * raises them while native code runs: devices act between TBs, and a TB
 * that reaches a device runs that access alone, then goes back to the run
 * loop; the hart's own CSR writes, xRETs and traps end the TB unchained.
 * hart_set_mip lowers icount_end anyway, which the budget check sees. */
static void emit_irq_check(Emit *e, const uint8_t *fail)
{
    X86Buf *b = &e->b;
    x86_load64(b, RDX, RBX, HART_OFF(csr.mip));
    x86_alu_rm(b, ALU_AND, true, RDX, RBX, HART_OFF(csr.mie));
    x86_patch_rel32(x86_jcc_fwd(b, CC_NE), fail);
}

/* What a chain entry and a loop entry check and count before the TB
 * runs: the TB fits in the budget (icount_end), and in the fast mode no
 * interrupt is pending; then the icount. A failed check leaves through
 * the epilogue with eax as it is: the exit code of the TB that jumped
 * here, h->pc its target. No look at m->stop or m->debug_pending:
 * whatever sets them lowers icount_end (machine_break_chains). */
static void emit_entry_checks(Emit *e, const TB *tb, const uint8_t *fail)
{
    X86Buf *b = &e->b;
    /* From ICOUNT_REG, not from h->icount: a load of the value the entry
     * before stored would wait for the store (store-to-load forwarding,
     * 4-5 cycles), a chain through every TB of a loop. A failed check
     * leaves h->icount as it was; the epilogue restores the register. */
    x86_alu_ri(b, ALU_ADD, true, ICOUNT_REG, tb->ninsns);
    x86_alu_rm(b, ALU_CMP, true, ICOUNT_REG, RBX, HART_OFF(icount_end));
    x86_patch_rel32(x86_jcc_fwd(b, CC_A), fail);
    if (e->fast_mode)
        emit_irq_check(e, fail);
    x86_store64(b, RBX, HART_OFF(icount), ICOUNT_REG);
}

/* The chain entry (see the top of the file). The TB's body follows it.
 * It does not set cur_tb: see emit_set_cur_tb. */
static void emit_chain_entry(Emit *e, const TB *tb)
{
    emit_entry_checks(e, tb, e->chain_fail);
}

/* Self loops. A TB whose exit goes back to its own start (a loop of one
 * TB, the hottest code of most programs) links that exit to a loop entry
 * of its own instead of its chain entry: the same checks (budget,
 * interrupts) and the icount, but h->pc is already right (its start),
 * and the guest registers the TB uses stay in host registers from one
 * iteration to the next. For that the TB's code loads them at its start
 * (loop_regs, then the loop head), and the looping exit puts them back in
 * the same slots (loop_reconcile) before its jump. They stay dirty across
 * the loop too: the loop head counts the loop registers that any op of
 * the TB writes as dirty (loop_dirty), so every other exit stores them,
 * and so do the loop entry's failed check and the looping exit while it
 * is not linked yet (store_loop_dirty). */
static int find_loop_slot(const TB *tb, const OpInfo *info)
{
    if (tb->nochain || tb->nops == 0)
        return -1;
    const Op *op = &tb->ops[tb->nops - 1];
    switch (info[tb->nops - 1].kind) {
    case K_BRANCH:
    case K_JAL:
        return op->pc + (uint64_t)op->imm == tb->vpc ? 0 : -1;
    case K_GOTO:
        return op->pc == tb->vpc ? 1 : -1;
    default:
        return -1;
    }
}

/* The guest registers the loop head keeps in the slots: the first ones
 * the TB's inline ops use (what called handlers use is read from h->x[]). */
static void choose_loop_regs(Emit *e, const TB *tb, const OpInfo *info)
{
    unsigned n = 0;
    memset(e->loop_regs, -1, sizeof(e->loop_regs));
    for (unsigned i = 0; i < tb->nops && n < NCACHE; i++) {
        const Op *op = &tb->ops[i];
        unsigned regs[3], k = 0;
        switch (info[i].kind) {
        case K_ALU_RR: case K_SHIFT_RR: case K_SLT_RR: case K_MUL: case K_MULH: case K_DIV:
            regs[k++] = op->rs1;
            regs[k++] = op->rs2;
            regs[k++] = op->rd;
            break;
        case K_ALU_RI: case K_SHIFT_RI: case K_SLT_RI: case K_LOAD:
            regs[k++] = op->rs1;
            regs[k++] = op->rd;
            break;
        case K_STORE: case K_BRANCH:
            regs[k++] = op->rs1;
            regs[k++] = op->rs2;
            break;
        case K_FLOAD: case K_FSTORE: /* rd, rs2: FP registers */
            regs[k++] = op->rs1;
            break;
        case K_LUI: case K_AUIPC:
            regs[k++] = op->rd;
            break;
        default:
            break;
        }
        for (unsigned j = 0; j < k && n < NCACHE; j++) {
            unsigned xr = regs[j];
            if (xr == 0 || xr >= 32 || e->slot_of[xr] >= 0)
                continue;
            e->loop_regs[n] = (int8_t)xr;
            e->slot_of[xr] = (int8_t)n;
            e->guest_of[n] = (int8_t)xr;
            n++;
        }
    }
    /* The loop registers any op of the TB writes may come back dirty
     * from the looping exit: the loop head counts them as dirty. */
    e->loop_dirty = 0;
    for (unsigned i = 0; i < tb->nops; i++) {
        unsigned rd = tb->ops[i].rd;
        if (rd < 32 && e->slot_of[rd] >= 0)
            e->loop_dirty |= 1u << e->slot_of[rd];
    }
}

/* The loads of the loop head's registers, at the TB's start. */
static void emit_loop_preload(Emit *e)
{
    for (unsigned s = 0; s < NCACHE; s++)
        if (e->loop_regs[s] >= 0)
            x86_load64(&e->b, cache_regs[s], RBX, XOFF(e->loop_regs[s]));
}

/* The loop entry: the chain entry's checks and icount, then the loop
 * head. A failed check leaves as an unlinked exit would (h->pc is set,
 * eax holds the exit code). */
static uint8_t *emit_loop_entry(Emit *e, const TB *tb)
{
    X86Buf *b = &e->b;
    /* The way in from the chain entry and the preload: over the rest. */
    uint8_t *over = x86_jmp_fwd(b);
    /* Where a failed check goes: the loop registers the TB writes may be
     * dirty (loop_dirty), so they are stored before the epilogue. */
    uint8_t *fail = b->p;
    store_loop_dirty(e);
    x86_jmp_to(b, e->epilogue);
    /* The checks fall through into the loop head: one taken jump fewer
     * on every iteration. */
    uint8_t *at = b->p;
    emit_entry_checks(e, tb, fail);
    if (!b->overflow)
        x86_patch_rel32(over, b->p);
    return at;
}

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Where a failed check of the chain entry goes: the run loop sees this TB
 * end with OP_EXIT_SYNC, none of it run, h->pc its start (the exit of the
 * TB before set it); it looks the TB up again, as after any exit that
 * does not chain. Then the epilogue every exit jumps to (eax: the exit
 * code), which sets cur_tb, and the prologue it undoes: rbx (the hart)
 * and the guest-register cache's registers are the host's callee-saved
 * ones. A chained TB runs in the frame of the TB that was entered, so
 * every TB has the same frame. */
static void emit_epilogue(Emit *e)
{
    e->chain_fail = e->b.p;
    x86_mov_imm(&e->b, RAX, OP_EXIT_SYNC);
    e->epilogue = e->b.p;
    emit_set_cur_tb(e, RDX); /* eax: the exit code */
    x86_alu_ri(&e->b, ALU_ADD, true, RSP, 8);
    x86_pop(&e->b, ICOUNT_REG);
    for (int i = NCALLEE - 1; i >= 0; i--)
        x86_pop(&e->b, cache_regs[i]);
    x86_pop(&e->b, RBX);
    x86_ret(&e->b);
}

static void emit_prologue(Emit *e)
{
    x86_push(&e->b, RBX);
    for (unsigned i = 0; i < NCALLEE; i++)
        x86_push(&e->b, cache_regs[i]);
    x86_push(&e->b, ICOUNT_REG);
    /* 8 (return address) + 8 * 6 pushes + 8: calls see rsp 16-aligned */
    x86_alu_ri(&e->b, ALU_SUB, true, RSP, 8);
    x86_mov_rr(&e->b, RBX, RDI);
    /* tb_exec counted this TB already */
    x86_load64(&e->b, ICOUNT_REG, RBX, HART_OFF(icount));
}
_Static_assert(NCALLEE == 4, "emit_prologue's stack alignment counts 6 pushes");

/* A div (or rem) followed later in the TB by the rem (or div) of the
 * same operands, signedness and width (guest programs compute both, and
 * x86's divide gives both): the first keeps the other result, the second
 * takes it, if nothing in between writes either operand and the first's
 * rd is neither (it would change them). Straight-line code: only a TB's
 * last op leaves it. */
static void pair_divisions(Emit *e, const TB *tb, const OpInfo *info)
{
    memset(e->div_role, DIV_ALONE, tb->nops);
    for (unsigned i = 0; i < tb->nops; i++) {
        const Op *a = &tb->ops[i];
        if (info[i].kind != K_DIV || info[i].w || e->div_role[i] != DIV_ALONE || !real_rd(a) ||
            a->rs2 == 0 || a->rd == a->rs1 || a->rd == a->rs2)
            continue;
        for (unsigned j = i + 1; j < tb->nops; j++) {
            const Op *c = &tb->ops[j];
            if (info[j].kind == K_DIV && info[j].sign == info[i].sign &&
                info[j].rem != info[i].rem && info[j].w == info[i].w &&
                c->rs1 == a->rs1 && c->rs2 == a->rs2) {
                if (real_rd(c)) {
                    e->div_role[i] = DIV_KEEP_OTHER;
                    e->div_role[j] = DIV_TAKE_KEPT;
                }
                break;
            }
            if (c->rd == a->rs1 || c->rd == a->rs2)
                break;
        }
    }
}

/* Write a called op's copy to pair[0] and, to pair[1], the stub op that
 * the handler's op_next tail-calls, which returns to the host code.
 * Returns the copy's address in the execute view, for the call. */
static const Op *place_pair(CodeBuffer *cb, Op *pair, const Op *op)
{
    const uint16_t next_idx = (uint16_t)(op->idx + 1);
    pair[0] = *op;
    pair[1] = (Op){ .fn = native_stub_next, .pc = NEXT_PC(op), .idx = next_idx };
    return (const Op *)code_buffer_exec_addr(cb, (const uint8_t *)pair);
}

TbHostFn native_emit(NativeBackend *nb, TB *tb, bool fast_mode)
{
    CodeBuffer *cb = &nb->cb;
    size_t start = align16(cb->used);
    if (start > cb->size)
        return NULL;
    unsigned nops = tb->nops;
    OpInfo info[TB_MAX_INSNS + 2];
    unsigned ncalls = 0;
    for (unsigned i = 0; i < nops; i++) {
        info[i] = classify(&tb->ops[i], fast_mode);
        if (info[i].kind == K_CALL || info[i].kind == K_FMA_D)
            ncalls++;
    }
    /* The copies of called ops, each followed by the stub, then the code. */
    Op *pairs = (Op *)(cb->rw + start);
    size_t code_at = align16(start + 2 * ncalls * sizeof(Op));
    if (code_at > cb->size)
        return NULL;
    Emit *e = malloc(sizeof(*e));
    if (!e)
        return NULL;
    e->cb = cb;
    e->tb = tb;
    e->fast_mode = fast_mode;
    e->nslow = 0;
    e->clock = 0;
    cache_clear(e);
    e->loop_slot = find_loop_slot(tb, info);
    pair_divisions(e, tb, info);
    memset(e->loop_regs, -1, sizeof(e->loop_regs));
    e->b = (X86Buf){ .p = cb->rw + code_at, .end = cb->rw + cb->size };
    tb->host_exit[0] = tb->host_exit[1] = NULL;
    uint8_t *code = e->b.p;
    emit_epilogue(e);
    /* The function entry (from tb_exec) jumps over the chain entry, which
     * falls through into the body: chains are the common way in. */
    uint8_t *entry = e->b.p;
    emit_prologue(e);
    uint8_t *to_body = x86_jmp_fwd(&e->b);
    /* Chained TBs are entered here, in the frame of the TB entered first. */
    uint8_t *chain = e->b.p;
    emit_chain_entry(e, tb);
    if (!e->b.overflow)
        x86_patch_rel32(to_body, e->b.p);
    e->loop_dirty = 0;
    uint8_t *loop_entry = NULL;
    if (e->loop_slot >= 0) {
        choose_loop_regs(e, tb, info);
        emit_loop_preload(e);
        loop_entry = emit_loop_entry(e, tb);
    }
    e->dirty = e->loop_dirty; /* the loop head: here */
    /* Offsets from the code's start, for -d out_asm (NativeTbMap). */
    NativeTbMap *map = &nb->map;
    nb->have_map = false;
    map->chain = (uint32_t)(chain - code);
    map->entry = (uint32_t)(entry - code);
    map->nops = nops;
    unsigned k = 0;
    for (unsigned i = 0; i < nops; i++) {
        const Op *op = &tb->ops[i];
        map->op_start[i] = (uint32_t)(e->b.p - code);
        e->pinned = 0;
        if (info[i].kind == K_CALL) {
            const Op *pair_exec = place_pair(cb, &pairs[2 * k++], op);
            sync_dirty(e); /* the handler reads h->x[] */
            emit_call(e, pair_exec, op->fn, i + 1 == nops);
            cache_drop(e, op->rd); /* the one register a handler writes */
            for (unsigned r = NCALLEE; r < NCACHE; r++) /* the call clobbered them */
                if (e->guest_of[r] >= 0)
                    cache_drop(e, (unsigned)e->guest_of[r]);
        } else if (info[i].kind == K_FMA_D) {
            /* its slow path calls the handler through a copy */
            e->cur_pair = place_pair(cb, &pairs[2 * k++], op);
            emit_op(e, op, info[i]);
            e->cur_pair = NULL;
        } else {
            e->cur_div_role = e->div_role[i];
            emit_op(e, op, info[i]);
        }
    }
    /* A TB always ends in an op that leaves; be safe if one did not. */
    map->op_start[nops] = (uint32_t)(e->b.p - code);
    leave_with(e, OP_EXIT_SYNC);
    map->slow = (uint32_t)(e->b.p - code);
    map->self_loop = loop_entry != NULL;
    emit_slow_paths(e);
    bool ok = !e->b.overflow;
    size_t end = (size_t)(e->b.p - cb->rw);
    const uint8_t *e_end = e->b.p;
    int e_loop_slot = e->loop_slot;
    free(e);
    if (!ok) {
        tb->host_exit[0] = tb->host_exit[1] = NULL;
        return NULL;
    }
    cb->used = end;
    tb->host_chain = code_buffer_exec_addr(cb, chain);
    tb->host_loop = loop_entry ? code_buffer_exec_addr(cb, loop_entry) : NULL;
    tb->host_loop_slot = e_loop_slot;
    map->code = code_buffer_exec_addr(cb, code);
    map->size = (uint32_t)(e_end - code);
    nb->have_map = true;
    if (nb->code_map)
        fprintf(nb->code_map, "%lx %x tb 0x%" PRIx64 "\n", (unsigned long)(map->code - cb->rx),
                map->size, tb->vpc);
    return (TbHostFn)(uintptr_t)code_buffer_exec_addr(cb, entry);
}
