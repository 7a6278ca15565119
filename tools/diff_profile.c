/* rewind diff's per-function profile: the pc samples of each replay
 * (replay/diff_watch.c) attributed to the functions of that side's
 * symbols, then both sides side by side, the largest changes first. */
#include <stdlib.h>
#include <string.h>

#include "tools/diff_print.h"

typedef struct NameCount {
    const char *name;
    uint64_t n;
} NameCount;

static int by_name(const void *x, const void *y)
{
    return strcmp(((const NameCount *)x)->name, ((const NameCount *)y)->name);
}

static uint64_t change_abs(const DiffFunc *f)
{
    return f->n[1] > f->n[0] ? f->n[1] - f->n[0] : f->n[0] - f->n[1];
}

static int by_change(const void *x, const void *y)
{
    const DiffFunc *a = x, *b = y;
    uint64_t ca = change_abs(a), cb = change_abs(b);
    if (ca != cb)
        return ca < cb ? 1 : -1;
    return strcmp(a->name, b->name);
}

/* One side: instructions per name, sorted by name; *n entries. */
static NameCount *side_counts(const DiffWatch *w, const DiffSymbols *sy, size_t *n)
{
    *n = 0;
    ElfSym *syms = NULL;
    size_t nsyms = sy->loaded ? elf_symbols(&sy->img, &syms) : 0;
    uint64_t *count = calloc(nsyms + 2, sizeof(*count));
    NameCount *out = NULL;
    if (!count)
        goto done;
    for (size_t i = 0; i < w->nsamples; i++) {
        const DiffSample *s = &w->samples[i];
        size_t idx = nsyms + 1; /* [unknown] */
        if (s->priv == 0) {
            idx = nsyms; /* [user]: user space has no symbols here */
        } else {
            const ElfSym *e = elf_symbols_find(syms, nsyms, s->pc);
            if (e)
                idx = (size_t)(e - syms);
        }
        count[idx] += s->insns;
    }
    size_t k = 0;
    for (size_t i = 0; i < nsyms + 2; i++)
        k += count[i] != 0;
    out = malloc((k ? k : 1) * sizeof(*out));
    if (!out)
        goto done;
    for (size_t i = 0; i < nsyms + 2; i++)
        if (count[i])
            out[(*n)++] = (NameCount){ .name = i < nsyms ? syms[i].name
                                             : i == nsyms ? "[user]" : "[unknown]",
                                       .n = count[i] };
    qsort(out, *n, sizeof(*out), by_name);
    /* Symbols of one name at several addresses (static functions): one. */
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        if (m && !strcmp(out[m - 1].name, out[i].name))
            out[m - 1].n += out[i].n;
        else
            out[m++] = out[i];
    }
    *n = m;
done:
    free(count);
    free(syms);
    return out;
}

bool diff_profile_build(DiffResult *res)
{
    size_t n[2];
    NameCount *c[2];
    for (int i = 0; i < 2; i++)
        c[i] = side_counts(&res->watch[i], &res->sym[i], &n[i]);
    bool ok = c[0] && c[1];
    DiffFunc *f = ok ? calloc(n[0] + n[1] + 1, sizeof(*f)) : NULL;
    size_t nf = 0;
    if (f) {
        size_t i = 0, k = 0;
        while (i < n[0] || k < n[1]) {
            int cmp = i == n[0] ? 1 : k == n[1] ? -1 : strcmp(c[0][i].name, c[1][k].name);
            DiffFunc *d = &f[nf++];
            snprintf(d->name, sizeof(d->name), "%s", cmp <= 0 ? c[0][i].name : c[1][k].name);
            if (cmp <= 0)
                d->n[0] = c[0][i++].n;
            if (cmp >= 0)
                d->n[1] = c[1][k++].n;
        }
        qsort(f, nf, sizeof(*f), by_change);
    }
    free(c[0]);
    free(c[1]);
    res->funcs = f;
    res->nfuncs = nf;
    return f != NULL;
}
