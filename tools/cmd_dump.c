/* `rewind dump TRACE [--json] [--stats]`: the header of a trace, then one
 * line per event (or one JSON object per line), or statistics.
 * `rewind dump --pcap FILE TRACE`: the network frames, both directions,
 * as a pcap file (tools/pcap_write.h).
 *
 * Exit codes, for scripts: 0 a complete trace, read to its end; 3 a trace
 * cut short (the recording was interrupted: everything readable is printed,
 * then a warning); 4 a damaged frame (what came before it is printed);
 * 125 bad options or a file that is not a readable trace. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/checkpoint.h"
#include "replay/trace.h"
#include "tools/commands.h"
#include "tools/output_file.h"
#include "devices/pcap_write.h"
#include "tools/packed.h"

enum { DUMP_CUT_SHORT = 3, DUMP_DAMAGED = 4 };

/* Payload bytes shown per event before "...". */
enum { SHOW_TEXT = 96, SHOW_HEX = 32 };

static void dump_usage(FILE *out)
{
    fprintf(out,
        "usage: rewind dump TRACE [--json] [--stats]\n"
        "       rewind dump --pcap FILE [--nic N] TRACE\n"
        "       rewind dump CHECKPOINT\n"
        "\n"
        "Print a trace: its header (configuration, command line, images), then one\n"
        "line per event: icount, hart, pc, kind and a summary of the payload.\n"
        "TRACE may be a packed file (rewind pack): its trace is shown (and its\n"
        "images checked against their hashes).\n"
        "A checkpoint file is checked whole and described: its machine, the\n"
        "instruction count, each hart, the devices' states, the RAM it holds.\n"
        "\n"
        "  --json    one JSON object per line: the header, each event, the summary\n"
        "  --stats   instead of the events: counts and bytes per kind, compressed\n"
        "            and uncompressed sizes, frames, icount span\n"
        "\n"
        "Exit: 0 complete trace, 3 cut short (interrupted recording), 4 damaged\n"
        "frame, 125 not a readable trace or bad options.\n");
}

/* Bytes as a C-like escaped string (text mode) or a JSON string body. */
static void put_escaped(FILE *out, const uint8_t *p, size_t len, bool json)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                fputc(c, out);
            else if (json)
                fprintf(out, "\\u%04x", c); /* a byte, shown as U+00XX */
            else
                fprintf(out, "\\x%02x", c);
        }
    }
}

static void put_hex(FILE *out, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%02x", p[i]);
}

static void put_json_string(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    put_escaped(out, (const uint8_t *)s, strlen(s), true);
    fputc('"', out);
}

static const char *kind_label(unsigned kind, char *buf, size_t len)
{
    const char *n = trace_kind_name(kind);
    if (n)
        return n;
    snprintf(buf, len, "kind%u", kind);
    return buf;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ------------------------------------------------------------ header */

/* shown: the path the user gave (a packed file's, not its unpacked trace's). */
static void print_header_text(const TraceReader *r, const char *shown, bool packed)
{
    const TraceHeader *h = trace_reader_header(r);
    printf("trace: %s%s\n", shown, packed ? " (packed: the trace and its images)" : "");
    printf("schema %" PRIu32 ", written by rewind %s\n", h->schema_version,
           h->rewind_version ? h->rewind_version : "?");
    printf("machine: %" PRIu64 " MiB RAM, %" PRIu32 " hart%s, %" PRIu64
           " ns per instruction%s, quantum %" PRIu64 ", digest every %" PRIu64 "\n",
           h->ram_size >> 20, h->nharts, h->nharts == 1 ? "" : "s", h->ns_per_insn,
           h->pace ? " (paced)" : "", h->quantum, h->digest_every);
    printf("rtc: %s\n", h->rtc ? h->rtc : "(default)");
    for (size_t i = 0; i < h->ndevices; i++)
        printf("device: %s\n", h->devices[i]);
    printf("command line:");
    for (size_t i = 0; i < h->argc; i++)
        printf(" %s", h->argv[i]);
    printf("\n");
    for (size_t i = 0; i < h->nimages; i++) {
        const TraceImage *im = &h->images[i];
        printf("image %s: %s (%" PRIu64 " bytes, xxh128 %016" PRIx64 "%016" PRIx64 ")\n",
               im->role ? im->role : "?", im->path ? im->path : "?", im->size,
               im->hash_hi, im->hash_lo);
    }
    if (h->start_state)
        printf("start: %s (a checkpoint of %zu bytes, embedded)\n",
               h->start_checkpoint ? h->start_checkpoint : "checkpoint", h->start_state_len);
    else
        printf("start: %s\n", h->start_checkpoint ? h->start_checkpoint : "power-on");
    for (size_t i = 0; i < h->noptions; i++)
        printf("option: %s=%s\n", h->options[i].key ? h->options[i].key : "",
               h->options[i].value ? h->options[i].value : "");
}

static void print_header_json(const TraceReader *r, const char *shown, bool packed)
{
    const TraceHeader *h = trace_reader_header(r);
    printf("{\"type\":\"header\",\"path\":");
    put_json_string(stdout, shown);
    printf(",\"packed\":%s", packed ? "true" : "false");
    printf(",\"schema_version\":%" PRIu32 ",\"rewind_version\":", h->schema_version);
    put_json_string(stdout, h->rewind_version);
    printf(",\"ram_size\":%" PRIu64 ",\"harts\":%" PRIu32 ",\"ns_per_insn\":%" PRIu64
           ",\"pace\":%s,\"quantum\":%" PRIu64 ",\"digest_every\":%" PRIu64 ",\"rtc\":",
           h->ram_size, h->nharts, h->ns_per_insn, h->pace ? "true" : "false", h->quantum,
           h->digest_every);
    put_json_string(stdout, h->rtc);
    printf(",\"devices\":[");
    for (size_t i = 0; i < h->ndevices; i++) {
        printf(i ? "," : "");
        put_json_string(stdout, h->devices[i]);
    }
    printf("],\"argv\":[");
    for (size_t i = 0; i < h->argc; i++) {
        printf(i ? "," : "");
        put_json_string(stdout, h->argv[i]);
    }
    printf("],\"images\":[");
    for (size_t i = 0; i < h->nimages; i++) {
        const TraceImage *im = &h->images[i];
        printf("%s{\"role\":", i ? "," : "");
        put_json_string(stdout, im->role);
        printf(",\"path\":");
        put_json_string(stdout, im->path);
        printf(",\"size\":%" PRIu64 ",\"xxh128\":\"%016" PRIx64 "%016" PRIx64 "\"}",
               im->size, im->hash_hi, im->hash_lo);
    }
    printf("],\"start_checkpoint\":");
    put_json_string(stdout, h->start_checkpoint);
    printf(",\"start_state_bytes\":%zu", h->start_state ? h->start_state_len : (size_t)0);
    printf(",\"options\":{");
    for (size_t i = 0; i < h->noptions; i++) {
        printf(i ? "," : "");
        put_json_string(stdout, h->options[i].key ? h->options[i].key : "");
        printf(":");
        put_json_string(stdout, h->options[i].value);
    }
    printf("}}\n");
}

/* ------------------------------------------------------------ events */

static void print_event_text(const TraceEvent *e)
{
    char kb[16];
    bool machine_ev = e->kind == TRACE_RESET || e->kind == TRACE_END;
    bool bare = e->kind == TRACE_RESET && !e->len && !e->exit_code; /* nothing after it */
    printf("%12" PRIu64 "  h%-3" PRIu32 " 0x%016" PRIx64 "  %-*s", e->icount, e->hart, e->pc,
           bare ? 0 : 8, kind_label(e->kind, kb, sizeof(kb)));
    switch (e->kind) {
    case TRACE_DIGEST:
        printf(" harts=%016" PRIx64 " memory=%016" PRIx64 " pages=%" PRIu64, e->digest_harts,
               e->digest_memory, e->digest_pages);
        return;
    case TRACE_EXIT:
        printf(" code=%" PRId32, e->exit_code);
        return;
    default:
        break;
    }
    if (machine_ev) { /* an optional code and reason */
        if (e->exit_code || e->kind == TRACE_END)
            printf(" code=%" PRId32, e->exit_code);
        if (e->len) {
            printf(" \"");
            put_escaped(stdout, e->payload, e->len, false);
            printf("\"");
        }
        return;
    }
    printf(" src=%" PRIu32, e->source);
    if (e->kind == TRACE_NET_RX || e->kind == TRACE_NET_TX)
        printf(" xxh64=%016" PRIx64, trace_payload_digest(e->payload, e->len));
    if (e->kind == TRACE_RTC_BASE && e->len == 8) {
        printf(" ns=%" PRIu64, le64(e->payload));
        return;
    }
    bool text = e->kind == TRACE_CONSOLE_INPUT || e->kind == TRACE_FAIL;
    size_t show = e->len < (text ? SHOW_TEXT : SHOW_HEX) ? e->len : (text ? SHOW_TEXT : SHOW_HEX);
    printf(" %zu byte%s ", e->len, e->len == 1 ? "" : "s");
    if (text) {
        putchar('"');
        put_escaped(stdout, e->payload, show, false);
        putchar('"');
    } else {
        put_hex(stdout, e->payload, show);
    }
    if (show < e->len)
        printf("...");
}

static void print_event_json(const TraceEvent *e)
{
    char kb[16];
    printf("{\"type\":\"event\",\"icount\":%" PRIu64 ",\"hart\":%" PRIu32
           ",\"pc\":\"0x%" PRIx64 "\",\"kind\":\"%s\",\"kind_id\":%" PRIu32
           ",\"source\":%" PRIu32 ",\"len\":%zu",
           e->icount, e->hart, e->pc, kind_label(e->kind, kb, sizeof(kb)), e->kind,
           e->source, e->len);
    if (e->len) {
        printf(",\"hex\":\"");
        put_hex(stdout, e->payload, e->len);
        printf("\"");
    }
    if (e->kind == TRACE_CONSOLE_INPUT || e->kind == TRACE_FAIL || e->kind == TRACE_END ||
        e->kind == TRACE_RESET) {
        printf(",\"text\":\"");
        put_escaped(stdout, e->payload, e->len, true);
        printf("\"");
    }
    if (e->kind == TRACE_RTC_BASE && e->len == 8)
        printf(",\"ns\":%" PRIu64, le64(e->payload));
    if (e->kind == TRACE_NET_RX || e->kind == TRACE_NET_TX)
        printf(",\"xxh64\":\"%016" PRIx64 "\"", trace_payload_digest(e->payload, e->len));
    if (e->kind == TRACE_DIGEST)
        printf(",\"digest_harts\":\"%016" PRIx64 "\",\"digest_memory\":\"%016" PRIx64
               "\",\"digest_pages\":%" PRIu64, e->digest_harts, e->digest_memory,
               e->digest_pages);
    if (e->kind == TRACE_EXIT || e->kind == TRACE_END || e->exit_code)
        printf(",\"exit_code\":%" PRId32, e->exit_code);
    printf("}\n");
}

/* ------------------------------------------------------------ stats */

typedef struct KindTotal {
    uint32_t kind;
    uint64_t events, bytes;
} KindTotal;

/* Network frames per NIC (source), each direction. */
typedef struct NicTotal {
    uint64_t rx, rx_bytes, tx, tx_bytes;
} NicTotal;

enum { DUMP_MAX_NICS = 16 };

typedef struct DumpStats {
    KindTotal kinds[64];
    unsigned nkinds;
    NicTotal nics[DUMP_MAX_NICS];
    unsigned nnics; /* highest NIC seen + 1 */
    uint64_t events;
    uint64_t first, last;
} DumpStats;

static void stats_add(DumpStats *s, const TraceEvent *e)
{
    if (!s->events)
        s->first = e->icount;
    s->last = e->icount;
    s->events++;
    unsigned i = 0;
    while (i < s->nkinds && s->kinds[i].kind != e->kind)
        i++;
    if (i == s->nkinds) {
        if (s->nkinds == sizeof(s->kinds) / sizeof(s->kinds[0]))
            return;
        s->kinds[s->nkinds++] = (KindTotal){ .kind = e->kind };
    }
    s->kinds[i].events++;
    s->kinds[i].bytes += e->len;
    if ((e->kind == TRACE_NET_RX || e->kind == TRACE_NET_TX) && e->source < DUMP_MAX_NICS) {
        NicTotal *n = &s->nics[e->source];
        if (e->kind == TRACE_NET_RX) {
            n->rx++;
            n->rx_bytes += e->len;
        } else {
            n->tx++;
            n->tx_bytes += e->len;
        }
        if (e->source + 1 > s->nnics)
            s->nnics = e->source + 1;
    }
}

static void print_stats_text(const DumpStats *st, const TraceSummary *sum)
{
    char kb[16];
    printf("%-10s %12s %14s\n", "kind", "events", "payload bytes");
    for (unsigned i = 0; i < st->nkinds; i++)
        printf("%-10s %12" PRIu64 " %14" PRIu64 "\n",
               kind_label(st->kinds[i].kind, kb, sizeof(kb)), st->kinds[i].events,
               st->kinds[i].bytes);
    for (unsigned i = 0; i < st->nnics; i++)
        printf("nic %u:         received %" PRIu64 " frames (%" PRIu64 " bytes), sent %"
               PRIu64 " frames (%" PRIu64 " bytes)\n", i, st->nics[i].rx,
               st->nics[i].rx_bytes, st->nics[i].tx, st->nics[i].tx_bytes);
    printf("events:        %" PRIu64 "\n", st->events);
    printf("frames:        %" PRIu64 "\n", sum->frames);
    printf("icount span:   %" PRIu64 "..%" PRIu64 " (%" PRIu64 " instructions)\n",
           st->first, st->last, st->last - st->first);
    printf("uncompressed:  %" PRIu64 " bytes\n", sum->uncompressed_bytes);
    printf("compressed:    %" PRIu64 " bytes (ratio %.2f)\n", sum->compressed_bytes,
           sum->compressed_bytes ? (double)sum->uncompressed_bytes / (double)sum->compressed_bytes
                                 : 0.0);
    printf("file size:     %" PRIu64 " bytes\n", sum->file_size);
    printf("complete:      %s\n", sum->complete ? "yes" : "no (cut short)");
}

static void print_stats_json(const DumpStats *st, const TraceSummary *sum)
{
    char kb[16];
    printf("{\"type\":\"stats\",\"kinds\":[");
    for (unsigned i = 0; i < st->nkinds; i++)
        printf("%s{\"kind\":\"%s\",\"kind_id\":%" PRIu32 ",\"events\":%" PRIu64
               ",\"payload_bytes\":%" PRIu64 "}", i ? "," : "",
               kind_label(st->kinds[i].kind, kb, sizeof(kb)), st->kinds[i].kind,
               st->kinds[i].events, st->kinds[i].bytes);
    printf("],\"nics\":[");
    for (unsigned i = 0; i < st->nnics; i++)
        printf("%s{\"nic\":%u,\"rx_frames\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
               ",\"tx_frames\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 "}", i ? "," : "", i,
               st->nics[i].rx, st->nics[i].rx_bytes, st->nics[i].tx, st->nics[i].tx_bytes);
    printf("],\"events\":%" PRIu64 ",\"frames\":%" PRIu64 ",\"first_icount\":%" PRIu64
           ",\"last_icount\":%" PRIu64 ",\"uncompressed_bytes\":%" PRIu64
           ",\"compressed_bytes\":%" PRIu64 ",\"file_size\":%" PRIu64 ",\"complete\":%s}\n",
           st->events, sum->frames, st->first, st->last, sum->uncompressed_bytes,
           sum->compressed_bytes, sum->file_size, sum->complete ? "true" : "false");
}

/* ------------------------------------------------------------ pcap */

/* The frames of the trace at path into a pcap file. Exit codes as for the
 * events; a trace cut short or damaged still gives the frames before. */
static int dump_pcap(const char *path, const char *pcap_path, long nic)
{
    char err[512];
    if (checkpoint_is_file(path)) {
        fprintf(stderr, "rewind dump: %s is a checkpoint: --pcap is for traces\n", path);
        return EXIT_REWIND_ERROR;
    }
    TraceReader *r = trace_reader_open(path, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "rewind dump: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    /* Never over the trace itself (or another trace). */
    OutputGuard guard;
    output_guard_init(&guard, false);
    output_guard_add_input(&guard, "TRACE", path);
    if (!output_guard_check(&guard, "--pcap", pcap_path, OUTPUT_PLAIN, err, sizeof(err))) {
        fprintf(stderr, "rewind dump: %s\n", err);
        trace_reader_close(r);
        return EXIT_REWIND_ERROR;
    }
    FILE *f = pcap_open(pcap_path, err, sizeof(err));
    if (!f) {
        fprintf(stderr, "rewind dump: --pcap %s\n", err);
        trace_reader_close(r);
        return EXIT_REWIND_ERROR;
    }
    uint64_t rx = 0, tx = 0, rx_bytes = 0, tx_bytes = 0;
    bool werr = false;
    TraceEvent e;
    int rc;
    while ((rc = trace_reader_next(r, &e)) > 0) {
        if ((e.kind != TRACE_NET_RX && e.kind != TRACE_NET_TX) ||
            (nic >= 0 && e.source != (uint32_t)nic))
            continue;
        if (!pcap_write_frame(f, e.icount, e.payload, e.len, UINT32_MAX)) {
            werr = true;
            break;
        }
        if (e.kind == TRACE_NET_RX) {
            rx++;
            rx_bytes += e.len;
        } else {
            tx++;
            tx_bytes += e.len;
        }
    }
    if (!pcap_close(f) || werr) {
        fprintf(stderr, "rewind dump: --pcap %s: %s\n", pcap_path, strerror(errno));
        trace_reader_close(r);
        return EXIT_REWIND_ERROR;
    }
    printf("%s: %" PRIu64 " frames received by the guest (%" PRIu64 " bytes), %" PRIu64
           " sent (%" PRIu64 " bytes)\n", pcap_path, rx, rx_bytes, tx, tx_bytes);
    TraceSummary sum;
    trace_reader_summary(r, &sum);
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "rewind dump: %s (the pcap holds the frames before)\n",
                trace_reader_error(r));
        code = DUMP_DAMAGED;
    } else if (!sum.complete) {
        fprintf(stderr, "rewind dump: warning: %s (the pcap holds the frames recorded)\n",
                sum.note);
        code = DUMP_CUT_SHORT;
    }
    trace_reader_close(r);
    return code;
}

/* ------------------------------------------------------------ command */

int cmd_dump(int argc, char **argv)
{
    const char *path = NULL, *pcap_path = NULL;
    bool json = false, stats = false;
    long nic = -1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--pcap") == 0 || strcmp(argv[i], "--nic") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "rewind dump: %s needs a value\n", argv[i]);
                return EXIT_REWIND_ERROR;
            }
            if (argv[i][2] == 'p') {
                pcap_path = argv[++i];
            } else {
                char *end;
                nic = strtol(argv[++i], &end, 10);
                if (!*argv[i] || *end || nic < 0 || nic > 255) {
                    fprintf(stderr, "rewind dump: --nic %s: expected a NIC number (0, 1, "
                            "...)\n", argv[i]);
                    return EXIT_REWIND_ERROR;
                }
            }
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--stats") == 0) {
            stats = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            dump_usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "rewind dump: unknown option '%s' (try rewind dump --help)\n",
                    argv[i]);
            return EXIT_REWIND_ERROR;
        } else if (path) {
            fprintf(stderr, "rewind dump: one trace at a time ('%s' and '%s')\n", path,
                    argv[i]);
            return EXIT_REWIND_ERROR;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        dump_usage(stderr);
        return EXIT_REWIND_ERROR;
    }
    if (pcap_path && (json || stats)) {
        fprintf(stderr, "rewind dump: --pcap writes a file: not with --json or --stats\n");
        return EXIT_REWIND_ERROR;
    }
    if (nic >= 0 && !pcap_path) {
        fprintf(stderr, "rewind dump: --nic only goes with --pcap\n");
        return EXIT_REWIND_ERROR;
    }
    char err[512];
    if (pcap_path)
        return dump_pcap(path, pcap_path, nic);
    if (checkpoint_is_file(path)) {
        if (json || stats) {
            fprintf(stderr, "rewind dump: %s is a checkpoint: --json and --stats are for "
                    "traces\n", path);
            return EXIT_REWIND_ERROR;
        }
        Checkpoint *c = checkpoint_open(path, err, sizeof(err));
        if (!c) {
            fprintf(stderr, "rewind dump: %s\n", err);
            return EXIT_REWIND_ERROR;
        }
        checkpoint_print(c, stdout);
        checkpoint_close(c);
        return 0;
    }
    PackedOpen pk; /* a packed file: its trace (the images are checked too) */
    if (!packed_open(path, &pk, err, sizeof(err))) {
        fprintf(stderr, "rewind dump: %s\n", err);
        return EXIT_REWIND_ERROR;
    }
    TraceReader *r = trace_reader_open(packed_trace_path(&pk, path), err, sizeof(err));
    if (!r) {
        fprintf(stderr, "rewind dump: %s\n", err);
        packed_close(&pk);
        return EXIT_REWIND_ERROR;
    }
    if (json)
        print_header_json(r, path, pk.packed);
    else
        print_header_text(r, path, pk.packed);
    if (!json && !stats)
        printf("%12s  %-5s%-18s  %-8s payload\n", "icount", "hart", "pc", "kind");

    DumpStats st = { .nkinds = 0 };
    TraceEvent e;
    int rc;
    while ((rc = trace_reader_next(r, &e)) > 0) {
        stats_add(&st, &e);
        if (stats)
            continue;
        if (json) {
            print_event_json(&e);
        } else {
            print_event_text(&e);
            putchar('\n');
        }
    }
    TraceSummary sum;
    trace_reader_summary(r, &sum);
    if (stats) {
        if (json)
            print_stats_json(&st, &sum);
        else
            print_stats_text(&st, &sum);
    } else if (json) {
        printf("{\"type\":\"summary\",\"events\":%" PRIu64 ",\"frames\":%" PRIu64
               ",\"complete\":%s,\"damaged\":%s}\n", st.events, sum.frames,
               sum.complete ? "true" : "false", rc < 0 ? "true" : "false");
    } else {
        printf("%" PRIu64 " event%s in %" PRIu64 " frame%s, %s\n", st.events,
               st.events == 1 ? "" : "s", sum.frames, sum.frames == 1 ? "" : "s",
               rc < 0 ? "damaged" : sum.complete ? "complete" : "cut short");
    }
    fflush(stdout);
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "rewind dump: %s\n", trace_reader_error(r));
        code = DUMP_DAMAGED;
    } else if (!sum.complete) {
        fprintf(stderr, "rewind dump: warning: %s\n", sum.note);
        code = DUMP_CUT_SHORT;
    }
    trace_reader_close(r);
    packed_close(&pk);
    return code;
}
