/* Log categories for -d. */
#include "core/log.h"

#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
    const char *help;
} log_categories[] = {
    { "in_asm", LOG_IN_ASM, "guest instructions as they are translated" },
    { "out_asm", LOG_OUT_ASM, "host code of each translation block (native backend; "
                              "with in_asm, after each guest instruction)" },
    { "exec", LOG_EXEC, "every translation block as it is entered" },
    { "int", LOG_INT, "exceptions and interrupts taken, xRET" },
    { "mmu", LOG_MMU, "page-table walks and translation faults" },
    { "unimp", LOG_UNIMP, "unimplemented CSRs, instructions and devices" },
};

enum { LOG_NCATS = sizeof(log_categories) / sizeof(log_categories[0]) };

bool log_parse(const char *spec, unsigned *mask, char *err, size_t errlen)
{
    unsigned m = 0;
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        bool found = false;
        for (unsigned i = 0; i < LOG_NCATS; i++) {
            if (strlen(log_categories[i].name) == len &&
                strncmp(p, log_categories[i].name, len) == 0) {
                m |= log_categories[i].bit;
                found = true;
            }
        }
        if (!found) {
            snprintf(err, errlen, "unknown log category '%.*s' (try -d help)",
                     (int)len, p);
            return false;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    *mask = m;
    return true;
}

void log_print_categories(FILE *out)
{
    fprintf(out, "Log categories for -d (comma separated):\n");
    for (unsigned i = 0; i < LOG_NCATS; i++)
        fprintf(out, "  %-8s %s\n", log_categories[i].name, log_categories[i].help);
}
