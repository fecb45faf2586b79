/*
 * gpsclient: a small TCP client for the simpul-gps integration test. It
 * connects to host:port and runs a script of commands given as arguments,
 * printing what it receives, so that the test can compare exact reply
 * bytes:
 *
 *	send HEX        write these bytes (hex, e.g. 78780d01...0d0a)
 *	text STRING     write the string as it is
 *	recv N          read exactly N bytes; prints "reply <hex>"
 *	recvto C        read up to and including the character C; prints
 *	                "reply <text>"
 *	sleep MS        wait
 *	eof             wait for the server to close; prints "eof"
 *	nothing MS      expect no byte for MS milliseconds; prints "nothing"
 *	hold N          open N more connections and keep them open (silent)
 *	wait            sleep until killed (keeps the held connections)
 *
 * usage: gpsclient [-t timeout_ms] host port command...
 * Exits 0 when every command succeeded, 1 on a timeout, an unexpected
 * close or a connection failure (with a message on stderr), 2 on usage.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static long timeout_ms = 5000;

static void
usage(void)
{
	fprintf(stderr, "usage: gpsclient [-t timeout_ms] host port "
	    "command...\n");
	exit(2);
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "gpsclient: %s:%s: %s\n", host, port,
		    gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fprintf(stderr, "gpsclient: connect %s:%s: %s\n", host, port,
		    strerror(errno));
	return fd;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Reads one byte within timeout; 1, 0 (closed) or -1 (timeout, error). */
static int
read_byte(int fd, unsigned char *c, long wait_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;
	int r;

	r = poll(&pfd, 1, (int)wait_ms);
	if (r <= 0)
		return -1;
	n = read(fd, c, 1);
	if (n == 1)
		return 1;
	return n == 0 ? 0 : -1;
}

static int
send_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "gpsclient: write: %s\n",
			    strerror(errno));
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	unsigned char c, *bytes;
	const char *host, *port, *cmd, *arg;
	long n, i;
	int fd, ch, r, hi, lo;
	size_t len, k;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		if (ch != 't' || parse_long(optarg, 1, 600000, &timeout_ms))
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	host = argv[0];
	port = argv[1];
	/* hold may need many descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((fd = dial(host, port)) == -1)
		return 1;
	for (i = 2; i < argc; i++) {
		cmd = argv[i];
		if (strcmp(cmd, "eof") == 0) {
			while ((r = read_byte(fd, &c, timeout_ms)) == 1)
				;
			if (r != 0) {
				fprintf(stderr, "gpsclient: no eof\n");
				return 1;
			}
			printf("eof\n");
			continue;
		}
		if (strcmp(cmd, "wait") == 0) {
			for (;;)
				pause();
		}
		if (++i >= argc)
			usage();
		arg = argv[i];
		if (strcmp(cmd, "send") == 0) {
			len = strlen(arg);
			if (len % 2 != 0)
				usage();
			bytes = xmalloc(len / 2 + 1);
			for (k = 0; k < len / 2; k++) {
				hi = hex_value(arg[2 * k]);
				lo = hex_value(arg[2 * k + 1]);
				if (hi < 0 || lo < 0)
					usage();
				bytes[k] = (unsigned char)(hi << 4 | lo);
			}
			r = send_all(fd, bytes, len / 2);
			free(bytes);
			if (r == -1)
				return 1;
		} else if (strcmp(cmd, "text") == 0) {
			if (send_all(fd, arg, strlen(arg)) == -1)
				return 1;
		} else if (strcmp(cmd, "recv") == 0) {
			if (parse_long(arg, 1, 65536, &n) == -1)
				usage();
			printf("reply ");
			for (k = 0; k < (size_t)n; k++) {
				if (read_byte(fd, &c, timeout_ms) != 1) {
					printf("\n");
					fprintf(stderr, "gpsclient: recv: got "
					    "%zu of %ld bytes\n", k, n);
					return 1;
				}
				printf("%02x", c);
			}
			printf("\n");
		} else if (strcmp(cmd, "recvto") == 0) {
			printf("reply ");
			do {
				if (read_byte(fd, &c, timeout_ms) != 1) {
					printf("\n");
					fprintf(stderr, "gpsclient: recvto: no "
					    "'%c'\n", arg[0]);
					return 1;
				}
				putchar(c);
			} while (c != (unsigned char)arg[0]);
			printf("\n");
		} else if (strcmp(cmd, "nothing") == 0) {
			if (parse_long(arg, 1, 600000, &n) == -1)
				usage();
			if (read_byte(fd, &c, n) == 1) {
				fprintf(stderr, "gpsclient: got a byte 0x%02x\n",
				    c);
				return 1;
			}
			printf("nothing\n");
		} else if (strcmp(cmd, "sleep") == 0) {
			if (parse_long(arg, 0, 600000, &n) == -1)
				usage();
			sleep_ms(n);
		} else if (strcmp(cmd, "hold") == 0) {
			if (parse_long(arg, 1, 100000, &n) == -1)
				usage();
			for (k = 0; k < (size_t)n; k++)
				if (dial(host, port) == -1)
					return 1;
			printf("held %ld\n", n);
		} else
			usage();
	}
	close(fd);
	return 0;
}
