/*
 * topic: MQTT topic validation, matching and the filter index; see topic.h
 * for the rules. Matching works on the strings in place, level by level, and
 * never allocates: the hub runs it for every ingested message.
 */
#include "topic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/*
 * Length of the well-formed UTF-8 sequence at p (1..4), or 0 if it is
 * ill-formed: a stray continuation byte, an overlong form, a surrogate
 * (U+D800..U+DFFF) or a code point above U+10FFFF (RFC 3629 §4). The caller
 * guarantees a terminating NUL, which stops every multi-byte sequence.
 */
static size_t
utf8_seq(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (p[0] == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (p[0] == 0xed && p[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (p[0] == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (p[0] == 0xf4 && p[1] >= 0x90)
			return 0;	/* above U+10FFFF */
		return 4;
	}
	return 0;
}

/*
 * One pass over a name or filter: length, UTF-8, and where wildcards stand.
 * Returns 1 if valid.
 */
static int
topic_check(const char *s, int filter)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, n;
	int level_start = 1;

	if (s == NULL || *s == '\0')
		return 0;
	while (*p != '\0') {
		if (*p == '+' || *p == '#') {
			if (!filter || !level_start)
				return 0;
			/* Alone in its level; '#' in the last level too. */
			if (*p == '+' && p[1] != '/' && p[1] != '\0')
				return 0;
			if (*p == '#' && p[1] != '\0')
				return 0;
		}
		level_start = *p == '/';
		if ((n = utf8_seq(p)) == 0)
			return 0;
		p += n;
		len += n;
		if (len > TOPIC_MAX_LEN)
			return 0;
	}
	return 1;
}

int
topic_name_valid(const char *topic)
{
	return topic_check(topic, 0);
}

int
topic_filter_valid(const char *filter)
{
	return topic_check(filter, 1);
}

int
topic_match(const char *filter, const char *topic)
{
	const char *f = filter, *t = topic;

	if (!topic_filter_valid(filter) || !topic_name_valid(topic))
		return 0;
	if (*t == '$' && (*f == '+' || *f == '#'))
		return 0;
	/* Both f and t are at the start of a level at the top of the loop. */
	for (;;) {
		if (*f == '#')
			return 1;
		if (*f == '+') {
			f++;
			while (*t != '\0' && *t != '/')
				t++;
		} else {
			while (*f != '\0' && *f != '/' && *f == *t) {
				f++;
				t++;
			}
			if ((*f != '\0' && *f != '/') || (*t != '\0' && *t != '/'))
				return 0;
		}
		if (*f == '\0' && *t == '\0')
			return 1;
		if (*f == '\0')
			return 0;
		if (*t == '\0')
			/* "a/#" matches "a": '#' includes the parent level. */
			return f[1] == '#';
		f++;
		t++;
	}
}

size_t
topic_split(const char *topic, struct topic_level *levels, size_t max)
{
	const char *p, *start = topic;
	size_t n = 0;

	for (p = topic;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (n < max) {
			levels[n].p = start;
			levels[n].len = (size_t)(p - start);
		}
		n++;
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return n;
}

/* The index. */

struct tvals {
	void **v;
	size_t n, cap;
};

struct tnode;

struct tchild {
	char *word;
	size_t len;
	struct tnode *node;
};

struct tnode {
	struct tchild *kids;	/* sorted by word_cmp() */
	size_t nkids, capkids;
	struct tnode *plus;
	struct tvals here;	/* filters that end at this node */
	struct tvals hash;	/* filters that end with "/#" below this node */
};

struct topic_index {
	struct tnode root;
	size_t count;
};

/* Any total order does for the binary search; length first is cheapest. */
static int
word_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

static struct tchild *
node_find(const struct tnode *n, const char *w, size_t len, size_t *slot)
{
	size_t lo = 0, hi = n->nkids, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = word_cmp(w, len, n->kids[mid].word, n->kids[mid].len);
		if (c == 0)
			return &n->kids[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (slot != NULL)
		*slot = lo;
	return NULL;
}

static struct tnode *
node_child(struct tnode *n, const char *w, size_t len)
{
	struct tchild *c;
	size_t slot;

	if (len == 1 && w[0] == '+') {
		if (n->plus == NULL)
			n->plus = xcalloc(1, sizeof(*n->plus));
		return n->plus;
	}
	if ((c = node_find(n, w, len, &slot)) != NULL)
		return c->node;
	if (n->nkids == n->capkids) {
		n->capkids = n->capkids ? n->capkids * 2 : 4;
		n->kids = xrealloc(n->kids, n->capkids * sizeof(*n->kids));
	}
	memmove(&n->kids[slot + 1], &n->kids[slot],
	    (n->nkids - slot) * sizeof(*n->kids));
	n->nkids++;
	c = &n->kids[slot];
	c->word = xstrndup(w, len);
	c->len = len;
	c->node = xcalloc(1, sizeof(*c->node));
	return c->node;
}

static void
tvals_push(struct tvals *tv, void *value)
{
	if (tv->n == tv->cap) {
		tv->cap = tv->cap ? tv->cap * 2 : 2;
		tv->v = xrealloc(tv->v, tv->cap * sizeof(*tv->v));
	}
	tv->v[tv->n++] = value;
}

/* Frees what n owns, not n itself (the root is embedded). */
static void
node_clear(struct tnode *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++) {
		node_clear(n->kids[i].node);
		free(n->kids[i].node);
		free(n->kids[i].word);
	}
	free(n->kids);
	if (n->plus != NULL) {
		node_clear(n->plus);
		free(n->plus);
	}
	free(n->here.v);
	free(n->hash.v);
}

struct topic_index *
topic_index_new(void)
{
	return xcalloc(1, sizeof(struct topic_index));
}

void
topic_index_free(struct topic_index *ix)
{
	if (ix == NULL)
		return;
	node_clear(&ix->root);
	free(ix);
}

size_t
topic_index_count(const struct topic_index *ix)
{
	return ix->count;
}

int
topic_index_add(struct topic_index *ix, const char *filter, void *value)
{
	struct topic_level lv[TOPIC_INDEX_MAX_LEVELS];
	struct tnode *n = &ix->root;
	size_t nl, i;

	if (!topic_filter_valid(filter))
		return -1;
	/* The depth limit bounds the recursion in topic_index_match(). */
	if ((nl = topic_split(filter, lv, nitems(lv))) > nitems(lv))
		return -1;
	for (i = 0; i < nl; i++) {
		if (lv[i].len == 1 && lv[i].p[0] == '#') {
			tvals_push(&n->hash, value);
			ix->count++;
			return 0;
		}
		n = node_child(n, lv[i].p, lv[i].len);
	}
	tvals_push(&n->here, value);
	ix->count++;
	return 0;
}

struct walk {
	int (*fn)(void *, void *);
	void *arg;
};

static int
walk_emit(const struct walk *w, const struct tvals *tv)
{
	size_t i;

	for (i = 0; i < tv->n; i++)
		if (w->fn(w->arg, tv->v[i]) != 0)
			return 1;
	return 0;
}

static int walk_level(const struct walk *, const struct tnode *, const char *,
    int);

/* n has consumed the level that ends at e. */
static int
walk_next(const struct walk *w, const struct tnode *n, const char *e)
{
	if (*e != '\0')
		return walk_level(w, n, e + 1, 0);
	/* The topic is used up: filters ending here, and "here/#". */
	if (walk_emit(w, &n->here))
		return 1;
	return walk_emit(w, &n->hash);
}

/*
 * t starts a level that n has to consume; first is set for the topic's first
 * level, where wildcards do not match "$..." (§4.7.2). Returns 1 to stop.
 * The recursion is as deep as the trie, at most TOPIC_INDEX_MAX_LEVELS.
 */
static int
walk_level(const struct walk *w, const struct tnode *n, const char *t,
    int first)
{
	const struct tchild *c;
	const char *e;
	int wild = !(first && *t == '$');

	if (wild && walk_emit(w, &n->hash))
		return 1;
	for (e = t; *e != '\0' && *e != '/'; e++)
		;
	if (n->nkids > 0 &&
	    (c = node_find(n, t, (size_t)(e - t), NULL)) != NULL &&
	    walk_next(w, c->node, e))
		return 1;
	if (wild && n->plus != NULL && walk_next(w, n->plus, e))
		return 1;
	return 0;
}

void
topic_index_match(const struct topic_index *ix, const char *topic,
    int (*fn)(void *arg, void *value), void *arg)
{
	struct walk w = { fn, arg };

	if (!topic_name_valid(topic))
		return;
	walk_level(&w, &ix->root, topic, 1);
}
