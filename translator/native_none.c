/* The native backend on hosts without an emitter: never available, so the
 * portable backend runs (machine_resolve_backend says why if asked). */
#include <stdio.h>

#include "translator/native.h"

bool native_backend_available(void)
{
    return false;
}

NativeBackend *native_backend_new(size_t size, char *err, size_t errlen)
{
    (void)size;
    snprintf(err, errlen, "no native backend for this host");
    return NULL;
}

void native_backend_free(NativeBackend *nb)
{
    (void)nb;
}

void native_backend_reset(NativeBackend *nb)
{
    (void)nb;
}

size_t native_backend_used(const NativeBackend *nb)
{
    (void)nb;
    return 0;
}

TbHostFn native_emit(NativeBackend *nb, TB *tb, bool fast_mode)
{
    (void)nb;
    (void)tb;
    (void)fast_mode;
    return NULL;
}

void native_link(NativeBackend *nb, uint8_t *exit, const uint8_t *chain)
{
    (void)nb;
    (void)exit;
    (void)chain;
}

void native_unlink(NativeBackend *nb, uint8_t *exit)
{
    (void)nb;
    (void)exit;
}

const NativeTbMap *native_last_map(const NativeBackend *nb)
{
    (void)nb;
    return NULL;
}
