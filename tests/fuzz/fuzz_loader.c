/* Fuzz the image loaders (boot/loader.c, boot/elf.c: ELF, Linux Image and
 * raw), the initrd and -append placement and the device tree they make
 * (boot/virt.c, boot/fdt.c), as `rewind run` takes them: virt_build on a
 * new machine with the fuzz input as one of the files.
 *
 * Input: byte 0 the mode, byte 1 the RAM size, byte 2 the length of the
 * -append text that follows (NULs end it early; 0: no -append), then the
 * file's bytes.
 *   mode % 5  0 -bios none -kernel FILE        1 -bios FILE -kernel RAW
 *             2 -bios RAW -kernel FILE         3 -bios none -kernel RAW -initrd FILE
 *             4 -bios RAW -kernel RAW -initrd FILE
 *   RAM % 4   2 MiB, 4 MiB, 16 MiB, 3 MiB + 4 KiB
 * (RAW: a 4-byte `j .`.) The build must either fail with a message or
 * succeed with every image, the initrd and the device tree inside RAM and
 * apart, a device tree that libfdt accepts, with the -append text as
 * /chosen/bootargs; then a reboot (machine_reset) loads the same images
 * again. */
#include "tests/fuzz/fuzz_support.h"

#include <libfdt.h>
#include <string.h>

#include "boot/virt.h"
#include "core/machine.h"

static FILE *null_out;
static char raw_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    null_out = fopen("/dev/null", "w");
    int fd = memfd_create("raw", 0);
    static const uint8_t loop[4] = { 0x6f, 0x00, 0x00, 0x00 };
    if (!null_out || fd < 0 || pwrite(fd, loop, 4, 0) != 4)
        abort();
    snprintf(raw_path, sizeof(raw_path), "/proc/self/fd/%d", fd);
    return 0;
}

static bool inside_ram(const Machine *m, uint64_t lo, uint64_t hi)
{
    return lo <= hi && lo >= m->mem.ram_base && hi <= m->mem.ram_base + m->mem.ram_size;
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_loader: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    static const uint64_t ram_sizes[4] = { 2 << 20, 4 << 20, 16 << 20, (3 << 20) + 4096 };
    unsigned mode = data[0] % 5;
    uint64_t ram = ram_sizes[data[1] % 4];
    size_t alen = data[2];
    if (alen > size - 3)
        alen = size - 3;
    char append[256];
    memcpy(append, data + 3, alen);
    append[alen] = 0;
    const uint8_t *file = data + 3 + alen;
    size_t fsize = size - 3 - alen;
    const char *path = fuzz_file_path(file, fsize);

    VirtConfig vc = { .serial = "null", .rtc = "base=2020-01-01T00:00:00", .console = null_out,
                      .append = alen ? append : NULL };
    switch (mode) {
    case 0: vc.kernel = path; break;
    case 1: vc.bios = path, vc.kernel = raw_path; break;
    case 2: vc.bios = raw_path, vc.kernel = path; break;
    case 3: vc.kernel = raw_path, vc.initrd = path; break;
    default: vc.bios = raw_path, vc.kernel = raw_path, vc.initrd = path; break;
    }
    char err[512] = "";
    MachineConfig cfg = { .ram_size = ram, .nharts = 2, .quantum = 1000,
                          .code_buffer_size = 1 << 20 };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    check(m != NULL, err);
    if (!virt_build(m, &vc, err, sizeof(err))) {
        check(err[0] != 0, "virt_build refused an image without a message");
        fuzz_note("mode %u: refused: %s\n", mode, err);
        machine_free(m);
        return 0;
    }
    const VirtLayout *l = virt_layout(m);
    check(l != NULL, "no layout");
    fuzz_note("mode %u: loaded: entry %#llx kernel %#llx-%#llx fdt %#llx+%#llx initrd "
              "%#llx-%#llx%s\n", mode, (unsigned long long)l->entry,
              (unsigned long long)l->kernel_lo, (unsigned long long)l->kernel_hi,
              (unsigned long long)l->fdt_addr, (unsigned long long)l->fdt_size,
              (unsigned long long)l->initrd_start, (unsigned long long)l->initrd_end,
              m->htif ? ", HTIF" : "");
    check(inside_ram(m, l->fdt_addr, l->fdt_addr + l->fdt_size), "device tree outside RAM");
    if (l->kernel_hi)
        check(inside_ram(m, l->kernel_lo, l->kernel_hi), "kernel outside RAM");
    if (l->initrd_end) {
        check(inside_ram(m, l->initrd_start, l->initrd_end), "initrd outside RAM");
        check(l->initrd_end <= l->fdt_addr || l->initrd_start >= l->fdt_addr + l->fdt_size,
              "initrd overlaps the device tree");
        check(!l->kernel_hi || l->initrd_start >= l->kernel_hi ||
                  l->initrd_end <= l->kernel_lo,
              "initrd overlaps the kernel");
    }
    check(!l->kernel_hi || l->kernel_hi <= l->fdt_addr, "kernel overlaps the device tree");
    check(fdt_check_header(l->fdt) == 0 && fdt_totalsize(l->fdt) <= l->fdt_size,
          "bad device tree");
    int chosen = fdt_path_offset(l->fdt, "/chosen");
    check(chosen >= 0, "no /chosen");
    int len = 0;
    const char *args = fdt_getprop(l->fdt, chosen, "bootargs", &len);
    if (alen && append[0])
        check(args && len == (int)strlen(append) + 1 && !memcmp(args, append, (size_t)len),
              "bootargs differ from -append");
    check(machine_reset(m, err, sizeof(err)), err);
    machine_free(m);
    return 0;
}
