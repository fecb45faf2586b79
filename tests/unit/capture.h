/*
 * capture: collects what the code under test logs to stderr, so a test can
 * assert on the exact "file:line: message" an operator would read.
 */
#ifndef SIMPUL_TEST_CAPTURE_H
#define SIMPUL_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct capture {
	int saved;
	FILE *f;
	char text[16384];
};

static inline void
capture_start(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	c->saved = dup(STDERR_FILENO);
	dup2(fileno(c->f), STDERR_FILENO);
}

static inline const char *
capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
	return c->text;
}

#endif
