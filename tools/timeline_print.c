/* Printing `rewind timeline`: text and JSON (the shape is documented in
 * docs/boot/timeline-json.md; change both together). */
#include "tools/timeline_print.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool timeline_symbol(const TimelineReport *r, uint64_t pc, char *out, size_t len)
{
    out[0] = 0;
    for (unsigned i = 0; i < r->nsym; i++) {
        const char *name;
        uint64_t off;
        if (!elf_symbol_at(&r->sym[i].img, pc, &name, &off))
            continue;
        if (off)
            snprintf(out, len, "%s+0x%" PRIx64, name, off);
        else
            snprintf(out, len, "%s", name);
        return true;
    }
    return false;
}

/* ------------------------------------------------------------ text */

void timeline_print_text(FILE *out, const TimelineReport *r)
{
    const Timeline *t = r->t;
    fprintf(out, "rewind timeline: %s: %u hart%s, %" PRIu64 " instructions, %.6f s of virtual "
            "time%s\n", r->trace, r->nharts, r->nharts == 1 ? "" : "s", t->end_icount,
            (double)t->end_time_ns / 1e9, r->complete ? "" : " (the trace ends early)");
    for (unsigned i = 0; i < r->nwarnings; i++)
        fprintf(out, "warning: %s\n", r->warnings[i]);
    fprintf(out, "icount: instructions of all harts before the event (as `monitor when` and "
            "`seek ICOUNT` in rewind debug count them); hart-icount: that hart's own\n\n");
    fprintf(out, "%14s %14s %14s %4s %4s %-18s  %s\n", "ICOUNT", "HART-ICOUNT", "TIME (s)", "HART",
            "MODE", "PC", "MILESTONE");
    int phase = -1;
    for (size_t i = 0; i < t->nms; i++) {
        const TimelineMilestone *ms = &t->ms[i];
        if ((int)ms->phase != phase) {
            phase = (int)ms->phase;
            fprintf(out, "%s\n", timeline_phase_title(ms->phase));
        }
        char sym[160], count[40] = "";
        bool have = ms->kind != TL_CONSOLE && timeline_symbol(r, ms->pc, sym, sizeof(sym));
        if (ms->count > 1)
            snprintf(count, sizeof(count), " [%" PRIu64 " in all]", ms->count);
        /* Phases at the left, milestones indented under them, console
         * lines a step further. */
        const char *indent = ms->kind == TL_CONSOLE ? "    console: " : "  ";
        fprintf(out, "%14" PRIu64 " %14" PRIu64 " %14.9f %4u %4c 0x%016" PRIx64 "  %s%s%s%s%s%s\n",
                ms->icount, ms->hart_icount, (double)ms->time_ns / 1e9, ms->hart,
                timeline_mode_char(ms->priv), ms->pc, indent, ms->name, count,
                have ? " <" : "", have ? sym : "", have ? ">" : "");
    }
    fprintf(out, "\nper hart: instructions in M / S / U mode, and mode switches\n");
    for (unsigned h = 0; h < r->nharts && h < TIMELINE_MAX_HARTS; h++) {
        const uint64_t *n = t->mode_insns[h];
        fprintf(out, "  hart %u: M %" PRIu64 ", S %" PRIu64 ", U %" PRIu64 "; switches", h,
                n[3], n[1], n[0]);
        bool any = false;
        for (unsigned a = 0; a < 4; a++)
            for (unsigned b = 0; b < 4; b++)
                if (t->switches[h][a][b]) {
                    fprintf(out, " %c->%c %" PRIu64, timeline_mode_char(a), timeline_mode_char(b),
                            t->switches[h][a][b]);
                    any = true;
                }
        fprintf(out, "%s\n", any ? "" : " none");
    }
    fprintf(out, "\nto stop at a milestone: rewind debug %s, then (gdb) monitor seek ICOUNT\n",
            r->trace);
}

/* ------------------------------------------------------------ JSON */

static json_object *hex(uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    return json_object_new_string(buf);
}

static json_object *mode_str(unsigned priv)
{
    char s[2] = { timeline_mode_char(priv), 0 };
    return json_object_new_string(s);
}

json_object *timeline_json(const TimelineReport *r, bool lanes)
{
    const Timeline *t = r->t;
    json_object *d = json_object_new_object();
    json_object_object_add(d, "format", json_object_new_int(1));
    json_object_object_add(d, "trace", json_object_new_string(r->trace));
    json_object_object_add(d, "harts", json_object_new_int((int)r->nharts));
    json_object_object_add(d, "complete", json_object_new_boolean(r->complete));
    json_object *end = json_object_new_object();
    json_object_object_add(end, "icount", json_object_new_uint64(t->end_icount));
    json_object_object_add(end, "time_ns", json_object_new_uint64(t->end_time_ns));
    json_object_object_add(end, "note", json_object_new_string(r->end_note));
    json_object_object_add(d, "end", end);
    json_object *syms = json_object_new_array();
    for (unsigned i = 0; i < r->nsym; i++)
        json_object_array_add(syms, json_object_new_string(r->sym[i].path));
    json_object_object_add(d, "symbols", syms);
    json_object *warn = json_object_new_array();
    for (unsigned i = 0; i < r->nwarnings; i++)
        json_object_array_add(warn, json_object_new_string(r->warnings[i]));
    json_object_object_add(d, "warnings", warn);

    json_object *phases = json_object_new_array();
    for (int p = 0; p < TL_PHASE_COUNT; p++) {
        size_t i = 0;
        while (i < t->nms && (int)t->ms[i].phase != p)
            i++;
        if (i == t->nms)
            continue;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(timeline_phase_name(p)));
        json_object_object_add(o, "title", json_object_new_string(timeline_phase_title(p)));
        json_object_object_add(o, "icount", json_object_new_uint64(t->ms[i].icount));
        json_object_array_add(phases, o);
    }
    json_object_object_add(d, "phases", phases);

    json_object *list = json_object_new_array();
    for (size_t i = 0; i < t->nms; i++) {
        const TimelineMilestone *ms = &t->ms[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "kind", json_object_new_string(timeline_kind_name(ms->kind)));
        json_object_object_add(o, "phase", json_object_new_string(timeline_phase_name(ms->phase)));
        json_object_object_add(o, "name", json_object_new_string(ms->name));
        json_object_object_add(o, "icount", json_object_new_uint64(ms->icount));
        json_object_object_add(o, "hart_icount", json_object_new_uint64(ms->hart_icount));
        json_object_object_add(o, "time_ns", json_object_new_uint64(ms->time_ns));
        json_object_object_add(o, "hart", json_object_new_int((int)ms->hart));
        json_object_object_add(o, "mode", mode_str(ms->priv));
        json_object_object_add(o, "pc", hex(ms->pc));
        char sym[160];
        json_object_object_add(o, "symbol",
                               ms->kind != TL_CONSOLE && timeline_symbol(r, ms->pc, sym, sizeof(sym))
                                   ? json_object_new_string(sym) : NULL);
        json_object_object_add(o, "count", json_object_new_uint64(ms->count));
        if (ms->kind == TL_HSM_START || ms->kind == TL_EXT_IRQ || ms->kind == TL_TRAP)
            json_object_object_add(o, "arg", json_object_new_uint64(ms->arg));
        json_object_array_add(list, o);
    }
    json_object_object_add(d, "milestones", list);

    json_object *harts = json_object_new_array();
    for (unsigned h = 0; h < r->nharts && h < TIMELINE_MAX_HARTS; h++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "hart", json_object_new_int((int)h));
        json_object *ins = json_object_new_object();
        json_object_object_add(ins, "M", json_object_new_uint64(t->mode_insns[h][3]));
        json_object_object_add(ins, "S", json_object_new_uint64(t->mode_insns[h][1]));
        json_object_object_add(ins, "U", json_object_new_uint64(t->mode_insns[h][0]));
        json_object_object_add(o, "instructions", ins);
        json_object *sw = json_object_new_object();
        for (unsigned a = 0; a < 4; a++)
            for (unsigned b = 0; b < 4; b++)
                if (t->switches[h][a][b]) {
                    char k[8];
                    snprintf(k, sizeof(k), "%c->%c", timeline_mode_char(a), timeline_mode_char(b));
                    json_object_object_add(sw, k, json_object_new_uint64(t->switches[h][a][b]));
                }
        json_object_object_add(o, "switches", sw);
        if (lanes) {
            /* [icount, mode, icount, mode, ...]: flat, for size. */
            json_object *seg = json_object_new_array();
            for (size_t k = 0; k < t->nseg[h]; k++) {
                json_object_array_add(seg, json_object_new_uint64(t->seg[h][k].icount));
                json_object_array_add(seg, json_object_new_int(t->seg[h][k].priv));
            }
            json_object_object_add(o, "lane", seg);
        }
        json_object_array_add(harts, o);
    }
    json_object_object_add(d, "per_hart", harts);
    return d;
}
