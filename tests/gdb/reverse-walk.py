# A random walk through a recording (REWIND_REV_SEED): seeks, steps and
# continues in both directions. Whatever the path to a position, the state
# there is the same (registers of every hart, `monitor info harts`), and
# the replay still matches its recording when the debugger detaches (the
# runner checks that: digests are compared on every forward run).
#
# Positions: a seek, a stepi or a reverse-stepi stops where an instruction
# has just retired (the first arrival at that icount); a breakpoint stops
# a hart before its next instruction, which may come later at the same
# icount (after an interrupt's entry, or other harts' turns). The two are
# compared each with their own kind.
import hashlib
import os
import random
import re

connect()
rnd = random.Random(int(os.environ.get("REWIND_REV_SEED", "1")))
NHARTS = int(os.environ.get("REWIND_REV_HARTS", "2"))
BREAKS = os.environ.get("REWIND_REV_BREAKS", "do_sys_openat2 handle_exception").split()


def when():
    out = run("monitor when")
    m = re.search(r"Current icount: (\d+) \(recording ends at (\d+)\)", out)
    return int(m.group(1)), int(m.group(2))


def state():
    out = []
    for t in range(1, NHARTS + 1):
        run("thread %d" % t)
        out.append(run("info registers"))
    out.append(run("monitor info harts"))
    run("thread 1")
    return hashlib.sha1("".join(out).encode()).hexdigest()


def seek(n):
    run("monitor seek %d" % n)
    run("maint flush register-cache")


def walk():
    end = when()[1]
    seen = {}
    differ = []
    for _ in range(int(os.environ.get("REWIND_REV_OPS", "60"))):
        op = rnd.choice(["seek", "seek", "reverse-stepi", "stepi", "reverse-continue",
                         "continue"])
        if op == "seek":
            seek(rnd.randrange(0, end))
        elif op in ("stepi", "reverse-stepi"):
            run(op)
        else:
            run("break %s" % rnd.choice(BREAKS))
            run(op)
            run("delete")
        here = when()[0]
        s = state()
        kind = "stop" if op.endswith("continue") else "arrival"
        if seen.setdefault((here, kind), s) != s:
            differ.append((op, here))
        if kind == "arrival":
            # Back to the same icount by another path.
            seek(rnd.randrange(0, end))
            seek(here)
            if state() != s:
                differ.append(("revisit after " + op, here))
    check("random walk: the same state at an icount whichever way it was reached "
          "(%d icounts)" % len(seen), not differ, differ[:5])
    out = run("monitor checkpoints")
    m = re.search(r"([\d.]+) MiB of ([\d.]+) MiB", out)
    check("random walk: checkpoints within the budget",
          m and float(m.group(1)) <= float(m.group(2)), out)


safe("walk", walk)
done()
