/*
 * test_replay: the webhook's replay cache (adapters/perizinan/replay):
 * a delivery is new once and seen afterwards while it is kept; a failed
 * delivery is forgotten so that its retry is processed; a claim in
 * progress counts as seen and never expires under its handler; kept
 * entries expire at their time and free their slot; a full cache refuses
 * rather than forgets; and of many threads claiming the same delivery at
 * once exactly one wins.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "log.h"
#include "replay.h"
#include "testlib.h"

static void
key(uint8_t k[REPLAY_KEY_LEN], int n)
{
	memset(k, 0, REPLAY_KEY_LEN);
	k[0] = (uint8_t)(n & 0xff);
	k[1] = (uint8_t)(n >> 8);
	k[31] = 0x5a;
}

static void
test_basic(void)
{
	struct replay *r = replay_new(8);
	uint8_t a[REPLAY_KEY_LEN], b[REPLAY_KEY_LEN];

	key(a, 1);
	key(b, 2);
	CHECK_INT(replay_claim(r, a, 1000, 5000), REPLAY_NEW);
	/* In progress: a copy sent at the same time is refused. */
	CHECK_INT(replay_claim(r, a, 1001, 5000), REPLAY_SEEN);
	CHECK_INT(replay_claim(r, b, 1001, 5000), REPLAY_NEW);
	CHECK_INT(replay_count(r), 2);

	/* Accepted: seen until it expires. */
	replay_release(r, a, 1);
	CHECK_INT(replay_claim(r, a, 4999, 9000), REPLAY_SEEN);
	CHECK_INT(replay_claim(r, a, 5000, 9000), REPLAY_NEW); /* expired */
	replay_release(r, a, 1);

	/* Failed: forgotten at once, the retry is new. */
	replay_release(r, b, 0);
	CHECK_INT(replay_count(r), 1);
	CHECK_INT(replay_claim(r, b, 1002, 5000), REPLAY_NEW);
	replay_release(r, b, 0);

	/* Releasing what is not claimed changes nothing. */
	replay_release(r, b, 1);
	CHECK_INT(replay_count(r), 1);
	CHECK_INT(replay_claim(r, b, 1003, 5000), REPLAY_NEW);

	/* A claim in progress does not expire, however late it gets. */
	CHECK_INT(replay_claim(r, b, 999999, 5000), REPLAY_SEEN);
	replay_release(r, b, 1);
	CHECK_INT(replay_claim(r, b, 999999, 1000500), REPLAY_NEW);
	replay_free(r);
	replay_free(NULL);
}

static void
test_full(void)
{
	struct replay *r = replay_new(4);
	uint8_t k[REPLAY_KEY_LEN];
	int i;

	for (i = 0; i < 4; i++) {
		key(k, i);
		CHECK_INT(replay_claim(r, k, 0, i < 2 ? 1000 : 3000),
		    REPLAY_NEW);
		replay_release(r, k, 1);
	}
	/* Full of unexpired deliveries: refuse, do not evict. */
	key(k, 4);
	CHECK_INT(replay_claim(r, k, 500, 2000), REPLAY_FULL);
	key(k, 0);
	CHECK_INT(replay_claim(r, k, 500, 2000), REPLAY_SEEN);
	/* Two expired: their slots are reused, the others still seen. */
	key(k, 4);
	CHECK_INT(replay_claim(r, k, 1000, 2000), REPLAY_NEW);
	key(k, 0);
	CHECK_INT(replay_claim(r, k, 1000, 2000), REPLAY_NEW);
	key(k, 2);
	CHECK_INT(replay_claim(r, k, 1000, 2000), REPLAY_SEEN);
	key(k, 5);
	CHECK_INT(replay_claim(r, k, 1000, 2000), REPLAY_FULL);
	CHECK_INT(replay_count(r), 4);
	/* Later the kept ones expire; the two in progress stay. */
	key(k, 9);
	CHECK_INT(replay_claim(r, k, 1000000, 1000001), REPLAY_NEW);
	CHECK_INT(replay_count(r), 3);
	key(k, 4);
	CHECK_INT(replay_claim(r, k, 1000000, 1000001), REPLAY_SEEN);
	replay_free(r);

	/* Bounds of max. */
	r = replay_new(0);
	key(k, 1);
	CHECK_INT(replay_claim(r, k, 0, 10), REPLAY_NEW);
	key(k, 2);
	CHECK_INT(replay_claim(r, k, 0, 10), REPLAY_FULL);
	replay_free(r);
}

#define THREADS 8

static struct replay *shared;
static atomic_int winners, seen;
static atomic_int go;

static void *
claimer(void *arg)
{
	uint8_t k[REPLAY_KEY_LEN];
	int i;

	(void)arg;
	while (!atomic_load(&go))
		;
	for (i = 0; i < 200; i++) {
		key(k, 1000 + i);
		switch (replay_claim(shared, k, 0, 100000)) {
		case REPLAY_NEW:
			atomic_fetch_add(&winners, 1);
			replay_release(shared, k, 1);
			break;
		case REPLAY_SEEN:
			atomic_fetch_add(&seen, 1);
			break;
		default:
			break;
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t[THREADS];
	int i;

	shared = replay_new(1024);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, claimer, NULL);
	atomic_store(&go, 1);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* Each of the 200 deliveries was processed exactly once. */
	CHECK_INT(atomic_load(&winners), 200);
	CHECK_INT(atomic_load(&seen), 200 * (THREADS - 1));
	CHECK_INT(replay_count(shared), 200);
	replay_free(shared);
}

int
main(void)
{
	log_init("test_replay", LOG_LEVEL_WARN);
	test_basic();
	test_full();
	test_threads();
	return testlib_done();
}
