/*
 * sqlpoll: see sqlpoll.h.
 *
 * One thread does everything that touches the database: for each feed in
 * turn it runs batches (query, map, publish, wait for the broker's
 * acknowledgements, write the checkpoint) until a batch comes back short,
 * then reconciles when that is due, then sleeps for the poll interval.
 * Paho's thread only decrements the current batch's counter.
 *
 * All values are fetched with SQLGetData() as SQL_C_CHAR: the text the
 * driver prints for a NUMERIC(18,0) is the exact number, and colmap parses
 * it digit by digit. The watermark and key are kept as that same text and
 * bound back as text parameters, so they round-trip through the database's
 * own conversion.
 *
 * The batch struct outlives a batch the poller gave up on (a stop while the
 * broker is away): the last acknowledgement frees it, whichever side comes
 * last, decided under its mutex.
 */
#include "sqlpoll.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sql.h>
#include <sqlext.h>

#include "checkpoint.h"
#include "cond.h"
#include "colmap.h"
#include "log.h"
#include "util.h"

#define FEED_NAME_MAX 32
#define RESULT_COLS_MAX 1024
#define CK_MAGIC "sqlpoll1\n"
#define ACK_WAIT_NOTE_MS 30000 /* when a long wait for acks is logged */

enum wm_type { WM_TIMESTAMP, WM_INTEGER, WM_TEXT };
enum limit_style { LIMIT_FETCH, LIMIT_TOP, LIMIT_LIMIT };
enum cond { COND_NONE, COND_FROM, COND_AFTER };

/* A failure streak: logged once when it starts and once when it ends. */
struct streak {
	unsigned failures;
	int64_t since;    /* mono ms of the first failure */
	int64_t delay;    /* current backoff */
	int64_t retry_at; /* mono ms */
};

/* The [feed] keys of one feed. */
struct feed_conf {
	char *system;
	char *select;
	char *from;
	char *where;
	char *watermark;
	char *watermark_column;
	char *watermark_type;
	char *key;
	char *key_column;
	long batch;
	char *start;
	char *timezone;
	int64_t reconcile_window;
	int64_t reconcile_interval;
	char *on_bad_row;
	uint64_t max_value;
};

#define FC(f) offsetof(struct feed_conf, f)

static const struct conf_key feed_keys[] = {
	{ "feed", "system", CONF_STR, NULL, 0, 0, FC(system),
	    "source system: the event source is /<site>/<opd>/<system> and "
	    "the topic <site>/ev/<opd>/<system>/<type> (default: the "
	    "adapter's, e.g. sppidol or simda)" },
	{ "feed", "select", CONF_STR, "*", 0, 0, FC(select),
	    "the select list; columns are found by name (case-insensitive), "
	    "so name expressions with AS, e.g. CONCAT(Kd_Urusan, '.', "
	    "Kd_Bidang) AS kode_opd. Long SQL continues on indented lines" },
	{ "feed", "from", CONF_STR, NULL, 0, 0, FC(from),
	    "(required) table, view or join, e.g. sp2d s JOIN skpd k ON "
	    "k.kd_skpd = s.kd_skpd" },
	{ "feed", "where", CONF_STR, NULL, 0, 0, FC(where),
	    "an extra condition, e.g. tahun_anggaran >= 2026" },
	{ "feed", "watermark", CONF_STR, NULL, 0, 0, FC(watermark),
	    "(required) the expression that grows whenever a row changes, "
	    "e.g. s.updated_at (rows where it is NULL are never read)" },
	{ "feed", "watermark_column", CONF_STR, NULL, 0, 0,
	    FC(watermark_column),
	    "its name in the result (default: watermark after the last dot)" },
	{ "feed", "watermark_type", CONF_STR, "timestamp", 0, 0,
	    FC(watermark_type),
	    "timestamp, integer (a rowversion cast to bigint) or text; "
	    "reconciliation needs timestamp" },
	{ "feed", "key", CONF_STR, NULL, 0, 0, FC(key),
	    "(required) unique, not-null expression that orders rows with the "
	    "same watermark, e.g. s.no_sp2d or h.id" },
	{ "feed", "key_column", CONF_STR, NULL, 0, 0, FC(key_column),
	    "its name in the result (default: key after the last dot)" },
	{ "feed", "batch", CONF_INT, "500", 1, 100000, FC(batch),
	    "rows per query; the checkpoint moves once per batch" },
	{ "feed", "start", CONF_STR, NULL, 0, 0, FC(start),
	    "watermark to start from when there is no checkpoint yet, e.g. "
	    "2026-01-01 00:00:00 (default: the whole table)" },
	{ "feed", "timezone", CONF_STR, "+07:00", 0, 0, FC(timezone),
	    "UTC offset of timestamps without one (WIB: +07:00)" },
	{ "feed", "reconcile_window", CONF_DURATION, "48h", 0, 31622400000LL,
	    FC(reconcile_window),
	    "how far behind the watermark reconciliation reads again (0: "
	    "never)" },
	{ "feed", "reconcile_interval", CONF_DURATION, "10m", 1000,
	    604800000, FC(reconcile_interval),
	    "how often reconciliation runs" },
	{ "feed", "on_bad_row", CONF_STR, "skip", 0, 0, FC(on_bad_row),
	    "a row whose values cannot be mapped (a fraction in an amount, "
	    "an unknown status): skip (log it and go on) or stop (retry "
	    "until the row is fixed)" },
	{ "feed", "max_value", CONF_SIZE, "64k", 1024, 16777216,
	    FC(max_value), "longest column value; a longer one is a bad row" },
};

/* SQL keys that continue on indented lines. */
static const char *const feed_sql_keys[] = { "select", "from", "where",
	"watermark", "key" };

struct batch {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	unsigned pending;
	unsigned acked;
	unsigned failed;
	int abandoned;
};

struct feed {
	char *name;
	struct feed_conf c;
	unsigned seen; /* bit i: feed_sql_keys[i] was set in the file */
	int has_feed_section;
	struct colmap *cm;
	enum wm_type wm_type;
	int stop_on_bad;

	/* Run-time state. */
	struct checkpoint *cp;
	char *ck_wm, *ck_key;   /* the checkpoint; NULL: none yet */
	struct streak streak;
	int64_t next_poll;
	int64_t next_reconcile;
	struct sqlpoll_stats st;
};

struct lookup_line {
	char *table, *key, *value;
};

struct sqlpoll_feeds {
	char *system;
	struct feed **v;
	size_t n;
	struct lookup_line *lookups;
	size_t nlookups;
	struct colmap *scratch; /* validates lookup lines as they come */
};

struct sqlpoll {
	struct adapter *ad;
	const struct sqlpoll_source *src;
	struct sqlpoll_feeds *fs;
	enum limit_style limit;
	SQLHENV env;
	SQLHDBC dbc;
	int connected;
	int ever_connected;
	struct streak conn;
};

/* One executing query and the row being read. */
struct result {
	SQLHSTMT st;
	size_t n;
	char **names;
	enum colmap_sqlkind *kinds;
	struct buf *bufs;
	const char **values;
	size_t wm, key; /* result indices */
	int started;
};

/* A query's text parameters (owned). */
struct params {
	char *v[4];
	SQLLEN ind[4];
	int n;
};

/* --- config --------------------------------------------------------------- */

struct sqlpoll_feeds *
sqlpoll_feeds_new(const char *system)
{
	struct sqlpoll_feeds *fs = xcalloc(1, sizeof(*fs));

	fs->system = xstrdup(system);
	fs->scratch = colmap_new();
	return fs;
}

static void
feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	conf_free(feed_keys, nitems(feed_keys), &f->c);
	colmap_free(f->cm);
	checkpoint_free(f->cp);
	free(f->ck_wm);
	free(f->ck_key);
	free(f->name);
	free(f);
}

void
sqlpoll_feeds_free(struct sqlpoll_feeds *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++)
		feed_free(fs->v[i]);
	free(fs->v);
	for (i = 0; i < fs->nlookups; i++) {
		free(fs->lookups[i].table);
		free(fs->lookups[i].key);
		free(fs->lookups[i].value);
	}
	free(fs->lookups);
	colmap_free(fs->scratch);
	free(fs->system);
	free(fs);
}

static int
feed_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > FEED_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static struct feed *
feed_get(struct sqlpoll_feeds *fs, const char *name)
{
	struct feed *f;
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i]->name, name) == 0)
			return fs->v[i];
	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(name);
	f->cm = colmap_new();
	conf_load(feed_keys, nitems(feed_keys), &f->c, NULL, NULL);
	fs->v = xrealloc(fs->v, (fs->n + 1) * sizeof(*fs->v));
	fs->v[fs->n++] = f;
	return f;
}

/*
 * "word" or "word NAME": 1 with *name set ("main" without a name), or 0
 * when section is not this word.
 */
static int
section_is(const char *section, const char *word, const char **name)
{
	size_t n = strlen(word);

	if (strncmp(section, word, n) != 0)
		return 0;
	if (section[n] == '\0') {
		*name = "main";
		return 1;
	}
	if (section[n] != ' ')
		return 0;
	*name = section + n + 1;
	while (**name == ' ')
		(*name)++;
	return 1;
}

/* The struct member of feed_sql_keys[i]. */
static char **
feed_sql_field(struct feed *f, size_t i)
{
	switch (i) {
	case 0:
		return &f->c.select;
	case 1:
		return &f->c.from;
	case 2:
		return &f->c.where;
	case 3:
		return &f->c.watermark;
	default:
		return &f->c.key;
	}
}

static int
feed_conf_line(struct feed *f, const char *name, const char *value,
    char *err, size_t errlen)
{
	char **field;
	char *joined;
	size_t i;

	for (i = 0; i < nitems(feed_sql_keys); i++) {
		if (strcmp(name, feed_sql_keys[i]) != 0)
			continue;
		if (!(f->seen & (1u << i))) {
			f->seen |= 1u << i;
			break;
		}
		/* A continuation line (or the key again): append. */
		field = feed_sql_field(f, i);
		joined = xasprintf("%s %s", *field, value);
		free(*field);
		*field = joined;
		return 0;
	}
	return conf_set(feed_keys, nitems(feed_keys), &f->c, "feed", name,
	    value, err, errlen);
}

int
sqlpoll_feeds_conf(struct sqlpoll_feeds *fs, const char *section,
    const char *name, const char *value, char *err, size_t errlen)
{
	struct lookup_line *l;
	struct feed *f;
	const char *fname;

	if (section_is(section, "lookup", &fname)) {
		if (strcmp(section, "lookup") == 0) {
			snprintf(err, errlen, "[lookup] needs a table name: "
			    "[lookup opd]");
			return -1;
		}
		if (colmap_set_lookup(fs->scratch, fname, name, value, err,
		    errlen) == -1)
			return -1;
		fs->lookups = xrealloc(fs->lookups,
		    (fs->nlookups + 1) * sizeof(*fs->lookups));
		l = &fs->lookups[fs->nlookups++];
		l->table = xstrdup(fname);
		l->key = xstrdup(name);
		l->value = xstrdup(value);
		return 0;
	}
	if (!section_is(section, "feed", &fname) &&
	    !section_is(section, "map", &fname) &&
	    !section_is(section, "types", &fname))
		return 1;
	if (!feed_name_ok(fname)) {
		snprintf(err, errlen, "bad feed name '%s' (1-%d of a-z 0-9 _ "
		    "-)", fname, FEED_NAME_MAX);
		return -1;
	}
	f = feed_get(fs, fname);
	switch (section[0]) {
	case 'f':
		f->has_feed_section = 1;
		return feed_conf_line(f, name, value, err, errlen);
	case 'm':
		return colmap_set(f->cm, name, value, err, errlen);
	default:
		return colmap_set_type(f->cm, name, value, err, errlen);
	}
}

/* The name after the last dot of a column expression, without [] or "". */
static char *
column_default(const char *expr)
{
	const char *p = strrchr(expr, '.');
	size_t n;

	p = p ? p + 1 : expr;
	while (*p == ' ')
		p++;
	if (*p == '[' || *p == '"')
		p++;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == ']' ||
	    p[n - 1] == '"'))
		n--;
	return xstrndup(p, n);
}

static int
plain_name_ok(const char *s)
{
	size_t i;

	if (*s == '\0' || strlen(s) > COLMAP_NAME_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || s[i] == '_' || s[i] == '#' ||
		    s[i] == '@' || (i > 0 && ((s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '$'))))
			return 0;
	return 1;
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

static int
feed_check(struct sqlpoll_feeds *fs, struct feed *f, const char *path,
    const char *const *allowed)
{
	struct feed_conf *c = &f->c;
	char err[512];
	const char *ty;
	size_t i, j;
	int tz, errors = 0;

#define FEED_ERR(...) do {                                                   \
	char m_[600];                                                         \
	snprintf(m_, sizeof(m_), __VA_ARGS__);                                \
	log_warnx("%s: feed %s: %s", path, f->name, m_);                      \
	errors++;                                                             \
} while (0)

	if (!f->has_feed_section)
		FEED_ERR("[map %s] or [types %s] without [feed %s]", f->name,
		    f->name, f->name);
	if (empty(c->system)) {
		free(c->system);
		c->system = xstrdup(fs->system);
	}
	if (!cloudevent_name_ok(c->system))
		FEED_ERR("system '%s' is not a topic level (a-z 0-9 . _ -)",
		    c->system);
	if (empty(c->from))
		FEED_ERR("from is required");
	if (empty(c->select))
		FEED_ERR("select is empty");
	if (empty(c->watermark))
		FEED_ERR("watermark is required");
	if (empty(c->key))
		FEED_ERR("key is required");
	if (empty(c->watermark) || empty(c->key)) {
		/* The rest depends on them; still check the types. */
		colmap_check(f->cm, err, sizeof(err));
		goto types;
	}
	if (empty(c->watermark_column)) {
		free(c->watermark_column);
		c->watermark_column = column_default(c->watermark);
	}
	if (empty(c->key_column)) {
		free(c->key_column);
		c->key_column = column_default(c->key);
	}
	if (!plain_name_ok(c->watermark_column))
		FEED_ERR("cannot tell the watermark's column name from '%s': "
		    "set watermark_column", c->watermark);
	if (!plain_name_ok(c->key_column))
		FEED_ERR("cannot tell the key's column name from '%s': set "
		    "key_column", c->key);
	if (strcmp(c->watermark_type, "timestamp") == 0)
		f->wm_type = WM_TIMESTAMP;
	else if (strcmp(c->watermark_type, "integer") == 0)
		f->wm_type = WM_INTEGER;
	else if (strcmp(c->watermark_type, "text") == 0)
		f->wm_type = WM_TEXT;
	else
		FEED_ERR("watermark_type must be timestamp, integer or text");
	if (strcmp(c->on_bad_row, "skip") == 0)
		f->stop_on_bad = 0;
	else if (strcmp(c->on_bad_row, "stop") == 0)
		f->stop_on_bad = 1;
	else
		FEED_ERR("on_bad_row must be skip or stop");
	if (colmap_parse_offset(c->timezone, &tz) == -1)
		FEED_ERR("timezone '%s' is not an offset like +07:00",
		    c->timezone);
	else
		colmap_set_timezone(f->cm, tz);
	if (!empty(c->start) && strchr(c->start, '\n') != NULL)
		FEED_ERR("start has a newline");
	if (f->wm_type != WM_TIMESTAMP && c->reconcile_window > 0)
		log_warnx("%s: feed %s: reconciliation needs watermark_type "
		    "= timestamp; it is off", path, f->name);

	/* The event time defaults to the (timestamp) watermark. */
	if (!colmap_has(f->cm, "time") && f->wm_type == WM_TIMESTAMP &&
	    plain_name_ok(c->watermark_column) &&
	    colmap_set(f->cm, "time", c->watermark_column, err,
	    sizeof(err)) == -1)
		FEED_ERR("time: %s", err);
	for (i = 0; i < fs->nlookups; i++)
		if (colmap_set_lookup(f->cm, fs->lookups[i].table,
		    fs->lookups[i].key, fs->lookups[i].value, err,
		    sizeof(err)) == -1)
			FEED_ERR("%s", err);
	if (colmap_check(f->cm, err, sizeof(err)) == -1)
		FEED_ERR("%s", err);
types:
	if (allowed != NULL) {
		for (i = 0; (ty = colmap_type_at(f->cm, i)) != NULL; i++) {
			for (j = 0; allowed[j] != NULL; j++)
				if (strcmp(allowed[j], ty) == 0)
					break;
			if (allowed[j] == NULL)
				FEED_ERR("type %s is not one this adapter "
				    "publishes", ty);
		}
	}
#undef FEED_ERR
	return errors;
}

int
sqlpoll_check(const struct sqlpoll_source *src, struct sqlpoll_feeds *fs,
    const char *path, const char *const *allowed)
{
	size_t i;
	int errors = 0;

	if (empty(src->dsn)) {
		log_warnx("%s: [source] dsn is required", path);
		errors++;
	}
	if (src->row_limit == NULL || (strcmp(src->row_limit, "fetch") != 0 &&
	    strcmp(src->row_limit, "top") != 0 &&
	    strcmp(src->row_limit, "limit") != 0)) {
		log_warnx("%s: [source] row_limit must be fetch, top or limit",
		    path);
		errors++;
	}
	if (src->retry_max < src->retry_min) {
		log_warnx("%s: [source] retry_max is below retry_min", path);
		errors++;
	}
	if (fs->n == 0) {
		log_warnx("%s: no [feed] section: nothing to poll", path);
		errors++;
	}
	for (i = 0; i < fs->n; i++)
		errors += feed_check(fs, fs->v[i], path, allowed);
	return errors;
}

static void
dump_comment(FILE *out, const char *text)
{
	const char *p = text;
	size_t n, cut;

	while (*p != '\0') {
		n = strlen(p);
		cut = n;
		if (n > 76) {
			for (cut = 76; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = 76;
		}
		fprintf(out, "; %.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

void
sqlpoll_feeds_dump(FILE *out)
{
	size_t i;

	fputs("\n; --- Feeds ------------------------------------------------"
	    "-------------\n", out);
	dump_comment(out, "Each [feed NAME] is one watermark query; its rows "
	    "become events through [map NAME] and [types NAME], and [lookup "
	    "TABLE] sections serve every feed. [feed], [map] and [types] "
	    "without a name are the feed 'main'. See docs/sql-adapters.md "
	    "and the example feeds below.");
	fputs(";[feed NAME]\n", out);
	for (i = 0; i < nitems(feed_keys); i++) {
		dump_comment(out, feed_keys[i].help);
		fprintf(out, ";%s = %s\n", feed_keys[i].name,
		    feed_keys[i].def ? feed_keys[i].def : "");
	}
}

/* --- checkpoint value ----------------------------------------------------- */

static void
ck_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_append(b, "\\\\", 2);
		else if (*s == '\n')
			buf_append(b, "\\n", 2);
		else
			buf_append(b, s, 1);
	}
}

static char *
ck_unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			*o++ = s[i] == 'n' ? '\n' : s[i];
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static int
ck_decode(const char *v, char **wm, char **key)
{
	const char *p, *nl;

	if (strncmp(v, CK_MAGIC, strlen(CK_MAGIC)) != 0)
		return -1;
	p = v + strlen(CK_MAGIC);
	if ((nl = strchr(p, '\n')) == NULL || strchr(nl + 1, '\n') != NULL)
		return -1;
	*wm = ck_unescape(p, (size_t)(nl - p));
	*key = ck_unescape(nl + 1, strlen(nl + 1));
	return 0;
}

static int
feed_checkpoint(struct feed *f, const char *wm, const char *key)
{
	struct buf b;
	int rv = -1;

	buf_init(&b, 0);
	buf_append(&b, CK_MAGIC, strlen(CK_MAGIC));
	ck_escape(&b, wm);
	buf_append(&b, "\n", 1);
	ck_escape(&b, key);
	buf_terminate(&b);
	if (b.len > CHECKPOINT_VALUE_MAX) {
		log_warnx("sqlpoll: feed=%s: watermark and key are longer than "
		    "a checkpoint can hold (%d bytes)", f->name,
		    CHECKPOINT_VALUE_MAX);
		goto out;
	}
	if (checkpoint_write(f->cp, b.data) == -1)
		goto out;
	free(f->ck_wm);
	free(f->ck_key);
	f->ck_wm = xstrdup(wm);
	f->ck_key = xstrdup(key);
	f->st.batches++;
	rv = 0;
out:
	buf_free(&b);
	return rv;
}

/* --- failure streaks ------------------------------------------------------ */

static void
streak_fail(struct sqlpoll *sp, struct streak *s, int64_t now,
    const char *what, const char *msg)
{
	if (s->failures++ == 0) {
		s->since = now;
		s->delay = sp->src->retry_min;
		log_warnx("sqlpoll: %s: %s (retrying with backoff up to %llds; "
		    "logged again when it recovers)", what, msg,
		    (long long)(sp->src->retry_max / 1000));
	} else {
		s->delay = s->delay > sp->src->retry_max / 2 ?
		    sp->src->retry_max : s->delay * 2;
		log_debug("sqlpoll: %s: still failing (attempt %u): %s", what,
		    s->failures, msg);
	}
	s->retry_at = now + s->delay;
}

static void
streak_ok(struct streak *s, int64_t now, const char *what)
{
	if (s->failures == 0)
		return;
	log_info("sqlpoll: %s: recovered after %u failed attempt(s) in %llds",
	    what, s->failures, (long long)((now - s->since) / 1000));
	memset(s, 0, sizeof(*s));
}

/* --- ODBC ----------------------------------------------------------------- */

/* "[SQLSTATE] message; ..." of the handle's diagnostics; *state gets the
 * first SQLSTATE. */
static void
odbc_diag(SQLSMALLINT type, SQLHANDLE h, char *out, size_t outlen,
    char state[6])
{
	SQLCHAR st[6], msg[512];
	SQLINTEGER native;
	SQLSMALLINT len, i;
	size_t used = 0, k;
	int n;

	out[0] = '\0';
	state[0] = '\0';
	for (i = 1; i <= 3; i++) {
		if (!SQL_SUCCEEDED(SQLGetDiagRec(type, h, i, st, &native, msg,
		    (SQLSMALLINT)sizeof(msg), &len)))
			break;
		if (i == 1)
			memcpy(state, st, 6);
		for (k = 0; msg[k] != '\0'; k++)
			if (msg[k] == '\n' || msg[k] == '\r' || msg[k] == '\t')
				msg[k] = ' ';
		n = snprintf(out + used, outlen - used, "%s[%s] %s",
		    i > 1 ? "; " : "", (char *)st, (char *)msg);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "no diagnostics from the driver");
}

/* 1 when a SQLSTATE says the connection (not the query) failed. */
static int
state_is_connection(const char *state)
{
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strcmp(state, "HYT00") == 0 || strcmp(state, "HYT01") == 0;
}

static void
sp_disconnect(struct sqlpoll *sp)
{
	if (sp->dbc == SQL_NULL_HDBC)
		return;
	if (sp->connected)
		SQLDisconnect(sp->dbc);
	SQLFreeHandle(SQL_HANDLE_DBC, sp->dbc);
	sp->dbc = SQL_NULL_HDBC;
	sp->connected = 0;
}

/* Connects unless connected. 0 / -1 (logged through the source streak). */
static int
sp_connect(struct sqlpoll *sp, int64_t now)
{
	char diag[1536], err[1600], state[6];
	SQLRETURN r;

	if (sp->connected)
		return 0;
	if (now < sp->conn.retry_at)
		return -1;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, sp->env, &sp->dbc)))
		fatalx("sqlpoll: cannot allocate an ODBC connection handle");
	SQLSetConnectAttr(sp->dbc, SQL_ATTR_LOGIN_TIMEOUT,
	    (SQLPOINTER)(uintptr_t)(sp->src->login_timeout / 1000), 0);
	SQLSetConnectAttr(sp->dbc, SQL_ATTR_CONNECTION_TIMEOUT,
	    (SQLPOINTER)(uintptr_t)(sp->src->login_timeout / 1000), 0);
	r = SQLDriverConnect(sp->dbc, NULL, (SQLCHAR *)sp->src->dsn, SQL_NTS,
	    NULL, 0, NULL, SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(r)) {
		odbc_diag(SQL_HANDLE_DBC, sp->dbc, diag, sizeof(diag), state);
		snprintf(err, sizeof(err), "cannot connect: %s", diag);
		sp_disconnect(sp);
		streak_fail(sp, &sp->conn, now, "source", err);
		return -1;
	}
	/* A hint only: the adapter's database account should be read-only
	 * anyway. Drivers that do not know it say so and go on. */
	SQLSetConnectAttr(sp->dbc, SQL_ATTR_ACCESS_MODE,
	    (SQLPOINTER)(uintptr_t)SQL_MODE_READ_ONLY, 0);
	sp->connected = 1;
	/* Reconnects after a feed's error are routine: debug. */
	if (sp->conn.failures == 0 && !sp->ever_connected)
		log_info("sqlpoll: connected to the source");
	else if (sp->conn.failures == 0)
		log_debug("sqlpoll: connected to the source again");
	sp->ever_connected = 1;
	streak_ok(&sp->conn, now, "source");
	return 0;
}

/* --- queries -------------------------------------------------------------- */

/*
 * Adds a parameter. A timestamp watermark goes in ISO 8601 form, with a T
 * between date and time ("2026-01-05T08:00:00.997"): SQL Server reads
 * "2026-01-05 08:00:00" in a DATETIME by the session's DATEFORMAT (day and
 * month swap under a dmy language), the T form the same way everywhere;
 * PostgreSQL takes both.
 */
static void
params_add(struct params *p, const struct feed *f, const char *v, int is_wm)
{
	char *c = xstrdup(v);

	if (is_wm && f->wm_type == WM_TIMESTAMP && strlen(c) > 11 &&
	    c[4] == '-' && c[7] == '-' && c[10] == ' ')
		c[10] = 'T';
	p->v[p->n++] = c;
}

static void
params_clear(struct params *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	memset(p, 0, sizeof(*p));
}

/*
 * The feed's query for one condition. "upto" adds an upper bound on the
 * watermark (reconciliation). Parameters, in order: the condition's (FROM:
 * wm; AFTER: wm, wm, key), then upto's (wm).
 */
static char *
feed_sql(const struct sqlpoll *sp, const struct feed *f, enum cond cond,
    int upto)
{
	const struct feed_conf *c = &f->c;
	struct buf b;

	buf_init(&b, 0);
	buf_appendf(&b, "SELECT ");
	if (sp->limit == LIMIT_TOP)
		buf_appendf(&b, "TOP %ld ", c->batch);
	buf_appendf(&b, "%s FROM %s WHERE ", c->select, c->from);
	switch (cond) {
	case COND_NONE:
		buf_appendf(&b, "%s IS NOT NULL", c->watermark);
		break;
	case COND_FROM:
		buf_appendf(&b, "%s >= ?", c->watermark);
		break;
	case COND_AFTER:
		/* (wm, key) > (?, ?), spelled for SQL Server and indexes. */
		buf_appendf(&b, "%s >= ? AND (%s > ? OR %s > ?)", c->watermark,
		    c->watermark, c->key);
		break;
	}
	if (upto)
		buf_appendf(&b, " AND %s <= ?", c->watermark);
	if (!empty(c->where))
		buf_appendf(&b, " AND (%s)", c->where);
	buf_appendf(&b, " ORDER BY %s, %s", c->watermark, c->key);
	if (sp->limit == LIMIT_FETCH)
		buf_appendf(&b, " OFFSET 0 ROWS FETCH NEXT %ld ROWS ONLY",
		    c->batch);
	else if (sp->limit == LIMIT_LIMIT)
		buf_appendf(&b, " LIMIT %ld", c->batch);
	buf_terminate(&b);
	return b.data;
}

static enum colmap_sqlkind
sql_kind(SQLSMALLINT t)
{
	switch (t) {
	case SQL_CHAR:
	case SQL_VARCHAR:
	case SQL_LONGVARCHAR:
	case SQL_WCHAR:
	case SQL_WVARCHAR:
	case SQL_WLONGVARCHAR:
	case SQL_GUID:
		return COLMAP_SQL_CHAR;
	case SQL_NUMERIC:
	case SQL_DECIMAL:
	case SQL_INTEGER:
	case SQL_SMALLINT:
	case SQL_TINYINT:
	case SQL_BIGINT:
		return COLMAP_SQL_EXACT;
	case SQL_FLOAT:
	case SQL_REAL:
	case SQL_DOUBLE:
		return COLMAP_SQL_FLOAT;
	case SQL_TYPE_DATE:
	case SQL_DATE:
		return COLMAP_SQL_DATE;
	case SQL_TYPE_TIMESTAMP:
	case SQL_TIMESTAMP:
	case -155: /* SQL Server DATETIMEOFFSET */
		return COLMAP_SQL_TIMESTAMP;
	case SQL_TYPE_TIME:
	case SQL_TIME:
	case -154: /* SQL Server TIME(n) */
		return COLMAP_SQL_TIME;
	case SQL_BIT:
		return COLMAP_SQL_BIT;
	case SQL_BINARY:
	case SQL_VARBINARY:
	case SQL_LONGVARBINARY:
		return COLMAP_SQL_BINARY;
	default:
		return COLMAP_SQL_OTHER;
	}
}

static int
name_eq_nocase(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

static void
result_close(struct result *res)
{
	size_t i;

	if (res->st != SQL_NULL_HSTMT) {
		SQLFreeHandle(SQL_HANDLE_STMT, res->st);
		res->st = SQL_NULL_HSTMT;
	}
	for (i = 0; i < res->n; i++) {
		free(res->names[i]);
		buf_free(&res->bufs[i]);
	}
	free(res->names);
	free(res->kinds);
	free(res->bufs);
	free(res->values);
	memset(res, 0, sizeof(*res));
}

/* An error of the query: the message into err, the SQLSTATE into state. */
static int
result_error(struct result *res, const char *what, char *err, size_t errlen,
    char state[6])
{
	char diag[1536];

	odbc_diag(SQL_HANDLE_STMT, res->st, diag, sizeof(diag), state);
	snprintf(err, errlen, "%s: %s", what, diag);
	return -1;
}

/*
 * Runs the feed's query with the parameters and binds the result to the
 * map. -1 with err (and state) on any error: the caller logs it as a source
 * error. The result is closed by the caller in either case.
 */
static int
result_open(struct sqlpoll *sp, struct feed *f, const char *sql,
    struct params *p, struct result *res, char *err, size_t errlen,
    char state[6])
{
	const struct feed_conf *c = &f->c;
	SQLCHAR name[256];
	SQLSMALLINT ncols, namelen, type, digits, nullable;
	SQLULEN size;
	size_t i;
	int k;

	memset(res, 0, sizeof(*res));
	state[0] = '\0';
	res->st = SQL_NULL_HSTMT;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, sp->dbc,
	    &res->st))) {
		res->st = SQL_NULL_HSTMT;
		snprintf(err, errlen, "cannot allocate a statement");
		memcpy(state, "08S01", 6);
		return -1;
	}
	SQLSetStmtAttr(res->st, SQL_ATTR_QUERY_TIMEOUT,
	    (SQLPOINTER)(uintptr_t)(sp->src->query_timeout / 1000), 0);
	for (k = 0; k < p->n; k++) {
		size_t len = strlen(p->v[k]);

		p->ind[k] = SQL_NTS;
		if (!SQL_SUCCEEDED(SQLBindParameter(res->st,
		    (SQLUSMALLINT)(k + 1), SQL_PARAM_INPUT, SQL_C_CHAR,
		    SQL_VARCHAR, len > 0 ? len : 1, 0,
		    (SQLPOINTER)p->v[k], (SQLLEN)len + 1,
		    &p->ind[k])))
			return result_error(res, "bind", err, errlen, state);
	}
	if (!SQL_SUCCEEDED(SQLExecDirect(res->st, (SQLCHAR *)(uintptr_t)sql,
	    SQL_NTS)))
		return result_error(res, "query", err, errlen, state);
	if (!SQL_SUCCEEDED(SQLNumResultCols(res->st, &ncols)))
		return result_error(res, "query", err, errlen, state);
	if (ncols <= 0 || ncols > RESULT_COLS_MAX) {
		snprintf(err, errlen, "query returns %d columns", (int)ncols);
		return -1;
	}
	res->n = (size_t)ncols;
	res->names = xcalloc(res->n, sizeof(char *));
	res->kinds = xcalloc(res->n, sizeof(*res->kinds));
	res->bufs = xcalloc(res->n, sizeof(*res->bufs));
	res->values = xcalloc(res->n, sizeof(char *));
	res->wm = res->key = res->n;
	for (i = 0; i < res->n; i++) {
		if (!SQL_SUCCEEDED(SQLDescribeCol(res->st,
		    (SQLUSMALLINT)(i + 1), name, (SQLSMALLINT)sizeof(name),
		    &namelen, &type, &size, &digits, &nullable)))
			return result_error(res, "describe", err, errlen,
			    state);
		res->names[i] = xstrdup((char *)name);
		res->kinds[i] = sql_kind(type);
		buf_init(&res->bufs[i], (size_t)c->max_value);
		if (name_eq_nocase(res->names[i], c->watermark_column))
			res->wm = res->wm == res->n ? i : res->n + 1;
		if (name_eq_nocase(res->names[i], c->key_column))
			res->key = res->key == res->n ? i : res->n + 1;
	}
	if (res->wm >= res->n) {
		snprintf(err, errlen, "the watermark column %s is %s the "
		    "result", c->watermark_column, res->wm == res->n ?
		    "not in" : "more than once in");
		return -1;
	}
	if (res->key >= res->n) {
		snprintf(err, errlen, "the key column %s is %s the result",
		    c->key_column, res->key == res->n ? "not in" :
		    "more than once in");
		return -1;
	}
	switch (res->kinds[res->wm]) {
	case COLMAP_SQL_TIMESTAMP:
	case COLMAP_SQL_DATE:
		k = f->wm_type == WM_TIMESTAMP || f->wm_type == WM_TEXT;
		break;
	case COLMAP_SQL_EXACT:
		k = f->wm_type == WM_INTEGER || f->wm_type == WM_TEXT;
		break;
	case COLMAP_SQL_CHAR:
		k = 1;
		break;
	default:
		k = 0;
	}
	if (!k) {
		snprintf(err, errlen, "the watermark column %s is not of "
		    "watermark_type %s", c->watermark_column,
		    c->watermark_type);
		return -1;
	}
	if (res->kinds[res->key] == COLMAP_SQL_FLOAT ||
	    res->kinds[res->key] == COLMAP_SQL_BINARY) {
		snprintf(err, errlen, "the key column %s is floating point or "
		    "binary: cast it to an exact or character type",
		    c->key_column);
		return -1;
	}
	if (colmap_bind(f->cm, (const char *const *)res->names, res->kinds,
	    res->n, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * One column's value into its buffer (NULL for SQL NULL). 0, -1 with err
 * (a driver error: *state set), -2 with err when the value is too long or
 * holds a NUL byte (a bad row).
 */
static int
result_column(struct result *res, size_t i, char *err, size_t errlen,
    char state[6])
{
	char chunk[4096];
	struct buf *b = &res->bufs[i];
	SQLRETURN r;
	SQLLEN ind;
	size_t got;

	buf_reset(b);
	res->values[i] = NULL;
	for (;;) {
		r = SQLGetData(res->st, (SQLUSMALLINT)(i + 1), SQL_C_CHAR,
		    chunk, (SQLLEN)sizeof(chunk), &ind);
		if (r == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(r))
			return result_error(res, "read", err, errlen, state);
		if (ind == SQL_NULL_DATA)
			return 0;
		/* A truncated piece fills the buffer but its NUL. */
		if (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof(chunk))
			got = sizeof(chunk) - 1;
		else
			got = (size_t)ind;
		if (buf_append(b, chunk, got) == -1) {
			snprintf(err, errlen, "column %s is longer than "
			    "max_value (%zu bytes)", res->names[i], b->limit);
			return -2;
		}
		if (r == SQL_SUCCESS)
			break;
	}
	if (buf_terminate(b) == -1) {
		snprintf(err, errlen, "column %s is longer than max_value",
		    res->names[i]);
		return -2;
	}
	if (strlen(b->data) != b->len) {
		snprintf(err, errlen, "column %s holds a NUL byte",
		    res->names[i]);
		return -2;
	}
	res->values[i] = b->data;
	return 0;
}

/*
 * Fetches the next row: 1 with res->values filled (for the columns in use
 * and the watermark and key), 0 at the end, -1 on a driver error, -2 on a
 * bad value (err says which; the row's watermark and key are still read
 * when they can be).
 */
static int
result_next(struct feed *f, struct result *res, char *err, size_t errlen,
    char state[6])
{
	SQLRETURN r;
	size_t i;
	int rv = 1, c;

	r = SQLFetch(res->st);
	if (r == SQL_NO_DATA)
		return 0;
	if (!SQL_SUCCEEDED(r))
		return result_error(res, "fetch", err, errlen, state);
	/* Ascending column order: some drivers allow nothing else. */
	for (i = 0; i < res->n; i++) {
		res->values[i] = NULL;
		if (i != res->wm && i != res->key && !colmap_uses(f->cm, i))
			continue;
		c = result_column(res, i, rv == 1 ? err : NULL,
		    rv == 1 ? errlen : 0, state);
		if (c == -1)
			return -1;
		if (c == -2)
			rv = -2;
	}
	return rv;
}

/* --- batches -------------------------------------------------------------- */

static struct batch *
batch_new(void)
{
	struct batch *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->mtx, NULL);
	cond_init_mono(&b->cv);
	return b;
}

static void
batch_destroy(struct batch *b)
{
	pthread_mutex_destroy(&b->mtx);
	pthread_cond_destroy(&b->cv);
	free(b);
}

/* on_done of every event of a batch; runs on Paho's thread. */
static void
batch_done(void *arg, int ok)
{
	struct batch *b = arg;
	int last;

	pthread_mutex_lock(&b->mtx);
	b->pending--;
	if (ok)
		b->acked++;
	else
		b->failed++;
	last = b->pending == 0 && b->abandoned;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mtx);
	if (last)
		batch_destroy(b);
}

/*
 * Waits until every event of the batch has its on_done. While the adapter
 * runs it waits as long as it takes (the broker is away: reading the rows
 * again would only queue copies); after a stop, at most flush_timeout.
 * Returns 0 when all were acknowledged, -1 when some failed, -2 when it
 * gave up; then the batch is abandoned (freed by its last on_done) and
 * *bp set to NULL. *acked gets the acknowledged count.
 */
static int
batch_wait(struct sqlpoll *sp, struct feed *f, struct batch **bp,
    unsigned *acked)
{
	struct batch *b = *bp;
	const struct adapter_config *ac = adapter_config(sp->ad);
	int64_t start = clock_mono_ms(), stop_at = 0, now;
	int noted = 0, rv;

	pthread_mutex_lock(&b->mtx);
	while (b->pending > 0) {
		now = clock_mono_ms();
		if (!adapter_running()) {
			if (stop_at == 0)
				stop_at = now + ac->flush_timeout;
			if (now >= stop_at)
				break;
		}
		if (!noted && now - start >= ACK_WAIT_NOTE_MS) {
			log_warnx("sqlpoll: feed=%s: the broker has not "
			    "acknowledged %u event(s) for %llds; waiting (the "
			    "checkpoint stays until it does)", f->name,
			    b->pending, (long long)((now - start) / 1000));
			noted = 1;
		}
		cond_wait_ms(&b->cv, &b->mtx, 200);
	}
	*acked = b->acked;
	if (b->pending > 0) {
		b->abandoned = 1;
		pthread_mutex_unlock(&b->mtx);
		*bp = NULL;
		return -2;
	}
	rv = b->failed > 0 ? -1 : 0;
	if (noted && rv == 0)
		log_info("sqlpoll: feed=%s: the broker acknowledged the batch "
		    "after %llds", f->name,
		    (long long)((clock_mono_ms() - start) / 1000));
	pthread_mutex_unlock(&b->mtx);
	return rv;
}

/* Clears the counters of a batch nobody else references any more. */
static void
batch_reset(struct batch *b)
{
	pthread_mutex_lock(&b->mtx);
	b->acked = b->failed = 0;
	pthread_mutex_unlock(&b->mtx);
}

/* --- rows ----------------------------------------------------------------- */

enum row_result {
	ROW_PUBLISHED,
	ROW_SKIPPED,  /* bad row, skipped (logged) */
	ROW_IGNORED,  /* [types] says "-" */
	ROW_FULL,     /* publisher buffer full: not published, stop here */
	ROW_BAD_STOP, /* bad row and on_bad_row = stop */
};

static enum row_result
row_bad(struct feed *f, struct result *res, const char *why, int reconcile)
{
	if (f->stop_on_bad && !reconcile)
		return ROW_BAD_STOP;
	log_warnx("sqlpoll: feed=%s: row skipped key=\"%.64s\" "
	    "watermark=\"%.64s\": %s", f->name,
	    res->values[res->key] ? res->values[res->key] : "NULL",
	    res->values[res->wm] ? res->values[res->wm] : "NULL", why);
	f->st.skipped++;
	return ROW_SKIPPED;
}

/* Maps and publishes the current row; on_done goes to batch b. */
static enum row_result
row_publish(struct sqlpoll *sp, struct feed *f, struct result *res,
    struct batch *b, int reconcile, char *err, size_t errlen)
{
	struct colmap_row row;
	struct cloudevent *ev = NULL;
	enum row_result rv;
	int r;

	r = colmap_apply(f->cm, res->values, &row, err, errlen);
	if (r == 1) {
		f->st.ignored++;
		return ROW_IGNORED;
	}
	if (r == -1)
		return row_bad(f, res, err, reconcile);
	if ((ev = adapter_event_new(sp->ad, f->c.system, row.type)) == NULL) {
		snprintf(err, errlen, "type '%s' is not a valid event type",
		    row.type);
		rv = row_bad(f, res, err, reconcile);
		goto out;
	}
	if (cloudevent_set_id_record(ev, row.record, row.version) == -1 ||
	    (row.subject != NULL &&
	    cloudevent_set_subject(ev, row.subject) == -1)) {
		snprintf(err, errlen, "record key or subject too long");
		rv = row_bad(f, res, err, reconcile);
		goto out;
	}
	cloudevent_set_time(ev, row.time_ms);
	cloudevent_take_data(ev, row.data);
	row.data = NULL;

	pthread_mutex_lock(&b->mtx);
	b->pending++;
	pthread_mutex_unlock(&b->mtx);
	r = adapter_publish_event(sp->ad, ev, batch_done, b);
	if (r != ADAPTER_PUBLISH_OK) {
		pthread_mutex_lock(&b->mtx);
		b->pending--;
		pthread_mutex_unlock(&b->mtx);
	}
	switch (r) {
	case ADAPTER_PUBLISH_OK:
		f->st.published++;
		rv = ROW_PUBLISHED;
		break;
	case ADAPTER_PUBLISH_FULL:
		rv = ROW_FULL;
		break;
	default:
		/* The library logged the schema diagnostic; name the row. */
		snprintf(err, errlen, "the event fails its schema (see the "
		    "adapter's message above)");
		rv = f->stop_on_bad && !reconcile ? ROW_BAD_STOP :
		    row_bad(f, res, err, reconcile);
		break;
	}
out:
	cloudevent_free(ev);
	colmap_row_clear(&row);
	return rv;
}

/* Records a source error of a feed: connection-class errors go to the
 * source's streak, the rest to the feed's. Drops the connection. */
static void
feed_error(struct sqlpoll *sp, struct feed *f, const char *state,
    const char *msg)
{
	char what[64];
	int64_t now = clock_mono_ms();

	f->st.errors++;
	sp_disconnect(sp);
	if (state != NULL && state_is_connection(state)) {
		streak_fail(sp, &sp->conn, now, "source", msg);
		return;
	}
	snprintf(what, sizeof(what), "feed=%s", f->name);
	streak_fail(sp, &f->streak, now, what, msg);
}

/*
 * One batch of the forward pass. Returns 1 when the batch was full (more
 * rows may wait), 0 when the feed is caught up, -1 on an error (logged;
 * the feed waits for its backoff).
 */
static int
feed_batch(struct sqlpoll *sp, struct feed *f, struct batch **bp)
{
	struct result res;
	struct params p;
	char err[1600], state[6], *sql, *last_wm = NULL, *last_key = NULL;
	char *bad_key = NULL;
	enum cond cond;
	enum row_result rr = ROW_PUBLISHED;
	unsigned acked = 0;
	long nrows = 0;
	int r, rv = -1, stopped = 0, failed_query = 0;

	memset(&p, 0, sizeof(p));
	state[0] = '\0';
	if (f->ck_wm != NULL) {
		cond = COND_AFTER;
		params_add(&p, f, f->ck_wm, 1);
		params_add(&p, f, f->ck_wm, 1);
		params_add(&p, f, f->ck_key, 0);
	} else if (!empty(f->c.start)) {
		cond = COND_FROM;
		params_add(&p, f, f->c.start, 1);
	} else
		cond = COND_NONE;
	sql = feed_sql(sp, f, cond, 0);
	r = result_open(sp, f, sql, &p, &res, err, sizeof(err), state);
	params_clear(&p);
	if (r == -1) {
		result_close(&res);
		free(sql);
		feed_error(sp, f, state, err);
		return -1;
	}
	while (adapter_running()) {
		r = result_next(f, &res, err, sizeof(err), state);
		if (r == 0)
			break;
		if (r == -1) {
			failed_query = 1;
			break;
		}
		nrows++;
		f->st.rows++;
		if (res.values[res.wm] == NULL || res.values[res.key] == NULL) {
			snprintf(err, sizeof(err), "the watermark or key of a "
			    "row is NULL (or too long): the key must be "
			    "unique and not null");
			rr = ROW_BAD_STOP;
		} else if (r == -2)
			rr = row_bad(f, &res, err, 0);
		else
			rr = row_publish(sp, f, &res, *bp, 0, err,
			    sizeof(err));
		if (rr == ROW_BAD_STOP)
			bad_key = xstrdup(res.values[res.key] ?
			    res.values[res.key] : "NULL");
		if (rr == ROW_FULL || rr == ROW_BAD_STOP)
			break;
		free(last_wm);
		free(last_key);
		last_wm = xstrdup(res.values[res.wm]);
		last_key = xstrdup(res.values[res.key]);
	}
	if (!adapter_running() || rr == ROW_FULL)
		stopped = 1;
	result_close(&res);
	free(sql);

	/* The checkpoint moves only over a batch the broker has whole. */
	r = batch_wait(sp, f, bp, &acked);
	f->st.acked += acked;
	if (*bp != NULL)
		batch_reset(*bp);
	if (r == -2) {
		log_info("sqlpoll: feed=%s: stopping with events of the batch "
		    "unacknowledged; they stay in the publisher's persistence "
		    "and the checkpoint stays where it was", f->name);
		goto out;
	}
	if (r == -1) {
		feed_error(sp, f, NULL, "the broker refused events of the "
		    "batch; it will be read again");
		goto out;
	}
	if (last_wm != NULL && feed_checkpoint(f, last_wm, last_key) == -1) {
		feed_error(sp, f, NULL, "cannot write the checkpoint");
		goto out;
	}
	if (failed_query) {
		feed_error(sp, f, state, err);
		goto out;
	}
	if (rr == ROW_BAD_STOP) {
		char msg[1800];

		snprintf(msg, sizeof(msg), "row key=\"%.64s\" cannot be "
		    "published and on_bad_row = stop: %s", bad_key, err);
		feed_error(sp, f, NULL, msg);
		goto out;
	}
	if (rr == ROW_FULL)
		log_debug("sqlpoll: feed=%s: publisher buffer full; the rest "
		    "waits for the next poll", f->name);
	rv = !stopped && rr != ROW_FULL && nrows == f->c.batch ? 1 : 0;
out:
	free(last_wm);
	free(last_key);
	free(bad_key);
	return rv;
}

/*
 * Reads the rows of the reconciliation window again and publishes them,
 * page by page (each page waits for its acknowledgements, which keeps the
 * publisher's buffer small). Never moves the checkpoint. 0 / -1 (logged).
 */
static int
feed_reconcile(struct sqlpoll *sp, struct feed *f, struct batch **bp)
{
	struct result res;
	struct params p;
	char low[64], err[1600], state[6], *sql = NULL;
	char *upto = xstrdup(f->ck_wm), *lw = NULL, *lk = NULL;
	enum row_result rr;
	uint64_t rows = 0, published = f->st.published;
	unsigned acked;
	long nrows;
	int r, rv = -1;

	if (colmap_timestamp_shift(upto, -f->c.reconcile_window, low,
	    sizeof(low)) == -1) {
		log_warnx("sqlpoll: feed=%s: cannot reconcile: the watermark "
		    "'%.64s' is not a timestamp", f->name, upto);
		goto out;
	}
	for (;;) {
		memset(&p, 0, sizeof(p));
		if (lw == NULL) {
			params_add(&p, f, low, 1);
			params_add(&p, f, upto, 1);
			sql = feed_sql(sp, f, COND_FROM, 1);
		} else {
			params_add(&p, f, lw, 1);
			params_add(&p, f, lw, 1);
			params_add(&p, f, lk, 0);
			params_add(&p, f, upto, 1);
			sql = feed_sql(sp, f, COND_AFTER, 1);
		}
		r = result_open(sp, f, sql, &p, &res, err, sizeof(err), state);
		params_clear(&p);
		if (r == -1) {
			result_close(&res);
			feed_error(sp, f, state, err);
			goto out;
		}
		nrows = 0;
		rr = ROW_PUBLISHED;
		while (adapter_running()) {
			r = result_next(f, &res, err, sizeof(err), state);
			if (r == 0)
				break;
			if (r == -1) {
				result_close(&res);
				feed_error(sp, f, state, err);
				goto out;
			}
			nrows++;
			rows++;
			if (res.values[res.wm] == NULL ||
			    res.values[res.key] == NULL)
				continue;
			rr = r == -2 ? row_bad(f, &res, err, 1) :
			    row_publish(sp, f, &res, *bp, 1, err, sizeof(err));
			if (rr == ROW_FULL)
				break;
			free(lw);
			free(lk);
			lw = xstrdup(res.values[res.wm]);
			lk = xstrdup(res.values[res.key]);
		}
		result_close(&res);
		free(sql);
		sql = NULL;
		r = batch_wait(sp, f, bp, &acked);
		f->st.acked += acked;
		if (*bp != NULL)
			batch_reset(*bp);
		if (r == -2 || !adapter_running())
			goto out;
		if (rr != ROW_FULL && nrows < f->c.batch)
			break;
		if (lw == NULL)
			break; /* a full buffer before the first row */
		if (rr == ROW_FULL)
			adapter_flush(sp->ad, 1000);
	}
	f->st.reconciled += rows;
	log_info("sqlpoll: feed=%s: reconciled from \"%s\" to \"%s\": "
	    "rows=%llu published=%llu (the hub drops the unchanged ones)",
	    f->name, low, upto, (unsigned long long)rows,
	    (unsigned long long)(f->st.published - published));
	rv = 0;
out:
	free(sql);
	free(upto);
	free(lw);
	free(lk);
	return rv;
}

/* Runs batches until the feed is caught up. 0 / -1 (error, logged). */
static int
feed_drain(struct sqlpoll *sp, struct feed *f, struct batch **bp)
{
	struct sqlpoll_stats before = f->st;
	int64_t start = clock_mono_ms();
	char what[64];
	int r;

	while ((r = feed_batch(sp, f, bp)) == 1 && adapter_running())
		if (*bp == NULL)
			*bp = batch_new();
	if (*bp == NULL)
		*bp = batch_new();
	if (r == -1)
		return -1;
	snprintf(what, sizeof(what), "feed=%s", f->name);
	streak_ok(&f->streak, clock_mono_ms(), what);
	if (f->st.rows != before.rows)
		log_info("sqlpoll: feed=%s: caught up rows=%llu published=%llu "
		    "acked=%llu skipped=%llu ignored=%llu in %lldms; "
		    "total rows=%llu acked=%llu; watermark=\"%s\" key=\"%.64s\"",
		    f->name, (unsigned long long)(f->st.rows - before.rows),
		    (unsigned long long)(f->st.published - before.published),
		    (unsigned long long)(f->st.acked - before.acked),
		    (unsigned long long)(f->st.skipped - before.skipped),
		    (unsigned long long)(f->st.ignored - before.ignored),
		    (long long)(clock_mono_ms() - start),
		    (unsigned long long)f->st.rows,
		    (unsigned long long)f->st.acked,
		    f->ck_wm ? f->ck_wm : "", f->ck_key ? f->ck_key : "");
	return 0;
}

/* --- the poller ----------------------------------------------------------- */

struct sqlpoll *
sqlpoll_new(struct adapter *ad, const struct sqlpoll_source *src,
    struct sqlpoll_feeds *fs)
{
	struct sqlpoll *sp = xcalloc(1, sizeof(*sp));
	char value[CHECKPOINT_VALUE_MAX + 1], *name, *path;
	struct feed *f;
	size_t i;
	int r;

	sp->ad = ad;
	sp->src = src;
	sp->fs = fs;
	sp->dbc = SQL_NULL_HDBC;
	sp->limit = strcmp(src->row_limit, "top") == 0 ? LIMIT_TOP :
	    strcmp(src->row_limit, "limit") == 0 ? LIMIT_LIMIT : LIMIT_FETCH;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE,
	    &sp->env)) || !SQL_SUCCEEDED(SQLSetEnvAttr(sp->env,
	    SQL_ATTR_ODBC_VERSION, (SQLPOINTER)(uintptr_t)SQL_OV_ODBC3, 0))) {
		log_warnx("sqlpoll: cannot set up the ODBC environment "
		    "(unixODBC)");
		goto fail;
	}
	for (i = 0; i < fs->n; i++) {
		f = fs->v[i];
		name = xasprintf("sqlpoll-%s.checkpoint", f->name);
		path = adapter_state_path(ad, name);
		f->cp = checkpoint_new(path);
		free(name);
		free(path);
		if (f->cp == NULL)
			goto fail;
		r = checkpoint_read(f->cp, value, sizeof(value));
		if (r == -1) {
			log_warnx("sqlpoll: feed=%s: the checkpoint %s cannot "
			    "be read; not starting (repair or remove it: "
			    "removing re-reads the whole table)", f->name,
			    checkpoint_path(f->cp));
			goto fail;
		}
		if (r == 1 && ck_decode(value, &f->ck_wm, &f->ck_key) == -1) {
			log_warnx("sqlpoll: feed=%s: the checkpoint %s is not "
			    "a sqlpoll watermark; not starting", f->name,
			    checkpoint_path(f->cp));
			goto fail;
		}
		if (f->ck_wm != NULL)
			log_info("sqlpoll: feed=%s: from checkpoint "
			    "watermark=\"%s\" key=\"%.64s\"", f->name,
			    f->ck_wm, f->ck_key);
		else
			log_info("sqlpoll: feed=%s: no checkpoint: reading %s",
			    f->name, empty(f->c.start) ? "the whole table" :
			    "from start");
		f->next_reconcile = clock_mono_ms() + f->c.reconcile_interval;
	}
	return sp;
fail:
	sqlpoll_free(sp);
	return NULL;
}

void
sqlpoll_run(struct sqlpoll *sp)
{
	struct batch *b = batch_new();
	struct feed *f;
	int64_t now, wake;
	size_t i;

	while (adapter_running()) {
		now = clock_mono_ms();
		wake = now + sp->src->poll;
		for (i = 0; i < sp->fs->n && adapter_running(); i++) {
			f = sp->fs->v[i];
			now = clock_mono_ms();
			if (now < f->streak.retry_at) {
				if (f->streak.retry_at < wake)
					wake = f->streak.retry_at;
				continue;
			}
			if (now < f->next_poll) {
				if (f->next_poll < wake)
					wake = f->next_poll;
				continue;
			}
			if (sp_connect(sp, now) == -1) {
				if (sp->conn.retry_at < wake)
					wake = sp->conn.retry_at;
				break;
			}
			if (feed_drain(sp, f, &b) == -1)
				continue;
			f->next_poll = clock_mono_ms() + sp->src->poll;
			if (f->ck_wm != NULL && f->wm_type == WM_TIMESTAMP &&
			    f->c.reconcile_window > 0 &&
			    clock_mono_ms() >= f->next_reconcile) {
				if (feed_reconcile(sp, f, &b) == 0)
					f->next_reconcile = clock_mono_ms() +
					    f->c.reconcile_interval;
				if (b == NULL)
					b = batch_new();
			}
			if (f->next_poll < wake)
				wake = f->next_poll;
		}
		now = clock_mono_ms();
		if (wake > now)
			adapter_sleep(wake - now);
	}
	if (b != NULL)
		batch_destroy(b);
}

void
sqlpoll_stats(const struct sqlpoll *sp, struct sqlpoll_stats *st)
{
	const struct sqlpoll_stats *s;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < sp->fs->n; i++) {
		s = &sp->fs->v[i]->st;
		st->rows += s->rows;
		st->published += s->published;
		st->acked += s->acked;
		st->skipped += s->skipped;
		st->ignored += s->ignored;
		st->batches += s->batches;
		st->errors += s->errors;
		st->reconciled += s->reconciled;
	}
}

void
sqlpoll_free(struct sqlpoll *sp)
{
	if (sp == NULL)
		return;
	sp_disconnect(sp);
	if (sp->env != SQL_NULL_HENV)
		SQLFreeHandle(SQL_HANDLE_ENV, sp->env);
	sqlpoll_feeds_free(sp->fs);
	free(sp);
}
