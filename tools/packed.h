/* Packed recordings (`rewind pack`, docs/trace-format.md "Packed
 * recordings"): one file with a trace and every image its header names
 * (firmware, kernel, initrd, drive images), each stored once by hash and
 * compressed with zstd.
 *
 * The commands that take a trace (replay, debug, dump, diff) call
 * packed_open on it: a packed file is unpacked into memory files
 * (memfd_create, named /proc/self/fd/N, inherited by the replay and GDB
 * that debug starts), every image checked against its recorded hash, and
 * the caller gets the trace's path and one --image map per image; any
 * other file is left to the trace reader. Nothing is written to disk.
 *
 * --image-dir DIR (replay, debug): image_dir_maps finds each image whose
 * recorded path is gone by size and hash among DIR's files. */
#ifndef REWIND_TOOLS_PACKED_H
#define REWIND_TOOLS_PACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/trace.h"
#include "tools/trace_config.h"

enum { PACK_FORMAT_VERSION = 1, PACK_MAX_ENTRIES = 1 + TRACE_CONFIG_MAX_IMAGES };

typedef struct PackedOpen {
    bool packed;
    char trace[64];                /* the unpacked trace: /proc/self/fd/N */
    TraceImageMap maps[PACK_MAX_ENTRIES];
    unsigned nmaps;
    char from[PACK_MAX_ENTRIES][1024], to[PACK_MAX_ENTRIES][64];
    int fds[PACK_MAX_ENTRIES];
    unsigned nfds;
} PackedOpen;

/* Is path a packed file (by its magic)? */
bool packed_is_file(const char *path);

/* path packed: unpack it into p (p->packed). Not packed: p->packed is
 * false and nothing else happens. false with a message naming the part at
 * fault (the trace, an image by role and recorded path) when the packed
 * file is cut short, damaged or incomplete. */
bool packed_open(const char *path, PackedOpen *p, char *err, size_t errlen);

/* The trace to open: the unpacked one, else path itself. */
const char *packed_trace_path(const PackedOpen *p, const char *path);

/* maps followed by p's maps for the images maps does not map already
 * (into out, at most max); returns the count. */
unsigned packed_add_maps(const PackedOpen *p, const TraceImageMap *maps, unsigned nmaps,
                         TraceImageMap *out, unsigned max);

void packed_close(PackedOpen *p);

/* `rewind pack`: write the trace at trace_path (its images found through
 * maps, already checked) into out_path. Prints a summary on stdout. */
bool packed_write(const char *trace_path, const TraceHeader *h, const TraceImageMap *maps,
                  unsigned nmaps, const char *out_path, int level, char *err, size_t errlen);

/* --image-dir DIR: for each image of h that the maps out[0..n) (and the
 * recorded directory, trace_config_locate) do not find on disk, a file of
 * DIR with its size and hash, appended to out (at most max; the paths are
 * kept in found). Returns the new count. */
typedef struct ImageDirFound {
    char path[TRACE_CONFIG_MAX_IMAGES][1024];
    unsigned n;
} ImageDirFound;
unsigned image_dir_maps(ImageDirFound *found, const TraceHeader *h, const char *dir,
                        TraceImageMap *out, unsigned n, unsigned max);

#endif
