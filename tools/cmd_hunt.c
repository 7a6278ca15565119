/* `rewind hunt -o DIR [options] -- MACHINE-OPTIONS`: record the machine
 * again and again under chaos scheduling (core/chaos.h), seed after seed,
 * until a run fails; keep the failing recordings, delete the others.
 *
 * Each try is a `rewind record --chaos=SEED` of its own (this executable,
 * started with posix_spawn): a try that crashes or hangs cannot take the
 * hunt with it, and --jobs runs several at once. The standard input is
 * read once, before the first try, and every try reads the same bytes
 * from a file (the recording keeps them, so the replay needs no input). */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/session.h"
#include "replay/trace.h"
#include "tools/commands.h"
#include "tools/options.h"

extern char **environ;

enum { HUNT_EXIT_FOUND = 0, HUNT_EXIT_NONE = 1, HUNT_EXIT_USAGE = 2 };
enum { HUNT_MAX_FAIL_ON = 8, HUNT_MAX_JOBS = 64 };

static void hunt_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind hunt -o DIR [--tries N] [--jobs J] [--seed-start S]\n"
        "                   [--fail-on COND]... [--keep-going] -- MACHINE-OPTIONS\n"
        "\n"
        "Record the machine again and again with chaos scheduling (--chaos=SEED,\n"
        "docs/chaos.md), seeds S, S+1, ..., until a run fails. The recording of\n"
        "each failing run is kept in DIR as seed-SEED.rwd, with its console output\n"
        "in seed-SEED.console; the passing ones are deleted. Each kept recording\n"
        "replays with the same failure (rewind replay), and rewind record\n"
        "--chaos=SEED with the same options and input records the same run.\n"
        "\n"
        "  -o, --output DIR    where failing recordings are kept (made, with its\n"
        "                      parents, if missing)\n"
        "  --tries N           at most N runs (default 100)\n"
        "  --jobs J            J recorders at once (default 1, at most %d)\n"
        "  --seed-start S      the first seed (default 1); tries use S, S+1, ...\n"
        "  --fail-on COND      what a failure is; several combine with or:\n"
        "                        exit          the exit code is not 0: the guest's,\n"
        "                                      or 125 when the emulator failed\n"
        "                                      (the default)\n"
        "                        console:TEXT  the console printed TEXT\n"
        "                        icount:N      still running after N instructions\n"
        "                                      (a hang: the recording stops there,\n"
        "                                      record --stop-after-insns N)\n"
        "  --keep-going        do not stop at the first failure: run all N tries\n"
        "                      and keep every failing recording\n"
        "\n"
        "MACHINE-OPTIONS are rewind record's (rewind record --help), after --;\n"
        "hunt adds -o and --chaos itself. The standard input is read once (to its\n"
        "end; none from a terminal) and every try gets the same bytes.\n"
        "\n"
        "On a terminal, a progress line shows the tries, failures and runs per\n"
        "second. At the end: one line per kept recording (path, seed, try, what\n"
        "failed), the commands that replay it and record it again, and a summary.\n"
        "\n"
        "Exit status: 0 a failing run was found and kept, 1 none in N tries, 2 bad\n"
        "options or a machine that cannot be recorded at all.\n",
        HUNT_MAX_JOBS);
}

typedef enum { FAIL_EXIT, FAIL_CONSOLE, FAIL_ICOUNT } FailKind;

typedef struct FailOn {
    FailKind kind;
    const char *text; /* console: */
    uint64_t insns;   /* icount: */
} FailOn;

typedef struct Hunt {
    const char *dir;
    uint64_t tries, seed_start;
    unsigned jobs;
    bool keep_going;
    FailOn fail_on[HUNT_MAX_FAIL_ON];
    unsigned nfail_on;
    char **machine; /* the machine options */
    int nmachine;
    char input[1024]; /* the file holding the standard input's bytes */
    char self[1024];  /* this executable */
} Hunt;

/* One try in flight. */
typedef struct Try {
    pid_t pid;
    uint64_t seed, number;
    char trace[1024], console[1024], log[1024];
} Try;

static bool parse_fail_on(Hunt *h, const char *v, char *err, size_t errlen)
{
    if (h->nfail_on == HUNT_MAX_FAIL_ON) {
        snprintf(err, errlen, "--fail-on %s: at most %d conditions", v, HUNT_MAX_FAIL_ON);
        return false;
    }
    FailOn *f = &h->fail_on[h->nfail_on];
    if (!strcmp(v, "exit")) {
        f->kind = FAIL_EXIT;
    } else if (!strncmp(v, "console:", 8) && v[8]) {
        f->kind = FAIL_CONSOLE;
        f->text = v + 8;
    } else if (!strncmp(v, "icount:", 7) && options_parse_count(v + 7, &f->insns)) {
        f->kind = FAIL_ICOUNT;
        for (unsigned i = 0; i < h->nfail_on; i++)
            if (h->fail_on[i].kind == FAIL_ICOUNT) {
                snprintf(err, errlen, "--fail-on '%s': one icount:N only", v);
                return false;
            }
    } else {
        snprintf(err, errlen, "--fail-on '%s': expected exit, console:TEXT (TEXT not "
                 "empty) or icount:N (N > 0)", v);
        return false;
    }
    h->nfail_on++;
    return true;
}

static bool parse_u64_arg(const char *opt, const char *v, bool zero_ok, uint64_t *out,
                          char *err, size_t errlen)
{
    if (v && !strcmp(v, "0") && zero_ok) {
        *out = 0;
        return true;
    }
    if (!options_parse_count(v, out)) {
        snprintf(err, errlen, "%s %s: expected a %snumber", opt, v ? v : "(nothing)",
                 zero_ok ? "" : "positive ");
        return false;
    }
    return true;
}

/* The hunt's own options, then the machine's after "--". */
static bool hunt_parse(Hunt *h, int argc, char **argv, bool *help, char *err, size_t errlen)
{
    memset(h, 0, sizeof(*h));
    h->tries = 100;
    h->seed_start = 1;
    h->jobs = 1;
    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = true;
            return true;
        } else if (!strcmp(a, "--keep-going")) {
            h->keep_going = true;
            continue;
        }
        if (strcmp(a, "-o") && strcmp(a, "--output") && strcmp(a, "--tries") &&
            strcmp(a, "--jobs") && strcmp(a, "--seed-start") && strcmp(a, "--fail-on")) {
            snprintf(err, errlen, "'%s': not an option of hunt (the machine options come "
                     "after --; see rewind hunt --help)", a);
            return false;
        }
        if (!v) {
            snprintf(err, errlen, "%s needs a value", a);
            return false;
        }
        i++;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            h->dir = v;
        } else if (!strcmp(a, "--tries")) {
            if (!parse_u64_arg(a, v, false, &h->tries, err, errlen))
                return false;
        } else if (!strcmp(a, "--jobs")) {
            if (!parse_u64_arg(a, v, false, &n, err, errlen))
                return false;
            if (n > HUNT_MAX_JOBS) {
                snprintf(err, errlen, "--jobs %s: at most %d", v, HUNT_MAX_JOBS);
                return false;
            }
            h->jobs = (unsigned)n;
        } else if (!strcmp(a, "--seed-start")) {
            if (!parse_u64_arg(a, v, true, &h->seed_start, err, errlen))
                return false;
        } else if (!parse_fail_on(h, v, err, errlen)) {
            return false;
        }
    }
    h->machine = argv + i;
    h->nmachine = argc - i;
    if (!h->dir || !*h->dir) {
        snprintf(err, errlen, "no output directory: add -o DIR");
        return false;
    }
    if (h->nmachine == 0) {
        snprintf(err, errlen, "no machine options: give them after --, as for rewind "
                 "record (e.g. -- -smp 2 -bios none -kernel guest.elf)");
        return false;
    }
    for (int k = 0; k < h->nmachine; k++) {
        const char *a = h->machine[k];
        if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "-output") ||
            !strncmp(a, "--chaos", 7) || !strncmp(a, "-chaos", 6)) {
            snprintf(err, errlen, "machine option '%s': hunt sets -o and --chaos for each "
                     "try itself", a);
            return false;
        }
    }
    /* Refuse what record would refuse, before any try. */
    RunOptions o;
    char why[512];
    if (!options_parse_run(&o, h->nmachine, h->machine, why, sizeof(why))) {
        snprintf(err, errlen, "machine options: %s", why);
        return false;
    }
    if (!h->nfail_on)
        h->fail_on[h->nfail_on++] = (FailOn){ .kind = FAIL_EXIT };
    if (h->seed_start > UINT64_MAX - h->tries) {
        snprintf(err, errlen, "--seed-start %" PRIu64 " with --tries %" PRIu64
                 ": the seeds would wrap around", h->seed_start, h->tries);
        return false;
    }
    return true;
}

/* The standard input, read to its end, into the file every try reads. */
static bool hunt_save_input(Hunt *h, char *err, size_t errlen)
{
    snprintf(h->input, sizeof(h->input), "%s/.hunt-input.%ld", h->dir, (long)getpid());
    int fd = open(h->input, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", h->input, strerror(errno));
        return false;
    }
    bool ok = true;
    if (!isatty(STDIN_FILENO)) {
        char buf[65536];
        for (;;) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EBADF)
                break; /* no standard input at all: none */
            if (n < 0) {
                snprintf(err, errlen, "reading the standard input: %s", strerror(errno));
                ok = false;
                break;
            }
            if (n == 0)
                break;
            if (write(fd, buf, (size_t)n) != n) {
                snprintf(err, errlen, "%s: %s", h->input, strerror(errno));
                ok = false;
                break;
            }
        }
    }
    close(fd);
    return ok;
}

static bool hunt_start(Hunt *h, Try *t, uint64_t seed, uint64_t number, char *err,
                       size_t errlen)
{
    t->seed = seed;
    t->number = number;
    snprintf(t->trace, sizeof(t->trace), "%s/seed-%" PRIu64 ".rwd", h->dir, seed);
    snprintf(t->console, sizeof(t->console), "%s/seed-%" PRIu64 ".console", h->dir, seed);
    snprintf(t->log, sizeof(t->log), "%s/seed-%" PRIu64 ".log", h->dir, seed);
    /* A trace of an earlier hunt with this seed is replaced; anything
     * else of that name record refuses (and the hunt stops). Gone first,
     * so that a try that writes nothing is seen as such. */
    if (trace_file_is_trace(t->trace))
        unlink(t->trace);
    char chaos[64], stop[32] = "";
    snprintf(chaos, sizeof(chaos), "--chaos=%" PRIu64, seed);
    for (unsigned i = 0; i < h->nfail_on; i++)
        if (h->fail_on[i].kind == FAIL_ICOUNT)
            snprintf(stop, sizeof(stop), "%" PRIu64, h->fail_on[i].insns);
    char **args = calloc((size_t)h->nmachine + 10, sizeof(char *));
    if (!args) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    int n = 0;
    args[n++] = "rewind";
    args[n++] = "record";
    args[n++] = "-o";
    args[n++] = t->trace;
    args[n++] = chaos;
    if (stop[0]) { /* icount:N: a run still going after N is a hang */
        args[n++] = "--stop-after-insns";
        args[n++] = stop;
    }
    for (int i = 0; i < h->nmachine; i++)
        args[n++] = h->machine[i];
    args[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, h->input, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, t->console,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, t->log,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int r = posix_spawn(&t->pid, h->self, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(args);
    if (r != 0) {
        snprintf(err, errlen, "cannot start %s: %s", h->self, strerror(r));
        return false;
    }
    return true;
}

/* Does the file hold text? */
static bool file_contains(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t tl = strlen(text), cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    bool found = false;
    while (buf && !found) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        found = memmem(buf, len, text, tl) != NULL;
        if (n == 0)
            break;
        if (len == cap) { /* keep the last tl-1 bytes: a match may span the cut */
            size_t keep = tl - 1 < len ? tl - 1 : len;
            memmove(buf, buf + len - keep, keep);
            len = keep;
        }
    }
    free(buf);
    fclose(f);
    return found;
}

/* What failed in a finished try (NULL: it passed), in why. */
static const char *hunt_judge(const Hunt *h, const Try *t, int status, char *why, size_t len)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    /* A hang first: its exit code (124) is the recorder's, not the guest's. */
    for (unsigned i = 0; i < h->nfail_on; i++)
        if (h->fail_on[i].kind == FAIL_ICOUNT && code == REPLAY_EXIT_STOPPED &&
            file_contains(t->log, "(--stop-after-insns)")) {
            snprintf(why, len, "still running after %" PRIu64 " instructions (a hang)",
                     h->fail_on[i].insns);
            return why;
        }
    for (unsigned i = 0; i < h->nfail_on; i++) {
        const FailOn *f = &h->fail_on[i];
        if (f->kind == FAIL_EXIT && code != 0) {
            snprintf(why, len, "exit code %d%s", code,
                     code == EXIT_REWIND_ERROR ? " (the emulator failed: see the .log)" : "");
            return why;
        }
        if (f->kind == FAIL_CONSOLE && file_contains(t->console, f->text)) {
            snprintf(why, len, "console printed \"%s\" (exit code %d)", f->text, code);
            return why;
        }
    }
    return NULL;
}

/* mkdir -p: DIR and its missing parents. */
static bool make_dirs(const char *dir)
{
    char p[1024];
    if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
        return false;
    for (char *c = p + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return false;
            *c = '/';
        }
    return mkdir(p, 0777) == 0 || errno == EEXIST;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Print the tail of a file on stderr (a try's log that explains itself). */
static void print_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof(line), f))
        fprintf(stderr, "  %s", line);
    fclose(f);
}

static void print_command(FILE *out, const Hunt *h, const char *first, uint64_t seed,
                          const char *trace)
{
    fprintf(out, "%s --chaos=%" PRIu64 " -o %s", first, seed, trace);
    for (unsigned i = 0; i < h->nfail_on; i++)
        if (h->fail_on[i].kind == FAIL_ICOUNT)
            fprintf(out, " --stop-after-insns %" PRIu64, h->fail_on[i].insns);
    for (int i = 0; i < h->nmachine; i++) {
        const char *a = h->machine[i];
        bool plain = *a != 0;
        for (const char *p = a; *p; p++)
            plain = plain && (strchr("-_=,.:/+@%", *p) || (*p >= '0' && *p <= '9') ||
                              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
        if (plain) {
            fprintf(out, " %s", a);
        } else {
            fputs(" '", out);
            for (const char *p = a; *p; p++)
                *p == '\'' ? fputs("'\\''", out) : fputc(*p, out);
            fputc('\'', out);
        }
    }
    fputc('\n', out);
}

int cmd_hunt(int argc, char **argv)
{
    Hunt h;
    bool help = false;
    char err[4096];
    if (!hunt_parse(&h, argc, argv, &help, err, sizeof(err))) {
        fprintf(stderr, "rewind hunt: %s\n", err);
        return HUNT_EXIT_USAGE;
    }
    if (help) {
        hunt_usage(stdout);
        return 0;
    }
    ssize_t sl = readlink("/proc/self/exe", h.self, sizeof(h.self) - 1);
    if (sl <= 0) {
        fprintf(stderr, "rewind hunt: cannot find this executable (/proc/self/exe)\n");
        return HUNT_EXIT_USAGE;
    }
    h.self[sl] = 0;
    if (!make_dirs(h.dir)) {
        fprintf(stderr, "rewind hunt: -o %s: %s\n", h.dir, strerror(errno));
        return HUNT_EXIT_USAGE;
    }
    struct stat st;
    if (stat(h.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "rewind hunt: -o %s: not a directory\n", h.dir);
        return HUNT_EXIT_USAGE;
    }
    if (!hunt_save_input(&h, err, sizeof(err))) {
        fprintf(stderr, "rewind hunt: %s\n", err);
        unlink(h.input);
        return HUNT_EXIT_USAGE;
    }

    Try *running = calloc(h.jobs, sizeof(Try));
    Try *kept = calloc(h.tries < 1000 ? h.tries : 1000, sizeof(Try));
    char (*kept_why)[256] = calloc(h.tries < 1000 ? h.tries : 1000, 256);
    if (!running || !kept || !kept_why) {
        fprintf(stderr, "rewind hunt: out of memory\n");
        return HUNT_EXIT_USAGE;
    }
    const uint64_t max_kept = h.tries < 1000 ? h.tries : 1000;
    uint64_t started = 0, finished = 0, nkept = 0;
    unsigned inflight = 0;
    bool stop = false, broken = false;
    const bool progress = isatty(STDERR_FILENO);
    const double t0 = now_s();
    while (inflight > 0 || (!stop && started < h.tries)) {
        while (!stop && inflight < h.jobs && started < h.tries) {
            Try *t = NULL;
            for (unsigned k = 0; k < h.jobs; k++)
                if (!running[k].pid)
                    t = &running[k];
            if (!hunt_start(&h, t, h.seed_start + started, started + 1, err, sizeof(err))) {
                fprintf(stderr, "rewind hunt: %s\n", err);
                stop = broken = true;
                break;
            }
            started++;
            inflight++;
        }
        if (!inflight)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        Try *t = NULL;
        for (unsigned k = 0; k < h.jobs; k++)
            if (running[k].pid == pid)
                t = &running[k];
        if (!t)
            continue; /* not one of ours */
        inflight--;
        finished++;
        char why[256];
        struct stat ts;
        if (stat(t->trace, &ts) != 0) {
            /* record wrote nothing: the machine cannot be recorded at all
             * (its log says why); every try would fail the same way. */
            if (!broken) {
                fprintf(stderr, "%srewind hunt: the recorder made no trace for seed %" PRIu64
                        " (exit status %d); its messages:\n", progress ? "\n" : "", t->seed,
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                print_file(t->log);
            }
            unlink(t->console);
            unlink(t->log);
            stop = broken = true;
        } else if (!broken && hunt_judge(&h, t, status, why, sizeof(why)) &&
                   nkept < max_kept) {
            kept[nkept] = *t;
            snprintf(kept_why[nkept], sizeof(kept_why[nkept]), "%s", why);
            nkept++;
            if (!h.keep_going)
                stop = true;
        } else {
            unlink(t->trace);
            unlink(t->console);
            unlink(t->log);
        }
        t->pid = 0;
        if (stop && inflight) {
            /* The first failure ends the hunt: the tries still running
             * (ours, by pid) are ended and their files go. */
            for (unsigned k = 0; k < h.jobs; k++)
                if (running[k].pid)
                    kill(running[k].pid, SIGKILL);
        }
        if (progress) {
            double s = now_s() - t0;
            fprintf(stderr, "\rhunt: %" PRIu64 " tries, %" PRIu64 " failures, %.1f runs/s   ",
                    finished, nkept, s > 0 ? (double)finished / s : 0.0);
        }
    }
    /* Killed tries: their partial files are not recordings to keep. */
    for (unsigned k = 0; k < h.jobs; k++)
        if (running[k].pid) {
            waitpid(running[k].pid, NULL, 0);
            unlink(running[k].trace);
            unlink(running[k].console);
            unlink(running[k].log);
        }
    unlink(h.input);
    double secs = now_s() - t0;
    if (progress)
        fputc('\n', stderr);
    for (uint64_t k = 0; k < nkept; k++) {
        const Try *t = &kept[k];
        unlink(t->log); /* the trace and the console say it all */
        printf("kept: %s seed %" PRIu64 " try %" PRIu64 ": %s\n", t->trace, t->seed, t->number,
               kept_why[k]);
        printf("  console: %s\n", t->console);
        printf("  replay:  rewind replay %s\n", t->trace);
        printf("  again:   ");
        print_command(stdout, &h, "rewind record", t->seed, t->trace);
    }
    printf("hunt: %" PRIu64 " tries (seeds %" PRIu64 "..%" PRIu64 "), %" PRIu64
           " failing kept, %.1f s (%.1f runs/s)\n", finished, h.seed_start,
           finished ? h.seed_start + started - 1 : h.seed_start, nkept, secs,
           secs > 0 ? (double)finished / secs : 0.0);
    free(running);
    free(kept);
    free(kept_why);
    if (broken)
        return HUNT_EXIT_USAGE;
    return nkept ? HUNT_EXIT_FOUND : HUNT_EXIT_NONE;
}
