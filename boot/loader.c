/* Image loading: ELF or raw binaries, and HTIF when the program has it. */
#include "boot/loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boot/elf.h"
#include "devices/htif.h"

uint8_t *boot_read_file(const char *path, size_t *size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        snprintf(err, errlen, "%s: cannot read the file", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    if (n == 0) {
        snprintf(err, errlen, "%s: empty file", path);
        free(buf);
        return NULL;
    }
    *size = n;
    return buf;
}

/* Load one image: an ELF at its own addresses, or a raw binary at
 * raw_addr. Sets *entry, and sets up HTIF if the ELF has tohost. */
static bool load_image(Machine *m, const BootConfig *bc, const char *path,
                       uint64_t raw_addr, uint64_t *entry, char *err, size_t errlen)
{
    char why[200];
    size_t size;
    uint8_t *data = boot_read_file(path, &size, err, errlen);
    if (!data)
        return false;
    bool ok = false;
    if (elf_is_elf(data, size)) {
        ElfImage img;
        uint64_t tohost, fromhost;
        if (!elf_parse(&img, data, size, why, sizeof(why)) ||
            !elf_load(&img, &m->mem, why, sizeof(why))) {
            snprintf(err, errlen, "%s: %s", path, why);
            goto out;
        }
        *entry = img.entry;
        if (elf_symbol(&img, "tohost", &tohost) && !m->htif) {
            if (!elf_symbol(&img, "fromhost", &fromhost))
                fromhost = tohost + 8;
            m->htif = htif_new(m, tohost, fromhost, bc->console, why, sizeof(why));
            if (!m->htif) {
                snprintf(err, errlen, "%s: %s", path, why);
                goto out;
            }
        }
    } else {
        uint8_t *dst = memory_ram_ptr(&m->mem, raw_addr, size);
        if (!dst) {
            snprintf(err, errlen, "%s: %zu bytes at 0x%llx do not fit in RAM "
                     "(0x%llx-0x%llx): use a larger -m", path, size,
                     (unsigned long long)raw_addr, (unsigned long long)m->mem.ram_base,
                     (unsigned long long)(m->mem.ram_base + m->mem.ram_size));
            goto out;
        }
        memcpy(dst, data, size);
        *entry = raw_addr;
    }
    ok = true;
out:
    free(data);
    return ok;
}

bool boot_load(Machine *m, const BootConfig *bc, char *err, size_t errlen)
{
    uint64_t entry;
    if (bc->bios) {
        if (!load_image(m, bc, bc->bios, MEM_RAM_BASE, &entry, err, errlen))
            return false;
        if (bc->kernel) {
            uint64_t kentry;
            if (!load_image(m, bc, bc->kernel, BOOT_KERNEL_ADDR, &kentry, err, errlen))
                return false;
        }
    } else {
        if (!bc->kernel) {
            snprintf(err, errlen, "-bios none needs -kernel FILE: nothing to run");
            return false;
        }
        if (!load_image(m, bc, bc->kernel, MEM_RAM_BASE, &entry, err, errlen))
            return false;
    }
    for (unsigned i = 0; i < m->nharts; i++) {
        Hart *h = &m->harts[i];
        h->pc = entry;
        h->x[10] = i; /* a0: hart id */
        h->x[11] = 0; /* a1: device tree address (none yet) */
    }
    return true;
}
