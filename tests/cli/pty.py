#!/usr/bin/env python3
"""-serial pty as a user meets it: start rewind with the console guest of
tests/replay/guest on a pty, find the pty's path in what rewind prints on
stderr (QEMU's words), open it, read the guest's prompt, type a line, read
the guest's answer, type "quit", and check the exit code.

    tests/cli/pty.py REWIND CONSOLE_ELF [record TRACE]

Prints one line, "ok: ..." or "FAIL: ...", and exits 0 or 1."""
import os
import re
import select
import subprocess
import sys
import termios
import time
import tty

TIMEOUT = 20.0


def read_until(fd, pattern, deadline, what):
    """Read from fd until pattern (bytes) occurs; the bytes read so far."""
    got = b""
    while pattern not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("timed out waiting for %s (read so far: %r)" % (what, got[-200:]))
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("end of file while waiting for %s (read: %r)" % (what, got[-200:]))
        got += chunk
    return got


def main():
    rewind, elf = sys.argv[1], sys.argv[2]
    cmd = [rewind, "run"]
    if len(sys.argv) > 4 and sys.argv[3] == "record":
        cmd = [rewind, "record", "-o", sys.argv[4]]
    cmd += ["-bios", "none", "-kernel", elf, "-serial", "pty", "-smp", "2"]
    deadline = time.monotonic() + TIMEOUT
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        err = read_until(proc.stderr.fileno(), b"(label serial0)\n", deadline,
                         "the pty's path on stderr")
        m = re.search(rb"^char device redirected to (/dev/pts/\d+) \(label serial0\)$", err,
                      re.M)
        if not m:
            raise RuntimeError("no 'char device redirected to /dev/pts/N (label serial0)' "
                               "line in %r" % err)
        fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
        # Raw already (as QEMU leaves it); TCSANOW, as TCSAFLUSH would throw
        # away what the guest printed before we opened it.
        tty.setraw(fd, termios.TCSANOW)
        read_until(fd, b"> ", deadline, "the guest's first prompt")
        os.write(fd, b"hello pty\n")
        read_until(fd, b'line 0 mode 0: "hello pty"', deadline, "the guest's echo of the line")
        os.write(fd, b"quit\n")
        read_until(fd, b"bye\n", deadline, "the guest's bye")
        os.close(fd)
        out, rest = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        if proc.returncode != 0:
            raise RuntimeError("exit code %d: %r" % (proc.returncode, rest[-300:]))
        if b"hello pty" in out:
            raise RuntimeError("the console went to stdout, not (only) to the pty")
    except Exception as e:  # one line for the test log, then the process goes
        proc.kill()
        proc.wait()
        print("FAIL: %s" % e)
        return 1
    print("ok: %s talked to the guest over %s" % (cmd[1], m.group(1).decode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
