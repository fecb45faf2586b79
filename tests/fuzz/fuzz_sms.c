/*
 * fuzz_sms: what the SMS inbox reads from outside: file contents
 * (sms_text_decode() with and without a tight limit, then text_clean()),
 * and file names (each line of the input as a name; the parsed ones are
 * grouped into messages). Asserts valid UTF-8 out of the decoder, limits
 * kept, sane parsed names and a grouping that covers every name. Seeds:
 * Gammu inbox files in UTF-8, UTF-16BE (Gammu's "unicode") and UTF-16LE,
 * and listings of real-looking inbox names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"
#include "text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAMES_MAX 64

static void
decode(const uint8_t *data, size_t size, size_t limit)
{
	struct buf b;
	char err[128];
	int r;

	buf_init(&b, limit);
	err[0] = '\0';
	r = sms_text_decode(data, size, &b, err, sizeof(err));
	if (r == -1 && err[0] == '\0')
		abort();
	if (r != 0 && r != -1 && r != -2)
		abort();
	if (limit != 0 && b.len > limit)
		abort();
	if (text_utf8_chars(b.data ? b.data : "", b.len) == TEXT_INVALID)
		abort();
	if (buf_terminate(&b) == -1)
		abort();
	b.len = text_clean(b.data, b.len);
	if (memchr(b.data, '\0', b.len) != NULL || strlen(b.data) != b.len)
		abort();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sms_name names[NAMES_MAX];
	size_t group[NAMES_MAX], n = 0, ng, i;
	char line[SMS_NAME_MAX + 2];
	const uint8_t *p = data, *end = data + size, *nl;
	size_t len;

	decode(data, size, 0);
	decode(data, size, 7);

	while (p < end && n < NAMES_MAX) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (strlen(line) == len &&
			    sms_name_parse(line, &names[n]) == 0) {
				if (names[n].part < 0 || names[n].part > 99 ||
				    names[n].serial < 0 ||
				    names[n].serial > 99 ||
				    names[n].number[0] == '\0' ||
				    strchr(names[n].number, '/') != NULL)
					abort();
				sms_name_time(&names[n], 420);
				n++;
			}
		}
		p = nl ? nl + 1 : end;
	}
	ng = sms_group(names, n, group);
	if (ng > n)
		abort();
	for (i = 0; i < n; i++)
		if (group[i] >= ng)
			abort();
	return 0;
}
