/* The one check every file a command writes goes through, before anything
 * is opened for writing (issue 21: `record -o disk.img ... -drive
 * file=disk.img` used to turn the user's disk image into a trace).
 *
 * An OutputGuard collects the files the command reads (its inputs: the
 * machine's images and drives, a trace being replayed, symbols) and the
 * outputs it has accepted so far; output_guard_check() then refuses an
 * output that is any of them. Files are compared by device and inode, so a
 * symlink or a hard link to an input is that input.
 *
 * On top of that, by kind:
 *  - a trace (OUTPUT_TRACE) must be a regular file, and may replace only a
 *    missing file, an empty one (as mktemp makes) or an older rewind trace
 *    that no recorder is writing now; anything else needs --force;
 *  - a plain output (OUTPUT_PLAIN: a console file, a log, a device tree)
 *    replaces a file as QEMU does, but never a rewind trace (a recording
 *    cannot be made again) unless forced. Devices such as /dev/null are
 *    fine. */
#ifndef REWIND_TOOLS_OUTPUT_FILE_H
#define REWIND_TOOLS_OUTPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tools/options.h"

typedef enum {
    OUTPUT_TRACE, /* a rewind trace */
    OUTPUT_PLAIN, /* a console file, a log, a device tree */
} OutputKind;

enum { OUTPUT_GUARD_MAX = 24 };

typedef struct OutputGuardFile {
    char what[96]; /* how the command line names it: "-kernel k.elf" */
    dev_t dev;
    ino_t ino;
    bool output;   /* an output accepted before (not an input) */
    char new_name[1100]; /* an output that did not exist: its absolute name */
} OutputGuardFile;

typedef struct OutputGuard {
    OutputGuardFile files[OUTPUT_GUARD_MAX];
    unsigned n;
    bool force; /* --force: an existing file of another kind may be replaced */
} OutputGuard;

void output_guard_init(OutputGuard *g, bool force);

/* A file the command reads. `what` names it in messages ("-kernel");
 * a file that does not exist is skipped (its own open reports that). */
void output_guard_add_input(OutputGuard *g, const char *what, const char *path);

/* The machine's inputs: -bios, -kernel, -initrd and every -drive file. */
void output_guard_add_machine_inputs(OutputGuard *g, const RunOptions *o);

/* May `path` (named `what` on the command line, e.g. "-o") be written as
 * an output of this kind? false with a message naming both files if not.
 * An accepted output is remembered: a second output may not be the same
 * file. */
bool output_guard_check(OutputGuard *g, const char *what, const char *path, OutputKind kind,
                        char *err, size_t errlen);

/* Every file the machine options write (-D, --dumpdtb, -serial file:PATH),
 * checked as plain outputs. */
bool output_guard_check_machine_outputs(OutputGuard *g, const RunOptions *o, char *err,
                                        size_t errlen);

#endif
