#!/usr/bin/env python3
"""A small HTTP/1.0 server for the net tier and bench: serves the files of
DIR on 127.0.0.1 (port chosen by the kernel), writes the port to PORTFILE
once it listens, and logs every request path, one per line, to LOG.

    server.py DIR PORTFILE LOG
"""

import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(LOG, "a") as f:
            f.write(self.path + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    directory, portfile, LOG = sys.argv[1:]
    os.chdir(directory)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, portfile)
    srv.serve_forever()
