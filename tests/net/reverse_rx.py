# Reverse execution across network traffic (tests/net/run, with
# tests/gdb/lib.py): on `rewind replay -S` of a recording in which the
# Linux guest downloads a file, stop at the HIT-th call of eth_type_trans
# (where the driver first reads a received frame, its Ethernet header),
# note the icount and registers, run on to the next one (frames have been
# delivered, queued and read in between), then reverse-continue: the stop
# must be that same instruction, icount and registers. Forward again must
# find the next hit at its first icount, and the replay must run to its
# end. Environment: REWIND_NET_HIT (default 40).
import os
import re

connect()
HIT = int(os.environ.get("REWIND_NET_HIT", "40"))
REGS = ["x%d" % i for i in range(1, 32)] + ["pc"]


def regs():
    return [reg(r) for r in REGS]


def when():
    out = run("monitor when")
    m = re.search(r"Current icount: (\d+) \(recording ends at (\d+)\)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (-1, -1)


def body():
    run("break eth_type_trans")
    for _ in range(HIT):
        ev = resume("continue")
        if not is_break(ev):
            check("continue to hit %d of eth_type_trans" % HIT, False, "stopped otherwise")
            return
    here, here_regs, here_pc = when()[0], regs(), pc()
    check("hit %d of eth_type_trans at icount %d" % (HIT, here), here > 0)
    ev = resume("continue")
    after = when()[0]
    check("the next hit comes later (icount %d)" % after, is_break(ev) and after > here,
          (after, here))
    ev = resume("reverse-continue")
    back = when()[0]
    check("reverse-continue: back at the instruction that read frame %d (icount %d)"
          % (HIT, back), is_break(ev) and back == here and pc() == here_pc, (back, here))
    diff = [REGS[i] for i, (a, b) in enumerate(zip(regs(), here_regs)) if a != b]
    check("reverse-continue: the same registers there", not diff, diff)
    ev = resume("continue")
    check("continue: the next hit at its first icount", is_break(ev) and when()[0] == after,
          (when()[0], after))
    run("delete")
    resume("continue")
    check("continue: the replay runs to its end", when()[0] == when()[1], when())


safe("reverse across received frames", body)
run("kill")
done()
