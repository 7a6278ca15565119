/* What translator/ops_fp.c offers besides its handlers (declared in
 * insn_table.h). */
#ifndef REWIND_TRANSLATOR_OPS_FP_H
#define REWIND_TRANSLATOR_OPS_FP_H

#include <stdbool.h>
#include <stdint.h>

/* a * b + c by the software engine alone, rounded by rm (0..4), the
 * flags ORed into *fl; a single (is_double false) in the low 32 bits.
 * The reference the host fast paths must match bit for bit (unit tests). */
uint64_t fp_fma_software(bool is_double, uint64_t a, uint64_t b, uint64_t c,
                         unsigned rm, unsigned *fl);

#endif
