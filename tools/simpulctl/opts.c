/*
 * opts: see opts.h.
 *
 * With -c FILE the hub's own loader reads the file, so a file the hub
 * accepts is a file simpulctl accepts, with the same messages for the same
 * mistakes. Without a file the hub's loader cannot be used as it is (it
 * insists on [hub] instance, which simpulctl has no use for), so a table of
 * the few keys simpulctl needs, with the hub's defaults and the hub's
 * environment overrides, stands in for it. The two defaults repeated here
 * must follow hub/config.c.
 */
#include "opts.h"

#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "mqttconf.h"
#include "util.h"

#define F(field) offsetof(struct ctl_conn, field)

static const struct conf_key conn_keys[] = {
	{ "hub", "site", CONF_STR, "karo", 0, 0, F(site), "" },
	{ "postgres", "conninfo", CONF_STR, "dbname=simpul", 0, 0,
	    F(pg_conninfo), "" },
	MQTT_AUTH_CONF_KEYS(F),
};

static const struct conf_env conn_env[] = {
	MQTT_AUTH_ENV_ROWS,
	{ "SIMPUL_PG", "postgres", "conninfo" },
};

void
opts_init(struct ctl_opts *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	/* Each command parses its own argv from the start. */
	optind = 1;
	opterr = 0;
}

int
opts_common(struct ctl_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'c':
		o->config = arg;
		return 1;
	case OPTS_JSON:
		o->json = 1;
		return 1;
	case 'h':
		o->help = 1;
		return 1;
	default:
		return 0;
	}
}

int
opts_bad(const struct ctl_opts *o, char **argv)
{
	/* getopt_long leaves optind past the offending word. */
	fprintf(stderr, "%s: bad option or missing value: %s\n", o->cmd,
	    optind > 0 && argv[optind - 1] != NULL ? argv[optind - 1] : "?");
	fprintf(stderr, "%s --help shows the options\n", o->cmd);
	return CTL_USAGE;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

int
opts_conn_load(const struct ctl_opts *o, struct ctl_conn *c)
{
	struct hub_config hc;
	int errors;

	memset(c, 0, sizeof(*c));
	if (o->config == NULL) {
		errors = conf_load(conn_keys, nitems(conn_keys), c, NULL,
		    NULL);
		errors += conf_apply_env(conn_keys, nitems(conn_keys), c,
		    conn_env, nitems(conn_env));
		errors += MQTT_CONF_RESOLVE(c);
		if (errors > 0) {
			opts_conn_free(c);
			return -1;
		}
		return 0;
	}
	errors = hub_config_load(&hc, o->config);
	if (errors > 0) {
		fprintf(stderr, "%s: %s: %d error%s in the configuration "
		    "(see above)\n", o->cmd, o->config, errors,
		    errors == 1 ? "" : "s");
		hub_config_free(&hc);
		return -1;
	}
	c->site = dup_or_null(hc.site);
	c->pg_conninfo = dup_or_null(hc.pg_conninfo);
	c->mqtt_uri = dup_or_null(hc.mqtt_uri);
	c->mqtt_username = dup_or_null(hc.mqtt_username);
	c->mqtt_password = dup_or_null(hc.mqtt_password);
	c->mqtt_ca_file = dup_or_null(hc.mqtt_ca_file);
	c->mqtt_cert_file = dup_or_null(hc.mqtt_cert_file);
	c->mqtt_key_file = dup_or_null(hc.mqtt_key_file);
	hub_config_free(&hc);
	return 0;
}

void
opts_conn_free(struct ctl_conn *c)
{
	free(c->pg_conninfo);
	free(c->mqtt_uri);
	free(c->mqtt_username);
	free(c->mqtt_password);
	free(c->mqtt_password_file);
	free(c->mqtt_ca_file);
	free(c->mqtt_cert_file);
	free(c->mqtt_key_file);
	free(c->site);
	memset(c, 0, sizeof(*c));
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1, cp = p[i] & 0x1f, min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2, cp = p[i] & 0x0f, min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3, cp = p[i] & 0x07, min = 0x10000;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 &&
		    cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
opts_text(const struct ctl_opts *o, const char *name, const char *value,
    size_t max)
{
	size_t len = strlen(value);

	if (len > max) {
		fprintf(stderr, "%s: %s is %zu bytes long; at most %zu are "
		    "accepted\n", o->cmd, name, len, max);
		return -1;
	}
	if (!utf8_valid(value, len)) {
		fprintf(stderr, "%s: %s is not valid UTF-8\n", o->cmd, name);
		return -1;
	}
	return 0;
}

int
opts_topic(const struct ctl_opts *o, const char *name, const char *value)
{
	if (opts_text(o, name, value, OPTS_TOPIC_MAX) == -1)
		return -1;
	if (*value == '\0' || strpbrk(value, "+#") != NULL) {
		fprintf(stderr, "%s: %s must be a topic name to publish on "
		    "(not empty, no + or # wildcards)\n", o->cmd, name);
		return -1;
	}
	return 0;
}

int
opts_time(const struct ctl_opts *o, const char *name, const char *value,
    struct ctl_time *t)
{
	int64_t ms;

	memset(t, 0, sizeof(*t));
	if (parse_duration_ms(value, &ms) == 0 && ms >= 0) {
		t->set = 1;
		t->relative = 1;
		t->ago_ms = ms;
		return 0;
	}
	if (time_parse_rfc3339(value, &ms) == 0) {
		t->set = 1;
		/* Our own canonical form is what PostgreSQL gets to parse. */
		time_format_rfc3339(ms, t->at);
		return 0;
	}
	fprintf(stderr, "%s: %s wants a duration before now (e.g. 90s, 15m, "
	    "24h, 7d) or an RFC 3339 date-time (e.g. 2026-11-27T08:00:00+07:00), "
	    "got '%s'\n", o->cmd, name, value);
	return -1;
}

int
opts_long(const struct ctl_opts *o, const char *name, const char *value,
    long min, long max, long *out)
{
	if (parse_long(value, min, max, out) == -1) {
		fprintf(stderr, "%s: %s wants a whole number from %ld to %ld, "
		    "got '%s'\n", o->cmd, name, min, max, value);
		return -1;
	}
	return 0;
}

int
opts_duration(const struct ctl_opts *o, const char *name, const char *value,
    int64_t min_ms, int64_t max_ms, int64_t *out)
{
	if (parse_duration_ms(value, out) == -1 || *out < min_ms ||
	    *out > max_ms) {
		fprintf(stderr, "%s: %s wants a duration (e.g. 500ms, 5s, 2m) "
		    "from %lldms to %lldms, got '%s'\n", o->cmd, name,
		    (long long)min_ms, (long long)max_ms, value);
		return -1;
	}
	return 0;
}

int
opts_actor(const struct ctl_opts *o, const char **actor, size_t max)
{
	static char uid[32];
	const char *s;
	struct passwd *pw;

	if (*actor != NULL)
		return 0;
	if ((s = getenv("SUDO_USER")) != NULL && *s != '\0')
		*actor = s;
	else if ((s = getenv("USER")) != NULL && *s != '\0')
		*actor = s;
	else if ((pw = getpwuid(getuid())) != NULL && pw->pw_name != NULL)
		*actor = pw->pw_name;
	else {
		snprintf(uid, sizeof(uid), "uid %ld", (long)getuid());
		*actor = uid;
	}
	return opts_text(o, "the user name ($SUDO_USER, $USER)", *actor, max);
}
