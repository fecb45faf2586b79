/*
 * fuzz_event: what the hub does with every message from the broker:
 * parse the bytes as JSON (bounded, as the hub does) and check the result
 * against the project's schemas. Also runs js_parse, the parser with
 * positions that simpulctl and the schema loader use.
 *
 * Invariants checked on every input: the diagnostic is terminated and fits
 * its buffer, it is empty exactly when the event is valid, and the result
 * is one of the four codes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "log.h"
#include "schemaset.h"

#define FUZZ_INPUT_MAX	((size_t)256 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schemaset *set;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char diag[2048], err[256];
	enum event_check ec;
	cJSON *ev, *ev2;

	if (set == NULL) {
		log_init("fuzz_event", LOG_LEVEL_WARN);
		if ((set = schemaset_load(SIMPUL_SRCDIR "/schemas")) == NULL)
			abort();
	}
	if (size > FUZZ_INPUT_MAX)
		return 0;
	ev = cJSON_ParseWithLengthOpts((const char *)data, size, NULL, 0);
	memset(diag, 'x', sizeof(diag));
	ec = schemaset_check(set, ev, diag, sizeof(diag));
	if (memchr(diag, '\0', sizeof(diag)) == NULL)
		abort();
	if ((ec == EVENT_OK) != (diag[0] == '\0'))
		abort();
	if (ec != EVENT_OK && ec != EVENT_ENVELOPE &&
	    ec != EVENT_UNKNOWN_TYPE && ec != EVENT_SCHEMA)
		abort();
	/* A tiny buffer must be just as safe. */
	(void)schemaset_check(set, ev, diag, 7);
	if (strlen(diag) > 6)
		abort();
	ev2 = js_parse((const char *)data, size, err, sizeof(err));
	if (ev2 == NULL && err[0] == '\0')
		abort();
	cJSON_Delete(ev2);
	cJSON_Delete(ev);
	return 0;
}
