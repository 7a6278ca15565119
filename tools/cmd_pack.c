/* `rewind pack TRACE -o PACKED`: the trace and every image it names in one
 * file that replays anywhere (tools/packed.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/commands.h"
#include "tools/output_file.h"
#include "tools/packed.h"
#include "tools/trace_config.h"

static void pack_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind pack TRACE -o PACKED [--image OLD=NEW]... [--image-dir DIR]\n"
        "                   [--level N]\n"
        "\n"
        "Write one file holding the trace and every image its header names\n"
        "(firmware, kernel, initrd, drive images), each stored once (by hash) and\n"
        "compressed with zstd. rewind replay, debug, dump, diff and timeline take\n"
        "PACKED wherever they take a trace, with no other file present, in any\n"
        "directory, on another machine: the images come from PACKED and are\n"
        "checked against their recorded hashes (a packed image that does not\n"
        "match is refused, named). The layout is in docs/trace-format.md\n"
        "(\"Packed recordings\").\n"
        "\n"
        "  -o, --output PACKED  the packed file (written whole, then renamed: an\n"
        "                      interrupted pack leaves no PACKED); never an input\n"
        "  --image OLD=NEW     the image recorded as OLD is now at NEW (as replay)\n"
        "  --image-dir DIR     images whose recorded path is gone, found in DIR by\n"
        "                      size and hash (as replay)\n"
        "  --level N           zstd level, 1 (fast) to 19 (small); default 9\n"
        "\n"
        "Every image must still match its recorded size and xxh128 hash. Prints\n"
        "each part's size before and after compression and the total.\n"
        "Exit status: 0 packed, 125 bad options, a trace that cannot be read, an\n"
        "image missing or changed, or a write error.\n");
}

int cmd_pack(int argc, char **argv)
{
    const char *trace = NULL, *out = NULL, *image_dir = NULL;
    TraceImageMap maps[16];
    unsigned nmaps = 0;
    int level = 9;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            pack_usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!val) {
                fprintf(stderr, "rewind pack: %s needs a file name\n", a);
                return EXIT_REWIND_ERROR;
            }
            out = val;
            i++;
        } else if (!strcmp(a, "--image")) {
            if (!trace_image_map_add("rewind pack", val, maps, &nmaps, 16))
                return EXIT_REWIND_ERROR;
            i++;
        } else if (!strcmp(a, "--image-dir")) {
            if (!val) {
                fprintf(stderr, "rewind pack: --image-dir needs a directory\n");
                return EXIT_REWIND_ERROR;
            }
            image_dir = val;
            i++;
        } else if (!strcmp(a, "--level")) {
            char *end;
            long l = val ? strtol(val, &end, 10) : 0;
            if (!val || *end || l < 1 || l > 19) {
                fprintf(stderr, "rewind pack: --level expects 1 to 19\n");
                return EXIT_REWIND_ERROR;
            }
            level = (int)l;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "rewind pack: unknown option '%s' (see rewind pack --help)\n", a);
            return EXIT_REWIND_ERROR;
        } else if (trace) {
            fprintf(stderr, "rewind pack: one trace at a time ('%s', then '%s')\n", trace, a);
            return EXIT_REWIND_ERROR;
        } else {
            trace = a;
        }
    }
    if (!trace) {
        fprintf(stderr, "rewind pack: which trace? (rewind pack TRACE -o PACKED)\n");
        return EXIT_REWIND_ERROR;
    }
    if (!out || !*out) {
        fprintf(stderr, "rewind pack: no output: add -o PACKED\n");
        return EXIT_REWIND_ERROR;
    }
    if (packed_is_file(trace)) {
        fprintf(stderr, "rewind pack: %s is packed already\n", trace);
        return EXIT_REWIND_ERROR;
    }
    char err[2048];
    TraceReader *r = trace_reader_open(trace, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "rewind pack: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    const TraceHeader *h = trace_reader_header(r);
    TraceConfig located = { 0 };
    TraceImageMap all[32];
    unsigned nall = trace_config_locate(&located, h, maps, nmaps, all, 32);
    static ImageDirFound found;
    if (image_dir)
        nall = image_dir_maps(&found, h, image_dir, all, nall, 32);
    int rc = EXIT_REWIND_ERROR;
    OutputGuard guard;
    output_guard_init(&guard, false);
    output_guard_add_input(&guard, "the trace", trace);
    for (size_t i = 0; i < h->nimages; i++) {
        const char *p = h->images[i].path;
        for (unsigned k = 0; k < nall; k++)
            if (p && !strcmp(all[k].from, p))
                p = all[k].to;
        output_guard_add_input(&guard, "an image", p);
    }
    if (!trace_config_check_images(h, all, nall, err, sizeof(err))) {
        fprintf(stderr, "rewind pack: %s: %s\n", trace, err);
    } else if (!output_guard_check(&guard, "-o", out, OUTPUT_PLAIN, err, sizeof(err))) {
        fprintf(stderr, "rewind pack: %s\n", err);
    } else if (!packed_write(trace, h, all, nall, out, level, err, sizeof(err))) {
        fprintf(stderr, "rewind pack: %s\n", err);
    } else {
        rc = 0;
    }
    trace_config_free(&located);
    trace_reader_close(r);
    return rc;
}
