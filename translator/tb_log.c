/* -d in_asm and -d out_asm: a new TB's guest instructions and host code. */
#include "config.h"

#include "translator/tb_log.h"

#include <inttypes.h>

#include "translator/decode.h"

#ifdef HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

void tb_log_insn(FILE *out, const Op *op)
{
    char text[96];
    disasm(text, sizeof(text), op->raw, op->len, op->pc);
    if (op->len == 2)
        fprintf(out, "  0x%016llx:  %04x      %s\n", (unsigned long long)op->pc, op->raw, text);
    else
        fprintf(out, "  0x%016llx:  %08x  %s\n", (unsigned long long)op->pc, op->raw, text);
}

bool tb_log_can_disassemble_host(void)
{
#ifdef HAVE_CAPSTONE
    return true;
#else
    return false;
#endif
}

/* Host lines are indented deeper than the guest lines they follow. */
#define HOST_INDENT "      "

/* pad: to the width of 10 bytes, where the instruction text starts. */
static void print_bytes(FILE *out, const uint8_t *p, size_t n, bool pad)
{
    char hex[3 * 16 + 1];
    size_t k = 0;
    for (size_t i = 0; i < n && i < 16; i++)
        k += (size_t)snprintf(hex + k, sizeof(hex) - k, "%02x ", p[i]);
    hex[k ? k - 1 : 0] = 0;
    fprintf(out, pad ? "%-30s" : "%s", hex);
}

/* Without a disassembler: the bytes, 8 to a line. */
static void dump_bytes(FILE *out, const uint8_t *code, size_t len)
{
    for (size_t off = 0; off < len; off += 8) {
        size_t n = len - off < 8 ? len - off : 8;
        fprintf(out, HOST_INDENT "0x%016" PRIxPTR ":  ", (uintptr_t)(code + off));
        print_bytes(out, code + off, n, false);
        fputc('\n', out);
    }
}

typedef struct HostDisasm {
#ifdef HAVE_CAPSTONE
    csh cs;
    bool open;
#else
    int unused;
#endif
} HostDisasm;

static void host_disasm_open(HostDisasm *d)
{
#ifdef HAVE_CAPSTONE
    d->open = cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) == CS_ERR_OK;
    /* AT&T syntax, as QEMU's out_asm prints x86 host code. */
    if (d->open)
        cs_option(d->cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
#else
    (void)d;
#endif
}

static void host_disasm_close(HostDisasm *d)
{
#ifdef HAVE_CAPSTONE
    if (d->open)
        cs_close(&d->cs);
#else
    (void)d;
#endif
}

/* The host instructions in [code, code + len). */
static void host_disasm_range(HostDisasm *d, FILE *out, const uint8_t *code, size_t len)
{
#ifdef HAVE_CAPSTONE
    if (!d->open) {
        dump_bytes(out, code, len);
        return;
    }
    size_t off = 0;
    while (off < len) {
        cs_insn *insn;
        size_t n = cs_disasm(d->cs, code + off, len - off, (uint64_t)(uintptr_t)(code + off), 0,
                             &insn);
        for (size_t i = 0; i < n; i++) {
            fprintf(out, HOST_INDENT "0x%016" PRIx64 ":  ", insn[i].address);
            print_bytes(out, insn[i].bytes, insn[i].size, true);
            fprintf(out, " %s%s%s\n", insn[i].mnemonic, insn[i].op_str[0] ? " " : "",
                    insn[i].op_str);
            off += insn[i].size;
        }
        if (n)
            cs_free(insn, n);
        if (off < len && n == 0) {
            /* Not an instruction capstone knows: show the byte, go on. */
            fprintf(out, HOST_INDENT "0x%016" PRIxPTR ":  %-30.2x .byte 0x%02x\n",
                    (uintptr_t)(code + off), code[off], code[off]);
            off++;
        }
    }
#else
    (void)d;
    dump_bytes(out, code, len);
#endif
}

static void section(HostDisasm *d, FILE *out, const NativeTbMap *map, const char *title,
                    uint32_t from, uint32_t to)
{
    if (title)
        fprintf(out, "  -- %s\n", title);
    if (to > from)
        host_disasm_range(d, out, map->code + from, to - from);
    else
        fprintf(out, HOST_INDENT "(no host code)\n");
}

void tb_log_out_asm(FILE *out, const TB *tb, const NativeTbMap *map, const char *why,
                    bool with_guest)
{
    /* ops[nd + k] is guest instruction k; a debugger breakpoint op may come
     * first, and a closing goto after the last instruction. */
    unsigned nd = tb->nops - tb->ninsns - (tb->ops[tb->nops - 1].fn == op_goto_next ? 1u : 0u);
    if (!map) {
        if (with_guest)
            for (unsigned i = nd; i < nd + tb->ninsns; i++)
                tb_log_insn(out, &tb->ops[i]);
        fprintf(out, "OUT: no host code (%s)\n\n", why);
        return;
    }
    fprintf(out, "OUT: [size=%u] pc 0x%llx\n", map->size, (unsigned long long)tb->vpc);
    if (!tb_log_can_disassemble_host())
        fprintf(out, "  (host code as bytes: disassembling it needs capstone; install "
                "libcapstone-dev and rebuild rewind)\n");
    HostDisasm d;
    host_disasm_open(&d);
    section(&d, out, map, "a failed chain entry's exit code, then the epilogue (every exit)", 0,
            map->entry);
    section(&d, out, map, "entry", map->entry, map->chain);
    section(&d, out, map,
            map->self_loop ? "chain entry (from a chained TB), a self loop's register loads, "
                           "then its loop entry (from its own exit: registers kept)"
                         : "chain entry (from a chained TB)",
            map->chain, map->op_start[0]);
    for (unsigned i = 0; i < map->nops; i++) {
        const Op *op = &tb->ops[i];
        char title[64];
        const char *t = title;
        if (i < nd) {
            t = "debugger breakpoint";
        } else if (i >= nd + tb->ninsns) {
            snprintf(title, sizeof(title), "goto 0x%016llx (end of block)",
                     (unsigned long long)op->pc);
        } else if (with_guest) {
            tb_log_insn(out, op);
            t = NULL;
        } else {
            snprintf(title, sizeof(title), "guest addr 0x%016llx", (unsigned long long)op->pc);
        }
        section(&d, out, map, t, map->op_start[i], map->op_start[i + 1]);
    }
    section(&d, out, map, "fall-through exit", map->op_start[map->nops], map->slow);
    if (map->size > map->slow)
        section(&d, out, map, "slow paths (TLB misses, MMIO)", map->slow, map->size);
    host_disasm_close(&d);
    fputc('\n', out);
}
