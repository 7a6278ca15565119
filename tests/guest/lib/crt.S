/* Start-up code for rewind's bare-metal guests.
 *
 * Every hart enters _start in M-mode at 0x80000000 with a0 = hart id.
 * Hart 0 gets its stack, clears .bss, opens PMP to S/U-mode, turns the FPU
 * on, installs a trap handler that reports the trap and fails, and calls
 * main(); main's return value is the exit code. Other harts sleep, unless
 * the program defines rt_other_hart(hartid, fdt): they then enter it at
 * once, on their own stacks, with no trap handler and before hart 0 has
 * cleared .bss (it must wait for a flag that hart 0 sets). */
#include "test.h"

#define RT_MAX_HARTS 8
#define RT_STACK_SIZE (16 * 1024)

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrr a0, mhartid
    /* gp-relative addressing must not be relaxed into using gp itself */
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    li t0, RT_MAX_HARTS
    bgeu a0, t0, rt_park
    call rt_hart_stack
    beqz a0, 1f
    tail rt_other_hart      /* a1: the device tree, as the harts got it */
1:

    /* Optional CSRs (PMP) are written under a handler that skips a
     * trapping instruction, so a machine without them still starts. */
    la t0, rt_skip_trap
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f             /* NAPOT over everything, R W X */
    csrw pmpcfg0, t0

    li t0, (1 << 13)        /* mstatus.FS = initial */
    csrs mstatus, t0
    csrwi fcsr, 0

    la t0, _bss_start
    la t1, _bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:
    la t0, rt_default_trap_m
    csrw mtvec, t0
    la t0, rt_default_trap_s
    csrw stvec, t0
    li TRAP_RESUME, 0
    li TNUM, 0
    la t0, rt_fdt           /* a1 still holds what the hart got at reset */
    sd a1, 0(t0)

    call main
    call exit

/* Weak: a program's own rt_other_hart replaces it. */
    .weak rt_other_hart
rt_other_hart:
rt_park:
    wfi
    j rt_park

/* sp = top of this hart's stack (hart id in a0, preserved). */
rt_hart_stack:
    la sp, _stacks_start
    addi t0, a0, 1
    slli t0, t0, 14         /* RT_STACK_SIZE */
    add sp, sp, t0
    ret

    .text
    .align 2
rt_skip_trap:
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret

/* A trap nobody expected: report it from M-mode and fail. */
    .align 2
    .globl rt_default_trap_m
rt_default_trap_m:
    li t0, MSTATUS_MPRV     /* data accesses must be physical again */
    csrc mstatus, t0
    csrr a0, mhartid
    call rt_hart_stack
    csrr a0, mcause
    csrr a1, mepc
    csrr a2, mtval
    li a3, 'M'
    mv a4, TNUM
    call rt_unexpected_trap

/* Same for a trap delegated to S-mode (memory is assumed to be
 * identity-mapped if translation is on). */
    .align 2
    .globl rt_default_trap_s
rt_default_trap_s:
    la sp, _stacks_start
    li t0, RT_STACK_SIZE
    add sp, sp, t0
    csrr a0, scause
    csrr a1, sepc
    csrr a2, stval
    li a3, 'S'
    mv a4, TNUM
    call rt_unexpected_trap

/* Trap catchers for the test programs: record cause/epc/tval and resume
 * at TRAP_RESUME in the mode that took the trap. */
    .align 2
    .globl rt_catch_m
rt_catch_m:
    beqz TRAP_RESUME, rt_default_trap_m
    csrr TRAP_CAUSE, mcause
    csrr TRAP_EPC, mepc
    csrr TRAP_TVAL, mtval
    csrr TRAP_STATUS, mstatus
    csrw mepc, TRAP_RESUME
    li TRAP_RESUME, MSTATUS_MPP
    csrs mstatus, TRAP_RESUME
    li TRAP_RESUME, 0
    mret

    .align 2
    .globl rt_catch_s
rt_catch_s:
    beqz TRAP_RESUME, rt_default_trap_s
    csrr TRAP_CAUSE, scause
    csrr TRAP_EPC, sepc
    csrr TRAP_TVAL, stval
    csrr TRAP_STATUS, sstatus
    csrw sepc, TRAP_RESUME
    li TRAP_RESUME, MSTATUS_SPP
    csrs sstatus, TRAP_RESUME
    li TRAP_RESUME, 0
    sret

/* int rt_probe_read8(uintptr_t addr): 1 if a byte load from addr works,
 * 0 if it traps (M-mode only; used to find out whether a device exists). */
    .globl rt_probe_read8
rt_probe_read8:
    csrr t1, mtvec
    la t0, 1f
    csrw mtvec, t0
    lbu t2, 0(a0)
    li a0, 1
    csrw mtvec, t1
    ret
    .align 2
1:  li a0, 0
    csrw mtvec, t1
    ret

/* A check failed: a0 = test number. Works from any mode as long as the
 * stack and the HTIF page are reachable. */
    .globl rt_test_fail
rt_test_fail:
    la sp, _stacks_start
    li t0, RT_STACK_SIZE
    add sp, sp, t0
    call rt_fail

/* The HTIF mailbox, alone in its page (see link.ld). QEMU finds it by
 * symbol name and wants both symbols to be exactly 8 bytes. */
    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost:
    .dword 0
    .align 6
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost:
    .dword 0
