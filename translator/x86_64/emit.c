/* The x86-64 emitter: one host function per TB.
 *
 * Register use inside a TB's code: rbx holds the Hart * for the whole TB
 * (callee-saved, so handler calls keep it); rax, rcx, rdx, rsi, rdi are
 * scratch. Guest registers live in h->x[] in memory between ops, so every
 * op leaves the hart exactly as the portable backend would, whatever
 * happens in the next one (an exception, an abandoned I/O access, a
 * debugger stop), and no state needs to be written back on an exit.
 *
 * Each op is one of:
 *  - inline: integer ALU (immediates, W forms, shifts, slt, lui/auipc,
 *    mul/mulw), branches, jal, jalr, the closing goto, fence (nothing);
 *  - a load or store: the soft-TLB lookup inline; a miss, an MMIO page, a
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
 * it links to. That entry makes the run loop's checks (the next TB fits
 * in the budget h->icount_end, no interrupt pending in mip & mie; a stop,
 * a debugger stop and the fast mode's kick lower icount_end to 0, so the
 * budget check covers them) and the bookkeeping of tb_exec (icount,
 * cur_tb_len, cur_tb_flags, and cur_tb so that the run loop knows which
 * TB ended), then runs the TB; if a check fails, it leaves with the exit
 * code of the TB before (still in eax). Invalidation unpatches the jumps
 * (native_unlink) when it drops the links.
 *
 * x0: rd == 0 was remapped to the sink x[32] by the decoder, so h->x[0]
 * is never written and reads 0; reads of x0 are emitted as a constant 0. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

_Static_assert(sizeof(TlbEntry) == 24 && offsetof(TlbEntry, vpage) == 0 &&
               offsetof(TlbEntry, addend) == 8, "the inline TLB lookup knows TlbEntry");
_Static_assert(TLB_SIZE <= 256, "the TLB index is masked with an 8-bit immediate");

#define XOFF(r) ((int32_t)(offsetof(Hart, x) + 8 * (size_t)(r)))
#define PC_OFF ((int32_t)offsetof(Hart, pc))
#define DTLB_OFF(acc) ((int32_t)(offsetof(Hart, dtlb) + sizeof(TlbEntry *) * (acc)))
#define HART_OFF(field) ((int32_t)offsetof(Hart, field))
_Static_assert(sizeof(((Hart *)0)->cur_tb_len) == 4 && sizeof(((Hart *)0)->cur_tb_flags) == 4,
               "the chain entry knows these sizes");

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

/* ------------------------------------------------------------ op kinds */

typedef enum {
    K_CALL = 0, /* call the handler */
    K_NOP,
    K_LUI, K_AUIPC,
    K_ALU_RI, K_ALU_RR,  /* add/sub/and/or/xor, 64 or 32 bits */
    K_SHIFT_RI, K_SHIFT_RR,
    K_SLT_RI, K_SLT_RR,
    K_MUL,
    K_JAL, K_JALR, K_BRANCH, K_GOTO,
    K_LOAD, K_STORE,
} Kind;

typedef struct OpInfo {
    Kind kind;
    uint8_t alu;      /* X86Alu, X86Shift, or X86Cond (slt, branches) */
    bool w;           /* 32-bit op, result sign-extended (W forms) */
    uint8_t size;     /* loads and stores */
    bool sign;
} OpInfo;

static OpInfo oi(Kind kind, unsigned alu, bool w, unsigned size, bool sign)
{
    return (OpInfo){ .kind = kind, .alu = (uint8_t)alu, .w = w, .size = (uint8_t)size,
                     .sign = sign };
}

static OpInfo classify(const Op *op)
{
    OpFn fn = op->fn;
#define IS(f) (fn == op_##f)
    /* A fence is nothing on x86's TSO, except the W -> R ordering and
     * pause, which the handler does in the fast mode. */
    if (IS(fence)) return oi(op_fence_acts_in_fast_mode(op->raw) ? K_CALL : K_NOP, 0, false, 0, false);
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
#undef IS
    return oi(K_CALL, 0, false, 0, false);
}

/* ------------------------------------------------------------ emission */

/* A load or store's slow path, emitted after the TB's ops. */
typedef struct SlowPath {
    uint8_t *jump;         /* rel32 of the fast path's jne */
    uint8_t *resume;       /* where the fast path goes on */
    const Op *op;          /* the TB's own op (pc, idx, registers) */
    bool store;
    unsigned kind;
} SlowPath;

typedef struct Emit {
    X86Buf b;
    const CodeBuffer *cb;
    TB *tb;
    /* The guest register whose value rax holds (-1: none): set after an
     * ALU op that left its result in rax and stored it; any other op
     * clears it (calls and slow paths clobber rax). */
    int held;
    SlowPath slow[TB_MAX_INSNS + 2];
    unsigned nslow;
} Emit;

/* r = x[xr]. When rax still holds x[xr] (the result an ALU op just
 * stored, see `held`), from rax instead of memory. */
static void get_reg(Emit *e, X86Reg r, unsigned xr)
{
    if (xr == 0) {
        x86_mov_imm(&e->b, r, 0);
    } else if (e->held == (int)xr) {
        if (r != RAX)
            x86_mov_rr(&e->b, r, RAX);
        return;
    } else {
        x86_load64(&e->b, r, RBX, XOFF(xr));
    }
    if (r == RAX)
        e->held = -1;
}

static void put_reg(Emit *e, unsigned xr, X86Reg r)
{
    x86_store64(&e->b, RBX, XOFF(xr), r);
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

/* Leave the TB with the result in eax. */
static void leave(Emit *e)
{
    x86_pop(&e->b, RBX);
    x86_ret(&e->b);
}

static void leave_with(Emit *e, int code)
{
    x86_mov_imm(&e->b, RAX, (uint64_t)code);
    leave(e);
}

/* Leave through chain slot `slot` (h->pc set): a jmp that native_link
 * patches, first to the instruction right after it. Its displacement is
 * 4-byte aligned, so that a patch is one atomic store that a hart running
 * the code on another host thread sees whole (the fast mode). */
static void leave_direct(Emit *e, int slot)
{
    x86_mov_imm(&e->b, RAX, (uint64_t)(OP_EXIT_JUMP0 + slot));
    x86_align(&e->b, 1, 4); /* the jmp's opcode byte, then the rel32 */
    uint8_t *site = x86_jmp_fwd(&e->b);
    if (site && !e->tb->host_exit[slot])
        e->tb->host_exit[slot] = (uint8_t *)code_buffer_exec_addr(e->cb, site);
    leave(e);
}

/* rax = rs1 + imm: the address of a load or store. Then look the page up
 * in the data TLB of `acc`: on a hit rax becomes the host address; on a
 * miss the jne to the slow path is recorded. */
static void emit_tlb_lookup(Emit *e, const Op *op, int acc, unsigned size, unsigned kind)
{
    X86Buf *b = &e->b;
    get_reg(e, RAX, op->rs1);
    e->held = -1; /* rax becomes the address */
    if (op->imm)
        x86_alu_ri(b, ALU_ADD, true, RAX, (int32_t)op->imm);
    x86_mov_rr(b, RCX, RAX);
    x86_shift_ri(b, SHIFT_SHR, true, RCX, 12);
    x86_alu_ri(b, ALU_AND, false, RCX, TLB_SIZE - 1);
    x86_lea_index(b, RCX, RCX, RCX, 2);               /* index * 3 */
    x86_load64(b, RDX, RBX, DTLB_OFF(acc));
    x86_lea_index(b, RDX, RDX, RCX, 8);               /* entry (24 bytes each) */
    /* The page of the access's last byte must be the entry's page: the
     * entry sits at the index of the first byte's page, so this also
     * rejects an access that crosses into the next page (the portable
     * check, (va & 0xfff) <= 0x1000 - size, in one compare). */
    x86_lea(b, RCX, RAX, (int32_t)size - 1);
    x86_alu_ri(b, ALU_AND, true, RCX, -4096);
    x86_alu_rm(b, ALU_CMP, true, RCX, RDX, 0);
    SlowPath *s = &e->slow[e->nslow++];
    s->jump = x86_jcc_fwd(b, CC_NE);
    s->op = op;
    s->store = acc == ACC_WRITE;
    s->kind = kind;
    x86_alu_rm(b, ALU_ADD, true, RAX, RDX, 8);         /* + addend */
}

static void emit_slow_paths(Emit *e)
{
    X86Buf *b = &e->b;
    for (unsigned i = 0; i < e->nslow; i++) {
        SlowPath *s = &e->slow[i];
        if (b->overflow)
            return;
        x86_patch_rel32(s->jump, b->p);
        x86_mov_rr(b, RDX, RAX); /* va */
        x86_mov_rr(b, RDI, RBX);
        x86_mov_imm(b, RSI, (uint64_t)(uintptr_t)s->op);
        x86_mov_imm(b, RCX, s->kind);
        x86_mov_imm(b, RAX, (uint64_t)(uintptr_t)(s->store ? native_store_slow
                                                           : native_load_slow));
        x86_call_reg(b, RAX);
        x86_test_rr(b, false, RAX, RAX);
        x86_patch_rel32(x86_jcc_fwd(b, CC_E), s->resume);
        leave(e);
    }
}

/* Call op's handler through its copy in `pair` (op, then the stub). */
static void emit_call(Emit *e, const Op *pair_exec, OpFn fn, bool last)
{
    X86Buf *b = &e->b;
    x86_mov_rr(b, RDI, RBX);
    x86_mov_imm(b, RSI, (uint64_t)(uintptr_t)pair_exec);
    x86_mov_imm(b, RAX, (uint64_t)(uintptr_t)fn);
    x86_call_reg(b, RAX);
    if (!last) {
        x86_test_rr(b, false, RAX, RAX);
        x86_jcc_short(b, CC_E, 2); /* over pop rbx; ret */
    }
    leave(e);
}

static void emit_branch(Emit *e, const Op *op, X86Cond cc)
{
    X86Buf *b = &e->b;
    get_reg(e, RAX, op->rs1);
    get_reg(e, RCX, op->rs2);
    x86_alu_rr(b, ALU_CMP, true, RAX, RCX);
    uint8_t *taken = x86_jcc_fwd(b, cc);
    set_pc(e, NEXT_PC(op));
    leave_direct(e, 1);
    if (!b->overflow)
        x86_patch_rel32(taken, b->p);
    set_pc(e, op->pc + (uint64_t)op->imm);
    leave_direct(e, 0);
}

static void emit_op(Emit *e, const Op *op, OpInfo in)
{
    X86Buf *b = &e->b;
    switch (in.kind) {
    case K_NOP:
        break;
    case K_LUI:
        x86_store_imm32(b, RBX, XOFF(op->rd), (int32_t)op->imm);
        break;
    case K_AUIPC:
        x86_mov_imm(b, RAX, op->pc + (uint64_t)op->imm);
        put_reg(e, op->rd, RAX);
        break;
    case K_ALU_RI:
        get_reg(e, RAX, op->rs1);
        x86_alu_ri(b, (X86Alu)in.alu, !in.w, RAX, (int32_t)op->imm);
        if (in.w)
            x86_sext32(b, RAX, RAX);
        put_reg(e, op->rd, RAX);
        break;
    case K_ALU_RR:
        get_reg(e, RAX, op->rs1);
        get_reg(e, RCX, op->rs2);
        x86_alu_rr(b, (X86Alu)in.alu, !in.w, RAX, RCX);
        if (in.w)
            x86_sext32(b, RAX, RAX);
        put_reg(e, op->rd, RAX);
        break;
    case K_SHIFT_RI:
        get_reg(e, RAX, op->rs1);
        x86_shift_ri(b, (X86Shift)in.alu, !in.w, RAX, (unsigned)op->imm & (in.w ? 31 : 63));
        if (in.w)
            x86_sext32(b, RAX, RAX);
        put_reg(e, op->rd, RAX);
        break;
    case K_SHIFT_RR:
        get_reg(e, RAX, op->rs1);
        get_reg(e, RCX, op->rs2);
        x86_shift_cl(b, (X86Shift)in.alu, !in.w, RAX);
        if (in.w)
            x86_sext32(b, RAX, RAX);
        put_reg(e, op->rd, RAX);
        break;
    case K_SLT_RI:
        get_reg(e, RCX, op->rs1);
        x86_alu_ri(b, ALU_CMP, true, RCX, (int32_t)op->imm);
        x86_setcc_zx(b, (X86Cond)in.alu, RAX);
        put_reg(e, op->rd, RAX);
        break;
    case K_SLT_RR:
        get_reg(e, RCX, op->rs1);
        get_reg(e, RDX, op->rs2);
        x86_alu_rr(b, ALU_CMP, true, RCX, RDX);
        x86_setcc_zx(b, (X86Cond)in.alu, RAX);
        put_reg(e, op->rd, RAX);
        break;
    case K_MUL:
        get_reg(e, RAX, op->rs1);
        get_reg(e, RCX, op->rs2);
        x86_imul_rr(b, !in.w, RAX, RCX);
        if (in.w)
            x86_sext32(b, RAX, RAX);
        put_reg(e, op->rd, RAX);
        break;
    case K_JAL:
        x86_mov_imm(b, RAX, NEXT_PC(op));
        put_reg(e, op->rd, RAX);
        set_pc(e, op->pc + (uint64_t)op->imm);
        leave_direct(e, 0);
        break;
    case K_JALR:
        /* The target first: rd may be rs1. */
        get_reg(e, RCX, op->rs1);
        if (op->imm)
            x86_alu_ri(b, ALU_ADD, true, RCX, (int32_t)op->imm);
        x86_alu_ri(b, ALU_AND, true, RCX, -2);
        x86_mov_imm(b, RAX, NEXT_PC(op));
        put_reg(e, op->rd, RAX);
        x86_store64(b, RBX, PC_OFF, RCX);
        leave_with(e, OP_EXIT_INDIRECT);
        break;
    case K_BRANCH:
        emit_branch(e, op, (X86Cond)in.alu);
        break;
    case K_GOTO:
        set_pc(e, op->pc);
        leave_direct(e, 1);
        break;
    case K_LOAD: {
        emit_tlb_lookup(e, op, ACC_READ, in.size, in.size | (in.sign ? 16u : 0u));
        x86_load_ext(b, RCX, RAX, 0, in.size, in.sign);
        put_reg(e, op->rd, RCX);
        e->slow[e->nslow - 1].resume = b->p;
        break;
    }
    case K_STORE: {
        emit_tlb_lookup(e, op, ACC_WRITE, in.size, in.size);
        get_reg(e, RCX, op->rs2);
        x86_store_sized(b, RAX, 0, RCX, in.size);
        e->slow[e->nslow - 1].resume = b->p;
        break;
    }
    case K_CALL:
        break; /* emit_tb does it: it owns the op copies */
    }
}

/* --------------------------------------------------------------- backend */

bool native_backend_available(void)
{
    return true;
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
    return nb;
}

void native_backend_free(NativeBackend *nb)
{
    if (!nb)
        return;
    code_buffer_destroy(&nb->cb);
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

/* The chain entry (see the top of the file); returns the rel32 of its
 * final jmp to the TB's body. */
static uint8_t *emit_chain_entry(Emit *e, const TB *tb)
{
    X86Buf *b = &e->b;
    x86_load64(b, RCX, RBX, HART_OFF(icount));
    x86_alu_ri(b, ALU_ADD, true, RCX, tb->ninsns);
    x86_alu_rm(b, ALU_CMP, true, RCX, RBX, HART_OFF(icount_end));
    uint8_t *over_budget = x86_jcc_fwd(b, CC_A);
    x86_load64(b, RDX, RBX, HART_OFF(csr.mip));
    x86_alu_rm(b, ALU_AND, true, RDX, RBX, HART_OFF(csr.mie));
    uint8_t *irq = x86_jcc_fwd(b, CC_NE);
    /* No look at m->stop or m->debug_pending: whatever sets them lowers
     * icount_end (machine_break_chains), which the compare above sees. */
    x86_store64(b, RBX, HART_OFF(icount), RCX);
    x86_store_imm32_32(b, RBX, HART_OFF(cur_tb_len), tb->ninsns);
    x86_store_imm32_32(b, RBX, HART_OFF(cur_tb_flags), tb->flags);
    x86_mov_imm(b, RDX, (uint64_t)(uintptr_t)tb);
    x86_store64(b, RBX, HART_OFF(cur_tb), RDX);
    uint8_t *to_body = x86_jmp_fwd(b);
    if (!b->overflow) {
        x86_patch_rel32(over_budget, b->p);
        x86_patch_rel32(irq, b->p);
    }
    leave(e); /* eax: the exit code of the TB that jumped here */
    return to_body;
}

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

TbHostFn native_emit(NativeBackend *nb, TB *tb)
{
    CodeBuffer *cb = &nb->cb;
    size_t start = align16(cb->used);
    if (start > cb->size)
        return NULL;
    unsigned nops = tb->nops;
    OpInfo info[TB_MAX_INSNS + 2];
    unsigned ncalls = 0;
    for (unsigned i = 0; i < nops; i++) {
        info[i] = classify(&tb->ops[i]);
        if (info[i].kind == K_CALL)
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
    e->held = -1;
    e->nslow = 0;
    e->b = (X86Buf){ .p = cb->rw + code_at, .end = cb->rw + cb->size };
    tb->host_exit[0] = tb->host_exit[1] = NULL;
    /* Chained TBs are entered here, with rbx pushed and set already. */
    uint8_t *chain = e->b.p;
    uint8_t *to_body = emit_chain_entry(e, tb);
    uint8_t *entry = e->b.p;
    x86_push(&e->b, RBX); /* also aligns the stack for calls */
    x86_mov_rr(&e->b, RBX, RDI);
    if (!e->b.overflow)
        x86_patch_rel32(to_body, e->b.p);
    /* Offsets from the chain entry, for -d out_asm (NativeTbMap). */
    NativeTbMap *map = &nb->map;
    nb->have_map = false;
    map->entry = (uint32_t)(entry - chain);
    map->nops = nops;
    unsigned k = 0;
    for (unsigned i = 0; i < nops; i++) {
        const Op *op = &tb->ops[i];
        map->op_start[i] = (uint32_t)(e->b.p - chain);
        if (info[i].kind == K_CALL) {
            pairs[2 * k] = *op;
            pairs[2 * k + 1] = (Op){ .fn = native_stub_next, .pc = NEXT_PC(op),
                                     .idx = (uint16_t)(op->idx + 1) };
            const Op *pair_exec =
                (const Op *)code_buffer_exec_addr(cb, (const uint8_t *)&pairs[2 * k]);
            emit_call(e, pair_exec, op->fn, i + 1 == nops);
            k++;
            e->held = -1;
        } else {
            emit_op(e, op, info[i]);
            switch (info[i].kind) {
            case K_AUIPC: case K_ALU_RI: case K_ALU_RR: case K_SHIFT_RI: case K_SHIFT_RR:
            case K_SLT_RI: case K_SLT_RR: case K_MUL:
                e->held = op->rd; /* the last thing these do: x[rd] = rax */
                break;
            case K_NOP:
                break;
            default:
                e->held = -1;
                break;
            }
        }
    }
    /* A TB always ends in an op that leaves; be safe if one did not. */
    map->op_start[nops] = (uint32_t)(e->b.p - chain);
    leave_with(e, OP_EXIT_SYNC);
    map->slow = (uint32_t)(e->b.p - chain);
    emit_slow_paths(e);
    bool ok = !e->b.overflow;
    size_t end = (size_t)(e->b.p - cb->rw);
    const uint8_t *e_end = e->b.p;
    free(e);
    if (!ok) {
        tb->host_exit[0] = tb->host_exit[1] = NULL;
        return NULL;
    }
    cb->used = end;
    tb->host_chain = code_buffer_exec_addr(cb, chain);
    map->code = tb->host_chain;
    map->size = (uint32_t)(e_end - chain);
    nb->have_map = true;
    return (TbHostFn)(uintptr_t)code_buffer_exec_addr(cb, entry);
}
