/*
 * db: see db.h.
 *
 * Results are asked for in text format: simpulctl prints nearly everything
 * it reads, and PostgreSQL's text output of numbers, json and jsonb is
 * already valid JSON. The one binary-safe value, bytea, comes back in
 * PostgreSQL's escaped text form and is decoded by PQunescapeBytea(),
 * which understands both the hex and the old escape output formats.
 */
#include "db.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "util.h"

/* Type oids from pg_type.h (stable across PostgreSQL versions). */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_OID		26
#define OID_JSON	114
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_NUMERIC	1700
#define OID_JSONB	3802

#define DB_ERROR_MAX	1024

struct db {
	PGconn *conn;
	char *who;
	char error[DB_ERROR_MAX];
};

struct db_res {
	PGresult *r;
};

static void
db_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* NOTICEs (e.g. "relation already exists") are noise here */
}

/* Copies a libpq message without its trailing newline. */
static void
db_set_error(struct db *db, const char *msg)
{
	size_t n;

	strlcpy_s(db->error, msg != NULL ? msg : "", sizeof(db->error));
	n = strlen(db->error);
	while (n > 0 && (db->error[n - 1] == '\n' || db->error[n - 1] == ' '))
		db->error[--n] = '\0';
}

static PGconn *
db_connect(const char *conninfo)
{
	const char *keys[4], *values[4];
	int n = 0;

	/* A host that drops packets would otherwise hang the tool. */
	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		keys[n] = "connect_timeout";
		values[n++] = "10";
	}
	keys[n] = "fallback_application_name";
	values[n++] = "simpulctl";
	/* Expanded last, so that the conninfo overrides the two above. */
	keys[n] = "dbname";
	values[n++] = conninfo;
	keys[n] = NULL;
	values[n] = NULL;
	return PQconnectdbParams(keys, values, 1);
}

struct db *
db_open_quiet(const char *conninfo, const char *who, char *err,
    size_t errlen)
{
	struct db *db = xcalloc(1, sizeof(*db));

	db->who = xstrdup(who);
	db->conn = db_connect(conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_set_error(db, PQerrorMessage(db->conn));
		goto fail;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	if (PQsetClientEncoding(db->conn, "UTF8") != 0) {
		db_set_error(db, "the server refused client encoding UTF8");
		goto fail;
	}
	return db;
fail:
	strlcpy_s(err, db->error, errlen);
	db_close(db);
	return NULL;
}

struct db *
db_open(const char *conninfo, const char *who)
{
	char err[DB_ERROR_MAX];
	struct db *db;

	if ((db = db_open_quiet(conninfo, who, err, sizeof(err))) == NULL)
		fprintf(stderr, "%s: cannot connect to PostgreSQL: %s\n", who,
		    err);
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	PQfinish(db->conn);
	free(db->who);
	free(db);
}

int
db_connected(const struct db *db)
{
	return PQstatus(db->conn) == CONNECTION_OK;
}

int
db_reset(struct db *db)
{
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_set_error(db, PQerrorMessage(db->conn));
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	PQsetClientEncoding(db->conn, "UTF8");
	return 0;
}

const char *
db_error(const struct db *db)
{
	return db->error;
}

static PGresult *
db_exec(struct db *db, const char *sql, int n, const char *const *params,
    int quiet)
{
	PGresult *r;
	ExecStatusType st;

	r = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		db->error[0] = '\0';
		return r;
	}
	db_set_error(db, r != NULL ? PQresultErrorMessage(r) :
	    PQerrorMessage(db->conn));
	if (db->error[0] == '\0')
		db_set_error(db, PQerrorMessage(db->conn));
	if (!quiet)
		fprintf(stderr, "%s: PostgreSQL: %s\n", db->who, db->error);
	PQclear(r);
	return NULL;
}

struct db_res *
db_query(struct db *db, const char *sql, int n, const char *const *params)
{
	PGresult *r = db_exec(db, sql, n, params, 0);
	struct db_res *res;

	if (r == NULL)
		return NULL;
	res = xmalloc(sizeof(*res));
	res->r = r;
	return res;
}

struct db_res *
db_query_quiet(struct db *db, const char *sql, int n,
    const char *const *params)
{
	PGresult *r = db_exec(db, sql, n, params, 1);
	struct db_res *res;

	if (r == NULL)
		return NULL;
	res = xmalloc(sizeof(*res));
	res->r = r;
	return res;
}

long
db_command(struct db *db, const char *sql, int n, const char *const *params)
{
	PGresult *r = db_exec(db, sql, n, params, 0);
	const char *t;
	long rows = 0;

	if (r == NULL)
		return -1;
	t = PQcmdTuples(r);
	if (t != NULL && *t != '\0' && parse_long(t, 0, LONG_MAX, &rows) == -1)
		rows = 0;
	PQclear(r);
	return rows;
}

void
db_res_free(struct db_res *r)
{
	if (r == NULL)
		return;
	PQclear(r->r);
	free(r);
}

int
db_rows(const struct db_res *r)
{
	return PQntuples(r->r);
}

int
db_cols(const struct db_res *r)
{
	return PQnfields(r->r);
}

const char *
db_colname(const struct db_res *r, int col)
{
	return PQfname(r->r, col);
}

int
db_col(const struct db_res *r, const char *name)
{
	int c = PQfnumber(r->r, name);

	if (c < 0)
		fatalx("db: result has no column %s", name);
	return c;
}

const char *
db_value(const struct db_res *r, int row, int col)
{
	if (PQgetisnull(r->r, row, col))
		return NULL;
	return PQgetvalue(r->r, row, col);
}

size_t
db_length(const struct db_res *r, int row, int col)
{
	return (size_t)PQgetlength(r->r, row, col);
}

unsigned char *
db_bytea(const struct db_res *r, int row, int col, size_t *len)
{
	unsigned char *raw, *out;
	size_t n;

	*len = 0;
	if (PQgetisnull(r->r, row, col))
		return NULL;
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r->r, row,
	    col), &n);
	if (raw == NULL)
		fatalx("db: out of memory decoding bytea");
	/* Our own buffer, so callers free() it like everything else. */
	out = xmalloc(n + 1);
	memcpy(out, raw, n);
	out[n] = '\0';
	PQfreemem(raw);
	*len = n;
	return out;
}

/* --- SQL from constant fragments ----------------------------------------- */

void
db_sql_init(struct db_sql *q, const char *start)
{
	memset(q, 0, sizeof(*q));
	db_sql_add(q, start, NULL);
}

static void
db_sql_put(struct db_sql *q, const char *p, size_t n)
{
	if (q->len + n >= sizeof(q->text))
		fatalx("db: statement too long");
	memcpy(q->text + q->len, p, n);
	q->len += n;
	q->text[q->len] = '\0';
}

void
db_sql_add(struct db_sql *q, const char *fragment, const char *param)
{
	const char *p = fragment, *m;
	char num[16];
	int used = 0;

	while ((m = strstr(p, "$?")) != NULL) {
		if (used++ > 0 || q->n >= DB_SQL_PARAMS)
			fatalx("db: one parameter per fragment, at most %d",
			    DB_SQL_PARAMS);
		db_sql_put(q, p, (size_t)(m - p));
		q->params[q->n++] = param;
		snprintf(num, sizeof(num), "$%d", q->n);
		db_sql_put(q, num, strlen(num));
		p = m + 2;
	}
	db_sql_put(q, p, strlen(p));
}

void
db_sql_where(struct db_sql *q, const char *cond, const char *param)
{
	db_sql_add(q, q->conds++ == 0 ? " WHERE " : " AND ", NULL);
	db_sql_add(q, cond, param);
}

struct db_res *
db_sql_run(struct db *db, const struct db_sql *q)
{
	return db_query(db, q->text, q->n, q->params);
}

/* --- printing ------------------------------------------------------------ */

/*
 * Length of the valid UTF-8 sequence at p (1..4) with its code point, or 0
 * when the bytes there are not valid UTF-8.
 */
static size_t
utf8_next(const unsigned char *p, size_t len, uint32_t *cp)
{
	size_t n, k;
	uint32_t c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, c = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, c = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, c = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

void
json_put_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	fputc('"', out);
	while (i < len) {
		n = utf8_next(p + i, len - i, &cp);
		if (n == 0) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				fprintf(out, "\\u%04x", (unsigned)cp);
			else
				fwrite(p + i, 1, n, out);
		}
		i += n;
	}
	fputc('"', out);
}

/*
 * How one character is shown on a terminal: its display form written to
 * rep (at most 12 bytes) and its width. C0 and C1 controls and invalid
 * bytes are escaped; everything else is itself, one column wide (a fair
 * approximation: the data is Indonesian text, not CJK).
 */
static size_t
text_char(const unsigned char *p, size_t len, char rep[12], size_t *replen,
    size_t *w)
{
	uint32_t cp;
	size_t n = utf8_next(p, len, &cp);

	if (n == 0) {
		snprintf(rep, 12, "\\x%02x", p[0]);
		*replen = 4;
		*w = 4;
		return 1;
	}
	if (cp == '\n' || cp == '\t' || cp == '\r') {
		rep[0] = '\\';
		rep[1] = (char)(cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r');
		*replen = 2;
		*w = 2;
	} else if (cp < 0x20 || cp == 0x7f) {
		snprintf(rep, 12, "\\x%02x", (unsigned)cp);
		*replen = 4;
		*w = 4;
	} else if (cp >= 0x80 && cp < 0xa0) {
		snprintf(rep, 12, "\\u%04x", (unsigned)cp);
		*replen = 6;
		*w = 6;
	} else {
		memcpy(rep, p, n);
		*replen = n;
		*w = 1;
	}
	return n;
}

size_t
text_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char rep[12];
	size_t i = 0, total = 0, rl, w;

	while (i < len) {
		i += text_char(p + i, len - i, rep, &rl, &w);
		total += w;
	}
	return total;
}

size_t
text_put(FILE *out, const char *s, size_t len, size_t maxw, size_t pad)
{
	const unsigned char *p = (const unsigned char *)s;
	char rep[12];
	size_t i = 0, cur = 0, rl, w, n, limit = 0;

	if (maxw > 0 && text_width(s, len) > maxw)
		limit = maxw - 1; /* room for the ellipsis */
	while (i < len) {
		n = text_char(p + i, len - i, rep, &rl, &w);
		if (limit > 0 && cur + w > limit)
			break;
		fwrite(rep, 1, rl, out);
		cur += w;
		i += n;
	}
	if (limit > 0) {
		fputs("\xe2\x80\xa6", out); /* U+2026 HORIZONTAL ELLIPSIS */
		cur++;
	}
	for (; cur < pad; cur++)
		fputc(' ', out);
	return cur;
}

void
db_print_table(const struct db_res *r, FILE *out, size_t indent, size_t maxw)
{
	int rows = db_rows(r), cols = db_cols(r), i, c;
	size_t *width = xcalloc((size_t)cols + 1, sizeof(*width)), w;
	const char *v;

	for (c = 0; c < cols; c++) {
		width[c] = text_width(db_colname(r, c),
		    strlen(db_colname(r, c)));
		for (i = 0; i < rows; i++) {
			v = db_value(r, i, c);
			w = v != NULL ? text_width(v, db_length(r, i, c)) : 1;
			if (maxw > 0 && w > maxw)
				w = maxw;
			if (w > width[c])
				width[c] = w;
		}
	}
	fprintf(out, "%*s", (int)indent, "");
	for (c = 0; c < cols; c++) {
		/* Header in upper case, like the rest of simpulctl's tables. */
		const char *name = db_colname(r, c);
		size_t k;

		for (k = 0; name[k] != '\0'; k++)
			fputc(name[k] >= 'a' && name[k] <= 'z' ?
			    name[k] - 'a' + 'A' : name[k], out);
		for (; k < width[c] + 2 && c < cols - 1; k++)
			fputc(' ', out);
	}
	fputc('\n', out);
	for (i = 0; i < rows; i++) {
		fprintf(out, "%*s", (int)indent, "");
		for (c = 0; c < cols; c++) {
			size_t pad = c < cols - 1 ? width[c] + 2 : 0;

			v = db_value(r, i, c);
			if (v == NULL)
				text_put(out, "-", 1, 0, pad);
			else
				text_put(out, v, db_length(r, i, c), maxw, pad);
		}
		fputc('\n', out);
	}
	free(width);
}

/* 1 when PostgreSQL's text of a number is also a JSON number. */
static int
json_number_ok(const char *v)
{
	/* NaN and Infinity are the only words PostgreSQL prints here. */
	return strpbrk(v, "NnIi") == NULL && *v != '\0';
}

void
db_print_json_value(const struct db_res *r, int row, int col, FILE *out)
{
	const char *v = db_value(r, row, col);

	if (v == NULL) {
		fputs("null", out);
		return;
	}
	switch (PQftype(r->r, col)) {
	case OID_BOOL:
		fputs(v[0] == 't' ? "true" : "false", out);
		return;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		if (json_number_ok(v)) {
			fputs(v, out);
			return;
		}
		break;
	case OID_JSON:
	case OID_JSONB:
		fwrite(v, 1, db_length(r, row, col), out);
		return;
	default:
		break;
	}
	json_put_string(out, v, db_length(r, row, col));
}

void
db_print_json_row(const struct db_res *r, int row, FILE *out)
{
	db_print_json_row_n(r, row, db_cols(r), out);
}

void
db_print_json_row_n(const struct db_res *r, int row, int ncols, FILE *out)
{
	int c;

	if (ncols > db_cols(r))
		ncols = db_cols(r);
	fputc('{', out);
	for (c = 0; c < ncols; c++) {
		if (c > 0)
			fputs(", ", out);
		json_put_string(out, db_colname(r, c),
		    strlen(db_colname(r, c)));
		fputs(": ", out);
		db_print_json_value(r, row, c, out);
	}
	fputc('}', out);
}

void
db_print_list(struct db_res *r, int json, const char *none, size_t maxw)
{
	if (json)
		db_print_json(r, stdout);
	else if (db_rows(r) == 0)
		fprintf(stderr, "%s\n", none);
	else
		db_print_table(r, stdout, 0, maxw);
	db_res_free(r);
}

void
db_print_json(const struct db_res *r, FILE *out)
{
	int i, rows = db_rows(r);

	fputc('[', out);
	for (i = 0; i < rows; i++) {
		fputs(i == 0 ? "\n" : ",\n", out);
		db_print_json_row(r, i, out);
	}
	fputs(rows > 0 ? "\n]\n" : "]\n", out);
}
