/*
 * idleconns: opens up to N TCP connections to host:port and keeps them
 * open, silent, until killed. For the abusive-client integration test: it
 * stops early at the first connection it cannot make (descriptors, ports),
 * prints "held K" (K may be below N) and keeps what it has. Raises its own
 * descriptor limit to the hard limit first.
 *
 * usage: idleconns host port N
 * Prints "held K" once, then sleeps; exits 1 if not one connection was
 * made, 2 on usage.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

int
main(int argc, char *argv[])
{
	struct addrinfo hints, *res;
	struct rlimit rl;
	long n, k;
	int fd, r;

	if (argc != 4 || parse_long(argv[3], 1, 1000000, &n) == -1) {
		fprintf(stderr, "usage: idleconns host port N\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(argv[1], argv[2], &hints, &res)) != 0) {
		fprintf(stderr, "idleconns: %s:%s: %s\n", argv[1], argv[2],
		    gai_strerror(r));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (k = 0; k < n; k++) {
		fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
		if (fd == -1) {
			fprintf(stderr, "idleconns: socket after %ld: %s\n", k,
			    strerror(errno));
			break;
		}
		if (connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
			fprintf(stderr, "idleconns: connect after %ld: %s\n",
			    k, strerror(errno));
			close(fd);
			break;
		}
	}
	freeaddrinfo(res);
	printf("held %ld\n", k);
	if (k == 0)
		return 1;
	for (;;)
		pause();
}
