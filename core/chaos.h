/* Chaos scheduling (`--chaos[=SEED]`): a schedule that changes from seed
 * to seed, to make races show that the fixed round robin hides.
 *
 * Without chaos, harts take turns in order (0, 1, ...) with the same
 * quantum every turn. With it, driven by one seeded generator (never by
 * the host):
 *  - each round of turns visits the harts in a fresh random order;
 *  - each turn's quantum is drawn log-uniformly from [quantum_min,
 *    quantum_max], so both turns that end every few instructions (a switch
 *    inside a short window) and long ones happen;
 *  - at the start of a turn, when no episode runs and the calm period of
 *    the last one is over, 1 turn in starve_every starts a starvation
 *    episode: a random hart gets no turn until the others have retired a
 *    log-uniform number of instructions from [starve_min, starve_max].
 * Progress is bounded: an episode ends early when a whole round passes
 * with no hart retiring anything (the others all wait for an interrupt),
 * and after an episode of L instructions no new one starts for another L,
 * so no hart is starved for more than about half of a run. A turn that
 * ends its quantum holding an LR reservation still goes on to its SC
 * (core/turn.h), whatever the quantum, so LR/SC loops still progress.
 *
 * With one hart there is no schedule: chaos draws the clock rate instead
 * (ns per instruction, log-uniform within 1/4 to 4 times the base), so
 * timer interrupts land on other instructions. The rate chosen is part of
 * the machine configuration (written into the trace as any clock rate).
 *
 * Everything the draws depend on is the seed and the run itself; the
 * generator's state lives in m->sched.chaos, which checkpoints save, so a
 * recording replays (and reverse-debugs) the exact schedule. The
 * arithmetic is integer only (no libm), so every host draws the same
 * numbers. Why these distributions: docs/chaos.md. */
#ifndef REWIND_CORE_CHAOS_H
#define REWIND_CORE_CHAOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;
struct Hart;

typedef struct ChaosConfig {
    bool on;
    uint64_t seed;
    uint64_t quantum_min, quantum_max; /* per-turn quanta, log-uniform */
    uint64_t starve_min, starve_max;   /* episode lengths (instructions), log-uniform */
    uint64_t starve_every;             /* 1 turn in this many starts an episode */
} ChaosConfig;

enum { CHAOS_MAX_HARTS = 8, CHAOS_NONE = 0xff };

/* The scheduler's state (in m->sched; saved by checkpoints). */
typedef struct ChaosState {
    uint64_t rng;        /* the generator (splitmix64) */
    uint64_t quantum;    /* this turn's quantum */
    uint64_t starve_end; /* total icount at which the episode ends */
    uint64_t calm_end;   /* no new episode before this total icount */
    uint8_t order[CHAOS_MAX_HARTS]; /* this round's order of harts */
    uint8_t starved;     /* the starved hart, or CHAOS_NONE */
    bool drawn;          /* this turn's hart and quantum are drawn */
} ChaosState;

/* The size of a ChaosState in a checkpoint file (chaos_state_pack). */
enum { CHAOS_STATE_BYTES = 8 * 4 + CHAOS_MAX_HARTS + 2 };

/* The defaults (docs/chaos.md) with the given seed, switched on. */
void chaos_config_default(ChaosConfig *c, uint64_t seed);

/* "seed=N,quantum=MIN..MAX,starve=MIN..MAX,starve-every=N": how the trace
 * header keeps it (option "chaos"). */
void chaos_config_format(const ChaosConfig *c, char *buf, size_t len);
/* The other way; false with a message naming the bad part. */
bool chaos_config_parse(const char *s, ChaosConfig *c, char *err, size_t errlen);

/* A seed from the host's entropy (when --chaos gives none). */
uint64_t chaos_random_seed(void);

/* One hart: the clock rate chaos runs at, from the base rate (ns per
 * instruction, 0 meaning the default). */
uint64_t chaos_clock_ns_per_insn(const ChaosConfig *c, uint64_t base);

/* The machine's initial state for its configuration (machine_new). */
void chaos_state_init(ChaosState *s, const ChaosConfig *c);

/* The hart whose turn it is at the round's position m->sched.hart; draws
 * the round's order and the turn's quantum when the turn begins. */
struct Hart *chaos_turn_hart(struct Machine *m);

/* The turn is over (before the position moves on). */
void chaos_turn_end(struct Machine *m);

/* A round passed in which no hart retired anything: if a hart is starved,
 * end its episode (it may be the one that can run) and return true. */
bool chaos_unstarve(struct Machine *m);

/* Checkpoint files: the state as CHAOS_STATE_BYTES little-endian bytes. */
void chaos_state_pack(const ChaosState *s, uint8_t *buf);
bool chaos_state_unpack(ChaosState *s, const uint8_t *buf, size_t len);

/* For the unit tests: log2 and 2^x in 32.32 fixed point, and a
 * log-uniform draw from [lo, hi] with the generator in *rng. */
uint64_t chaos_log2_q32(uint64_t x);
uint64_t chaos_exp2_q32(uint64_t t);
uint64_t chaos_log_uniform(uint64_t *rng, uint64_t lo, uint64_t hi);
uint64_t chaos_next(uint64_t *rng);

#endif
