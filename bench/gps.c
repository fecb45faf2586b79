/*
 * bench-gps-load: simulates many GT06 trackers against simpul-gps, from one
 * process with one epoll set (the driver of bench/gps, the bench-gps
 * script).
 *
 * Each simulated device opens its own TCP connection, logs in with its own
 * IMEI (base + index), waits for the login ack, then sends a location frame
 * (0x12) every interval ms with the current UTC time as the fix time and a
 * position near Kabanjahe that moves a little each time, so every position
 * is a distinct event. The first send of each device is spread over one
 * interval so that the load is even. Replies are read and discarded.
 *
 * A frame that the socket does not take at once (the server is applying
 * backpressure and the socket buffer is full) is not sent and is counted as
 * "blocked": a real tracker would keep it in its own memory.
 *
 * usage: bench-gps-load -p port [-h host] [-n devices] [-i interval_ms]
 *                       [-s seconds] [-b base_imei]
 * Prints one line at the end:
 *   devices=N connected=N logged_in=N sent=N blocked=N errors=N
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gt06.h"
#include "util.h"

enum dev_state {
	DEV_CONNECTING,
	DEV_LOGIN_SENT,
	DEV_RUNNING,
	DEV_DEAD
};

struct dev {
	int fd;
	enum dev_state state;
	int64_t next_ms;
	uint16_t serial;
	uint32_t k; /* positions sent */
	uint64_t imei;
};

static struct {
	uint64_t connected, logged_in, sent, blocked, errors;
} st;

static void
usage(void)
{
	fprintf(stderr, "usage: bench-gps-load -p port [-h host] [-n devices] "
	    "[-i interval_ms] [-s seconds] [-b base_imei]\n");
	exit(2);
}

/* Appends CRC, trailer; frame[2] must hold the length byte. */
static size_t
frame_finish(uint8_t *f, size_t n)
{
	uint16_t crc;

	/* n bytes so far: 78 78 len ... serial */
	crc = gt06_crc_itu(f + 2, n - 2);
	f[n++] = (uint8_t)(crc >> 8);
	f[n++] = (uint8_t)crc;
	f[n++] = 0x0d;
	f[n++] = 0x0a;
	return n;
}

static size_t
frame_login(struct dev *d, uint8_t *f)
{
	char digits[17];
	size_t n = 0;
	int i;

	snprintf(digits, sizeof(digits), "0%015llu",
	    (unsigned long long)d->imei);
	f[n++] = 0x78;
	f[n++] = 0x78;
	f[n++] = 0x0d;
	f[n++] = 0x01;
	for (i = 0; i < 8; i++)
		f[n++] = (uint8_t)((digits[2 * i] - '0') << 4 |
		    (digits[2 * i + 1] - '0'));
	f[n++] = (uint8_t)(d->serial >> 8);
	f[n++] = (uint8_t)d->serial;
	d->serial++;
	return frame_finish(f, n);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t
frame_location(struct dev *d, uint8_t *f, time_t now)
{
	struct tm tm;
	double lat, lon;
	size_t n = 0;
	uint16_t flags;

	gmtime_r(&now, &tm);
	/* Around Kabanjahe (3.10 N, 98.49 E), a few metres per report. */
	lat = 3.10 + (double)(d->imei % 1000) * 0.0001 + d->k * 0.00001;
	lon = 98.49 + (double)(d->imei % 997) * 0.0001;
	f[n++] = 0x78;
	f[n++] = 0x78;
	f[n++] = 0x1f;
	f[n++] = 0x12;
	f[n++] = (uint8_t)(tm.tm_year - 100);
	f[n++] = (uint8_t)(tm.tm_mon + 1);
	f[n++] = (uint8_t)tm.tm_mday;
	f[n++] = (uint8_t)tm.tm_hour;
	f[n++] = (uint8_t)tm.tm_min;
	f[n++] = (uint8_t)tm.tm_sec;
	f[n++] = 0xc8; /* 8 satellites */
	put32(f + n, (uint32_t)(lat * 1800000.0));
	n += 4;
	put32(f + n, (uint32_t)(lon * 1800000.0));
	n += 4;
	f[n++] = (uint8_t)(20 + d->k % 40); /* km/h */
	flags = (uint16_t)(0x1400 | (d->k * 7 % 360)); /* fixed, north, E */
	f[n++] = (uint8_t)(flags >> 8);
	f[n++] = (uint8_t)flags;
	/* MCC 510 (Indonesia), MNC 10, LAC, cell id */
	f[n++] = 0x01;
	f[n++] = 0xfe;
	f[n++] = 0x0a;
	f[n++] = 0x00;
	f[n++] = 0x6e;
	f[n++] = 0x00;
	f[n++] = 0x55;
	f[n++] = 0xda;
	f[n++] = (uint8_t)(d->serial >> 8);
	f[n++] = (uint8_t)d->serial;
	d->serial++;
	d->k++;
	return frame_finish(f, n);
}

static void
dev_kill(struct dev *d)
{
	if (d->state != DEV_DEAD) {
		close(d->fd);
		d->state = DEV_DEAD;
		st.errors++;
	}
}

/* Returns 1 when the whole frame was written. */
static int
dev_send(struct dev *d, const uint8_t *f, size_t n)
{
	ssize_t w = write(d->fd, f, n);

	if (w == (ssize_t)n)
		return 1;
	if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		st.blocked++;
		return 0;
	}
	/* A partial frame would corrupt the stream: give the device up. */
	dev_kill(d);
	return 0;
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	struct sockaddr_in sa;
	struct epoll_event ev, evs[512];
	struct dev *devs;
	const char *host = "127.0.0.1";
	long port = 0, ndev = 5000, interval = 1000, seconds = 60, base_l = 0;
	uint64_t base = 860000000000000ULL;
	uint8_t f[64], rbuf[4096];
	int64_t now, end, next_scan;
	int epfd, ch, n, i, err;
	socklen_t el;
	long k;

	while ((ch = getopt(argc, argv, "h:p:n:i:s:b:")) != -1) {
		switch (ch) {
		case 'h':
			host = optarg;
			break;
		case 'p':
			if (parse_long(optarg, 1, 65535, &port) == -1)
				usage();
			break;
		case 'n':
			if (parse_long(optarg, 1, 100000, &ndev) == -1)
				usage();
			break;
		case 'i':
			if (parse_long(optarg, 10, 3600000, &interval) == -1)
				usage();
			break;
		case 's':
			if (parse_long(optarg, 1, 86400, &seconds) == -1)
				usage();
			break;
		case 'b':
			if (parse_long(optarg, 100000000000000L,
			    999999999000000L, &base_l) == -1)
				usage();
			base = (uint64_t)base_l;
			break;
		default:
			usage();
		}
	}
	if (port == 0)
		usage();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "bench-gps-load: %s: not an IPv4 address\n",
		    host);
		return 2;
	}
	if ((epfd = epoll_create1(0)) == -1) {
		perror("epoll_create1");
		return 1;
	}
	devs = xcalloc((size_t)ndev, sizeof(*devs));
	now = clock_mono_ms();
	for (k = 0; k < ndev; k++) {
		struct dev *d = &devs[k];

		d->imei = base + (uint64_t)k;
		d->serial = 1;
		d->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (d->fd == -1) {
			perror("socket");
			d->state = DEV_DEAD;
			st.errors++;
			continue;
		}
		if (connect(d->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
		    errno != EINPROGRESS) {
			dev_kill(d);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.ptr = d;
		epoll_ctl(epfd, EPOLL_CTL_ADD, d->fd, &ev);
	}

	end = now + seconds * 1000;
	next_scan = now;
	while ((now = clock_mono_ms()) < end) {
		n = epoll_wait(epfd, evs, (int)nitems(evs), 5);
		now = clock_mono_ms();
		for (i = 0; i < n; i++) {
			struct dev *d = evs[i].data.ptr;

			if (d->state == DEV_DEAD)
				continue;
			if (d->state == DEV_CONNECTING &&
			    (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
				el = sizeof(err);
				if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err,
				    &el) == -1 || err != 0) {
					dev_kill(d);
					continue;
				}
				st.connected++;
				memset(&ev, 0, sizeof(ev));
				ev.events = EPOLLIN;
				ev.data.ptr = d;
				epoll_ctl(epfd, EPOLL_CTL_MOD, d->fd, &ev);
				d->state = DEV_LOGIN_SENT;
				dev_send(d, f, frame_login(d, f));
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t r = read(d->fd, rbuf, sizeof(rbuf));

				if (r <= 0 && !(r == -1 && errno == EAGAIN)) {
					dev_kill(d);
					continue;
				}
				if (d->state == DEV_LOGIN_SENT) {
					/* The login ack: start reporting,
					 * spread over one interval. */
					d->state = DEV_RUNNING;
					d->next_ms = now + (int64_t)(random() %
					    interval);
					st.logged_in++;
				}
			}
		}
		if (now < next_scan)
			continue;
		next_scan = now + 5;
		for (k = 0; k < ndev; k++) {
			struct dev *d = &devs[k];

			if (d->state != DEV_RUNNING || d->next_ms > now)
				continue;
			st.sent += (uint64_t)dev_send(d, f,
			    frame_location(d, f, time(NULL)));
			d->next_ms += interval;
			if (d->next_ms < now)
				d->next_ms = now + interval; /* fell behind */
		}
	}
	printf("devices=%ld connected=%llu logged_in=%llu sent=%llu "
	    "blocked=%llu errors=%llu\n", ndev,
	    (unsigned long long)st.connected,
	    (unsigned long long)st.logged_in, (unsigned long long)st.sent,
	    (unsigned long long)st.blocked, (unsigned long long)st.errors);
	for (k = 0; k < ndev; k++)
		if (devs[k].state != DEV_DEAD)
			close(devs[k].fd);
	free(devs);
	close(epfd);
	return 0;
}
