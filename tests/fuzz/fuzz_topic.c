/*
 * fuzz_topic: MQTT topic validation, topic_match() and the topic index
 * (common/topic.c).
 *
 * Input: a topic filter, a NUL byte, then a topic name. Checks, aborting on
 * any disagreement: a valid name is also a valid filter and matches itself;
 * topic_match() only matches valid pairs; an index holding the filter (and
 * a few fixed filters) reports it exactly when topic_match() says so;
 * topic_split() counts one level more than there are '/'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {
	"#", "+", "+/#", "karo/ev/+/gps/#", "$SYS/#", "a/+/+", "/",
};

struct seen {
	int fuzzed;
	int fixed[sizeof(fixed) / sizeof(fixed[0])];
};

static int
record(void *arg, void *value)
{
	struct seen *s = arg;
	const char *const *f = value;

	if (value == (void *)s)
		s->fuzzed++;
	else
		s->fixed[f - fixed]++;
	return 0;
}

static size_t
count_levels(const char *s)
{
	size_t n = 1;

	for (; *s != '\0'; s++)
		n += *s == '/';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t flen = nul != NULL ? (size_t)(nul - data) : size;
	struct topic_level lv[8];
	struct topic_index *ix;
	struct seen s;
	char *filter, *topic;
	size_t i, tlen;
	int m, added;

	tlen = nul != NULL ? size - flen - 1 : 0;
	filter = malloc(flen + 1);
	topic = malloc(tlen + 1);
	if (filter == NULL || topic == NULL)
		goto out;
	memcpy(filter, data, flen);
	filter[flen] = '\0';
	if (nul != NULL)
		memcpy(topic, nul + 1, tlen);
	topic[tlen] = '\0';
	/* A topic may hold NUL bytes on the wire; ours stops at the first. */
	tlen = strlen(topic);

	if (topic_name_valid(topic) && !topic_filter_valid(topic))
		abort();
	if (topic_name_valid(topic) && !topic_match(topic, topic))
		abort();
	m = topic_match(filter, topic);
	if (m && (!topic_filter_valid(filter) || !topic_name_valid(topic)))
		abort();
	if (topic_split(topic, lv, 8) != count_levels(topic))
		abort();

	ix = topic_index_new();
	added = topic_index_add(ix, filter, &s) == 0;
	if (added && !topic_filter_valid(filter))
		abort();
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (topic_index_add(ix, fixed[i], (void *)&fixed[i]) != 0)
			abort();
	memset(&s, 0, sizeof(s));
	topic_index_match(ix, topic, record, &s);
	/* Filters deeper than the index allows are refused, not matched. */
	if (added && s.fuzzed != m)
		abort();
	if (!added && s.fuzzed != 0)
		abort();
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (s.fixed[i] != topic_match(fixed[i], topic))
			abort();
	topic_index_free(ix);
out:
	free(filter);
	free(topic);
	return 0;
}
