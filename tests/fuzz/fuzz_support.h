/* Shared helpers of the libFuzzer harnesses (tests/fuzz/README.md).
 *
 * The readers under test take a path, not a buffer: fuzz_file_path()
 * puts the input into a memory file (memfd_create, reused from one input
 * to the next) and returns its name, /proc/self/fd/N, so that the reader
 * opens, stats, locks and reads it exactly as it would a file on disk,
 * without touching the disk. */
#ifndef REWIND_TESTS_FUZZ_SUPPORT_H
#define REWIND_TESTS_FUZZ_SUPPORT_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);

/* Where a harness stores what it computed from the output, so that the
 * compiler keeps the reads that compute it. */
static volatile uint64_t fuzz_sink;

/* REWIND_FUZZ_VERBOSE=1: harnesses say what became of an input (run a
 * harness on a file to check that it reaches the code it is meant to). */
#define fuzz_note(...)                                                             \
    do {                                                                           \
        if (getenv("REWIND_FUZZ_VERBOSE"))                                         \
            fprintf(stderr, "fuzz: " __VA_ARGS__);                                 \
    } while (0)

/* The bytes as a file: its path, valid until the next call. Aborts when
 * the memory file cannot be made (a host problem, not a finding). */
static inline const char *fuzz_file_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("rewind-fuzz-input", 0);
        if (fd < 0) {
            perror("fuzz: memfd_create");
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    size_t done = 0;
    if (ftruncate(fd, 0) != 0) {
        perror("fuzz: ftruncate");
        abort();
    }
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) {
            perror("fuzz: pwrite");
            abort();
        }
        done += (size_t)n;
    }
    return path;
}

/* Structure-aware mutation inside a zstd frame (custom mutators of the
 * trace and checkpoint harnesses): a fuzzer that flips bits of compressed
 * bytes only breaks the compression, so the decoders behind it (protobuf
 * events, the checkpoint's state) would see nothing but seeds. This
 * decompresses the frame at in[off..off+clen), lets libFuzzer mutate the
 * content (up to twice its size), and compresses it again into
 * out[0..cap): returns the new frame's size (*ulen: its content's), or 0
 * when the frame does not decompress or does not fit. */
static inline size_t fuzz_mutate_zstd(const uint8_t *in, size_t off, size_t clen, uint8_t *out,
                                      size_t cap, size_t *ulen)
{
    static uint8_t content[1 << 20];
    unsigned long long n = ZSTD_getFrameContentSize(in + off, clen);
    if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > sizeof(content) / 2)
        return 0;
    size_t got = ZSTD_decompress(content, sizeof(content), in + off, clen);
    if (ZSTD_isError(got))
        return 0;
    size_t max = 2 * got + 64 < sizeof(content) ? 2 * got + 64 : sizeof(content);
    *ulen = LLVMFuzzerMutate(content, got, max);
    size_t c = ZSTD_compress(out, cap, content, *ulen, 1);
    return ZSTD_isError(c) ? 0 : c;
}

static inline uint32_t fuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void fuzz_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
