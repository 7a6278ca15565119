/* Physical memory protection: a TOR region and NAPOT regions checked for
 * S- and U-mode loads, stores and fetches (access faults with mtval =
 * address), priority of the lowest-numbered matching entry, M-mode
 * ignoring unlocked entries but honouring locked ones (also under MPRV),
 * and locked entries ignoring writes.
 * Entry 15 is the catch-all that lets S/U reach the rest of memory. */
#include "test.h"

    .option norvc

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_TOR 0x08
#define PMP_NA4 0x10
#define PMP_NAPOT 0x18
#define PMP_L 0x80

/* an access from mode that must fault with cause, tval = a1 */
#define TEST_FAULT(n, mpp, cause, ...)              \
    TEST_TRAP_IN(mpp, n, cause, __VA_ARGS__);       \
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)

/* pmpcfg0 holds entries 0-7, pmpcfg2 entries 8-15 (RV64) */
#define TEST_TRAP_TVAL_A1 TEST_FAIL_IF_NE(TRAP_TVAL, a1)
#define SET_CFG0(value) li t0, value; csrw pmpcfg0, t0; sfence.vma

TEST_BEGIN
    /* move the catch-all from entry 0 (crt.S) to entry 15 */
    li t0, -1
    csrw pmpaddr15, t0
    li t0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56
    csrw pmpcfg2, t0
    csrw pmpcfg0, zero
    sfence.vma
    TEST_CASE(1, a0, 0x1f00000000000000, csrr a0, pmpcfg2)

    /* region pages: R0 = pmp_region, R1 = +4K, R2 = +8K */
    la s2, pmp_region
    li t1, 4096
    add s3, s2, t1
    add s4, s3, t1
    /* code "li a0, 7; ret" at the start of R1 */
    li t1, 0x00700513
    sw t1, 0(s3)
    li t1, 0x00008067
    sw t1, 4(s3)
    li t1, 0x1234
    sd t1, 8(s2)
    fence.i

    /* ---- TOR: entries 0 (base, off) and 1 (top, TOR) over R0, read-only ---- */
    srli t1, s2, 2
    csrw pmpaddr0, t1
    srli t1, s3, 2
    csrw pmpaddr1, t1
    SET_CFG0(PMP_TOR << 8 | PMP_R << 8)
    TEST_CASE(10, a0, PMP_TOR << 8 | PMP_R << 8, csrr a0, pmpcfg0)
    li TNUM, 11
    GOTO_MODE(MPP_S)
    ld a0, 8(s2)
    BACK_TO_M
    CHECK_REG(a0, 0x1234)
    addi a1, s2, 16
    TEST_FAULT(12, MPP_S, CAUSE_STORE_ACCESS, sd a0, 0(a1))
    TEST_FAULT(13, MPP_U, CAUSE_STORE_ACCESS, sw a0, 0(a1))
    TEST_FAULT(14, MPP_S, CAUSE_STORE_ACCESS, amoadd.d a0, a0, (a1))
    mv a1, s2
    TEST_FAULT(15, MPP_S, CAUSE_FETCH_ACCESS, jalr a1)
    /* last byte inside, first byte outside */
    addi a1, s3, -1
    TEST_FAULT(16, MPP_U, CAUSE_STORE_ACCESS, sb a0, 0(a1))
    li TNUM, 17
    GOTO_MODE(MPP_S)
    sb zero, 64(s3)             /* R1 is not in the TOR region */
    addi t1, s2, -8
    sd zero, 0(t1)              /* below R0 neither */
    BACK_TO_M
    /* M-mode ignores unlocked entries */
    TEST_NO_TRAP(18, sd zero, 16(s2))
    /* ... unless MPRV makes its data accesses S-mode ones */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MPP_S | MSTATUS_MPRV
    csrs mstatus, t0
    addi a1, s2, 24
    TEST_TRAP(19, CAUSE_STORE_ACCESS, sd zero, 0(a1))
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)

    /* ---- NAPOT 4 KiB over R1, execute only ---- */
    SET_CFG0(0)
    srli t1, s3, 2
    ori t1, t1, (4096 / 8) - 1
    csrw pmpaddr2, t1
    SET_CFG0((PMP_NAPOT | PMP_X) << 16)
    li TNUM, 20
    GOTO_MODE(MPP_S)
    li a0, 0
    jalr s3                     /* li a0, 7; ret */
    BACK_TO_M
    CHECK_REG(a0, 7)
    mv a1, s3
    TEST_FAULT(21, MPP_S, CAUSE_LOAD_ACCESS, lw a0, 0(a1))
    addi a1, s4, -1
    TEST_FAULT(22, MPP_U, CAUSE_LOAD_ACCESS, lbu a0, 0(a1))
    TEST_FAULT(23, MPP_S, CAUSE_STORE_ACCESS, sb a0, 0(a1))
    /* MXR does not matter to PMP */
    li t0, MSTATUS_MXR
    csrs mstatus, t0
    mv a1, s3
    TEST_FAULT(24, MPP_S, CAUSE_LOAD_ACCESS, lw a0, 0(a1))
    li t0, MSTATUS_MXR
    csrc mstatus, t0

    /* ---- NAPOT 8 KiB over R1+R2 with no permission at all, and a
     * lower-numbered NAPOT entry granting RW on R2: entry 2 wins on R2,
     * entry 3 denies the rest ---- */
    SET_CFG0(0)
    srli t1, s4, 2
    ori t1, t1, (4096 / 8) - 1
    csrw pmpaddr2, t1
    srli t1, s3, 2
    ori t1, t1, (8192 / 8) - 1
    csrw pmpaddr3, t1
    SET_CFG0(((PMP_NAPOT | PMP_R | PMP_W) << 16) | (PMP_NAPOT << 24))
    li TNUM, 30
    GOTO_MODE(MPP_S)
    sd zero, 0(s4)
    li t1, 4088
    add t1, s4, t1
    ld a0, 0(t1)
    BACK_TO_M
    mv a1, s3
    TEST_FAULT(31, MPP_S, CAUSE_LOAD_ACCESS, ld a0, 0(a1))
    TEST_FAULT(32, MPP_U, CAUSE_FETCH_ACCESS, jalr a1)
    /* an access that straddles R1/R2 is not fully inside one entry */
    addi a1, s4, -4
    TEST_FAULT(33, MPP_S, CAUSE_LOAD_ACCESS, ld a0, 0(a1))
    /* with the lower entry removed, R2 is denied too */
    SET_CFG0(PMP_NAPOT << 24)
    mv a1, s4
    TEST_FAULT(34, MPP_S, CAUSE_STORE_ACCESS, sd a0, 0(a1))
    /* NA4 over one word of R0 (read-only), the rest of R0 open via 15 */
    SET_CFG0(0)
    addi t1, s2, 8
    srli t1, t1, 2
    csrw pmpaddr0, t1
    SET_CFG0(PMP_NA4 | PMP_R)
    addi a1, s2, 8
    TEST_FAULT(35, MPP_S, CAUSE_STORE_ACCESS, sw a0, 0(a1))
    li TNUM, 36
    GOTO_MODE(MPP_S)
    sw zero, 12(s2)
    lw a0, 8(s2)
    BACK_TO_M
    CHECK_REG(a0, 0x1234)

    /* ---- locked entries: M-mode is checked too, writes are ignored ---- */
    SET_CFG0(0)
    srli t1, s3, 2
    ori t1, t1, (4096 / 8) - 1
    csrw pmpaddr4, t1
    li t0, (PMP_L | PMP_NAPOT | PMP_R) << 32
    csrw pmpcfg0, t0
    sfence.vma
    TEST_NO_TRAP(40, ld a0, 0(s3))
    mv a1, s3
    TEST_TRAP(41, CAUSE_STORE_ACCESS, sd zero, 0(a1))
    TEST_TRAP_TVAL_A1
    TEST_TRAP(42, CAUSE_FETCH_ACCESS, jalr a1)
    TEST_TRAP_TVAL_A1
    /* the lock makes pmpcfg4 and pmpaddr4 read-only */
    li TNUM, 43
    csrr a2, pmpaddr4
    li t1, 0
    csrw pmpaddr4, t1
    csrr a0, pmpaddr4
    TEST_FAIL_IF_NE(a0, a2)
    li TNUM, 44
    csrw pmpcfg0, zero
    csrr a0, pmpcfg0
    CHECK_REG(a0, (PMP_L | PMP_NAPOT | PMP_R) << 32)
    /* S is still denied the write as well */
    TEST_FAULT(45, MPP_S, CAUSE_STORE_ACCESS, sw a0, 0(a1))

TEST_END

    .bss
    .align 13
    .skip 4096
pmp_region:
    .skip 3 * 4096
