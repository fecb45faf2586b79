/*
 * gt06: a streaming decoder for the GT06 / Concox binary protocol, one
 * struct gt06_conn per TCP connection. Pure: it never reads a socket or a
 * clock; the server feeds it the bytes it read and writes back the replies
 * it is handed.
 *
 * Frames: 78 78 | len(1) | proto | content | serial(2) | crc(2) | 0D 0A,
 * or 79 79 with a 2-byte length. The CRC is CRC-16/X-25 over len..serial.
 * Decoded: login 0x01, status/heartbeat 0x13, location 0x12 and 0x22, alarm
 * 0x16 and 0x26. Login, status and alarms are answered with
 * 78 78 05 <proto> <serial> <crc> 0D 0A. Every other frame type with a
 * good CRC is counted (unknown_type) and ignored. See docs/gps-protocols.md.
 */
#ifndef SIMPUL_GT06_H
#define SIMPUL_GT06_H

#include <stddef.h>
#include <stdint.h>

#include "gpsfix.h"

/* The largest frame accepted (79 79 length + 6); also the buffer size. */
#define GT06_FRAME_MAX 1024
/*
 * Bytes that may be skipped (garbage, frames with a bad CRC) without a
 * single good frame in between before gt06_conn_feed() asks for the
 * connection to be closed.
 */
#define GT06_GARBAGE_MAX 4096

struct gt06_conn;

struct gt06_stats {
	uint64_t frames;	/* frames with a good CRC, any type */
	uint64_t bad_crc;	/* well-framed, CRC mismatch: dropped */
	uint64_t unknown_type;	/* good CRC, type not decoded: ignored */
	uint64_t dropped_bytes;	/* bytes skipped outside any frame */
	uint64_t malformed;	/* good CRC, known type, content too short or
				 * invalid (e.g. a non-BCD IMEI): dropped */
};

/* Never fails (out of memory is fatal). */
struct gt06_conn *gt06_conn_new(void);
/* Accepts NULL. */
void gt06_conn_free(struct gt06_conn *c);

/*
 * Feeds len bytes read from the connection; they may hold part of a frame,
 * several frames, or garbage. For every complete, CRC-valid frame of a
 * decoded type cb(arg, &fix, reply, reply_len) is called, in order; reply is
 * NULL for frames that are not answered. Positions and heartbeats sent
 * before the login carry an empty device_id. A frame with a bad CRC is
 * dropped and counted; decoding resumes at the next 78 78 / 79 79.
 *
 * Returns 0, or -1 when the connection should be closed: more than
 * GT06_GARBAGE_MAX bytes skipped since the last good frame. Bytes are kept
 * between calls in a buffer of GT06_FRAME_MAX bytes.
 */
int gt06_conn_feed(struct gt06_conn *c, const uint8_t *data, size_t len,
    gps_emit_fn cb, void *arg);

void gt06_conn_stats(const struct gt06_conn *c, struct gt06_stats *out);

/* The IMEI of the last login on this connection, "" before any. */
const char *gt06_conn_device(const struct gt06_conn *c);

/* CRC-16/X-25 ("CRC-ITU" in the Concox manuals); check("123456789") is
 * 0x906E. */
uint16_t gt06_crc_itu(const uint8_t *p, size_t n);

#endif
