/*
 * router: applies the routing rules to one valid event and adds what they
 * ask for (routed copies, alerts, cases) to the store batch, attached to
 * the event's id so they take effect only if the event is new.
 *
 * A router is built once from a ruleset (rules are compiled at load) and
 * is immutable afterwards; the writer swaps in a new one between batches
 * when the rules change, so each event meets exactly one rule set.
 * Matching is a trie lookup over topic levels (common/topic.c, cached per
 * topic) and a lookup of the constants that predicates require (a hash for
 * strings, a binary search for number comparisons; expr_tests()), followed
 * by the predicates of the remaining candidate rules only, in priority
 * order; a rule with "stop" ends the walk. A router
 * is used by one thread at a time.
 */
#ifndef SIMPUL_ROUTER_H
#define SIMPUL_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct router;
struct ruleset;
struct store_batch;

/*
 * evaluated: rules tried on an event after the indexes (predicates run);
 * cache_resets: times the topic cache was full and emptied.
 */
struct router_stats {
	uint64_t events, matched, routed, alerts, cases, skipped;
	uint64_t evaluated, cache_resets;
};

/* Takes the ruleset. */
struct router *router_new(struct ruleset *rs, const char *site);
/*
 * ROUTER_LINEAR: no topic or predicate index; every rule is tried with
 * rule_match() in priority order. The reference the indexes are tested
 * against (same outputs, same order), and a baseline for bench-router.
 */
#define ROUTER_LINEAR 0x1
struct router *router_new_flags(struct ruleset *rs, const char *site,
    int flags);
void router_free(struct router *r);
size_t router_rule_count(const struct router *r);

/*
 * Routes one valid event: doc is its parsed envelope, payload its bytes as
 * received (used as is for copies no rule redacts). Returns the number of
 * outputs added to the batch.
 */
int router_route(struct router *r, struct store_batch *b, const char *topic,
    const cJSON *doc, const char *payload, size_t len);

/*
 * Where outputs go: router_route() uses a sink that fills the store batch;
 * `simpulctl rules test` uses one that prints what would happen.
 */
struct router_sink {
	void (*publish)(void *arg, const char *rule, const char *event_id,
	    const char *topic, const char *payload, size_t len);
	void (*alert)(void *arg, const char *rule, const char *event_id,
	    const char *severity, const char *opd, const char *message);
	void (*open_case)(void *arg, const char *rule, const char *event_id,
	    const char *key, const char *kind, const char *opd,
	    const char *policy, const char *severity, const char *title,
	    const char *channel);
	void *arg;
};
int router_route_to(struct router *r, const struct router_sink *sink,
    const char *topic, const cJSON *doc, const char *payload, size_t len);
void router_get_stats(const struct router *r, struct router_stats *out);

#endif
