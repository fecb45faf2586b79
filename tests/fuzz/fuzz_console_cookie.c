/*
 * Fuzz target: simpul-console's reading of the Cookie header
 * (param_cookie in console/param.c). A found session token is non-empty,
 * fits its buffer and holds only cookie-octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char h[8192], v[128];

	if (size >= sizeof(h))
		size = sizeof(h) - 1;
	memcpy(h, data, size);
	h[size] = '\0';
	if (param_cookie(h, "simpul_session", v, sizeof(v)) == 0 &&
	    (v[0] == '\0' || strlen(v) >= sizeof(v) ||
	    strpbrk(v, " ;,\"\\") != NULL))
		abort();
	return 0;
}
