/* What the chaos demonstration guests share: the start-up hand-shake of
 * the second hart, and spins of an exact number of instructions. */
#ifndef CHAOS_COMMON_H
#define CHAOS_COMMON_H

#include <stdint.h>

#include "rt.h"

/* Spin for 2n instructions (n >= 1): a countdown, two instructions a turn,
 * touching no memory (setup work that takes a known time). */
static inline void spin(uint64_t n)
{
    __asm__ volatile("1: addi %0, %0, -1\n"
                     "   bnez %0, 1b\n"
                     : "+r"(n));
}

/* Hart 1 starts before hart 0 has cleared .bss, so it waits for this word
 * (zero until main sets it, after the clear). Harts above 1 only wait. */
extern volatile uint32_t chaos_go;

#endif
