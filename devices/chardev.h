/* Host character backends for serial devices, on the machine's libuv loop.
 * The `-serial` spec chooses one:
 *   stdio (or mon:stdio)   output to stdout, input from stdin (default).
 *                          On a TTY: raw mode (Ctrl-C goes to the guest,
 *                          like QEMU's mon:stdio), Ctrl-A x quits, Ctrl-A h
 *                          prints help, Ctrl-A Ctrl-A sends Ctrl-A; the
 *                          terminal is restored on every way out (exit,
 *                          SIGINT/TERM/HUP/QUIT/ABRT). Not a TTY (a pipe,
 *                          a file): the same Ctrl-A escapes, EOF ends
 *                          input.
 *   pty                    a new pseudo-terminal; its path is printed on
 *                          stderr as QEMU does ("char device redirected to
 *                          /dev/pts/N (label serial0)"). Input from it,
 *                          output to it (what it cannot take is dropped;
 *                          before anyone opens it, output waits in the
 *                          kernel's pty buffer). No Ctrl-A escapes.
 *   file:PATH              output to PATH (truncated), no input.
 *   tcp:[HOST]:PORT,server[,nowait]
 *                          listen on HOST (default 127.0.0.1), one client
 *                          at a time; input from it, output to it (dropped
 *                          while no client is connected). Without nowait,
 *                          chardev_new waits for the first client, as QEMU.
 *   none (or null)         output discarded, no input.
 * Output that cannot be written (EPIPE, ENOSPC, EIO...) is reported once on
 * stderr and discarded from then on; the machine goes on.
 *
 * Input flow: host bytes are queued in the backend (chardev_host_input, the
 * only place host input enters) and handed to the frontend only when it
 * calls chardev_offer_input() (the UART does so between slices), through
 * its receive callback, which takes as many as it has room for. So input
 * enters the guest only at slice boundaries, and a full frontend applies
 * back-pressure instead of losing bytes. */
#ifndef REWIND_DEVICES_CHARDEV_H
#define REWIND_DEVICES_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;

typedef struct CharDev CharDev;

/* Frontend callback: take up to len bytes, return how many were taken.
 * The bytes not taken stay queued and are offered again later. */
typedef size_t (*CharDevReceiveFn)(void *opaque, const uint8_t *buf, size_t len);

/* Parse spec (NULL means "stdio") and open the backend. Returns NULL with a
 * message naming the spec in err on failure. */
CharDev *chardev_new(struct Machine *m, const char *spec, char *err, size_t errlen);

/* Send guest output to the host. Output is buffered and written at the
 * latest by the next chardev_flush() (the UART flushes between slices)
 * or at a newline. A write error stops the machine with a message naming
 * the spec. */
void chardev_write(CharDev *cd, const uint8_t *buf, size_t len);
void chardev_flush(CharDev *cd);

/* Queue bytes coming from the host (after the stdio escape keys are
 * handled). Every backend's input goes through here; record/replay and
 * tests may call it too. Bytes beyond the queue's room are dropped (the
 * backends stop reading before that happens). */
void chardev_host_input(CharDev *cd, const uint8_t *buf, size_t len);

/* Register the frontend (one per backend); queued input is offered at the
 * next chardev_offer_input(). */
void chardev_set_receive(CharDev *cd, CharDevReceiveFn fn, void *opaque);

/* Called (with the receive opaque) whenever bytes join the queue
 * (chardev_host_input, chardev_load_input): the frontend re-arms its
 * wake-up timer (the run loop asks the timer queue, not the devices). */
void chardev_set_input_notify(CharDev *cd, void (*fn)(void *opaque));

/* Hand queued host input to the frontend (it takes what fits). */
void chardev_offer_input(CharDev *cd);

/* Bytes received from the host and not yet taken by the frontend. */
size_t chardev_pending_input(const CharDev *cd);

/* The input queued for the frontend, for its checkpoints: in a replay
 * these are recorded bytes the guest has not taken yet, so a machine put
 * back to a checkpoint must find them there again (else a restored
 * replay loses or repeats typed bytes). save copies them to buf when
 * they fit in cap and returns their number either way; load replaces the
 * queue, which holds at most chardev_input_capacity() bytes (a frontend
 * refuses a longer saved queue rather than lose its tail). */
size_t chardev_save_input(const CharDev *cd, uint8_t *buf, size_t cap);
void chardev_load_input(CharDev *cd, const uint8_t *buf, size_t len);
size_t chardev_input_capacity(void);

/* The spec this backend was opened with (for messages). */
const char *chardev_spec(const CharDev *cd);

/* The local TCP port of a tcp backend (useful with port 0), else -1. */
int chardev_tcp_port(const CharDev *cd);

/* Close the backend (restores the terminal for stdio). NULL is allowed. */
void chardev_free(CharDev *cd);

#endif
