/* `rewind replay TRACE [--image OLD=NEW]...`: rebuild the recorded machine
 * from the trace's header alone and run it again with the recorded inputs,
 * checking every digest on the way. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/reverse.h"
#include "replay/session.h"
#include "tools/commands.h"
#include "tools/output_file.h"
#include "tools/packed.h"
#include "tools/run_checkpoint.h"
#include "tools/trace_config.h"

static void replay_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind replay TRACE [options]\n"
        "\n"
        "TRACE may be a packed file (rewind pack): its images come from it.\n"
        "\n"
        "Re-run a recording exactly: the machine comes from the trace's header,\n"
        "every input from the trace (the host's terminal, clock and entropy are\n"
        "not read; a -netdev opens no socket and binds no port: received frames\n"
        "come from the trace, and each frame the guest sends is compared with the\n"
        "recording's). The guest's console output goes to this replay's stdout (a\n"
        "console error of the recording host is not repeated). Each state digest is\n"
        "compared; at the first mismatch the replay stops with a report: icount,\n"
        "hart, pc, what differed, and the last event before it.\n"
        "\n"
        "  --image OLD=NEW   the image recorded as OLD is now at NEW (repeatable);\n"
        "                    OLD as recorded or its absolute path (a relative\n"
        "                    one is relative to the recording's directory); an\n"
        "                    OLD the trace does not have is an error listing its\n"
        "                    images. Size and xxh128 hash must still match\n"
        "  --image-dir DIR   an image whose recorded path is gone is looked for in\n"
        "                    DIR by size and xxh128 hash (any file name)\n"
        "  --print-digests   print each periodic digest (as rewind run --digest-every)\n"
        "  --progress, --no-progress\n"
        "                    progress bar on stderr (default: when it is a terminal)\n"
        "  -q, --quiet       no summary line on stderr\n"
        "  --stats           execution statistics on stderr at the end\n"
        "  -s, -S, -gdb tcp:[HOST]:PORT\n"
        "                    GDB stub, as for rewind run, with reverse execution\n"
        "                    (reverse-stepi, reverse-continue, monitor seek/when)\n"
        "  --checkpoint-mem SIZE\n"
        "                    memory for the checkpoints of reverse execution\n"
        "                    (default 1G; K, M, G suffixes)\n"
        "  -d CATEGORIES, -D FILE   logging, as rewind run\n"
        "  -cpu SPEC         the CPU comes from the trace (a trace made before -cpu:\n"
        "                    RV64GC alone); a -cpu that is not the recorded set is\n"
        "                    refused, naming the recorded one\n"
        "%s"
        "\n"
        "Exit code: the recorded run's (the guest's exit code, 125 if the emulator\n"
        "failed, 128+N if the recording was ended by signal N) when the replay\n"
        "matches; %d when it diverged; %d when the trace was cut short (a killed\n"
        "recording, or one still being written, which it names by its pid:\n"
        "replayed up to the last complete frame); %d for an image that\n"
        "is not the recorded one, a damaged or unreadable trace, bad options,\n"
        "a trace of another engine revision (refused before it runs, naming both).\n",
        options_engine_help, REPLAY_EXIT_DIVERGED, REPLAY_EXIT_CUT_SHORT, REPLAY_EXIT_ERROR);
}

/* path made absolute against base (when relative) and cleaned lexically:
 * no "//", "/./" or "dir/.." (links are not followed: the recorded
 * machine's files may not exist here). */
static void replay_abs_path(const char *base, const char *path, char *out, size_t len)
{
    char joined[8192];
    snprintf(joined, sizeof(joined), "%s/%s", path[0] == '/' ? "" : base, path);
    size_t n = 0;
    out[0] = 0;
    for (char *part = strtok(joined, "/"); part; part = strtok(NULL, "/")) {
        if (!strcmp(part, "."))
            continue;
        if (!strcmp(part, "..")) {
            char *slash = strrchr(out, '/');
            n = slash ? (size_t)(slash - out) : 0;
            out[n] = 0;
            continue;
        }
        int w = snprintf(out + n, len - n, "/%s", part);
        if (w < 0 || (size_t)w >= len - n)
            break;
        n += (size_t)w;
    }
    if (!n)
        snprintf(out, len, "/");
}

/* Each --image OLD=NEW names a recorded image: OLD as recorded, or its
 * absolute form (a relative recorded path is relative to the recording's
 * directory). OLD becomes the recorded path; an unknown OLD is an error
 * listing the trace's images. */
static bool replay_resolve_maps(const TraceHeader *h, TraceImageMap *maps, unsigned nmaps,
                                char *err, size_t errlen)
{
    const char *rec_cwd = trace_header_option(h, "cwd");
    char here[4096];
    if (!getcwd(here, sizeof(here)))
        here[0] = 0;
    for (unsigned i = 0; i < nmaps; i++) {
        const char *found = NULL;
        char want[4096], have[4096];
        replay_abs_path(here, maps[i].from, want, sizeof(want));
        for (size_t k = 0; k < h->nimages && !found; k++) {
            const char *p = h->images[k].path;
            if (!p)
                continue;
            if (!strcmp(p, maps[i].from)) {
                found = p;
                break;
            }
            replay_abs_path(rec_cwd ? rec_cwd : here, p, have, sizeof(have));
            if (!strcmp(have, want))
                found = p;
        }
        if (found) {
            maps[i].from = found;
            continue;
        }
        int n = snprintf(err, errlen, "--image %s=%s: the trace has no image %s; its images "
                         "are:", maps[i].from, maps[i].to, maps[i].from);
        for (size_t k = 0; k < h->nimages && n >= 0 && (size_t)n < errlen; k++)
            n += snprintf(err + n, errlen - (size_t)n, "%s %s %s", k ? "," : "",
                          h->images[k].role ? h->images[k].role : "image",
                          h->images[k].path ? h->images[k].path : "?");
        if (!h->nimages && n >= 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, " none");
        return false;
    }
    return true;
}

typedef struct ReplayCtx {
    TraceReader *reader;
    ReplayPlayOptions popt;
} ReplayCtx;

static bool replay_attach(Machine *m, void *vctx, char *err, size_t errlen)
{
    ReplayCtx *c = vctx;
    TraceReader *r = c->reader;
    c->reader = NULL; /* the machine owns it now, even on failure */
    return replay_play_attach(m, r, &c->popt, err, errlen);
}

int cmd_replay(int argc, char **argv)
{
    const char *path = NULL;
    TraceImageMap maps[16];
    unsigned nmaps = 0;
    bool quiet = false, stats = false;
    int progress = -1;
    ReplayPlayOptions popt = { 0 };
    const char *log_cats = NULL, *log_file = NULL, *image_dir = NULL;
    RunOptions gdb_opts = { 0 }; /* -s, -S, -gdb; --backend, --code-buffer */
    uint64_t checkpoint_mem = REVERSE_DEFAULT_CHECKPOINT_MEM;
    char gdb_err[256];
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k = options_parse_gdb(&gdb_opts, argc, argv, i, gdb_err, sizeof(gdb_err));
        if (k < 0) {
            fprintf(stderr, "rewind replay: %s\n", gdb_err);
            return EXIT_REWIND_ERROR;
        }
        if (k > 0) {
            i += k - 1;
            continue;
        }
        /* --backend, --code-buffer: how, not what (not in the trace);
         * -accel tcg[,thread=single] too, and thread=multi is refused. */
        k = options_parse_engine(&gdb_opts, argc, argv, i, gdb_err, sizeof(gdb_err));
        if (k == 0)
            k = options_parse_accel(&gdb_opts, argc, argv, i, gdb_err, sizeof(gdb_err));
        /* -cpu: only the recorded one is accepted (checked below). */
        if (k == 0)
            k = options_parse_cpu(&gdb_opts, argc, argv, i, gdb_err, sizeof(gdb_err));
        if (k > 0 && gdb_opts.help)
            return 0; /* -cpu help */
        if (k < 0 ||
            !options_refuse_multi_thread(&gdb_opts, "replay", gdb_err, sizeof(gdb_err))) {
            fprintf(stderr, "rewind replay: %s\n", gdb_err);
            return EXIT_REWIND_ERROR;
        }
        if (k > 0) {
            i += k - 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "-help")) {
            replay_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--image") || !strcmp(a, "-image")) {
            /* OLD is the part before '=': split in place (argv is ours). */
            if (!trace_image_map_add("rewind replay", val, maps, &nmaps,
                                     sizeof(maps) / sizeof(maps[0])))
                return EXIT_REWIND_ERROR;
            i++;
        } else if (!strcmp(a, "--image-dir")) {
            if (!val) {
                fprintf(stderr, "rewind replay: --image-dir needs a directory\n");
                return EXIT_REWIND_ERROR;
            }
            image_dir = val;
            i++;
        } else if (!strcmp(a, "--checkpoint-mem") || !strncmp(a, "--checkpoint-mem=", 17)) {
            const char *v = a[16] == '=' ? a + 17 : val;
            if (!v || !reverse_parse_size(v, &checkpoint_mem)) {
                fprintf(stderr, "rewind replay: --checkpoint-mem expects a size such as 512M "
                        "or 2G, not '%s'\n", v ? v : "");
                return EXIT_REWIND_ERROR;
            }
            if (a[16] != '=')
                i++;
        } else if (!strcmp(a, "--print-digests")) {
            popt.print_digests = true;
        } else if (!strcmp(a, "--progress")) {
            progress = 1;
        } else if (!strcmp(a, "--no-progress")) {
            progress = 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "--stats") || !strcmp(a, "-stats")) {
            stats = true;
        } else if ((!strcmp(a, "-d") || !strcmp(a, "-D")) && val) {
            *(a[1] == 'd' ? &log_cats : &log_file) = val;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "rewind replay: unknown option '%s' (the machine comes from the "
                    "trace; see rewind replay --help)\n", a);
            return EXIT_REWIND_ERROR;
        } else if (path) {
            fprintf(stderr, "rewind replay: one trace at a time ('%s', then '%s')\n", path, a);
            return EXIT_REWIND_ERROR;
        } else {
            path = a;
        }
    }
    if (!path) {
        fprintf(stderr, "rewind replay: which trace? (rewind replay TRACE)\n");
        return EXIT_REWIND_ERROR;
    }
    /* Under a debugger the replay goes back and forth: no bar by default. */
    popt.progress = progress < 0 ? isatty(STDERR_FILENO) && !gdb_opts.gdb && !gdb_opts.gdb_wait
                                 : progress;

    char err[1024];
    /* A packed file: its trace and images, unpacked in memory. */
    PackedOpen pk;
    if (!packed_open(path, &pk, err, sizeof(err))) {
        fprintf(stderr, "rewind replay: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    TraceReader *reader = trace_reader_open(packed_trace_path(&pk, path), err, sizeof(err));
    if (!reader) {
        fprintf(stderr, "rewind replay: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    const TraceHeader *h = trace_reader_header(reader);
    if (!trace_config_engine_agrees(h, err, sizeof(err)) ||
        !replay_resolve_maps(h, maps, nmaps, err, sizeof(err))) {
        fprintf(stderr, "rewind replay: %s: %s\n", path, err);
        trace_reader_close(reader);
        return EXIT_REWIND_ERROR;
    }
    TraceImageMap with_pack[32];
    unsigned nwith = packed_add_maps(&pk, maps, nmaps, with_pack, 32);
    TraceConfig located = { 0 };
    TraceImageMap all[32];
    unsigned nall = trace_config_locate(&located, h, with_pack, nwith, all, 32);
    static ImageDirFound found; /* static: large, and lives as long as the run */
    if (image_dir)
        nall = image_dir_maps(&found, h, image_dir, all, nall, 32);
    TraceConfig tc;
    RunOptions o;
    MachineConfig cfg;
    if (!trace_config_to_options(&tc, h, all, nall, &o, &cfg, err, sizeof(err)) ||
        !trace_config_cpu_agrees(h, gdb_opts.cpu, gdb_opts.isa_ext, err, sizeof(err)) ||
        !trace_config_check_images(h, all, nall, err, sizeof(err))) {
        fprintf(stderr, "rewind replay: %s: %s\n", path, err);
        trace_config_free(&tc);
        trace_config_free(&located);
        trace_reader_close(reader);
        return EXIT_REWIND_ERROR;
    }
    if (log_file) { /* -D must not overwrite the trace or an image */
        OutputGuard guard;
        output_guard_init(&guard, false);
        output_guard_add_input(&guard, "the trace", path);
        output_guard_add_machine_inputs(&guard, &o);
        if (!output_guard_check(&guard, "-D", log_file, OUTPUT_PLAIN, err, sizeof(err))) {
            fprintf(stderr, "rewind replay: %s\n", err);
            trace_config_free(&tc);
            trace_config_free(&located);
            trace_reader_close(reader);
            return EXIT_REWIND_ERROR;
        }
    }
    if (log_cats || log_file) {
        /* The log options parse as they do for rewind run. */
        char *args[4];
        int n = 0;
        if (log_cats) {
            args[n++] = "-d";
            args[n++] = (char *)log_cats;
        }
        if (log_file) {
            args[n++] = "-D";
            args[n++] = (char *)log_file;
        }
        RunOptions lo;
        if (!options_parse_run(&lo, n, args, err, sizeof(err))) {
            fprintf(stderr, "rewind replay: %s\n", err);
            trace_config_free(&tc);
            trace_config_free(&located);
            trace_reader_close(reader);
            return EXIT_REWIND_ERROR;
        }
        o.log_mask = lo.log_mask;
        o.log_file = lo.log_file;
    }

    o.gdb = gdb_opts.gdb;
    o.gdb_wait = gdb_opts.gdb_wait;
    cfg.backend = (MachineBackend)gdb_opts.backend;
    cfg.code_buffer_size = gdb_opts.code_buffer_size;
    ReplayCtx c = { .reader = reader, .popt = popt };
    RunSession s;
    int rc;
    if (!run_session_open(&s, &o, &cfg, replay_attach, &c, err, sizeof(err)) ||
        !run_checkpoint_start_state(s.m, h, err, sizeof(err)) ||
        ((o.gdb || o.gdb_wait) && !reverse_attach(s.m, checkpoint_mem, err, sizeof(err)))) {
        fprintf(stderr, "rewind replay: %s\n", err);
        if (c.reader)
            trace_reader_close(c.reader);
        rc = EXIT_REWIND_ERROR;
    } else {
        int run_rc = run_session_run(&s, "replay", stats);
        char report[4096];
        int exit_code = 0;
        uint64_t digests, events;
        replay_play_counts(s.m, &digests, &events);
        switch (replay_play_result(s.m, report, sizeof(report), &exit_code)) {
        case REPLAY_RESULT_MATCHED:
            rc = exit_code;
            if (!quiet)
                fprintf(stderr, "rewind replay: matched the recording: %" PRIu64 " digests and "
                        "%" PRIu64 " events checked, icount %" PRIu64 ", exit code %d\n",
                        digests, events, machine_icount(s.m), exit_code);
            break;
        case REPLAY_RESULT_DIVERGED:
            fprintf(stderr, "rewind replay: %s: %s\n", path, report);
            rc = REPLAY_EXIT_DIVERGED;
            break;
        case REPLAY_RESULT_CUT_SHORT:
            fprintf(stderr, "rewind replay: %s\n", report);
            rc = REPLAY_EXIT_CUT_SHORT;
            break;
        case REPLAY_RESULT_KILLED:
            if (!quiet)
                fprintf(stderr, "rewind replay: %s\n", report);
            rc = 0;
            break;
        case REPLAY_RESULT_DAMAGED:
            fprintf(stderr, "rewind replay: %s\n", report);
            rc = REPLAY_EXIT_ERROR;
            break;
        default:
            /* Stopped before the replay could judge (e.g. the machine could
             * not start): the run's own code, its message printed. */
            rc = run_rc;
            break;
        }
    }
    run_session_close(&s);
    trace_config_free(&tc);
    trace_config_free(&located);
    packed_close(&pk);
    return rc;
}
