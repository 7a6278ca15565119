# Under `rewind record`: stop the machine often (breakpoints hit by any
# hart, single steps, a watchpoint), then run to the end. The runner then
# replays the trace without a debugger: it must match the recording, i.e.
# the stops changed nothing the guest could see. REWIND_GDB_BREAK names
# the function to break on.
import os

connect()


def stops():
    watch = os.environ.get("REWIND_GDB_WATCH")
    if watch:
        run("watch %s" % watch)
        ev = resume()
        check("watchpoint hit", is_watch(ev), ev)
        run("delete")
    fn = os.environ.get("REWIND_GDB_BREAK", "puts")
    run("break %s" % fn)
    hits = 0
    for _ in range(6):
        ev = resume()
        if not is_break(ev):
            break
        hits += 1
        resume("stepi 3")
    check("breakpoint on %s hit 6 times, 3 steps after each" % fn, hits == 6, hits)
    run("delete")
    ev = resume()
    check("the guest ran to its end", Stops.exit_code == 0, Stops.exit_code)


safe("record", stops)
done()
