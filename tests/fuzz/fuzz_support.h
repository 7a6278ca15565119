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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

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

#endif
