/*
 * bench-router: the hub's router alone, on a rule file and a file of
 * events, without PostgreSQL, the broker or the outbox.
 *
 *   bench-router RULES.yaml EVENTS.tsv [--repeat N] [--site S] [--linear]
 *
 * EVENTS.tsv holds one "TOPIC<TAB>JSON" per line, as `simpul-loadgen pub
 * --dump --dump-topics` writes them. The events are parsed once; then the
 * router (router_route_to, the code the hub's writer runs) routes all of
 * them N times into a sink that only counts. It prints the time per event
 * and the output counts, so two builds (or two rule sets) compare on the
 * same input. --linear uses the reference router (ROUTER_LINEAR: every
 * rule tried in turn), whose output counts must be the same. Its instruction counts under `valgrind --tool=callgrind` are
 * what docs/bench.md reports, because wall-clock time on a shared machine
 * moves with the neighbours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "router.h"
#include "rules.h"
#include "util.h"

struct counts {
	unsigned long publishes, alerts, cases;
};

static void
count_publish(void *arg, const char *rule, const char *event_id,
    const char *topic, const char *payload, size_t len)
{
	(void)rule; (void)event_id; (void)topic; (void)payload; (void)len;
	((struct counts *)arg)->publishes++;
}

static void
count_alert(void *arg, const char *rule, const char *event_id,
    const char *severity, const char *opd, const char *message)
{
	(void)rule; (void)event_id; (void)severity; (void)opd; (void)message;
	((struct counts *)arg)->alerts++;
}

static void
count_case(void *arg, const char *rule, const char *event_id,
    const char *key, const char *kind, const char *opd, const char *policy,
    const char *severity, const char *title, const char *channel)
{
	(void)rule; (void)event_id; (void)key; (void)kind; (void)opd;
	(void)policy; (void)severity; (void)title; (void)channel;
	((struct counts *)arg)->cases++;
}

struct event {
	char *topic;
	char *payload;
	size_t len;
	cJSON *doc;
};

/* Reads TOPIC<TAB>JSON lines; returns the count, fatal on a bad line. */
static size_t
read_events(const char *path, struct event **out)
{
	FILE *f = fopen(path, "r");
	struct event *ev = NULL;
	size_t n = 0, cap = 0, linecap = 0;
	char *line = NULL, *tab;
	ssize_t len;

	if (f == NULL)
		fatal("bench-router: %s", path);
	while ((len = getline(&line, &linecap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			fatalx("bench-router: %s: a line without a tab", path);
		*tab = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			ev = xrealloc(ev, cap * sizeof(*ev));
		}
		ev[n].topic = xstrdup(line);
		ev[n].payload = xstrdup(tab + 1);
		ev[n].len = strlen(tab + 1);
		if ((ev[n].doc = cJSON_Parse(ev[n].payload)) == NULL)
			fatalx("bench-router: %s: line %zu is not JSON", path,
			    n + 1);
		n++;
	}
	free(line);
	fclose(f);
	*out = ev;
	return n;
}

int
main(int argc, char **argv)
{
	struct counts c = { 0, 0, 0 };
	struct router_sink sink = { count_publish, count_alert, count_case,
	    &c };
	struct rule_errors errs;
	struct ruleset *rs;
	struct router *r;
	struct event *ev;
	const char *site = "karo";
	long repeat = 1;
	int flags = 0;
	size_t n, i;
	int64_t t0, t1;
	int k;

	for (k = 3; k < argc; k++) {
		if (strcmp(argv[k], "--repeat") == 0 && k + 1 < argc) {
			if (parse_long(argv[++k], 1, 1000000, &repeat) == -1)
				fatalx("bench-router: bad --repeat");
		} else if (strcmp(argv[k], "--site") == 0 && k + 1 < argc) {
			site = argv[++k];
		} else if (strcmp(argv[k], "--linear") == 0) {
			flags |= ROUTER_LINEAR;
		} else {
			argc = 0;
		}
	}
	if (argc < 3) {
		fprintf(stderr, "usage: bench-router RULES.yaml EVENTS.tsv "
		    "[--repeat N] [--site S] [--linear]\n");
		return 2;
	}
	rule_errors_init(&errs);
	if ((rs = ruleset_load_yaml(argv[1], site, &errs)) == NULL) {
		for (i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		return 1;
	}
	n = read_events(argv[2], &ev);
	r = router_new_flags(rs, site, flags);
	t0 = clock_mono_ms();
	for (k = 0; k < repeat; k++)
		for (i = 0; i < n; i++)
			router_route_to(r, &sink, ev[i].topic, ev[i].doc,
			    ev[i].payload, ev[i].len);
	t1 = clock_mono_ms();
	printf("rules=%zu events=%zu repeat=%ld ns_per_event=%.0f "
	    "publishes=%lu alerts=%lu cases=%lu\n", router_rule_count(r), n,
	    repeat, (double)(t1 - t0) * 1e6 / ((double)n * (double)repeat),
	    c.publishes, c.alerts, c.cases);
	router_free(r);
	for (i = 0; i < n; i++) {
		cJSON_Delete(ev[i].doc);
		free(ev[i].topic);
		free(ev[i].payload);
	}
	free(ev);
	return 0;
}
