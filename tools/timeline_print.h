/* Printing `rewind timeline`: the text table, the JSON document
 * (docs/boot/timeline-json.md) and the HTML page (timeline_html.c). */
#ifndef REWIND_TOOLS_TIMELINE_PRINT_H
#define REWIND_TOOLS_TIMELINE_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "boot/elf.h"
#include "replay/timeline.h"

enum { TIMELINE_MAX_SYMBOLS = 8, TIMELINE_MAX_WARNINGS = 8 };

typedef struct TimelineSymbols {
    const char *path;
    uint8_t *data;
    ElfImage img;
} TimelineSymbols;

typedef struct TimelineReport {
    const char *trace;          /* as given on the command line */
    const Timeline *t;
    unsigned nharts;
    bool complete;              /* the replay reached the recorded end */
    const char *end_note;       /* how it ended (also the TL_END milestone) */
    TimelineSymbols sym[TIMELINE_MAX_SYMBOLS];
    unsigned nsym;
    char warnings[TIMELINE_MAX_WARNINGS][300];
    unsigned nwarnings;
} TimelineReport;

/* "name+0x10" for pc from the first symbol file that covers it; false
 * (out empty) when none does. */
bool timeline_symbol(const TimelineReport *r, uint64_t pc, char *out, size_t len);

void timeline_print_text(FILE *out, const TimelineReport *r);

/* The JSON document (the caller puts it). lanes: add each hart's mode
 * segments (the HTML page's data; not part of --json). */
json_object *timeline_json(const TimelineReport *r, bool lanes);

/* Write the page to path. false with a message naming the file. */
bool timeline_write_html(const char *path, const TimelineReport *r, char *err, size_t errlen);

#endif
