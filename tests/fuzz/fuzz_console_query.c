/*
 * Fuzz target: simpul-console's checks of query-string values
 * (console/param.c). The input is one value, as libmicrohttpd hands it
 * over after decoding (a C string: cut at the first NUL); every checker
 * must answer 0 or -1 without crashing, and what it accepts must hold its
 * promise (an accepted text is short, clean UTF-8; a cursor splits; a
 * path matched against a route has as many non-empty segments).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sorts[] = { "due", "opened", "severity",
		NULL };
	char v[1024], t[32], us[24], id[PARAM_CURSOR_ID_MAX + 1];
	char path[512], *seg[4];
	long n;
	int k;

	if (size >= sizeof(v))
		size = sizeof(v) - 1;
	memcpy(v, data, size);
	v[size] = '\0';
	if (param_text(v, PARAM_TEXT_MAX) == 0 &&
	    (strlen(v) > PARAM_TEXT_MAX || !param_utf8(v, strlen(v))))
		abort();
	if (param_long(v, 50, 1, 500, &n) == 0 && (n < 1 || n > 500))
		abort();
	(void)param_opd(v);
	(void)param_oneof(v, sorts);
	if (param_time(v, t) == 0 && strlen(t) >= sizeof(t))
		abort();
	(void)param_id(v);
	(void)param_case_ref(v);
	if (param_event_cursor(v, us, id, sizeof(id)) == 0 &&
	    (us[0] == '\0' || id[0] == '\0'))
		abort();
	/* As a path: every segment matched is non-empty. */
	if ((k = param_path_match("events/**", v, path, sizeof(path), seg,
	    4)) != -1 && (k != 2 || seg[1][0] == '\0'))
		abort();
	if ((k = param_path_match("cases/*/*", v, path, sizeof(path), seg,
	    4)) != -1 && (k != 3 || seg[1][0] == '\0' || seg[2][0] == '\0' ||
	    strchr(seg[2], '/') != NULL))
		abort();
	return 0;
}
