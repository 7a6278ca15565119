/* Machine checkpoints: the whole guest-visible state (harts, the clock, the
 * round robin's position, every device, RAM) saved in memory and put back
 * later, the groundwork of reverse debugging.
 *
 * What is saved: each hart's registers, CSRs, pc, privilege, icount, LR
 * reservation and wfi flag (not its soft TLB or jump cache: they are
 * flushed on restore); mtime_skipped and the next digest's icount; the
 * scheduler position (m->sched); the stop state; the written-pages window
 * of the digest; every device's state through its MachineDevice save/load
 * pair; and RAM.
 *
 * RAM is kept as 4 KiB pages shared between checkpoints by reference
 * count: a new checkpoint copies only the pages that differ from the last
 * checkpoint taken or restored on the machine (the baseline), and all-zero
 * pages cost nothing. Take and restore read RAM only in the pages written
 * since the baseline (besides a walk over the page table, 8 bytes a
 * page): Memory's snap_bitmap marks the pages written since then
 * (memory_mark_dirty, at the same places as the digest's map), so a take
 * shares the baseline's page for every unmarked page without reading it,
 * and a restore compares and rewrites only the pages that are
 * marked or that the target holds as a different saved page than the
 * baseline (saved pages never change, so the same page means the same
 * bytes). Marked pages are still compared, so a page written back to its
 * old bytes is shared too. This is safe because every write to RAM marks
 * its page before the guest can see it: slow-path stores, DMA and
 * debugger writes through machine_ram_written, fast-path stores when
 * their write TLB entry is filled, which is why a take or restore drops
 * every write entry when it clears the map. Pages with device registers
 * inside RAM (HTIF) are always compared, as their callbacks may write
 * without marking; a machine reset (RAM cleared, images reloaded) and the
 * first checkpoint of a machine compare all of RAM. Code that writes guest
 * RAM directly must call machine_ram_written, or checkpoints miss it.
 *
 * Not saved: host-side state (chardev queues, open files, libuv handles),
 * the record/replay session (m->replay) and the debugger's state. A disk
 * without snapshot=on writes through to its image file, which checkpoints
 * cannot undo; with snapshot=on its overlay is saved (clusters shared
 * copy-on-write).
 *
 * Take and restore only between slices or from a debugger stop (inside
 * debug_serve), never from inside a TB. Free every snapshot before the
 * machine it was taken on: the machine keeps references to the last one's
 * pages. */
#ifndef REWIND_CORE_SNAPSHOT_H
#define REWIND_CORE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct Machine;

typedef struct Snapshot Snapshot;

/* Save the machine's state now. Returns NULL when out of memory. */
Snapshot *snapshot_take(struct Machine *m);

/* Put m back in the state s describes (taken on m, or on a machine built
 * the same way). Returns false with a message when s does not fit m (the
 * machine is then unchanged), or when a device refused its state (the
 * machine is then in an undefined state). */
bool snapshot_restore(struct Machine *m, const Snapshot *s, char *err, size_t errlen);

void snapshot_free(Snapshot *s);

/* RAM was rewritten without marking its pages (a checkpoint file was
 * loaded): the next take or restore compares all of it. */
void snapshot_ram_replaced(struct Machine *m);

/* Host memory this snapshot added: its own records, device states and the
 * RAM pages it was first to copy (pages shared with earlier snapshots are
 * counted there), so the sum over a series of snapshots is their cost. */
size_t snapshot_bytes(const Snapshot *s);

/* The same without the RAM pages: records, page table, device states. */
size_t snapshot_own_bytes(const Snapshot *s);

/* Bytes of saved RAM pages alive in the process, held by snapshots or by
 * a machine's baseline (the last snapshot taken or restored there). A
 * page outlives the snapshot that copied it while a later one shares it,
 * so this, not a sum of snapshot_bytes, is what a set of snapshots whose
 * members come and go costs. */
uint64_t snapshot_pages_in_use(void);

/* For devices whose state is one plain block of bytes (a struct's tail
 * without pointers): the save and load halves of MachineDevice's pair. */
static inline size_t snapshot_save_bytes(void *buf, size_t cap, const void *state, size_t n)
{
    if (n <= cap)
        memcpy(buf, state, n);
    return n;
}

static inline bool snapshot_load_bytes(void *state, size_t n, const void *buf, size_t len)
{
    if (len != n)
        return false;
    memcpy(state, buf, n);
    return true;
}

/* A saved state may come from a file someone crafted: a load checks every
 * value whose range the struct's type does not bound before copying it in.
 * A bool must hold 0 or 1 (any other byte makes reading it undefined).
 * True if the n bools at offset off of the saved bytes are all 0 or 1. */
_Static_assert(sizeof(bool) == 1, "saved states hold bools as single bytes");
static inline bool snapshot_bools_valid(const void *buf, size_t len, size_t off, size_t n)
{
    const unsigned char *p = buf;
    if (off > len || n > len - off)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[off + i] > 1)
            return false;
    return true;
}

#endif
