/*
 * Fuzz target: parsing a case command from outside (casecmd_parse). The
 * first line of the input is the topic, the rest the payload. Any bytes
 * must give a request or a message, never a crash; a parsed request must
 * name an action and a case.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "casecmd.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct casecmd_request req;
	const uint8_t *nl;
	char topic[512], err[256];
	size_t tlen;

	log_init("fuzz_casecmd", LOG_LEVEL_WARN);
	nl = memchr(data, '\n', size);
	if (nl == NULL)
		return 0;
	tlen = (size_t)(nl - data);
	if (tlen >= sizeof(topic) || memchr(data, '\0', tlen) != NULL)
		return 0;
	memcpy(topic, data, tlen);
	topic[tlen] = '\0';
	memset(&req, 0, sizeof(req));
	err[0] = '\0';
	if (casecmd_parse("karo", topic, (const char *)nl + 1, size - tlen - 1,
	    16384, &req, err, sizeof(err)) == 0) {
		if (req.action == NULL || req.case_ref == NULL ||
		    req.act.case_ref == NULL)
			abort();
		casecmd_request_clear(&req);
	} else if (err[0] == '\0') {
		abort();
	}
	return 0;
}
