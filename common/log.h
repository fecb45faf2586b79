/*
 * log: one line per event on stderr (journald picks it up), as key=value
 * fields after a fixed prefix:
 *
 *   2026-11-27T21:40:00.123Z simpul-hub[1234] level=warn msg="..." errno=...
 *
 * The message itself is free text written by the caller; by convention it
 * continues with key=value pairs ("store: commit failed batch=512").
 * log_warn() appends the text of errno, log_warnx() does not (OpenBSD style).
 * fatal()/fatalx() log and exit(1); they are for broken invariants and
 * out-of-memory, never for failures of the outside world.
 */
#ifndef SIMPUL_LOG_H
#define SIMPUL_LOG_H

#include <stdarg.h>

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN };

void log_init(const char *progname, enum log_level min_level);
void log_set_level(enum log_level min_level);

void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
__attribute__((noreturn)) void fatal(const char *fmt, ...) LOG_PRINTF(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif
