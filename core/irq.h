/* An interrupt line: a device raises or lowers it without knowing what is
 * on the other end (a PLIC source, a hart's mip bit). */
#ifndef REWIND_CORE_IRQ_H
#define REWIND_CORE_IRQ_H

#include <stdbool.h>

typedef struct IrqLine {
    void (*set)(void *opaque, unsigned n, bool level);
    void *opaque;
    unsigned n;
} IrqLine;

static inline void irq_set(const IrqLine *line, bool level)
{
    if (line->set)
        line->set(line->opaque, line->n, level);
}

#endif
