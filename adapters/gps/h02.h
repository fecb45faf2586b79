/*
 * h02: a streaming decoder for the H02 text protocol (Sinotrack ST-901 and
 * the many "*HQ" trackers), one struct h02_conn per TCP connection. Pure:
 * no sockets, no clock ("now" is passed in, for the replies).
 *
 * A message is "*XX,<id>,<type>,...#" in printable ASCII. Decoded:
 *   - V1 and the other types starting with V that share its layout (V2,
 *     V4 with its command echo, V19, VI1, ...):
 *     <hhmmss>,<A|V|B|scheme>,<lat>,<N|S>,<lon>,<E|W>,<speed kn>,<course>,
 *     [<battery>,]<ddmmyy>[,<3 SIM fields>],<status hex>[,...]
 *   - VP1 (a reduced position, no time of day, no status);
 *   - HTBT and V0 heartbeats;
 *   - NBR, LINK and V3 (cells or pedometer, no position): the status word
 *     only, so that an SOS raised without a GPS fix is not lost.
 * The status word is active-low; its alarms and ignition follow traccar's
 * H02ProtocolDecoder (see docs/gps-protocols.md). Binary "$" frames are not
 * supported: they are skipped as garbage.
 */
#ifndef SIMPUL_H02_H
#define SIMPUL_H02_H

#include <stddef.h>
#include <stdint.h>

#include "gpsfix.h"

/* The longest message accepted, '*' to '#'; also the buffer size. */
#define H02_MSG_MAX 1024
/* At most this many comma-separated fields in a message. */
#define H02_FIELDS_MAX 64
/* Bytes skipped without one good message before the connection is given
 * up (see h02_conn_feed()). */
#define H02_GARBAGE_MAX 4096

struct h02_conn;

struct h02_stats {
	uint64_t messages;	/* decoded and reported */
	uint64_t unknown_type;	/* well-formed, type not decoded */
	uint64_t malformed;	/* framed by '*' .. '#' but not decodable */
	uint64_t dropped_bytes;	/* skipped outside messages (CR/LF between
				 * messages are not counted) */
};

/* Never fails (out of memory is fatal). */
struct h02_conn *h02_conn_new(void);
/* Accepts NULL. */
void h02_conn_free(struct h02_conn *c);

/*
 * Feeds len bytes read from the connection (partial messages, several
 * messages, junk). For every decoded message cb(arg, &fix, reply, len) is
 * called in order. reply, when not NULL, is what traccar answers: V1 gets
 * "*HQ,<id>,V4,V1,<yyyyMMddHHmmss of now_ms>#", HTBT and V0 get their own
 * head echoed ("*HQ,<id>,HTBT#"); devices work without replies, so
 * sending them is the server's choice. A message with an empty id takes the
 * last id seen on this connection.
 *
 * Returns 0, or -1 when the connection should be closed: more than
 * H02_GARBAGE_MAX bytes of junk or malformed messages since the last good
 * message.
 */
int h02_conn_feed(struct h02_conn *c, const uint8_t *data, size_t len,
    int64_t now_ms, gps_emit_fn cb, void *arg);

void h02_conn_stats(const struct h02_conn *c, struct h02_stats *out);

#endif
