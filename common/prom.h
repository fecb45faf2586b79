/*
 * prom: writes metrics in the Prometheus text exposition format, version
 * 0.0.4 (what /metrics serves; Content-Type "text/plain; version=0.0.4").
 *
 * The format, as far as we use it: every metric family starts with
 *
 *	# HELP <name> <text, '\' and newline escaped>
 *	# TYPE <name> counter|gauge|histogram
 *
 * followed by its samples, one per line:
 *
 *	<name>{<label>="<value, '\' '"' newline escaped>",...} <value>
 *
 * A histogram <name> has the samples <name>_bucket{le="<bound>"} (counts
 * cumulative, ending with le="+Inf", which equals the count), <name>_sum
 * and <name>_count. Names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]*; ours all start with "simpul_", counters end in
 * "_total", and units are base units (seconds, bytes).
 *
 * Names and help texts are the program's own literals: a name that breaks
 * the rule above is a programming error (fatal), caught by the first
 * scrape in any test. Label values may come from outside (a config value,
 * an instance name) and are escaped.
 *
 * Output goes to a struct buf without a limit (the text is ours and its
 * size is fixed by the program: a few kilobytes), so appends cannot fail.
 */
#ifndef SIMPUL_PROM_H
#define SIMPUL_PROM_H

#include <stdint.h>

#include "histogram.h"
#include "util.h"

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

/* The "# HELP" and "# TYPE" lines of a family. */
void prom_family(struct buf *b, const char *name, enum prom_type type,
    const char *help);

/*
 * One sample. labels is NULL or a NULL-terminated list of name, value
 * pairs: (const char *[]){ "reason", "schema", NULL }.
 */
void prom_sample_u64(struct buf *b, const char *name,
    const char *const *labels, uint64_t v);
void prom_sample_double(struct buf *b, const char *name,
    const char *const *labels, double v);

/* A family with one unlabelled sample: the common case. */
void prom_counter(struct buf *b, const char *name, const char *help,
    uint64_t v);
void prom_gauge(struct buf *b, const char *name, const char *help, double v);
/* A whole histogram family (HELP, TYPE, buckets, _sum, _count). */
void prom_histogram(struct buf *b, const char *name, const char *help,
    const struct histogram *h);

/*
 * Formats v as the format wants it: "+Inf", "-Inf", "NaN", or the shortest
 * decimal that reads back as v. out must hold 32 bytes.
 */
void prom_format_double(double v, char out[32]);

#endif
