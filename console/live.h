/*
 * live: the live feed behind GET /api/live (server-sent events).
 *
 * One thread per process tails PostgreSQL every [console] poll: new rows
 * of event (by stored_at), case_record (by updated_at) and alert (by
 * raised_at), each read with a short look-back (LIVE_LOOKBACK_MS) so that
 * a row committed late with an earlier time stamp is not missed, and
 * de-duplicated against what was already sent. Each becomes one message
 * in a bounded ring ([console] ring messages, LIVE_RING_BYTES bytes) with
 * a sequence number, the SSE id. Every stream reads the ring from its own
 * position and sees only what its user may see (an OPD officer only its
 * OPD's messages), so the database is read once for all browsers. A
 * stream resumes after Last-Event-ID when that message is still in the
 * ring; otherwise it gets "event: resync" (the browser reloads its lists).
 *
 * Status: the hub's (from hubwatch, via live_set_hub) and the database's
 * (the tail's own connection) are sent on connect and on every change.
 * A comment line every LIVE_PING_MS keeps proxies from closing a stream;
 * at that moment the stream's session is checked again and the stream
 * ends when it expired.
 *
 * Bounds: at most [console] max_sse streams (live_client_new() refuses
 * more); each has one message of pending output.
 */
#ifndef SIMPUL_CONSOLE_LIVE_H
#define SIMPUL_CONSOLE_LIVE_H

#include <stddef.h>
#include <sys/types.h>

#include "console.h"

#define LIVE_LOOKBACK_MS 2000
#define LIVE_PING_MS 15000
#define LIVE_RING_BYTES ((size_t)8 << 20)

enum live_hub { LIVE_HUB_UNKNOWN, LIVE_HUB_ONLINE, LIVE_HUB_OFFLINE };

struct live;
struct live_client;

/* Starts the tail thread. NULL on failure (logged). */
struct live *live_start(struct console *c);
/* Ends every stream and the tail (first step of a shutdown). */
void live_end(struct live *l);
/* Stops the thread, ends every stream, frees. Accepts NULL. */
void live_stop(struct live *l);
void live_set_hub(struct live *l, enum live_hub h);

/*
 * A new stream for the signed-in user s (its session s->id is checked
 * again at every ping); last_id is the Last-Event-ID header (NULL: none).
 * NULL when max_sse streams are open.
 */
struct live_client *live_client_new(struct live *l, const struct session *s,
    const char *last_id);
void live_client_free(struct live_client *cl);
/*
 * The next bytes of the stream (blocks until there are some); -1 when
 * the stream ends (shutdown, session expired).
 */
ssize_t live_client_read(struct live_client *cl, char *buf, size_t max);

#endif
