/* Virtual clock helpers and the -icount option. */
#include "icount/icount.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool icount_parse(const char *spec, IcountConfig *cfg, char *err, size_t errlen)
{
    const char *v = strncmp(spec, "shift=", 6) == 0 ? spec + 6 : spec;
    memset(cfg, 0, sizeof(*cfg));
    if (strcmp(v, "auto") == 0) {
        cfg->ns_per_insn = 1u << 3;
        cfg->pace = true;
        return true;
    }
    char *end;
    unsigned long shift = strtoul(v, &end, 10);
    if (v[0] >= '0' && v[0] <= '9' && *end == '\0' && shift <= 10) {
        cfg->ns_per_insn = 1ULL << shift;
        return true;
    }
    snprintf(err, errlen, "-icount %s: expected shift=N (N from 0 to 10) or "
             "shift=auto", spec);
    return false;
}

uint64_t icount_insns_until(uint64_t now_ns, uint64_t deadline_ns,
                            uint64_t ns_per_insn)
{
    if (deadline_ns <= now_ns)
        return 0;
    uint64_t d = deadline_ns - now_ns;
    return d / ns_per_insn + (d % ns_per_insn != 0);
}

uint64_t icount_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
