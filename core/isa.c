/* The -cpu extension set: names, defaults, parsing and the ISA string. */
#include "core/isa.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct IsaExtInfo {
    const char *name;
    const char *alias;  /* QEMU 7.2's property name when it differs */
    bool in_dt;         /* named in riscv,isa (QEMU 7.2 leaves Sdtrig out) */
    bool on_by_default; /* as QEMU 7.2's -M virt */
    bool in_qemu72;     /* QEMU 7.2 has a -cpu property for it */
    const char *what;
} IsaExtInfo;

static const IsaExtInfo isa_info[ISA_COUNT] = {
    [ISA_ZICBOM] = { "zicbom", NULL, true, false, false, "cache-block management (cbo.clean/flush/inval)" },
    [ISA_ZICBOP] = { "zicbop", NULL, true, false, false, "cache-block prefetch hints (prefetch.i/r/w)" },
    [ISA_ZICBOZ] = { "zicboz", NULL, true, false, false, "cache-block zero (cbo.zero)" },
    [ISA_ZICOND] = { "zicond", NULL, true, false, false, "integer conditional operations (czero.eqz/nez)" },
    [ISA_ZIHINTPAUSE] = { "zihintpause", "Zihintpause", true, true, true, "the pause hint" },
    [ISA_ZFH] = { "zfh", "Zfh", true, false, true, "half precision (implies zfhmin)" },
    [ISA_ZFHMIN] = { "zfhmin", "Zfhmin", true, false, true,
                     "half-precision loads, stores, moves, conversions" },
    [ISA_ZBA] = { "zba", NULL, true, true, true, "address generation (sh1add, add.uw, ...)" },
    [ISA_ZBB] = { "zbb", NULL, true, true, true, "basic bit manipulation (clz, rev8, min, ...)" },
    [ISA_ZBC] = { "zbc", NULL, true, true, true, "carry-less multiplication (clmul, clmulh, clmulr)" },
    [ISA_ZBS] = { "zbs", NULL, true, true, true, "single-bit instructions (bset, bext, ...)" },
    [ISA_SSTC] = { "sstc", NULL, true, true, true, "the stimecmp timer for S-mode (menvcfg.STCE)" },
    [ISA_SVINVAL] = { "svinval", NULL, true, false, true, "fine-grained TLB invalidation (sinval.vma)" },
    [ISA_SVNAPOT] = { "svnapot", NULL, true, false, true, "64 KiB NAPOT pages (PTE bit N)" },
    [ISA_SDTRIG] = { "sdtrig", "debug", false, true, true,
                     "debug triggers (tselect, tdata1-3, tinfo, tcontrol; 2 triggers)" },
    [ISA_SVPBMT] = { "svpbmt", NULL, true, false, true, "page-based memory types (PTE PBMT, menvcfg.PBMTE)" },
};

uint64_t isa_ext_default(void)
{
    uint64_t e = 0;
    for (unsigned i = 0; i < ISA_COUNT; i++)
        if (isa_info[i].on_by_default)
            e |= ISA_BIT(i);
    return e;
}

const char *isa_ext_name(IsaExt e)
{
    return (unsigned)e < ISA_COUNT ? isa_info[e].name : "?";
}

static bool parse_bool(const char *v, size_t n, bool *out)
{
    static const char *const yes[] = { "on", "true" }, *const no[] = { "off", "false" };
    for (int i = 0; i < 2; i++) {
        if (strlen(yes[i]) == n && strncmp(v, yes[i], n) == 0) {
            *out = true;
            return true;
        }
        if (strlen(no[i]) == n && strncmp(v, no[i], n) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool isa_parse_cpu(const char *spec, uint64_t *ext, char *err, size_t errlen)
{
    const char *comma = strchr(spec, ',');
    size_t mlen = comma ? (size_t)(comma - spec) : strlen(spec);
    if (mlen != 4 || strncmp(spec, "rv64", 4) != 0) {
        snprintf(err, errlen, "unknown CPU model '%.*s': rewind has rv64 only "
                 "(-cpu help lists its extensions)", (int)mlen, spec);
        return false;
    }
    uint64_t e = isa_ext_default();
    for (const char *p = comma; p && *p;) {
        p++; /* the comma */
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!len || !eq || eq == p) {
            snprintf(err, errlen, "'%.*s': expected EXTENSION=on|off", (int)len, p);
            return false;
        }
        size_t nlen = (size_t)(eq - p);
        int found = -1;
        for (unsigned i = 0; i < ISA_COUNT; i++)
            if ((strlen(isa_info[i].name) == nlen &&
                 strncasecmp(p, isa_info[i].name, nlen) == 0) ||
                (isa_info[i].alias && strlen(isa_info[i].alias) == nlen &&
                 strncasecmp(p, isa_info[i].alias, nlen) == 0))
                found = (int)i;
        if (found < 0) {
            snprintf(err, errlen, "unknown extension '%.*s' (-cpu help lists them)",
                     (int)nlen, p);
            return false;
        }
        bool on;
        if (!parse_bool(eq + 1, len - nlen - 1, &on)) {
            snprintf(err, errlen, "%.*s: bad value '%.*s' (on, off, true or false)", (int)nlen,
                     p, (int)(len - nlen - 1), eq + 1);
            return false;
        }
        if (on)
            e |= ISA_BIT(found);
        else
            e &= ~ISA_BIT(found);
        p = end;
    }
    /* Zfh includes Zfhmin (as QEMU: zfh=on turns zfhmin on). */
    if (e & ISA_BIT(ISA_ZFH))
        e |= ISA_BIT(ISA_ZFHMIN);
    *ext = e;
    return true;
}

void isa_format_cpu(uint64_t ext, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "rv64");
    for (unsigned i = 0; i < ISA_COUNT && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, ",%s=%s", isa_info[i].name,
                              (ext & ISA_BIT(i)) ? "on" : "off");
}

/* Canonical order: Zi* extensions sort around zicsr and zifencei
 * (zicbom and zicond before them, zihintpause after), as QEMU writes it. */
static bool sorts_before_zicsr(const char *name)
{
    return strncmp(name, "zi", 2) == 0 && strcmp(name, "zicsr") < 0;
}

void isa_dt_string(uint64_t ext, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "rv64imafdc");
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && n < len)
            n += (size_t)snprintf(buf + n, len - n, "_zicsr_zifencei");
        for (unsigned i = 0; i < ISA_COUNT && n < len; i++)
            if ((ext & ISA_BIT(i)) && isa_info[i].in_dt &&
                sorts_before_zicsr(isa_info[i].name) == (pass == 0))
                n += (size_t)snprintf(buf + n, len - n, "_%s", isa_info[i].name);
    }
}

void isa_print_help(FILE *out)
{
    fprintf(out, "CPU model: rv64 (RV64IMAFDC, Zicsr, Zifencei, Sv39/Sv48) with:\n");
    for (unsigned i = 0; i < ISA_COUNT; i++) {
        const IsaExtInfo *e = &isa_info[i];
        fprintf(out, "  %-12s %-4s %s%s", e->name, e->on_by_default ? "on" : "off", e->what,
                e->in_qemu72 ? "" : " [not in QEMU 7.2]");
        if (e->alias)
            fprintf(out, " [QEMU 7.2: %s]", e->alias);
        fprintf(out, "\n");
    }
    fprintf(out, "Syntax: -cpu rv64[,EXT=on|off|true|false...]; the default is QEMU 7.2's "
            "-M virt set\n");
}
