# OpenSBI + Linux on 2 harts, vmlinux symbols: kernel breakpoints through
# Sv39, kernel memory, a system call from user space, a watchpoint on a
# kernel variable written by the timer interrupt.
import re  # noqa: F401

connect()


def to_start_kernel():
    check("2 harts", len(gdb.selected_inferior().threads()) == 2,
          len(gdb.selected_inferior().threads()))
    run("break start_kernel")
    ev = resume()
    check("breakpoint on start_kernel", is_break(ev) and func() == "start_kernel",
          "%s %s" % (ev, func()))
    check("running in S-mode", reg("priv") == 1, reg("priv"))
    check("paging is on (Sv39 or Sv48)", reg("satp") >> 60 in (8, 9), hex(reg("satp")))
    check("sp is a kernel address", reg("sp") >> 63 == 1, hex(reg("sp")))
    banner = run("x/s (char *)&linux_banner")
    check("kernel memory through the MMU: linux_banner", "Linux version 6." in banner, banner)
    run("delete")


safe("start_kernel", to_start_kernel)


def syscall():
    run("delete")
    run("break do_sys_openat2")
    ev = resume()
    check("breakpoint on do_sys_openat2", is_break(ev) and func() == "do_sys_openat2",
          "%s %s" % (ev, func()))
    check("in a system call from user space (scause 8)", reg("scause") == 8, reg("scause"))
    out = run("info symbol $ra")
    check("called from sys_openat", "sys_openat" in out, out)


safe("system call", syscall)


def watch_jiffies():
    run("delete")
    run("watch *(volatile unsigned long *)&jiffies")
    old = int(gdb.parse_and_eval("*(unsigned long *)&jiffies"))
    ev = resume()
    new = int(gdb.parse_and_eval("*(unsigned long *)&jiffies"))
    check("watchpoint on jiffies: the timer writes it", is_watch(ev) and new == old + 1,
          "%s %d -> %d" % (ev, old, new))
    check("the write came from the timer code", "tick" in func() or "jiffies" in func(),
          func())
    run("delete")


safe("watch jiffies", watch_jiffies)


def stepping():
    n0, p0 = icount(), pc()
    resume("stepi")
    check("stepi in the kernel: one instruction", icount() == n0 + 1, icount() - n0)
    check("stepi: pc moved", pc() != p0, hex(pc()))
    out = run("monitor icount")
    check("monitor icount lists both harts", "hart 1:" in out, out)


safe("stepi", stepping)


def kill():
    run("kill")
    check("kill", not gdb.selected_inferior().pid, gdb.selected_inferior().pid)


safe("kill", kill)
done()
