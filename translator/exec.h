/* Running a TB: its native code when it has some (translator/native.h),
 * else the portable backend, which runs its ops through their handlers. */
#ifndef REWIND_TRANSLATOR_EXEC_H
#define REWIND_TRANSLATOR_EXEC_H

#include "translator/tb_cache.h"

/* tb_exec's `end` that leaves h->icount_end as its owner set it: the fast
 * mode's hart loop, where another thread lowers it to 0 to make native
 * code leave its chain of TBs (core/mt_run.c, kick_all). */
#define TB_EXEC_END_AS_SET 0

/* Run the TB *tbp. The hart's icount advances by the instructions retired.
 * Returns the exit code of the op that ended it (OP_EXIT_*).
 *
 * Native code may go on into the TBs chained to it (by patched jumps,
 * under the conditions the run loop's chaining checks: the budget up to
 * icount `end`, no interrupt pending, no stop): *tbp is then the TB that
 * ended the run (h->cur_tb). */
static inline int tb_exec(Hart *h, TB **tbp, uint64_t end)
{
    TB *tb = *tbp;
    h->icount += tb->ninsns;
    h->cur_tb = tb;
    int r;
    if (tb->host) {
        if (end != TB_EXEC_END_AS_SET)
            h->icount_end = end;
        r = tb->host(h);
        *tbp = h->cur_tb;
    } else {
        r = tb->ops[0].fn(h, tb->ops);
    }
    /* Only an exception leaves early: the faulting op (op_raise noted its
     * index) and those after it did not retire. Other exits come from the
     * TB's last op. */
    if (r == OP_EXIT_EXC)
        h->icount -= h->cur_tb->ninsns - h->exc_idx;
    return r;
}

#endif
