#include "gpsdata.h"

#include <string.h>

#include "util.h"

int
gpsdata_row(FILE *f, char *line, size_t len, char **expect)
{
	char *tab;

	while (fgets(line, (int)len, f) != NULL) {
		tab = strchr(line, '\t');
		if (line[0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		*expect = tab + 1;
		return 1;
	}
	return 0;
}

int
gpsdata_get(const char *expect, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key), n;
	const char *p = expect;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == expect || strchr(" ;(", p[-1]) != NULL) &&
		    p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, " ;,)\t\n");
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 1;
		}
		p += klen;
	}
	return 0;
}

int64_t
gpsdata_utc(const char *s)
{
	int64_t ms = -1;

	if (time_parse_rfc3339(s, &ms) == -1)
		return -1;
	return ms;
}
