/*
 * fuzz_permit_page: the perizinan adapter's parsers of SiCantik's bytes
 * (adapters/perizinan/page): one page of the polling API, a webhook body,
 * and a checkpoint's watermark text, on the same arbitrary bytes (not
 * NUL-terminated). Asserts what a successful parse promises: the required
 * fields are there, ids and status keys have their alphabet, every string
 * is valid UTF-8 within PAGE_TEXT_MAX, updated_at is normalised and reads
 * back to the same instant, the record count is within the limit, the
 * event data serialises, and a watermark survives format -> parse.
 * A failure must say why. Seeds: pages and deliveries as docs/perizinan.md
 * shows them, Laravel's paginator shape, broken pages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct page_statuses *statuses;
static struct page_rules rules;

static int
utf8_ok(const unsigned char *s)
{
	size_t n;

	for (; *s != '\0'; s += n) {
		if (*s < 0x80)
			n = 1;
		else if (*s >= 0xc2 && *s <= 0xdf)
			n = 2;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4;
		else
			return 0;
		for (size_t k = 1; k < n; k++)
			if ((s[k] & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static void
check_text(const char *s, int required)
{
	if (s == NULL) {
		if (required)
			abort();
		return;
	}
	if (*s == '\0' || strlen(s) > PAGE_TEXT_MAX ||
	    !utf8_ok((const unsigned char *)s))
		abort();
}

static void
check_page(const struct page *pg, size_t max)
{
	const struct permit *p;
	struct page_mark m, back;
	char mark[PAGE_MARK_LEN], *js;
	int64_t us;
	size_t i, k;
	cJSON *d;

	if (pg->npermits > max)
		abort();
	for (i = 0; i < pg->npermits; i++) {
		p = &pg->permits[i];
		check_text(p->id, 1);
		check_text(p->no_permohonan, 1);
		check_text(p->status_raw, 1);
		check_text(p->jenis_izin, 0);
		check_text(p->nama_pemohon, 0);
		check_text(p->submitted_at, 0);
		check_text(p->sla_deadline, 0);
		check_text(p->no_izin, 0);
		check_text(p->alasan, 0);
		if (strlen(p->id) > PAGE_ID_MAX)
			abort();
		for (k = 0; p->id[k] != '\0'; k++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
			    "OPQRSTUVWXYZ0123456789._-", p->id[k]) == NULL)
				abort();
		if (p->status_key[0] == '\0' ||
		    strlen(p->status_key) > PAGE_STATUS_MAX)
			abort();
		if (p->status != page_status_of(statuses, p->status_key) &&
		    !(p->status == PERMIT_UNKNOWN &&
		    strcmp(p->status_key, "?") == 0))
			abort();
		/* updated_at is normalised and means updated_us. */
		if (page_time_parse(p->updated_at, 0, 0, &us) == -1 ||
		    us != p->updated_us)
			abort();
		page_mark_of(p, &m);
		page_mark_format(&m, mark);
		if (page_mark_parse(mark, &back) == -1 ||
		    page_mark_cmp(&m, &back) != 0)
			abort();
		d = page_permit_data(p);
		if ((d == NULL) != (p->status == PERMIT_IGNORE ||
		    p->status == PERMIT_UNKNOWN))
			abort();
		if (d != NULL) {
			if ((js = cJSON_PrintUnformatted(d)) == NULL)
				abort();
			cJSON_free(js);
			cJSON_Delete(d);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct page *pg = NULL;
	struct page_mark m;
	char err[512], *text;

	if (statuses == NULL) {
		log_init("fuzz_permit_page", LOG_LEVEL_WARN);
		statuses = page_statuses_new();
		rules.statuses = statuses;
		rules.tz_offset_min = 420;
		rules.max_records = 200;
	}
	err[0] = '\0';
	if (page_parse((const char *)data, size, &rules, &pg, err,
	    sizeof(err)) == 0) {
		if (pg->total < 0 || pg->page < 1 || pg->last_page < 0 ||
		    (size_t)pg->total < pg->npermits)
			abort();
		check_page(pg, rules.max_records);
		page_free(pg);
	} else if (err[0] == '\0' || pg != NULL)
		abort();

	pg = NULL;
	err[0] = '\0';
	if (page_parse_push((const char *)data, size, &rules, &pg, err,
	    sizeof(err)) == 0) {
		if (pg->npermits == 0)
			abort();
		check_page(pg, rules.max_records);
		page_free(pg);
	} else if (err[0] == '\0' || pg != NULL)
		abort();

	/* The checkpoint's text. */
	if (size <= PAGE_MARK_LEN * 2) {
		text = malloc(size + 1);
		if (text == NULL)
			abort();
		memcpy(text, data, size);
		text[size] = '\0';
		if (page_mark_parse(text, &m) == 0 &&
		    strlen(m.id) > PAGE_ID_MAX)
			abort();
		free(text);
	}
	return 0;
}
