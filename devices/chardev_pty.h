/* The host side of `-serial pty`: a pseudo-terminal pair for the UART. */
#ifndef REWIND_DEVICES_CHARDEV_PTY_H
#define REWIND_DEVICES_CHARDEV_PTY_H

#include <stddef.h>

/* Open a new pty: returns its master's fd (close-on-exec) for the backend
 * to read and write, with the slave's path ("/dev/pts/N", what a user
 * opens) in path. The slave is opened too, set to raw mode (no echo, no
 * line editing, bytes as they are, as QEMU sets it) and kept open in
 * *slave_fd until the backend closes: while it is open the master never
 * reads a hang-up, whether or not a user has the pty open, and output
 * written before anyone opens it waits in the kernel's buffer.
 * -1 with a message in err on failure. */
int chardev_pty_open(char *path, size_t pathlen, int *slave_fd, char *err, size_t errlen);

/* Before the pty closes (which throws away what no one has read yet): give
 * a reader the time to take the last output. Returns when nothing is left
 * unread, when the unread count has not moved for 200 ms (no one reads),
 * or after 5 s in all. */
void chardev_pty_drain(int slave_fd);

#endif
