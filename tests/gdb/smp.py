# Four harts (-smp 4) on tests/guest/demo/hello.elf: harts are threads.
# Hart 0 runs main; the others park in wfi (tests/guest/lib/crt.S) once
# they had their first turn.
import re  # noqa: F401

connect()


def threads():
    out = run("info threads")
    ids = re.findall(r"Thread (\d+) \(hart (\d+)", out)
    check("4 harts listed as threads 1-4",
          [(int(t), int(h)) for t, h in ids] == [(1, 0), (2, 1), (3, 2), (4, 3)], out)


safe("threads", threads)


def per_thread_state():
    run("break main")
    ev = resume()
    check("breakpoint on main, hit by hart 0",
          is_break(ev) and gdb.selected_thread().num == 1 and pc() == sym("main"),
          "%s thread %d" % (ev, gdb.selected_thread().num))
    run("delete")
    run("break puts")
    ev = resume()
    check("breakpoint on puts, later", is_break(ev) and func() == "puts", func())
    out = run("info threads")
    check("parked harts show wfi", len(re.findall(r"hart [123], M-mode, wfi", out)) == 3, out)
    for t in (1, 2, 3, 4):
        run("thread %d" % t)
        check("thread %d: mhartid %d" % (t, t - 1), reg("mhartid") == t - 1, reg("mhartid"))
        if t > 1:
            check("thread %d: a0 = hart id" % t, reg("a0") == t - 1, reg("a0"))
            park = sym("rt_park")
            check("thread %d: parked in rt_park" % t, park <= pc() < park + 8, hex(pc()))
    mon = run("monitor info harts")
    check("monitor info harts: 4 harts", len(re.findall(r"^hart \d", mon, re.M)) == 4, mon)
    run("thread 1")


safe("per-thread state", per_thread_state)


def step_hart0():
    def hart0_icount():
        m = re.search(r"hart 0: (\d+)", run("monitor icount"))
        return int(m.group(1)) if m else -1
    n0, p0 = hart0_icount(), pc()
    resume("stepi")
    check("stepi on thread 1: hart 0 retires one instruction",
          hart0_icount() == n0 + 1 and pc() == p0 + insn_len(p0), (hart0_icount() - n0))
    check("still thread 1", gdb.selected_thread().num == 1, gdb.selected_thread().num)


safe("step", step_hart0)


def kill():
    run("kill")
    check("kill", not gdb.selected_inferior().pid, gdb.selected_inferior().pid)


safe("kill", kill)
done()
