/* /init of the rewind Linux guest: exercises every device of the virt
 * machine from user space and prints what it saw, then powers off.
 *
 * The output is compared line by line between rewind and QEMU, so every
 * line is either deterministic or starts with a fixed tag that the test
 * masks (rtc time, random bytes). Lines are written with one write() each
 * so that they never interleave.
 *
 * Built static: riscv64-linux-gnu-gcc -static -O2 (boot/linux/build). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/rtc.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <dirent.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* How long to wait for a line on the console, in guest seconds. */
enum { INPUT_TIMEOUT_S = 15 };
/* Work per CPU for the checksum job (iterations of the mixing loop). */
enum { JOB_ITERATIONS = 2000000 };
/* Sectors of /dev/vda the disk test overwrites (sector 0 is left alone:
 * the test harness puts a label there). */
enum { DISK_FIRST = 8, DISK_COUNT = 8, SECTOR = 512 };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(1, buf + off, (size_t)(n - off));
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return;
        }
        off += (int)w;
    }
}

static void mount_fs(const char *src, const char *dir, const char *type)
{
    mkdir(dir, 0755);
    if (mount(src, dir, type, 0, NULL) != 0 && errno != EBUSY)
        say("init: mount %s on %s: %s", type, dir, strerror(errno));
}

static void show_uname(void)
{
    struct utsname u;
    if (uname(&u) != 0) {
        say("uname: %s", strerror(errno));
        return;
    }
    say("uname: %s %s %s %s", u.sysname, u.release, u.version, u.machine);
}

static void show_rtc(void)
{
    int fd = open("/dev/rtc0", O_RDONLY);
    struct rtc_time t;
    if (fd < 0 || ioctl(fd, RTC_RD_TIME, &t) != 0) {
        say("rtc: FAIL (%s)", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);
    say("rtc: %04d-%02d-%02d %02d:%02d:%02d UTC", t.tm_year + 1900, t.tm_mon + 1,
        t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
}

static void show_hwrng(void)
{
    uint8_t b[16];
    int fd = open("/dev/hwrng", O_RDONLY);
    size_t got = 0;
    while (fd >= 0 && got < sizeof(b)) {
        ssize_t r = read(fd, b + got, sizeof(b) - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (fd >= 0)
        close(fd);
    if (got < sizeof(b)) {
        say("hwrng: FAIL (%s)", fd < 0 ? strerror(errno) : "short read");
        return;
    }
    char hex[2 * sizeof(b) + 1];
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    say("hwrng: %s", hex);
}

/* A deterministic CPU-bound mix (integer multiply, shifts and a bit of
 * floating point, to exercise the FPU state of every hart). */
static uint64_t checksum_job(unsigned cpu)
{
    uint64_t x = 0x9e3779b97f4a7c15ull ^ cpu;
    double d = 1.0 + cpu;
    for (unsigned i = 0; i < JOB_ITERATIONS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x += (uint64_t)i * 0x2545f4914f6cdd1dull;
        if ((i & 1023) == 0)
            d = d * 1.000001 + (double)(x & 0xff) / 256.0;
    }
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    return x ^ bits;
}

/* One child per online CPU, each pinned to its CPU; results come back
 * through a pipe and are printed in CPU order. */
static void run_jobs(long ncpus)
{
    int fds[64];
    int ok = 1;
    long started = 0;
    for (long c = 0; c < ncpus; c++) {
        int p[2];
        if (pipe(p) != 0) {
            say("jobs: pipe: %s", strerror(errno));
            ok = 0;
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            say("jobs: fork: %s", strerror(errno));
            close(p[0]);
            close(p[1]);
            ok = 0;
            break;
        }
        if (pid == 0) {
            close(p[0]);
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET((int)c, &set);
            int pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
            uint64_t r[3] = { checksum_job((unsigned)c), (uint64_t)sched_getcpu(),
                              (uint64_t)pinned };
            if (write(p[1], r, sizeof(r)) != (ssize_t)sizeof(r))
                _exit(1);
            _exit(0);
        }
        close(p[1]);
        fds[started++] = p[0];
    }
    /* All children run concurrently; collect in CPU order. */
    for (long k = 0; k < started; k++) {
        uint64_t r[3];
        ssize_t n = read(fds[k], r, sizeof(r));
        close(fds[k]);
        if (n != (ssize_t)sizeof(r)) {
            say("cpu %ld: FAIL (no result)", k);
            ok = 0;
            continue;
        }
        int right = r[2] && r[1] == (uint64_t)k;
        if (!right)
            ok = 0;
        say("cpu %ld: checksum %016llx on cpu %lld %s", k, (unsigned long long)r[0],
            (long long)r[1], right ? "OK" : "FAIL (wrong cpu)");
    }
    for (long k = 0; k < started; k++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            ok = 0;
    }
    say("jobs: %s", ok ? "OK" : "FAIL");
}

static uint8_t pattern_byte(unsigned sector, unsigned i)
{
    return (uint8_t)((sector * 31u + i * 7u) ^ 0x5a);
}

/* What the kernel found on the virtio bus (to diagnose a missing disk). */
static void list_virtio(void)
{
    DIR *d = opendir("/sys/bus/virtio/devices");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], id[32] = "?";
        snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/device", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, id, sizeof(id) - 1);
            id[n > 0 ? n : 0] = '\0';
            id[strcspn(id, "\n")] = '\0';
            close(fd);
        }
        say("disk: virtio device %s: id %s", e->d_name, id);
    }
    if (d)
        closedir(d);
}

static void test_disk(void)
{
    int fd = open("/dev/vda", O_RDWR | O_DIRECT | O_SYNC);
    if (fd < 0) {
        say("disk: FAIL (open /dev/vda: %s)", strerror(errno));
        list_virtio();
        return;
    }
    uint64_t bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0)
        say("disk: BLKGETSIZE64: %s", strerror(errno));
    say("disk: /dev/vda %llu sectors", (unsigned long long)(bytes / SECTOR));

    uint8_t *buf;
    size_t len = (size_t)DISK_COUNT * SECTOR;
    if (posix_memalign((void **)&buf, 4096, len) != 0) {
        say("disk: FAIL (out of memory)");
        close(fd);
        return;
    }
    /* The label the harness wrote into sector 0 (printable prefix). */
    if (pread(fd, buf, SECTOR, 0) == SECTOR) {
        char label[33];
        size_t n = 0;
        while (n < sizeof(label) - 1 && buf[n] >= 0x20 && buf[n] < 0x7f) {
            label[n] = (char)buf[n];
            n++;
        }
        label[n] = '\0';
        say("disk: label '%s'", label);
    } else {
        say("disk: FAIL (read sector 0: %s)", strerror(errno));
    }

    for (unsigned s = 0; s < DISK_COUNT; s++)
        for (unsigned i = 0; i < SECTOR; i++)
            buf[s * SECTOR + i] = pattern_byte(DISK_FIRST + s, i);
    off_t off = (off_t)DISK_FIRST * SECTOR;
    if (pwrite(fd, buf, len, off) != (ssize_t)len) {
        say("disk: FAIL (write: %s)", strerror(errno));
        goto out;
    }
    if (fsync(fd) != 0)
        say("disk: fsync: %s", strerror(errno));
    memset(buf, 0, len);
    /* O_DIRECT: this read goes to the device, not the page cache. */
    if (pread(fd, buf, len, off) != (ssize_t)len) {
        say("disk: FAIL (read back: %s)", strerror(errno));
        goto out;
    }
    for (unsigned s = 0; s < DISK_COUNT; s++)
        for (unsigned i = 0; i < SECTOR; i++)
            if (buf[s * SECTOR + i] != pattern_byte(DISK_FIRST + s, i)) {
                say("disk: FAIL (sector %u byte %u differs)", DISK_FIRST + s, i);
                goto out;
            }
    say("disk: wrote and read back sectors %u-%u: OK", DISK_FIRST,
        DISK_FIRST + DISK_COUNT - 1);
out:
    free(buf);
    close(fd);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read one line from the console. The hart keeps busy while it waits
 * (polling with a zero timeout between short bursts of work) instead of
 * sleeping in poll(): on rewind the virtual clock jumps ahead while every
 * hart is idle, so a sleeping timeout would expire before the host input
 * could arrive. Busy, guest time advances with the instructions. */
/* The input timeout: INPUT_TIMEOUT_S, or rewind.input_timeout=N on the
 * kernel command line (0: do not wait; determinism tests use it). */
static int input_timeout_s(void)
{
    char buf[1024];
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd < 0)
        return INPUT_TIMEOUT_S;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return INPUT_TIMEOUT_S;
    buf[n] = '\0';
    const char *p = strstr(buf, "rewind.input_timeout=");
    return p ? atoi(p + strlen("rewind.input_timeout=")) : INPUT_TIMEOUT_S;
}

static void read_console_line(void)
{
    /* No echo: the tty would echo the line whenever it arrives, at a point
     * in the output that depends on host timing. */
    struct termios t;
    if (tcgetattr(0, &t) == 0) {
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        tcsetattr(0, TCSANOW, &t);
    }
    int timeout = input_timeout_s();
    if (timeout <= 0) {
        say("input: not waiting (rewind.input_timeout=0)");
        return;
    }
    say("input: type a line within %d seconds", timeout);
    double deadline = now_s() + timeout;
    volatile uint64_t sink = 0;
    for (;;) {
        struct pollfd p = { .fd = 0, .events = POLLIN };
        int r = poll(&p, 1, 0);
        if (r > 0)
            break;
        if (now_s() >= deadline) {
            say("input: no input");
            return;
        }
        for (unsigned i = 0; i < 20000; i++)
            sink += i;
        sched_yield();
    }
    char line[256];
    ssize_t n = read(0, line, sizeof(line) - 1);
    if (n <= 0) {
        say("input: no input (%s)", n < 0 ? strerror(errno) : "end of file");
        return;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    line[n] = '\0';
    say("input: got '%s'", line);
}

/* ---- the network step (only with rewind.net=HTTPPORT[,LISTENPORT[,UDPPORT]]) ---- */

/* The kernel command line's value for key ("key=value"), or NULL. */
static const char *cmdline_value(const char *key, char *buf, size_t len)
{
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    char *p = strstr(buf, key);
    if (!p)
        return NULL;
    p += strlen(key);
    char *end = p + strcspn(p, " \n");
    *end = '\0';
    return p;
}

static uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int connect_host(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(0x0a000202); /* 10.0.2.2: the host, through slirp */
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(s);
        return -1;
    }
    return s;
}

static bool send_all(int s, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(s, buf, len);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return false;
        }
        buf += w;
        len -= (size_t)w;
    }
    return true;
}

/* GET path from the host's HTTP server: the body's size and digest. */
static bool http_get(int port, const char *path, size_t *body_len, uint64_t *digest)
{
    int s = connect_host(port);
    if (s < 0) {
        say("net: cannot connect to 10.0.2.2:%d: %s", port, strerror(errno));
        return false;
    }
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 10.0.2.2\r\n\r\n", path);
    if (!send_all(s, req, (size_t)n)) {
        close(s);
        return false;
    }
    static uint8_t buf[65536];
    /* The header ends at the first CRLF CRLF; what follows is the body. */
    uint32_t tail = 0;
    bool in_body = false;
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t body = 0;
    for (;;) {
        ssize_t r = read(s, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t off = 0;
        while (!in_body && off < (size_t)r) {
            tail = (tail << 8) | buf[off++];
            in_body = tail == 0x0d0a0d0a;
        }
        if (in_body && off < (size_t)r) {
            h = fnv1a64(h, buf + off, (size_t)r - off);
            body += (size_t)r - off;
        }
    }
    close(s);
    *body_len = body;
    *digest = h;
    return in_body;
}

/* Wait for one connection on port (forwarded from the host), busy like
 * read_console_line so that guest time follows the instructions. */
static void answer_one(int port, uint64_t digest)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1) < 0) {
        say("net: cannot listen on port %d: %s", port, strerror(errno));
        return;
    }
    say("net: listening on port %d", port);
    double deadline = now_s() + 300;
    volatile uint64_t sink = 0;
    for (;;) {
        struct pollfd p = { .fd = ls, .events = POLLIN };
        if (poll(&p, 1, 0) > 0)
            break;
        if (now_s() >= deadline) {
            say("net: no connection came");
            close(ls);
            return;
        }
        for (unsigned i = 0; i < 20000; i++)
            sink += i;
        sched_yield();
    }
    int c = accept(ls, NULL, NULL);
    close(ls);
    if (c < 0) {
        say("net: accept: %s", strerror(errno));
        return;
    }
    char line[128];
    size_t got = 0;
    while (got < sizeof(line) - 1) {
        ssize_t r = read(c, line + got, 1);
        if (r <= 0 || line[got] == '\n')
            break;
        got++;
    }
    line[got] = '\0';
    char reply[200];
    int n = snprintf(reply, sizeof(reply), "guest says: %s fnv1a64 %016llx\n", line,
                     (unsigned long long)digest);
    send_all(c, reply, (size_t)n);
    close(c);
    say("net: answered a forwarded connection: got '%s'", line);
}

/* One datagram to the host's UDP port, and its answer (busy-waiting, as
 * above, at most 60 guest seconds). */
static void udp_echo(int port, uint64_t digest)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) {
        say("net: udp socket: %s", strerror(errno));
        return;
    }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(0x0a000202);
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "udp %016llx", (unsigned long long)digest);
    if (sendto(s, msg, (size_t)n, 0, (struct sockaddr *)&a, sizeof(a)) != n) {
        say("net: udp send: %s", strerror(errno));
        close(s);
        return;
    }
    double deadline = now_s() + 60;
    volatile uint64_t sink = 0;
    for (;;) {
        struct pollfd p = { .fd = s, .events = POLLIN };
        if (poll(&p, 1, 0) > 0)
            break;
        if (now_s() >= deadline) {
            say("net: udp: no answer");
            close(s);
            return;
        }
        for (unsigned i = 0; i < 20000; i++)
            sink += i;
        sched_yield();
    }
    char reply[128];
    ssize_t r = recv(s, reply, sizeof(reply) - 1, 0);
    close(s);
    if (r < 0) {
        say("net: udp recv: %s", strerror(errno));
        return;
    }
    reply[r] = '\0';
    say("net: udp answer '%s'", reply);
}

static void test_network(void)
{
    char buf[1024];
    const char *v = cmdline_value("rewind.net=", buf, sizeof(buf));
    if (!v)
        return;
    int http_port = 0, listen_port = 0, udp_port = 0;
    if (sscanf(v, "%d,%d,%d", &http_port, &listen_port, &udp_port) < 1 || http_port <= 0) {
        say("net: bad rewind.net=%s (expected HTTPPORT[,LISTENPORT[,UDPPORT]])", v);
        return;
    }
    size_t len;
    uint64_t digest;
    if (!http_get(http_port, "/blob", &len, &digest)) {
        say("net: fetch failed");
        return;
    }
    say("net: fetched %zu bytes fnv1a64 %016llx", len, (unsigned long long)digest);
    /* The digest goes back to the host as a request path it logs. */
    char path[64];
    size_t rlen;
    uint64_t rd;
    snprintf(path, sizeof(path), "/digest-%016llx", (unsigned long long)digest);
    if (http_get(http_port, path, &rlen, &rd))
        say("net: digest sent");
    if (udp_port > 0)
        udp_echo(udp_port, digest);
    if (listen_port > 0)
        answer_one(listen_port, digest);
}

int main(void)
{
    mount_fs("devtmpfs", "/dev", "devtmpfs");
    mount_fs("proc", "/proc", "proc");
    mount_fs("sysfs", "/sys", "sysfs");

    say("REWIND-GUEST-START");
    show_uname();
    show_rtc();
    show_hwrng();
    long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
    say("cpus: %ld online", ncpus);
    if (ncpus < 1 || ncpus > 64)
        ncpus = 1;
    run_jobs(ncpus);
    test_disk();
    test_network();
    read_console_line();
    say("REWIND-GUEST-DONE");
    sync();
    reboot(RB_POWER_OFF);
    say("init: power off failed: %s", strerror(errno));
    for (;;)
        pause();
}
