/* `rewind timeline TRACE`: replay a recording quietly and list the boot's
 * milestones (replay/timeline.h) as a table, JSON or an HTML page. The
 * machine is built and replayed as `rewind replay` does (run_session_open
 * with the replay attached); only the watching is new. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/loader.h"
#include "boot/virt.h"
#include "replay/session.h"
#include "replay/timeline.h"
#include "tools/commands.h"
#include "tools/output_file.h"
#include "tools/packed.h"
#include "tools/run_checkpoint.h"
#include "tools/timeline_print.h"
#include "tools/trace_config.h"

static void timeline_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind timeline TRACE [options]\n"
        "\n"
        "Replay a recording (quietly: a progress bar on a terminal only) and list\n"
        "the milestones of the boot, each with the total icount (as `monitor when`\n"
        "and `seek` in rewind debug count), the hart's own icount, the virtual time,\n"
        "the hart, its privilege mode and pc (with its symbol when known):\n"
        "each hart's first instruction and its entry into the firmware; each hart's\n"
        "first switch between M, S and U mode (all counted); the jump into the\n"
        "kernel (the first mret to S-mode); the first satp write and paging on; the\n"
        "first trap of each cause; the first external interrupt of each PLIC source;\n"
        "the first SBI call of each extension and function (ecall from S-mode,\n"
        "a7/a6), every HSM hart_start and each secondary hart's start, the system\n"
        "reset; the first access to each device and the disk requests; every\n"
        "console line; the first user-space instruction and the first exit and\n"
        "reboot system calls; with symbols, kernel functions reached for the first\n"
        "time (start_kernel, setup_arch, paging_init, ..., run_init_process) and\n"
        "those of --mark. The same trace always gives the same output.\n"
        "TRACE may be a packed file (rewind pack): its trace and images come from it.\n"
        "\n"
        "  --symbols ELF    symbols for pcs and kernel functions (repeatable; default:\n"
        "                   the recorded kernel or firmware when it is an ELF file,\n"
        "                   else a vmlinux next to the recorded kernel). A file whose\n"
        "                   code does not match the recorded kernel or firmware is\n"
        "                   used with a warning naming it\n"
        "  --mark SYMBOL    also list the first call of SYMBOL (repeatable)\n"
        "  --json           the timeline as one JSON document on stdout\n"
        "                   (docs/boot/timeline-json.md)\n"
        "  --html FILE      also write a self-contained page: a lane per hart\n"
        "                   coloured by privilege mode, the milestones, the console\n"
        "  --progress, --no-progress\n"
        "                   progress bar on stderr (default: when it is a terminal)\n"
        "  --image OLD=NEW  an image of the trace moved (as rewind replay)\n"
        "\n"
        "To stop at a milestone: rewind debug TRACE, then (gdb) monitor seek ICOUNT.\n"
        "\n"
        "Exit code: 0; %d when the trace ends early (a killed recording: the\n"
        "timeline stops there and says so); %d when the replay diverged; %d for a\n"
        "file that is not a readable trace, an image that changed, a --symbols file\n"
        "that cannot be read, an unknown --mark, an --html file that cannot be\n"
        "written, bad options.\n",
        REPLAY_EXIT_CUT_SHORT, REPLAY_EXIT_DIVERGED, REPLAY_EXIT_ERROR);
}

/* ------------------------------------------------------------ symbols */

static bool symbols_load(TimelineSymbols *s, const char *path, char *err, size_t errlen)
{
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "--symbols %s: %s", path, strerror(errno));
        return false;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    s->data = len > 0 ? malloc((size_t)len) : NULL;
    n = s->data ? fread(s->data, 1, (size_t)len, f) : 0;
    fclose(f);
    char e[256];
    if (!s->data || n != (size_t)len) {
        snprintf(err, errlen, "--symbols %s: cannot read it", path);
        return false;
    }
    if (!elf_parse(&s->img, s->data, n, e, sizeof(e))) {
        snprintf(err, errlen, "--symbols %s: %s", path, e);
        return false;
    }
    s->path = path;
    return true;
}

/* The file bytes of an ELF's first executable PT_LOAD segment (the code
 * a raw image of it starts with): pointer and length, or NULL. */
static const uint8_t *elf_first_code(const ElfImage *img, size_t *len)
{
    if (img->size < sizeof(Elf64_Ehdr))
        return NULL;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        uint64_t off = eh->e_phoff + (uint64_t)i * eh->e_phentsize;
        if (off + sizeof(Elf64_Phdr) > img->size)
            return NULL;
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(img->data + off);
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || !ph->p_filesz ||
            ph->p_offset + ph->p_filesz > img->size)
            continue;
        *len = ph->p_filesz;
        return img->data + ph->p_offset;
    }
    return NULL;
}

/* Does the symbol file hold the code of the recorded image at path (an
 * ELF file: its first code segment; a raw image: its first bytes)? */
static bool symbols_match(const TimelineSymbols *s, const char *image_path)
{
    size_t have_len;
    const uint8_t *have = elf_first_code(&s->img, &have_len);
    char e[256];
    size_t n;
    uint8_t *img = boot_read_file(image_path, &n, e, sizeof(e));
    if (!have || !img) {
        free(img);
        return false;
    }
    const uint8_t *want = img;
    size_t want_len = n;
    ElfImage other;
    if (elf_is_elf(img, n) && elf_parse(&other, img, n, e, sizeof(e)))
        want = elf_first_code(&other, &want_len);
    size_t cmp = have_len < 4096 ? have_len : 4096;
    bool same = want && want_len >= cmp && !memcmp(have, want, cmp);
    free(img);
    return same;
}

static bool file_is_elf(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char magic[4];
    bool elf = f && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
    if (f)
        fclose(f);
    return elf;
}

/* The path an image was recorded at: a packed file's images are opened
 * from memory files (/proc/self/fd/N), but named as recorded. */
static const char *recorded_path(const PackedOpen *pk, const char *path)
{
    for (unsigned i = 0; path && i < pk->nmaps; i++)
        if (!strcmp(pk->maps[i].to, path))
            return pk->maps[i].from;
    return path;
}

/* The default symbols: the recorded kernel or firmware when ELF, else a
 * vmlinux beside the kernel (boot/linux/build keeps one there; for a
 * packed file, beside the path the kernel was recorded at). Each is named
 * as recorded, so that a packed file and its trace give the same output. */
static void symbols_defaults(TimelineReport *r, const PackedOpen *pk, const char *kernel,
                             const char *bios, char *vmlinux, size_t len)
{
    const char *cands[3] = { kernel, bios, NULL };
    if (kernel) {
        char copy[4096];
        snprintf(copy, sizeof(copy), "%s", recorded_path(pk, kernel));
        snprintf(vmlinux, len, "%s/vmlinux", dirname(copy));
        cands[2] = vmlinux;
    }
    for (int i = 0; i < 3 && r->nsym < TIMELINE_MAX_SYMBOLS; i++) {
        if (!cands[i] || !file_is_elf(cands[i]))
            continue;
        char e[300];
        if (i == 2 && r->nsym)
            break; /* an ELF kernel already gives the symbols */
        if (symbols_load(&r->sym[r->nsym], cands[i], e, sizeof(e))) {
            r->sym[r->nsym].path = recorded_path(pk, cands[i]);
            r->nsym++;
        }
    }
}

/* ------------------------------------------------------------ html path */

/* Can path be written (before the replay, so that a bad path fails
 * fast)? Nothing is created. */
static bool html_writable(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--html %s: is a directory", path);
        return false;
    }
    if (access(path, F_OK) == 0) {
        if (access(path, W_OK) != 0) {
            snprintf(err, errlen, "--html %s: cannot write it: %s", path, strerror(errno));
            return false;
        }
        return true;
    }
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    const char *dir = dirname(copy);
    if (access(dir, W_OK) != 0) {
        snprintf(err, errlen, "--html %s: cannot create it in %s: %s", path, dir,
                 strerror(errno));
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ command */

typedef struct TimelineCtx {
    TraceReader *reader;
    ReplayPlayOptions popt;
} TimelineCtx;

static bool timeline_replay_attach(Machine *m, void *vctx, char *err, size_t errlen)
{
    TimelineCtx *c = vctx;
    TraceReader *r = c->reader;
    c->reader = NULL; /* the machine owns it now, even on failure */
    return replay_play_attach(m, r, &c->popt, err, errlen);
}

int cmd_timeline(int argc, char **argv)
{
    const char *path = NULL, *html = NULL;
    const char *symfiles[TIMELINE_MAX_SYMBOLS];
    unsigned nsymfiles = 0;
    const char *marknames[TIMELINE_MAX_MARKS];
    unsigned nmarknames = 0;
    TraceImageMap maps[16];
    unsigned nmaps = 0;
    bool json = false;
    int progress = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            timeline_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--progress")) {
            progress = 1;
        } else if (!strcmp(a, "--no-progress")) {
            progress = 0;
        } else if (!strcmp(a, "--symbols") || !strcmp(a, "--mark") || !strcmp(a, "--html") ||
                   !strcmp(a, "--image")) {
            if (!val) {
                fprintf(stderr, "rewind timeline: %s needs a value\n", a);
                return EXIT_REWIND_ERROR;
            }
            i++;
            if (!strcmp(a, "--html")) {
                html = val;
            } else if (!strcmp(a, "--symbols")) {
                if (nsymfiles == TIMELINE_MAX_SYMBOLS) {
                    fprintf(stderr, "rewind timeline: at most %d --symbols\n",
                            TIMELINE_MAX_SYMBOLS);
                    return EXIT_REWIND_ERROR;
                }
                symfiles[nsymfiles++] = val;
            } else if (!strcmp(a, "--mark")) {
                if (nmarknames == TIMELINE_MAX_MARKS / 2) {
                    fprintf(stderr, "rewind timeline: at most %d --mark\n",
                            TIMELINE_MAX_MARKS / 2);
                    return EXIT_REWIND_ERROR;
                }
                marknames[nmarknames++] = val;
            } else {
                const char *eq = strchr(val, '=');
                if (!eq || eq == val || !eq[1] || nmaps == 16) {
                    fprintf(stderr, "rewind timeline: --image expects OLD=NEW\n");
                    return EXIT_REWIND_ERROR;
                }
                *(char *)eq = '\0';
                maps[nmaps].from = val;
                maps[nmaps++].to = eq + 1;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "rewind timeline: unknown option '%s' (see rewind timeline "
                    "--help)\n", a);
            return EXIT_REWIND_ERROR;
        } else if (path) {
            fprintf(stderr, "rewind timeline: one trace at a time ('%s', then '%s')\n", path, a);
            return EXIT_REWIND_ERROR;
        } else {
            path = a;
        }
    }
    if (!path) {
        fprintf(stderr, "rewind timeline: which trace? (rewind timeline TRACE)\n");
        return EXIT_REWIND_ERROR;
    }
    char err[1024];
    if (html && !html_writable(html, err, sizeof(err))) {
        fprintf(stderr, "rewind timeline: %s\n", err);
        return EXIT_REWIND_ERROR;
    }

    TimelineReport rep = { .trace = path };
    int rc = EXIT_REWIND_ERROR;
    PackedOpen pk; /* a packed file: its trace and images, unpacked in memory */
    if (!packed_open(path, &pk, err, sizeof(err))) {
        fprintf(stderr, "rewind timeline: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    TraceReader *reader = trace_reader_open(packed_trace_path(&pk, path), err, sizeof(err));
    if (!reader) {
        fprintf(stderr, "rewind timeline: %s\n", err);
        packed_close(&pk);
        return EXIT_REWIND_ERROR;
    }
    const TraceHeader *h = trace_reader_header(reader);
    if (html) { /* never over the trace or an image */
        OutputGuard guard;
        output_guard_init(&guard, false);
        output_guard_add_input(&guard, "the trace", path);
        for (unsigned i = 0; i < nsymfiles; i++)
            output_guard_add_input(&guard, "--symbols", symfiles[i]);
        for (size_t i = 0; i < h->nimages; i++)
            if (h->images[i].path)
                output_guard_add_input(&guard, "an image of the trace", h->images[i].path);
        if (!output_guard_check(&guard, "--html", html, OUTPUT_PLAIN, err, sizeof(err))) {
            fprintf(stderr, "rewind timeline: %s\n", err);
            trace_reader_close(reader);
            packed_close(&pk);
            return EXIT_REWIND_ERROR;
        }
    }
    TraceConfig located = { 0 }, tc = { 0 };
    TraceImageMap with_pack[32], all[32];
    unsigned nwith = packed_add_maps(&pk, maps, nmaps, with_pack, 32);
    unsigned nall = trace_config_locate(&located, h, with_pack, nwith, all, 32);
    RunOptions o;
    MachineConfig cfg;
    if (!trace_config_engine_agrees(h, err, sizeof(err)) ||
        !trace_config_to_options(&tc, h, all, nall, &o, &cfg, err, sizeof(err)) ||
        !trace_config_check_images(h, all, nall, err, sizeof(err))) {
        fprintf(stderr, "rewind timeline: %s: %s\n", path, err);
        trace_config_free(&tc);
        trace_config_free(&located);
        trace_reader_close(reader);
        packed_close(&pk);
        return EXIT_REWIND_ERROR;
    }

    /* Symbols, checked against the recorded kernel and firmware. */
    char vmlinux[4096];
    bool ok = true;
    for (unsigned i = 0; i < nsymfiles && ok; i++) {
        ok = symbols_load(&rep.sym[rep.nsym], symfiles[i], err, sizeof(err));
        rep.nsym += ok;
    }
    if (ok && !nsymfiles)
        symbols_defaults(&rep, &pk, o.kernel, o.bios, vmlinux, sizeof(vmlinux));
    for (unsigned i = 0; ok && i < rep.nsym; i++) {
        bool kmatch = o.kernel && symbols_match(&rep.sym[i], o.kernel);
        bool bmatch = o.bios && symbols_match(&rep.sym[i], o.bios);
        if (!kmatch && !bmatch && rep.nwarnings < TIMELINE_MAX_WARNINGS)
            snprintf(rep.warnings[rep.nwarnings++], sizeof(rep.warnings[0]),
                     "--symbols %s does not match the recorded kernel %s%s%s (their code "
                     "differs): kernel functions may be missing or wrong",
                     rep.sym[i].path, o.kernel ? recorded_path(&pk, o.kernel) : "(none)",
                     o.bios ? " or firmware " : "", o.bios ? recorded_path(&pk, o.bios) : "");
    }
    /* The marks: the boot's functions found in the symbols, then --mark's
     * (which must exist). */
    TimelineMark marks[TIMELINE_MAX_MARKS];
    unsigned nmarks = 0;
    for (unsigned i = 0; ok && timeline_default_marks[i] && rep.nsym; i++) {
        uint64_t addr;
        for (unsigned k = 0; k < rep.nsym; k++)
            if (elf_symbol(&rep.sym[k].img, timeline_default_marks[i], &addr)) {
                snprintf(marks[nmarks].name, sizeof(marks[0].name), "%s",
                         timeline_default_marks[i]);
                marks[nmarks++].addr = addr;
                break;
            }
    }
    for (unsigned i = 0; ok && i < nmarknames; i++) {
        uint64_t addr = 0;
        bool found = false;
        for (unsigned k = 0; k < rep.nsym && !found; k++)
            found = elf_symbol(&rep.sym[k].img, marknames[i], &addr);
        if (!found) {
            snprintf(err, sizeof(err), "--mark %s: no such symbol in %s", marknames[i],
                     rep.nsym ? rep.sym[0].path : "any symbol file (give --symbols ELF)");
            ok = false;
            break;
        }
        snprintf(marks[nmarks].name, sizeof(marks[0].name), "%s", marknames[i]);
        marks[nmarks++].addr = addr;
    }

    o.serial = "none"; /* the console is watched, not shown */
    FILE *devnull = fopen("/dev/null", "w");
    o.console_out = devnull;
    TimelineCtx c = { .reader = reader };
    c.popt.progress = progress < 0 ? isatty(STDERR_FILENO) : progress;
    RunSession s = { 0 };
    Timeline t;
    memset(&t, 0, sizeof(t));
    bool attached = false;
    if (!ok || !run_session_open(&s, &o, &cfg, timeline_replay_attach, &c, err, sizeof(err)) ||
        !run_checkpoint_start_state(s.m, h, err, sizeof(err)) ||
        !(attached = timeline_attach(&t, s.m, marks, nmarks, err, sizeof(err)))) {
        fprintf(stderr, "rewind timeline: %s\n", err);
        if (c.reader)
            trace_reader_close(c.reader);
        goto out;
    }
    if (o.bios) {
        const VirtLayout *lay = virt_layout(s.m);
        if (lay)
            timeline_set_firmware(&t, lay->entry);
    }
    run_session_run(&s, "timeline", false);
    char report[4096];
    int exit_code = 0;
    const char *note = "the end of the recording";
    switch (replay_play_result(s.m, report, sizeof(report), &exit_code)) {
    case REPLAY_RESULT_MATCHED:
        rep.complete = true;
        note = s.m->stop == STOP_ERROR ? "the end of the recording (an emulator error)"
                                       : "the end of the recording (power-off or exit)";
        rc = 0;
        break;
    case REPLAY_RESULT_CUT_SHORT:
        note = "the trace ends early here (a killed recording): the timeline stops";
        fprintf(stderr, "rewind timeline: %s: the trace ends early: the timeline stops at icount "
                "%" PRIu64 " (%s)\n", path, machine_icount(s.m), report);
        rc = REPLAY_EXIT_CUT_SHORT;
        break;
    case REPLAY_RESULT_DIVERGED:
        note = "the replay diverged here: the timeline stops";
        fprintf(stderr, "rewind timeline: %s: %s\n", path, report);
        rc = REPLAY_EXIT_DIVERGED;
        break;
    default:
        fprintf(stderr, "rewind timeline: %s: %s\n", path, report[0] ? report : s.m->error);
        rc = REPLAY_EXIT_ERROR;
        goto out;
    }
    rep.end_note = note;
    rep.nharts = s.m->nharts;
    timeline_finish(&t, note);
    rep.t = &t;
    for (unsigned i = 0; i < rep.nwarnings; i++)
        fprintf(stderr, "rewind timeline: warning: %s\n", rep.warnings[i]);
    if (json) {
        json_object *d = timeline_json(&rep, false);
        fputs(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_SPACED |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE),
              stdout);
        fputc('\n', stdout);
        json_object_put(d);
    } else {
        timeline_print_text(stdout, &rep);
    }
    if (html && !timeline_write_html(html, &rep, err, sizeof(err))) {
        fprintf(stderr, "rewind timeline: %s\n", err);
        rc = EXIT_REWIND_ERROR;
    }
out:
    if (attached)
        timeline_free(&t);
    run_session_close(&s);
    for (unsigned i = 0; i < rep.nsym; i++)
        free(rep.sym[i].data);
    trace_config_free(&tc);
    trace_config_free(&located);
    if (devnull)
        fclose(devnull);
    packed_close(&pk);
    return rc;
}
