/*
 * topic: MQTT topic names, topic filters, and an index that finds every
 * filter matching a topic.
 *
 * The rules follow MQTT 5.0 §4.7 (unchanged from 3.1.1):
 *  - A topic name is non-empty, at most 65,535 bytes of well-formed UTF-8
 *    without U+0000, and contains no wildcard ('+' or '#').
 *  - A topic filter obeys the same, except that '+' may stand alone in a
 *    level and '#' may stand alone in the last level.
 *  - Levels are separated by '/'; empty levels are levels ("a//b" has three,
 *    "/" has two).
 *  - '+' matches exactly one level, an empty one included; '#' matches any
 *    number of levels including none, so "a/#" matches "a".
 *  - A filter starting with a wildcard does not match a topic starting with
 *    '$' (§4.7.2): "#" does not receive "$SYS/...".
 * "$share/<group>/" prefixes are not special here: the hub's routing rules
 * match the topic a message was published to, never a subscription.
 *
 * The index is a trie over levels. Each node has its exact-word children in
 * a sorted array (binary search), one '+' child, the values of filters that
 * end there, and the values of filters that continue with a final '#'.
 * Matching a topic walks at most two branches per level (the exact word and
 * '+'), so its cost depends on the topic and on the filters that share its
 * prefixes, not on the number of filters loaded. It allocates nothing.
 */
#ifndef SIMPUL_TOPIC_H
#define SIMPUL_TOPIC_H

#include <stddef.h>

#define TOPIC_MAX_LEN 65535        /* bytes, MQTT's UTF-8 string limit */
#define TOPIC_INDEX_MAX_LEVELS 64  /* filter depth accepted by the index */

/* 1 if valid, 0 if not (NULL is not valid). */
int topic_name_valid(const char *topic);
int topic_filter_valid(const char *filter);

/*
 * 1 if filter matches topic, else 0. An invalid filter or an invalid topic
 * name never matches.
 */
int topic_match(const char *filter, const char *topic);

struct topic_index;

struct topic_index *topic_index_new(void);
/* Frees the index (not the values, which the caller owns). NULL is fine. */
void topic_index_free(struct topic_index *ix);
/*
 * Adds a filter with its value (e.g. a rule). Returns 0, or -1 if the filter
 * is invalid or has more than TOPIC_INDEX_MAX_LEVELS levels. The filter text
 * is copied. Adding the same value twice makes it reported twice.
 */
int topic_index_add(struct topic_index *ix, const char *filter, void *value);
/* Number of (filter, value) pairs added. */
size_t topic_index_count(const struct topic_index *ix);
/*
 * Calls fn(arg, value) once for every pair added whose filter matches topic,
 * in no particular order (the caller sorts, e.g. by rule priority). Stops
 * early when fn returns non-zero. An invalid topic name matches nothing.
 * Allocates nothing; the index may be shared by threads that only match.
 */
void topic_index_match(const struct topic_index *ix, const char *topic,
    int (*fn)(void *arg, void *value), void *arg);

/* One level of a topic: a view into the caller's string, not terminated. */
struct topic_level {
	const char *p;
	size_t len;
};

/*
 * Splits topic at '/' without copying: fills levels[0 .. min(n, max) - 1]
 * and returns n, the number of levels ("a//b" has 3, "" has 1). When n > max
 * the levels past max are counted but not stored.
 */
size_t topic_split(const char *topic, struct topic_level *levels, size_t max);

#endif
