/* The replay interface. This file holds the part every mode shares (the
 * sink registry, pass-through when neither recording nor replaying); the
 * record and replay modes hang off m->replay. */
#include "replay/replay.h"

#include <string.h>

#include "core/digest.h"
#include "core/machine.h"

ReplayMode replay_mode(const struct Machine *m)
{
    return m->replay ? REPLAY_RECORD : REPLAY_OFF;
}

bool replay_sync_input(struct Machine *m, EventKind kind, unsigned source,
                       void *buf, size_t len, ReplayHostRead read_host, void *ctx)
{
    if (!read_host(ctx, buf, len)) {
        memset(buf, 0, len);
        return false;
    }
    return true;
}

void replay_register_sink(struct Machine *m, EventKind kind, unsigned source,
                          ReplaySink sink, void *opaque)
{
    if (m->ninput_sinks == sizeof(m->input_sinks) / sizeof(m->input_sinks[0]))
        return;
    m->input_sinks[m->ninput_sinks].kind = kind;
    m->input_sinks[m->ninput_sinks].source = source;
    m->input_sinks[m->ninput_sinks].sink = sink;
    m->input_sinks[m->ninput_sinks].opaque = opaque;
    m->ninput_sinks++;
}

void replay_async_input(struct Machine *m, EventKind kind, unsigned source,
                        const uint8_t *buf, size_t len)
{
    for (unsigned i = 0; i < m->ninput_sinks; i++)
        if (m->input_sinks[i].kind == (int)kind && m->input_sinks[i].source == source)
            m->input_sinks[i].sink(m->input_sinks[i].opaque, buf, len);
}

void replay_on_digest(struct Machine *m, const struct Digest *d)
{
}

void replay_on_stop(struct Machine *m)
{
}

uint64_t replay_next_icount(const struct Machine *m)
{
    return UINT64_MAX;
}

void replay_deliver_due(struct Machine *m)
{
}
