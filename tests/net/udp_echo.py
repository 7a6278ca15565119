#!/usr/bin/env python3
"""A UDP echo server for the net tier: answers each datagram on 127.0.0.1
(port chosen by the kernel, written to PORTFILE) with "echo " + the
datagram, and logs each datagram to LOG.

    udp_echo.py PORTFILE LOG
"""

import socket
import sys

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    portfile, log = sys.argv[1:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        data, peer = s.recvfrom(2048)
        with open(log, "a") as f:
            f.write(data.decode(errors="replace") + "\n")
        s.sendto(b"echo " + data, peer)
