/* Whole-buffer file I/O on the host: the loops around pread/pwrite/write
 * that retry after EINTR and partial transfers (disk images, traces). */
#ifndef REWIND_CORE_HOSTIO_H
#define REWIND_CORE_HOSTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read up to len bytes at off: the count read (less than len only at the
 * end of the file), or -1 on an error (errno set). */
ssize_t hostio_pread(int fd, void *buf, size_t len, uint64_t off);

/* Write all len bytes at off (hostio_pwrite) or at the file position
 * (hostio_write); false on an error (errno set). */
bool hostio_pwrite(int fd, const void *buf, size_t len, uint64_t off);
bool hostio_write(int fd, const void *buf, size_t len);

#endif
