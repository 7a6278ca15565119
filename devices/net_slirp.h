/* User-mode networking for one NIC: a libslirp instance (the library
 * QEMU's -netdev user uses) driven from the machine's libuv loop.
 *
 * Frames from slirp to the guest leave only through replay_async_input
 * (EV_NET_RX, source = the NIC's index): record logs each one and the
 * device receives it at an input point, exactly like console input, so
 * host timing decides whether a frame is waiting, never at which
 * instruction the guest sees it. slirp's own clocks and timers are the
 * host's: they shape what frames are sent, never the guest's state
 * directly. A replay creates no NetSlirp at all (no socket, no port).
 *
 * Loop integration: before libuv waits (uv_prepare), and right after
 * each frame from the guest and at start (for the forwarded ports), slirp
 * lists the sockets it wants polled; each gets a uv_poll_t, started with
 * the wanted events; after the wait (uv_check) slirp handles what became
 * ready and its timers. Only those polls keep the loop alive: a NIC with
 * no socket open cannot wake an idle machine. A socket slirp closes is
 * unregistered first (unregister_poll_fd), which closes its uv_poll_t
 * before the descriptor can be reused. */
#ifndef REWIND_DEVICES_NET_SLIRP_H
#define REWIND_DEVICES_NET_SLIRP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/netdev.h"

struct Machine;

typedef struct NetSlirp NetSlirp;

/* Start slirp for this netdev and bind its forwarded host ports. NULL with
 * a message naming the option and the rule at fault (a port in use). */
NetSlirp *net_slirp_new(struct Machine *m, const NetdevSpec *nd, unsigned nic_index,
                        char *err, size_t errlen);

/* A frame the guest sent. */
void net_slirp_input(NetSlirp *s, const uint8_t *frame, size_t len);

/* Close every socket and handle (their memory goes with libuv's close
 * callbacks). */
void net_slirp_free(NetSlirp *s);

#endif
