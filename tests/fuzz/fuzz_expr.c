/*
 * fuzz_expr: the rule predicate compiler and evaluator (hub/expr.c).
 *
 * Input: the expression text, a NUL byte, then a JSON event (either part
 * may be empty or garbage). The expression is compiled; if it compiles it
 * is evaluated against the parsed event (with and without an MQTT topic).
 * Besides crashes, hangs and sanitizer reports, the target aborts when
 * compile errors lose their "line L, column C: " form, when expr_eval()
 * and expr_eval_debug() disagree, or when a predicate is true while one of
 * the tests expr_tests() offers for indexing does not hold (the router
 * would then skip a rule that matches).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 if the event's field passes t (one of its strings, or its order). */
static int
test_holds(const struct expr_test *t, const struct expr_env *env)
{
	const char *s, *v;
	size_t len, vlen, i;
	double num;
	int c;

	if (t->kind == EXPR_TEST_ORDER) {
		if (!expr_test_number(t, env, &num))
			return 0;
		c = expr_test_order(num, t);
		switch (t->op) {
		case EXPR_OP_LT: return c == -1;
		case EXPR_OP_LE: return c == -1 || c == 0;
		case EXPR_OP_GT: return c == 1;
		default: return c == 1 || c == 0;
		}
	}
	if (!expr_test_field(t, env, &s, &len))
		return 0;
	for (i = 0; i < t->nvalues; i++) {
		v = expr_test_value(t, i, &vlen);
		if (vlen == len && memcmp(v, s, len) == 0)
			return 1;
	}
	return 0;
}

static void
eval_both(const struct expr *e, const struct expr_env *env)
{
	struct expr_test t[8];
	char out[256];
	size_t i, n;
	int r1, r2;

	r1 = expr_eval(e, env);
	r2 = expr_eval_debug(e, env, out, sizeof(out));
	if (r1 != r2 || (r1 == 1) != (strcmp(out, "true") == 0))
		abort();
	n = expr_tests(e, t, 8);
	for (i = 0; i < n && i < 8; i++)
		if (r1 == 1 && !test_holds(&t[i], env))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t elen = nul != NULL ? (size_t)(nul - data) : size;
	struct expr_env env;
	struct expr *e;
	cJSON *ev = NULL;
	char err[256], *src;

	if ((src = malloc(elen + 1)) == NULL)
		return 0;
	memcpy(src, data, elen);
	src[elen] = '\0';
	if ((e = expr_compile(src, err, sizeof(err))) == NULL) {
		if (strncmp(err, "line ", 5) != 0 ||
		    strstr(err, ", column ") == NULL)
			abort();
		goto out;
	}
	if (nul != NULL)
		ev = cJSON_ParseWithLength((const char *)nul + 1,
		    size - elen - 1);
	env.event = ev;
	env.topic = "karo/ev/dishub/gps/gps.position";
	eval_both(e, &env);
	env.topic = NULL;
	eval_both(e, &env);
out:
	cJSON_Delete(ev);
	expr_free(e);
	free(src);
	return 0;
}
