/* rewind: the command line. Subcommands as in rr (run, record, replay,
 * debug, dump, diff, timeline); machine options as in QEMU. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "tools/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: rewind <command> [options]\n"
        "\n"
        "Commands:\n"
        "  run        run a machine (rewind run --help for the options)\n"
        "  record     run deterministically and write a trace of every input\n"
        "  replay     re-run a trace exactly, checking it as it goes\n"
        "  dump       print a trace: header, events, statistics\n"
        "  debug      replay a trace under gdb-multiarch (forward only for now)\n"
        "\n"
        "Planned (not in this version): reverse execution in debug, diff, timeline.\n"
        "\n"
        "  rewind --help       this text\n"
        "  rewind --version    the version\n");
}

int main(int argc, char **argv)
{
    /* A peer hanging up (GDB, a tcp serial client) must give a write error
     * to handle, not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_REWIND_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("rewind %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "record") == 0)
        return cmd_record(argc - 2, argv + 2);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 2, argv + 2);
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(argc - 2, argv + 2);
    if (strcmp(cmd, "debug") == 0)
        return cmd_debug(argc - 2, argv + 2);
    fprintf(stderr, "rewind: unknown command '%s' (try rewind --help)\n", cmd);
    return EXIT_REWIND_ERROR;
}
