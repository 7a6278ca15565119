/* The host code buffer of the native backend: one mapping of a memfd
 * written through a read-write view and executed through a read-execute
 * view (W^X: no page is ever writable and executable at once, and writing
 * new code costs no system call). Bump-allocated; when it is full, the TB
 * cache flushes everything (tb_cache_flush) and it starts over.
 *
 * Ownership: one per TB cache (so per machine); no global state. */
#ifndef REWIND_TRANSLATOR_X86_64_CODE_BUFFER_H
#define REWIND_TRANSLATOR_X86_64_CODE_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CodeBuffer {
    uint8_t *rw;      /* write view */
    uint8_t *rx;      /* execute view: same bytes */
    size_t size, used;
    int fd;
} CodeBuffer;

/* Map a buffer of `size` bytes (rounded up to pages). false with a
 * message in err. */
bool code_buffer_init(CodeBuffer *cb, size_t size, char *err, size_t errlen);
void code_buffer_destroy(CodeBuffer *cb);

/* Bytes left. */
static inline size_t code_buffer_room(const CodeBuffer *cb)
{
    return cb->size - cb->used;
}

/* The execute-view address of a write-view pointer. */
static inline const uint8_t *code_buffer_exec_addr(const CodeBuffer *cb, const uint8_t *w)
{
    return cb->rx + (w - cb->rw);
}

/* Drop everything (the TB cache was flushed). */
static inline void code_buffer_reset(CodeBuffer *cb)
{
    cb->used = 0;
}

#endif
