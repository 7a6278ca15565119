/* Building and tearing down a machine; stop requests. */
#include "core/machine.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "translator/tb_cache.h"

/* Code buffer for translated blocks: flushed whole when full. */
enum { TB_CODE_BUFFER_SIZE = 64 << 20 };

Machine *machine_new(const MachineConfig *cfg, char *err, size_t errlen)
{
    if (cfg->nharts < 1 || cfg->nharts > MACHINE_MAX_HARTS) {
        snprintf(err, errlen, "-smp %u: between 1 and %d harts are supported",
                 cfg->nharts, MACHINE_MAX_HARTS);
        return NULL;
    }
    Machine *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    if (!m->cfg.quantum)
        m->cfg.quantum = 10000;
    m->log.out = stderr;
    if (!memory_init(&m->mem, MEM_RAM_BASE, cfg->ram_size)) {
        snprintf(err, errlen, "cannot allocate %llu bytes of guest RAM",
                 (unsigned long long)cfg->ram_size);
        free(m);
        return NULL;
    }
    m->nharts = cfg->nharts;
    m->harts = calloc(m->nharts, sizeof(Hart));
    m->tbc = tb_cache_new(MEM_RAM_BASE, cfg->ram_size, TB_CODE_BUFFER_SIZE);
    if (!m->harts || !m->tbc) {
        snprintf(err, errlen, "out of memory");
        machine_free(m);
        return NULL;
    }
    for (unsigned i = 0; i < m->nharts; i++)
        hart_reset(&m->harts[i], i, m, MEM_RAM_BASE);
    return m;
}

void machine_free(Machine *m)
{
    if (!m)
        return;
    if (m->tbc)
        tb_cache_free(m->tbc);
    free(m->harts);
    memory_free(&m->mem);
    free(m);
}

void machine_request_exit(Machine *m, int code)
{
    if (m->stop == STOP_NONE) {
        m->stop = STOP_EXIT;
        m->exit_code = code;
    }
}

void machine_fail(Machine *m, const char *fmt, ...)
{
    if (m->stop == STOP_ERROR)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
    m->stop = STOP_ERROR;
}

uint64_t machine_icount(const Machine *m)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < m->nharts; i++)
        n += m->harts[i].icount;
    return n;
}

uint64_t machine_mtime(const Machine *m)
{
    /* A nominal 100 MIPS against the 10 MHz timebase; the icount layer
     * replaces this with its virtual clock. */
    return machine_icount(m) / 10;
}
