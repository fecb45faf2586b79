/*
 * fuzz_open311_form: the Open311 POST body parsers (form-encoded and JSON)
 * and the request checks behind them, on the same arbitrary bytes (not
 * NUL-terminated), then the catalogue's attribute check against a small
 * fixed catalogue. Asserts what a successful parse promises: valid UTF-8
 * without NUL everywhere, a service_code, a location, lat/long in range,
 * a description of at most 4000 characters; and that a failure says why.
 * Seeds: the spec's example request, Karo-style requests, JSON bodies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "open311_form.h"
#include "services.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct services *catalogue;

static void
check_text(const char *s, size_t max_chars)
{
	size_t n;

	if (s == NULL)
		return;
	n = text_utf8_chars(s, strlen(s));
	if (n == TEXT_INVALID || n == 0 || n > max_chars)
		abort();
}

static void
check_request(const struct open311_request *r)
{
	size_t i;

	if (r->service_code == NULL)
		abort();
	if (!r->has_latlon && r->address_string == NULL)
		abort();
	if (r->has_latlon && (r->lat < -90 || r->lat > 90 || r->lon < -180 ||
	    r->lon > 180))
		abort();
	check_text(r->service_code, OPEN311_CODE_MAX);
	check_text(r->description, OPEN311_DESCRIPTION_MAX);
	check_text(r->address_string, OPEN311_ADDRESS_MAX);
	check_text(r->name, OPEN311_NAME_CHARS_MAX);
	check_text(r->email, OPEN311_EMAIL_MAX);
	check_text(r->phone, OPEN311_PHONE_MAX);
	check_text(r->media_url, OPEN311_URL_MAX);
	if (r->nattrs > OPEN311_ATTRS_MAX)
		abort();
	for (i = 0; i < r->nattrs; i++) {
		check_text(r->attrs[i].code, OPEN311_CODE_MAX);
		check_text(r->attrs[i].value, OPEN311_ATTR_VALUE_MAX);
	}
}

static void
setup(void)
{
	char err[128];

	log_init("fuzz_open311_form", LOG_LEVEL_WARN);
	catalogue = services_new();
	services_conf(catalogue, "service jalan", "name", "Jalan rusak",
	    err, sizeof(err));
	services_conf(catalogue, "attribute jalan kerusakan", "datatype",
	    "singlevaluelist", err, sizeof(err));
	services_conf(catalogue, "attribute jalan kerusakan", "required",
	    "yes", err, sizeof(err));
	services_conf(catalogue, "attribute jalan kerusakan", "description",
	    "Tingkat", err, sizeof(err));
	services_conf(catalogue, "attribute jalan kerusakan", "value",
	    "berat Rusak berat", err, sizeof(err));
	services_conf(catalogue, "attribute jalan jenis", "datatype",
	    "multivaluelist", err, sizeof(err));
	services_conf(catalogue, "attribute jalan jenis", "description",
	    "Jenis", err, sizeof(err));
	services_conf(catalogue, "attribute jalan jenis", "value",
	    "aspal Aspal", err, sizeof(err));
	services_conf(catalogue, "attribute jalan lebar", "datatype",
	    "number", err, sizeof(err));
	services_conf(catalogue, "attribute jalan lebar", "description",
	    "Lebar", err, sizeof(err));
	services_conf(catalogue, "attribute jalan waktu", "datatype",
	    "datetime", err, sizeof(err));
	services_conf(catalogue, "attribute jalan waktu", "description",
	    "Sejak", err, sizeof(err));
	services_conf(catalogue, "service sampah", "name", "Sampah", err,
	    sizeof(err));
	services_conf(catalogue, "service sampah", "keywords", "tps, limbah",
	    err, sizeof(err));
	if (services_check(catalogue, "fuzz") != 0)
		abort();
}

static void
one(struct open311_form *f)
{
	struct open311_request *r = NULL;
	const struct service *sv;
	char err[256];
	size_t i;

	for (i = 0; i < open311_form_count(f); i++) {
		if (text_utf8_chars(open311_form_name(f, i),
		    strlen(open311_form_name(f, i))) == TEXT_INVALID ||
		    text_utf8_chars(open311_form_value(f, i),
		    strlen(open311_form_value(f, i))) == TEXT_INVALID)
			abort();
	}
	err[0] = '\0';
	if (open311_request_parse(f, &r, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || r != NULL)
			abort();
		return;
	}
	check_request(r);
	if ((sv = services_find(catalogue, r->service_code)) != NULL) {
		err[0] = '\0';
		if (services_check_request(sv, r, err, sizeof(err)) == -1 &&
		    err[0] == '\0')
			abort();
	}
	services_match(catalogue, r->description ? r->description : "");
	open311_request_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct open311_form *f = NULL;
	char err[256];

	if (catalogue == NULL)
		setup();
	err[0] = '\0';
	if (open311_form_parse((const char *)data, size, &f, err,
	    sizeof(err)) == 0) {
		one(f);
		open311_form_free(f);
	} else if (err[0] == '\0' || f != NULL)
		abort();
	f = NULL;
	err[0] = '\0';
	if (open311_form_parse_json((const char *)data, size, &f, err,
	    sizeof(err)) == 0) {
		one(f);
		open311_form_free(f);
	} else if (err[0] == '\0' || f != NULL)
		abort();
	return 0;
}
