/*
 * bench-pubcost: the CPU one QoS 1 publish costs the publishing process,
 * through the two MQTT client libraries the hub could relay its outbox
 * with, on a private Mosquitto.
 *
 *   bench-pubcost [--count N] [--size BYTES] [--rounds R] [--only paho|link]
 *   bench-pubcost --uri URI [--rate MSG_PER_S] [--count N] [--size BYTES]
 *
 * It starts `mosquitto` (plain TCP, loopback, a free port, the stack's
 * max_inflight_messages 1000 and set_tcp_nodelay true) with a
 * configuration in a temporary directory, and alternates, R times
 * (default 3):
 *
 *   paho   what the relay did before: Paho MQTTAsync, one client,
 *          MQTTAsync_sendMessage() per message with an onSuccess callback
 *          on Paho's thread, at most 1,000 unanswered (the hub's
 *          max_inflight), trace level ERROR (mqtt_trace_errors());
 *   link   what the relay does now: relaylink_publish() for a batch of
 *          500 (the outbox batch), then relaylink_wait() (hub/relaylink.c,
 *          the code the hub runs).
 *
 * Each publishes N messages (default 100,000) of BYTES bytes (default
 * 600, a routed copy's size) to 50 topics nobody subscribes to, and
 * prints messages/s and the CPU time (user + system, all threads) per
 * message of the publishing process and of the broker. --only runs one of
 * the two, e.g. under `perf stat` to compare two builds by instructions,
 * which the neighbours on a shared machine do not move. The broker is stopped by its PID. See
 * docs/bench.md, "The relay's connection".
 *
 * With --uri it starts no broker: it runs link once against the broker at
 * URI, at most --rate messages a second (paced from its start; default
 * unpaced), and prints its own CPU per message. bench-rules' (e) runs it
 * next to a hub with no rules to publish what 1,000 rules' outputs would
 * cost at their bare price (docs/bench.md, "The floor of the outputs").
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "log.h"
#include "mqtt.h"
#include "mqttauth.h"
#include "relaylink.h"
#include "util.h"

#define WINDOW 1000
#define BATCH 500
#define TOPICS 50
#define PACE_ROUND 128

static size_t count = 100000, size = 600;
static double pace; /* messages/s; 0: as fast as the broker answers */
static char *payload;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static size_t answered;
static int connected;

static double
cpu_s(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
	    (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* CPU seconds pid has used so far (/proc/PID/stat utime + stime). */
static double
proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		fatal("%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15, counted after the ")" that ends the name. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st) != 2)
		fatalx("%s: cannot read the CPU times", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void
topic_of(char *buf, size_t n, size_t i)
{
	snprintf(buf, n, "karo/opd/bench/inbox/%zu", i % TOPICS);
}

static void
paho_answered(void *c, MQTTAsync_successData5 *r)
{
	(void)c;
	(void)r;
	pthread_mutex_lock(&mu);
	answered++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static void
paho_connected(void *c, MQTTAsync_successData5 *r)
{
	(void)c;
	(void)r;
	pthread_mutex_lock(&mu);
	connected = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static int
paho_arrived(void *c, char *t, int l, MQTTAsync_message *m)
{
	(void)c;
	(void)l;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(t);
	return 1;
}

static void
run_paho(const char *uri, double *rate, double *us)
{
	MQTTAsync c;
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer5;
	char topic[64];
	int64_t t0;
	double c0;
	size_t i;

	co.maxBufferedMessages = WINDOW * 2;
	mqtt_trace_errors();
	if (MQTTAsync_createWithOptions(&c, uri, "bench-pubcost-paho",
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &co) != MQTTASYNC_SUCCESS)
		fatalx("paho: cannot create a client");
	MQTTAsync_setCallbacks(c, NULL, NULL, paho_arrived, NULL);
	o.cleanstart = 1;
	o.maxInflight = WINDOW;
	o.onSuccess5 = paho_connected;
	connected = 0;
	answered = 0;
	if (MQTTAsync_connect(c, &o) != MQTTASYNC_SUCCESS)
		fatalx("paho: cannot connect to %s", uri);
	pthread_mutex_lock(&mu);
	while (!connected)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	t0 = clock_mono_ms();
	c0 = cpu_s();
	for (i = 0; i < count; i++) {
		MQTTAsync_message m = MQTTAsync_message_initializer;
		MQTTAsync_responseOptions ro =
		    MQTTAsync_responseOptions_initializer;

		pthread_mutex_lock(&mu);
		while (i - answered >= WINDOW)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		m.payload = payload;
		m.payloadlen = (int)size;
		m.qos = 1;
		ro.onSuccess5 = paho_answered;
		topic_of(topic, sizeof(topic), i);
		if (MQTTAsync_sendMessage(c, topic, &m, &ro) !=
		    MQTTASYNC_SUCCESS)
			fatalx("paho: publish %zu refused", i);
	}
	pthread_mutex_lock(&mu);
	while (answered < count)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	*us = (cpu_s() - c0) * 1e6 / (double)count;
	*rate = (double)count * 1000.0 / (double)(clock_mono_ms() - t0 + 1);
	MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer5;
	MQTTAsync_disconnect(c, &d);
	MQTTAsync_destroy(&c);
}

static void
run_link(const char *uri, double *rate, double *us)
{
	struct mqtt_opts o;
	struct relaylink *l;
	size_t i = 0, n, acked, failed;
	char topic[64];
	int64_t t0;
	double c0;

	memset(&o, 0, sizeof(o));
	o.uri = uri;
	o.client_id = "bench-pubcost";
	o.keepalive_s = 30;
	o.max_inflight = WINDOW;
	l = relaylink_new(&o);
	if (relaylink_connect(l, 5000) == -1)
		fatalx("link: cannot connect to %s", uri);
	t0 = clock_mono_ms();
	c0 = cpu_s();
	while (i < count) {
		size_t due = count;

		if (pace > 0) {
			/*
			 * Rounds of at least PACE_ROUND messages, about
			 * what the hub's relay gets in one outbox round
			 * under load, so that the pace does not make
			 * every publish a round of its own.
			 */
			due = (size_t)(pace * (double)(clock_mono_ms() - t0) /
			    1000.0);
			if (due < count && due < i + PACE_ROUND) {
				usleep(1000);
				continue;
			}
		}
		for (n = 0; n < BATCH && i < count && i < due; n++, i++) {
			topic_of(topic, sizeof(topic), i);
			if (relaylink_publish(l, topic, payload, size, 1, 0) ==
			    -1)
				fatalx("link: publish %zu refused", i);
		}
		if (relaylink_wait(l, 10000, &acked, &failed) == -1 ||
		    acked != n)
			fatalx("link: batch not acknowledged");
	}
	*us = (cpu_s() - c0) * 1e6 / (double)count;
	*rate = (double)count * 1000.0 / (double)(clock_mono_ms() - t0 + 1);
	relaylink_free(l);
}

/* Starts mosquitto on a free loopback port in dir; returns its PID. */
static pid_t
broker_start(const char *dir, int *port)
{
	char conf[512];
	int tries;
	pid_t pid;
	FILE *f;

	for (tries = 0; tries < 50; tries++) {
		*port = 20000 + (int)(random() % 12000);
		snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
		if ((f = fopen(conf, "w")) == NULL)
			fatal("%s", conf);
		fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\n"
		    "max_inflight_messages 1000\nmax_queued_messages 100000\n"
		    "persistence false\nlog_dest none\nset_tcp_nodelay true\n", *port);
		fclose(f);
		if ((pid = fork()) == -1)
			fatal("fork");
		if (pid == 0) {
			execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
			_exit(127);
		}
		/* A broker that could not bind exits at once. */
		usleep(300000);
		if (waitpid(pid, NULL, WNOHANG) == 0)
			return pid;
	}
	fatalx("cannot start mosquitto (is it installed?)");
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench-pubcost [--count N] [--size BYTES] "
	    "[--rounds R] [--only paho|link]\n"
	    "       bench-pubcost --uri URI [--rate MSG_PER_S] [--count N] "
	    "[--size BYTES]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/bench-pubcost.XXXXXX", uri[64], conf[600];
	static const struct {
		const char *name, *label;
		void (*run)(const char *, double *, double *);
	} runs[] = {
		{ "paho", "paho (MQTTAsync, callbacks)", run_paho },
		{ "link", "link (relaylink, libmosquitto)", run_link },
	};
	double rate, us, b0;
	size_t k;
	long rounds = 3, r;
	const char *only = NULL, *given = NULL;
	int i, port;
	pid_t broker;

	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--count") == 0)
			count = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--size") == 0)
			size = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--rounds") == 0)
			rounds = strtol(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--only") == 0)
			only = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--uri") == 0)
			given = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--rate") == 0)
			pace = strtod(argv[++i], NULL);
		else
			usage();
	}
	if (count == 0 || size == 0 || size > 1u << 20 || rounds < 1 ||
	    (only != NULL && strcmp(only, "paho") != 0 &&
	    strcmp(only, "link") != 0) || !(pace >= 0) ||
	    (pace > 0 && given == NULL))
		usage();
	log_init("bench-pubcost", LOG_LEVEL_WARN);
	payload = xmalloc(size);
	memset(payload, 'x', size);
	if (given != NULL) {
		run_link(given, &rate, &us);
		printf("link: %zu messages of %zu bytes, %.0f msg/s, %.2f us "
		    "CPU per message\n", count, size, rate, us);
		return 0;
	}
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	srandom((unsigned)getpid());
	broker = broker_start(dir, &port);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
	printf("bench-pubcost: %zu QoS 1 messages of %zu bytes per run, "
	    "mosquitto pid %d on %s\n", count, size, (int)broker, uri);
	for (r = 1; r <= rounds; r++) {
		for (k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
			if (only != NULL && strcmp(only, runs[k].name) != 0)
				continue;
			b0 = proc_cpu_s(broker);
			runs[k].run(uri, &rate, &us);
			printf("round %ld  %s: %8.0f msg/s  %6.2f us CPU per "
			    "message, broker %.2f\n", r, runs[k].label, rate, us,
			    (proc_cpu_s(broker) - b0) * 1e6 / (double)count);
		}
		fflush(stdout);
	}
	kill(broker, SIGTERM);
	waitpid(broker, NULL, 0);
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
	unlink(conf);
	rmdir(dir);
	return 0;
}
