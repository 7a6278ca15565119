#!/usr/bin/env python3
"""The table of tests/bench/reverse/run, from the figures its steps wrote
(JSON lines: key, value, note). Usage: report.py RESULTS"""
import json
import sys


def load(path):
    figs, notes = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            figs[rec["key"]] = rec["value"]
            if rec.get("note"):
                notes[rec["key"]] = rec["note"]
    return figs, notes


FIGS, NOTES = load(sys.argv[1])


def get(key):
    v = FIGS.get(key)
    return v if isinstance(v, (int, float)) else None


def cell(key, fmt="%.3f"):
    """A figure as text: the number, 'timeout', or '-' if never measured."""
    v = FIGS.get(key)
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return fmt % v


def steps(prefix):
    """first / median / max of a reverse-stepi series, in ms."""
    first = FIGS.get(prefix + "/first_ms")
    if first is None:
        return "-"
    if isinstance(first, str):
        return first
    return "%s / %s / %s" % (cell(prefix + "/first_ms", "%.2f"), cell(prefix + "/median_ms", "%.2f"),
                             cell(prefix + "/max_ms", "%.2f"))


def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b else "-"


total = get("trace/total_icount")
replay_s = get("trace/replay_s")


def forward_s(span):
    """Forward replay time of `span` instructions, pro rata."""
    if total and replay_s and span is not None:
        return replay_s * span / total
    return None


budgets = sorted({k.split("/")[1] for k in FIGS if k.startswith("rewind/")},
                 key=lambda b: (b != "default", b))
cols = ["rewind/" + b for b in budgets]
W = 46


def row(label, values):
    print("  %-*s %s" % (W, label, " ".join("%22s" % v for v in values)))


print("trace: %s instructions, %s bytes; rewind record %s s" % (
    cell("trace/total_icount", "%d"), cell("trace/bytes", "%d"), cell("trace/record_s", "%.2f")))
if replay_s:
    print("forward replay without a debugger (rewind replay -q): %.3f s, %.0f MIPS" % (
        replay_s, (total or 0) / replay_s / 1e6))
print()
if cols:
    print("rewind (one session per checkpoint budget; times in s unless ms)")
    row("", ["--checkpoint-mem " + b if b != "default" else "default budget" for b in budgets])
    R = [
        ("monitor seek start->middle, cold (s)", "seek_start_to_mid_cold_s"),
        ("reverse-stepi at the middle: first/med/max ms", None, "rsi_mid"),
        ("continue middle->end (forward, s)", "continue_mid_to_end_s"),
        ("reverse-stepi at the end: first/med/max ms", None, "rsi_end"),
        ("monitor seek end->middle (s)", "seek_end_to_mid_s"),
        ("monitor seek middle->end (s)", "seek_mid_to_end_s"),
        ("reverse-continue end->start_kernel (s)", "rc_end_to_start_kernel_s"),
        ("  start_kernel hit at icount", "start_kernel_icount", None, "%d"),
        ("  forward replay of that span (s, pro rata)", "@fwd_span"),
        ("  ratio to forward (target <= 3x)", "@ratio_span"),
        ("reverse-stepi at start_kernel: first/med/max ms", None, "rsi_start_kernel"),
        ("continue start_kernel->kernel_init (s)", "continue_to_kernel_init_s"),
        ("  kernel_init hit at icount", "kernel_init_icount", None, "%d"),
        ("reverse-continue kernel_init->start_kernel (s)", "rc_kernel_init_to_start_kernel_s"),
        ("monitor seek ->0 (s)", "seek_to_start_s"),
        ("monitor seek start->middle, warm (s)", "seek_start_to_mid_warm_s"),
        ("continue middle->end again (s)", "continue_mid_to_end_again_s"),
        ("reverse-continue end->start, bp never hit (s)", "rc_end_to_begin_scan_s"),
        ("  ratio to the forward replay", "@ratio_begin"),
        ("monitor seek start->end (s)", "seek_start_to_end_s"),
        ("reverse-continue end->start, no breakpoint (s)", "rc_end_to_begin_s"),
        ("checkpoints kept (temporary)", "@cps"),
        ("checkpoint memory (MiB of budget)", "@cpmem"),
        ("grid spacing (instructions)", "grid_spacing", None, "%d"),
        ("checkpoints taken / restores", "@taken"),
        ("peak RSS of rewind, VmHWM (MiB)", "peak_rss_mib", None, "%.1f"),
    ]
    for entry in R:
        label, key = entry[0], entry[1]
        fmt = entry[3] if len(entry) > 3 else "%.3f"
        vals = []
        for c in cols:
            if key is None:
                vals.append(steps(c + "/" + entry[2]))
            elif key == "@fwd_span" or key == "@ratio_span":
                sk = get(c + "/start_kernel_icount")
                span = total - sk if total and sk is not None else None
                fwd = forward_s(span)
                if key == "@fwd_span":
                    vals.append("%.3f" % fwd if fwd else "-")
                else:
                    vals.append(ratio(get(c + "/rc_end_to_start_kernel_s"), fwd))
            elif key == "@ratio_begin":
                vals.append(ratio(get(c + "/rc_end_to_begin_scan_s"), replay_s))
            elif key == "@cps":
                vals.append("%s (%s)" % (cell(c + "/checkpoints", "%d"), cell(c + "/temporary", "%d")))
            elif key == "@cpmem":
                vals.append("%s of %s" % (cell(c + "/checkpoint_mib", "%.1f"),
                                          cell(c + "/budget_mib", "%.0f")))
            elif key == "@taken":
                vals.append("%s / %s" % (cell(c + "/taken", "%d"), cell(c + "/restores", "%d")))
            else:
                vals.append(cell(c + "/" + key, fmt))
        row(label, vals)
    for c in cols:
        if c + "/lost" in FIGS:
            print("  %s: LOST: %s" % (c, FIGS[c + "/lost"]))
    print()

qemu = [k for k in FIGS if k.startswith("qemu/")]
if qemu:
    print("QEMU (rr=replay, rrsnapshot=init: one snapshot, at the start; "
          "a fresh QEMU per scenario)")
    print("  record (shift=auto: paced to real time): %s s, log %s bytes" % (
        cell("qemu/record_s", "%.2f"), cell("qemu/trace_bytes", "%d")))
    Q = [
        ("near: continue 0->start_kernel (s)", "qemu/near/continue_to_start_kernel_s"),
        ("near: start_kernel at QEMU icount", "qemu/near/start_kernel_icount", "%d"),
        ("near: reverse-stepi at start_kernel ms", "@qemu/near/rsi_start_kernel"),
        ("short-rc: continue 0->kernel_init (s)", "qemu/short-rc/continue_to_kernel_init_s"),
        ("short-rc: reverse-continue ->start_kernel (s)",
         "qemu/short-rc/rc_kernel_init_to_start_kernel_s"),
        ("short-rc: then continue ->kernel_init (s)", "qemu/short-rc/continue_after_rc_s"),
        ("short-rc: then continue ->run_init_process (s)", "qemu/short-rc/continue_beyond_s"),
        ("end-rsi: continue 0->kernel_power_off (s)", "qemu/end-rsi/continue_to_kernel_power_off_s"),
        ("end-rsi: kernel_power_off at QEMU icount", "qemu/end-rsi/kernel_power_off_icount", "%d"),
        ("end-rsi: reverse-stepi there ms", "@qemu/end-rsi/rsi_end"),
        ("end-rc: continue 0->kernel_power_off (s)", "qemu/end-rc/continue_to_kernel_power_off_s"),
        ("end-rc: reverse-continue ->start_kernel (s)", "qemu/end-rc/rc_end_to_start_kernel_s"),
    ]
    for entry in Q:
        label, key = entry[0], entry[1]
        fmt = entry[2] if len(entry) > 2 else "%.3f"
        v = steps(key[1:]) if key.startswith("@") else cell(key, fmt)
        print("  %-*s %22s" % (W, label, v))
    rss = [get("qemu/%s/peak_rss_mib" % s) for s in ("near", "short-rc", "end-rsi", "end-rc")]
    rss = [r for r in rss if r is not None]
    if rss:
        print("  %-*s %22.1f" % (W, "peak RSS of QEMU, VmHWM, max (MiB)", max(rss)))
    for k in sorted(qemu):
        if NOTES.get(k):
            print("  note %s: %s" % (k, NOTES[k]))
    print()

    if cols:
        c = cols[0]
        print("rewind (%s) / QEMU, operations that worked in both:" % c)
        pairs = [
            ("reverse-stepi at start_kernel, median", c + "/rsi_start_kernel/median_ms",
             "qemu/near/rsi_start_kernel/median_ms"),
            ("reverse-stepi at start_kernel, first", c + "/rsi_start_kernel/first_ms",
             "qemu/near/rsi_start_kernel/first_ms"),
            ("reverse-continue kernel_init->start_kernel", c + "/rc_kernel_init_to_start_kernel_s",
             "qemu/short-rc/rc_kernel_init_to_start_kernel_s"),
            ("reverse-stepi at the end, first", c + "/rsi_end/first_ms",
             "qemu/end-rsi/rsi_end/first_ms"),
            ("reverse-continue end->start_kernel", c + "/rc_end_to_start_kernel_s",
             "qemu/end-rc/rc_end_to_start_kernel_s"),
        ]
        for label, a, b in pairs:
            va, vb = get(a), get(b)
            if va is not None and vb is not None:
                print("  %-*s %10.4g / %-10.4g = %s" % (W, label, va, vb, ratio(va, vb)))
            else:
                print("  %-*s %s" % (W, label, "rewind %s, QEMU %s" % (cell(a, "%.4g"),
                                                                        cell(b, "%.4g"))))
