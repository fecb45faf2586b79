/*
 * test_prom: the fixed-bucket histogram and the Prometheus text writer
 * (exact output, escaping, number formatting).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "histogram.h"
#include "prom.h"
#include "testlib.h"
#include "util.h"

static void
test_histogram(void)
{
	static const double bounds[] = { 1, 2, 5 };
	static const double obs[] = { 0.5, 1, 1.5, 2, 3, 5, 6 };
	struct histogram h;
	size_t i;

	histogram_init(&h, bounds, nitems(bounds));
	CHECK_INT(h.nbounds, 3);
	CHECK_INT(h.count, 0);
	for (i = 0; i < nitems(obs); i++)
		histogram_observe(&h, obs[i]);
	histogram_observe(&h, NAN);
	/* "le": a value equal to a bound belongs to that bound's bucket. */
	CHECK_INT(h.counts[0], 2);
	CHECK_INT(h.counts[1], 2);
	CHECK_INT(h.counts[2], 2);
	CHECK_INT(h.counts[3], 2); /* 6 and NaN: +Inf */
	CHECK_INT(h.count, 8);
	CHECK_DBL(h.sum, 19.0, 1e-12); /* NaN counted, not summed */
}

static void
test_format_double(void)
{
	char out[32];

	prom_format_double(0, out);
	CHECK_STR(out, "0");
	prom_format_double(0.1, out);
	CHECK_STR(out, "0.1");
	prom_format_double(0.0005, out);
	CHECK_STR(out, "0.0005");
	prom_format_double(1795818690.617, out);
	CHECK_STR(out, "1795818690.617");
	prom_format_double(1.0 / 3, out);
	CHECK_STR(out, "0.3333333333333333");
	prom_format_double(1073741824, out);
	CHECK_STR(out, "1073741824");
	prom_format_double(INFINITY, out);
	CHECK_STR(out, "+Inf");
	prom_format_double(-INFINITY, out);
	CHECK_STR(out, "-Inf");
	prom_format_double(NAN, out);
	CHECK_STR(out, "NaN");
}

static void
test_text(void)
{
	static const double bounds[] = { 0.5, 1 };
	struct histogram h;
	struct buf b;
	const char *l1[] = { "reason", "schema", NULL };
	const char *l2[] = { "a", "q\"b\\s\nn", "b", "", NULL };

	buf_init(&b, 0);
	prom_counter(&b, "simpul_x_total", "Things\\done\nwell", 42);
	buf_terminate(&b);
	CHECK_STR(b.data, "# HELP simpul_x_total Things\\\\done\\nwell\n"
	    "# TYPE simpul_x_total counter\n"
	    "simpul_x_total 42\n");

	buf_reset(&b);
	prom_family(&b, "simpul_dead_letters_total", PROM_COUNTER, "By reason");
	prom_sample_u64(&b, "simpul_dead_letters_total", l1,
	    18446744073709551615ULL);
	prom_sample_double(&b, "simpul_y", l2, 2.5);
	buf_terminate(&b);
	CHECK_STR(b.data, "# HELP simpul_dead_letters_total By reason\n"
	    "# TYPE simpul_dead_letters_total counter\n"
	    "simpul_dead_letters_total{reason=\"schema\"} "
	    "18446744073709551615\n"
	    "simpul_y{a=\"q\\\"b\\\\s\\nn\",b=\"\"} 2.5\n");

	buf_reset(&b);
	prom_gauge(&b, "simpul_up", "Up", 1);
	buf_terminate(&b);
	CHECK_STR(b.data, "# HELP simpul_up Up\n# TYPE simpul_up gauge\n"
	    "simpul_up 1\n");

	/* Buckets cumulative, +Inf equal to _count. */
	histogram_init(&h, bounds, nitems(bounds));
	histogram_observe(&h, 0.25);
	histogram_observe(&h, 0.75);
	histogram_observe(&h, 0.75);
	histogram_observe(&h, 3);
	buf_reset(&b);
	prom_histogram(&b, "simpul_t_seconds", "T", &h);
	buf_terminate(&b);
	CHECK_STR(b.data, "# HELP simpul_t_seconds T\n"
	    "# TYPE simpul_t_seconds histogram\n"
	    "simpul_t_seconds_bucket{le=\"0.5\"} 1\n"
	    "simpul_t_seconds_bucket{le=\"1\"} 3\n"
	    "simpul_t_seconds_bucket{le=\"+Inf\"} 4\n"
	    "simpul_t_seconds_sum 4.75\n"
	    "simpul_t_seconds_count 4\n");
	buf_free(&b);
}

int
main(void)
{
	test_histogram();
	test_format_double();
	test_text();
	return testlib_done();
}
