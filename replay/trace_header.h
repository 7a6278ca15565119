/* The trace Header message (replay/trace.proto) to and from the plain
 * TraceHeader of replay/trace.h. The trace file's header and a checkpoint
 * file's machine description (replay/checkpoint.h) are both this message,
 * so a checkpoint names its machine exactly as a trace does. */
#ifndef REWIND_REPLAY_TRACE_HEADER_H
#define REWIND_REPLAY_TRACE_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "replay/trace.h"

/* The message for h (schema version and, when h has none, this build's
 * version filled in). Returns a malloc'd buffer of *len bytes, or NULL when
 * out of memory. */
uint8_t *trace_header_encode(const TraceHeader *h, size_t *len);

/* A decoded header: `hdr` points into storage the object owns. */
typedef struct TraceHeaderDecoded {
    TraceHeader hdr;
    void *msg;             /* the unpacked message */
    TraceImage *images;
    TraceOption *options;
} TraceHeaderDecoded;

/* Decode len bytes into d. false when protobuf cannot decode them or out
 * of memory (d is then empty, and freeing it is harmless). */
bool trace_header_decode(const uint8_t *buf, size_t len, TraceHeaderDecoded *d);

void trace_header_decoded_free(TraceHeaderDecoded *d);

#endif
