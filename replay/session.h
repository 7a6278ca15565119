/* Starting and finishing a recording or a replay (for tools/ and tests).
 *
 * Both attach to a machine that exists but has no devices yet (between
 * machine_new and virt_build), so that inputs read while the machine is
 * being built (the RTC's base time) go through them too. The state hangs
 * off m->replay and is freed with the machine. */
#ifndef REWIND_REPLAY_SESSION_H
#define REWIND_REPLAY_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/trace.h"

struct Machine;

/* Exit codes of record and replay besides the guest's own (documented in
 * `rewind replay --help`): 125 is rewind's error code (tools/commands.h). */
enum {
    REPLAY_EXIT_ERROR = 125,     /* bad options, images, trace; emulator failure */
    REPLAY_EXIT_DIVERGED = 122,  /* the replay did not match the recording */
    REPLAY_EXIT_CUT_SHORT = 121, /* the trace ends early: replayed up to the cut */
};

/* Digest interval when none is given: a digest costs a few microseconds
 * plus the hashing of the pages written since the previous one, far below
 * 1% of the time of this many instructions (tests/bench/record). */
#define REPLAY_DEFAULT_DIGEST_EVERY 5000000ULL

/* Record into `path` with this header. stop_signal (may be NULL) is a
 * flag a signal handler sets to the signal's number: the recording then
 * ends cleanly at the next slice, with exit code 128 + signal. */
bool replay_record_attach(struct Machine *m, const char *path, const TraceHeader *hdr,
                          volatile sig_atomic_t *stop_signal, char *err, size_t errlen);

/* End the recording once the machine has retired `insns` instructions in
 * all (exactly there), with exit code REPLAY_EXIT_STOPPED: `rewind record
 * --stop-after-insns N`, what `rewind hunt --fail-on icount:N` calls a
 * hang. The replay ends at the same instruction with the same code. */
enum { REPLAY_EXIT_STOPPED = 124 };
void replay_record_stop_after(struct Machine *m, uint64_t insns);

typedef struct ReplayRecordStats {
    uint64_t events;
    uint64_t frames;
    uint64_t bytes_written;
    uint64_t bytes_uncompressed;
    int interrupted; /* the signal that ended the recording, or 0 */
    bool stopped;    /* ended by replay_record_stop_after */
    /* Non-empty: an image file changed while recording (which, how); the
     * recording stopped there, at a point the replay stops at too. */
    char image_changed[600];
} ReplayRecordStats;

/* After machine_run (which closed the trace through replay_on_stop, or
 * now if it did not run): statistics, and false with a message if the
 * trace could not be written completely. */
bool replay_record_finish(struct Machine *m, ReplayRecordStats *st, char *err, size_t errlen);

typedef struct ReplayPlayOptions {
    bool progress;      /* progress bar on stderr */
    bool print_digests; /* a line per digest on the machine's digest_out */
} ReplayPlayOptions;

/* Replay the events of r (which the machine then owns), whose header the
 * caller used to build m. */
bool replay_play_attach(struct Machine *m, TraceReader *r, const ReplayPlayOptions *opt,
                        char *err, size_t errlen);

typedef enum {
    REPLAY_RESULT_RUNNING = 0,
    REPLAY_RESULT_MATCHED,   /* the run reached the recorded end, every check passed */
    REPLAY_RESULT_DIVERGED,  /* a digest or an event did not match */
    REPLAY_RESULT_CUT_SHORT, /* the trace ends early (recording killed): stopped there */
    REPLAY_RESULT_DAMAGED,   /* a damaged frame: stopped before it */
    REPLAY_RESULT_KILLED,    /* ended from the debugger (GDB's kill) */
} ReplayResult;

/* After machine_run: how the replay went. report gets the divergence
 * report or the note about the trace's end (empty when matched); *exit_code
 * the recorded run's exit code (valid when matched). */
ReplayResult replay_play_result(const struct Machine *m, char *report, size_t len,
                                int *exit_code);

/* Counters for the summary line: digests compared, input events replayed. */
void replay_play_counts(const struct Machine *m, uint64_t *digests, uint64_t *events);

#endif
