/* The framing of GDB's remote serial protocol, without any I/O: a byte-
 * at-a-time receiver for "$payload#xx" packets, acknowledgements and the
 * interrupt byte, the encoder for replies (escapes and run-length
 * encoding), and the small parsers the command handlers share. Pure
 * functions of their arguments, so they can be unit-tested and fuzzed.
 *
 * Incoming packets are never run-length decoded: GDB does not compress
 * what it sends, and the binary data of an X packet may hold a raw '*'. */
#ifndef REWIND_CORE_GDB_PACKET_H
#define REWIND_CORE_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest payload accepted (advertised as PacketSize in qSupported). */
enum { GDB_PACKET_MAX = 16384 };

typedef enum {
    GDB_EV_NONE = 0,     /* byte consumed; nothing complete yet */
    GDB_EV_PACKET,       /* a packet with a good checksum: see p->buf, p->len */
    GDB_EV_BAD_CHECKSUM, /* a complete packet that failed its checksum: NAK it */
    GDB_EV_TOO_LONG,     /* a complete, well-formed packet longer than the buffer */
    GDB_EV_INTERRUPT,    /* 0x03 outside a packet (ctrl-C) */
    GDB_EV_ACK,          /* '+' */
    GDB_EV_NAK,          /* '-': send the last packet again */
} GdbPacketEvent;

typedef struct GdbPacketParser {
    int state;
    uint8_t sum;      /* running checksum of the payload */
    uint8_t csum;     /* checksum received so far */
    bool bad_digit;   /* a non-hex checksum digit */
    bool too_long;
    size_t len;
    /* The payload, NUL-terminated (the terminator is not part of len). */
    char buf[GDB_PACKET_MAX + 1];
} GdbPacketParser;

void gdb_packet_init(GdbPacketParser *p);

/* Feed one received byte. A '$' inside a packet starts a new one (the
 * sender gave up on the first); bytes outside packets other than '+', '-'
 * and 0x03 are ignored. */
GdbPacketEvent gdb_packet_feed(GdbPacketParser *p, uint8_t byte);

/* Frame payload[0..len) as "$...#xx" into out. '$', '#', '}' and '*' are
 * escaped (0x7d, byte ^ 0x20); with rle, runs of 4 or more equal bytes
 * are run-length encoded. Returns the framed length, or 0 when out (of
 * outlen bytes) is too small. */
size_t gdb_packet_encode(char *out, size_t outlen, const void *payload, size_t len,
                         bool rle);

/* Undo the escapes of binary data in place; returns the new length. A
 * lone trailing escape byte is dropped. */
size_t gdb_packet_unescape(uint8_t *data, size_t len);

/* Expand run-length encoding ("x*N": N - 29 more copies of x). Returns
 * false for a malformed sequence or when out is too small. */
bool gdb_packet_rle_decode(const char *in, size_t len, char *out, size_t outlen,
                           size_t *outn);

/* Parse a hexadecimal number at *s (at least one digit, at most 16),
 * advancing *s past it. */
bool gdb_parse_hex(const char **s, uint64_t *val);

/* Hex text <-> bytes. gdb_hex_decode reads exactly 2 * n digits and
 * returns false on a bad digit; gdb_hex_encode writes 2 * n digits and a
 * NUL. */
bool gdb_hex_decode(const char *s, uint8_t *out, size_t n);
void gdb_hex_encode(char *out, const void *data, size_t n);

/* Value of a hex digit, or -1. */
int gdb_hex_digit(int c);

#endif
