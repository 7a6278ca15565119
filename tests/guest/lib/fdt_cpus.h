/* How many harts the machine has, from the flattened device tree the
 * runtime was started with (rt_fdt): for the guests that run on every
 * hart. static inline, so that the programs without it (the ISA tests)
 * keep their code and layout. */
#ifndef RT_FDT_CPUS_H
#define RT_FDT_CPUS_H

#include "rt.h"

static inline uint32_t rt_fdt_be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The number of nodes named cpu@N in the flattened device tree at fdt, 0
 * if fdt is NULL or not a device tree. */
static inline unsigned rt_fdt_count_cpus(const void *fdt)
{
    if (!fdt || rt_fdt_be32(fdt) != 0xd00dfeed)
        return 0;
    const uint8_t *tree = fdt;
    const uint8_t *p = tree + rt_fdt_be32(tree + 8); /* off_dt_struct */
    unsigned n = 0;
    for (;;) {
        uint32_t token = rt_fdt_be32(p);
        p += 4;
        if (token == 1) { /* FDT_BEGIN_NODE: the name, NUL, padding */
            const char *name = (const char *)p;
            if (name[0] == 'c' && name[1] == 'p' && name[2] == 'u' && name[3] == '@')
                n++;
            p += (strlen(name) + 1 + 3) & ~(size_t)3;
        } else if (token == 3) { /* FDT_PROP: len, nameoff, value */
            p += 8 + ((rt_fdt_be32(p) + 3) & ~3u);
        } else if (token == 2 || token == 4) { /* END_NODE, NOP */
        } else {
            break; /* FDT_END or damage */
        }
    }
    return n;
}

#endif
