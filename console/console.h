/*
 * console: what the modules of simpul-console share: the daemon's context
 * (struct console, built by main.c) and one API request as the HTTP layer
 * (server.c) hands it to the API (api.c) and to sign-in (auth.c).
 */
#ifndef SIMPUL_CONSOLE_H
#define SIMPUL_CONSOLE_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>

#include "config.h"
#include "policy.h"

struct dbpool;
struct filecache;
struct live;
struct store;
struct MHD_Connection;

struct console {
	const struct console_config *cfg;
	struct dbpool *pool;
	struct store *store;     /* case actions (store_case_act) */
	pthread_mutex_t store_mu;
	/*
	 * Dead-letter replays have their own connection: a replay holds its
	 * transaction open until the broker acknowledges (up to 10 s when the
	 * broker is slow), and case actions must not wait behind it.
	 */
	struct store *replay_store;
	pthread_mutex_t replay_mu;
	struct live *live;
	struct filecache *boundary;  /* [console] boundary_geojson (api.c) */
	struct filecache *geofences; /* [console] geofences_geojson */
	char self_origins[512];  /* for policy_csrf_ok() */
	char dummy_hash[128];    /* verified for unknown users (constant work) */
	sem_t pwhash_slots;      /* argon2id verifications at once */
};

/* The signed-in user of a request. */
struct session {
	int valid;
	char user[65];
	char display[201];
	enum role role;
	char opd[33];            /* "" unless role opd */
	char csrf[64];
	char id[67];             /* console_session.id: "\\x" + hex SHA-256
				  * of the cookie's token (auth_session) */
};

struct req {
	struct console *c;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;        /* after "/api/" */
	const char *body;
	size_t body_len;
	char remote[64];
	struct session s;
};

struct answer {
	unsigned int status;
	char *body;              /* heap JSON */
	char *cookie;            /* heap Set-Cookie value, or NULL */
	long retry_after;        /* seconds for Retry-After; 0: none */
};

/* Fills a with {"error": msg} and status; returns 0. */
int answer_error(struct answer *a, unsigned int status, const char *msg);
/* Takes body (heap JSON) as a 200 answer; NULL body: 404. Returns 0. */
int answer_take(struct answer *a, char *body);

#endif
