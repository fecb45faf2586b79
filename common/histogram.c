/*
 * histogram: see histogram.h.
 */
#include "histogram.h"

#include <math.h>
#include <string.h>

#include "log.h"

void
histogram_init(struct histogram *h, const double *bounds, size_t n)
{
	size_t i;

	if (n == 0 || n > HISTOGRAM_MAX_BOUNDS)
		fatalx("histogram: %zu bounds (want 1..%d)", n,
		    HISTOGRAM_MAX_BOUNDS);
	for (i = 0; i < n; i++)
		if (!isfinite(bounds[i]) ||
		    (i > 0 && bounds[i] <= bounds[i - 1]))
			fatalx("histogram: bounds not finite and ascending at "
			    "%zu", i);
	memset(h, 0, sizeof(*h));
	memcpy(h->bounds, bounds, n * sizeof(*bounds));
	h->nbounds = n;
}

void
histogram_observe(struct histogram *h, double v)
{
	size_t lo = 0, hi = h->nbounds, mid;

	/* The first bound >= v; NaN compares false and ends at +Inf. */
	if (isnan(v))
		lo = h->nbounds;
	else
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (h->bounds[mid] >= v)
				hi = mid;
			else
				lo = mid + 1;
		}
	h->counts[lo]++;
	h->count++;
	/* A NaN would poison the sum forever; it is counted, not summed. */
	if (!isnan(v))
		h->sum += v;
}
