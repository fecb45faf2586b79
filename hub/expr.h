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

/*
 * Predicate indexing. Some tests must be true for the whole predicate to be
 * true: a test that is the whole predicate or one operand of its top-level
 * '&&' chain ('&&' is true only when every operand is true). Two kinds of
 * such tests are offered to a router, which can then skip rules whose test
 * cannot hold for an event without evaluating them, with the same result:
 *
 *   EXPR_TEST_STRINGS  PATH == "s", "s" == PATH, PATH in ["s1", "s2", ...]
 *                      (a list literal of strings only): true only when
 *                      the field is a string equal to one of the constants;
 *   EXPR_TEST_ORDER    PATH < N, <=, >, >= (or N < PATH ..., turned round so
 *                      that PATH is on the left) with N a number literal:
 *                      true only when the field is a number in that order
 *                      to N (numbers compare by value across int, uint and
 *                      double, as in the evaluator).
 *
 * Only paths made of a root attribute other than 'topic' and plain field
 * names ("data.device_id", not data["a.b"] or data.list[0]) are offered,
 * so equal path text means the same field.
 */
#define EXPR_TEST_PATH 128

enum expr_test_kind { EXPR_TEST_STRINGS, EXPR_TEST_ORDER };
enum expr_test_op { EXPR_OP_LT, EXPR_OP_LE, EXPR_OP_GT, EXPR_OP_GE };

struct expr_test {
	const struct expr *e;
	int path_node;		/* internal: the PATH node */
	int value_node;		/* internal: the literal or the list */
	enum expr_test_kind kind;
	enum expr_test_op op;	/* EXPR_TEST_ORDER: PATH op constant */
	size_t nvalues;		/* EXPR_TEST_STRINGS: constants */
	char path[EXPR_TEST_PATH];	/* "data.device_id" */
};

/* Writes up to max tests of e into out; returns how many there are. */
size_t expr_tests(const struct expr *e, struct expr_test *out, size_t max);
/* The i-th constant of a STRINGS test (i < nvalues); it may hold NULs. */
const char *expr_test_value(const struct expr_test *t, size_t i, size_t *len);
/*
 * 1 and the string at t's path in env's event, pointing into the event
 * (valid as long as it), when the field is a string; else 0.
 */
int expr_test_field(const struct expr_test *t, const struct expr_env *env,
    const char **s, size_t *len);
/* 1 and the number at t's path in env's event when it is a number; else 0. */
int expr_test_number(const struct expr_test *t, const struct expr_env *env,
    double *out);
/*
 * ORDER tests: the order of a field value to t's constant (-1, 0, 1; 2 if
 * unordered), and of two tests' constants (for sorting; never 2).
 */
int expr_test_order(double field, const struct expr_test *t);
int expr_test_const_cmp(const struct expr_test *a, const struct expr_test *b);

#endif
