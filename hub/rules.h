/*
 * rules: the routing-rule model, the YAML rule-file loader and the JSON form
 * of one rule.
 *
 * A rule has a name, an enabled flag, a priority, an MQTT topic filter, an
 * optional predicate (hub/expr.h) and a list of actions:
 *
 *   route   publish a copy of the event to a topic template
 *   case    open or update a case (keyed by a template) for an OPD, with an
 *           SLA policy, a severity and a title template
 *   alert   raise an alert with a severity for an OPD, with a message
 *   redact  remove or mask fields in everything the rule publishes
 *   stop    rules of lower priority do not see the event
 *
 * docs/rules.md is the reference of the file format for admins. The same
 * builder reads a rule from a YAML file (simpulctl rules apply) and from its
 * JSON form (rule.definition in PostgreSQL), so both accept exactly the same
 * rules and give the same messages; errors from a file carry the file name,
 * line and column ("karo.yaml:12:9: rule 'x': unknown action 'rout' ...")
 * and every error of a file is reported, not just the first.
 *
 * Ownership: a ruleset owns its rules; a rule owns its strings, compiled
 * predicate, templates and actions. Everything reachable from a const
 * pointer returned here lives as long as the rule (or ruleset) and is
 * read-only, so several router threads may share a loaded ruleset.
 */
#ifndef SIMPUL_RULES_H
#define SIMPUL_RULES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "expr.h"
#include "template.h"

#define RULES_MAX_FILE (1024 * 1024)	/* bytes of one rule file */
#define RULES_MAX_RULES 10000		/* rules in one file or ruleset */
#define RULES_MAX_ACTIONS 32		/* actions of one rule */
#define RULES_MAX_FIELDS 32		/* fields of one redact action */
#define RULES_MAX_NAME 64		/* [a-z0-9-], first not '-' */
#define RULES_MAX_TEXT 1024		/* description, topic filter */
#define RULES_MAX_DEPTH 16		/* YAML/JSON nesting */
#define RULES_MAX_NODES 200000		/* YAML/JSON values in one file */
#define RULE_ERRORS_MAX 100		/* messages kept in rule_errors */

/*
 * The errors of one load, in the order found (mostly file order). Each
 * message is "file:line:col: text" for a file, "text" for JSON. Only the
 * first RULE_ERRORS_MAX are kept; total counts all of them.
 */
struct rule_errors {
	char *msg[RULE_ERRORS_MAX];
	size_t count;	/* messages in msg[] */
	size_t total;	/* errors found (>= count) */
};

void rule_errors_init(struct rule_errors *errs);
/* Frees the messages and empties errs. */
void rule_errors_clear(struct rule_errors *errs);

enum rule_action_kind {
	RULE_ROUTE,
	RULE_CASE,
	RULE_ALERT,
	RULE_REDACT,
	RULE_STOP
};

/* From the most severe down; the names are the YAML words. */
enum rule_severity {
	RULE_SEV_CRITICAL,
	RULE_SEV_MAJOR,
	RULE_SEV_MINOR,
	RULE_SEV_WARNING
};

enum rule_redact_mode {
	RULE_REDACT_REMOVE,
	RULE_REDACT_MASK
};

/*
 * One action. Which members are set depends on kind (the others are NULL
 * or 0):
 *   RULE_ROUTE   topic
 *   RULE_CASE    key, opd, policy, severity, title
 *   RULE_ALERT   severity, opd, message
 *   RULE_REDACT  fields, nfields, mode
 *   RULE_STOP    nothing
 * Render topic and opd with template_render_topic() (an OPD name becomes a
 * topic level: {site}/alert/<severity>/<opd>, {site}/case/<opd>/...), and
 * the key, title and message with template_render(). The loader has already
 * checked that their literal text is sound (no wildcards; an opd is one
 * level and, when literal, a valid OPD name); values from the event are
 * checked when rendering.
 */
struct rule_action {
	enum rule_action_kind kind;
	struct template *topic;
	struct template *key;
	struct template *opd;
	char *policy;			/* SLA policy name, e.g. "complaint" */
	enum rule_severity severity;
	struct template *title;
	struct template *message;
	char **fields;			/* "data.reporter.contact", ... */
	size_t nfields;
	enum rule_redact_mode mode;
};

struct rule;
struct ruleset;

/* "critical", "major", "minor", "warning". */
const char *rule_severity_name(enum rule_severity sev);
const char *rule_action_name(enum rule_action_kind kind);

/*
 * Loads a rule file. site is the hub's site prefix ("karo"): it replaces
 * {site} in topic filters (templates keep {site} and get the site when
 * rendered). Returns NULL if the file has any error, and then errs (if not
 * NULL) lists all of them; a YAML syntax error ends the check at that
 * point, since YAML cannot be resynchronised after one. Rules come out
 * sorted by priority, highest first, then by name.
 */
struct ruleset *ruleset_load_yaml(const char *path, const char *site,
    struct rule_errors *errs);
/* The same for text in memory; name_for_errors prefixes the messages. */
struct ruleset *ruleset_parse_yaml(const char *text, size_t len,
    const char *name_for_errors, const char *site, struct rule_errors *errs);

/* An empty ruleset, to fill with rule_from_json() and ruleset_add_take(). */
struct ruleset *ruleset_new(void);
/*
 * Adds r, keeping the priority/name order. Takes ownership of r in every
 * case: on failure (a rule of that name is already there, or the ruleset
 * holds RULES_MAX_RULES) r is freed and -1 returned. Costs O(n).
 */
int ruleset_add_take(struct ruleset *rs, struct rule *r);
void ruleset_free(struct ruleset *rs);
size_t ruleset_count(const struct ruleset *rs);
/* The i-th rule in priority order; NULL when i >= ruleset_count(). */
const struct rule *ruleset_get(const struct ruleset *rs, size_t i);
/* The rule with that name, or NULL. */
const struct rule *ruleset_find(const struct ruleset *rs, const char *name);

/* A rule's parts. */
const char *rule_name(const struct rule *r);
const char *rule_description(const struct rule *r);	/* NULL if none */
int rule_enabled(const struct rule *r);
int rule_priority(const struct rule *r);
/* The filter as written ("{site}/ev/+/+/sp2d.rejected") and as used. */
const char *rule_topic(const struct rule *r);
const char *rule_filter(const struct rule *r);
/* The predicate's source and compiled form; both NULL without one. */
const char *rule_when(const struct rule *r);
const struct expr *rule_predicate(const struct rule *r);
size_t rule_action_count(const struct rule *r);
const struct rule_action *rule_action(const struct rule *r, size_t i);
/* 1 if the rule has a stop action. */
int rule_stops(const struct rule *r);
/* 1 if the rule has at least one redact action. */
int rule_redacts(const struct rule *r);

/*
 * 1 if r is enabled, its filter matches topic and its predicate (if any) is
 * true for the event in env (NULL: no event, so a predicate that reads
 * the event is false); else 0. A router that found r through a
 * topic_index may call it anyway: the filter test is cheap.
 */
int rule_match(const struct rule *r, const char *topic,
    const struct expr_env *env);

/*
 * Applies every redact action of r to event (the caller's own copy: the
 * stored event is never redacted). Everything a rule publishes (routed
 * copies, the text of its alerts and cases) is made from that copy, so a
 * redact protects a field wherever it stands in the rule's action list.
 * remove deletes the field; mask replaces a string by one that keeps at
 * most its first and last 4 characters (a third of its length each:
 * "081234567890" becomes "0812****7890") and any other non-null value by
 * "****". Fields that are absent are skipped. Returns the number of fields
 * changed.
 */
int rule_redact(const struct rule *r, cJSON *event);

/*
 * The JSON form of a rule: the same keys as in YAML ({"name": ...,
 * "enabled": true, "priority": 100, "topic": "{site}/ev/...", "when": ...,
 * "actions": [{"route": "..."}, ..., "stop"]}), with every default written
 * out. rule_from_json(rule_to_json(r)) gives back the same rule, and the
 * JSON does not depend on key order (PostgreSQL's jsonb reorders keys).
 */
cJSON *rule_to_json(const struct rule *r);
/*
 * Builds a rule from its JSON form. Returns NULL on error with the first
 * message in err ("rule 'x': alert: unknown severity 'high' ...", followed
 * by "(and N more errors)" when there are more).
 */
struct rule *rule_from_json(const cJSON *j, const char *site, char *err,
    size_t errlen);
void rule_free(struct rule *r);

#endif
