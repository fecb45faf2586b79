/*
 * test_httpd: the /metrics and /healthz endpoint over real loopback
 * sockets: listen-address parsing, status codes and headers, HEAD, a slow
 * loris that must neither delay another client nor keep its slot past the
 * deadline, and a full connection table that drains by that deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"
#include "testlib.h"
#include "util.h"

#define TIMEOUT_MS 1000
#define MAX_CONNS 4

static int healthy = 1;
static int metrics_calls;

static void
write_metrics(void *arg, struct buf *out)
{
	(void)arg;
	metrics_calls++;
	buf_appendf(out, "# HELP test_metric A test\n# TYPE test_metric gauge\n"
	    "test_metric 42\n");
}

static int
write_health(void *arg, struct buf *out)
{
	(void)arg;
	if (healthy)
		return 1;
	buf_appendf(out, "postgres: unreachable\n");
	return 0;
}

static void
test_parse(void)
{
	char host[64], err[256];
	int port = -1;

	CHECK_INT(httpd_parse_listen("127.0.0.1:9180", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	CHECK_STR(host, "127.0.0.1");
	CHECK_INT(port, 9180);
	CHECK_INT(httpd_parse_listen("[::1]:0", host, sizeof(host), &port,
	    err, sizeof(err)), 0);
	CHECK_STR(host, "::1");
	CHECK_INT(port, 0);
	CHECK_INT(httpd_parse_listen("0.0.0.0:65535", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	CHECK_INT(port, 65535);

	CHECK_INT(httpd_parse_listen("9180", host, sizeof(host), &port, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "address:port") != NULL);
	CHECK_INT(httpd_parse_listen("::1:9180", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen("localhost:9180", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	CHECK(strstr(err, "numeric") != NULL);
	CHECK_INT(httpd_parse_listen("127.0.0.1:", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen("127.0.0.1:65536", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	CHECK(strstr(err, "0..65535") != NULL);
	CHECK_INT(httpd_parse_listen("127.0.0.1:80x", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen("127.0.0.1:-1", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen("[::1]9180", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen("[]:9180", host, sizeof(host), &port,
	    err, sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen(":9180", host, sizeof(host), &port, err,
	    sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen("[127.0.0.1]:9180", host, sizeof(host),
	    &port, err, sizeof(err)), -1);
	CHECK_INT(httpd_parse_listen("127.0.0.1:9180", host, 4, &port, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "too long") != NULL);
}

static int
conn_open(int port)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fatal("connect");
	return fd;
}

/*
 * Reads until the server closes the connection, for at most wait_ms.
 * Returns the bytes read (NUL-terminated), or -1 on a timeout.
 */
static ssize_t
conn_read_all(int fd, char *out, size_t cap, int wait_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t end = clock_mono_ms() + wait_ms, left;
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if ((left = end - clock_mono_ms()) <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = recv(fd, out + len, cap - 1 - len, 0);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			break;
		if (n == -1)
			return -1;
		len += (size_t)n;
		if (len == cap - 1)
			break;
	}
	out[len] = '\0';
	return (ssize_t)len;
}

/* One request on a new connection; returns the status code, or -1. */
static int
request(int port, const char *req, char *resp, size_t cap)
{
	int fd = conn_open(port), status = -1;
	const char *sp;

	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		goto out;
	if (conn_read_all(fd, resp, cap, 3000) <= 0)
		goto out;
	if (strncmp(resp, "HTTP/1.1 ", 9) != 0)
		goto out;
	sp = resp + 9;
	if (sp[0] < '1' || sp[0] > '5' || sp[1] < '0' || sp[1] > '9' ||
	    sp[2] < '0' || sp[2] > '9' || sp[3] != ' ')
		goto out;
	status = (sp[0] - '0') * 100 + (sp[1] - '0') * 10 + (sp[2] - '0');
out:
	close(fd);
	return status;
}

/* The body: what follows the blank line. */
static const char *
body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

static void
test_answers(int port)
{
	char resp[8192];

	CHECK_INT(request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 200);
	CHECK(strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; "
	    "charset=utf-8\r\n") != NULL);
	CHECK(strstr(resp, "\r\nCache-Control: no-store\r\n") != NULL);
	CHECK(strncmp(body_of(resp), "# HELP test_metric A test\n", 26) == 0);
	CHECK(strstr(resp, "\ntest_metric 42\n") != NULL);
	/* The endpoint's own counters follow, this request counted. */
	CHECK(strstr(resp, "\nsimpul_http_requests_total{code=\"200\"} 1\n")
	    != NULL);
	CHECK(strstr(resp, "\n# TYPE simpul_http_timeouts_total counter\n")
	    != NULL);
	/* A query string does not change the path. */
	CHECK_INT(request(port, "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 200);

	healthy = 1;
	CHECK_INT(request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 200);
	CHECK_STR(body_of(resp), "ok\n");
	CHECK(strstr(resp, "\r\nContent-Type: text/plain; charset=utf-8\r\n")
	    != NULL);
	healthy = 0;
	CHECK_INT(request(port, "GET /healthz HTTP/1.0\r\n\r\n", resp,
	    sizeof(resp)), 503);
	CHECK_STR(body_of(resp), "postgres: unreachable\n");
	healthy = 1;

	CHECK_INT(request(port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 200);
	CHECK_STR(body_of(resp), "");

	CHECK_INT(request(port, "POST /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\n\r\nhello", resp, sizeof(resp)), 405);
	CHECK(strstr(resp, "\r\nAllow: GET, HEAD\r\n") != NULL);
	CHECK_INT(request(port, "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 405);
	CHECK_INT(request(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp,
	    sizeof(resp)), 404);
	CHECK_INT(request(port, "GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 404);

	CHECK_INT(request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 200);
	CHECK(strstr(resp, "\nsimpul_http_requests_total{code=\"404\"} 2\n")
	    != NULL);
	CHECK(strstr(resp, "\nsimpul_http_requests_total{code=\"405\"} 2\n")
	    != NULL);
	CHECK(strstr(resp, "\nsimpul_http_requests_total{code=\"503\"} 1\n")
	    != NULL);
}

/*
 * A slow loris sends its request one byte at a time, each well within the
 * library's idle timeout. Meanwhile another client must be served at once,
 * and the loris must be cut off at the deadline, not hours later.
 */
static void
test_slow_loris(int port)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
	    "\r\n";
	struct timespec tick = { 0, 150 * 1000000L };
	char resp[8192];
	int64_t t0, took, cut_after = -1;
	size_t i;
	int fd, answered_meanwhile = 0;

	fd = conn_open(port);
	t0 = clock_mono_ms();
	for (i = 0; i < sizeof(req) - 1; i++) {
		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1) {
			cut_after = clock_mono_ms() - t0;
			break;
		}
		if (i == 3) {
			int64_t s = clock_mono_ms();

			answered_meanwhile = request(port, "GET /healthz "
			    "HTTP/1.1\r\nHost: x\r\n\r\n", resp,
			    sizeof(resp)) == 200 && clock_mono_ms() - s < 500;
		}
		nanosleep(&tick, NULL);
	}
	CHECK(answered_meanwhile);
	/* Either a send failed, or the server closed the socket on us. */
	if (cut_after == -1 && conn_read_all(fd, resp, sizeof(resp), 3000)
	    >= 0 && strstr(resp, "HTTP/1.1 200") == NULL)
		cut_after = clock_mono_ms() - t0;
	took = cut_after;
	CHECK(took >= TIMEOUT_MS - 100 && took < TIMEOUT_MS + 2000);
	close(fd);

	CHECK_INT(request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 200);
	CHECK(strstr(resp, "\nsimpul_http_timeouts_total 1\n") != NULL);
}

/*
 * MAX_CONNS idle connections fill the table; the next client waits, and
 * is served once the deadline has cleared them.
 */
static void
test_full(int port)
{
	char resp[8192];
	int fds[MAX_CONNS], i, status;
	int64_t t0;

	for (i = 0; i < MAX_CONNS; i++)
		fds[i] = conn_open(port);
	t0 = clock_mono_ms();
	status = request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp));
	CHECK_INT(status, 200);
	CHECK(clock_mono_ms() - t0 >= TIMEOUT_MS / 2);
	for (i = 0; i < MAX_CONNS; i++)
		close(fds[i]);
	CHECK_INT(request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    resp, sizeof(resp)), 200);
	CHECK(strstr(resp, "\nsimpul_http_timeouts_total 5\n") != NULL);
}

static void
test_bind_errors(int port)
{
	struct httpd_opts o;

	memset(&o, 0, sizeof(o));
	o.name = "test";
	o.metrics = write_metrics;
	o.health = write_health;
	o.listen = "localhost:0";
	CHECK(httpd_start(&o) == NULL);
	/* The port is taken by the running endpoint. */
	{
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		o.listen = addr;
		CHECK(httpd_start(&o) == NULL);
	}
}

int
main(void)
{
	struct httpd_opts o;
	struct httpd *h;
	int port;

	log_init("test_httpd", LOG_LEVEL_INFO);
	test_parse();

	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:0";
	o.name = "test";
	o.max_connections = MAX_CONNS;
	o.timeout_ms = TIMEOUT_MS;
	o.metrics = write_metrics;
	o.health = write_health;
	h = httpd_start(&o);
	CHECK(h != NULL);
	if (h == NULL)
		return testlib_done();
	port = httpd_port(h);
	CHECK(port > 0);
	test_answers(port);
	test_slow_loris(port);
	test_full(port);
	test_bind_errors(port);
	httpd_stop(h);
	httpd_stop(NULL);
	return testlib_done();
}
