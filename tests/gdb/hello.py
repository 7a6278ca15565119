# Bare metal, one hart: tests/guest/demo/hello.elf started with -S.
# Breakpoints (Z0, Z1) on functions, registers (x, pc, f, CSRs, priv),
# memory reads and writes, stepi with exact instruction counts, write,
# read and access watchpoints, then a continue to the guest's exit.
import re  # noqa: F401  (lib.py is sourced first: check, run, ...)

connect()


def at_reset():
    check("stopped at the reset pc", pc() == 0x80000000, hex(pc()))
    check("priv is M", reg("priv") == 3, reg("priv"))
    check("icount 0 before the first instruction", icount() == 0, icount())
    out = run("x/i $pc")
    check("memory read: csrr a0,mhartid at _start", "csrr" in out and "mhartid" in out, out)
    out = run("info threads")
    check("one hart, one thread", len(re.findall(r"Thread \d+", out)) == 1, out)


safe("at reset", at_reset)


def break_main():
    run("break main")
    ev = resume()
    check("continue to a breakpoint on main", is_break(ev) and pc() == sym("main"),
          "%s pc %x" % (ev, pc()))
    check("frame is main", func() == "main", func())
    sp = reg("sp")
    check("sp points into RAM", 0x80000000 <= sp < 0x88000000, hex(sp))
    misa = reg("misa")
    letters = all(misa >> (ord(c) - ord("A")) & 1 for c in "IMAFDCSU")
    check("misa: RV64IMAFDC with S and U", misa >> 62 == 2 and letters, hex(misa))
    check("mhartid 0", reg("mhartid") == 0, reg("mhartid"))
    check("mstatus.FS is on", (reg("mstatus") >> 13) & 3 != 0, hex(reg("mstatus")))
    check("fcsr readable", reg("fcsr") == 0, reg("fcsr"))
    out = run("info registers ft0")
    check("FP register readable", "ft0" in out, out)
    out = run("info registers mtvec")
    check("mtvec points at the runtime's trap handler",
          reg("mtvec") == sym("rt_default_trap_m"), out)


safe("break main", break_main)


def stepping():
    p0, n0 = pc(), icount()
    length = insn_len(p0)
    resume("stepi")
    check("stepi: next instruction", pc() == p0 + length, "%x -> %x" % (p0, pc()))
    check("stepi: exactly one instruction retired", icount() == n0 + 1, icount() - n0)
    resume("stepi 5")
    check("stepi 5: five more", icount() == n0 + 6, icount() - n0)


safe("stepping", stepping)


def writes():
    old = reg("t6")
    run("set $t6 = 0x123456789abcdef0")
    check("register write (P) reads back", reg("t6") == 0x123456789ABCDEF0, hex(reg("t6")))
    run("set $t6 = %d" % old)
    run("set var hello_composite[9990] = 7")
    out = run("x/bx &hello_composite[9990]")
    check("memory write (X/M) reads back", out.strip().endswith("0x07"), out)


safe("writes", writes)


def watch_write():
    run("delete")
    n0 = icount()
    run("watch hello_composite[100]")
    ev = resume()
    check("watch: stops on the write", is_watch(ev), ev)
    check("watch: the new value is there", int(gdb.parse_and_eval("hello_composite[100]")) == 1)
    prev = prev_insns()
    check("watch: stopped right after the store", any(a.startswith("sb") for a in prev),
          prev)
    check("watch: the sieve ran first", icount() > n0 + 100, icount() - n0)


safe("watch", watch_write)


def watch_read_access():
    run("delete")
    run("rwatch hello_composite[9999]")
    ev = resume()
    check("rwatch: stops on a read", is_watch(ev) and ev.breakpoint.type == gdb.BP_READ_WATCHPOINT,
          ev)
    prev = prev_insns()
    check("rwatch: right after the load", any(a.startswith("lb") for a in prev), prev)
    run("delete")
    run("awatch hello_composite[2]")
    ev = resume()
    check("awatch: stops on an access", is_watch(ev) and ev.breakpoint.type == gdb.BP_ACCESS_WATCHPOINT,
          ev)
    run("delete")


safe("rwatch/awatch", watch_read_access)


def hw_break():
    run("hbreak puts")
    ev = resume()
    check("hbreak (Z1) on puts", is_break(ev) and func() == "puts", "%s %s" % (ev, func()))
    run("delete")


safe("hbreak", hw_break)


def to_the_end():
    ev = resume()
    check("continue to the guest's exit", ev is None or isinstance(ev, gdb.ExitedEvent),
          ev)
    check("exit code 0", Stops.exit_code == 0, Stops.exit_code)


safe("exit", to_the_end)
done()
