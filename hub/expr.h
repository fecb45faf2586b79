/*
 * expr: the predicates of routing rules, in a subset of CEL (Common
 * Expression Language, github.com/google/cel-spec, doc/langdef.md).
 *
 *   type == "gps.position" && data.speed_kmh > 80
 *   data.alarm in ["sos", "power_cut"]
 *   has(data.reporter.contact) && data.category == "jalan"
 *
 * A predicate is compiled once, when a rule set is loaded, into a syntax
 * tree whose field paths are already split ("data.location.lat" becomes the
 * root attribute "data" and the keys "location", "lat") and whose regular
 * expressions are already compiled. Evaluation walks the tree against one
 * parsed CloudEvent; it allocates nothing and uses a bounded amount of stack
 * (the tree's height is limited at compile time; strings made by '+' or
 * string() live in a fixed buffer on the evaluator's stack), and its time is
 * bounded by a budget of EXPR_MAX_STEPS (node visits, list elements and
 * object keys looked at). A compiled expr is read-only during evaluation,
 * so threads may share it.
 *
 * Evaluation never fails loudly: a type error, a missing field, a division
 * by zero or a result that is not a bool all mean "the rule does not match".
 * expr_eval_debug() says which of these happened. docs/expressions.md is the
 * reference for rule authors, including where this subset departs from CEL.
 */
#ifndef SIMPUL_EXPR_H
#define SIMPUL_EXPR_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define EXPR_MAX_SOURCE 4096   /* bytes of expression text */
#define EXPR_MAX_DEPTH 64      /* nesting of the syntax tree */
#define EXPR_MAX_NODES 1024    /* size of the syntax tree */
#define EXPR_SCRATCH 2048      /* bytes for strings made during evaluation */
#define EXPR_MAX_STEPS 100000  /* evaluation budget: nodes, elements, keys */

struct expr;

/*
 * Compiles src (a NUL-terminated string). Returns NULL on any error and, if
 * err is not NULL, writes "line L, column C: message" into it (L and C are
 * 1-based and count lines and characters of src itself; a caller that took
 * src from a file adds its own offset). Never returns NULL for another
 * reason (out of memory is fatal).
 */
struct expr *expr_compile(const char *src, char *err, size_t errlen);
void expr_free(struct expr *e);

/* What a predicate sees: the parsed event and the MQTT topic it came on. */
struct expr_env {
	const cJSON *event;	/* the CloudEvent object; may be NULL */
	const char *topic;	/* may be NULL: then 'topic' is an error */
};

/*
 * 1 if the predicate evaluates to true; 0 if it evaluates to false, to a
 * value that is not a bool, or to an error of any kind.
 */
int expr_eval(const struct expr *e, const struct expr_env *env);

/*
 * Like expr_eval(), and also writes the result as text into out: "true",
 * "false", "error: no such key 'speed_kmh'", or any other value as CEL
 * would write it ("42", "\"jalan\"", "[1, 2]"). Truncates to outlen. Meant
 * for tools and tests: unlike expr_eval() it may allocate (to print JSON).
 */
int expr_eval_debug(const struct expr *e, const struct expr_env *env,
    char *out, size_t outlen);

#endif
