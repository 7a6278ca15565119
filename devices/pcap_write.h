/* Writing a pcap file (the classic libpcap format, nanosecond variant,
 * link type Ethernet) of the network frames of a trace, for Wireshark and
 * tcpdump. A frame's timestamp is its event's instruction count read as
 * nanoseconds (icount 1234567890 shows as 1.234567890 s): the only clock a
 * recording has that is the same in every replay. */
#ifndef REWIND_DEVICES_PCAP_WRITE_H
#define REWIND_DEVICES_PCAP_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Open path for writing and write the file header. NULL with a message. */
FILE *pcap_open(const char *path, char *err, size_t errlen);

/* One frame at icount, at most maxlen of its bytes kept (the record says
 * the frame's whole length). false on a write error (errno set). */
bool pcap_write_frame(FILE *f, uint64_t icount, const uint8_t *frame, size_t len,
                      uint32_t maxlen);

/* Flush and close: false (errno set) when the data did not all reach the
 * file. */
bool pcap_close(FILE *f);

#endif
