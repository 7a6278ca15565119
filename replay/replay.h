/* Record and replay of every nondeterministic input.
 *
 * Every host input a device consumes goes through one of two calls:
 *
 *  - replay_sync_input(): the guest needs bytes now (entropy, the host
 *    clock that seeds the RTC). Off: read the host. Record: read the host
 *    and log an event at the current instruction count. Replay: take the
 *    bytes from the trace; the host is never touched.
 *
 *  - replay_async_input(): bytes arrived from the host on their own
 *    (console input through libuv). Off: deliver them to the device's sink
 *    now. Record: log them with the current instruction count, then
 *    deliver. Replay: host input is ignored; the run loop stops at the
 *    recorded instruction count (replay_next_icount bounds the budget) and
 *    replay_deliver_due() hands the recorded bytes to the sink.
 *
 * Events are keyed by the machine's total instruction count, which the
 * round-robin scheduler makes a deterministic point of the run. */
#ifndef REWIND_REPLAY_REPLAY_H
#define REWIND_REPLAY_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;

typedef enum { REPLAY_OFF = 0, REPLAY_RECORD, REPLAY_PLAY } ReplayMode;

/* Kinds of input events (also the values in the trace: never renumber). */
typedef enum {
    EV_CONSOLE_INPUT = 1, /* bytes typed on a character backend (source = backend) */
    EV_RTC_BASE = 2,      /* the host time that seeds the RTC (ns, 8 bytes LE) */
    EV_ENTROPY = 3,       /* bytes from the host entropy source (virtio-rng) */
    EV_NET_RX = 4,        /* one Ethernet frame handed to a NIC (source = NIC index) */
} EventKind;

typedef struct Replay Replay;

/* A device's receiver for asynchronous input. */
typedef void (*ReplaySink)(void *opaque, const uint8_t *buf, size_t len);

/* How a device reads the host for a synchronous input. Returns false on a
 * host error (the input is then all zero bytes, and logged as such). */
typedef bool (*ReplayHostRead)(void *ctx, void *buf, size_t len);

ReplayMode replay_mode(const struct Machine *m);

bool replay_sync_input(struct Machine *m, EventKind kind, unsigned source,
                       void *buf, size_t len, ReplayHostRead read_host, void *ctx);

void replay_register_sink(struct Machine *m, EventKind kind, unsigned source,
                          ReplaySink sink, void *opaque);
void replay_async_input(struct Machine *m, EventKind kind, unsigned source,
                        const uint8_t *buf, size_t len);

/* A kind whose asynchronous inputs are packets: each replay_async_input
 * call is one unit, logged as one event and handed to the sink alone
 * (console bytes, by contrast, are joined until the input point). */
bool replay_kind_is_packet(EventKind kind);

/* An Ethernet frame the guest sent on NIC `source` (the frame_no-th it
 * sent there, from 1). Record: logged as a net-tx event at the current
 * instruction count. Replay: compared with the recording's next event,
 * which must be the same frame; a difference stops the machine with a
 * divergence naming the frame. Returns true when the frame should go to
 * the host (off and record), false when replaying. */
bool replay_net_output(struct Machine *m, unsigned source, uint64_t frame_no,
                       const uint8_t *buf, size_t len);

/* Digests: record logs them, replay compares them (a mismatch stops the
 * machine with a divergence report). Called by the run loop. */
struct Digest;
void replay_on_digest(struct Machine *m, const struct Digest *d);

/* The run ends (exit, failure): record logs it and closes the trace;
 * replay checks it against the recorded end. */
void replay_on_stop(struct Machine *m);

/* For the run loop: the total icount of the next recorded event still to
 * deliver (UINT64_MAX when none, or when not replaying), and delivery of
 * every event due at the current icount. */
uint64_t replay_next_icount(const struct Machine *m);
void replay_deliver_due(struct Machine *m);

/* For machine_next_deadline, every time the run loop asks for the next
 * deadline: the mtime now when input waits for an idle point (so that the
 * idle step does not jump the clock before it is delivered), else
 * UINT64_MAX (always, when neither recording nor replaying). It also
 * notes the query, which is how the idle step is recognised (replay.c). */
uint64_t replay_deadline(struct Machine *m);

#endif
