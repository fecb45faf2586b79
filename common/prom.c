/*
 * prom: see prom.h.
 */
#include "prom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int
prom_name_ok(const char *s, int colon)
{
	const char *p;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' ||
		    (colon && *p == ':')))
			return 0;
	return 1;
}

static void
prom_check_name(const char *name)
{
	if (!prom_name_ok(name, 1))
		fatalx("prom: bad metric name '%s'", name);
}

/* Appends s with '\\', newline and, in label values, '"' escaped. */
static void
prom_escape(struct buf *b, const char *s, int quote)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\\')
			buf_append(b, "\\\\", 2);
		else if (*p == '\n')
			buf_append(b, "\\n", 2);
		else if (quote && *p == '"')
			buf_append(b, "\\\"", 2);
		else
			buf_append(b, p, 1);
	}
}

void
prom_format_double(double v, char out[32])
{
	int prec;

	if (isnan(v)) {
		strlcpy_s(out, "NaN", 32);
		return;
	}
	if (isinf(v)) {
		strlcpy_s(out, v > 0 ? "+Inf" : "-Inf", 32);
		return;
	}
	/* The shortest of %.15g .. %.17g that reads back exactly. */
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, 32, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
	snprintf(out, 32, "%.17g", v);
}

void
prom_family(struct buf *b, const char *name, enum prom_type type,
    const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	prom_check_name(name);
	buf_appendf(b, "# HELP %s ", name);
	prom_escape(b, help, 0);
	buf_appendf(b, "\n# TYPE %s %s\n", name, types[type]);
}

static void
prom_name_labels(struct buf *b, const char *name, const char *const *labels)
{
	size_t i;

	prom_check_name(name);
	buf_append(b, name, strlen(name));
	if (labels == NULL || labels[0] == NULL)
		return;
	buf_append(b, "{", 1);
	for (i = 0; labels[i] != NULL; i += 2) {
		if (!prom_name_ok(labels[i], 0) || labels[i + 1] == NULL)
			fatalx("prom: bad label on '%s'", name);
		buf_appendf(b, "%s%s=\"", i > 0 ? "," : "", labels[i]);
		prom_escape(b, labels[i + 1], 1);
		buf_append(b, "\"", 1);
	}
	buf_append(b, "}", 1);
}

void
prom_sample_u64(struct buf *b, const char *name, const char *const *labels,
    uint64_t v)
{
	prom_name_labels(b, name, labels);
	buf_appendf(b, " %llu\n", (unsigned long long)v);
}

void
prom_sample_double(struct buf *b, const char *name,
    const char *const *labels, double v)
{
	char num[32];

	prom_format_double(v, num);
	prom_name_labels(b, name, labels);
	buf_appendf(b, " %s\n", num);
}

void
prom_counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	prom_family(b, name, PROM_COUNTER, help);
	prom_sample_u64(b, name, NULL, v);
}

void
prom_gauge(struct buf *b, const char *name, const char *help, double v)
{
	prom_family(b, name, PROM_GAUGE, help);
	prom_sample_double(b, name, NULL, v);
}

void
prom_histogram(struct buf *b, const char *name, const char *help,
    const struct histogram *h)
{
	char sub[256], le[32];
	const char *labels[] = { "le", le, NULL };
	uint64_t cum = 0;
	size_t i;

	if (strlen(name) > sizeof(sub) - sizeof("_bucket"))
		fatalx("prom: metric name too long '%s'", name);
	prom_family(b, name, PROM_HISTOGRAM, help);
	snprintf(sub, sizeof(sub), "%s_bucket", name);
	for (i = 0; i < h->nbounds; i++) {
		cum += h->counts[i];
		prom_format_double(h->bounds[i], le);
		prom_sample_u64(b, sub, labels, cum);
	}
	cum += h->counts[h->nbounds];
	strlcpy_s(le, "+Inf", sizeof(le));
	prom_sample_u64(b, sub, labels, cum);
	snprintf(sub, sizeof(sub), "%s_sum", name);
	prom_sample_double(b, sub, NULL, h->sum);
	snprintf(sub, sizeof(sub), "%s_count", name);
	prom_sample_u64(b, sub, NULL, h->count);
}
