#!/usr/bin/env python3
"""Raw GDB remote protocol against rewind's stub: bad input must get the
answer the protocol asks for, and never crash the stub.

    raw.py PORT bad-input      (a long-running guest, started with -S)
    raw.py PORT leave-running  (a short guest: continue, then hang up)
    raw.py PORT replay         (`rewind replay -S` of a short recording)
    raw.py PORT interrupt-reverse ADDR
                               (`rewind replay -S` of a long recording:
                               ctrl-C stops a reverse-continue towards a
                               breakpoint at ADDR that is never hit)

Prints "PASS: ..." / "FAIL: ..." lines and "DONE" at the end.
"""
import socket
import sys
import time

PORT = int(sys.argv[1])
MODE = sys.argv[2]


def check(name, cond, detail=""):
    print(("PASS: %s" % name) if cond else ("FAIL: %s (%r)" % (name, detail)))
    sys.stdout.flush()
    return cond


def frame(payload):
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xFF)


def rle_decode(data):
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] == ord("*"):
            out += bytes([out[-1]]) * (data[i + 1] - 29)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


class Client:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        # As GDB does: acks and packets are small writes.
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def recv_more(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def read_byte(self):
        while not self.buf:
            self.recv_more()
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def read_packet(self, ack=True):
        """The next packet's payload (acks before it are skipped)."""
        while self.read_byte() != b"$":
            pass
        body = b""
        while True:
            c = self.read_byte()
            if c == b"#":
                break
            body += c
        csum = self.read_byte() + self.read_byte()
        ok = int(csum, 16) == sum(body) & 0xFF
        if ack:
            self.s.sendall(b"+" if ok else b"-")
        if not ok:
            raise ValueError("bad checksum from the stub: %r" % body)
        return rle_decode(body).decode("latin-1")

    def expect_ack(self):
        c = self.read_byte()
        return c

    def raw(self, data):
        self.s.sendall(data)

    def cmd(self, payload):
        """Send a packet, check its ack, return the reply."""
        self.raw(frame(payload))
        a = self.expect_ack()
        if a != b"+":
            raise ValueError("expected an ack, got %r" % a)
        return self.read_packet()

    def close(self):
        self.s.close()


def bad_input():
    c = Client()
    check("? answers with a stop", c.cmd("?").startswith("T05thread:1;"))
    # Wrong checksum: NAK, then the stream is fine.
    c.raw(b"$g#00")
    check("wrong checksum is NAKed", c.expect_ack() == b"-")
    c.raw(b"$g#zz")
    check("non-hex checksum is NAKed", c.expect_ack() == b"-")
    g = c.cmd("g")
    check("g after a NAK", len(g) == 33 * 16, len(g))
    # NAK from us: the stub sends the packet again.
    c.raw(frame("?"))
    c.expect_ack()
    first = c.read_packet(ack=False)
    c.raw(b"-")
    again = c.read_packet()
    check("the stub resends after '-'", first == again, (first, again))
    # Unknown packets: the empty reply.
    for p in ("qFooBar", "~xyz", "vFoo", "Qbar", "!", "jfoo"):
        check("unknown packet %s: empty reply" % p, c.cmd(p) == "")
    # Malformed ones: an error reply.
    for p, want in (("m", "E"), ("mzz,4", "E"), ("m80000000", "E"), ("M80000000,4:zz", "E"),
                    ("M80000000,2:abcdef", "E"), ("X80000000,10:ab", "E"),
                    ("p", "E"), ("pffffffff", "E"), ("p7fffffffffffffffff", "E"),
                    ("P20=1", "E"), ("G12", "E"), ("Hq1", "E"), ("Hg99", "E"),
                    ("T99", "E"), ("T", "E"), ("vCont;x", "E"), ("vCont;s:99", "E"),
                    ("Z0,zz", "E"), ("Z2,80000000,0", "E"), ("z0,80000000,4", "E"),
                    ("qXfer:features:read:foo.xml:0,10", "E"), ("qRcmd,zz", "E"),
                    ("qThreadExtraInfo,99", "E"), ("C", "E"), ("sxyz", "E")):
        r = c.cmd(p)
        check("malformed %s: error reply" % p, r.startswith(want), r)
    check("Z9 (unsupported type): empty reply", c.cmd("Z9,0,0") == "")
    # Reverse execution exists only in a replay.
    check("not a replay: no ReverseStep in qSupported",
          "Reverse" not in c.cmd("qSupported:swbreak+"))
    for p in ("bs", "bc"):
        check("not a replay: %s gets the empty reply" % p, c.cmd(p) == "")
    # Oversized: acked and refused, the next packet works.
    c.raw(frame("m" + "0" * 20000))
    check("oversized packet acked", c.expect_ack() == b"+")
    check("oversized packet refused", c.read_packet().startswith("E"))
    check("after an oversized packet", c.cmd("qC") == "QC1")
    # Noise between packets is ignored.
    c.raw(b"garbage\r\n")
    check("noise ignored", c.cmd("qAttached") == "1")
    # Binary writes with escaped bytes, read back.
    data = bytes([0x7D, 0x23, 0x24, 0x2A, 0x00, 0xFF, 0x03, 0x41])
    esc = b"".join(bytes([0x7D, b ^ 0x20]) if b in (0x7D, 0x23, 0x24, 0x2A) else bytes([b])
                   for b in data)
    c.raw(frame(b"X87f00000,%x:" % len(data) + esc))
    c.expect_ack()
    check("X with escapes", c.read_packet() == "OK")
    check("read back", c.cmd("m87f00000,%x" % len(data)) == data.hex())
    check("m of unmapped memory: error", c.cmd("m0,4").startswith("E"))
    check("X with length 0 (probe)", c.cmd("X87f00000,0:") == "OK")
    xml = c.cmd("qXfer:features:read:target.xml:0,ffff")
    check("target.xml", xml.startswith("l<?xml") and "riscv:rv64" in xml and
          "org.gnu.gdb.riscv.csr" in xml and "\"priv\"" in xml, xml[:80])
    part = c.cmd("qXfer:features:read:target.xml:0,10")
    check("target.xml in parts", part == "m" + xml[1:17], part)
    mon = bytes.fromhex(c.cmd("qRcmd," + b"monitor-does-not-exist".hex()))
    check("unknown monitor command", b"unknown monitor command" in mon, mon)
    # A breakpoint somewhere never reached, to check it goes with the client.
    check("Z0", c.cmd("Z0,87f00000,4") == "OK")
    # Ctrl-C while running.
    c.raw(frame("c"))
    check("c acked", c.expect_ack() == b"+")
    time.sleep(0.3)
    c.raw(b"\x03")
    stop = c.read_packet()
    check("ctrl-C stops with SIGINT", stop.startswith("T02thread:"), stop)
    pc1 = c.cmd("p20")
    ic1 = bytes.fromhex(c.cmd("qRcmd," + b"icount".hex()))
    # Second client while one is connected: refused.
    other = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    try:
        other.sendall(frame("?"))
        got = other.recv(100)
    except OSError:
        got = b""
    check("a second client is turned away", got == b"", got)
    other.close()
    # Hang up with replies still to come and in the middle of a packet
    # (the stub's writes then fail: no SIGPIPE); come back.
    c.raw(frame("m80000000,1000") * 50 + b"$m8000")
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()
    time.sleep(0.5)
    c = Client()
    check("back after a disconnect mid-packet", c.cmd("?").startswith("T"))
    check("still stopped at the same pc", c.cmd("p20") == pc1)
    ic2 = bytes.fromhex(c.cmd("qRcmd," + b"icount".hex()))
    check("no instruction ran meanwhile", ic1 == ic2, (ic1, ic2))
    check("the old client's breakpoint is gone", c.cmd("z0,87f00000,4").startswith("E"))
    fuzz(c)
    c.cmd("QStartNoAckMode")
    c.raw(frame("qC"))
    check("no-ack mode", c.read_packet(ack=False) == "QC1")
    c.raw(frame("k"))
    c.close()


def fuzz(c, reverse=False):
    """Random packets built from the protocol's letters: each gets a reply
    and the stub stays up. Resuming and ending commands are left out (the
    machine must stay stopped to answer), except, on a replay (reverse),
    bs and bc, whose reply is a stop."""
    import random
    rng = random.Random(1234)
    heads = ["m", "M", "X", "p", "P", "g", "G", "Z", "z", "H", "T", "q", "Q", "v", "?",
             "qXfer:features:read:", "qRcmd,", "qThreadExtraInfo,", "vCont?", "Hg", "Hc",
             "qSupported:", "qC", "qfThreadInfo", "qAttached", "x", "!", "A", "b"]
    if reverse:
        heads += ["bs", "bc", "qRcmd,7365656b20", "qRcmd,7768656e"]  # "seek ", "when"
    tail = "0123456789abcdefABCDEF,:;=-*}#$xyz" + "\x00\x7f\xff"
    n_ok = 0
    for _ in range(3000):
        head = rng.choice(heads)
        body = "".join(rng.choice(tail) for _ in range(rng.randrange(0, 40)))
        payload = (head + body).encode("latin-1")
        # Escape what the framing needs; keep the rest raw.
        payload = b"".join(bytes([0x7D, b ^ 0x20]) if b in (0x23, 0x24, 0x7D) else bytes([b])
                           for b in payload)
        if payload[:1] in (b"c", b"C", b"s", b"S", b"k", b"D") or \
                (payload[:1] == b"b" and not reverse) or \
                payload.startswith(b"vCont;") or payload.startswith(b"vKill"):
            continue
        c.raw(frame(payload))
        if c.expect_ack() != b"+":
            break
        c.read_packet()
        n_ok += 1
    check("3000 random packets: a reply to each, the stub stays up", n_ok > 2500, n_ok)
    check("still answering after the fuzz", c.cmd("qC").startswith("QC"))


def leave_running():
    c = Client()
    check("? answers with a stop", c.cmd("?").startswith("T05"))
    c.raw(frame("vCont;c"))
    check("vCont;c acked", c.expect_ack() == b"+")
    c.close()  # the guest runs on to its end


def replay():
    c = Client()
    sup = c.cmd("qSupported:swbreak+")
    check("replay: qSupported has ReverseStep+ and ReverseContinue+",
          "ReverseStep+" in sup and "ReverseContinue+" in sup, sup)
    r = c.cmd("bs")
    check("bs at the start: replaylog:begin", r.startswith("T05") and "replaylog:begin" in r, r)
    r = c.cmd("bc")
    check("bc at the start: replaylog:begin", "replaylog:begin" in r, r)
    hexcmd = lambda t: "qRcmd," + t.encode().hex()
    unhex = lambda r: bytes.fromhex(r).decode(errors="replace")
    for bad in ("seek", "seek abc", "seek 12x", "seek -5"):
        r = unhex(c.cmd(hexcmd(bad)))
        check("monitor %s: usage" % bad, "usage" in r, r)
    r = unhex(c.cmd(hexcmd("seek 100")))
    check("monitor seek 100", "at icount 100" in r, r)
    r = unhex(c.cmd(hexcmd("when")))
    check("monitor when after the seek", "Current icount: 100 " in r, r)
    r = c.cmd("P1=0100000000000000")
    check("replay: register writes refused, saying why", r.startswith("E.") and
          "read-only" in r, r)
    r = c.cmd("M80000000,4:00000000")
    check("replay: memory writes refused", r.startswith("E"), r)
    r = c.cmd("vCont;c")
    check("continue: the end stops with replaylog:end", "replaylog:end" in r, r)
    r = c.cmd("vCont;c")
    check("continue at the end: replaylog:end again", "replaylog:end" in r, r)
    r = c.cmd("bs")
    check("bs from the end: a stop", r.startswith("T05") and "replaylog" not in r, r)
    r = unhex(c.cmd(hexcmd("seek 99999999999")))
    check("monitor seek past the end: says where it ends", "ends at icount" in r, r)
    fuzz(c, reverse=True)
    r = c.cmd("bs")
    check("bs after the fuzz", r.startswith("T05"), r)
    c.raw(frame("k"))
    c.close()


def interrupt_reverse(addr):
    c = Client()
    hexcmd = lambda t: "qRcmd," + t.encode().hex()
    when = lambda: bytes.fromhex(c.cmd(hexcmd("when"))).decode()
    c.s.settimeout(300)  # the whole boot, maybe on a sanitizer build
    r = c.cmd("vCont;c")
    check("forward to the end", "replaylog:end" in r, r)
    end = when()
    check("a breakpoint that is never hit", c.cmd("Z0,%s,2" % addr) == "OK")
    c.raw(frame("bc"))
    check("bc acked", c.expect_ack() == b"+")
    time.sleep(0.5)
    c.raw(b"\x03")
    t = time.time()
    r = c.read_packet()
    check("ctrl-C stops reverse-continue at once (SIGINT)", r.startswith("T02") and
          time.time() - t < 2, (r, time.time() - t))
    here = when()
    check("stopped somewhere before the end", here != end, (here, end))
    r = c.cmd("bs")
    check("bs from there", r.startswith("T05"), r)
    r = bytes.fromhex(c.cmd(hexcmd("seek 1000"))).decode()
    check("seek from there", "at icount 1000" in r, r)
    c.raw(frame("k"))
    c.close()


try:
    if MODE == "bad-input":
        bad_input()
    elif MODE == "replay":
        replay()
    elif MODE == "interrupt-reverse":
        interrupt_reverse(sys.argv[3])
    else:
        leave_running()
except Exception as e:  # noqa: BLE001
    check("raw protocol session", False, "%s: %s" % (type(e).__name__, e))
print("DONE")
