# Reverse execution on a replay (`rewind replay -S`): reverse-stepi,
# reverse-continue to breakpoints and watchpoints, the ends of the
# recording, monitor seek/when. Driven by the environment:
#   REWIND_REV_BREAK   a function hit several times (putchar, do_sys_openat2)
#   REWIND_REV_WATCH   an expression written during the run, GDB syntax
#   REWIND_REV_STEPS   stepi count to walk forward then back (default 300)
#   REWIND_REV_THREAD  another thread to step back on too (optional)
#   REWIND_REV_MARK    file to write the console offset into before the run
#                      that must reproduce the console (the runner compares)
#   REWIND_REV_START_PC  the pc at icount 0
#   REWIND_REV_SEEK_THREAD=skip  leave out the seek/thread check (see there)
import os
import re
import time

T0 = time.perf_counter()


def phase(name):
    print("[%6.1f s] %s" % (time.perf_counter() - T0, name))

connect()

BREAK = os.environ.get("REWIND_REV_BREAK", "putchar")
WATCH = os.environ.get("REWIND_REV_WATCH", "hello_composite[100]")
STEPS = int(os.environ.get("REWIND_REV_STEPS", "300"))
THREAD = os.environ.get("REWIND_REV_THREAD")
THREAD_STEPS = int(os.environ.get("REWIND_REV_THREAD_STEPS", "200"))
RWATCH = os.environ.get("REWIND_REV_RWATCH")
MARK = os.environ.get("REWIND_REV_MARK")
START_PC = int(os.environ.get("REWIND_REV_START_PC", "0x80000000"), 0)


def when():
    """(current icount, the recording's last) from `monitor when`."""
    out = run("monitor when")
    m = re.search(r"Current icount: (\d+) \(recording ends at (\d+)\)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (-1, -1)


def hart_icount(thread):
    """The icount of one hart (`monitor info harts`), thread = hart + 1."""
    out = run("monitor info harts")
    m = re.search(r"hart %d \(thread %d\): .* icount (\d+)" % (thread - 1, thread), out)
    return int(m.group(1)) if m else -1


REGS = ["x%d" % i for i in range(1, 32)] + ["pc"] + ["f%d" % i for i in range(32)] + [
    "fcsr", "mstatus", "sstatus", "satp", "scause", "sepc", "stval", "mcause", "mepc",
    "mip", "mie", "priv"]


def regs():
    out = []
    for r in REGS:
        try:
            v = gdb.parse_and_eval("$" + r)
            out.append(int(v.cast(gdb.lookup_type("long"))) if r.startswith("f") and r != "fcsr"
                       else int(v))
        except gdb.error:
            out.append(None)
    return out


def to_end(cmd="continue"):
    """Run forward; true if the stop was the end of the recording (GDB's
    "No more reverse-execution history"): nothing else can stop the
    replay at its last icount, as no instruction follows."""
    resume(cmd)
    return when()[0] == when()[1]


ends = when()[1]
check("monitor when: at the start", when()[0] == 0, when())


def stepping(thread, steps):
    """stepi STEPS times, then reverse-stepi as many: the same registers at
    every step, and the hart's icount going down one by one. The walk
    starts after one stepi: a stop where the hart has just retired an
    instruction (a breakpoint stop of another hart may find this one past
    an interrupt's entry, which retires nothing, and reverse-stepi lands
    where the instruction retired, before the entry)."""
    run("thread %d" % thread)
    run("stepi")
    fwd = [(regs(), hart_icount(thread))]
    for _ in range(steps):
        run("stepi")
        fwd.append((regs(), hart_icount(thread)))
    check("thread %d: stepi %d times, one instruction each" % (thread, steps),
          fwd[-1][1] - fwd[0][1] == steps, (fwd[0][1], fwd[-1][1]))
    bad_regs = bad_count = 0
    first_bad = None
    for i in range(steps):
        run("reverse-stepi")
        want_regs, want_count = fwd[steps - 1 - i]
        got = regs()
        if got != want_regs:
            bad_regs += 1
            if first_bad is None:
                diff = [(REGS[k], hex(got[k] or 0), hex(want_regs[k] or 0))
                        for k in range(len(REGS)) if got[k] != want_regs[k]]
                first_bad = (i + 1, diff[:4])
        if hart_icount(thread) != want_count:
            bad_count += 1
    check("thread %d: reverse-stepi %d times: registers as seen going forward at every step"
          % (thread, steps), bad_regs == 0, "%d steps differ, first %s" % (bad_regs, first_bad))
    check("thread %d: reverse-stepi: the icount goes back one by one" % thread,
          bad_count == 0, bad_count)


hits = []


def forward_hits():
    run("break %s" % BREAK)
    for _ in range(3):
        ev = resume()
        if not is_break(ev):
            break
        hits.append(when()[0])
    check("break %s: 3 hits going forward" % BREAK, len(hits) == 3, hits)
    # Without breakpoints: another hart hitting one would end a step.
    run("disable")
    phase("stepping")
    stepping(int(gdb.selected_thread().num), STEPS)
    if THREAD:
        phase("stepping thread %s" % THREAD)
        stepping(int(THREAD), THREAD_STEPS)
        run("thread 1")
    run("enable")


safe("stepping", forward_hits)


def to_the_end():
    """Forward from the stepping to the end: the next hits come (forward
    after reverse), then the end of the recording stops the machine."""
    end = False
    for _ in range(400):
        end = to_end()
        if end:
            break
        hits.append(when()[0])
    check("continue: the end of the recording stops the replay (replaylog:end)", end, when())
    check("at the end: icount is the recording's last", when()[0] == ends, (when(), ends))
    check("continue at the end: stays at the end", to_end(), when())
    check("break %s: hit again after the reverse steps" % BREAK, len(hits) > 3, hits)


phase("to-the-end")
safe("to-the-end", to_the_end)


def back_to_hits():
    """reverse-continue lands on the last hits, at their forward icounts."""
    got = []
    for _ in range(2):
        ev = resume("reverse-continue")
        got.append(when()[0] if is_break(ev) else None)
    check("reverse-continue from the end: the last hit of %s, at its icount" % BREAK,
          got[0] == hits[-1], (got, hits[-2:]))
    check("reverse-continue again: the hit before", got[1] == hits[-2], (got, hits[-2:]))
    ev = resume("continue")
    check("continue after reverse-continue: stops at the next hit",
          is_break(ev) and when()[0] == hits[-1], (when(), hits[-1]))


phase("reverse-continue")
safe("reverse-continue", back_to_hits)


def writes_refused():
    out = ""
    try:
        # A different value: GDB sends nothing for a write of what its
        # register cache already holds.
        run("set $a0 = %d" % (int(gdb.parse_and_eval("$a0")) ^ 1))
    except gdb.error as e:
        out = str(e)
    check("replay: a register write is refused, saying why", "read-only" in out, out)


phase("writes-refused")
safe("writes-refused", writes_refused)


def watch_back():
    """From the last breakpoint hit, a watchpoint going back stops at the
    last write before it that changed the value, on the storing
    instruction; forward from there, the next change comes after the
    starting point."""
    run("delete")
    start = when()[0]
    final = int(gdb.parse_and_eval(WATCH))
    run("watch %s" % WATCH)
    ev = resume("reverse-continue")
    check("reverse watch: stopped by the watchpoint", is_watch(ev), ev)
    before = int(gdb.parse_and_eval(WATCH))
    check("reverse watch: the value before the write differs", before != final,
          (before, final))
    insn = gdb.selected_frame().architecture().disassemble(pc())[0]["asm"]
    check("reverse watch: pc is at the store", re.match(r"(c\.)?(s[bhwd]|sc|amo)", insn),
          insn)
    w = when()[0]
    writer = int(gdb.selected_thread().num)
    writer_icount = hart_icount(writer)
    run("delete")
    run("stepi")
    check("reverse watch: one stepi writes the value it has later",
          int(gdb.parse_and_eval(WATCH)) == final, (int(gdb.parse_and_eval(WATCH)), final))
    run("watch %s" % WATCH)
    resume()
    check("reverse watch: forward, the next change comes after the starting point",
          when()[0] > start, (when()[0], start))
    run("delete")
    return w, start, writer, writer_icount


def watch_forward_agrees(w, start, writer, writer_icount):
    """Forward to the starting point from before the write that reverse
    found, the same watchpoint's last stop is just after that write: on
    the same hart, one instruction later. Other harts may have run in
    between (GDB steps over the store with a breakpoint on the next
    instruction, which a hart whose turn ended with the store runs in its
    next turn): on one hart, or at a large quantum, the stop is the
    machine's next instruction too."""
    run("monitor seek %d" % max(0, w - 100000))
    run("maint flush register-cache")
    run("watch %s" % WATCH)
    last = None
    for _ in range(400):
        resume()
        now = when()[0]
        if now > start:
            break
        thread = int(gdb.selected_thread().num)
        last = (now, thread, hart_icount(thread))
    check("forward watch: the last stop before the starting point is one instruction "
          "of the same hart after the reverse one",
          last is not None and last[1:] == (writer, writer_icount + 1),
          (last, (w, writer, writer_icount)))
    run("delete")


phase("watch")
safe("watch", lambda: watch_forward_agrees(*watch_back()))


def rwatch_both_ways():
    """A read watchpoint: forward from the start, then backward from the
    end, the same reads in reverse order, each on the reading instruction
    (one icount before the forward stop, which comes after the read)."""
    run("delete")
    run("monitor seek 0")
    run("maint flush register-cache")
    run("rwatch %s" % RWATCH)
    fwd = []
    for _ in range(20):
        if not is_watch(resume()):
            break
        fwd.append(when()[0])
    bwd = []
    for _ in range(20):
        if not is_watch(resume("reverse-continue")):
            break
        bwd.append(when()[0])
    check("rwatch %s: read going forward" % RWATCH, len(fwd) > 0, fwd)
    check("rwatch: the same reads going backward, on their instructions",
          bwd == [w - 1 for w in reversed(fwd)], (fwd, bwd))
    run("delete")


if RWATCH:
    phase("rwatch")
    safe("rwatch", rwatch_both_ways)


def hart_pc(thread):
    out = run("monitor info harts")
    m = re.search(r"hart %d \(thread %d\): pc (0x[0-9a-f]+)" % (thread - 1, thread), out)
    return int(m.group(1), 16) if m else -1


def seek_keeps_thread():
    """After a seek, GDB's selected thread still shows its own hart (the
    seek's stop is not a stop GDB hears of: the stub must not switch)."""
    threads = [1, 2] if THREAD else [1]
    bad = []
    for k in range(12):
        t = threads[k % len(threads)]
        run("thread %d" % t)
        run("monitor seek %d" % (ends // 3 + k * 3331))
        run("maint flush register-cache")
        if pc() != hart_pc(t):
            bad.append((k, t, hex(pc()), hex(hart_pc(t))))
        rev = when()[0]
        run("reverse-stepi")
        if int(gdb.selected_thread().num) != t:
            bad.append((k, t, "reverse-stepi stepped thread", gdb.selected_thread().num))
    check("seek keeps GDB's thread: registers of the selected hart, reverse-stepi on it",
          not bad, bad[:4])
    run("thread 1")


# REWIND_REV_SEEK_THREAD=skip leaves this out. Known to fail on 2 harts at
# quanta of 1 to 3 (tests/gdb/run's lrsc session): before the reverse-stepi
# GDB reads the other thread's registers (Hg2) and then sends `Hc0; bs`,
# and the stub steps the Hg thread back, not the one the user selected.
if os.environ.get("REWIND_REV_SEEK_THREAD") != "skip":
    phase("seek-thread")
    safe("seek-thread", seek_keeps_thread)


def seeking():
    mid = ends // 2
    out = run("monitor seek %d" % mid)
    run("maint flush register-cache")
    check("monitor seek to the middle", when()[0] == mid, (out, when()))
    out = run("monitor seek 0")
    run("maint flush register-cache")
    check("monitor seek 0: at the start", when()[0] == 0 and pc() == START_PC,
          (out, when(), hex(pc())))
    ev = resume("reverse-stepi")
    check("reverse-stepi at the start: replaylog:begin", when()[0] == 0, when())
    out = run("monitor seek 99999999999999")
    check("monitor seek past the end stops at the end", when()[0] == ends, (out, when()))
    out = run("monitor seek 0")
    run("maint flush register-cache")
    if MARK:
        with open(MARK, "w") as f:
            f.write("%d\n" % os.path.getsize(os.environ["REWIND_REV_OUT"]))
    check("seek 0 then continue: the end again", to_end(), when())


phase("seek")
safe("seek", seeking)
phase("done")
done()
