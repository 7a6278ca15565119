/* ELF loader: well-formed images load; malformed ones are refused with a
 * message that says what is wrong. */
#include <check.h>
#include <elf.h>
#include <string.h>

#include "boot/elf.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

/* A minimal RV64 executable: header, one PT_LOAD of 8 bytes at paddr. */
static size_t make_elf(uint8_t *buf, uint64_t paddr)
{
    memset(buf, 0, 256);
    Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS64;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_type = ET_EXEC;
    e->e_machine = EM_RISCV;
    e->e_version = EV_CURRENT;
    e->e_entry = paddr;
    e->e_phoff = sizeof(Elf64_Ehdr);
    e->e_ehsize = sizeof(Elf64_Ehdr);
    e->e_phentsize = sizeof(Elf64_Phdr);
    e->e_phnum = 1;
    Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
    ph->p_type = PT_LOAD;
    ph->p_offset = 200;
    ph->p_vaddr = ph->p_paddr = paddr;
    ph->p_filesz = 8;
    ph->p_memsz = 16;
    memcpy(buf + 200, "\x13\x05\x15\x00\x6f\x00\x00\x00", 8);
    return 208;
}

START_TEST(test_good_elf_loads)
{
    uint8_t buf[256];
    size_t n = make_elf(buf, 0x80001000);
    ElfImage img;
    char err[256];
    ck_assert_msg(elf_parse(&img, buf, n, err, sizeof(err)), "%s", err);
    ck_assert_uint_eq(img.entry, 0x80001000);
    Machine *m = test_machine_new();
    memset(memory_ram_ptr(&m->mem, 0x80001000, 16), 0xaa, 16);
    ck_assert(elf_load(&img, &m->mem, err, sizeof(err)));
    uint8_t *p = memory_ram_ptr(&m->mem, 0x80001000, 16);
    ck_assert_uint_eq(p[0], 0x13);
    ck_assert_uint_eq(p[15], 0); /* bss part zeroed */
    machine_free(m);
}
END_TEST

static void expect_refused(uint8_t *buf, size_t n, const char *what)
{
    ElfImage img;
    char err[256] = "";
    ck_assert(!elf_parse(&img, buf, n, err, sizeof(err)));
    ck_assert_msg(strstr(err, what) != NULL, "message '%s' lacks '%s'", err, what);
}

START_TEST(test_bad_elfs_refused)
{
    uint8_t buf[256];
    size_t n = make_elf(buf, 0x80000000);
    expect_refused((uint8_t *)"hello world", 11, "not an ELF");
    buf[EI_CLASS] = ELFCLASS32;
    expect_refused(buf, n, "64-bit");
    make_elf(buf, 0x80000000);
    ((Elf64_Ehdr *)buf)->e_machine = EM_X86_64;
    expect_refused(buf, n, "not RISC-V");
    make_elf(buf, 0x80000000);
    buf[EI_DATA] = ELFDATA2MSB;
    expect_refused(buf, n, "big-endian");
    make_elf(buf, 0x80000000);
    expect_refused(buf, 100, "outside the file"); /* truncated */
    make_elf(buf, 0x80000000);
    ((Elf64_Ehdr *)buf)->e_type = ET_DYN;
    expect_refused(buf, n, "not an executable");
}
END_TEST

START_TEST(test_segment_outside_ram)
{
    uint8_t buf[256];
    size_t n = make_elf(buf, 0x1000);
    ElfImage img;
    char err[256];
    ck_assert(elf_parse(&img, buf, n, err, sizeof(err)));
    Machine *m = test_machine_new();
    ck_assert(!elf_load(&img, &m->mem, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "outside RAM"));
    machine_free(m);
}
END_TEST

Suite *suite_elf(void)
{
    Suite *s = suite_create("elf");
    TCase *tc = tcase_create("elf");
    tcase_add_test(tc, test_good_elf_loads);
    tcase_add_test(tc, test_bad_elfs_refused);
    tcase_add_test(tc, test_segment_outside_ram);
    suite_add_tcase(s, tc);
    return s;
}
