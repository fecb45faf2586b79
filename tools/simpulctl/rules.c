/*
 * simpulctl rules: the routing rules in PostgreSQL.
 *
 *   simpulctl rules apply FILE.yaml [--dry-run] [--actor NAME]
 *   simpulctl rules test FILE.yaml [--since W] [--limit N] [--json]
 *   simpulctl rules list [--json]
 *   simpulctl rules history [NAME] [--limit N] [--json]
 *
 * apply loads a declarative set in one transaction: rules in the file are
 * created or updated, enabled rules missing from the file are disabled
 * (never deleted: history stays readable). The file is compiled with the
 * hub's own loader first, so a rule that would not run is refused with its
 * line and column and nothing changes. The rule table's trigger records
 * who changed what (the actor) and notifies running hubs, which reload
 * within a second. --dry-run shows the same diff and rolls back.
 *
 * test evaluates a rule set against stored events with the hub's own
 * router and prints what it would have routed, opened and alerted.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "db.h"
#include "log.h"
#include "opts.h"
#include "router.h"
#include "rules.h"
#include "util.h"

#define TEST_LIMIT_MAX 1000000
#define TEST_EXAMPLES 3

static void
rules_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl rules apply FILE.yaml [--dry-run] [--actor NAME]\n"
	    "       simpulctl rules test FILE.yaml [--since W] [--limit N] [--json]\n"
	    "       simpulctl rules list [--json]\n"
	    "       simpulctl rules history [NAME] [--limit N] [--json]\n\n"
	    "  apply     load a declarative rule set in one transaction: create,\n"
	    "            update, and disable the enabled rules the file lacks\n"
	    "  test      run a rule set against stored events (default: the last\n"
	    "            24h, at most 10000) and print what it would do\n"
	    "  list      the rules in force\n"
	    "  history   who changed which rule, when, from what to what\n\n"
	    "  --dry-run       show the changes, change nothing\n"
	    "  --actor NAME    recorded in the history (default $SUDO_USER, $USER)\n"
	    "  --since W       events stored since W (24h, 90m, RFC 3339)\n"
	    "  --limit N       at most N events / history rows\n"
	    OPTS_COMMON_HELP);
}

/* Compiles the file; prints every error. NULL if any. */
static struct ruleset *
load_file(const char *cmd, const char *path, const char *site)
{
	struct rule_errors errs;
	struct ruleset *rs;
	size_t i;

	rule_errors_init(&errs);
	rs = ruleset_load_yaml(path, site, &errs);
	if (rs == NULL) {
		for (i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		if (errs.total > errs.count)
			fprintf(stderr, "... and %zu more errors\n",
			    errs.total - errs.count);
		fprintf(stderr, "%s: %s refused: nothing changed\n", cmd, path);
	}
	rule_errors_clear(&errs);
	return rs;
}

static char *
rule_json_text(const struct rule *r)
{
	cJSON *j = rule_to_json(r);
	char *s = cJSON_PrintUnformatted(j);

	cJSON_Delete(j);
	if (s == NULL)
		fatalx("rules: out of memory");
	return s;
}

static int
rules_apply(const struct ctl_opts *o, struct db *db, const char *path,
    const char *site, int dry_run, const char *actor)
{
	struct ruleset *rs;
	struct db_res *res;
	size_t i;
	int created = 0, updated = 0, disabled = 0, same = 0, rc = CTL_FAIL;
	int j;

	if ((rs = load_file(o->cmd, path, site)) == NULL)
		return CTL_NO;
	if (db_command(db, "BEGIN", 0, NULL) < 0)
		goto out;
	{
		const char *p[1] = { actor };

		/* The trigger records this as the actor; local to the
		 * transaction. */
		if ((res = db_query(db, "SELECT set_config('simpul.actor', $1, "
		    "true)", 1, p)) == NULL)
			goto rollback;
		db_res_free(res);
	}
	if (db_command(db, "LOCK TABLE rule IN SHARE ROW EXCLUSIVE MODE", 0,
	    NULL) < 0)
		goto rollback;
	for (i = 0; i < ruleset_count(rs); i++) {
		const struct rule *r = ruleset_get(rs, i);
		char *def = rule_json_text(r), prio[16];
		const char *en = rule_enabled(r) ? "true" : "false";
		const char *p[5] = { rule_name(r), en, prio, def, actor };
		const char *what;

		snprintf(prio, sizeof(prio), "%d", rule_priority(r));
		res = db_query(db, "SELECT enabled = $2::boolean, "
		    "priority = $3::integer, definition = $4::jsonb "
		    "FROM rule WHERE name = $1", 4, p);
		if (res == NULL) {
			free(def);
			goto rollback;
		}
		if (db_rows(res) == 0) {
			what = "create";
			created++;
			if (db_command(db, "INSERT INTO rule (name, enabled, "
			    "priority, definition, updated_by) VALUES ($1, "
			    "$2::boolean, $3::integer, $4::jsonb, $5)", 5,
			    p) < 0) {
				db_res_free(res);
				free(def);
				goto rollback;
			}
			printf("+ %-40s create (priority %s%s)\n", rule_name(r),
			    prio, rule_enabled(r) ? "" : ", disabled");
		} else if (strcmp(db_value(res, 0, 0), "t") == 0 &&
		    strcmp(db_value(res, 0, 1), "t") == 0 &&
		    strcmp(db_value(res, 0, 2), "t") == 0) {
			what = NULL;
			same++;
		} else {
			what = "update";
			updated++;
			if (db_command(db, "UPDATE rule SET enabled = "
			    "$2::boolean, priority = $3::integer, definition = "
			    "$4::jsonb, version = version + 1, updated_at = "
			    "now(), updated_by = $5 WHERE name = $1", 5,
			    p) < 0) {
				db_res_free(res);
				free(def);
				goto rollback;
			}
			printf("~ %-40s update (%s%s%s)\n", rule_name(r),
			    strcmp(db_value(res, 0, 0), "t") != 0 ?
			    (rule_enabled(r) ? "enabled " : "disabled ") : "",
			    strcmp(db_value(res, 0, 1), "t") != 0 ?
			    "priority " : "",
			    strcmp(db_value(res, 0, 2), "t") != 0 ?
			    "definition" : "");
		}
		(void)what;
		db_res_free(res);
		free(def);
	}
	/* Enabled rules the file does not name are disabled. */
	res = db_query(db, "SELECT name FROM rule WHERE enabled ORDER BY name",
	    0, NULL);
	if (res == NULL)
		goto rollback;
	for (j = 0; j < db_rows(res); j++) {
		const char *name = db_value(res, j, 0);
		const char *p[2] = { name, actor };

		if (ruleset_find(rs, name) != NULL)
			continue;
		if (db_command(db, "UPDATE rule SET enabled = false, version = "
		    "version + 1, updated_at = now(), updated_by = $2 "
		    "WHERE name = $1", 2, p) < 0) {
			db_res_free(res);
			goto rollback;
		}
		printf("- %-40s disable (not in %s)\n", name, path);
		disabled++;
	}
	db_res_free(res);
	if (dry_run) {
		db_command(db, "ROLLBACK", 0, NULL);
		printf("dry run: %d to create, %d to update, %d to disable, "
		    "%d unchanged; nothing changed\n", created, updated,
		    disabled, same);
		rc = CTL_OK;
		goto out;
	}
	if (db_command(db, "COMMIT", 0, NULL) < 0)
		goto out;
	printf("applied %s: %d created, %d updated, %d disabled, %d "
	    "unchanged (actor %s)\n", path, created, updated, disabled, same,
	    actor);
	rc = CTL_OK;
	goto out;
rollback:
	db_command(db, "ROLLBACK", 0, NULL);
out:
	ruleset_free(rs);
	return rc;
}

struct test_rule {
	const char *name;
	long routes, alerts, cases, examples;
};

struct test_ctx {
	struct test_rule *rules;	/* in priority order, for the report */
	struct test_rule **byname;	/* the same, sorted by name */
	size_t nrules;
	int json;
	cJSON *out; /* --json: array of outputs */
	long routes, alerts, cases;
};

static int
cmp_test_rule(const void *a, const void *b)
{
	const struct test_rule *x = *(struct test_rule *const *)a;
	const struct test_rule *y = *(struct test_rule *const *)b;

	return strcmp(x->name, y->name);
}

/*
 * A binary search: a linear one cost more per output than routing the
 * event with 1,000 rules, and bench-rules (c) counts the sink's time.
 */
static struct test_rule *
test_rule(struct test_ctx *t, const char *name)
{
	struct test_rule key = { .name = name }, *kp = &key, **hit;

	hit = bsearch(&kp, t->byname, t->nrules, sizeof(*t->byname),
	    cmp_test_rule);
	if (hit == NULL)
		fatalx("rules test: unknown rule %s", name);
	return *hit;
}

static void
test_publish(void *arg, const char *rule, const char *event_id,
    const char *topic, const char *payload, size_t len)
{
	struct test_ctx *t = arg;
	struct test_rule *r = test_rule(t, rule);

	(void)payload;
	r->routes++;
	t->routes++;
	if (t->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "action", "publish");
		cJSON_AddStringToObject(o, "rule", rule);
		cJSON_AddStringToObject(o, "event_id", event_id);
		cJSON_AddStringToObject(o, "topic", topic);
		cJSON_AddNumberToObject(o, "bytes", (double)len);
		cJSON_AddItemToArray(t->out, o);
	} else if (r->examples++ < TEST_EXAMPLES) {
		printf("  publish  %-28s %s -> %s\n", rule, event_id, topic);
	}
}

static void
test_alert(void *arg, const char *rule, const char *event_id,
    const char *severity, const char *opd, const char *message)
{
	struct test_ctx *t = arg;
	struct test_rule *r = test_rule(t, rule);

	r->alerts++;
	t->alerts++;
	if (t->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "action", "alert");
		cJSON_AddStringToObject(o, "rule", rule);
		cJSON_AddStringToObject(o, "event_id", event_id);
		cJSON_AddStringToObject(o, "severity", severity);
		cJSON_AddStringToObject(o, "opd", opd);
		cJSON_AddStringToObject(o, "message", message);
		cJSON_AddItemToArray(t->out, o);
	} else if (r->examples++ < TEST_EXAMPLES) {
		printf("  alert    %-28s %s %s/%s \"%s\"\n", rule, event_id,
		    severity, opd, message);
	}
}

static void
test_case(void *arg, const char *rule, const char *event_id, const char *key,
    const char *kind, const char *opd, const char *policy,
    const char *severity, const char *title, const char *channel)
{
	struct test_ctx *t = arg;
	struct test_rule *r = test_rule(t, rule);

	(void)kind;
	(void)channel;
	r->cases++;
	t->cases++;
	if (t->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "action", "case");
		cJSON_AddStringToObject(o, "rule", rule);
		cJSON_AddStringToObject(o, "event_id", event_id);
		cJSON_AddStringToObject(o, "key", key);
		cJSON_AddStringToObject(o, "opd", opd);
		cJSON_AddStringToObject(o, "policy", policy);
		cJSON_AddStringToObject(o, "severity", severity);
		cJSON_AddStringToObject(o, "title", title);
		cJSON_AddItemToArray(t->out, o);
	} else if (r->examples++ < TEST_EXAMPLES) {
		printf("  case     %-28s %s %s opd=%s policy=%s \"%s\"\n", rule,
		    event_id, key, opd, policy, title);
	}
}

static int
rules_test(const struct ctl_opts *o, struct db *db, const char *path,
    const char *site, const struct ctl_time *since, long limit)
{
	struct router_sink sink = { test_publish, test_alert, test_case, NULL };
	struct test_ctx t;
	struct ruleset *rs;
	struct router *router;
	struct db_res *res;
	char lim[24], ago[24];
	const char *p[2] = { lim, NULL };
	size_t i;
	int n, events = 0;

	if ((rs = load_file(o->cmd, path, site)) == NULL)
		return CTL_NO;
	memset(&t, 0, sizeof(t));
	t.json = o->json;
	t.out = cJSON_CreateArray();
	t.nrules = ruleset_count(rs);
	t.rules = xcalloc(t.nrules + 1, sizeof(*t.rules));
	t.byname = xcalloc(t.nrules + 1, sizeof(*t.byname));
	for (i = 0; i < t.nrules; i++) {
		t.rules[i].name = rule_name(ruleset_get(rs, i));
		t.byname[i] = &t.rules[i];
	}
	qsort(t.byname, t.nrules, sizeof(*t.byname), cmp_test_rule);
	router = router_new(rs, site); /* takes rs; names stay valid */
	sink.arg = &t;
	snprintf(lim, sizeof(lim), "%ld", limit);
	if (since->relative) {
		snprintf(ago, sizeof(ago), "%lld", (long long)since->ago_ms);
		p[1] = ago;
		res = db_query(db, "SELECT topic, (attrs || jsonb_build_object("
		    "'data', data))::text FROM event WHERE stored_at >= now() - "
		    "$2::bigint * interval '1 millisecond' ORDER BY stored_at "
		    "LIMIT $1::bigint", 2, p);
	} else {
		p[1] = since->at;
		res = db_query(db, "SELECT topic, (attrs || jsonb_build_object("
		    "'data', data))::text FROM event WHERE stored_at >= "
		    "$2::timestamptz ORDER BY stored_at LIMIT $1::bigint", 2,
		    p);
	}
	if (res == NULL) {
		router_free(router);
		free(t.rules);
		free(t.byname);
		cJSON_Delete(t.out);
		return CTL_FAIL;
	}
	n = db_rows(res);
	if (!t.json)
		printf("rule set %s (%zu rules) against %d stored events:\n",
		    path, t.nrules, n);
	for (events = 0; events < n; events++) {
		const char *text = db_value(res, events, 1);
		cJSON *doc = cJSON_Parse(text);

		if (doc == NULL)
			continue;
		router_route_to(router, &sink, db_value(res, events, 0), doc,
		    text, strlen(text));
		cJSON_Delete(doc);
	}
	db_res_free(res);
	if (t.json) {
		cJSON *top = cJSON_CreateObject();
		char *s;

		cJSON_AddNumberToObject(top, "events", n);
		cJSON_AddNumberToObject(top, "published", (double)t.routes);
		cJSON_AddNumberToObject(top, "alerts", (double)t.alerts);
		cJSON_AddNumberToObject(top, "cases", (double)t.cases);
		cJSON_AddItemToObject(top, "outputs", t.out);
		t.out = NULL;
		s = cJSON_Print(top);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(top);
	} else {
		printf("\n%-40s %8s %8s %8s\n", "rule", "publish", "alerts",
		    "cases");
		for (i = 0; i < t.nrules; i++)
			printf("%-40s %8ld %8ld %8ld\n", t.rules[i].name,
			    t.rules[i].routes, t.rules[i].alerts,
			    t.rules[i].cases);
		printf("total: %d events, %ld publishes, %ld alerts, %ld case "
		    "openings or updates\n", n, t.routes, t.alerts, t.cases);
	}
	cJSON_Delete(t.out);
	router_free(router);
	free(t.rules);
	free(t.byname);
	return CTL_OK;
}

static int
rules_list(const struct ctl_opts *o, struct db *db)
{
	struct db_res *res = db_query(db, "SELECT name, enabled, priority, "
	    "version, " DB_RFC3339("updated_at") " AS updated_at, updated_by, "
	    "definition->>'topic' AS topic, coalesce(definition->>'when', '') "
	    "AS when FROM rule ORDER BY enabled DESC, priority DESC, name", 0,
	    NULL);

	if (res == NULL)
		return CTL_FAIL;
	if (o->json)
		db_print_json(res, stdout);
	else
		db_print_table(res, stdout, 0, 60);
	db_res_free(res);
	return CTL_OK;
}

static int
rules_history(const struct ctl_opts *o, struct db *db, const char *name,
    long limit)
{
	char lim[24];
	const char *p[2] = { lim, name };
	struct db_res *res;

	snprintf(lim, sizeof(lim), "%ld", limit);
	res = db_query(db, "SELECT id, " DB_RFC3339("at") " AS at, name, op, "
	    "actor, CASE WHEN op = 'update' THEN concat_ws(' ', "
	    "CASE WHEN before->'priority' IS DISTINCT FROM after->'priority' "
	    "THEN 'priority ' || (before->>'priority') || '->' || "
	    "(after->>'priority') END, "
	    "CASE WHEN before->'definition' IS DISTINCT FROM "
	    "after->'definition' THEN 'definition' END) ELSE '' END AS change "
	    "FROM rule_history WHERE $2::text IS NULL OR name = $2 "
	    "ORDER BY id DESC LIMIT $1::bigint", 2, p);
	if (res == NULL)
		return CTL_FAIL;
	if (o->json)
		db_print_json(res, stdout);
	else
		db_print_table(res, stdout, 0, 60);
	db_res_free(res);
	return CTL_OK;
}

int
cmd_rules(int argc, char **argv)
{
	static const struct option longopts[] = {
		OPTS_COMMON_LONG,
		{ "dry-run", no_argument, NULL, 'D' },
		{ "actor", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o;
	struct ctl_conn conn;
	struct ctl_time since;
	struct db *db;
	const char *sub, *actor = NULL, *arg = NULL;
	char cmd[64];
	long limit = -1;
	int ch, dry_run = 0, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		rules_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "apply") != 0 && strcmp(sub, "test") != 0 &&
	    strcmp(sub, "list") != 0 && strcmp(sub, "history") != 0) {
		fprintf(stderr, "simpulctl rules: unknown subcommand '%s'\n",
		    sub);
		rules_usage(stderr);
		return CTL_USAGE;
	}
	snprintf(cmd, sizeof(cmd), "simpulctl rules %s", sub);
	opts_init(&o, cmd);
	memset(&since, 0, sizeof(since));
	since.set = 1;
	since.relative = 1;
	since.ago_ms = 24LL * 3600 * 1000;
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		switch (ch) {
		case 'D':
			dry_run = 1;
			break;
		case 'a':
			if (opts_text(&o, "--actor", optarg, 200))
				return CTL_USAGE;
			actor = optarg;
			break;
		case 'S':
			if (opts_time(&o, "--since", optarg, &since))
				return CTL_USAGE;
			break;
		case 'n':
			if (opts_long(&o, "--limit", optarg, 1, TEST_LIMIT_MAX,
			    &limit))
				return CTL_USAGE;
			break;
		default:
			return opts_bad(&o, argv);
		}
	}
	if (o.help) {
		rules_usage(stdout);
		return CTL_OK;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "%s: too many arguments\n", cmd);
		return CTL_USAGE;
	}
	if (argc - optind == 1)
		arg = argv[optind];
	if ((strcmp(sub, "apply") == 0 || strcmp(sub, "test") == 0) &&
	    arg == NULL) {
		fprintf(stderr, "%s: wants a rule file\n", cmd);
		return CTL_USAGE;
	}
	if (strcmp(sub, "list") == 0 && arg != NULL) {
		fprintf(stderr, "%s: takes no argument\n", cmd);
		return CTL_USAGE;
	}
	if (arg != NULL && strcmp(sub, "history") == 0 &&
	    opts_text(&o, "NAME", arg, 64))
		return CTL_USAGE;
	if (strcmp(sub, "apply") == 0 && opts_actor(&o, &actor, 200))
		return CTL_USAGE;
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	if ((db = db_open(conn.pg_conninfo, cmd)) == NULL) {
		opts_conn_free(&conn);
		return CTL_FAIL;
	}
	if (strcmp(sub, "apply") == 0)
		rc = rules_apply(&o, db, arg, conn.site, dry_run, actor);
	else if (strcmp(sub, "test") == 0)
		rc = rules_test(&o, db, arg, conn.site, &since,
		    limit > 0 ? limit : 10000);
	else if (strcmp(sub, "list") == 0)
		rc = rules_list(&o, db);
	else
		rc = rules_history(&o, db, arg, limit > 0 ? limit : 50);
	db_close(db);
	opts_conn_free(&conn);
	return rc;
}
