/*
 * param: see param.h.
 *
 * JSON bodies are parsed by cJSON after two checks cJSON does not make:
 * the body is valid UTF-8 and holds no NUL byte (cJSON would stop at a NUL
 * and take the rest for trailing garbage it ignores, and it copies invalid
 * UTF-8 into strings unchanged). Unknown members are ignored, so a newer
 * browser may send more; a known member of the wrong type is an error.
 */
#include "param.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "casefsm.h"
#include "util.h"

int
param_utf8(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Valid UTF-8 without C0 controls or DEL. */
static int
clean_text(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return param_utf8(p, len);
}

int
param_text(const char *v, size_t max)
{
	size_t n;

	if (v == NULL)
		return 0;
	n = strlen(v);
	return n <= max && clean_text(v, n) ? 0 : -1;
}

int
param_long(const char *v, long def, long min, long max, long *out)
{
	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (strlen(v) > 18 || strspn(v, "0123456789-") != strlen(v))
		return -1;
	return parse_long(v, min, max, out);
}

int
param_opd(const char *v)
{
	return v == NULL || case_opd_valid(v) ? 0 : -1;
}

int
param_oneof(const char *v, const char *const *set)
{
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; set[i] != NULL; i++)
		if (strcmp(v, set[i]) == 0)
			return 0;
	return -1;
}

int
param_time(const char *v, char out[32])
{
	int64_t ms;

	out[0] = '\0';
	if (v == NULL)
		return 0;
	if (strlen(v) > 64 || time_parse_rfc3339(v, &ms) == -1)
		return -1;
	time_format_rfc3339(ms, out);
	return 0;
}

int
param_id(const char *v)
{
	size_t n;

	if (v == NULL)
		return -1;
	n = strspn(v, "0123456789");
	return n > 0 && n <= 18 && v[n] == '\0' && v[0] != '0' ? 0 : -1;
}

int
param_case_ref(const char *v)
{
	size_t n;

	if (v == NULL)
		return -1;
	if (param_id(v) == 0)
		return 0;
	n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
	return n > 0 && n <= 64 && v[n] == '\0' ? 0 : -1;
}

int
param_event_cursor(const char *v, char us[24], char *id, size_t idlen)
{
	const char *bar;
	size_t n;

	us[0] = '\0';
	id[0] = '\0';
	if (v == NULL)
		return 0;
	if ((bar = strchr(v, '|')) == NULL)
		return -1;
	n = (size_t)(bar - v);
	if (n == 0 || n > 17 || strspn(v, "0123456789") != n)
		return -1;
	if (strlen(bar + 1) == 0 || strlen(bar + 1) >= idlen ||
	    strlen(bar + 1) > PARAM_CURSOR_ID_MAX ||
	    param_text(bar + 1, PARAM_CURSOR_ID_MAX) == -1)
		return -1;
	memcpy(us, v, n);
	us[n] = '\0';
	strlcpy_s(id, bar + 1, idlen);
	return 0;
}

int
param_path_match(const char *pattern, const char *path, char *buf,
    size_t buflen, char **seg, int segmax)
{
	const char *pp = pattern, *pe;
	size_t plen, n, len = strlen(path);
	char *p = buf;
	int k = 0;

	if (len >= buflen)
		return -1;
	memcpy(buf, path, len + 1);
	for (;;) {
		if (k == segmax)
			return -1;
		pe = pp + strcspn(pp, "/");
		plen = (size_t)(pe - pp);
		seg[k++] = p;
		if (plen == 2 && memcmp(pp, "**", 2) == 0 && *pe == '\0')
			return *p != '\0' ? k : -1;
		if ((n = strcspn(p, "/")) == 0)
			return -1;
		if (!(plen == 1 && *pp == '*') &&
		    (plen != n || memcmp(pp, p, n) != 0))
			return -1;
		if (*pe == '\0' || p[n] == '\0')
			return *pe == '\0' && p[n] == '\0' ? k : -1;
		p[n] = '\0';
		p += n + 1;
		pp = pe + 1;
	}
}

/* RFC 6265 cookie-octet, which is what our tokens (base64url) are made of. */
static int
cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	    (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

int
param_cookie(const char *header, const char *name, char *out, size_t outlen)
{
	const char *p = header, *v;
	size_t nlen = strlen(name), vlen;
	int found = 0;

	if (header == NULL || outlen == 0)
		return -1;
	while (*p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		v = p;
		while (*p != '\0' && *p != ';')
			p++;
		/* v .. p is one "name=value" pair. */
		if ((size_t)(p - v) > nlen && strncmp(v, name, nlen) == 0 &&
		    v[nlen] == '=') {
			if (found)
				return -1;
			v += nlen + 1;
			vlen = (size_t)(p - v);
			while (vlen > 0 && v[vlen - 1] == ' ')
				vlen--;
			if (vlen == 0 || vlen >= outlen)
				return -1;
			for (size_t i = 0; i < vlen; i++)
				if (!cookie_octet((unsigned char)v[i]))
					return -1;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			found = 1;
		}
	}
	return found ? 0 : -1;
}

/* The body as a JSON object, or NULL with a message. */
static cJSON *
body_object(const char *body, size_t len, int empty_ok, char *err,
    size_t errlen)
{
	cJSON *j;

	if (len == 0 && empty_ok)
		return cJSON_CreateObject();
	if (memchr(body, '\0', len) != NULL || !param_utf8(body, len)) {
		snprintf(err, errlen, "the body must be UTF-8 JSON without "
		    "NUL bytes");
		return NULL;
	}
	if ((j = cJSON_ParseWithLength(body, len)) == NULL ||
	    !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		snprintf(err, errlen, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/*
 * Member name of j as a string of 0..max bytes of clean text into out
 * (outlen > max). Returns 1 when present, 0 when absent, -1 when invalid
 * (with a message).
 */
static int
member_text(const cJSON *j, const char *name, size_t min, size_t max,
    char *out, size_t outlen, char *err, size_t errlen)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, name);
	size_t n;

	if (m == NULL || cJSON_IsNull(m))
		return 0;
	if (!cJSON_IsString(m) || (n = strlen(m->valuestring)) < min ||
	    n > max || n >= outlen) {
		snprintf(err, errlen, "%s must be a string of %zu to %zu "
		    "bytes", name, min, max);
		return -1;
	}
	memcpy(out, m->valuestring, n + 1);
	return 1;
}

int
param_login_parse(const char *body, size_t len, struct param_login *out,
    char *err, size_t errlen)
{
	cJSON *j;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if ((j = body_object(body, len, 0, err, errlen)) == NULL)
		return -1;
	if (member_text(j, "user", 1, PARAM_USER_MAX, out->user,
	    sizeof(out->user), err, errlen) != 1 ||
	    member_text(j, "password", 1, PARAM_PASSWORD_MAX, out->password,
	    sizeof(out->password), err, errlen) != 1) {
		if (err[0] == '\0' || strstr(err, "must") == NULL)
			snprintf(err, errlen, "user and password are "
			    "required");
		goto out;
	}
	if (!clean_text(out->user, strlen(out->user))) {
		snprintf(err, errlen, "user has control characters");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(j);
	return rc;
}

int
param_act_parse(const char *body, size_t len, struct param_act *out,
    char *err, size_t errlen)
{
	cJSON *j;
	int rc = -1, r;

	memset(out, 0, sizeof(*out));
	if ((j = body_object(body, len, 1, err, errlen)) == NULL)
		return -1;
	if ((r = member_text(j, "reason", 1, sizeof(out->reason) - 1,
	    out->reason, sizeof(out->reason), err, errlen)) == -1)
		goto out;
	out->has_reason = r;
	if (r == 1 && !case_reject_reason_valid(out->reason)) {
		snprintf(err, errlen, "reason must be not_valid, "
		    "not_our_authority or duplicate");
		goto out;
	}
	if ((r = member_text(j, "opd", 1, PARAM_OPD_MAX, out->opd,
	    sizeof(out->opd), err, errlen)) == -1)
		goto out;
	out->has_opd = r;
	if (r == 1 && !case_opd_valid(out->opd)) {
		snprintf(err, errlen, "opd must be an OPD short name");
		goto out;
	}
	if ((r = member_text(j, "note", 0, PARAM_NOTE_MAX, out->note,
	    sizeof(out->note), err, errlen)) == -1)
		goto out;
	out->has_note = r == 1 && out->note[0] != '\0';
	rc = 0;
out:
	cJSON_Delete(j);
	return rc;
}
