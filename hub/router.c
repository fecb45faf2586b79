/*
 * router: see router.h.
 *
 * Rendering failures (a field the template needs is missing, a value that
 * would add topic levels, a result too long) skip that one action and are
 * counted; the event itself is stored regardless.
 *
 * Finding the candidate rules of an event costs two lookups, so that a rule
 * set of thousands costs what its few plausible rules cost:
 *  - Topic cache. The rules whose filter matches a topic, in priority order,
 *    depend only on the topic, and an ingest bus carries few distinct
 *    topics (<site>/ev/<opd>/<system>/<type>). The first event on a topic
 *    walks the topic trie and sorts the hits; later ones find the sorted
 *    list in a hash table. The table holds at most ROUTER_TOPIC_CACHE
 *    topics and ROUTER_CACHE_POSITIONS rule positions in all (2 MiB) and
 *    is emptied when either would be passed (counted in cache_resets), so
 *    a publisher that invents topics cannot make it grow.
 *  - Predicate index. A rule whose predicate requires a field to equal one
 *    of some string constants (expr_tests() in expr.h: `type == "x"`,
 *    `data.alarm in ["sos", ...]` on the top-level '&&' chain) is filed
 *    under (field, constant) in a hash table; a rule that requires a field
 *    to be in an order to a number (`data.speed_kmh > 80`) is filed in an
 *    array per (field, operator) sorted by the number. Per event the
 *    router reads each such field once, marks the rules filed under its
 *    value (a hash lookup, or a binary search and the prefix or suffix it
 *    bounds), and evaluates the predicates of marked rules and of rules
 *    without such a test only. Of a rule's tests a string test on the field
 *    with the most distinct constants in the set is used (data.device_id
 *    rather than type), else its first order test. Rules that cannot match
 *    are skipped; the others are evaluated exactly as before, in the same
 *    order, so outputs do not change (tests/unit/test_router.c compares
 *    with ROUTER_LINEAR on random sets).
 */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rules.h"
#include "store.h"
#include "template.h"
#include "topic.h"
#include "util.h"

#define OUT_MAX 1024 /* rendered topics, keys, titles, messages */
#define ROUTER_TOPIC_CACHE 1024 /* distinct topics remembered */
#define ROUTER_CACHE_POSITIONS 262144 /* rule positions over all of them */
#define ROUTER_MAX_TESTS 16 /* tests of one predicate considered */

/* A field some rule's index test reads, evaluated through that test. */
struct ipath {
	struct expr_test t;
	size_t nconst;		/* constants filed under it, over all rules */
};

/* The rules filed under one (field, constant). */
struct ibucket {
	const char *val;	/* NULL: empty slot */
	size_t len;
	uint32_t path;
	uint64_t hash;
	size_t *pos, n, cap;
};

/*
 * The rules filed under one (field, order operator), by constant: for an
 * event's value v the rules whose test holds are a prefix (>, >=) or a
 * suffix (<, <=) of the array, found by binary search.
 */
struct rentry {
	struct expr_test t;
	size_t pos;
};

struct rgroup {
	uint32_t path;
	enum expr_test_op op;
	struct rentry *v;
	size_t n, cap;
};

/* The candidates of one topic, and the index parts their tests use. */
struct tentry {
	char *topic;		/* NULL: empty slot */
	uint64_t hash;
	size_t *pos, npos;
	uint32_t *paths;	/* string tests: fields to read */
	size_t npaths;
	uint32_t *groups;	/* order tests: groups to search */
	size_t ngroups;
};

struct router {
	struct ruleset *rules;
	struct topic_index *index;
	char *site;
	int linear;
	size_t *hits; /* candidate rule positions, one slot per rule */
	size_t nhits;
	/* Predicate index. */
	struct ipath *paths;
	size_t npaths;
	struct ibucket *tab;	/* open addressing, power-of-two size */
	size_t tabcap;
	struct rgroup *groups;
	size_t ngroups;
	int64_t *rpath;		/* per rule: its string-test field, or -1 */
	int64_t *rgroup;	/* per rule: its order-test group, or -1 */
	uint32_t *mark, gen;	/* per rule: marked in event number gen */
	/* Topic cache. */
	struct tentry *cache;	/* open addressing, 2 * ROUTER_TOPIC_CACHE */
	size_t ncache, cached_pos;
	struct router_stats stats;
};

/* FNV-1a: short keys, no adversary gain beyond the bounded cache. */
static uint64_t
hash_bytes(uint64_t h, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
hash_key(uint32_t path, const char *val, size_t len)
{
	char p[sizeof(path)];

	memcpy(p, &path, sizeof(p));
	return hash_bytes(hash_bytes(0xcbf29ce484222325ULL, p, sizeof(p)),
	    val, len);
}

/* The bucket of (path, val), or the empty slot where it would go. */
static struct ibucket *
ibucket_find(const struct router *r, uint32_t path, const char *val,
    size_t len, uint64_t h)
{
	size_t i = (size_t)h & (r->tabcap - 1);
	struct ibucket *b;

	for (;; i = (i + 1) & (r->tabcap - 1)) {
		b = &r->tab[i];
		if (b->val == NULL || (b->hash == h && b->path == path &&
		    b->len == len && memcmp(b->val, val, len) == 0))
			return b;
	}
}

static uint32_t
ipath_intern(struct router *r, const struct expr_test *t, size_t *cap)
{
	size_t i;

	for (i = 0; i < r->npaths; i++)
		if (strcmp(r->paths[i].t.path, t->path) == 0)
			return (uint32_t)i;
	if (r->npaths == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		r->paths = xrealloc(r->paths, *cap * sizeof(*r->paths));
	}
	r->paths[r->npaths].t = *t;
	r->paths[r->npaths].nconst = 0;
	return (uint32_t)r->npaths++;
}

/* Files rule position pos under every constant of test t. */
static void
index_file(struct router *r, size_t pos, uint32_t path,
    const struct expr_test *t)
{
	struct ibucket *b;
	const char *val;
	size_t i, len;
	uint64_t h;

	for (i = 0; i < t->nvalues; i++) {
		val = expr_test_value(t, i, &len);
		h = hash_key(path, val, len);
		b = ibucket_find(r, path, val, len, h);
		if (b->val == NULL) {
			b->val = val;
			b->len = len;
			b->path = path;
			b->hash = h;
		}
		/* A list may repeat a constant: file the rule once. */
		if (b->n > 0 && b->pos[b->n - 1] == pos)
			continue;
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 4;
			b->pos = xrealloc(b->pos, b->cap * sizeof(*b->pos));
		}
		b->pos[b->n++] = pos;
	}
}

static int
cmp_rentry(const void *a, const void *b)
{
	const struct rentry *x = a, *y = b;
	int c = expr_test_const_cmp(&x->t, &y->t);

	/* Equal constants keep rule order, so the sort is deterministic. */
	if (c == 0)
		return x->pos < y->pos ? -1 : x->pos > y->pos;
	return c;
}

/* Files rule position pos under its order test t, in the group of t. */
static uint32_t
group_file(struct router *r, size_t pos, uint32_t path,
    const struct expr_test *t, size_t *cap)
{
	struct rgroup *g;
	size_t i;

	for (i = 0; i < r->ngroups; i++)
		if (r->groups[i].path == path && r->groups[i].op == t->op)
			break;
	if (i == r->ngroups) {
		if (r->ngroups == *cap) {
			*cap = *cap ? *cap * 2 : 4;
			r->groups = xrealloc(r->groups,
			    *cap * sizeof(*r->groups));
		}
		memset(&r->groups[i], 0, sizeof(r->groups[i]));
		r->groups[i].path = path;
		r->groups[i].op = t->op;
		r->ngroups++;
	}
	g = &r->groups[i];
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 8;
		g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	g->v[g->n].t = *t;
	g->v[g->n++].pos = pos;
	return (uint32_t)i;
}

/*
 * Picks the test a rule is filed under: a string test on the field with the
 * most constants in the set (hashing makes it the most selective), else
 * its first order test; -1 if it has neither.
 */
static int
pick_test(struct router *r, const struct expr_test *t, size_t nt,
    size_t *cap)
{
	uint32_t p, bestp = 0;
	int best = -1;
	size_t k;

	for (k = 0; k < nt; k++) {
		if (t[k].kind != EXPR_TEST_STRINGS)
			continue;
		p = ipath_intern(r, &t[k], cap);
		if (best < 0 || r->paths[p].nconst > r->paths[bestp].nconst) {
			best = (int)k;
			bestp = p;
		}
	}
	for (k = 0; k < nt && best < 0; k++)
		if (t[k].kind == EXPR_TEST_ORDER)
			best = (int)k;
	return best;
}

/*
 * Builds the predicate index: a first pass counts the constants per field,
 * a second files each rule under the test pick_test() chooses.
 */
static void
index_build(struct router *r)
{
	struct expr_test t[ROUTER_MAX_TESTS];
	size_t n = ruleset_count(r->rules), i, k, nt, cap = 0, gcap = 0;
	size_t total = 0;
	uint32_t p;
	int best;

	r->rpath = xcalloc(n + 1, sizeof(*r->rpath));
	r->rgroup = xcalloc(n + 1, sizeof(*r->rgroup));
	r->mark = xcalloc(n + 1, sizeof(*r->mark));
	for (i = 0; i < n; i++) {
		const struct expr *e = rule_predicate(ruleset_get(r->rules, i));

		nt = e != NULL ? expr_tests(e, t, nitems(t)) : 0;
		if (nt > nitems(t))
			nt = nitems(t);
		for (k = 0; k < nt; k++) {
			p = ipath_intern(r, &t[k], &cap);
			r->paths[p].nconst += t[k].nvalues;
			total += t[k].nvalues;
		}
	}
	for (r->tabcap = 16; r->tabcap < 2 * total; r->tabcap *= 2)
		;
	r->tab = xcalloc(r->tabcap, sizeof(*r->tab));
	for (i = 0; i < n; i++) {
		const struct expr *e = rule_predicate(ruleset_get(r->rules, i));

		nt = e != NULL ? expr_tests(e, t, nitems(t)) : 0;
		if (nt > nitems(t))
			nt = nitems(t);
		r->rpath[i] = r->rgroup[i] = -1;
		if ((best = pick_test(r, t, nt, &cap)) < 0)
			continue;
		p = ipath_intern(r, &t[best], &cap);
		if (t[best].kind == EXPR_TEST_STRINGS) {
			r->rpath[i] = p;
			index_file(r, i, p, &t[best]);
		} else {
			r->rgroup[i] = group_file(r, i, p, &t[best], &gcap);
		}
	}
	for (k = 0; k < r->ngroups; k++)
		qsort(r->groups[k].v, r->groups[k].n, sizeof(*r->groups[k].v),
		    cmp_rentry);
}

struct router *
router_new_flags(struct ruleset *rs, const char *site, int flags)
{
	struct router *r = xcalloc(1, sizeof(*r));
	size_t i, n = ruleset_count(rs);

	r->rules = rs;
	r->site = xstrdup(site);
	r->linear = (flags & ROUTER_LINEAR) != 0;
	r->index = topic_index_new();
	r->hits = xcalloc(n + 1, sizeof(*r->hits));
	r->cache = xcalloc(2 * ROUTER_TOPIC_CACHE, sizeof(*r->cache));
	for (i = 0; i < n; i++) {
		const struct rule *rule = ruleset_get(rs, i);

		/* The value is the rule's position: lower is earlier. */
		if (topic_index_add(r->index, rule_filter(rule),
		    (void *)(uintptr_t)(i + 1)) == -1)
			log_warnx("router: rule '%s' has an unusable topic "
			    "filter '%s'; it never matches", rule_name(rule),
			    rule_filter(rule));
	}
	index_build(r);
	return r;
}

struct router *
router_new(struct ruleset *rs, const char *site)
{
	return router_new_flags(rs, site, 0);
}

static void
cache_clear(struct router *r)
{
	size_t i;

	for (i = 0; i < 2 * ROUTER_TOPIC_CACHE; i++) {
		free(r->cache[i].topic);
		free(r->cache[i].pos);
		free(r->cache[i].paths);
		free(r->cache[i].groups);
	}
	memset(r->cache, 0, 2 * ROUTER_TOPIC_CACHE * sizeof(*r->cache));
	r->ncache = r->cached_pos = 0;
}

void
router_free(struct router *r)
{
	size_t i;

	if (r == NULL)
		return;
	cache_clear(r);
	free(r->cache);
	for (i = 0; i < r->tabcap; i++)
		free(r->tab[i].pos);
	free(r->tab);
	free(r->paths);
	for (i = 0; i < r->ngroups; i++)
		free(r->groups[i].v);
	free(r->groups);
	free(r->rpath);
	free(r->rgroup);
	free(r->mark);
	topic_index_free(r->index);
	ruleset_free(r->rules);
	free(r->hits);
	free(r->site);
	free(r);
}

size_t
router_rule_count(const struct router *r)
{
	return ruleset_count(r->rules);
}

void
router_get_stats(const struct router *r, struct router_stats *out)
{
	*out = r->stats;
}

static int
collect(void *arg, void *value)
{
	struct router *r = arg;

	if (r->nhits < ruleset_count(r->rules))
		r->hits[r->nhits++] = (size_t)(uintptr_t)value - 1;
	return 0;
}

static int
cmp_pos(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Fills e with the candidates in r->hits and the index parts they use. */
static void
tentry_fill(struct router *r, struct tentry *e, const char *topic,
    uint64_t h)
{
	size_t i, k;

	e->topic = xstrdup(topic);
	e->hash = h;
	e->npos = r->nhits;
	e->pos = xcalloc(r->nhits + 1, sizeof(*e->pos));
	memcpy(e->pos, r->hits, r->nhits * sizeof(*e->pos));
	e->paths = xcalloc(r->npaths + 1, sizeof(*e->paths));
	e->npaths = 0;
	for (k = 0; k < r->npaths; k++)
		for (i = 0; i < e->npos; i++)
			if (r->rpath[e->pos[i]] == (int64_t)k) {
				e->paths[e->npaths++] = (uint32_t)k;
				break;
			}
	e->groups = xcalloc(r->ngroups + 1, sizeof(*e->groups));
	e->ngroups = 0;
	for (k = 0; k < r->ngroups; k++)
		for (i = 0; i < e->npos; i++)
			if (r->rgroup[e->pos[i]] == (int64_t)k) {
				e->groups[e->ngroups++] = (uint32_t)k;
				break;
			}
	r->ncache++;
	r->cached_pos += e->npos;
}

/* The cached candidates of topic, computed on first use. */
static const struct tentry *
topic_candidates(struct router *r, const char *topic)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ULL, topic, strlen(topic));
	size_t i, mask = 2 * ROUTER_TOPIC_CACHE - 1;
	struct tentry *e;

	for (i = (size_t)h & mask;; i = (i + 1) & mask) {
		e = &r->cache[i];
		if (e->topic == NULL)
			break;
		if (e->hash == h && strcmp(e->topic, topic) == 0)
			return e;
	}
	/* A miss: the trie walk, sorted by position (priority order). */
	r->nhits = 0;
	topic_index_match(r->index, topic, collect, r);
	qsort(r->hits, r->nhits, sizeof(*r->hits), cmp_pos);
	if (r->ncache >= ROUTER_TOPIC_CACHE ||
	    r->cached_pos + r->nhits > ROUTER_CACHE_POSITIONS) {
		cache_clear(r);
		r->stats.cache_resets++;
		for (i = (size_t)h & mask; r->cache[i].topic != NULL;
		    i = (i + 1) & mask)
			;
		e = &r->cache[i];
	}
	tentry_fill(r, e, topic, h);
	return e;
}

/* 1 if an order test with that result of expr_test_order() holds. */
static int
order_holds(enum expr_test_op op, int c)
{
	switch (op) {
	case EXPR_OP_LT: return c == -1;
	case EXPR_OP_LE: return c == -1 || c == 0;
	case EXPR_OP_GT: return c == 1;
	default: return c == 1 || c == 0;
	}
}

/*
 * Marks the rules of group g whose test holds for v. The constants ascend,
 * so for > and >= the holding tests are a prefix, for < and <= a suffix:
 * a binary search finds the boundary.
 */
static void
group_mark(struct router *r, const struct rgroup *g, double v)
{
	int prefix = g->op == EXPR_OP_GT || g->op == EXPR_OP_GE;
	size_t lo = 0, hi = g->n, mid, k;

	if (g->n == 0 || expr_test_order(v, &g->v[0].t) == 2)
		return;		/* NaN: no order test holds */
	/* The first index where holding changes (from yes for a prefix). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (order_holds(g->op, expr_test_order(v, &g->v[mid].t)) ==
		    prefix)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = prefix ? 0 : lo; k < (prefix ? lo : g->n); k++)
		r->mark[g->v[k].pos] = r->gen;
}

/* Marks the rules whose index test holds for the event. */
static void
index_mark(struct router *r, const struct tentry *e,
    const struct expr_env *env)
{
	const struct ibucket *b;
	const struct rgroup *g;
	const char *val;
	size_t i, k, len;
	double num;

	if (++r->gen == 0) {	/* wrapped: old marks would look current */
		memset(r->mark, 0, (ruleset_count(r->rules) + 1) *
		    sizeof(*r->mark));
		r->gen = 1;
	}
	for (i = 0; i < e->npaths; i++) {
		if (!expr_test_field(&r->paths[e->paths[i]].t, env, &val,
		    &len))
			continue;
		b = ibucket_find(r, e->paths[i], val, len,
		    hash_key(e->paths[i], val, len));
		for (k = 0; k < b->n; k++)
			r->mark[b->pos[k]] = r->gen;
	}
	for (i = 0; i < e->ngroups; i++) {
		g = &r->groups[e->groups[i]];
		if (expr_test_number(&r->paths[g->path].t, env, &num))
			group_mark(r, g, num);
	}
}

static const char *
str_member(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* The JSON published on <site>/alert/<severity>/<opd> for a rule alert. */
static char *
alert_payload(const struct rule *rule, const char *severity, const char *opd,
    const char *message, const cJSON *ev)
{
	cJSON *a = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(a, "kind", "rule");
	cJSON_AddStringToObject(a, "rule", rule_name(rule));
	cJSON_AddStringToObject(a, "severity", severity);
	cJSON_AddStringToObject(a, "opd", opd);
	cJSON_AddStringToObject(a, "message", message);
	if (str_member(ev, "id") != NULL)
		cJSON_AddStringToObject(a, "event_id", str_member(ev, "id"));
	if (str_member(ev, "type") != NULL)
		cJSON_AddStringToObject(a, "type", str_member(ev, "type"));
	if (str_member(ev, "subject") != NULL)
		cJSON_AddStringToObject(a, "subject", str_member(ev, "subject"));
	if (str_member(ev, "time") != NULL)
		cJSON_AddStringToObject(a, "time", str_member(ev, "time"));
	s = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	if (s == NULL)
		fatalx("router: out of memory");
	return s;
}

/* Applies one rule's actions; returns outputs added, sets *stop. */
static int
router_apply(struct router *r, const struct router_sink *k,
    const struct rule *rule,
    const struct expr_env *env, const char *id, const char *payload,
    size_t len, int redacted, int *stop)
{
	char topic[OUT_MAX], key[OUT_MAX], opd[64], text[OUT_MAX];
	const cJSON *ev = env->event;
	const char *channel;
	char *copy = NULL, *body;
	size_t i;
	int n = 0, rc;

	for (i = 0; i < rule_action_count(rule); i++) {
		const struct rule_action *a = rule_action(rule, i);
		const char *sev = rule_severity_name(a->severity);

		switch (a->kind) {
		case RULE_ROUTE:
			rc = template_render_topic(a->topic, env, r->site,
			    topic, sizeof(topic));
			if (rc < 0)
				goto skip;
			if (redacted && copy == NULL &&
			    (copy = cJSON_PrintUnformatted(ev)) == NULL)
				fatalx("router: out of memory");
			k->publish(k->arg, rule_name(rule), id, topic,
			    redacted ? copy : payload,
			    redacted ? strlen(copy) : len);
			r->stats.routed++;
			n++;
			break;
		case RULE_ALERT:
			if (a->opd != NULL)
				rc = template_render_topic(a->opd, env, r->site,
				    opd, sizeof(opd));
			else
				rc = str_member(ev, "opd") != NULL ?
				    (int)strlcpy_s(opd, str_member(ev, "opd"),
				    sizeof(opd)) : -1;
			if (rc < 0 || template_render(a->message, env,
			    r->site, text, sizeof(text)) < 0)
				goto skip;
			if ((size_t)snprintf(topic, sizeof(topic),
			    "%s/alert/%s/%s", r->site, sev, opd) >=
			    sizeof(topic))
				goto skip;
			body = alert_payload(rule, sev, opd, text, ev);
			k->alert(k->arg, rule_name(rule), id, sev, opd, text);
			k->publish(k->arg, rule_name(rule), id, topic, body,
			    strlen(body));
			cJSON_free(body);
			r->stats.alerts++;
			n++;
			break;
		case RULE_CASE:
			if (template_render(a->key, env, r->site, key,
			    sizeof(key)) < 0 || template_render(a->title, env,
			    r->site, text, sizeof(text)) < 0)
				goto skip;
			if (a->opd != NULL) {
				if (template_render_topic(a->opd, env, r->site,
				    opd, sizeof(opd)) < 0)
					goto skip;
			} else if (str_member(ev, "opd") != NULL) {
				strlcpy_s(opd, str_member(ev, "opd"),
				    sizeof(opd));
			} else {
				goto skip;
			}
			channel = str_member(cJSON_GetObjectItemCaseSensitive(
			    ev, "data"), "channel");
			k->open_case(k->arg, rule_name(rule), id, key,
			    str_member(ev, "type"), opd, a->policy, sev, text,
			    channel);
			r->stats.cases++;
			n++;
			break;
		case RULE_REDACT:
			break; /* applied to the copy before any action */
		case RULE_STOP:
			*stop = 1;
			break;
		}
		continue;
skip:
		r->stats.skipped++;
		log_debug("router: rule '%s' skipped its %s action for event "
		    "%s (a field is missing or unsafe)", rule_name(rule),
		    rule_action_name(a->kind), id);
	}
	if (rule_stops(rule))
		*stop = 1;
	cJSON_free(copy);
	return n;
}

/* The sink of the hub: outputs join the store batch. */
static void
batch_publish(void *arg, const char *rule, const char *event_id,
    const char *topic, const char *payload, size_t len)
{
	(void)rule;
	store_batch_add_publish(arg, event_id, topic, payload, len);
}

static void
batch_alert(void *arg, const char *rule, const char *event_id,
    const char *severity, const char *opd, const char *message)
{
	char src[RULES_MAX_NAME + 8];

	snprintf(src, sizeof(src), "rule:%s", rule);
	store_batch_add_alert(arg, event_id, severity, opd, src, message);
}

static void
batch_case(void *arg, const char *rule, const char *event_id,
    const char *key, const char *kind, const char *opd, const char *policy,
    const char *severity, const char *title, const char *channel)
{
	(void)rule;
	store_batch_add_case(arg, event_id, key, kind, opd, policy, severity,
	    title, channel);
}

int
router_route(struct router *r, struct store_batch *b, const char *topic,
    const cJSON *doc, const char *payload, size_t len)
{
	struct router_sink k = { batch_publish, batch_alert, batch_case, b };

	return router_route_to(r, &k, topic, doc, payload, len);
}

/* Redacts if the rule asks for it, then applies its actions. */
static int
router_fire(struct router *r, const struct router_sink *k,
    const struct rule *rule, const char *topic, const struct expr_env *env,
    const char *id, const char *payload, size_t len, int *stop)
{
	struct expr_env cenv;
	cJSON *copy;
	int n;

	r->stats.matched++;
	if (!rule_redacts(rule))
		return router_apply(r, k, rule, env, id, payload, len, 0, stop);
	if ((copy = cJSON_Duplicate(env->event, 1)) == NULL)
		fatalx("router: out of memory");
	rule_redact(rule, copy);
	cenv.event = copy;
	cenv.topic = topic;
	n = router_apply(r, k, rule, &cenv, id, payload, len, 1, stop);
	cJSON_Delete(copy);
	return n;
}

/* The reference: every rule, in priority order, through rule_match(). */
static int
route_linear(struct router *r, const struct router_sink *k,
    const char *topic, const struct expr_env *env, const char *id,
    const char *payload, size_t len)
{
	size_t i;
	int n = 0, stop = 0;

	for (i = 0; i < ruleset_count(r->rules) && !stop; i++) {
		const struct rule *rule = ruleset_get(r->rules, i);

		r->stats.evaluated++;
		if (rule_match(rule, topic, env))
			n += router_fire(r, k, rule, topic, env, id, payload,
			    len, &stop);
	}
	return n;
}

int
router_route_to(struct router *r, const struct router_sink *k,
    const char *topic, const cJSON *doc, const char *payload, size_t len)
{
	struct expr_env env = { doc, topic };
	const char *id = str_member(doc, "id");
	const struct tentry *e;
	const struct expr *pred;
	size_t i, pos;
	int n = 0, stop = 0;

	r->stats.events++;
	if (id == NULL || ruleset_count(r->rules) == 0)
		return 0;
	if (r->linear)
		return route_linear(r, k, topic, &env, id, payload, len);
	e = topic_candidates(r, topic);
	if (e->npos == 0)
		return 0;
	index_mark(r, e, &env);
	for (i = 0; i < e->npos && !stop; i++) {
		const struct rule *rule = ruleset_get(r->rules, pos = e->pos[i]);

		/*
		 * The topic index already matched the filter, so of
		 * rule_match() only the flag and the predicate are left.
		 */
		if ((r->rpath[pos] >= 0 || r->rgroup[pos] >= 0) &&
		    r->mark[pos] != r->gen)
			continue;
		if (!rule_enabled(rule))
			continue;
		r->stats.evaluated++;
		pred = rule_predicate(rule);
		if (pred != NULL && expr_eval(pred, &env) != 1)
			continue;
		n += router_fire(r, k, rule, topic, &env, id, payload, len,
		    &stop);
	}
	return n;
}
