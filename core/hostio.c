/* Whole-buffer file I/O on the host (see hostio.h). */
#include "core/hostio.h"

#include <errno.h>
#include <unistd.h>

ssize_t hostio_pread(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, p + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break; /* end of file */
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* One loop for both writes: off is UINT64_MAX for the file position. */
static bool hostio_write_at(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = off == UINT64_MAX ? write(fd, p + done, len - done)
                                      : pwrite(fd, p + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

bool hostio_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
    return hostio_write_at(fd, buf, len, off);
}

bool hostio_write(int fd, const void *buf, size_t len)
{
    return hostio_write_at(fd, buf, len, UINT64_MAX);
}
