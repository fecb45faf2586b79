/*
 * sms: see sms.h.
 *
 * One poll: list the inbox (names and mtimes only), group the names into
 * messages (sms_group()), and for each ready message read its files, join
 * the text and hand it over. Files are never opened before they are old
 * enough (settle_ms), and a message in flight is recognised by any of its
 * file names, so a listing that raced with a move (on the publisher's
 * thread) only makes a read fail with ENOENT, which skips the message for
 * this poll.
 *
 * Locking: the in-flight list, the retry list and the counters are shared
 * with sms_inbox_done(), which runs on the publisher's thread; one mutex
 * covers them, and the moves of an acknowledged message happen under it,
 * before its ticket leaves the in-flight list.
 */
#include "sms.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "text.h"
#include "util.h"

#define SMS_RETRY_LIST_MAX 1024
#define SMS_MOVE_SUFFIX_MAX 99
#define SMS_GAP "[...]"

struct ticket {
	struct sms_inbox *in;
	char **names;
	size_t n;
	struct ticket *next;
};

struct retry {
	char *first;	/* the message's first file name */
	int64_t delay;	/* ms, from the next poll on */
	int64_t until;	/* wall clock, ms; 0 until that poll sets it */
	struct retry *next;
};

struct sms_inbox {
	struct sms_config cfg;	/* strings are our copies */
	pthread_mutex_t mtx;
	struct ticket *inflight;
	struct retry *retries;
	size_t nretries;
	struct sms_inbox_stats st;
	int warned_scan_max;
};

/* --- names ---------------------------------------------------------------- */

static int
sms_digits(const char *p, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int
sms_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
sms_name_parse(const char *name, struct sms_name *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	const char *dot, *us, *num;
	size_t len = strlen(name), nlen, i;
	int dim;

	memset(out, 0, sizeof(*out));
	/* IN + 8 + _ + 6 + _ + 2 + _ + sender + _ + 2 + . + ext */
	if (len < 27 || len > SMS_NAME_MAX || strncmp(name, "IN", 2) != 0)
		return -1;
	if (text_utf8_chars(name, len) == TEXT_INVALID)
		return -1;
	if (sms_digits(name + 2, 4, &out->year) ||
	    sms_digits(name + 6, 2, &out->month) ||
	    sms_digits(name + 8, 2, &out->day) || name[10] != '_' ||
	    sms_digits(name + 11, 2, &out->hour) ||
	    sms_digits(name + 13, 2, &out->min) ||
	    sms_digits(name + 15, 2, &out->sec) || name[17] != '_' ||
	    sms_digits(name + 18, 2, &out->serial) || name[20] != '_')
		return -1;
	if (out->year < 1970 || out->month < 1 || out->month > 12 ||
	    out->hour > 23 || out->min > 59 || out->sec > 60)
		return -1;
	dim = mdays[out->month - 1] +
	    (out->month == 2 && sms_leap(out->year));
	if (out->day < 1 || out->day > dim)
		return -1;
	if ((dot = strrchr(name, '.')) == NULL || dot[1] == '\0' ||
	    strlen(dot + 1) > 16)
		return -1;
	for (i = 1; dot[i] != '\0'; i++)
		if (!((dot[i] >= 'a' && dot[i] <= 'z') ||
		    (dot[i] >= 'A' && dot[i] <= 'Z') ||
		    (dot[i] >= '0' && dot[i] <= '9')))
			return -1;
	if (strcmp(dot + 1, "txt") == 0)
		out->ext = SMS_EXT_TXT;
	else if (strcmp(dot + 1, "bin") == 0)
		out->ext = SMS_EXT_BIN;
	else
		out->ext = SMS_EXT_OTHER;
	/* The part: "_NN" right before the extension. */
	if (dot - name < 21 + 1 + 3)
		return -1;
	us = dot - 3;
	if (*us != '_' || sms_digits(us + 1, 2, &out->part))
		return -1;
	num = name + 21;
	if (us <= num)
		return -1;
	nlen = (size_t)(us - num);
	if (nlen > SMS_NUMBER_MAX)
		return -1;
	for (i = 0; i < nlen; i++)
		if ((unsigned char)num[i] < 0x20 || num[i] == 0x7f ||
		    num[i] == '/')
			return -1;
	memcpy(out->number, num, nlen);
	out->number[nlen] = '\0';
	return 0;
}

int64_t
sms_name_time(const struct sms_name *n, int tz_offset_min)
{
	int64_t s;

	s = time_days_from_civil(n->year, n->month, n->day) * 86400 +
	    (int64_t)n->hour * 3600 + (int64_t)n->min * 60 +
	    (n->sec > 59 ? 59 : n->sec);
	return (s - (int64_t)tz_offset_min * 60) * 1000;
}

/* --- grouping ------------------------------------------------------------- */

struct sortkey {
	const struct sms_name *n;
	int64_t t;
	size_t idx;
};

static int
sortkey_cmp(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;
	int c;

	if ((c = strcmp(x->n->number, y->n->number)) != 0)
		return c;
	if (x->n->serial != y->n->serial)
		return x->n->serial < y->n->serial ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->n->part != y->n->part)
		return x->n->part < y->n->part ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct grp {
	int64_t t0;	/* part 00's time, or the first orphan's */
	int has0;
	uint64_t parts[2]; /* parts 0..99 present */
	int64_t tmin;
	size_t first_idx;
};

static int
grp_has(const struct grp *g, int part)
{
	return (int)((g->parts[part / 64] >> (part % 64)) & 1);
}

static void
grp_add(struct grp *g, const struct sortkey *k)
{
	g->parts[k->n->part / 64] |= UINT64_C(1) << (k->n->part % 64);
	if (k->t < g->tmin || (k->t == g->tmin && k->idx < g->first_idx)) {
		g->tmin = k->t;
		g->first_idx = k->idx;
	}
}

struct gorder {
	int64_t tmin;
	size_t first_idx;
	size_t id;
};

static int
gorder_cmp(const void *a, const void *b)
{
	const struct gorder *x = a, *y = b;

	if (x->tmin != y->tmin)
		return x->tmin < y->tmin ? -1 : 1;
	return x->first_idx < y->first_idx ? -1 : x->first_idx > y->first_idx;
}

size_t
sms_group(const struct sms_name *names, size_t n, size_t *group)
{
	struct sortkey *k;
	struct grp *g;
	struct gorder *order;
	size_t *remap, ng = 0, a, b, i, j, best, run0;
	int64_t d, bestd;

	if (n == 0)
		return 0;
	k = xcalloc(n, sizeof(*k));
	g = xcalloc(n, sizeof(*g));
	for (i = 0; i < n; i++) {
		k[i].n = &names[i];
		k[i].t = sms_name_time(&names[i], 0);
		k[i].idx = i;
	}
	qsort(k, n, sizeof(*k), sortkey_cmp);
	/* Runs of one sender and serial; groups never span runs. */
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n && strcmp(k[b].n->number,
		    k[a].n->number) == 0 && k[b].n->serial == k[a].n->serial;
		    b++)
			;
		run0 = ng;
		/* Every part 00 starts a message. */
		for (i = a; i < b; i++) {
			if (k[i].n->part != 0)
				continue;
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].t0 = k[i].t;
			g[ng].has0 = 1;
			g[ng].tmin = INT64_MAX;
			grp_add(&g[ng], &k[i]);
			group[k[i].idx] = ng++;
		}
		/* Other parts join the closest part 00 that lacks them. */
		for (i = a; i < b; i++) {
			if (k[i].n->part == 0)
				continue;
			best = SIZE_MAX;
			bestd = INT64_MAX;
			for (j = run0; j < ng; j++) {
				d = k[i].t - g[j].t0;
				if (d < 0)
					d = -d;
				if (d <= (int64_t)SMS_PART_SKEW_S * 1000 &&
				    d < bestd &&
				    !grp_has(&g[j], k[i].n->part)) {
					best = j;
					bestd = d;
				}
			}
			if (best == SIZE_MAX) {
				/* An orphan: a message without part 00. */
				memset(&g[ng], 0, sizeof(g[ng]));
				g[ng].t0 = k[i].t;
				g[ng].tmin = INT64_MAX;
				best = ng++;
			}
			grp_add(&g[best], &k[i]);
			group[k[i].idx] = best;
		}
	}
	/* Number the messages in order of their first part's time. */
	order = xcalloc(ng, sizeof(*order));
	remap = xcalloc(ng, sizeof(*remap));
	for (j = 0; j < ng; j++) {
		order[j].tmin = g[j].tmin;
		order[j].first_idx = g[j].first_idx;
		order[j].id = j;
	}
	qsort(order, ng, sizeof(*order), gorder_cmp);
	for (j = 0; j < ng; j++)
		remap[order[j].id] = j;
	for (i = 0; i < n; i++)
		group[i] = remap[group[i]];
	free(order);
	free(remap);
	free(k);
	free(g);
	return ng;
}

/* --- text ----------------------------------------------------------------- */

static void
sms_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sms_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * BOM-less UTF-16 (some converters write it): with an even length, text
 * in a Latin script has a zero in every other byte. Returns 1 for LE, 0 for
 * BE, -1 for neither.
 */
static int
sms_guess_utf16(const uint8_t *p, size_t len)
{
	size_t i, even = 0, odd = 0;

	if (len < 2 || len % 2 != 0 || memchr(p, 0, len) == NULL)
		return -1;
	for (i = 0; i < len; i += 2) {
		even += p[i] == 0;
		odd += p[i + 1] == 0;
	}
	if (odd * 2 >= len / 2 && even == 0)
		return 1;
	if (even * 2 >= len / 2 && odd == 0)
		return 0;
	return -1;
}

int
sms_text_decode(const void *data, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	const uint8_t *p = data;
	size_t before = out->len;
	int le, r;

	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		len -= 3;
		le = -1;
	} else if (len >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		p += 2;
		len -= 2;
		le = 1;
	} else if (len >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		p += 2;
		len -= 2;
		le = 0;
	} else
		le = sms_guess_utf16(p, len);
	if (le >= 0) {
		if ((r = text_utf16_to_utf8(p, len, le, out)) == -1) {
			out->len = before;
			sms_err(err, errlen, "invalid UTF-16%s text",
			    le ? "LE" : "BE");
		}
		return r;
	}
	if (text_utf8_chars((const char *)p, len) != TEXT_INVALID) {
		if (buf_append(out, p, len) == 0)
			return 0;
		/* Keep what fits, ending on a character boundary. */
		len = text_utf8_fit((const char *)p, len,
		    out->limit > out->len ? out->limit - out->len : 0);
		if (buf_append(out, p, len) == -1)
			fatalx("sms: buffer arithmetic");
		return -2;
	}
	/* Not UTF-8: a legacy locale wrote ISO-8859-1 (or close to it). */
	return text_latin1_to_utf8(p, len, out);
}

/* --- the inbox ------------------------------------------------------------ */

static int
sms_dir_stat(const char *what, const char *dir, struct stat *st)
{
	if (dir == NULL || *dir == '\0') {
		log_warnx("sms: %s folder not set", what);
		return -1;
	}
	if (stat(dir, st) == -1) {
		log_warn("sms: %s folder %s", what, dir);
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		log_warnx("sms: %s folder %s is not a directory", what, dir);
		return -1;
	}
	return 0;
}

struct sms_inbox *
sms_inbox_new(const struct sms_config *cfg)
{
	struct sms_inbox *in;
	struct stat si, sd, se;

	if (sms_dir_stat("inbox", cfg->inbox, &si) == -1 ||
	    sms_dir_stat("done", cfg->done, &sd) == -1 ||
	    sms_dir_stat("error", cfg->error, &se) == -1)
		return NULL;
	if (si.st_dev != sd.st_dev || si.st_dev != se.st_dev) {
		log_warnx("sms: inbox %s, done %s and error %s must be on one "
		    "filesystem (files are moved with rename)", cfg->inbox,
		    cfg->done, cfg->error);
		return NULL;
	}
	if (si.st_ino == sd.st_ino || si.st_ino == se.st_ino) {
		log_warnx("sms: the done and error folders must not be the "
		    "inbox");
		return NULL;
	}
	in = xcalloc(1, sizeof(*in));
	in->cfg = *cfg;
	in->cfg.inbox = xstrdup(cfg->inbox);
	in->cfg.done = xstrdup(cfg->done);
	in->cfg.error = xstrdup(cfg->error);
	pthread_mutex_init(&in->mtx, NULL);
	return in;
}

static void
ticket_free(struct ticket *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t);
}

void
sms_inbox_free(struct sms_inbox *in)
{
	struct ticket *t, *tn;
	struct retry *r, *rn;

	if (in == NULL)
		return;
	for (t = in->inflight; t != NULL; t = tn) {
		tn = t->next;
		ticket_free(t);
	}
	for (r = in->retries; r != NULL; r = rn) {
		rn = r->next;
		free(r->first);
		free(r);
	}
	pthread_mutex_destroy(&in->mtx);
	free((char *)in->cfg.inbox);
	free((char *)in->cfg.done);
	free((char *)in->cfg.error);
	free(in);
}

/*
 * Moves inbox/name into dir without replacing a file there: name, then
 * name.1 .. name.99. Returns 0, or -1 (logged).
 */
static int
sms_move(const struct sms_inbox *in, const char *dir, const char *name)
{
	char from[4096], to[4096];
	int i, r;

	if ((size_t)snprintf(from, sizeof(from), "%s/%s", in->cfg.inbox,
	    name) >= sizeof(from))
		goto toolong;
	for (i = 0; i <= SMS_MOVE_SUFFIX_MAX; i++) {
		if (i == 0)
			r = snprintf(to, sizeof(to), "%s/%s", dir, name);
		else
			r = snprintf(to, sizeof(to), "%s/%s.%d", dir, name, i);
		if (r < 0 || (size_t)r >= sizeof(to))
			goto toolong;
		if (renameat2(AT_FDCWD, from, AT_FDCWD, to,
		    RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		if (errno != EINVAL && errno != ENOSYS)
			break;
		/* No RENAME_NOREPLACE here: link(2) does not replace. */
		if (link(from, to) == 0) {
			if (unlink(from) == 0)
				return 0;
			break;
		}
		if (errno != EEXIST)
			break;
	}
	log_warn("sms: cannot move %s to %s", from, dir);
	return -1;
toolong:
	log_warnx("sms: path too long for %s", name);
	return -1;
}

static int
sms_inflight_has(const struct sms_inbox *in, const char *name)
{
	const struct ticket *t;
	size_t i;

	for (t = in->inflight; t != NULL; t = t->next)
		for (i = 0; i < t->n; i++)
			if (strcmp(t->names[i], name) == 0)
				return 1;
	return 0;
}

static void
sms_inflight_remove(struct sms_inbox *in, struct ticket *t)
{
	struct ticket **pp;

	for (pp = &in->inflight; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			in->st.inflight--;
			return;
		}
	fatalx("sms: ticket not in flight");
}

/*
 * Makes a message wait delay ms from the next poll on (the poll has the
 * clock; the publisher's thread does not read it). Mutex held.
 */
static void
sms_retry_add(struct sms_inbox *in, const char *first, int64_t delay)
{
	struct retry *r;

	for (r = in->retries; r != NULL; r = r->next)
		if (strcmp(r->first, first) == 0) {
			r->delay = delay;
			r->until = 0;
			return;
		}
	if (in->nretries >= SMS_RETRY_LIST_MAX)
		return; /* then it is retried at once: costs a publish */
	r = xcalloc(1, sizeof(*r));
	r->first = xstrdup(first);
	r->delay = delay;
	r->next = in->retries;
	in->retries = r;
	in->nretries++;
}

/* Mutex held; starts new waits and drops expired ones on the way. */
static int
sms_retry_waiting(struct sms_inbox *in, const char *first, int64_t now)
{
	struct retry **pp = &in->retries, *r;
	int waiting = 0;

	while ((r = *pp) != NULL) {
		if (r->until == 0)
			r->until = now + r->delay;
		if (r->until <= now) {
			*pp = r->next;
			free(r->first);
			free(r);
			in->nretries--;
			continue;
		}
		if (strcmp(r->first, first) == 0)
			waiting = 1;
		pp = &r->next;
	}
	return waiting;
}

void
sms_inbox_done(void *arg, int ok)
{
	struct ticket *t = arg;
	struct sms_inbox *in = t->in;
	size_t i;
	int moved = 1;

	pthread_mutex_lock(&in->mtx);
	if (ok) {
		for (i = 0; i < t->n; i++)
			if (sms_move(in, in->cfg.done, t->names[i]) == -1)
				moved = 0;
		if (moved) {
			in->st.done++;
			log_debug("sms: done %s", t->names[0]);
		} else {
			/* Still in the inbox: do not publish it again and
			 * again; the next start does (same id). */
			sms_retry_add(in, t->names[0],
			    (int64_t)3600 * 1000);
		}
	} else {
		in->st.failed++;
		sms_retry_add(in, t->names[0], in->cfg.retry_ms);
	}
	sms_inflight_remove(in, t);
	pthread_mutex_unlock(&in->mtx);
	ticket_free(t);
}

void
sms_inbox_stats(struct sms_inbox *in, struct sms_inbox_stats *st)
{
	pthread_mutex_lock(&in->mtx);
	*st = in->st;
	pthread_mutex_unlock(&in->mtx);
}

struct entry {
	char name[SMS_NAME_MAX + 1];
	int64_t mtime_ms;
};

/* Reads one inbox file whole. Returns 0, -1 (gone: ENOENT) or -2. */
static int
sms_read(const struct sms_inbox *in, int dfd, const char *name,
    struct buf *raw)
{
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd, rv = -2;

	buf_reset(raw);
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			return -1;
		log_warn("sms: open %s/%s", in->cfg.inbox, name);
		return -2;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("sms: %s/%s is not a regular file", in->cfg.inbox,
		    name);
		goto out;
	}
	if ((uint64_t)st.st_size > in->cfg.max_file) {
		log_warnx("sms: %s/%s is larger than max_file (%zu bytes)",
		    in->cfg.inbox, name, in->cfg.max_file);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("sms: read %s/%s", in->cfg.inbox, name);
			goto out;
		}
		if (buf_append(raw, chunk, (size_t)n) == -1) {
			log_warnx("sms: %s/%s grew beyond max_file",
			    in->cfg.inbox, name);
			goto out;
		}
	}
	rv = 0;
out:
	close(fd);
	return rv;
}

/* FNV-1a, 64 bits: tells apart two texts behind one file name. */
static void
sms_digest(const char *s, size_t len, char out[17])
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static void
sms_refuse(struct sms_inbox *in, char **names, size_t n, const char *why)
{
	size_t i;

	log_warnx("sms: %s: %s; moving %zu file(s) to %s", names[0], why, n,
	    in->cfg.error);
	for (i = 0; i < n; i++)
		sms_move(in, in->cfg.error, names[i]);
	pthread_mutex_lock(&in->mtx);
	in->st.refused++;
	pthread_mutex_unlock(&in->mtx);
}

/*
 * Scans the inbox into ents/names (at most SMS_SCAN_MAX). Returns the
 * count, or -1.
 */
static long
sms_scan(struct sms_inbox *in, int dfd, struct entry *ents,
    struct sms_name *names)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	long n = 0;
	int fd;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("sms: inbox %s", in->cfg.inbox);
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != 'I' || de->d_name[1] != 'N')
			continue;
		if (sms_name_parse(de->d_name, &names[n]) == -1) {
			log_debug("sms: not an inbox file name: %s",
			    de->d_name);
			continue;
		}
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue; /* moved away meanwhile */
		if (!S_ISREG(st.st_mode))
			continue;
		if (n >= SMS_SCAN_MAX) {
			if (!in->warned_scan_max)
				log_warnx("sms: more than %d files in %s; "
				    "taking them in turns", SMS_SCAN_MAX,
				    in->cfg.inbox);
			in->warned_scan_max = 1;
			break;
		}
		strlcpy_s(ents[n].name, de->d_name, sizeof(ents[n].name));
		ents[n].mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000;
		n++;
	}
	closedir(d);
	return n;
}

struct member {
	size_t idx;
	int part;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	return x->part < y->part ? -1 : x->part > y->part;
}

/* Joins a message's parts; 0, -1 (a file is gone), -2 (refuse: why). */
static int
sms_join(struct sms_inbox *in, int dfd, const struct entry *ents,
    const struct member *mem, size_t nm, struct buf *text, int *missing,
    int *truncated, const char **why)
{
	struct buf raw;
	char err[128];
	size_t i;
	int expect = 0, r, rv = -2;

	buf_init(&raw, in->cfg.max_file);
	buf_reset(text);
	*missing = 0;
	*truncated = 0;
	for (i = 0; i < nm; i++) {
		if ((r = sms_read(in, dfd, ents[mem[i].idx].name, &raw)) ==
		    -1) {
			rv = -1;
			goto out;
		}
		if (r == -2) {
			*why = "cannot read the file";
			goto out;
		}
		if (mem[i].part > expect) {
			*missing += mem[i].part - expect;
			if (buf_append(text, SMS_GAP, strlen(SMS_GAP)) == -1) {
				*truncated = 1;
				break;
			}
		}
		expect = mem[i].part + 1;
		r = sms_text_decode(raw.data ? raw.data : "", raw.len, text,
		    err, sizeof(err));
		if (r == -1) {
			log_warnx("sms: %s: %s", ents[mem[i].idx].name, err);
			*why = "undecodable text";
			goto out;
		}
		if (r == -2) {
			*truncated = 1;
			break;
		}
	}
	rv = 0;
out:
	buf_free(&raw);
	return rv;
}

int
sms_inbox_poll(struct sms_inbox *in, int64_t now_ms, size_t max,
    sms_message_fn fn, void *arg)
{
	struct entry *ents = NULL;
	struct sms_name *names = NULL;
	struct member *mem = NULL;
	size_t *group = NULL, ng, gi, i, nm, handed = 0;
	int rv = -1;
	struct buf text, key;
	struct sms_message m;
	struct ticket *t;
	char digest[17];
	int64_t newest;
	long n;
	int dfd, complete, busy, r;
	const char *why;
	enum sms_verdict v;

	buf_init(&text, SMS_TEXT_MAX);
	buf_init(&key, 0);
	if ((dfd = open(in->cfg.inbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		log_warn("sms: inbox %s", in->cfg.inbox);
		return -1;
	}
	ents = xcalloc(SMS_SCAN_MAX, sizeof(*ents));
	names = xcalloc(SMS_SCAN_MAX, sizeof(*names));
	if ((n = sms_scan(in, dfd, ents, names)) < 0)
		goto out;
	group = xcalloc((size_t)n + 1, sizeof(*group));
	mem = xcalloc((size_t)n + 1, sizeof(*mem));
	ng = sms_group(names, (size_t)n, group);
	for (gi = 0; gi < ng && handed < max; gi++) {
		nm = 0;
		newest = INT64_MIN;
		for (i = 0; i < (size_t)n; i++) {
			if (group[i] != gi)
				continue;
			mem[nm].idx = i;
			mem[nm].part = names[i].part;
			nm++;
			if (ents[i].mtime_ms > newest)
				newest = ents[i].mtime_ms;
		}
		qsort(mem, nm, sizeof(*mem), member_cmp);
		if (newest > now_ms - in->cfg.settle_ms)
			continue; /* Gammu may still be writing */
		complete = mem[0].part == 0 &&
		    mem[nm - 1].part == (int)nm - 1;
		if (!complete && newest > now_ms - in->cfg.part_timeout_ms)
			continue; /* the rest may still come */
		pthread_mutex_lock(&in->mtx);
		busy = sms_retry_waiting(in, ents[mem[0].idx].name, now_ms);
		for (i = 0; i < nm && !busy; i++)
			busy = sms_inflight_has(in, ents[mem[i].idx].name);
		pthread_mutex_unlock(&in->mtx);
		if (busy)
			continue;

		t = xcalloc(1, sizeof(*t));
		t->in = in;
		t->names = xcalloc(nm, sizeof(*t->names));
		for (i = 0; i < nm; i++)
			t->names[t->n++] = xstrdup(ents[mem[i].idx].name);
		why = NULL;
		for (i = 0; i < nm && why == NULL; i++)
			if (names[mem[i].idx].ext != SMS_EXT_TXT)
				why = names[mem[i].idx].ext == SMS_EXT_BIN ?
				    "8-bit (binary) message" :
				    "not a text file (InboxFormat detail is "
				    "not supported)";
		if (why == NULL) {
			r = sms_join(in, dfd, ents, mem, nm, &text, &m.missing,
			    &m.truncated, &why);
			if (r == -1) {
				ticket_free(t);
				continue; /* moved while we looked */
			}
		}
		if (why != NULL) {
			sms_refuse(in, t->names, t->n, why);
			ticket_free(t);
			continue;
		}
		if (buf_terminate(&text) == -1)
			fatalx("sms: text buffer");
		text.len = text_clean(text.data, text.len);
		buf_reset(&key);
		for (i = 0; i < nm; i++)
			if (buf_appendf(&key, "%s%s", i ? "+" : "",
			    t->names[i]) == -1)
				fatalx("sms: key buffer");
		sms_digest(text.data, text.len, digest);
		m.number = names[mem[0].idx].number;
		m.text = text.data;
		m.received_ms = sms_name_time(&names[mem[0].idx],
		    in->cfg.tz_offset_min);
		m.key = key.data;
		m.digest = digest;
		m.nparts = (int)nm;

		/* In flight before the call: on_done may run before fn
		 * returns. */
		pthread_mutex_lock(&in->mtx);
		t->next = in->inflight;
		in->inflight = t;
		in->st.inflight++;
		pthread_mutex_unlock(&in->mtx);
		v = fn(arg, &m, t);
		if (v == SMS_PUBLISHED) {
			pthread_mutex_lock(&in->mtx);
			in->st.published++;
			pthread_mutex_unlock(&in->mtx);
			handed++;
			continue;
		}
		pthread_mutex_lock(&in->mtx);
		sms_inflight_remove(in, t);
		pthread_mutex_unlock(&in->mtx);
		if (v == SMS_REFUSED)
			sms_refuse(in, t->names, t->n, "refused as a "
			    "complaint");
		ticket_free(t);
		if (v == SMS_BUSY)
			break;
	}
	rv = (int)handed;
out:
	close(dfd);
	free(ents);
	free(names);
	free(group);
	free(mem);
	buf_free(&text);
	buf_free(&key);
	return rv;
}
