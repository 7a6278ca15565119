/* `rewind debug TRACE [--gdb PROGRAM] [--symbols FILE] [-- GDB-ARGS...]`:
 * replay TRACE stopped before its first instruction, with the GDB stub on
 * a free loopback port, and start gdb-multiarch connected to it (as `rr
 * replay` does). Symbols come from --symbols, else from the recorded
 * -kernel (or -bios) when it is an ELF file. When GDB exits, the replay is
 * ended. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/reverse.h"
#include "replay/trace.h"
#include "tools/commands.h"
#include "tools/output_file.h"
#include "tools/options.h"
#include "tools/packed.h"

static void debug_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind debug TRACE [--gdb PROGRAM] [--symbols FILE]\n"
        "                    [--checkpoint-mem SIZE] [--console FILE] [--image-dir DIR]\n"
        "                    [--backend native|portable] [--code-buffer SIZE] [-cpu SPEC]\n"
        "                    [-- GDB-ARGS...]\n"
        "\n"
        "Replay TRACE under GDB: the replay starts stopped before its first\n"
        "instruction with the GDB stub on a free loopback port, and GDB (default\n"
        "gdb-multiarch) is started connected to it. Symbols: --symbols FILE, else\n"
        "the recorded -kernel or -bios if it is an ELF file. GDB-ARGS go to GDB\n"
        "(e.g. -batch -ex 'break main' -ex continue). The replay ends with GDB.\n"
        "Replay is read-only: writes to registers or memory are refused.\n"
        "\n"
        "Both directions work: reverse-stepi, reverse-continue (breakpoints and\n"
        "watchpoints), and in GDB `seek ICOUNT` (go to any instruction count) and\n"
        "`when` (the current one). --checkpoint-mem SIZE bounds the memory kept\n"
        "for going back (default 1G). --console FILE sends the guest's console\n"
        "there instead of GDB's terminal (never the trace, the symbols or a\n"
        "recorded image). A --symbols FILE that cannot be read is an error.\n"
        "--backend, --code-buffer and -cpu are passed to the replay (see rewind\n"
        "replay --help: a -cpu other than the recorded one is refused). TRACE may\n"
        "be a packed file (rewind pack): the replay and the symbols come from it.\n"
        "--image-dir DIR: images whose recorded path is gone are found in DIR by\n"
        "size and hash (as replay).\n");
}

/* A free TCP port on the loopback interface (0 on failure). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    unsigned port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* Is something listening on 127.0.0.1:port? Read from /proc/net/tcp, so
 * that no probe connection reaches the stub. */
static bool port_listening(unsigned port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f)
        return false;
    char line[256];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned addr, p, state;
        if (sscanf(line, " %*d: %8x:%4x %*x:%*x %2x", &addr, &p, &state) == 3 &&
            p == port && state == 0x0a)
            found = true;
    }
    fclose(f);
    return found;
}

/* The recorded kernel (or firmware) if it is an ELF file: its symbols.
 * The images may come from a packed file (pk) or --image-dir. */
static bool recorded_elf(const char *trace, const PackedOpen *pk, const char *image_dir,
                         char *out, size_t outlen)
{
    char err[512];
    TraceReader *r = trace_reader_open(trace, err, sizeof(err));
    if (!r)
        return false;
    const TraceHeader *h = trace_reader_header(r);
    TraceImageMap maps[32];
    unsigned nmaps = packed_add_maps(pk, NULL, 0, maps, 32);
    static ImageDirFound in_dir; /* static: large */
    if (image_dir)
        nmaps = image_dir_maps(&in_dir, h, image_dir, maps, nmaps, 32);
    bool found = false;
    static const char *const roles[] = { "kernel", "bios" };
    for (int k = 0; k < 2 && !found; k++)
        for (size_t i = 0; i < h->nimages && !found; i++) {
            const TraceImage *im = &h->images[i];
            if (!im->role || strcmp(im->role, roles[k]) != 0 || !im->path)
                continue;
            const char *path = im->path;
            for (unsigned m = 0; m < nmaps; m++)
                if (!strcmp(maps[m].from, im->path))
                    path = maps[m].to;
            FILE *f = fopen(path, "rb");
            unsigned char magic[4];
            if (f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "\177ELF", 4) == 0) {
                snprintf(out, outlen, "%s", path);
                found = true;
            }
            if (f)
                fclose(f);
        }
    trace_reader_close(r);
    return found;
}

/* --console FILE may not be the trace, the symbols or a recorded image. */
static bool console_file_allowed(const char *trace, const char *symbols, const char *console,
                                 char *err, size_t errlen)
{
    OutputGuard guard;
    output_guard_init(&guard, false);
    output_guard_add_input(&guard, "the trace", trace);
    output_guard_add_input(&guard, "--symbols", symbols);
    TraceReader *r = trace_reader_open(trace, err, errlen);
    if (r) {
        const TraceHeader *h = trace_reader_header(r);
        for (size_t i = 0; i < h->nimages; i++) {
            char what[64];
            snprintf(what, sizeof(what), "the recorded %s", h->images[i].role ? h->images[i].role
                                                                             : "image");
            output_guard_add_input(&guard, what, h->images[i].path);
        }
        trace_reader_close(r);
    }
    return output_guard_check(&guard, "--console", console, OUTPUT_PLAIN, err, errlen);
}

/* GDB commands for the replay: `seek N` and `when` run the monitor
 * commands, and seek makes GDB forget the registers it had (a monitor
 * command does not tell it that they changed). */
static const char gdb_commands[] =
    "python\n"
    "class RewindSeek(gdb.Command):\n"
    "    \"\"\"seek ICOUNT: go to that total instruction count of the replay.\"\"\"\n"
    "    def __init__(self):\n"
    "        super().__init__('seek', gdb.COMMAND_RUNNING)\n"
    "    def invoke(self, arg, from_tty):\n"
    "        out = gdb.execute('monitor seek ' + arg, to_string=True)\n"
    "        print(out.splitlines()[0] if out else '')\n"
    "        gdb.execute('maint flush register-cache')\n"
    "        gdb.execute('frame')\n"
    "class RewindWhen(gdb.Command):\n"
    "    \"\"\"when: the current instruction count of the replay.\"\"\"\n"
    "    def __init__(self):\n"
    "        super().__init__('when', gdb.COMMAND_STATUS)\n"
    "    def invoke(self, arg, from_tty):\n"
    "        gdb.execute('monitor when')\n"
    "RewindSeek()\n"
    "RewindWhen()\n"
    "end\n";

/* Write gdb_commands to a temporary file (name in path); false if that
 * fails (GDB then goes without them). */
static bool write_gdb_commands(char *path, size_t len)
{
    snprintf(path, len, "/tmp/rewind-gdb-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return false;
    size_t n = sizeof(gdb_commands) - 1;
    bool ok = write(fd, gdb_commands, n) == (ssize_t)n;
    close(fd);
    if (!ok)
        unlink(path);
    return ok;
}

int cmd_debug(int argc, char **argv)
{
    const char *trace = NULL, *gdb = "gdb-multiarch", *symbols = NULL;
    const char *checkpoint_mem = NULL, *console = NULL, *image_dir = NULL;
    /* --backend, --code-buffer, -cpu: each option and its value */
    const char *engine_args[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
    RunOptions engine = { 0 };
    char engine_err[256];
    int gdb_args = argc; /* index of the first argument after "--" */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            gdb_args = i + 1;
            break;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            debug_usage(stdout);
            return 0;
        } else if ((!strcmp(a, "--gdb") || !strcmp(a, "--symbols")) && i + 1 < argc) {
            *(a[2] == 'g' ? &gdb : &symbols) = argv[++i];
        } else if (!strcmp(a, "--backend") || !strcmp(a, "--code-buffer")) {
            if (options_parse_engine(&engine, argc, argv, i, engine_err,
                                     sizeof(engine_err)) < 0) {
                fprintf(stderr, "rewind debug: %s\n", engine_err);
                return EXIT_REWIND_ERROR;
            }
            int slot = a[2] == 'b' ? 0 : 2;
            engine_args[slot] = argv[i];
            engine_args[slot + 1] = argv[i + 1];
            i++;
        } else if (!strcmp(a, "-cpu") || !strcmp(a, "--cpu")) {
            RunOptions cpu = { 0 };
            int k = options_parse_cpu(&cpu, argc, argv, i, engine_err, sizeof(engine_err));
            if (k < 0) {
                fprintf(stderr, "rewind debug: %s\n", engine_err);
                return EXIT_REWIND_ERROR;
            }
            if (cpu.help)
                return 0;
            engine_args[4] = argv[i];
            engine_args[5] = argv[++i];
        } else if (!strcmp(a, "-accel") || !strcmp(a, "--accel")) {
            /* Only the deterministic engine can run a trace. */
            RunOptions accel = { 0 };
            char aerr[400];
            int k = options_parse_accel(&accel, argc, argv, i, aerr, sizeof(aerr));
            if (k < 0 || !options_refuse_multi_thread(&accel, "debug", aerr, sizeof(aerr))) {
                fprintf(stderr, "rewind debug: %s\n", aerr);
                return EXIT_REWIND_ERROR;
            }
            if (accel.help)
                return 0;
            i += k - 1;
        } else if (!strcmp(a, "--console") && i + 1 < argc) {
            console = argv[++i];
        } else if (!strcmp(a, "--image-dir") && i + 1 < argc) {
            image_dir = argv[++i];
        } else if (!strcmp(a, "--checkpoint-mem") && i + 1 < argc) {
            uint64_t bytes;
            checkpoint_mem = argv[++i];
            if (!reverse_parse_size(checkpoint_mem, &bytes)) {
                fprintf(stderr, "rewind debug: --checkpoint-mem expects a size such as 512M "
                        "or 2G, not '%s'\n", checkpoint_mem);
                return EXIT_REWIND_ERROR;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "rewind debug: unknown option '%s' (see rewind debug --help)\n", a);
            return EXIT_REWIND_ERROR;
        } else if (trace) {
            fprintf(stderr, "rewind debug: one trace at a time ('%s', then '%s')\n", trace, a);
            return EXIT_REWIND_ERROR;
        } else {
            trace = a;
        }
    }
    if (!trace) {
        debug_usage(stderr);
        return EXIT_REWIND_ERROR;
    }
    if (access(trace, R_OK) != 0) {
        fprintf(stderr, "rewind debug: %s: %s\n", trace, strerror(errno));
        return EXIT_REWIND_ERROR;
    }
    /* Errors GDB would only mention in passing stop here, before it starts. */
    if (symbols && access(symbols, R_OK) != 0) {
        fprintf(stderr, "rewind debug: --symbols %s: %s\n", symbols, strerror(errno));
        return EXIT_REWIND_ERROR;
    }
    char gerr[1200];
    /* A packed file: unpacked here for the symbols (GDB, started below,
     * inherits the memory files); the replay unpacks it again. */
    PackedOpen pk;
    if (!packed_open(trace, &pk, gerr, sizeof(gerr))) {
        fprintf(stderr, "rewind debug: %s\n", gerr);
        return EXIT_REWIND_ERROR;
    }
    if (console && !console_file_allowed(trace, symbols, console, gerr, sizeof(gerr))) {
        fprintf(stderr, "rewind debug: %s\n", gerr);
        return EXIT_REWIND_ERROR;
    }
    char elf[4096];
    if (!symbols && recorded_elf(packed_trace_path(&pk, trace), &pk, image_dir, elf,
                                 sizeof(elf)))
        symbols = elf;
    unsigned port = free_port();
    if (!port) {
        fprintf(stderr, "rewind debug: no free TCP port on 127.0.0.1\n");
        return EXIT_REWIND_ERROR;
    }
    char spec[64], target[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", port);
    snprintf(target, sizeof(target), "target remote 127.0.0.1:%u", port);

    int console_fd = -1;
    if (console) {
        console_fd = open(console, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (console_fd < 0) {
            fprintf(stderr, "rewind debug: --console %s: %s\n", console, strerror(errno));
            return EXIT_REWIND_ERROR;
        }
    }
    pid_t replay = fork();
    if (replay < 0) {
        fprintf(stderr, "rewind debug: fork: %s\n", strerror(errno));
        return EXIT_REWIND_ERROR;
    }
    if (replay == 0) {
        if (console_fd >= 0)
            dup2(console_fd, STDOUT_FILENO);
        char *args[16] = { "rewind", "replay", (char *)trace, "-S", "-gdb", spec,
                           "--no-progress" };
        int na = 7;
        if (checkpoint_mem) {
            args[na++] = "--checkpoint-mem";
            args[na++] = (char *)checkpoint_mem;
        }
        for (int k = 0; k < 6; k++)
            if (engine_args[k])
                args[na++] = (char *)engine_args[k];
        if (image_dir) {
            args[na++] = "--image-dir";
            args[na++] = (char *)image_dir;
        }
        args[na] = NULL;
        execv("/proc/self/exe", args);
        fprintf(stderr, "rewind debug: cannot start the replay: %s\n", strerror(errno));
        _exit(EXIT_REWIND_ERROR);
    }
    if (console_fd >= 0)
        close(console_fd);
    /* Wait (up to 10 s) until the stub listens, or the replay gave up. */
    bool up = false;
    for (int t = 0; t < 1000 && !up; t++) {
        int status;
        if (waitpid(replay, &status, WNOHANG) == replay) {
            fprintf(stderr, "rewind debug: the replay of %s ended before GDB could attach\n",
                    trace);
            return EXIT_REWIND_ERROR;
        }
        up = port_listening(port);
        if (!up)
            nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    if (!up) {
        fprintf(stderr, "rewind debug: the GDB stub did not come up on port %u\n", port);
        kill(replay, SIGTERM);
        waitpid(replay, NULL, 0);
        return EXIT_REWIND_ERROR;
    }

    /* gdb [symbols] -ex 'set architecture' -ex 'target remote' GDB-ARGS */
    int n = 0;
    char **gargv = calloc((size_t)(argc - gdb_args) + 10, sizeof(char *));
    if (!gargv) {
        kill(replay, SIGTERM);
        return EXIT_REWIND_ERROR;
    }
    gargv[n++] = (char *)gdb;
    if (symbols)
        gargv[n++] = (char *)symbols;
    gargv[n++] = "-ex";
    gargv[n++] = "set architecture riscv:rv64";
    gargv[n++] = "-ex";
    gargv[n++] = target;
    char script[64] = "";
    if (write_gdb_commands(script, sizeof(script))) {
        gargv[n++] = "-x";
        gargv[n++] = script;
    }
    for (int i = gdb_args; i < argc; i++)
        gargv[n++] = argv[i];
    gargv[n] = NULL;

    pid_t g = fork();
    if (g == 0) {
        execvp(gdb, gargv);
        fprintf(stderr, "rewind debug: cannot run %s: %s (install gdb-multiarch, or "
                "give --gdb PROGRAM)\n", gdb, strerror(errno));
        _exit(EXIT_REWIND_ERROR);
    }
    free(gargv);
    int status = 0;
    if (g > 0) {
        /* GDB owns the terminal now; ctrl-C is for it, not for us. */
        signal(SIGINT, SIG_IGN);
        waitpid(g, &status, 0);
    }
    kill(replay, SIGTERM);
    waitpid(replay, NULL, 0);
    if (script[0])
        unlink(script);
    if (g < 0)
        return EXIT_REWIND_ERROR;
    return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_REWIND_ERROR;
}
