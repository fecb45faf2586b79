/*
 * simpulctl migrate: applies the hub's SQL migrations, or lists them.
 *
 *   simpulctl migrate [-c FILE] [--json]            apply what is missing
 *   simpulctl migrate --status [-c FILE] [--json]   applied or pending
 *
 * The migrations are the numbered SQL files of hub/migrations, compiled
 * into the hub library, and are applied by the hub's own code
 * (store_migrate(): one transaction per migration, under an advisory lock,
 * so running this while hubs start is safe). A simpulctl built with a hub therefore always carries exactly
 * that hub's schema.
 *
 * Exit status: 0 done / every migration applied; 1 (--status) some are
 * pending; 2 usage; 3 PostgreSQL unreachable or a migration failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "db.h"
#include "opts.h"
#include "store.h"
#include "util.h"

#define MIGRATE_MAX 1000

struct migration_list {
	char *name[MIGRATE_MAX];
	int applied[MIGRATE_MAX];
	int n;
	int pending;
};

static void
migrate_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl migrate [--status] [-c FILE] [--json]\n"
	    "\n"
	    "Applies the hub's database migrations that are missing (the same\n"
	    "code the hub runs at start), or with --status lists each one as\n"
	    "applied or pending.\n"
	    "\n"
	    "  --status        list only, change nothing\n"
	    OPTS_COMMON_HELP
	    "\n"
	    "Exit status: 0 done (--status: all applied), 1 (--status) some\n"
	    "pending, 2 usage, 3 PostgreSQL unreachable or a migration failed.\n");
}

static void
collect(void *arg, const char *name, int applied)
{
	struct migration_list *l = arg;

	if (l->n >= MIGRATE_MAX)
		return;
	l->name[l->n] = xstrdup(name);
	l->applied[l->n] = applied;
	if (!applied)
		l->pending++;
	l->n++;
}

static void
print_list(const struct migration_list *l, int json, int applied_now)
{
	int i;

	if (json) {
		printf("{");
		if (applied_now >= 0)
			printf("\"applied_now\": %d, ", applied_now);
		printf("\"pending\": %d, \"migrations\": [", l->pending);
		for (i = 0; i < l->n; i++) {
			printf("%s{\"name\": ", i > 0 ? ", " : "");
			json_put_string(stdout, l->name[i],
			    strlen(l->name[i]));
			printf(", \"applied\": %s}", l->applied[i] ? "true" :
			    "false");
		}
		printf("]}\n");
		return;
	}
	if (applied_now >= 0)
		printf("applied %d migration%s now; ", applied_now,
		    applied_now == 1 ? "" : "s");
	if (l->pending == 0)
		printf("schema is up to date\n");
	else
		printf("%d migration%s pending\n", l->pending,
		    l->pending == 1 ? "" : "s");
	for (i = 0; i < l->n; i++)
		printf("  %-40s %s\n", l->name[i], l->applied[i] ? "applied" :
		    "pending");
}

int
cmd_migrate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "status", no_argument, NULL, 's' },
		OPTS_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o;
	struct ctl_conn conn;
	struct migration_list list;
	struct store *st = NULL;
	struct db *db;
	int ch, status = 0, applied = -1, rc = CTL_FAIL, i;

	memset(&list, 0, sizeof(list));
	opts_init(&o, "simpulctl migrate");
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		if (ch == 's')
			status = 1;
		else
			return opts_bad(&o, argv);
	}
	if (o.help) {
		migrate_usage(stdout);
		return CTL_OK;
	}
	if (optind != argc) {
		migrate_usage(stderr);
		return CTL_USAGE;
	}
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	/* For its plain message when the server is unreachable. */
	if ((db = db_open(conn.pg_conninfo, o.cmd)) == NULL)
		goto out;
	db_close(db);
	st = store_new(conn.pg_conninfo, "simpulctl", conn.site);
	if (store_connect(st) == -1) {
		fprintf(stderr, "%s: cannot connect to PostgreSQL (see "
		    "above)\n", o.cmd);
		goto out;
	}
	if (!status && (applied = store_migrate(st)) == -1) {
		fprintf(stderr, "%s: a migration failed (see above); the ones "
		    "before it stay applied\n", o.cmd);
		goto out;
	}
	if (store_migration_status(st, collect, &list) == -1) {
		fprintf(stderr, "%s: cannot read the applied migrations (see "
		    "above)\n", o.cmd);
		goto out;
	}
	print_list(&list, o.json, applied);
	rc = status && list.pending > 0 ? CTL_NO : CTL_OK;
out:
	for (i = 0; i < list.n; i++)
		free(list.name[i]);
	store_free(st);
	opts_conn_free(&conn);
	return rc;
}
