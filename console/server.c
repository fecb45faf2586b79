/*
 * server: see server.h.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "auth.h"
#include "httpd.h"
#include "live.h"
#include "log.h"
#include "param.h"
#include "util.h"

#define SERVER_HEADER_MEMORY (32 * 1024)
#define SSE_BLOCK 4096

static const char csp[] = "default-src 'self'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

struct server {
	struct console *c;
	struct MHD_Daemon *d;
	int port;
};

/* Per request: the body as it arrives. */
struct upload {
	struct buf body;
	int too_large;
};

static void
security_headers(struct MHD_Response *resp, int api)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (api)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
}

static enum MHD_Result
send_json(struct MHD_Connection *conn, const struct answer *a)
{
	struct MHD_Response *resp;
	const char *body = a->body != NULL ? a->body : "{}";
	enum MHD_Result rc;
	char retry[24];

	resp = MHD_create_response_from_buffer(strlen(body),
	    (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json; charset=utf-8");
	if (a->cookie != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
		    a->cookie);
	if (a->retry_after > 0) {
		snprintf(retry, sizeof(retry), "%ld", a->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    retry);
	}
	security_headers(resp, 1);
	rc = MHD_queue_response(conn, a->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
send_error(struct MHD_Connection *conn, unsigned int status, const char *msg)
{
	struct answer a;
	enum MHD_Result rc;

	memset(&a, 0, sizeof(a));
	answer_error(&a, status, msg);
	rc = send_json(conn, &a);
	free(a.body);
	return rc;
}

/* --- static assets ------------------------------------------------------ */

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".json", "application/json" },
	{ ".geojson", "application/geo+json" },
	{ ".woff2", "font/woff2" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".md", "text/plain; charset=utf-8" },
	{ "LICENSE", "text/plain; charset=utf-8" },
};

static const char *
content_type(const char *path)
{
	size_t n = strlen(path), k, i;

	for (i = 0; i < nitems(types); i++) {
		k = strlen(types[i].ext);
		if (n >= k && strcmp(path + n - k, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

/* 1 for a path we serve: letters, digits, "._-/", no "..", no "//". */
static int
static_path_ok(const char *url)
{
	size_t n = strlen(url);

	return n > 1 && n < 512 && url[0] == '/' &&
	    strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-/") == n && strstr(url, "..") == NULL &&
	    strstr(url, "//") == NULL && strstr(url, "/.") == NULL;
}

static enum MHD_Result
send_static(struct server *s, struct MHD_Connection *conn, const char *url)
{
	struct MHD_Response *resp;
	const char *type;
	struct stat st;
	char *path;
	enum MHD_Result rc;
	int fd;

	if (strcmp(url, "/") == 0)
		url = "/index.html";
	if (!static_path_ok(url) || (type = content_type(url)) == NULL)
		return send_error(conn, 404, "not found");
	path = xasprintf("%s%s", s->c->cfg->web_dir, url);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		return send_error(conn, 404, "not found");
	}
	resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache");
	security_headers(resp, 0);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* --- the live stream ---------------------------------------------------- */

static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n;

	(void)pos;
	n = live_client_read(cls, buf, max);
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void
sse_free(void *cls)
{
	live_client_free(cls);
}

static enum MHD_Result
send_live(struct req *r)
{
	struct live_client *cl;
	struct MHD_Response *resp;
	struct answer a;
	enum MHD_Result rc;

	memset(&a, 0, sizeof(a));
	if (strcmp(r->method, "GET") != 0)
		return send_error(r->conn, 405, "method not allowed");
	if (auth_session(r, &a, 0) == -1) {
		rc = send_json(r->conn, &a);
		free(a.body);
		return rc;
	}
	cl = live_client_new(r->c->live, &r->s,
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Last-Event-ID"));
	if (cl == NULL)
		return send_error(r->conn, 503, "too many live streams");
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK,
	    sse_read, cl, sse_free);
	if (resp == NULL) {
		live_client_free(cl);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	security_headers(resp, 1);
	rc = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* --- requests ----------------------------------------------------------- */

static void
remote_addr(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	strlcpy_s(out, "-", outlen);
	if (sa == NULL)
		return;
	(void)getnameinfo(sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), out,
	    (socklen_t)outlen, NULL, 0, NI_NUMERICHOST);
}

static enum MHD_Result
dispatch(struct server *s, struct MHD_Connection *conn, const char *url,
    const char *method, struct upload *up)
{
	struct answer a;
	struct req r;
	enum MHD_Result rc;

	if (up->too_large)
		return send_error(conn, 413, "request body too large");
	if (strncmp(url, "/api/", 5) != 0) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return send_error(conn, 405, "method not allowed");
		return send_static(s, conn, url);
	}
	memset(&r, 0, sizeof(r));
	r.c = s->c;
	r.conn = conn;
	r.method = method;
	r.path = url + 5;
	buf_terminate(&up->body);
	r.body = up->body.data != NULL ? up->body.data : "";
	r.body_len = up->body.len;
	remote_addr(conn, r.remote, sizeof(r.remote));
	if (strcmp(r.path, "live") == 0)
		return send_live(&r);
	memset(&a, 0, sizeof(a));
	api_handle(&r, &a);
	rc = send_json(conn, &a);
	free(a.body);
	free(a.cookie);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct upload *up = *con_cls;
	const char *cl;
	uint64_t len;

	(void)version;
	if (up == NULL) {
		up = xcalloc(1, sizeof(*up));
		buf_init(&up->body, (size_t)s->c->cfg->max_body);
		*con_cls = up;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && (parse_u64(cl, &len) == -1 ||
		    len > s->c->cfg->max_body))
			return send_error(conn, 413, "request body too large");
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!up->too_large && buf_append(&up->body, upload_data,
		    *upload_data_size) == -1)
			up->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(s, conn, url, method, up);
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (up == NULL)
		return;
	buf_free(&up->body);
	free(up);
	*con_cls = NULL;
}

struct server *
server_start(struct console *c)
{
	struct server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;

	s->c = c;
	if (httpd_sockaddr(c->cfg->listen, &ss) == -1) {
		log_warnx("server: bad listen address %s", c->cfg->listen);
		free(s);
		return NULL;
	}
	s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
	    on_request, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->cfg->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_IDLE_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_HEADER_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_mhd_logger, "console",
	    MHD_OPTION_END);
	if (s->d == NULL) {
		log_warnx("server: cannot listen on %s", c->cfg->listen);
		free(s);
		return NULL;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL ? di->port : 0;
	return s;
}

int
server_port(const struct server *s)
{
	return s->port;
}

void
server_stop(struct server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
