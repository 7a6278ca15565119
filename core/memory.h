/* Guest physical memory: one RAM region plus MMIO regions dispatched to
 * device callbacks. A device is a pair of callbacks on an address range. */
#ifndef REWIND_CORE_MEMORY_H
#define REWIND_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Device callbacks: offset is relative to the region base, size is 1, 2, 4
 * or 8. A read returns false (and a write returns false) when the access is
 * not accepted by the device: the hart then takes an access fault. */
typedef struct MmioOps {
    bool (*read)(void *opaque, uint64_t offset, unsigned size, uint64_t *val);
    bool (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t val);
} MmioOps;

typedef struct MmioRegion {
    uint64_t base, size;
    const MmioOps *ops;
    void *opaque;
    const char *name;
} MmioRegion;

enum { MEM_MAX_REGIONS = 32 };

typedef struct Memory {
    uint8_t *ram;
    uint64_t ram_base, ram_size;
    MmioRegion regions[MEM_MAX_REGIONS];
    unsigned nregions;
    /* One bit per RAM page: set while translated code exists for the page,
     * so that writes to it go through the slow path and invalidate it. */
    uint8_t *code_bitmap;
    /* One bit per RAM page written since the last state digest. Writes
     * through the soft TLB mark the page when the write entry is filled;
     * the digest clears the bits and drops the write entries. */
    uint8_t *dirty_bitmap;
    /* One bit per RAM page written since the last snapshot taken or
     * restored (core/snapshot.h), marked at the same places as
     * dirty_bitmap; the snapshot code clears the bits and drops the write
     * entries. A separate map because the digest's window is saved and
     * restored with snapshots and must not be disturbed by them. */
    uint8_t *snap_bitmap;
} Memory;

/* Allocate RAM (zero-filled). Returns false on allocation failure. */
bool memory_init(Memory *mem, uint64_t ram_base, uint64_t ram_size);
void memory_free(Memory *mem);

/* Register an MMIO region. Returns false if it overlaps or the table is full. */
bool memory_add_mmio(Memory *mem, uint64_t base, uint64_t size,
                     const MmioOps *ops, void *opaque, const char *name);

/* Host pointer for [pa, pa+len) if it lies wholly in RAM, else NULL. */
static inline uint8_t *memory_ram_ptr(Memory *mem, uint64_t pa, uint64_t len)
{
    if (pa >= mem->ram_base && len <= mem->ram_size &&
        pa - mem->ram_base <= mem->ram_size - len)
        return mem->ram + (pa - mem->ram_base);
    return NULL;
}

/* The MMIO region containing pa, or NULL. Regions take precedence over
 * RAM, so a device may sit inside RAM (HTIF's tohost page). */
MmioRegion *memory_find_mmio(Memory *mem, uint64_t pa);

/* True when the 4 KiB page of pa is RAM with no MMIO region in it: only
 * such pages may be cached in the soft TLB for direct host access. */
bool memory_page_is_plain_ram(Memory *mem, uint64_t pa);

/* Count pa's page as written, for the next digest and the next snapshot.
 * Every write to RAM must come here (through machine_ram_written, or when
 * a write TLB entry is filled) before the guest can observe it. */
static inline void memory_mark_dirty(Memory *mem, uint64_t pa)
{
    uint64_t page = (pa - mem->ram_base) >> 12;
    if (pa >= mem->ram_base && page < (mem->ram_size >> 12)) {
        uint8_t bit = (uint8_t)(1u << (page & 7));
        mem->dirty_bitmap[page >> 3] |= bit;
        mem->snap_bitmap[page >> 3] |= bit;
    }
}

/* Mark or clear "translated code exists in this RAM page". */
void memory_set_code_page(Memory *mem, uint64_t pa, bool has_code);

static inline bool memory_page_has_code(const Memory *mem, uint64_t pa)
{
    uint64_t page = (pa - mem->ram_base) >> 12;
    return (__atomic_load_n(&mem->code_bitmap[page >> 3], __ATOMIC_ACQUIRE) >> (page & 7)) & 1;
}

#endif
