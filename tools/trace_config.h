/* The machine configuration of a recording, in its trace header: written
 * from the machine options by `rewind record`, turned back into machine
 * options by `rewind replay` (with moved images remapped), and the images'
 * hashes checked. */
#ifndef REWIND_TOOLS_TRACE_CONFIG_H
#define REWIND_TOOLS_TRACE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/machine.h"
#include "replay/trace.h"
#include "tools/options.h"

enum { TRACE_CONFIG_MAX_IMAGES = 3 + 8 };

/* Everything a header points to (the header itself, copies, hashes). */
typedef struct TraceConfig {
    TraceHeader hdr;
    TraceImage images[TRACE_CONFIG_MAX_IMAGES];
    const char *devices[32];
    TraceOption options[16];
    char *owned[32]; /* strings to free */
    unsigned nowned;
} TraceConfig;

/* Fill tc->hdr from the options, the resolved machine configuration and
 * the command line; hash every image (bios, kernel, initrd, drives).
 * false with a message naming the file on a read error. */
bool trace_config_from_options(TraceConfig *tc, const RunOptions *o, const MachineConfig *cfg,
                               int argc, char **argv, char *err, size_t errlen);

/* One --image OLD=NEW of `rewind replay`. */
typedef struct TraceImageMap {
    const char *from, *to;
} TraceImageMap;

/* The value of an --image option (OLD=NEW, split in place at '=') added
 * to maps[*nmaps]. false, with a message on stderr that names `cmd` (as
 * "rewind replay"), when it is not OLD=NEW or maps holds max already. */
bool trace_image_map_add(const char *cmd, char *val, TraceImageMap *maps, unsigned *nmaps,
                         unsigned max);

/* The maps to use: the given ones, then, for an image recorded with a
 * relative path that is not found from here, the path under the directory
 * the recording ran in (allocated in tc). Returns how many (at most max). */
unsigned trace_config_locate(TraceConfig *tc, const TraceHeader *h, const TraceImageMap *maps,
                             unsigned nmaps, TraceImageMap *out, unsigned max);

/* Machine options and configuration from a header: images renamed by the
 * maps, every drive in snapshot mode, the console on stdio unless the
 * recording had none. Strings are allocated in tc (freed by
 * trace_config_free). */
bool trace_config_to_options(TraceConfig *tc, const TraceHeader *h, const TraceImageMap *maps,
                             unsigned nmaps, RunOptions *o, MachineConfig *cfg, char *err,
                             size_t errlen);

/* Check every image of the header (renamed by the maps) against its
 * recorded size and hash: false with a message naming the file and both
 * hashes on the first mismatch. */
bool trace_config_check_images(const TraceHeader *h, const TraceImageMap *maps,
                               unsigned nmaps, char *err, size_t errlen);

/* A -drive spec with ",snapshot=on" added (allocated in tc). */
const char *trace_config_snapshot_drive(TraceConfig *tc, const char *spec);

/* Can this rewind replay h exactly? false (with a message naming both
 * revisions) when h was recorded by an engine of another revision
 * (MACHINE_ENGINE_REVISION) whose semantics this one does not keep, or
 * when its "engine" option is not a number. */
bool trace_config_engine_agrees(const TraceHeader *h, char *err, size_t errlen);

/* The extension set a trace (or a checkpoint's machine) was recorded
 * with: its "cpu" option, or ISA_EXT_LEGACY without one (made before
 * -cpu). false with a message if this rewind cannot parse it. */
bool trace_config_cpu(const TraceHeader *h, uint64_t *isa_ext, char *err, size_t errlen);

/* A -cpu given to a command whose machine comes from a recording: true
 * when none was given or it is the recorded set; else false with a
 * message naming both (the recorded set is never overridden). */
bool trace_config_cpu_agrees(const TraceHeader *h, const char *given, uint64_t given_ext,
                             char *err, size_t errlen);

void trace_config_free(TraceConfig *tc);

#endif
