/* The subcommands of the rewind tool. Each returns the process exit code. */
#ifndef REWIND_TOOLS_COMMANDS_H
#define REWIND_TOOLS_COMMANDS_H

int cmd_run(int argc, char **argv);

/* Exit code for errors of rewind itself (bad options, bad images, an
 * emulation failure), kept apart from small guest exit codes. */
enum { EXIT_REWIND_ERROR = 125 };

#endif
