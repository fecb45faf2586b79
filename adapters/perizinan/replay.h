/*
 * replay: the webhook's memory of deliveries it has accepted, so that the
 * same signed delivery is not processed twice while its timestamp is still
 * within the tolerance (after that the signature check refuses it as
 * stale, so it need not be remembered longer).
 *
 * A delivery is claimed before it is processed and released afterwards:
 * kept when it was accepted (answered 200), forgotten when it failed (401,
 * 503, ...), so that the sender's retry of a failed delivery is processed
 * rather than refused. A claim still in progress also counts as seen, so
 * two copies sent at once are not both processed.
 *
 * The entries are a fixed array searched linearly under a mutex: max is a
 * few ten thousands at most, a scan costs microseconds per delivery, and
 * nothing grows. When every slot holds an unexpired entry, a new claim is
 * refused (REPLAY_FULL: the webhook answers 503) rather than forgetting a
 * delivery that could then be replayed.
 *
 * The memory is not persisted: a replay after a restart is processed
 * again, which publishes events with the same deterministic ids, which the
 * hub stores once. Thread-safe.
 */
#ifndef SIMPUL_PERIZINAN_REPLAY_H
#define SIMPUL_PERIZINAN_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#define REPLAY_KEY_LEN 32	/* an HMAC-SHA256 */
#define REPLAY_MAX 262144	/* largest max */

enum replay_verdict {
	REPLAY_NEW,	/* claimed: release it when done */
	REPLAY_SEEN,	/* accepted before, or being processed now */
	REPLAY_FULL,	/* no free slot: try later */
};

struct replay;

/* A cache of at most max (1..REPLAY_MAX) entries. */
struct replay *replay_new(size_t max);
void replay_free(struct replay *r);

/*
 * Claims key until expires_ms (entries with expires_ms <= now_ms are
 * forgotten first).
 */
enum replay_verdict replay_claim(struct replay *r,
    const uint8_t key[REPLAY_KEY_LEN], int64_t now_ms, int64_t expires_ms);

/*
 * Ends a claim: keep = 1 remembers the delivery until its expiry, keep = 0
 * forgets it. A key that is not claimed is ignored.
 */
void replay_release(struct replay *r, const uint8_t key[REPLAY_KEY_LEN],
    int keep);

/* Entries held (claimed or kept, expired ones included until purged). */
size_t replay_count(struct replay *r);

#endif
