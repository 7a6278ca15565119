/* Boot: the reset vector, the generated device tree (checked with libfdt
 * and, when installed, decompiled with dtc), and virt_build's placement of
 * images, initrd and tree, with its error messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "boot/bootrom.h"
#include "boot/fdt.h"
#include "boot/loader.h"
#include "boot/virt.h"
#include "core/isa.h"
#include "core/machine.h"
#include "devices/htif.h"
#include "tests/unit/suites.h"

/* ---- helpers ------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A scratch directory per test (check forks, so no clean-up races). */
static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rewind-boot-XXXXXX");
    ck_assert(mkdtemp(tmpdir) != NULL);
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_boot: cannot remove %s\n", tmpdir);
}

/* Write a file in the scratch directory; returns its path (static slot). */
static const char *write_file(const char *name, const void *data, size_t len)
{
    static char paths[4][128];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 128, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    ck_assert(f != NULL);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return p;
}

/* A fake Linux RISC-V Image: header magics, image_size, some code. */
static size_t make_linux_image(uint8_t *buf, size_t len, uint64_t image_size)
{
    memset(buf, 0, len);
    memcpy(buf, "MZ", 2);
    for (int i = 0; i < 8; i++)
        buf[0x10 + i] = (uint8_t)(image_size >> (8 * i));
    memcpy(buf + BOOT_LINUX_MAGIC_OFF, "RISCV\0\0\0", 8);
    memcpy(buf + BOOT_LINUX_MAGIC2_OFF, "RSC\x05", 4);
    return len;
}

static Machine *new_machine(unsigned nharts, uint64_t ram)
{
    MachineConfig mc = { .ram_size = ram, .nharts = nharts };
    char err[256];
    Machine *m = machine_new(&mc, err, sizeof(err));
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

/* The options every virt_build test shares: no host console, fixed RTC. */
static VirtConfig base_config(void)
{
    return (VirtConfig){ .serial = "none", .rtc = "base=2020-01-01T00:00:00",
                         .console = stdout };
}

/* ---- boot ROM ------------------------------------------------------ */

START_TEST(test_bootrom_words)
{
    uint8_t rom[BOOTROM_CODE_LEN];
    bootrom_fill(rom, 0x80000000ULL, 0x87e00000ULL);
    ck_assert_uint_eq(rd32(rom + 0), 0x00000297);  /* auipc t0, 0 */
    ck_assert_uint_eq(rd32(rom + 4), 0xf1402573);  /* csrr a0, mhartid */
    ck_assert_uint_eq(rd32(rom + 8), 0x0202b583);  /* ld a1, 32(t0) */
    ck_assert_uint_eq(rd32(rom + 12), 0x0182b283); /* ld t0, 24(t0) */
    ck_assert_uint_eq(rd32(rom + 16), 0x00028067); /* jr t0 */
    ck_assert_uint_eq(rd64(rom + BOOTROM_START_OFF), 0x80000000ULL);
    ck_assert_uint_eq(rd64(rom + BOOTROM_FDT_OFF), 0x87e00000ULL);
}
END_TEST

/* ---- device tree --------------------------------------------------- */

static const void *getprop(const void *fdt, const char *path, const char *name, int *len)
{
    int node = fdt_path_offset(fdt, path);
    ck_assert_msg(node >= 0, "node %s: %s", path, fdt_strerror(node));
    const void *p = fdt_getprop(fdt, node, name, len);
    ck_assert_msg(p != NULL, "%s: no property %s", path, name);
    return p;
}

static uint32_t getcell(const void *fdt, const char *path, const char *name, int i)
{
    int len;
    const fdt32_t *p = getprop(fdt, path, name, &len);
    ck_assert_int_ge(len, 4 * (i + 1));
    return fdt32_to_cpu(p[i]);
}

static uint64_t getu64(const void *fdt, const char *path, const char *name)
{
    int len;
    const void *p = getprop(fdt, path, name, &len);
    ck_assert_int_eq(len, 8);
    fdt64_t v; /* properties are only 4-byte aligned */
    memcpy(&v, p, sizeof(v));
    return fdt64_to_cpu(v);
}

/* QEMU 7.2's -M virt string (../shared/reference/qemu-virt-7.2.dts) without
 * the H extension, which rewind does not have. */
#define DEFAULT_ISA "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc"

static void *build_tree(unsigned nharts, size_t *size)
{
    FdtConfig fc = { .nharts = nharts, .ram_base = 0x80000000ULL,
                     .ram_size = 256ULL << 20, .bootargs = "console=ttyS0 quiet",
                     .initrd_start = 0x88200000ULL, .initrd_end = 0x88268000ULL,
                     .isa_ext = isa_ext_default() };
    char err[256];
    void *fdt = bootfdt_build(&fc, size, err, sizeof(err));
    ck_assert_msg(fdt != NULL, "%s", err);
    ck_assert_int_eq(fdt_check_header(fdt), 0);
    ck_assert_uint_eq(fdt_totalsize(fdt), *size);
    return fdt;
}

START_TEST(test_fdt_nodes)
{
    size_t size;
    void *fdt = build_tree(4, &size);
    /* Packed, as QEMU hands it over. */
    ck_assert_uint_eq(size, fdt_off_dt_strings(fdt) + fdt_size_dt_strings(fdt));

    ck_assert_uint_eq(getcell(fdt, "/cpus", "timebase-frequency", 0), 10000000);
    int intc[4];
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/cpus/cpu@%d", i);
        int len;
        ck_assert_str_eq(getprop(fdt, path, "riscv,isa", &len), DEFAULT_ISA);
        ck_assert_str_eq(getprop(fdt, path, "mmu-type", &len), "riscv,sv48");
        ck_assert_str_eq(getprop(fdt, path, "status", &len), "okay");
        ck_assert_str_eq(getprop(fdt, path, "device_type", &len), "cpu");
        ck_assert_uint_eq(getcell(fdt, path, "reg", 0), (unsigned)i);
        strcat(path, "/interrupt-controller");
        ck_assert_str_eq(getprop(fdt, path, "compatible", &len), "riscv,cpu-intc");
        ck_assert_uint_eq(getcell(fdt, path, "#interrupt-cells", 0), 1);
        intc[i] = (int)getcell(fdt, path, "phandle", 0);
    }
    ck_assert_int_lt(fdt_path_offset(fdt, "/cpus/cpu@4"), 0);

    /* CLINT: (intc, 3) (intc, 7) per hart; PLIC: (intc, 11) (intc, 9). */
    int len;
    getprop(fdt, "/soc/clint@2000000", "interrupts-extended", &len);
    ck_assert_int_eq(len, 4 * 4 * 4);
    getprop(fdt, "/soc/plic@c000000", "interrupts-extended", &len);
    ck_assert_int_eq(len, 4 * 4 * 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(getcell(fdt, "/soc/clint@2000000", "interrupts-extended", 4 * i),
                          (unsigned)intc[i]);
        ck_assert_uint_eq(getcell(fdt, "/soc/clint@2000000", "interrupts-extended", 4 * i + 1), 3);
        ck_assert_uint_eq(getcell(fdt, "/soc/clint@2000000", "interrupts-extended", 4 * i + 3), 7);
        ck_assert_uint_eq(getcell(fdt, "/soc/plic@c000000", "interrupts-extended", 4 * i + 2),
                          (unsigned)intc[i]);
        ck_assert_uint_eq(getcell(fdt, "/soc/plic@c000000", "interrupts-extended", 4 * i + 1), 11);
        ck_assert_uint_eq(getcell(fdt, "/soc/plic@c000000", "interrupts-extended", 4 * i + 3), 9);
    }
    uint32_t plic = getcell(fdt, "/soc/plic@c000000", "phandle", 0);
    ck_assert_uint_eq(getcell(fdt, "/soc/plic@c000000", "#interrupt-cells", 0), 1);
    ck_assert_uint_ge(getcell(fdt, "/soc/plic@c000000", "riscv,ndev", 0), 95);

    ck_assert_uint_eq(getcell(fdt, "/soc/serial@10000000", "interrupts", 0), 10);
    ck_assert_uint_eq(getcell(fdt, "/soc/serial@10000000", "interrupt-parent", 0), plic);
    ck_assert_uint_eq(getcell(fdt, "/soc/serial@10000000", "clock-frequency", 0), 0x384000);
    ck_assert_str_eq(getprop(fdt, "/soc/serial@10000000", "compatible", &len), "ns16550a");
    ck_assert_uint_eq(getcell(fdt, "/soc/rtc@101000", "interrupts", 0), 11);
    ck_assert_str_eq(getprop(fdt, "/soc/rtc@101000", "compatible", &len),
                     "google,goldfish-rtc");
    for (unsigned k = 0; k < 8; k++) {
        char path[64];
        snprintf(path, sizeof(path), "/soc/virtio_mmio@%x", 0x10001000u + 0x1000u * k);
        ck_assert_uint_eq(getcell(fdt, path, "interrupts", 0), k + 1);
        ck_assert_uint_eq(getcell(fdt, path, "reg", 1), 0x10001000u + 0x1000u * k);
    }
    /* The test finisher is a syscon for poweroff (0x5555) and reboot. */
    const char *compat = getprop(fdt, "/soc/test@100000", "compatible", &len);
    ck_assert_int_eq(fdt_stringlist_contains(compat, len, "syscon"), 1);
    ck_assert_int_eq(fdt_stringlist_contains(compat, len, "sifive,test0"), 1);
    uint32_t test = getcell(fdt, "/soc/test@100000", "phandle", 0);
    ck_assert_uint_eq(getcell(fdt, "/poweroff", "regmap", 0), test);
    ck_assert_uint_eq(getcell(fdt, "/poweroff", "value", 0), 0x5555);
    ck_assert_uint_eq(getcell(fdt, "/reboot", "regmap", 0), test);
    ck_assert_uint_eq(getcell(fdt, "/reboot", "value", 0), 0x7777);

    ck_assert_uint_eq(getcell(fdt, "/memory@80000000", "reg", 1), 0x80000000u);
    ck_assert_uint_eq(getcell(fdt, "/memory@80000000", "reg", 3), 256u << 20);
    ck_assert_str_eq(getprop(fdt, "/chosen", "bootargs", &len), "console=ttyS0 quiet");
    ck_assert_str_eq(getprop(fdt, "/chosen", "stdout-path", &len), "/soc/serial@10000000");
    ck_assert_uint_eq(getu64(fdt, "/chosen", "linux,initrd-start"), 0x88200000ULL);
    ck_assert_uint_eq(getu64(fdt, "/chosen", "linux,initrd-end"), 0x88268000ULL);
    /* Deterministic guests: no seed handed to the kernel. */
    ck_assert(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "rng-seed", &len) == NULL);
    free(fdt);
}
END_TEST

START_TEST(test_fdt_deterministic)
{
    size_t a_size, b_size;
    void *a = build_tree(2, &a_size), *b = build_tree(2, &b_size);
    ck_assert_uint_eq(a_size, b_size);
    ck_assert(memcmp(a, b, a_size) == 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_fdt_rejects_bad_harts)
{
    FdtConfig fc = { .nharts = 0, .ram_base = 0x80000000ULL, .ram_size = 1 << 24 };
    char err[256] = "";
    size_t size;
    ck_assert(bootfdt_build(&fc, &size, err, sizeof(err)) == NULL);
    ck_assert(strstr(err, "harts") != NULL);
}
END_TEST

/* dtc must accept the blob and show the nodes Linux and OpenSBI use. */
START_TEST(test_fdt_dtc_decompiles)
{
    if (system("command -v dtc >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_boot: dtc not installed (device-tree-compiler): "
                        "skipping the decompile check\n");
        return;
    }
    make_tmpdir();
    size_t size;
    void *fdt = build_tree(2, &size);
    const char *dtb = write_file("virt.dtb", fdt, size);
    free(fdt);
    char dts[160], cmd[400];
    snprintf(dts, sizeof(dts), "%s/virt.dts", tmpdir);
    snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts -o '%s' '%s'", dts, dtb);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(dts, "r");
    ck_assert(f != NULL);
    static char text[64 << 10];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    static const char *const want[] = {
        "cpu@0 {", "cpu@1 {", "riscv,isa = \"" DEFAULT_ISA "\"",
        "compatible = \"riscv,cpu-intc\"", "clint@2000000 {", "plic@c000000 {",
        "serial@10000000 {", "compatible = \"ns16550a\"", "rtc@101000 {",
        "test@100000 {", "virtio_mmio@10001000 {", "virtio_mmio@10008000 {",
        "compatible = \"syscon-poweroff\"", "compatible = \"syscon-reboot\"",
        "bootargs = \"console=ttyS0 quiet\"", "linux,initrd-start",
        "memory@80000000 {", "timebase-frequency = <0x989680>",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(strstr(text, want[i]) != NULL, "dtc output lacks '%s'", want[i]);
    ck_assert(strstr(text, "rng-seed") == NULL);
    remove_tmpdir();
}
END_TEST

/* ---- virt_build ------------------------------------------------------ */

/* A raw bare-metal program: li a0, 0; then spin. */
static const uint8_t bare_code[] = { 0x13, 0x05, 0x00, 0x00, 0x6f, 0x00, 0x00, 0x00 };

START_TEST(test_virt_bare_kernel)
{
    make_tmpdir();
    Machine *m = new_machine(2, 64ULL << 20);
    VirtConfig vc = base_config();
    vc.kernel = write_file("bare.bin", bare_code, sizeof(bare_code));
    char err[512];
    ck_assert_msg(virt_build(m, &vc, err, sizeof(err)), "%s", err);
    const VirtLayout *l = virt_layout(m);
    ck_assert(l != NULL);
    ck_assert_uint_eq(l->entry, 0x80000000ULL);
    /* End of RAM, 2 MiB aligned, as QEMU. */
    ck_assert_uint_eq(l->fdt_addr, 0x83e00000ULL);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_uint_eq(m->harts[i].pc, 0x80000000ULL);
        ck_assert_uint_eq(m->harts[i].x[10], i);
        ck_assert_uint_eq(m->harts[i].x[11], l->fdt_addr);
    }
    const uint8_t *tree = memory_ram_ptr(&m->mem, l->fdt_addr, l->fdt_size);
    ck_assert_int_eq(fdt_check_header(tree), 0);
    ck_assert(memcmp(memory_ram_ptr(&m->mem, 0x80000000ULL, 8), bare_code, 8) == 0);

    /* Every device is mapped, and the ROM reads back the reset vector. */
    static const uint64_t mapped[] = { 0x1000, 0x100000, 0x101000, 0x2000000,
                                       0xc000000, 0x10000000, 0x10001000, 0x10008000 };
    for (size_t i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++)
        ck_assert_msg(memory_find_mmio(&m->mem, mapped[i]) != NULL, "nothing at 0x%llx",
                      (unsigned long long)mapped[i]);
    MmioRegion *rom = memory_find_mmio(&m->mem, 0x1000);
    uint64_t v = 0;
    ck_assert(rom->ops->read(rom->opaque, 0, 4, &v));
    ck_assert_uint_eq(v, 0x00000297);
    ck_assert(rom->ops->read(rom->opaque, BOOTROM_FDT_OFF, 8, &v));
    ck_assert_uint_eq(v, l->fdt_addr);
    ck_assert(!rom->ops->write(rom->opaque, 0, 4, 0)); /* read-only */

    /* A reset zeroes RAM and loads the same images again. */
    m->harts[1].pc = 0x80001234ULL;
    memset(memory_ram_ptr(&m->mem, 0x80000000ULL, 8), 0, 8);
    ck_assert_msg(machine_reset(m, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(m->harts[1].pc, 0x80000000ULL);
    ck_assert_uint_eq(m->harts[1].x[11], l->fdt_addr);
    ck_assert(memcmp(memory_ram_ptr(&m->mem, 0x80000000ULL, 8), bare_code, 8) == 0);
    ck_assert_int_eq(fdt_check_header(memory_ram_ptr(&m->mem, l->fdt_addr, 64)), 0);
    machine_free(m);
    remove_tmpdir();
}
END_TEST

START_TEST(test_virt_linux_layout)
{
    make_tmpdir();
    static uint8_t img[8192], initrd[10000], fw[4096];
    make_linux_image(img, sizeof(img), 0x300000); /* runs to 0x80500000 */
    memset(initrd, 0x5a, sizeof(initrd));
    memcpy(fw, bare_code, sizeof(bare_code));
    Machine *m = new_machine(1, 256ULL << 20);
    VirtConfig vc = base_config();
    vc.bios = write_file("fw.bin", fw, sizeof(fw));
    vc.kernel = write_file("Image", img, sizeof(img));
    vc.initrd = write_file("initrd", initrd, sizeof(initrd));
    vc.append = "console=ttyS0";
    char err[512];
    ck_assert_msg(virt_build(m, &vc, err, sizeof(err)), "%s", err);
    const VirtLayout *l = virt_layout(m);
    ck_assert_uint_eq(l->entry, 0x80000000ULL);
    ck_assert_uint_eq(l->kernel_lo, 0x80200000ULL);
    ck_assert_uint_eq(l->kernel_hi, 0x80500000ULL);
    /* QEMU's places: initrd 128 MiB above the kernel, tree at the end. */
    ck_assert_uint_eq(l->initrd_start, 0x88200000ULL);
    ck_assert_uint_eq(l->initrd_end, 0x88200000ULL + sizeof(initrd));
    ck_assert_uint_eq(l->fdt_addr, 0x8fe00000ULL);
    ck_assert(memcmp(memory_ram_ptr(&m->mem, 0x80200000ULL, sizeof(img)), img,
                     sizeof(img)) == 0);
    ck_assert(memcmp(memory_ram_ptr(&m->mem, l->initrd_start, sizeof(initrd)), initrd,
                     sizeof(initrd)) == 0);
    const void *tree = memory_ram_ptr(&m->mem, l->fdt_addr, l->fdt_size);
    ck_assert_uint_eq(getu64(tree, "/chosen", "linux,initrd-start"), l->initrd_start);
    ck_assert_uint_eq(getu64(tree, "/chosen", "linux,initrd-end"), l->initrd_end);
    int len;
    ck_assert_str_eq(getprop(tree, "/chosen", "bootargs", &len), "console=ttyS0");
    machine_free(m);

    /* A big initrd goes as high as it can, under the tree. */
    static uint8_t big[200 << 10];
    m = new_machine(1, 32ULL << 20);
    vc.initrd = write_file("big", big, sizeof(big));
    vc.bios = NULL;
    vc.kernel = write_file("bare.bin", bare_code, sizeof(bare_code));
    ck_assert_msg(virt_build(m, &vc, err, sizeof(err)), "%s", err);
    l = virt_layout(m);
    ck_assert_uint_eq(l->fdt_addr, 0x81e00000ULL);
    ck_assert_uint_le(l->initrd_end, l->fdt_addr);
    ck_assert_uint_ge(l->initrd_start, 0x80000000ULL + sizeof(bare_code));
    machine_free(m);
    remove_tmpdir();
}
END_TEST

/* virt_build on a fresh machine must fail with a message containing each
 * of the given words. */
static void expect_build_error(VirtConfig *vc, uint64_t ram, const char *w1,
                               const char *w2)
{
    Machine *m = new_machine(1, ram);
    char err[512] = "";
    ck_assert_msg(!virt_build(m, vc, err, sizeof(err)), "virt_build succeeded");
    ck_assert_msg(strstr(err, w1) != NULL, "message '%s' lacks '%s'", err, w1);
    ck_assert_msg(!w2 || strstr(err, w2) != NULL, "message '%s' lacks '%s'", err, w2);
    machine_free(m);
}

START_TEST(test_virt_errors)
{
    make_tmpdir();
    static uint8_t img[8192], arm[8192], big[3 << 20];
    VirtConfig vc = base_config();

    vc.kernel = "/nonexistent/Image";
    expect_build_error(&vc, 64 << 20, "-kernel /nonexistent/Image", "No such file");

    make_linux_image(img, sizeof(img), 0);
    vc.kernel = write_file("Image", img, sizeof(img));
    expect_build_error(&vc, 64 << 20, "needs a firmware", "-bios");

    memcpy(arm + 0x38, "ARM\x64", 4);
    vc.kernel = write_file("arm64-Image", arm, sizeof(arm));
    vc.bios = write_file("fw.bin", bare_code, sizeof(bare_code));
    expect_build_error(&vc, 64 << 20, "arm64-Image", "not a RISC-V");

    vc.kernel = write_file("Image", img, sizeof(img));
    vc.initrd = write_file("big-initrd", big, sizeof(big));
    expect_build_error(&vc, 36 << 20, "-initrd", "big-initrd");
    expect_build_error(&vc, 36 << 20, "do not fit", NULL);

    vc.initrd = "/nonexistent/initrd";
    expect_build_error(&vc, 64 << 20, "-initrd /nonexistent/initrd", "No such file");

    vc.initrd = NULL;
    vc.bios = NULL;
    vc.kernel = NULL;
    expect_build_error(&vc, 64 << 20, "-bios none", "-kernel");

    vc.kernel = write_file("bare.bin", bare_code, sizeof(bare_code));
    const char *drives[] = { "file=/nonexistent/disk.img,format=raw,if=virtio" };
    vc.drives = drives;
    vc.ndrives = 1;
    expect_build_error(&vc, 64 << 20, "/nonexistent/disk.img", NULL);
    remove_tmpdir();
}
END_TEST

START_TEST(test_virt_dumpdtb)
{
    make_tmpdir();
    Machine *m = new_machine(4, 128ULL << 20);
    VirtConfig vc = base_config();
    char path[128], err[512];
    snprintf(path, sizeof(path), "%s/out.dtb", tmpdir);
    vc.dumpdtb = path;
    vc.append = "console=ttyS0";
    /* No image needed to see the tree. */
    ck_assert_msg(virt_build(m, &vc, err, sizeof(err)), "%s", err);
    machine_free(m);
    FILE *f = fopen(path, "rb");
    ck_assert(f != NULL);
    static uint8_t buf[256 << 10];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    ck_assert_int_eq(fdt_check_header(buf), 0);
    ck_assert_uint_eq(fdt_totalsize(buf), n);
    ck_assert_int_ge(fdt_path_offset(buf, "/cpus/cpu@3"), 0);

    m = new_machine(1, 128ULL << 20);
    vc.dumpdtb = "/nonexistent/dir/out.dtb";
    ck_assert(!virt_build(m, &vc, err, sizeof(err)));
    ck_assert_msg(strstr(err, "--dumpdtb /nonexistent/dir/out.dtb") != NULL, "%s", err);
    machine_free(m);
    remove_tmpdir();
}
END_TEST

/* The HTIF that boot_image_load creates for an ELF with a tohost symbol
 * is the machine's (m->htif): machine_free frees it. It was left to the
 * callers, and only `rewind run` and `rewind diff` freed it: every other
 * machine built from such an ELF leaked it (found by
 * tests/fuzz/fuzz_loader under LeakSanitizer). This test leaks, and so
 * fails, only in a sanitizer build (--enable-sanitizers, as CI runs unit). */
START_TEST(test_machine_owns_htif)
{
    Machine *m = new_machine(1, 4 << 20);
    char err[256];
    m->htif = htif_new(m, MEM_RAM_BASE + 0x1000, MEM_RAM_BASE + 0x1008, stdout, err,
                       sizeof(err));
    ck_assert_msg(m->htif != NULL, "%s", err);
    machine_free(m);
}
END_TEST

Suite *suite_boot(void)
{
    Suite *s = suite_create("boot");
    TCase *tc = tcase_create("boot");
    tcase_add_test(tc, test_bootrom_words);
    tcase_add_test(tc, test_fdt_nodes);
    tcase_add_test(tc, test_fdt_deterministic);
    tcase_add_test(tc, test_fdt_rejects_bad_harts);
    tcase_add_test(tc, test_fdt_dtc_decompiles);
    tcase_add_test(tc, test_virt_bare_kernel);
    tcase_add_test(tc, test_virt_linux_layout);
    tcase_add_test(tc, test_virt_errors);
    tcase_add_test(tc, test_virt_dumpdtb);
    tcase_add_test(tc, test_machine_owns_htif);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
