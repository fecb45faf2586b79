/*
 * mqttconf: where an MQTT client's password comes from (the key, the file,
 * the stack's SIMPUL_MQTT_PASS_<USER>), and the checks that catch a wrong
 * CA or key path before the first handshake, with a message that names the
 * file and never the password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "mqttconf.h"
#include "testlib.h"
#include "util.h"

static char dir[] = "/tmp/test_mqttconf.XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_password_sources(void)
{
	char *pw = NULL;
	const char *file;

	setenv("SIMPUL_MQTT_PASS_ADAPTER_DISHUB", "from-env", 1);
	/* The key wins over everything. */
	CHECK_INT(mqtt_conf_password("adapter-dishub", "inline", "/nonexistent",
	    &pw), 0);
	CHECK_STR(pw, "inline");
	free(pw);
	/* Then the file's first line, without its newline. */
	file = write_file("pw", "s3cret-line\nsecond line\n");
	CHECK_INT(mqtt_conf_password("adapter-dishub", NULL, file, &pw), 0);
	CHECK_STR(pw, "s3cret-line");
	free(pw);
	file = write_file("pw-crlf", "crlf-pw\r\n");
	CHECK_INT(mqtt_conf_password(NULL, "", file, &pw), 0);
	CHECK_STR(pw, "crlf-pw");
	free(pw);
	/* Then the stack's variable for the user: upper case, '-' as '_'. */
	CHECK_INT(mqtt_conf_password("adapter-dishub", NULL, NULL, &pw), 0);
	CHECK_STR(pw, "from-env");
	free(pw);
	CHECK_INT(mqtt_conf_password("adapter-dishub", NULL, "", &pw), 0);
	CHECK_STR(pw, "from-env");
	free(pw);
	/* Nothing at all: no password (anonymous, or a broker without). */
	CHECK_INT(mqtt_conf_password("nobody", NULL, NULL, &pw), 0);
	CHECK(pw == NULL);
	CHECK_INT(mqtt_conf_password(NULL, NULL, NULL, &pw), 0);
	CHECK(pw == NULL);
	unsetenv("SIMPUL_MQTT_PASS_ADAPTER_DISHUB");
}

static void
test_password_file_errors(void)
{
	struct capture c;
	char *pw = (char *)1;
	char longline[400];
	const char *file, *text;

	capture_start(&c);
	CHECK_INT(mqtt_conf_password("hub", NULL, "/nonexistent/pw", &pw), -1);
	text = capture_end(&c);
	CHECK(pw == NULL);
	CHECK(strstr(text, "mqtt: password_file /nonexistent/pw") != NULL);

	file = write_file("empty", "");
	capture_start(&c);
	CHECK_INT(mqtt_conf_password("hub", NULL, file, &pw), -1);
	text = capture_end(&c);
	CHECK(strstr(text, ": empty") != NULL);

	file = write_file("blank", "\nsecret-on-line-2\n");
	capture_start(&c);
	CHECK_INT(mqtt_conf_password("hub", NULL, file, &pw), -1);
	text = capture_end(&c);
	CHECK(strstr(text, "empty first line") != NULL);
	CHECK(strstr(text, "secret-on-line-2") == NULL);

	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	file = write_file("long", longline);
	capture_start(&c);
	CHECK_INT(mqtt_conf_password("hub", NULL, file, &pw), -1);
	text = capture_end(&c);
	CHECK(strstr(text, "longer than") != NULL);
	CHECK(strstr(text, "xxxxxxxx") == NULL);
}

static void
test_check(void)
{
	struct mqtt_auth a;
	struct capture c;
	const char *ca, *text;

	ca = write_file("ca.crt", "-----BEGIN CERTIFICATE-----\n");
	memset(&a, 0, sizeof(a));
	a.uri = "ssl://127.0.0.1:8883";
	a.username = "hub";
	a.password = "pw";
	a.ca_file = ca;
	CHECK_INT(mqtt_conf_check(&a), 0);

	a.ca_file = "/nonexistent/ca.crt";
	capture_start(&c);
	CHECK_INT(mqtt_conf_check(&a), -1);
	text = capture_end(&c);
	CHECK(strstr(text, "mqtt: ca_file /nonexistent/ca.crt: No such file "
	    "or directory") != NULL);

	a.ca_file = ca;
	a.key_file = "/nonexistent/key.pem";
	capture_start(&c);
	CHECK_INT(mqtt_conf_check(&a), -1);
	text = capture_end(&c);
	CHECK(strstr(text, "mqtt: key_file /nonexistent/key.pem") != NULL);
	a.key_file = NULL;

	a.uri = "http://127.0.0.1:8883";
	capture_start(&c);
	CHECK_INT(mqtt_conf_check(&a), -1);
	text = capture_end(&c);
	CHECK(strstr(text, "want tcp://HOST:PORT or ssl://HOST:PORT") != NULL);

	/* A password in clear across the network is allowed but said. */
	a.uri = "tcp://broker.karokab.go.id:1883";
	capture_start(&c);
	CHECK_INT(mqtt_conf_check(&a), 0);
	text = capture_end(&c);
	CHECK(strstr(text, "the password crosses the network in clear") !=
	    NULL);
	a.uri = "tcp://127.0.0.1:1883";
	capture_start(&c);
	CHECK_INT(mqtt_conf_check(&a), 0);
	text = capture_end(&c);
	CHECK(strstr(text, "in clear") == NULL);

	CHECK(mqtt_conf_is_tls("ssl://h:1"));
	CHECK(mqtt_conf_is_tls("mqtts://h:1"));
	CHECK(mqtt_conf_is_tls("wss://h:1"));
	CHECK(!mqtt_conf_is_tls("tcp://h:1"));
	CHECK(!mqtt_conf_is_tls(NULL));
}

static void
test_resolve(void)
{
	struct mqtt_auth a;
	char *pw = strdup("old");
	const char *file;

	file = write_file("pw2", "from-file\n");
	memset(&a, 0, sizeof(a));
	a.uri = "ssl://127.0.0.1:8883";
	a.username = "hub";
	/* A password key set in the file wins over password_file... */
	CHECK_INT(mqtt_conf_resolve(&a, &pw, file), 0);
	CHECK_STR(pw, "old");
	CHECK(a.password == pw);
	free(pw);
	/* ...and without one, the file's. */
	pw = NULL;
	CHECK_INT(mqtt_conf_resolve(&a, &pw, file), 0);
	CHECK_STR(pw, "from-file");
	CHECK(a.password == pw);
	free(pw);
}

static void
test_split_uri(void)
{
	static const struct {
		const char *uri, *host;
		int port;
	} good[] = {
		{ "tcp://127.0.0.1:18830", "127.0.0.1", 18830 },
		{ "ssl://broker.karo", "broker.karo", 8883 },
		{ "mqtt://b", "b", 1883 },
		{ "mqtts://[::1]:9", "::1", 9 },
		{ "tcp://[::1]", "::1", 1883 },
	};
	/* libmosquitto has no websockets; the rest are malformed. */
	static const char *const bad[] = {
		"ws://h:80", "wss://h:443", "http://h:1", "tcp://:1883",
		"tcp://h:", "tcp://h:0", "tcp://h:65536", "tcp://h:1883/x",
		"tcp://[::1", "tcp://[::1]x", "tcp://a-host-name-too-long:1",
		NULL,
	};
	char host[16];
	int port;
	size_t i;

	for (i = 0; i < nitems(good); i++) {
		port = 0;
		if (mqtt_conf_split_uri(good[i].uri, host, sizeof(host),
		    &port) == -1) {
			testlib_fail(__FILE__, __LINE__, "%s: refused",
			    good[i].uri);
			continue;
		}
		CHECK_STR(host, good[i].host);
		CHECK_INT(port, good[i].port);
	}
	for (i = 0; i < nitems(bad); i++) {
		if (mqtt_conf_split_uri(bad[i], host, sizeof(host), &port) ==
		    -1)
			testlib_passed++;
		else
			testlib_fail(__FILE__, __LINE__, "%s: accepted",
			    bad[i] != NULL ? bad[i] : "(null)");
	}
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_password_sources();
	test_password_file_errors();
	test_check();
	test_resolve();
	test_split_uri();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return testlib_done();
}
