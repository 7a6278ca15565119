/* Running a TB: its native code when it has some (translator/native.h),
 * else the portable backend, which runs its ops through their handlers. */
#ifndef REWIND_TRANSLATOR_EXEC_H
#define REWIND_TRANSLATOR_EXEC_H

#include "translator/tb_cache.h"

/* Run one TB. The hart's icount advances by the instructions retired.
 * Returns the exit code of the op that ended it (OP_EXIT_*). */
static inline int tb_exec(Hart *h, const TB *tb)
{
    h->icount += tb->ninsns;
    h->cur_tb_len = tb->ninsns;
    h->cur_tb_flags = tb->flags;
    int r = tb->host ? tb->host(h) : tb->ops[0].fn(h, tb->ops);
    /* Only an exception leaves early: the faulting op (op_raise noted its
     * index) and those after it did not retire. Other exits come from the
     * TB's last op. */
    if (r == OP_EXIT_EXC)
        h->icount -= tb->ninsns - h->exc_idx;
    return r;
}

#endif
