/* The W^X host code buffer: a memfd mapped twice. */
#define _GNU_SOURCE
#include "translator/x86_64/code_buffer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

bool code_buffer_init(CodeBuffer *cb, size_t size, char *err, size_t errlen)
{
    memset(cb, 0, sizeof(*cb));
    cb->fd = -1;
    size = (size + 4095) & ~(size_t)4095;
    int fd = memfd_create("rewind-code", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "host code buffer: memfd_create: %s (try --backend portable)",
                 strerror(errno));
        return false;
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        snprintf(err, errlen, "host code buffer: cannot size it to %zu bytes: %s", size,
                 strerror(errno));
        close(fd);
        return false;
    }
    void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void *rx = rw == MAP_FAILED ? MAP_FAILED
                                : mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (rx == MAP_FAILED) {
        snprintf(err, errlen, "host code buffer: cannot map %zu bytes%s: %s (try --backend "
                 "portable)", size, rw == MAP_FAILED ? "" : " executable", strerror(errno));
        if (rw != MAP_FAILED)
            munmap(rw, size);
        close(fd);
        return false;
    }
    cb->rw = rw;
    cb->rx = rx;
    cb->size = size;
    cb->fd = fd;
    return true;
}

void code_buffer_destroy(CodeBuffer *cb)
{
    if (cb->rw)
        munmap(cb->rw, cb->size);
    if (cb->rx)
        munmap(cb->rx, cb->size);
    if (cb->fd >= 0)
        close(cb->fd);
    memset(cb, 0, sizeof(*cb));
    cb->fd = -1;
}
