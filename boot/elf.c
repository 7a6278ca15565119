/* A careful ELF64 reader: every offset and size from the file is checked
 * against the file's size before it is used. */
#include "boot/elf.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool in_file(const ElfImage *img, uint64_t off, uint64_t len)
{
    return off <= img->size && len <= img->size - off;
}

bool elf_is_elf(const uint8_t *data, size_t size)
{
    return size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0;
}

static const Elf64_Ehdr *ehdr(const ElfImage *img)
{
    return (const Elf64_Ehdr *)img->data;
}

static bool phdr_at(const ElfImage *img, unsigned i, Elf64_Phdr *ph)
{
    const Elf64_Ehdr *e = ehdr(img);
    uint64_t off = e->e_phoff + (uint64_t)i * e->e_phentsize;
    if (!in_file(img, off, sizeof(*ph)))
        return false;
    memcpy(ph, img->data + off, sizeof(*ph));
    return true;
}

bool elf_parse(ElfImage *img, uint8_t *data, size_t size, char *err, size_t errlen)
{
    memset(img, 0, sizeof(*img));
    img->data = data;
    img->size = size;
    if (!elf_is_elf(data, size)) {
        snprintf(err, errlen, "not an ELF file");
        return false;
    }
    if (size < sizeof(Elf64_Ehdr) || data[EI_CLASS] != ELFCLASS64) {
        snprintf(err, errlen, "not a 64-bit ELF file (rewind runs RV64 only)");
        return false;
    }
    if (data[EI_DATA] != ELFDATA2LSB) {
        snprintf(err, errlen, "big-endian ELF file: RISC-V is little-endian");
        return false;
    }
    const Elf64_Ehdr *e = ehdr(img);
    if (e->e_machine != EM_RISCV) {
        snprintf(err, errlen, "ELF machine %u is not RISC-V (%u)", e->e_machine, EM_RISCV);
        return false;
    }
    if (e->e_type != ET_EXEC) {
        snprintf(err, errlen, "ELF type %u is not an executable (ET_EXEC)", e->e_type);
        return false;
    }
    if (e->e_phentsize != sizeof(Elf64_Phdr) ||
        !in_file(img, e->e_phoff, (uint64_t)e->e_phnum * sizeof(Elf64_Phdr))) {
        snprintf(err, errlen, "program headers lie outside the file (truncated?)");
        return false;
    }
    img->entry = e->e_entry;
    img->lowest = UINT64_MAX;
    unsigned loads = 0;
    for (unsigned i = 0; i < e->e_phnum; i++) {
        Elf64_Phdr ph;
        phdr_at(img, i, &ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz || !in_file(img, ph.p_offset, ph.p_filesz)) {
            snprintf(err, errlen, "segment %u: file range 0x%llx+0x%llx lies outside "
                     "the file (truncated?)", i, (unsigned long long)ph.p_offset,
                     (unsigned long long)ph.p_filesz);
            return false;
        }
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr) {
            snprintf(err, errlen, "segment %u: address range wraps around", i);
            return false;
        }
        if (ph.p_paddr < img->lowest)
            img->lowest = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz > img->highest)
            img->highest = ph.p_paddr + ph.p_memsz;
        loads++;
    }
    if (!loads) {
        snprintf(err, errlen, "no loadable segment");
        return false;
    }
    return true;
}

bool elf_load(const ElfImage *img, Memory *mem, char *err, size_t errlen)
{
    const Elf64_Ehdr *e = ehdr(img);
    for (unsigned i = 0; i < e->e_phnum; i++) {
        Elf64_Phdr ph;
        phdr_at(img, i, &ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        uint8_t *dst = memory_ram_ptr(mem, ph.p_paddr, ph.p_memsz);
        if (!dst) {
            snprintf(err, errlen,
                     "segment %u at 0x%llx-0x%llx lies outside RAM (0x%llx-0x%llx)",
                     i, (unsigned long long)ph.p_paddr,
                     (unsigned long long)(ph.p_paddr + ph.p_memsz),
                     (unsigned long long)mem->ram_base,
                     (unsigned long long)(mem->ram_base + mem->ram_size));
            return false;
        }
        memcpy(dst, img->data + ph.p_offset, ph.p_filesz);
        memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
    }
    return true;
}

/* Whether the section header table lies whole in the file. */
static bool sections_in_file(const ElfImage *img)
{
    const Elf64_Ehdr *e = ehdr(img);
    return e->e_shentsize == sizeof(Elf64_Shdr) &&
           in_file(img, e->e_shoff, (uint64_t)e->e_shnum * sizeof(Elf64_Shdr));
}

/* Whether section i (of a table sections_in_file accepted) is a symbol
 * table that lies in the file and links to a string table that does too
 * and is not empty; if so, their headers in *sh and *strsh. */
static bool symtab_section(const ElfImage *img, unsigned i, Elf64_Shdr *sh, Elf64_Shdr *strsh)
{
    const Elf64_Ehdr *e = ehdr(img);
    memcpy(sh, img->data + e->e_shoff + (uint64_t)i * sizeof(*sh), sizeof(*sh));
    if (sh->sh_type != SHT_SYMTAB || sh->sh_link >= e->e_shnum ||
        !in_file(img, sh->sh_offset, sh->sh_size))
        return false;
    memcpy(strsh, img->data + e->e_shoff + (uint64_t)sh->sh_link * sizeof(*strsh),
           sizeof(*strsh));
    return in_file(img, strsh->sh_offset, strsh->sh_size) && strsh->sh_size;
}

bool elf_symbol(const ElfImage *img, const char *name, uint64_t *value)
{
    if (!sections_in_file(img))
        return false;
    for (unsigned i = 0; i < ehdr(img)->e_shnum; i++) {
        Elf64_Shdr sh, strsh;
        if (!symtab_section(img, i, &sh, &strsh))
            continue;
        const char *strtab = (const char *)img->data + strsh.sh_offset;
        uint64_t nsyms = sh.sh_size / sizeof(Elf64_Sym);
        size_t namelen = strlen(name);
        for (uint64_t s = 0; s < nsyms; s++) {
            Elf64_Sym sym;
            memcpy(&sym, img->data + sh.sh_offset + s * sizeof(sym), sizeof(sym));
            if (sym.st_name >= strsh.sh_size || strsh.sh_size - sym.st_name <= namelen)
                continue;
            if (memcmp(strtab + sym.st_name, name, namelen + 1) == 0) {
                *value = sym.st_value;
                return true;
            }
        }
    }
    return false;
}

/* How far past an unsized label (assembly) an address still counts as
 * its: far enough for a routine, not so far that any address finds one. */
enum { ELF_LABEL_REACH = 4096 };

bool elf_symbol_at(const ElfImage *img, uint64_t addr, const char **name, uint64_t *offset)
{
    ElfSym *tab;
    size_t n = elf_symbols(img, &tab);
    const ElfSym *e = elf_symbols_find(tab, n, addr);
    if (e) {
        *name = e->name;
        *offset = addr - e->value;
    }
    free(tab);
    return e != NULL;
}

static int elf_sym_cmp(const void *x, const void *y)
{
    const ElfSym *a = x, *b = y;
    return a->value < b->value ? -1 : a->value > b->value;
}

size_t elf_symbols(const ElfImage *img, ElfSym **out)
{
    *out = NULL;
    if (!sections_in_file(img))
        return 0;
    size_t n = 0, cap = 0;
    ElfSym *v = NULL;
    for (unsigned i = 0; i < ehdr(img)->e_shnum; i++) {
        Elf64_Shdr sh, strsh;
        if (!symtab_section(img, i, &sh, &strsh))
            continue;
        const char *strtab = (const char *)img->data + strsh.sh_offset;
        uint64_t nsyms = sh.sh_size / sizeof(Elf64_Sym);
        for (uint64_t s = 0; s < nsyms; s++) {
            Elf64_Sym sym;
            memcpy(&sym, img->data + sh.sh_offset + s * sizeof(sym), sizeof(sym));
            unsigned type = sym.st_info & 0xf;
            if ((type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) ||
                sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || sym.st_name == 0 ||
                sym.st_name >= strsh.sh_size ||
                !memchr(strtab + sym.st_name, 0, strsh.sh_size - sym.st_name))
                continue;
            const char *nm = strtab + sym.st_name;
            if (nm[0] == '$' || (nm[0] == '.' && nm[1] == 'L'))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                ElfSym *nv = realloc(v, cap * sizeof(*nv));
                if (!nv) {
                    free(v);
                    return 0;
                }
                v = nv;
            }
            v[n++] = (ElfSym){ .value = sym.st_value, .size = sym.st_size, .name = nm };
        }
    }
    if (n)
        qsort(v, n, sizeof(*v), elf_sym_cmp);
    *out = v;
    return n;
}

const ElfSym *elf_symbols_find(const ElfSym *v, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first symbol above addr */
        size_t mid = (lo + hi) / 2;
        if (v[mid].value <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    /* Among the symbols at that address, prefer one with a size. */
    size_t k = lo - 1;
    while (k > 0 && v[k - 1].value == v[k].value && !v[k].size)
        k--;
    const ElfSym *s = &v[k];
    uint64_t reach = s->size ? s->size : ELF_LABEL_REACH;
    return addr - s->value < reach ? s : NULL;
}
