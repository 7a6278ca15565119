/* Per-hart state summaries, the payload of digest events: enough for a
 * replay to say which hart went astray, at which pc, and which registers
 * (by name) differ, for about a hundred bytes per hart.
 *
 * Each hart contributes its pc, a 64-bit hash of its whole architectural
 * state, and one fingerprint byte per register or CSR (a mix of the value):
 * a differing register shows in its byte with probability 255/256, and the
 * hash catches the rest. */
#ifndef REWIND_REPLAY_STATESUM_H
#define REWIND_REPLAY_STATESUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;

/* Payload layout version (the first byte). */
enum { STATESUM_VERSION = 1 };

/* What the digest stands for, beyond the state. */
typedef struct StateSumInfo {
    bool input_point;       /* taken where input entered the guest */
    bool idle_step;         /* that point was the run loop's idle step */
    bool sync_input;        /* taken where a device read host input */
    uint64_t mtime_skipped; /* the clock's idle jumps so far (mtime units) */
} StateSumInfo;

/* The summary of every hart of m, with info, in a malloc'd buffer (*out).
 * Returns its length (0 when out of memory). */
size_t statesum_encode(const struct Machine *m, const StateSumInfo *info, uint8_t **out);

/* Read the info part of a payload; false if it is not a summary this
 * version understands. */
bool statesum_info(const uint8_t *p, size_t len, StateSumInfo *info);

/* Compare a recorded summary with m's state now. Returns true when they
 * match; otherwise false with a description in msg: the first hart that
 * differs, its pc now and recorded, the registers whose fingerprints
 * differ, or "the clock" / "the number of harts". */
bool statesum_compare(const struct Machine *m, const uint8_t *p, size_t len, char *msg,
                      size_t msglen);

/* The pc of hart `hart` in a recorded summary (false if absent). */
bool statesum_pc(const uint8_t *p, size_t len, unsigned hart, uint64_t *pc);

#endif
