/* Guest runtime, assembly half: reset entry, trap recorder, and the
 * trampoline into a case copied to rt_exec_area.  Self-contained on purpose
 * (it must not depend on tests/guest/lib). */
#include "layout.h"

    .section .text.init, "ax", @progbits
    .option norvc
    .globl _start
_start:
    la      sp, rt_stack_top
    la      t0, rt_trap
    csrw    mtvec, t0
    la      t0, rt_trap_info
    csrw    mscratch, t0
    li      t0, 0x6000              /* mstatus.FS = dirty: FP on */
    csrs    mstatus, t0
    csrwi   fcsr, 0
    call    rt_main
    /* rt_main does not return; park if it does. */
1:  j       1b

/* h = rotl(h, 5) ^ v; h *= k: the same mix as rt.c's digests. */
.macro MIX h, v, tmp, k
    slli    \tmp, \h, 5
    srli    \h, \h, 59
    or      \h, \h, \tmp
    xor     \h, \h, \v
    mul     \h, \h, \k
.endm

/* Records every trap of a case (count, first cause/epc/tval, a mask of the
 * causes and a hash over all of them) and skips the trapping instruction,
 * so one bad instruction costs one case, not the whole batch.  mtval is
 * kept only where the spec fixes its value (not for illegal instruction,
 * breakpoint, ecall).  Traps outside the exec area are fatal. */
    .text
    .balign 4
rt_trap:
    csrrw   t0, mscratch, t0
    sd      t1, TRAP_SAVE1(t0)
    sd      t2, TRAP_SAVE2(t0)
    sd      t3, TRAP_SAVE3(t0)
    sd      t4, TRAP_SAVE4(t0)
    sd      t5, TRAP_SAVE5(t0)
    csrr    t1, mepc
    li      t2, EXEC_BASE
    bltu    t1, t2, rt_trap_fatal
    li      t2, EXEC_BASE + EXEC_SIZE
    bgeu    t1, t2, rt_trap_fatal
    csrr    t3, mcause
    csrr    t2, mtval
    li      t1, 2
    beq     t3, t1, 3f
    li      t1, 3
    beq     t3, t1, 3f
    li      t1, 11
    bne     t3, t1, 4f
3:  li      t2, 0
4:  ld      t1, TRAP_COUNT(t0)          /* t3 = cause, t2 = tval kept */
    bnez    t1, 5f
    sd      t3, TRAP_CAUSE(t0)
    sd      t2, TRAP_TVAL(t0)
    csrr    t4, mepc
    sd      t4, TRAP_EPC(t0)
5:  addi    t1, t1, 1
    sd      t1, TRAP_COUNT(t0)
    li      t4, 10000
    bgeu    t1, t4, rt_trap_fatal
    ld      t1, TRAP_MASK(t0)
    li      t4, 1
    sll     t4, t4, t3
    or      t1, t1, t4
    sd      t1, TRAP_MASK(t0)
    ld      t1, TRAP_HASH(t0)
    li      t5, 0x9e3779b97f4a7c15
    MIX     t1, t3, t4, t5
    csrr    t3, mepc
    MIX     t1, t3, t4, t5
    MIX     t1, t2, t4, t5
    sd      t1, TRAP_HASH(t0)
    csrr    t1, mepc
    lhu     t2, 0(t1)
    andi    t2, t2, 3
    addi    t1, t1, 2
    addi    t2, t2, -3
    bnez    t2, 6f
    addi    t1, t1, 2               /* 32-bit instruction */
6:  csrw    mepc, t1
    ld      t1, TRAP_SAVE1(t0)
    ld      t2, TRAP_SAVE2(t0)
    ld      t3, TRAP_SAVE3(t0)
    ld      t4, TRAP_SAVE4(t0)
    ld      t5, TRAP_SAVE5(t0)
    csrrw   t0, mscratch, t0
    mret

rt_trap_fatal:
    la      sp, rt_stack_top
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    rt_fatal_trap
3:  j       3b

/* void rt_enter_case(const uint64_t *table, void *code): runs one case and
 * returns when its epilogue jumps to the address left in SCR_RET(sp). */
    .globl rt_enter_case
rt_enter_case:
    la      t0, rt_host_regs
    sd      ra, 0(t0)
    sd      sp, 8(t0)
    sd      gp, 16(t0)
    sd      tp, 24(t0)
    sd      s0, 32(t0)
    sd      s1, 40(t0)
    sd      s2, 48(t0)
    sd      s3, 56(t0)
    sd      s4, 64(t0)
    sd      s5, 72(t0)
    sd      s6, 80(t0)
    sd      s7, 88(t0)
    sd      s8, 96(t0)
    sd      s9, 104(t0)
    sd      s10, 112(t0)
    sd      s11, 120(t0)
    li      sp, SCRATCH_BASE
    la      t1, rt_case_return
    sd      t1, SCR_RET(sp)
    mv      x31, a0
    jr      a1

rt_case_return:
    la      t0, rt_host_regs
    ld      ra, 0(t0)
    ld      sp, 8(t0)
    ld      gp, 16(t0)
    ld      tp, 24(t0)
    ld      s0, 32(t0)
    ld      s1, 40(t0)
    ld      s2, 48(t0)
    ld      s3, 56(t0)
    ld      s4, 64(t0)
    ld      s5, 72(t0)
    ld      s6, 80(t0)
    ld      s7, 88(t0)
    ld      s8, 96(t0)
    ld      s9, 104(t0)
    ld      s10, 112(t0)
    ld      s11, 120(t0)
    csrwi   fcsr, 0
    ret

    .bss
    .balign 8
rt_host_regs:
    .space  16 * 8
    .globl rt_trap_info
rt_trap_info:
    .space  TRAP_INFO_SIZE
