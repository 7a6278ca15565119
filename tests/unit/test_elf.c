/* ELF loader: well-formed images load; malformed ones are refused with a
 * message that says what is wrong. */
#include <check.h>
#include <elf.h>
#include <stdlib.h>
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

/* make_elf plus a .symtab and .strtab: alpha (function, 0x1000, 16 bytes),
 * beta (an unsized label at 0x1010), an absolute symbol and a mapping
 * symbol inside alpha, obj (data, 0x2000, 8 bytes). */
static size_t make_elf_symbols(uint8_t *buf)
{
    size_t n = make_elf(buf, 0x80001000);
    static const char strtab[] = "\0alpha\0beta\0absy\0$x\0obj";
    enum { STR = 256, SYM = 320, SH = 512 };
    memcpy(buf + STR, strtab, sizeof(strtab));
    Elf64_Sym syms[6] = { { 0 } };
    syms[1] = (Elf64_Sym){ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
                           .st_shndx = 1, .st_value = 0x1000, .st_size = 16 };
    syms[2] = (Elf64_Sym){ .st_name = 7, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE),
                           .st_shndx = 1, .st_value = 0x1010 };
    syms[3] = (Elf64_Sym){ .st_name = 12, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE),
                           .st_shndx = SHN_ABS, .st_value = 0x1004 };
    syms[4] = (Elf64_Sym){ .st_name = 17, .st_info = ELF64_ST_INFO(STB_LOCAL, STT_NOTYPE),
                           .st_shndx = 1, .st_value = 0x1008 };
    syms[5] = (Elf64_Sym){ .st_name = 20, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
                           .st_shndx = 1, .st_value = 0x2000, .st_size = 8 };
    memcpy(buf + SYM, syms, sizeof(syms));
    Elf64_Shdr sh[3] = { { 0 } };
    sh[1] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB, .sh_offset = SYM, .sh_size = sizeof(syms),
                          .sh_link = 2, .sh_entsize = sizeof(Elf64_Sym) };
    sh[2] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = STR, .sh_size = sizeof(strtab) };
    memcpy(buf + SH, sh, sizeof(sh));
    Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
    e->e_shoff = SH;
    e->e_shentsize = sizeof(Elf64_Shdr);
    e->e_shnum = 3;
    (void)n;
    return SH + sizeof(sh);
}

/* Symbols by address (rewind diff): sized ones cover their range, labels
 * reach a page past them, absolute and mapping symbols name nothing. */
START_TEST(test_symbol_by_address)
{
    uint8_t buf[1024];
    size_t n = make_elf_symbols(buf);
    ElfImage img;
    char err[256];
    ck_assert_msg(elf_parse(&img, buf, n, err, sizeof(err)), "%s", err);
    ElfSym *tab;
    size_t ntab = elf_symbols(&img, &tab);
    ck_assert_uint_eq(ntab, 3);
    static const struct { uint64_t addr; const char *name; uint64_t off; } cases[] = {
        { 0x1000, "alpha", 0 }, { 0x1004, "alpha", 4 }, { 0x1008, "alpha", 8 },
        { 0x100f, "alpha", 15 }, { 0x1010, "beta", 0 }, { 0x1fff, "beta", 0xfef },
        { 0x2004, "obj", 4 }, { 0x2008, NULL, 0 }, { 0x0fff, NULL, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *name = NULL;
        uint64_t off = 0;
        bool found = elf_symbol_at(&img, cases[i].addr, &name, &off);
        const ElfSym *e = elf_symbols_find(tab, ntab, cases[i].addr);
        if (!cases[i].name) {
            ck_assert_msg(!found && !e, "0x%llx: found %s", (unsigned long long)cases[i].addr,
                          found ? name : e->name);
            continue;
        }
        ck_assert_msg(found && !strcmp(name, cases[i].name) && off == cases[i].off,
                      "0x%llx: %s+%llu", (unsigned long long)cases[i].addr,
                      found ? name : "none", (unsigned long long)off);
        ck_assert_msg(e && !strcmp(e->name, cases[i].name), "table, 0x%llx",
                      (unsigned long long)cases[i].addr);
    }
    free(tab);
}
END_TEST

Suite *suite_elf(void)
{
    Suite *s = suite_create("elf");
    TCase *tc = tcase_create("elf");
    tcase_add_test(tc, test_good_elf_loads);
    tcase_add_test(tc, test_bad_elfs_refused);
    tcase_add_test(tc, test_segment_outside_ram);
    tcase_add_test(tc, test_symbol_by_address);
    suite_add_tcase(s, tc);
    return s;
}
