/*
 * webserver: see webserver.h.
 */
#include "webserver.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "httpd.h"
#include "log.h"
#include "util.h"

struct MHD_Daemon *
webserver_start(const struct webserver_opts *o, int *port)
{
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	sigset_t old;
	unsigned int flags;

	flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (o->addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	signals_block_stop(&old);
	d = MHD_start_daemon(flags, 0, NULL, NULL, o->handler, o->arg,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_mhd_logger,
	    (void *)(uintptr_t)o->name,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)o->addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)((o->idle_timeout_ms + 999) / 1000),
	    MHD_OPTION_NOTIFY_COMPLETED, o->completed, o->arg,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (d == NULL) {
		log_warnx("%s: cannot listen on %s (in use, or not an "
		    "address of this host)", o->name, o->listen);
		return NULL;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = di != NULL ? di->port : 0;
	return d;
}

enum MHD_Result
webserver_answer(struct MHD_Connection *c, unsigned status,
    const char *content_type, const char *body, const char *allow,
    const char *retry_after)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE && retry_after != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
		    retry_after);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

int
webserver_body_too_large(struct MHD_Connection *c, size_t max)
{
	const char *cl;
	uint64_t len;

	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl != NULL && (parse_u64(cl, &len) == -1 || len > max);
}
