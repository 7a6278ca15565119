/* The trace file: a header (machine configuration, command line, image
 * hashes), then independent zstd frames of events, then an index and a
 * footer. docs/trace-format.md describes the bytes; this is the C view.
 *
 * Nothing here exposes protobuf-c: callers fill and read the plain structs
 * below, and trace.c converts them to and from replay/trace.proto.
 *
 * Crash safety: frames go to the final path as soon as they are full
 * (~1 MiB of events) or old (250 ms), and are fsync'd at most once a
 * second, so a recording killed with SIGKILL leaves a trace whose complete
 * frames stay readable; trace_writer_close() adds the index and footer.
 *
 * A recorder holds a POSIX write lock (fcntl F_SETLK) on the whole file
 * while it writes: a reader tells a trace still being recorded (and by
 * which pid) from one whose recording was killed. */
#ifndef REWIND_REPLAY_TRACE_H
#define REWIND_REPLAY_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Version of the container layout (magic, frame headers, footer). A reader
 * refuses a file with a newer one. New message fields do not change it. */
enum { TRACE_FORMAT_VERSION = 1 };
/* Version of the messages in replay/trace.proto (informational: readers
 * ignore fields they do not know, whatever this says). */
enum { TRACE_SCHEMA_VERSION = 3 };

/* Event kinds. 1..63 are host inputs and equal replay/replay.h's
 * EventKind values; 64 and up are the machine's own events. Values are
 * stored in traces: never renumber. A reader passes unknown kinds through. */
typedef enum {
    TRACE_CONSOLE_INPUT = 1, /* bytes typed on a character backend */
    TRACE_RTC_BASE = 2,      /* the host time seeding the RTC (ns, 8 bytes LE) */
    TRACE_ENTROPY = 3,       /* bytes from the host entropy source */
    TRACE_NET_RX = 4,        /* one Ethernet frame handed to NIC `source` (schema 3) */
    TRACE_DIGEST = 64,       /* state digest: digest_* fields */
    TRACE_EXIT = 65,         /* the guest asked to exit: exit_code */
    TRACE_RESET = 66,        /* machine reset (reboot) */
    TRACE_FAIL = 67,         /* the emulator failed: payload = message */
    TRACE_END = 68,          /* the end of the recording (last event) */
    TRACE_NET_TX = 69,       /* one Ethernet frame the guest sent on NIC `source` (schema 3) */
} TraceKind;

/* "console", "rtc", "entropy", "net-rx", "digest", "exit", "reset", "fail",
 * "end", "net-tx";
 * NULL for a kind this version does not know. */
const char *trace_kind_name(unsigned kind);

/* XXH64 (seed 0) of an event's payload: how reports and `rewind dump`
 * name a network frame. */
uint64_t trace_payload_digest(const uint8_t *buf, size_t len);

/* One event. Events are appended in nondecreasing icount order. */
typedef struct TraceEvent {
    uint64_t icount;        /* total machine icount when it happened */
    uint32_t hart;          /* the hart concerned (0 when none in particular) */
    uint64_t pc;            /* that hart's pc (0 when not meaningful) */
    uint32_t kind;          /* TraceKind (unknown values are kept as is) */
    uint32_t source;        /* which device/backend (e.g. chardev index) */
    const uint8_t *payload; /* reader: valid until the next trace_reader_* call */
    size_t len;
    /* TRACE_DIGEST (core/digest.h Digest; its icount is the event's). */
    uint64_t digest_harts;
    uint64_t digest_memory;
    uint64_t digest_pages;
    /* TRACE_EXIT. */
    int32_t exit_code;
} TraceEvent;

/* An image the machine loaded (bios, kernel, initrd, drive). */
typedef struct TraceImage {
    const char *role; /* "bios", "kernel", "initrd", "drive" (free text) */
    const char *path; /* as given on the command line */
    uint64_t size;
    uint64_t hash_lo; /* XXH128 of the whole file: low and high 64 bits */
    uint64_t hash_hi;
} TraceImage;

/* A free key/value pair for configuration that has no field of its own. */
typedef struct TraceOption {
    const char *key;
    const char *value;
} TraceOption;

/* The header. The writer copies what it needs; pointers may be NULL and
 * counts 0. The reader's header lives until trace_reader_close(). */
typedef struct TraceHeader {
    uint32_t schema_version;    /* writer: ignored (TRACE_SCHEMA_VERSION) */
    const char *rewind_version; /* writer: NULL = this build's version */
    uint64_t ram_size;
    uint32_t nharts;
    uint64_t ns_per_insn;
    bool pace;                  /* -icount shift=auto */
    uint64_t quantum;
    uint64_t digest_every;
    const char *rtc;            /* -rtc spec, NULL when none */
    const char *const *devices; /* -device/-drive specs or device names */
    size_t ndevices;
    const char *const *argv;    /* the full command line, argv[0] included */
    size_t argc;
    const TraceImage *images;
    size_t nimages;
    const char *start_checkpoint; /* NULL: the run starts at power-on */
    /* The checkpoint the run starts from: a checkpoint file's bytes
     * (replay/checkpoint.h), embedded whole; NULL with start_checkpoint. */
    const uint8_t *start_state;
    size_t start_state_len;
    const TraceOption *options;
    size_t noptions;
} TraceHeader;

/* Value of option `key` in h, or NULL. */
const char *trace_header_option(const TraceHeader *h, const char *key);

/* Size and XXH128 of a whole file (for TraceImage). */
bool trace_hash_file(const char *path, uint64_t *size, uint64_t *hash_lo,
                     uint64_t *hash_hi, char *err, size_t errlen);

/* Does the file at path start with the trace magic (a rewind trace,
 * whole or cut short)? */
bool trace_file_is_trace(const char *path);

/* The pid of the process that is recording into the file at path right
 * now (it holds the writer's lock), or 0. Not for the recording process
 * itself: closing any descriptor of the file drops its own lock. */
long trace_file_recorder(const char *path);

/* ------------------------------------------------------------ writing */

typedef struct TraceWriter TraceWriter;

typedef struct TraceWriterStats {
    uint64_t events;
    uint64_t frames;             /* event frames written so far */
    uint64_t bytes_uncompressed; /* encoded events */
    uint64_t bytes_written;      /* file size so far */
} TraceWriterStats;

/* Create (truncate) the file at path, lock it (false with "being recorded
 * by pid N" if another recorder holds it) and write the header. Frames are
 * compressed and written by a helper thread inside trace.c; appending never
 * waits for compression unless several frames are pending. */
TraceWriter *trace_writer_open(const char *path, const TraceHeader *hdr,
                               char *err, size_t errlen);

/* Append one event (copied). Returns false on a write error or an icount
 * smaller than the previous event's; the error is sticky, see
 * trace_writer_error(). */
bool trace_writer_append(TraceWriter *w, const TraceEvent *ev);

/* Hand the events buffered so far to the helper as a frame now and wait
 * until it is written and fsync'd. */
bool trace_writer_flush(TraceWriter *w);

/* The first write error, or NULL. */
const char *trace_writer_error(const TraceWriter *w);

void trace_writer_stats(const TraceWriter *w, TraceWriterStats *st);

/* Write the pending frames, the index and the footer, fsync, close, free.
 * Returns false with a message on any error (the file is then cut short). */
bool trace_writer_close(TraceWriter *w, char *err, size_t errlen);

/* Stop without the index and footer, as a killed recording would (pending
 * frames are written first when flush is true). For tests. */
void trace_writer_abandon(TraceWriter *w, bool flush);

/* ------------------------------------------------------------ reading */

typedef struct TraceReader TraceReader;

typedef struct TraceSummary {
    bool complete;            /* footer and index present and valid */
    uint64_t frames;          /* readable event frames */
    uint64_t events;          /* events in those frames (frame headers) */
    uint64_t first_icount;    /* of the first and last readable events */
    uint64_t last_icount;
    uint64_t compressed_bytes;   /* frame payloads as stored */
    uint64_t uncompressed_bytes; /* encoded events */
    uint64_t file_size;
    /* When !complete: "the trace ends after frame N at icount X: the
     * recording was interrupted" (with the file name and why), or, while a
     * recorder still writes it, "still being recorded by pid N". */
    char note[512];
    long recorder_pid; /* the recorder writing it now, or 0 */
} TraceSummary;

/* Open and validate magic, version and header. Missing footer or a cut
 * last frame is not an error (see the summary); NULL with a message naming
 * the file otherwise ("empty file", "not a rewind trace", a newer format
 * version, a damaged header). */
TraceReader *trace_reader_open(const char *path, char *err, size_t errlen);

const TraceHeader *trace_reader_header(const TraceReader *r);
void trace_reader_summary(const TraceReader *r, TraceSummary *s);

/* The next event in file order: 1 = *ev filled, 0 = no more events (the
 * readable end: check the summary for a cut-short trace), -1 = a damaged
 * frame (message in trace_reader_error(): file, frame number, byte offset,
 * icount range). Everything before the damage has been returned. */
int trace_reader_next(TraceReader *r, TraceEvent *ev);

/* Position so that the next event returned is the first with icount >= the
 * given one (uses the index, or the frame headers of a cut-short trace).
 * Returns false on a damaged frame (see trace_reader_error()). */
bool trace_reader_seek(TraceReader *r, uint64_t icount);

const char *trace_reader_error(const TraceReader *r);
const char *trace_reader_path(const TraceReader *r);

void trace_reader_close(TraceReader *r);

#endif
