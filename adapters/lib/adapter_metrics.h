/*
 * adapter_metrics: an adapter's /metrics and /healthz (HTTP, see
 * common/httpd.h), started by adapter_start() when [http] listen is set
 * and stopped by adapter_free().
 *
 * /metrics: the publisher's counters (adapter_stats()): events handed to
 * the publisher, acknowledged, failed, refused for a full buffer, invalid,
 * in flight; broker connects and the connection state; build info with the
 * adapter's name and opd. /healthz: 200 "ok" while connected to the broker,
 * else 503 "broker: not connected ..." (the adapter keeps buffering, up to
 * [mqtt] max_buffered, and its source is not acknowledged beyond that).
 */
#ifndef SIMPUL_ADAPTER_METRICS_H
#define SIMPUL_ADAPTER_METRICS_H

#include "util.h"

struct adapter;
struct adapter_metrics;

/*
 * Serves on the adapter's [http] listen. Returns NULL when it is empty
 * (disabled) or the endpoint cannot start (logged; the adapter goes on
 * without it). ad must outlive adapter_metrics_stop().
 */
struct adapter_metrics *adapter_metrics_start(const struct adapter *ad);
void adapter_metrics_stop(struct adapter_metrics *m); /* accepts NULL */

/* The two texts the endpoint serves (also usable without HTTP). */
void adapter_metrics_write(const struct adapter *ad, struct buf *out);
int adapter_metrics_health(const struct adapter *ad, struct buf *out);

#endif
