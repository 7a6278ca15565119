/* Memory layout shared by runtime.S, rt.c and gen.py (which repeats these
 * numbers: keep them in step).  All offsets are from SCRATCH_BASE, which the
 * cases hold in sp, or from the start of a case's init table. */
#ifndef DIFF_LAYOUT_H
#define DIFF_LAYOUT_H

/* Both start 0x100..0x200 bytes below a page boundary on purpose: case
 * code crosses a page (4-byte instructions may straddle it) and the data
 * buffer does too (misaligned accesses may straddle it). */
#define EXEC_BASE       0x80010e00
#define EXEC_SIZE       0xf000
#define SCRATCH_BASE    0x80020f00

#define SCR_MEM         0       /* 512-byte buffer the cases load/store */
#define SCR_MEM_SIZE    512
#define SCR_X           512     /* x0..x31 saved by the case epilogue */
#define SCR_F           768     /* f0..f31 */
#define SCR_FCSR        1024
#define SCR_RET         1032    /* where the epilogue returns to */
#define SCR_POOL        1040    /* read-only pool of edge values */
#define POOL_WORDS      120

#define TBL_MEM         0
#define TBL_FCSR        512
#define TBL_F           520
#define TBL_X           776
#define TBL_POOL        1032
#define TBL_SIZE        (TBL_POOL + 8 * POOL_WORDS)

#define TRAP_COUNT      0
#define TRAP_CAUSE      8       /* of the first trap */
#define TRAP_EPC        16
#define TRAP_TVAL       24
#define TRAP_HASH       32      /* over (cause, epc, tval) of every trap */
#define TRAP_MASK       40      /* 1 << cause for every trap */
#define TRAP_SAVE1      48
#define TRAP_SAVE2      56
#define TRAP_SAVE3      64
#define TRAP_SAVE4      72
#define TRAP_SAVE5      80
#define TRAP_INFO_SIZE  88

#endif
