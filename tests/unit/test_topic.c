/*
 * test_topic: MQTT topic validation, topic_match() and the topic index.
 *
 * The main table is tests/data/mqtt-topic-filters.tsv (cases from the MQTT
 * 3.1.1/5.0 specifications and Mosquitto's unit tests; see its SOURCE
 * note). Every row is checked against topic_match() and against an index
 * holding the filters of all rows. A randomized differential test then
 * compares the index with brute-force topic_match() over a small alphabet
 * that hits the corners: empty levels, '$' topics, '+' and '#' everywhere.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "topic.h"

#define TSV_PATH "tests/data/mqtt-topic-filters.tsv"
#define MAX_ROWS 512

enum expect { EXP_MATCH, EXP_NOMATCH, EXP_INVALID };

struct row {
	char filter[256];
	char topic[256];
	enum expect expect;
	int line;
};

static struct row rows[MAX_ROWS];
static size_t nrows;

/* Copies the next tab-separated field of *p into out and advances *p. */
static int
next_field(char **p, char *out, size_t outlen)
{
	char *tab = strchr(*p, '\t');
	size_t n = tab != NULL ? (size_t)(tab - *p) : strlen(*p);

	if (n >= outlen)
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n + (tab != NULL);
	return tab != NULL ? 0 : 1;
}

static void
load_rows(void)
{
	FILE *f = fopen(TSV_PATH, "r");
	char line[1024], kind[16], *p;
	int lineno = 0;

	if (f == NULL) {
		testlib_fail(__FILE__, __LINE__, "cannot open %s", TSV_PATH);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct row *r;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (nrows == MAX_ROWS) {
			testlib_fail(__FILE__, __LINE__, "too many rows");
			break;
		}
		r = &rows[nrows];
		p = line;
		if (next_field(&p, r->filter, sizeof(r->filter)) != 0 ||
		    next_field(&p, r->topic, sizeof(r->topic)) != 0 ||
		    next_field(&p, kind, sizeof(kind)) < 0) {
			testlib_fail(__FILE__, __LINE__, "%s:%d: bad row",
			    TSV_PATH, lineno);
			continue;
		}
		if (strcmp(kind, "match") == 0)
			r->expect = EXP_MATCH;
		else if (strcmp(kind, "nomatch") == 0)
			r->expect = EXP_NOMATCH;
		else if (strcmp(kind, "invalid") == 0)
			r->expect = EXP_INVALID;
		else {
			testlib_fail(__FILE__, __LINE__, "%s:%d: bad kind '%s'",
			    TSV_PATH, lineno, kind);
			continue;
		}
		r->line = lineno;
		nrows++;
	}
	fclose(f);
}

/* Collects index results as counts per row (values are row pointers). */
struct hits {
	unsigned count[MAX_ROWS];
	size_t total;
	size_t stop_after; /* 0: never stop */
};

static int
collect(void *arg, void *value)
{
	struct hits *h = arg;
	const struct row *r = value;

	h->count[r - rows]++;
	h->total++;
	return h->stop_after != 0 && h->total >= h->stop_after;
}

static void
test_table(void)
{
	struct topic_index *ix = topic_index_new();
	struct hits *h = calloc(1, sizeof(*h));
	size_t i, j, nvalid = 0;
	int seen_dollar = 0, seen_parent = 0, seen_empty_level = 0;

	load_rows();
	CHECK_INT(nrows, 118);

	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		int fv = topic_filter_valid(r->filter);
		int tv = topic_name_valid(r->topic);
		int m = topic_match(r->filter, r->topic);

		switch (r->expect) {
		case EXP_MATCH:
		case EXP_NOMATCH:
			if (!fv || !tv)
				testlib_fail(__FILE__, __LINE__,
				    "line %d: '%s' '%s' should be valid "
				    "(filter %d, topic %d)", r->line,
				    r->filter, r->topic, fv, tv);
			else
				testlib_passed++;
			if (m != (r->expect == EXP_MATCH))
				testlib_fail(__FILE__, __LINE__,
				    "line %d: topic_match('%s', '%s') = %d",
				    r->line, r->filter, r->topic, m);
			else
				testlib_passed++;
			break;
		case EXP_INVALID:
			if (fv && tv)
				testlib_fail(__FILE__, __LINE__,
				    "line %d: '%s' '%s' should be invalid",
				    r->line, r->filter, r->topic);
			else
				testlib_passed++;
			CHECK(m == 0);
			break;
		}
		if (r->topic[0] == '$' && r->expect == EXP_NOMATCH)
			seen_dollar = 1;
		if (strcmp(r->filter, "foo/#") == 0 &&
		    strcmp(r->topic, "foo") == 0 && m == 1)
			seen_parent = 1;
		if (strstr(r->topic, "//") != NULL && m == 1)
			seen_empty_level = 1;

		/* The index refuses exactly the invalid filters. */
		if (topic_index_add(ix, r->filter, (void *)r) == 0) {
			CHECK(fv);
			nvalid++;
		} else {
			CHECK(!fv);
		}
	}
	CHECK(seen_dollar);
	CHECK(seen_parent);
	CHECK(seen_empty_level);
	CHECK_INT(topic_index_count(ix), nvalid);

	/*
	 * Every topic of the table against every filter in the index: each
	 * row's value comes back exactly once when its filter matches the
	 * topic, and never otherwise.
	 */
	for (i = 0; i < nrows; i++) {
		const char *topic = rows[i].topic;

		memset(h, 0, sizeof(*h));
		topic_index_match(ix, topic, collect, h);
		for (j = 0; j < nrows; j++) {
			unsigned want = (unsigned)topic_match(rows[j].filter,
			    topic);

			if (h->count[j] != want)
				testlib_fail(__FILE__, __LINE__,
				    "index: filter '%s' (line %d) topic '%s' "
				    "(line %d): reported %u times, want %u",
				    rows[j].filter, rows[j].line, topic,
				    rows[i].line, h->count[j], want);
			else
				testlib_passed++;
		}
		/* And the row's own expectation, through the index. */
		if (rows[i].expect == EXP_MATCH)
			CHECK_INT(h->count[i], 1);
		else
			CHECK_INT(h->count[i], 0);
	}

	/* fn returning non-zero stops the walk. */
	memset(h, 0, sizeof(*h));
	topic_index_match(ix, "sport/tennis/player1", collect, h);
	CHECK(h->total >= 3);
	memset(h, 0, sizeof(*h));
	h->stop_after = 1;
	topic_index_match(ix, "sport/tennis/player1", collect, h);
	CHECK_INT(h->total, 1);

	topic_index_free(ix);
	free(h);
}

static void
test_validity(void)
{
	char *big;

	CHECK(!topic_name_valid(NULL));
	CHECK(!topic_filter_valid(NULL));
	CHECK(!topic_name_valid(""));
	CHECK(topic_name_valid("karo/ev/dishub/gps/gps.position"));
	CHECK(topic_filter_valid("karo/ev/+/gps/#"));
	CHECK(topic_filter_valid("+/+/#"));
	CHECK(!topic_filter_valid("karo/#/x"));
	CHECK(!topic_filter_valid("karo/ev+"));
	CHECK(topic_name_valid("karo/ev/dinkes/ambulans/lokasi/Kabanjahe é"));
	/* UTF-8: overlong, surrogate, stray continuation, truncated. */
	CHECK(!topic_name_valid("a/\xc0\xaf"));
	CHECK(!topic_name_valid("a/\xed\xa0\x80"));
	CHECK(!topic_name_valid("a/\x80"));
	CHECK(!topic_name_valid("a/\xe2\x82"));
	CHECK(!topic_name_valid("a/\xf4\x90\x80\x80"));
	CHECK(topic_name_valid("a/\xf0\x9f\x9a\x91"));
	CHECK(!topic_filter_valid("a/\xc0\xaf/#"));

	/* 65,535 bytes is the most a UTF-8 string in MQTT can hold. */
	big = malloc(TOPIC_MAX_LEN + 2);
	memset(big, 'a', TOPIC_MAX_LEN);
	big[TOPIC_MAX_LEN] = '\0';
	CHECK(topic_name_valid(big));
	CHECK(topic_match("#", big));
	big[TOPIC_MAX_LEN] = 'a';
	big[TOPIC_MAX_LEN + 1] = '\0';
	CHECK(!topic_name_valid(big));
	CHECK(!topic_match("#", big));
	free(big);
}

static int
count_cb(void *arg, void *value)
{
	(void)value;
	(*(int *)arg)++;
	return 0;
}

static void
test_index_limits(void)
{
	struct topic_index *ix = topic_index_new();
	char filter[4 * TOPIC_INDEX_MAX_LEVELS + 8];
	size_t i;
	int n = 0, v;

	/* TOPIC_INDEX_MAX_LEVELS levels are accepted, one more is not. */
	for (i = 0; i < TOPIC_INDEX_MAX_LEVELS; i++)
		memcpy(filter + 2 * i, "a/", 2);
	filter[2 * TOPIC_INDEX_MAX_LEVELS - 1] = '\0';
	CHECK_INT(topic_index_add(ix, filter, &v), 0);
	topic_index_match(ix, filter, count_cb, &n);
	CHECK_INT(n, 1);
	memcpy(filter + 2 * TOPIC_INDEX_MAX_LEVELS - 1, "/#", 3);
	CHECK_INT(topic_index_add(ix, filter, &v), -1);
	CHECK_INT(topic_index_add(ix, "a/#/b", &v), -1);
	CHECK_INT(topic_index_add(ix, "", &v), -1);

	/* The same value added twice is reported twice. */
	CHECK_INT(topic_index_add(ix, "x/+", &v), 0);
	CHECK_INT(topic_index_add(ix, "x/#", &v), 0);
	n = 0;
	topic_index_match(ix, "x/y", count_cb, &n);
	CHECK_INT(n, 2);
	/* Invalid topic names match nothing. */
	n = 0;
	topic_index_match(ix, "x/+", count_cb, &n);
	CHECK_INT(n, 0);
	topic_index_free(ix);
	topic_index_free(NULL);
}

static void
test_split(void)
{
	struct topic_level lv[4];

	CHECK_INT(topic_split("karo/ev/dishub/gps/gps.position", lv, 4), 5);
	CHECK(lv[0].len == 4 && memcmp(lv[0].p, "karo", 4) == 0);
	CHECK(lv[2].len == 6 && memcmp(lv[2].p, "dishub", 6) == 0);
	CHECK(lv[3].len == 3 && memcmp(lv[3].p, "gps", 3) == 0);
	CHECK_INT(topic_split("a//b", lv, 4), 3);
	CHECK_INT(lv[1].len, 0);
	CHECK(lv[2].len == 1 && lv[2].p[0] == 'b');
	CHECK_INT(topic_split("/", lv, 4), 2);
	CHECK(lv[0].len == 0 && lv[1].len == 0);
	CHECK_INT(topic_split("", lv, 4), 1);
	CHECK_INT(lv[0].len, 0);
	CHECK_INT(topic_split("a/b", lv, 0), 2);
}

/* xorshift64*: a fixed seed keeps failures reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static void
random_string(char *out, size_t outlen, const char *const *alpha,
    unsigned nalpha)
{
	unsigned i, nlevels = 1 + rnd(5);

	out[0] = '\0';
	for (i = 0; i < nlevels; i++) {
		if (i > 0)
			strncat(out, "/", outlen - strlen(out) - 1);
		strncat(out, alpha[rnd(nalpha)], outlen - strlen(out) - 1);
	}
}

#define NFILTERS 300
#define NTOPICS 3000

static char rfilters[NFILTERS][64];

struct slots {
	unsigned count[NFILTERS];
};

static int
count_slot(void *arg, void *value)
{
	struct slots *s = arg;

	s->count[(char (*)[64])value - rfilters]++;
	return 0;
}

static void
test_random(void)
{
	static const char *const falpha[] = { "a", "b", "", "+", "+", "#",
	    "$a", "a+", "#b" };
	static const char *const talpha[] = { "a", "b", "", "$a", "$b", "+" };
	struct topic_index *ix = topic_index_new();
	struct slots s;
	char topic[64];
	size_t i, j, matches = 0, mismatches = 0;

	for (i = 0; i < NFILTERS; i++) {
		random_string(rfilters[i], sizeof(rfilters[i]), falpha,
		    sizeof(falpha) / sizeof(falpha[0]));
		if (topic_index_add(ix, rfilters[i], rfilters[i]) == 0)
			CHECK(topic_filter_valid(rfilters[i]));
		else
			CHECK(!topic_filter_valid(rfilters[i]));
	}
	for (i = 0; i < NTOPICS; i++) {
		random_string(topic, sizeof(topic), talpha,
		    sizeof(talpha) / sizeof(talpha[0]));
		memset(&s, 0, sizeof(s));
		topic_index_match(ix, topic, count_slot, &s);
		for (j = 0; j < NFILTERS; j++) {
			unsigned want = (unsigned)topic_match(rfilters[j],
			    topic);

			matches += want;
			if (s.count[j] == want)
				continue;
			if (mismatches++ < 10)
				testlib_fail(__FILE__, __LINE__,
				    "random: filter '%s' topic '%s': "
				    "index %u, topic_match %u",
				    rfilters[j], topic, s.count[j], want);
		}
	}
	CHECK_INT(mismatches, 0);
	/* The alphabet is small enough that plenty of pairs match. */
	CHECK(matches > NTOPICS);
	topic_index_free(ix);
}

int
main(void)
{
	test_table();
	test_validity();
	test_index_limits();
	test_split();
	test_random();
	return testlib_done();
}
