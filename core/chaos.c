/* Chaos scheduling (see chaos.h). */
#include "core/chaos.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/le.h"
#include "core/machine.h"

void chaos_config_default(ChaosConfig *c, uint64_t seed)
{
    /* docs/chaos.md says why these. */
    *c = (ChaosConfig){ .on = true, .seed = seed,
                        .quantum_min = 1, .quantum_max = 100000,
                        .starve_min = 10, .starve_max = 1000000000,
                        .starve_every = 16 };
}

void chaos_config_format(const ChaosConfig *c, char *buf, size_t len)
{
    snprintf(buf, len, "seed=%" PRIu64 ",quantum=%" PRIu64 "..%" PRIu64 ",starve=%" PRIu64
             "..%" PRIu64 ",starve-every=%" PRIu64, c->seed, c->quantum_min, c->quantum_max,
             c->starve_min, c->starve_max, c->starve_every);
}

static bool parse_u64(const char *s, const char **end, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *end = s;
    *out = v;
    return true;
}

/* "MIN..MAX" with 1 <= MIN <= MAX <= limit. */
static bool parse_range(const char *s, const char **end, uint64_t limit, uint64_t *lo,
                        uint64_t *hi)
{
    const char *p;
    if (!parse_u64(s, &p, lo) || strncmp(p, "..", 2) != 0 || !parse_u64(p + 2, end, hi))
        return false;
    return *lo >= 1 && *lo <= *hi && *hi <= limit;
}

bool chaos_config_parse(const char *s, ChaosConfig *c, char *err, size_t errlen)
{
    ChaosConfig r = { .on = true };
    bool have[4] = { false };
    const char *p = s;
    while (*p) {
        const char *end = p;
        bool ok;
        if (!strncmp(p, "seed=", 5)) {
            ok = parse_u64(p + 5, &end, &r.seed);
            have[0] = true;
        } else if (!strncmp(p, "quantum=", 8)) {
            ok = parse_range(p + 8, &end, 1u << 30, &r.quantum_min, &r.quantum_max);
            have[1] = true;
        } else if (!strncmp(p, "starve=", 7)) {
            ok = parse_range(p + 7, &end, UINT64_MAX / 4, &r.starve_min, &r.starve_max);
            have[2] = true;
        } else if (!strncmp(p, "starve-every=", 13)) {
            ok = parse_u64(p + 13, &end, &r.starve_every) && r.starve_every >= 1;
            have[3] = true;
        } else {
            ok = false;
        }
        if (!ok || (*end && *end != ',')) {
            snprintf(err, errlen, "chaos parameters '%s': cannot read '%s' (a newer rewind's "
                     "or a damaged trace)", s, p);
            return false;
        }
        p = *end ? end + 1 : end;
    }
    for (int i = 0; i < 4; i++)
        if (!have[i]) {
            snprintf(err, errlen, "chaos parameters '%s': %s missing", s,
                     (const char *[]){ "seed", "quantum", "starve", "starve-every" }[i]);
            return false;
        }
    *c = r;
    return true;
}

uint64_t chaos_random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 48;
    }
    /* Short enough to type back: 9 decimal digits are plenty of schedules. */
    return seed % 1000000000u;
}

/* ------------------------------------------------------------ draws */

uint64_t chaos_next(uint64_t *rng)
{
    /* splitmix64: one add and a mix per draw; good enough statistically,
     * and its whole state is one word (cheap to checkpoint). */
    uint64_t z = (*rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform draw from [0, n) (n >= 1), without modulo bias worth the name
 * (the 128-bit product's high word). */
static uint64_t chaos_below(uint64_t *rng, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)chaos_next(rng) * n) >> 64);
}

uint64_t chaos_log2_q32(uint64_t x)
{
    if (!x)
        return 0;
    unsigned n = 63u - (unsigned)__builtin_clzll(x);
    /* The mantissa x / 2^n in [1, 2) with 62 fraction bits; each squaring
     * gives one more bit of the logarithm. */
    uint64_t y = n <= 62 ? x << (62 - n) : x >> (n - 62);
    uint64_t frac = 0;
    for (int i = 31; i >= 0; i--) {
        y = (uint64_t)(((unsigned __int128)y * y) >> 62);
        if (y >= 1ULL << 63) {
            y >>= 1;
            frac |= 1ULL << i;
        }
    }
    return (uint64_t)n << 32 | frac;
}

uint64_t chaos_exp2_q32(uint64_t t)
{
    unsigned n = (unsigned)(t >> 32);
    if (n >= 63)
        return UINT64_MAX;
    /* 2^f = e^(f ln 2), f in [0, 1): the series in 62-bit fixed point
     * converges to the last bit in about 20 terms. */
    const uint64_t ln2_q62 = 0x2c5c85fdf473de6aULL;
    uint64_t z = (uint64_t)(((unsigned __int128)(t & 0xffffffffu) * ln2_q62) >> 32);
    uint64_t sum = 1ULL << 62, term = 1ULL << 62;
    for (uint64_t k = 1; k < 30 && term; k++) {
        term = (uint64_t)(((unsigned __int128)term * z) >> 62) / k;
        sum += term;
    }
    return n <= 62 ? sum >> (62 - n) : sum;
}

uint64_t chaos_log_uniform(uint64_t *rng, uint64_t lo, uint64_t hi)
{
    if (lo >= hi)
        return lo;
    uint64_t a = chaos_log2_q32(lo), b = chaos_log2_q32(hi + 1);
    uint64_t v = chaos_exp2_q32(a + chaos_below(rng, b - a));
    return v < lo ? lo : v > hi ? hi : v;
}

uint64_t chaos_clock_ns_per_insn(const ChaosConfig *c, uint64_t base)
{
    if (!base)
        base = 10; /* the default clock (icount/icount.h) */
    /* A stream of its own, so that the schedule's draws do not depend on
     * whether this one was made. */
    uint64_t rng = c->seed ^ 0x636c6f636b636c6bULL;
    uint64_t lo = base / 4 ? base / 4 : 1, hi = base * 4 > 1024 ? 1024 : base * 4;
    return chaos_log_uniform(&rng, lo, hi);
}

/* ------------------------------------------------------------ schedule */

void chaos_state_init(ChaosState *s, const ChaosConfig *c)
{
    memset(s, 0, sizeof(*s));
    s->rng = c->seed;
    s->starved = CHAOS_NONE;
}

/* A random order of the harts for the round (Fisher-Yates). */
static void chaos_draw_order(ChaosState *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        s->order[i] = (uint8_t)i;
    for (unsigned i = n - 1; i > 0; i--) {
        unsigned j = (unsigned)chaos_below(&s->rng, i + 1);
        uint8_t t = s->order[i];
        s->order[i] = s->order[j];
        s->order[j] = t;
    }
}

Hart *chaos_turn_hart(Machine *m)
{
    ChaosState *s = &m->sched.chaos;
    const ChaosConfig *c = &m->cfg.chaos;
    unsigned pos = m->sched.hart;
    if (!s->drawn) {
        if (pos == 0)
            chaos_draw_order(s, m->nharts);
        uint64_t now = machine_icount(m);
        if (s->starved != CHAOS_NONE && now >= s->starve_end)
            s->starved = CHAOS_NONE;
        if (s->starved == CHAOS_NONE && now >= s->calm_end && m->nharts > 1 &&
            chaos_below(&s->rng, c->starve_every) == 0) {
            uint64_t len = chaos_log_uniform(&s->rng, c->starve_min, c->starve_max);
            s->starved = (uint8_t)chaos_below(&s->rng, m->nharts);
            s->starve_end = now + len;
            s->calm_end = s->starve_end + len;
        }
        s->quantum = chaos_log_uniform(&s->rng, c->quantum_min, c->quantum_max);
        s->drawn = true;
    }
    unsigned id = s->order[pos < m->nharts ? pos : 0];
    if (id == s->starved)
        s->quantum = 0; /* no turn: turn_insns_left says 0 at once */
    return &m->harts[id];
}

void chaos_turn_end(Machine *m)
{
    m->sched.chaos.drawn = false;
}

bool chaos_unstarve(Machine *m)
{
    ChaosState *s = &m->sched.chaos;
    if (s->starved == CHAOS_NONE)
        return false;
    s->starved = CHAOS_NONE;
    return true;
}

void chaos_state_pack(const ChaosState *s, uint8_t *buf)
{
    le_put64(buf, s->rng);
    le_put64(buf + 8, s->quantum);
    le_put64(buf + 16, s->starve_end);
    le_put64(buf + 24, s->calm_end);
    memcpy(buf + 32, s->order, CHAOS_MAX_HARTS);
    buf[32 + CHAOS_MAX_HARTS] = s->starved;
    buf[33 + CHAOS_MAX_HARTS] = s->drawn;
}

bool chaos_state_unpack(ChaosState *s, const uint8_t *buf, size_t len)
{
    if (len != CHAOS_STATE_BYTES)
        return false;
    ChaosState r;
    r.rng = le_get64(buf);
    r.quantum = le_get64(buf + 8);
    r.starve_end = le_get64(buf + 16);
    r.calm_end = le_get64(buf + 24);
    memcpy(r.order, buf + 32, CHAOS_MAX_HARTS);
    r.starved = buf[32 + CHAOS_MAX_HARTS];
    r.drawn = buf[33 + CHAOS_MAX_HARTS] != 0;
    for (unsigned i = 0; i < CHAOS_MAX_HARTS; i++)
        if (r.order[i] >= CHAOS_MAX_HARTS)
            return false;
    if (r.starved != CHAOS_NONE && r.starved >= CHAOS_MAX_HARTS)
        return false;
    *s = r;
    return true;
}
