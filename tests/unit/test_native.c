/* The native backend against the portable one: the same program on both
 * must leave the harts identical, including where an exception stops a TB
 * in the middle; x0 reads as 0; a full host code buffer flushes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/clint.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "translator/native.h"
#include "translator/tb_cache.h"
#include "translator/tb_log.h"
#include "translator/translate.h"

static Machine *machine_with(MachineBackend b, uint64_t code_buffer_size)
{
    char err[256];
    MachineConfig cfg = { .ram_size = 16 << 20, .nharts = 1, .backend = b,
                          .code_buffer_size = code_buffer_size };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    ck_assert_msg(m != NULL, "machine_new: %s", err);
    ck_assert_int_eq(m->cfg.backend, b);
    return m;
}

/* Run words at 0x80000000 (a `j .` at mtvec 0x80000100) for n
 * instructions on backend b; the hart is copied to out. A budget that
 * ends inside a TB runs a cut copy of it on the portable backend: for
 * native code, n must go past the program (its closing `j .`). */
static void run_on(MachineBackend b, const uint32_t *words, unsigned count, uint64_t n,
                   Hart *out)
{
    Machine *m = machine_with(b, 0);
    char err[256];
    ck_assert(clint_new(m, CLINT_BASE, err, sizeof(err))); /* a device to reach */
    uint8_t *ram = memory_ram_ptr(&m->mem, MEM_RAM_BASE, 0x200);
    const uint32_t self_loop = 0x0000006f;
    memcpy(ram + 0x100, &self_loop, 4);
    Hart *h = &m->harts[0];
    h->csr.mtvec = 0x80000100;
    h->x[10] = 0;
    test_run_words(m, words, count, n);
    /* After a device access the run loop returns, for its caller to look
     * at deadlines and interrupts (core/run.c): go on to the budget. */
    while (h->icount < n && machine_run_hart(m, h, n - h->icount) > 0)
        ;
    *out = *h;
    machine_free(m);
}

static void check_same(const uint32_t *words, unsigned count, uint64_t n, Hart *native)
{
    if (!native_backend_available())
        return;
    Hart p;
    run_on(MACHINE_BACKEND_PORTABLE, words, count, n, &p);
    run_on(MACHINE_BACKEND_NATIVE, words, count, n, native);
    /* x0..x31: not x[32], the sink of x0's writes, which native code
     * does not write (nothing reads it; checkpoints leave it out) */
    ck_assert_mem_eq(p.x, native->x, 32 * sizeof(p.x[0]));
    ck_assert_mem_eq(p.f, native->f, sizeof(p.f));
    ck_assert_uint_eq(p.csr.mstatus, native->csr.mstatus);
    ck_assert_uint_eq(p.pc, native->pc);
    ck_assert_uint_eq(p.icount, native->icount);
    ck_assert_uint_eq(p.csr.mepc, native->csr.mepc);
    ck_assert_uint_eq(p.csr.mcause, native->csr.mcause);
    ck_assert_uint_eq(p.csr.mtval, native->csr.mtval);
}

START_TEST(test_load_fault_mid_tb)
{
    /* addi a0,a0,1 ; addi a0,a0,1 ; lw a1,0(zero) (access fault: no
     * memory at 0) ; addi a0,a0,1 ; then the handler's `j .` */
    static const uint32_t prog[] = { 0x00150513, 0x00150513, 0x00002583, 0x00150513 };
    for (uint64_t n = 1; n < 12; n++) {
        Hart h;
        check_same(prog, 4, n, &h);
        if (native_backend_available() && n >= 3) {
            ck_assert_uint_eq(h.x[10], 2);
            ck_assert_uint_eq(h.csr.mcause, 5); /* load access fault */
            ck_assert_uint_eq(h.csr.mepc, 0x80000008);
            ck_assert_uint_eq(h.icount, n); /* exact budget: the lw did not count */
        }
    }
}
END_TEST

START_TEST(test_store_fault_mid_tb)
{
    /* addi a0,a0,1 ; sd a0,0(zero) (store access fault) ; addi a0,a0,1 */
    static const uint32_t prog[] = { 0x00150513, 0x00a03023, 0x00150513 };
    Hart h;
    check_same(prog, 3, 6, &h);
    if (native_backend_available()) {
        ck_assert_uint_eq(h.x[10], 1);
        ck_assert_uint_eq(h.csr.mcause, 7);
        ck_assert_uint_eq(h.csr.mepc, 0x80000004);
    }
}
END_TEST

START_TEST(test_x0_reads_zero)
{
    /* addi x0,x0,5 ; lui x0,0x12345 ; add a0,x0,x0 ; addi a1,x0,7 ;
     * sltiu a2,x0,1 ; sub a3,x0,a1 */
    static const uint32_t prog[] = { 0x00500013, 0x12345037, 0x00000533, 0x00700593,
                                     0x00103613, 0x40b006b3 };
    Hart h;
    check_same(prog, 6, 10, &h); /* past the end: not a budget-cut copy */
    if (native_backend_available()) {
        ck_assert_uint_eq(h.x[0], 0);
        ck_assert_uint_eq(h.x[10], 0);
        ck_assert_uint_eq(h.x[11], 7);
        ck_assert_uint_eq(h.x[12], 1);
        ck_assert_uint_eq(h.x[13], (uint64_t)-7);
    }
}
END_TEST

START_TEST(test_guest_registers_cached_in_host_registers)
{
    /* The emitter keeps guest registers in host registers inside a TB
     * (five of them, written through to h->x[]). This TB uses more than
     * five, so some are dropped and read again; rd is rs2 of a
     * non-commutative op (sub, sll); a handler (divu) writes a cached
     * register that the next op reads; a load's rd is its base register. */
    static const uint32_t prog[] = {
        0x00500513, /* addi a0,zero,5 */
        0x00700593, /* addi a1,zero,7 */
        0x00b00613, /* addi a2,zero,11 */
        0x00d00693, /* addi a3,zero,13 */
        0x01100713, /* addi a4,zero,17 */
        0x01300793, /* addi a5,zero,19 */
        0x40b505b3, /* sub a1,a0,a1 */
        0x00c51633, /* sll a2,a0,a2 */
        0x40e686bb, /* subw a3,a3,a4 */
        0x02a7d733, /* divu a4,a5,a0 */
        0x00e707b3, /* add a5,a4,a4 */
        0x00b50833, /* add a6,a0,a1 */
        0x00a5a8b3, /* slt a7,a1,a0 */
        0x00100117, /* auipc sp,0x100 */
        0x00f13023, /* sd a5,0(sp) */
        0x00013103, /* ld sp,0(sp) */
        0x0005829b, /* addiw t0,a1,0 */
        0xfff5b313, /* sltiu t1,a1,-1 */
    };
    Hart h;
    check_same(prog, 18, 24, &h); /* past the end: not a budget-cut copy */
    if (native_backend_available()) {
        ck_assert_uint_eq(h.x[11], (uint64_t)-2);
        ck_assert_uint_eq(h.x[12], 5u << 11);
        ck_assert_uint_eq(h.x[13], (uint64_t)-4);
        ck_assert_uint_eq(h.x[14], 3);
        ck_assert_uint_eq(h.x[15], 6);
        ck_assert_uint_eq(h.x[16], 3);
        ck_assert_uint_eq(h.x[17], 1);
        ck_assert_uint_eq(h.x[2], 6);
        ck_assert_uint_eq(h.x[5], (uint64_t)-2);
        ck_assert_uint_eq(h.x[6], 1);
    }
}
END_TEST

START_TEST(test_loop_to_itself)
{
    /* A TB that branches back to its own start links to its loop entry,
     * which keeps guest registers in host registers from one iteration to
     * the next; it uses more registers than the cache holds, so the exit
     * must put them back in their slots. The budget must still end it on
     * the exact instruction: every budget from 1 to past the end, against
     * the portable backend.
     *   addi a1,x0,50 ; loop: addi a0,a0,1 ; add a2,a2,a0 ; xor a3,a3,a2 ;
     *   add a4,a4,a3 ; sub a5,a5,a4 ; add a6,a6,a5 ; bne a0,a1,loop */
    static const uint32_t prog[] = { 0x03200593, 0x00150513, 0x00a60633, 0x00c6c6b3,
                                     0x00d70733, 0x40e787b3, 0x00f80833, 0xfeb514e3 };
    for (uint64_t n = 1; n < 360; n += 7) {
        Hart h;
        check_same(prog, 8, n, &h);
    }
    Hart h;
    check_same(prog, 8, 1 + 50 * 7 + 1, &h); /* then the trap's `j .` */
    if (native_backend_available()) {
        uint64_t a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0;
        for (uint64_t a0 = 1; a0 <= 50; a0++) {
            a2 += a0;
            a3 ^= a2;
            a4 += a3;
            a5 -= a4;
            a6 += a5;
        }
        ck_assert_uint_eq(h.x[10], 50);
        ck_assert_uint_eq(h.x[12], a2);
        ck_assert_uint_eq(h.x[13], a3);
        ck_assert_uint_eq(h.x[14], a4);
        ck_assert_uint_eq(h.x[15], a5);
        ck_assert_uint_eq(h.x[16], a6);
    }
}
END_TEST

START_TEST(test_write_back_before_calls_and_slow_paths)
{
    /* Inside a TB the emitter keeps written guest registers in host
     * registers only (write-back), storing them to h->x[] at exits, before
     * handler calls and in slow paths. Here a handler (csrw) reads a0
     * right after an inline op wrote it, and a load from the CLINT (MMIO:
     * abandoned in the TB, run again alone by the run loop, which reads
     * h->x[]) follows inline writes, in a loop, at every budget.
     *   lui t0,0x200c ; addi a3,x0,20 ; loop: addi a0,a0,1 ;
     *   csrw mscratch,a0 ; csrr a4,mscratch ; add a5,a5,a4 ;
     *   ld a1,-8(t0) (mtime) ; addi a2,a2,3 ; bne a0,a3,loop */
    static const uint32_t prog[] = { 0x0200c2b7, 0x01400693, 0x00150513, 0x34051073,
                                     0x34002773, 0x00e787b3, 0xff82b583, 0x00360613,
                                     0xfed512e3 };
    for (uint64_t n = 1; n < 150; n += 5) {
        Hart h;
        check_same(prog, 9, n, &h);
    }
    Hart h;
    check_same(prog, 9, 400, &h); /* past the end: the trap's `j .` */
    if (native_backend_available()) {
        ck_assert_uint_eq(h.x[10], 20);
        ck_assert_uint_eq(h.x[14], 20);
        ck_assert_uint_eq(h.x[15], 20 * 21 / 2);
        ck_assert_uint_eq(h.x[12], 60);
    }
}
END_TEST

START_TEST(test_caller_saved_cache_registers_across_calls)
{
    /* The cache uses caller-saved host registers too (after the five
     * callee-saved ones): a handler call clobbers them, so the values
     * they held must be read again after it. Seven registers written,
     * then a handler that does not end the TB (amoadd.d), then two ops
     * that read the sixth and seventh (the first two caller-saved slots:
     * rsi and rdi, which the call itself sets).
     *   auipc sp,0x100 ; addi a0..a5 = 1..6 ; amoadd.d t0,a1,(sp) ;
     *   add t1,a4,a5 ; add t2,a5,a0 ; ld t3,0(sp) */
    static const uint32_t prog[] = { 0x00100117, 0x00100513, 0x00200593, 0x00300613,
                                     0x00400693, 0x00500713, 0x00600793, 0x00b132af,
                                     0x00f70333, 0x00a783b3, 0x00013e03 };
    Hart h;
    check_same(prog, 11, 15, &h); /* past the end: not a budget-cut copy */
    if (native_backend_available()) {
        ck_assert_uint_eq(h.x[5], 0);
        ck_assert_uint_eq(h.x[6], 11);
        ck_assert_uint_eq(h.x[7], 7);
        ck_assert_uint_eq(h.x[28], 2);
    }
}
END_TEST

START_TEST(test_fp_loads_and_stores_inline)
{
    /* flw, fld, fsw and fsd are emitted inline (the TLB lookup of the
     * integer ones): a single is NaN-boxed, a load makes mstatus.FS dirty,
     * an MMIO access (the CLINT's mtime) and a page-crossing one go to the
     * slow path, at every budget.
     *   lui t0,0x2 ; csrs mstatus,t0 (FS initial) ; lui t0,0x200c ;
     *   auipc sp,0x100 ; addi a0,x0,-3 ; sd a0,0(sp) ; fld f1,0(sp) ;
     *   flw f2,0(sp) ; fsw f2,8(sp) ; fsd f1,16(sp) ; ld a1,8(sp) ;
     *   ld a2,16(sp) ; fld f5,-8(t0) ; flw f6,-8(t0) ; addi s0,sp,2040 ;
     *   fsw f1,2042(s0) ; fld f7,2042(s0) (these two cross a page) */
    static const uint32_t prog[] = {
        0x000022b7, 0x3002a073, 0x0200c2b7, 0x00100117, 0xffd00513, 0x00a13023,
        0x00013087, 0x00012107, 0x00212427, 0x00113827, 0x00813583, 0x01013603,
        0xff82b287, 0xff82a307, 0x7f810413, 0x7e142d27, 0x7fa43387,
    };
    for (uint64_t n = 1; n < 24; n++) {
        Hart h;
        check_same(prog, 17, n, &h);
    }
    Hart h;
    check_same(prog, 17, 40, &h);
    if (native_backend_available()) {
        ck_assert_uint_eq(h.f[1], (uint64_t)-3);
        ck_assert_uint_eq(h.f[2], 0xfffffffffffffffdULL);    /* boxed low half */
        ck_assert_uint_eq(h.x[11], 0xfffffffdULL);           /* fsw: 4 bytes */
        ck_assert_uint_eq(h.x[12], (uint64_t)-3);
        ck_assert_uint_eq(h.f[6] >> 32, 0xffffffffULL);
        ck_assert_uint_eq((h.csr.mstatus >> 13) & 3, 3);     /* FS dirty */
    }
    /* Only an inline fld (a hit in the TLB) after FS is set to initial:
     *   lui t0,0x2 ; csrs mstatus,t0 ; auipc sp,0x100 ; ld a1,0(sp) (fills
     *   the TLB) ; fld f1,0(sp) */
    static const uint32_t dirty[] = { 0x000022b7, 0x3002a073, 0x00100117, 0x00013583,
                                      0x00013087 };
    check_same(dirty, 5, 10, &h);
    if (native_backend_available())
        ck_assert_uint_eq((h.csr.mstatus >> 13) & 3, 3); /* FS dirty */
    /* A fault in the slow path (no memory at 0) after an inline write:
     *   lui t0,0x2 ; csrs mstatus,t0 ; addi a0,a0,1 ; fsd f0,0(x0) ;
     *   addi a0,a0,1 */
    static const uint32_t fault[] = { 0x000022b7, 0x3002a073, 0x00150513, 0x00003027,
                                      0x00150513 };
    check_same(fault, 5, 10, &h);
    if (native_backend_available()) {
        ck_assert_uint_eq(h.x[10], 1);
        ck_assert_uint_eq(h.csr.mcause, 7); /* store access fault */
        ck_assert_uint_eq(h.csr.mepc, 0x8000000c);
    }
}
END_TEST

START_TEST(test_jal_link_in_a_self_loop)
{
    /* A self loop closed by jal whose link register an inline op of the
     * loop reads: the link (computed in a scratch register) replaces the
     * cached copy, which the loop must not carry into the next iteration.
     *   loop: add a1,a1,ra ; addi a0,a0,1 ; jal ra,loop */
    static const uint32_t prog[] = { 0x001585b3, 0x00150513, 0xff9ff0ef };
    for (uint64_t n = 3; n < 40; n += 3) {
        Hart h;
        check_same(prog, 3, n, &h);
        if (native_backend_available()) { /* ra: 0, then the link each time */
            ck_assert_uint_eq(h.x[1], 0x8000000c);
            ck_assert_uint_eq(h.x[11], (n / 3 - 1) * 0x8000000cULL);
        }
    }
}
END_TEST

START_TEST(test_interrupt_raised_by_a_store_in_a_loop)
{
    /* A store to the CLINT raises the hart's own software interrupt in a
     * loop of native TBs chained to each other: the interrupt must be
     * taken right after the store, as the portable backend's run loop
     * takes it, at every budget. The handler clears MSIP and counts.
     *   auipc t2,0 ; addi t2,t2,64 ; csrw mtvec,t2 ; lui t0,0x2000 ;
     *   addi t1,x0,8 ; csrs mie,t1 ; csrsi mstatus,8 ; addi t1,x0,1 ;
     *   loop: sw t1,0(t0) ; addi a0,a0,1 ; j loop ; 5 x nop ;
     *   handler (0x40): sw x0,0(t0) ; addi a2,a2,1 ; mret */
    static const uint32_t prog[] = {
        0x00000397, 0x04038393, 0x30539073, 0x020002b7, 0x00800313, 0x30432073,
        0x30046073, 0x00100313, 0x0062a023, 0x00150513, 0xff9ff06f, 0x00000013,
        0x00000013, 0x00000013, 0x00000013, 0x00000013, 0x0002a023, 0x00160613,
        0x30200073,
    };
    for (uint64_t n = 1; n < 200; n += 3) {
        Hart h;
        check_same(prog, 19, n, &h);
    }
    Hart h;
    check_same(prog, 19, 400, &h);
    if (native_backend_available()) {
        ck_assert_uint_gt(h.x[12], 20);           /* interrupts taken */
        ck_assert_uint_le(h.x[10] - h.x[12] + 1, 2); /* one addi after each */
        ck_assert_uint_eq(h.csr.mepc, 0x80000024);   /* right after the sw */
    }
}
END_TEST

START_TEST(test_division_and_high_multiply_inline)
{
    /* div, divu, rem, remu, mulh and mulhu are emitted inline: the cases
     * where x86 would fault or differ, against the portable backend and
     * the RISC-V results. a0 = -1, a1 = INT64_MIN, a2 = 7, a3 = -100:
     *   div a4,a1,a0 ; rem a5,a1,a0 (overflow) ; divu a6,a3,x0 ;
     *   remu a7,a3,x0 ; div s2,a3,a2 ; rem s3,a3,a2 ; divu s4,a3,a2 ;
     *   remu s5,a3,a2 ; div s6,a2,x0 ; rem s7,a2,a0 ; mulh s8,a3,a1 ;
     *   mulhu s9,a3,a0 ; div a2,a3,a2 (rd = rs2) ; remu a3,a3,a3 ;
     *   t0 = 0: divu t1,a1,t0 ; remu t2,a1,t0 ; div t3,a1,t0 ; rem t4,a1,t0 */
    static const uint32_t prog[] = {
        0xfff00513, 0x03f51593, 0x00700613, 0xf9c00693, 0x02a5c733, 0x02a5e7b3,
        0x0206d833, 0x0206f8b3, 0x02c6c933, 0x02c6e9b3, 0x02c6da33, 0x02c6fab3,
        0x02064b33, 0x02a66bb3, 0x02b69c33, 0x02a6bcb3, 0x02c6c633, 0x02d6f6b3,
        0x00000293, 0x0255d333, 0x0255f3b3, 0x0255ce33, 0x0255eeb3,
    };
    Hart h;
    check_same(prog, 23, 30, &h); /* past the end: not a budget-cut copy */
    if (!native_backend_available())
        return;
    const uint64_t min = 1ULL << 63, m100 = (uint64_t)-100;
    ck_assert_uint_eq(h.x[14], min);             /* div overflow */
    ck_assert_uint_eq(h.x[15], 0);               /* rem overflow */
    ck_assert_uint_eq(h.x[16], UINT64_MAX);      /* divu by x0 */
    ck_assert_uint_eq(h.x[17], m100);            /* remu by x0 */
    ck_assert_uint_eq(h.x[18], (uint64_t)-14);   /* -100 / 7 */
    ck_assert_uint_eq(h.x[19], (uint64_t)-2);    /* -100 % 7 */
    ck_assert_uint_eq(h.x[20], m100 / 7);
    ck_assert_uint_eq(h.x[21], m100 % 7);
    ck_assert_uint_eq(h.x[22], UINT64_MAX);      /* div by x0 */
    ck_assert_uint_eq(h.x[23], 0);               /* 7 % -1 */
    ck_assert_uint_eq(h.x[24], 50);              /* high(-100 * INT64_MIN) */
    ck_assert_uint_eq(h.x[25], m100 - 1);        /* high(u(-100) * u(-1)) */
    ck_assert_uint_eq(h.x[12], (uint64_t)-14);
    ck_assert_uint_eq(h.x[13], 0);
    ck_assert_uint_eq(h.x[6], UINT64_MAX);       /* a zero held in a register */
    ck_assert_uint_eq(h.x[7], min);
    ck_assert_uint_eq(h.x[28], UINT64_MAX);
    ck_assert_uint_eq(h.x[29], min);
}
END_TEST

START_TEST(test_word_division_and_mulhsu_inline)
{
    /* divw, divuw, remw, remuw and mulhsu inline: operands whose upper
     * halves are not the sign of the lower ones (the W forms must ignore
     * them), a divisor zero in its low half only, INT32_MIN / -1, 32-bit
     * results sign-extended (divuw's too), x0 as divisor, rd = rs2 and
     * rd = rs1 = rs2; mulhsu with rs1 negative, positive, INT64_MIN:
     *   li a0,-1 ; li a1,0x1234567880000000 ; li a2,0xdeadbeef00000007 ;
     *   li a3,0x1ffffff9c ; li a4,0xabcdef0000000000 ; li a5,0xffffffff ;
     *   li a6,0x500000001 ; li s1,INT64_MIN ;
     *   divw s2,a1,a5 ; remw s3,a1,a5 ; divw s4,a3,a2 ; remw s5,a3,a2 ;
     *   divuw s6,a3,a2 ; remuw s7,a3,a2 ; divuw s8,a0,a2 ; divuw s9,a1,a6 ;
     *   remuw s10,a3,a4 ; divw s11,a2,a4 ; divuw t3,a2,x0 ; remw t4,a1,x0 ;
     *   remw t5,a2,a0 ; divw t6,a2,a0 ; mulhsu t0,a0,a0 ; mulhsu t1,a3,a1 ;
     *   mulhsu t2,s1,a0 ; mulhsu gp,s1,a2 ; mulhsu tp,a6,x0 ;
     *   divw a2,a3,a2 ; remuw a3,a3,a3 */
    static const uint32_t prog[] = {
        0xfff00513, 0x2468b5b7, 0xcf15859b, 0x01f59593, 0xdeadc637, 0xeef6061b,
        0x02061613, 0x00760613, 0x0010069b, 0x02169693, 0xf9c68693, 0xffabd737,
        0xdef7071b, 0x02871713, 0x0010079b, 0x02079793, 0xfff78793, 0x0050081b,
        0x02081813, 0x00180813, 0xfff0049b, 0x03f49493, 0x02f5c93b, 0x02f5e9bb,
        0x02c6ca3b, 0x02c6eabb, 0x02c6db3b, 0x02c6fbbb, 0x02c55c3b, 0x0305dcbb,
        0x02e6fd3b, 0x02e64dbb, 0x02065e3b, 0x0205eebb, 0x02a66f3b, 0x02a64fbb,
        0x02a522b3, 0x02b6a333, 0x02a4a3b3, 0x02c4a1b3, 0x02082233, 0x02c6c63b,
        0x02d6f6bb,
    };
    Hart h;
    check_same(prog, 43, 50, &h); /* past the end: not a budget-cut copy */
    if (!native_backend_available())
        return;
    const uint64_t m1 = UINT64_MAX, min32 = 0xffffffff80000000ULL;
    ck_assert_uint_eq(h.x[18], min32);                  /* INT32_MIN / -1 */
    ck_assert_uint_eq(h.x[19], 0);                      /* INT32_MIN % -1 */
    ck_assert_uint_eq(h.x[20], (uint64_t)-14);          /* -100 / 7 */
    ck_assert_uint_eq(h.x[21], (uint64_t)-2);           /* -100 % 7 */
    ck_assert_uint_eq(h.x[22], 0x24924916);             /* 0xffffff9c / 7 */
    ck_assert_uint_eq(h.x[23], 2);
    ck_assert_uint_eq(h.x[24], 0x24924924);             /* 0xffffffff / 7 */
    ck_assert_uint_eq(h.x[25], min32);                  /* divuw: sign-extended */
    ck_assert_uint_eq(h.x[26], 0xffffffffffffff9cULL);  /* remuw by a low-half 0 */
    ck_assert_uint_eq(h.x[27], m1);                     /* divw by a low-half 0 */
    ck_assert_uint_eq(h.x[28], m1);                     /* divuw by x0 */
    ck_assert_uint_eq(h.x[29], min32);                  /* remw by x0 */
    ck_assert_uint_eq(h.x[30], 0);                      /* 7 % -1 */
    ck_assert_uint_eq(h.x[31], (uint64_t)-7);           /* 7 / -1 */
    ck_assert_uint_eq(h.x[5], m1);                      /* mulhsu -1, 2^64-1 */
    ck_assert_uint_eq(h.x[6], 0x2468ace9);
    ck_assert_uint_eq(h.x[7], 0x8000000000000000ULL);
    ck_assert_uint_eq(h.x[3], 0x90a920887ffffffcULL);
    ck_assert_uint_eq(h.x[4], 0);
    ck_assert_uint_eq(h.x[12], (uint64_t)-14);          /* rd = rs2 */
    ck_assert_uint_eq(h.x[13], 0);                      /* rd = rs1 = rs2 */
}
END_TEST

START_TEST(test_div_and_rem_of_the_same_operands_paired)
{
    /* A div and a rem (either order) of the same operands share one x86
     * divide: the first keeps the other result for the second, in each
     * case (normal, divisor -1 with overflow, zero divisor), and not when
     * an operand changes in between. a0 = -1, a1 = INT64_MIN, a2 = 7,
     * a3 = -100, t0 = 0:
     *   div a4,a3,a2 ; rem a5,a3,a2 ; divu a6,a3,a2 ; addi s1,s1,1 ;
     *   remu a7,a3,a2 ; rem s2,a1,a0 ; div s3,a1,a0 ; div s4,a3,t0 ;
     *   rem s5,a3,t0 ; remu s6,a3,t0 ; divu s7,a3,t0 ; div s8,a2,a0 ;
     *   rem s9,a2,a0 ; rem t3,a2,a0 ; div t4,a2,a0 ; divu s10,a3,a2 ;
     *   addi a2,a2,1 ; remu s11,a3,a2 */
    static const uint32_t prog[] = {
        0xfff00513, 0x03f51593, 0x00700613, 0xf9c00693, 0x00000293, 0x02c6c733,
        0x02c6e7b3, 0x02c6d833, 0x00148493, 0x02c6f8b3, 0x02a5e933, 0x02a5c9b3,
        0x0256ca33, 0x0256eab3, 0x0256fb33, 0x0256dbb3, 0x02a64c33, 0x02a66cb3,
        0x02a66e33, 0x02a64eb3, 0x02c6dd33, 0x00160613, 0x02c6fdb3,
    };
    Hart h;
    check_same(prog, 23, 30, &h); /* past the end: not a budget-cut copy */
    if (!native_backend_available())
        return;
    const uint64_t min = 1ULL << 63, m100 = (uint64_t)-100;
    ck_assert_uint_eq(h.x[14], (uint64_t)-14);
    ck_assert_uint_eq(h.x[15], (uint64_t)-2);
    ck_assert_uint_eq(h.x[16], m100 / 7);
    ck_assert_uint_eq(h.x[17], m100 % 7);
    ck_assert_uint_eq(h.x[18], 0);
    ck_assert_uint_eq(h.x[19], min);
    ck_assert_uint_eq(h.x[20], UINT64_MAX);
    ck_assert_uint_eq(h.x[21], m100);
    ck_assert_uint_eq(h.x[22], m100);
    ck_assert_uint_eq(h.x[23], UINT64_MAX);
    ck_assert_uint_eq(h.x[24], (uint64_t)-7);
    ck_assert_uint_eq(h.x[25], 0);
    ck_assert_uint_eq(h.x[28], 0);
    ck_assert_uint_eq(h.x[29], (uint64_t)-7);
    ck_assert_uint_eq(h.x[26], m100 / 7);
    ck_assert_uint_eq(h.x[27], m100 % 8);
}
END_TEST

START_TEST(test_host_code_buffer_full_flushes)
{
    if (!native_backend_available())
        return;
    /* 64 pages of `ld a1,0(sp)` looping back: loads take more host code
     * (lookup and slow path) than ops, so the host code buffer fills
     * first; every flush must leave the machine running correctly. */
    Machine *m = machine_with(MACHINE_BACKEND_NATIVE, 64 << 10);
    uint8_t *ram = memory_ram_ptr(&m->mem, 0x80000000, 64 * 4096);
    const unsigned n = 64 * 1024 - 2;
    for (unsigned i = 0; i < n; i++) {
        uint32_t ld = 0x00013583; /* ld a1,0(sp) */
        memcpy(ram + i * 4, &ld, 4);
    }
    uint32_t addi = 0x00150513; /* addi a0,a0,1 */
    memcpy(ram + n * 4, &addi, 4);
    int32_t off = -(int32_t)((n + 1) * 4);
    uint32_t u = (uint32_t)off;
    uint32_t jal = ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 |
                   ((u >> 11) & 1) << 20 | ((u >> 12) & 0xff) << 12 | 0x6f;
    memcpy(ram + (n + 1) * 4, &jal, 4);
    uint64_t v = 0x1122334455667788ULL;
    memcpy(memory_ram_ptr(&m->mem, 0x80f00000, 8), &v, 8);
    Hart *h = &m->harts[0];
    h->x[2] = 0x80f00000;
    h->pc = 0x80000000;
    machine_run_hart(m, h, 3 * (uint64_t)(n + 2));
    ck_assert_uint_ge(m->stats.host_code_flushes, 2);
    ck_assert_uint_eq(h->x[10], 3);
    ck_assert_uint_eq(h->x[11], v);
    machine_free(m);
}
END_TEST

START_TEST(test_store_unlinks_chained_code)
{
    /* X (0x00): sw t1,0(t0) ; add t0,t0,t2 ; jal Y
     * Y (0x20): addi a0,a0,1 ; jal X
     * t0 walks down one page per pass: data, data, then Y's addi, which
     * becomes addi a0,a0,100. By then X's host code jumps straight into
     * Y's: the store must unlink it, so the third pass runs the new Y. */
    static const uint32_t prog[] = { 0x0062a023, 0x007282b3, 0x0180006f, 0, 0, 0, 0, 0,
                                     0x00150513, 0xfddff06f };
    for (int b = 0; b < 2; b++) {
        MachineBackend be = b ? MACHINE_BACKEND_NATIVE : MACHINE_BACKEND_PORTABLE;
        if (be == MACHINE_BACKEND_NATIVE && !native_backend_available())
            continue;
        Machine *m = machine_with(be, 0);
        Hart *h = &m->harts[0];
        h->x[5] = 0x80002020;
        h->x[6] = 0x06450513;
        h->x[7] = (uint64_t)-0x1000;
        test_run_words(m, prog, 10, 15);
        ck_assert_uint_eq(h->x[10], 102);
        if (be == MACHINE_BACKEND_NATIVE)
            ck_assert_uint_ge(m->stats.native_links, 2);
        machine_free(m);
    }
}
END_TEST

START_TEST(test_backend_resolution)
{
    MachineBackend b;
    char err[256];
    unsetenv("REWIND_BACKEND");
    ck_assert(machine_resolve_backend(MACHINE_BACKEND_DEFAULT, &b, err, sizeof(err)));
    ck_assert_int_eq(b, native_backend_available() ? MACHINE_BACKEND_NATIVE
                                                   : MACHINE_BACKEND_PORTABLE);
    setenv("REWIND_BACKEND", "portable", 1);
    ck_assert(machine_resolve_backend(MACHINE_BACKEND_DEFAULT, &b, err, sizeof(err)));
    ck_assert_int_eq(b, MACHINE_BACKEND_PORTABLE);
    setenv("REWIND_BACKEND", "fast", 1);
    ck_assert(!machine_resolve_backend(MACHINE_BACKEND_DEFAULT, &b, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "REWIND_BACKEND=fast"));
    /* an explicit choice wins over the environment */
    ck_assert(machine_resolve_backend(MACHINE_BACKEND_PORTABLE, &b, err, sizeof(err)));
    ck_assert_int_eq(b, MACHINE_BACKEND_PORTABLE);
    unsetenv("REWIND_BACKEND");
}
END_TEST

START_TEST(test_fences_in_each_mode)
{
    if (!native_backend_available())
        return;
    /* With one thread running the harts, no fence needs host code. In the
     * fast mode, a fence that orders W -> R is an inline mfence and pause
     * calls its handler (which yields the thread); the others are nothing
     * on x86-64's TSO. The same TB emitted again as the fast mode would. */
    static const uint32_t prog[] = {
        0x0230000f, /* fence r,rw */
        0x0330000f, /* fence rw,rw */
        0x0100000f, /* pause */
        0x8330000f, /* fence.tso */
    };
    Machine *m = machine_with(MACHINE_BACKEND_NATIVE, 0);
    Hart *h = test_run_words(m, prog, 4, 5);
    const NativeTbMap *map = native_last_map(tb_cache_native(m->tbc));
    ck_assert_ptr_nonnull(map);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_uint_eq(map->op_start[i + 1], map->op_start[i]);
    TB *tb = tb_cache_lookup(m->tbc, MEM_RAM_BASE, MEM_RAM_BASE, tb_flags_for(h));
    ck_assert_ptr_nonnull(tb);
    ck_assert_ptr_nonnull(native_emit(tb_cache_native(m->tbc), tb, true));
    map = native_last_map(tb_cache_native(m->tbc));
    ck_assert_uint_eq(map->op_start[1], map->op_start[0]);     /* fence r,rw */
    ck_assert_uint_eq(map->op_start[2] - map->op_start[1], 3); /* mfence */
    ck_assert_uint_gt(map->op_start[3], map->op_start[2] + 3); /* a call */
    ck_assert_uint_eq(map->op_start[4], map->op_start[3]);     /* fence.tso */
    const uint8_t mfence[3] = { 0x0f, 0xae, 0xf0 };
    ck_assert_mem_eq(map->code + map->op_start[1], mfence, 3);
    machine_free(m);
}
END_TEST

START_TEST(test_out_asm_maps_ops_to_host_code)
{
    if (!native_backend_available())
        return;
    /* One TB: addi (inline), ld (inline lookup, slow path out of line),
     * fence r,rw (no host code: TSO orders it), then the closing
     * jal x0,0 (ends the TB). The
     * emitter's map must place each op's code in order, and -d
     * in_asm,out_asm must print each guest line before its host lines. */
    static const uint32_t prog[] = {
        0x00500513, /* addi a0,x0,5 */
        0x00013583, /* ld a1,0(sp) */
        0x0230000f, /* fence r,rw */
    };
    Machine *m = machine_with(MACHINE_BACKEND_NATIVE, 0);
    FILE *log = tmpfile();
    ck_assert_ptr_nonnull(log);
    m->log.mask = LOG_IN_ASM | LOG_OUT_ASM;
    m->log.out = log;
    m->harts[0].x[2] = 0x80001000;
    test_run_words(m, prog, 3, 4); /* just this TB: its map is the last */
    const NativeTbMap *map = native_last_map(tb_cache_native(m->tbc));
    ck_assert_ptr_nonnull(map);
    ck_assert_uint_eq(map->nops, 4);
    ck_assert_uint_gt(map->entry, 0);
    ck_assert_uint_gt(map->op_start[0], map->entry);
    ck_assert_uint_gt(map->op_start[1], map->op_start[0]);
    ck_assert_uint_gt(map->op_start[2], map->op_start[1]);
    ck_assert_uint_eq(map->op_start[3], map->op_start[2]); /* fence: nothing */
    ck_assert_uint_gt(map->op_start[4], map->op_start[3]);
    ck_assert_uint_ge(map->slow, map->op_start[4]);
    ck_assert_uint_gt(map->size, map->slow); /* the ld's slow path */

    char text[64 << 10];
    size_t len = (size_t)ftell(log);
    ck_assert_uint_lt(len, sizeof(text));
    rewind(log);
    ck_assert_uint_eq(fread(text, 1, len, log), len);
    text[len] = 0;
    fclose(log);
    m->log.out = NULL;
    const char *addi = strstr(text, "\n  0x0000000080000000:  00500513  addi a0,zero,5\n");
    const char *ld = strstr(text, "\n  0x0000000080000004:  00013583  ");
    const char *fence = strstr(text, "\n  0x0000000080000008:  0230000f  ");
    const char *jal = strstr(text, "\n  0x000000008000000c:  0000006f  ");
    ck_assert_msg(addi && ld && fence && jal, "guest lines missing in:\n%s", text);
    ck_assert(addi < ld);
    ck_assert(ld < fence);
    ck_assert(fence < jal);
    /* Host lines right after the addi, ld and jal lines; the fence says it
     * has none; the slow paths come after the last instruction. */
    ck_assert(strncmp(strchr(addi + 1, '\n'), "\n      0x", 9) == 0);
    ck_assert(strncmp(strchr(ld + 1, '\n'), "\n      0x", 9) == 0);
    ck_assert(strncmp(strchr(fence + 1, '\n'), "\n      (no host code)\n", 22) == 0);
    ck_assert(strncmp(strchr(jal + 1, '\n'), "\n      0x", 9) == 0);
    const char *slow = strstr(text, "\n  -- slow paths");
    ck_assert_ptr_nonnull(slow);
    ck_assert(slow > jal);
    ck_assert_ptr_nonnull(strstr(text, "\nOUT: [size="));
    if (tb_log_can_disassemble_host())
        ck_assert_ptr_nonnull(strstr(text, " retq\n"));
    machine_free(m);
}
END_TEST

/* ---- fmadd.d and its variants inline (emit_fma_d) */

enum { FMA_ENTRIES = 40000, FMA_ENTRY = 96, FMA_TABLE = 0x80100000 };

/* Run the FMA table program on backend b over the table (count first,
 * then the entries) and copy the table back out. */
static void fma_table_run(MachineBackend b, const uint8_t *table, size_t size, uint8_t *out,
                          Hart *hart)
{
    /* auipc a0,0x100 ; ld a1,0(a0) ; addi a0,a0,8 ; lui t0,0x2 ;
     * csrs mstatus,t0 (FS initial); then per entry (a, b, c, frm, and four
     * result/fflags pairs):
     *   fld f1,0(a0) ; fld f2,8(a0) ; fld f3,16(a0) ; ld t1,24(a0) ;
     *   fsrm t1 ; fsflags x0 ; fmadd.d f4,f1,f2,f3 (dyn) ; frflags t2 ;
     *   fsd f4,32(a0) ; sd t2,40(a0) ; fsflags x0 ;
     *   fmsub.d f5,f1,f2,f3,rne ; frflags t2 ; fsd f5,48(a0) ; sd t2,56(a0) ;
     *   fsflags x0 ; fnmsub.d f6,f1,f2,f3 (dyn) ; frflags t2 ; fsd f6,64(a0) ;
     *   sd t2,72(a0) ; fsflags x0 ; fnmadd.d f1,f1,f2,f3,rne (rd = rs1) ;
     *   frflags t2 ; fsd f1,80(a0) ; sd t2,88(a0) ;
     *   fmadd.d f3,f2,f2,f3,rne (rs1 = rs2, rd = rs3) ; fsd f3,16(a0) ;
     *   addi a0,a0,96 ; addi a1,a1,-1 ; bnez a1,loop */
    static const uint32_t prog[] = {
        0x00100517, 0x00053583, 0x00850513, 0x000022b7, 0x3002a073, 0x00053087,
        0x00853107, 0x01053187, 0x01853303, 0x00231073, 0x00101073, 0x1a20f243,
        0x001023f3, 0x02453027, 0x02753423, 0x00101073, 0x1a2082c7, 0x001023f3,
        0x02553827, 0x02753c23, 0x00101073, 0x1a20f34b, 0x001023f3, 0x04653027,
        0x04753423, 0x00101073, 0x1a2080cf, 0x001023f3, 0x04153827, 0x04753c23,
        0x1a2101c3, 0x00353827, 0x06050513, 0xfff58593, 0xf80596e3,
    };
    Machine *m = machine_with(b, 0);
    uint8_t *ram = memory_ram_ptr(&m->mem, FMA_TABLE, size);
    ck_assert_ptr_nonnull(ram);
    memcpy(ram, table, size);
    Hart *h = &m->harts[0];
    h->csr.mtvec = 0x80000100; /* an exception would stop there */
    uint64_t n = 5 + 30 * (uint64_t)FMA_ENTRIES + 1;
    test_run_words(m, prog, sizeof(prog) / 4, n);
    while (h->icount < n && machine_run_hart(m, h, n - h->icount) > 0)
        ;
    memcpy(out, ram, size);
    *hart = *h;
    machine_free(m);
}

START_TEST(test_fma_d_inline)
{
    /* Random and edge operands (tests/unit/helpers.h; a third of the
     * addends share the product's lowest set bit, a third cancel it
     * exactly or nearly), frm random among the five rounding modes: the
     * native backend must leave the same results, fflags and mstatus as
     * the portable one, for each variant, static RNE and dynamic. */
    if (!native_backend_available())
        return;
    size_t size = 8 + (size_t)FMA_ENTRIES * FMA_ENTRY;
    uint8_t *table = calloc(1, size), *pout = malloc(size), *nout = malloc(size);
    ck_assert(table && pout && nout);
    uint64_t count = FMA_ENTRIES;
    memcpy(table, &count, 8);
    for (unsigned i = 0; i < FMA_ENTRIES; i++) {
        uint64_t v[4];
        v[0] = test_fp_operand(52, 11);
        v[1] = test_fp_operand(52, 11);
        switch (test_fp_rand() % 3) {
        case 0:
            v[2] = test_fp_same_lsb(v[0], v[1], 52, 11);
            break;
        case 1: { /* -(a*b) rounded, or one unit in the last place off */
            double p = 0, x, y;
            memcpy(&x, &v[0], 8);
            memcpy(&y, &v[1], 8);
            p = -(x * y);
            memcpy(&v[2], &p, 8);
            v[2] += test_fp_rand() % 3 - 1;
            break;
        }
        default:
            v[2] = test_fp_operand(52, 11);
            break;
        }
        /* frm: RNE half of the time (the inline path), else any mode */
        v[3] = test_fp_rand() & 1 ? 0 : test_fp_rand() % 5;
        memcpy(table + 8 + (size_t)i * FMA_ENTRY, v, sizeof(v));
    }
    Hart p, n;
    fma_table_run(MACHINE_BACKEND_PORTABLE, table, size, pout, &p);
    fma_table_run(MACHINE_BACKEND_NATIVE, table, size, nout, &n);
    ck_assert_uint_eq(p.icount, n.icount);
    ck_assert_uint_eq(p.pc, n.pc);
    ck_assert_uint_eq(p.csr.mcause, 0); /* no exception */
    ck_assert_uint_eq(p.x[11], 0);      /* the whole table */
    ck_assert_uint_eq(p.csr.fflags, n.csr.fflags);
    ck_assert_uint_eq(p.csr.mstatus, n.csr.mstatus);
    ck_assert_mem_eq(p.f, n.f, sizeof(p.f));
    for (unsigned i = 0; i < FMA_ENTRIES; i++) {
        const uint8_t *pe = pout + 8 + (size_t)i * FMA_ENTRY, *ne = nout + 8 + (size_t)i * FMA_ENTRY;
        if (memcmp(pe, ne, FMA_ENTRY)) {
            uint64_t in[4], pr[8], nr[8];
            memcpy(in, table + 8 + (size_t)i * FMA_ENTRY, sizeof(in));
            memcpy(pr, pe + 32, sizeof(pr));
            memcpy(nr, ne + 32, sizeof(nr));
            ck_abort_msg("entry %u: a %016llx b %016llx c %016llx frm %llu: portable "
                         "%016llx/%llx %016llx/%llx %016llx/%llx %016llx/%llx, native "
                         "%016llx/%llx %016llx/%llx %016llx/%llx %016llx/%llx", i,
                         (unsigned long long)in[0], (unsigned long long)in[1],
                         (unsigned long long)in[2], (unsigned long long)in[3],
                         (unsigned long long)pr[0], (unsigned long long)pr[1],
                         (unsigned long long)pr[2], (unsigned long long)pr[3],
                         (unsigned long long)pr[4], (unsigned long long)pr[5],
                         (unsigned long long)pr[6], (unsigned long long)pr[7],
                         (unsigned long long)nr[0], (unsigned long long)nr[1],
                         (unsigned long long)nr[2], (unsigned long long)nr[3],
                         (unsigned long long)nr[4], (unsigned long long)nr[5],
                         (unsigned long long)nr[6], (unsigned long long)nr[7]);
        }
    }
    free(table);
    free(pout);
    free(nout);
}
END_TEST

START_TEST(test_fma_d_slow_path_keeps_cached_registers)
{
    /* An inline fmadd.d whose operands send it to its handler (a zero
     * addend): the call clobbers the caller-saved cache registers, which
     * the slow path loads again (a5 and a6 sit in rsi and rdi here).
     *   lui t0,0x2 ; csrs mstatus,t0 ; fcvt.d.l f1,t0 ; fcvt.d.l f2,t0 ;
     *   addi a0..a6 = 1..7 ; fmadd.d f3,f1,f2,f0 ; add t1,a4,a5 ;
     *   add t2,a5,a6 ; add t3,a6,a0 ; fcvt.l.d t4,f3 */
    static const uint32_t prog[] = {
        0x000022b7, 0x3002a073, 0xd222f0d3, 0xd222f153, 0x00100513, 0x00200593,
        0x00300613, 0x00400693, 0x00500713, 0x00600793, 0x00700813, 0x0220f1c3,
        0x00f70333, 0x010783b3, 0x00a80e33, 0xc221fed3,
    };
    Hart h;
    check_same(prog, 16, 20, &h); /* past the end: not a budget-cut copy */
    if (native_backend_available()) {
        ck_assert_uint_eq(h.x[6], 11);
        ck_assert_uint_eq(h.x[7], 13);
        ck_assert_uint_eq(h.x[28], 8);
        ck_assert_uint_eq(h.x[29], 0x4000000);
    }
}
END_TEST

Suite *suite_native(void)
{
    Suite *s = suite_create("native");
    TCase *tc = tcase_create("native");
    /* Each test builds machines for dozens of budgets: minutes of margin
     * for an ASan build on a loaded host (the default is 4 s). */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_load_fault_mid_tb);
    tcase_add_test(tc, test_store_fault_mid_tb);
    tcase_add_test(tc, test_x0_reads_zero);
    tcase_add_test(tc, test_guest_registers_cached_in_host_registers);
    tcase_add_test(tc, test_loop_to_itself);
    tcase_add_test(tc, test_jal_link_in_a_self_loop);
    tcase_add_test(tc, test_write_back_before_calls_and_slow_paths);
    tcase_add_test(tc, test_caller_saved_cache_registers_across_calls);
    tcase_add_test(tc, test_fp_loads_and_stores_inline);
    tcase_add_test(tc, test_interrupt_raised_by_a_store_in_a_loop);
    tcase_add_test(tc, test_division_and_high_multiply_inline);
    tcase_add_test(tc, test_div_and_rem_of_the_same_operands_paired);
    tcase_add_test(tc, test_host_code_buffer_full_flushes);
    tcase_add_test(tc, test_store_unlinks_chained_code);
    tcase_add_test(tc, test_backend_resolution);
    tcase_add_test(tc, test_out_asm_maps_ops_to_host_code);
    tcase_add_test(tc, test_fences_in_each_mode);
    tcase_add_test(tc, test_fma_d_inline);
    tcase_add_test(tc, test_word_division_and_mulhsu_inline);
    tcase_add_test(tc, test_fma_d_slow_path_keeps_cached_registers);
    suite_add_tcase(s, tc);
    return s;
}
