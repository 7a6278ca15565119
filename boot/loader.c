/* Image loading: ELF, Linux Image or raw binaries, and HTIF when the
 * program has it. */
#include "boot/loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static bool bytes_at(const BootImage *img, size_t off, const void *what, size_t len)
{
    return img->size >= off + len && memcmp(img->data + off, what, len) == 0;
}

static bool is_linux_image(const BootImage *img)
{
    /* Header version 0.1 had only the first magic; 0.2 added the second. */
    return bytes_at(img, BOOT_LINUX_MAGIC_OFF, "RISCV\0\0\0", 8) ||
           bytes_at(img, BOOT_LINUX_MAGIC2_OFF, "RSC\x05", 4);
}

/* A kernel we recognise as not being a RISC-V one: say what it is. */
static const char *foreign_kernel(const BootImage *img)
{
    if (bytes_at(img, 0x38, "ARM\x64", 4))
        return "an arm64 Linux Image, not a RISC-V one";
    if (bytes_at(img, 0x202, "HdrS", 4))
        return "an x86 Linux bzImage, not a RISC-V kernel";
    if (bytes_at(img, 0x24, "\x18\x28\x6f\x01", 4))
        return "an arm zImage, not a RISC-V kernel";
    if (bytes_at(img, 0, "\x1f\x8b", 2))
        return "gzip-compressed: rewind loads uncompressed kernels "
               "(arch/riscv/boot/Image, not Image.gz)";
    if (bytes_at(img, 0, "\xfd" "7zXZ", 5) || bytes_at(img, 0, "\x28\xb5\x2f\xfd", 4) ||
        bytes_at(img, 0, "BZh", 3))
        return "a compressed file: rewind loads uncompressed kernels";
    if (bytes_at(img, 0, "\x27\x05\x19\x56", 4))
        return "a U-Boot uImage: give the Image inside it";
    if (bytes_at(img, 0, "MZ", 2))
        return "a PE/EFI executable without the RISC-V Linux Image header";
    return NULL;
}

bool boot_image_open(BootImage *img, const char *option, const char *path,
                     unsigned flags, char *err, size_t errlen)
{
    char why[300];
    memset(img, 0, sizeof(*img));
    img->path = path;
    img->option = option;
    img->data = boot_read_file(path, &img->size, why, sizeof(why));
    if (!img->data) {
        snprintf(err, errlen, "%s %s", option, why);
        return false;
    }
    if (flags & BOOT_OPEN_DATA)
        return true; /* kind stays BOOT_IMAGE_RAW */
    if (elf_is_elf(img->data, img->size)) {
        if (!elf_parse(&img->elf, img->data, img->size, why, sizeof(why))) {
            snprintf(err, errlen, "%s %s: %s", option, path, why);
            boot_image_free(img);
            return false;
        }
        img->kind = BOOT_IMAGE_ELF;
        return true;
    }
    if (is_linux_image(img)) {
        if (img->size < BOOT_LINUX_HEADER_SIZE) {
            snprintf(err, errlen, "%s %s: truncated Linux Image (%zu bytes)", option,
                     path, img->size);
            boot_image_free(img);
            return false;
        }
        img->kind = BOOT_IMAGE_LINUX;
        return true;
    }
    const char *foreign = (flags & BOOT_OPEN_KERNEL) ? foreign_kernel(img) : NULL;
    if (foreign) {
        snprintf(err, errlen, "%s %s: %s", option, path, foreign);
        boot_image_free(img);
        return false;
    }
    img->kind = BOOT_IMAGE_RAW;
    return true;
}

bool boot_image_place(BootImage *img, const Memory *mem, uint64_t raw_addr,
                      char *err, size_t errlen)
{
    uint64_t lo, hi;
    if (img->kind == BOOT_IMAGE_ELF) {
        lo = img->elf.lowest;
        hi = img->elf.highest;
        img->entry = img->elf.entry;
    } else {
        uint64_t span = img->size;
        if (img->kind == BOOT_IMAGE_LINUX) {
            /* image_size at 0x10: what the kernel occupies once running. */
            uint64_t image_size = le64(img->data + 0x10);
            if (image_size > span)
                span = image_size;
        }
        lo = raw_addr;
        hi = raw_addr + span;
        img->entry = raw_addr;
    }
    uint64_t ram_lo = mem->ram_base, ram_hi = mem->ram_base + mem->ram_size;
    if (img->kind == BOOT_IMAGE_ELF && img->entry >= 0xffff800000000000ULL &&
        (lo < ram_lo || hi > ram_hi)) {
        /* vmlinux: linked in the kernel's upper half, physical addresses
         * relative to 0; the firmware expects the flat Image. */
        snprintf(err, errlen, "%s %s: a Linux vmlinux (linked at 0x%llx); give the "
                 "flat Image (arch/riscv/boot/Image) instead", img->option, img->path,
                 (unsigned long long)img->entry);
        return false;
    }
    if (lo < ram_lo || hi > ram_hi || hi < lo) {
        snprintf(err, errlen, "%s %s: 0x%llx-0x%llx (%llu bytes) does not fit in RAM "
                 "(0x%llx-0x%llx): use a larger -m", img->option, img->path,
                 (unsigned long long)lo, (unsigned long long)hi,
                 (unsigned long long)(hi - lo), (unsigned long long)ram_lo,
                 (unsigned long long)ram_hi);
        return false;
    }
    img->lo = lo;
    img->hi = hi;
    return true;
}

bool boot_image_overlaps(const BootImage *a, const BootImage *b)
{
    return a->lo < b->hi && b->lo < a->hi;
}

bool boot_image_load(const BootImage *img, Machine *m, FILE *console, char *err,
                     size_t errlen)
{
    char why[200];
    if (img->kind != BOOT_IMAGE_ELF) {
        uint8_t *dst = memory_ram_ptr(&m->mem, img->lo, img->size);
        if (!dst) { /* boot_image_place checked it: cannot happen */
            snprintf(err, errlen, "%s %s: not placed in RAM", img->option, img->path);
            return false;
        }
        memcpy(dst, img->data, img->size);
        return true;
    }
    if (!elf_load(&img->elf, &m->mem, why, sizeof(why))) {
        snprintf(err, errlen, "%s %s: %s", img->option, img->path, why);
        return false;
    }
    uint64_t tohost, fromhost;
    if (!m->htif && elf_symbol(&img->elf, "tohost", &tohost)) {
        if (!elf_symbol(&img->elf, "fromhost", &fromhost))
            fromhost = tohost + 8;
        m->htif = htif_new(m, tohost, fromhost, console, why, sizeof(why));
        if (!m->htif) {
            snprintf(err, errlen, "%s %s: %s", img->option, img->path, why);
            return false;
        }
    }
    return true;
}

void boot_image_free(BootImage *img)
{
    free(img->data);
    img->data = NULL;
    img->size = 0;
}

void boot_set_harts(Machine *m, uint64_t entry, uint64_t fdt_addr)
{
    for (unsigned i = 0; i < m->nharts; i++) {
        Hart *h = &m->harts[i];
        h->pc = entry;
        h->x[10] = i;        /* a0: hart id */
        h->x[11] = fdt_addr; /* a1: device tree */
    }
}
