/* Network options (see netdev.h). */
#include "devices/netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next "key[=value]" of a comma-separated list (",," is a literal
 * comma, as in QEMU). Returns false at the end. */
static bool next_item(const char **sp, char *key, size_t klen, char *val, size_t vlen,
                      bool *has_val)
{
    const char *s = *sp;
    if (!*s)
        return false;
    size_t k = 0, v = 0;
    *has_val = false;
    while (*s && *s != '=' && *s != ',') {
        if (k + 1 < klen)
            key[k++] = *s;
        s++;
    }
    key[k] = 0;
    if (*s == '=') {
        *has_val = true;
        s++;
        for (;;) {
            if (*s == ',' && s[1] == ',')
                s++;
            else if (*s == ',' || !*s)
                break;
            if (v + 1 < vlen)
                val[v++] = *s;
            s++;
        }
    }
    val[v] = 0;
    if (*s == ',')
        s++;
    *sp = s;
    return true;
}

bool netdev_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6 || strlen(s) != 17)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    /* A multicast address cannot be a NIC's own. */
    return !(mac[0] & 1);
}

/* "ADDR" or "" (0) as an IPv4 address in network byte order. */
static bool parse_addr(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (!*s) {
        *out = 0;
        return true;
    }
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    *out = a.s_addr;
    return true;
}

static bool parse_port(const char *s, uint16_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v == 0 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* One side of hostfwd=, ADDR:PORT split at its colon (ADDR may be empty). */
static bool parse_fwd_side(const char *side, const char *addr, const char *port,
                           uint32_t *a, uint16_t *p, char *why, size_t whylen)
{
    if (!parse_addr(addr, a)) {
        snprintf(why, whylen, "%s address '%s' is not an IPv4 address", side, addr);
        return false;
    }
    if (!parse_port(port, p)) {
        snprintf(why, whylen, "%s port '%s' is not a port number (1-65535)", side, port);
        return false;
    }
    return true;
}

/* [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static bool parse_hostfwd(const char *s, NetHostFwd *f, char *why, size_t whylen)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->text, sizeof(f->text), "%s", s);
    char buf[160];
    snprintf(buf, sizeof(buf), "%s", s);
    char *proto = buf;
    char *p = strchr(proto, ':');
    if (!p) {
        snprintf(why, whylen, "expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT");
        return false;
    }
    *p++ = 0;
    if (!strcmp(proto, "udp"))
        f->udp = true;
    else if (strcmp(proto, "tcp") && *proto) {
        snprintf(why, whylen, "protocol '%s' (tcp or udp)", proto);
        return false;
    }
    char *dash = strchr(p, '-');
    if (!dash) {
        snprintf(why, whylen, "no '-' between the host and the guest side "
                 "([tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT)");
        return false;
    }
    *dash = 0;
    char *host = p, *guest = dash + 1;
    char *hc = strrchr(host, ':'), *gc = strrchr(guest, ':');
    if (!hc || !gc) {
        snprintf(why, whylen, "expected ADDR:PORT on both sides of '-' (ADDR may be empty)");
        return false;
    }
    *hc = 0;
    *gc = 0;
    return parse_fwd_side("host", host, hc + 1, &f->host_addr, &f->host_port, why, whylen) &&
           parse_fwd_side("guest", guest, gc + 1, &f->guest_addr, &f->guest_port, why, whylen);
}

/* net=ADDR[/MASK], MASK a prefix length or a dotted mask (QEMU's forms). */
static bool parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", s);
    char *slash = strchr(buf, '/');
    uint32_t m = htonl(0xffffff00u);
    if (slash) {
        *slash = 0;
        const char *ms = slash + 1;
        if (strchr(ms, '.')) {
            if (!parse_addr(ms, &m) || !*ms)
                return false;
        } else {
            char *end;
            long bits = strtol(ms, &end, 10);
            if (!*ms || *end || bits < 1 || bits > 30)
                return false;
            m = htonl((uint32_t)(0xffffffffu << (32 - bits)));
        }
    }
    uint32_t a;
    if (!*buf || !parse_addr(buf, &a))
        return false;
    *net = a & m;
    *mask = m;
    return true;
}

/* The parameters shared by -netdev user and -nic user. */
static bool parse_user_param(NetdevSpec *nd, const char *opt, const char *s, const char *key,
                             const char *val, char *err, size_t errlen)
{
    if (!strcmp(key, "net")) {
        if (!parse_net(val, &nd->net, &nd->mask)) {
            snprintf(err, errlen, "%s %s: net=%s: expected ADDR[/MASK] (e.g. 10.0.2.0/24)",
                     opt, s, val);
            return false;
        }
        return true;
    }
    if (!strcmp(key, "hostfwd")) {
        if (nd->nfwd == NETDEV_MAX_FWD) {
            snprintf(err, errlen, "%s %s: more than %d hostfwd= rules", opt, s,
                     NETDEV_MAX_FWD);
            return false;
        }
        char why[200];
        if (!parse_hostfwd(val, &nd->fwd[nd->nfwd], why, sizeof(why))) {
            snprintf(err, errlen, "%s %s: hostfwd=%s: %s", opt, s, val, why);
            return false;
        }
        nd->nfwd++;
        return true;
    }
    snprintf(err, errlen, "%s %s: unknown parameter '%s' (rewind's user networking takes "
             "id=, net=, hostfwd=)", opt, s, key);
    return false;
}

static void netdev_defaults(NetdevSpec *nd, const char *opt, const char *s)
{
    memset(nd, 0, sizeof(*nd));
    nd->net = htonl(0x0a000200u); /* 10.0.2.0/24, as QEMU */
    nd->mask = htonl(0xffffff00u);
    snprintf(nd->option, sizeof(nd->option), "%s %s", opt, s);
}

bool netdev_parse(const char *s, NetdevSpec *out, char *err, size_t errlen)
{
    netdev_defaults(out, "-netdev", s);
    const char *p = s;
    char key[32], val[200];
    bool has_val, first = true;
    while (next_item(&p, key, sizeof(key), val, sizeof(val), &has_val)) {
        if (first) {
            first = false;
            if (has_val && !strcmp(key, "type"))
                snprintf(key, sizeof(key), "%s", val);
            else if (has_val) {
                snprintf(err, errlen, "-netdev %s: the backend type comes first (-netdev "
                         "user,id=ID,...)", s);
                return false;
            }
            if (strcmp(key, "user")) {
                snprintf(err, errlen, "-netdev %s: backend '%s' is not supported (only "
                         "user: user-mode networking)", s, key);
                return false;
            }
            continue;
        }
        if (!has_val) {
            snprintf(err, errlen, "-netdev %s: expected key=value, got '%s'", s, key);
            return false;
        }
        if (!strcmp(key, "id")) {
            if (!*val || strlen(val) >= sizeof(out->id)) {
                snprintf(err, errlen, "-netdev %s: invalid id '%s'", s, val);
                return false;
            }
            snprintf(out->id, sizeof(out->id), "%s", val);
        } else if (!parse_user_param(out, "-netdev", s, key, val, err, errlen))
            return false;
    }
    if (first) {
        snprintf(err, errlen, "-netdev: empty (expected -netdev user,id=ID)");
        return false;
    }
    if (!out->id[0]) {
        snprintf(err, errlen, "-netdev %s: id= is required", s);
        return false;
    }
    return true;
}

bool netdev_parse_filter_dump(const char *s, NetFilterDump *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->maxlen = 65536;
    const char *p = s;
    char key[32], val[1024];
    bool has_val, first = true;
    while (next_item(&p, key, sizeof(key), val, sizeof(val), &has_val)) {
        if (first) {
            first = false;
            if (has_val || strcmp(key, "filter-dump")) {
                snprintf(err, errlen, "-object %s: only filter-dump objects are supported "
                         "(-object filter-dump,id=F,netdev=ID,file=FILE)", s);
                return false;
            }
            continue;
        }
        if (!has_val) {
            snprintf(err, errlen, "-object %s: expected key=value, got '%s'", s, key);
            return false;
        }
        if (!strcmp(key, "id") || !strcmp(key, "netdev")) {
            char *dst = key[0] == 'i' ? out->id : out->netdev;
            if (!*val || strlen(val) >= NETDEV_ID_LEN) {
                snprintf(err, errlen, "-object %s: invalid %s '%s'", s, key, val);
                return false;
            }
            snprintf(dst, NETDEV_ID_LEN, "%s", val);
        } else if (!strcmp(key, "file")) {
            if (!*val || strlen(val) >= sizeof(out->file)) {
                snprintf(err, errlen, "-object %s: invalid file name", s);
                return false;
            }
            snprintf(out->file, sizeof(out->file), "%s", val);
        } else if (!strcmp(key, "maxlen")) {
            char *end;
            unsigned long v = strtoul(val, &end, 10);
            if (!*val || *end || v == 0 || v > 262144) {
                snprintf(err, errlen, "-object %s: maxlen=%s: expected 1 to 262144 bytes", s,
                         val);
                return false;
            }
            out->maxlen = (uint32_t)v;
        } else if (strcmp(key, "queue") || strcmp(val, "all")) {
            snprintf(err, errlen, "-object %s: unknown parameter '%s' (filter-dump takes "
                     "id=, netdev=, file=, maxlen=)", s, key);
            return false;
        }
    }
    if (!out->id[0] || !out->netdev[0] || !out->file[0]) {
        snprintf(err, errlen, "-object %s: filter-dump needs id=, netdev= and file=", s);
        return false;
    }
    return true;
}

bool netdev_parse_nic(const char *s, unsigned index, NetdevSpec *netdev, NetNicSpec *nic,
                      char *err, size_t errlen)
{
    netdev_defaults(netdev, "-nic", s);
    memset(nic, 0, sizeof(*nic));
    snprintf(netdev->id, sizeof(netdev->id), "nic.%u", index);
    snprintf(nic->netdev_id, sizeof(nic->netdev_id), "%s", netdev->id);
    snprintf(nic->option, sizeof(nic->option), "-nic %s", s);
    const char *p = s;
    char key[32], val[200];
    bool has_val, first = true;
    while (next_item(&p, key, sizeof(key), val, sizeof(val), &has_val)) {
        if (first) {
            first = false;
            if (has_val || strcmp(key, "user")) {
                snprintf(err, errlen, "-nic %s: only -nic user[,...] is supported", s);
                return false;
            }
            continue;
        }
        if (!has_val) {
            snprintf(err, errlen, "-nic %s: expected key=value, got '%s'", s, key);
            return false;
        }
        if (!strcmp(key, "mac")) {
            if (!netdev_parse_mac(val, nic->mac)) {
                snprintf(err, errlen, "-nic %s: mac=%s is not a unicast MAC address "
                         "(like 52:54:00:12:34:56)", s, val);
                return false;
            }
            nic->has_mac = true;
        } else if (!strcmp(key, "model")) {
            if (strcmp(val, "virtio-net-device") && strcmp(val, "virtio")) {
                snprintf(err, errlen, "-nic %s: model=%s is not supported (only "
                         "virtio-net-device)", s, val);
                return false;
            }
        } else if (!parse_user_param(netdev, "-nic", s, key, val, err, errlen))
            return false;
    }
    if (first) {
        snprintf(err, errlen, "-nic: empty (expected -nic user[,...])");
        return false;
    }
    return true;
}

bool netdev_resolve(const NetdevSpec *netdevs, unsigned nnetdevs, NetNicSpec *nics,
                    unsigned nnics, char *err, size_t errlen)
{
    for (unsigned i = 0; i < nnetdevs; i++)
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(netdevs[i].id, netdevs[j].id)) {
                snprintf(err, errlen, "%s: duplicate id '%s' (also in %s)", netdevs[i].option,
                         netdevs[i].id, netdevs[j].option);
                return false;
            }
    bool used[NETDEV_MAX * 2] = { false };
    for (unsigned k = 0; k < nnics; k++) {
        NetNicSpec *nic = &nics[k];
        int found = -1;
        for (unsigned i = 0; i < nnetdevs && found < 0; i++)
            if (!strcmp(netdevs[i].id, nic->netdev_id))
                found = (int)i;
        if (found < 0) {
            snprintf(err, errlen, "%s: netdev '%s' not found (no -netdev user,id=%s)",
                     nic->option, nic->netdev_id, nic->netdev_id);
            return false;
        }
        if (used[found]) {
            snprintf(err, errlen, "%s: netdev '%s' is already used by another NIC (one "
                     "NIC per -netdev)", nic->option, nic->netdev_id);
            return false;
        }
        used[found] = true;
        nic->netdev = netdevs[found];
        if (!nic->has_mac) {
            static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
            memcpy(nic->mac, base, 6);
            nic->mac[5] = (uint8_t)(base[5] + k);
        }
    }
    for (unsigned i = 0; i < nnetdevs; i++)
        if (!used[i]) {
            snprintf(err, errlen, "%s: no NIC uses netdev '%s' (add -device "
                     "virtio-net-device,netdev=%s)", netdevs[i].option, netdevs[i].id,
                     netdevs[i].id);
            return false;
        }
    return true;
}
