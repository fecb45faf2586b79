/*
 * maint: the hub's maintenance thread, on its own PostgreSQL connection.
 *
 *  - Rules: LISTENs on simpul_rules; on a notification (or a reconnect,
 *    after which notifications may have been missed) it loads the enabled
 *    rules, builds a router and hands it to the writer, which switches
 *    between two batches. A rule that no longer compiles is logged and left
 *    out; the others stay live.
 *  - Escalation: every scan interval it runs the escalation scan, in
 *    rounds of at most 100 due cases, until nothing is due (safe with
 *    several hubs: rows are taken FOR UPDATE SKIP LOCKED), and wakes the
 *    relay when the scan produced messages.
 */
#ifndef SIMPUL_MAINT_H
#define SIMPUL_MAINT_H

#include <stdint.h>

struct maint;
struct router;
struct store;
struct writer;

struct maint_opts {
	struct store *store; /* its own connection, taken */
	struct writer *writer;
	const char *site;
	int64_t escalation_interval_ms;
	int64_t reconnect_max_ms;
	void (*published)(void *arg); /* wake the relay */
	void *published_arg;
};

/*
 * Loads the enabled rules from the database into a new router. Returns
 * NULL on a database error; rules that fail to compile are logged and
 * skipped.
 */
struct router *maint_load_router(struct store *s, const char *site);

struct maint *maint_start(const struct maint_opts *o);
void maint_stop(struct maint *m);
uint64_t maint_escalations(struct maint *m);
uint64_t maint_reloads(struct maint *m);
/*
 * 1 while the thread's connection is up. It waits on its socket for
 * notifications, so it sees a server go away within a second even when no
 * event arrives (the writer only sees it at its next commit): /healthz
 * reads it. Any thread.
 */
int maint_db_up(struct maint *m);

#endif
