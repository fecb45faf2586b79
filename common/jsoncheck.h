/*
 * jsoncheck: a strict, allocation-free check that bytes are one JSON text
 * (RFC 8259) that PostgreSQL's jsonb will also accept.
 *
 * cJSON is lenient (it takes "01", "1.", invalid UTF-8, and cuts strings at
 * "\u0000"), and PostgreSQL is strict. The hub must never let a payload
 * through that would then fail inside a database batch, so every payload is
 * checked here first. Besides the grammar it enforces: valid UTF-8 (no
 * overlongs, no surrogates, <= U+10FFFF), no "\u0000" escape and no lone
 * surrogate escape (jsonb refuses both), and a nesting depth limit.
 */
#ifndef SIMPUL_JSONCHECK_H
#define SIMPUL_JSONCHECK_H

#include <stddef.h>

struct json_check_error {
	size_t offset; /* byte offset of the problem */
	int line, column; /* 1-based; column counts bytes */
	char message[128];
};

/* Returns 0 if p[0..len) is valid, -1 with *err filled otherwise. */
int json_check(const char *p, size_t len, int max_depth,
    struct json_check_error *err);

#endif
