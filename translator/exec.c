/* Exceptions raised by ops. */
#include "translator/exec.h"

#include "core/trap.h"

int op_raise(Hart *h, const Op *op, uint64_t cause, uint64_t tval)
{
    h->exc_idx = op->idx;
    trap_take(h, cause, tval, op->pc);
    return OP_EXIT_EXC;
}
