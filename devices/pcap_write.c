/* The pcap file format, written by hand (see pcap_write.h): a 24-byte file
 * header, then per frame a 16-byte record header and the bytes. Fields are
 * in the writer's byte order, which readers detect from the magic; we
 * write little endian explicitly so that the file is the same on any
 * host. */
#include "devices/pcap_write.h"

#include <errno.h>
#include <string.h>

#include "core/le.h"

enum {
    PCAP_MAGIC_NS = 0xa1b23c4du, /* timestamps in nanoseconds */
    PCAP_SNAPLEN = 262144,
    PCAP_LINKTYPE_ETHERNET = 1,
};

FILE *pcap_open(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t h[24];
    le_put32(h, PCAP_MAGIC_NS);
    h[4] = 2; /* version 2.4 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    le_put32(h + 8, 0);  /* thiszone */
    le_put32(h + 12, 0); /* sigfigs */
    le_put32(h + 16, PCAP_SNAPLEN);
    le_put32(h + 20, PCAP_LINKTYPE_ETHERNET);
    if (fwrite(h, sizeof(h), 1, f) != 1) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

bool pcap_write_frame(FILE *f, uint64_t icount, const uint8_t *frame, size_t len,
                      uint32_t maxlen)
{
    uint8_t h[16];
    size_t cap = maxlen < PCAP_SNAPLEN ? maxlen : PCAP_SNAPLEN;
    size_t keep = len < cap ? len : cap;
    le_put32(h, (uint32_t)(icount / 1000000000u));
    le_put32(h + 4, (uint32_t)(icount % 1000000000u));
    le_put32(h + 8, (uint32_t)keep);
    le_put32(h + 12, (uint32_t)len);
    return fwrite(h, sizeof(h), 1, f) == 1 && (keep == 0 || fwrite(frame, keep, 1, f) == 1);
}

bool pcap_close(FILE *f)
{
    bool ok = fflush(f) == 0 && !ferror(f);
    int e = errno;
    if (fclose(f) != 0)
        return false;
    errno = e;
    return ok;
}
