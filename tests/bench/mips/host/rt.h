/* The guest runtime's few names that mips.c uses, for a host build of the
 * same workload (tests/bench/mips/run: the "host, native" row): stdio's
 * puts and printf, and no instret to read (0). */
#ifndef REWIND_BENCH_MIPS_HOST_RT_H
#define REWIND_BENCH_MIPS_HOST_RT_H

#include <stdint.h>
#include <stdio.h>

#define RT_STR_(x) #x
#define RT_STR(x) RT_STR_(x)

static inline uint64_t rt_instret(void)
{
    return 0;
}

#endif
