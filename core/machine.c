/* Building and tearing down a machine; stop requests. */
#include "core/machine.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/debug.h"
#include "core/isa.h"
#include "core/sstc.h"
#include "core/mt_run.h"
#include "devices/htif.h"
#include "replay/replay.h"
#include "translator/native.h"
#include "translator/tb_cache.h"

/* Code buffer for translated blocks: flushed whole when full. */
enum { TB_CODE_BUFFER_SIZE = 64 << 20 };

const char *machine_backend_name(MachineBackend b)
{
    return b == MACHINE_BACKEND_PORTABLE ? "portable" : "native";
}

bool machine_resolve_backend(MachineBackend want, MachineBackend *out, char *err,
                             size_t errlen)
{
    if (want == MACHINE_BACKEND_DEFAULT) {
        /* The test tiers run twice, once per backend, through this. */
        const char *env = getenv("REWIND_BACKEND");
        if (env && *env) {
            if (!strcmp(env, "native")) {
                want = MACHINE_BACKEND_NATIVE;
            } else if (!strcmp(env, "portable")) {
                want = MACHINE_BACKEND_PORTABLE;
            } else {
                snprintf(err, errlen, "REWIND_BACKEND=%s: expected native or portable", env);
                return false;
            }
        } else {
            want = native_backend_available() ? MACHINE_BACKEND_NATIVE
                                              : MACHINE_BACKEND_PORTABLE;
        }
    }
    if (want == MACHINE_BACKEND_NATIVE && !native_backend_available()) {
        snprintf(err, errlen, "the native backend is not available on this host "
                 "(x86-64 only): use --backend portable");
        return false;
    }
    *out = want;
    return true;
}

Machine *machine_new(const MachineConfig *cfg, char *err, size_t errlen)
{
    if (cfg->nharts < 1 || cfg->nharts > MACHINE_MAX_HARTS) {
        snprintf(err, errlen, "-smp %u: between 1 and %d harts are supported",
                 cfg->nharts, MACHINE_MAX_HARTS);
        return NULL;
    }
    Machine *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    timerq_init(&m->timers);
    /* With one hart a turn's end lets no other hart run: it is only
     * where the run loop polls host input (every few turns) and cuts a
     * TB to the budget, overhead at every turn (2-3% of a CPU-bound
     * guest at 10000). 100000 instructions still poll every few hundred
     * microseconds of a busy guest. The trace records the quantum, so a
     * trace made with the old default replays with it. */
    if (!m->cfg.quantum)
        m->cfg.quantum = cfg->nharts == 1 ? MACHINE_QUANTUM_ONE_HART : MACHINE_QUANTUM;
    if (!m->cfg.icount.ns_per_insn)
        m->cfg.icount.ns_per_insn = 10; /* a nominal 100 MIPS */
    chaos_state_init(&m->sched.chaos, &m->cfg.chaos);
    m->next_digest = m->cfg.digest_every ? m->cfg.digest_every : UINT64_MAX;
    m->digest_print = m->cfg.digest_every != 0;
    m->digest_out = stdout;
    m->log.out = stderr;
    if (!memory_init(&m->mem, MEM_RAM_BASE, cfg->ram_size)) {
        snprintf(err, errlen, "cannot allocate %llu bytes of guest RAM",
                 (unsigned long long)cfg->ram_size);
        free(m);
        return NULL;
    }
    m->nharts = cfg->nharts;
    m->harts = calloc(m->nharts, sizeof(Hart));
    m->tbc = tb_cache_new(MEM_RAM_BASE, cfg->ram_size,
                          cfg->code_buffer_size ? cfg->code_buffer_size
                                                : TB_CODE_BUFFER_SIZE);
    if (!m->harts || !m->tbc) {
        snprintf(err, errlen, "out of memory");
        machine_free(m);
        return NULL;
    }
    if (!machine_resolve_backend(cfg->backend, &m->cfg.backend, err, errlen)) {
        machine_free(m);
        return NULL;
    }
    if (m->cfg.backend == MACHINE_BACKEND_NATIVE) {
        NativeBackend *nb = native_backend_new(cfg->code_buffer_size ? cfg->code_buffer_size
                                                                     : TB_CODE_BUFFER_SIZE,
                                               err, errlen);
        if (!nb) {
            machine_free(m);
            return NULL;
        }
        tb_cache_set_native(m->tbc, nb);
    }
    m->loop = malloc(sizeof(uv_loop_t));
    if (!m->loop || uv_loop_init(m->loop) != 0) {
        free(m->loop);
        m->loop = NULL;
        snprintf(err, errlen, "cannot create the host event loop");
        machine_free(m);
        return NULL;
    }
    for (unsigned i = 0; i < m->nharts; i++) {
        hart_reset(&m->harts[i], i, m, MEM_RAM_BASE);
        m->harts[i].cut_tb = tb_scratch_new();
        if (!m->harts[i].cut_tb) {
            snprintf(err, errlen, "out of memory");
            machine_free(m);
            return NULL;
        }
    }
    if ((cfg->isa_ext & ISA_BIT(ISA_SSTC)) && !sstc_attach(m, err, errlen)) {
        machine_free(m);
        return NULL;
    }
    return m;
}

void machine_free(Machine *m)
{
    if (!m)
        return;
    debug_free(m);
    for (unsigned i = m->ndevices; i-- > 0;)
        if (m->devices[i].free)
            m->devices[i].free(m->devices[i].opaque);
    /* HTIF is made by the loader for an ELF with tohost (boot/loader.c)
     * and kept in m->htif, not in the device table: the machine owns it. */
    htif_free(m->htif);
    if (m->loop) {
        /* Devices closed their handles; let the loop run the close
         * callbacks before it goes. */
        uv_run(m->loop, UV_RUN_NOWAIT);
        uv_loop_close(m->loop);
        free(m->loop);
    }
    if (m->tbc)
        tb_cache_free(m->tbc);
    for (unsigned i = 0; m->harts && i < m->nharts; i++)
        free(m->harts[i].cut_tb);
    free(m->harts);
    memory_free(&m->mem);
    timerq_destroy(&m->timers);
    free(m);
}

void machine_break_chains(Machine *m)
{
    for (unsigned i = 0; i < m->nharts; i++)
        m->harts[i].icount_end = 0;
}

void machine_request_exit(Machine *m, int code)
{
    if (m->mt) {
        mt_request_stop(m, STOP_EXIT, code, NULL);
        return;
    }
    if (m->stop == STOP_NONE) {
        m->stop = STOP_EXIT;
        m->exit_code = code;
        machine_break_chains(m);
    }
}

void machine_fail(Machine *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (m->mt) { /* m->stop is the fast mode's to read, under its lock */
        char msg[sizeof(m->error)];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        mt_request_stop(m, STOP_ERROR, 0, msg);
        return;
    }
    if (m->stop == STOP_ERROR) {
        va_end(ap);
        return;
    }
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
    m->stop = STOP_ERROR;
    machine_break_chains(m);
}

uint64_t machine_next_deadline(Machine *m)
{
    uint64_t t = timerq_next(&m->timers);
    uint64_t r = replay_deadline(m); /* asked every time: it notes the query */
    return r < t ? r : t;
}

uint64_t machine_icount(const Machine *m)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < m->nharts; i++)
        n += m->harts[i].icount;
    return n;
}

uint64_t machine_observed_hart_icount(const Hart *h)
{
    return h->icount - h->unretired;
}

uint64_t machine_observed_icount(const Machine *m, const Hart *h)
{
    return machine_icount(m) - h->unretired;
}

uint64_t machine_clock_ns(const Machine *m)
{
    if (m->mt)
        return mt_clock_ns(m); /* the host's clock */
    return machine_icount(m) * m->cfg.icount.ns_per_insn + m->mtime_skipped * 100;
}

uint64_t machine_mtime(const Machine *m)
{
    return machine_clock_ns(m) / 100;
}

bool machine_add_device(Machine *m, const MachineDevice *dev)
{
    if (m->ndevices == MACHINE_MAX_DEVICES)
        return false;
    m->devices[m->ndevices++] = *dev;
    return true;
}

void machine_ram_written(Machine *m, uint64_t pa, uint64_t len)
{
    if (len == 0)
        return;
    if (m->mt) {
        mt_ram_written(m, pa, len);
        return;
    }
    for (uint64_t page = pa & ~0xfffULL; page < pa + len; page += 0x1000) {
        memory_mark_dirty(&m->mem, page);
        if (memory_ram_ptr(&m->mem, page, 1) && memory_page_has_code(&m->mem, page))
            tb_invalidate_page(m, page);
    }
    for (unsigned i = 0; i < m->nharts; i++) {
        Hart *h = &m->harts[i];
        if (h->lr_valid && h->lr_addr + 8 > pa && h->lr_addr < pa + len)
            h->lr_valid = false;
    }
}

void machine_tick_devices(Machine *m)
{
    timerq_run_due(&m->timers, machine_mtime(m));
    for (unsigned i = 0; i < m->ndevices; i++)
        if (m->devices[i].tick)
            m->devices[i].tick(m->devices[i].opaque);
}

void machine_request_reset(Machine *m)
{
    if (m->cfg.no_reboot)
        machine_request_exit(m, 0); /* as QEMU's -no-reboot: a shutdown */
    else
        m->reset_requested = true;
}

bool machine_reset(Machine *m, char *err, size_t errlen)
{
    m->reset_requested = false;
    for (unsigned i = 0; i < m->ndevices; i++)
        if (m->devices[i].reset)
            m->devices[i].reset(m->devices[i].opaque);
    memset(m->mem.ram, 0, m->mem.ram_size);
    tb_cache_flush(m);
    for (unsigned i = 0; i < m->nharts; i++) {
        uint64_t icount = m->harts[i].icount; /* time keeps going */
        hart_reset(&m->harts[i], i, m, MEM_RAM_BASE);
        m->harts[i].icount = icount;
    }
    if (m->reload)
        return m->reload(m, m->reload_ctx, err, errlen);
    return true;
}
