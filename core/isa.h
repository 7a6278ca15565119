/* The ISA extensions a machine implements beyond RV64GC, chosen with
 * `-cpu rv64[,EXT=on|off...]` as QEMU spells it.
 *
 * The set is fixed for the life of a machine (MachineConfig.isa_ext), so
 * it needs no TB flag: the decoder of that machine treats the rows of a
 * disabled extension as absent (an illegal instruction), and the CSRs of a
 * disabled extension do not exist. Gating that software changes at run
 * time (menvcfg.STCE, menvcfg/senvcfg.CBZE...) is checked when the
 * instruction or the CSR access executes.
 *
 * The set is part of the machine's identity: a trace records it (option
 * "cpu", in the canonical form of isa_format_cpu), and a trace without it
 * was made by an engine that had none of these extensions (ISA_EXT_LEGACY).
 * docs/isa.md lists them with their defaults and QEMU 7.2's. */
#ifndef REWIND_CORE_ISA_H
#define REWIND_CORE_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One bit each, in the order of the canonical ISA string (the device
 * tree's riscv,isa): Z extensions by their category letter (i, then b),
 * then the S extensions. */
typedef enum {
    ISA_ZICBOM,
    ISA_ZICBOP,
    ISA_ZICBOZ,
    ISA_ZICOND,
    ISA_ZIHINTPAUSE,
    ISA_ZFH,
    ISA_ZFHMIN,
    ISA_ZBA,
    ISA_ZBB,
    ISA_ZBC,
    ISA_ZBS,
    ISA_SSTC,
    ISA_SVINVAL,
    ISA_SVNAPOT,
    ISA_SVPBMT,
    ISA_SDTRIG,
    ISA_COUNT
} IsaExt;

/* The cache-block size of Zicbom and Zicboz (device tree:
 * riscv,cbom-block-size, riscv,cboz-block-size), as QEMU's. */
enum { ISA_CBO_BLOCK_SIZE = 64 };

#define ISA_BIT(e) (1ULL << (e))

/* What an engine without -cpu implemented: RV64GC only. */
#define ISA_EXT_LEGACY 0ULL

/* The default of `-cpu rv64` (and of no -cpu): what QEMU 7.2's -M virt
 * turns on among the extensions rewind implements. */
uint64_t isa_ext_default(void);

/* The name of an extension as -cpu and riscv,isa spell it ("zba"). */
const char *isa_ext_name(IsaExt e);

/* Parse a -cpu value ("rv64", "rv64,zba=off,zicond=on", "help" is not
 * handled here). Starts from the default set. Extension names are matched
 * without regard to case (QEMU 7.2 spells some with a capital: Zihintpause);
 * values are on, off, true, false. false with a message naming the part
 * at fault. */
bool isa_parse_cpu(const char *spec, uint64_t *ext, char *err, size_t errlen);

/* The canonical -cpu value of a set: "rv64" then every extension with its
 * state, e.g. "rv64,zicond=off,zihintpause=on,...". Parsing it gives the
 * set back whatever the defaults become. */
void isa_format_cpu(uint64_t ext, char *buf, size_t len);

/* The device tree's riscv,isa string: "rv64imafdc_zicsr_zifencei" and an
 * "_name" for every extension on. */
void isa_dt_string(uint64_t ext, char *buf, size_t len);

/* Print the list of extensions with their defaults (for -cpu help). */
void isa_print_help(FILE *out);

#endif
