/* Cost of machine checkpoints when little RAM changes between them, the
 * pattern of reverse debugging: RAM_MIB of RAM, all of it non-zero (a
 * guest that has touched its memory), then ROUNDS times: write DIRTY
 * random pages, take a snapshot, restore the previous one, restore the
 * new one. Prints the mean time of each operation and checks, outside the
 * timed parts, that every restore gave back the RAM the snapshot saw.
 *
 *   bench [RAM_MIB [DIRTY [ROUNDS]]]      (defaults 256 100 50) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "core/machine.h"
#include "core/snapshot.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* xorshift64*: the same pages every run */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* A store from outside the harts, marked as the devices and the debugger
 * mark theirs. */
static void write_word(Machine *m, uint64_t pa, uint64_t val)
{
    machine_ram_written(m, pa, 8);
    memcpy(memory_ram_ptr(&m->mem, pa, 8), &val, 8);
}

static uint64_t ram_hash(Machine *m)
{
    return XXH3_64bits(m->mem.ram, m->mem.ram_size);
}

static void restore_or_die(Machine *m, const Snapshot *s)
{
    char err[256];
    if (!snapshot_restore(m, s, err, sizeof(err))) {
        fprintf(stderr, "bench: restore failed: %s\n", err);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    uint64_t ram_mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 256;
    unsigned dirty = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 100;
    unsigned rounds = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 50;
    char err[256];
    MachineConfig cfg = { .ram_size = ram_mib << 20, .nharts = 1 };
    Machine *m = machine_new(&cfg, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    uint64_t npages = m->mem.ram_size >> 12;
    for (uint64_t i = 0; i < npages; i++)
        for (uint64_t off = 0; off < 4096; off += 512)
            write_word(m, m->mem.ram_base + (i << 12) + off, i * 4096 + off + 1);

    double t0 = now_us();
    Snapshot *prev = snapshot_take(m);
    double first_take = now_us() - t0;
    uint64_t prev_hash = ram_hash(m);
    if (!prev) {
        fprintf(stderr, "bench: out of memory\n");
        return 1;
    }

    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    double take = 0, restore_prev = 0, restore_new = 0, free_us = 0;
    size_t bytes = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned k = 0; k < dirty; k++) {
            uint64_t page = next_rand(&seed) % npages;
            uint64_t off = next_rand(&seed) % (4096 / 8) * 8;
            write_word(m, m->mem.ram_base + (page << 12) + off, next_rand(&seed));
        }
        uint64_t new_hash = ram_hash(m);

        t0 = now_us();
        Snapshot *s = snapshot_take(m);
        take += now_us() - t0;
        if (!s) {
            fprintf(stderr, "bench: out of memory\n");
            return 1;
        }
        bytes += snapshot_bytes(s);

        t0 = now_us();
        restore_or_die(m, prev);
        restore_prev += now_us() - t0;
        if (ram_hash(m) != prev_hash) {
            fprintf(stderr, "bench: round %u: RAM differs after restoring the previous snapshot\n", r);
            return 1;
        }

        t0 = now_us();
        restore_or_die(m, s);
        restore_new += now_us() - t0;
        if (ram_hash(m) != new_hash) {
            fprintf(stderr, "bench: round %u: RAM differs after restoring the new snapshot\n", r);
            return 1;
        }

        t0 = now_us();
        snapshot_free(prev);
        free_us += now_us() - t0;
        prev = s;
        prev_hash = new_hash;
    }
    printf("snapshot bench: %" PRIu64 " MiB RAM (all pages non-zero), %u pages written "
           "between snapshots, %u rounds\n", ram_mib, dirty, rounds);
    printf("first take (full compare)  %10.1f us\n", first_take);
    printf("take                       %10.1f us/op\n", take / rounds);
    printf("restore previous           %10.1f us/op\n", restore_prev / rounds);
    printf("restore new                %10.1f us/op\n", restore_new / rounds);
    printf("free                       %10.1f us/op\n", free_us / rounds);
    printf("snapshot bytes             %10zu per snapshot\n", bytes / rounds);
    printf("RAM checked after every restore: ok\n");
    snapshot_free(prev);
    machine_free(m);
    return 0;
}
