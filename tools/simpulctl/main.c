/*
 * simpulctl: the command line for admins and integrators. Each command
 * family lives in its own file and exposes one entry point
 * "int cmd_<name>(int argc, char **argv)" that returns the exit status:
 * 0 success, 1 a negative answer (invalid payload, failed health check),
 * 2 usage error, 3 an outside failure (database, broker).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "validate", cmd_validate,
	    "check a CloudEvent (or any JSON) against Simpul's schemas" },
	{ "migrate", cmd_migrate,
	    "apply the hub's database migrations, or list them (--status)" },
	{ "health", cmd_health,
	    "check PostgreSQL, the broker, checkpoints and the outbox" },
	{ "events", cmd_events,
	    "stored events: query (newest first) or tail (live feed)" },
	{ "dlq", cmd_dlq,
	    "dead letters: list, show, replay" },
	{ "rules", cmd_rules,
	    "routing rules: apply a YAML set, test it, list, history" },
	{ "case", cmd_case,
	    "cases: list, show, act (verify, assign, resolve, ...)" },
	{ "calendar", cmd_calendar,
	    "holiday calendar: list, add, remove, import" },
	{ "user", cmd_user,
	    "console users: add, passwd, disable, enable, list" },
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: simpulctl COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nsimpulctl COMMAND --help shows a command's options.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	log_init("simpulctl", LOG_LEVEL_WARN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "simpulctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
