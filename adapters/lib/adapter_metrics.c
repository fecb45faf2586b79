/*
 * adapter_metrics: see adapter_metrics.h. Text only; the HTTP side is
 * common/httpd.c.
 */
#include "adapter_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "httpd.h"
#include "log.h"
#include "prom.h"

#ifndef SIMPUL_VERSION
#define SIMPUL_VERSION "unknown"
#endif

struct adapter_metrics {
	const struct adapter *ad;
	double started; /* wall clock, seconds */
	struct httpd *httpd;
};

void
adapter_metrics_write(const struct adapter *ad, struct buf *b)
{
	const struct adapter_config *ac = adapter_config(ad);
	struct adapter_stats st;
	const char *labels[] = { "version", SIMPUL_VERSION, "adapter",
	    ac->name, "opd", ac->opd, "site", ac->site, NULL };

	adapter_stats(ad, &st);
	prom_family(b, "simpul_build_info", PROM_GAUGE,
	    "Always 1; the labels tell the version, adapter, opd and site");
	prom_sample_u64(b, "simpul_build_info", labels, 1);
	prom_counter(b, "simpul_adapter_events_published_total",
	    "Events accepted by the publisher (persisted, to be sent)",
	    st.published);
	prom_counter(b, "simpul_adapter_events_acked_total",
	    "Events acknowledged by the broker", st.acked);
	prom_counter(b, "simpul_adapter_events_failed_total",
	    "Events the broker refused, or unacknowledged at shutdown "
	    "(re-sent at the next start)", st.failed);
	prom_counter(b, "simpul_adapter_events_rejected_total",
	    "Events refused because the publisher's buffer was full (left "
	    "unacknowledged at the source, retried)", st.rejected);
	prom_counter(b, "simpul_adapter_events_invalid_total",
	    "Events not published: they failed their schema or were too "
	    "large", st.invalid);
	prom_gauge(b, "simpul_adapter_events_inflight",
	    "Events accepted and not yet acknowledged", (double)st.inflight);
	prom_counter(b, "simpul_adapter_connects_total",
	    "Successful connections to the broker", st.connects);
	prom_gauge(b, "simpul_broker_connected",
	    "1 when the adapter is connected to the MQTT broker",
	    st.connected);
}

int
adapter_metrics_health(const struct adapter *ad, struct buf *b)
{
	struct adapter_stats st;

	adapter_stats(ad, &st);
	if (st.connected)
		return 1;
	buf_appendf(b, "broker: not connected (events_inflight=%llu)\n",
	    (unsigned long long)st.inflight);
	return 0;
}

static void
adapter_metrics_http_write(void *arg, struct buf *out)
{
	struct adapter_metrics *m = arg;

	adapter_metrics_write(m->ad, out);
	prom_gauge(out, "simpul_start_time_seconds",
	    "When the adapter started serving, seconds since the epoch",
	    m->started);
}

static int
adapter_metrics_http_health(void *arg, struct buf *out)
{
	struct adapter_metrics *m = arg;

	return adapter_metrics_health(m->ad, out);
}

struct adapter_metrics *
adapter_metrics_start(const struct adapter *ad)
{
	const struct adapter_config *ac = adapter_config(ad);
	struct adapter_metrics *m;
	struct httpd_opts ho;

	if (ac->http_listen == NULL || *ac->http_listen == '\0')
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->ad = ad;
	m->started = (double)clock_wall_ms() / 1000.0;
	memset(&ho, 0, sizeof(ho));
	ho.listen = ac->http_listen;
	ho.name = ac->name;
	ho.max_connections = ac->http_max_connections;
	ho.timeout_ms = ac->http_timeout;
	ho.metrics = adapter_metrics_http_write;
	ho.health = adapter_metrics_http_health;
	ho.arg = m;
	if ((m->httpd = httpd_start(&ho)) == NULL) {
		log_warnx("adapter: no /metrics and /healthz; the adapter "
		    "runs without them");
		free(m);
		return NULL;
	}
	return m;
}

void
adapter_metrics_stop(struct adapter_metrics *m)
{
	if (m == NULL)
		return;
	httpd_stop(m->httpd);
	free(m);
}
