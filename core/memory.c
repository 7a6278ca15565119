/* Guest physical memory: RAM and the table of MMIO regions. */
#include "core/memory.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

bool memory_init(Memory *mem, uint64_t ram_base, uint64_t ram_size)
{
    memset(mem, 0, sizeof(*mem));
    if (ram_size == 0 || (ram_size & 0xfff))
        return false;
    /* mmap gives zero-filled pages that cost nothing until touched, so a
     * large -m does not slow the start. */
    void *p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return false;
    uint64_t pages = ram_size >> 12;
    mem->code_bitmap = calloc((pages + 7) / 8, 1);
    mem->dirty_bitmap = calloc((pages + 7) / 8, 1);
    mem->snap_bitmap = calloc((pages + 7) / 8, 1);
    if (!mem->code_bitmap || !mem->dirty_bitmap || !mem->snap_bitmap) {
        free(mem->code_bitmap);
        free(mem->dirty_bitmap);
        free(mem->snap_bitmap);
        munmap(p, ram_size);
        return false;
    }
    mem->ram = p;
    mem->ram_base = ram_base;
    mem->ram_size = ram_size;
    return true;
}

void memory_free(Memory *mem)
{
    if (mem->ram)
        munmap(mem->ram, mem->ram_size);
    free(mem->code_bitmap);
    free(mem->dirty_bitmap);
    free(mem->snap_bitmap);
    memset(mem, 0, sizeof(*mem));
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

bool memory_add_mmio(Memory *mem, uint64_t base, uint64_t size,
                     const MmioOps *ops, void *opaque, const char *name)
{
    if (mem->nregions == MEM_MAX_REGIONS || size == 0)
        return false;
    for (unsigned i = 0; i < mem->nregions; i++)
        if (ranges_overlap(base, size, mem->regions[i].base, mem->regions[i].size))
            return false;
    mem->regions[mem->nregions++] = (MmioRegion){
        .base = base, .size = size, .ops = ops, .opaque = opaque, .name = name,
    };
    return true;
}

MmioRegion *memory_find_mmio(Memory *mem, uint64_t pa)
{
    for (unsigned i = 0; i < mem->nregions; i++) {
        MmioRegion *r = &mem->regions[i];
        if (pa - r->base < r->size)
            return r;
    }
    return NULL;
}

bool memory_page_is_plain_ram(Memory *mem, uint64_t pa)
{
    uint64_t page = pa & ~0xfffULL;
    if (!memory_ram_ptr(mem, page, 0x1000))
        return false;
    for (unsigned i = 0; i < mem->nregions; i++)
        if (ranges_overlap(page, 0x1000, mem->regions[i].base, mem->regions[i].size))
            return false;
    return true;
}

void memory_set_code_page(Memory *mem, uint64_t pa, bool has_code)
{
    uint64_t page = (pa - mem->ram_base) >> 12;
    /* Atomic: in the fast mode (core/mt_run.h) other harts read the map
     * while one changes it; a plain byte read-modify-write could also lose
     * a neighbouring page's bit. */
    if (has_code)
        __atomic_fetch_or(&mem->code_bitmap[page >> 3], (uint8_t)(1u << (page & 7)),
                          __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&mem->code_bitmap[page >> 3], (uint8_t)~(1u << (page & 7)),
                           __ATOMIC_SEQ_CST);
}
