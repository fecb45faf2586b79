/*
 * replay: see replay.h.
 */
#include "replay.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct replay_entry {
	uint8_t key[REPLAY_KEY_LEN];
	int64_t expires_ms;
	int used;
	int done;	/* released with keep = 1 */
};

struct replay {
	pthread_mutex_t mtx;
	struct replay_entry *e;
	size_t max;
	size_t n;	/* used entries */
};

struct replay *
replay_new(size_t max)
{
	struct replay *r = xcalloc(1, sizeof(*r));

	if (max == 0)
		max = 1;
	if (max > REPLAY_MAX)
		max = REPLAY_MAX;
	r->e = xcalloc(max, sizeof(*r->e));
	r->max = max;
	pthread_mutex_init(&r->mtx, NULL);
	return r;
}

void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mtx);
	free(r->e);
	free(r);
}

enum replay_verdict
replay_claim(struct replay *r, const uint8_t key[REPLAY_KEY_LEN],
    int64_t now_ms, int64_t expires_ms)
{
	struct replay_entry *e, *free_slot = NULL;
	enum replay_verdict v = REPLAY_FULL;
	size_t i;

	pthread_mutex_lock(&r->mtx);
	for (i = 0; i < r->max; i++) {
		e = &r->e[i];
		/* A claim in progress never expires: its handler ends it. */
		if (e->used && e->done && e->expires_ms <= now_ms) {
			e->used = 0;
			r->n--;
		}
		if (!e->used) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		if (memcmp(e->key, key, REPLAY_KEY_LEN) == 0) {
			v = REPLAY_SEEN;
			goto out;
		}
	}
	if (free_slot != NULL) {
		memcpy(free_slot->key, key, REPLAY_KEY_LEN);
		free_slot->expires_ms = expires_ms;
		free_slot->used = 1;
		free_slot->done = 0;
		r->n++;
		v = REPLAY_NEW;
	}
out:
	pthread_mutex_unlock(&r->mtx);
	return v;
}

void
replay_release(struct replay *r, const uint8_t key[REPLAY_KEY_LEN], int keep)
{
	struct replay_entry *e;
	size_t i;

	pthread_mutex_lock(&r->mtx);
	for (i = 0; i < r->max; i++) {
		e = &r->e[i];
		if (!e->used || e->done ||
		    memcmp(e->key, key, REPLAY_KEY_LEN) != 0)
			continue;
		if (keep)
			e->done = 1;
		else {
			e->used = 0;
			r->n--;
		}
		break;
	}
	pthread_mutex_unlock(&r->mtx);
}

size_t
replay_count(struct replay *r)
{
	size_t n;

	pthread_mutex_lock(&r->mtx);
	n = r->n;
	pthread_mutex_unlock(&r->mtx);
	return n;
}
