/*
 * log: see log.h. Each line is formatted into one buffer and written with a
 * single write(2), so lines from several threads never interleave.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "simpul";
static enum log_level log_min = LOG_LEVEL_INFO;

void
log_init(const char *progname, enum log_level min_level)
{
	const char *slash = strrchr(progname, '/');

	log_prog = slash != NULL ? slash + 1 : progname;
	log_min = min_level;
}

void
log_set_level(enum log_level min_level)
{
	log_min = min_level;
}

static void log_vemit(const char *level, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_vemit(const char *level, int err, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s[%ld] level=%s msg=",
	    ts.tv_nsec / 1000000, log_prog, (long)getpid(), level);
	if (r > 0)
		n += (size_t)r;
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (r > 0)
			n += (size_t)r;
	}
	if (err != 0 && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, " error=\"%s\"",
		    strerror(err));
		if (r > 0)
			n += (size_t)r;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

#define LOG_BODY(lvl, name, err)                                              \
	do {                                                                  \
		va_list ap;                                                   \
		if ((lvl) < log_min)                                          \
			return;                                               \
		va_start(ap, fmt);                                            \
		log_vemit(name, err, fmt, ap);                                \
		va_end(ap);                                                   \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, "debug", 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, "info", 0);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_WARN, "warn", saved);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, "warn", 0);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit("fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
