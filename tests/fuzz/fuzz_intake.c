/*
 * Fuzz target: the hub's whole intake path for one message — strict JSON
 * check, cJSON parse, envelope and type schemas, topic/opd checks. The
 * first line of the input is the topic, the rest the payload. Whatever the
 * bytes, intake_classify() must return a verdict without crashing, and a
 * valid verdict must carry the fields the store needs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "log.h"
#include "schemaset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct schemaset *set;
	static struct intake in;
	struct intake_verdict v;
	const uint8_t *nl;
	char topic[256];
	size_t tlen;

	if (set == NULL) {
		log_init("fuzz_intake", LOG_LEVEL_WARN);
		set = schemaset_load(SIMPUL_SRCDIR "/schemas");
		if (set == NULL)
			abort();
		in.schemas = set;
		in.site = "karo";
		in.max_payload = 64 * 1024;
		in.max_depth = 32;
	}
	nl = memchr(data, '\n', size);
	if (nl == NULL)
		return 0;
	tlen = (size_t)(nl - data);
	if (tlen >= sizeof(topic) || memchr(data, '\0', tlen) != NULL)
		return 0;
	memcpy(topic, data, tlen);
	topic[tlen] = '\0';
	if (intake_classify(&in, topic, (const char *)nl + 1, size - tlen - 1,
	    &v) == 0) {
		if (v.reason != DLQ_NONE || v.id == NULL || v.opd == NULL ||
		    v.type == NULL || v.source == NULL || v.doc == NULL)
			abort();
	} else if (v.reason == DLQ_NONE || v.detail[0] == '\0') {
		abort();
	}
	intake_verdict_clear(&v);
	return 0;
}
