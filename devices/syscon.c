/* SiFive test finisher / syscon: poweroff, reboot and fail-with-code. */
#include "devices/syscon.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/machine.h"

struct Syscon {
    Machine *m;
};

/* 16- and 32-bit accesses, as QEMU's finisher accepts (Linux's regmap
 * uses 32-bit writes, a bare-metal test may store a halfword). */
static bool syscon_size_ok(uint64_t off, unsigned size)
{
    return (size == 2 || size == 4) && (off & (size - 1)) == 0;
}

static bool syscon_read(void *opaque, uint64_t off, unsigned size,
                        uint64_t *val)
{
    (void)opaque;
    if (!syscon_size_ok(off, size))
        return false;
    *val = 0;
    return true;
}

static bool syscon_write(void *opaque, uint64_t off, unsigned size,
                         uint64_t val)
{
    Syscon *s = opaque;
    if (!syscon_size_ok(off, size))
        return false;
    if (off == 0) {
        unsigned status = val & 0xffff, code = (val >> 16) & 0xffff;
        switch (status) {
        case SYSCON_PASS:
            machine_request_exit(s->m, 0);
            return true;
        case SYSCON_FAIL:
            /* As QEMU: the exit status is the code, even when it is 0. */
            machine_request_exit(s->m, (int)code);
            return true;
        case SYSCON_RESET:
            machine_request_reset(s->m); /* a reboot, or the end with -no-reboot */
            return true;
        default:
            break;
        }
    }
    log_printf(&s->m->log, LOG_UNIMP,
               "syscon: ignored write of 0x%llx at offset 0x%llx\n",
               (unsigned long long)val, (unsigned long long)off);
    return true;
}

static const MmioOps syscon_ops = { .read = syscon_read,
                                    .write = syscon_write };

static void syscon_free(void *opaque)
{
    free(opaque);
}

Syscon *syscon_new(Machine *m, uint64_t base, char *err, size_t errlen)
{
    Syscon *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "syscon: out of memory");
        return NULL;
    }
    s->m = m;
    MachineDevice dev = { .name = "syscon", .opaque = s, .free = syscon_free };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "syscon: too many devices");
        free(s);
        return NULL;
    }
    /* From here on the machine owns s (its free hook). */
    if (!memory_add_mmio(&m->mem, base, SYSCON_SIZE, &syscon_ops, s,
                         "syscon")) {
        snprintf(err, errlen, "syscon: cannot map at 0x%llx (overlap?)",
                 (unsigned long long)base);
        return NULL;
    }
    return s;
}
