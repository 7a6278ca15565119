/* Exceptions raised by ops. */
#include "translator/exec.h"

#include "core/trap.h"

int op_raise(Hart *h, const Op *op, uint64_t cause, uint64_t tval)
{
    h->exc_idx = op->idx;
    /* tb_exec gives the unretired part of the TB back after this returns;
     * an observer of the trap is told about it now (machine_observed_icount). */
    h->unretired = h->cur_tb->ninsns - op->idx;
    trap_take(h, cause, tval, op->pc);
    h->unretired = 0;
    return OP_EXIT_EXC;
}
