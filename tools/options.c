/* Parsing the machine options of `rewind run`. */
#include "tools/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/gdbstub.h"
#include "core/log.h"
#include "core/machine.h"

bool options_parse_size(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    unsigned shift;
    switch (toupper((unsigned char)*end)) {
    case '\0': shift = 20; break; /* MiB, as QEMU */
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    default: return false;
    }
    if (toupper((unsigned char)*end) == 'B' || toupper((unsigned char)*end) == 'I')
        end++; /* 256MB, 256MiB */
    if (*end == 'B')
        end++;
    if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

bool options_parse_count(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v == 0)
        return false;
    *out = v;
    return true;
}

bool options_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

void options_print_run_help(FILE *out)
{
    fprintf(out,
        "usage: rewind run [options]\n"
        "\n"
        "Machine (named as in QEMU):\n"
        "  -bios FILE|none     firmware at 0x80000000 (ELF or raw); default none.\n"
        "                      For Linux: -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin\n"
        "  -kernel FILE        ELF or raw image; with -bios none it runs first\n"
        "  -append STR         kernel command line\n"
        "  -initrd FILE        initial ramdisk, placed high in RAM\n"
        "  -serial SPEC        UART backend: stdio (default), file:PATH,\n"
        "                      tcp:HOST:PORT,server, none\n"
        "  -rtc base=utc|localtime|YYYY-MM-DDTHH:MM:SS\n"
        "  -drive file=IMG,format=raw[,if=virtio|none][,id=ID][,snapshot=on]\n"
        "                      (no if= and no -device using it: virtio, as QEMU's virt)\n"
        "  -device virtio-blk-device,drive=ID | virtio-rng-device\n"
        "  --dumpdtb FILE      write the generated device tree and exit\n"
        "  -m SIZE             RAM size: 256M, 2G, or MiB (default 128M)\n"
        "  -smp N              number of harts, 1-%d (default 1)\n"
        "  -nographic          accepted (the console is always on stdio)\n"
        "\n"
        "Time and determinism:\n"
        "  -icount shift=N|auto  virtual clock: 2^N ns per instruction (0-10);\n"
        "                      auto: 8 ns and paced to real time. Default: 10 ns\n"
        "  --quantum N         instructions per hart turn (default 10000; a turn\n"
        "                      holding an LR reservation goes on to its SC, at\n"
        "                      most 64 instructions more)\n"
        "  --digest-every N    print a state digest every N instructions\n"
        "\n"
        "Diagnostics:\n"
        "  -d CATEGORIES       log categories (comma separated; -d help lists them)\n"
        "  -D FILE             write the log to FILE instead of stderr\n"
        "  --stats             print execution statistics on stderr at exit\n"
        "\n"
        "Debugging (GDB remote protocol; harts are threads):\n"
        "  -gdb tcp:[HOST]:PORT  wait for GDB connections on HOST:PORT (loopback\n"
        "                      unless a host is named; port 0: any free port)\n"
        "  -s                  shorthand for -gdb " GDBSTUB_DEFAULT_SPEC "\n"
        "  -S                  do not start the harts until GDB says so (with\n"
        "                      the stub of -s unless -gdb is given)\n"
        "\n"
        "Bare-metal programs that define the HTIF symbols tohost/fromhost get a\n"
        "console and an exit path; rewind exits with the guest's exit code.\n",
        MACHINE_MAX_HARTS);
}

/* Machine options may be written with one dash or two, as in QEMU. */
static const char *canonical(const char *arg)
{
    if (arg[0] == '-' && arg[1] == '-' && arg[2])
        return arg + 1;
    return arg;
}

bool options_parse_run(RunOptions *o, int argc, char **argv, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->ram_size = 128ULL << 20;
    o->smp = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = canonical(argv[i]);
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        static const char *const with_value[] = {
            "-bios", "-kernel", "-append", "-initrd", "-m", "-smp", "-d", "-D",
            "-serial", "-rtc", "-drive", "-device", "-dumpdtb", "-icount",
            "-quantum", "-digest-every", "-gdb",
        };
        bool takes_value = false;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            if (strcmp(a, with_value[k]) == 0)
                takes_value = true;
        if (takes_value && !val) {
            snprintf(err, errlen, "option %s needs a value", argv[i]);
            return false;
        }
        if (strcmp(a, "-bios") == 0) {
            o->bios = strcmp(val, "none") == 0 ? NULL : val;
        } else if (strcmp(a, "-kernel") == 0) {
            o->kernel = val;
        } else if (strcmp(a, "-append") == 0) {
            o->append = val;
        } else if (strcmp(a, "-icount") == 0) {
            if (!icount_parse(val, &o->icount, err, errlen))
                return false;
        } else if (strcmp(a, "-quantum") == 0 || strcmp(a, "-digest-every") == 0) {
            bool q = a[1] == 'q';
            uint64_t v;
            if (!options_parse_count(val, &v) || (q && v > (1u << 30))) {
                snprintf(err, errlen, "%s %s: expected a number of instructions%s",
                         argv[i], val, q ? " from 1 to 2^30" : " (at least 1)");
                return false;
            }
            if (q)
                o->quantum = v;
            else
                o->digest_every = v;
        } else if (strcmp(a, "-initrd") == 0) {
            o->initrd = val;
        } else if (strcmp(a, "-dumpdtb") == 0) {
            o->dumpdtb = val;
        } else if (strcmp(a, "-serial") == 0) {
            o->serial = val;
        } else if (strcmp(a, "-rtc") == 0) {
            o->rtc = val;
        } else if (strcmp(a, "-drive") == 0 || strcmp(a, "-device") == 0) {
            bool drive = a[2] == 'r';
            const char **list = drive ? o->drives : o->devices;
            unsigned *n = drive ? &o->ndrives : &o->ndevices;
            if (*n == 8) {
                snprintf(err, errlen, "%s %s: at most 8 %s options", argv[i], val,
                         argv[i]);
                return false;
            }
            list[(*n)++] = val;
        } else if (strcmp(a, "-m") == 0) {
            const char *v = strncmp(val, "size=", 5) == 0 ? val + 5 : val;
            if (!options_parse_size(v, &o->ram_size) || (o->ram_size & 0xfff) ||
                o->ram_size > (64ULL << 30)) {
                snprintf(err, errlen, "-m %s: expected a size such as 256M or 2G "
                         "(a multiple of 4K, at most 64G)", val);
                return false;
            }
        } else if (strcmp(a, "-smp") == 0) {
            const char *v = strncmp(val, "cpus=", 5) == 0 ? val + 5 : val;
            if (!options_parse_uint(v, 1, MACHINE_MAX_HARTS, &o->smp)) {
                snprintf(err, errlen, "-smp %s: expected a number of harts from 1 to %d",
                         val, MACHINE_MAX_HARTS);
                return false;
            }
        } else if (strcmp(a, "-d") == 0) {
            if (strcmp(val, "help") == 0) {
                log_print_categories(stdout);
                o->help = true;
                o->listed_log_categories = true;
                return true;
            }
            char why[128];
            if (!log_parse(val, &o->log_mask, why, sizeof(why))) {
                snprintf(err, errlen, "-d %s: %s", val, why);
                return false;
            }
        } else if (strcmp(a, "-D") == 0) {
            o->log_file = val;
        } else if (strcmp(a, "-gdb") == 0 || strcmp(argv[i], "-s") == 0 ||
                   strcmp(argv[i], "-S") == 0) {
            if (options_parse_gdb(o, argc, argv, i, err, errlen) < 0)
                return false;
        } else if (strcmp(a, "-nographic") == 0) {
            /* accepted: the console is on stdio already */
        } else if (strcmp(a, "-stats") == 0) {
            o->stats = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0) {
            o->help = true;
            return true;
        } else {
            snprintf(err, errlen, "unknown option '%s' (see rewind run --help)", argv[i]);
            return false;
        }
        if (takes_value)
            i++;
    }
    return true;
}

int options_parse_gdb(RunOptions *o, int argc, char **argv, int i, char *err, size_t errlen)
{
    const char *a = canonical(argv[i]);
    if (strcmp(argv[i], "-s") == 0) {
        o->gdb = GDBSTUB_DEFAULT_SPEC;
        return 1;
    }
    if (strcmp(argv[i], "-S") == 0) {
        o->gdb_wait = true;
        return 1;
    }
    if (strcmp(a, "-gdb") != 0)
        return 0;
    if (i + 1 >= argc) {
        snprintf(err, errlen, "option %s needs a value", argv[i]);
        return -1;
    }
    char host[64], why[160];
    unsigned port;
    if (!gdbstub_parse_spec(argv[i + 1], host, sizeof(host), &port, why, sizeof(why))) {
        snprintf(err, errlen, "-gdb %s", why);
        return -1;
    }
    o->gdb = argv[i + 1];
    return 2;
}
