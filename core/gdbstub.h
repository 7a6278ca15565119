/* The GDB remote serial protocol over TCP, on the machine's libuv loop:
 * `-s`, `-gdb tcp:HOST:PORT`, `-S`. Harts are GDB threads (thread id =
 * hart id + 1) in all-stop mode; registers follow a target description
 * for riscv:rv64 (x, pc, f, fflags/frm/fcsr, the CSRs, priv); memory goes
 * through the selected hart's current address translation.
 *
 * The stub is a front end of core/debug.h: it never runs the machine
 * itself. A resume packet calls debug_resume() and the stop reply is sent
 * when the run loop stops again. One client at a time; when it leaves,
 * its breakpoints and watchpoints go, the machine stays as it was
 * (stopped or running) and the stub listens for the next one. */
#ifndef REWIND_CORE_GDBSTUB_H
#define REWIND_CORE_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;

/* The address -s stands for. */
#define GDBSTUB_DEFAULT_SPEC "tcp:127.0.0.1:1234"

/* Parse "tcp:HOST:PORT", "tcp::PORT" or "tcp:[IPV6]:PORT". An empty host
 * means loopback (127.0.0.1); port 0 asks for any free port. */
bool gdbstub_parse_spec(const char *spec, char *host, size_t hostlen, unsigned *port,
                        char *err, size_t errlen);

/* Listen on spec with m's event loop and attach to the debugger state.
 * wait (-S): the machine stops before its first instruction until a
 * debugger resumes it. Prints the address on stderr. */
bool gdbstub_start(struct Machine *m, const char *spec, bool wait, char *err,
                   size_t errlen);

/* The TCP port listened on (the real one when 0 was asked), 0 if none. */
unsigned gdbstub_port(const struct Machine *m);

/* Extension points for reverse debugging (replay/): any member may be
 * NULL. */
typedef struct GdbStubHooks {
    void *opaque;
    /* Extra qSupported features, e.g. "ReverseStep+;ReverseContinue+". */
    const char *features;
    /* A packet the stub does not know (e.g. bs, bc): return true with a
     * reply in reply[0..replylen) (NUL-terminated), or return true with
     * *resumed set when the machine was resumed and the stop reply will
     * follow. false: unknown, the stub sends the empty reply. */
    bool (*packet)(void *opaque, struct Machine *m, const char *pkt, size_t len,
                   char *reply, size_t replylen, bool *resumed);
    /* A monitor command the stub does not know: write the text to out and
     * return true; false: unknown. A command that runs the machine (a
     * seek) sets *resumed instead: its output comes from monitor_done
     * when the machine stops again. */
    bool (*monitor)(void *opaque, struct Machine *m, const char *cmd, char *out,
                    size_t outlen, bool *resumed);
    void (*monitor_done)(void *opaque, struct Machine *m, char *out, size_t outlen);
    /* `monitor icount` in a replay: the recording's last icount
     * (UINT64_MAX: unknown). */
    uint64_t (*total_icount)(void *opaque, struct Machine *m);
    /* Registers and memory may not be written (a replay): the reason. */
    const char *(*writes_refused)(void *opaque, struct Machine *m);
} GdbStubHooks;

/* The hart a resume without a thread applies to: Hc's, else Hg's. */
int gdbstub_current_hart(const struct Machine *m);

/* Install hooks (after gdbstub_start); false when no stub runs. */
bool gdbstub_set_hooks(struct Machine *m, const GdbStubHooks *hooks);

/* A client without a socket, for tests and fuzzing (tests/fuzz/fuzz_gdb.c):
 * gdbstub_start_memory attaches the stub to m as gdbstub_start does but
 * listens on nothing; gdbstub_connect_memory is a client connecting (the
 * machine stops before its next instruction, as for a debugger that
 * connects; again after a hang-up: a new client). Every byte the stub
 * sends goes to write, and gdbstub_feed hands it bytes as if the client
 * had sent them (acks, packets, ctrl-C), from the machine's thread:
 * between slices while it runs (a libuv handle of m's loop), or while it
 * is stopped. gdbstub_hang_up is the client going away. */
typedef void (*GdbStubWriteFn)(void *opaque, const char *buf, size_t len);
bool gdbstub_start_memory(struct Machine *m, GdbStubWriteFn write, void *opaque, char *err,
                          size_t errlen);
void gdbstub_connect_memory(struct Machine *m);
void gdbstub_feed(struct Machine *m, const void *data, size_t len);
void gdbstub_hang_up(struct Machine *m);
/* Is a client connected (false after k, D or a hang-up)? */
bool gdbstub_connected(const struct Machine *m);

#endif
