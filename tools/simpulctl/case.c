/*
 * simpulctl case: the cases the hub opened from events (docs/cases.md), to
 * list, inspect and act on (docs/case-actions.md).
 *
 *   simpulctl case list [--opd O] [--status S] [--due-before W] [--limit N]
 *   simpulctl case show ID [--json]
 *   simpulctl case act ID ACTION [--reason R] [--opd O] [--note N]
 *                     --as operator|supervisor|opd:<opd> [--actor NAME]
 *
 * ID is a human case number (KRO-2026-000123) or the numeric id.
 *
 * Acting goes through the hub's own store_case_act() (hub/store.c), the
 * code the hub runs for <site>/cmd/<who>/case/<action> requests: the same
 * state machine decides, the same history row and case message result.
 * The case message is queued in the outbox in the same transaction; a
 * running hub's relay publishes it within its [outbox] poll interval.
 *
 * --as says in which role the person acts; simpulctl talks to PostgreSQL
 * directly, so the database role in [postgres] conninfo, not --as, is what
 * actually guards this path: give the command-line tool only to people who
 * may act in the roles they claim (the MQTT path is guarded per role by the
 * broker's ACL).
 *
 * Exit status: 0 done; 1 no such case, or the action was refused (the
 * message says why); 2 usage; 3 PostgreSQL failed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "casefsm.h"
#include "ctl.h"
#include "db.h"
#include "log.h"
#include "opts.h"
#include "store.h"
#include "util.h"

#define CASE_LIMIT_DEFAULT	50
#define CASE_LIMIT_MAX		10000
#define CASE_ACTOR_MAX		100

static void
case_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl case list [--opd O] [--status S] [--due-before W]\n"
	    "                           [--limit N] [-c FILE] [--json]\n"
	    "       simpulctl case show ID [-c FILE] [--json]\n"
	    "       simpulctl case act ID ACTION [--reason R] [--opd O] [--note N]\n"
	    "                          --as operator|supervisor|opd:OPD\n"
	    "                          [--actor NAME] [-c FILE] [--json]\n"
	    "\n"
	    "list: cases, soonest deadline first (OVERDUE marks a passed one).\n"
	    "show: one case with its history, escalations and source events.\n"
	    "act:  take ACTION on the case: verify, reject (--reason), assign\n"
	    "      (--opd), acknowledge, resolve (--note), close, reopen.\n"
	    "ID is a case number (KRO-2026-000123) or the numeric id.\n"
	    "\n"
	    "  --opd O         (list) only cases of OPD O; (act) assign to O\n"
	    "  --status S      (list) open (default), all, or one status: new,\n"
	    "                  verified, assigned, acknowledged, resolved, closed,\n"
	    "                  rejected\n"
	    "  --due-before W  (list) due before W: a duration from now (0s:\n"
	    "                  overdue now, 24h: due within a day) or RFC 3339\n"
	    "  --limit N       (list) at most N, 1..%d (default %d)\n"
	    "  --reason R      (act reject) not_valid, not_our_authority or\n"
	    "                  duplicate\n"
	    "  --note N        (act) a note for the history; resolve needs one\n"
	    "  --as ROLE       (act) operator, supervisor or opd:OPD (required)\n"
	    "  --actor NAME    (act) who (default $SUDO_USER, $USER); recorded\n"
	    "                  as ROLE:NAME, e.g. opd:dishub:sinta\n"
	    OPTS_COMMON_HELP
	    "\n"
	    "Times print in RFC 3339 UTC. Exit status: 0 done; 1 no such case or\n"
	    "the action was refused; 2 usage; 3 PostgreSQL failed.\n",
	    CASE_LIMIT_MAX, CASE_LIMIT_DEFAULT);
}

/* The condition that finds a case by its reference (case_ref_is_id()). */
static const char *
case_ref_cond(const char *ref)
{
	return case_ref_is_id(ref) ? "c.id = $1::bigint" : "c.human_id = $1";
}

/* --- list ---------------------------------------------------------------- */

struct list_args {
	const char *opd, *status;
	int due_set, due_relative;
	char due_ms[24], due_at[32];
	long limit;
};

static int
case_list(struct ctl_opts *o, struct db *db, const struct list_args *a)
{
	struct db_sql q;
	struct db_res *r;
	char limit[24];

	if (o->json)
		db_sql_init(&q, "SELECT c.human_id, c.id, c.kind, c.status,"
		    " c.opd, c.severity, c.title, c.channel, c.policy,"
		    " c.deadline_kind AS deadline,"
		    " CASE WHEN c.due_at = 'infinity' THEN 'infinity' ELSE "
		    DB_RFC3339("c.due_at") " END AS due_at,"
		    " coalesce(c.due_at <= now(), false) AS overdue,"
		    " c.escalation_level, c.assignee,"
		    " " DB_RFC3339("c.opened_at") " AS opened_at,"
		    " " DB_RFC3339("c.updated_at") " AS updated_at,"
		    " c.event_count FROM case_record c");
	else
		db_sql_init(&q, "SELECT c.human_id AS \"case\", c.status,"
		    " coalesce(c.opd, '-') AS opd, c.severity,"
		    " CASE WHEN c.due_at IS NULL THEN '-'"
		    "  WHEN c.due_at = 'infinity' THEN 'none (top level)'"
		    "  ELSE " DB_RFC3339("c.due_at") " ||"
		    "  CASE WHEN c.due_at <= now() THEN ' OVERDUE' ELSE '' END"
		    " END AS \"due (UTC)\","
		    " c.escalation_level AS level, c.title FROM case_record c");
	if (a->opd != NULL)
		db_sql_where(&q, "c.opd = $?", a->opd);
	if (strcmp(a->status, "open") == 0)
		db_sql_where(&q, "c.status NOT IN ('closed', 'rejected')",
		    NULL);
	else if (strcmp(a->status, "all") != 0)
		db_sql_where(&q, "c.status = $?", a->status);
	if (a->due_set && a->due_relative)
		db_sql_where(&q, "c.due_at < now() + $?::bigint * "
		    "interval '1 millisecond'", a->due_ms);
	else if (a->due_set)
		db_sql_where(&q, "c.due_at < $?::timestamptz", a->due_at);
	snprintf(limit, sizeof(limit), "%ld", a->limit);
	db_sql_add(&q, " ORDER BY c.due_at NULLS LAST, c.id LIMIT $?::int",
	    limit);
	if ((r = db_sql_run(db, &q)) == NULL)
		return CTL_FAIL;
	db_print_list(r, o->json, "no cases match", 60);
	return CTL_OK;
}

/* --- show ---------------------------------------------------------------- */

static const char sql_case[] =
    "SELECT c.human_id, c.id, c.kind, c.case_key AS key, c.status, c.opd,"
    " c.severity, c.title, c.channel, c.policy, c.deadline_kind AS deadline,"
    " " DB_RFC3339("c.clock_started_at") " AS clock_started_at,"
    " CASE WHEN c.due_at = 'infinity' THEN 'infinity' ELSE "
    DB_RFC3339("c.due_at") " END AS due_at,"
    " coalesce(c.due_at <= now(), false) AS overdue,"
    " c.escalation_level, c.assignee,"
    " " DB_RFC3339("c.opened_at") " AS opened_at,"
    " " DB_RFC3339("c.updated_at") " AS updated_at,"
    " c.event_count, to_json(c.source_event_ids) AS source_event_ids"
    " FROM case_record c WHERE ";
enum { K_HUMAN, K_ID, K_KIND, K_KEY, K_STATUS, K_OPD, K_SEVERITY, K_TITLE,
	K_CHANNEL, K_POLICY, K_DEADLINE, K_CLOCK, K_DUE, K_OVERDUE, K_LEVEL,
	K_ASSIGNEE, K_OPENED, K_UPDATED, K_EVENTS, K_SOURCES };

static const char sql_history[] =
    "SELECT " DB_RFC3339("at") " AS at, actor, actor_kind, action,"
    " from_status, to_status, opd, reason, note FROM case_history"
    " WHERE case_id = $1::bigint ORDER BY at, id";

static const char sql_escalations[] =
    "SELECT level, deadline_kind AS deadline,"
    " " DB_RFC3339("clock_started_at") " AS clock_started_at,"
    " " DB_RFC3339("due_at") " AS due_at,"
    " " DB_RFC3339("escalated_at") " AS escalated_at, escalated_by"
    " FROM case_escalation WHERE case_id = $1::bigint"
    " ORDER BY escalated_at, level";

static void
rows_json(const struct db_res *r, FILE *out)
{
	int i;

	fputc('[', out);
	for (i = 0; i < db_rows(r); i++) {
		if (i > 0)
			fputs(", ", out);
		db_print_json_row(r, i, out);
	}
	fputc(']', out);
}

static void
show_field(const struct db_res *r, const char *label, int col)
{
	const char *v = db_value(r, 0, col);

	printf("  %-17s ", label);
	if (v == NULL)
		printf("-");
	else
		text_put(stdout, v, db_length(r, 0, col), 0, 0);
	printf("\n");
}

static void
show_text(const struct db_res *c, const struct db_res *h,
    const struct db_res *e)
{
	cJSON *ids;
	const cJSON *id;
	const char *v;
	int n;

	printf("case ");
	text_put(stdout, db_value(c, 0, K_HUMAN), db_length(c, 0, K_HUMAN),
	    0, 0);
	printf(" (id %s)\n", db_value(c, 0, K_ID));
	show_field(c, "status", K_STATUS);
	show_field(c, "opd", K_OPD);
	show_field(c, "severity", K_SEVERITY);
	show_field(c, "title", K_TITLE);
	show_field(c, "kind", K_KIND);
	show_field(c, "key", K_KEY);
	show_field(c, "channel", K_CHANNEL);
	show_field(c, "policy", K_POLICY);
	show_field(c, "deadline", K_DEADLINE);
	show_field(c, "clock started", K_CLOCK);
	v = db_value(c, 0, K_DUE);
	printf("  %-17s %s%s\n", "due", v != NULL ? v : "-",
	    v != NULL && strcmp(db_value(c, 0, K_OVERDUE), "t") == 0 ?
	    " OVERDUE" : "");
	show_field(c, "escalation level", K_LEVEL);
	show_field(c, "assignee", K_ASSIGNEE);
	show_field(c, "opened at", K_OPENED);
	show_field(c, "updated at", K_UPDATED);
	show_field(c, "events", K_EVENTS);

	printf("history:\n");
	db_print_table(h, stdout, 2, 60);
	printf("escalations:");
	if (db_rows(e) == 0)
		printf(" none\n");
	else {
		printf("\n");
		db_print_table(e, stdout, 2, 0);
	}
	printf("source events:");
	ids = cJSON_Parse(db_value(c, 0, K_SOURCES));
	n = 0;
	cJSON_ArrayForEach(id, ids) {
		if (!cJSON_IsString(id))
			continue;
		printf("\n  ");
		n++;
		text_put(stdout, id->valuestring, strlen(id->valuestring), 0,
		    0);
	}
	printf("%s\n", n == 0 ? " none" : "");
	cJSON_Delete(ids);
}

static int
case_show(struct ctl_opts *o, struct db *db, const char *ref)
{
	const char *params[1] = { ref };
	const char *idp[1];
	struct db_res *c = NULL, *h = NULL, *e = NULL;
	char *sql;
	int rc = CTL_FAIL;

	sql = xasprintf("%s%s", sql_case, case_ref_cond(ref));
	c = db_query(db, sql, 1, params);
	free(sql);
	if (c == NULL)
		goto out;
	if (db_rows(c) == 0) {
		fprintf(stderr, "%s: no case %s\n", o->cmd, ref);
		rc = CTL_NO;
		goto out;
	}
	idp[0] = db_value(c, 0, K_ID);
	if ((h = db_query(db, sql_history, 1, idp)) == NULL ||
	    (e = db_query(db, sql_escalations, 1, idp)) == NULL)
		goto out;
	if (o->json) {
		printf("{\"case\": ");
		db_print_json_row(c, 0, stdout);
		printf(",\n \"history\": ");
		rows_json(h, stdout);
		printf(",\n \"escalations\": ");
		rows_json(e, stdout);
		printf("}\n");
	} else
		show_text(c, h, e);
	rc = CTL_OK;
out:
	db_res_free(e);
	db_res_free(h);
	db_res_free(c);
	return rc;
}

/* --- act ----------------------------------------------------------------- */

struct act_args {
	const char *reason, *opd, *note, *as, *actor;
};

/* "operator", "supervisor" or "opd:OPD" into who. 0 / -1 (reported). */
static int
parse_role(const struct ctl_opts *o, const char *as, struct case_actor *who)
{
	memset(who, 0, sizeof(*who));
	if (strcmp(as, "operator") == 0)
		who->kind = CASE_ACTOR_OPERATOR;
	else if (strcmp(as, "supervisor") == 0)
		who->kind = CASE_ACTOR_SUPERVISOR;
	else if (strncmp(as, "opd:", 4) == 0 && case_opd_valid(as + 4)) {
		who->kind = CASE_ACTOR_OPD;
		who->opd = as + 4;
	} else {
		fprintf(stderr, "%s: --as wants operator, supervisor or "
		    "opd:OPD (an OPD's short name such as opd:dishub), got "
		    "'%s'\n", o->cmd, as);
		return -1;
	}
	return 0;
}

/* One line about the case as it is now, from the case message JSON. */
static void
act_print(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	const char *k[] = { "case_id", "status", "opd", "deadline", "due_at",
		"escalation_level", "actor" };
	const char *v[nitems(k)];
	char level[16];
	const cJSON *f;
	size_t i;

	for (i = 0; i < nitems(k); i++) {
		f = cJSON_GetObjectItemCaseSensitive(j, k[i]);
		v[i] = cJSON_IsString(f) ? f->valuestring : "-";
		if (cJSON_IsNumber(f)) {
			snprintf(level, sizeof(level), "%d", f->valueint);
			v[i] = level;
		}
	}
	printf("case ");
	text_put(stdout, v[0], strlen(v[0]), 0, 0);
	printf(" is now %s (OPD %s", v[1], v[2]);
	if (strcmp(v[3], "-") != 0)
		printf(", %s deadline %s, escalation level %s", v[3], v[4],
		    v[5]);
	printf(") by ");
	text_put(stdout, v[6], strlen(v[6]), 0, 0);
	printf("\n");
	cJSON_Delete(j);
}

static int
case_act(struct ctl_opts *o, const struct ctl_conn *conn, const char *ref,
    const char *action, const struct act_args *a)
{
	struct case_actor who;
	struct case_act act;
	struct store *s;
	char *name, *json = NULL, err[512];
	int rc;

	if (parse_role(o, a->as, &who) == -1)
		return CTL_USAGE;
	if (who.kind == CASE_ACTOR_OPD)
		name = xasprintf("opd:%s:%s", who.opd, a->actor);
	else
		name = xasprintf("%s:%s", case_actor_kind_name(who.kind),
		    a->actor);
	memset(&act, 0, sizeof(act));
	act.case_ref = ref;
	act.action = action;
	act.actor = &who;
	act.actor_name = name;
	act.arg = strcmp(action, "reject") == 0 ? a->reason :
	    strcmp(action, "assign") == 0 ? a->opd : NULL;
	act.note = a->note;

	s = store_new(conn->pg_conninfo, "simpulctl", conn->site);
	if (store_connect(s) == -1) {
		fprintf(stderr, "%s: cannot connect to PostgreSQL (see "
		    "above)\n", o->cmd);
		rc = CTL_FAIL;
		goto out;
	}
	rc = store_case_act(s, &act, &json, err, sizeof(err));
	if (rc == 1) {
		fprintf(stderr, "%s: refused: %s\n", o->cmd, err);
		rc = CTL_NO;
	} else if (rc == -1) {
		fprintf(stderr, "%s: %s\n", o->cmd, err);
		rc = CTL_FAIL;
	} else {
		if (o->json)
			printf("%s\n", json);
		else
			act_print(json);
		rc = CTL_OK;
	}
out:
	free(json);
	free(name);
	store_free(s);
	return rc;
}

/* --- the command --------------------------------------------------------- */

/* --due-before: a duration from now or an RFC 3339 time. 0 / -1. */
static int
parse_due_before(const struct ctl_opts *o, const char *v, struct list_args *a)
{
	int64_t ms;

	if (parse_duration_ms(v, &ms) == 0 && ms >= 0) {
		a->due_set = a->due_relative = 1;
		snprintf(a->due_ms, sizeof(a->due_ms), "%lld", (long long)ms);
		return 0;
	}
	if (time_parse_rfc3339(v, &ms) == 0) {
		a->due_set = 1;
		time_format_rfc3339(ms, a->due_at);
		return 0;
	}
	fprintf(stderr, "%s: --due-before wants a duration from now (e.g. 0s, "
	    "4h, 2d) or an RFC 3339 date-time, got '%s'\n", o->cmd, v);
	return -1;
}

static int
status_ok(const char *s)
{
	enum case_status st;

	return strcmp(s, "open") == 0 || strcmp(s, "all") == 0 ||
	    case_status_parse(s, &st) == 0;
}

int
cmd_case(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "opd", required_argument, NULL, 'o' },
		{ "status", required_argument, NULL, 's' },
		{ "due-before", required_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'n' },
		{ "reason", required_argument, NULL, 'r' },
		{ "note", required_argument, NULL, 'N' },
		{ "as", required_argument, NULL, 'A' },
		{ "actor", required_argument, NULL, 'a' },
		OPTS_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	/* Which subcommand each option belongs to ('o' is list's and act's). */
	static const struct {
		int ch;
		const char *sub;
	} owner[] = {
		{ 's', "list" }, { 'd', "list" }, { 'n', "list" },
		{ 'r', "act" }, { 'N', "act" }, { 'A', "act" }, { 'a', "act" },
	};
	struct ctl_opts o;
	struct ctl_conn conn;
	struct list_args la;
	struct act_args aa;
	struct db *db;
	const char *sub, *cmd, *ref = NULL, *action = NULL;
	enum case_action act;
	int ch, rc;
	size_t k;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		case_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "list") == 0)
		cmd = "simpulctl case list";
	else if (strcmp(sub, "show") == 0)
		cmd = "simpulctl case show";
	else if (strcmp(sub, "act") == 0)
		cmd = "simpulctl case act";
	else {
		fprintf(stderr, "simpulctl case: unknown subcommand '%s' (list, "
		    "show or act)\n", sub);
		return CTL_USAGE;
	}
	argc--;
	argv++;
	memset(&la, 0, sizeof(la));
	la.limit = CASE_LIMIT_DEFAULT;
	la.status = "open";
	memset(&aa, 0, sizeof(aa));
	opts_init(&o, cmd);
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		for (k = 0; k < nitems(owner); k++)
			if (owner[k].ch == ch &&
			    strcmp(owner[k].sub, sub) != 0) {
				fprintf(stderr, "%s: %s belongs to case %s\n",
				    cmd, argv[optind - 1], owner[k].sub);
				return CTL_USAGE;
			}
		switch (ch) {
		case 'o':
			if (strcmp(sub, "show") == 0) {
				fprintf(stderr, "%s: --opd belongs to case list "
				    "and case act\n", cmd);
				return CTL_USAGE;
			}
			if (!case_opd_valid(optarg)) {
				fprintf(stderr, "%s: --opd wants an OPD's short "
				    "name (lower case, e.g. dishub), got '%s'\n",
				    cmd, optarg);
				return CTL_USAGE;
			}
			la.opd = aa.opd = optarg;
			break;
		case 's':
			if (!status_ok(optarg)) {
				fprintf(stderr, "%s: --status wants open, all "
				    "or a status (new, verified, assigned, "
				    "acknowledged, resolved, closed, rejected), "
				    "got '%s'\n", cmd, optarg);
				return CTL_USAGE;
			}
			la.status = optarg;
			break;
		case 'd':
			if (parse_due_before(&o, optarg, &la) == -1)
				return CTL_USAGE;
			break;
		case 'n':
			if (opts_long(&o, "--limit", optarg, 1, CASE_LIMIT_MAX,
			    &la.limit))
				return CTL_USAGE;
			break;
		case 'r':
			if (opts_text(&o, "--reason", optarg, 64))
				return CTL_USAGE;
			aa.reason = optarg;
			break;
		case 'N':
			if (opts_text(&o, "--note", optarg, CASE_NOTE_MAX))
				return CTL_USAGE;
			aa.note = optarg;
			break;
		case 'A':
			aa.as = optarg;
			break;
		case 'a':
			if (opts_text(&o, "--actor", optarg, CASE_ACTOR_MAX))
				return CTL_USAGE;
			aa.actor = optarg;
			break;
		default:
			return opts_bad(&o, argv);
		}
	}
	if (o.help) {
		case_usage(stdout);
		return CTL_OK;
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc) {
			fprintf(stderr, "%s: unexpected argument '%s'\n", cmd,
			    argv[optind]);
			return CTL_USAGE;
		}
	} else if (strcmp(sub, "show") == 0) {
		if (argc - optind != 1) {
			fprintf(stderr, "%s: wants exactly one case ID\n", cmd);
			return CTL_USAGE;
		}
		ref = argv[optind];
	} else {
		if (argc - optind != 2) {
			fprintf(stderr, "%s: wants a case ID and an ACTION\n",
			    cmd);
			return CTL_USAGE;
		}
		ref = argv[optind];
		action = argv[optind + 1];
		if (case_action_parse(action, &act) == -1 ||
		    act == CASE_ACTION_ESCALATE) {
			fprintf(stderr, "%s: ACTION is one of verify, reject, "
			    "assign, acknowledge, resolve, close, reopen; got "
			    "'%s'\n", cmd, action);
			return CTL_USAGE;
		}
		if (aa.reason != NULL && act != CASE_ACTION_REJECT) {
			fprintf(stderr, "%s: --reason belongs to reject\n",
			    cmd);
			return CTL_USAGE;
		}
		if (aa.opd != NULL && act != CASE_ACTION_ASSIGN) {
			fprintf(stderr, "%s: --opd belongs to assign\n", cmd);
			return CTL_USAGE;
		}
		if (aa.as == NULL) {
			fprintf(stderr, "%s: --as operator|supervisor|opd:OPD "
			    "is required: it says in which role you act\n",
			    cmd);
			return CTL_USAGE;
		}
		if (opts_actor(&o, &aa.actor, CASE_ACTOR_MAX))
			return CTL_USAGE;
	}
	if (ref != NULL && (opts_text(&o, "ID", ref, CASE_REF_MAX) ||
	    *ref == '\0'))
		return CTL_USAGE;
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	if (strcmp(sub, "act") == 0) {
		rc = case_act(&o, &conn, ref, action, &aa);
		opts_conn_free(&conn);
		return rc;
	}
	if ((db = db_open(conn.pg_conninfo, cmd)) == NULL) {
		opts_conn_free(&conn);
		return CTL_FAIL;
	}
	if (strcmp(sub, "list") == 0)
		rc = case_list(&o, db, &la);
	else
		rc = case_show(&o, db, ref);
	db_close(db);
	opts_conn_free(&conn);
	return rc;
}
