/*
 * slowloris: opens N connections to an HTTP port and on each sends the
 * start of a request, one byte a second, never finishing it. For the
 * abusive-client integration test: a well-behaved request must still be
 * answered while these are connected. A connection the server closes is
 * counted and reopened, so the pressure stays.
 *
 * usage: slowloris host port N
 * Prints "open K" once the first round of connections is made, then
 * "closed C" every time the server has closed some, until killed.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define SL_MAX		1000

static const char request[] =
    "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static int
dial(const struct addrinfo *ai)
{
	int fd;

	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char *argv[])
{
	struct addrinfo hints, *res;
	int fds[SL_MAX];
	size_t pos[SL_MAX];
	char junk[512];
	long n, i, open_n = 0, closed = 0, last = 0;
	int r;

	if (argc != 4 || parse_long(argv[3], 1, SL_MAX, &n) == -1) {
		fprintf(stderr, "usage: slowloris host port N (N <= %d)\n",
		    SL_MAX);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(argv[1], argv[2], &hints, &res)) != 0) {
		fprintf(stderr, "slowloris: %s:%s: %s\n", argv[1], argv[2],
		    gai_strerror(r));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		fds[i] = dial(res);
		pos[i] = 0;
		if (fds[i] != -1)
			open_n++;
	}
	printf("open %ld\n", open_n);
	for (;;) {
		for (i = 0; i < n; i++) {
			if (fds[i] == -1) {
				fds[i] = dial(res);
				pos[i] = 0;
				continue;
			}
			/* Drain and notice a close by the server. */
			for (;;) {
				ssize_t got = recv(fds[i], junk, sizeof(junk),
				    MSG_DONTWAIT);

				if (got > 0)
					continue;
				if (got == 0 || (errno != EAGAIN &&
				    errno != EWOULDBLOCK && errno != EINTR)) {
					close(fds[i]);
					fds[i] = -1;
					closed++;
				}
				break;
			}
			if (fds[i] == -1)
				continue;
			/* The request line and headers, then a header value
			 * that never ends. */
			if (send(fds[i], pos[i] < sizeof(request) - 1 ?
			    request + pos[i] : "a", 1, MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
				continue;
			}
			pos[i]++;
		}
		if (closed != last) {
			printf("closed %ld\n", closed);
			last = closed;
		}
		sleep(1);
	}
}
