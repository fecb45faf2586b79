/*
 * router: see router.h.
 *
 * Rendering failures (a field the template needs is missing, a value that
 * would add topic levels, a result too long) skip that one action and are
 * counted; the event itself is stored regardless.
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

struct router {
	struct ruleset *rules;
	struct topic_index *index;
	char *site;
	size_t *hits; /* candidate rule positions, one slot per rule */
	size_t nhits;
	struct router_stats stats;
};

struct router *
router_new(struct ruleset *rs, const char *site)
{
	struct router *r = xcalloc(1, sizeof(*r));
	size_t i, n = ruleset_count(rs);

	r->rules = rs;
	r->site = xstrdup(site);
	r->index = topic_index_new();
	r->hits = xcalloc(n + 1, sizeof(*r->hits));
	for (i = 0; i < n; i++) {
		const struct rule *rule = ruleset_get(rs, i);

		/* The value is the rule's position: lower is earlier. */
		if (topic_index_add(r->index, rule_filter(rule),
		    (void *)(uintptr_t)(i + 1)) == -1)
			log_warnx("router: rule '%s' has an unusable topic "
			    "filter '%s'; it never matches", rule_name(rule),
			    rule_filter(rule));
	}
	return r;
}

void
router_free(struct router *r)
{
	if (r == NULL)
		return;
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

int
router_route_to(struct router *r, const struct router_sink *k,
    const char *topic, const cJSON *doc, const char *payload, size_t len)
{
	struct expr_env env = { doc, topic };
	const char *id = str_member(doc, "id");
	size_t i;
	int n = 0, stop = 0;

	r->stats.events++;
	if (id == NULL || ruleset_count(r->rules) == 0)
		return 0;
	r->nhits = 0;
	topic_index_match(r->index, topic, collect, r);
	if (r->nhits == 0)
		return 0;
	qsort(r->hits, r->nhits, sizeof(*r->hits), cmp_pos);
	for (i = 0; i < r->nhits && !stop; i++) {
		const struct rule *rule = ruleset_get(r->rules, r->hits[i]);
		cJSON *copy = NULL;

		if (!rule_match(rule, topic, &env))
			continue;
		r->stats.matched++;
		if (rule_redacts(rule)) {
			struct expr_env cenv;

			if ((copy = cJSON_Duplicate(doc, 1)) == NULL)
				fatalx("router: out of memory");
			rule_redact(rule, copy);
			cenv.event = copy;
			cenv.topic = topic;
			n += router_apply(r, k, rule, &cenv, id, payload, len,
			    1, &stop);
			cJSON_Delete(copy);
		} else {
			n += router_apply(r, k, rule, &env, id, payload, len,
			    0, &stop);
		}
	}
	return n;
}
