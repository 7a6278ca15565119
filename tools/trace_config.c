/* The machine configuration in a trace header, both ways. */
#include "tools/trace_config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/isa.h"
#include "core/machine.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "replay/statesum.h"

/* Keep s alive as long as tc; NULL when out of memory or full. */
static const char *tc_keep(TraceConfig *tc, char *s)
{
    if (!s)
        return NULL;
    if (tc->nowned == sizeof(tc->owned) / sizeof(tc->owned[0])) {
        free(s);
        return NULL;
    }
    tc->owned[tc->nowned++] = s;
    return s;
}

static const char *tc_printf(TraceConfig *tc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *tc_printf(TraceConfig *tc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return tc_keep(tc, s);
}

bool trace_image_map_add(const char *cmd, char *val, TraceImageMap *maps, unsigned *nmaps,
                         unsigned max)
{
    char *eq = val ? strchr(val, '=') : NULL;
    if (!eq || eq == val || !eq[1]) {
        fprintf(stderr, "%s: --image expects OLD=NEW (the recorded path, then where the "
                "image is now)\n", cmd);
        return false;
    }
    if (*nmaps == max) {
        fprintf(stderr, "%s: too many --image options (at most %u)\n", cmd, max);
        return false;
    }
    *eq = '\0';
    maps[*nmaps].from = val;
    maps[(*nmaps)++].to = eq + 1;
    return true;
}

void trace_config_free(TraceConfig *tc)
{
    for (unsigned i = 0; i < tc->nowned; i++)
        free(tc->owned[i]);
    memset(tc, 0, sizeof(*tc));
}

const char *trace_config_snapshot_drive(TraceConfig *tc, const char *spec)
{
    /* The last snapshot= wins: the recorded image must stay as it was. */
    return tc_printf(tc, "%s,snapshot=on", spec);
}

static bool tc_add_image(TraceConfig *tc, const char *role, const char *path, char *err,
                         size_t errlen)
{
    if (tc->hdr.nimages == TRACE_CONFIG_MAX_IMAGES) {
        snprintf(err, errlen, "too many images");
        return false;
    }
    TraceImage *im = &tc->images[tc->hdr.nimages];
    char why[512];
    if (!trace_hash_file(path, &im->size, &im->hash_lo, &im->hash_hi, why, sizeof(why))) {
        snprintf(err, errlen, "-%s %s", role, why);
        return false;
    }
    im->role = role;
    im->path = path;
    tc->hdr.nimages++;
    return true;
}

bool trace_config_from_options(TraceConfig *tc, const RunOptions *o, const MachineConfig *cfg,
                               int argc, char **argv, char *err, size_t errlen)
{
    memset(tc, 0, sizeof(*tc));
    TraceHeader *h = &tc->hdr;
    h->ram_size = cfg->ram_size;
    h->nharts = cfg->nharts;
    h->ns_per_insn = cfg->icount.ns_per_insn;
    h->pace = cfg->icount.pace;
    h->quantum = cfg->quantum;
    h->digest_every = cfg->digest_every;
    h->rtc = o->rtc;
    h->argv = (const char *const *)argv;
    h->argc = (size_t)argc;
    h->images = tc->images;
    h->devices = tc->devices;
    h->options = tc->options;

    if ((o->bios && !tc_add_image(tc, "bios", o->bios, err, errlen)) ||
        (o->kernel && !tc_add_image(tc, "kernel", o->kernel, err, errlen)) ||
        (o->initrd && !tc_add_image(tc, "initrd", o->initrd, err, errlen)))
        return false;
    /* The drives' files, as the block device will open them. */
    const char *snap[8];
    for (unsigned i = 0; i < o->ndrives && i < 8; i++)
        if (!(snap[i] = trace_config_snapshot_drive(tc, o->drives[i]))) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
    VirtioDevSpec specs[VIRTIO_MMIO_SLOTS];
    unsigned nspecs = 0;
    if (!virtio_blk_parse_drives(snap, o->ndrives, o->devices, o->ndevices, specs,
                                 VIRTIO_MMIO_SLOTS, &nspecs, err, errlen))
        return false;
    for (unsigned i = 0; i < nspecs; i++)
        if (specs[i].kind == VIRTIO_DEV_BLK) {
            const char *path = tc_printf(tc, "%s", specs[i].blk.file);
            if (!path || !tc_add_image(tc, "drive", path, err, errlen))
                return false;
        }
    for (unsigned i = 0; i < o->ndrives; i++)
        tc->devices[h->ndevices++] = tc_printf(tc, "-drive %s", o->drives[i]);
    for (unsigned i = 0; i < o->ndevices; i++)
        tc->devices[h->ndevices++] = tc_printf(tc, "-device %s", o->devices[i]);
    for (unsigned i = 0; i < o->nnetdevs; i++)
        tc->devices[h->ndevices++] = tc_printf(tc, "-netdev %s", o->netdevs[i]);
    for (unsigned i = 0; i < o->nnics; i++)
        tc->devices[h->ndevices++] = tc_printf(tc, "-nic %s", o->nics[i]);
    for (size_t i = 0; i < h->ndevices; i++)
        if (!tc->devices[i]) {
            snprintf(err, errlen, "out of memory");
            return false;
        }

    /* no-reboot changes how the run ends: a replay must end the same way. */
    static const char *const keys[] = { "bios", "kernel", "initrd", "append", "serial",
                                        "name", "no-reboot" };
    const char *vals[] = { o->bios, o->kernel, o->initrd, o->append, o->serial, o->name,
                           o->no_reboot ? "on" : NULL };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (vals[i])
            tc->options[h->noptions++] = (TraceOption){ keys[i], vals[i] };
    tc->options[h->noptions++] = (TraceOption){ "statesum",
                                                STATESUM_VERSION == 1 ? "1" : "?" };
    tc->options[h->noptions++] = (TraceOption){
        "engine", tc_printf(tc, "%d", MACHINE_ENGINE_REVISION) };
    if (cfg->chaos.on) { /* the schedule's seed and parameters: all a replay needs */
        char chaos[256];
        chaos_config_format(&cfg->chaos, chaos, sizeof(chaos));
        tc->options[h->noptions++] = (TraceOption){ "chaos", tc_printf(tc, "%s", chaos) };
    }
    /* The ISA extensions, every one with its state: the meaning stays if
     * the defaults change. */
    char cpu[512];
    isa_format_cpu(cfg->isa_ext, cpu, sizeof(cpu));
    tc->options[h->noptions++] = (TraceOption){ "cpu", tc_printf(tc, "%s", cpu) };
    /* Relative image paths are relative to this: a replay elsewhere finds
     * them through it. */
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)))
        tc->options[h->noptions++] = (TraceOption){ "cwd", tc_printf(tc, "%s", cwd) };
    return true;
}

bool trace_config_engine_agrees(const TraceHeader *h, char *err, size_t errlen)
{
    const char *e = trace_header_option(h, "engine");
    long rev = 1; /* a trace without the option: before revisions were recorded */
    if (e) {
        char *end;
        rev = strtol(e, &end, 10);
        if (!*e || *end || rev < 1 || rev > 1000000) {
            snprintf(err, errlen, "the trace's engine revision '%s' is not a revision number "
                     "(header option \"engine\"): refused before running", e);
            return false;
        }
    }
    if (rev == MACHINE_ENGINE_REVISION)
        return true;
    /* Revision 4 changed the default ISA only; a trace without "cpu"
     * replays with the set revision 3 had (trace_config_cpu): exactly. */
    if (rev == 3 && MACHINE_ENGINE_REVISION == 4 && !trace_header_option(h, "cpu"))
        return true;
    /* Refused before the first instruction: a replay by other semantics
     * would run until the first digest they change and then report a
     * divergence that is no fault of the recording. */
    snprintf(err, errlen, "recorded by an engine of revision %ld, this rewind is revision %d: "
             "the execution semantics changed between them (core/machine.h), so it is "
             "refused before running rather than diverging partway; replay it with a rewind "
             "of engine revision %ld, or record it again with this one", rev,
             MACHINE_ENGINE_REVISION, rev);
    return false;
}

unsigned trace_config_locate(TraceConfig *tc, const TraceHeader *h, const TraceImageMap *maps,
                             unsigned nmaps, TraceImageMap *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nmaps && n < max; i++)
        out[n++] = maps[i];
    const char *cwd = trace_header_option(h, "cwd");
    for (size_t i = 0; cwd && i < h->nimages && n < max; i++) {
        const char *p = h->images[i].path;
        bool mapped = false;
        for (unsigned k = 0; k < nmaps; k++)
            mapped = mapped || strcmp(maps[k].from, p) == 0;
        if (mapped || !p || p[0] == '/' || access(p, F_OK) == 0)
            continue;
        const char *there = tc_printf(tc, "%s/%s", cwd, p);
        if (there && access(there, F_OK) == 0)
            out[n++] = (TraceImageMap){ p, there };
    }
    return n;
}

/* ------------------------------------------------------------- replay */

static const char *tc_map(const TraceImageMap *maps, unsigned nmaps, const char *path)
{
    for (unsigned i = 0; path && i < nmaps; i++)
        if (strcmp(maps[i].from, path) == 0)
            return maps[i].to;
    return path;
}

/* A -drive spec with its file= renamed (the value is written with ","
 * doubled, as on the command line). */
static const char *tc_map_drive(TraceConfig *tc, const char *spec, const TraceImageMap *maps,
                                unsigned nmaps)
{
    for (unsigned i = 0; i < nmaps; i++) {
        size_t fl = strlen(maps[i].from);
        char *esc = malloc(2 * fl + 6), *p = esc;
        if (!esc)
            return spec;
        p += sprintf(p, "file=");
        for (size_t k = 0; k < fl; k++) {
            *p++ = maps[i].from[k];
            if (maps[i].from[k] == ',')
                *p++ = ',';
        }
        *p = 0;
        size_t el = strlen(esc);
        for (const char *at = strstr(spec, esc); at; at = strstr(at + 1, esc)) {
            bool start = at == spec || at[-1] == ',';
            bool end = at[el] == 0 || (at[el] == ',' && at[el + 1] != ',');
            if (!start || !end)
                continue;
            char *to = NULL;
            size_t tl = strlen(maps[i].to);
            char *out = malloc(strlen(spec) + 2 * tl + 8);
            if (out) {
                size_t pre = (size_t)(at - spec);
                memcpy(out, spec, pre);
                char *q = out + pre;
                q += sprintf(q, "file=");
                for (size_t k = 0; k < tl; k++) {
                    *q++ = maps[i].to[k];
                    if (maps[i].to[k] == ',')
                        *q++ = ',';
                }
                strcpy(q, at + el);
                to = out;
            }
            free(esc);
            return to ? tc_keep(tc, to) : spec;
        }
        free(esc);
    }
    return spec;
}

bool trace_config_to_options(TraceConfig *tc, const TraceHeader *h, const TraceImageMap *maps,
                             unsigned nmaps, RunOptions *o, MachineConfig *cfg, char *err,
                             size_t errlen)
{
    memset(tc, 0, sizeof(*tc));
    if (!options_parse_run(o, 0, NULL, err, errlen))
        return false;
    if (h->nharts < 1 || h->nharts > MACHINE_MAX_HARTS || !h->ram_size) {
        snprintf(err, errlen, "the trace's header has no usable machine configuration "
                 "(%u harts, %" PRIu64 " bytes of RAM)", h->nharts, h->ram_size);
        return false;
    }
    o->ram_size = h->ram_size;
    o->smp = h->nharts;
    o->icount.ns_per_insn = h->ns_per_insn;
    o->icount.pace = false; /* pacing is wall-clock only: replay runs flat out */
    o->quantum = h->quantum;
    o->digest_every = h->digest_every;
    o->rtc = h->rtc;
    o->bios = tc_map(maps, nmaps, trace_header_option(h, "bios"));
    o->kernel = tc_map(maps, nmaps, trace_header_option(h, "kernel"));
    o->initrd = tc_map(maps, nmaps, trace_header_option(h, "initrd"));
    o->append = trace_header_option(h, "append");
    o->name = trace_header_option(h, "name");
    const char *no_reboot = trace_header_option(h, "no-reboot");
    o->no_reboot = no_reboot && strcmp(no_reboot, "on") == 0;
    const char *serial = trace_header_option(h, "serial");
    /* The console comes to the terminal again; a recording without one
     * stays without (a file, a socket or a pty of the recording is left
     * alone: the input is in the trace). */
    o->serial = serial && (!strcmp(serial, "none") || !strcmp(serial, "null")) ? "none"
                                                                                : "stdio";
    for (size_t i = 0; i < h->ndevices; i++) {
        const char *d = h->devices[i];
        if (!strncmp(d, "-drive ", 7) && o->ndrives < 8) {
            const char *spec = tc_map_drive(tc, d + 7, maps, nmaps);
            o->drives[o->ndrives] = trace_config_snapshot_drive(tc, spec);
            if (!o->drives[o->ndrives++]) {
                snprintf(err, errlen, "out of memory");
                return false;
            }
        } else if (!strncmp(d, "-device ", 8) && o->ndevices < 8) {
            o->devices[o->ndevices++] = d + 8;
        } else if (!strncmp(d, "-netdev ", 8) && o->nnetdevs < 8) {
            o->netdevs[o->nnetdevs++] = d + 8; /* no socket in a replay */
        } else if (!strncmp(d, "-nic ", 5) && o->nnics < 8) {
            o->nics[o->nnics++] = d + 5;
        } else {
            snprintf(err, errlen, "the trace's header names a device this version does not "
                     "know: '%s'", d);
            return false;
        }
    }
    if (!trace_config_cpu(h, &o->isa_ext, err, errlen))
        return false;
    *cfg = (MachineConfig){ .ram_size = o->ram_size, .nharts = o->smp,
                            .icount = o->icount, .quantum = o->quantum,
                            .digest_every = o->digest_every, .no_reboot = o->no_reboot,
                            .isa_ext = o->isa_ext };
    const char *chaos = trace_header_option(h, "chaos");
    if (chaos) {
        char why[300];
        if (!chaos_config_parse(chaos, &cfg->chaos, why, sizeof(why))) {
            snprintf(err, errlen, "the trace's header: %s", why);
            return false;
        }
        /* The recorded clock rate (one hart) is in the header already:
         * nothing is drawn again. */
    }
    return true;
}

bool trace_config_cpu(const TraceHeader *h, uint64_t *isa_ext, char *err, size_t errlen)
{
    const char *cpu = trace_header_option(h, "cpu");
    if (!cpu) {
        *isa_ext = ISA_EXT_LEGACY; /* recorded before -cpu existed */
        return true;
    }
    char why[256];
    if (!isa_parse_cpu(cpu, isa_ext, why, sizeof(why))) {
        snprintf(err, errlen, "the trace's CPU (-cpu %s) is not one this rewind has: %s", cpu,
                 why);
        return false;
    }
    return true;
}

bool trace_config_cpu_agrees(const TraceHeader *h, const char *given, uint64_t given_ext,
                             char *err, size_t errlen)
{
    uint64_t rec;
    if (!given || !trace_config_cpu(h, &rec, err, errlen))
        return given == NULL;
    if (rec == given_ext)
        return true;
    char want[512];
    isa_format_cpu(rec, want, sizeof(want));
    snprintf(err, errlen, "-cpu %s differs from the recorded CPU (-cpu %s%s): the machine "
             "comes from the recording; drop -cpu, or give the recorded one", given, want,
             trace_header_option(h, "cpu") ? "" : ", the set of a trace made before -cpu");
    return false;
}

static void tc_hex128(char out[33], uint64_t hi, uint64_t lo)
{
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, hi, lo);
}

bool trace_config_check_images(const TraceHeader *h, const TraceImageMap *maps,
                               unsigned nmaps, char *err, size_t errlen)
{
    for (size_t i = 0; i < h->nimages; i++) {
        const TraceImage *im = &h->images[i];
        const char *path = tc_map(maps, nmaps, im->path);
        uint64_t size, lo, hi;
        char why[512];
        if (!trace_hash_file(path, &size, &lo, &hi, why, sizeof(why))) {
            snprintf(err, errlen, "%s image %s (if it moved: --image %s=NEW)", im->role,
                     why, im->path);
            return false;
        }
        if (size != im->size || lo != im->hash_lo || hi != im->hash_hi) {
            char now[33], rec[33];
            tc_hex128(now, hi, lo);
            tc_hex128(rec, im->hash_hi, im->hash_lo);
            snprintf(err, errlen, "%s image %s is not the recorded one: xxh128 %s (%" PRIu64
                     " bytes), the recording has xxh128 %s (%" PRIu64 " bytes)%s%s",
                     im->role, path, now, size, rec, im->size,
                     path != im->path ? ", recorded as " : "",
                     path != im->path ? im->path : "");
            return false;
        }
    }
    return true;
}
