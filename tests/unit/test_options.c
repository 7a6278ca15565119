/* Command-line option parsing. */
#include <check.h>
#include <stdarg.h>
#include <string.h>

#include "core/isa.h"
#include "core/log.h"
#include "tests/unit/suites.h"
#include "tools/options.h"

START_TEST(test_sizes)
{
    uint64_t v;
    ck_assert(options_parse_size("256M", &v) && v == 256ULL << 20);
    ck_assert(options_parse_size("2G", &v) && v == 2ULL << 30);
    ck_assert(options_parse_size("512", &v) && v == 512ULL << 20); /* MiB, as QEMU */
    ck_assert(options_parse_size("64k", &v) && v == 64ULL << 10);
    ck_assert(options_parse_size("1GiB", &v) && v == 1ULL << 30);
    ck_assert(!options_parse_size("", &v));
    ck_assert(!options_parse_size("0", &v));
    ck_assert(!options_parse_size("12X", &v));
    ck_assert(!options_parse_size("-1G", &v));
    ck_assert(!options_parse_size("99999999999999999999G", &v));
    /* QEMU's grammar: fractions with a scale, truncated to a byte; B is
     * bytes; "256MB" stays accepted as before. */
    ck_assert(options_parse_size("1.5G", &v) && v == 3ULL << 29);
    ck_assert(options_parse_size("1.1G", &v) && v == 1181116006ULL); /* 1.1 * 2^30, truncated */
    ck_assert(options_parse_size("0.5M", &v) && v == 512ULL << 10);
    ck_assert(options_parse_size("1.G", &v) && v == 1ULL << 30);
    ck_assert(options_parse_size("2.25t", &v) && v == 9ULL << 38);
    ck_assert(options_parse_size("4096B", &v) && v == 4096);
    ck_assert(options_parse_size("256MB", &v) && v == 256ULL << 20);
    ck_assert(!options_parse_size("1.5", &v));   /* a fraction needs a scale (QEMU too) */
    ck_assert(!options_parse_size("0.5B", &v));
    ck_assert(!options_parse_size(".5G", &v));
    ck_assert(!options_parse_size("1.5.5G", &v));
    ck_assert(!options_parse_size("1e3", &v));
    ck_assert(!options_parse_size("0.0G", &v));
    ck_assert(!options_parse_size("16777216T", &v)); /* 2^64 */
}
END_TEST

/* -smp as QEMU 7.2 completes it (checked against qemu-system-riscv64). */
START_TEST(test_smp_topology)
{
    static const struct {
        const char *spec;
        unsigned cpus, sockets, cores, threads;
    } good[] = {
        { "2", 2, 1, 2, 1 },                   /* cores are preferred */
        { "cpus=3", 3, 1, 3, 1 },
        { "2,sockets=1", 2, 1, 2, 1 },
        { "4,cores=2,sockets=2", 4, 2, 2, 1 },
        { "sockets=2,cores=2", 4, 2, 2, 1 },   /* no cpus: the product */
        { "8,threads=2", 8, 1, 4, 2 },
        { "4,sockets=2", 4, 2, 2, 1 },
        { "6,sockets=3,cores=2", 6, 3, 2, 1 },
        { "4,cores=2", 4, 2, 2, 1 },           /* sockets computed */
        { "4,sockets=2,cores=2,threads=1,maxcpus=4,dies=1,clusters=1", 4, 2, 2, 1 },
        { "cores=2,threads=2,sockets=2", 8, 2, 2, 2 },
        { "maxcpus=2", 2, 1, 2, 1 },
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        SmpTopology t;
        char err[256] = "";
        ck_assert_msg(options_parse_smp(good[i].spec, &t, err, sizeof(err)), "%s: %s",
                      good[i].spec, err);
        ck_assert_msg(t.cpus == good[i].cpus && t.maxcpus == good[i].cpus &&
                      t.sockets == good[i].sockets && t.cores == good[i].cores &&
                      t.threads == good[i].threads,
                      "%s: %u cpus = %u x %u x %u", good[i].spec, t.cpus, t.sockets, t.cores,
                      t.threads);
    }
    static const struct {
        const char *spec, *why;
    } bad[] = {
        { "3,sockets=2", "sockets (2) * cores (1) * threads (1) != maxcpus (3)" },
        { "2,sockets=4", "sockets (4) * cores (0) * threads (1) != maxcpus (2)" },
        { "4,maxcpus=2", "maxcpus (2) must be equal to or greater than cpus (4)" },
        { "2,maxcpus=4", "rewind has no CPU hotplug" },
        { "16", "16 harts: rewind runs 1 to 8" },
        { "sockets=4,cores=4", "16 harts" },
        { "0", "must be greater than zero" },
        { "2,sockets=0", "sockets=0" },
        { "2,dies=2", "dies not supported" },
        { "2,clusters=2", "clusters not supported" },
        { "2,foo=1", "unknown parameter 'foo'" },
        { "2,3", "unknown parameter '3'" },
        { "x", "cpus=x" },
        { "", "cpus=" },
        { "2,cores=99999999999", "cores=99999999999" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        SmpTopology t;
        char err[256] = "";
        ck_assert_msg(!options_parse_smp(bad[i].spec, &t, err, sizeof(err)), "%s accepted",
                      bad[i].spec);
        ck_assert_msg(strstr(err, bad[i].why), "%s: '%s' lacks '%s'", bad[i].spec, err,
                      bad[i].why);
    }
}
END_TEST

static bool parse(RunOptions *o, char *err, int argc, ...)
{
    char *argv[24];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return options_parse_run(o, argc, argv, err, 256);
}

START_TEST(test_run_options)
{
    RunOptions o;
    char err[256];
    ck_assert(parse(&o, err, 9, "-bios", "none", "-kernel", "k.elf", "-m", "64M",
                    "-smp", "4", "-nographic"));
    ck_assert_ptr_null(o.bios);
    ck_assert_str_eq(o.kernel, "k.elf");
    ck_assert_uint_eq(o.ram_size, 64ULL << 20);
    ck_assert_uint_eq(o.smp, 4);
    ck_assert(parse(&o, err, 3, "--stats", "-d", "in_asm,int"));
    ck_assert(o.stats);
    ck_assert_uint_eq(o.log_mask, LOG_IN_ASM | LOG_INT);
    ck_assert(parse(&o, err, 2, "-smp", "cpus=2") && o.smp == 2);
}
END_TEST

/* A QEMU command line as pasted (issue 21): each of these was an unknown
 * option before. */
START_TEST(test_qemu_options)
{
    RunOptions o;
    char err[256];
    ck_assert_msg(parse(&o, err, 15, "-M", "virt", "-nodefaults", "-display", "none",
                        "-no-reboot", "-monitor", "none", "-name", "demo", "-smp",
                        "4,cores=2,sockets=2", "-m", "1.5G", "-nographic"), "%s", err);
    ck_assert_uint_eq(o.smp, 4);
    ck_assert_uint_eq(o.topology.sockets, 2);
    ck_assert_uint_eq(o.topology.cores, 2);
    ck_assert_uint_eq(o.ram_size, 3ULL << 29);
    ck_assert(o.no_reboot);
    ck_assert(o.nodefaults);
    ck_assert_str_eq(o.name, "demo");
    /* -nodefaults without -serial: the UART has no backend, and a note says so */
    ck_assert_str_eq(o.serial, "none");
    ck_assert_uint_eq(o.nnotes, 1);
    ck_assert_ptr_nonnull(strstr(o.notes[0], "-nodefaults"));
    ck_assert(parse(&o, err, 3, "-nodefaults", "-serial", "pty") && !strcmp(o.serial, "pty"));
    ck_assert_uint_eq(o.nnotes, 0);
    /* -m rounds up to 8 KiB as QEMU: 1.1G is 0x46668000 there */
    ck_assert(parse(&o, err, 2, "-m", "1.1G") && o.ram_size == 0x46668000ULL);
    ck_assert(parse(&o, err, 2, "-m", "size=4097K") && o.ram_size == 0x402000ULL);
    ck_assert(!parse(&o, err, 2, "-m", "1G,maxmem=4G"));
    ck_assert_ptr_nonnull(strstr(err, "memory hotplug"));
    ck_assert(!parse(&o, err, 2, "-m", "65G"));
    /* -name's other parameters are noted as ignored */
    ck_assert(parse(&o, err, 2, "-name", "guest=a,,b,process=p,debug-threads=on"));
    ck_assert_str_eq(o.name, "a,b");
    ck_assert_uint_eq(o.nnotes, 2);
    ck_assert(!parse(&o, err, 2, "-name", "x,frob=1"));
    ck_assert_ptr_nonnull(strstr(err, "'frob'"));
    ck_assert(!parse(&o, err, 2, "-display", "sdl"));
    ck_assert_ptr_nonnull(strstr(err, "-display sdl"));
    ck_assert(!parse(&o, err, 2, "-monitor", "stdio"));
    ck_assert_ptr_nonnull(strstr(err, "-monitor stdio"));
    /* one UART: one -serial */
    ck_assert(!parse(&o, err, 4, "-serial", "stdio", "-serial", "pty"));
    ck_assert_ptr_nonnull(strstr(err, "-serial pty: a second -serial (after -serial stdio)"));
}
END_TEST

START_TEST(test_machine_option)
{
    RunOptions o;
    char err[256];
    ck_assert_msg(parse(&o, err, 2, "-machine",
                        "type=virt,aclint=off,aia=none,aia-guests=3,acpi=off,accel=kvm:tcg,"
                        "usb=on,graphics=off,mem-merge=no,dump-guest-core=on"), "%s", err);
    ck_assert_uint_eq(o.nnotes, 0); /* all of these are so in rewind */
    /* what the host would do differently is accepted with a note */
    ck_assert(parse(&o, err, 2, "-M", "virt,mem-merge=on,dump-guest-core=false"));
    ck_assert_uint_eq(o.nnotes, 2);
    ck_assert_ptr_nonnull(strstr(o.notes[0], "mem-merge=on: ignored (host memory merging"));
    ck_assert_ptr_nonnull(strstr(o.notes[1], "dump-guest-core=false: ignored"));
    ck_assert(parse(&o, err, 2, "-M", "virt,aclint=false,acpi=auto"));
    /* string properties stand for the options, with ",," as a comma */
    ck_assert(parse(&o, err, 2, "-M", "virt,kernel=k,,1.elf,initrd=i,append=console=ttyS0 x,"
                                      "firmware=none,dumpdtb=d.dtb"));
    ck_assert_str_eq(o.kernel, "k,1.elf");
    ck_assert_str_eq(o.initrd, "i");
    ck_assert_str_eq(o.append, "console=ttyS0 x");
    ck_assert_ptr_null(o.bios);
    ck_assert_str_eq(o.dumpdtb, "d.dtb");
    /* -machine help lists the machine and stops */
    ck_assert(parse(&o, err, 2, "-machine", "help") && o.help && o.printed_list);
    ck_assert(parse(&o, err, 2, "-M", "virt,help") && o.help && o.printed_list);
    static const struct {
        const char *spec, *why;
    } bad[] = {
        { "spike", "only the virt machine, not 'spike'" },
        { "type=sifive_u", "not 'sifive_u'" },
        { "virt,aclint=on", "aclint=on is not available" },
        { "virt,aia=aplic-imsic", "no AIA" },
        { "virt,acpi=on", "(accepted: off|auto)" },
        { "virt,accel=kvm", "accel=kvm" },
        { "virt,aia-guests=8", "0 to 7" },
        { "virt,usb=maybe", "on or off" },
        { "virt,dtb=my.dtb", "dtb= is not supported" },
        { "virt,frob=1", "unknown virt property 'frob' (rewind accepts: accel, aclint" },
        { "virt,aclint", "'aclint' is not a property" },
        { "virt,kernel=", "a non-empty value" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!parse(&o, err, 2, "-M", bad[i].spec), "%s accepted", bad[i].spec);
        ck_assert_msg(strstr(err, bad[i].why), "%s: '%s' lacks '%s'", bad[i].spec, err,
                      bad[i].why);
        ck_assert_msg(strstr(err, bad[i].spec), "%s: '%s' does not name it", bad[i].spec, err);
    }
}
END_TEST

START_TEST(test_bad_options_are_named)
{
    RunOptions o;
    char err[256];
    ck_assert(!parse(&o, err, 2, "-smp", "0"));
    ck_assert_ptr_nonnull(strstr(err, "-smp 0"));
    ck_assert(!parse(&o, err, 2, "-smp", "99"));
    ck_assert(!parse(&o, err, 2, "-m", "lots"));
    ck_assert_ptr_nonnull(strstr(err, "-m lots"));
    ck_assert(!parse(&o, err, 1, "-kernel"));
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    ck_assert(!parse(&o, err, 1, "--frobnicate"));
    ck_assert_ptr_nonnull(strstr(err, "--frobnicate"));
    ck_assert(!parse(&o, err, 2, "-d", "in_asm,bogus"));
    ck_assert_ptr_nonnull(strstr(err, "bogus"));
}
END_TEST

/* -accel, QEMU's spelling: thread=multi is the fast mode; the default and
 * thread=single are the deterministic engine; anything else is named. */
START_TEST(test_accel)
{
    RunOptions o;
    char err[256];
    ck_assert(parse(&o, err, 0) && !o.multi_thread);
    ck_assert(parse(&o, err, 2, "-accel", "tcg,thread=multi") && o.multi_thread);
    ck_assert(parse(&o, err, 2, "--accel", "accel=tcg,thread=multi") && o.multi_thread);
    ck_assert(parse(&o, err, 2, "-accel", "tcg") && !o.multi_thread);
    ck_assert(parse(&o, err, 4, "-accel", "tcg,thread=multi", "-accel", "tcg,thread=single") &&
              !o.multi_thread);
    ck_assert(!parse(&o, err, 2, "-accel", "kvm"));
    ck_assert_ptr_nonnull(strstr(err, "only tcg"));
    ck_assert(!parse(&o, err, 2, "-accel", "tcg,thread=many"));
    ck_assert_ptr_nonnull(strstr(err, "thread=many"));
    ck_assert(!parse(&o, err, 2, "-accel", ""));
    ck_assert(!parse(&o, err, 1, "-accel"));
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    ck_assert(parse(&o, err, 2, "-accel", "tcg,thread=multi"));
    ck_assert(!options_refuse_multi_thread(&o, "record", err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "rewind record cannot use it"));
    ck_assert(parse(&o, err, 2, "-accel", "tcg,thread=single"));
    ck_assert(options_refuse_multi_thread(&o, "record", err, sizeof(err)));
}
END_TEST

/* -cpu: the canonical form a trace records gives the set back, whatever
 * the set; defaults, case, aliases, zfh implying zfhmin; bad parts named. */
START_TEST(test_cpu_spec)
{
    char buf[512], err[256];
    uint64_t e;
    ck_assert(isa_parse_cpu("rv64", &e, err, sizeof(err)));
    ck_assert_uint_eq(e, isa_ext_default());
    ck_assert(e & ISA_BIT(ISA_ZBA));
    ck_assert(!(e & ISA_BIT(ISA_ZICOND)));
    uint64_t sets[] = { 0, isa_ext_default(), ISA_BIT(ISA_COUNT) - 1, ISA_BIT(ISA_ZICOND),
                        isa_ext_default() & ~ISA_BIT(ISA_SSTC) };
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        isa_format_cpu(sets[i], buf, sizeof(buf));
        ck_assert_msg(isa_parse_cpu(buf, &e, err, sizeof(err)), "%s: %s", buf, err);
        ck_assert_uint_eq(e, sets[i]);
    }
    ck_assert(isa_parse_cpu("rv64,ZBA=false,debug=off,Zihintpause=on,zfh=true", &e, err,
                            sizeof(err)));
    ck_assert(!(e & ISA_BIT(ISA_ZBA)) && !(e & ISA_BIT(ISA_SDTRIG)));
    ck_assert(e & ISA_BIT(ISA_ZFHMIN));
    ck_assert(!isa_parse_cpu("rv64,zba=yes", &e, err, sizeof(err)));
    ck_assert_str_eq(err, "zba: bad value 'yes' (on, off, true or false)");
    ck_assert(!isa_parse_cpu("rv64,,zba=on", &e, err, sizeof(err)));
    ck_assert(!isa_parse_cpu("rv64,=on", &e, err, sizeof(err)));
    ck_assert(!isa_parse_cpu("rv64x", &e, err, sizeof(err)));
    ck_assert(!isa_parse_cpu("rv64,zbx=on", &e, err, sizeof(err)));
    ck_assert_str_eq(err, "unknown extension 'zbx' (-cpu help lists them)");
    isa_dt_string(0, buf, sizeof(buf));
    ck_assert_str_eq(buf, "rv64imafdc_zicsr_zifencei");
    isa_dt_string(ISA_BIT(ISA_ZICOND) | ISA_BIT(ISA_SDTRIG) | ISA_BIT(ISA_SVPBMT), buf,
                  sizeof(buf));
    ck_assert_str_eq(buf, "rv64imafdc_zicond_zicsr_zifencei_svpbmt");
}
END_TEST

Suite *suite_options(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_run_options);
    tcase_add_test(tc, test_smp_topology);
    tcase_add_test(tc, test_qemu_options);
    tcase_add_test(tc, test_machine_option);
    tcase_add_test(tc, test_bad_options_are_named);
    tcase_add_test(tc, test_accel);
    tcase_add_test(tc, test_cpu_spec);
    suite_add_tcase(s, tc);
    return s;
}
