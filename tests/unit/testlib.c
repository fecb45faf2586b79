#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>

int testlib_passed, testlib_failed;

void
testlib_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	testlib_failed++;
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
testlib_done(void)
{
	printf("%d passed, %d failed\n", testlib_passed, testlib_failed);
	return testlib_failed == 0 && testlib_passed > 0 ? 0 : 1;
}
