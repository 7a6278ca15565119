/* Printing what `rewind diff` found: text, and JSON through json-c (the
 * shape is in docs/diff.md; keys are only ever added). */
#include "tools/diff_print.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "translator/decode.h"

enum { CONSOLE_AROUND = 5 };

/* ------------------------------------------------------------ helpers */

static void symbolize(const DiffSymbols *sy, uint64_t addr, char *out, size_t len)
{
    const char *name;
    uint64_t off;
    out[0] = 0;
    if (sy->loaded && elf_symbol_at(&sy->img, addr, &name, &off))
        snprintf(out, len, off ? "%s+0x%" PRIx64 : "%s", name, off);
}

static void insn_text(const DiffPoint *p, int side, char *out, size_t len)
{
    if (!p->ilen[side]) {
        snprintf(out, len, "(not readable)");
        return;
    }
    char d[96];
    disasm(d, sizeof(d), p->insn[side], p->ilen[side], side ? p->pc_b : p->pc);
    snprintf(out, len, "%0*x  %s", p->ilen[side] * 2, p->insn[side], d);
}

/* A console line: text and the icount of its newline (or of its last
 * byte for an unfinished one). */
typedef struct Line {
    char text[160];
    uint64_t icount;
} Line;

static size_t console_lines(const DiffConsole *c, Line *out, size_t max, uint64_t from_icount,
                            size_t *first_after, uint64_t at)
{
    size_t n = 0, start = 0;
    *first_after = SIZE_MAX;
    for (size_t i = 0; i <= c->len; i++) {
        if (i < c->len && c->bytes[i] != '\n')
            continue;
        if (i == c->len && start == c->len)
            break;
        uint64_t ic = c->icount[i < c->len ? i : c->len - 1];
        if (ic >= from_icount && n < max) {
            Line *l = &out[n];
            size_t k = 0;
            for (size_t j = start; j < i && k + 1 < sizeof(l->text); j++) {
                uint8_t ch = c->bytes[j];
                if (ch != '\r')
                    l->text[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
            }
            l->text[k] = 0;
            l->icount = ic;
            if (ic > at && *first_after == SIZE_MAX)
                *first_after = n;
            n++;
        }
        start = i + 1;
    }
    return n;
}

/* The lines around `at`: the CONSOLE_AROUND before (icount <= at) and up
 * to CONSOLE_AROUND after. */
static size_t console_around(const DiffConsole *c, uint64_t at, Line *out, size_t *split)
{
    size_t cap = 4096;
    Line *all = malloc(cap * sizeof(*all));
    if (!all) {
        *split = 0;
        return 0;
    }
    /* Start from a window of bytes: the last lines before at. */
    size_t before = 0;
    size_t i = c->len;
    while (i > 0 && c->icount[i - 1] > at)
        i--;
    size_t lines = 0;
    while (i > 0 && lines <= CONSOLE_AROUND) {
        i--;
        lines += c->bytes[i] == '\n';
    }
    uint64_t from = i < c->len ? c->icount[i] : 0;
    size_t fa;
    size_t n = console_lines(c, all, cap, from, &fa, at);
    size_t nb = fa == SIZE_MAX ? n : fa;
    size_t first = nb > CONSOLE_AROUND ? nb - CONSOLE_AROUND : 0;
    size_t k = 0;
    for (size_t j = first; j < n && j < nb + CONSOLE_AROUND; j++) {
        out[k++] = all[j];
        before += j < nb;
    }
    *split = before;
    free(all);
    return k;
}

/* Summary: milestone pairs, in A's order, B matched in order. */
typedef struct Pair {
    const DiffMilestone *a, *b;
} Pair;

static size_t milestone_pairs(const DiffResult *res, Pair *out, size_t max)
{
    const DiffWatch *wa = &res->watch[0], *wb = &res->watch[1];
    size_t n = 0, jb = 0;
    for (size_t i = 0; i < wa->nms && n < max; i++) {
        for (size_t j = jb; j < wb->nms; j++)
            if (wb->ms[j].kind == wa->ms[i].kind && !strcmp(wb->ms[j].name, wa->ms[i].name)) {
                out[n].a = &wa->ms[i];
                out[n++].b = &wb->ms[j];
                jb = j + 1;
                break;
            }
    }
    return n;
}

static size_t console_only(const DiffWatch *w, const DiffMilestone **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < w->nms && n < max; i++)
        if (w->ms[i].kind == DIFF_MS_CONSOLE)
            out[n++] = &w->ms[i];
    return n;
}

static long first_console_difference(const DiffResult *res, const DiffMilestone **la, size_t na,
                                     const DiffMilestone **lb, size_t nb)
{
    (void)res;
    size_t n = na > nb ? na : nb;
    for (size_t i = 0; i < n; i++)
        if (i >= na || i >= nb || strcmp(la[i]->name, lb[i]->name))
            return (long)i;
    return -1;
}

/* The summary's console lines and milestone pairs, in arrays of their own
 * (sized by the runs' milestones). */
typedef struct SummaryView {
    const DiffMilestone **la, **lb;
    size_t na, nb;
    long first; /* the first differing console line (index), -1: none */
    Pair *pairs;
    size_t np;
} SummaryView;

static void view_free(SummaryView *v)
{
    free(v->la);
    free(v->lb);
    free(v->pairs);
}

/* false when out of memory. */
static bool view_build(const DiffResult *res, SummaryView *v)
{
    memset(v, 0, sizeof(*v));
    size_t ma = res->watch[0].nms + 1, mb = res->watch[1].nms + 1;
    v->la = malloc(ma * sizeof(*v->la));
    v->lb = malloc(mb * sizeof(*v->lb));
    v->pairs = malloc(ma * sizeof(*v->pairs));
    if (!v->la || !v->lb || !v->pairs) {
        view_free(v);
        return false;
    }
    v->na = console_only(&res->watch[0], v->la, ma);
    v->nb = console_only(&res->watch[1], v->lb, mb);
    v->first = first_console_difference(res, v->la, v->na, v->lb, v->nb);
    v->np = milestone_pairs(res, v->pairs, ma);
    return true;
}

bool diff_summary_differs(const DiffResult *res)
{
    SummaryView v;
    if (!view_build(res, &v))
        return true;
    bool differs = v.first >= 0 || res->watch[0].end_icount != res->watch[1].end_icount ||
                   res->watch[0].exit_code != res->watch[1].exit_code;
    view_free(&v);
    return differs;
}

static double change_percent(uint64_t a, uint64_t b)
{
    return a ? ((double)b - (double)a) * 100.0 / (double)a : 0.0;
}

/* ------------------------------------------------------------ text */

static void text_config(const DiffResult *res, FILE *out)
{
    for (unsigned i = 0; i < res->nconfig; i++)
        fprintf(out, "config %s: A %s, B %s\n", res->config[i].field, res->config[i].a,
                res->config[i].b);
    for (unsigned i = 0; i < res->nimages; i++) {
        const DiffImageLine *im = &res->images[i];
        if (im->same)
            continue;
        for (int s = 0; s < 2; s++) {
            if (!im->have[s]) {
                fprintf(out, "image %c: (none)\n", 'A' + s);
                continue;
            }
            const TraceImage *t = &im->img[s];
            fprintf(out, "image %c: %s %s, %" PRIu64 " bytes, xxh128 %016" PRIx64 "%016" PRIx64 "\n",
                    'A' + s, t->role ? t->role : "image", t->path ? t->path : "?", t->size,
                    t->hash_hi, t->hash_lo);
        }
    }
}

static void text_exact(const DiffResult *res, FILE *out)
{
    const DiffScan *sc = &res->scan;
    char d[600];
    if (sc->input_differs) {
        fprintf(out, "inputs: the first event that differs is at icount %" PRIu64 "\n",
                sc->input_icount);
        for (int s = 0; s < 2; s++) {
            diff_event_describe(&sc->input[s], d, sizeof(d));
            fprintf(out, "  %c: %s\n", 'A' + s, d);
        }
    } else {
        fprintf(out, "inputs: the same %" PRIu64 " events in both\n", sc->events[0]);
    }
    if (sc->digest_differs)
        fprintf(out, "digests: agree up to icount %" PRIu64 ", differ at icount %" PRIu64 "\n",
                sc->agree_icount, sc->differ_icount);
    else
        fprintf(out, "digests: the %" PRIu64 " at shared icounts agree\n", sc->shared);
    if (sc->end_icount[0] != sc->end_icount[1])
        fprintf(out, "ends: A at icount %" PRIu64 ", B at icount %" PRIu64 "\n",
                sc->end_icount[0], sc->end_icount[1]);
    const DiffPoint *p = &res->point;
    if (!res->ran_state)
        return;
    if (!p->found) {
        fprintf(out, "state: no difference of harts or RAM found (%s)\n",
                p->note[0] ? p->note : "none");
    } else {
        char sym[160], ia[128], ib[128];
        fprintf(out, "state: the runs part at icount %" PRIu64 " (bisected from %" PRIu64
                "..%" PRIu64 " in %u steps)\n", p->icount, p->lo, p->hi, p->steps);
        if (p->hart >= 0) {
            symbolize(&res->sym[0], p->pc, sym, sizeof(sym));
            insn_text(p, 0, ia, sizeof(ia));
            insn_text(p, 1, ib, sizeof(ib));
            fprintf(out, "  hart %d, %c-mode, pc 0x%" PRIx64 "%s%s%s\n", p->hart,
                    "US?M"[p->priv & 3], p->pc, sym[0] ? " <" : "", sym, sym[0] ? ">" : "");
            if (p->hart_b != p->hart || p->pc_b != p->pc) {
                symbolize(&res->sym[1], p->pc_b, sym, sizeof(sym));
                fprintf(out, "  but B ran hart %d, %c-mode, pc 0x%" PRIx64 "%s%s%s\n", p->hart_b,
                        "US?M"[p->priv_b & 3], p->pc_b, sym[0] ? " <" : "", sym,
                        sym[0] ? ">" : "");
            }
            if (!strcmp(ia, ib)) {
                fprintf(out, "  instruction: %s\n", ia);
            } else {
                fprintf(out, "  instruction A: %s\n", ia);
                fprintf(out, "  instruction B: %s\n", ib);
            }
        } else if (p->note[0]) {
            fprintf(out, "  %s\n", p->note);
        }
        for (unsigned i = 0; i < p->nregs; i++)
            fprintf(out, "  hart %u %-8s A 0x%016" PRIx64 "  B 0x%016" PRIx64 "\n",
                    p->regs[i].hart, p->regs[i].name, p->regs[i].a, p->regs[i].b);
        for (unsigned i = 0; i < p->nmem; i++) {
            const DiffMem *m = &p->mem[i];
            symbolize(&res->sym[0], m->addr, sym, sizeof(sym));
            fprintf(out, "  memory 0x%" PRIx64 "%s%s%s (%u byte%s): A", m->addr,
                    sym[0] ? " <" : "", sym, sym[0] ? ">" : "", m->len, m->len == 1 ? "" : "s");
            for (unsigned k = 0; k < m->len; k++)
                fprintf(out, " %02x", m->a[k]);
            fprintf(out, "  B");
            for (unsigned k = 0; k < m->len; k++)
                fprintf(out, " %02x", m->b[k]);
            fprintf(out, "\n");
        }
        if (p->mem_bytes > 0)
            fprintf(out, "  memory: %" PRIu64 " byte%s differ%s\n", p->mem_bytes,
                    p->mem_bytes == 1 ? "" : "s", p->mem_bytes == 1 ? "s" : "");
    }
    uint64_t at = res->events_at;
    for (int s = 0; s < 2; s++) {
        Line l[2 * CONSOLE_AROUND];
        size_t split;
        size_t n = console_around(&res->console[s], at, l, &split);
        fprintf(out, "console %c around icount %" PRIu64 ":\n", 'A' + s, at);
        for (size_t i = 0; i < n; i++) {
            if (i == split)
                fprintf(out, "    ---- icount %" PRIu64 " ----\n", at);
            fprintf(out, "  %12" PRIu64 "  %s\n", l[i].icount, l[i].text);
        }
        if (split == n)
            fprintf(out, "    ---- icount %" PRIu64 " ----\n", at);
    }
    for (int s = 0; s < 2; s++) {
        fprintf(out, "last events of %c up to icount %" PRIu64 ":\n", 'A' + s, at);
        for (unsigned i = 0; i < res->nlast[s]; i++) {
            diff_event_describe(&res->last[s][i], d, sizeof(d));
            fprintf(out, "  %s\n", d);
        }
        if (!res->nlast[s])
            fprintf(out, "  none\n");
    }
}

static void text_summary(const DiffResult *res, FILE *out)
{
    SummaryView v;
    if (!view_build(res, &v)) {
        fprintf(out, "(out of memory)\n");
        return;
    }
    const DiffMilestone **la = v.la, **lb = v.lb;
    size_t na = v.na, nb = v.nb;
    long first = v.first;
    for (int s = 0; s < 2; s++)
        if (res->replay_note[s][0])
            fprintf(out, "note: the replay of %c: %s\n", 'A' + s, res->replay_note[s]);
    fprintf(out, "console (line: icount A | icount B):\n");
    size_t n = na > nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        char mark = first >= 0 && (size_t)first == i ? '>' : ' ';
        const char *ta = i < na ? la[i]->name : "", *tb = i < nb ? lb[i]->name : "";
        char ica[24] = "-", icb[24] = "-";
        if (i < na)
            snprintf(ica, sizeof(ica), "%" PRIu64, la[i]->icount);
        if (i < nb)
            snprintf(icb, sizeof(icb), "%" PRIu64, lb[i]->icount);
        if (i < na && i < nb && !strcmp(ta, tb))
            fprintf(out, "%c %4zu %12s %12s  %s\n", mark, i + 1, ica, icb, ta);
        else
            fprintf(out, "%c %4zu %12s %12s  A: %s\n%c %4zu %12s %12s  B: %s\n", mark, i + 1,
                    ica, "", ta, mark, i + 1, "", icb, tb);
    }
    if (first >= 0)
        fprintf(out, "first differing console line: %ld\n", first + 1);
    else
        fprintf(out, "console: the same %zu lines\n", na);
    const Pair *pairs = v.pairs;
    size_t np = v.np;
    fprintf(out, "milestones both runs pass (icount A, B; instructions since the previous one, "
            "change):\n");
    uint64_t pa = 0, pb = 0;
    for (size_t i = 0; i < np; i++) {
        const DiffMilestone *a = pairs[i].a, *b = pairs[i].b;
        uint64_t da = a->icount - pa, db = b->icount - pb;
        const char *what = a->kind == DIFF_MS_CONSOLE ? "console: " : "";
        fprintf(out, "  %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %+8.1f%%  %s%s",
                a->icount, b->icount, da, db, change_percent(da, db), what, a->name);
        if (a->kind == DIFF_MS_SBI)
            fprintf(out, " (calls: A %" PRIu64 ", B %" PRIu64 ")", a->count, b->count);
        fprintf(out, "\n");
        pa = a->icount;
        pb = b->icount;
    }
    fprintf(out, "end: A at icount %" PRIu64 " (exit code %d), B at icount %" PRIu64
            " (exit code %d)\n", res->watch[0].end_icount, res->watch[0].exit_code,
            res->watch[1].end_icount, res->watch[1].exit_code);
    if (res->sample_every && res->nfuncs) {
        size_t show = res->nfuncs < 25 ? res->nfuncs : 25;
        fprintf(out, "instructions per function (sampled every %" PRIu64 " instructions; the "
                "%zu largest changes of %zu):\n", res->sample_every, show, res->nfuncs);
        for (size_t i = 0; i < show; i++) {
            const DiffFunc *f = &res->funcs[i];
            fprintf(out, "  %12" PRIu64 " %12" PRIu64 " %+13" PRId64 " ", f->n[0], f->n[1],
                    (int64_t)(f->n[1] - f->n[0]));
            if (f->n[0])
                fprintf(out, "%+8.1f%%", change_percent(f->n[0], f->n[1]));
            else
                fprintf(out, "%9s", "new");
            fprintf(out, "  %s\n", f->name);
        }
    } else {
        fprintf(out, "(instructions per function: give --symbols ELF for the sides)\n");
    }
    view_free(&v);
}

void diff_print_text(const DiffResult *res, FILE *out)
{
    fprintf(out, "A: %s\nB: %s\n", res->paths[0], res->paths[1]);
    if (res->identical) {
        fprintf(out, "identical: the same configuration, images, %" PRIu64 " events and %"
                PRIu64 " digests\n", res->scan.events[0], res->scan.digests[0]);
        return;
    }
    text_config(res, out);
    if (res->summary)
        text_summary(res, out);
    else
        text_exact(res, out);
}

/* ------------------------------------------------------------ JSON */

static json_object *j_u64(uint64_t v)
{
    return json_object_new_uint64(v);
}

static json_object *j_hex(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "0x%" PRIx64, v);
    return json_object_new_string(b);
}

static json_object *j_bytes(const uint8_t *p, size_t n)
{
    char *b = malloc(2 * n + 1);
    if (!b)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(b + 2 * i, 3, "%02x", p[i]);
    b[2 * n] = 0;
    json_object *o = json_object_new_string(b);
    free(b);
    return o;
}

static json_object *j_event(const DiffEvent *ev)
{
    if (!ev->valid)
        return NULL;
    json_object *o = json_object_new_object();
    const char *k = trace_kind_name(ev->kind);
    json_object_object_add(o, "kind", json_object_new_string(k ? k : "unknown"));
    json_object_object_add(o, "kind_value", j_u64(ev->kind));
    json_object_object_add(o, "source", j_u64(ev->source));
    json_object_object_add(o, "icount", j_u64(ev->icount));
    json_object_object_add(o, "hart", j_u64(ev->hart));
    json_object_object_add(o, "pc", j_hex(ev->pc));
    size_t shown = ev->len < sizeof(ev->bytes) ? ev->len : sizeof(ev->bytes);
    json_object_object_add(o, "bytes", j_bytes(ev->bytes, shown));
    json_object_object_add(o, "length", j_u64(ev->len));
    if (ev->kind == TRACE_EXIT || ev->kind == TRACE_END)
        json_object_object_add(o, "exit_code", json_object_new_int(ev->exit_code));
    return o;
}

static json_object *j_side_pair(json_object *a, json_object *b)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "a", a);
    json_object_object_add(o, "b", b);
    return o;
}

static json_object *j_config(const DiffResult *res)
{
    json_object *arr = json_object_new_array();
    for (unsigned i = 0; i < res->nconfig; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "field", json_object_new_string(res->config[i].field));
        json_object_object_add(o, "a", json_object_new_string(res->config[i].a));
        json_object_object_add(o, "b", json_object_new_string(res->config[i].b));
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *j_image(const TraceImage *t)
{
    json_object *o = json_object_new_object();
    char h[40];
    snprintf(h, sizeof(h), "%016" PRIx64 "%016" PRIx64, t->hash_hi, t->hash_lo);
    json_object_object_add(o, "role", json_object_new_string(t->role ? t->role : ""));
    json_object_object_add(o, "path", json_object_new_string(t->path ? t->path : ""));
    json_object_object_add(o, "size", j_u64(t->size));
    json_object_object_add(o, "xxh128", json_object_new_string(h));
    return o;
}

static json_object *j_images(const DiffResult *res)
{
    json_object *arr = json_object_new_array();
    for (unsigned i = 0; i < res->nimages; i++) {
        const DiffImageLine *im = &res->images[i];
        json_object *o = j_side_pair(im->have[0] ? j_image(&im->img[0]) : NULL,
                                     im->have[1] ? j_image(&im->img[1]) : NULL);
        json_object_object_add(o, "same", json_object_new_boolean(im->same));
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *j_lines(const Line *l, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "icount", j_u64(l[i].icount));
        json_object_object_add(o, "text", json_object_new_string(l[i].text));
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *j_exact(const DiffResult *res)
{
    const DiffScan *sc = &res->scan;
    json_object *o = json_object_new_object();
    json_object *in = NULL;
    if (sc->input_differs) {
        in = j_side_pair(j_event(&sc->input[0]), j_event(&sc->input[1]));
        json_object_object_add(in, "icount", j_u64(sc->input_icount));
    }
    json_object_object_add(o, "input", in);
    json_object *dg = json_object_new_object();
    json_object_object_add(dg, "shared", j_u64(sc->shared));
    json_object_object_add(dg, "agree_icount", j_u64(sc->agree_icount));
    json_object_object_add(dg, "agree_before_input", j_u64(sc->agree_before_input));
    json_object_object_add(dg, "differ_icount", sc->digest_differs ? j_u64(sc->differ_icount) : NULL);
    json_object_object_add(o, "digests", dg);
    json_object_object_add(o, "end_icount", j_side_pair(j_u64(sc->end_icount[0]),
                                                        j_u64(sc->end_icount[1])));
    const DiffPoint *p = &res->point;
    json_object *st = NULL;
    if (res->ran_state && p->found) {
        st = json_object_new_object();
        char sym[160], ia[128], ib[128];
        json_object_object_add(st, "icount", j_u64(p->icount));
        json_object *br = json_object_new_object();
        json_object_object_add(br, "lo", j_u64(p->lo));
        json_object_object_add(br, "hi", j_u64(p->hi));
        json_object_object_add(st, "bracket", br);
        json_object_object_add(st, "search_steps", j_u64(p->steps));
        json_object_object_add(st, "hart", p->hart >= 0 ? json_object_new_int(p->hart) : NULL);
        if (p->hart >= 0) {
            json_object_object_add(st, "pc", j_hex(p->pc));
            json_object_object_add(st, "priv", json_object_new_int((int)p->priv));
            symbolize(&res->sym[0], p->pc, sym, sizeof(sym));
            json_object_object_add(st, "symbol", sym[0] ? json_object_new_string(sym) : NULL);
            insn_text(p, 0, ia, sizeof(ia));
            insn_text(p, 1, ib, sizeof(ib));
            json_object_object_add(st, "instruction", j_side_pair(json_object_new_string(ia),
                                                                  json_object_new_string(ib)));
            json_object *b = NULL;
            if (p->hart_b != p->hart || p->pc_b != p->pc) {
                b = json_object_new_object();
                json_object_object_add(b, "hart", json_object_new_int(p->hart_b));
                json_object_object_add(b, "pc", j_hex(p->pc_b));
                json_object_object_add(b, "priv", json_object_new_int((int)p->priv_b));
                symbolize(&res->sym[1], p->pc_b, sym, sizeof(sym));
                json_object_object_add(b, "symbol", sym[0] ? json_object_new_string(sym) : NULL);
            }
            json_object_object_add(st, "b_ran", b);
        }
        json_object *regs = json_object_new_array();
        for (unsigned i = 0; i < p->nregs; i++) {
            json_object *r = j_side_pair(j_hex(p->regs[i].a), j_hex(p->regs[i].b));
            json_object_object_add(r, "hart", j_u64(p->regs[i].hart));
            json_object_object_add(r, "name", json_object_new_string(p->regs[i].name));
            json_object_array_add(regs, r);
        }
        json_object_object_add(st, "registers", regs);
        json_object *mem = json_object_new_array();
        for (unsigned i = 0; i < p->nmem; i++) {
            const DiffMem *m = &p->mem[i];
            json_object *r = j_side_pair(j_bytes(m->a, m->len), j_bytes(m->b, m->len));
            json_object_object_add(r, "address", j_hex(m->addr));
            symbolize(&res->sym[0], m->addr, sym, sizeof(sym));
            json_object_object_add(r, "symbol", sym[0] ? json_object_new_string(sym) : NULL);
            json_object_array_add(mem, r);
        }
        json_object_object_add(st, "memory", mem);
        json_object_object_add(st, "memory_bytes", j_u64(p->mem_bytes));
        json_object_object_add(st, "replayed_icounts", j_u64(p->replayed));
    }
    json_object_object_add(o, "state", st);
    if (res->ran_state && !p->found)
        json_object_object_add(o, "state_note", json_object_new_string(p->note));
    json_object *con = json_object_new_object(), *ev = json_object_new_object();
    for (int s = 0; s < 2; s++) {
        Line l[2 * CONSOLE_AROUND];
        size_t split;
        size_t n = console_around(&res->console[s], res->events_at, l, &split);
        json_object *side = json_object_new_object();
        json_object_object_add(side, "before", j_lines(l, split));
        json_object_object_add(side, "after", j_lines(l + split, n - split));
        json_object_object_add(con, s ? "b" : "a", side);
        json_object *arr = json_object_new_array();
        for (unsigned i = 0; i < res->nlast[s]; i++)
            json_object_array_add(arr, j_event(&res->last[s][i]));
        json_object_object_add(ev, s ? "b" : "a", arr);
    }
    json_object_object_add(con, "icount", j_u64(res->events_at));
    json_object_object_add(o, "console", con);
    json_object_object_add(o, "last_events", ev);
    return o;
}

static json_object *j_summary(const DiffResult *res)
{
    SummaryView v;
    if (!view_build(res, &v))
        return NULL;
    const DiffMilestone **la = v.la, **lb = v.lb;
    size_t na = v.na, nb = v.nb;
    long first = v.first;
    json_object *o = json_object_new_object();
    json_object *con = json_object_new_array();
    for (size_t i = 0; i < (na > nb ? na : nb); i++) {
        json_object *l = json_object_new_object();
        json_object_object_add(l, "line", j_u64(i + 1));
        for (int s = 0; s < 2; s++) {
            const DiffMilestone *m = s ? (i < nb ? lb[i] : NULL) : (i < na ? la[i] : NULL);
            json_object *side = NULL;
            if (m) {
                side = json_object_new_object();
                json_object_object_add(side, "icount", j_u64(m->icount));
                json_object_object_add(side, "text", json_object_new_string(m->name));
            }
            json_object_object_add(l, s ? "b" : "a", side);
        }
        json_object_object_add(l, "same", json_object_new_boolean(i < na && i < nb &&
                                                                   !strcmp(la[i]->name, lb[i]->name)));
        json_object_array_add(con, l);
    }
    json_object_object_add(o, "console", con);
    json_object_object_add(o, "first_differing_line", first >= 0 ? j_u64((uint64_t)first + 1) : NULL);
    const Pair *pairs = v.pairs;
    size_t np = v.np;
    static const char *const kinds[] = { "s_mode", "u_mode", "satp", "sbi", "console", "end" };
    json_object *ms = json_object_new_array();
    uint64_t pa = 0, pb = 0;
    for (size_t i = 0; i < np; i++) {
        const DiffMilestone *a = pairs[i].a, *b = pairs[i].b;
        json_object *m = j_side_pair(j_u64(a->icount), j_u64(b->icount));
        json_object_object_add(m, "kind", json_object_new_string(kinds[a->kind]));
        json_object_object_add(m, "name", json_object_new_string(a->name));
        json_object_object_add(m, "since_previous", j_side_pair(j_u64(a->icount - pa),
                                                                j_u64(b->icount - pb)));
        json_object_object_add(m, "change_percent",
                               json_object_new_double(change_percent(a->icount - pa, b->icount - pb)));
        if (a->kind == DIFF_MS_SBI)
            json_object_object_add(m, "calls", j_side_pair(j_u64(a->count), j_u64(b->count)));
        json_object_array_add(ms, m);
        pa = a->icount;
        pb = b->icount;
    }
    json_object_object_add(o, "milestones", ms);
    json_object_object_add(o, "end_icount", j_side_pair(j_u64(res->watch[0].end_icount),
                                                        j_u64(res->watch[1].end_icount)));
    json_object_object_add(o, "exit_code", j_side_pair(json_object_new_int(res->watch[0].exit_code),
                                                       json_object_new_int(res->watch[1].exit_code)));
    json_object *fn = NULL;
    if (res->sample_every) {
        fn = json_object_new_object();
        json_object_object_add(fn, "sample_every", j_u64(res->sample_every));
        json_object_object_add(fn, "count", j_u64(res->nfuncs));
        json_object *rows = json_object_new_array();
        for (size_t i = 0; i < res->nfuncs && i < 200; i++) {
            const DiffFunc *f = &res->funcs[i];
            json_object *r = j_side_pair(j_u64(f->n[0]), j_u64(f->n[1]));
            json_object_object_add(r, "name", json_object_new_string(f->name));
            json_object_object_add(r, "change_percent",
                                   f->n[0] ? json_object_new_double(change_percent(f->n[0], f->n[1]))
                                           : NULL);
            json_object_array_add(rows, r);
        }
        json_object_object_add(fn, "rows", rows);
    }
    json_object_object_add(o, "functions", fn);
    view_free(&v);
    return o;
}

void diff_print_json(const DiffResult *res, FILE *out)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "format", json_object_new_string("rewind-diff"));
    json_object_object_add(o, "version", json_object_new_int(1));
    json_object_object_add(o, "a", json_object_new_string(res->paths[0]));
    json_object_object_add(o, "b", json_object_new_string(res->paths[1]));
    json_object_object_add(o, "mode", json_object_new_string(res->summary ? "summary" : "exact"));
    json_object_object_add(o, "identical", json_object_new_boolean(res->identical));
    json_object_object_add(o, "config", j_config(res));
    json_object_object_add(o, "images", j_images(res));
    json_object_object_add(o, "exact", res->summary || res->identical ? NULL : j_exact(res));
    json_object_object_add(o, "summary", res->summary ? j_summary(res) : NULL);
    fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_SPACED |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}
