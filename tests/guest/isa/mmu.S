/* Sv39 and Sv48 with page tables built by the test: translated loads,
 * stores and fetches from S-mode, A/D bits set by the hardware, load /
 * store / fetch page faults with their cause and tval, SUM, MXR, U pages
 * from U-mode, megapages and gigapages (and a misaligned megapage),
 * non-canonical addresses, sfence.vma after a PTE change (for data and for
 * code), code rewritten through an alias mapping, MPRV, page faults
 * delegated to S, and the satp WARL behaviour.
 *
 * Memory map while translation is on:
 *   0x80000000  1 GiB gigapage, identity (this program, its stack, HTIF)
 *   0x40000000  4 KiB test pages (see PAGE_* below) onto frames in .bss;
 *               one is remapped to other code, one aliases a code frame
 *   0x40200000  2 MiB megapage onto physical 0x80000000
 *   0x40400000  misaligned megapage (faults)
 *   Sv48 only: 0x8000000000 -> the same table as 0x40000000 */
#include "test.h"

    .option norvc

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)

#define VA_BASE 0x40000000
#define VA(i) (VA_BASE + (i) * 4096)
#define VA_MEGA 0x40200000
#define VA_BADMEGA 0x40400000
#define VA_SV48 0x8000000000

#define SATP_SV39 (8 << 60)
#define SATP_SV48 (9 << 60)

/* table[index] = PTE for the physical address in reg (clobbers t1, t2) */
#define SET_PTE(table, index, reg, flags)           \
    srli t1, reg, 12;                               \
    slli t1, t1, 10;                                \
    ori t1, t1, flags;                              \
    la t2, table;                                   \
    sd t1, (index) * 8(t2)

/* same, target given by a label */
#define SET_PTE_L(table, index, label, flags)       \
    la t3, label;                                   \
    SET_PTE(table, index, t3, flags)

/* S-mode access that must fault into M with cause and tval = address */
#define TEST_S_FAULT(n, cause, addr, ...)           \
    li a1, addr;                                    \
    TEST_TRAP_IN(MPP_S, n, cause, __VA_ARGS__);     \
    li TEST_EXP, addr;                              \
    TEST_FAIL_IF_NE(TRAP_TVAL, TEST_EXP)

/* the PTE of test page i, for A/D checks (into reg) */
#define LOAD_PTE(reg, i) la reg, pt_l0; ld reg, (i) * 8(reg)

TEST_BEGIN
    /* ---- fill the frames so that each page has a recognisable content ---- */
    la a0, frames
    li a1, 0
    li a2, 8 * 512
1:  slli a3, a1, 3
    li a4, 0x1111111100000000
    or a3, a3, a4
    sd a3, 0(a0)
    addi a0, a0, 8
    addi a1, a1, 1
    blt a1, a2, 1b
    /* frame 4: code "li a0, 42; ret" (for the execute-only page) */
    la a0, frame4
    li a1, 0x02a00513
    sw a1, 0(a0)
    li a1, 0x00008067
    sw a1, 4(a0)
    /* frame 8: "li a0, 43; ret" (replaces frame 4 later) */
    la a0, frame8
    li a1, 0x02b00513
    sw a1, 0(a0)
    li a1, 0x00008067
    sw a1, 4(a0)
    /* frame 7: user code "ld a0, 0(a1); ecall" */
    la a0, frame7
    li a1, 0x0005b503
    sw a1, 0(a0)
    li a1, 0x00000073
    sw a1, 4(a0)
    fence.i

    /* ---- page tables ---- */
    li a0, 0x80000000
    SET_PTE(pt_root, 2, a0, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G)
    SET_PTE_L(pt_root, 1, pt_l1, PTE_V)
    SET_PTE_L(pt_l1, 0, pt_l0, PTE_V)
    li a0, 0x80000000
    SET_PTE(pt_l1, 1, a0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    li a0, 0x80001000
    SET_PTE(pt_l1, 2, a0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define PAGE_RW 0
    SET_PTE_L(pt_l0, PAGE_RW, frame0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define PAGE_NOAD 1
    SET_PTE_L(pt_l0, PAGE_NOAD, frame1, PTE_V | PTE_R | PTE_W)
#define PAGE_RO 2
    SET_PTE_L(pt_l0, PAGE_RO, frame2, PTE_V | PTE_R | PTE_A)
#define PAGE_NX 3
    SET_PTE_L(pt_l0, PAGE_NX, frame3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define PAGE_XO 4
    SET_PTE_L(pt_l0, PAGE_XO, frame4, PTE_V | PTE_X | PTE_A)
#define PAGE_USER 5
    SET_PTE_L(pt_l0, PAGE_USER, frame5, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
#define PAGE_INVALID 6
    /* pt_l0[6] stays 0 */
#define PAGE_WNOR 7
    SET_PTE_L(pt_l0, PAGE_WNOR, frame6, PTE_V | PTE_W | PTE_A | PTE_D)
#define PAGE_UCODE 8
    SET_PTE_L(pt_l0, PAGE_UCODE, frame7, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
#define PAGE_NOD 9
    SET_PTE_L(pt_l0, PAGE_NOD, frame1, PTE_V | PTE_R | PTE_W | PTE_A)
    /* pt_l0[10] stays 0 too */
#define PAGE_ALIAS 11
    /* Sv48: root[0] reuses the Sv39 root as its level-2 table */
    SET_PTE_L(pt48_root, 0, pt_root, PTE_V)
    SET_PTE_L(pt48_root, 1, pt48_l2, PTE_V)
    SET_PTE_L(pt48_l2, 0, pt_l1, PTE_V)

    la a0, pt_root
    srli a0, a0, 12
    li a1, SATP_SV39
    or a0, a0, a1
    csrw satp, a0
    sfence.vma
    TEST_CASE(1, a1, 1, csrr a1, satp; srli a1, a1, 60; addi a1, a1, -7)

    /* ---- translated loads and stores from S ---- */
    li TNUM, 2
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_RW)
    ld a0, 16(a1)
    li a2, 0x5555aaaa
    sd a2, 24(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x1111111100000010)
    TEST_CASE(3, a0, 0x5555aaaa, la a1, frame0; ld a0, 24(a1))
    /* M-mode is not translated (satp is ignored there) */
    TEST_CASE(4, a0, 0x1111111100000010, la a1, frame0; ld a0, 16(a1))

    /* ---- A and D set by the hardware ---- */
    TEST_CASE(10, a0, 0, LOAD_PTE(a0, PAGE_NOAD); andi a0, a0, PTE_A | PTE_D)
    li TNUM, 11
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_NOAD)
    ld a0, 0(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x1111111100000000 + 512 * 8)
    TEST_CASE(12, a0, PTE_A, LOAD_PTE(a0, PAGE_NOAD); andi a0, a0, PTE_A | PTE_D)
    li TNUM, 13
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_NOAD)
    sd zero, 8(a1)
    BACK_TO_M
    TEST_CASE(14, a0, PTE_A | PTE_D, LOAD_PTE(a0, PAGE_NOAD); andi a0, a0, PTE_A | PTE_D)
    /* a store to a page with A set but D clear sets D */
    li TNUM, 15
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_NOD)
    sd zero, 16(a1)
    BACK_TO_M
    TEST_CASE(16, a0, PTE_A | PTE_D, LOAD_PTE(a0, PAGE_NOD); andi a0, a0, PTE_A | PTE_D)

    /* ---- page faults ---- */
    TEST_S_FAULT(20, CAUSE_STORE_PAGE, VA(PAGE_RO) + 8, sd a0, 0(a1))
    TEST_CASE(21, a0, 0, la a1, frame2; ld a0, 8(a1); li a2, 0x1111111100000000 + 2 * 4096 + 8; sub a0, a0, a2)
    li TNUM, 22
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_RO)
    ld a0, 8(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x1111111100000000 + 2 * 4096 + 8)
    /* fetch from a page without X: tval and epc are the target */
    TEST_S_FAULT(23, CAUSE_FETCH_PAGE, VA(PAGE_NX) + 0x40, jalr a1)
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    TEST_S_FAULT(24, CAUSE_LOAD_PAGE, VA(PAGE_INVALID) + 0x123, lb a0, 0(a1))
    TEST_S_FAULT(25, CAUSE_STORE_PAGE, VA(PAGE_INVALID) + 0x10, sw a0, 0(a1))
    TEST_S_FAULT(26, CAUSE_FETCH_PAGE, VA(PAGE_INVALID), jalr a1)
    /* W without R is reserved: every access faults */
    TEST_S_FAULT(27, CAUSE_LOAD_PAGE, VA(PAGE_WNOR), ld a0, 0(a1))
    TEST_S_FAULT(28, CAUSE_STORE_PAGE, VA(PAGE_WNOR), sd a0, 0(a1))
    /* AMOs fault as stores, also on a read-only page */
    TEST_S_FAULT(29, CAUSE_STORE_PAGE, VA(PAGE_RO), amoadd.d a0, a0, (a1))
    /* QEMU reports an AMO on an unmapped page as a load page fault (its
     * issue 594): accepted on QEMU only */
    TEST_ON_QEMU(s3)
    li s2, CAUSE_STORE_PAGE
    beqz s3, 1f
    li s2, CAUSE_LOAD_PAGE
1:  li a1, VA(PAGE_INVALID)
    GOTO_MODE(MPP_S)
    TEST_TRAP_ANY(30, amoswap.w a0, a0, (a1))
    TEST_FAIL_IF_NE(TRAP_CAUSE, s2)
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    /* a misaligned access that crosses into an invalid page faults; tval
     * is the access address or the start of the faulting page */
    li a1, VA(PAGE_NOD + 1) - 4
    TEST_TRAP_IN(MPP_S, 31, CAUSE_LOAD_PAGE, ld a0, 0(a1))
    beq TRAP_TVAL, a1, 1f
    li TEST_EXP, VA(PAGE_NOD + 1)
    TEST_FAIL_IF_NE(TRAP_TVAL, TEST_EXP)
1:
    /* nothing mapped below 0x40000000 or in the other gigabytes */
    TEST_S_FAULT(32, CAUSE_LOAD_PAGE, 0x1000, ld a0, 0(a1))
    TEST_S_FAULT(33, CAUSE_LOAD_PAGE, 0xc0000000, ld a0, 0(a1))
    /* non-canonical under Sv39 (bit 39 set, bit 38 clear) */
    TEST_S_FAULT(34, CAUSE_LOAD_PAGE, VA_SV48, ld a0, 0(a1))
    TEST_S_FAULT(35, CAUSE_STORE_PAGE, 0xffff000040000000, sd a0, 0(a1))

    /* ---- execute-only page and MXR ---- */
    li TNUM, 40
    GOTO_MODE(MPP_S)
    li a0, 0
    li a1, VA(PAGE_XO)
    jalr a1                     /* runs "li a0, 42; ret" */
    BACK_TO_M
    CHECK_REG(a0, 42)
    TEST_S_FAULT(41, CAUSE_LOAD_PAGE, VA(PAGE_XO), lw a0, 0(a1))
    li t0, MSTATUS_MXR
    csrs mstatus, t0
    li TNUM, 42
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_XO)
    lw a0, 0(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x02a00513)
    /* MXR does not make the page writable */
    TEST_S_FAULT(43, CAUSE_STORE_PAGE, VA(PAGE_XO), sw a0, 0(a1))
    li t0, MSTATUS_MXR
    csrc mstatus, t0

    /* ---- U pages from S: SUM ---- */
    TEST_S_FAULT(50, CAUSE_LOAD_PAGE, VA(PAGE_USER), ld a0, 0(a1))
    TEST_S_FAULT(51, CAUSE_STORE_PAGE, VA(PAGE_USER), sd a0, 0(a1))
    li t0, MSTATUS_SUM
    csrs mstatus, t0
    li TNUM, 52
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_USER)
    ld a0, 32(a1)
    sd a0, 40(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x1111111100000000 + 5 * 4096 + 32)
    /* S never executes from a U page, SUM or not */
    TEST_S_FAULT(53, CAUSE_FETCH_PAGE, VA(PAGE_UCODE), jalr a1)
    li t0, MSTATUS_SUM
    csrc mstatus, t0

    /* ---- U-mode: runs from a U page, reaches U data, not S data ---- */
    li TNUM, 60
    li a1, VA(PAGE_USER) + 48
    li a0, 0
    la TRAP_RESUME, 1f
    li t0, MSTATUS_MPP
    csrc mstatus, t0            /* MPP = U */
    li t0, VA(PAGE_UCODE)
    csrw mepc, t0
    mret                        /* U: ld a0, 0(a1); ecall */
1:  CHECK_REG(TRAP_CAUSE, CAUSE_ECALL_U)
    CHECK_REG(a0, 0x1111111100000000 + 5 * 4096 + 48)
    li TNUM, 61
    li a1, VA(PAGE_RW)
    la TRAP_RESUME, 1f
    li t0, VA(PAGE_UCODE)
    csrw mepc, t0
    mret                        /* U: ld from an S page: fault */
1:  CHECK_REG(TRAP_CAUSE, CAUSE_LOAD_PAGE)
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    li TEST_EXP, VA(PAGE_UCODE)
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    /* U cannot fetch from an S page (the identity gigapage) */
    li TNUM, 62
    la TRAP_RESUME, 1f
    la t0, 2f
    csrw mepc, t0
    mret
2:  j test_fail
1:  CHECK_REG(TRAP_CAUSE, CAUSE_FETCH_PAGE)
    la TEST_EXP, 2b
    TEST_FAIL_IF_NE(TRAP_TVAL, TEST_EXP)

    /* ---- superpages ---- */
    li TNUM, 70
    la a2, mega_probe
    li a3, 0x80000000
    sub a2, a2, a3
    li a3, VA_MEGA
    add a2, a2, a3              /* VA of mega_probe through the megapage */
    GOTO_MODE(MPP_S)
    ld a0, 0(a2)
    BACK_TO_M
    CHECK_REG(a0, 0x0badcafe12345678)
    TEST_S_FAULT(71, CAUSE_LOAD_PAGE, VA_BADMEGA + 0x10, ld a0, 0(a1))
    TEST_S_FAULT(72, CAUSE_FETCH_PAGE, VA_MEGA, jalr a1)     /* no X */

    /* ---- sfence.vma makes a PTE change visible ---- */
    li TNUM, 80
    SET_PTE_L(pt_l0, PAGE_RW, frame3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    sfence.vma
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_RW)
    ld a0, 16(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x1111111100000000 + 3 * 4096 + 16)
    /* invalidate it and flush just that address from S */
    li TNUM, 81
    la t2, pt_l0
    sd zero, PAGE_RW * 8(t2)
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_RW)
    sfence.vma a1, zero
    TEST_TRAP(81, CAUSE_LOAD_PAGE, ld a0, 0(a1))
    SET_PTE_L(pt_l0, PAGE_RW, frame0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    sfence.vma

    /* ---- code behind a remapped page: the old translation must not be
     * reused after sfence.vma ---- */
    li TNUM, 85
    SET_PTE_L(pt_l0, PAGE_XO, frame8, PTE_V | PTE_X | PTE_A)
    sfence.vma
    GOTO_MODE(MPP_S)
    li a0, 0
    li a1, VA(PAGE_XO)
    jalr a1                     /* frame 8: "li a0, 43; ret" */
    BACK_TO_M
    CHECK_REG(a0, 43)
    /* code rewritten through another virtual address of the same frame */
    li TNUM, 86
    SET_PTE_L(pt_l0, PAGE_ALIAS, frame8, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    sfence.vma
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_ALIAS)
    li a2, 0x02c00513           /* li a0, 44 */
    sw a2, 0(a1)
    fence.i
    li a1, VA(PAGE_XO)
    jalr a1
    BACK_TO_M
    CHECK_REG(a0, 44)
    /* and back to frame 4 */
    li TNUM, 87
    SET_PTE_L(pt_l0, PAGE_XO, frame4, PTE_V | PTE_X | PTE_A)
    sfence.vma
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_XO)
    jalr a1
    BACK_TO_M
    CHECK_REG(a0, 42)

    /* ---- MPRV: M-mode loads and stores translated as S ---- */
    li TNUM, 90
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MPP_S | MSTATUS_MPRV
    csrs mstatus, t0
    li a1, VA(PAGE_RW)
    ld a0, 16(a1)
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    CHECK_REG(a0, 0x1111111100000010)
    /* fetches are not affected by MPRV; a fault under MPRV is a page fault */
    li TNUM, 91
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MPP_S | MSTATUS_MPRV
    csrs mstatus, t0
    li a1, VA(PAGE_INVALID)
    la TRAP_RESUME, 1f
    ld a0, 0(a1)
    j test_fail
1:  li t0, MSTATUS_MPRV
    csrc mstatus, t0
    CHECK_REG(TRAP_CAUSE, CAUSE_LOAD_PAGE)
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)

    /* ---- page faults delegated to S ---- */
    li t0, (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE) | (1 << CAUSE_FETCH_PAGE)
    csrw medeleg, t0
    li TNUM, 100
    GOTO_MODE(MPP_S)
    li a1, VA(PAGE_INVALID) + 8
    la TRAP_RESUME, 1f
    ld a0, 0(a1)
    j test_fail
1:  CHECK_REG(TRAP_CAUSE, CAUSE_LOAD_PAGE)
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    li TNUM, 101
    li a1, VA(PAGE_RO)
    la TRAP_RESUME, 1f
    sb a0, 0(a1)
    j test_fail
1:  CHECK_REG(TRAP_CAUSE, CAUSE_STORE_PAGE)
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    BACK_TO_M
    csrw medeleg, zero

    /* ---- satp: an unsupported mode leaves it unchanged ---- */
    li TNUM, 110
    csrr a2, satp
    li a0, (7 << 60) | 0x1234
    csrw satp, a0
    csrr a0, satp
    TEST_FAIL_IF_NE(a0, a2)

    /* ---- Sv48 ---- */
    li TNUM, 120
    la a0, pt48_root
    srli a0, a0, 12
    li a1, SATP_SV48
    or a0, a0, a1
    csrw satp, a0
    sfence.vma
    csrr a2, satp
    TEST_FAIL_IF_NE(a0, a2)
    li TNUM, 121
    GOTO_MODE(MPP_S)
    li a1, VA_SV48 + VA(PAGE_RW) - VA_BASE
    ld a0, 16(a1)
    li a1, VA(PAGE_RW)          /* still reachable through root[0] */
    ld a2, 16(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x1111111100000010)
    CHECK_REG(a2, 0x1111111100000010)
    li TNUM, 122
    GOTO_MODE(MPP_S)
    li a1, VA_SV48 + VA(PAGE_NOD) - VA_BASE
    ld a0, 0(a1)
    BACK_TO_M
    CHECK_REG(a0, 0x1111111100000000 + 512 * 8)
    TEST_S_FAULT(123, CAUSE_LOAD_PAGE, VA_SV48 + VA(PAGE_INVALID) - VA_BASE, ld a0, 0(a1))
    TEST_S_FAULT(124, CAUSE_STORE_PAGE, VA_SV48 + VA(PAGE_RO) - VA_BASE, sd a0, 0(a1))
    /* bit 47 set without sign extension: non-canonical for Sv48 */
    TEST_S_FAULT(125, CAUSE_LOAD_PAGE, 0x0000800000000000, ld a0, 0(a1))
    /* nothing at root[2..511] */
    TEST_S_FAULT(126, CAUSE_LOAD_PAGE, 0x0000010000000000, ld a0, 0(a1))

    csrw satp, zero
    sfence.vma
TEST_END

    .data
    .align 3
mega_probe:
    .dword 0x0badcafe12345678

    .bss
    .align 12
pt_root:    .skip 4096
pt_l1:      .skip 4096
pt_l0:      .skip 4096
pt48_root:  .skip 4096
pt48_l2:    .skip 4096
frames:
frame0:     .skip 4096
frame1:     .skip 4096
frame2:     .skip 4096
frame3:     .skip 4096
frame4:     .skip 4096
frame5:     .skip 4096
frame6:     .skip 4096
frame7:     .skip 4096
frame8:     .skip 4096
