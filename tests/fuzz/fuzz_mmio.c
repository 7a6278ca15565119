/* Fuzz every device's MMIO: random reads and writes of every size at
 * every offset of every region the virt machine maps (CLINT, PLIC, UART,
 * goldfish RTC, syscon, the boot ROM, HTIF's tohost page, eight virtio-mmio
 * transports: virtio-blk twice, virtio-rng, five empty slots), interleaved
 * with time passing (the devices' tick hooks: timer interrupts, the RTC's
 * alarm, the UART's transmitter). The machine is
 * tests/fuzz/guest_machine.h's, put back to a snapshot for each input.
 * virtio-net is not here: it cannot be built without its user-mode
 * network backend (libslirp), which would send the fuzzer's frames to the
 * host's network.
 *
 * Input: a stream of operations (missing bytes read as 0):
 *   0-5 access   region byte (% the number of regions), u32 offset
 *                (% region size + 8, so accesses also run past the end),
 *                size byte (1 << (b % 4)), u64 value; op 0-2 read,
 *                3-5 write
 *   6   time     u16 ticks of mtime
 *   7   jump     u32 ticks x 1000 (past any timer compare or alarm)
 * A syscon write may ask for a reset or a power-off: the request is only
 * recorded on the machine (the run loop, which acts on it, does not run).
 * An input is at most MAX_OPS operations. */
#include "tests/fuzz/guest_machine.h"

enum { MAX_OPS = 512 };

static Machine *machine;
static Snapshot *start;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    machine = gm_build();
    start = snapshot_take(machine);
    if (!start)
        abort();
    for (unsigned i = 0; i < machine->mem.nregions; i++)
        fuzz_note("region %u: %s at %#llx, %#llx bytes\n", i, machine->mem.regions[i].name,
                  (unsigned long long)machine->mem.regions[i].base,
                  (unsigned long long)machine->mem.regions[i].size);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Machine *m = machine;
    char err[256];
    if (!snapshot_restore(m, start, err, sizeof(err))) {
        fprintf(stderr, "fuzz: snapshot_restore: %s\n", err);
        abort();
    }
    GmInput in = { data, size };
    for (unsigned ops = 0; in.n && ops < MAX_OPS; ops++) {
        unsigned op = (unsigned)gm_take(&in, 1) % 8;
        if (op < 6) {
            const MmioRegion *r = &m->mem.regions[gm_take(&in, 1) % m->mem.nregions];
            uint64_t off = gm_take(&in, 4) % (r->size + 8);
            unsigned sz = 1u << (gm_take(&in, 1) % 4);
            uint64_t v = gm_take(&in, 8);
            bool ok = gm_mmio(m, r->base + off, sz, op >= 3, &v);
            fuzz_note("%s %s+%#llx/%u %#llx: %s\n", op >= 3 ? "write" : "read", r->name,
                      (unsigned long long)off, sz, (unsigned long long)v,
                      ok ? "ok" : "refused");
            fuzz_sink += v;
        } else if (op == 6) {
            gm_pass_time(m, gm_take(&in, 2));
        } else {
            gm_pass_time(m, gm_take(&in, 4) * 1000);
        }
    }
    return 0;
}
