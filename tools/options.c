/* Parsing the machine options of `rewind run`. */
#include "tools/options.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/gdbstub.h"
#include "core/isa.h"
#include "core/log.h"
#include "core/machine.h"

/* The scale of a size suffix letter (QEMU's: K M G T, either case; B is
 * bytes), or 0 when c is none of them. */
static unsigned size_suffix_shift(char c, bool *is_suffix)
{
    *is_suffix = true;
    switch (toupper((unsigned char)c)) {
    case 'B': return 0;
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    default: *is_suffix = false; return 0;
    }
}

bool options_parse_size(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    uint64_t whole = 0;
    const char *p = s;
    for (; isdigit((unsigned char)*p); p++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return false;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    /* The fraction as num / den, den a power of ten; digits past 18 can
     * change the result by less than a byte's worth at 2^40 and are
     * dropped (the value is truncated to a byte anyway). */
    uint64_t num = 0, den = 1;
    bool fraction = *p == '.';
    if (fraction)
        for (p++; isdigit((unsigned char)*p); p++)
            if (den < 1000000000000000000ULL) {
                num = num * 10 + (uint64_t)(*p - '0');
                den *= 10;
            }
    bool suffix;
    unsigned shift = size_suffix_shift(*p, &suffix);
    if (suffix) {
        bool bytes = toupper((unsigned char)*p) == 'B';
        p++;
        if (!bytes && (p[0] == 'i' || p[0] == 'I') && toupper((unsigned char)p[1]) == 'B')
            p += 2; /* 1GiB */
        else if (!bytes && toupper((unsigned char)*p) == 'B')
            p++; /* 256MB */
    } else {
        shift = 20; /* a plain number is MiB, as QEMU's -m */
    }
    /* As QEMU: a fraction needs a scale written out (1.5G, not 1.5). */
    if (*p != '\0' || (fraction && (!suffix || shift == 0)) || whole > (UINT64_MAX >> shift))
        return false;
    uint64_t v = whole << shift;
    uint64_t part = (uint64_t)(((unsigned __int128)num << shift) / den);
    if (v > UINT64_MAX - part || v + part == 0)
        return false;
    *out = v + part;
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

/* ------------------------------------------------ QEMU option lists */

/* One element of a QEMU option list ("virt,aclint=off", "2,sockets=1"):
 * key is empty for an element without '=' (QEMU's implied key), and ",,"
 * stands for a literal ','. Advances *p; false at the end of the list or
 * when a part does not fit (then *overflow is set). */
static bool optlist_next(const char **p, char *key, size_t keycap, char *val, size_t valcap,
                         bool *overflow)
{
    *overflow = false;
    if (!*p)
        return false;
    const char *s = *p;
    size_t kn = 0, vn = 0;
    const char *eq = NULL;
    for (const char *q = s; *q && *q != ','; q++)
        if (*q == '=') {
            eq = q;
            break;
        }
    if (eq) {
        kn = (size_t)(eq - s);
        if (kn >= keycap) {
            *overflow = true;
            return false;
        }
        memcpy(key, s, kn);
        s = eq + 1;
    }
    key[kn] = '\0';
    for (;; s++) {
        if (*s == ',' && s[1] == ',')
            s++; /* ",," is one ',' in the value */
        else if (*s == ',' || *s == '\0')
            break;
        if (vn + 1 >= valcap) {
            *overflow = true;
            return false;
        }
        val[vn++] = *s;
    }
    val[vn] = '\0';
    *p = *s ? s + 1 : NULL;
    return true;
}

/* Keep a copy of v in o's value store: NULL when full. */
static const char *options_keep(RunOptions *o, const char *v)
{
    size_t n = strlen(v) + 1;
    if (n > sizeof(o->values) - o->values_used)
        return NULL;
    char *dst = o->values + o->values_used;
    memcpy(dst, v, n);
    o->values_used += n;
    return dst;
}

static void options_note(RunOptions *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void options_note(RunOptions *o, const char *fmt, ...)
{
    if (o->nnotes == OPTIONS_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->notes[o->nnotes++], sizeof(o->notes[0]), fmt, ap);
    va_end(ap);
}

void options_print_notes(const RunOptions *o, const char *prefix, FILE *out)
{
    for (unsigned i = 0; i < o->nnotes; i++)
        fprintf(out, "%snote: %s\n", prefix, o->notes[i]);
}

/* QEMU's spellings of a boolean: 1 on, 0 off, -1 neither. */
static int options_bool(const char *v)
{
    static const char *const on[] = { "on", "yes", "true", "y" };
    static const char *const off[] = { "off", "no", "false", "n" };
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, on[i]) == 0)
            return 1;
        if (strcmp(v, off[i]) == 0)
            return 0;
    }
    return -1;
}

/* ------------------------------------------------------------ -machine */

/* How rewind takes a property of QEMU's virt machine. */
typedef enum {
    MPROP_SAME,     /* the values in `ok` are what rewind's virt is: accepted */
    MPROP_BOOL_ANY, /* on or off: no effect on the guest either way; the
                     * value in `ok`, if any, asks the host for something
                     * rewind does not do: accepted with a note */
    MPROP_COUNT,    /* 0 to 7: no effect (see why) */
    MPROP_STRING,   /* a file or text, as the named option */
} MachinePropKind;

typedef struct MachineProp {
    const char *name;
    MachinePropKind kind;
    const char *ok;  /* MPROP_SAME: accepted values, '|' separated;
                      * MPROP_BOOL_ANY: the value that gets a note */
    const char *why; /* what rewind's virt does (help and errors) */
} MachineProp;

static const MachineProp virt_props[] = {
    { "accel", MPROP_SAME, "tcg",
      "rewind's own translator, as QEMU's TCG (kvm:tcg falls back to it)" },
    { "aclint", MPROP_SAME, "off", "a SiFive CLINT; ACLINT devices are not emulated" },
    { "acpi", MPROP_SAME, "off|auto", "no ACPI tables (no fw_cfg): the guest gets a device tree" },
    { "aia", MPROP_SAME, "none", "interrupts through the PLIC; no AIA (APLIC, IMSIC)" },
    { "aia-guests", MPROP_COUNT, NULL, "IMSIC guest files: no effect with aia=none" },
    { "append", MPROP_STRING, NULL, "as -append" },
    { "dump-guest-core", MPROP_BOOL_ANY, "off",
      "host core dumps: guest RAM is ordinary memory, always in them" },
    { "dumpdtb", MPROP_STRING, NULL, "as --dumpdtb FILE" },
    { "firmware", MPROP_STRING, NULL, "as -bios" },
    { "graphics", MPROP_BOOL_ANY, NULL, "virt has no display device either way" },
    { "initrd", MPROP_STRING, NULL, "as -initrd" },
    { "kernel", MPROP_STRING, NULL, "as -kernel" },
    { "mem-merge", MPROP_BOOL_ANY, "on", "host memory merging (KSM): never asked for" },
    { "usb", MPROP_BOOL_ANY, NULL, "virt has no USB controller either way" },
};

#define NPROPS (sizeof(virt_props) / sizeof(virt_props[0]))

static const MachineProp *machine_prop(const char *name)
{
    for (size_t i = 0; i < NPROPS; i++)
        if (strcmp(virt_props[i].name, name) == 0)
            return &virt_props[i];
    return NULL;
}

/* Is v one of the '|'-separated values of list? ("tcg" also inside an
 * accelerator list such as "kvm:tcg", which falls back to it.) */
static bool value_in(const char *list, const char *v, bool colon_list)
{
    size_t vl = strlen(v);
    for (const char *p = list; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL) {
        size_t n = strchr(p, '|') ? (size_t)(strchr(p, '|') - p) : strlen(p);
        if (n == vl && strncmp(p, v, n) == 0)
            return true;
        if (colon_list)
            for (const char *q = v; q; q = strchr(q, ':') ? strchr(q, ':') + 1 : NULL) {
                size_t qn = strchr(q, ':') ? (size_t)(strchr(q, ':') - q) : strlen(q);
                if (qn == n && strncmp(p, q, n) == 0)
                    return true;
            }
    }
    return false;
}

static void machine_print_help(FILE *out, bool props)
{
    if (!props) {
        fprintf(out, "Supported machines are:\n"
                     "virt                 RISC-V VirtIO board (default)\n");
        return;
    }
    fprintf(out, "virt-machine options accepted by rewind:\n");
    for (size_t i = 0; i < NPROPS; i++) {
        const MachineProp *mp = &virt_props[i];
        const char *vals = mp->kind == MPROP_SAME ? mp->ok
                         : mp->kind == MPROP_BOOL_ANY ? "on|off"
                         : mp->kind == MPROP_COUNT ? "0-7" : "<string>";
        char both[64];
        snprintf(both, sizeof(both), "%s=%s", mp->name, vals);
        fprintf(out, "  %-24s - %s\n", both, mp->why);
    }
}

static void machine_list_props(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NPROPS && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                                 virt_props[i].name);
}

/* -machine / -M [type=]virt[,PROP=VALUE...] or help. */
static bool parse_machine(RunOptions *o, const char *opt, const char *spec, char *err,
                          size_t errlen)
{
    const char *p = spec;
    char key[32], val[1024];
    bool overflow, first = true;
    while (optlist_next(&p, key, sizeof(key), val, sizeof(val), &overflow)) {
        bool is_type = (first && !key[0]) || strcmp(key, "type") == 0;
        first = false;
        if (is_type || strcmp(val, "help") == 0) {
            if (strcmp(val, "help") == 0) {
                /* -machine help: the machines; -machine virt,help: its properties */
                machine_print_help(stdout, !is_type || strcmp(spec, "help") != 0);
                o->help = true;
                o->printed_list = true;
                return true;
            }
            if (strcmp(val, "virt") != 0) {
                snprintf(err, errlen, "%s %s: rewind emulates only the virt machine, not '%s' "
                         "(%s help lists it)", opt, spec, val, opt);
                return false;
            }
            continue;
        }
        const MachineProp *mp = key[0] ? machine_prop(key) : NULL;
        if (!mp) {
            char names[400];
            machine_list_props(names, sizeof(names));
            if (!key[0])
                snprintf(err, errlen, "%s %s: '%s' is not a property (expected NAME=VALUE; "
                         "the machine comes first)", opt, spec, val);
            else if (strcmp(key, "dtb") == 0)
                snprintf(err, errlen, "%s %s: dtb= is not supported: rewind generates the "
                         "device tree (--dumpdtb FILE writes it)", opt, spec);
            else
                snprintf(err, errlen, "%s %s: unknown virt property '%s' (rewind accepts: %s; "
                         "%s virt,help says what each does)", opt, spec, key, names, opt);
            return false;
        }
        bool ok;
        switch (mp->kind) {
        case MPROP_SAME:
            ok = value_in(mp->ok, val, strcmp(mp->name, "accel") == 0) ||
                 (options_bool(val) == 0 && value_in(mp->ok, "off", false));
            break;
        case MPROP_BOOL_ANY:
            ok = options_bool(val) >= 0;
            if (ok && mp->ok && options_bool(val) == options_bool(mp->ok))
                options_note(o, "%s %s=%s: ignored (%s)", opt, key, val, mp->why);
            break;
        case MPROP_COUNT:
            ok = val[0] >= '0' && val[0] <= '7' && val[1] == '\0';
            break;
        case MPROP_STRING: {
            const char *kept = val[0] ? options_keep(o, val) : NULL;
            ok = kept != NULL;
            if (!ok)
                break;
            if (strcmp(key, "append") == 0)
                o->append = kept;
            else if (strcmp(key, "dumpdtb") == 0)
                o->dumpdtb = kept;
            else if (strcmp(key, "firmware") == 0)
                o->bios = strcmp(kept, "none") == 0 ? NULL : kept;
            else if (strcmp(key, "initrd") == 0)
                o->initrd = kept;
            else
                o->kernel = kept;
            break;
        }
        default:
            ok = false;
        }
        if (!ok) {
            const char *want = mp->kind == MPROP_SAME ? mp->ok
                             : mp->kind == MPROP_BOOL_ANY ? "on or off"
                             : mp->kind == MPROP_COUNT ? "0 to 7" : "a non-empty value";
            snprintf(err, errlen, "%s %s: %s=%s is not available: rewind's virt has %s "
                     "(accepted: %s)", opt, spec, key, val, mp->why, want);
            return false;
        }
    }
    if (overflow) {
        snprintf(err, errlen, "%s %s: a property or value is too long", opt, spec);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- -smp */

bool options_parse_smp(const char *spec, SmpTopology *t, char *err, size_t errlen)
{
    static const char *const names[] = {
        "cpus", "maxcpus", "sockets", "cores", "threads", "dies", "clusters", "books", "drawers",
    };
    enum { N = sizeof(names) / sizeof(names[0]) };
    uint64_t v[N] = { 0 };
    const char *p = spec;
    char key[32], val[32];
    bool overflow, first = true;
    while (optlist_next(&p, key, sizeof(key), val, sizeof(val), &overflow)) {
        size_t k = 0;
        if (key[0] || !first)
            for (k = 0; k < N && strcmp(key, names[k]) != 0; k++)
                ;
        first = false;
        if (k == N) {
            snprintf(err, errlen, "unknown parameter '%s' (expected [cpus=]N, maxcpus, "
                     "sockets, cores, threads)", key[0] ? key : val);
            return false;
        }
        uint64_t n;
        if (!options_parse_count(val, &n) || n > 4096) {
            snprintf(err, errlen, "%s=%s: expected a number from 1 (CPU topology parameters "
                     "must be greater than zero)", names[k], val);
            return false;
        }
        v[k] = n;
    }
    if (overflow || p) {
        snprintf(err, errlen, "a value is too long");
        return false;
    }
    for (size_t k = 5; k < N; k++)
        if (v[k] > 1) {
            snprintf(err, errlen, "%s not supported by the virt machine's CPU topology "
                     "(only %s=1)", names[k], names[k]);
            return false;
        }
    uint64_t cpus = v[0], maxcpus = v[1], sockets = v[2], cores = v[3], threads = v[4];
    /* QEMU's rules (since 6.2): without cpus and maxcpus, missing levels are
     * 1; otherwise cores are computed before sockets, threads last. */
    if (!cpus && !maxcpus) {
        sockets = sockets ? sockets : 1;
        cores = cores ? cores : 1;
        threads = threads ? threads : 1;
    } else {
        maxcpus = maxcpus ? maxcpus : cpus;
        if (!cores) {
            sockets = sockets ? sockets : 1;
            threads = threads ? threads : 1;
            cores = maxcpus / (sockets * threads);
        } else if (!sockets) {
            threads = threads ? threads : 1;
            sockets = maxcpus / (cores * threads);
        }
        if (!threads)
            threads = maxcpus / (sockets * cores);
    }
    uint64_t total = sockets * cores * threads;
    maxcpus = maxcpus ? maxcpus : total;
    cpus = cpus ? cpus : maxcpus;
    if (total != maxcpus) {
        snprintf(err, errlen, "invalid CPU topology: sockets (%llu) * cores (%llu) * threads "
                 "(%llu) != maxcpus (%llu)", (unsigned long long)sockets,
                 (unsigned long long)cores, (unsigned long long)threads,
                 (unsigned long long)maxcpus);
        return false;
    }
    if (maxcpus < cpus) {
        snprintf(err, errlen, "invalid CPU topology: maxcpus (%llu) must be equal to or "
                 "greater than cpus (%llu)", (unsigned long long)maxcpus,
                 (unsigned long long)cpus);
        return false;
    }
    if (maxcpus != cpus) {
        snprintf(err, errlen, "maxcpus (%llu) is more than cpus (%llu): rewind has no CPU "
                 "hotplug, so maxcpus must equal cpus", (unsigned long long)maxcpus,
                 (unsigned long long)cpus);
        return false;
    }
    if (cpus > MACHINE_MAX_HARTS) {
        snprintf(err, errlen, "%llu harts: rewind runs 1 to %d", (unsigned long long)cpus,
                 MACHINE_MAX_HARTS);
        return false;
    }
    *t = (SmpTopology){ .cpus = (unsigned)cpus, .maxcpus = (unsigned)maxcpus,
                        .sockets = (unsigned)sockets, .cores = (unsigned)cores,
                        .threads = (unsigned)threads };
    return true;
}

/* ------------------------------------------------------- -name, -m */

/* -name [guest=]NAME[,process=NAME][,debug-threads=on|off] */
static bool parse_name(RunOptions *o, const char *spec, char *err, size_t errlen)
{
    const char *p = spec;
    char key[32], val[256];
    bool overflow, first = true;
    while (optlist_next(&p, key, sizeof(key), val, sizeof(val), &overflow)) {
        bool guest = (first && !key[0]) || strcmp(key, "guest") == 0;
        first = false;
        if (guest) {
            if (!val[0] || !(o->name = options_keep(o, val))) {
                snprintf(err, errlen, "-name %s: expected a name", spec);
                return false;
            }
        } else if (strcmp(key, "process") == 0 || strcmp(key, "debug-threads") == 0) {
            if (key[0] == 'd' && options_bool(val) < 0) {
                snprintf(err, errlen, "-name %s: debug-threads expects on or off", spec);
                return false;
            }
            options_note(o, "-name %s=%s: ignored (rewind's process and threads keep "
                         "their names)", key, val);
        } else {
            snprintf(err, errlen, "-name %s: unknown parameter '%s' (expected [guest=]NAME, "
                     "process=NAME, debug-threads=on|off)", spec, key[0] ? key : val);
            return false;
        }
    }
    if (overflow) {
        snprintf(err, errlen, "-name %s: too long (at most 255 bytes)", spec);
        return false;
    }
    return true;
}

/* -m [size=]SIZE: rounded up to 8 KiB as QEMU does. */
static bool parse_memory(RunOptions *o, const char *spec, char *err, size_t errlen)
{
    const char *p = spec;
    char key[32], val[64];
    bool overflow, first = true, ok = true;
    while (ok && optlist_next(&p, key, sizeof(key), val, sizeof(val), &overflow)) {
        if ((first && !key[0]) || strcmp(key, "size") == 0) {
            ok = options_parse_size(val, &o->ram_size) && o->ram_size <= (64ULL << 30);
        } else if (strcmp(key, "slots") == 0 || strcmp(key, "maxmem") == 0) {
            snprintf(err, errlen, "-m %s: %s= is for memory hotplug, which rewind does not "
                     "have", spec, key);
            return false;
        } else {
            ok = false;
        }
        first = false;
    }
    if (!ok || overflow || first) {
        snprintf(err, errlen, "-m %s: expected a size such as 256M, 1.5G or 2G (suffixes K M "
                 "G T, MiB without one; at most 64G)", spec);
        return false;
    }
    o->ram_size = (o->ram_size + 8191) & ~8191ULL;
    return true;
}

void options_print_run_help(FILE *out)
{
    fprintf(out,
        "usage: rewind run [options]\n"
        "\n"
        "Machine (named as in QEMU; see README.md for what QEMU options rewind\n"
        "accepts and which it ignores):\n"
        "  -M, -machine virt[,PROP=VALUE...]  the only machine (virt); -machine help,\n"
        "                      -machine virt,help list machines and properties\n"
        "  -bios FILE|none     firmware at 0x80000000 (ELF or raw); default none.\n"
        "                      For Linux: -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin\n"
        "  -kernel FILE        ELF or raw image; with -bios none it runs first\n"
        "  -append STR         kernel command line\n"
        "  -initrd FILE        initial ramdisk, placed high in RAM\n"
        "  -serial SPEC        the UART's backend (one: virt has one UART): stdio\n"
        "                      (default), pty, file:PATH, tcp:HOST:PORT,server, none\n"
        "  -rtc base=utc|localtime|YYYY-MM-DDTHH:MM:SS\n"
        "  -drive file=IMG,format=raw[,if=virtio|none][,id=ID][,snapshot=on]\n"
        "                      (no if= and no -device using it: virtio, as QEMU's virt)\n"
        "  -device virtio-blk-device,drive=ID | virtio-rng-device\n"
        "  -device virtio-net-device,netdev=ID[,mac=MAC]\n"
        "  -netdev user,id=ID[,net=ADDR[/MASK]][,hostfwd=[tcp|udp]:[HADDR]:HPORT-[GADDR]:GPORT]...\n"
        "                      user-mode networking (libslirp): the guest is 10.0.2.15,\n"
        "                      the host 10.0.2.2, DNS 10.0.2.3; record logs every frame\n"
        "  -nic user[,mac=MAC][,net=...][,hostfwd=...]  a netdev and its virtio-net NIC\n"
        "  -object filter-dump,id=F,netdev=ID,file=FILE[,maxlen=N]\n"
        "                      write the netdev's frames (both ways) to FILE as pcap,\n"
        "                      stamped with their icount (rewind dump --pcap does the\n"
        "                      same from a trace)\n"
        "  --dumpdtb FILE      write the generated device tree and exit\n"
        "  -cpu rv64[,EXT=on|off...]  the ISA extensions beyond RV64GC (zba, zbb,\n"
        "                      zbc, zbs, zicond, zihintpause, sstc, zicbom, zicboz,\n"
        "                      zicbop, svinval, svnapot, svpbmt, sdtrig, zfh,\n"
        "                      zfhmin; on/off or\n"
        "                      true/false); default: QEMU 7.2's -M virt set.\n"
        "                      -cpu help lists them. Recorded in a trace.\n"
        "  -m SIZE             RAM: 256M, 1.5G, 2G, or MiB (default 128M; rounded up\n"
        "                      to 8K as QEMU)\n"
        "  -smp [cpus=]N[,sockets=S][,cores=C][,threads=T][,maxcpus=N]\n"
        "                      harts, 1-%d (default 1); N = S x C x T\n"
        "  -no-reboot          a guest reset ends the run with exit code 0\n"
        "  -name NAME          a label for --stats and the trace\n"
        "  -nodefaults         no default serial: without -serial, the UART's\n"
        "                      output is discarded (as QEMU)\n"
        "  -nographic, -display none, -monitor none\n"
        "                      accepted (no display, no monitor; the console is on\n"
        "                      stdio unless -serial says otherwise)\n"
        "\n"
        "Time and determinism:\n"
        "  -icount shift=N|auto  virtual clock: 2^N ns per instruction (0-10);\n"
        "                      auto: 8 ns and paced to real time. Default: 10 ns\n"
        "  --quantum N         instructions per hart turn (default 10000, with\n"
        "                      one hart 100000; a turn holding an LR\n"
        "                      reservation goes on to its SC, at most 64\n"
        "                      instructions more)\n"
        "  --digest-every N    print a state digest every N instructions\n"
        "  --chaos[=SEED]      chaos scheduling: with several harts, each round\n"
        "                      runs them in a random order, each turn gets a\n"
        "                      quantum log-uniform in 1..100000, and 1 turn in 16\n"
        "                      (at most half of the run) starts an episode where\n"
        "                      a random hart is not run for 10..10^9 instructions\n"
        "                      (log-uniform); with one hart, the clock rate is\n"
        "                      drawn (1/4 to 4 times -icount's). Deterministic\n"
        "                      given SEED (without one, a seed is drawn and\n"
        "                      printed); record keeps it in the trace, so the\n"
        "                      replay has the same schedule (docs/chaos.md)\n"
        "  -accel tcg[,thread=single|multi]  thread=single (default): the\n"
        "                      deterministic engine, harts take turns on one thread.\n"
        "                      thread=multi: the fast mode, one host thread per hart\n"
        "                      at full speed, time from the host clock (mtime follows\n"
        "                      real time): NOT deterministic (runs differ); either\n"
        "                      backend; without -icount, --quantum,\n"
        "                      --digest-every or -s/-gdb; --from-checkpoint goes on\n"
        "                      in it; --until\n"
        "                      COND --save-checkpoint FILE hands off from it (below),\n"
        "                      as record --fast-forward-until does. -accel help lists\n"
        "                      the modes.\n"
        "\n"
        "Engine (the results do not depend on these):\n"
        "%s"
        "\n"
        "Diagnostics:\n"
        "  -d CATEGORIES       log categories (comma separated; -d help lists them):\n"
        "                      in_asm, out_asm (host code, disassembled with\n"
        "                      capstone; with in_asm, after each guest\n"
        "                      instruction), exec, int, mmu, unimp\n"
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
        MACHINE_MAX_HARTS, options_engine_help);
}

const char options_engine_help[] =
    "  --backend native|portable  how translated code runs: host code (x86-64\n"
    "                      hosts, the default there) or the ops' handlers\n"
    "                      (default elsewhere; $REWIND_BACKEND sets the default)\n"
    "  --code-buffer SIZE  translated code kept before a full flush (default\n"
    "                      64M, for the ops and for the host code each)\n";

static const char *canonical(const char *arg);

int options_parse_cpu(RunOptions *o, int argc, char **argv, int i, char *err, size_t errlen)
{
    if (strcmp(canonical(argv[i]), "-cpu") != 0)
        return 0;
    if (i + 1 >= argc) {
        snprintf(err, errlen, "option %s needs a value (-cpu help lists the extensions)",
                 argv[i]);
        return -1;
    }
    const char *val = argv[i + 1];
    if (strcmp(val, "help") == 0 || strcmp(val, "?") == 0) {
        isa_print_help(stdout);
        o->help = true;
        o->printed_list = true;
        return 2;
    }
    char why[200];
    if (!isa_parse_cpu(val, &o->isa_ext, why, sizeof(why))) {
        snprintf(err, errlen, "-cpu %s: %s", val, why);
        return -1;
    }
    o->cpu = val;
    return 2;
}

int options_parse_engine(RunOptions *o, int argc, char **argv, int i, char *err,
                         size_t errlen)
{
    const char *a = argv[i];
    if (a[0] == '-' && a[1] == '-')
        a++;
    bool backend = strcmp(a, "-backend") == 0;
    if (!backend && strcmp(a, "-code-buffer") != 0)
        return 0;
    if (i + 1 >= argc) {
        snprintf(err, errlen, "option %s needs a value", argv[i]);
        return -1;
    }
    const char *val = argv[i + 1];
    if (backend) {
        if (!strcmp(val, "native")) {
            o->backend = MACHINE_BACKEND_NATIVE;
        } else if (!strcmp(val, "portable")) {
            o->backend = MACHINE_BACKEND_PORTABLE;
        } else {
            snprintf(err, errlen, "%s %s: expected native or portable", argv[i], val);
            return -1;
        }
    } else if (!options_parse_size(val, &o->code_buffer_size) ||
               o->code_buffer_size < (1u << 20) || o->code_buffer_size > (4ULL << 30)) {
        snprintf(err, errlen, "%s %s: expected a size from 1M to 4G, such as 16M", argv[i],
                 val);
        return -1;
    }
    return 2;
}

/* ---------------------------------------------------------------- -accel */

int options_parse_accel(RunOptions *o, int argc, char **argv, int i, char *err,
                        size_t errlen)
{
    const char *a = argv[i];
    if (a[0] == '-' && a[1] == '-')
        a++;
    if (strcmp(a, "-accel") != 0)
        return 0;
    if (i + 1 >= argc) {
        snprintf(err, errlen, "option %s needs a value", argv[i]);
        return -1;
    }
    const char *spec = argv[i + 1];
    if (strcmp(spec, "help") == 0) {
        printf("Accelerators supported by rewind:\n"
               "tcg  (thread=single: the deterministic engine, the default;\n"
               "      thread=multi: the fast mode, one host thread per hart, not deterministic)\n");
        o->help = true;
        o->printed_list = true;
        return 2;
    }
    /* [accel=]tcg, then PROP=VALUE items. */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", spec);
    char *save = NULL;
    bool first = true, multi = false;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        const char *name = item;
        if (first) {
            first = false;
            if (strncmp(item, "accel=", 6) == 0)
                name = item + 6;
            if (strcmp(name, "tcg") != 0) {
                snprintf(err, errlen, "-accel %s: rewind has only tcg (its own translator); "
                         "-accel help lists it", spec);
                return -1;
            }
            continue;
        }
        if (strcmp(item, "thread=multi") == 0) {
            multi = true;
        } else if (strcmp(item, "thread=single") == 0) {
            multi = false;
        } else {
            snprintf(err, errlen, "-accel %s: '%s' is not a tcg property rewind knows "
                     "(thread=single or thread=multi)", spec, item);
            return -1;
        }
    }
    if (first) {
        snprintf(err, errlen, "-accel %s: expected tcg[,thread=single|multi]", spec);
        return -1;
    }
    o->multi_thread = multi;
    return 2;
}

bool options_refuse_multi_thread(const RunOptions *o, const char *command, char *err,
                                 size_t errlen)
{
    if (!o->multi_thread)
        return true;
    snprintf(err, errlen, "-accel tcg,thread=multi: the fast mode is not deterministic, so "
             "rewind %s cannot use it (it runs the deterministic engine, thread=single); "
             "use rewind run -accel tcg,thread=multi%s", command,
             strcmp(command, "record") ? ""
                 : " (or rewind record --fast-forward-until COND -accel tcg,thread=multi: "
                   "the fast mode up to COND, then a recording)");
    return false;
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
    o->topology = (SmpTopology){ 1, 1, 1, 1, 1 };
    o->isa_ext = isa_ext_default();
    const char *first_serial = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = canonical(argv[i]);
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k = options_parse_engine(o, argc, argv, i, err, errlen);
        if (k == 0)
            k = options_parse_accel(o, argc, argv, i, err, errlen);
        if (k == 0)
            k = options_parse_cpu(o, argc, argv, i, err, errlen);
        if (k < 0)
            return false;
        if (k > 0 && o->help)
            return true; /* -accel help, -cpu help */
        if (k > 0) {
            i += k - 1;
            continue;
        }
        static const char *const with_value[] = {
            "-bios", "-kernel", "-append", "-initrd", "-m", "-smp", "-d", "-D",
            "-serial", "-rtc", "-drive", "-device", "-dumpdtb", "-icount",
            "-quantum", "-digest-every", "-gdb", "-M", "-machine", "-name", "-display",
            "-monitor", "-netdev", "-nic", "-object",
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
        } else if (strcmp(a, "-M") == 0 || strcmp(a, "-machine") == 0) {
            if (!parse_machine(o, argv[i], val, err, errlen))
                return false;
            if (o->help)
                return true;
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
            if (first_serial) {
                snprintf(err, errlen, "-serial %s: a second -serial (after -serial %s), but "
                         "the virt machine has one UART", val, first_serial);
                return false;
            }
            first_serial = o->serial = val;
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
        } else if (strcmp(a, "-netdev") == 0 || strcmp(a, "-nic") == 0 ||
                   strcmp(a, "-object") == 0) {
            bool nic = a[2] == 'i', obj = a[1] == 'o';
            const char **list = obj ? o->objects : nic ? o->nics : o->netdevs;
            unsigned *n = obj ? &o->nobjects : nic ? &o->nnics : &o->nnetdevs;
            if (*n == 8) {
                snprintf(err, errlen, "%s %s: at most 8 %s options", argv[i], val, argv[i]);
                return false;
            }
            list[(*n)++] = val;
        } else if (strcmp(a, "-m") == 0) {
            if (!parse_memory(o, val, err, errlen))
                return false;
        } else if (strcmp(a, "-smp") == 0) {
            char why[200];
            if (!options_parse_smp(val, &o->topology, why, sizeof(why))) {
                snprintf(err, errlen, "-smp %s: %s", val, why);
                return false;
            }
            o->smp = o->topology.cpus;
        } else if (strcmp(a, "-name") == 0) {
            if (!parse_name(o, val, err, errlen))
                return false;
        } else if (strcmp(a, "-display") == 0 || strcmp(a, "-monitor") == 0) {
            /* rewind has neither a display nor QEMU's monitor: "none" asks
             * for what is already so; anything else would be missed. */
            if (strcmp(val, "none") != 0) {
                snprintf(err, errlen, "%s %s: rewind has no %s: only %s none is accepted%s",
                         argv[i], val, a[1] == 'd' ? "display" : "QEMU monitor", argv[i],
                         a[1] == 'd' ? " (the console is on -serial)"
                                     : " (for debugging: -s and GDB, or rewind debug)");
                return false;
            }
        } else if (strcmp(a, "-no-reboot") == 0) {
            o->no_reboot = true;
        } else if (strcmp(a, "-nodefaults") == 0) {
            o->nodefaults = true;
        } else if (strcmp(a, "-d") == 0) {
            if (strcmp(val, "help") == 0) {
                log_print_categories(stdout);
                o->help = true;
                o->printed_list = true;
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
        } else if (strcmp(a, "-chaos") == 0 || strncmp(a, "-chaos=", 7) == 0) {
            o->chaos = true;
            if (a[6] == '=') {
                uint64_t seed = 0;
                const char *p = a + 7;
                bool digits = *p != 0;
                for (const char *q = p; *q; q++)
                    digits = digits && *q >= '0' && *q <= '9';
                if (!digits || (strcmp(p, "0") != 0 && !options_parse_count(p, &seed))) {
                    snprintf(err, errlen, "%s: the seed must be a decimal number", argv[i]);
                    return false;
                }
                o->chaos_seed = seed;
                o->chaos_seed_given = true;
            }
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
    if (o->nodefaults && !o->serial) {
        /* As QEMU: -nodefaults drops the default serial backend, so the
         * UART is there but connected to nothing. */
        o->serial = "none";
        options_note(o, "-nodefaults without -serial: the UART's output is discarded, as "
                     "in QEMU (add -serial stdio to see the console)");
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

void options_apply_chaos(RunOptions *o, MachineConfig *cfg, const char *who)
{
    if (!o->chaos)
        return;
    if (!o->chaos_seed_given) {
        o->chaos_seed = chaos_random_seed(); /* the only host entropy: printed */
        o->chaos_seed_given = true;
    }
    chaos_config_default(&cfg->chaos, o->chaos_seed);
    if (cfg->nharts == 1) {
        cfg->icount.ns_per_insn = chaos_clock_ns_per_insn(&cfg->chaos, cfg->icount.ns_per_insn);
        fprintf(stderr, "rewind %s: chaos seed %" PRIu64 " (one hart: the clock runs at %"
                PRIu64 " ns per instruction; --chaos=%" PRIu64 " repeats this run)\n", who,
                o->chaos_seed, cfg->icount.ns_per_insn, o->chaos_seed);
    } else {
        fprintf(stderr, "rewind %s: chaos seed %" PRIu64 " (--chaos=%" PRIu64
                " repeats this schedule)\n", who, o->chaos_seed, o->chaos_seed);
    }
}
