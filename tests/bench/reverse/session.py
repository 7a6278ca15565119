# One GDB session of the reverse-debugging benchmark (tests/bench/reverse/
# run), sourced by gdb-multiarch in batch mode with vmlinux loaded.
# Environment:
#   REVERSE_PORT       the stub's port on 127.0.0.1
#   REVERSE_PID        the emulator's process id (watchdog, peak RSS)
#   REVERSE_SCENARIO   rewind | qemu-near | qemu-short-rc | qemu-end-rsi |
#                      qemu-end-rc
#   REVERSE_LABEL      prefix of the figure names (e.g. rewind/default)
#   REVERSE_RESULTS    file the figures are appended to (JSON lines)
#   REVERSE_TIMEOUT    seconds one reverse operation may take
#   REVERSE_FWD_TIMEOUT  seconds a forward run to a position may take
#   REVERSE_STEPS      reverse-stepi per position (default 20)
# Every GDB operation runs under a watchdog process that kills the
# emulator when its time is up: GDB then sees the connection close and
# the figure is recorded as a timeout. Prints "FIG name value" per figure,
# "FAIL: what" when rewind does something wrong, and DONE at the end.
import json
import os
import re
import signal
import statistics
import subprocess
import time

import gdb

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set width 0")
gdb.execute("set architecture riscv:rv64")

PID = int(os.environ["REVERSE_PID"])
LABEL = os.environ["REVERSE_LABEL"]
RESULTS = os.environ["REVERSE_RESULTS"]
TIMEOUT = float(os.environ.get("REVERSE_TIMEOUT", "60"))
FWD_TIMEOUT = float(os.environ.get("REVERSE_FWD_TIMEOUT", "120"))
STEPS = int(os.environ.get("REVERSE_STEPS", "20"))
DOG_STAT = RESULTS + ".dogstat"


class Lost(Exception):
    """The emulator is gone (killed by the watchdog, or it died): the
    session cannot go on."""


def figure(name, value, note=""):
    """Record one figure: a number, or a string such as 'timeout'."""
    rec = {"key": "%s/%s" % (LABEL, name), "value": value, "note": note}
    with open(RESULTS, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print("FIG %s %s %s" % (rec["key"], value, note), flush=True)


def fail(what):
    print("FAIL: %s: %s" % (LABEL, what), flush=True)


def alive():
    try:
        os.kill(PID, 0)
    except OSError:
        return False
    # A zombie is gone for our purposes.
    try:
        with open("/proc/%d/stat" % PID) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def cpu_seconds(stat_text):
    """utime + stime from the text of /proc/PID/stat."""
    fields = stat_text.rsplit(")", 1)[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cmd, limit=None):
    """Run a GDB command under the watchdog; return (seconds, output).
    Raises Lost if the emulator had to be killed or died; the caller
    records the timeout. Before killing, the watchdog saves the
    emulator's /proc stat: whether it was computing or idle when it hung."""
    limit = TIMEOUT if limit is None else limit
    stat = "/proc/%d/stat" % PID
    try:
        with open(stat) as f:
            cpu0 = cpu_seconds(f.read())
    except OSError:
        cpu0 = None
    try:
        os.unlink(DOG_STAT)
    except OSError:
        pass
    dog = subprocess.Popen(["sh", "-c", "sleep %s; cat %s > %s; kill -9 %d"
                            % (limit, stat, DOG_STAT, PID)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    t0 = time.perf_counter()
    err = None
    out = ""
    try:
        out = gdb.execute(cmd, to_string=True)
    except gdb.error as e:
        err = e
    dt = time.perf_counter() - t0
    # The watchdog's group: its shell and the sleep.
    try:
        os.killpg(dog.pid, signal.SIGKILL)
    except OSError:
        pass
    dog.wait()
    if err is not None:
        if not alive() or dt >= limit:
            busy = ""
            try:
                with open(DOG_STAT) as f:
                    busy = ", emulator used %.1f s of CPU in that time" % (
                        cpu_seconds(f.read()) - cpu0)
            except (OSError, TypeError, ValueError, IndexError):
                pass
            raise Lost("%s: no answer within %.0f s (%s%s)" % (cmd, limit, err, busy))
        raise err
    return dt, out


def run(cmd):
    return timed(cmd)[1]


def when():
    """rewind's total icount and the recording's end."""
    m = re.search(r"Current icount: (\d+) \(recording ends at (\d+)\)", run("monitor when"))
    if not m:
        raise gdb.error("monitor when: unexpected answer")
    return int(m.group(1)), int(m.group(2))


def qemu_icount():
    m = re.search(r"instruction count = (\d+)", run("monitor info replay"))
    return int(m.group(1)) if m else -1


def func():
    try:
        return gdb.selected_frame().name() or "?"
    except gdb.error:
        return "?"


def peak_rss_kib():
    try:
        with open("/proc/%d/status" % PID) as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        return int(m.group(1)) if m else -1
    except OSError:
        return -1


def stats(name, times):
    """The first of a series and the median and max of the rest, in ms."""
    figure(name + "/first_ms", round(times[0] * 1e3, 3))
    rest = times[1:] or times
    figure(name + "/median_ms", round(statistics.median(rest) * 1e3, 3))
    figure(name + "/max_ms", round(max(rest) * 1e3, 3))


def reverse_steps(name, count_fn=None):
    """STEPS reverse-stepi; with count_fn, check each goes back by one."""
    times = []
    for i in range(STEPS):
        before = count_fn() if count_fn else None
        try:
            dt, _ = timed("reverse-stepi")
        except Lost as e:
            if times:
                stats(name, times)
            figure(name + "/first_ms" if not times else name + "/step%d" % (i + 1),
                   "timeout", str(e))
            raise
        times.append(dt)
        if count_fn:
            after = count_fn()
            if after != before - 1:
                fail("%s: reverse-stepi %d went from icount %d to %d" % (name, i + 1, before, after))
                break
    stats(name, times)


def seek(name, target):
    gdb.execute("maint flush register-cache")
    dt, out = timed("monitor seek %d" % target)
    gdb.execute("maint flush register-cache")
    now, _ = when()
    if now != target:
        fail("%s: monitor seek %d ended at %d (%s)" % (name, target, now, out.strip()))
    figure(name + "_s", round(dt, 4))
    return dt


def set_break(fn):
    """A breakpoint on the function's first instruction: `break FN` would
    skip the prologue when GDB can read the kernel's memory and not when
    it cannot (M-mode, paging off), so the same command would name
    different instructions at different times."""
    gdb.execute("delete")
    gdb.execute("break *%s" % fn, to_string=True)


def at_break(fn):
    return func() == fn


# ---------------------------------------------------------------- rewind
# A function a clean boot never calls.
NEVER_HIT = "panic"


def scenario_rewind():
    start, end = when()
    if start != 0:
        fail("the replay did not start at icount 0 (%d)" % start)
    figure("total_icount", end)
    mid = end // 2

    # Cold: no checkpoint yet but the start; the seek replays half the trace.
    seek("seek_start_to_mid_cold", mid)
    reverse_steps("rsi_mid", lambda: when()[0])

    dt, _ = timed("continue", FWD_TIMEOUT)
    now, _ = when()
    figure("continue_mid_to_end_s", round(dt, 4))
    if now != end:
        fail("continue from the middle stopped at %d, not the end %d (%s)" % (now, end, func()))
    reverse_steps("rsi_end", lambda: when()[0])

    seek("seek_end_to_mid", mid)
    seek("seek_mid_to_end", end)

    # Across the boot: from the end back to start_kernel (hit once).
    set_break("start_kernel")
    dt, _ = timed("reverse-continue")
    hit, _ = when()
    if not at_break("start_kernel"):
        fail("reverse-continue from the end stopped in %s at %d, not start_kernel" % (func(), hit))
    figure("rc_end_to_start_kernel_s", round(dt, 4))
    figure("start_kernel_icount", hit)
    reverse_steps("rsi_start_kernel", lambda: when()[0])

    # Forward after going back, then a short reverse-continue.
    set_break("kernel_init")
    dt, _ = timed("continue", FWD_TIMEOUT)
    ki, _ = when()
    if not at_break("kernel_init"):
        fail("continue after reverse-continue stopped in %s at %d, not kernel_init" % (func(), ki))
    figure("continue_to_kernel_init_s", round(dt, 4))
    figure("kernel_init_icount", ki)
    set_break("start_kernel")
    dt, _ = timed("reverse-continue")
    back, _ = when()
    if not at_break("start_kernel") or back != hit:
        fail("reverse-continue from kernel_init stopped in %s at %d, not start_kernel at %d"
             % (func(), back, hit))
    figure("rc_kernel_init_to_start_kernel_s", round(dt, 4))

    seek("seek_to_start", 0)
    seek("seek_start_to_mid_warm", mid)

    # Forward to the end after all that; back to the start with a
    # breakpoint never hit (every instruction scanned: the worst case),
    # then with none (replaylog:begin at once).
    gdb.execute("delete")
    dt, _ = timed("continue", FWD_TIMEOUT)
    now, _ = when()
    if now != end:
        fail("continue to the end stopped at %d, not %d (%s)" % (now, end, func()))
    figure("continue_mid_to_end_again_s", round(dt, 4))
    set_break(NEVER_HIT)
    dt, _ = timed("reverse-continue")
    now, _ = when()
    if now != 0:
        fail("reverse-continue with a breakpoint on %s (never hit) stopped at %d in %s, not 0"
             % (NEVER_HIT, now, func()))
    figure("rc_end_to_begin_scan_s", round(dt, 4))
    gdb.execute("delete")
    seek("seek_start_to_end", end)
    dt, _ = timed("reverse-continue")
    now, _ = when()
    if now != 0:
        fail("reverse-continue with no breakpoint stopped at %d, not 0" % now)
    figure("rc_end_to_begin_s", round(dt, 4))

    out = run("monitor checkpoints")
    m = re.search(r"(\d+) checkpoints \((\d+) temporary\), ([\d.]+) MiB of ([\d.]+) MiB, "
                  r"grid spacing (\d+) instructions; (\d+) taken, (\d+) restores", out)
    if m:
        for i, k in enumerate(["checkpoints", "temporary", "checkpoint_mib", "budget_mib",
                               "grid_spacing", "taken", "restores"]):
            v = m.group(i + 1)
            figure(k, float(v) if "." in v else int(v))
    else:
        fail("monitor checkpoints: unexpected answer %r" % out)


# ---------------------------------------------------------------- QEMU
# QEMU 7.2 keeps one snapshot (rrsnapshot=init, at the start): each
# reverse operation loads it and replays forward. Every scenario runs on a
# fresh QEMU, since a failed operation leaves it unusable.

def qemu_goto(fn):
    set_break(fn)
    dt, _ = timed("continue", FWD_TIMEOUT)
    if not at_break(fn):
        raise gdb.error("continue stopped in %s, not %s" % (func(), fn))
    n = qemu_icount()
    figure("continue_to_%s_s" % fn, round(dt, 4))
    figure("%s_icount" % fn, n)
    gdb.execute("delete")
    return n


def qemu_reverse_continue(name, to):
    set_break(to)
    try:
        dt, _ = timed("reverse-continue")
    except Lost as e:
        figure(name + "_s", "timeout", str(e))
        raise
    where = func()
    figure(name + "_s", round(dt, 4), "stopped in %s, icount %d" % (where, qemu_icount()))
    return where == to


def qemu_forward_after(name, to):
    set_break(to)
    try:
        dt, _ = timed("continue", TIMEOUT)
    except Lost as e:
        figure(name + "_s", "timeout", str(e))
        raise
    figure(name + "_s", round(dt, 4), "stopped in %s" % func())


def scenario_qemu_near():
    qemu_goto("start_kernel")
    reverse_steps("rsi_start_kernel", qemu_icount)


def scenario_qemu_short_rc():
    qemu_goto("kernel_init")
    qemu_reverse_continue("rc_kernel_init_to_start_kernel", "start_kernel")
    # Forward again: to where the reverse-continue started, then beyond.
    qemu_forward_after("continue_after_rc", "kernel_init")
    qemu_forward_after("continue_beyond", "run_init_process")


def scenario_qemu_end_rsi():
    qemu_goto("kernel_power_off")
    reverse_steps("rsi_end", qemu_icount)


def scenario_qemu_end_rc():
    qemu_goto("kernel_power_off")
    qemu_reverse_continue("rc_end_to_start_kernel", "start_kernel")


SCENARIOS = {
    "rewind": scenario_rewind,
    "qemu-near": scenario_qemu_near,
    "qemu-short-rc": scenario_qemu_short_rc,
    "qemu-end-rsi": scenario_qemu_end_rsi,
    "qemu-end-rc": scenario_qemu_end_rc,
}


def main():
    name = os.environ["REVERSE_SCENARIO"]
    gdb.execute("target remote 127.0.0.1:%s" % os.environ["REVERSE_PORT"], to_string=True)
    try:
        SCENARIOS[name]()
    except Lost as e:
        print("LOST: %s: %s" % (LABEL, e), flush=True)
        if name == "rewind":
            fail("rewind stopped answering: %s" % e)
        figure("lost", str(e))
        print("DONE", flush=True)
        return
    except gdb.error as e:
        fail("gdb error: %s" % e)
    figure("peak_rss_mib", round(peak_rss_kib() / 1024.0, 1))
    try:
        timed("kill", 10)
    except (Lost, gdb.error):
        pass
    print("DONE", flush=True)


main()
