/* Control and status registers: numbers, mstatus fields, and the access
 * function used by the Zicsr instructions. */
#ifndef REWIND_CORE_CSR_H
#define REWIND_CORE_CSR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hart.h"

/* mstatus / sstatus fields */
#define MSTATUS_SIE (1ULL << 1)
#define MSTATUS_MIE (1ULL << 3)
#define MSTATUS_SPIE (1ULL << 5)
#define MSTATUS_UBE (1ULL << 6)
#define MSTATUS_MPIE (1ULL << 7)
#define MSTATUS_SPP (1ULL << 8)
#define MSTATUS_VS (3ULL << 9)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3ULL << 11)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_FS (3ULL << 13)
#define MSTATUS_XS (3ULL << 15)
#define MSTATUS_MPRV (1ULL << 17)
#define MSTATUS_SUM (1ULL << 18)
#define MSTATUS_MXR (1ULL << 19)
#define MSTATUS_TVM (1ULL << 20)
#define MSTATUS_TW (1ULL << 21)
#define MSTATUS_TSR (1ULL << 22)
#define MSTATUS_UXL (3ULL << 32)
#define MSTATUS_SXL (3ULL << 34)
#define MSTATUS_SBE (1ULL << 36)
#define MSTATUS_MBE (1ULL << 37)
#define MSTATUS_SD (1ULL << 63)

#define FS_OFF 0
#define FS_INITIAL 1
#define FS_CLEAN 2
#define FS_DIRTY 3

/* menvcfg / senvcfg */
#define MENVCFG_FIOM (1ULL << 0)
#define MENVCFG_CBIE (3ULL << 4)  /* Zicbom: cbo.inval allowed below M (01 flush, 11 inval) */
#define MENVCFG_CBCFE (1ULL << 6) /* Zicbom: cbo.clean/flush allowed below M */
#define MENVCFG_CBZE (1ULL << 7)  /* Zicboz: cbo.zero allowed below M */
#define MENVCFG_PBMTE (1ULL << 62) /* Svpbmt: PBMT in S/U translations */
#define MENVCFG_STCE (1ULL << 63)

/* satp */
#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE 0
#define SATP_MODE_SV39 8
#define SATP_MODE_SV48 9
#define SATP_PPN_MASK ((1ULL << 44) - 1)

/* CSR numbers used outside csr.c */
enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105,
    CSR_SCOUNTEREN = 0x106, CSR_SENVCFG = 0x10a,
    CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_STIMECMP = 0x14d, CSR_SATP = 0x180,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302,
    CSR_MIDELEG = 0x303, CSR_MIE = 0x304, CSR_MTVEC = 0x305,
    CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a, CSR_MCOUNTINHIBIT = 0x320,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342,
    CSR_MTVAL = 0x343, CSR_MIP = 0x344,
    CSR_PMPCFG0 = 0x3a0, CSR_PMPADDR0 = 0x3b0,
    CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02,
    CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13,
    CSR_MHARTID = 0xf14, CSR_MCONFIGPTR = 0xf15,
};

/* Set mstatus.FS to dirty (and SD): every instruction that writes an FP
 * register or fflags does this. */
static inline void csr_set_fs_dirty(Hart *h)
{
    h->csr.mstatus |= MSTATUS_FS | MSTATUS_SD;
}

static inline unsigned csr_fs(const Hart *h)
{
    return (unsigned)((h->csr.mstatus & MSTATUS_FS) >> MSTATUS_FS_SHIFT);
}

/* Result of a CSR access. */
typedef enum {
    CSR_OK = 0,
    CSR_ILLEGAL,   /* illegal instruction */
} CsrResult;

/* Read-modify-write of CSR `num` on behalf of an instruction at icount
 * `now` (exact retired count, for counters). `write` says whether the
 * instruction writes (csrrw always; csrrs/csrrc only when rs1 != x0).
 * new_val is computed by the caller from the old value; it is called only
 * after the read succeeded. Privilege and read-only checks are done here.
 * On success *old holds the value read. Sets *flush_needed when the write
 * changed translation state (satp, mstatus MPRV/SUM/MXR/MPP, PMP) so the
 * caller ends the TB. */
CsrResult csr_read(Hart *h, unsigned num, uint64_t now, uint64_t *val);
CsrResult csr_write(Hart *h, unsigned num, uint64_t now, uint64_t val);
/* Checks that num may be written from the current privilege (before any
 * side effect of the read). */
CsrResult csr_check_write(Hart *h, unsigned num);

/* Name of a CSR for disassembly, or NULL. */
const char *csr_name(unsigned num);

/* The initial misa value: RV64IMAFDC + S + U. */
uint64_t csr_misa_default(void);

#endif
