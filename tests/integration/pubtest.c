/*
 * pubtest: drives the adapters' publisher (adapters/lib/publisher.c) for
 * tests/integration/test_publisher.sh.
 *
 *   pubtest -u URI -i CLIENT_ID -d PERSIST_DIR -t TOPIC [-S STATUS_TOPIC]
 *           [-n COUNT] [-s FIRST] [-P PREFIX] [-b MAX_BUFFERED]
 *           [-k KEEPALIVE_S] [-w FLUSH_MS] [-m publish|hold|flush] [-v]
 *
 * publish: hands COUNT messages "<PREFIX>-<k>" (k = FIRST ...) to the
 *          publisher with QoS 1, prints "handed=N rejected=R", waits up to
 *          FLUSH_MS for the acknowledgements and prints "acked=A failed=F".
 *          Exits 0 when every handed message was acknowledged.
 * hold:    like publish, but after "handed=" it waits for SIGTERM (or a
 *          SIGKILL from the test) instead of flushing; on SIGTERM it frees
 *          the publisher without waiting (flush timeout 0) and exits 0.
 * flush:   publishes nothing; prints "restored=N" (messages persisted by an
 *          earlier run), waits up to FLUSH_MS until nothing is in flight,
 *          prints "flushed=0|1" and exits 0 when flushed.
 * Output lines go to stdout, flushed at once, so the test can wait for them.
 *
 * The broker login and CA come from the environment as for every Simpul
 * client (common/mqttconf.h): SIMPUL_MQTT_USERNAME, its
 * SIMPUL_MQTT_PASS_<USER> from the stack's stack.env, SIMPUL_MQTT_CA.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mqttconf.h"
#include "publisher.h"
#include "util.h"

static volatile sig_atomic_t stop;
static atomic_long acked, failed;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
on_done(void *arg, int ok)
{
	(void)arg;
	if (ok)
		atomic_fetch_add(&acked, 1);
	else
		atomic_fetch_add(&failed, 1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: pubtest -u uri -i client_id -d persist_dir "
	    "-t topic [-S status_topic] [-n count] [-s first] [-P prefix] "
	    "[-b max_buffered] [-k keepalive_s] [-w flush_ms] "
	    "[-m publish|hold|flush] [-v]\n");
	exit(2);
}

static long
num(const char *s, long min, long max)
{
	long v;

	if (parse_long(s, min, max, &v) == -1)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	struct publisher_config pc;
	struct publisher *p;
	char *password = NULL;
	struct sigaction sa;
	const char *topic = NULL, *prefix = "m", *mode = "publish";
	long count = 100, first = 0, flush_ms = 30000, k;
	long handed = 0, rejected = 0;
	int ch, rc = 1;

	memset(&pc, 0, sizeof(pc));
	log_init("pubtest", LOG_LEVEL_INFO);
	while ((ch = getopt(argc, argv, "u:i:d:t:S:n:s:P:b:k:w:m:v")) != -1) {
		switch (ch) {
		case 'u': pc.uri = optarg; break;
		case 'i': pc.client_id = optarg; break;
		case 'd': pc.persist_dir = optarg; break;
		case 't': topic = optarg; break;
		case 'S': pc.status_topic = optarg; break;
		case 'n': count = num(optarg, 0, 10000000); break;
		case 's': first = num(optarg, 0, 1000000000); break;
		case 'P': prefix = optarg; break;
		case 'b': pc.max_buffered = (int)num(optarg, 1, 10000000); break;
		case 'k': pc.keepalive_s = (int)num(optarg, 1, 3600); break;
		case 'w': flush_ms = num(optarg, 0, 3600000); break;
		case 'm': mode = optarg; break;
		case 'v': log_set_level(LOG_LEVEL_DEBUG); break;
		default: usage();
		}
	}
	if (pc.uri == NULL || pc.client_id == NULL || pc.persist_dir == NULL ||
	    (topic == NULL && strcmp(mode, "flush") != 0))
		usage();
	if (strcmp(mode, "publish") != 0 && strcmp(mode, "hold") != 0 &&
	    strcmp(mode, "flush") != 0)
		usage();
	pc.retry_max_s = 2; /* the test restarts the broker; come back soon */
	pc.username = getenv("SIMPUL_MQTT_USERNAME");
	pc.ca_file = getenv("SIMPUL_MQTT_CA");
	if (mqtt_conf_password(pc.username, getenv("SIMPUL_MQTT_PASSWORD"),
	    NULL, &password) == -1)
		return 1;
	pc.password = password;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	p = publisher_new(&pc); /* keeps its own copy of the password */
	free(password);
	if (p == NULL)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(mode, "flush") == 0) {
		printf("restored=%d\n", publisher_restored(p));
		rc = publisher_flush(p, flush_ms) == 0 ? 0 : 1;
		printf("flushed=%d\n", rc == 0);
		publisher_free(p, 0);
		return rc;
	}

	for (k = first; k < first + count; k++) {
		char payload[128];
		int n = snprintf(payload, sizeof(payload), "%s-%ld", prefix, k);

		if (publisher_publish(p, topic, payload, (size_t)n, 1, on_done,
		    NULL) == 0)
			handed++;
		else
			rejected++;
	}
	printf("handed=%ld rejected=%ld\n", handed, rejected);

	if (strcmp(mode, "hold") == 0) {
		struct timespec nap = { 0, 50 * 1000000L };

		while (!stop)
			nanosleep(&nap, NULL);
		publisher_free(p, 0);
		printf("stopped acked=%ld failed=%ld\n", atomic_load(&acked),
		    atomic_load(&failed));
		return 0;
	}

	if (publisher_flush(p, flush_ms) == 0 && atomic_load(&acked) == handed)
		rc = 0;
	printf("acked=%ld failed=%ld\n", atomic_load(&acked),
	    atomic_load(&failed));
	publisher_free(p, 2000);
	return rc;
}
