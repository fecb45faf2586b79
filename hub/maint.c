/*
 * maint: see maint.h.
 */
#include "maint.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "router.h"
#include "rules.h"
#include "store.h"
#include "util.h"
#include "writer.h"

#define ESCALATION_ROUND 100

struct maint {
	struct maint_opts o;
	pthread_t thread;
	volatile sig_atomic_t stopping;
	pthread_mutex_t lock;
	uint64_t escalations, reloads;
	atomic_int db_up; /* maint_db_up() */
};

struct load_ctx {
	struct ruleset *rs;
	const char *site;
	int bad;
};

static void
load_one(void *arg, const char *name, const char *json)
{
	struct load_ctx *lc = arg;
	struct rule *r;
	cJSON *j;
	char err[512];

	if ((j = cJSON_Parse(json)) == NULL) {
		log_warnx("rules: rule '%s' is not valid JSON in the database; "
		    "left out", name);
		lc->bad++;
		return;
	}
	r = rule_from_json(j, lc->site, err, sizeof(err));
	cJSON_Delete(j);
	if (r == NULL) {
		log_warnx("rules: rule '%s' does not compile: %s; left out",
		    name, err);
		lc->bad++;
		return;
	}
	if (ruleset_add_take(lc->rs, r) == -1) {
		log_warnx("rules: rule '%s' left out (duplicate or over the "
		    "limit)", name);
		lc->bad++;
	}
}

struct router *
maint_load_router(struct store *s, const char *site)
{
	struct load_ctx lc = { ruleset_new(), site, 0 };
	int n;

	if ((n = store_rules_load(s, load_one, &lc)) == -1) {
		ruleset_free(lc.rs);
		return NULL;
	}
	log_info("rules: loaded rules=%zu left_out=%d",
	    ruleset_count(lc.rs), lc.bad);
	return router_new(lc.rs, site);
}

static int
maint_connect(struct maint *m)
{
	if (store_connect(m->o.store) == -1 ||
	    store_listen(m->o.store, "simpul_rules") == -1)
		return -1;
	return 0;
}

static void
maint_reload(struct maint *m)
{
	struct router *r = maint_load_router(m->o.store, m->o.site);

	if (r == NULL)
		return;
	writer_set_router(m->o.writer, r);
	pthread_mutex_lock(&m->lock);
	m->reloads++;
	pthread_mutex_unlock(&m->lock);
}

static void
maint_escalate(struct maint *m)
{
	int n, total = 0;

	do {
		n = store_escalate(m->o.store, ESCALATION_ROUND);
		if (n > 0)
			total += n;
	} while (n == ESCALATION_ROUND && !m->stopping);
	if (total > 0) {
		log_info("cases: escalation scan handled=%d", total);
		pthread_mutex_lock(&m->lock);
		m->escalations += (uint64_t)total;
		pthread_mutex_unlock(&m->lock);
		if (m->o.published != NULL)
			m->o.published(m->o.published_arg);
	}
}

static void *
maint_main(void *arg)
{
	struct maint *m = arg;
	int64_t backoff = 200, next_scan = 0;
	int connected = store_is_connected(m->o.store), rc;

	while (!m->stopping) {
		int64_t now = clock_mono_ms();
		int64_t wait;

		if (!connected) {
			if (maint_connect(m) == -1) {
				struct timespec ts = { (time_t)(backoff / 1000),
				    (long)(backoff % 1000) * 1000000L };

				nanosleep(&ts, NULL);
				backoff = backoff * 2 > m->o.reconnect_max_ms ?
				    m->o.reconnect_max_ms : backoff * 2;
				continue;
			}
			backoff = 200;
			connected = 1;
			atomic_store(&m->db_up, 1);
			/* Notifications may have been missed meanwhile. */
			maint_reload(m);
		}
		if (now >= next_scan) {
			maint_escalate(m);
			next_scan = now + m->o.escalation_interval_ms;
		}
		wait = next_scan - clock_mono_ms();
		if (wait > 500)
			wait = 500; /* look at the stop flag twice a second */
		if (wait < 1)
			wait = 1;
		rc = store_wait_notify(m->o.store, (int)wait);
		if (rc == -1) {
			connected = 0;
			atomic_store(&m->db_up, 0);
			continue;
		}
		if (rc == 1)
			maint_reload(m);
	}
	return NULL;
}

struct maint *
maint_start(const struct maint_opts *o)
{
	struct maint *m = xcalloc(1, sizeof(*m));
	int rc;

	m->o = *o;
	pthread_mutex_init(&m->lock, NULL);
	if (store_listen(m->o.store, "simpul_rules") == -1)
		log_warnx("maint: cannot LISTEN yet; will retry");
	atomic_init(&m->db_up, store_is_connected(m->o.store));
	if ((rc = pthread_create(&m->thread, NULL, maint_main, m)) != 0) {
		errno = rc;
		fatal("maint: cannot start thread");
	}
	return m;
}

void
maint_stop(struct maint *m)
{
	if (m == NULL)
		return;
	m->stopping = 1;
	pthread_join(m->thread, NULL);
	store_free(m->o.store);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

uint64_t
maint_escalations(struct maint *m)
{
	uint64_t n;

	pthread_mutex_lock(&m->lock);
	n = m->escalations;
	pthread_mutex_unlock(&m->lock);
	return n;
}

uint64_t
maint_reloads(struct maint *m)
{
	uint64_t n;

	pthread_mutex_lock(&m->lock);
	n = m->reloads;
	pthread_mutex_unlock(&m->lock);
	return n;
}

int
maint_db_up(struct maint *m)
{
	return atomic_load(&m->db_up);
}
