/* Debug logging by category (`-d in_asm,out_asm,exec,int,mmu,unimp`, `-D FILE`). */
#ifndef REWIND_CORE_LOG_H
#define REWIND_CORE_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum {
    LOG_IN_ASM = 1u << 0, /* guest code as it is translated */
    LOG_EXEC = 1u << 1,   /* every TB as it runs */
    LOG_INT = 1u << 2,    /* exceptions and interrupts taken */
    LOG_MMU = 1u << 3,    /* page-table walks and faults */
    LOG_UNIMP = 1u << 4,  /* unimplemented CSRs, devices and instructions */
    LOG_OUT_ASM = 1u << 5, /* host code of each TB (native backend) */
};

typedef struct Log {
    unsigned mask;
    FILE *out; /* stderr unless -D FILE */
} Log;

/* Parse "in_asm,exec" into a mask. Returns false and names the bad item in
 * err when a category is unknown. "help" lists them. */
bool log_parse(const char *spec, unsigned *mask, char *err, size_t errlen);

/* The list of categories with their one-line descriptions. */
void log_print_categories(FILE *out);

#define LOG_ON(lg, cat) ((lg)->mask & (cat))
#define log_printf(lg, cat, ...)                                   \
    do {                                                           \
        if (LOG_ON(lg, cat))                                       \
            fprintf((lg)->out ? (lg)->out : stderr, __VA_ARGS__);  \
    } while (0)

#endif
