/*
 * testlib: the smallest assertion kit that reports where and what.
 * A failed CHECK prints file:line and the expression and counts a failure;
 * the test keeps going so one run shows every broken case. testlib_done()
 * prints "N passed, N failed" and returns the exit status.
 */
#ifndef SIMPUL_TESTLIB_H
#define SIMPUL_TESTLIB_H

#include <stdint.h>
#include <string.h>

extern int testlib_passed, testlib_failed;

void testlib_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int testlib_done(void);

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (cond)                                                     \
			testlib_passed++;                                     \
		else                                                          \
			testlib_fail(__FILE__, __LINE__, "%s", #cond);        \
	} while (0)

#define CHECK_INT(a, b)                                                       \
	do {                                                                  \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		if (a_ == b_)                                                 \
			testlib_passed++;                                     \
		else                                                          \
			testlib_fail(__FILE__, __LINE__,                      \
			    "%s == %s: %lld != %lld", #a, #b, a_, b_);        \
	} while (0)

#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0)          \
			testlib_passed++;                                     \
		else                                                          \
			testlib_fail(__FILE__, __LINE__,                      \
			    "%s == %s: \"%s\" != \"%s\"", #a, #b,             \
			    a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
	} while (0)

#define CHECK_DBL(a, b, eps)                                                  \
	do {                                                                  \
		double a_ = (a), b_ = (b);                                    \
		if (a_ - b_ <= (eps) && b_ - a_ <= (eps))                     \
			testlib_passed++;                                     \
		else                                                          \
			testlib_fail(__FILE__, __LINE__,                      \
			    "%s == %s: %.9g != %.9g", #a, #b, a_, b_);        \
	} while (0)

#endif
