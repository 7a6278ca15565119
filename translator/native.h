/* The native backend's interface: a TB's op array to host code.
 *
 * The host code of a TB is a function `int fn(Hart *h)` with the result
 * of the portable run of the same ops (an OP_EXIT_* code) and the same
 * effects on the hart, memory and devices, op for op: tb_exec calls it
 * instead of the first op's handler. Ops the emitter does not specialise
 * call their handler. The code lives in a per-TB-cache buffer (no global
 * state), flushed with the TB cache.
 *
 * Only x86-64 hosts have an emitter (translator/x86_64/); elsewhere
 * native_backend_new fails and the portable backend runs. */
#ifndef REWIND_TRANSLATOR_NATIVE_H
#define REWIND_TRANSLATOR_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "translator/tb_cache.h"

typedef struct NativeBackend NativeBackend;

/* Is there an emitter for this host? */
bool native_backend_available(void);

/* A backend with a host code buffer of `size` bytes. NULL with a message
 * in err. */
NativeBackend *native_backend_new(size_t size, char *err, size_t errlen);
void native_backend_free(NativeBackend *nb);

/* Drop all code (the TB cache was flushed). */
void native_backend_reset(NativeBackend *nb);

/* Bytes of host code and data in use. */
size_t native_backend_used(const NativeBackend *nb);

/* Emit tb's host code (tb->ops complete): sets tb->host_exit and
 * tb->host_chain, returns the entry (NULL when the buffer ran out: the TB
 * then runs on the portable backend). fast_mode: the TB is translated in
 * the fast mode (-accel tcg,thread=multi), where other threads raise this
 * hart's interrupts while its code runs: chain entries then look at
 * mip & mie too. */
TbHostFn native_emit(NativeBackend *nb, TB *tb, bool fast_mode);

/* Where the host code of the last TB native_emit built lies, for -d
 * out_asm. Offsets from `code` (the execute view), in order: at 0 a
 * failed chain entry's exit code, falling into the epilogue that every
 * exit jumps to, then the function entry, the chain entry (then,
 * in a TB that loops to its own start, `self_loop`, the loads of its loop
 * registers and its loop entry), op i's code from op_start[i] to
 * op_start[i + 1], a fall-through exit from op_start[nops] to `slow`, the
 * out-of-line slow paths of loads and stores from `slow` to `size`.
 * Filled on every emit (one store per op), so it costs nothing to keep. */
typedef struct NativeTbMap {
    const uint8_t *code;
    uint32_t chain, entry, slow, size;
    bool self_loop;
    unsigned nops;
    uint32_t op_start[TB_MAX_INSNS + 3];
} NativeTbMap;

/* The map of the last successful native_emit (NULL if there was none). */
const NativeTbMap *native_last_map(const NativeBackend *nb);

/* Point a TB's direct exit (tb->host_exit[slot]) at another TB's chain
 * entry (its tb->host_chain), or back at leaving to the run loop. */
void native_link(NativeBackend *nb, uint8_t *exit, const uint8_t *chain);
void native_unlink(NativeBackend *nb, uint8_t *exit);

#endif
