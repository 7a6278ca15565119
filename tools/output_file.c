/* The output check shared by every command that writes a file. */
#include "tools/output_file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "devices/netdev.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "replay/trace.h"

void output_guard_init(OutputGuard *g, bool force)
{
    memset(g, 0, sizeof(*g));
    g->force = force;
}

/* "-kernel k.elf", "-drive file=d.img", "-serial file:c.txt". */
static void guard_name(char *out, size_t len, const char *what, const char *path)
{
    size_t n = strlen(what);
    bool glued = n && (what[n - 1] == '=' || what[n - 1] == ':');
    snprintf(out, len, "%s%s%s", what, glued ? "" : " ", path);
}

static void guard_add(OutputGuard *g, const char *what, const char *path, const struct stat *st,
                      bool output)
{
    if (g->n == OUTPUT_GUARD_MAX)
        return; /* more files than any command line of ours names */
    OutputGuardFile *f = &g->files[g->n++];
    guard_name(f->what, sizeof(f->what), what, path);
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->output = output;
}

/* The absolute name of a file that does not exist yet (its directory
 * resolved), so that two outputs to one new file are seen; "" if the
 * directory does not resolve (its open then fails anyway). */
static void guard_new_name(const char *path, char *out, size_t len)
{
    out[0] = 0;
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return;
    int n = snprintf(out, len, "%s/%s", real, slash ? slash + 1 : path);
    if (n < 0 || (size_t)n >= len)
        out[0] = 0; /* too long to compare: left to the kernel */
}

void output_guard_add_input(OutputGuard *g, const char *what, const char *path)
{
    struct stat st;
    if (path && stat(path, &st) == 0)
        guard_add(g, what, path, &st, false);
}

void output_guard_add_machine_inputs(OutputGuard *g, const RunOptions *o)
{
    output_guard_add_input(g, "-bios", o->bios);
    output_guard_add_input(g, "-kernel", o->kernel);
    output_guard_add_input(g, "-initrd", o->initrd);
    /* The drives' files as the block device will name them (-drive and
     * -device together). Options that do not parse are left to the
     * machine, which refuses them before writing anything. */
    VirtioDevSpec specs[VIRTIO_MMIO_SLOTS];
    unsigned nspecs = 0;
    char err[256];
    if (!virtio_blk_parse_drives(o->drives, o->ndrives, o->devices, o->ndevices, specs,
                                 VIRTIO_MMIO_SLOTS, &nspecs, err, sizeof(err)))
        return;
    for (unsigned i = 0; i < nspecs; i++)
        if (specs[i].kind == VIRTIO_DEV_BLK)
            output_guard_add_input(g, "-drive file=", specs[i].blk.file);
}

bool output_guard_check(OutputGuard *g, const char *what, const char *path, OutputKind kind,
                        char *err, size_t errlen)
{
    char name[1100];
    guard_name(name, sizeof(name), what, path);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "%s: %s", name, strerror(errno));
            return false;
        }
        /* A new file: only another new output can be the same one. */
        char abs[1100];
        guard_new_name(path, abs, sizeof(abs));
        for (unsigned i = 0; abs[0] && i < g->n; i++)
            if (g->files[i].new_name[0] && !strcmp(g->files[i].new_name, abs)) {
                snprintf(err, errlen, "%s is the same file as %s: one file cannot take both",
                         name, g->files[i].what);
                return false;
            }
        if (g->n < OUTPUT_GUARD_MAX) {
            OutputGuardFile *f = &g->files[g->n++];
            guard_name(f->what, sizeof(f->what), what, path);
            snprintf(f->new_name, sizeof(f->new_name), "%s", abs);
            f->output = true;
        }
        return true;
    }
    for (unsigned i = 0; i < g->n; i++) {
        const OutputGuardFile *f = &g->files[i];
        if (f->new_name[0] || f->dev != st.st_dev || f->ino != st.st_ino)
            continue;
        if (f->output)
            snprintf(err, errlen, "%s is the same file as %s: one file cannot take both",
                     name, f->what);
        else
            snprintf(err, errlen, "%s is the same file as %s, an input of this run "
                     "(links count): refusing to overwrite it", name, f->what);
        return false;
    }
    if (kind == OUTPUT_TRACE && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: the trace must be a regular file (a new file, an empty "
                 "one or an older trace), not a device, pipe or directory", name);
        return false;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        long pid = trace_file_recorder(path);
        if (pid > 0) {
            snprintf(err, errlen, "%s is being recorded by pid %ld right now: refusing to "
                     "overwrite it", name, pid);
            return false;
        }
        bool trace = trace_file_is_trace(path);
        if (kind == OUTPUT_TRACE && !trace && !g->force) {
            snprintf(err, errlen, "%s exists and is not a rewind trace (%lld bytes): "
                     "refusing to replace it (--force replaces it)", name,
                     (long long)st.st_size);
            return false;
        }
        if (kind == OUTPUT_PLAIN && trace && !g->force) {
            snprintf(err, errlen, "%s is a rewind trace: refusing to replace a recording "
                     "with this output", name);
            return false;
        }
    }
    guard_add(g, what, path, &st, true);
    return true;
}

bool output_guard_check_machine_outputs(OutputGuard *g, const RunOptions *o, char *err,
                                        size_t errlen)
{
    if (o->log_file && !output_guard_check(g, "-D", o->log_file, OUTPUT_PLAIN, err, errlen))
        return false;
    if (o->dumpdtb && !output_guard_check(g, "--dumpdtb", o->dumpdtb, OUTPUT_PLAIN, err, errlen))
        return false;
    if (o->serial && !strncmp(o->serial, "file:", 5) &&
        !output_guard_check(g, "-serial file:", o->serial + 5, OUTPUT_PLAIN, err, errlen))
        return false;
    for (unsigned i = 0; i < o->nobjects; i++) {
        NetFilterDump fd;
        if (!netdev_parse_filter_dump(o->objects[i], &fd, err, errlen))
            return false;
        if (!output_guard_check(g, "-object filter-dump,file=", fd.file, OUTPUT_PLAIN, err,
                                errlen))
            return false;
    }
    return true;
}
