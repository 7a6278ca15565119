/* Sdtrig from M-mode software: counting the triggers through tselect,
 * tinfo, execute / load / store address triggers (type 2 mcontrol and
 * type 6 mcontrol6) firing a breakpoint exception before the instruction
 * (mepc the instruction, mtval the address), per-mode enables (M, S, U),
 * the match modes (equal, NAPOT, >=, <), tcontrol.mte/mpte keeping a
 * trigger from firing inside its trap handler, and disarming.
 *
 * run-isa rewind: -cpu rv64,sdtrig=on
 * run-isa qemu: skip (QEMU 7.2 has no tcontrol and no mcontrol6)
 */
#include "test.h"

    .option norvc

#define CSR_TSELECT 0x7a0
#define CSR_TDATA1 0x7a1
#define CSR_TDATA2 0x7a2
#define CSR_TINFO 0x7a4
#define CSR_TCONTROL 0x7a5
#define MTE (1 << 3)
#define MPTE (1 << 7)

#define T_LOAD (1 << 0)
#define T_STORE (1 << 1)
#define T_EXEC (1 << 2)
#define T_U (1 << 3)
#define T_S (1 << 4)
#define T_M (1 << 6)
#define MATCH(k) ((k) << 7)
#define MC_HIT (1 << 20)
#define MC6_HIT0 (1 << 22)

/* tdata1 = type << 60 | bits (clobbers t0, t1) */
#define ARM(type, bits, addr_reg)                   \
    csrw CSR_TDATA2, addr_reg;                      \
    li t0, type;                                    \
    slli t0, t0, 60;                                \
    li t1, bits;                                    \
    or t0, t0, t1;                                  \
    csrw CSR_TDATA1, t0
#define DISARM csrw CSR_TDATA1, zero

TEST_BEGIN
    /* ---- counting: a tselect past the last trigger does not stick ---- */
    li a0, 0                    /* triggers found */
1:  csrw CSR_TSELECT, a0
    csrr a1, CSR_TSELECT
    bne a1, a0, 2f
    addi a0, a0, 1
    li t0, 16
    bltu a0, t0, 1b
2:  li TNUM, 1
    li TEST_EXP, 2
    TEST_FAIL_IF_NE(a0, TEST_EXP)
    /* tinfo lists mcontrol (2) and mcontrol6 (6) */
    TEST_CASE(2, a0, (1 << 2) | (1 << 6), csrr a0, CSR_TINFO; andi a0, a0, (1 << 2) | (1 << 6))
    /* tcontrol.mte on: triggers may fire in M */
    li t0, MTE
    csrw CSR_TCONTROL, t0
    TEST_CASE(3, a0, MTE, csrr a0, CSR_TCONTROL)
    csrw CSR_TSELECT, zero

    /* ---- execute, in M ---- */
    la a2, exec_here
    ARM(2, T_M | T_EXEC, a2)
    TEST_TRAP(10, CAUSE_BREAKPOINT, nop; exec_here: addi a0, zero, 1)
    TEST_TRAP_EPC_LABEL(exec_here)
    TEST_TRAP_TVAL_LABEL(exec_here)
    /* the trap took mte to mpte and cleared it; the mret gave it back */
    TEST_CASE(11, a0, MTE | MPTE, csrr a0, CSR_TCONTROL)
    /* the hit bit */
    TEST_CASE(12, a0, MC_HIT, csrr a0, CSR_TDATA1; li t0, MC_HIT; and a0, a0, t0)
    /* a trigger on the trap handler itself does not fire inside it (mte
     * is clear there): the ecall is what it sees */
    la a2, rt_catch_m
    ARM(2, T_M | T_EXEC, a2)
    TEST_TRAP(13, CAUSE_ECALL_M, ecall)
    DISARM

    /* ---- loads and stores, in M ---- */
    la a2, var
    ARM(2, T_M | T_LOAD, a2)
    TEST_TRAP(20, CAUSE_BREAKPOINT, ld_here: ld a0, 0(a2))
    TEST_TRAP_EPC_LABEL(ld_here)
    TEST_TRAP_TVAL_LABEL(var)
    /* a store to it does not fire a load trigger; a load elsewhere neither */
    TEST_NO_TRAP(21, sd zero, 0(a2); ld a0, 8(a2))
    ARM(2, T_M | T_STORE, a2)
    TEST_TRAP(22, CAUSE_BREAKPOINT, sd_here: sd zero, 0(a2))
    TEST_TRAP_EPC_LABEL(sd_here)
    TEST_TRAP_TVAL_LABEL(var)
    TEST_NO_TRAP(23, ld a0, 0(a2))
    /* an AMO is a load and a store */
    TEST_TRAP(24, CAUSE_BREAKPOINT, amoadd.d a0, zero, (a2))
    /* a compressed load: the same */
    ARM(2, T_M | T_LOAD, a2)
    .option rvc
    TEST_TRAP(25, CAUSE_BREAKPOINT, mv a3, a2; c.ld a0, 0(a3))
    .option norvc
    DISARM

    /* ---- match modes ---- */
    /* NAPOT: var | 7 covers the 16 bytes var..var+15 */
    ori a3, a2, 7
    ARM(2, T_M | T_LOAD | MATCH(1), a3)
    TEST_TRAP(30, CAUSE_BREAKPOINT, ld a0, 8(a2))
    TEST_TRAP_TVAL_LABEL(var + 8)
    TEST_NO_TRAP(31, ld a0, 16(a2))
    /* >= var + 16 */
    addi a3, a2, 16
    ARM(2, T_M | T_LOAD | MATCH(2), a3)
    TEST_NO_TRAP(32, ld a0, 8(a2))
    TEST_TRAP(33, CAUSE_BREAKPOINT, ld a0, 24(a2))
    /* < var + 16 */
    ARM(2, T_M | T_LOAD | MATCH(3), a3)
    TEST_TRAP(34, CAUSE_BREAKPOINT, ld a0, 8(a2))
    TEST_NO_TRAP(35, ld a0, 16(a2))
    DISARM

    /* ---- modes ---- */
    /* U only: not in M, but in U */
    la a2, var
    ARM(2, T_U | T_LOAD, a2)
    TEST_NO_TRAP(40, ld a0, 0(a2))
    TEST_TRAP_IN(MPP_U, 41, CAUSE_BREAKPOINT, ld a0, 0(a2))
    /* S only: not in U, in S */
    ARM(2, T_S | T_LOAD, a2)
    GOTO_MODE(MPP_U)
    TEST_NO_TRAP(42, ld a0, 0(a2))
    BACK_TO_M
    TEST_TRAP_IN(MPP_S, 43, CAUSE_BREAKPOINT, ld a0, 0(a2))
    /* in S and U a trigger fires whatever mte says */
    csrw CSR_TCONTROL, zero
    TEST_TRAP_IN(MPP_S, 44, CAUSE_BREAKPOINT, ld a0, 0(a2))
    /* with mte clear, an M trigger does not fire in M */
    ARM(2, T_M | T_LOAD, a2)
    TEST_NO_TRAP(45, ld a0, 0(a2))
    li t0, MTE
    csrw CSR_TCONTROL, t0
    DISARM

    /* ---- mcontrol6, the second trigger ---- */
    li t0, 1
    csrw CSR_TSELECT, t0
    la a2, func6
    ARM(6, T_M | T_EXEC, a2)
    TEST_CASE(50, a0, 6, csrr a0, CSR_TDATA1; srli a0, a0, 60)
    TEST_TRAP(51, CAUSE_BREAKPOINT, call func6)
    TEST_TRAP_TVAL_LABEL(func6)
    TEST_TRAP_EPC_LABEL(func6)
    TEST_CASE(52, a0, MC6_HIT0, csrr a0, CSR_TDATA1; li t0, MC6_HIT0; and a0, a0, t0)
    /* trigger 0 is as it was left (disarmed) */
    csrw CSR_TSELECT, zero
    TEST_CASE(53, a0, 0, csrr a0, CSR_TDATA1; andi a0, a0, T_LOAD | T_STORE | T_EXEC)
    li t0, 1
    csrw CSR_TSELECT, t0
    /* disarmed: written 0, reads as type 15 (disabled); no more trap */
    DISARM
    TEST_CASE(54, a0, 15, csrr a0, CSR_TDATA1; srli a0, a0, 60)
    TEST_NO_TRAP(55, call func6)
    csrw CSR_TSELECT, zero
    csrw CSR_TCONTROL, zero
TEST_END

func6:
    nop
    ret

    .data
    .align 4
var: .dword 1, 2, 3, 4
