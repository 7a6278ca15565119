/* Control and status registers (privileged spec v1.12, RV64, M+S+U, no
 * hypervisor, no debug triggers; stimecmp with Sstc, core/sstc.h).
 *
 * Every CSR the hart implements is handled by the two switches in
 * csr_value() and csr_store(); anything else is absent: it raises an
 * illegal-instruction exception and is logged under `-d unimp`. OpenSBI
 * probes optional CSRs (mseccfg, stimecmp, tselect, ...) with a trap
 * handler in place, so absence is the answer it expects from a hart
 * without those extensions.
 *
 * Counters follow "one instruction per cycle": mcycle and minstret are the
 * exact retired count `now` plus an offset written by software. */
#include <inttypes.h>
#include <stddef.h>

#include "core/csr.h"
#include "core/isa.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/mmu.h"
#include "core/sstc.h"
#include "core/trigger.h"
#include "translator/op.h"

/* Interrupt bits of mip/mie/mideleg. */
#define MIP_SSIP (1ULL << IRQ_S_SOFT)
#define MIP_MSIP (1ULL << IRQ_M_SOFT)
#define MIP_STIP (1ULL << IRQ_S_TIMER)
#define MIP_MTIP (1ULL << IRQ_M_TIMER)
#define MIP_SEIP (1ULL << IRQ_S_EXT)
#define MIP_MEIP (1ULL << IRQ_M_EXT)
#define MIP_S_BITS (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIP_ALL (MIP_S_BITS | MIP_MSIP | MIP_MTIP | MIP_MEIP)

#define MSTATUS_WRITABLE                                                   \
    (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE |             \
     MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | \
     MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
#define SSTATUS_READABLE                                                   \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_VS | \
     MSTATUS_FS | MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL |   \
     MSTATUS_SD)
#define SSTATUS_WRITABLE                                                   \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM |  \
     MSTATUS_MXR)
/* UXL = SXL = 2: U and S run with XLEN 64. */
#define MSTATUS_XL64 ((2ULL << 32) | (2ULL << 34))

/* Every exception below 16 except ecall from M (11) and the reserved
 * causes 10 and 14. */
#define MEDELEG_WRITABLE 0xb3ffULL

/* The machine's -cpu extensions (none for a hart without a machine, as
 * in some unit tests). */
static bool has_ext(const Hart *h, IsaExt e)
{
    return h->m && (h->m->cfg.isa_ext & ISA_BIT(e));
}

/* The senvcfg bits that exist on this hart's machine (menvcfg has the
 * same at the same places, and more). */
static uint64_t senvcfg_writable(const Hart *h)
{
    return MENVCFG_FIOM |
           (has_ext(h, ISA_ZICBOM) ? MENVCFG_CBIE | MENVCFG_CBCFE : 0) |
           (has_ext(h, ISA_ZICBOZ) ? MENVCFG_CBZE : 0);
}

static uint64_t menvcfg_writable(const Hart *h)
{
    return senvcfg_writable(h) | (has_ext(h, ISA_SSTC) ? MENVCFG_STCE : 0) |
           (has_ext(h, ISA_SVPBMT) ? MENVCFG_PBMTE : 0);
}

/* An envcfg write: CBIE = 10 is reserved (WARL: the field keeps its
 * value). */
static uint64_t envcfg_value(uint64_t old, uint64_t val, uint64_t writable)
{
    uint64_t v = val & writable;
    if ((v & MENVCFG_CBIE) == (2ULL << 4))
        v = (v & ~MENVCFG_CBIE) | (old & MENVCFG_CBIE);
    return v;
}

/* mcountinhibit / mcounteren bits */
#define COUNTER_CY 0
#define COUNTER_TM 1
#define COUNTER_IR 2

#define CSR_HPMCOUNTER3 0xc03
#define CSR_HPMCOUNTER31 0xc1f
#define CSR_MHPMCOUNTER3 0xb03
#define CSR_MHPMCOUNTER31 0xb1f
#define CSR_MHPMEVENT3 0x323
#define CSR_MHPMEVENT31 0x33f
#define CSR_PMPCFG15 0x3af
#define CSR_PMPADDR63 0x3ef

uint64_t csr_misa_default(void)
{
    uint64_t ext = 0;
    for (const char *p = "IMAFDCSU"; *p; p++)
        ext |= 1ULL << (*p - 'A');
    return (2ULL << 62) | ext; /* MXL = 2: RV64 */
}

/* ------------------------------------------------------------ mstatus */

static uint64_t mstatus_value(const Hart *h)
{
    uint64_t v = h->csr.mstatus & ~(MSTATUS_SD | MSTATUS_UXL | MSTATUS_SXL);
    v |= MSTATUS_XL64;
    if ((v & MSTATUS_FS) == MSTATUS_FS)
        v |= MSTATUS_SD;
    return v;
}

/* Invalidate one soft-TLB array (an MMU index and an access kind). SUM and
 * MXR only change the outcome of data accesses made with S or U
 * translation, so a full hart_tlb_flush is not needed for them. */
static void tlb_drop(Hart *h, int mmu_idx, int acc)
{
    for (unsigned i = 0; i < TLB_SIZE; i++)
        h->tlb[mmu_idx][acc][i].vpage = TLB_INVALID;
}

/* Write the bits of `mask` from val into mstatus, applying the WARL rules,
 * and resynchronise what depends on the translation-relevant fields. */
static void mstatus_store(Hart *h, uint64_t val, uint64_t mask)
{
    uint64_t old = mstatus_value(h);
    uint64_t v = (old & ~mask) | (val & mask);
    /* MPP = 2 (H) does not exist: keep the previous mode. */
    if (((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2)
        v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    v &= ~MSTATUS_SD;
    if ((v & MSTATUS_FS) == MSTATUS_FS)
        v |= MSTATUS_SD;
    h->csr.mstatus = v;

    uint64_t changed = old ^ v;
    bool mprv = (v | old) & MSTATUS_MPRV;
    if ((changed & MSTATUS_MPRV) || (mprv && (changed & MSTATUS_MPP)))
        hart_update_mmu_idx(h);
    /* Linux toggles SUM around every user access: drop only the entries
     * whose permission check depends on the changed bit. */
    if (changed & MSTATUS_SUM) {
        tlb_drop(h, MMU_IDX_S, ACC_READ);
        tlb_drop(h, MMU_IDX_S, ACC_WRITE);
    }
    if (changed & MSTATUS_MXR) {
        tlb_drop(h, MMU_IDX_S, ACC_READ);
        tlb_drop(h, MMU_IDX_U, ACC_READ);
    }
}

/* ------------------------------------------------------------ counters */

static bool counter_inhibited(const Hart *h, unsigned bit)
{
    return (h->csr.mcountinhibit >> bit) & 1;
}

/* While a counter is inhibited its offset field holds the frozen value. */
static uint64_t counter_value(const Hart *h, unsigned bit, uint64_t offset,
                              uint64_t now)
{
    return counter_inhibited(h, bit) ? offset : now + offset;
}

/* The written value is what the next instruction reads: the write replaces
 * the increment of the writing instruction (unprivileged spec, Zicsr). */
static uint64_t counter_offset_for(const Hart *h, unsigned bit, uint64_t val,
                                   uint64_t now)
{
    return counter_inhibited(h, bit) ? val : val - (now + 1);
}

static void counter_inhibit_change(uint64_t old, uint64_t new, unsigned bit,
                                   uint64_t *offset, uint64_t now)
{
    bool was = (old >> bit) & 1, is = (new >> bit) & 1;
    if (!was && is)
        *offset = now + 1 + *offset; /* this instruction still counts */
    else if (was && !is)
        *offset = *offset - (now + 1);
}

static void mcountinhibit_store(Hart *h, uint64_t val, uint64_t now)
{
    /* TM (bit 1) is read-only zero: time cannot be stopped. */
    uint64_t v = val & 0xfffffffdULL;
    uint64_t old = h->csr.mcountinhibit;
    counter_inhibit_change(old, v, COUNTER_CY, &h->csr.mcycle_offset, now);
    counter_inhibit_change(old, v, COUNTER_IR, &h->csr.minstret_offset, now);
    h->csr.mcountinhibit = v;
}

/* User counters (cycle, time, instret, hpmcounterN) from S and U. */
static bool counter_accessible(const Hart *h, unsigned num)
{
    unsigned bit = num - CSR_CYCLE;
    if (h->priv < PRV_M && !((h->csr.mcounteren >> bit) & 1))
        return false;
    if (h->priv < PRV_S && !((h->csr.scounteren >> bit) & 1))
        return false;
    return true;
}

/* ------------------------------------------------------------ access */

static bool is_fp_csr(unsigned num)
{
    return num == CSR_FFLAGS || num == CSR_FRM || num == CSR_FCSR;
}

/* Privilege, read-only and per-CSR gating. Does not check existence. */
static bool csr_allowed(const Hart *h, unsigned num, bool write)
{
    if (((num >> 8) & 3) > h->priv)
        return false;
    if (write && (num >> 10) == 3)
        return false;
    if (is_fp_csr(num) && csr_fs(h) == FS_OFF)
        return false;
    if (num == CSR_SATP && h->priv == PRV_S &&
        (h->csr.mstatus & MSTATUS_TVM))
        return false;
    if (num >= CSR_CYCLE && num <= CSR_HPMCOUNTER31 &&
        !counter_accessible(h, num))
        return false;
    /* Sstc: below M, stimecmp needs mcounteren.TM and menvcfg.STCE. */
    if (num == CSR_STIMECMP && h->priv < PRV_M &&
        (!((h->csr.mcounteren >> COUNTER_TM) & 1) || !(h->csr.menvcfg & MENVCFG_STCE)))
        return false;
    return true;
}

static uint64_t pmpcfg_value(const Hart *h, unsigned first)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)h->csr.pmpcfg[first + i] << (8 * i);
    return v;
}

/* The current value of CSR num; false when the hart has no such CSR. */
static bool csr_value(const Hart *h, unsigned num, uint64_t now,
                      uint64_t *val)
{
    const Csrs *c = &h->csr;
    uint64_t sdeleg = c->mideleg & MIP_S_BITS;

    switch (num) {
    case CSR_FFLAGS: *val = c->fflags; return true;
    case CSR_FRM: *val = c->frm; return true;
    case CSR_FCSR: *val = ((uint64_t)c->frm << 5) | c->fflags; return true;

    case CSR_CYCLE:
    case CSR_MCYCLE:
        *val = counter_value(h, COUNTER_CY, c->mcycle_offset, now);
        return true;
    case CSR_INSTRET:
    case CSR_MINSTRET:
        *val = counter_value(h, COUNTER_IR, c->minstret_offset, now);
        return true;
    case CSR_TIME: *val = machine_mtime(h->m); return true;

    case CSR_SSTATUS: *val = mstatus_value(h) & SSTATUS_READABLE; return true;
    case CSR_SIE: *val = c->mie & sdeleg; return true;
    case CSR_SIP: *val = hart_mip(h) & sdeleg; return true;
    case CSR_STVEC: *val = c->stvec; return true;
    case CSR_SCOUNTEREN: *val = c->scounteren; return true;
    case CSR_SENVCFG: *val = c->senvcfg; return true;
    case CSR_SSCRATCH: *val = c->sscratch; return true;
    case CSR_SEPC: *val = c->sepc; return true;
    case CSR_SCAUSE: *val = c->scause; return true;
    case CSR_STVAL: *val = c->stval; return true;
    case CSR_SATP: *val = c->satp; return true;
    case CSR_STIMECMP:
        *val = c->stimecmp;
        return has_ext(h, ISA_SSTC);

    case CSR_MSTATUS: *val = mstatus_value(h); return true;
    case CSR_MISA: *val = c->misa ? c->misa : csr_misa_default(); return true;
    case CSR_MEDELEG: *val = c->medeleg; return true;
    case CSR_MIDELEG: *val = c->mideleg; return true;
    case CSR_MIE: *val = c->mie; return true;
    case CSR_MIP: *val = hart_mip(h) & MIP_ALL; return true;
    case CSR_MTVEC: *val = c->mtvec; return true;
    case CSR_MCOUNTEREN: *val = c->mcounteren; return true;
    case CSR_MENVCFG: *val = c->menvcfg; return true;
    case CSR_MCOUNTINHIBIT: *val = c->mcountinhibit; return true;
    case CSR_MSCRATCH: *val = c->mscratch; return true;
    case CSR_MEPC: *val = c->mepc; return true;
    case CSR_MCAUSE: *val = c->mcause; return true;
    case CSR_MTVAL: *val = c->mtval; return true;

    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MCONFIGPTR:
        *val = 0;
        return true;
    case CSR_MHARTID: *val = c->mhartid; return true;
    default: break;
    }
    if (num >= CSR_TSELECT && num <= CSR_TCONTROL)
        return has_ext(h, ISA_SDTRIG) && trigger_csr_read(h, num, val);

    if (num >= CSR_PMPCFG0 && num <= CSR_PMPCFG15) {
        /* RV64: only the even pmpcfg registers exist. */
        if (num & 1)
            return false;
        unsigned first = (num - CSR_PMPCFG0) * 4;
        *val = first < PMP_COUNT ? pmpcfg_value(h, first) : 0;
        return true;
    }
    if (num >= CSR_PMPADDR0 && num <= CSR_PMPADDR63) {
        unsigned i = num - CSR_PMPADDR0;
        *val = i < PMP_COUNT ? c->pmpaddr[i] : 0;
        return true;
    }
    /* Performance counters and events that count nothing. */
    if ((num >= CSR_HPMCOUNTER3 && num <= CSR_HPMCOUNTER31) ||
        (num >= CSR_MHPMCOUNTER3 && num <= CSR_MHPMCOUNTER31) ||
        (num >= CSR_MHPMEVENT3 && num <= CSR_MHPMEVENT31)) {
        *val = 0;
        return true;
    }
    return false;
}

static void translation_changed(Hart *h)
{
    hart_update_mmu_idx(h);
    hart_tlb_flush(h);
    hart_jmp_cache_flush(h);
}

static uint64_t tvec_value(uint64_t old, uint64_t val)
{
    /* Modes 2 and 3 are reserved: keep the previous mode. */
    uint64_t mode = val & 3;
    if (mode >= 2)
        mode = old & 3;
    return (val & ~3ULL) | mode;
}

static bool satp_mode_supported(uint64_t val)
{
    uint64_t mode = val >> SATP_MODE_SHIFT;
    return mode == SATP_MODE_BARE || mode == SATP_MODE_SV39 ||
           mode == SATP_MODE_SV48;
}

/* Store val into CSR num (access already checked); false if absent. */
static bool csr_store(Hart *h, unsigned num, uint64_t now, uint64_t val)
{
    Csrs *c = &h->csr;
    uint64_t sdeleg = c->mideleg & MIP_S_BITS;

    switch (num) {
    case CSR_FFLAGS:
        c->fflags = (uint32_t)(val & 0x1f);
        csr_set_fs_dirty(h);
        return true;
    case CSR_FRM:
        c->frm = (uint32_t)(val & 7);
        csr_set_fs_dirty(h);
        return true;
    case CSR_FCSR:
        c->fflags = (uint32_t)(val & 0x1f);
        c->frm = (uint32_t)((val >> 5) & 7);
        csr_set_fs_dirty(h);
        return true;

    case CSR_SSTATUS: mstatus_store(h, val, SSTATUS_WRITABLE); return true;
    case CSR_SIE: c->mie = (c->mie & ~sdeleg) | (val & sdeleg); return true;
    case CSR_SIP: {
        /* Only the software interrupt can be raised or cleared from S. */
        uint64_t m = sdeleg & MIP_SSIP;
        hart_mip_write(h, m, val);
        return true;
    }
    case CSR_STVEC: c->stvec = tvec_value(c->stvec, val); return true;
    case CSR_SCOUNTEREN: c->scounteren = val & 0xffffffffULL; return true;
    case CSR_SENVCFG:
        c->senvcfg = envcfg_value(c->senvcfg, val, senvcfg_writable(h));
        return true;
    case CSR_SSCRATCH: c->sscratch = val; return true;
    case CSR_SEPC: c->sepc = val & ~1ULL; return true;
    case CSR_SCAUSE: c->scause = val; return true;
    case CSR_STVAL: c->stval = val; return true;
    case CSR_STIMECMP:
        if (!has_ext(h, ISA_SSTC))
            return false;
        c->stimecmp = val;
        sstc_update(h);
        return true;
    case CSR_SATP:
        /* An unsupported MODE makes the whole write have no effect. */
        if (satp_mode_supported(val)) {
            c->satp = val;
            translation_changed(h);
            if (h->m && h->m->observer && h->m->observer->satp_write)
                h->m->observer->satp_write(h->m->observer->opaque, h, val);
        }
        return true;

    case CSR_MSTATUS: mstatus_store(h, val, MSTATUS_WRITABLE); return true;
    case CSR_MISA: return true; /* read-only: writes are ignored */
    case CSR_MEDELEG: c->medeleg = val & MEDELEG_WRITABLE; return true;
    case CSR_MIDELEG: c->mideleg = val & MIP_S_BITS; return true;
    case CSR_MIE: c->mie = val & MIP_ALL; return true;
    case CSR_MIP:
        /* MSIP, MTIP and MEIP are wires from the CLINT and the PLIC; so
         * is STIP from stimecmp while menvcfg.STCE is set (Sstc). */
        hart_mip_write(h, MIP_S_BITS & ~((c->menvcfg & MENVCFG_STCE) ? MIP_STIP : 0), val);
        return true;
    case CSR_MTVEC: c->mtvec = tvec_value(c->mtvec, val); return true;
    case CSR_MCOUNTEREN: c->mcounteren = val & 0xffffffffULL; return true;
    case CSR_MENVCFG: {
        uint64_t old = c->menvcfg;
        c->menvcfg = envcfg_value(old, val, menvcfg_writable(h));
        /* PBMTE changes which PTEs are valid: cached translations go. */
        if ((old ^ c->menvcfg) & MENVCFG_PBMTE)
            translation_changed(h);
        sstc_update(h);
        return true;
    }
    case CSR_MCOUNTINHIBIT: mcountinhibit_store(h, val, now); return true;
    case CSR_MSCRATCH: c->mscratch = val; return true;
    case CSR_MEPC: c->mepc = val & ~1ULL; return true;
    case CSR_MCAUSE: c->mcause = val; return true;
    case CSR_MTVAL: c->mtval = val; return true;

    case CSR_MCYCLE:
        c->mcycle_offset = counter_offset_for(h, COUNTER_CY, val, now);
        return true;
    case CSR_MINSTRET:
        c->minstret_offset = counter_offset_for(h, COUNTER_IR, val, now);
        return true;
    default: break;
    }
    if (num >= CSR_TSELECT && num <= CSR_TCONTROL)
        return has_ext(h, ISA_SDTRIG) && trigger_csr_write(h, num, val);

    if (num >= CSR_PMPCFG0 && num <= CSR_PMPCFG15) {
        if (num & 1)
            return false;
        unsigned first = (num - CSR_PMPCFG0) * 4;
        if (first < PMP_COUNT) {
            for (unsigned i = 0; i < 8; i++)
                pmp_write_cfg(h, first + i, (uint8_t)(val >> (8 * i)));
            /* Permissions cached in the TLB and behind the jump cache may
             * have changed. */
            hart_tlb_flush(h);
            hart_jmp_cache_flush(h);
        }
        return true;
    }
    if (num >= CSR_PMPADDR0 && num <= CSR_PMPADDR63) {
        unsigned i = num - CSR_PMPADDR0;
        if (i < PMP_COUNT) {
            pmp_write_addr(h, i, val);
            hart_tlb_flush(h);
            hart_jmp_cache_flush(h);
        }
        return true;
    }
    if ((num >= CSR_MHPMCOUNTER3 && num <= CSR_MHPMCOUNTER31) ||
        (num >= CSR_MHPMEVENT3 && num <= CSR_MHPMEVENT31))
        return true; /* no events to count: writes are ignored */
    return false;
}

static void csr_log_unimp(Hart *h, unsigned num, bool write)
{
    if (!h->m)
        return;
    const char *name = csr_name(num);
    log_printf(&h->m->log, LOG_UNIMP,
               "hart %u: %s of unimplemented CSR 0x%03x%s%s%s (illegal)\n",
               h->id, write ? "write" : "read", num, name ? " (" : "",
               name ? name : "", name ? ")" : "");
}

CsrResult csr_check_write(Hart *h, unsigned num)
{
    uint64_t dummy;
    num &= 0xfff;
    if (!csr_allowed(h, num, true))
        return CSR_ILLEGAL;
    /* Reads have no side effects here, so this only tests existence. */
    if (!csr_value(h, num, 0, &dummy)) {
        csr_log_unimp(h, num, true);
        return CSR_ILLEGAL;
    }
    return CSR_OK;
}

CsrResult csr_read(Hart *h, unsigned num, uint64_t now, uint64_t *val)
{
    num &= 0xfff;
    if (!csr_allowed(h, num, false))
        return CSR_ILLEGAL;
    if (!csr_value(h, num, now, val)) {
        csr_log_unimp(h, num, false);
        return CSR_ILLEGAL;
    }
    return CSR_OK;
}

CsrResult csr_write(Hart *h, unsigned num, uint64_t now, uint64_t val)
{
    num &= 0xfff;
    if (!csr_allowed(h, num, true))
        return CSR_ILLEGAL;
    if (!csr_store(h, num, now, val)) {
        csr_log_unimp(h, num, true);
        return CSR_ILLEGAL;
    }
    return CSR_OK;
}

/* ------------------------------------------------------------ names */

typedef struct CsrNameEntry {
    uint16_t num;
    const char *name;
} CsrNameEntry;

#define CSR_N(n, s) { (n), (s) }
static const CsrNameEntry csr_names[] = {
    CSR_N(0x001, "fflags"), CSR_N(0x002, "frm"), CSR_N(0x003, "fcsr"),
    CSR_N(0xc00, "cycle"), CSR_N(0xc01, "time"), CSR_N(0xc02, "instret"),
    CSR_N(0x100, "sstatus"), CSR_N(0x104, "sie"), CSR_N(0x105, "stvec"),
    CSR_N(0x106, "scounteren"), CSR_N(0x10a, "senvcfg"),
    CSR_N(0x140, "sscratch"), CSR_N(0x141, "sepc"), CSR_N(0x142, "scause"),
    CSR_N(0x143, "stval"), CSR_N(0x144, "sip"), CSR_N(0x14d, "stimecmp"),
    CSR_N(0x180, "satp"),
    CSR_N(0x300, "mstatus"), CSR_N(0x301, "misa"), CSR_N(0x302, "medeleg"),
    CSR_N(0x303, "mideleg"), CSR_N(0x304, "mie"), CSR_N(0x305, "mtvec"),
    CSR_N(0x306, "mcounteren"), CSR_N(0x30a, "menvcfg"),
    CSR_N(0x320, "mcountinhibit"), CSR_N(0x340, "mscratch"),
    CSR_N(0x341, "mepc"), CSR_N(0x342, "mcause"), CSR_N(0x343, "mtval"),
    CSR_N(0x344, "mip"), CSR_N(0x34a, "mtinst"), CSR_N(0x34b, "mtval2"),
    CSR_N(0x747, "mseccfg"),
    CSR_N(0x3a0, "pmpcfg0"), CSR_N(0x3a1, "pmpcfg1"), CSR_N(0x3a2, "pmpcfg2"),
    CSR_N(0x3a3, "pmpcfg3"),
    CSR_N(0x3b0, "pmpaddr0"), CSR_N(0x3b1, "pmpaddr1"),
    CSR_N(0x3b2, "pmpaddr2"), CSR_N(0x3b3, "pmpaddr3"),
    CSR_N(0x3b4, "pmpaddr4"), CSR_N(0x3b5, "pmpaddr5"),
    CSR_N(0x3b6, "pmpaddr6"), CSR_N(0x3b7, "pmpaddr7"),
    CSR_N(0x3b8, "pmpaddr8"), CSR_N(0x3b9, "pmpaddr9"),
    CSR_N(0x3ba, "pmpaddr10"), CSR_N(0x3bb, "pmpaddr11"),
    CSR_N(0x3bc, "pmpaddr12"), CSR_N(0x3bd, "pmpaddr13"),
    CSR_N(0x3be, "pmpaddr14"), CSR_N(0x3bf, "pmpaddr15"),
    CSR_N(0xb00, "mcycle"), CSR_N(0xb02, "minstret"),
    CSR_N(0xf11, "mvendorid"), CSR_N(0xf12, "marchid"),
    CSR_N(0xf13, "mimpid"), CSR_N(0xf14, "mhartid"),
    CSR_N(0xf15, "mconfigptr"),
    CSR_N(0x7a0, "tselect"), CSR_N(0x7a1, "tdata1"), CSR_N(0x7a2, "tdata2"),
    CSR_N(0x7a3, "tdata3"), CSR_N(0x7a4, "tinfo"), CSR_N(0x7a5, "tcontrol"),
    CSR_N(0x7b0, "dcsr"), CSR_N(0x7b1, "dpc"), CSR_N(0x7b2, "dscratch0"),
    CSR_N(0x7b3, "dscratch1"),
};

/* hpmcounterN / mhpmcounterN / mhpmeventN, N = 3..31 */
static const char *const csr_hpm_names[3][29] = {
#define HPM_ROW(p)                                                         \
    { p "3", p "4", p "5", p "6", p "7", p "8", p "9", p "10", p "11",     \
      p "12", p "13", p "14", p "15", p "16", p "17", p "18", p "19",      \
      p "20", p "21", p "22", p "23", p "24", p "25", p "26", p "27",      \
      p "28", p "29", p "30", p "31" }
    HPM_ROW("hpmcounter"), HPM_ROW("mhpmcounter"), HPM_ROW("mhpmevent"),
#undef HPM_ROW
};

const char *csr_name(unsigned num)
{
    num &= 0xfff;
    for (size_t i = 0; i < sizeof(csr_names) / sizeof(csr_names[0]); i++)
        if (csr_names[i].num == num)
            return csr_names[i].name;
    if (num >= CSR_HPMCOUNTER3 && num <= CSR_HPMCOUNTER31)
        return csr_hpm_names[0][num - CSR_HPMCOUNTER3];
    if (num >= CSR_MHPMCOUNTER3 && num <= CSR_MHPMCOUNTER31)
        return csr_hpm_names[1][num - CSR_MHPMCOUNTER3];
    if (num >= CSR_MHPMEVENT3 && num <= CSR_MHPMEVENT31)
        return csr_hpm_names[2][num - CSR_MHPMEVENT3];
    return NULL;
}
