/* What a fuzzing build (configure --enable-fuzzing, which defines libFuzzer's
 * conventional FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) does differently:
 * it lets checksum mismatches through, so that a mutated trace, checkpoint
 * or packed file reaches the parsers behind its checksums instead of being
 * refused at the first one (a fuzzer cannot forge an XXH32 or zstd's
 * content checksum). Every other build checks them all; the harnesses are
 * never built into rewind itself. tests/fuzz/README.md. */
#ifndef REWIND_CORE_FUZZING_H
#define REWIND_CORE_FUZZING_H

#include <stdbool.h>

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_forceIgnoreChecksum */
#endif
#include <zstd.h>
#include <zstd_errors.h>

/* The outcome of a checksum comparison: `matches`, or true when fuzzing. */
static inline bool checksum_ok(bool matches)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    (void)matches;
    return true;
#else
    return matches;
#endif
}

/* A decompression context for file contents (NULL when out of memory);
 * it ignores zstd's content checksums when fuzzing. */
static inline ZSTD_DCtx *zstd_reader_dctx(void)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (d)
        ZSTD_DCtx_setParameter(d, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
#endif
    return d;
}

/* ZSTD_decompress through zstd_reader_dctx (a zstd error code when out of
 * memory). */
static inline size_t zstd_reader_decompress(void *dst, size_t cap, const void *src, size_t len)
{
    ZSTD_DCtx *d = zstd_reader_dctx();
    if (!d)
        return (size_t)-ZSTD_error_memory_allocation;
    size_t n = ZSTD_decompressDCtx(d, dst, cap, src, len);
    ZSTD_freeDCtx(d);
    return n;
}

#endif
