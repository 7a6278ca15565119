# Reverse execution under a small checkpoint budget (the runner starts
# `rewind replay -S --checkpoint-mem REWIND_REV_BUDGET_MIB M`): the
# checkpoints stay within it, their spacing grows instead, and going back
# still lands where it must. REWIND_REV_BREAK names a function.
import os
import re

connect()
BREAK = os.environ.get("REWIND_REV_BREAK", "putchar")
BUDGET = float(os.environ["REWIND_REV_BUDGET_MIB"])


def checkpoints():
    out = run("monitor checkpoints")
    m = re.search(r"(\d+) checkpoints .* ([\d.]+) MiB of ([\d.]+) MiB, grid spacing (\d+)", out)
    return (int(m.group(1)), float(m.group(2)), float(m.group(3)), int(m.group(4))), out


def when():
    out = run("monitor when")
    m = re.search(r"Current icount: (\d+) \(recording ends at (\d+)\)", out)
    return int(m.group(1)), int(m.group(2))


def budget():
    resume()
    now, end = when()
    check("forward to the end of the recording", now == end, (now, end))
    (n, used, limit, spacing), out = checkpoints()
    check("checkpoints within the budget", used <= BUDGET and limit == BUDGET, out)
    check("the grid spacing grew to fit", spacing > 10000000, out)
    run("break %s" % BREAK)
    ev = resume("reverse-continue")
    hit = when()[0]
    check("reverse-continue: a hit of %s" % BREAK, is_break(ev) and func() == BREAK,
          (ev, func()))
    resume("reverse-stepi")
    check("reverse-stepi: one instruction back", when()[0] == hit - 1 or when()[0] < hit,
          (when(), hit))
    resume("stepi")
    ev = resume()
    check("forward from the last hit: no other hit before the end",
          when()[0] == when()[1], when())
    (n, used, limit, spacing), out = checkpoints()
    check("still within the budget", used <= BUDGET, out)


safe("budget", budget)
done()
