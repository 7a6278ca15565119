/* Checkpoint files: the whole machine at one instant (harts, clock,
 * schedule, devices, RAM, disk overlays) in one file, with the machine's
 * description (a trace Header: configuration, images and their hashes,
 * command line), so that a run can go on from it in another process.
 * docs/checkpoint-format.md describes the bytes.
 *
 * A file is written whole or not at all (a temporary name, then a
 * rename), and read whole and checked (a checksum over every byte,
 * zstd's own per section, every count and index) before anything reaches
 * a machine: a truncated or damaged file is refused, never half loaded.
 *
 * Device states are the devices' own save bytes, whose layout belongs to
 * one build of rewind: a checkpoint is read only by the rewind version
 * that wrote it, and by the same engine revision. */
#ifndef REWIND_REPLAY_CHECKPOINT_H
#define REWIND_REPLAY_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay/trace.h"

struct Machine;

/* Version of the container (magic, section headers, footer). */
enum { CHECKPOINT_FORMAT_VERSION = 1 };
/* Version of the messages in replay/checkpoint.proto. */
enum { CHECKPOINT_SCHEMA_VERSION = 1 };

/* Write m's state now, described by machine (the header a trace of this
 * machine would have), to path. Call between slices (or at a debugger
 * stop), never from inside a TB. false with a message naming the file on
 * an error; path is then untouched. */
bool checkpoint_write(struct Machine *m, const TraceHeader *machine, const char *path,
                      char *err, size_t errlen);

typedef struct Checkpoint Checkpoint;

/* Read and check the whole file. NULL with a message naming the file and
 * what is wrong (not a checkpoint, cut short, damaged, newer format,
 * written by another rewind). */
Checkpoint *checkpoint_open(const char *path, char *err, size_t errlen);

/* The same from a checkpoint file's bytes (embedded in a trace); name
 * stands for the file in messages. */
Checkpoint *checkpoint_open_bytes(const uint8_t *bytes, size_t len, const char *name,
                                  char *err, size_t errlen);

/* The file's bytes, as read (to embed them). Valid until checkpoint_close. */
const uint8_t *checkpoint_bytes(const Checkpoint *c, size_t *len);

/* The machine the checkpoint was taken on. Valid until checkpoint_close. */
const TraceHeader *checkpoint_machine(const Checkpoint *c);

/* Total retired instructions at the checkpoint. */
uint64_t checkpoint_icount(const Checkpoint *c);

/* Put the checkpoint's state into m, a machine built from
 * checkpoint_machine (images loaded or not: RAM is replaced whole). false
 * with a message naming the difference when m is not built the same way
 * (harts, RAM, devices), or when a device refuses its saved state (one
 * that breaks the device's invariants: a crafted file), and then m is as
 * it was: each device tries its state first and gets its own back. */
bool checkpoint_load(const Checkpoint *c, struct Machine *m, char *err, size_t errlen);

/* What `rewind dump` prints: the machine, the clock, each hart, devices,
 * RAM. */
void checkpoint_print(const Checkpoint *c, FILE *out);

void checkpoint_close(Checkpoint *c);

/* Is the file at path a checkpoint (by its magic)? */
bool checkpoint_is_file(const char *path);

#endif
