/*
 * test_adapter: the daemon skeleton (adapters/lib/adapter.c) without a
 * broker.
 *
 * In child processes (adapter_new() exits for these): -n on a good and on a
 * bad config (exit status and the "file:line: message" errors of both key
 * tables), -h, a bad option, -D, and a key defined by both tables.
 * In this process: the joined table fills both structs, defaults apply,
 * SIMPUL_MQTT_URI overrides [mqtt] uri; the schema check refuses invalid,
 * unknown-type and oversized events (counted, never handed over) and hands
 * over a valid one even with the broker unreachable; adapter_free() reports
 * it through on_done(ok = 0) and leaves it persisted; signals set the flags.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapter.h"
#include "testlib.h"
#include "util.h"

#ifndef SIMPUL_SRCDIR
#define SIMPUL_SRCDIR "."
#endif

/* The adapter's own config, with the common part not at offset 0, so the
 * offset shifting of the joined table is exercised. */
struct test_config {
	long poll;
	struct adapter_config ac;
	char *dsn;
};

static const struct conf_key test_keys[] = {
	{ "test", "poll", CONF_INT, "5", 1, 60,
	    offsetof(struct test_config, poll), "poll interval, seconds" },
	{ "test", "dsn", CONF_STR, NULL, 0, 0,
	    offsetof(struct test_config, dsn), "source database" },
};

static const struct conf_key dup_keys[] = {
	{ "adapter", "name", CONF_STR, NULL, 0, 0,
	    offsetof(struct test_config, dsn), "clashes with the common key" },
};

static char dir[] = "/tmp/test_adapter.XXXXXX";

static char *
write_conf(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

/*
 * Runs adapter_new(argv) in a child; returns its exit status and what it
 * wrote to stdout and stderr (together) in out.
 */
static int
run_child(const struct conf_key *keys, size_t nkeys, char **argv, int argc,
    char *out, size_t outlen)
{
	int fds[2], status = -1;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fds) == -1)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		struct test_config cfg;
		struct adapter_spec spec = { "simpul-adapter-test", &cfg,
		    offsetof(struct test_config, ac), keys, nkeys, NULL, NULL };

		memset(&cfg, 0, sizeof(cfg));
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		adapter_new(argc, argv, &spec);
		_exit(99); /* adapter_new() should have exited */
	}
	close(fds[1]);
	while (n + 1 < outlen &&
	    (r = read(fds[0], out + n, outlen - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define GOOD_CONF \
    "[adapter]\n" \
    "name = testad\n" \
    "opd = dishub\n" \
    "state_dir = %s/state\n" \
    "schemas = " SIMPUL_SRCDIR "/schemas\n" \
    "max_event_size = 2k\n" \
    "flush_timeout = 0s\n" \
    "\n" \
    "[mqtt]\n" \
    "uri = tcp://127.0.0.1:9\n" \
    "max_buffered = 50\n" \
    "\n" \
    "[test]\n" \
    "poll = 7\n" \
    "dsn = host=db\n"

static void
test_command_line(const char *good)
{
	char out[16384];
	char *bad = write_conf("bad.conf",
	    "[adapter]\n"
	    "name = testad\n"
	    "colour = blue\n"
	    "[mqtt]\n"
	    "qos = 7\n"
	    "[test]\n"
	    "poll = 0\n"
	    "[nosuch]\n"
	    "x = 1\n");
	char *a_good[] = { "t", "-n", "-c", (char *)good, NULL };
	char *a_bad[] = { "t", "-n", "-c", bad, NULL };
	char *a_help[] = { "t", "-h", NULL };
	char *a_opt[] = { "t", "-x", NULL };
	char *a_extra[] = { "t", "-n", "-c", (char *)good, "extra", NULL };
	char *a_dump[] = { "t", "-D", NULL };
	char *a_missing[] = { "t", "-n", "-c", "/nonexistent/x.conf", NULL };
	char want[512];

	CHECK_INT(run_child(test_keys, nitems(test_keys), a_good, 4, out,
	    sizeof(out)), 0);
	CHECK(strstr(out, "configuration OK") != NULL);

	CHECK_INT(run_child(test_keys, nitems(test_keys), a_bad, 4, out,
	    sizeof(out)), 1);
	/* Every error, with file:line, from both tables. */
	snprintf(want, sizeof(want), "%s:3: unknown key 'colour'", bad);
	CHECK(strstr(out, want) != NULL);
	snprintf(want, sizeof(want), "%s:5: qos: expected a whole number "
	    "between 0 and 2, got '7'", bad);
	CHECK(strstr(out, want) != NULL);
	snprintf(want, sizeof(want), "%s:7: poll: expected a whole number "
	    "between 1 and 60, got '0'", bad);
	CHECK(strstr(out, want) != NULL);
	snprintf(want, sizeof(want), "%s:9: unknown section [nosuch]", bad);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "[adapter] opd is missing") != NULL);
	CHECK(strstr(out, "5 error(s)") != NULL);
	if (strstr(out, "5 error(s)") == NULL)
		fprintf(stderr, "%s", out);

	CHECK_INT(run_child(test_keys, nitems(test_keys), a_missing, 4, out,
	    sizeof(out)), 1);
	CHECK(strstr(out, "/nonexistent/x.conf: cannot open config") != NULL);

	CHECK_INT(run_child(test_keys, nitems(test_keys), a_help, 2, out,
	    sizeof(out)), 0);
	CHECK(strstr(out, "usage: simpul-adapter-test") != NULL);
	CHECK_INT(run_child(test_keys, nitems(test_keys), a_opt, 2, out,
	    sizeof(out)), 2);
	CHECK_INT(run_child(test_keys, nitems(test_keys), a_extra, 5, out,
	    sizeof(out)), 2);

	CHECK_INT(run_child(test_keys, nitems(test_keys), a_dump, 2, out,
	    sizeof(out)), 0);
	CHECK(strstr(out, "[adapter]\n") != NULL);
	CHECK(strstr(out, "[mqtt]\n") != NULL);
	CHECK(strstr(out, "[test]\n") != NULL);
	CHECK(strstr(out, ";max_buffered = 10000\n") != NULL);
	CHECK(strstr(out, ";poll = 5\n") != NULL);

	/* A key in both tables is a programming error, caught at once. */
	CHECK_INT(run_child(dup_keys, nitems(dup_keys), a_good, 4, out,
	    sizeof(out)), 1);
	CHECK(strstr(out, "[adapter] name defined twice") != NULL);
	free(bad);
}

static int done_calls, done_ok;

static void
on_done(void *arg, int ok)
{
	(void)arg;
	done_calls++;
	done_ok += ok;
}

static cJSON *
position(double lat)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "device_id", "353419031234567");
	cJSON_AddNumberToObject(d, "lat", lat);
	cJSON_AddNumberToObject(d, "lon", 98.5083);
	cJSON_AddStringToObject(d, "fix_time", "2026-11-27T10:00:00Z");
	cJSON_AddNumberToObject(d, "speed_kmh", 42);
	cJSON_AddNumberToObject(d, "course", 90);
	cJSON_AddBoolToObject(d, "valid", 1);
	return d;
}

static void
test_in_process(const char *good)
{
	struct test_config cfg;
	struct adapter_spec spec = { "simpul-adapter-test", &cfg,
	    offsetof(struct test_config, ac), test_keys, nitems(test_keys),
	    NULL, NULL };
	char *argv[] = { "t", "-c", (char *)good, NULL };
	const struct adapter_config *ac;
	struct adapter_stats st;
	struct adapter *ad;
	struct cloudevent *ev;
	char *path, *state, *cmd, big[3000];
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	setenv("SIMPUL_MQTT_URI", "tcp://127.0.0.1:1", 1);
	ad = adapter_new(3, argv, &spec);
	unsetenv("SIMPUL_MQTT_URI");
	CHECK(ad != NULL);
	ac = adapter_config(ad);
	CHECK(ac == &cfg.ac);
	CHECK_STR(cfg.ac.name, "testad");
	CHECK_STR(cfg.ac.opd, "dishub");
	CHECK_STR(cfg.ac.site, "karo");
	CHECK_STR(cfg.ac.mqtt_uri, "tcp://127.0.0.1:1");
	CHECK_STR(cfg.ac.mqtt_client_id, "simpul-adapter-testad");
	CHECK_INT(cfg.ac.mqtt_qos, 1);
	CHECK_INT(cfg.ac.mqtt_max_buffered, 50);
	CHECK_INT(cfg.ac.mqtt_keepalive, 30000);
	CHECK_INT(cfg.ac.max_event_size, 2048);
	CHECK_INT(cfg.ac.flush_timeout, 0);
	CHECK_INT(cfg.poll, 7);
	CHECK_STR(cfg.dsn, "host=db");
	state = xasprintf("%s/state", dir);
	CHECK_STR(cfg.ac.state_dir, state);
	path = adapter_state_path(ad, "checkpoint");
	CHECK(strcmp(path, state) > 0 && strstr(path, "/checkpoint") != NULL);
	free(path);

	/* The broker (port 1) is unreachable: start still succeeds. */
	CHECK_INT(adapter_start(ad), 0);

	/* A valid event is handed over (buffered and persisted). */
	ev = adapter_event_new(ad, "gt06", "gps.position");
	CHECK(ev != NULL);
	CHECK_STR(cloudevent_topic(ev), "karo/ev/dishub/gt06/gps.position");
	CHECK_INT(cloudevent_set_subject(ev, "353419031234567"), 0);
	CHECK_INT(cloudevent_take_data(ev, position(3.1019)), 0);
	CHECK_INT(adapter_publish_event(ad, ev, on_done, NULL),
	    ADAPTER_PUBLISH_OK);
	cloudevent_free(ev);

	/* Invalid data: refused before publishing, counted. */
	ev = adapter_event_new(ad, "gt06", "gps.position");
	CHECK_INT(cloudevent_take_data(ev, position(200)), 0);
	CHECK_INT(adapter_publish_event(ad, ev, on_done, NULL),
	    ADAPTER_PUBLISH_INVALID);
	cloudevent_free(ev);

	/* No data at all: the envelope requires it. */
	ev = adapter_event_new(ad, "gt06", "gps.position");
	CHECK_INT(adapter_publish_event(ad, ev, on_done, NULL),
	    ADAPTER_PUBLISH_INVALID);
	cloudevent_free(ev);

	/* A type with no schema. */
	ev = adapter_event_new(ad, "gt06", "gps.teleport");
	CHECK_INT(cloudevent_take_data(ev, position(3.1)), 0);
	CHECK_INT(adapter_publish_event(ad, ev, on_done, NULL),
	    ADAPTER_PUBLISH_INVALID);
	cloudevent_free(ev);

	/* Valid but larger than max_event_size (2k). */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev = adapter_event_new(ad, "gt06", "gps.position");
	{
		cJSON *d = position(3.1);

		cJSON_AddStringToObject(d, "note", big);
		CHECK_INT(cloudevent_take_data(ev, d), 0);
	}
	CHECK_INT(adapter_publish_event(ad, ev, on_done, NULL),
	    ADAPTER_PUBLISH_INVALID);
	cloudevent_free(ev);

	adapter_stats(ad, &st);
	CHECK_INT(st.invalid, 4);
	CHECK_INT(st.published, 1);
	CHECK_INT(st.inflight, 1);
	CHECK_INT(st.acked, 0);
	CHECK_INT(st.connected, 0);
	CHECK_INT(done_calls, 0);

	/* Signals only set flags. */
	CHECK_INT(adapter_running(), 1);
	CHECK_INT(adapter_reload_requested(), 0);
	raise(SIGHUP);
	CHECK_INT(adapter_reload_requested(), 1);
	CHECK_INT(adapter_reload_requested(), 0);
	CHECK_INT(adapter_sleep(10), 1);
	raise(SIGTERM);
	CHECK_INT(adapter_running(), 0);
	CHECK_INT(adapter_sleep(5000), 0); /* returns at once */

	/* Shutdown: the unacknowledged event gets on_done(ok = 0) and stays
	 * in the MQTT persistence for the next start. */
	adapter_free(ad);
	CHECK_INT(done_calls, 1);
	CHECK_INT(done_ok, 0);
	cmd = xasprintf("test \"$(find '%s/mqtt' -name 'c5-*.msg' | wc -l)\" "
	    "-eq 1", state);
	rc = system(cmd);
	CHECK_INT(rc, 0);
	free(cmd);
	free(state);
}

int
main(void)
{
	char *text, *good, *cmd;
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	text = xasprintf(GOOD_CONF, dir);
	good = write_conf("good.conf", text);
	test_command_line(good);
	test_in_process(good);
	cmd = xasprintf("rm -rf -- '%s'", dir);
	rc = system(cmd);
	(void)rc;
	free(cmd);
	free(text);
	free(good);
	return testlib_done();
}
