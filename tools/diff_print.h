/* What `rewind diff` found, and its two printers: text for people, JSON
 * for scripts (the shape is documented in docs/diff.md). */
#ifndef REWIND_TOOLS_DIFF_PRINT_H
#define REWIND_TOOLS_DIFF_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "boot/elf.h"
#include "replay/diff.h"

enum { DIFF_MAX_CONFIG = 32, DIFF_MAX_IMAGES = 12 };

typedef struct DiffSymbols {
    bool loaded;
    const char *path;
    uint8_t *data;
    ElfImage img;
} DiffSymbols;

/* Instructions of one function on each side (the profile). */
typedef struct DiffFunc {
    char name[96];
    uint64_t n[2];
} DiffFunc;

typedef struct DiffConfigLine {
    char field[32];
    char a[256], b[256];
} DiffConfigLine;

typedef struct DiffImageLine {
    bool have[2];
    TraceImage img[2]; /* strings point into the trace headers */
    bool same;
} DiffImageLine;

typedef struct DiffResult {
    const char *paths[2];
    DiffSymbols sym[2];
    DiffConfigLine config[DIFF_MAX_CONFIG];
    unsigned nconfig;
    DiffImageLine images[DIFF_MAX_IMAGES];
    unsigned nimages;
    bool images_differ;
    bool identical;
    /* Exact comparison. */
    DiffScan scan;
    bool ran_state;
    DiffPoint point;
    DiffConsole console[2];
    uint64_t events_at;
    DiffEvent last[2][DIFF_LAST_EVENTS];
    unsigned nlast[2];
    /* Summary comparison. */
    bool summary;
    DiffWatch watch[2];
    char replay_note[2][512];
    /* The per-function profile (with symbols on either side). */
    uint64_t sample_every; /* 0: no profile */
    DiffFunc *funcs;       /* the largest changes first */
    size_t nfuncs;
} DiffResult;

/* Build res->funcs from the watches' samples and the symbols (the sides'
 * own). false when out of memory. */
bool diff_profile_build(DiffResult *res);

/* Summary: do the console lines or the ends differ? */
bool diff_summary_differs(const DiffResult *res);

void diff_print_text(const DiffResult *res, FILE *out);
void diff_print_json(const DiffResult *res, FILE *out);

#endif
