/*
 * Fuzz target: the strict JSON gate. Differential check: whatever
 * json_check() accepts, cJSON must parse too (the hub relies on it), and
 * json_check() must never read outside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsoncheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_check_error e;
	cJSON *doc;

	if (json_check((const char *)data, size, 64, &e) == 0) {
		doc = cJSON_ParseWithLength((const char *)data, size);
		if (doc == NULL)
			abort();
		cJSON_Delete(doc);
	} else if (e.offset > size || e.line < 1 || e.column < 1) {
		abort();
	}
	return 0;
}
