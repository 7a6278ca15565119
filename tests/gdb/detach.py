# Detach: the breakpoints go, the guest runs on to its end on its own.
connect()


def detach():
    run("break puts")
    ev = resume()
    check("breakpoint on puts", is_break(ev) and func() == "puts", func())
    run("detach")
    check("detached", not gdb.selected_inferior().pid, gdb.selected_inferior().pid)


safe("detach", detach)
done()
