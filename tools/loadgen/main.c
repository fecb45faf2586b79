/*
 * simpul-loadgen: publishes realistic Karo CloudEvents onto MQTT (pub), or
 * counts what a topic filter carries (sub). Integration tests, the demo and
 * the benchmarks drive the bus with it.
 *
 *   simpul-loadgen pub --uri tcp://127.0.0.1:1883 --count 200000 ...
 *   simpul-loadgen pub --dump --count 100          (JSON lines on stdout)
 *   simpul-loadgen sub --uri ... --topic 'karo/ev/#' --count 200000
 *
 * pub exits 0 only when the broker acknowledged every message; it prints
 * one summary line on stdout ("published=N acked=N elapsed_ms=T
 * rate=R/s ..."). sub prints "received=N elapsed_ms=T rate=R/s" with T from
 * the first to the last message. Both end the line with cpu_ms=C, the CPU
 * time (user + system) the process used, for the benchmarks' CPU split. Exit status: 0 done, 1 not everything
 * arrived or was acknowledged, 2 usage.
 */
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evgen.h"
#include "log.h"
#include "mqttconf.h"
#include "publisher.h"
#include "subscriber.h"
#include "util.h"

#define TOPIC_MAX	512
#define PROGRESS_MS	5000

/*
 * Broker credentials and TLS files: options, else the SIMPUL_MQTT_*
 * environment of deploy/stack's stack.env (mqttconf.h). No password
 * option: a command line is visible to every user of the machine.
 */
struct lg_auth {
	const char *username;
	const char *password_file;
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	char *password; /* resolved by auth_finish() */
};

struct pub_opts {
	const char *uri;
	const char *site;
	const char *prefix;
	const char *mix;
	const char *client_id;
	struct lg_auth auth;
	uint64_t count;
	uint64_t start;
	uint64_t seed;
	double rate;
	double offset_days;
	size_t inflight;
	size_t large_bytes;
	unsigned bad;
	int qos;
	int64_t give_up_ms;
	int quiet;
	int dump;
	int dump_topics;
};

static void
usage(FILE *out)
{
	fprintf(out,
"usage: simpul-loadgen pub --uri URI [options]\n"
"       simpul-loadgen pub --dump [options]\n"
"       simpul-loadgen sub --uri URI --topic FILTER [options]\n"
"\n"
"pub options:\n"
"  --site S              topic and source prefix (karo)\n"
"  --count N             events to publish (1000)\n"
"  --rate R              events per second, 0 = as fast as possible (0)\n"
"  --prefix P            event ids are P-<n> (lg)\n"
"  --start K             first n (0)\n"
"  --seed S              data seed (1)\n"
"  --mix T=W,...         type weights (gps.position=70,\n"
"                        complaint.created=10,sp2d.issued=10,\n"
"                        permit.submitted=5,simda.realization=5)\n"
"  --bad KIND            after the valid events, one message of KIND:\n"
"                        invalid_json too_large envelope schema opd_mismatch\n"
"                        unknown_type id_conflict, or all (repeatable)\n"
"  --large-bytes SIZE    description size of too_large (2M)\n"
"  --time-offset-days D  event time = now - D days (0)\n"
"  --client-id ID        (simpul-loadgen-PID)\n"
"  --inflight N          unacknowledged messages at most (1000)\n"
"  --qos Q               (1)\n"
"  --give-up-s T         fail after T s without a connection (60)\n"
"  --dump                print the events as JSON lines, do not publish\n"
"  --dump-topics         with --dump: print TOPIC<TAB>JSON\n"
"  --quiet               no progress on stderr\n"
"\n"
"broker options (pub and sub; default: the environment of deploy/stack):\n"
"  --username U          ($SIMPUL_MQTT_USERNAME)\n"
"  --password-file F     first line is the password\n"
"                        ($SIMPUL_MQTT_PASSWORD_FILE, else\n"
"                        $SIMPUL_MQTT_PASSWORD or $SIMPUL_MQTT_PASS_<U>)\n"
"  --ca-file F           CA of the broker ($SIMPUL_MQTT_CA)\n"
"  --cert-file F --key-file F   client certificate and key\n"
"\n"
"sub options:\n"
"  --topic FILTER        subscription (required)\n"
"  --count N             stop after N messages (0: run until idle)\n"
"  --distinct            count distinct event ids, stop on N of those\n"
"  --timeout-s T         stop when nothing arrived for T s (30)\n"
"  --qos Q               (1)\n"
"  --inflight N          receive maximum: unacked messages in flight (1000)\n"
"  --client-id ID --session-expiry S   persistent session (clean if 0)\n"
"  --ready-file PATH     create PATH once subscribed\n");
}

static const char *
env_default(const char *v, const char *name)
{
	const char *e;

	if (v != NULL)
		return v;
	e = getenv(name);
	return e != NULL && *e != '\0' ? e : NULL;
}

/* Fills out from a and the environment; -1 (logged) on a bad setting. */
static int
auth_finish(struct lg_auth *a, const char *uri, struct mqtt_auth *out)
{
	a->username = env_default(a->username, "SIMPUL_MQTT_USERNAME");
	a->password_file = env_default(a->password_file,
	    "SIMPUL_MQTT_PASSWORD_FILE");
	a->ca_file = env_default(a->ca_file, "SIMPUL_MQTT_CA");
	if (mqtt_conf_password(a->username, a->password_file != NULL ? NULL :
	    getenv("SIMPUL_MQTT_PASSWORD"), a->password_file,
	    &a->password) == -1)
		return -1;
	memset(out, 0, sizeof(*out));
	out->uri = uri;
	out->username = a->username;
	out->password = a->password;
	out->ca_file = a->ca_file;
	out->cert_file = a->cert_file;
	out->key_file = a->key_file;
	return mqtt_conf_check(out);
}

/*
 * The broker options pub and sub share: 1 if ch was one of them, 0 if not,
 * -1 for --password, which is refused by name (getopt_long would otherwise
 * take it as an abbreviation of --password-file, and name the password in
 * its "cannot open" message).
 */
enum { O_USER = 512, O_PASSFILE, O_PASS, O_CA, O_CERT, O_KEY };
#define AUTH_LONGOPTS							\
	{ "username", required_argument, NULL, O_USER },		\
	{ "password-file", required_argument, NULL, O_PASSFILE },	\
	{ "password", required_argument, NULL, O_PASS },		\
	{ "ca-file", required_argument, NULL, O_CA },			\
	{ "cert-file", required_argument, NULL, O_CERT },		\
	{ "key-file", required_argument, NULL, O_KEY }

static int
auth_option(struct lg_auth *a, int ch, const char *arg)
{
	switch (ch) {
	case O_PASS:
		fprintf(stderr, "simpul-loadgen: no --password: a command line "
		    "is visible to every user; use --password-file or "
		    "SIMPUL_MQTT_PASSWORD\n");
		return -1;
	case O_USER: a->username = arg; return 1;
	case O_PASSFILE: a->password_file = arg; return 1;
	case O_CA: a->ca_file = arg; return 1;
	case O_CERT: a->cert_file = arg; return 1;
	case O_KEY: a->key_file = arg; return 1;
	default: return 0;
	}
}

static int
opt_u64(const char *name, const char *v, uint64_t *out)
{
	if (parse_u64(v, out) == -1) {
		fprintf(stderr, "simpul-loadgen: bad %s '%s'\n", name, v);
		return -1;
	}
	return 0;
}

static int
opt_long(const char *name, const char *v, long min, long max, long *out)
{
	if (parse_long(v, min, max, out) == -1) {
		fprintf(stderr, "simpul-loadgen: bad %s '%s' (want %ld..%ld)\n",
		    name, v, min, max);
		return -1;
	}
	return 0;
}

static int
opt_double(const char *name, const char *v, double min, double max,
    double *out)
{
	if (parse_double(v, out) == -1 || *out < min || *out > max) {
		fprintf(stderr, "simpul-loadgen: bad %s '%s' (want %g..%g)\n",
		    name, v, min, max);
		return -1;
	}
	return 0;
}

static void
sleep_until_ns(int64_t due_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(due_ns / 1000000000);
	ts.tv_nsec = (long)(due_ns % 1000000000);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

/* User + system CPU time of this process so far, in ms. */
static long long
cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return -1;
	return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
pub_dump(struct evgen *g, const struct pub_opts *o)
{
	struct buf payload, topic;
	uint64_t n;
	unsigned k;
	int rc = 1;

	buf_init(&payload, EVGEN_LARGE_MAX + 65536);
	buf_init(&topic, TOPIC_MAX);
	for (n = o->start; n < o->start + o->count; n++) {
		if (evgen_event(g, n, clock_wall_ms(), &payload, &topic) == -1)
			goto out;
		if (o->dump_topics)
			printf("%s\t", topic.data);
		fwrite(payload.data, 1, payload.len, stdout);
		putchar('\n');
	}
	for (k = 0; k < EVGEN_BAD_COUNT; k++) {
		if ((o->bad & (1U << k)) == 0)
			continue;
		if (evgen_bad(g, (enum evgen_bad)k, o->start, clock_wall_ms(),
		    &payload, &topic) == -1)
			goto out;
		if (o->dump_topics)
			printf("%s\t", topic.data);
		fwrite(payload.data, 1, payload.len, stdout);
		putchar('\n');
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	buf_free(&payload);
	buf_free(&topic);
	return rc;
}

static void
pub_progress(struct publisher *p, int64_t t0)
{
	struct publisher_stats st;

	publisher_get_stats(p, &st);
	log_info("progress published=%llu acked=%llu resent=%llu "
	    "elapsed_ms=%lld", (unsigned long long)st.published,
	    (unsigned long long)st.acked, (unsigned long long)st.resent,
	    (long long)(clock_mono_ms() - t0));
}

static int
pub_run(struct evgen *g, struct pub_opts *o)
{
	struct publisher_config pc;
	struct mqtt_auth auth;
	struct publisher_stats st;
	struct publisher *p = NULL;
	struct buf payload, topic;
	int64_t t0 = 0, t0_ns = 0, elapsed, next_progress = 0;
	uint64_t i, total;
	unsigned k;
	int rc = 1;

	buf_init(&payload, EVGEN_LARGE_MAX + 65536);
	buf_init(&topic, TOPIC_MAX);
	memset(&pc, 0, sizeof(pc));
	if (auth_finish(&o->auth, o->uri, &auth) == -1)
		goto out;
	pc.uri = o->uri;
	pc.client_id = o->client_id;
	pc.username = auth.username;
	pc.password = auth.password;
	pc.ca_file = auth.ca_file;
	pc.cert_file = auth.cert_file;
	pc.key_file = auth.key_file;
	pc.inflight = o->inflight;
	pc.qos = o->qos;
	pc.give_up_ms = o->give_up_ms;
	if ((p = publisher_new(&pc)) == NULL)
		goto out;

	for (i = 0; i < o->count; i++) {
		if (o->rate > 0 && i > 0)
			sleep_until_ns(t0_ns + (int64_t)((double)i * 1e9 /
			    o->rate));
		if (publisher_wait(p) == -1)
			goto summary;
		if (i == 0) {
			/* The clock starts once connected with room to send. */
			t0 = clock_mono_ms();
			t0_ns = mono_ns();
			next_progress = t0 + PROGRESS_MS;
		}
		/* The event's time is taken after any wait for the window. */
		if (evgen_event(g, o->start + i, clock_wall_ms(), &payload,
		    &topic) == -1)
			fatalx("loadgen: event does not fit its buffer");
		publisher_send(p, topic.data, payload.data, payload.len);
		if (!o->quiet && (i & 255) == 0 &&
		    clock_mono_ms() >= next_progress) {
			pub_progress(p, t0);
			next_progress += PROGRESS_MS;
		}
	}
	for (k = 0; k < EVGEN_BAD_COUNT; k++) {
		if ((o->bad & (1U << k)) == 0)
			continue;
		if (publisher_wait(p) == -1)
			goto summary;
		if (t0 == 0)
			t0 = clock_mono_ms();
		if (evgen_bad(g, (enum evgen_bad)k, o->start, clock_wall_ms(),
		    &payload, &topic) == -1)
			fatalx("loadgen: bad message does not fit its buffer");
		publisher_send(p, topic.data, payload.data, payload.len);
	}
	if (publisher_drain(p) == -1)
		goto summary;
	rc = 0;
summary:
	publisher_get_stats(p, &st);
	total = o->count + (uint64_t)__builtin_popcount(o->bad);
	if (t0 == 0)
		t0 = clock_mono_ms();
	elapsed = clock_mono_ms() - t0;
	printf("published=%llu acked=%llu elapsed_ms=%lld rate=%.0f/s "
	    "resent=%llu reconnects=%llu rejected=%llu cpu_ms=%lld\n",
	    (unsigned long long)st.published, (unsigned long long)st.acked,
	    (long long)elapsed, elapsed > 0 ? (double)st.acked * 1000.0 /
	    (double)elapsed : (double)st.acked,
	    (unsigned long long)st.resent, (unsigned long long)st.reconnects,
	    (unsigned long long)st.rejected, cpu_ms());
	fflush(stdout);
	if (rc == 0 && (st.acked != total || st.rejected != 0))
		rc = 1;
out:
	publisher_free(p);
	buf_free(&payload);
	buf_free(&topic);
	return rc;
}

static int
cmd_pub(int argc, char **argv)
{
	enum { O_URI = 256, O_SITE, O_COUNT, O_RATE, O_PREFIX, O_START,
		O_SEED, O_MIX, O_BAD, O_LARGE, O_OFFSET, O_CLIENT, O_INFLIGHT,
		O_QOS, O_GIVEUP, O_DUMP, O_DUMPT, O_QUIET, O_HELP };
	static const struct option longopts[] = {
		{ "uri", required_argument, NULL, O_URI },
		{ "site", required_argument, NULL, O_SITE },
		{ "count", required_argument, NULL, O_COUNT },
		{ "rate", required_argument, NULL, O_RATE },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "start", required_argument, NULL, O_START },
		{ "seed", required_argument, NULL, O_SEED },
		{ "mix", required_argument, NULL, O_MIX },
		{ "bad", required_argument, NULL, O_BAD },
		{ "large-bytes", required_argument, NULL, O_LARGE },
		{ "time-offset-days", required_argument, NULL, O_OFFSET },
		{ "client-id", required_argument, NULL, O_CLIENT },
		{ "inflight", required_argument, NULL, O_INFLIGHT },
		{ "qos", required_argument, NULL, O_QOS },
		AUTH_LONGOPTS,
		{ "give-up-s", required_argument, NULL, O_GIVEUP },
		{ "dump", no_argument, NULL, O_DUMP },
		{ "dump-topics", no_argument, NULL, O_DUMPT },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct pub_opts o;
	struct evgen_config gc;
	struct evgen *g = NULL;
	char *client_id = NULL;
	uint64_t u;
	long l;
	int c, ao, rc = 2;

	memset(&o, 0, sizeof(o));
	o.site = "karo";
	o.prefix = "lg";
	o.count = 1000;
	o.seed = 1;
	o.inflight = 1000;
	o.large_bytes = (size_t)2 << 20;
	o.qos = 1;
	o.give_up_ms = 60000;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_URI: o.uri = optarg; break;
		case O_SITE: o.site = optarg; break;
		case O_PREFIX: o.prefix = optarg; break;
		case O_MIX: o.mix = optarg; break;
		case O_CLIENT: o.client_id = optarg; break;
		case O_DUMP: o.dump = 1; break;
		case O_DUMPT: o.dump = o.dump_topics = 1; break;
		case O_QUIET: o.quiet = 1; break;
		case O_COUNT:
			if (opt_u64("--count", optarg, &o.count) == -1)
				goto out;
			break;
		case O_START:
			if (opt_u64("--start", optarg, &o.start) == -1)
				goto out;
			break;
		case O_SEED:
			if (opt_u64("--seed", optarg, &o.seed) == -1)
				goto out;
			break;
		case O_RATE:
			if (opt_double("--rate", optarg, 0, 1e7, &o.rate) == -1)
				goto out;
			break;
		case O_OFFSET:
			if (opt_double("--time-offset-days", optarg, 0, 36500,
			    &o.offset_days) == -1)
				goto out;
			break;
		case O_INFLIGHT:
			if (opt_long("--inflight", optarg, 1,
			    PUBLISHER_INFLIGHT_MAX, &l) == -1)
				goto out;
			o.inflight = (size_t)l;
			break;
		case O_QOS:
			if (opt_long("--qos", optarg, 0, 2, &l) == -1)
				goto out;
			o.qos = (int)l;
			break;
		case O_GIVEUP:
			if (opt_long("--give-up-s", optarg, 1, 86400, &l) == -1)
				goto out;
			o.give_up_ms = l * 1000;
			break;
		case O_LARGE:
			if (parse_size(optarg, &u) == -1 ||
			    u > EVGEN_LARGE_MAX) {
				fprintf(stderr, "simpul-loadgen: bad "
				    "--large-bytes '%s' (at most %zu)\n",
				    optarg, EVGEN_LARGE_MAX);
				goto out;
			}
			o.large_bytes = (size_t)u;
			break;
		case O_BAD:
			if (evgen_bad_parse(optarg, &o.bad) == -1) {
				fprintf(stderr, "simpul-loadgen: unknown --bad "
				    "'%s'\n", optarg);
				goto out;
			}
			break;
		case O_HELP:
			usage(stdout);
			rc = 0;
			goto out;
		default:
			if ((ao = auth_option(&o.auth, c, optarg)) == 1)
				break;
			if (ao == 0)
				usage(stderr);
			goto out;
		}
	}
	if (optind != argc || (!o.dump && o.uri == NULL)) {
		usage(stderr);
		goto out;
	}
	if (o.count > UINT64_MAX - o.start) {
		fprintf(stderr, "simpul-loadgen: --start + --count overflow\n");
		goto out;
	}
	memset(&gc, 0, sizeof(gc));
	gc.site = o.site;
	gc.prefix = o.prefix;
	gc.seed = o.seed;
	gc.time_offset_ms = (int64_t)(o.offset_days * 86400000.0);
	gc.large_bytes = o.large_bytes;
	if ((g = evgen_new(&gc)) == NULL)
		goto out;
	if (o.mix != NULL && evgen_set_mix(g, o.mix) == -1)
		goto out;
	if (o.dump) {
		rc = pub_dump(g, &o);
		goto out;
	}
	if (o.client_id == NULL) {
		client_id = xasprintf("simpul-loadgen-%ld", (long)getpid());
		o.client_id = client_id;
	}
	rc = pub_run(g, &o);
out:
	evgen_free(g);
	free(client_id);
	free(o.auth.password);
	return rc;
}

static int
cmd_sub(int argc, char **argv)
{
	enum { O_URI = 256, O_TOPIC, O_COUNT, O_DISTINCT, O_TIMEOUT, O_QOS,
		O_INFLIGHT, O_CLIENT, O_EXPIRY, O_READY, O_HELP };
	static const struct option longopts[] = {
		{ "uri", required_argument, NULL, O_URI },
		{ "topic", required_argument, NULL, O_TOPIC },
		{ "count", required_argument, NULL, O_COUNT },
		{ "distinct", no_argument, NULL, O_DISTINCT },
		{ "timeout-s", required_argument, NULL, O_TIMEOUT },
		{ "qos", required_argument, NULL, O_QOS },
		{ "inflight", required_argument, NULL, O_INFLIGHT },
		{ "client-id", required_argument, NULL, O_CLIENT },
		{ "session-expiry", required_argument, NULL, O_EXPIRY },
		{ "ready-file", required_argument, NULL, O_READY },
		AUTH_LONGOPTS,
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct subscriber_config sc;
	struct subscriber_result res;
	struct lg_auth la;
	struct mqtt_auth auth;
	char *client_id = NULL;
	int64_t elapsed_us;
	long l;
	int c, ao, rc = 2;

	memset(&sc, 0, sizeof(sc));
	memset(&res, 0, sizeof(res));
	memset(&la, 0, sizeof(la));
	sc.qos = 1;
	sc.idle_ms = 30000;
	sc.receive_max = 1000;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_URI: sc.uri = optarg; break;
		case O_TOPIC: sc.topic = optarg; break;
		case O_DISTINCT: sc.distinct = 1; break;
		case O_CLIENT: sc.client_id = optarg; break;
		case O_READY: sc.ready_file = optarg; break;
		case O_COUNT:
			if (opt_u64("--count", optarg, &sc.count) == -1)
				goto out;
			break;
		case O_TIMEOUT:
			if (opt_long("--timeout-s", optarg, 1, 86400, &l) == -1)
				goto out;
			sc.idle_ms = l * 1000;
			break;
		case O_QOS:
			if (opt_long("--qos", optarg, 0, 2, &l) == -1)
				goto out;
			sc.qos = (int)l;
			break;
		case O_INFLIGHT:
			if (opt_long("--inflight", optarg, 1, 65535, &l) == -1)
				goto out;
			sc.receive_max = (int)l;
			break;
		case O_EXPIRY:
			if (opt_long("--session-expiry", optarg, 0, 86400L * 30,
			    &l) == -1)
				goto out;
			sc.session_expiry_s = (uint32_t)l;
			break;
		case O_HELP:
			usage(stdout);
			rc = 0;
			goto out;
		default:
			if ((ao = auth_option(&la, c, optarg)) == 1)
				break;
			if (ao == 0)
				usage(stderr);
			goto out;
		}
	}
	if (optind != argc || sc.uri == NULL || sc.topic == NULL) {
		usage(stderr);
		goto out;
	}
	if (auth_finish(&la, sc.uri, &auth) == -1) {
		rc = 1;
		goto out;
	}
	sc.username = auth.username;
	sc.password = auth.password;
	sc.ca_file = auth.ca_file;
	sc.cert_file = auth.cert_file;
	sc.key_file = auth.key_file;
	if (sc.client_id == NULL) {
		if (sc.session_expiry_s > 0) {
			fprintf(stderr, "simpul-loadgen: --session-expiry "
			    "needs a stable --client-id\n");
			goto out;
		}
		client_id = xasprintf("simpul-loadgen-sub-%ld",
		    (long)getpid());
		sc.client_id = client_id;
	}
	rc = subscriber_run(&sc, &res);
	elapsed_us = res.received > 0 ? res.last_us - res.first_us : 0;
	printf("received=%llu elapsed_ms=%lld rate=%.0f/s",
	    (unsigned long long)res.received, (long long)(elapsed_us / 1000),
	    elapsed_us > 0 ? (double)res.received * 1e6 / (double)elapsed_us :
	    (double)res.received);
	if (sc.distinct)
		printf(" distinct=%llu no_id=%llu",
		    (unsigned long long)res.distinct,
		    (unsigned long long)res.no_id);
	printf(" cpu_ms=%lld\n", cpu_ms());
	fflush(stdout);
	rc = rc == 0 ? 0 : 1;
out:
	free(client_id);
	free(la.password);
	return rc;
}

int
main(int argc, char **argv)
{
	int quiet = 0, i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
	log_init("simpul-loadgen", quiet ? LOG_LEVEL_WARN : LOG_LEVEL_INFO);
	/* A broker that goes away must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "pub") == 0)
		return cmd_pub(argc - 1, argv + 1);
	if (strcmp(argv[1], "sub") == 0)
		return cmd_sub(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
