/* `rewind diff A.rwd B.rwd`: where, and how, two recordings part
 * (docs/diff.md). The engine is replay/diff*.c; this file opens the
 * traces, builds a machine per trace, chooses the comparison, and hands
 * the result to the text or JSON printer (tools/diff_print.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boot/elf.h"
#include "boot/virt.h"
#include "replay/diff.h"
#include "replay/session.h"
#include "tools/commands.h"
#include "tools/diff_print.h"
#include "tools/packed.h"
#include "tools/run_checkpoint.h"
#include "tools/trace_config.h"

static void diff_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind diff A.rwd B.rwd [options]\n"
        "\n"
        "Compare two recordings and say where they part. When both come from the\n"
        "same machine configuration (images may differ in content, not in size):\n"
        "the first input event that differs, then the exact instruction where the\n"
        "two runs' states part (hart, icount, pc with disassembly and symbol, the\n"
        "registers and memory bytes that differ), found by replaying both together\n"
        "from the last recorded digest they agree on; the console output and the\n"
        "events just before it. Otherwise (another kernel, another command line):\n"
        "the configuration and image differences, the console aligned line by line\n"
        "with icounts, and the milestones both runs pass (first S and U mode,\n"
        "first satp write, SBI calls by kind, each console line, the end) with the\n"
        "instructions between them side by side; with symbols on either side\n"
        "(--symbols, or an ELF kernel), the instructions per function, sampled every\n"
        "10000 instructions, the largest changes first.\n"
        "\n"
        "  --symbols ELF   symbols for pcs and addresses; given once for both\n"
        "                  sides, twice for A then B (default: each trace's kernel\n"
        "                  or firmware when it is an ELF file)\n"
        "  --exact         the exact comparison even if the configurations differ\n"
        "  --summary       the summary comparison even if they do not\n"
        "  --json          the result as one JSON document on stdout (docs/diff.md)\n"
        "  --image OLD=NEW an image of either trace moved (as rewind replay)\n"
        "Either trace may be a packed file (rewind pack): its images come from it.\n"
        "\n"
        "Exit code: 0 the recordings are identical, 1 they differ, 125 bad input\n"
        "(a file that is not a trace, cut short or damaged, an image that changed,\n"
        "bad options): the message names the file.\n");
}

/* ------------------------------------------------------------ sides */

typedef struct DiffSide {
    const char *path;
    PackedOpen pk;     /* path is a packed file: its trace and images */
    const char *trace; /* the trace to read: path, or the unpacked one */
    TraceReader *scan; /* for the passes over the file */
    const TraceHeader *h;
    TraceConfig tc, located;
    bool have_tc;
    Machine *m;
    FILE *devnull;
    char err[1024];
} DiffSide;

static bool side_open(DiffSide *s, const char *path, char *err, size_t errlen)
{
    s->path = path;
    if (!packed_open(path, &s->pk, err, errlen))
        return false;
    s->trace = packed_trace_path(&s->pk, path);
    s->scan = trace_reader_open(s->trace, err, errlen);
    if (!s->scan)
        return false;
    s->h = trace_reader_header(s->scan);
    TraceSummary sum;
    trace_reader_summary(s->scan, &sum);
    if (!sum.complete) {
        snprintf(err, errlen, "%s", sum.note[0] ? sum.note : "the trace is not complete");
        if (!strstr(err, path)) {
            char tmp[1024];
            snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
            snprintf(err, errlen, "%s", tmp);
        }
        return false;
    }
    return true;
}

/* Build the machine of a side, with its replay attached (not run). */
static bool side_build(DiffSide *s, const TraceImageMap *maps, unsigned nmaps, char *err,
                       size_t errlen)
{
    char e[900];
    TraceReader *r = trace_reader_open(s->trace, e, sizeof(e));
    if (!r) {
        snprintf(err, errlen, "%s", e);
        return false;
    }
    TraceImageMap with_pack[32], all[32];
    unsigned nwith = packed_add_maps(&s->pk, maps, nmaps, with_pack, 32);
    unsigned nall = trace_config_locate(&s->located, s->h, with_pack, nwith, all, 32);
    RunOptions o;
    MachineConfig cfg;
    s->have_tc = true;
    if (!trace_config_engine_agrees(s->h, e, sizeof(e)) ||
        !trace_config_to_options(&s->tc, s->h, all, nall, &o, &cfg, e, sizeof(e)) ||
        !trace_config_check_images(s->h, all, nall, e, sizeof(e))) {
        snprintf(err, errlen, "%s: %s", s->path, e);
        trace_reader_close(r);
        return false;
    }
    o.serial = "none"; /* the console is watched, not shown */
    s->m = machine_new(&cfg, e, sizeof(e));
    s->devnull = fopen("/dev/null", "w");
    if (!s->m || !s->devnull) {
        snprintf(err, errlen, "%s: %s", s->path, s->m ? "cannot open /dev/null" : e);
        trace_reader_close(r);
        return false;
    }
    ReplayPlayOptions popt = { 0 };
    VirtConfig vc = {
        .bios = o.bios, .kernel = o.kernel, .initrd = o.initrd, .append = o.append,
        .serial = o.serial, .rtc = o.rtc, .drives = o.drives, .ndrives = o.ndrives,
        .devices = o.devices, .ndevices = o.ndevices, .console = s->devnull,
        .netdevs = o.netdevs, .nnetdevs = o.nnetdevs, .nics = o.nics, .nnics = o.nnics,
    };
    if (!replay_play_attach(s->m, r, &popt, e, sizeof(e)) ||
        !virt_build(s->m, &vc, e, sizeof(e)) ||
        !run_checkpoint_start_state(s->m, s->h, e, sizeof(e))) {
        snprintf(err, errlen, "%s: %s", s->path, e);
        return false;
    }
    return true;
}

static void side_close(DiffSide *s)
{
    machine_free(s->m); /* HTIF included */
    if (s->devnull)
        fclose(s->devnull);
    if (s->have_tc) {
        trace_config_free(&s->tc);
        trace_config_free(&s->located);
    }
    if (s->scan)
        trace_reader_close(s->scan);
    packed_close(&s->pk);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------ symbols */

static bool symbols_load(DiffSymbols *sy, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "--symbols %s: cannot open it", path);
        return false;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    sy->data = n > 0 ? malloc((size_t)n) : NULL;
    bool ok = sy->data && fread(sy->data, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    char e[256];
    if (!ok || !elf_parse(&sy->img, sy->data, (size_t)n, e, sizeof(e))) {
        snprintf(err, errlen, "--symbols %s: %s", path, ok ? e : "cannot read it");
        free(sy->data);
        sy->data = NULL;
        return false;
    }
    sy->path = path;
    sy->loaded = true;
    return true;
}

/* The recorded kernel or firmware, when it is an ELF file. */
static void symbols_default(DiffSymbols *sy, const TraceHeader *h, const PackedOpen *pk)
{
    static const char *const roles[] = { "kernel", "bios" };
    for (int k = 0; k < 2 && !sy->loaded; k++)
        for (size_t i = 0; i < h->nimages && !sy->loaded; i++) {
            const TraceImage *im = &h->images[i];
            if (!im->role || strcmp(im->role, roles[k]) || !im->path)
                continue;
            const char *path = im->path; /* a packed file's copy, if packed */
            for (unsigned m = 0; m < pk->nmaps; m++)
                if (!strcmp(pk->maps[m].from, im->path))
                    path = pk->maps[m].to;
            FILE *f = fopen(path, "rb");
            unsigned char magic[4];
            bool elf = f && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
            if (f)
                fclose(f);
            char e[300];
            if (elf)
                symbols_load(sy, path, e, sizeof(e));
        }
}

/* ------------------------------------------------------------ config */

static void config_add(DiffResult *res, const char *field, const char *a, const char *b)
{
    if (res->nconfig < DIFF_MAX_CONFIG) {
        DiffConfigLine *c = &res->config[res->nconfig++];
        snprintf(c->field, sizeof(c->field), "%s", field);
        snprintf(c->a, sizeof(c->a), "%s", a ? a : "(none)");
        snprintf(c->b, sizeof(c->b), "%s", b ? b : "(none)");
    }
}

static void config_u64(DiffResult *res, const char *field, uint64_t a, uint64_t b)
{
    if (a == b)
        return;
    char x[32], y[32];
    snprintf(x, sizeof(x), "%" PRIu64, a);
    snprintf(y, sizeof(y), "%" PRIu64, b);
    config_add(res, field, x, y);
}

static void config_str(DiffResult *res, const char *field, const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
        config_add(res, field, a, b);
}

/* The configuration differences (which decide the comparison: any of
 * them but image contents makes instruction counts meaningless across). */
static bool config_compare(const TraceHeader *a, const TraceHeader *b, DiffResult *res)
{
    config_u64(res, "ram_size", a->ram_size, b->ram_size);
    config_u64(res, "harts", a->nharts, b->nharts);
    config_u64(res, "ns_per_insn", a->ns_per_insn, b->ns_per_insn);
    config_u64(res, "pace", a->pace, b->pace);
    config_u64(res, "quantum", a->quantum, b->quantum);
    config_str(res, "rtc", a->rtc, b->rtc);
    config_u64(res, "devices", a->ndevices, b->ndevices);
    for (size_t i = 0; i < a->ndevices && i < b->ndevices; i++)
        config_str(res, "device", a->devices[i], b->devices[i]);
    config_str(res, "append", trace_header_option(a, "append"), trace_header_option(b, "append"));
    config_str(res, "engine", trace_header_option(a, "engine"), trace_header_option(b, "engine"));
    /* The ISA extensions (-cpu; absent: a trace made before -cpu). */
    config_str(res, "cpu", trace_header_option(a, "cpu"), trace_header_option(b, "cpu"));
    config_u64(res, "start_state_bytes", a->start_state_len, b->start_state_len);
    if (a->start_state_len == b->start_state_len && a->start_state_len &&
        memcmp(a->start_state, b->start_state, a->start_state_len))
        config_add(res, "start_state", "(bytes differ)", "(bytes differ)");
    bool layout_same = res->nconfig == 0;
    /* Images: by role, in order. */
    size_t n = a->nimages > b->nimages ? a->nimages : b->nimages;
    for (size_t i = 0; i < n && res->nimages < DIFF_MAX_IMAGES; i++) {
        DiffImageLine *im = &res->images[res->nimages++];
        memset(im, 0, sizeof(*im));
        const TraceImage *x = i < a->nimages ? &a->images[i] : NULL;
        const TraceImage *y = i < b->nimages ? &b->images[i] : NULL;
        if (x) {
            im->have[0] = true;
            im->img[0] = *x;
        }
        if (y) {
            im->have[1] = true;
            im->img[1] = *y;
        }
        im->same = x && y && x->size == y->size && x->hash_lo == y->hash_lo &&
                   x->hash_hi == y->hash_hi && !strcmp(x->role ? x->role : "", y->role ? y->role : "");
        if (!im->same)
            res->images_differ = true;
        if (!x || !y || x->size != y->size || strcmp(x->role ? x->role : "", y->role ? y->role : ""))
            layout_same = false;
    }
    return layout_same;
}

/* ------------------------------------------------------------ the runs */

static int diff_exact(DiffSide s[2], DiffResult *res, const TraceImageMap *maps, unsigned nmaps,
                      char *err, size_t errlen)
{
    const DiffScan *sc = &res->scan;
    bool same_end = sc->end_icount[0] == sc->end_icount[1];
    if (!sc->input_differs && !sc->digest_differs && same_end && !res->images_differ) {
        res->identical = true;
        return 0;
    }
    uint64_t end = sc->end_icount[0] < sc->end_icount[1] ? sc->end_icount[0] : sc->end_icount[1];
    /* Where to start: with a digest that differs, the last one that
     * agrees before it (harts and RAM agree there, even past an input that
     * differs); else the last that agrees before the first different input,
     * since a difference that input makes may be gone by the next digest. */
    uint64_t lo = sc->digest_differs ? sc->agree_icount : sc->agree_before_input;
    uint64_t hi = sc->digest_differs ? sc->differ_icount : end;
    if (hi <= lo)
        hi = end;
    for (int i = 0; i < 2; i++)
        if (!side_build(&s[i], maps, nmaps, err, errlen))
            return EXIT_REWIND_ERROR;
    DiffLockstep *ls = diff_lockstep_new(s[0].m, s[1].m, res->console, err, errlen);
    if (!ls)
        return EXIT_REWIND_ERROR;
    res->ran_state = true;
    bool ok = hi > lo ? diff_lockstep_find(ls, lo, hi, hi, &res->point, err, errlen) : true;
    if (hi <= lo)
        snprintf(res->point.note, sizeof(res->point.note), "nothing to replay: both end at "
                 "icount %" PRIu64, lo);
    diff_lockstep_free(ls);
    if (!ok)
        return EXIT_REWIND_ERROR;
    uint64_t at = res->point.found ? res->point.icount
                : sc->input_differs ? sc->input_icount : end;
    res->events_at = at;
    for (int i = 0; i < 2; i++)
        if (!diff_last_events(s[i].scan, at, res->last[i], &res->nlast[i], err, errlen))
            return EXIT_REWIND_ERROR;
    return 1;
}

/* The profile's sampling interval, in instructions of the machine: fine
 * enough for functions of a boot, a few microseconds of stop each. */
enum { DIFF_SAMPLE_EVERY = 10000 };

static int diff_summary(DiffSide s[2], DiffResult *res, const TraceImageMap *maps,
                        unsigned nmaps, char *err, size_t errlen)
{
    res->summary = true;
    if (res->sym[0].loaded || res->sym[1].loaded)
        res->sample_every = DIFF_SAMPLE_EVERY;
    for (int i = 0; i < 2; i++) {
        /* One at a time: a whole replay each, watched. */
        if (!side_build(&s[i], maps, nmaps, err, errlen))
            return EXIT_REWIND_ERROR;
        diff_watch_attach(s[i].m, &res->watch[i]);
        if (res->sample_every && !diff_watch_sample(s[i].m, &res->watch[i], res->sample_every)) {
            snprintf(err, errlen, "out of memory");
            return EXIT_REWIND_ERROR;
        }
        machine_run(s[i].m);
        diff_watch_finish(s[i].m, &res->watch[i]);
        char report[1024];
        int code;
        ReplayResult rr = replay_play_result(s[i].m, report, sizeof(report), &code);
        if (rr != REPLAY_RESULT_MATCHED)
            snprintf(res->replay_note[i], sizeof(res->replay_note[i]), "%.500s", report);
        res->watch[i].exit_code = rr == REPLAY_RESULT_MATCHED ? code : res->watch[i].exit_code;
    }
    if (res->sample_every && !diff_profile_build(res)) {
        snprintf(err, errlen, "out of memory");
        return EXIT_REWIND_ERROR;
    }
    return res->images_differ || res->nconfig ? 1 : diff_summary_differs(res) ? 1 : 0;
}

int cmd_diff(int argc, char **argv)
{
    const char *paths[2] = { NULL, NULL }, *sympaths[2] = { NULL, NULL };
    unsigned nsym = 0, npaths = 0, nmaps = 0;
    bool json = false, force_exact = false, force_summary = false;
    TraceImageMap maps[16];
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            diff_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--exact")) {
            force_exact = true;
        } else if (!strcmp(a, "--summary")) {
            force_summary = true;
        } else if (!strcmp(a, "--symbols")) {
            if (!val || nsym == 2) {
                fprintf(stderr, "rewind diff: --symbols takes an ELF file, at most twice\n");
                return EXIT_REWIND_ERROR;
            }
            sympaths[nsym++] = val;
            i++;
        } else if (!strcmp(a, "--image")) {
            const char *eq = val ? strchr(val, '=') : NULL;
            if (!eq || eq == val || !eq[1] || nmaps == 16) {
                fprintf(stderr, "rewind diff: --image expects OLD=NEW\n");
                return EXIT_REWIND_ERROR;
            }
            *(char *)eq = '\0';
            maps[nmaps].from = val;
            maps[nmaps++].to = eq + 1;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "rewind diff: unknown option '%s' (see rewind diff --help)\n", a);
            return EXIT_REWIND_ERROR;
        } else if (npaths == 2) {
            fprintf(stderr, "rewind diff: two traces, not more ('%s')\n", a);
            return EXIT_REWIND_ERROR;
        } else {
            paths[npaths++] = a;
        }
    }
    if (npaths != 2) {
        fprintf(stderr, "rewind diff: which traces? (rewind diff A.rwd B.rwd)\n");
        return EXIT_REWIND_ERROR;
    }
    if (force_exact && force_summary) {
        fprintf(stderr, "rewind diff: --exact or --summary, not both\n");
        return EXIT_REWIND_ERROR;
    }
    char err[1200];
    DiffSide s[2];
    memset(s, 0, sizeof(s));
    DiffResult *res = calloc(1, sizeof(*res));
    int rc = EXIT_REWIND_ERROR;
    if (!res) {
        fprintf(stderr, "rewind diff: out of memory\n");
        return rc;
    }
    res->paths[0] = paths[0];
    res->paths[1] = paths[1];
    if (!side_open(&s[0], paths[0], err, sizeof(err)) ||
        !side_open(&s[1], paths[1], err, sizeof(err)))
        goto fail;
    for (int i = 0; i < 2; i++) {
        const char *sp = sympaths[nsym == 2 ? i : 0];
        if (sp && !symbols_load(&res->sym[i], sp, err, sizeof(err)))
            goto fail;
        if (!sp)
            symbols_default(&res->sym[i], s[i].h, &s[i].pk);
    }
    /* Read both traces through first, in either comparison: a damaged
     * frame is bad input (125), found before any replay. */
    if (!diff_scan(s[0].scan, s[1].scan, &res->scan, err, sizeof(err)))
        goto fail;
    bool layout_same = config_compare(s[0].h, s[1].h, res);
    bool exact = force_exact || (!force_summary && layout_same);
    rc = exact ? diff_exact(s, res, maps, nmaps, err, sizeof(err))
               : diff_summary(s, res, maps, nmaps, err, sizeof(err));
    if (rc == EXIT_REWIND_ERROR)
        goto fail;
    if (json)
        diff_print_json(res, stdout);
    else
        diff_print_text(res, stdout);
    goto out;
fail:
    fprintf(stderr, "rewind diff: %s\n", err);
    rc = EXIT_REWIND_ERROR;
out:
    for (int i = 0; i < 2; i++) {
        side_close(&s[i]);
        diff_console_free(&res->console[i]);
        diff_watch_free(&res->watch[i]);
        free(res->sym[i].data);
    }
    free(res->funcs);
    free(res);
    return rc;
}
