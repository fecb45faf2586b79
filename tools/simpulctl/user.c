/*
 * simpulctl user: the people who may sign in to the operator console
 * (simpul-console, docs/console.md; table console_user).
 *
 *   simpulctl user add NAME --role R [--opd O] [--display "..."]
 *   simpulctl user passwd NAME
 *   simpulctl user disable NAME
 *   simpulctl user enable NAME
 *   simpulctl user list [--json]
 *
 * Roles: operator, supervisor, opd (needs --opd: the officer's agency),
 * admin. The password is read from standard input, never from the command
 * line (which other users see in ps and shells keep in their history): on
 * a terminal it is asked twice without echo, otherwise the first line is
 * taken. It is stored as a libsodium crypto_pwhash_str() string (argon2id
 * with libsodium's interactive limits). Disabling a user ends their
 * sessions at once (their next request is refused); add and passwd also
 * end the sessions of that name.
 *
 * Exit status: 0 done; 1 the user exists (add) or does not (others); 2
 * usage, or a bad password; 3 PostgreSQL failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "casefsm.h"
#include "ctl.h"
#include "db.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#define USER_PASSWORD_MIN 8
#define USER_PASSWORD_MAX 1024
#define USER_DISPLAY_MAX 200

/*
 * The console's roles: console/policy.c's role_names and the CHECK on
 * console_user.role (hub/migrations/0005_console.sql) have the same four.
 */
static const char *const roles[] = { "operator", "supervisor", "opd",
	"admin" };
#define USER_ROLES_TEXT "operator, supervisor, opd or admin"

static void
user_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl user add NAME --role R [--opd O] [--display TEXT]\n"
	    "       simpulctl user passwd NAME\n"
	    "       simpulctl user disable NAME\n"
	    "       simpulctl user enable NAME\n"
	    "       simpulctl user list [--json]\n"
	    "\n"
	    "Console users. The password is read from stdin (asked twice on a\n"
	    "terminal), never from the command line; at least %d bytes.\n"
	    "\n"
	    "  --role R        " USER_ROLES_TEXT "\n"
	    "  --opd O         (role opd) the officer's OPD, e.g. dishub\n"
	    "  --display TEXT  the name shown in the console\n"
	    OPTS_COMMON_HELP
	    "\n"
	    "Exit status: 0 done; 1 the user exists (add) or does not; 2 usage\n"
	    "or a bad password; 3 PostgreSQL failed.\n", USER_PASSWORD_MIN);
}

/* 1 for ^[a-z][a-z0-9._-]{0,63}$, the column's CHECK. */
static int
name_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* One line from stdin without its newline; echo off on a terminal. */
static int
read_line(const char *prompt, char *out, size_t outlen)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;
	char *ok;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(out, (int)outlen, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (ok == NULL)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == outlen - 1)
		return -1; /* longer than the buffer */
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

/* Reads the password and hashes it into hash. 0 / -1 (reported). */
static int
read_password(const struct ctl_opts *o, char hash[crypto_pwhash_STRBYTES])
{
	char pw[USER_PASSWORD_MAX + 2], again[USER_PASSWORD_MAX + 2];
	int rc = -1;

	if (read_line("password: ", pw, sizeof(pw)) == -1) {
		fprintf(stderr, "%s: no password on stdin (or longer than %d "
		    "bytes)\n", o->cmd, USER_PASSWORD_MAX);
		goto out;
	}
	if (strlen(pw) < USER_PASSWORD_MIN || !utf8_valid(pw, strlen(pw))) {
		fprintf(stderr, "%s: the password must be %d to %d bytes of "
		    "UTF-8\n", o->cmd, USER_PASSWORD_MIN, USER_PASSWORD_MAX);
		goto out;
	}
	if (isatty(STDIN_FILENO) && (read_line("again: ", again,
	    sizeof(again)) == -1 || strcmp(pw, again) != 0)) {
		fprintf(stderr, "%s: the passwords differ\n", o->cmd);
		goto out;
	}
	if (crypto_pwhash_str(hash, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		fprintf(stderr, "%s: hashing failed (out of memory)\n",
		    o->cmd);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(again, sizeof(again));
	return rc;
}

struct user_args {
	const char *role, *opd, *display;
};

static int
user_add(struct ctl_opts *o, struct db *db, const char *name,
    const struct user_args *a, const char *hash)
{
	const char *params[5] = { name, a->display != NULL ? a->display : "",
		a->role, a->opd, hash };
	long n;

	n = db_command(db, "INSERT INTO console_user (name, display, role,"
	    " opd, pwhash) VALUES ($1, $2, $3, $4, $5)"
	    " ON CONFLICT (name) DO NOTHING", 5, params);
	if (n == -1)
		return CTL_FAIL;
	if (n == 0) {
		fprintf(stderr, "%s: user %s exists (passwd changes the "
		    "password)\n", o->cmd, name);
		return CTL_NO;
	}
	printf("user %s added (%s%s%s)\n", name, a->role,
	    a->opd != NULL ? " of " : "", a->opd != NULL ? a->opd : "");
	return CTL_OK;
}

/* Runs sql ($1 the name) and ends the user's sessions, in one transaction. */
static int
user_change(struct ctl_opts *o, struct db *db, const char *sql, int n,
    const char *const *params, const char *done)
{
	long rows;

	if (db_command(db, "BEGIN", 0, NULL) == -1)
		return CTL_FAIL;
	if ((rows = db_command(db, sql, n, params)) == -1 ||
	    db_command(db, "DELETE FROM console_session WHERE user_name = $1",
	    1, params) == -1 || db_command(db, rows == 1 ? "COMMIT" :
	    "ROLLBACK", 0, NULL) == -1) {
		(void)db_command(db, "ROLLBACK", 0, NULL);
		return CTL_FAIL;
	}
	if (rows == 0) {
		fprintf(stderr, "%s: no user %s\n", o->cmd, params[0]);
		return CTL_NO;
	}
	printf("user %s %s\n", params[0], done);
	return CTL_OK;
}

static int
user_list(struct ctl_opts *o, struct db *db)
{
	struct db_res *r;

	r = db_query(db, "SELECT name, role, coalesce(opd, '') AS opd,"
	    " display, disabled, " DB_RFC3339("created_at") " AS created_at,"
	    " (SELECT count(*) FROM console_session s WHERE s.user_name = u.name"
	    "  AND s.expires > now()) AS sessions"
	    " FROM console_user u ORDER BY name", 0, NULL);
	if (r == NULL)
		return CTL_FAIL;
	db_print_list(r, o->json, "no users", 40);
	return CTL_OK;
}

static int
role_valid(const char *role)
{
	size_t i;

	for (i = 0; i < nitems(roles); i++)
		if (strcmp(role, roles[i]) == 0)
			return 1;
	return 0;
}

static int
check_args(const struct ctl_opts *o, const char *sub, const char *name,
    const struct user_args *a)
{
	if (strcmp(sub, "list") == 0)
		return 0;
	if (name == NULL || !name_valid(name)) {
		fprintf(stderr, "%s: NAME wants ^[a-z][a-z0-9._-]{0,63}$\n",
		    o->cmd);
		return -1;
	}
	if (strcmp(sub, "add") != 0) {
		if (a->role != NULL || a->opd != NULL || a->display != NULL) {
			fprintf(stderr, "%s: --role, --opd and --display "
			    "belong to user add\n", o->cmd);
			return -1;
		}
		return 0;
	}
	if (a->role == NULL || !role_valid(a->role)) {
		fprintf(stderr, "%s: --role wants " USER_ROLES_TEXT "\n",
		    o->cmd);
		return -1;
	}
	if ((strcmp(a->role, "opd") == 0) != (a->opd != NULL) ||
	    (a->opd != NULL && !case_opd_valid(a->opd))) {
		fprintf(stderr, "%s: --opd (an OPD short name such as dishub) "
		    "goes with --role opd, and only with it\n", o->cmd);
		return -1;
	}
	if (a->display != NULL && opts_text(o, "--display", a->display,
	    USER_DISPLAY_MAX))
		return -1;
	return 0;
}

int
cmd_user(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "opd", required_argument, NULL, 'o' },
		{ "display", required_argument, NULL, 'D' },
		OPTS_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const subs[] = { "add", "passwd", "disable",
		"enable", "list" };
	struct ctl_opts o;
	struct ctl_conn conn;
	struct user_args a;
	struct db *db;
	const char *sub, *name, *params[2];
	char cmd[64], hash[crypto_pwhash_STRBYTES];
	int ch, rc;
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		user_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	sub = argv[1];
	for (i = 0; i < nitems(subs) && strcmp(sub, subs[i]) != 0; i++)
		;
	if (i == nitems(subs)) {
		fprintf(stderr, "simpulctl user: unknown subcommand '%s'\n",
		    sub);
		user_usage(stderr);
		return CTL_USAGE;
	}
	snprintf(cmd, sizeof(cmd), "simpulctl user %s", sub);
	argc--;
	argv++;
	opts_init(&o, cmd);
	memset(&a, 0, sizeof(a));
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		switch (ch) {
		case 'r':
			a.role = optarg;
			break;
		case 'o':
			a.opd = optarg;
			break;
		case 'D':
			a.display = optarg;
			break;
		default:
			return opts_bad(&o, argv);
		}
	}
	if (o.help) {
		user_usage(stdout);
		return CTL_OK;
	}
	if (argc - optind != (strcmp(sub, "list") == 0 ? 0 : 1)) {
		fprintf(stderr, "%s: wants %s\n", cmd, strcmp(sub, "list") ==
		    0 ? "no arguments" : "NAME");
		return CTL_USAGE;
	}
	name = strcmp(sub, "list") == 0 ? NULL : argv[optind];
	if (check_args(&o, sub, name, &a) == -1)
		return CTL_USAGE;
	if (sodium_init() < 0) {
		fprintf(stderr, "%s: libsodium failed to initialise\n", cmd);
		return CTL_FAIL;
	}
	/* Asked before connecting: no session waits while someone types. */
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) &&
	    read_password(&o, hash) == -1)
		return CTL_USAGE;
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	if ((db = db_open(conn.pg_conninfo, cmd)) == NULL) {
		opts_conn_free(&conn);
		return CTL_FAIL;
	}
	params[0] = name;
	params[1] = hash;
	if (strcmp(sub, "add") == 0)
		rc = user_add(&o, db, name, &a, hash);
	else if (strcmp(sub, "passwd") == 0)
		rc = user_change(&o, db, "UPDATE console_user SET pwhash = $2,"
		    " updated_at = now() WHERE name = $1", 2, params,
		    "has a new password; their sessions ended");
	else if (strcmp(sub, "disable") == 0)
		rc = user_change(&o, db, "UPDATE console_user SET disabled ="
		    " true, updated_at = now() WHERE name = $1", 1, params,
		    "disabled; their sessions ended");
	else if (strcmp(sub, "enable") == 0)
		rc = user_change(&o, db, "UPDATE console_user SET disabled ="
		    " false, updated_at = now() WHERE name = $1", 1, params,
		    "enabled");
	else
		rc = user_list(&o, db);
	sodium_memzero(hash, sizeof(hash));
	db_close(db);
	opts_conn_free(&conn);
	return rc;
}
