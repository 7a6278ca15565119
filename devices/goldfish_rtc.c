/* Goldfish RTC on the virtual clock, and the -rtc option. */
#include "devices/goldfish_rtc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/machine.h"
#include "core/snapshot.h"
#include "replay/replay.h"

enum {
    RTC_TIME_LOW = 0x00,
    RTC_TIME_HIGH = 0x04,
    RTC_ALARM_LOW = 0x08,
    RTC_ALARM_HIGH = 0x0c,
    RTC_IRQ_ENABLED = 0x10,
    RTC_CLEAR_ALARM = 0x14,
    RTC_ALARM_STATUS = 0x18,
    RTC_CLEAR_INTERRUPT = 0x1c,
};

/* One mtime tick (10 MHz) in nanoseconds. */
#define RTC_NS_PER_MTIME 100ULL

struct GoldfishRtc {
    Machine *m;
    IrqLine irq;
    /* Armed at the alarm's mtime while it runs (icount/timerq.h); follows
     * from the registers, not saved. */
    Timer alarm;
    /* Wall-clock ns at mtime 0, plus what the guest added by setting the
     * time (modulo 2^64, like the register). */
    uint64_t base_ns, offset_ns;
    uint32_t time_high_latch; /* TIME_HIGH as of the last TIME_LOW read */
    uint32_t time_high_set;   /* TIME_HIGH written, applied by TIME_LOW */
    uint64_t alarm_ns;
    bool alarm_running, irq_pending, irq_enabled; /* together: rtc_load checks them */
};

static uint64_t rtc_now_ns(const GoldfishRtc *r)
{
    return r->base_ns + r->offset_ns + machine_mtime(r->m) * RTC_NS_PER_MTIME;
}

static void rtc_update_irq(GoldfishRtc *r)
{
    irq_set(&r->irq, r->irq_pending && r->irq_enabled);
}

/* The first mtime at which the running alarm is due (rtc_now_ns moves in
 * whole mtime ticks), TIMER_NEVER if it is not running or lies beyond
 * mtime's range. */
static uint64_t rtc_alarm_mtime(const GoldfishRtc *r)
{
    if (!r->alarm_running)
        return TIMER_NEVER;
    uint64_t mtime = machine_mtime(r->m), now = rtc_now_ns(r);
    if (r->alarm_ns <= now)
        return mtime;
    /* Round up (without overflow): it must not fire before the alarm. */
    uint64_t diff = r->alarm_ns - now;
    uint64_t wait = diff / RTC_NS_PER_MTIME + (diff % RTC_NS_PER_MTIME != 0);
    return wait > UINT64_MAX - mtime ? TIMER_NEVER : mtime + wait;
}

/* Fire the alarm if its time has come; arm the timer for it if not. */
static void rtc_check_alarm(GoldfishRtc *r)
{
    if (r->alarm_running && rtc_now_ns(r) >= r->alarm_ns) {
        r->alarm_running = false;
        r->irq_pending = true;
    }
    rtc_update_irq(r);
    timer_arm(&r->alarm, rtc_alarm_mtime(r));
}

static bool rtc_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    GoldfishRtc *r = opaque;
    if (size != 4 || (off & 3))
        return false; /* 32-bit registers only */
    uint64_t now;
    switch (off) {
    case RTC_TIME_LOW:
        /* Latch the high half so that LOW then HIGH is one consistent
         * 64-bit reading. */
        now = rtc_now_ns(r);
        r->time_high_latch = (uint32_t)(now >> 32);
        *val = (uint32_t)now;
        break;
    case RTC_TIME_HIGH: *val = r->time_high_latch; break;
    case RTC_ALARM_LOW: *val = (uint32_t)r->alarm_ns; break;
    case RTC_ALARM_HIGH: *val = (uint32_t)(r->alarm_ns >> 32); break;
    case RTC_IRQ_ENABLED: *val = r->irq_enabled; break;
    case RTC_ALARM_STATUS: *val = r->alarm_running; break;
    default: *val = 0; break;
    }
    return true;
}

static bool rtc_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    GoldfishRtc *r = opaque;
    if (size != 4 || (off & 3))
        return false;
    uint32_t v = (uint32_t)val;
    switch (off) {
    case RTC_TIME_LOW: {
        /* Linux sets the time as HIGH then LOW: LOW commits both. */
        uint64_t want = (uint64_t)r->time_high_set << 32 | v;
        r->offset_ns += want - rtc_now_ns(r);
        break;
    }
    case RTC_TIME_HIGH: r->time_high_set = v; break;
    case RTC_ALARM_LOW:
        r->alarm_ns = (r->alarm_ns & ~0xffffffffULL) | v;
        r->alarm_running = true;
        break;
    case RTC_ALARM_HIGH:
        r->alarm_ns = (r->alarm_ns & 0xffffffffULL) | (uint64_t)v << 32;
        break;
    case RTC_IRQ_ENABLED: r->irq_enabled = v & 1; break;
    case RTC_CLEAR_ALARM: r->alarm_running = false; break;
    case RTC_CLEAR_INTERRUPT: r->irq_pending = false; break;
    default:
        log_printf(&r->m->log, LOG_UNIMP,
                   "goldfish-rtc: write to unknown offset 0x%llx\n",
                   (unsigned long long)off);
        return true;
    }
    /* An alarm set in the past fires at once. */
    rtc_check_alarm(r);
    return true;
}

static const MmioOps rtc_ops = { .read = rtc_read, .write = rtc_write };

static void rtc_alarm_fired(void *opaque)
{
    rtc_check_alarm(opaque);
}

static void rtc_reset(void *opaque)
{
    GoldfishRtc *r = opaque;
    /* The clock is battery-backed: a guest-set time survives a reboot. */
    r->time_high_latch = r->time_high_set = 0;
    r->alarm_ns = 0;
    r->alarm_running = r->irq_pending = r->irq_enabled = false;
    rtc_update_irq(r);
    timer_cancel(&r->alarm);
}

static void rtc_free(void *opaque)
{
    free(opaque);
}

/* The base time as rtc_parse_base found it (from the host clock or the
 * option), as the "host read" of the replay interface. */
static bool rtc_given_base(void *ctx, void *buf, size_t len)
{
    uint64_t v = (uint64_t)*(const int64_t *)ctx;
    uint8_t *p = buf;
    for (size_t i = 0; i < len && i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return len == 8;
}

/* The state: everything after the machine pointer and the line (the base
 * wall-clock time included: it is fixed at creation, or by the replay). */
#define RTC_STATE_OFF offsetof(GoldfishRtc, base_ns)

static size_t rtc_save(void *opaque, void *buf, size_t cap)
{
    return snapshot_save_bytes(buf, cap, (char *)opaque + RTC_STATE_OFF,
                               sizeof(GoldfishRtc) - RTC_STATE_OFF);
}

static bool rtc_load(void *opaque, const void *buf, size_t len)
{
    GoldfishRtc *r = opaque;
    /* alarm_running, irq_pending and irq_enabled: the three bools. */
    if (!snapshot_bools_valid(buf, len, offsetof(GoldfishRtc, alarm_running) - RTC_STATE_OFF, 3))
        return false;
    if (!snapshot_load_bytes((char *)opaque + RTC_STATE_OFF,
                             sizeof(GoldfishRtc) - RTC_STATE_OFF, buf, len))
        return false;
    timer_arm(&r->alarm, rtc_alarm_mtime(r));
    return true;
}

GoldfishRtc *goldfish_rtc_new(Machine *m, uint64_t base, IrqLine irq,
                              int64_t base_ns, char *err, size_t errlen)
{
    /* The base is host input: a recording logs it, a replay takes the
     * recorded one instead of the host's clock now. */
    uint8_t le[8];
    replay_sync_input(m, EV_RTC_BASE, 0, le, sizeof(le), rtc_given_base, &base_ns);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | le[i];
    base_ns = (int64_t)v;

    GoldfishRtc *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "goldfish-rtc: out of memory");
        return NULL;
    }
    r->m = m;
    r->irq = irq;
    /* The register is unsigned: time before 1970 wraps, as on QEMU. */
    r->base_ns = (uint64_t)base_ns;
    if (!timer_init(&m->timers, &r->alarm, "goldfish-rtc alarm", rtc_alarm_fired, r)) {
        snprintf(err, errlen, "goldfish-rtc: too many timers");
        free(r);
        return NULL;
    }
    rtc_reset(r);
    MachineDevice dev = {
        .name = "goldfish-rtc",
        .opaque = r,
        .reset = rtc_reset,
        .free = rtc_free,
        .save = rtc_save,
        .load = rtc_load,
    };
    if (!machine_add_device(m, &dev)) {
        snprintf(err, errlen, "goldfish-rtc: too many devices");
        free(r);
        return NULL;
    }
    /* From here on the machine owns r (its free hook). */
    if (!memory_add_mmio(&m->mem, base, GOLDFISH_RTC_SIZE, &rtc_ops, r,
                         "goldfish-rtc")) {
        snprintf(err, errlen, "goldfish-rtc: cannot map at 0x%llx (overlap?)",
                 (unsigned long long)base);
        return NULL;
    }
    return r;
}

/* ---- host time and the -rtc option ---- */

int64_t rtc_host_time_ns(bool local)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (local) {
        struct tm tm;
        time_t t = ts.tv_sec;
        if (localtime_r(&t, &tm))
            ns += (int64_t)tm.tm_gmtoff * 1000000000;
    }
    return ns;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (month 1..12). */
static int64_t rtc_days_from_civil(int64_t y, unsigned mon, unsigned day)
{
    /* Count years from March so the leap day is the last of the year. */
    y -= mon <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool rtc_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* s matches tmpl exactly, where 'd' stands for a digit. */
static bool rtc_match(const char *s, const char *tmpl)
{
    for (; *tmpl; s++, tmpl++)
        if (*tmpl == 'd' ? !isdigit((unsigned char)*s) : *s != *tmpl)
            return false;
    return *s == '\0';
}

/* "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD", UTC, from 1970 on. */
static bool rtc_parse_date(const char *s, int64_t *ns)
{
    static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31 };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (rtc_match(s, "dddd-dd-ddTdd:dd:dd")) {
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
    } else if (rtc_match(s, "dddd-dd-dd")) {
        sscanf(s, "%4d-%2d-%2d", &y, &mo, &d);
    } else {
        return false;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
        sec > 59)
        return false;
    unsigned last = mdays[mo - 1] + (mo == 2 && rtc_leap(y));
    if ((unsigned)d > last)
        return false;
    int64_t days = rtc_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ns = ((days * 24 + h) * 60 + mi) * 60 + sec;
    *ns *= 1000000000;
    return true;
}

bool rtc_parse_base(const char *spec, int64_t *base_ns, char *err,
                    size_t errlen)
{
    const char *base = "utc";
    char buf[128];
    if (spec && *spec) {
        if (strlen(spec) >= sizeof(buf)) {
            snprintf(err, errlen, "-rtc %.40s...: option too long", spec);
            return false;
        }
        strcpy(buf, spec);
        char *save = NULL;
        for (char *item = strtok_r(buf, ",", &save); item;
             item = strtok_r(NULL, ",", &save)) {
            if (strncmp(item, "base=", 5) == 0) {
                base = item + 5;
            } else if (strcmp(item, "clock=vm") == 0) {
                /* The only clock there is: the RTC runs on virtual time. */
            } else if (strncmp(item, "clock=", 6) == 0) {
                snprintf(err, errlen,
                         "-rtc %s: only clock=vm is supported (the RTC "
                         "follows the deterministic virtual clock)",
                         spec);
                return false;
            } else {
                snprintf(err, errlen,
                         "-rtc %s: unknown sub-option '%s' (expected "
                         "base=utc|localtime|YYYY-MM-DDTHH:MM:SS)",
                         spec, item);
                return false;
            }
        }
    }
    if (strcmp(base, "utc") == 0) {
        *base_ns = rtc_host_time_ns(false);
    } else if (strcmp(base, "localtime") == 0) {
        *base_ns = rtc_host_time_ns(true);
    } else if (!rtc_parse_date(base, base_ns)) {
        snprintf(err, errlen,
                 "-rtc %s: bad base '%s' (expected utc, localtime or a UTC "
                 "date YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD from 1970 on)",
                 spec, base);
        return false;
    }
    return true;
}
