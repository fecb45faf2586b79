/*
 * server: see server.h.
 *
 * One epoll set holds the listeners and every connection, level-triggered;
 * epoll_data points at either a struct listener or a struct conn, told
 * apart by the kind tag both start with. Level-triggered means a
 * connection is read once per wake-up (conn_buffer bytes at most), so a
 * chatty tracker cannot starve the others.
 *
 * Timers cost O(1) per event: connections sit in an activity list ordered
 * by the last byte received (a read moves the connection to the tail), so
 * the idle sweep looks only at the head. Connections held back by a full
 * publisher sit in a second list, retried every SERVER_RETRY_MS from the
 * head; the first that is still refused ends the pass (the publisher is
 * full for everyone) and goes to the tail, so every connection gets its
 * turn.
 *
 * Backpressure, in detail. Bytes are fed to the decoder in slices of
 * SERVER_FEED_SLICE bytes. When the handler says GPS_BUSY, that message
 * and every later one from the same slice are kept in order in the
 * connection's held messages (at most about 30: a slice cannot hold more
 * complete messages), the rest of what was read is kept unfed, and the
 * connection's EPOLLIN interest is dropped. The retry pass offers the held
 * messages again (with the handler's progress, so a message that makes two
 * events does not publish the first twice), writes their replies, feeds
 * the unfed bytes, and resumes reading when all of it went through.
 *
 * Closing. The decoders' callbacks must not free the connection, so
 * everything that wants a connection gone only marks it (conn_finish());
 * conn_settle() runs after each piece of work and closes it for real. A
 * connection that still holds messages is taken out of the epoll set but
 * kept until the handler has taken them, so that what was received is
 * published even when the peer went away.
 *
 * Accept under pressure: over max_connections a connection is accepted and
 * closed at once (the tracker retries later); when the process is out of
 * descriptors (EMFILE), a spare descriptor kept open for the purpose is
 * closed to accept and close the pending connection, so the listener does
 * not stay readable and spin the loop.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gt06.h"
#include "h02.h"
#include "log.h"
#include "util.h"

#define SERVER_FEED_SLICE 256	/* bytes fed to a decoder at a time */
#define SERVER_HELD_MAX 64	/* held messages per connection (see top) */
#define SERVER_REPLY_MAX 128	/* longest reply a decoder makes: ~60 */
#define SERVER_ACCEPT_BURST 256	/* accepts per listener wake-up */
#define SERVER_EVENTS 256	/* epoll events per wait */
#define SERVER_BACKLOG 4096
#define SERVER_LOG_EVERY_MS 60000 /* rate of repeated warnings */

enum server_kind {
	KIND_LISTENER = 1,
	KIND_CONN
};

enum server_proto {
	PROTO_GT06,
	PROTO_H02
};

static const char *const server_proto_names[] = { "gt06", "h02" };

struct listener {
	enum server_kind kind; /* first: see the top of the file */
	enum server_proto proto;
	int fd;
	int port;
};

struct held_msg {
	struct gps_fix fix;
	int64_t recv_ms;
	int done;
	size_t reply_len;
	uint8_t reply[SERVER_REPLY_MAX];
};

struct conn {
	enum server_kind kind; /* first: see the top of the file */
	struct server *srv;
	enum server_proto proto;
	int fd;
	struct gt06_conn *gt06;
	struct h02_conn *h02;
	struct conn *prev, *next;   /* activity list, oldest first */
	struct conn *hprev, *hnext; /* held list */
	int64_t last_ms;            /* monotonic: last byte received */
	int64_t out_since_ms;       /* monotonic: out became non-empty */
	uint8_t *out;               /* unsent replies */
	size_t outlen;
	uint8_t *unfed;             /* read but not fed (held back) */
	size_t unfedlen;
	struct held_msg *msgs;      /* SERVER_HELD_MAX, allocated on demand */
	size_t nmsgs;
	uint32_t events;            /* the epoll interest registered */
	int in_epoll;
	int held;                   /* in the held list */
	int closing;
	const char *why;            /* why it is closing (static string) */
	char peer[INET6_ADDRSTRLEN + 8];
};

struct server {
	struct server_config cfg;
	gps_handler_fn handler;
	void *arg;
	int epfd;
	struct listener *ls[2];
	struct conn *head, *tail;   /* activity list */
	struct conn *hhead, *htail; /* held list */
	uint8_t *rbuf;              /* conn_buffer bytes */
	int spare_fd;
	int shutting_down;
	int64_t now_mono, now_wall;
	int64_t retry_at;
	int64_t cap_logged, accept_logged, overflow_logged;
	struct server_stats st;
};

static void conn_feed(struct conn *, const uint8_t *, size_t);

/* --- lists ---------------------------------------------------------------- */

static void
active_unlink(struct server *s, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
active_append(struct server *s, struct conn *c)
{
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail != NULL)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
}

/* Marks activity: the connection moves to the young end of the list. */
static void
conn_touch(struct conn *c)
{
	struct server *s = c->srv;

	c->last_ms = s->now_mono;
	if (s->tail != c) {
		active_unlink(s, c);
		active_append(s, c);
	}
}

static void
held_unlink(struct server *s, struct conn *c)
{
	if (!c->held)
		return;
	if (c->hprev != NULL)
		c->hprev->hnext = c->hnext;
	else
		s->hhead = c->hnext;
	if (c->hnext != NULL)
		c->hnext->hprev = c->hprev;
	else
		s->htail = c->hprev;
	c->hprev = c->hnext = NULL;
	c->held = 0;
	s->st.held--;
}

static void
held_append(struct server *s, struct conn *c)
{
	if (c->held)
		return;
	c->hprev = s->htail;
	c->hnext = NULL;
	if (s->htail != NULL)
		s->htail->hnext = c;
	else
		s->hhead = c;
	s->htail = c;
	c->held = 1;
	s->st.held++;
}

/* --- connections ---------------------------------------------------------- */

/* Asks for the connection to be closed; conn_settle() does it. */
static void
conn_finish(struct conn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->why = why;
}

static void
conn_close(struct conn *c)
{
	struct server *s = c->srv;

	log_debug("server: %s connection from %s closed: %s",
	    server_proto_names[c->proto], c->peer, c->why ? c->why : "?");
	active_unlink(s, c);
	held_unlink(s, c);
	close(c->fd); /* also leaves the epoll set */
	gt06_conn_free(c->gt06);
	h02_conn_free(c->h02);
	free(c->out);
	free(c->unfed);
	free(c->msgs);
	free(c);
	s->st.connections--;
}

/* The epoll interest the connection's state calls for. */
static uint32_t
conn_wants(const struct conn *c)
{
	uint32_t ev = 0;

	if (c->closing)
		return 0;
	if (c->nmsgs == 0 && c->unfedlen == 0)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (c->outlen > 0)
		ev |= EPOLLOUT;
	return ev;
}

/*
 * Brings the connection's epoll interest in line with its state, or closes
 * it when it is closing and holds nothing. Returns 1 when it was freed.
 */
static int
conn_settle(struct conn *c)
{
	struct server *s = c->srv;
	struct epoll_event ev;
	uint32_t want;

	if (c->closing) {
		if (c->in_epoll) {
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
			c->in_epoll = 0;
		}
		if (c->nmsgs == 0) {
			conn_close(c);
			return 1;
		}
		return 0;
	}
	want = conn_wants(c);
	if (want != c->events) {
		memset(&ev, 0, sizeof(ev));
		ev.events = want;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
			log_warn("server: epoll_ctl");
			conn_finish(c, "epoll_ctl failed");
			return conn_settle(c);
		}
		c->events = want;
	}
	return 0;
}

/* Queues a reply: written at once if the socket takes it, else buffered. */
static void
conn_reply(struct conn *c, const uint8_t *reply, size_t len)
{
	struct server *s = c->srv;
	ssize_t n = 0;

	if (reply == NULL || len == 0 || c->closing || !s->cfg.send_replies)
		return;
	s->st.replies++;
	if (c->outlen == 0) {
		n = write(c->fd, reply, len);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				conn_finish(c, "write failed");
				return;
			}
			n = 0;
		}
		if ((size_t)n == len)
			return;
	}
	reply += n;
	len -= (size_t)n;
	if (c->outlen + len > s->cfg.out_max) {
		s->st.closed_slow++;
		conn_finish(c, "replies not read");
		return;
	}
	if (c->out == NULL)
		c->out = xmalloc(s->cfg.out_max);
	if (c->outlen == 0)
		c->out_since_ms = s->now_mono;
	memcpy(c->out + c->outlen, reply, len);
	c->outlen += len;
}

static void
conn_writable(struct conn *c)
{
	ssize_t n;

	if (c->outlen == 0)
		return;
	n = write(c->fd, c->out, c->outlen);
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_finish(c, "write failed");
		return;
	}
	memmove(c->out, c->out + n, c->outlen - (size_t)n);
	c->outlen -= (size_t)n;
	c->out_since_ms = c->srv->now_mono;
	if (c->outlen == 0) {
		free(c->out);
		c->out = NULL;
	}
}

/* Keeps a message the handler could not take yet (GPS_BUSY). */
static void
conn_hold(struct conn *c, const struct gps_fix *fix, const uint8_t *reply,
    size_t reply_len, int done, int64_t recv_ms)
{
	struct server *s = c->srv;
	struct held_msg *m;

	if (c->msgs == NULL)
		c->msgs = xcalloc(SERVER_HELD_MAX, sizeof(*c->msgs));
	if (c->nmsgs == SERVER_HELD_MAX) {
		/* Cannot happen with SERVER_FEED_SLICE: see the top. */
		log_warnx("server: %s from %s: more than %d held messages; "
		    "message dropped", server_proto_names[c->proto], c->peer,
		    SERVER_HELD_MAX);
		s->st.lost++;
		return;
	}
	m = &c->msgs[c->nmsgs++];
	m->fix = *fix;
	m->recv_ms = recv_ms;
	m->done = done;
	m->reply_len = 0;
	if (reply != NULL && reply_len <= sizeof(m->reply)) {
		memcpy(m->reply, reply, reply_len);
		m->reply_len = reply_len;
	}
	held_append(s, c);
}

/* Acts on a verdict other than GPS_BUSY. */
static void
conn_verdict(struct conn *c, enum gps_verdict v, const uint8_t *reply,
    size_t reply_len)
{
	switch (v) {
	case GPS_ACCEPT:
	case GPS_INVALID:
		conn_reply(c, reply, reply_len);
		break;
	case GPS_DROP:
		break;
	case GPS_REFUSE:
		if (!c->closing)
			c->srv->st.closed_refused++;
		conn_finish(c, "unknown device");
		break;
	case GPS_BUSY:
		fatalx("server: conn_verdict: GPS_BUSY");
	}
}

/* The decoders' callback (gps_emit_fn): one decoded message. */
static void
conn_emit(void *arg, const struct gps_fix *fix, const uint8_t *reply,
    size_t reply_len)
{
	struct conn *c = arg;
	struct server *s = c->srv;
	enum gps_verdict v;
	int done = 0;

	s->st.messages++;
	if (c->closing)
		return; /* refused earlier in this read */
	if (c->nmsgs > 0) {
		/* Behind a held message: keep the order. */
		conn_hold(c, fix, reply, reply_len, 0, s->now_wall);
		return;
	}
	v = s->handler(s->arg, fix, s->now_wall, &done);
	if (v == GPS_BUSY) {
		s->st.busy++;
		conn_hold(c, fix, reply, reply_len, done, s->now_wall);
		return;
	}
	conn_verdict(c, v, reply, reply_len);
}

/*
 * Feeds bytes to the decoder, a slice at a time, until they are used up or
 * the connection is held back or closing; what is left is kept unfed.
 */
static void
conn_feed(struct conn *c, const uint8_t *data, size_t len)
{
	struct server *s = c->srv;
	size_t off = 0, n;
	int r;

	while (off < len && !c->closing && c->nmsgs == 0) {
		n = len - off;
		if (n > SERVER_FEED_SLICE)
			n = SERVER_FEED_SLICE;
		if (c->proto == PROTO_GT06)
			r = gt06_conn_feed(c->gt06, data + off, n, conn_emit, c);
		else
			r = h02_conn_feed(c->h02, data + off, n, s->now_wall,
			    conn_emit, c);
		off += n;
		if (r == -1 && !c->closing) {
			s->st.closed_garbage++;
			conn_finish(c, "not the expected protocol (garbage "
			    "limit)");
		}
	}
	if (off < len && !c->closing) {
		c->unfed = xmalloc(len - off);
		memcpy(c->unfed, data + off, len - off);
		c->unfedlen = len - off;
	}
}

static void
conn_readable(struct conn *c)
{
	struct server *s = c->srv;
	ssize_t n;

	n = read(c->fd, s->rbuf, s->cfg.conn_buffer);
	if (n > 0) {
		conn_touch(c);
		conn_feed(c, s->rbuf, (size_t)n);
		if (c->outlen > 0 &&
		    s->now_mono - c->out_since_ms > s->cfg.write_timeout_ms) {
			s->st.closed_slow++;
			conn_finish(c, "replies not read");
		}
	} else if (n == 0)
		conn_finish(c, "closed by the peer");
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		conn_finish(c, "read failed");
}

static void
conn_event(struct conn *c, uint32_t ev)
{
	if (c->closing)
		return;
	if (ev & EPOLLOUT)
		conn_writable(c);
	if (!c->closing && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		if (c->events & EPOLLIN)
			conn_readable(c);
		else if (ev & (EPOLLHUP | EPOLLERR))
			conn_finish(c, "connection lost");
	}
	conn_settle(c);
}

/*
 * Offers the held messages to the handler again, in order. Returns 1 when
 * the handler is still busy, 0 when everything went through (the
 * connection may then have been freed: the caller must not touch it).
 */
static int
conn_retry(struct conn *c)
{
	struct server *s = c->srv;
	struct held_msg *m;
	enum gps_verdict v;
	uint8_t *data;
	size_t len;

	while (c->nmsgs > 0) {
		m = &c->msgs[0];
		v = s->handler(s->arg, &m->fix, m->recv_ms, &m->done);
		if (v == GPS_BUSY) {
			s->st.busy++;
			return 1;
		}
		conn_verdict(c, v, m->reply_len ? m->reply : NULL,
		    m->reply_len);
		c->nmsgs--;
		memmove(&c->msgs[0], &c->msgs[1], c->nmsgs * sizeof(*m));
	}
	free(c->msgs);
	c->msgs = NULL;
	held_unlink(s, c);
	if (c->unfedlen > 0) {
		data = c->unfed;
		len = c->unfedlen;
		c->unfed = NULL;
		c->unfedlen = 0;
		if (!c->closing)
			conn_feed(c, data, len);
		free(data);
	}
	conn_settle(c);
	return 0;
}

static void
server_retry(struct server *s)
{
	struct conn *c;
	size_t n = s->st.held, i;

	for (i = 0; i < n && (c = s->hhead) != NULL; i++) {
		if (conn_retry(c) == 1) {
			/* Still full: this one waits at the end of the line. */
			held_unlink(s, c);
			held_append(s, c);
			break;
		}
	}
}

static void
server_sweep(struct server *s)
{
	struct conn *c;

	while ((c = s->head) != NULL &&
	    s->now_mono - c->last_ms >= s->cfg.idle_timeout_ms) {
		if (c->held || c->closing) {
			/* Waiting for us, not idle. */
			conn_touch(c);
			continue;
		}
		s->st.closed_idle++;
		conn_finish(c, "idle timeout");
		conn_settle(c);
	}
}

static void
conn_new(struct server *s, struct listener *l, int fd,
    const struct sockaddr_storage *ss)
{
	struct conn *c;
	struct epoll_event ev;
	char host[INET6_ADDRSTRLEN] = "?";
	int one = 1, port = 0;

	c = xcalloc(1, sizeof(*c));
	c->kind = KIND_CONN;
	c->srv = s;
	c->proto = l->proto;
	c->fd = fd;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
	/* Replies are small and should not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("server: epoll_ctl add");
		close(fd);
		free(c);
		return;
	}
	c->events = ev.events;
	c->in_epoll = 1;
	if (c->proto == PROTO_GT06)
		c->gt06 = gt06_conn_new();
	else
		c->h02 = h02_conn_new();
	c->last_ms = s->now_mono;
	active_append(s, c);
	s->st.connections++;
	s->st.accepted++;
	log_debug("server: %s connection from %s", server_proto_names[c->proto],
	    c->peer);
}

/* Rate-limits a repeated warning; returns 1 when it may be logged now. */
static int
server_log_due(struct server *s, int64_t *last)
{
	if (*last != 0 && s->now_mono - *last < SERVER_LOG_EVERY_MS)
		return 0;
	*last = s->now_mono;
	return 1;
}

static void
listener_accept(struct server *s, struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, i;

	for (i = 0; i < SERVER_ACCEPT_BURST; i++) {
		sl = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			s->st.accept_errors++;
			if (server_log_due(s, &s->accept_logged))
				log_warn("server: %s accept",
				    server_proto_names[l->proto]);
			if ((errno == EMFILE || errno == ENFILE) &&
			    s->spare_fd != -1) {
				close(s->spare_fd);
				fd = accept(l->fd, NULL, NULL);
				if (fd != -1)
					close(fd);
				s->spare_fd = open("/dev/null",
				    O_RDONLY | O_CLOEXEC);
			}
			return;
		}
		if (s->shutting_down ||
		    (long)s->st.connections >= s->cfg.max_connections) {
			close(fd);
			s->st.over_cap++;
			if (server_log_due(s, &s->cap_logged))
				log_warnx("server: max_connections=%ld reached; "
				    "new connections are closed (%llu so far)",
				    s->cfg.max_connections,
				    (unsigned long long)s->st.over_cap);
			continue;
		}
		conn_new(s, l, fd, &ss);
	}
}

/* --- listeners ------------------------------------------------------------ */

int
server_parse_addr(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h;
	size_t hl;
	long p;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		h = s;
		hl = (size_t)(colon - s);
		if (memchr(h, ':', hl) != NULL)
			return -1; /* a bare IPv6 address needs brackets */
	}
	if (hl == 0 || hl >= hostlen ||
	    parse_long(colon + 1, 0, 65535, &p) == -1 ||
	    strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%ld", p);
	return 0;
}

static struct listener *
listener_new(struct server *s, enum server_proto proto, const char *addr)
{
	struct listener *l = NULL;
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	struct epoll_event ev;
	socklen_t sl = sizeof(ss);
	char host[256], port[16];
	int fd = -1, one = 1, r;

	if (server_parse_addr(addr, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		log_warnx("server: %s_listen '%s': expected host:port",
		    server_proto_names[proto], addr);
		goto out;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("server: %s_listen '%s': %s",
		    server_proto_names[proto], addr, gai_strerror(r));
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SERVER_BACKLOG) == 0)
			break;
		log_warn("server: %s_listen %s", server_proto_names[proto],
		    addr);
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		goto out;
	l = xcalloc(1, sizeof(*l));
	l->kind = KIND_LISTENER;
	l->proto = proto;
	l->fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		l->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port :
		    ((struct sockaddr_in *)(void *)&ss)->sin_port);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = l;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("server: epoll_ctl");
		close(fd);
		free(l);
		l = NULL;
		goto out;
	}
	log_info("server: %s listening on %s port %d",
	    server_proto_names[proto], host, l->port);
out:
	if (res != NULL)
		freeaddrinfo(res);
	return l;
}

/* --- the server ----------------------------------------------------------- */

struct server *
server_new(const struct server_config *cfg, gps_handler_fn handler,
    void *arg)
{
	struct server *s;

	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->cfg.gt06_listen = NULL; /* not kept: the caller's strings */
	s->cfg.h02_listen = NULL;
	s->handler = handler;
	s->arg = arg;
	s->spare_fd = -1;
	s->epfd = -1;
	s->now_mono = clock_mono_ms();
	s->now_wall = clock_wall_ms();
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warn("server: epoll_create1");
		goto fail;
	}
	s->rbuf = xmalloc(cfg->conn_buffer);
	if (cfg->gt06_listen != NULL && *cfg->gt06_listen != '\0' &&
	    (s->ls[PROTO_GT06] = listener_new(s, PROTO_GT06,
	    cfg->gt06_listen)) == NULL)
		goto fail;
	if (cfg->h02_listen != NULL && *cfg->h02_listen != '\0' &&
	    (s->ls[PROTO_H02] = listener_new(s, PROTO_H02,
	    cfg->h02_listen)) == NULL)
		goto fail;
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return s;
fail:
	server_free(s);
	return NULL;
}

int
server_poll(struct server *s, int timeout_ms)
{
	struct epoll_event evs[SERVER_EVENTS];
	int64_t due;
	int n, i;

	s->now_mono = clock_mono_ms();
	if (s->head != NULL) {
		due = s->head->last_ms + s->cfg.idle_timeout_ms - s->now_mono;
		if (due < timeout_ms)
			timeout_ms = due < 0 ? 0 : (int)due;
	}
	if (s->hhead != NULL) {
		due = s->retry_at - s->now_mono;
		if (due < timeout_ms)
			timeout_ms = due < 0 ? 0 : (int)due;
	}
	n = epoll_wait(s->epfd, evs, SERVER_EVENTS, timeout_ms);
	if (n == -1 && errno != EINTR) {
		log_warn("server: epoll_wait");
		return -1;
	}
	s->now_mono = clock_mono_ms();
	s->now_wall = clock_wall_ms();
	for (i = 0; i < n; i++) {
		enum server_kind *kind = evs[i].data.ptr;

		if (*kind == KIND_LISTENER)
			listener_accept(s, evs[i].data.ptr);
		else
			conn_event(evs[i].data.ptr, evs[i].events);
	}
	if (s->hhead != NULL && s->now_mono >= s->retry_at) {
		server_retry(s);
		s->retry_at = s->now_mono + SERVER_RETRY_MS;
	}
	server_sweep(s);
	return 0;
}

static void
server_close_listeners(struct server *s)
{
	size_t i;

	for (i = 0; i < nitems(s->ls); i++) {
		if (s->ls[i] == NULL)
			continue;
		close(s->ls[i]->fd);
		free(s->ls[i]);
		s->ls[i] = NULL;
	}
}

void
server_shutdown(struct server *s)
{
	struct conn *c, *next;

	s->shutting_down = 1;
	server_close_listeners(s);
	for (c = s->head; c != NULL; c = next) {
		next = c->next;
		conn_finish(c, "shutting down");
		conn_settle(c);
	}
}

size_t
server_held(const struct server *s)
{
	const struct conn *c;
	size_t n = 0;

	for (c = s->hhead; c != NULL; c = c->hnext)
		n += c->nmsgs;
	return n;
}

int
server_port(const struct server *s, const char *proto)
{
	size_t i;

	for (i = 0; i < nitems(s->ls); i++)
		if (strcmp(server_proto_names[i], proto) == 0)
			return s->ls[i] != NULL ? s->ls[i]->port : 0;
	return 0;
}

void
server_stats(const struct server *s, struct server_stats *st)
{
	*st = s->st;
}

void
server_free(struct server *s)
{
	uint64_t lost = 0;

	if (s == NULL)
		return;
	server_close_listeners(s);
	while (s->head != NULL) {
		lost += s->head->nmsgs;
		s->head->nmsgs = 0;
		conn_finish(s->head, "exiting");
		conn_close(s->head);
	}
	if (lost > 0) {
		s->st.lost += lost;
		log_warnx("server: %llu received messages were never taken by "
		    "the publisher (full until the end); their trackers got "
		    "no reply", (unsigned long long)lost);
	}
	if (s->spare_fd != -1)
		close(s->spare_fd);
	if (s->epfd != -1)
		close(s->epfd);
	free(s->rbuf);
	free(s);
}
