# Seeks forward and back through a recording (each forward run stops at
# waypoints: slice ends the recording never had), then detach: the runner
# requires the replay to match its recording to the end, i.e. the stops
# changed nothing the guest could see. On 4 harts, idle ones sit in wfi
# with interrupts pending: a stop right after a wfi used to change when
# the hart woke (engine revision 2 made a wfi always end its turn).
import re

connect()


def when():
    out = run("monitor when")
    m = re.search(r"Current icount: (\d+) \(recording ends at (\d+)\)", out)
    return int(m.group(1)), int(m.group(2))


def seeks():
    end = when()[1]
    # Early boot (secondary harts parked, then idle) and all over the run;
    # each forward seek leaves waypoints on its way.
    targets = [55060788, 20000000, 41234567, 63333333, 7777777, 99999999] + \
        [end * k // 23 for k in (3, 7, 5, 11, 2, 17, 13)] + [end // 2 + 12345]
    ok = True
    for n in targets:
        run("monitor seek %d" % n)
        ok &= when()[0] == n
    check("%d seeks forward and back land where asked" % len(targets), ok, when())


safe("seeks", seeks)
done()
