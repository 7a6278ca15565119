# Helpers for the gdb-multiarch batch scripts of tests/gdb (sourced with
# -x before each script). Each check prints "PASS: name" or
# "FAIL: name (detail)"; tests/gdb/run counts them. A script ends with
# done(), so a script that dies half-way counts as a failure.
import os
import re

import gdb

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set width 0")


def check(name, cond, detail=""):
    if cond:
        print("PASS: " + name)
    else:
        print("FAIL: %s (%s)" % (name, detail))
    return cond


def run(cmd):
    """Run a GDB command and return its output."""
    return gdb.execute(cmd, to_string=True)


def safe(name, fn):
    """Run one test step; an exception is a failure, not the end."""
    try:
        fn()
    except gdb.error as e:
        check(name, False, "gdb error: %s" % e)
    except Exception as e:  # noqa: BLE001 (report anything)
        check(name, False, "%s: %s" % (type(e).__name__, e))


def connect():
    port = os.environ["REWIND_GDB_PORT"]
    run("target remote 127.0.0.1:%s" % port)


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF


def pc():
    return reg("pc")


def icount():
    """Total instructions retired, from `monitor icount`."""
    out = run("monitor icount")
    m = re.search(r"icount (\d+)", out)
    return int(m.group(1)) if m else -1


def insn_len(addr):
    arch = gdb.selected_frame().architecture()
    return arch.disassemble(addr)[0]["length"]


def sym(name):
    return int(gdb.parse_and_eval("(long)&%s" % name)) & 0xFFFFFFFFFFFFFFFF


def done():
    print("DONE")


class Stops:
    """The last stop event and the exit code, from GDB's Python events."""

    last = None
    exit_code = None


def _on_stop(ev):
    Stops.last = ev


def _on_exit(ev):
    Stops.exit_code = getattr(ev, "exit_code", None)


gdb.events.stop.connect(_on_stop)
gdb.events.exited.connect(_on_exit)


def resume(cmd="continue"):
    """Run a resuming command; return the stop event (None if it exited)."""
    Stops.last = None
    run(cmd)
    return Stops.last


def is_break(ev):
    return isinstance(ev, gdb.BreakpointEvent) and ev.breakpoint.type in (
        gdb.BP_BREAKPOINT, gdb.BP_HARDWARE_BREAKPOINT)


def is_watch(ev):
    return isinstance(ev, gdb.BreakpointEvent) and ev.breakpoint.type in (
        gdb.BP_WATCHPOINT, gdb.BP_HARDWARE_WATCHPOINT, gdb.BP_READ_WATCHPOINT,
        gdb.BP_ACCESS_WATCHPOINT)


def prev_insns():
    """What the instruction just before pc can be: the 4-byte one at pc-4
    and the 2-byte one at pc-2 (whichever decodes to that length)."""
    arch = gdb.selected_frame().architecture()
    out = []
    for back in (4, 2):
        d = arch.disassemble(pc() - back)[0]
        if d["length"] == back:
            out.append(d["asm"])
    return out


def func():
    return gdb.selected_frame().name()
