/*
 * Fuzz target: the JSON request bodies simpul-console reads
 * (console/param.c): sign-in {user, password} and case actions {reason,
 * note, opd}. Any bytes must give a parsed request or an error message,
 * never a crash; a parsed request's fields are within their limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct param_login l;
	struct param_act a;
	char err[160];

	if (param_login_parse((const char *)data, size, &l, err,
	    sizeof(err)) == 0 && (l.user[0] == '\0' || l.password[0] == '\0'))
		abort();
	if (param_act_parse((const char *)data, size, &a, err,
	    sizeof(err)) == 0 && (strlen(a.note) > PARAM_NOTE_MAX ||
	    (a.has_opd && a.opd[0] == '\0')))
		abort();
	return 0;
}
