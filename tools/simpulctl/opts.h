/*
 * opts: what simpulctl's database commands share on their command line.
 *
 * Every command takes "-c FILE" (the hub's INI file: [postgres] conninfo,
 * [mqtt] uri, username, password(_file), ca/cert/key_file), "--json" and
 * "-h/--help". The connection settings are read exactly as the hub reads
 * them (the hub's own config table, hub_config_load()), so SIMPUL_PG and
 * the SIMPUL_MQTT_* variables of mqttconf.h (SIMPUL_MQTT_URI, _CA,
 * _USERNAME, _PASSWORD_FILE, _PASS_<USER> ...) override the file as they do
 * for the hub. Without -c the hub's defaults apply, overridden by the same
 * environment variables. There is no password option: a password on the
 * command line is visible to every user of the machine.
 *
 * Arguments that end up in SQL or on the bus are checked here before any
 * connection is made: valid UTF-8, a length limit, times and durations in
 * the accepted forms. What fails is a usage error (exit 2) with a message
 * that names the option. Nothing here ever builds SQL from an argument;
 * values only travel as statement parameters (see db.h).
 */
#ifndef SIMPUL_CTL_OPTS_H
#define SIMPUL_CTL_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit status of every command (see main.c). */
enum ctl_exit {
	CTL_OK = 0,     /* done / healthy */
	CTL_NO = 1,     /* a negative answer: not found, refused, unhealthy */
	CTL_USAGE = 2,  /* bad command line or config file */
	CTL_FAIL = 3,   /* the outside world failed: database, broker */
};

/* Longest text accepted for a filter, an actor name, ... (bytes). */
#define OPTS_TEXT_MAX	4096
/* MQTT's own limit on a topic name (bytes). */
#define OPTS_TOPIC_MAX	65535

/* getopt_long codes of the shared long options without a short form. */
enum { OPTS_JSON = 1000, OPTS_FIRST_FREE = 1100 };

/* The shared entries of a command's option table and short option string. */
#define OPTS_COMMON_LONG \
	{ "config", required_argument, NULL, 'c' }, \
	{ "json", no_argument, NULL, OPTS_JSON }, \
	{ "help", no_argument, NULL, 'h' }
#define OPTS_COMMON_SHORT "c:h"

/* Help text of the shared options, for the commands' usage texts. */
#define OPTS_COMMON_HELP \
	"  -c FILE         the hub's config file ([postgres] conninfo, [mqtt]);\n" \
	"                  SIMPUL_PG, SIMPUL_MQTT_URI, ... override it\n" \
	"  --json          machine-readable output\n" \
	"  -h, --help      this text\n"

struct ctl_opts {
	const char *cmd;    /* "simpulctl dlq replay", for messages */
	const char *config; /* -c FILE, or NULL */
	int json;
	int help;
};

/* Connection settings (heap strings; NULL: not set). */
struct ctl_conn {
	char *pg_conninfo;
	char *mqtt_uri;
	char *mqtt_username;
	char *mqtt_password;
	char *mqtt_password_file;
	char *mqtt_ca_file;
	char *mqtt_cert_file;
	char *mqtt_key_file;
	char *site;
};

/* A time bound: an absolute instant, or "this long before the server's now". */
struct ctl_time {
	int set;
	int relative;    /* 1: ago_ms before now(); 0: at (RFC 3339, UTC) */
	int64_t ago_ms;
	char at[32];     /* canonical RFC 3339 UTC */
};

void opts_init(struct ctl_opts *o, const char *cmd);
/*
 * Handles one of the shared options returned by getopt_long(). Returns 1
 * when ch was one of them, 0 when it is the command's own.
 */
int opts_common(struct ctl_opts *o, int ch, const char *arg);
/* Reports an unknown option or a missing argument; returns CTL_USAGE. */
int opts_bad(const struct ctl_opts *o, char **argv);

/*
 * Reads the connection settings (see the top of this file). Returns 0, or
 * -1 after reporting every problem of the config file.
 */
int opts_conn_load(const struct ctl_opts *o, struct ctl_conn *c);
void opts_conn_free(struct ctl_conn *c);

/*
 * Checks an argument that becomes a statement parameter or a topic: valid
 * UTF-8, at most max bytes. Returns 0, or -1 after saying which option is
 * wrong and why.
 */
int opts_text(const struct ctl_opts *o, const char *name, const char *value,
    size_t max);
/* A topic to publish on: opts_text() plus no wildcards, not empty. */
int opts_topic(const struct ctl_opts *o, const char *name, const char *value);
/* "24h", "90s", "500ms" (ago) or an RFC 3339 date-time. 0 / -1 (reported). */
int opts_time(const struct ctl_opts *o, const char *name, const char *value,
    struct ctl_time *t);
/* A whole number in [min, max]. 0 / -1 (reported). */
int opts_long(const struct ctl_opts *o, const char *name, const char *value,
    long min, long max, long *out);
/* A duration in [min_ms, max_ms]. 0 / -1 (reported). */
int opts_duration(const struct ctl_opts *o, const char *name,
    const char *value, int64_t min_ms, int64_t max_ms, int64_t *out);

/*
 * Who acts, when --actor was not given (*actor NULL): $SUDO_USER (the
 * person behind sudo), else $USER, else the login name of the uid, else
 * "uid N" (environment or static storage), checked as opts_text() does
 * with max. A given --actor is left alone: it was checked when parsed.
 * 0 / -1 (reported).
 */
int opts_actor(const struct ctl_opts *o, const char **actor, size_t max);

/* 1 when p[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *p, size_t len);

#endif
