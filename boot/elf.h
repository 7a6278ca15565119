/* Loading RV64 ELF executables into guest RAM. */
#ifndef REWIND_BOOT_ELF_H
#define REWIND_BOOT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/memory.h"

typedef struct ElfImage {
    uint8_t *data; /* the whole file */
    size_t size;
    uint64_t entry;
    uint64_t lowest, highest; /* physical span of the loaded segments */
} ElfImage;

/* Does the buffer start with the ELF magic? */
bool elf_is_elf(const uint8_t *data, size_t size);

/* Check that data is a 64-bit little-endian RISC-V executable whose
 * headers are well-formed. The image keeps a pointer to data. Messages
 * name what is wrong; the caller prefixes the file name. */
bool elf_parse(ElfImage *img, uint8_t *data, size_t size, char *err, size_t errlen);

/* Copy the PT_LOAD segments to guest memory (by physical address). Fails
 * if a segment lies outside RAM. */
bool elf_load(const ElfImage *img, Memory *mem, char *err, size_t errlen);

/* Value of a symbol from .symtab, or false if absent. */
bool elf_symbol(const ElfImage *img, const char *name, uint64_t *value);

/* The symbol that covers addr: the nearest function, object or label at or
 * below it, when its size holds addr (an unsized label, from assembly,
 * reaches 4 KiB); absolute and mapping symbols name nothing. Its name
 * (inside img's data) and addr's offset from it; false when none. */
bool elf_symbol_at(const ElfImage *img, uint64_t addr, const char **name, uint64_t *offset);

/* The same symbols as a table sorted by address, for many lookups: *out
 * is malloc'd (names point into img's data); returns how many (0: none,
 * or out of memory). */
typedef struct ElfSym {
    uint64_t value, size;
    const char *name;
} ElfSym;
size_t elf_symbols(const ElfImage *img, ElfSym **out);
/* The symbol covering addr in such a table, or NULL. */
const ElfSym *elf_symbols_find(const ElfSym *v, size_t n, uint64_t addr);

#endif
