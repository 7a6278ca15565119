/* Network options in QEMU's spelling, parsed and cross-checked:
 *
 *   -netdev user,id=ID[,net=ADDR[/MASK]][,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 *   -device virtio-net-device,netdev=ID[,mac=MAC]   (parsed with the other -device)
 *   -nic user[,mac=MAC][,net=...][,hostfwd=...]     (a netdev and its NIC at once)
 *
 * The result is one NetNicSpec per NIC, in creation order, each carrying a
 * copy of its netdev's configuration. Nothing here touches the host: the
 * user-mode backend (devices/net_slirp.h) binds forwarded ports when the
 * machine is built, and not at all in a replay. */
#ifndef REWIND_DEVICES_NETDEV_H
#define REWIND_DEVICES_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { NETDEV_MAX_FWD = 8, NETDEV_ID_LEN = 64, NETDEV_MAX = 8 };

/* One hostfwd= rule. Addresses in network byte order; guest_addr 0: the
 * first address the DHCP server hands out (as QEMU). */
typedef struct NetHostFwd {
    bool udp;
    uint32_t host_addr, guest_addr;
    uint16_t host_port, guest_port;
    char text[160]; /* the rule as given, for messages */
} NetHostFwd;

/* One -netdev user (or the netdev part of a -nic user). */
typedef struct NetdevSpec {
    char id[NETDEV_ID_LEN];
    uint32_t net, mask; /* network byte order; default 10.0.2.0/24 */
    NetHostFwd fwd[NETDEV_MAX_FWD];
    unsigned nfwd;
    char option[300]; /* "-netdev user,id=n0,..." as given, for messages */
} NetdevSpec;

/* -object filter-dump,id=F,netdev=ID,file=FILE[,maxlen=N] */
typedef struct NetFilterDump {
    char id[NETDEV_ID_LEN];
    char netdev[NETDEV_ID_LEN];
    char file[1024];
    uint32_t maxlen; /* bytes kept of each frame (default 65536, as QEMU) */
} NetFilterDump;

/* One NIC: the virtio-net device and its backend. */
typedef struct NetNicSpec {
    char netdev_id[NETDEV_ID_LEN]; /* -device ...,netdev=ID (resolved later) */
    bool has_mac;
    uint8_t mac[6];
    NetFilterDump dump; /* dump.file[0] == 0: none */
    NetdevSpec netdev; /* filled by netdev_resolve */
    char option[300];  /* the -device or -nic option, for messages */
} NetNicSpec;

/* Parse one -netdev value ("user,id=n0,..."). false with a message naming
 * the option and the parameter at fault. */
bool netdev_parse(const char *s, NetdevSpec *out, char *err, size_t errlen);

/* Parse one -nic value: *netdev gets an id of its own ("nic.N"), *nic the
 * NIC using it. */
bool netdev_parse_nic(const char *s, unsigned index, NetdevSpec *netdev, NetNicSpec *nic,
                      char *err, size_t errlen);

/* Parse one -object value: only filter-dump is known. */
bool netdev_parse_filter_dump(const char *s, NetFilterDump *out, char *err, size_t errlen);

/* Parse "52:54:00:12:34:56". */
bool netdev_parse_mac(const char *s, uint8_t mac[6]);

/* Give each NIC (from -device, in order) its netdev's configuration, and
 * a default MAC (52:54:00:12:34:56 + its index, as QEMU) when it has none.
 * Refuses a netdev= naming no -netdev, two NICs on one netdev, and two
 * -netdev with one id. A -netdev no NIC uses is only a warning in QEMU;
 * here it is refused too, since its forwarded ports would lead nowhere. */
bool netdev_resolve(const NetdevSpec *netdevs, unsigned nnetdevs, NetNicSpec *nics,
                    unsigned nnics, char *err, size_t errlen);

#endif
