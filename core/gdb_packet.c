/* GDB remote protocol framing (see gdb_packet.h). */
#include "core/gdb_packet.h"

#include <string.h>

enum { RX_IDLE = 0, RX_DATA, RX_CSUM1, RX_CSUM2 };

enum { GDB_ESCAPE = 0x7d, GDB_INTERRUPT_BYTE = 0x03 };

int gdb_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void gdb_packet_init(GdbPacketParser *p)
{
    p->state = RX_IDLE;
    p->len = 0;
    p->sum = p->csum = 0;
    p->bad_digit = p->too_long = false;
    p->buf[0] = '\0';
}

static void rx_start(GdbPacketParser *p)
{
    p->state = RX_DATA;
    p->len = 0;
    p->sum = 0;
    p->csum = 0;
    p->bad_digit = false;
    p->too_long = false;
}

GdbPacketEvent gdb_packet_feed(GdbPacketParser *p, uint8_t byte)
{
    switch (p->state) {
    case RX_IDLE:
        switch (byte) {
        case '$': rx_start(p); return GDB_EV_NONE;
        case '+': return GDB_EV_ACK;
        case '-': return GDB_EV_NAK;
        case GDB_INTERRUPT_BYTE: return GDB_EV_INTERRUPT;
        default: return GDB_EV_NONE; /* line noise between packets */
        }
    case RX_DATA:
        if (byte == '$') {
            rx_start(p);
        } else if (byte == '#') {
            p->state = RX_CSUM1;
        } else {
            p->sum = (uint8_t)(p->sum + byte);
            /* Keep counting an oversized packet to its end, so that the
             * stream stays in step and its checksum still decides. */
            if (p->len < GDB_PACKET_MAX)
                p->buf[p->len++] = (char)byte;
            else
                p->too_long = true;
        }
        return GDB_EV_NONE;
    case RX_CSUM1:
    case RX_CSUM2: {
        if (byte == '$') { /* a new packet before the checksum ended */
            rx_start(p);
            return GDB_EV_NONE;
        }
        int d = gdb_hex_digit(byte);
        if (d < 0)
            p->bad_digit = true;
        else
            p->csum = (uint8_t)(p->csum << 4 | d);
        if (p->state == RX_CSUM1) {
            p->state = RX_CSUM2;
            return GDB_EV_NONE;
        }
        p->state = RX_IDLE;
        p->buf[p->len] = '\0';
        if (p->bad_digit || p->csum != p->sum)
            return GDB_EV_BAD_CHECKSUM;
        return p->too_long ? GDB_EV_TOO_LONG : GDB_EV_PACKET;
    }
    default:
        gdb_packet_init(p);
        return GDB_EV_NONE;
    }
}

static bool needs_escape(uint8_t c)
{
    return c == '$' || c == '#' || c == GDB_ESCAPE || c == '*';
}

/* A repeat count n is sent as the character n + 29; these would be read
 * as protocol characters. */
static bool rle_count_ok(unsigned n)
{
    unsigned c = n + 29;
    return c != '#' && c != '$' && c != '+' && c != '-';
}

size_t gdb_packet_encode(char *out, size_t outlen, const void *payload, size_t len,
                         bool rle)
{
    const uint8_t *in = payload;
    size_t o = 0;
    uint8_t sum = 0;
#define PUT(c)                                   \
    do {                                         \
        if (o + 1 >= outlen)                     \
            return 0;                            \
        out[o++] = (char)(c);                    \
    } while (0)
#define PUT_SUMMED(c)                            \
    do {                                         \
        uint8_t c_ = (uint8_t)(c);               \
        PUT(c_);                                 \
        sum = (uint8_t)(sum + c_);               \
    } while (0)
    PUT('$');
    for (size_t i = 0; i < len;) {
        uint8_t c = in[i];
        if (needs_escape(c)) {
            PUT_SUMMED(GDB_ESCAPE);
            PUT_SUMMED(c ^ 0x20);
            i++;
            continue;
        }
        size_t run = 1;
        while (i + run < len && in[i + run] == c && run < 98)
            run++;
        PUT_SUMMED(c);
        unsigned n = (unsigned)run - 1; /* copies beyond the first */
        while (n >= 3 && !rle_count_ok(n))
            n--;
        if (rle && n >= 3) {
            PUT_SUMMED('*');
            PUT_SUMMED(n + 29);
            i += n + 1;
        } else {
            i++;
        }
    }
    PUT('#');
    static const char hex[] = "0123456789abcdef";
    PUT(hex[sum >> 4]);
    PUT(hex[sum & 15]);
    out[o] = '\0';
#undef PUT
#undef PUT_SUMMED
    return o;
}

size_t gdb_packet_unescape(uint8_t *data, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == GDB_ESCAPE) {
            if (++i == len)
                break;
            data[o++] = data[i] ^ 0x20;
        } else {
            data[o++] = data[i];
        }
    }
    return o;
}

bool gdb_packet_rle_decode(const char *in, size_t len, char *out, size_t outlen,
                           size_t *outn)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '*') {
            if (o >= outlen)
                return false;
            out[o++] = in[i];
            continue;
        }
        if (o == 0 || i + 1 >= len)
            return false;
        int n = (unsigned char)in[++i] - 29;
        if (n < 0 || (size_t)n > outlen - o)
            return false;
        memset(out + o, out[o - 1], (size_t)n);
        o += (size_t)n;
    }
    *outn = o;
    return true;
}

bool gdb_parse_hex(const char **s, uint64_t *val)
{
    const char *p = *s;
    uint64_t v = 0;
    int n = 0;
    for (int d; (d = gdb_hex_digit((unsigned char)*p)) >= 0; p++) {
        if (++n > 16)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    if (n == 0)
        return false;
    *s = p;
    *val = v;
    return true;
}

bool gdb_hex_decode(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = gdb_hex_digit((unsigned char)s[2 * i]);
        if (hi < 0)
            return false;
        int lo = gdb_hex_digit((unsigned char)s[2 * i + 1]);
        if (lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void gdb_hex_encode(char *out, const void *data, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *d = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}
