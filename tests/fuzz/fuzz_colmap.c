/*
 * fuzz_colmap: the SQL adapters' map from config lines and row text to
 * events (adapters/lib/colmap.c), and its value parsers.
 *
 * Input, line by line: map lines "target = spec", "T value = type" for
 * [types], "L table key = value" for [lookup], then a line "--", then the
 * result's header (column names separated by tabs, each optionally
 * ":k" with k one of c e f d t h b x o for the column kinds), then rows of
 * tab-separated values ("\N" is NULL). Every value is also fed to each
 * parser on its own.
 *
 * Asserts: an error always says why; a mapped row has an object as data,
 * a valid event type, id parts without a newline; mapping the same row
 * twice gives the same version (the id is deterministic); parsed integers
 * stay within 10^15; a shifted timestamp parses again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloudevent.h"
#include "colmap.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define COLS_MAX 32

static void
parsers(const char *v)
{
	char d[11], out[96];
	int64_t i, ms;
	int b;

	if (colmap_parse_int(v, &i) == 0 &&
	    (i > COLMAP_INT_MAX || i < -COLMAP_INT_MAX))
		abort();
	if (colmap_parse_date(v, d, sizeof(d)) == 0 && strlen(d) != 10)
		abort();
	colmap_parse_bool(v, &b);
	colmap_parse_offset(v, &b);
	if (colmap_parse_timestamp(v, 420, &ms) == 0 &&
	    colmap_timestamp_shift(v, -172800000LL, out, sizeof(out)) == 0 &&
	    colmap_parse_timestamp(out, 420, &ms) == -1)
		abort();
}

static enum colmap_sqlkind
kind_of(char c)
{
	switch (c) {
	case 'e':
		return COLMAP_SQL_EXACT;
	case 'f':
		return COLMAP_SQL_FLOAT;
	case 'd':
		return COLMAP_SQL_DATE;
	case 't':
		return COLMAP_SQL_TIMESTAMP;
	case 'h':
		return COLMAP_SQL_TIME;
	case 'b':
		return COLMAP_SQL_BIT;
	case 'x':
		return COLMAP_SQL_BINARY;
	case 'o':
		return COLMAP_SQL_OTHER;
	default:
		return COLMAP_SQL_CHAR;
	}
}

/* Splits s at tabs into v (at most COLS_MAX); returns the count. */
static size_t
split_tabs(char *s, char **v)
{
	size_t n = 0;
	char *tab;

	for (;;) {
		if (n == COLS_MAX)
			return n;
		v[n++] = s;
		if ((tab = strchr(s, '\t')) == NULL)
			return n;
		*tab = '\0';
		s = tab + 1;
	}
}

static void
config_line(struct colmap *cm, char *line)
{
	char err[512], *eq, *sp, *name = line;

	if ((eq = strchr(line, '=')) == NULL)
		return;
	*eq = '\0';
	err[0] = '\0';
	if (strncmp(line, "T ", 2) == 0) {
		if (colmap_set_type(cm, line + 2, eq + 1, err,
		    sizeof(err)) == -1 && err[0] == '\0')
			abort();
		return;
	}
	if (strncmp(line, "L ", 2) == 0) {
		name = line + 2;
		if ((sp = strchr(name, ' ')) == NULL)
			return;
		*sp = '\0';
		if (colmap_set_lookup(cm, name, sp + 1, eq + 1, err,
		    sizeof(err)) == -1 && err[0] == '\0')
			abort();
		return;
	}
	while (*name == ' ')
		name++;
	for (sp = eq; sp > name && sp[-1] == ' '; sp--)
		sp[-1] = '\0';
	if (colmap_set(cm, name, eq + 1, err, sizeof(err)) == -1 &&
	    err[0] == '\0')
		abort();
}

static void
row(struct colmap *cm, const char **values)
{
	struct colmap_row r1, r2;
	char err[512];
	int a, b;

	err[0] = '\0';
	a = colmap_apply(cm, values, &r1, err, sizeof(err));
	if (a == -1 && err[0] == '\0')
		abort();
	if (a != 0 && (r1.data != NULL || r1.type != NULL))
		abort();
	if (a == 0) {
		if (!cJSON_IsObject(r1.data) || r1.type == NULL ||
		    !cloudevent_name_ok(r1.type) || r1.record == NULL ||
		    r1.version == NULL || strchr(r1.record, '\n') != NULL ||
		    strchr(r1.version, '\n') != NULL)
			abort();
		b = colmap_apply(cm, values, &r2, err, sizeof(err));
		if (b != 0 || strcmp(r1.version, r2.version) != 0 ||
		    strcmp(r1.record, r2.record) != 0 ||
		    r1.time_ms != r2.time_ms)
			abort();
		colmap_row_clear(&r2);
	}
	colmap_row_clear(&r1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct colmap *cm;
	char *text, *line, *next, *cols[COLS_MAX], *vals[COLS_MAX];
	const char *names[COLS_MAX], *values[COLS_MAX];
	enum colmap_sqlkind kinds[COLS_MAX];
	char err[512], *colon;
	size_t n = 0, i, nv;
	int phase = 0, bound = 0;

	if (size > 65536)
		return 0;
	text = xstrndup((const char *)data, size);
	cm = colmap_new();
	colmap_set_timezone(cm, 420);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (phase == 0) {
			if (strcmp(line, "--") == 0) {
				phase = 1;
				err[0] = '\0';
				if (colmap_check(cm, err, sizeof(err)) == -1) {
					if (err[0] == '\0')
						abort();
					break;
				}
			} else
				config_line(cm, line);
			continue;
		}
		if (phase == 1) {
			n = split_tabs(line, cols);
			for (i = 0; i < n; i++) {
				kinds[i] = COLMAP_SQL_CHAR;
				if ((colon = strchr(cols[i], ':')) != NULL) {
					kinds[i] = kind_of(colon[1]);
					*colon = '\0';
				}
				names[i] = cols[i];
			}
			err[0] = '\0';
			bound = colmap_bind(cm, names, kinds, n, err,
			    sizeof(err)) == 0;
			if (!bound && err[0] == '\0')
				abort();
			phase = 2;
			continue;
		}
		nv = split_tabs(line, vals);
		for (i = 0; i < n; i++) {
			values[i] = i < nv && strcmp(vals[i], "\\N") != 0 ?
			    vals[i] : NULL;
			if (values[i] != NULL)
				parsers(values[i]);
		}
		if (bound)
			row(cm, values);
	}
	colmap_free(cm);
	free(text);
	return 0;
}
