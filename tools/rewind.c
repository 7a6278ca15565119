/* rewind: the command line. Subcommands as in rr (run, record, replay,
 * dump, debug, diff, timeline); machine options as in QEMU. tests/cli/run-cli checks that
 * every command dispatched below is in usage() and has its own --help. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "core/machine.h"
#include "replay/checkpoint.h"
#include "replay/trace.h"
#include "translator/native.h"
#include "tools/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: rewind <command> [options]\n"
        "\n"
        "Commands (rewind <command> --help for the options of each):\n"
        "  run        run a machine: the virt board (as QEMU's) or bare-metal ELF\n"
        "             programs, with an exact instruction count as the clock\n"
        "  record     run deterministically and write a trace of every input\n"
        "  replay     re-run a trace exactly, checking state digests as it goes;\n"
        "             with a GDB stub (-s) also backwards\n"
        "  dump       print a trace: header, events, statistics\n"
        "  debug      replay a trace under gdb-multiarch, in both directions\n"
        "             (reverse-stepi, reverse-continue, seek, when)\n"
        "  diff       compare two traces: the exact instruction where they part,\n"
        "             or (other images) console and milestones side by side\n"
        "  timeline   the milestones of a boot from a recording: each hart's modes,\n"
        "             firmware, kernel entry, paging, SBI calls, devices, console\n"
        "  hunt       record again and again with chaos scheduling until a run\n"
        "             fails; keep the failing recording\n"
        "  pack       one file with a trace and every image it needs, to replay\n"
        "             anywhere\n"

        "\n"
        "  rewind --help       this text\n"
        "  rewind --version    the version, execution backend and trace formats\n"
        "\n"
        "Manual: man rewind (and man rewind-run, rewind-record, ...).\n");
}

/* What a bug report needs besides the version: how guest code executes, and
 * which traces this build reads and writes (docs/trace-format.md). */
static void version(void)
{
    printf("rewind %s\n", PACKAGE_VERSION);
    if (native_backend_available())
        printf("backends: native (x86-64 host code, the default) and portable (op by op, "
               "in C): --backend\n");
    else
        printf("backends: portable (translation blocks run op by op, in C); no native "
               "emitter for this host\n");
    printf("checkpoint format: version %d (message schema %d)\n", CHECKPOINT_FORMAT_VERSION,
           CHECKPOINT_SCHEMA_VERSION);
    printf("trace format: writes version %d (message schema %d); reads versions 1 to %d,"
           " any schema\n", TRACE_FORMAT_VERSION, TRACE_SCHEMA_VERSION, TRACE_FORMAT_VERSION);
    printf("engine revision: %d (a trace recorded by another revision is refused before it runs)\n",
           MACHINE_ENGINE_REVISION);
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
        version();
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
    if (strcmp(cmd, "diff") == 0)
        return cmd_diff(argc - 2, argv + 2);
    if (strcmp(cmd, "timeline") == 0)
        return cmd_timeline(argc - 2, argv + 2);
    if (strcmp(cmd, "hunt") == 0)
        return cmd_hunt(argc - 2, argv + 2);
    if (strcmp(cmd, "pack") == 0)
        return cmd_pack(argc - 2, argv + 2);

    fprintf(stderr, "rewind: unknown command '%s' (try rewind --help)\n", cmd);
    return EXIT_REWIND_ERROR;
}
