/*
 * fuzz_rules_yaml: arbitrary bytes as a rule file (hub/rules.c).
 *
 * The bytes are parsed as YAML into a ruleset with site "karo". A file
 * that loads must round-trip: every rule's JSON form is printed, parsed and
 * turned back into a rule whose JSON is the same (the path a rule takes
 * through PostgreSQL). A file that does not load must say why. Besides
 * crashes, hangs, leaks and sanitizer reports, the target aborts when
 * either of these promises breaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct rule *r)
{
	cJSON *j1, *j2 = NULL, *parsed;
	struct rule *r2;
	char err[512], *text;

	j1 = rule_to_json(r);
	text = cJSON_PrintUnformatted(j1);
	parsed = cJSON_Parse(text);
	r2 = rule_from_json(parsed, "karo", err, sizeof(err));
	if (r2 == NULL)
		abort();
	j2 = rule_to_json(r2);
	if (!cJSON_Compare(j1, j2, 1))
		abort();
	rule_free(r2);
	cJSON_Delete(j2);
	cJSON_Delete(parsed);
	cJSON_free(text);
	cJSON_Delete(j1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_errors errs;
	struct ruleset *rs;
	size_t i;

	rule_errors_init(&errs);
	rs = ruleset_parse_yaml((const char *)data, size, "fuzz.yaml", "karo",
	    &errs);
	if ((rs == NULL) != (errs.total > 0) || errs.count > errs.total)
		abort();
	for (i = 0; i < errs.count; i++)
		if (strncmp(errs.msg[i], "fuzz.yaml:", 10) != 0)
			abort();
	if (rs != NULL)
		for (i = 0; i < ruleset_count(rs); i++)
			roundtrip(ruleset_get(rs, i));
	ruleset_free(rs);
	rule_errors_clear(&errs);
	return 0;
}
