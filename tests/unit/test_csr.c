/* CSRs, traps and the system instructions: handlers are called directly on
 * hart 0 of a test machine, with hand-built ops. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/csr.h"
#include "core/machine.h"
#include "core/trap.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "translator/insn_table.h"
#include "translator/op.h"

#define TPC 0x80000100ULL
#define MTVEC 0x80001000ULL
#define STVEC 0x80002000ULL

static Machine *tm;
static Hart *th;
/* Instruction count that the next op runs at (op_icount). */
static uint64_t tnow;

static void csr_setup(void)
{
    tm = test_machine_new();
    ck_assert_ptr_nonnull(tm);
    th = &tm->harts[0];
    th->priv = PRV_M;
    th->csr.mtvec = MTVEC;
    th->csr.stvec = STVEC;
    th->csr.medeleg = th->csr.mideleg = 0;
    th->csr.mie = th->csr.mip = 0;
    th->csr.mcounteren = th->csr.scounteren = 0;
    th->csr.mcountinhibit = 0;
    th->csr.mcycle_offset = th->csr.minstret_offset = 0;
    th->csr.mstatus = 0;
    th->csr.satp = 0;
    th->wfi = false;
    tnow = 100;
}

static void csr_teardown(void)
{
    machine_free(tm);
    tm = NULL;
    th = NULL;
}

/* Run one op of a one-instruction TB at icount tnow. */
static int run_op(Op *op)
{
    op->pc = TPC;
    op->len = 4;
    op->idx = 0;
    th->icount = tnow + 1;
    return test_exec_op(th, op);
}

static uint32_t csr_encode(unsigned f3, unsigned rd, unsigned rs1,
                           unsigned csr)
{
    return (csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73;
}

/* A Zicsr op: rd 0 means x0 (remapped to the sink as the decoder does). */
static int csr_op(OpFn fn, unsigned f3, unsigned rd, unsigned rs1,
                  unsigned csr)
{
    Op op = { .fn = fn, .rd = (uint8_t)(rd ? rd : 32), .rs1 = (uint8_t)rs1,
              .imm = csr, .raw = csr_encode(f3, rd, rs1, csr) };
    return run_op(&op);
}

static int sys_op(OpFn fn, uint32_t raw)
{
    Op op = { .fn = fn, .rd = 32, .raw = raw };
    return run_op(&op);
}

/* csrr x5, csr: must succeed. */
static uint64_t rd_csr(unsigned csr)
{
    th->x[5] = 0xdeadbeef;
    int r = csr_op(op_csrrs, 2, 5, 0, csr);
    ck_assert_msg(r == OP_EXIT_SYNC, "csrr 0x%03x failed (%d)", csr, r);
    return th->x[5];
}

/* csrw csr, v: must succeed. */
static void wr_csr(unsigned csr, uint64_t v)
{
    th->x[6] = v;
    int r = csr_op(op_csrrw, 1, 0, 6, csr);
    ck_assert_msg(r == OP_EXIT_SYNC, "csrw 0x%03x failed (%d)", csr, r);
}

/* The last op raised an illegal instruction from mode `from` into M. */
static void check_illegal(int r, unsigned from, uint32_t raw)
{
    ck_assert_int_eq(r, OP_EXIT_EXC);
    ck_assert_uint_eq(th->csr.mcause, EXC_ILLEGAL_INSN);
    ck_assert_uint_eq(th->csr.mepc, TPC);
    ck_assert_uint_eq(th->csr.mtval, raw);
    ck_assert_uint_eq(th->priv, PRV_M);
    ck_assert_uint_eq((th->csr.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT,
                      from);
    ck_assert_uint_eq(th->pc, MTVEC);
}

/* Read (csrrs rd, csr, x0) from priv must be illegal. */
static void expect_read_illegal(unsigned priv, unsigned csr)
{
    th->priv = (uint8_t)priv;
    th->csr.mcause = 0;
    int r = csr_op(op_csrrs, 2, 5, 0, csr);
    check_illegal(r, priv, csr_encode(2, 5, 0, csr));
    th->priv = (uint8_t)priv;
}

static void expect_write_illegal(unsigned priv, unsigned csr)
{
    th->priv = (uint8_t)priv;
    th->csr.mcause = 0;
    th->x[6] = 0;
    int r = csr_op(op_csrrw, 1, 0, 6, csr);
    check_illegal(r, priv, csr_encode(1, 0, 6, csr));
    th->priv = (uint8_t)priv;
}

/* ------------------------------------------------------------ access */

START_TEST(test_privilege)
{
    expect_read_illegal(PRV_U, CSR_MSTATUS);
    expect_read_illegal(PRV_U, CSR_SSTATUS);
    expect_read_illegal(PRV_S, CSR_MSTATUS);
    expect_read_illegal(PRV_S, CSR_MHARTID);
    expect_write_illegal(PRV_S, CSR_MSCRATCH);
    th->priv = PRV_S;
    wr_csr(CSR_SSCRATCH, 0x1234);
    ck_assert_uint_eq(rd_csr(CSR_SSCRATCH), 0x1234);
    ck_assert_uint_eq(th->priv, PRV_S);
    ck_assert_uint_eq(th->pc, TPC + 4);
    th->priv = PRV_M;
    ck_assert_uint_eq(rd_csr(CSR_SSCRATCH), 0x1234);
}
END_TEST

START_TEST(test_read_only)
{
    th->csr.mhartid = 0;
    ck_assert_uint_eq(rd_csr(CSR_MHARTID), 0);
    ck_assert_uint_eq(rd_csr(CSR_MVENDORID), 0);
    ck_assert_uint_eq(rd_csr(CSR_MCONFIGPTR), 0);
    expect_write_illegal(PRV_M, CSR_MHARTID);
    expect_write_illegal(PRV_M, CSR_CYCLE);
    /* csrrs with rs1 = x5 writes even when x5 is zero. */
    th->x[5] = 0;
    int r = csr_op(op_csrrs, 2, 7, 5, CSR_MIMPID);
    check_illegal(r, PRV_M, csr_encode(2, 7, 5, CSR_MIMPID));
    /* csrrsi with uimm 0 does not write. */
    th->priv = PRV_M;
    r = csr_op(op_csrrsi, 6, 7, 0, CSR_MARCHID);
    ck_assert_int_eq(r, OP_EXIT_SYNC);
}
END_TEST

START_TEST(test_unimplemented)
{
    expect_read_illegal(PRV_M, 0x7a0); /* tselect: no trigger module */
    expect_write_illegal(PRV_M, 0x7a0);
    expect_read_illegal(PRV_M, 0x14d); /* stimecmp: no Sstc */
    expect_read_illegal(PRV_M, 0x747); /* mseccfg: no Smepmp */
    expect_read_illegal(PRV_M, 0xc80); /* cycleh: RV32 only */
    expect_read_illegal(PRV_M, 0x7b0); /* dcsr: debug mode only */
    ck_assert_str_eq(csr_name(0x7a0), "tselect");
    ck_assert_str_eq(csr_name(CSR_MSTATUS), "mstatus");
    ck_assert_str_eq(csr_name(0xc1f), "hpmcounter31");
    ck_assert_str_eq(csr_name(0x323), "mhpmevent3");
    ck_assert_ptr_null(csr_name(0x5ff));
}
END_TEST

START_TEST(test_csr_ops)
{
    wr_csr(CSR_MSCRATCH, 0xf0);
    /* csrrs / csrrc return the old value and set / clear bits. */
    th->x[6] = 0x0f;
    ck_assert_int_eq(csr_op(op_csrrs, 2, 5, 6, CSR_MSCRATCH), OP_EXIT_SYNC);
    ck_assert_uint_eq(th->x[5], 0xf0);
    ck_assert_uint_eq(rd_csr(CSR_MSCRATCH), 0xff);
    th->x[6] = 0x81;
    ck_assert_int_eq(csr_op(op_csrrc, 3, 5, 6, CSR_MSCRATCH), OP_EXIT_SYNC);
    ck_assert_uint_eq(th->x[5], 0xff);
    ck_assert_uint_eq(rd_csr(CSR_MSCRATCH), 0x7e);
    /* Immediate forms use the rs1 field as a 5-bit value. */
    ck_assert_int_eq(csr_op(op_csrrwi, 5, 5, 31, CSR_MSCRATCH), OP_EXIT_SYNC);
    ck_assert_uint_eq(th->x[5], 0x7e);
    ck_assert_int_eq(csr_op(op_csrrsi, 6, 0, 0x40 >> 2, CSR_MSCRATCH),
                     OP_EXIT_SYNC);
    ck_assert_uint_eq(rd_csr(CSR_MSCRATCH), 0x1f);
    ck_assert_int_eq(csr_op(op_csrrci, 7, 0, 3, CSR_MSCRATCH), OP_EXIT_SYNC);
    ck_assert_uint_eq(rd_csr(CSR_MSCRATCH), 0x1c);
    /* csrrw rd, csr, rd swaps. */
    th->x[5] = 0x55;
    ck_assert_int_eq(csr_op(op_csrrw, 1, 5, 5, CSR_MSCRATCH), OP_EXIT_SYNC);
    ck_assert_uint_eq(th->x[5], 0x1c);
    ck_assert_uint_eq(rd_csr(CSR_MSCRATCH), 0x55);
    ck_assert_uint_eq(th->x[0], 0);
}
END_TEST

/* ------------------------------------------------------------ mstatus */

START_TEST(test_mstatus_warl)
{
    uint64_t v;
    wr_csr(CSR_MSTATUS, 1ULL << MSTATUS_MPP_SHIFT);
    v = rd_csr(CSR_MSTATUS);
    ck_assert_uint_eq((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_S);
    /* MPP = 2 is reserved: the old value stays. */
    wr_csr(CSR_MSTATUS, 2ULL << MSTATUS_MPP_SHIFT);
    v = rd_csr(CSR_MSTATUS);
    ck_assert_uint_eq((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_S);
    /* UXL and SXL read as 64-bit; VS, XS, UBE, SBE, MBE read zero. */
    ck_assert_uint_eq(v & (MSTATUS_UXL | MSTATUS_SXL), (2ULL << 32) | (2ULL << 34));
    wr_csr(CSR_MSTATUS, ~0ULL);
    v = rd_csr(CSR_MSTATUS);
    ck_assert_uint_eq(v & (MSTATUS_VS | MSTATUS_XS | MSTATUS_UBE |
                           MSTATUS_SBE | MSTATUS_MBE | 1ULL),
                      0);
    ck_assert_uint_eq((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_M);
    ck_assert(v & MSTATUS_TSR);
    /* SD follows FS == Dirty. */
    ck_assert(v & MSTATUS_SD);
    wr_csr(CSR_MSTATUS, 2ULL << MSTATUS_FS_SHIFT);
    v = rd_csr(CSR_MSTATUS);
    ck_assert_uint_eq(v & MSTATUS_SD, 0);
    ck_assert_uint_eq(csr_fs(th), FS_CLEAN);
    ck_assert_uint_eq((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_U);
    wr_csr(CSR_MSTATUS, MSTATUS_FS);
    ck_assert(rd_csr(CSR_MSTATUS) & MSTATUS_SD);
}
END_TEST

START_TEST(test_sstatus_view)
{
    wr_csr(CSR_MSTATUS, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_TVM |
                            MSTATUS_SIE | MSTATUS_SUM |
                            (3ULL << MSTATUS_MPP_SHIFT));
    uint64_t s = rd_csr(CSR_SSTATUS);
    ck_assert_uint_eq(s, MSTATUS_SIE | MSTATUS_SUM | (2ULL << 32));
    /* Writing all ones through sstatus touches only the S fields. */
    wr_csr(CSR_SSTATUS, ~0ULL);
    uint64_t m = rd_csr(CSR_MSTATUS);
    ck_assert_uint_eq(m & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_TVM),
                      MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_TVM);
    ck_assert_uint_eq((m & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_M);
    ck_assert_uint_eq(m & (MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV), 0);
    s = rd_csr(CSR_SSTATUS);
    ck_assert_uint_eq(s, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP |
                             MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR |
                             MSTATUS_SD | (2ULL << 32));
    wr_csr(CSR_SSTATUS, 0);
    ck_assert_uint_eq(rd_csr(CSR_SSTATUS), 2ULL << 32);
    ck_assert(rd_csr(CSR_MSTATUS) & MSTATUS_MIE);
}
END_TEST

START_TEST(test_misa)
{
    uint64_t misa = rd_csr(CSR_MISA);
    ck_assert_uint_eq(misa, csr_misa_default());
    ck_assert_uint_eq(misa >> 62, 2);
    const char *ext = "IMAFDCSU";
    for (const char *p = ext; *p; p++)
        ck_assert(misa & (1ULL << (*p - 'A')));
    ck_assert_uint_eq(misa & (1ULL << ('V' - 'A')), 0);
    wr_csr(CSR_MISA, 0);
    ck_assert_uint_eq(rd_csr(CSR_MISA), misa);
}
END_TEST

/* ------------------------------------------------------------ interrupts */

START_TEST(test_deleg_masks)
{
    wr_csr(CSR_MEDELEG, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_MEDELEG), 0xb3ff);
    wr_csr(CSR_MIDELEG, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_MIDELEG), 0x222);
    wr_csr(CSR_MIE, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_MIE), 0xaaa);
}
END_TEST

START_TEST(test_sie_sip_views)
{
    wr_csr(CSR_MIDELEG, 1u << IRQ_S_TIMER | 1u << IRQ_S_SOFT);
    wr_csr(CSR_MIE, 0xaaa);
    ck_assert_uint_eq(rd_csr(CSR_SIE), 0x22);
    wr_csr(CSR_SIE, 0);
    ck_assert_uint_eq(rd_csr(CSR_MIE), 0xa88);
    wr_csr(CSR_SIE, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_MIE), 0xaaa);

    /* mip: only the S bits are writable; M bits come from devices. */
    th->csr.mip = 1u << IRQ_M_TIMER;
    wr_csr(CSR_MIP, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_MIP), 0x2a2);
    wr_csr(CSR_MIP, 0);
    ck_assert_uint_eq(rd_csr(CSR_MIP), 0x080);
    wr_csr(CSR_MIP, 0x222);
    ck_assert_uint_eq(rd_csr(CSR_SIP), 0x22); /* SEIP not delegated */
    /* sip: only SSIP can be written, and only when delegated. */
    wr_csr(CSR_SIP, 0);
    ck_assert_uint_eq(rd_csr(CSR_MIP), 0x2a0);
    wr_csr(CSR_MIDELEG, 1u << IRQ_S_TIMER);
    wr_csr(CSR_SIP, 2);
    ck_assert_uint_eq(rd_csr(CSR_MIP), 0x2a0);
    ck_assert_uint_eq(rd_csr(CSR_SIP), 0x20);
}
END_TEST

START_TEST(test_tvec_epc)
{
    wr_csr(CSR_MTVEC, 0x80004001ULL);
    ck_assert_uint_eq(rd_csr(CSR_MTVEC), 0x80004001ULL);
    wr_csr(CSR_MTVEC, 0x80008002ULL); /* reserved mode: keep vectored */
    ck_assert_uint_eq(rd_csr(CSR_MTVEC), 0x80008001ULL);
    wr_csr(CSR_MTVEC, 0x80008003ULL);
    ck_assert_uint_eq(rd_csr(CSR_MTVEC), 0x80008001ULL);
    wr_csr(CSR_MTVEC, 0x80008000ULL);
    ck_assert_uint_eq(rd_csr(CSR_MTVEC), 0x80008000ULL);
    wr_csr(CSR_STVEC, 0x80009002ULL);
    ck_assert_uint_eq(rd_csr(CSR_STVEC), 0x80009000ULL);
    wr_csr(CSR_MEPC, 0x80000003ULL);
    ck_assert_uint_eq(rd_csr(CSR_MEPC), 0x80000002ULL);
    wr_csr(CSR_SEPC, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_SEPC), ~1ULL);
}
END_TEST

/* ------------------------------------------------------------ satp */

START_TEST(test_satp)
{
    uint64_t sv39 = (8ULL << 60) | (0x1234ULL << 44) | 0x80123ULL;
    uint64_t sv48 = (9ULL << 60) | 0x80456ULL;
    wr_csr(CSR_SATP, sv39);
    ck_assert_uint_eq(rd_csr(CSR_SATP), sv39);
    wr_csr(CSR_SATP, (10ULL << 60) | 0x80777ULL); /* Sv57: ignored */
    ck_assert_uint_eq(rd_csr(CSR_SATP), sv39);
    wr_csr(CSR_SATP, (1ULL << 60) | 0x80777ULL); /* reserved mode */
    ck_assert_uint_eq(rd_csr(CSR_SATP), sv39);
    wr_csr(CSR_SATP, sv48);
    ck_assert_uint_eq(rd_csr(CSR_SATP), sv48);
    wr_csr(CSR_SATP, 0);
    ck_assert_uint_eq(rd_csr(CSR_SATP), 0);

    /* S-mode access with TVM traps, without TVM works. */
    th->csr.mstatus |= MSTATUS_TVM;
    expect_read_illegal(PRV_S, CSR_SATP);
    expect_write_illegal(PRV_S, CSR_SATP);
    th->priv = PRV_M;
    ck_assert_uint_eq(rd_csr(CSR_SATP), 0); /* M is not affected */
    th->csr.mstatus &= ~MSTATUS_TVM;
    th->priv = PRV_S;
    wr_csr(CSR_SATP, sv39);
    ck_assert_uint_eq(rd_csr(CSR_SATP), sv39);
    expect_read_illegal(PRV_U, CSR_SATP);
}
END_TEST

/* Which soft-TLB arrays survive translation-relevant CSR writes. */
static void tlb_mark_all(void)
{
    for (int i = 0; i < MMU_IDX_COUNT; i++)
        for (int a = 0; a < 3; a++)
            th->tlb[i][a][1].vpage = 0x1000;
}

static bool tlb_marked(int idx, int acc)
{
    return th->tlb[idx][acc][1].vpage == 0x1000;
}

START_TEST(test_tlb_effects)
{
    tlb_mark_all();
    wr_csr(CSR_SSTATUS, MSTATUS_SUM);
    ck_assert(!tlb_marked(MMU_IDX_S, ACC_READ));
    ck_assert(!tlb_marked(MMU_IDX_S, ACC_WRITE));
    ck_assert(tlb_marked(MMU_IDX_S, ACC_EXEC));
    ck_assert(tlb_marked(MMU_IDX_U, ACC_READ));
    ck_assert(tlb_marked(MMU_IDX_M, ACC_READ));
    tlb_mark_all();
    wr_csr(CSR_SSTATUS, MSTATUS_SUM); /* no change: nothing dropped */
    ck_assert(tlb_marked(MMU_IDX_S, ACC_READ));
    wr_csr(CSR_MSTATUS, MSTATUS_SUM | MSTATUS_MXR);
    ck_assert(!tlb_marked(MMU_IDX_S, ACC_READ));
    ck_assert(!tlb_marked(MMU_IDX_U, ACC_READ));
    ck_assert(tlb_marked(MMU_IDX_U, ACC_WRITE));
    /* MPRV with MPP = S switches M's data accesses to S translation. */
    wr_csr(CSR_MSTATUS, MSTATUS_MPRV | (1ULL << MSTATUS_MPP_SHIFT));
    ck_assert_uint_eq(th->mmu_idx_data, MMU_IDX_S);
    ck_assert_uint_eq(th->mmu_idx_fetch, MMU_IDX_M);
    wr_csr(CSR_MSTATUS, MSTATUS_MPRV);
    ck_assert_uint_eq(th->mmu_idx_data, MMU_IDX_U);
    wr_csr(CSR_MSTATUS, 0);
    ck_assert_uint_eq(th->mmu_idx_data, MMU_IDX_M);
    /* satp and sfence.vma drop everything, including the jump cache. */
    tlb_mark_all();
    th->jmp_cache[3] = (struct TB *)(uintptr_t)0x10;
    wr_csr(CSR_SATP, 8ULL << 60);
    for (int i = 0; i < MMU_IDX_COUNT; i++)
        for (int a = 0; a < 3; a++)
            ck_assert(!tlb_marked(i, a));
    ck_assert_ptr_null(th->jmp_cache[3]);
    tlb_mark_all();
    th->jmp_cache[3] = (struct TB *)(uintptr_t)0x10;
    ck_assert_int_eq(sys_op(op_sfence_vma, 0x12000073), OP_EXIT_SYNC);
    ck_assert(!tlb_marked(MMU_IDX_S, ACC_EXEC));
    ck_assert_ptr_null(th->jmp_cache[3]);
}
END_TEST

/* ------------------------------------------------------------ counters */

START_TEST(test_counters_gating)
{
    tnow = 500;
    ck_assert_uint_eq(rd_csr(CSR_CYCLE), 500);
    ck_assert_uint_eq(rd_csr(CSR_INSTRET), 500);
    ck_assert_uint_eq(rd_csr(CSR_MCYCLE), 500);
    ck_assert_uint_eq(rd_csr(CSR_TIME), machine_mtime(tm));
    ck_assert_uint_eq(rd_csr(0xc03), 0); /* hpmcounter3 */

    expect_read_illegal(PRV_S, CSR_CYCLE);
    expect_read_illegal(PRV_U, CSR_CYCLE);
    th->priv = PRV_M;
    wr_csr(CSR_MCOUNTEREN, 1u << 0 | 1u << 1);
    th->priv = PRV_S;
    tnow = 600;
    ck_assert_uint_eq(rd_csr(CSR_CYCLE), 600);
    rd_csr(CSR_TIME);
    expect_read_illegal(PRV_S, CSR_INSTRET);
    expect_read_illegal(PRV_U, CSR_CYCLE); /* scounteren still clear */
    th->priv = PRV_S;
    wr_csr(CSR_SCOUNTEREN, 1u << 0);
    th->priv = PRV_U;
    ck_assert_uint_eq(rd_csr(CSR_CYCLE), 600);
    expect_read_illegal(PRV_U, CSR_TIME);
    /* Counters are read-only even where readable. */
    th->priv = PRV_M;
    expect_write_illegal(PRV_M, CSR_INSTRET);
    /* mhpmcounters / mhpmevents: zero, writes ignored. */
    th->priv = PRV_M;
    wr_csr(0xb03, 77);
    ck_assert_uint_eq(rd_csr(0xb03), 0);
    wr_csr(0x323, 5);
    ck_assert_uint_eq(rd_csr(0x323), 0);
}
END_TEST

START_TEST(test_counter_writes)
{
    /* A value written to minstret is what the next instruction reads. */
    tnow = 100;
    wr_csr(CSR_MINSTRET, 1000);
    tnow = 101;
    ck_assert_uint_eq(rd_csr(CSR_MINSTRET), 1000);
    ck_assert_uint_eq(rd_csr(CSR_INSTRET), 1000);
    tnow = 150;
    ck_assert_uint_eq(rd_csr(CSR_INSTRET), 1049);
    ck_assert_uint_eq(rd_csr(CSR_CYCLE), 150); /* independent */
    wr_csr(CSR_MCYCLE, 7);
    tnow = 161;
    ck_assert_uint_eq(rd_csr(CSR_CYCLE), 17);

    /* mcountinhibit.IR freezes instret; TM cannot be set. */
    tnow = 200;
    wr_csr(CSR_MCOUNTINHIBIT, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_MCOUNTINHIBIT), 0xfffffffdULL);
    tnow = 201;
    uint64_t frozen = rd_csr(CSR_MINSTRET);
    ck_assert_uint_eq(frozen, 1100); /* 200 + 899, plus the writing insn */
    tnow = 300;
    ck_assert_uint_eq(rd_csr(CSR_MINSTRET), frozen);
    wr_csr(CSR_MINSTRET, 5); /* written while inhibited */
    tnow = 400;
    ck_assert_uint_eq(rd_csr(CSR_MINSTRET), 5);
    wr_csr(CSR_MCOUNTINHIBIT, 0);
    tnow = 411;
    ck_assert_uint_eq(rd_csr(CSR_MINSTRET), 15);
}
END_TEST

/* ------------------------------------------------------------ FP CSRs */

START_TEST(test_fcsr)
{
    expect_read_illegal(PRV_M, CSR_FFLAGS);
    expect_read_illegal(PRV_M, CSR_FRM);
    expect_write_illegal(PRV_M, CSR_FCSR);
    th->csr.mstatus = (uint64_t)FS_INITIAL << MSTATUS_FS_SHIFT;
    ck_assert_uint_eq(rd_csr(CSR_FCSR), 0);
    ck_assert_uint_eq(csr_fs(th), FS_INITIAL); /* reads do not dirty */
    wr_csr(CSR_FCSR, 0x1ff);
    ck_assert_uint_eq(csr_fs(th), FS_DIRTY);
    ck_assert(rd_csr(CSR_MSTATUS) & MSTATUS_SD);
    ck_assert_uint_eq(rd_csr(CSR_FFLAGS), 0x1f);
    ck_assert_uint_eq(rd_csr(CSR_FRM), 7);
    ck_assert_uint_eq(rd_csr(CSR_FCSR), 0xff);
    wr_csr(CSR_FRM, 2);
    ck_assert_uint_eq(rd_csr(CSR_FCSR), 0x5f);
    wr_csr(CSR_FFLAGS, 0x21);
    ck_assert_uint_eq(rd_csr(CSR_FCSR), 0x41);
    th->csr.mstatus = (uint64_t)FS_CLEAN << MSTATUS_FS_SHIFT;
    wr_csr(CSR_FFLAGS, 0);
    ck_assert_uint_eq(csr_fs(th), FS_DIRTY);
    /* From U as well (fcsr is a user CSR). */
    th->priv = PRV_U;
    ck_assert_uint_eq(rd_csr(CSR_FRM), 2);
}
END_TEST

/* ------------------------------------------------------------ PMP CSRs */

START_TEST(test_pmp_csrs)
{
    expect_read_illegal(PRV_M, CSR_PMPCFG0 + 1); /* odd: RV32 only */
    expect_write_illegal(PRV_M, CSR_PMPCFG0 + 3);
    th->priv = PRV_M;
    ck_assert_uint_eq(rd_csr(CSR_PMPCFG0 + 4), 0);
    wr_csr(CSR_PMPCFG0 + 4, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_PMPCFG0 + 4), 0);
    wr_csr(CSR_PMPADDR0 + 20, ~0ULL);
    ck_assert_uint_eq(rd_csr(CSR_PMPADDR0 + 20), 0);
    wr_csr(CSR_PMPADDR0 + 3, 0x20001234ULL);
    ck_assert_uint_eq(rd_csr(CSR_PMPADDR0 + 3), 0x20001234ULL);
    wr_csr(CSR_PMPCFG0 + 2, 0x1fULL << 8); /* entry 9: NAPOT RWX */
    ck_assert_uint_eq(rd_csr(CSR_PMPCFG0 + 2), 0x1fULL << 8);
    ck_assert_uint_eq(th->csr.pmpcfg[9], 0x1f);
    expect_read_illegal(PRV_S, CSR_PMPADDR0);
}
END_TEST

/* ------------------------------------------------------------ traps */

START_TEST(test_trap_delegation)
{
    th->csr.medeleg = 1u << EXC_ECALL_U | 1u << EXC_ILLEGAL_INSN;
    th->csr.mstatus = MSTATUS_SIE | MSTATUS_MIE;

    /* From U, a delegated exception goes to S. */
    th->priv = PRV_U;
    trap_take(th, EXC_ECALL_U, 0, 0x1000);
    ck_assert_uint_eq(th->priv, PRV_S);
    ck_assert_uint_eq(th->pc, STVEC);
    ck_assert_uint_eq(th->csr.scause, EXC_ECALL_U);
    ck_assert_uint_eq(th->csr.sepc, 0x1000);
    ck_assert_uint_eq(th->csr.stval, 0);
    ck_assert_uint_eq(th->csr.mstatus & (MSTATUS_SIE | MSTATUS_SPIE |
                                         MSTATUS_SPP | MSTATUS_MIE),
                      MSTATUS_SPIE | MSTATUS_MIE);

    /* From S, SPP records S. */
    trap_take(th, EXC_ILLEGAL_INSN, 0xabc, 0x2000);
    ck_assert_uint_eq(th->priv, PRV_S);
    ck_assert_uint_eq(th->csr.stval, 0xabc);
    ck_assert(th->csr.mstatus & MSTATUS_SPP);
    ck_assert_uint_eq(th->csr.mstatus & (MSTATUS_SIE | MSTATUS_SPIE), 0);

    /* Not delegated: M, with MPP = S. */
    trap_take(th, EXC_LOAD_PAGE_FAULT, 0x55, 0x3000);
    ck_assert_uint_eq(th->priv, PRV_M);
    ck_assert_uint_eq(th->pc, MTVEC);
    ck_assert_uint_eq(th->csr.mcause, EXC_LOAD_PAGE_FAULT);
    ck_assert_uint_eq(th->csr.mepc, 0x3000);
    ck_assert_uint_eq(th->csr.mtval, 0x55);
    ck_assert_uint_eq((th->csr.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT,
                      PRV_S);
    ck_assert_uint_eq(th->csr.mstatus & (MSTATUS_MIE | MSTATUS_MPIE),
                      MSTATUS_MPIE);

    /* In M, delegation never applies. */
    th->csr.scause = 0;
    trap_take(th, EXC_ILLEGAL_INSN, 0, 0x4000);
    ck_assert_uint_eq(th->priv, PRV_M);
    ck_assert_uint_eq(th->csr.mcause, EXC_ILLEGAL_INSN);
    ck_assert_uint_eq(th->csr.scause, 0);
    ck_assert_uint_eq((th->csr.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT,
                      PRV_M);
}
END_TEST

START_TEST(test_trap_vectored)
{
    th->csr.mtvec = MTVEC | 1;
    th->csr.stvec = STVEC | 1;
    th->csr.mideleg = 1u << IRQ_S_TIMER;
    th->priv = PRV_U;
    trap_take(th, CAUSE_INTERRUPT | IRQ_S_TIMER, 0, 0x1000);
    ck_assert_uint_eq(th->priv, PRV_S);
    ck_assert_uint_eq(th->pc, STVEC + 4 * IRQ_S_TIMER);
    ck_assert_uint_eq(th->csr.scause, CAUSE_INTERRUPT | IRQ_S_TIMER);
    trap_take(th, CAUSE_INTERRUPT | IRQ_M_TIMER, 0, 0x1000);
    ck_assert_uint_eq(th->priv, PRV_M);
    ck_assert_uint_eq(th->pc, MTVEC + 4 * IRQ_M_TIMER);
    /* Exceptions ignore the vector. */
    trap_take(th, EXC_BREAKPOINT, 0, 0x1000);
    ck_assert_uint_eq(th->pc, MTVEC);
}
END_TEST

START_TEST(test_interrupt_priority)
{
    th->csr.mie = 0xaaa;
    th->csr.mip = 0xaaa;
    th->priv = PRV_M;
    ck_assert_int_eq(trap_pending_interrupt(th), -1); /* MIE clear */
    th->csr.mstatus = MSTATUS_MIE;
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_M_EXT);
    th->csr.mip &= ~(1u << IRQ_M_EXT);
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_M_SOFT);
    th->csr.mip &= ~(1u << IRQ_M_SOFT);
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_M_TIMER);
    th->csr.mip &= ~(1u << IRQ_M_TIMER);
    /* S interrupts not delegated are taken in M. */
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_S_EXT);
    th->csr.mip &= ~(1u << IRQ_S_EXT);
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_S_SOFT);
    th->csr.mip &= ~(1u << IRQ_S_SOFT);
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_S_TIMER);

    /* Delegated interrupts are never taken in M. */
    th->csr.mideleg = 0x222;
    th->csr.mip = 0x222;
    ck_assert_int_eq(trap_pending_interrupt(th), -1);
    /* In S they need SIE; in U they are always enabled. */
    th->priv = PRV_S;
    th->csr.mstatus = 0;
    ck_assert_int_eq(trap_pending_interrupt(th), -1);
    th->csr.mstatus = MSTATUS_SIE;
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_S_EXT);
    th->priv = PRV_U;
    th->csr.mstatus = 0;
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_S_EXT);
    /* M-level interrupts win over S-level ones and ignore MIE below M. */
    th->priv = PRV_S;
    th->csr.mip |= 1u << IRQ_M_TIMER;
    ck_assert_int_eq(trap_pending_interrupt(th), IRQ_M_TIMER);
    /* Masked by mie. */
    th->csr.mie = 0;
    ck_assert_int_eq(trap_pending_interrupt(th), -1);
}
END_TEST

START_TEST(test_check_interrupts_wfi)
{
    th->pc = 0x80000200;
    th->priv = PRV_M;
    th->csr.mie = 1u << IRQ_M_TIMER;
    th->csr.mip = 1u << IRQ_M_TIMER;
    th->wfi = true;
    /* Globally disabled: not taken, but the hart wakes. */
    ck_assert(!trap_check_interrupts(th));
    ck_assert(!th->wfi);
    ck_assert_uint_eq(th->pc, 0x80000200);
    th->csr.mstatus = MSTATUS_MIE;
    ck_assert(trap_check_interrupts(th));
    ck_assert_uint_eq(th->pc, MTVEC);
    ck_assert_uint_eq(th->csr.mcause, CAUSE_INTERRUPT | IRQ_M_TIMER);
    ck_assert_uint_eq(th->csr.mepc, 0x80000200);
    ck_assert_uint_eq(th->csr.mstatus & (MSTATUS_MIE | MSTATUS_MPIE),
                      MSTATUS_MPIE);
    /* Nothing enabled: stays asleep. */
    th->csr.mie = 0;
    th->wfi = true;
    ck_assert(!trap_check_interrupts(th));
    ck_assert(th->wfi);
}
END_TEST

START_TEST(test_mret_sret)
{
    th->csr.mepc = 0x80005000;
    th->csr.mstatus = MSTATUS_MPIE | MSTATUS_MPRV |
                      (1ULL << MSTATUS_MPP_SHIFT);
    ck_assert_int_eq(sys_op(op_mret, 0x30200073), OP_EXIT_INDIRECT);
    ck_assert_uint_eq(th->priv, PRV_S);
    ck_assert_uint_eq(th->pc, 0x80005000);
    ck_assert_uint_eq(th->csr.mstatus & (MSTATUS_MIE | MSTATUS_MPIE |
                                         MSTATUS_MPP | MSTATUS_MPRV),
                      MSTATUS_MIE | MSTATUS_MPIE);

    /* mret to M keeps MPRV. */
    th->priv = PRV_M;
    th->csr.mstatus = MSTATUS_MPRV | (3ULL << MSTATUS_MPP_SHIFT);
    trap_mret(th);
    ck_assert_uint_eq(th->priv, PRV_M);
    ck_assert(th->csr.mstatus & MSTATUS_MPRV);
    ck_assert_uint_eq(th->csr.mstatus & MSTATUS_MIE, 0);

    /* sret to S with SPIE clear. */
    th->csr.sepc = 0x80006000;
    th->csr.mstatus = MSTATUS_SPP | MSTATUS_SIE | MSTATUS_MPRV;
    th->priv = PRV_S;
    ck_assert_int_eq(sys_op(op_sret, 0x10200073), OP_EXIT_INDIRECT);
    ck_assert_uint_eq(th->priv, PRV_S);
    ck_assert_uint_eq(th->pc, 0x80006000);
    ck_assert_uint_eq(th->csr.mstatus & (MSTATUS_SIE | MSTATUS_SPIE |
                                         MSTATUS_SPP | MSTATUS_MPRV),
                      MSTATUS_SPIE);
    /* sret to U. */
    th->csr.mstatus = MSTATUS_SPIE;
    ck_assert_int_eq(sys_op(op_sret, 0x10200073), OP_EXIT_INDIRECT);
    ck_assert_uint_eq(th->priv, PRV_U);
    ck_assert(th->csr.mstatus & MSTATUS_SIE);
}
END_TEST

START_TEST(test_xret_illegal)
{
    th->priv = PRV_S;
    check_illegal(sys_op(op_mret, 0x30200073), PRV_S, 0x30200073);
    th->priv = PRV_U;
    check_illegal(sys_op(op_mret, 0x30200073), PRV_U, 0x30200073);
    th->priv = PRV_U;
    check_illegal(sys_op(op_sret, 0x10200073), PRV_U, 0x10200073);
    th->csr.mstatus |= MSTATUS_TSR;
    th->priv = PRV_S;
    check_illegal(sys_op(op_sret, 0x10200073), PRV_S, 0x10200073);
    /* TSR does not affect M. */
    th->csr.mstatus |= MSTATUS_SPP;
    th->csr.sepc = 0x80007000;
    ck_assert_int_eq(sys_op(op_sret, 0x10200073), OP_EXIT_INDIRECT);
    ck_assert_uint_eq(th->priv, PRV_S);
}
END_TEST

START_TEST(test_wfi_tw)
{
    th->priv = PRV_M;
    th->csr.mstatus = MSTATUS_TW;
    ck_assert_int_eq(sys_op(op_wfi, 0x10500073), OP_EXIT_WFI);
    ck_assert(th->wfi);
    ck_assert_uint_eq(th->pc, TPC + 4);
    th->wfi = false;
    th->priv = PRV_S;
    check_illegal(sys_op(op_wfi, 0x10500073), PRV_S, 0x10500073);
    ck_assert(!th->wfi);
    th->csr.mstatus &= ~MSTATUS_TW;
    th->priv = PRV_S;
    ck_assert_int_eq(sys_op(op_wfi, 0x10500073), OP_EXIT_WFI);
    ck_assert(th->wfi);
    th->wfi = false;
    th->priv = PRV_U;
    check_illegal(sys_op(op_wfi, 0x10500073), PRV_U, 0x10500073);
}
END_TEST

START_TEST(test_sfence_tvm)
{
    th->priv = PRV_S;
    ck_assert_int_eq(sys_op(op_sfence_vma, 0x12000073), OP_EXIT_SYNC);
    ck_assert_uint_eq(th->pc, TPC + 4);
    th->csr.mstatus |= MSTATUS_TVM;
    check_illegal(sys_op(op_sfence_vma, 0x12000073), PRV_S, 0x12000073);
    ck_assert_int_eq(sys_op(op_sfence_vma, 0x12000073), OP_EXIT_SYNC);
    th->priv = PRV_U;
    th->csr.mstatus &= ~MSTATUS_TVM;
    check_illegal(sys_op(op_sfence_vma, 0x12000073), PRV_U, 0x12000073);
    /* fences */
    ck_assert_int_eq(sys_op(op_fence, 0x0ff0000f), OP_NEXT);
    ck_assert_int_eq(sys_op(op_fence_i, 0x0000100f), OP_EXIT_SYNC);
    ck_assert_uint_eq(th->pc, TPC + 4);
}
END_TEST

START_TEST(test_ecall_ebreak)
{
    static const unsigned modes[] = { PRV_U, PRV_S, PRV_M };
    static const unsigned causes[] = { EXC_ECALL_U, EXC_ECALL_S, EXC_ECALL_M };
    for (unsigned i = 0; i < 3; i++) {
        th->priv = (uint8_t)modes[i];
        ck_assert_int_eq(sys_op(op_ecall, 0x00000073), OP_EXIT_EXC);
        ck_assert_uint_eq(th->csr.mcause, causes[i]);
        ck_assert_uint_eq(th->csr.mepc, TPC);
        ck_assert_uint_eq(th->csr.mtval, 0);
        ck_assert_uint_eq(th->priv, PRV_M);
    }
    /* Delegated ecall from U goes to S. */
    th->csr.medeleg = 1u << EXC_ECALL_U;
    th->priv = PRV_U;
    ck_assert_int_eq(sys_op(op_ecall, 0x00000073), OP_EXIT_EXC);
    ck_assert_uint_eq(th->priv, PRV_S);
    ck_assert_uint_eq(th->csr.scause, EXC_ECALL_U);
    ck_assert_uint_eq(th->pc, STVEC);
    th->priv = PRV_M;
    ck_assert_int_eq(sys_op(op_ebreak, 0x00100073), OP_EXIT_EXC);
    ck_assert_uint_eq(th->csr.mcause, EXC_BREAKPOINT);
    ck_assert_uint_eq(th->csr.mtval, TPC);
}
END_TEST

START_TEST(test_insn_rows)
{
    /* The decoder's view: each system encoding matches exactly its row. */
    static const struct { uint32_t w; const char *name; } cases[] = {
        { 0x00000073, "ecall" },      { 0x00100073, "ebreak" },
        { 0x30200073, "mret" },       { 0x10200073, "sret" },
        { 0x10500073, "wfi" },        { 0x12b50073, "sfence.vma" },
        { 0x0ff0000f, "fence" },      { 0x8330000f, "fence" },
        { 0x0000100f, "fence.i" },    { 0x30029573, "csrrw" },
        { 0xc0102573, "csrrs" },      { 0x3007b073, "csrrc" },
        { 0x3402d073, "csrrwi" },     { 0x30046073, "csrrsi" },
        { 0x30047073, "csrrci" },
    };
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        unsigned hits = 0;
        const char *hit = NULL;
        for (unsigned i = 0; i < insn_table_len; i++)
            if ((cases[c].w & insn_table[i].mask) == insn_table[i].match) {
                hits++;
                hit = insn_table[i].name;
            }
        ck_assert_msg(hits == 1, "0x%08x matches %u rows", cases[c].w, hits);
        ck_assert_str_eq(hit, cases[c].name);
    }
    /* Not system instructions. */
    static const uint32_t bad[] = { 0x00200073, 0x30200173, 0x10500173,
                                    0x0000400f };
    for (unsigned c = 0; c < sizeof(bad) / sizeof(bad[0]); c++)
        for (unsigned i = 0; i < insn_table_len; i++)
            ck_assert_msg((bad[c] & insn_table[i].mask) != insn_table[i].match,
                          "0x%08x matches %s", bad[c], insn_table[i].name);
}
END_TEST

/* ------------------------------------------------------------ run loop */

/* Put `jal x0, 0` at 0x80000100, the trap handler of the run tests. */
static void install_handler_loop(void)
{
    uint8_t *p = memory_ram_ptr(&tm->mem, 0x80000100ULL, 4);
    ck_assert_ptr_nonnull(p);
    const uint32_t loop = 0x0000006f;
    memcpy(p, &loop, 4);
    th->csr.mtvec = 0x80000100ULL;
}

START_TEST(test_run_csr_program)
{
    static const uint32_t prog[] = {
        0x3402d073, /* csrrwi x0, mscratch, 5 */
        0x340022f3, /* csrr x5, mscratch */
        0x00000013, /* nop */
        0xb0202373, /* csrr x6, minstret */
        0xc00023f3, /* csrr x7, cycle */
        0x00000073, /* ecall */
    };
    install_handler_loop();
    th->icount = 0;
    Hart *h = test_run_words(tm, prog, 6, 6);
    ck_assert_uint_eq(h->x[5], 5);
    ck_assert_uint_eq(h->x[6], 3); /* exact count before the csrr */
    ck_assert_uint_eq(h->x[7], 4);
    /* ecall does not retire; the handler's jal does. */
    ck_assert_uint_eq(h->icount, 6);
    ck_assert_uint_eq(h->csr.mcause, EXC_ECALL_M);
    ck_assert_uint_eq(h->csr.mepc, 0x80000014ULL);
    ck_assert_uint_eq(h->pc, 0x80000100ULL);
}
END_TEST

START_TEST(test_run_interrupt_after_csr)
{
    static const uint32_t prog[] = {
        0x00000013, /* nop */
        0x30046073, /* csrrsi x0, mstatus, 8 (MIE) */
        0x00000013, /* nop: never reached, the interrupt comes first */
    };
    install_handler_loop();
    th->csr.mie = 1u << IRQ_M_TIMER;
    th->csr.mip = 1u << IRQ_M_TIMER;
    Hart *h = test_run_words(tm, prog, 3, 4);
    ck_assert_uint_eq(h->csr.mcause, CAUSE_INTERRUPT | IRQ_M_TIMER);
    ck_assert_uint_eq(h->csr.mepc, 0x80000008ULL);
    ck_assert_uint_eq(h->pc, 0x80000100ULL);
    ck_assert_uint_eq(h->csr.mstatus & (MSTATUS_MIE | MSTATUS_MPIE),
                      MSTATUS_MPIE);
}
END_TEST

Suite *suite_csr(void)
{
    Suite *s = suite_create("csr");
    TCase *tc = tcase_create("csr");
    tcase_add_checked_fixture(tc, csr_setup, csr_teardown);
    tcase_add_test(tc, test_privilege);
    tcase_add_test(tc, test_read_only);
    tcase_add_test(tc, test_unimplemented);
    tcase_add_test(tc, test_csr_ops);
    tcase_add_test(tc, test_mstatus_warl);
    tcase_add_test(tc, test_sstatus_view);
    tcase_add_test(tc, test_misa);
    tcase_add_test(tc, test_deleg_masks);
    tcase_add_test(tc, test_sie_sip_views);
    tcase_add_test(tc, test_tvec_epc);
    tcase_add_test(tc, test_satp);
    tcase_add_test(tc, test_tlb_effects);
    tcase_add_test(tc, test_counters_gating);
    tcase_add_test(tc, test_counter_writes);
    tcase_add_test(tc, test_fcsr);
    tcase_add_test(tc, test_pmp_csrs);
    suite_add_tcase(s, tc);

    TCase *tt = tcase_create("trap");
    tcase_add_checked_fixture(tt, csr_setup, csr_teardown);
    tcase_add_test(tt, test_trap_delegation);
    tcase_add_test(tt, test_trap_vectored);
    tcase_add_test(tt, test_interrupt_priority);
    tcase_add_test(tt, test_check_interrupts_wfi);
    tcase_add_test(tt, test_mret_sret);
    tcase_add_test(tt, test_xret_illegal);
    tcase_add_test(tt, test_wfi_tw);
    tcase_add_test(tt, test_sfence_tvm);
    tcase_add_test(tt, test_ecall_ebreak);
    tcase_add_test(tt, test_insn_rows);
    suite_add_tcase(s, tt);

    TCase *tr = tcase_create("run");
    tcase_add_checked_fixture(tr, csr_setup, csr_teardown);
    tcase_add_test(tr, test_run_csr_program);
    tcase_add_test(tr, test_run_interrupt_after_csr);
    suite_add_tcase(s, tr);
    return s;
}
