/*
 * mqttconf: see mqttconf.h. Reads password files and checks the TLS files
 * before a client connects; mqttauth.c hands the result to Paho.
 */
#include "mqttconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Longer lines in a password file are refused rather than cut. */
#define PASSWORD_MAX 256
/* "SIMPUL_MQTT_PASS_" + a broker user name of deploy/broker-setup. */
#define ENV_NAME_MAX 128

static const char *const tls_schemes[] = { "ssl://", "mqtts://", "wss://" };
static const char *const all_schemes[] = {
	"tcp://", "mqtt://", "ws://", "ssl://", "mqtts://", "wss://",
};

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
mqtt_conf_is_tls(const char *uri)
{
	size_t i;

	for (i = 0; i < nitems(tls_schemes); i++)
		if (uri != NULL && has_prefix(uri, tls_schemes[i]))
			return 1;
	return 0;
}

int
mqtt_conf_split_uri(const char *uri, char *host, size_t hostsize, int *port)
{
	static const char *const tcp_schemes[] = {
		"tcp://", "mqtt://", "ssl://", "mqtts://",
	};
	const char *h, *end, *colon;
	size_t i, n;
	long p;
	char *pend;

	for (i = 0; i < nitems(tcp_schemes); i++)
		if (uri != NULL && has_prefix(uri, tcp_schemes[i]))
			break;
	if (i == nitems(tcp_schemes))
		return -1;
	h = uri + strlen(tcp_schemes[i]);
	if (*h == '[') {
		if ((end = strchr(++h, ']')) == NULL)
			return -1;
		colon = end[1] == ':' ? end + 1 : end[1] == '\0' ? NULL : h;
		if (colon == h)
			return -1;
	} else {
		colon = strchr(h, ':');
		end = colon != NULL ? colon : h + strlen(h);
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= hostsize || memchr(h, '/', n) != NULL)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon == NULL) {
		*port = mqtt_conf_is_tls(uri) ? 8883 : 1883;
		return 0;
	}
	errno = 0;
	p = strtol(colon + 1, &pend, 10);
	if (errno != 0 || pend == colon + 1 || *pend != '\0' || p < 1 ||
	    p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

/* Reads the first line of path; -1 (logged) if unreadable or empty. */
static int
read_password_file(const char *path, char **out)
{
	char line[PASSWORD_MAX + 2];
	FILE *f;
	size_t n;
	int rv = -1;

	f = fopen(path, "re");
	if (f == NULL) {
		log_warn("mqtt: password_file %s", path);
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		log_warnx("mqtt: password_file %s: empty", path);
		goto out;
	}
	n = strcspn(line, "\r\n");
	if (n == strlen(line) && !feof(f) && n >= PASSWORD_MAX) {
		log_warnx("mqtt: password_file %s: first line longer than %d "
		    "bytes", path, PASSWORD_MAX);
		goto out;
	}
	line[n] = '\0';
	if (n == 0) {
		log_warnx("mqtt: password_file %s: empty first line", path);
		goto out;
	}
	*out = xstrdup(line);
	rv = 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rv;
}

/* SIMPUL_MQTT_PASS_<USERNAME>, as deploy/stack's stack.env names it. */
static const char *
env_password(const char *username)
{
	char name[ENV_NAME_MAX];
	size_t i, n;

	n = strlcpy_s(name, "SIMPUL_MQTT_PASS_", sizeof(name));
	for (i = 0; username[i] != '\0' && n + 1 < sizeof(name); i++, n++) {
		char c = username[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '-')
			c = '_';
		name[n] = c;
	}
	if (username[i] != '\0')
		return NULL;
	name[n] = '\0';
	return getenv(name);
}

int
mqtt_conf_password(const char *username, const char *password,
    const char *password_file, char **out)
{
	const char *env;

	*out = NULL;
	if (password != NULL && *password != '\0') {
		*out = xstrdup(password);
		return 0;
	}
	if (password_file != NULL && *password_file != '\0')
		return read_password_file(password_file, out);
	if (username != NULL && *username != '\0' &&
	    (env = env_password(username)) != NULL && *env != '\0')
		*out = xstrdup(env);
	return 0;
}

static int
check_file(const char *key, const char *path)
{
	if (path == NULL)
		return 0;
	if (access(path, R_OK) == -1) {
		log_warnx("mqtt: %s %s: %s", key, path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
loopback_uri(const char *uri)
{
	const char *host = strstr(uri, "://");

	host = host != NULL ? host + 3 : uri;
	return has_prefix(host, "127.") || has_prefix(host, "localhost") ||
	    has_prefix(host, "[::1]");
}

int
mqtt_conf_check(const struct mqtt_auth *a)
{
	size_t i;
	int rv = 0;

	for (i = 0; i < nitems(all_schemes); i++)
		if (a->uri != NULL && has_prefix(a->uri, all_schemes[i]))
			break;
	if (i == nitems(all_schemes)) {
		log_warnx("mqtt: uri %s: want tcp://HOST:PORT or "
		    "ssl://HOST:PORT", a->uri != NULL ? a->uri : "(none)");
		rv = -1;
	}
	if (check_file("ca_file", a->ca_file) == -1 ||
	    check_file("cert_file", a->cert_file) == -1 ||
	    check_file("key_file", a->key_file) == -1)
		rv = -1;
	if (a->cert_file != NULL && a->key_file == NULL)
		log_info("mqtt: no key_file; the key is expected in "
		    "cert_file %s", a->cert_file);
	if (rv == 0 && a->password != NULL && !mqtt_conf_is_tls(a->uri) &&
	    !loopback_uri(a->uri))
		log_warnx("mqtt: uri %s is not TLS: the password crosses the "
		    "network in clear (use ssl://)", a->uri);
	return rv;
}


int
mqtt_conf_resolve(struct mqtt_auth *a, char **password,
    const char *password_file)
{
	char *pw;

	a->password = NULL;
	if (mqtt_conf_password(a->username, *password, password_file,
	    &pw) == -1)
		return 1;
	free(*password);
	*password = pw;
	a->password = pw;
	return mqtt_conf_check(a) == -1 ? 1 : 0;
}
