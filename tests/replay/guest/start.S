/* Start-up of the console guest: every hart gets its stack (16 KiB each,
 * from tests/guest/lib/link.ld) and enters guest_main(hartid). */
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrr a0, mhartid
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    li t0, 8
    bgeu a0, t0, park
    la sp, _stacks_start
    addi t0, a0, 1
    slli t0, t0, 14
    add sp, sp, t0
    la t0, trap
    csrw mtvec, t0
    call guest_main
park:
    wfi
    j park

/* No trap is expected (interrupts stay disabled in mstatus; wfi wakes on
 * pending ones): report the cause through the test finisher. */
    .align 2
trap:
    csrr t0, mcause
    slli t0, t0, 16
    li t1, 0x3333
    or t0, t0, t1
    li t1, 0x100000
    sw t0, 0(t1)
    j park
