/* Svnapot, Svpbmt and Svinval, through M-mode loads translated as S
 * (mstatus.MPRV with MPP = S) on an Sv39 table built here:
 *   0x80000000  gigapage, identity (this program, HTIF)
 *   0x40000000  4 KiB pages (pt_l0) onto frames of .bss
 * Svnapot: a NAPOT PTE (N, ppn[3:0] = 1000) maps the 4 KiB page of the
 * 64 KiB region that the address selects; other N encodings fault.
 * Svpbmt: PBMT 1 and 2 translate once menvcfg.PBMTE is set, fault while
 * it is clear; PBMT 3 faults. Svinval: sinval.vma between the two fences
 * makes a changed PTE seen.
 *
 * run-isa rewind: -cpu rv64,svnapot=on,svpbmt=on,svinval=on
 * run-isa qemu: -cpu rv64,svnapot=on,svpbmt=on,svinval=on
 */
#include "test.h"

    .option norvc
    .option arch, +svinval

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define PTE_RWAD (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define SATP_SV39 (8 << 60)
#define VA(i) (0x40000000 + (i) * 4096)
#define CSR_MENVCFG 0x30a

/* pt_l0[index] = a leaf onto the frame at label + 4096 * frame, with the
 * extra high bits in t4 (N, PBMT) and low ppn bits in t5 (clobbers t1-t3) */
#define SET_LEAF(index, label, frame)               \
    la t3, label;                                   \
    li t1, (frame) * 4096;                          \
    add t3, t3, t1;                                 \
    srli t1, t3, 12;                                \
    or t1, t1, t5;                                  \
    slli t1, t1, 10;                                \
    ori t1, t1, PTE_RWAD;                           \
    or t1, t1, t4;                                  \
    la t2, pt_l0;                                   \
    sd t1, (index) * 8(t2)

/* Loads and stores as S from here (MPRV, MPP = S); a trap into M ends
 * it (MPP becomes M). */
#define XLATE_ON                                    \
    li t0, MSTATUS_MPP;                             \
    csrc mstatus, t0;                               \
    li t0, (1 << 11) | MSTATUS_MPRV;                \
    csrs mstatus, t0
#define XLATE_OFF li t0, MSTATUS_MPRV; csrc mstatus, t0

/* Load from VA(page) as S into a0 and check it */
#define CHECK_LOAD(n, page, expected)               \
    li TNUM, n;                                     \
    XLATE_ON;                                       \
    li a1, VA(page);                                \
    ld a0, 0(a1);                                   \
    XLATE_OFF;                                      \
    li TEST_EXP, expected;                          \
    TEST_FAIL_IF_NE(a0, TEST_EXP)
#define CHECK_FAULT(n, page)                        \
    XLATE_ON;                                       \
    li a1, VA(page);                                \
    TEST_TRAP(n, CAUSE_LOAD_PAGE, ld a0, 0(a1));    \
    XLATE_OFF

TEST_BEGIN
    /* every frame holds its number in its first doubleword */
    la t0, frames
    li t1, 0
    li t2, 32
1:  sd t1, 0(t0)
    li t3, 4096
    add t0, t0, t3
    addi t1, t1, 1
    bltu t1, t2, 1b
    /* root: the identity gigapage and the table of 0x40000000 */
    la t0, pt_root
    li t1, (0x80000000 >> 12) << 10 | PTE_RWAD | PTE_X
    sd t1, 2 * 8(t0)
    la t1, pt_l1
    srli t1, t1, 12
    slli t1, t1, 10
    ori t1, t1, PTE_V
    sd t1, 1 * 8(t0)
    la t0, pt_l1
    la t1, pt_l0
    srli t1, t1, 12
    slli t1, t1, 10
    ori t1, t1, PTE_V
    sd t1, 0(t0)
    la t0, pt_root
    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    csrw satp, t0
    sfence.vma

    /* ---- Svnapot ---- */
    /* a plain page, to begin with */
    li t4, 0
    li t5, 0
    SET_LEAF(0, frames, 3)
    CHECK_LOAD(1, 0, 3)
    /* NAPOT at pt_l0[16 + 5]: the 64 KiB region is frames 16..31 (64 KiB
     * aligned); VA(21) selects its frame 5, whatever ppn[3:0] says */
    li t4, 1
    slli t4, t4, 63
    li t5, 8
    SET_LEAF(21, napot, 0)
    sfence.vma
    CHECK_LOAD(2, 21, 21)
    /* the same PTE at pt_l0[16 + 12] gives frame 12 of the region */
    SET_LEAF(28, napot, 0)
    sfence.vma
    CHECK_LOAD(3, 28, 28)
    /* N with ppn[3:0] = 0100 (a 32 KiB NAPOT, reserved): page fault */
    li t5, 4
    SET_LEAF(22, napot, 0)
    sfence.vma
    CHECK_FAULT(4, 22)
    /* N on a megapage: reserved */
    la t0, pt_l1
    li t1, 1
    slli t1, t1, 63
    li t2, (0x80000000 >> 12) << 10 | PTE_RWAD | (8 << 10)
    or t1, t1, t2
    sd t1, 1 * 8(t0)
    sfence.vma
    li TNUM, 5
    XLATE_ON
    li a1, 0x40200000
    TEST_TRAP(5, CAUSE_LOAD_PAGE, ld a0, 0(a1))
    XLATE_OFF

    /* ---- Svpbmt ---- */
    li t0, 1
    slli t0, t0, 62
    csrc CSR_MENVCFG, t0
    li t5, 0
    li t4, 1                    /* PBMT = 1 (NC) */
    slli t4, t4, 61
    SET_LEAF(1, frames, 6)
    li t4, 2                    /* PBMT = 2 (IO) */
    slli t4, t4, 61
    SET_LEAF(2, frames, 7)
    li t4, 3                    /* PBMT = 3: reserved */
    slli t4, t4, 61
    SET_LEAF(3, frames, 8)
    sfence.vma
    /* menvcfg.PBMTE is writable */
    TEST_CASE(10, a0, 1, li t0, 1; slli t0, t0, 62; csrs CSR_MENVCFG, t0; csrr a0, CSR_MENVCFG; srli a0, a0, 62; andi a0, a0, 1)
    sfence.vma
    CHECK_LOAD(11, 1, 6)
    CHECK_LOAD(12, 2, 7)
    /* PBMT 3 is reserved: a page fault (QEMU 7.2 translates it:
     * accepted there) */
    TEST_ON_QEMU(s3)
    bnez s3, 19f
    CHECK_FAULT(13, 3)
19:
    /* PBMTE clear: PBMT is reserved again (QEMU 7.2 does not check
     * PBMTE: accepted there) */
    li t0, 1
    slli t0, t0, 62
    csrc CSR_MENVCFG, t0
    sfence.vma
    TEST_ON_QEMU(s3)
    bnez s3, 20f
    CHECK_FAULT(14, 1)
20:
    li t0, 1
    slli t0, t0, 62
    csrs CSR_MENVCFG, t0

    /* ---- Svinval ---- */
    li t4, 0
    li t5, 0
    SET_LEAF(4, frames, 9)
    sfence.vma
    CHECK_LOAD(30, 4, 9)
    SET_LEAF(4, frames, 10)
    sfence.w.inval
    li a1, VA(4)
    sinval.vma a1, zero
    sfence.inval.ir
    CHECK_LOAD(31, 4, 10)

    csrw satp, zero
    sfence.vma
TEST_END

    .bss
    .align 16                   /* 64 KiB */
frames:     .skip 16 * 4096     /* frames 0..15 */
napot:      .skip 16 * 4096     /* frames 16..31: a 64 KiB aligned region */
pt_root:    .skip 4096
pt_l1:      .skip 4096
pt_l0:      .skip 4096
