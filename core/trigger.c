/* Sdtrig: trigger CSRs, matching, and the check op. */
#include "core/trigger.h"

#include "core/machine.h"
#include "translator/decode.h"
#include "translator/insn_table.h"
#include "translator/op.h"

enum { TRIGGER_COUNT = 2 };
_Static_assert(TRIGGER_COUNT == sizeof(((Csrs *)0)->tdata1) / sizeof(uint64_t),
               "one tdata1 per trigger");

/* tdata1 */
#define TD1_TYPE_SHIFT 60
#define TYPE_MCONTROL 2ULL
#define TYPE_MCONTROL6 6ULL
#define TYPE_DISABLED 15ULL
#define TD1_LOAD (1ULL << 0)
#define TD1_STORE (1ULL << 1)
#define TD1_EXECUTE (1ULL << 2)
#define TD1_U (1ULL << 3)
#define TD1_S (1ULL << 4)
#define TD1_M (1ULL << 6)
#define TD1_MATCH_SHIFT 7
#define TD1_MATCH (0xfULL << TD1_MATCH_SHIFT)
#define MC_HIT (1ULL << 20)            /* mcontrol */
#define MC_MASKMAX_SHIFT 53            /* mcontrol: NAPOT up to 2^63 */
#define MC6_HIT0 (1ULL << 22)          /* mcontrol6 */
#define TD1_ACCESS (TD1_LOAD | TD1_STORE | TD1_EXECUTE)
#define TD1_MODES (TD1_U | TD1_S | TD1_M)

/* tcontrol */
#define TCONTROL_MTE (1ULL << 3)
#define TCONTROL_MPTE (1ULL << 7)

/* tinfo: the types, and version 1 (the 1.0 specification) in 31:24 */
#define TINFO ((1ULL << TYPE_MCONTROL) | (1ULL << TYPE_MCONTROL6) | \
               (1ULL << TYPE_DISABLED) | (1ULL << 24))

static unsigned td1_type(uint64_t t)
{
    return (unsigned)(t >> TD1_TYPE_SHIFT);
}

static bool is_match_type(uint64_t t)
{
    return td1_type(t) == TYPE_MCONTROL || td1_type(t) == TYPE_MCONTROL6;
}

/* WARL: the value tdata1 takes when val is written. Kept: type 2 or 6,
 * the access and mode bits, match 0-3 (others read as 0), the hit bit.
 * Fixed at 0: dmode (no debug mode), action (only 0, the breakpoint
 * exception), chain, select (address only), timing (before), size (any),
 * vs/vu (no H). Any other type becomes 15, disabled. */
static uint64_t td1_legal(uint64_t val)
{
    uint64_t type = val >> TD1_TYPE_SHIFT;
    uint64_t match = (val & TD1_MATCH) >> TD1_MATCH_SHIFT;
    if (match > 3)
        match = 0;
    uint64_t keep = (val & (TD1_ACCESS | TD1_MODES)) | match << TD1_MATCH_SHIFT;
    if (type == TYPE_MCONTROL)
        return TYPE_MCONTROL << TD1_TYPE_SHIFT | 63ULL << MC_MASKMAX_SHIFT |
               (val & MC_HIT) | keep;
    if (type == TYPE_MCONTROL6)
        return TYPE_MCONTROL6 << TD1_TYPE_SHIFT | (val & MC6_HIT0) | keep;
    return TYPE_DISABLED << TD1_TYPE_SHIFT;
}

void trigger_update(Hart *h)
{
    bool armed = false;
    for (unsigned i = 0; i < TRIGGER_COUNT; i++) {
        uint64_t t = h->csr.tdata1[i];
        armed |= is_match_type(t) && (t & TD1_ACCESS) && (t & TD1_MODES);
    }
    h->trig_armed = armed;
}

bool trigger_csr_read(const Hart *h, unsigned num, uint64_t *val)
{
    const Csrs *c = &h->csr;
    unsigned i = (unsigned)c->tselect;
    switch (num) {
    case CSR_TSELECT: *val = c->tselect; return true;
    case CSR_TDATA1: *val = c->tdata1[i]; return true;
    case CSR_TDATA2: *val = c->tdata2[i]; return true;
    case CSR_TDATA3: *val = 0; return true; /* no textra conditions */
    case CSR_TINFO: *val = TINFO; return true;
    case CSR_TCONTROL: *val = c->tcontrol; return true;
    default: return false;
    }
}

bool trigger_csr_write(Hart *h, unsigned num, uint64_t val)
{
    Csrs *c = &h->csr;
    unsigned i = (unsigned)c->tselect;
    switch (num) {
    case CSR_TSELECT:
        /* WARL: a trigger that does not exist is not selected, so
         * software counts the triggers by what reads back. */
        if (val < TRIGGER_COUNT)
            c->tselect = val;
        return true;
    case CSR_TDATA1:
        c->tdata1[i] = td1_legal(val);
        trigger_update(h);
        return true;
    case CSR_TDATA2: c->tdata2[i] = val; return true;
    case CSR_TDATA3: return true;
    case CSR_TINFO: return true; /* read-only: ignored, as QEMU */
    case CSR_TCONTROL: c->tcontrol = val & (TCONTROL_MTE | TCONTROL_MPTE); return true;
    default: return false;
    }
}

void trigger_trap_to_m(Hart *h)
{
    Csrs *c = &h->csr;
    c->tcontrol = (c->tcontrol & TCONTROL_MTE) ? TCONTROL_MPTE : 0;
}

void trigger_mret(Hart *h)
{
    Csrs *c = &h->csr;
    if (c->tcontrol & TCONTROL_MPTE)
        c->tcontrol |= TCONTROL_MTE;
    else
        c->tcontrol &= ~TCONTROL_MTE;
}

static bool addr_matches(uint64_t t, uint64_t tdata2, uint64_t addr)
{
    switch ((t & TD1_MATCH) >> TD1_MATCH_SHIFT) {
    case 0: return addr == tdata2;
    case 1: {
        /* NAPOT: the bits above the lowest 0 of tdata2 are compared. */
        uint64_t low = tdata2 ^ (tdata2 + 1);
        return (addr & ~low) == (tdata2 & ~low);
    }
    case 2: return addr >= tdata2;
    default: return addr < tdata2;
    }
}

/* The trigger that fires for an access of kind `acc` (TD1_*) at addr, or
 * -1. */
static int find(const Hart *h, uint64_t acc, uint64_t addr)
{
    const Csrs *c = &h->csr;
    uint64_t mode = h->priv == PRV_M ? TD1_M : h->priv == PRV_S ? TD1_S : TD1_U;
    /* tcontrol.mte: no action-0 trigger fires in M while it is clear. */
    if (h->priv == PRV_M && !(c->tcontrol & TCONTROL_MTE))
        return -1;
    for (unsigned i = 0; i < TRIGGER_COUNT; i++) {
        uint64_t t = c->tdata1[i];
        if (is_match_type(t) && (t & acc) && (t & mode) &&
            addr_matches(t, c->tdata2[i], addr))
            return (int)i;
    }
    return -1;
}

/* The kinds of data access of the instruction word w (RVC expanded), and
 * its address from the registers. 0: no data access. */
static uint64_t data_access(const Hart *h, const Op *op, uint64_t *addr)
{
    uint32_t w = op->len == 2 ? rvc_expand((uint16_t)op->raw) : op->raw;
    unsigned opcode = w & 0x7f;
    *addr = h->x[op->rs1] + (uint64_t)op->imm;
    switch (opcode) {
    case 0x03: case 0x07: return TD1_LOAD;   /* loads, FP loads */
    case 0x23: case 0x27: return TD1_STORE;  /* stores, FP stores */
    case 0x2f: {                             /* AMOs: rs1 only */
        unsigned f5 = w >> 27;
        *addr = h->x[op->rs1];
        return f5 == 2 ? TD1_LOAD : f5 == 3 ? TD1_STORE : TD1_LOAD | TD1_STORE;
    }
    case 0x0f:                               /* cbo.*: the block of rs1 */
        if (((w >> 12) & 7) == 2) {
            *addr = h->x[op->rs1];
            return TD1_STORE;
        }
        return 0;
    default: return 0;
    }
}

void trigger_op_fill(Op *check, const Op *insn)
{
    check->raw = insn->raw;
    check->len = insn->len;
    check->rs1 = insn->rs1;
    check->imm = insn->imm;
    check->pc = insn->pc;
    /* An illegal instruction accesses nothing (its trap comes first). */
    check->insn = insn->fn == op_illegal_insn ? UINT16_MAX : insn->insn;
}

int trigger_op_check(Hart *h, const Op *op)
{
    uint64_t addr = op->pc, acc = TD1_EXECUTE;
    int i = find(h, acc, addr);
    if (i < 0 && op->insn != UINT16_MAX && (acc = data_access(h, op, &addr)))
        i = find(h, acc, addr);
    if (i < 0)
        return op_next(h, op);
    uint64_t *t = &h->csr.tdata1[i];
    *t |= td1_type(*t) == TYPE_MCONTROL ? MC_HIT : MC6_HIT0;
    return op_raise(h, op, EXC_BREAKPOINT, addr);
}
