/* Traps and privilege: ecall from M/S/U, illegal instructions with
 * mtval = the encoding, ebreak, access faults, medeleg delegation to
 * S-mode (scause/sepc/stval, SPP/SPIE), mret/sret into lower modes and the
 * mstatus fields they update, CSR privilege checks from S and U, the
 * sstatus view, and the TSR/TW/TVM traps. */
#include "test.h"

    .option norvc

TEST_BEGIN
    /* ---- ecall from each mode, not delegated ---- */
    TEST_TRAP(1, CAUSE_ECALL_M, ecall_m: ecall)
    TEST_TRAP_EPC_LABEL(ecall_m)
    TEST_TRAP_TVAL(0)
    li TNUM, 2
    TEST_TRAP_IN(MPP_S, 2, CAUSE_ECALL_S, ecall_s: ecall)
    TEST_TRAP_EPC_LABEL(ecall_s)
    /* the trap recorded the previous mode in MPP */
    TEST_CASE(3, a0, MPP_S, li a1, MSTATUS_MPP; and a0, TRAP_STATUS, a1)
    TEST_TRAP_IN(MPP_U, 4, CAUSE_ECALL_U, ecall_u: ecall)
    TEST_TRAP_EPC_LABEL(ecall_u)
    TEST_CASE(5, a0, MPP_U, li a1, MSTATUS_MPP; and a0, TRAP_STATUS, a1)

    /* ---- illegal instructions: mtval holds the encoding ---- */
    TEST_TRAP(10, CAUSE_ILLEGAL, ill_1: .word 0x1234500b)   /* custom-0 */
    TEST_TRAP_TVAL(0x1234500b)
    TEST_TRAP_EPC_LABEL(ill_1)
    TEST_TRAP(11, CAUSE_ILLEGAL, .word 0x00000000)
    TEST_TRAP(12, CAUSE_ILLEGAL, csrr a0, 0x5c0)             /* no such CSR */
    TEST_TRAP_TVAL(0x5c002573)
    TEST_TRAP(13, CAUSE_ILLEGAL, csrw mvendorid, a0)         /* read-only CSR */
    TEST_TRAP_TVAL(0xf1151073)
    TEST_TRAP(14, CAUSE_ILLEGAL, csrrs a0, marchid, a1)      /* write attempt, a1 != x0 */
    /* csrrs/csrrc with x0 and csrrsi with 0 do not write: no trap */
    TEST_NO_TRAP(15, csrrs a0, mvendorid, zero; csrrc a0, marchid, zero; csrrsi a0, mimpid, 0)
    TEST_TRAP(16, CAUSE_ILLEGAL, csrrwi a0, mhartid, 0)      /* csrrw always writes */
    TEST_TRAP(17, CAUSE_ILLEGAL, .word 0xfe000033 | (7 << 12)) /* reserved funct7 on and */
    TEST_TRAP(18, CAUSE_ILLEGAL, .word 0x0200003b | (7 << 12) | (1 << 29)) /* not an M insn */

    /* ---- ebreak ---- */
    TEST_TRAP(20, CAUSE_BREAKPOINT, ebreak_m: ebreak)
    TEST_TRAP_EPC_LABEL(ebreak_m)
    TEST_TRAP_IN(MPP_U, 21, CAUSE_BREAKPOINT, ebreak)

    /* ---- access faults on unmapped physical addresses ---- */
    li a1, 0x50000000
    TEST_TRAP(25, CAUSE_LOAD_ACCESS, lw a0, 0(a1))
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    TEST_TRAP(26, CAUSE_STORE_ACCESS, sd a0, 0(a1))
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    TEST_TRAP(27, CAUSE_FETCH_ACCESS, jalr a1)
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    TEST_FAIL_IF_NE(TRAP_EPC, a1)

    /* ---- a faulting instruction in the middle of straight-line code:
     * what came before it is done (register and memory), what follows
     * is not, and its destination is untouched ---- */
    li TNUM, 28
    li a0, 5
    li a1, 0x50000000
    la a3, scratch
    sd zero, 0(a3)
    li a2, 77
    la TRAP_RESUME, 1f
    addi a0, a0, 1
    sd a2, 0(a3)
    ld a2, 0(a1)
    addi a0, a0, 100
    sd zero, 0(a3)
    j test_fail
1:  CHECK_REG(a0, 6)
    CHECK_REG(a2, 77)
    ld a4, 0(a3)
    CHECK_REG(a4, 77)
    CHECK_REG(TRAP_CAUSE, CAUSE_LOAD_ACCESS)
    /* same with an illegal instruction after a store */
    li TNUM, 29
    la TRAP_RESUME, 1f
    addi a0, a0, 1
    sd a0, 0(a3)
    .word 0
    addi a0, a0, 100
    j test_fail
1:  CHECK_REG(a0, 7)
    ld a4, 0(a3)
    CHECK_REG(a4, 7)

    /* ---- mepc/sepc bit 0 is always zero (C is on). QEMU keeps the bit
     * as written (it only matters on xRET there): skipped on QEMU. ---- */
    TEST_ON_QEMU(s3)
    bnez s3, 1f
    TEST_CASE(30, a0, 0x80000002, li a1, 0x80000003; csrw mepc, a1; csrr a0, mepc)
    TEST_CASE(31, a0, 0x80000006, li a1, 0x80000007; csrw sepc, a1; csrr a0, sepc)
1:
    /* scratch registers hold any value */
    TEST_CASE(32, a0, 0x0123456789abcdef, li a1, 0x0123456789abcdef; csrw mscratch, a1; csrr a0, mscratch)
    TEST_CASE(33, a0, 0xfedcba9876543210, li a1, 0xfedcba9876543210; csrw sscratch, a1; csrr a0, sscratch)
    TEST_CASE(34, a0, 0x0123456789abcdef, li a1, 0; csrrw a0, mscratch, a1)
    TEST_CASE(35, a0, 0xf0, li a1, 0xf0; csrrs a0, mscratch, a1; csrrc a0, mscratch, a1; csrr a0, mscratch; addi a0, a0, 0xf0)

    /* ---- mret and sret: modes and mstatus updates ---- */
    /* mret (here back to M): MIE <- MPIE, MPIE <- 1, MPP <- U */
    li TNUM, 40
    li t0, MSTATUS_MPIE
    csrc mstatus, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    GOTO_MODE(MSTATUS_MPP)
    csrr a0, mstatus
    li a1, MSTATUS_MPP
    and a1, a0, a1
    CHECK_REG(a1, 0)
    li a1, MSTATUS_MPIE | MSTATUS_MIE
    and a1, a0, a1
    CHECK_REG(a1, MSTATUS_MPIE)
    /* mret to S: S can read sstatus but not mstatus */
    li TNUM, 41
    GOTO_MODE(MPP_S)
    csrr a0, sstatus
    TEST_TRAP(41, CAUSE_ILLEGAL, csrr a0, mstatus)      /* back in M */
    TEST_CASE(42, a0, MPP_S, li a1, MSTATUS_MPP; and a0, TRAP_STATUS, a1)
    /* trap entry: MPIE <- MIE, MIE <- 0 (MIE in U comes from MPIE) */
    li t0, MSTATUS_MPIE
    csrs mstatus, t0
    TEST_TRAP_IN(MPP_U, 43, CAUSE_ECALL_U, ecall)
    TEST_CASE(44, a0, MSTATUS_MPIE, li a1, MSTATUS_MPIE | MSTATUS_MIE; and a0, TRAP_STATUS, a1)
    li t0, MSTATUS_MPIE
    csrc mstatus, t0
    TEST_TRAP_IN(MPP_U, 43, CAUSE_ECALL_U, ecall)
    TEST_CASE(44, a0, 0, li a1, MSTATUS_MPIE | MSTATUS_MIE; and a0, TRAP_STATUS, a1)
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    /* mret to M keeps M and leaves MPRV alone */
    TEST_CASE(45, a0, 0, li t0, MSTATUS_MPRV; csrc mstatus, t0; GOTO_MODE(MSTATUS_MPP); csrr a0, mscratch; csrr a0, mstatus; li a1, MSTATUS_MPRV; and a0, a0, a1)
    /* mret to a lower mode clears MPRV (privileged spec 1.12; QEMU 7.2
     * does not yet: skipped there) */
    bnez s3, 1f
    TEST_CASE(46, a0, 0, li t0, MSTATUS_MPRV; csrs mstatus, t0; GOTO_MODE(MPP_S); BACK_TO_M; csrr a0, mstatus; li a1, MSTATUS_MPRV; and a0, a0, a1)
1:  li t0, MSTATUS_MPRV
    csrc mstatus, t0
    /* sret from S to U: SPP <- U, SIE <- SPIE, SPIE <- 1 */
    li TNUM, 47
    GOTO_MODE(MPP_S)
    li t0, MSTATUS_SPIE | MSTATUS_SIE
    csrc sstatus, t0
    S_GOTO_U
    TEST_TRAP(47, CAUSE_ILLEGAL, csrr a0, sstatus)       /* U cannot read sstatus */
    TEST_CASE(48, a0, MSTATUS_SPIE, csrr a0, mstatus; li a1, MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP; and a0, a0, a1)
    /* sret with SPP=S stays in S */
    li TNUM, 49
    GOTO_MODE(MPP_S)
    li t0, MSTATUS_SPP
    csrs sstatus, t0
    la t0, 1f
    csrw sepc, t0
    sret
1:  csrr a0, sstatus            /* would trap in U */
    li a1, MSTATUS_SPP
    and a0, a0, a1
    TEST_FAIL_IF_NE(a0, zero)   /* SPP cleared to U by sret */
    BACK_TO_M
    TEST_CASE(50, a0, MPP_S, li a1, MSTATUS_MPP; and a0, TRAP_STATUS, a1)

    /* ---- xRET and other privileged instructions from lower modes ---- */
    TEST_TRAP_IN(MPP_S, 55, CAUSE_ILLEGAL, mret_s: mret)
    TEST_TRAP_TVAL(0x30200073)
    TEST_TRAP_IN(MPP_U, 56, CAUSE_ILLEGAL, mret)
    TEST_TRAP_IN(MPP_U, 57, CAUSE_ILLEGAL, sret)
    TEST_TRAP_TVAL(0x10200073)
    TEST_TRAP_IN(MPP_U, 58, CAUSE_ILLEGAL, sfence.vma)
    TEST_TRAP_IN(MPP_U, 59, CAUSE_ILLEGAL, wfi)

    /* ---- CSR privilege: the CSR number decides ---- */
    TEST_TRAP_IN(MPP_U, 60, CAUSE_ILLEGAL, csrr a0, sscratch)
    TEST_TRAP_IN(MPP_U, 61, CAUSE_ILLEGAL, csrr a0, mscratch)
    TEST_TRAP_IN(MPP_U, 62, CAUSE_ILLEGAL, csrw satp, zero)
    TEST_TRAP_IN(MPP_U, 63, CAUSE_ILLEGAL, csrr a0, mhartid)
    TEST_TRAP_IN(MPP_S, 64, CAUSE_ILLEGAL, csrr a0, mscratch)
    TEST_TRAP_IN(MPP_S, 65, CAUSE_ILLEGAL, csrr a0, mhartid)
    TEST_TRAP_IN(MPP_S, 66, CAUSE_ILLEGAL, csrw medeleg, zero)
    TEST_TRAP_IN(MPP_S, 67, CAUSE_ILLEGAL, csrr a0, pmpcfg0)
    /* S-mode reaches its own CSRs */
    li TNUM, 68
    GOTO_MODE(MPP_S)
    li a1, 0x5a5a
    csrw sscratch, a1
    csrr a0, sscratch
    csrr a2, stvec
    csrr a2, scause
    csrr a2, satp
    BACK_TO_M
    CHECK_REG(a0, 0x5a5a)
    /* fcsr is reachable from U */
    li TNUM, 69
    GOTO_MODE(MPP_U)
    csrwi fflags, 3
    frflags a0
    csrwi fflags, 0
    BACK_TO_M
    CHECK_REG(a0, 3)

    /* ---- sstatus is a restricted view of mstatus ---- */
    TEST_CASE(70, a0, 0, li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TSR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_MPRV; csrs sstatus, a1; csrr a0, sstatus; and a0, a0, a1)
    TEST_CASE(71, a0, 0, csrr a2, mstatus; csrs sstatus, a1; csrc sstatus, a1; csrr a0, mstatus; xor a0, a0, a2)
    TEST_CASE(72, a0, MSTATUS_SUM | MSTATUS_MXR | MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, li a1, MSTATUS_SUM | MSTATUS_MXR | MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE; csrs sstatus, a1; csrr a0, mstatus; and a0, a0, a1)
    TEST_CASE(73, a0, 0, csrc sstatus, a1; csrr a0, mstatus; and a0, a0, a1)

    /* ---- delegation of exceptions to S-mode ---- */
    li a0, (1 << CAUSE_ECALL_U) | (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_LOAD_ACCESS)
    csrw medeleg, a0
    /* U-mode ecall goes to S: scause, sepc, stval; SPP = U */
    li TNUM, 80
    GOTO_MODE(MPP_S)
    S_GOTO_U
    la TRAP_RESUME, 1f
deleg_ecall:
    ecall
    j test_fail
1:  /* now in S, caught by rt_catch_s */
    CHECK_REG(TRAP_CAUSE, CAUSE_ECALL_U)
    la TEST_EXP, deleg_ecall
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    CHECK_REG(TRAP_TVAL, 0)
    li TNUM, 81
    csrr a0, sstatus            /* proves S-mode */
    li a1, MSTATUS_SPP
    and a0, TRAP_STATUS, a1
    TEST_FAIL_IF_NE(a0, zero)
    /* an illegal instruction in U: stval = encoding */
    li TNUM, 82
    S_GOTO_U
    la TRAP_RESUME, 1f
deleg_ill:
    csrr a0, sstatus
    j test_fail
1:  CHECK_REG(TRAP_CAUSE, CAUSE_ILLEGAL)
    CHECK_REG(TRAP_TVAL, 0x10002573)
    la TEST_EXP, deleg_ill
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    /* a delegated trap taken from S: SPP = S */
    li TNUM, 83
    la TRAP_RESUME, 1f
deleg_brk:
    ebreak
    j test_fail
1:  CHECK_REG(TRAP_CAUSE, CAUSE_BREAKPOINT)
    la TEST_EXP, deleg_brk
    TEST_FAIL_IF_NE(TRAP_EPC, TEST_EXP)
    li TNUM, 84
    li a1, MSTATUS_SPP
    and a0, TRAP_STATUS, a1
    CHECK_REG(a0, MSTATUS_SPP)
    /* delegated access fault: stval = address */
    li TNUM, 85
    li a1, 0x50000000
    la TRAP_RESUME, 1f
    ld a0, 0(a1)
    j test_fail
1:  CHECK_REG(TRAP_CAUSE, CAUSE_LOAD_ACCESS)
    TEST_FAIL_IF_NE(TRAP_TVAL, a1)
    /* an exception that is not delegated still goes to M (store fault) */
    li TNUM, 86
    la TRAP_RESUME, 1f
    sd a0, 0(a1)
    j test_fail
1:  CHECK_REG(TRAP_CAUSE, CAUSE_STORE_ACCESS)
    /* back in M: mcause holds the last M trap, scause the S one */
    TEST_CASE(87, a0, CAUSE_STORE_ACCESS, csrr a0, mcause)
    TEST_CASE(88, a0, CAUSE_LOAD_ACCESS, csrr a0, scause)
    TEST_CASE(89, a0, 0x50000000, csrr a0, stval)
    /* ecall from S is not delegated: reaches M */
    li TNUM, 90
    TEST_TRAP_IN(MPP_S, 90, CAUSE_ECALL_S, ecall)
    /* traps taken in M are never delegated, even if the bit is set */
    TEST_TRAP(91, CAUSE_ILLEGAL, csrr a0, 0x5c0)
    TEST_TRAP(92, CAUSE_BREAKPOINT, ebreak)
    /* delegated trap entry clears SIE into SPIE */
    li TNUM, 93
    GOTO_MODE(MPP_S)
    li t0, MSTATUS_SIE
    csrs sstatus, t0
    S_GOTO_U
    la TRAP_RESUME, 1f
    ecall
    j test_fail
1:  li a1, MSTATUS_SIE | MSTATUS_SPIE
    and a0, TRAP_STATUS, a1
    CHECK_REG(a0, MSTATUS_SPIE)
    BACK_TO_M
    csrw medeleg, zero

    /* ---- TSR, TW, TVM ---- */
    li t0, MSTATUS_TSR
    csrs mstatus, t0
    TEST_TRAP_IN(MPP_S, 100, CAUSE_ILLEGAL, sret)
    TEST_TRAP_TVAL(0x10200073)
    li t0, MSTATUS_TSR
    csrc mstatus, t0

    li t0, MSTATUS_TW
    csrs mstatus, t0
    TEST_TRAP_IN(MPP_S, 101, CAUSE_ILLEGAL, wfi)
    TEST_TRAP_TVAL(0x10500073)
    li t0, MSTATUS_TW
    csrc mstatus, t0
    /* TW does not affect M-mode: wfi with an interrupt pending (and
     * enabled in mie, but globally masked) returns at once */
    li TNUM, 102
    csrs mstatus, t0
    li t0, MSTATUS_MIE          /* (earlier mrets may have set it) */
    csrc mstatus, t0
    li t0, 1 << IRQ_SSI
    csrs mie, t0
    csrs mip, t0
    wfi
    csrc mip, t0
    csrc mie, t0
    li t0, MSTATUS_TW
    csrc mstatus, t0

    li t0, MSTATUS_TVM
    csrs mstatus, t0
    TEST_TRAP_IN(MPP_S, 103, CAUSE_ILLEGAL, csrr a0, satp)
    TEST_TRAP_TVAL(0x18002573)
    TEST_TRAP_IN(MPP_S, 104, CAUSE_ILLEGAL, csrw satp, zero)
    TEST_TRAP_IN(MPP_S, 105, CAUSE_ILLEGAL, sfence.vma)
    TEST_TRAP_IN(MPP_S, 106, CAUSE_ILLEGAL, sfence.vma a0, a1)
    /* M-mode is not affected by TVM */
    TEST_NO_TRAP(107, csrr a0, satp; sfence.vma)
    li t0, MSTATUS_TVM
    csrc mstatus, t0
    /* without TVM, S may use satp and sfence.vma */
    li TNUM, 108
    GOTO_MODE(MPP_S)
    csrr a0, satp
    sfence.vma
    BACK_TO_M
    CHECK_REG(TRAP_CAUSE, CAUSE_ECALL_S)

TEST_END

    .data
    .align 3
scratch:
    .dword 0
