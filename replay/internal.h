/* State shared by the files of replay/ (replay.c: the device interface and
 * the points where input may enter; record.c; play.c). Not for use outside
 * replay/: tools go through replay/session.h, devices through replay.h.
 *
 * Where input enters the guest (both modes follow the same rules, which is
 * what makes a replay deliver each input at the very point of the run where
 * the recording did):
 *
 *  A. at a run-loop query (replay_next_icount) that is the first one at a
 *     new total icount: the query returns the current icount, so the run
 *     loop calls replay_deliver_due() right away, before any instruction;
 *  B. at a replay_deliver_due() that follows the run loop's idle step (every
 *     hart waited for an interrupt for a whole round): the point is then
 *     named by the total icount and the clock (mtime_skipped), since the
 *     icount stands still while the clock jumps. While input waits for
 *     such a point, the attached device's deadline is "now", so the idle
 *     step does not jump the clock before delivering it.
 *
 * The recorder delivers host bytes that arrived (from libuv, any time) at
 * the next such point; the player delivers recorded bytes at the recorded
 * point. Both points are defined by the guest-visible run alone. A digest
 * taken at the point (the "input digest") precedes the input events in the
 * trace and carries the point's kind and clock. */
#ifndef REWIND_REPLAY_INTERNAL_H
#define REWIND_REPLAY_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "core/digest.h"
#include "core/machine.h"
#include "replay/replay.h"
#include "replay/session.h"
#include "replay/statesum.h"
#include "replay/trace.h"

/* Input bytes the recorder holds until the next input point, per source.
 * For packet kinds (replay_kind_is_packet), buf holds the packets one
 * after the other, each behind its length (u32, host order). */
typedef struct ReplayPending {
    uint32_t kind;
    uint32_t source;
    uint8_t *buf;
    size_t len, cap;
} ReplayPending;

enum { REPLAY_MAX_PENDING = 8 };

/* The next event of the trace (player), with its payload copied. */
typedef struct ReplayNext {
    bool valid;
    uint32_t rank; /* events before it in the trace at the same icount */
    TraceEvent ev;
    uint8_t *payload;
    size_t cap;
    /* For input digests: the point kind and clock from the payload. */
    StateSumInfo info;
} ReplayNext;

struct Replay {
    ReplayMode mode;
    Machine *m;

    /* ---- input points (both modes) ---- */
    uint64_t last_query_total; /* UINT64_MAX before the first query */
    /* The last query made the run loop stop here for a delivery. */
    bool armed;
    /* A device deadline query was seen with no replay_next_icount after
     * it: the run loop is in its idle step (see replay.c). */
    bool idle_step;
    /* m->stop as the last query left it: a failure set after it (and
     * before replay_deliver_due) is the run loop's verdict, in its idle
     * step, that nothing can wake the machine. */
    int stop_after_query;
    /* Per-hart icount at the last query: tells which hart ran last. */
    uint64_t hart_icount[MACHINE_MAX_HARTS];
    unsigned last_hart;

    /* ---- record ---- */
    TraceWriter *writer;
    ReplayPending pending[REPLAY_MAX_PENDING];
    unsigned npending;
    bool have_pending;
    volatile sig_atomic_t *stop_signal;
    int interrupted; /* the signal that ended the recording, 0 if none */
    uint64_t stop_icount; /* replay_record_stop_after (0: none) */
    bool stopped;         /* ... and the recording ended there */
    uv_idle_t wake;  /* active while bytes wait: the idle step must not block */
    bool wake_open, wake_active;
    bool closed;     /* END written, writer closed */
    char werr[512];  /* first writer error */
    TraceWriterStats wstats;
    /* The image files as they were when the recording started (record.c,
     * record_watch_images): a drive is read while the guest runs, so a
     * file changed under the recording ends it. */
    struct ReplayWatchedImage *watch;
    unsigned nwatch;
    uint64_t watch_checked_ns; /* host monotonic time of the last look */
    char image_changed[600]; /* non-empty: which changed; the run stops */
    bool image_stopping;     /* ... and the stop was asked for */

    /* ---- replay ---- */
    TraceReader *reader;
    ReplayNext next;
    /* The last event read from the trace: its icount and rank (how many
     * events at that icount came before it), for play_cursor_save. */
    bool read_any;
    uint64_t read_icount;
    uint32_t read_rank;
    bool reader_done;   /* no more readable events */
    bool reader_damaged;
    uv_idle_t keepalive; /* the idle step polls instead of failing */
    bool keepalive_open;
    unsigned idle_spins; /* idle steps in a row with nothing delivered */
    char query_divergence[512]; /* found by a query, reported by deliver_due */
    uint64_t idle_spin_total, idle_spin_skipped;
    uint64_t total_icount; /* the trace's last icount (progress bar) */
    bool progress;         /* draw a progress bar on stderr */
    bool progress_drawn;
    uint64_t progress_ticks, progress_last_ns, progress_start_ns;
    bool print_digests;
    bool replayed_fail; /* the machine stopped on the trace's FAIL event */

    /* ---- outcome (replay) ---- */
    ReplayResult result;
    char report[4096];
    int exit_code; /* the recorded run's exit code */
    uint64_t digests_checked, events_replayed;
    /* The last event handled, for divergence reports. */
    char last_event[256];
};

/* replay.c: input points, shared by both modes. */
bool replay_at_idle_step(struct Replay *r);
bool replay_idle_verdict(const struct Replay *r);
void replay_note_query(struct Replay *r, uint64_t total);
unsigned replay_running_hart(const struct Replay *r);
bool replay_attach_common(Machine *m, struct Replay *r, char *err, size_t errlen);

/* record.c */
void record_sync_input(Machine *m, EventKind kind, unsigned source, const void *buf,
                       size_t len, bool ok);
void record_async_input(Machine *m, EventKind kind, unsigned source, const uint8_t *buf,
                        size_t len);
void record_on_digest(Machine *m, const Digest *d);
void record_on_stop(Machine *m);
uint64_t record_next_icount(Machine *m, uint64_t total, bool first);
void record_deliver_due(Machine *m);
void record_on_reset(Machine *m);
void record_net_output(Machine *m, unsigned source, const uint8_t *buf, size_t len);
void record_free(struct Replay *r);
bool record_input_waiting(const struct Replay *r);

/* play.c */
bool play_sync_input(Machine *m, EventKind kind, unsigned source, void *buf, size_t len);
void play_on_digest(Machine *m, const Digest *d);
void play_on_stop(Machine *m);
uint64_t play_next_icount(Machine *m, uint64_t total, bool first);
void play_deliver_due(Machine *m);
void play_on_reset(Machine *m);
void play_net_output(Machine *m, unsigned source, uint64_t frame_no, const uint8_t *buf,
                     size_t len);
void play_free(struct Replay *r);
bool play_idle_point_due(struct Replay *r);

/* Where a replay stands, for checkpoints (replay/reverse.c): the next
 * event of the trace, named by its icount and rank, and the player's and
 * the input points' state. Plain values: copied freely. */
typedef struct PlayCursor {
    uint64_t next_icount;
    uint32_t next_rank;
    uint64_t last_query_total;
    bool armed, idle_step;
    int stop_after_query;
    uint64_t hart_icount[MACHINE_MAX_HARTS];
    unsigned last_hart;
    unsigned idle_spins;
    uint64_t idle_spin_total, idle_spin_skipped;
    uint64_t digests_checked, events_replayed;
    char last_event[256];
} PlayCursor;

/* Save where a running replay stands (false when it is not running: a
 * verdict was reached). */
bool play_cursor_save(const struct Replay *r, PlayCursor *c);
/* Put a replay back where c says, its verdict cleared. false with a
 * message when the trace cannot be read there. */
bool play_cursor_restore(struct Replay *r, const PlayCursor *c, char *err, size_t errlen);

/* Hand bytes to the sinks registered for (kind, source). */
void replay_deliver_to_sinks(Machine *m, uint32_t kind, uint32_t source, const uint8_t *buf,
                             size_t len);

#endif
