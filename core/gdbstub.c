/* The GDB stub: TCP server on libuv, packet dispatch and the command
 * handlers (see gdbstub.h). */
#include "core/gdbstub.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/csr.h"
#include "core/debug.h"
#include "core/gdb_packet.h"
#include "core/machine.h"
#include "core/memory.h"
#include "core/mmu.h"
#include "replay/replay.h"

/* GDB register numbers (the target description's regnum attributes):
 * x0-x31, pc, f0-f31, then every CSR at 65 + its number, and the virtual
 * priv register after the CSR space. */
enum {
    REG_PC = 32,
    REG_F0 = 33,
    REG_CSR0 = 65,
    REG_PRIV = REG_CSR0 + 4096,
};

/* The CSRs described in target.xml, in that order. */
static const struct {
    const char *name;
    uint16_t num;
} gdb_csrs[] = {
    { "sstatus", 0x100 }, { "sie", 0x104 }, { "stvec", 0x105 },
    { "scounteren", 0x106 }, { "senvcfg", 0x10a }, { "sscratch", 0x140 },
    { "sepc", 0x141 }, { "scause", 0x142 }, { "stval", 0x143 }, { "sip", 0x144 },
    { "satp", 0x180 },
    { "mstatus", 0x300 }, { "misa", 0x301 }, { "medeleg", 0x302 },
    { "mideleg", 0x303 }, { "mie", 0x304 }, { "mtvec", 0x305 },
    { "mcounteren", 0x306 }, { "menvcfg", 0x30a }, { "mcountinhibit", 0x320 },
    { "mscratch", 0x340 }, { "mepc", 0x341 }, { "mcause", 0x342 },
    { "mtval", 0x343 }, { "mip", 0x344 },
    { "pmpcfg0", 0x3a0 }, { "pmpcfg2", 0x3a2 },
    { "pmpaddr0", 0x3b0 }, { "pmpaddr1", 0x3b1 }, { "pmpaddr2", 0x3b2 },
    { "pmpaddr3", 0x3b3 }, { "pmpaddr4", 0x3b4 }, { "pmpaddr5", 0x3b5 },
    { "pmpaddr6", 0x3b6 }, { "pmpaddr7", 0x3b7 },
    { "mcycle", 0xb00 }, { "minstret", 0xb02 },
    { "cycle", 0xc00 }, { "time", 0xc01 }, { "instret", 0xc02 },
    { "mvendorid", 0xf11 }, { "marchid", 0xf12 }, { "mimpid", 0xf13 },
    { "mhartid", 0xf14 },
};

static const char *const gdb_xreg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const gdb_freg_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
    "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* Frames: payload escapes may double it. */
enum { GDB_FRAME_MAX = 2 * GDB_PACKET_MAX + 8 };

typedef struct GdbStub {
    Machine *m;
    uv_tcp_t server;
    uv_tcp_t *client;  /* NULL when nobody is connected */
    int handles_open;  /* the stub is freed when the last one closed */
    bool released;
    char host[64];
    unsigned port;
    GdbStubHooks hooks;

    GdbPacketParser rx;
    char rdbuf[4096];
    bool noack;        /* QStartNoAckMode */
    bool waiting;      /* a resume packet awaits its stop reply */
    bool detaching;    /* close the client once the reply is out */
    bool monitor_pending; /* a monitor command runs the machine: its
                           * output is the reply to the next stop */
    int g_hart, c_hart; /* Hg / Hc: the hart for registers / resumes */
    DebugStop last_stop;

    char *reply;       /* payload being built (GDB_PACKET_MAX + 1) */
    size_t rlen;
    bool rfull;        /* the reply did not fit */
    char *frame;       /* the last framed packet sent, for '-' */
    size_t flen;
    char *xml;         /* target.xml */
    size_t xml_len;

    /* A client without a socket (gdbstub_start_memory): what the stub
     * sends goes to memory_write; gdbstub_feed hands it what it receives. */
    GdbStubWriteFn memory_write;
    void *memory_opaque;
    bool memory_connected;
} GdbStub;

/* Is a debugger connected (by TCP or in memory)? */
static bool stub_connected(const GdbStub *s)
{
    return s->client || s->memory_connected;
}

/* ------------------------------------------------------------ output */

typedef struct WriteReq {
    uv_write_t req;
    char data[];
} WriteReq;

static void on_write(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows up as a read error too */
    free(req);
}

static void stub_write_raw(GdbStub *s, const char *buf, size_t len)
{
    if (!stub_connected(s) || len == 0)
        return;
    if (s->memory_connected) {
        s->memory_write(s->memory_opaque, buf, len);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)s->client, &b, 1);
    if (n == (int)len)
        return;
    if (n < 0 && n != UV_EAGAIN)
        return; /* the connection is broken: the read side will notice */
    size_t done = n > 0 ? (size_t)n : 0;
    WriteReq *w = malloc(sizeof(*w) + len - done);
    if (!w)
        return;
    memcpy(w->data, buf + done, len - done);
    b = uv_buf_init(w->data, (unsigned)(len - done));
    if (uv_write(&w->req, (uv_stream_t *)s->client, &b, 1, on_write) != 0)
        free(w);
}

static void reply_reset(GdbStub *s)
{
    s->rlen = 0;
    s->rfull = false;
    s->reply[0] = '\0';
}

static void reply_append(GdbStub *s, const char *data, size_t len)
{
    if (len > GDB_PACKET_MAX - s->rlen) {
        s->rfull = true;
        len = GDB_PACKET_MAX - s->rlen;
    }
    memcpy(s->reply + s->rlen, data, len);
    s->rlen += len;
    s->reply[s->rlen] = '\0';
}

static void reply_str(GdbStub *s, const char *str)
{
    reply_append(s, str, strlen(str));
}

__attribute__((format(printf, 2, 3)))
static void reply_fmt(GdbStub *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        reply_append(s, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void reply_hex(GdbStub *s, const void *data, size_t n)
{
    const uint8_t *d = data;
    char tmp[2 * 64 + 1];
    while (n) {
        size_t k = n < 64 ? n : 64;
        gdb_hex_encode(tmp, d, k);
        reply_append(s, tmp, 2 * k);
        d += k;
        n -= k;
    }
}

/* Little-endian register value of `bytes` bytes, as GDB expects. */
static void reply_reg(GdbStub *s, uint64_t v, unsigned bytes)
{
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    reply_hex(s, b, bytes);
}

static void send_payload(GdbStub *s, const char *payload, size_t len)
{
    size_t n = gdb_packet_encode(s->frame, GDB_FRAME_MAX, payload, len, true);
    if (n == 0) /* cannot happen with GDB_FRAME_MAX; be safe */
        n = gdb_packet_encode(s->frame, GDB_FRAME_MAX, "E01", 3, false);
    s->flen = n;
    stub_write_raw(s, s->frame, n);
}

static void send_reply(GdbStub *s)
{
    send_payload(s, s->reply, s->rlen);
}

static void send_str(GdbStub *s, const char *str)
{
    send_payload(s, str, strlen(str));
}

/* ------------------------------------------------------------ harts */

static Hart *stub_hart(GdbStub *s, int idx)
{
    Machine *m = s->m;
    if (idx < 0 || (unsigned)idx >= m->nharts)
        idx = 0;
    return &m->harts[idx];
}

/* "thread-id": -1 (all), 0 (any) or hart + 1. Returns false if malformed
 * or no such hart; *hart is -1 for all/any. */
static bool parse_thread(const char **p, int *hart, unsigned nharts)
{
    if ((*p)[0] == '-' && (*p)[1] == '1') {
        *p += 2;
        *hart = -1;
        return true;
    }
    uint64_t t;
    if (!gdb_parse_hex(p, &t))
        return false;
    if (t == 0) {
        *hart = -1;
        return true;
    }
    if (t > nharts)
        return false;
    *hart = (int)t - 1;
    return true;
}

static const char *priv_name(unsigned priv)
{
    switch (priv) {
    case PRV_U: return "U";
    case PRV_S: return "S";
    case PRV_M: return "M";
    default: return "?";
    }
}

/* ------------------------------------------------------------ registers */

/* Size in bytes of register regnum, 0 if the stub does not have it. */
static unsigned reg_size(unsigned regnum)
{
    if (regnum <= REG_PC || (regnum >= REG_F0 && regnum < REG_F0 + 32) ||
        regnum == REG_PRIV)
        return 8;
    if (regnum == REG_CSR0 + CSR_FFLAGS || regnum == REG_CSR0 + CSR_FRM ||
        regnum == REG_CSR0 + CSR_FCSR)
        return 4;
    if (regnum > REG_CSR0 && regnum < REG_PRIV) {
        unsigned num = regnum - REG_CSR0;
        for (size_t i = 0; i < sizeof(gdb_csrs) / sizeof(gdb_csrs[0]); i++)
            if (gdb_csrs[i].num == num)
                return 8;
    }
    return 0;
}

/* The debugger reads and writes CSRs with M-mode rights, whatever the
 * hart's privilege, through the same functions as the instructions (reads
 * have no side effects). */
static bool csr_debug_read(Hart *h, unsigned num, uint64_t *v)
{
    uint8_t priv = h->priv;
    h->priv = PRV_M;
    CsrResult r = csr_read(h, num, h->icount, v);
    h->priv = priv;
    return r == CSR_OK;
}

static bool csr_debug_write(Hart *h, unsigned num, uint64_t v)
{
    uint8_t priv = h->priv;
    h->priv = PRV_M;
    CsrResult r = csr_write(h, num, h->icount, v);
    h->priv = priv;
    /* The write may have computed the MMU state for M: redo it for the
     * real privilege, and drop whatever was derived from the old value. */
    hart_update_mmu_idx(h);
    hart_tlb_flush(h);
    hart_jmp_cache_flush(h);
    return r == CSR_OK;
}

static bool reg_read(Hart *h, unsigned regnum, uint64_t *v)
{
    if (regnum < 32) {
        *v = regnum ? h->x[regnum] : 0;
    } else if (regnum == REG_PC) {
        *v = h->pc;
    } else if (regnum >= REG_F0 && regnum < REG_F0 + 32) {
        *v = h->f[regnum - REG_F0];
    } else if (regnum == REG_PRIV) {
        *v = h->priv;
    } else if (regnum == REG_CSR0 + CSR_FFLAGS) {
        *v = h->csr.fflags;
    } else if (regnum == REG_CSR0 + CSR_FRM) {
        *v = h->csr.frm;
    } else if (regnum == REG_CSR0 + CSR_FCSR) {
        *v = (uint64_t)h->csr.frm << 5 | h->csr.fflags;
    } else if (reg_size(regnum)) {
        return csr_debug_read(h, regnum - REG_CSR0, v);
    } else {
        return false;
    }
    return true;
}

static bool reg_write(Hart *h, unsigned regnum, uint64_t v)
{
    if (regnum < 32) {
        if (regnum)
            h->x[regnum] = v;
    } else if (regnum == REG_PC) {
        h->pc = v & ~1ULL;
    } else if (regnum >= REG_F0 && regnum < REG_F0 + 32) {
        h->f[regnum - REG_F0] = v;
    } else if (regnum == REG_PRIV) {
        if (v != PRV_U && v != PRV_S && v != PRV_M)
            return false;
        h->priv = (uint8_t)v;
        hart_update_mmu_idx(h);
        hart_jmp_cache_flush(h);
    } else if (regnum == REG_CSR0 + CSR_FFLAGS) {
        h->csr.fflags = (uint32_t)(v & 0x1f);
    } else if (regnum == REG_CSR0 + CSR_FRM) {
        h->csr.frm = (uint32_t)(v & 7);
    } else if (regnum == REG_CSR0 + CSR_FCSR) {
        h->csr.fflags = (uint32_t)(v & 0x1f);
        h->csr.frm = (uint32_t)((v >> 5) & 7);
    } else if (reg_size(regnum)) {
        return csr_debug_write(h, regnum - REG_CSR0, v);
    } else {
        return false;
    }
    return true;
}

static bool parse_reg_value(const char *hex, unsigned bytes, uint64_t *v)
{
    uint8_t b[8];
    if (!gdb_hex_decode(hex, b, bytes))
        return false;
    *v = 0;
    for (unsigned i = 0; i < bytes; i++)
        *v |= (uint64_t)b[i] << (8 * i);
    return true;
}

/* ------------------------------------------------------------ memory */

/* Guest RAM behind virtual address va for up to n bytes within its page,
 * through h's current translation. Devices are not touched: reading one
 * may have side effects. */
static uint8_t *mem_ptr(Hart *h, uint64_t va, uint64_t *n)
{
    uint64_t pa;
    if (!mmu_debug_translate(h, va, &pa))
        return NULL;
    uint64_t room = 0x1000 - (va & 0xfff);
    if (*n > room)
        *n = room;
    return memory_ram_ptr(&h->m->mem, pa, *n);
}

/* Copy guest memory to buf; returns the bytes that could be read. */
static uint64_t mem_read(Hart *h, uint64_t va, uint8_t *buf, uint64_t len)
{
    uint64_t done = 0;
    while (done < len) {
        uint64_t n = len - done;
        const uint8_t *p = mem_ptr(h, va + done, &n);
        if (!p)
            break;
        memcpy(buf + done, p, n);
        done += n;
    }
    return done;
}

/* Write guest memory; false, with nothing written, when some byte is not
 * RAM. */
static bool mem_write(Hart *h, uint64_t va, const uint8_t *buf, uint64_t len)
{
    for (uint64_t done = 0; done < len;) {
        uint64_t n = len - done;
        if (!mem_ptr(h, va + done, &n))
            return false;
        done += n;
    }
    uint64_t done = 0;
    while (done < len) {
        uint64_t n = len - done;
        uint8_t *p = mem_ptr(h, va + done, &n);
        if (!p)
            return false;
        uint64_t pa;
        mmu_debug_translate(h, va + done, &pa);
        /* Translated code there must go, as for a guest store. */
        machine_ram_written(h->m, pa, n);
        memcpy(p, buf + done, n);
        done += n;
    }
    return true;
}

/* ------------------------------------------------------------ target.xml */

static bool xml_add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool xml_add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return false;
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return true;
        }
        size_t ncap = *cap * 2 + (size_t)n;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return false;
        *buf = nb;
        *cap = ncap;
    }
}

static bool build_target_xml(GdbStub *s)
{
    size_t cap = 8192, len = 0;
    char *b = malloc(cap);
    if (!b)
        return false;
    b[0] = '\0';
    bool ok = xml_add(&b, &len, &cap,
                      "<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                      "<target version=\"1.0\">\n"
                      "<architecture>riscv:rv64</architecture>\n"
                      "<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
    for (unsigned i = 0; ok && i < 32; i++)
        ok = xml_add(&b, &len, &cap,
                     "<reg name=\"%s\" bitsize=\"64\" type=\"%s\" regnum=\"%u\"/>\n",
                     gdb_xreg_names[i],
                     i == 1 ? "code_ptr" : i == 2 || i == 8 ? "data_ptr" : "int", i);
    ok = ok && xml_add(&b, &len, &cap,
                       "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"%u\"/>\n"
                       "</feature>\n<feature name=\"org.gnu.gdb.riscv.fpu\">\n",
                       REG_PC);
    for (unsigned i = 0; ok && i < 32; i++)
        ok = xml_add(&b, &len, &cap,
                     "<reg name=\"%s\" bitsize=\"64\" type=\"ieee_double\" regnum=\"%u\"/>\n",
                     gdb_freg_names[i], REG_F0 + i);
    static const char *const fcsrs[3] = { "fflags", "frm", "fcsr" };
    for (unsigned i = 0; ok && i < 3; i++)
        ok = xml_add(&b, &len, &cap,
                     "<reg name=\"%s\" bitsize=\"32\" type=\"int\" regnum=\"%u\"/>\n",
                     fcsrs[i], REG_CSR0 + CSR_FFLAGS + i);
    ok = ok && xml_add(&b, &len, &cap, "</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n");
    for (size_t i = 0; ok && i < sizeof(gdb_csrs) / sizeof(gdb_csrs[0]); i++)
        ok = xml_add(&b, &len, &cap,
                     "<reg name=\"%s\" bitsize=\"64\" type=\"uint64\" regnum=\"%u\"/>\n",
                     gdb_csrs[i].name, REG_CSR0 + gdb_csrs[i].num);
    ok = ok && xml_add(&b, &len, &cap,
                       "</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n"
                       "<reg name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"%u\"/>\n"
                       "</feature>\n</target>\n", REG_PRIV);
    if (!ok) {
        free(b);
        return false;
    }
    s->xml = b;
    s->xml_len = len;
    return true;
}

/* ------------------------------------------------------------ stop replies */

static void reply_stop(GdbStub *s, const DebugStop *st)
{
    int hart = st->hart >= 0 ? st->hart : (s->g_hart >= 0 ? s->g_hart : 0);
    int sig = st->kind == DEBUG_STOP_INTERRUPT ? 2 : 5; /* SIGINT, SIGTRAP */
    reply_fmt(s, "T%02xthread:%x;", sig, hart + 1);
    if (st->kind == DEBUG_STOP_BREAK)
        reply_str(s, st->bp_kind == DEBUG_BP_HW ? "hwbreak:;" : "swbreak:;");
    else if (st->kind == DEBUG_STOP_HISTORY_BEGIN || st->kind == DEBUG_STOP_HISTORY_END)
        reply_fmt(s, "replaylog:%s;", st->kind == DEBUG_STOP_HISTORY_BEGIN ? "begin" : "end");
    else if (st->kind == DEBUG_STOP_WATCH)
        reply_fmt(s, "%s:%" PRIx64 ";",
                  st->watch_kind == DEBUG_WATCH_WRITE ? "watch"
                  : st->watch_kind == DEBUG_WATCH_READ ? "rwatch" : "awatch",
                  st->addr);
}

/* debug.h front end: the machine stopped. */
static void stub_on_stopped(void *opaque, const DebugStop *why)
{
    GdbStub *s = opaque;
    /* A stop GDB hears of makes the thread that stopped its general
     * thread (GDB assumes so and sends Hg only when it changes its mind);
     * the continue thread (Hc) stays what GDB last set. One that ends a
     * monitor command (a seek) is not reported as a stop: GDB keeps its
     * threads, and so must the stub, or GDB would read another hart's
     * registers. */
    if (!s->monitor_pending) {
        s->last_stop = *why;
        if (why->hart >= 0)
            s->g_hart = why->hart;
    }
    /* While stopped, the listening socket keeps the loop alive, so that
     * debug_serve can wait for a (new) debugger. */
    uv_ref((uv_handle_t *)&s->server);
    if (!s->waiting || !stub_connected(s))
        return;
    s->waiting = false;
    reply_reset(s);
    if (s->monitor_pending) {
        /* The command that ran the machine answers now, with its output. */
        s->monitor_pending = false;
        char out[4096] = "";
        if (s->hooks.monitor_done)
            s->hooks.monitor_done(s->hooks.opaque, s->m, out, sizeof(out));
        reply_hex(s, out, strlen(out));
    } else {
        reply_stop(s, why);
    }
    send_reply(s);
}

static void stub_on_exited(void *opaque)
{
    GdbStub *s = opaque;
    Machine *m = s->m;
    if (!s->waiting || !stub_connected(s))
        return;
    s->waiting = false;
    if (s->monitor_pending) {
        /* GDB waits for a monitor command's output, not for a stop. */
        s->monitor_pending = false;
        char msg[400];
        snprintf(msg, sizeof(msg), "rewind: the machine stopped for good: %s\n",
                 m->stop == STOP_ERROR ? m->error
                                       : "see rewind's own messages (a replay that diverged?)");
        reply_reset(s);
        reply_hex(s, msg, strlen(msg));
        send_reply(s);
        return;
    }
    char buf[32];
    if (m->stop == STOP_EXIT) {
        snprintf(buf, sizeof(buf), "W%02x", m->exit_code & 0xff);
    } else {
        /* Say why on GDB's console, then report a "signal" exit. */
        reply_reset(s);
        reply_str(s, "O");
        char msg[300];
        snprintf(msg, sizeof(msg), "rewind: %s\n", m->error);
        reply_hex(s, msg, strlen(msg));
        send_reply(s);
        snprintf(buf, sizeof(buf), "X06");
    }
    send_str(s, buf);
}

static void stub_resume(GdbStub *s, uint32_t step_mask)
{
    s->waiting = true;
    /* Running, the stub must not keep a stuck guest's loop alive on its
     * own: only a connected debugger does. */
    uv_unref((uv_handle_t *)&s->server);
    debug_resume(s->m, step_mask);
}

/* ------------------------------------------------------------ commands */

static const char *writes_refused(GdbStub *s)
{
    if (s->hooks.writes_refused)
        return s->hooks.writes_refused(s->hooks.opaque, s->m);
    if (replay_mode(s->m) == REPLAY_PLAY)
        return "a replay is read-only (a change would make it diverge from its recording)";
    return NULL;
}

/* A write the debugger may not make (a replay): say why, on rewind's
 * terminal and in the error reply (GDB shows "E.text" replies to register
 * writes verbatim). Returns true when refused (the reply is made). */
static bool refuse_write(GdbStub *s, const char *what)
{
    const char *why = writes_refused(s);
    if (!why)
        return false;
    fprintf(stderr, "rewind: the debugger's write to %s was refused: %s\n", what, why);
    reply_fmt(s, "E.%s", why);
    return true;
}

static void cmd_read_regs(GdbStub *s)
{
    Hart *h = stub_hart(s, s->g_hart);
    for (unsigned i = 0; i <= REG_PC; i++) {
        uint64_t v;
        reg_read(h, i, &v);
        reply_reg(s, v, 8);
    }
}

static void cmd_write_regs(GdbStub *s, const char *p)
{
    if (refuse_write(s, "the registers"))
        return;
    Hart *h = stub_hart(s, s->g_hart);
    size_t len = strlen(p);
    /* Whole registers, as many as 'g' gives (GDB sends them all back). */
    if (len == 0 || len % 16 || len > 16 * (REG_PC + 1)) {
        reply_str(s, "E01");
        return;
    }
    uint64_t v[REG_PC + 1];
    unsigned n = (unsigned)(len / 16);
    for (unsigned i = 0; i < n; i++)
        if (!parse_reg_value(p + 16 * i, 8, &v[i])) {
            reply_str(s, "E01");
            return;
        }
    for (unsigned i = 0; i < n; i++)
        reg_write(h, i, v[i]);
    reply_str(s, "OK");
}

static void cmd_read_reg(GdbStub *s, const char *p)
{
    uint64_t n, v;
    unsigned size;
    if (!gdb_parse_hex(&p, &n) || *p || n > REG_PRIV || !(size = reg_size((unsigned)n))) {
        reply_str(s, "E01");
        return;
    }
    if (!reg_read(stub_hart(s, s->g_hart), (unsigned)n, &v)) {
        reply_str(s, "E01");
        return;
    }
    reply_reg(s, v, size);
}

static void cmd_write_reg(GdbStub *s, const char *p)
{
    uint64_t n, v;
    unsigned size;
    if (!gdb_parse_hex(&p, &n) || *p++ != '=' || n > REG_PRIV ||
        !(size = reg_size((unsigned)n)) || strlen(p) != 2 * size ||
        !parse_reg_value(p, size, &v)) {
        reply_str(s, "E01");
        return;
    }
    if (refuse_write(s, "a register"))
        return;
    if (!reg_write(stub_hart(s, s->g_hart), (unsigned)n, v)) {
        reply_str(s, "E01");
        return;
    }
    reply_str(s, "OK");
}

/* "ADDR,LEN" */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
    return gdb_parse_hex(p, addr) && *(*p)++ == ',' && gdb_parse_hex(p, len);
}

static void cmd_read_mem(GdbStub *s, const char *p)
{
    uint64_t addr, len;
    if (!parse_addr_len(&p, &addr, &len) || *p) {
        reply_str(s, "E01");
        return;
    }
    if (len > GDB_PACKET_MAX / 2)
        len = GDB_PACKET_MAX / 2; /* a shorter answer is allowed */
    uint8_t buf[GDB_PACKET_MAX / 2];
    uint64_t n = mem_read(stub_hart(s, s->g_hart), addr, buf, len);
    if (n == 0 && len != 0) {
        reply_str(s, "E14"); /* EFAULT */
        return;
    }
    reply_hex(s, buf, n);
}

/* M (hex data) and X (binary data). data points into the packet buffer,
 * which may be modified. */
static void cmd_write_mem(GdbStub *s, char *p, size_t plen, bool binary)
{
    const char *q = p;
    uint64_t addr, len;
    if (!parse_addr_len(&q, &addr, &len) || *q != ':') {
        reply_str(s, "E01");
        return;
    }
    q++;
    size_t avail = plen - (size_t)(q - p);
    uint8_t buf[GDB_PACKET_MAX];
    if (len > sizeof(buf)) {
        reply_str(s, "E01");
        return;
    }
    if (binary) {
        size_t n = gdb_packet_unescape((uint8_t *)p + (q - p), avail);
        if (n != len) {
            reply_str(s, "E01");
            return;
        }
        memcpy(buf, q, n);
    } else if (avail != 2 * len || !gdb_hex_decode(q, buf, len)) {
        reply_str(s, "E01");
        return;
    }
    if (len == 0) { /* GDB probes X support this way */
        reply_str(s, "OK");
        return;
    }
    if (refuse_write(s, "memory"))
        return;
    if (!mem_write(stub_hart(s, s->g_hart), addr, buf, len)) {
        reply_str(s, "E14");
        return;
    }
    reply_str(s, "OK");
}

static void cmd_point(GdbStub *s, const char *p, bool insert)
{
    /* Z/z TYPE,ADDR,KIND[;cond...] */
    uint64_t type, addr, kind;
    if (!gdb_parse_hex(&p, &type) || *p++ != ',' || !parse_addr_len(&p, &addr, &kind) ||
        (*p && *p != ';')) {
        reply_str(s, "E01");
        return;
    }
    Machine *m = s->m;
    bool ok;
    switch (type) {
    case 0:
    case 1: {
        int k = type == 0 ? DEBUG_BP_SW : DEBUG_BP_HW;
        ok = insert ? debug_bp_insert(m, addr, k) : debug_bp_remove(m, addr, k);
        break;
    }
    case 2:
    case 3:
    case 4: {
        int k = type == 2 ? DEBUG_WATCH_WRITE : type == 3 ? DEBUG_WATCH_READ
                                                         : DEBUG_WATCH_ACCESS;
        ok = insert ? debug_wp_insert(m, addr, kind, k) : debug_wp_remove(m, addr, kind, k);
        break;
    }
    default:
        return; /* unsupported type: empty reply */
    }
    reply_str(s, ok ? "OK" : "E22");
}

/* c/s [ADDR], C/S SIG[;ADDR]. Returns true when the machine was resumed
 * (the reply is the stop, later). */
static bool cmd_legacy_resume(GdbStub *s, const char *p, bool step, bool with_sig)
{
    uint64_t v;
    if (with_sig) {
        if (!gdb_parse_hex(&p, &v)) {
            reply_str(s, "E01");
            return false;
        }
        if (*p == ';')
            p++;
    }
    int hart = s->c_hart >= 0 ? s->c_hart : (s->g_hart >= 0 ? s->g_hart : 0);
    if (*p) {
        if (!gdb_parse_hex(&p, &v) || *p) {
            reply_str(s, "E01");
            return false;
        }
        stub_hart(s, hart)->pc = v & ~1ULL;
    }
    stub_resume(s, step ? 1u << hart : 0);
    return true;
}

/* vCont;ACTION[:THREAD]...: see cmd_legacy_resume. */
static bool cmd_vcont(GdbStub *s, const char *p)
{
    Machine *m = s->m;
    uint32_t step = 0, assigned = 0;
    bool runs = false;
    const uint32_t all = (uint32_t)((1ULL << m->nharts) - 1);
    while (*p == ';') {
        p++;
        char act = *p++;
        uint64_t v;
        if (act == 'C' || act == 'S') {
            if (!gdb_parse_hex(&p, &v)) {
                reply_str(s, "E01");
                return false;
            }
        } else if (act == 'r') { /* range step: stepping is as good */
            uint64_t end;
            if (!parse_addr_len(&p, &v, &end)) {
                reply_str(s, "E01");
                return false;
            }
        } else if (act != 'c' && act != 's' && act != 't') {
            reply_str(s, "E01");
            return false;
        }
        bool is_step = act == 's' || act == 'S' || act == 'r';
        runs |= act != 't';
        uint32_t which = all & ~assigned; /* no thread: every one not named yet */
        if (*p == ':') {
            p++;
            int hart;
            if (!parse_thread(&p, &hart, m->nharts)) {
                reply_str(s, "E01");
                return false;
            }
            which = hart < 0 ? all & ~assigned : (1u << hart) & ~assigned;
        }
        if (is_step)
            step |= which;
        assigned |= which;
    }
    if (*p) {
        reply_str(s, "E01");
        return false;
    }
    if (!runs) { /* only 't' (stop): all-stop mode, nothing runs */
        reply_str(s, "OK");
        return false;
    }
    stub_resume(s, step);
    return true;
}

/* qRcmd. Returns true when the command resumed the machine (the reply
 * comes with the next stop). */
static bool cmd_monitor(GdbStub *s, const char *hex)
{
    size_t n = strlen(hex) / 2;
    char cmd[512];
    if (n >= sizeof(cmd) || strlen(hex) % 2 || !gdb_hex_decode(hex, (uint8_t *)cmd, n)) {
        reply_str(s, "E01");
        return false;
    }
    cmd[n] = '\0';
    while (n && (cmd[n - 1] == ' ' || cmd[n - 1] == '\n'))
        cmd[--n] = '\0';
    const char *c = cmd;
    while (*c == ' ')
        c++;
    Machine *m = s->m;
    char out[4096];
    size_t o = 0;
#define OUT(...)                                                             \
    do {                                                                     \
        if (o < sizeof(out))                                                 \
            o += (size_t)snprintf(out + o, sizeof(out) - o, __VA_ARGS__);    \
    } while (0)
    if (strcmp(c, "icount") == 0) {
        OUT("icount %" PRIu64, machine_icount(m));
        uint64_t total = s->hooks.total_icount
                             ? s->hooks.total_icount(s->hooks.opaque, m) : UINT64_MAX;
        if (total != UINT64_MAX)
            OUT(" of %" PRIu64 " recorded", total);
        OUT("\n");
        for (unsigned i = 0; m->nharts > 1 && i < m->nharts; i++)
            OUT("  hart %u: %" PRIu64 "\n", i, m->harts[i].icount);
    } else if (strcmp(c, "info harts") == 0) {
        for (unsigned i = 0; i < m->nharts; i++) {
            const Hart *h = &m->harts[i];
            OUT("hart %u (thread %u): pc 0x%016" PRIx64 " priv %s%s icount %" PRIu64 "\n",
                i, i + 1, h->pc, priv_name(h->priv), h->wfi ? " wfi" : "", h->icount);
        }
    } else if (strcmp(c, "help") == 0 || *c == '\0') {
        OUT("monitor icount      instructions retired so far (all harts)\n"
            "monitor info harts  pc, privilege, wfi state and icount of each hart\n");
        bool resumed = false;
        if (s->hooks.monitor)
            s->hooks.monitor(s->hooks.opaque, m, "help", out + (o < sizeof(out) ? o : 0),
                             o < sizeof(out) ? sizeof(out) - o : 0, &resumed);
        o = strlen(out);
    } else if (s->hooks.monitor) {
        bool resumed = false;
        out[0] = '\0';
        if (!s->hooks.monitor(s->hooks.opaque, m, c, out, sizeof(out), &resumed)) {
            OUT("unknown monitor command '%s' (try: monitor help)\n", c);
        } else if (resumed) {
            /* The machine runs (a seek): the reply waits for its stop. */
            s->monitor_pending = true;
            s->waiting = true;
            uv_unref((uv_handle_t *)&s->server);
            return true;
        } else {
            o = strlen(out);
        }
    } else {
        OUT("unknown monitor command '%s' (try: monitor help)\n", c);
    }
#undef OUT
    if (o > sizeof(out) - 1)
        o = sizeof(out) - 1;
    reply_hex(s, out, o);
    return false;
}

static void cmd_qxfer(GdbStub *s, const char *p)
{
    /* qXfer:features:read:ANNEX:OFFSET,LENGTH */
    const char *pre = "features:read:";
    if (strncmp(p, pre, strlen(pre)) != 0)
        return; /* other objects: not supported */
    p += strlen(pre);
    const char *colon = strchr(p, ':');
    if (!colon) {
        reply_str(s, "E01");
        return;
    }
    size_t alen = (size_t)(colon - p);
    p = colon + 1;
    uint64_t off, len;
    if (!parse_addr_len(&p, &off, &len) || *p) {
        reply_str(s, "E01");
        return;
    }
    if (alen != strlen("target.xml") || strncmp(colon - alen, "target.xml", alen) != 0) {
        reply_str(s, "E00");
        return;
    }
    if (off >= s->xml_len) {
        reply_str(s, "l");
        return;
    }
    uint64_t n = s->xml_len - off;
    /* Escapes may double a byte on the wire; XML text has none to escape,
     * but stay within the packet anyway. */
    uint64_t max = GDB_PACKET_MAX / 2 - 1;
    if (len > max)
        len = max;
    bool last = n <= len;
    if (!last)
        n = len;
    reply_str(s, last ? "l" : "m");
    reply_append(s, s->xml + off, n);
}

/* q packets. Returns true when the machine was resumed (qRcmd). */
static bool cmd_query(GdbStub *s, const char *p)
{
    Machine *m = s->m;
    if (strncmp(p, "Supported", 9) == 0) {
        reply_fmt(s, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
                     "vContSupported+;QStartNoAckMode+", GDB_PACKET_MAX);
        if (s->hooks.features && *s->hooks.features)
            reply_fmt(s, ";%s", s->hooks.features);
    } else if (strncmp(p, "Xfer:", 5) == 0) {
        cmd_qxfer(s, p + 5);
    } else if (strcmp(p, "Attached") == 0 || strncmp(p, "Attached:", 9) == 0) {
        reply_str(s, "1");
    } else if (strcmp(p, "C") == 0) {
        reply_fmt(s, "QC%x", (s->g_hart >= 0 ? s->g_hart : 0) + 1);
    } else if (strcmp(p, "fThreadInfo") == 0) {
        reply_str(s, "m");
        for (unsigned i = 0; i < m->nharts; i++)
            reply_fmt(s, i ? ",%x" : "%x", i + 1);
    } else if (strcmp(p, "sThreadInfo") == 0) {
        reply_str(s, "l");
    } else if (strncmp(p, "ThreadExtraInfo,", 16) == 0) {
        const char *q = p + 16;
        int hart;
        if (!parse_thread(&q, &hart, m->nharts) || hart < 0 || *q) {
            reply_str(s, "E01");
            return false;
        }
        const Hart *h = &m->harts[hart];
        char text[96];
        snprintf(text, sizeof(text), "hart %d, %s-mode%s", hart, priv_name(h->priv),
                 h->wfi ? ", wfi" : "");
        reply_hex(s, text, strlen(text));
    } else if (strncmp(p, "Rcmd,", 5) == 0) {
        return cmd_monitor(s, p + 5);
    } else if (strncmp(p, "Symbol:", 7) == 0) {
        reply_str(s, "OK");
    }
    /* anything else: the empty reply (unsupported) */
    return false;
}

static void cmd_set_thread(GdbStub *s, const char *p)
{
    char op = *p++;
    int hart;
    if ((op != 'g' && op != 'c') || !parse_thread(&p, &hart, s->m->nharts) || *p) {
        reply_str(s, "E22");
        return;
    }
    if (op == 'g') {
        if (hart >= 0)
            s->g_hart = hart;
    } else {
        s->c_hart = hart;
    }
    reply_str(s, "OK");
}

static void stub_close_client(GdbStub *s);

static void cmd_kill(GdbStub *s)
{
    fprintf(stderr, "rewind: killed from the debugger\n");
    debug_kill(s->m);
    s->waiting = false;
    stub_close_client(s);
}

/* Handle one packet and send its reply, except after a resume: the stop
 * reply comes when the machine stops. */
static void dispatch(GdbStub *s, char *pkt, size_t len)
{
    Machine *m = s->m;
    reply_reset(s);
    bool resumed = false;
    switch (pkt[0]) {
    case '?':
        reply_stop(s, &s->last_stop);
        break;
    case 'g':
        if (len == 1)
            cmd_read_regs(s);
        else
            reply_str(s, "E01");
        break;
    case 'G': cmd_write_regs(s, pkt + 1); break;
    case 'p': cmd_read_reg(s, pkt + 1); break;
    case 'P': cmd_write_reg(s, pkt + 1); break;
    case 'm': cmd_read_mem(s, pkt + 1); break;
    case 'M': cmd_write_mem(s, pkt + 1, len - 1, false); break;
    case 'X': cmd_write_mem(s, pkt + 1, len - 1, true); break;
    case 'Z': cmd_point(s, pkt + 1, true); break;
    case 'z': cmd_point(s, pkt + 1, false); break;
    case 'H': cmd_set_thread(s, pkt + 1); break;
    case 'T': {
        const char *p = pkt + 1;
        int hart;
        reply_str(s, parse_thread(&p, &hart, m->nharts) && hart >= 0 && !*p ? "OK" : "E01");
        break;
    }
    case 'c':
    case 's':
    case 'C':
    case 'S':
        resumed = cmd_legacy_resume(s, pkt + 1, pkt[0] == 's' || pkt[0] == 'S',
                                    pkt[0] == 'C' || pkt[0] == 'S');
        break;
    case 'v':
        if (strcmp(pkt, "vCont?") == 0) {
            reply_str(s, "vCont;c;C;s;S");
        } else if (strncmp(pkt, "vCont;", 6) == 0) {
            resumed = cmd_vcont(s, pkt + 5);
        } else if (strncmp(pkt, "vKill", 5) == 0) {
            send_str(s, "OK");
            cmd_kill(s);
            return;
        }
        break; /* vMustReplyEmpty and the rest: empty */
    case 'q':
        resumed = cmd_query(s, pkt + 1);
        break;
    case 'Q':
        if (strcmp(pkt, "QStartNoAckMode") == 0) {
            send_str(s, "OK");
            s->noack = true;
            return;
        }
        break;
    case 'D':
        reply_str(s, "OK");
        s->detaching = true;
        break;
    case 'k':
        cmd_kill(s);
        return;
    default:
        if (s->hooks.packet) {
            char r[1024] = "";
            if (s->hooks.packet(s->hooks.opaque, m, pkt, len, r, sizeof(r), &resumed)) {
                if (resumed) {
                    s->waiting = true;
                    uv_unref((uv_handle_t *)&s->server);
                } else {
                    reply_str(s, r);
                }
            }
        }
        break;
    }
    if (resumed)
        return;
    if (s->rfull) {
        reply_reset(s);
        reply_str(s, "E01");
    }
    send_reply(s);
    if (s->detaching) {
        s->detaching = false;
        debug_detach(m);
        uv_unref((uv_handle_t *)&s->server);
        fprintf(stderr, "rewind: gdb detached; the machine runs on\n");
        stub_close_client(s);
    }
}

/* ------------------------------------------------------------ connection */

static void stub_handle_closed(uv_handle_t *hd)
{
    GdbStub *s = hd->data;
    if (hd != (uv_handle_t *)&s->server)
        free(hd);
    if (--s->handles_open == 0 && s->released) {
        free(s->reply);
        free(s->frame);
        free(s->xml);
        free(s);
    }
}

static void stub_close_client(GdbStub *s)
{
    if (s->memory_connected) {
        s->memory_connected = false;
    } else if (s->client) {
        uv_close((uv_handle_t *)s->client, stub_handle_closed);
        s->client = NULL;
    } else {
        return;
    }
    s->noack = false;
    s->detaching = false;
    gdb_packet_init(&s->rx);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    GdbStub *s = hd->data;
    *buf = uv_buf_init(s->rdbuf, sizeof(s->rdbuf));
}

/* Bytes from the client: acknowledge and dispatch each packet. Stops
 * when a packet ends the connection (k, D). */
static void stub_receive(GdbStub *s, const char *data, size_t n)
{
    for (size_t i = 0; i < n && stub_connected(s); i++) {
        switch (gdb_packet_feed(&s->rx, (uint8_t)data[i])) {
        case GDB_EV_PACKET:
            if (!s->noack)
                stub_write_raw(s, "+", 1);
            dispatch(s, s->rx.buf, s->rx.len);
            break;
        case GDB_EV_TOO_LONG:
            if (!s->noack)
                stub_write_raw(s, "+", 1);
            send_str(s, "E01");
            break;
        case GDB_EV_BAD_CHECKSUM:
            if (!s->noack)
                stub_write_raw(s, "-", 1);
            break;
        case GDB_EV_NAK:
            if (!s->noack && s->flen)
                stub_write_raw(s, s->frame, s->flen);
            break;
        case GDB_EV_INTERRUPT:
            if (!debug_stopped(s->m))
                debug_request_stop(s->m, DEBUG_STOP_INTERRUPT);
            break;
        case GDB_EV_ACK:
        case GDB_EV_NONE:
            break;
        }
    }
}

/* The client went away, maybe in the middle of a packet. Its breakpoints
 * go with it; the machine stays stopped or running as it was. */
static void stub_client_gone(GdbStub *s)
{
    debug_clear_points(s->m);
    debug_client_gone(s->m);
    s->waiting = false;
    stub_close_client(s);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    GdbStub *s = st->data;
    if (nread < 0) {
        fprintf(stderr, "rewind: gdb disconnected%s\n",
                debug_stopped(s->m) ? "; the machine stays stopped, waiting for gdb"
                                    : "");
        stub_client_gone(s);
        return;
    }
    stub_receive(s, buf->base, (size_t)nread);
}

/* A new client: a fresh protocol state. */
static void stub_client_reset(GdbStub *s)
{
    gdb_packet_init(&s->rx);
    s->noack = false;
    s->waiting = false;
    s->flen = 0;
}

/* The new client is listened to: the machine stops for it. */
static void stub_client_attached(GdbStub *s)
{
    debug_attach_client(s->m);
    s->monitor_pending = false;
    /* GDB expects a stopped target when it attaches. */
    if (!debug_stopped(s->m))
        debug_request_stop(s->m, DEBUG_STOP_REQUEST);
    s->last_stop = (DebugStop){ .kind = DEBUG_STOP_REQUEST, .hart = -1 };
}

static void on_connection(uv_stream_t *server, int status)
{
    GdbStub *s = server->data;
    if (status < 0)
        return;
    uv_tcp_t *c = malloc(sizeof(*c));
    if (!c)
        return;
    uv_tcp_init(s->m->loop, c);
    c->data = s;
    s->handles_open++;
    if (uv_accept(server, (uv_stream_t *)c) != 0 || s->client) {
        /* One debugger at a time. */
        uv_close((uv_handle_t *)c, stub_handle_closed);
        return;
    }
    uv_tcp_nodelay(c, 1);
    s->client = c;
    stub_client_reset(s);
    if (uv_read_start((uv_stream_t *)c, on_alloc, on_read) != 0) {
        stub_close_client(s);
        return;
    }
    fprintf(stderr, "rewind: gdb connected\n");
    stub_client_attached(s);
}

static void stub_release(void *opaque)
{
    GdbStub *s = opaque;
    s->released = true;
    stub_close_client(s);
    uv_close((uv_handle_t *)&s->server, stub_handle_closed);
}

/* ------------------------------------------------------------ setup */

bool gdbstub_parse_spec(const char *spec, char *host, size_t hostlen, unsigned *port,
                        char *err, size_t errlen)
{
    if (strncmp(spec, "tcp:", 4) != 0) {
        snprintf(err, errlen, "'%s': expected tcp:[HOST]:PORT (e.g. tcp::1234)", spec);
        return false;
    }
    const char *h = spec + 4, *colon;
    size_t n;
    if (*h == '[') { /* [IPv6] */
        const char *end = strchr(h, ']');
        if (!end || end[1] != ':') {
            snprintf(err, errlen, "'%s': expected tcp:[ADDRESS]:PORT", spec);
            return false;
        }
        h++;
        n = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(h, ':');
        if (!colon) {
            snprintf(err, errlen, "'%s': expected tcp:[HOST]:PORT (e.g. tcp::1234)", spec);
            return false;
        }
        n = (size_t)(colon - h);
    }
    if (n == 0) {
        snprintf(host, hostlen, "127.0.0.1");
    } else if (n >= hostlen) {
        snprintf(err, errlen, "'%s': host name too long", spec);
        return false;
    } else {
        memcpy(host, h, n);
        host[n] = '\0';
    }
    const char *p = colon + 1;
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (!*p || *end || v > 65535 || *p < '0' || *p > '9') {
        snprintf(err, errlen, "'%s': the port must be a number from 0 to 65535", spec);
        return false;
    }
    *port = (unsigned)v;
    return true;
}

static GdbStub *stub_of(const Machine *m)
{
    return debug_front_end_opaque(m);
}

int gdbstub_current_hart(const Machine *m)
{
    const GdbStub *s = stub_of(m);
    if (!s)
        return 0;
    return s->c_hart >= 0 ? s->c_hart : s->g_hart >= 0 ? s->g_hart : 0;
}

unsigned gdbstub_port(const Machine *m)
{
    GdbStub *s = stub_of(m);
    return s ? s->port : 0;
}

bool gdbstub_set_hooks(Machine *m, const GdbStubHooks *hooks)
{
    GdbStub *s = stub_of(m);
    if (!s)
        return false;
    s->hooks = *hooks;
    return true;
}

/* A stub for m, its server handle initialised (not bound), or NULL when
 * out of memory. */
static GdbStub *stub_new(Machine *m)
{
    GdbStub *s = calloc(1, sizeof(*s));
    if (s) {
        s->reply = malloc(GDB_PACKET_MAX + 1);
        s->frame = malloc(GDB_FRAME_MAX);
    }
    if (!s || !s->reply || !s->frame || !build_target_xml(s)) {
        if (s) {
            free(s->reply);
            free(s->frame);
            free(s->xml);
        }
        free(s);
        return NULL;
    }
    s->m = m;
    s->g_hart = 0;
    s->c_hart = -1;
    s->last_stop = (DebugStop){ .kind = DEBUG_STOP_REQUEST, .hart = -1 };
    gdb_packet_init(&s->rx);
    uv_tcp_init(m->loop, &s->server);
    s->server.data = s;
    s->handles_open = 1;
    return s;
}

/* Attach s to its machine as the debugger front end. */
static bool stub_attach(GdbStub *s)
{
    DebugFrontEnd fe = { .opaque = s, .stopped = stub_on_stopped,
                         .exited = stub_on_exited, .release = stub_release };
    return debug_attach(s->m, &fe);
}

bool gdbstub_start(Machine *m, const char *spec, bool wait, char *err, size_t errlen)
{
    char host[64];
    unsigned port;
    char why[160];
    if (!gdbstub_parse_spec(spec, host, sizeof(host), &port, why, sizeof(why))) {
        snprintf(err, errlen, "-gdb %s", why);
        return false;
    }
    if (m->debug) {
        snprintf(err, errlen, "-gdb %s: a debugger front end is attached already", spec);
        return false;
    }
    /* A debugger that hangs up must not kill rewind on the next write:
     * the write fails instead (EPIPE) and the read side closes it. */
    signal(SIGPIPE, SIG_IGN);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE }, *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, errlen, "-gdb %s: cannot resolve '%s': %s", spec, host,
                 gai_strerror(gai));
        return false;
    }
    GdbStub *s = stub_new(m);
    if (!s) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(s->host, sizeof(s->host), "%s", host);
    int r = uv_tcp_bind(&s->server, ai->ai_addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s->server, 1, on_connection);
    freeaddrinfo(ai);
    if (r == 0) {
        struct sockaddr_storage sa;
        int salen = sizeof(sa);
        if (uv_tcp_getsockname(&s->server, (struct sockaddr *)&sa, &salen) == 0)
            s->port = ntohs(sa.ss_family == AF_INET6
                                ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                : ((struct sockaddr_in *)&sa)->sin_port);
    }
    if (r != 0 || !stub_attach(s)) {
        snprintf(err, errlen, "-gdb %s: cannot listen on %s port %u: %s", spec, host, port,
                 r ? uv_strerror(r) : "out of memory");
        s->released = true;
        uv_close((uv_handle_t *)&s->server, stub_handle_closed);
        return false;
    }
    /* Until stopped, the stub does not keep the loop alive (a stuck guest
     * without a debugger fails as it would without -s). */
    uv_unref((uv_handle_t *)&s->server);
    fprintf(stderr, "rewind: gdb stub listening on %s:%u%s\n", host, s->port,
            wait ? "; waiting for gdb (-S)" : "");
    if (wait)
        debug_request_stop(m, DEBUG_STOP_REQUEST);
    return true;
}

/* ------------------------------------------------------------ memory client */

bool gdbstub_start_memory(Machine *m, GdbStubWriteFn write, void *opaque, char *err,
                          size_t errlen)
{
    if (m->debug) {
        snprintf(err, errlen, "a debugger front end is attached already");
        return false;
    }
    GdbStub *s = stub_new(m);
    if (!s || !stub_attach(s)) {
        snprintf(err, errlen, "out of memory");
        if (s) {
            s->released = true;
            uv_close((uv_handle_t *)&s->server, stub_handle_closed);
        }
        return false;
    }
    uv_unref((uv_handle_t *)&s->server);
    s->memory_write = write;
    s->memory_opaque = opaque;
    return true;
}

void gdbstub_connect_memory(Machine *m)
{
    GdbStub *s = stub_of(m);
    if (!s || !s->memory_write || stub_connected(s))
        return;
    s->memory_connected = true;
    stub_client_reset(s);
    stub_client_attached(s);
}

void gdbstub_feed(Machine *m, const void *data, size_t len)
{
    GdbStub *s = stub_of(m);
    if (s && s->memory_connected)
        stub_receive(s, data, len);
}

void gdbstub_hang_up(Machine *m)
{
    GdbStub *s = stub_of(m);
    if (s && s->memory_connected)
        stub_client_gone(s);
}

bool gdbstub_connected(const Machine *m)
{
    const GdbStub *s = stub_of(m);
    return s && stub_connected(s);
}
