/* A pseudo-terminal pair for `-serial pty`. */
#define _GNU_SOURCE /* ptsname_r */
#include "devices/chardev_pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int chardev_pty_open(char *path, size_t pathlen, int *slave_fd, char *err, size_t errlen)
{
    *slave_fd = -1;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    const char *step = "posix_openpt";
    if (master < 0)
        goto fail;
    step = "grantpt";
    if (grantpt(master) != 0)
        goto fail;
    step = "unlockpt";
    if (unlockpt(master) != 0)
        goto fail;
    step = "ptsname_r";
    int r = ptsname_r(master, path, pathlen);
    if (r != 0) {
        errno = r;
        goto fail;
    }
    step = path;
    int slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        goto fail;
    struct termios t;
    if (tcgetattr(slave, &t) != 0) {
        step = "tcgetattr";
        goto fail_slave;
    }
    cfmakeraw(&t);
    if (tcsetattr(slave, TCSANOW, &t) != 0) {
        step = "tcsetattr";
        goto fail_slave;
    }
    *slave_fd = slave;
    return master;

fail_slave: {
    int e = errno;
    close(slave);
    errno = e;
}
fail:
    snprintf(err, errlen, "-serial pty: %s: %s", step, strerror(errno));
    if (master >= 0)
        close(master);
    return -1;
}

void chardev_pty_drain(int slave_fd)
{
    enum { STEP_MS = 10, IDLE_MS = 200, MAX_MS = 5000 };
    const struct timespec step = { 0, STEP_MS * 1000000L };
    int last = -1;
    unsigned idle = 0;
    /* What the master wrote reaches the slave's queue a moment later (the
     * kernel moves it from a work queue): look after one step. */
    nanosleep(&step, NULL);
    for (unsigned waited = 0; waited < MAX_MS && idle < IDLE_MS; waited += STEP_MS) {
        int unread;
        if (ioctl(slave_fd, TIOCINQ, &unread) != 0 || unread <= 0)
            return;
        idle = unread == last ? idle + STEP_MS : 0;
        last = unread;
        nanosleep(&step, NULL);
    }
}
