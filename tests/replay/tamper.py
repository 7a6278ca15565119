#!/usr/bin/env python3
"""Damage a rewind trace on purpose, for the record/replay tests.

tamper.py flip    IN OUT          flip one byte inside the first event frame
tamper.py digest  IN OUT K        alter the memory hash of the K-th periodic
                                  digest (frame checksums made valid again;
                                  the index is dropped, as if cut short after
                                  the last frame); prints that digest's icount
tamper.py register IN OUT K       alter, in the K-th periodic digest, hart 0's
                                  state hash and the fingerprint of a0 (as if
                                  a0 had differed); prints that icount
tamper.py nettx   IN OUT K        flip the last byte of the K-th net-tx event
                                  (a frame the guest sent); prints
                                  "ICOUNT SOURCE" of that event
tamper.py netrxcut IN OUT K N     cut the K-th net-rx frame to its first N
                                  bytes; prints "ICOUNT SOURCE"
tamper.py engine  IN OUT REV      set the header's engine revision (option
                                  "engine") to REV, as if recorded by that
                                  engine (same number of digits: the
                                  frames and the index stay where they are);
                                  prints the recorded revision
tamper.py truncate IN OUT FRAC    keep the first FRAC of the file
tamper.py cut     IN OUT FRAC     a recording killed after the first FRAC of
                                  its events: they are written again in
                                  frames of 8 events, then half of the next
                                  frame, no index (a plain truncate lands
                                  wherever the recorder's frames end, and
                                  those depend on host timing); prints the
                                  icount of the last whole frame's last event

The container is described in docs/trace-format.md; frames are recompressed
with the zstd command-line tool. Only the standard library is used.
"""

import struct
import subprocess
import sys
import tempfile

FILE_HDR = 20
FRAME_HDR = 40


# ------------------------------------------------------------ xxh32
P1, P2, P3, P4, P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
M32 = 0xFFFFFFFF


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def xxh32(data, seed=0):
    n = len(data)
    i = 0
    if n >= 16:
        v = [(seed + P1 + P2) & M32, (seed + P2) & M32, seed, (seed - P1) & M32]
        while i + 16 <= n:
            for k in range(4):
                lane = struct.unpack_from("<I", data, i + 4 * k)[0]
                v[k] = (_rotl((v[k] + lane * P2) & M32, 13) * P1) & M32
            i += 16
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M32
    else:
        h = (seed + P5) & M32
    h = (h + n) & M32
    while i + 4 <= n:
        h = (_rotl((h + struct.unpack_from("<I", data, i)[0] * P3) & M32, 17) * P4) & M32
        i += 4
    while i < n:
        h = (_rotl((h + data[i] * P5) & M32, 11) * P1) & M32
        i += 1
    h ^= h >> 15
    h = (h * P2) & M32
    h ^= h >> 13
    h = (h * P3) & M32
    h ^= h >> 16
    return h


# ------------------------------------------------------------ container
def frames(buf):
    """(offset, magic, csize) of every complete frame."""
    hlen = struct.unpack_from("<I", buf, 12)[0]
    off = FILE_HDR + hlen
    out = []
    while off + FRAME_HDR <= len(buf):
        magic = buf[off:off + 4]
        if magic not in (b"RWFR", b"RWIX"):
            break
        csize = struct.unpack_from("<I", buf, off + 4)[0]
        if off + FRAME_HDR + csize > len(buf):
            break
        out.append((off, magic, csize))
        off += FRAME_HDR + csize
    return out


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def events(data):
    """(start, end, fields) per event; fields: number -> (value, offset)."""
    i = 0
    out = []
    while i < len(data):
        n, i = varint(data, i)
        start, end = i, i + n
        fields = {}
        while i < end:
            tag, i = varint(data, i)
            num, wt = tag >> 3, tag & 7
            if wt == 0:
                v, j = varint(data, i)
            elif wt == 1:
                v, j = struct.unpack_from("<Q", data, i)[0], i + 8
            elif wt == 2:
                ln, k = varint(data, i)
                v, j = data[k:k + ln], k + ln
            elif wt == 5:
                v, j = struct.unpack_from("<I", data, i)[0], i + 4
            else:
                raise ValueError("bad wire type")
            fields[num] = (v, i)
            i = j
        out.append((start, end, fields))
    return out


def zstd(data, decompress):
    if decompress:
        return subprocess.run(["zstd", "-q", "-d", "-c"], input=bytes(data),
                              stdout=subprocess.PIPE, check=True).stdout
    # From a file, so that the frame header states the content size.
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(["zstd", "-q", "-c", "--check", f.name],
                              stdout=subprocess.PIPE, check=True).stdout


def cmd_flip(src, dst):
    buf = bytearray(open(src, "rb").read())
    off, _, csize = frames(buf)[0]
    buf[off + FRAME_HDR + csize // 2] ^= 0x40
    open(dst, "wb").write(buf)


# replay/statesum.c: the payload's header, then per hart pc, hash and the
# fingerprints (a0 is the 10th field: ra sp gp tp t0 t1 t2 s0 s1 a0).
SS_HEAD, SS_A0 = 12, 9


def seal_frame(hdr, comp, size):
    """Set a frame header's sizes (compressed, then uncompressed) and both
    checksums (of the compressed body, then of the header) for body comp."""
    struct.pack_into("<II", hdr, 4, len(comp), size)
    struct.pack_into("<I", hdr, 32, xxh32(comp))
    struct.pack_into("<I", hdr, 36, xxh32(bytes(hdr[:36])))


def rewrite_event(src, dst, k, wanted, edit, missing):
    """Write src to dst with the k-th event whose fields satisfy wanted(f)
    changed by edit(data, start, end, f), which returns the frame's
    uncompressed events as changed (data itself, altered in place, or new
    bytes) and the answer to print. That frame is recompressed and sealed again, the
    frames after it are copied as they are and the index is dropped (as if
    the recording had been cut short after its last frame). Without a k-th
    such event, exits naming `missing`."""
    buf = bytearray(open(src, "rb").read())
    out = bytearray(buf[:frames(buf)[0][0]])
    seen = 0
    hit = None
    for off, magic, csize in frames(buf):
        if magic != b"RWFR":
            break
        hdr = bytearray(buf[off:off + FRAME_HDR])
        comp = buf[off + FRAME_HDR:off + FRAME_HDR + csize]
        if hit is None:
            data = bytearray(zstd(comp, True))
            for start, end, f in events(data):
                if wanted(f):
                    seen += 1
                    if seen == k:
                        data, hit = edit(data, start, end, f)
                        break
            if hit is not None:
                comp = zstd(bytes(data), False)
                seal_frame(hdr, comp, len(data))
        out += hdr + comp
    if hit is None:
        sys.exit("tamper.py: no %s number %d" % (missing, k))
    open(dst, "wb").write(out)
    print(hit)


# Fields of an event (replay/trace.proto): 1 icount, 4 kind, 5 source.
def icount(f):
    return f.get(1, (0,))[0]


def event_kind(f):
    return f.get(4, (0,))[0]


def icount_and_source(f):
    return "%d %d" % (icount(f), f.get(5, (0,))[0])


def cmd_digest(src, dst, k, register=False):
    def periodic_digest(f):
        payload = f.get(6, (b"",))[0]
        periodic = len(payload) > 1 and not payload[1] & 5  # not at an input
        return event_kind(f) == 64 and periodic and 8 in f

    def alter(data, start, end, f):
        if register:
            # the payload's value starts after its length varint
            at = varint(data, f[6][1])[1]
            data[at + SS_HEAD + 8] ^= 1
            data[at + SS_HEAD + 16 + SS_A0] ^= 1
        else:
            data[f[8][1]] ^= 1
        return data, icount(f)

    rewrite_event(src, dst, k, periodic_digest, alter, "periodic digest")


def cmd_nettx(src, dst, k):
    def flip_last_byte(data, start, end, f):
        length, at = varint(data, f[6][1])
        data[at + length - 1] ^= 0x5a
        return data, icount_and_source(f)

    rewrite_event(src, dst, k, lambda f: event_kind(f) == 69 and 6 in f, flip_last_byte,
                  "net-tx event")


def put_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def cmd_netrxcut(src, dst, k, keep):
    def cut_frame(data, start, end, f):
        length, at = varint(data, f[6][1])
        body = (bytes(data[start:f[6][1]]) + put_varint(keep) +
                bytes(data[at:at + keep]) + bytes(data[at + length:end]))
        # the event's own length prefix sits just before start
        lenpos = start - len(put_varint(end - start))
        data = data[:lenpos] + put_varint(len(body)) + body + data[end:]
        return data, icount_and_source(f)

    rewrite_event(src, dst, k, lambda f: event_kind(f) == 4 and 6 in f, cut_frame, "net-rx event")


def fields_of(msg):
    """(number, value, value offset, value length) of every field of msg."""
    i = 0
    out = []
    while i < len(msg):
        tag, i = varint(msg, i)
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            v, j = varint(msg, i)
            at, n = i, j - i
        elif wt == 1:
            v, j, at, n = None, i + 8, i, 8
        elif wt == 2:
            ln, k = varint(msg, i)
            v, j, at, n = msg[k:k + ln], k + ln, k, ln
        elif wt == 5:
            v, j, at, n = None, i + 4, i, 4
        else:
            raise ValueError("bad wire type")
        out.append((num, v, at, n))
        i = j
    return out


def cmd_engine(src, dst, rev):
    buf = bytearray(open(src, "rb").read())
    hlen = struct.unpack_from("<I", buf, 12)[0]
    hdr = buf[FILE_HDR:FILE_HDR + hlen]
    for num, opt, at, n in fields_of(hdr):
        if num != 14:  # Header.options
            continue
        kv = {k: (v, a, ln) for k, v, a, ln in fields_of(opt)}
        if kv.get(1, (b"",))[0] != b"engine":
            continue
        old, vat, vlen = kv[2]
        if len(rev) != vlen:
            sys.exit("tamper.py: the recorded engine revision is '%s': give one of %d "
                     "digit(s)" % (old.decode(), vlen))
        pos = FILE_HDR + at + vat
        buf[pos:pos + vlen] = rev.encode()
        struct.pack_into("<I", buf, 16, xxh32(bytes(buf[FILE_HDR:FILE_HDR + hlen])))
        open(dst, "wb").write(buf)
        print(old.decode())
        return
    sys.exit("tamper.py: %s has no engine option" % src)


def cmd_truncate(src, dst, frac):
    buf = open(src, "rb").read()
    open(dst, "wb").write(buf[:int(len(buf) * frac)])


def cmd_cut(src, dst, frac, per=8):
    buf = bytearray(open(src, "rb").read())
    out = bytearray(buf[:frames(buf)[0][0]])
    evs = []  # (icount, encoded bytes with their length prefix)
    for off, magic, csize in frames(buf):
        if magic != b"RWFR":
            break
        data = zstd(buf[off + FRAME_HDR:off + FRAME_HDR + csize], True)
        for start, end, f in events(data):
            lenpos = start - len(put_varint(end - start))
            evs.append((f.get(1, (0,))[0], bytes(data[lenpos:end])))
    keep = int(len(evs) * frac)
    if keep < per or keep >= len(evs):
        sys.exit("tamper.py: %d events: cannot keep %g of them and cut a frame after" %
                 (len(evs), frac))
    keep -= keep % per
    groups = [evs[i:i + per] for i in range(0, keep, per)] + [evs[keep:keep + per]]
    for n, g in enumerate(groups):
        data = b"".join(e for _, e in g)
        comp = zstd(data, False)
        hdr = bytearray(FRAME_HDR)
        hdr[0:4] = b"RWFR"
        struct.pack_into("<IQQ", hdr, 12, len(g), g[0][0], g[-1][0])
        seal_frame(hdr, comp, len(data))
        if n == len(groups) - 1:
            comp = comp[:len(comp) // 2]  # the frame being written when it was killed
        out += hdr + comp
    open(dst, "wb").write(out)
    print(evs[keep - 1][0])


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "flip":
        cmd_flip(a[1], a[2])
    elif len(a) == 4 and a[0] in ("digest", "register"):
        cmd_digest(a[1], a[2], int(a[3]), a[0] == "register")
    elif len(a) == 4 and a[0] == "nettx":
        cmd_nettx(a[1], a[2], int(a[3]))
    elif len(a) == 5 and a[0] == "netrxcut":
        cmd_netrxcut(a[1], a[2], int(a[3]), int(a[4]))
    elif len(a) == 4 and a[0] == "engine":
        cmd_engine(a[1], a[2], a[3])
    elif len(a) == 4 and a[0] == "truncate":
        cmd_truncate(a[1], a[2], float(a[3]))
    elif len(a) == 4 and a[0] == "cut":
        cmd_cut(a[1], a[2], float(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
