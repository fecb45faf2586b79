/*
 * histogram: a fixed-bucket histogram of a measured quantity (batch sizes,
 * commit latencies), the shape Prometheus exposes as a histogram.
 *
 * The bucket bounds are fixed when the histogram is set up, so observing is
 * a short search and two additions, nothing is allocated and the struct is
 * a plain value: an owner can copy it under its own lock (writer_get_stats()
 * does) and hand the copy to a reader on another thread. Nothing here locks.
 *
 * counts[] holds the observations of each bucket on its own, not the
 * cumulative counts that the exposition format wants: prom_histogram()
 * (prom.h) adds them up when it writes them. A value v falls into the first
 * bucket whose upper bound is >= v (Prometheus' "le": less or equal); values
 * above the last bound (and NaN) fall into the implicit +Inf bucket,
 * counts[nbounds].
 */
#ifndef SIMPUL_HISTOGRAM_H
#define SIMPUL_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MAX_BOUNDS 20

struct histogram {
	size_t nbounds;
	double bounds[HISTOGRAM_MAX_BOUNDS];       /* ascending upper bounds */
	uint64_t counts[HISTOGRAM_MAX_BOUNDS + 1]; /* per bucket; last: +Inf */
	double sum;
	uint64_t count;
};

/*
 * Sets up h with n bounds (strictly ascending, finite) and no observations.
 * Bad bounds are a programming error: fatal.
 */
void histogram_init(struct histogram *h, const double *bounds, size_t n);
void histogram_observe(struct histogram *h, double v);

#endif
