/*
 * expr: a CEL subset for rule predicates; see expr.h for the contract and
 * docs/expressions.md for the language as rule authors see it.
 *
 * Compilation is a hand-written lexer and a recursive-descent parser that
 * follows the grammar of cel-spec's langdef.md, one function per precedence
 * level (Expr, ConditionalOr, ..., Unary, Member, Primary). It builds a tree
 * of nodes kept in one array (children are indices, so growing the array
 * does not invalidate them). Three things happen at compile time so that
 * evaluation does not redo them per event:
 *  - Field paths are folded into one PATH node: "data.location.lat" and
 *    data["x"][0] become a root attribute plus a list of keys and indices.
 *  - String literals are decoded once into an arena owned by the expr. The
 *    arena is sized from the source length up front (a decoded string is
 *    never longer than its literal), so pointers into it stay valid.
 *  - matches() patterns must be literals and are compiled with PCRE2 (and
 *    JIT-compiled where the platform allows).
 *
 * Limits keep hostile or careless rules from hurting the hub: the source
 * length, the parser's recursion depth and the height of the tree (both
 * EXPR_MAX_DEPTH), and the node count. The evaluator recurses along the tree,
 * so its stack use is bounded by the tree height; '&&' and '||' chains are
 * n-ary nodes, so long lists of conditions do not make the tree tall. Its
 * time is bounded by a step budget (EXPR_MAX_STEPS), because list literals
 * compared with list literals re-evaluate their elements and nesting them
 * multiplies the work.
 *
 * Evaluation produces CEL values: null, bool, int, uint, double, string, and
 * lists and maps that are views of the event's cJSON arrays and objects (or a
 * list literal's nodes). An error is a value too, so that '&&' and '||' can
 * be commutative about errors as CEL requires (error || true is true). Strings
 * made at run time ('+', string()) go to a fixed scratch buffer on the
 * evaluator's stack; nothing is allocated per evaluation except PCRE2's
 * per-thread match data, created on a thread's first match and kept.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "expr.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "log.h"
#include "util.h"

/* PCRE2 limits per match: backtracking steps and memory for its frames. */
#define EXPR_REGEX_MATCH_LIMIT 100000
#define EXPR_REGEX_HEAP_KIB 1024
/* How deep equality descends into nested JSON lists and objects. */
#define EXPR_MAX_EQ_DEPTH 64
#define EXPR_MAX_ARGS 8

/*
 * Operators and functions share one numbering: it names the node's
 * operation and, in error values, the overload that did not match.
 */
enum op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_NOT, OP_NEG, OP_AND, OP_OR, OP_COND, OP_INDEX, OP_SELECT,
	OP_SIZE, OP_STARTS, OP_ENDS, OP_CONTAINS, OP_MATCHES,
	OP_INT, OP_UINT, OP_DOUBLE, OP_STRING, OP_HAS,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	[OP_EQ] = "_==_", [OP_NE] = "_!=_", [OP_LT] = "_<_",
	[OP_LE] = "_<=_", [OP_GT] = "_>_", [OP_GE] = "_>=_",
	[OP_IN] = "@in", [OP_ADD] = "_+_", [OP_SUB] = "_-_",
	[OP_MUL] = "_*_", [OP_DIV] = "_/_", [OP_MOD] = "_%_",
	[OP_NOT] = "!_", [OP_NEG] = "-_", [OP_AND] = "_&&_",
	[OP_OR] = "_||_", [OP_COND] = "_?_:_", [OP_INDEX] = "_[_]",
	[OP_SELECT] = "_._", [OP_SIZE] = "size", [OP_STARTS] = "startsWith",
	[OP_ENDS] = "endsWith", [OP_CONTAINS] = "contains",
	[OP_MATCHES] = "matches", [OP_INT] = "int", [OP_UINT] = "uint",
	[OP_DOUBLE] = "double", [OP_STRING] = "string", [OP_HAS] = "has",
};

/* Functions by name; args is -1 where that call style does not exist. */
static const struct fninfo {
	const char *name;
	enum op op;
	int global_args;
	int method_args;
} fn_table[] = {
	{ "has", OP_HAS, 1, -1 },
	{ "size", OP_SIZE, 1, 0 },
	{ "startsWith", OP_STARTS, -1, 1 },
	{ "endsWith", OP_ENDS, -1, 1 },
	{ "contains", OP_CONTAINS, -1, 1 },
	{ "matches", OP_MATCHES, 2, 1 },
	{ "int", OP_INT, 1, -1 },
	{ "uint", OP_UINT, 1, -1 },
	{ "double", OP_DOUBLE, 1, -1 },
	{ "string", OP_STRING, 1, -1 },
};

/*
 * The names a predicate can start from: the CloudEvents attributes the
 * envelope defines (docs/expressions.md lists them) and the MQTT topic.
 * Anything else is refused at compile time, so that a typo is an error the
 * admin sees rather than a rule that silently never matches.
 */
static const char *const root_names[] = {
	"specversion", "id", "source", "type", "subject", "time",
	"datacontenttype", "dataschema", "data", "opd", "topic",
};

/* Identifiers CEL reserves (langdef.md, "RESERVED"). */
static const char *const reserved_words[] = {
	"as", "break", "const", "continue", "else", "for", "function", "if",
	"import", "let", "loop", "package", "namespace", "return", "var",
	"void", "while",
};

enum vtype {
	V_ERR, V_NULL, V_BOOL, V_INT, V_UINT, V_DOUBLE, V_STRING, V_LIST, V_MAP
};

static const char *const type_names[] = {
	[V_ERR] = "error", [V_NULL] = "null_type", [V_BOOL] = "bool",
	[V_INT] = "int", [V_UINT] = "uint", [V_DOUBLE] = "double",
	[V_STRING] = "string", [V_LIST] = "list", [V_MAP] = "map",
};

enum verr {
	E_NO_KEY,	/* p/len: the key */
	E_NO_FIELDS,	/* p/len: the field; t1: the operand's type */
	E_OVERLOAD,	/* what: the op; t1, t2: argument types (t2 may be NT) */
	E_DIV_ZERO,
	E_MOD_ZERO,
	E_OVERFLOW,
	E_INDEX,
	E_SCRATCH,
	E_REGEX,	/* aux: PCRE2 error code */
	E_CONVERT,	/* what: target op; t1: source type; p/len: string */
	E_NO_TOPIC,
	E_EQ_DEPTH,
	E_COST,
};

#define NT 0xff	/* "no type": an overload error about one argument */

struct value {
	uint8_t t;
	union {
		int b;
		int64_t i;
		uint64_t u;
		double d;
		struct {
			const char *p;
			size_t len;
		} s;
		struct {
			const cJSON *json; /* array or object; NULL: literal */
			int node;          /* N_LIST node of a list literal */
		} agg;
		struct {
			uint8_t code, what, t1, t2;
			int aux;
			const char *p;
			size_t len;
		} err;
	} v;
};

enum nkind {
	N_LIT, N_LIST, N_PATH, N_SELECT, N_INDEX, N_UNARY, N_AND, N_OR,
	N_COND, N_BIN, N_CALL, N_HAS
};

/* One step of a PATH: a map key (".f" or ["f"]) or a list index ([0]). */
struct seg {
	const char *key;
	size_t len;
	int64_t idx;
	uint8_t is_index;
	uint8_t is_field;	/* written ".f": what has() requires */
};

struct node {
	uint8_t kind;
	uint8_t op;		/* enum op, for N_UNARY, N_BIN, N_CALL */
	uint16_t height;
	int kid, last, next;	/* first and last child, next sibling */
	int nkids;
	size_t off;		/* source offset, for compile errors */
	union {
		struct value lit;
		struct {
			const char *root;	/* NULL: the MQTT topic */
			size_t rootlen;
			int seg, nseg;		/* a run of expr->segs */
		} path;
		struct {
			const char *key;
			size_t len;
		} sel;
		pcre2_code *re;
	} u;
};

struct expr {
	struct node *nodes;
	int nnodes, capnodes;
	struct seg *segs;
	int nsegs, capsegs;
	char *strs;		/* decoded literals and field names */
	size_t nstrs, capstrs;	/* capstrs is fixed at compile start */
	pcre2_match_context *mctx;
	int root;
};

/* Lexer and parser. */

enum tok {
	T_EOF, T_ERROR, T_IDENT, T_INT, T_UINT, T_DOUBLE, T_STRING,
	T_TRUE, T_FALSE, T_NULL, T_IN,
	T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET, T_LBRACE, T_RBRACE,
	T_DOT, T_COMMA, T_QUESTION, T_COLON,
	T_NOT, T_MINUS, T_PLUS, T_STAR, T_SLASH, T_PERCENT,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR
};

struct token {
	enum tok t;
	size_t off, len;	/* the token's text in the source */
	uint64_t u;		/* T_INT (magnitude), T_UINT */
	double d;		/* T_DOUBLE */
	const char *s;		/* T_STRING: decoded, in expr->strs */
	size_t slen;
};

struct parser {
	struct expr *e;
	const char *src;
	size_t len, pos;
	struct token cur;
	int depth;
	int failed;
	char *err;
	size_t errlen;
};

/* Length of the UTF-8 sequence at p (limit: end), 0 if ill-formed. */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	size_t n = (size_t)(end - p);

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0))
			return 0;	/* overlong, surrogate */
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;	/* overlong, above U+10FFFF */
		return 4;
	}
	return 0;
}

/*
 * Records the first error only, as "line L, column C: message". Lines end at
 * \n, \r\n or \r (CEL's NEWLINE); columns count characters, not bytes, so
 * that the column matches what an editor shows. Returns -1 for the caller to
 * pass up.
 */
static int __attribute__((format(printf, 3, 4)))
perr(struct parser *p, size_t off, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	size_t i;
	int line = 1, col = 1;

	if (p->failed)
		return -1;
	p->failed = 1;
	p->cur.t = T_ERROR;
	if (p->err == NULL || p->errlen == 0)
		return -1;
	for (i = 0; i < off && i < p->len; i++) {
		unsigned char c = (unsigned char)p->src[i];

		if (c == '\n' || (c == '\r' && (i + 1 >= p->len ||
		    p->src[i + 1] != '\n'))) {
			line++;
			col = 1;
		} else if (c != '\r' && (c & 0xc0) != 0x80) {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "line %d, column %d: %s", line, col, msg);
	return -1;
}

/* A token as error messages quote it. */
static void
tok_desc(const struct parser *p, const struct token *t, char *out,
    size_t outlen)
{
	size_t n = t->len;

	if (t->t == T_EOF) {
		snprintf(out, outlen, "end of expression");
		return;
	}
	if (n > 24) {
		/* Cut at a character boundary. */
		n = 24;
		while (n > 0 && ((unsigned char)p->src[t->off + n] & 0xc0) ==
		    0x80)
			n--;
		snprintf(out, outlen, "'%.*s...'", (int)n, p->src + t->off);
		return;
	}
	snprintf(out, outlen, "'%.*s'", (int)n, p->src + t->off);
}

static int
is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Reads n hex digits at s[*i]; -1 if there are fewer. */
static long
hex_digits(const struct parser *p, size_t *i, int n)
{
	long v = 0;
	int k, h;

	for (k = 0; k < n; k++) {
		if (*i >= p->len || (h = hex_value(p->src[*i])) < 0)
			return -1;
		v = v * 16 + h;
		(*i)++;
	}
	return v;
}

static size_t
utf8_put(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Space in the string arena; its size was fixed from the source length. */
static char *
strs_reserve(struct expr *e, size_t n)
{
	if (n > e->capstrs - e->nstrs)
		fatalx("expr: string arena overflow need=%zu", n);
	return e->strs + e->nstrs;
}

/*
 * One escape sequence after the backslash at *i (langdef.md, "ESCAPE").
 * Writes the character's UTF-8 bytes into out and returns their count, or
 * -1 after reporting an error at the backslash.
 */
static int
lex_escape(struct parser *p, size_t *i, char *out)
{
	size_t bs = *i;
	unsigned long cp;
	long v, lo;
	char c;

	(*i)++;
	if (*i >= p->len)
		return perr(p, bs, "invalid escape sequence at end of string");
	c = p->src[(*i)++];
	switch (c) {
	case '\\': case '?': case '"': case '\'': case '`':
		*out = c;
		return 1;
	case 'a': *out = '\a'; return 1;
	case 'b': *out = '\b'; return 1;
	case 'f': *out = '\f'; return 1;
	case 'n': *out = '\n'; return 1;
	case 'r': *out = '\r'; return 1;
	case 't': *out = '\t'; return 1;
	case 'v': *out = '\v'; return 1;
	case 'x': case 'X':
		if ((v = hex_digits(p, i, 2)) < 0)
			break;
		return (int)utf8_put(out, (unsigned long)v);
	case 'u':
		if ((v = hex_digits(p, i, 4)) < 0)
			break;
		cp = (unsigned long)v;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			break;		/* a lone low surrogate */
		if (cp >= 0xd800 && cp <= 0xdbff) {
			/* A surrogate pair spells a code point above U+FFFF. */
			if (*i + 1 >= p->len || p->src[*i] != '\\' ||
			    p->src[*i + 1] != 'u')
				break;
			*i += 2;
			if ((lo = hex_digits(p, i, 4)) < 0 || lo < 0xdc00 ||
			    lo > 0xdfff)
				break;
			cp = 0x10000 + ((cp - 0xd800) << 10) +
			    ((unsigned long)lo - 0xdc00);
		}
		return (int)utf8_put(out, cp);
	case 'U':
		if ((v = hex_digits(p, i, 8)) < 0 || v > 0x10ffff ||
		    (v >= 0xd800 && v <= 0xdfff))
			break;
		return (int)utf8_put(out, (unsigned long)v);
	case '0': case '1': case '2': case '3':
		if (*i + 1 >= p->len || p->src[*i] < '0' || p->src[*i] > '7' ||
		    p->src[*i + 1] < '0' || p->src[*i + 1] > '7')
			break;
		cp = (unsigned long)((c - '0') * 64 + (p->src[*i] - '0') * 8 +
		    (p->src[*i + 1] - '0'));
		*i += 2;
		return (int)utf8_put(out, cp);
	default:
		break;
	}
	if (c > ' ' && c < 0x7f)
		return perr(p, bs, "invalid escape sequence '\\%c'", c);
	return perr(p, bs, "invalid escape sequence");
}

/* A string literal starting at s[i] (after an optional r/R prefix). */
static void
lex_string(struct parser *p, size_t start, size_t i, int raw)
{
	struct token *t = &p->cur;
	char q = p->src[i], *out;
	size_t n = 0;
	int triple = 0, k;

	if (i + 2 < p->len && p->src[i + 1] == q && p->src[i + 2] == q) {
		triple = 1;
		i += 3;
	} else {
		i++;
	}
	out = strs_reserve(p->e, 1);	/* each byte is checked below */
	for (;;) {
		if (i >= p->len) {
			perr(p, start, "unterminated string literal");
			return;
		}
		if (triple) {
			if (p->src[i] == q && i + 2 < p->len &&
			    p->src[i + 1] == q && p->src[i + 2] == q) {
				i += 3;
				break;
			}
		} else if (p->src[i] == q) {
			i++;
			break;
		} else if (p->src[i] == '\n' || p->src[i] == '\r') {
			perr(p, start, "unterminated string literal");
			return;
		}
		if (p->src[i] == '\\' && !raw) {
			char tmp[4];

			if ((k = lex_escape(p, &i, tmp)) < 0)
				return;
			strs_reserve(p->e, n + (size_t)k + 1);
			memcpy(out + n, tmp, (size_t)k);
			n += (size_t)k;
		} else {
			strs_reserve(p->e, n + 2);
			out[n++] = p->src[i++];
		}
	}
	out[n] = '\0';
	p->e->nstrs += n + 1;
	t->t = T_STRING;
	t->s = out;
	t->slen = n;
	t->len = i - start;
	p->pos = i;
}

static void
lex_number(struct parser *p, size_t i)
{
	struct token *t = &p->cur;
	size_t start = i;
	char buf[128];
	uint64_t v = 0;
	int h, is_double = 0;

	if (p->src[i] == '0' && i + 2 < p->len &&
	    (p->src[i + 1] == 'x' || p->src[i + 1] == 'X') &&
	    hex_value(p->src[i + 2]) >= 0) {
		for (i += 2; i < p->len && (h = hex_value(p->src[i])) >= 0;
		    i++) {
			if (v > (UINT64_MAX >> 4)) {
				perr(p, start, "integer literal out of range");
				return;
			}
			v = v * 16 + (uint64_t)h;
		}
		goto integer;
	}
	while (i < p->len && is_digit(p->src[i]))
		i++;
	if (i + 1 < p->len && p->src[i] == '.' && is_digit(p->src[i + 1])) {
		is_double = 1;
		for (i++; i < p->len && is_digit(p->src[i]); i++)
			;
	}
	if (i < p->len && (p->src[i] == 'e' || p->src[i] == 'E')) {
		size_t j = i + 1;

		if (j < p->len && (p->src[j] == '+' || p->src[j] == '-'))
			j++;
		if (j < p->len && is_digit(p->src[j])) {
			is_double = 1;
			for (i = j; i < p->len && is_digit(p->src[i]); i++)
				;
		}
	}
	if (is_double) {
		/* parse_double() wants a C string; literals are short. */
		if (i - start >= sizeof(buf)) {
			perr(p, start, "number literal too long");
			return;
		}
		memcpy(buf, p->src + start, i - start);
		buf[i - start] = '\0';
		if (parse_double(buf, &t->d) == -1) {
			perr(p, start, "floating-point literal out of range");
			return;
		}
		t->t = T_DOUBLE;
		goto out;
	}
	for (; start < i; start++) {
		h = p->src[start] - '0';
		if (v > (UINT64_MAX - (uint64_t)h) / 10) {
			perr(p, t->off, "integer literal out of range");
			return;
		}
		v = v * 10 + (uint64_t)h;
	}
integer:
	t->u = v;
	t->t = T_INT;
	if (i < p->len && (p->src[i] == 'u' || p->src[i] == 'U')) {
		t->t = T_UINT;
		i++;
	}
out:
	t->len = i - t->off;
	p->pos = i;
}

static void
lex_ident(struct parser *p, size_t i)
{
	static const struct {
		const char *w;
		enum tok t;
	} words[] = {
		{ "true", T_TRUE }, { "false", T_FALSE }, { "null", T_NULL },
		{ "in", T_IN },
	};
	struct token *t = &p->cur;
	size_t k, n;

	while (i < p->len && (is_ident_start(p->src[i]) ||
	    is_digit(p->src[i])))
		i++;
	t->t = T_IDENT;
	t->len = n = i - t->off;
	p->pos = i;
	for (k = 0; k < nitems(words); k++)
		if (strlen(words[k].w) == n &&
		    memcmp(words[k].w, p->src + t->off, n) == 0)
			t->t = words[k].t;
	for (k = 0; k < nitems(reserved_words); k++)
		if (strlen(reserved_words[k]) == n &&
		    memcmp(reserved_words[k], p->src + t->off, n) == 0)
			perr(p, t->off, "reserved identifier '%.*s'", (int)n,
			    p->src + t->off);
}

/* Reads the next token into p->cur. */
static void
lex(struct parser *p)
{
	static const struct {
		const char *s;
		enum tok t;
	} puncts[] = {
		{ "==", T_EQ }, { "!=", T_NE }, { "<=", T_LE }, { ">=", T_GE },
		{ "&&", T_AND }, { "||", T_OR }, { "(", T_LPAREN },
		{ ")", T_RPAREN }, { "[", T_LBRACKET }, { "]", T_RBRACKET },
		{ "{", T_LBRACE }, { "}", T_RBRACE }, { ".", T_DOT },
		{ ",", T_COMMA }, { "?", T_QUESTION }, { ":", T_COLON },
		{ "!", T_NOT }, { "-", T_MINUS }, { "+", T_PLUS },
		{ "*", T_STAR }, { "/", T_SLASH }, { "%", T_PERCENT },
		{ "<", T_LT }, { ">", T_GT },
	};
	struct token *t = &p->cur;
	const char *s = p->src;
	size_t i = p->pos, k, n;
	char c;

	if (p->failed) {
		t->t = T_ERROR;
		return;
	}
	for (;;) {
		while (i < p->len && (s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\n' || s[i] == '\r' || s[i] == '\f'))
			i++;
		if (i + 1 < p->len && s[i] == '/' && s[i + 1] == '/') {
			while (i < p->len && s[i] != '\n' && s[i] != '\r')
				i++;
			continue;
		}
		break;
	}
	memset(t, 0, sizeof(*t));
	t->off = i;
	if (i >= p->len) {
		t->t = T_EOF;
		p->pos = i;
		return;
	}
	c = s[i];
	if ((c == 'r' || c == 'R') && i + 1 < p->len &&
	    (s[i + 1] == '"' || s[i + 1] == '\'')) {
		lex_string(p, i, i + 1, 1);
		return;
	}
	if (c == 'b' || c == 'B' || c == 'r' || c == 'R') {
		/* b"..", br"..", rb"..": CEL bytes, which rules do not need. */
		k = i + 1;
		if (k < p->len && (s[k] == 'b' || s[k] == 'B' ||
		    s[k] == 'r' || s[k] == 'R') && (s[k] | 0x20) != (c | 0x20))
			k++;
		if (k < p->len && (s[k] == '"' || s[k] == '\'') &&
		    ((c | 0x20) == 'b' || (s[i + 1] | 0x20) == 'b')) {
			perr(p, i, "bytes literals are not supported");
			return;
		}
	}
	if (is_ident_start(c)) {
		lex_ident(p, i);
		return;
	}
	if (is_digit(c) || (c == '.' && i + 1 < p->len &&
	    is_digit(s[i + 1]))) {
		lex_number(p, i);
		return;
	}
	if (c == '"' || c == '\'') {
		lex_string(p, i, i, 0);
		return;
	}
	for (k = 0; k < nitems(puncts); k++) {
		n = strlen(puncts[k].s);
		if (i + n <= p->len && memcmp(s + i, puncts[k].s, n) == 0) {
			t->t = puncts[k].t;
			t->len = n;
			p->pos = i + n;
			return;
		}
	}
	if (c == '=')
		perr(p, i, "unexpected '=' (use '==' to compare)");
	else if (c == '&')
		perr(p, i, "unexpected '&' (use '&&')");
	else if (c == '|')
		perr(p, i, "unexpected '|' (use '||')");
	else if ((unsigned char)c >= 0x80)
		perr(p, i, "unexpected character '%.*s'",
		    (int)utf8_seq((const unsigned char *)s + i,
		    (const unsigned char *)s + p->len), s + i);
	else if (c > ' ' && c < 0x7f)
		perr(p, i, "unexpected character '%c'", c);
	else
		perr(p, i, "unexpected character (byte 0x%02x)",
		    (unsigned char)c);
}

static void
next(struct parser *p)
{
	lex(p);
}

static int
expect(struct parser *p, enum tok t, const char *what)
{
	char d[48];

	if (p->cur.t == t) {
		next(p);
		return 0;
	}
	if (p->failed)
		return -1;
	tok_desc(p, &p->cur, d, sizeof(d));
	return perr(p, p->cur.off, "expected %s but found %s", what, d);
}

/* Nodes. */

static int
node_new(struct parser *p, enum nkind kind, size_t off)
{
	struct expr *e = p->e;
	struct node *n;

	if (e->nnodes >= EXPR_MAX_NODES)
		return perr(p, off, "expression too complex (limit %d nodes)",
		    EXPR_MAX_NODES);
	if (e->nnodes == e->capnodes) {
		e->capnodes = e->capnodes ? e->capnodes * 2 : 16;
		e->nodes = xrealloc(e->nodes,
		    (size_t)e->capnodes * sizeof(*e->nodes));
	}
	n = &e->nodes[e->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->height = 1;
	n->kid = n->last = n->next = -1;
	n->off = off;
	return e->nnodes++;
}

/*
 * Appends kid to n's children. The height check here is what bounds the
 * evaluator's recursion.
 */
static int
node_add(struct parser *p, int n, int kid)
{
	struct node *pn = &p->e->nodes[n], *pk = &p->e->nodes[kid];

	if (pk->height + 1 > EXPR_MAX_DEPTH)
		return perr(p, pn->off,
		    "expression nested too deeply (limit %d)", EXPR_MAX_DEPTH);
	if (pk->height + 1 > pn->height)
		pn->height = (uint16_t)(pk->height + 1);
	if (pn->last < 0)
		pn->kid = kid;
	else
		p->e->nodes[pn->last].next = kid;
	pn->last = kid;
	pn->nkids++;
	return 0;
}

static int
node_new2(struct parser *p, enum nkind kind, enum op op, size_t off, int a,
    int b)
{
	int n;

	if ((n = node_new(p, kind, off)) < 0 || node_add(p, n, a) < 0 ||
	    (b >= 0 && node_add(p, n, b) < 0))
		return -1;
	p->e->nodes[n].op = (uint8_t)op;
	return n;
}

/* Appends a key or index to the PATH node n. */
static int
path_append(struct parser *p, int n, const struct seg *sg)
{
	struct expr *e = p->e;
	struct node *pn = &e->nodes[n];

	/*
	 * A path only grows while it is being parsed, and nothing in between
	 * can add segments (a folded index is a literal), so its run is at
	 * the end of the array.
	 */
	if (pn->u.path.seg + pn->u.path.nseg != e->nsegs)
		fatalx("expr: path segments not contiguous");
	if (e->nsegs == e->capsegs) {
		e->capsegs = e->capsegs ? e->capsegs * 2 : 8;
		e->segs = xrealloc(e->segs,
		    (size_t)e->capsegs * sizeof(*e->segs));
	}
	e->segs[e->nsegs++] = *sg;
	pn->u.path.nseg++;
	return 0;
}

static int parse_expr(struct parser *p);

static const struct fninfo *
fn_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nitems(fn_table); i++)
		if (strlen(fn_table[i].name) == len &&
		    memcmp(fn_table[i].name, name, len) == 0)
			return &fn_table[i];
	return NULL;
}

/* The argument of has(): a field selection, or (our extension) a root. */
static int
has_arg_ok(const struct expr *e, const struct node *a)
{
	if (a->kind == N_SELECT)
		return 1;
	if (a->kind != N_PATH)
		return 0;
	if (a->u.path.nseg == 0)
		return 1;
	return e->segs[a->u.path.seg + a->u.path.nseg - 1].is_field;
}

static int
compile_regex(struct parser *p, struct node *call, const struct node *pat)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE erroff;
	int rc;

	call->u.re = pcre2_compile((PCRE2_SPTR)pat->u.lit.v.s.p,
	    pat->u.lit.v.s.len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &rc,
	    &erroff, NULL);
	if (call->u.re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		return perr(p, pat->off, "invalid regular expression: %s "
		    "(at offset %zu of the pattern)", (const char *)msg,
		    (size_t)erroff);
	}
	/* Faster where JIT is available; the interpreter otherwise. */
	(void)pcre2_jit_compile(call->u.re, PCRE2_JIT_COMPLETE);
	if (p->e->mctx == NULL) {
		if ((p->e->mctx = pcre2_match_context_create(NULL)) == NULL)
			fatalx("expr: out of memory");
		pcre2_set_match_limit(p->e->mctx, EXPR_REGEX_MATCH_LIMIT);
		pcre2_set_heap_limit(p->e->mctx, EXPR_REGEX_HEAP_KIB);
	}
	return 0;
}

/*
 * A call: name( args ) or recv.name( args ); the '(' is current. recv is -1
 * for a global call.
 */
static int
parse_call(struct parser *p, const struct token *name, int recv)
{
	const struct fninfo *fi;
	int args[EXPR_MAX_ARGS];
	size_t argoff[EXPR_MAX_ARGS];
	int nargs = 0, want, a, n, i;
	struct node *pa;

	if ((fi = fn_lookup(p->src + name->off, name->len)) == NULL)
		return perr(p, name->off, "unknown function '%.*s'",
		    (int)name->len, p->src + name->off);
	next(p);
	if (p->cur.t != T_RPAREN) {
		for (;;) {
			size_t off = p->cur.off;

			if ((a = parse_expr(p)) < 0)
				return -1;
			if (nargs < EXPR_MAX_ARGS) {
				args[nargs] = a;
				argoff[nargs] = off;
			}
			nargs++;
			if (p->cur.t != T_COMMA)
				break;
			next(p);
		}
	}
	if (expect(p, T_RPAREN, "')' after the arguments") < 0)
		return -1;
	want = recv >= 0 ? fi->method_args : fi->global_args;
	if (want < 0 && recv >= 0)
		return perr(p, name->off, "'%s' cannot be called as a method",
		    fi->name);
	if (want < 0)
		return perr(p, name->off, "'%s' must be called as a method, "
		    "as in x.%s(...)", fi->name, fi->name);
	if (nargs != want)
		return perr(p, name->off, "wrong number of arguments to '%s' "
		    "(expected %d, got %d)", fi->name, want, nargs);

	if (fi->op == OP_HAS) {
		if (!has_arg_ok(p->e, &p->e->nodes[args[0]]))
			return perr(p, argoff[0], "invalid argument to has(): "
			    "expected a field selection such as data.x");
		if ((n = node_new(p, N_HAS, name->off)) < 0 ||
		    node_add(p, n, args[0]) < 0)
			return -1;
		return n;
	}
	if ((n = node_new(p, N_CALL, name->off)) < 0)
		return -1;
	p->e->nodes[n].op = (uint8_t)fi->op;
	if (recv >= 0 && node_add(p, n, recv) < 0)
		return -1;
	if (fi->op == OP_MATCHES) {
		/* The pattern is the last argument and is compiled now. */
		pa = &p->e->nodes[args[nargs - 1]];
		if (pa->kind != N_LIT || pa->u.lit.t != V_STRING)
			return perr(p, argoff[nargs - 1], "the pattern of "
			    "matches() must be a string literal");
		if (compile_regex(p, &p->e->nodes[n], pa) < 0)
			return -1;
		nargs--;
	}
	for (i = 0; i < nargs; i++)
		if (node_add(p, n, args[i]) < 0)
			return -1;
	return n;
}

static int
parse_list(struct parser *p)
{
	int n, el;

	if ((n = node_new(p, N_LIST, p->cur.off)) < 0)
		return -1;
	next(p);
	while (p->cur.t != T_RBRACKET) {
		if ((el = parse_expr(p)) < 0 || node_add(p, n, el) < 0)
			return -1;
		if (p->cur.t != T_COMMA)
			break;
		next(p);	/* a trailing comma is allowed */
	}
	if (expect(p, T_RBRACKET, "',' or ']' in the list") < 0)
		return -1;
	return n;
}

static int
parse_ident(struct parser *p)
{
	struct token name = p->cur;
	struct node *pn;
	size_t i;
	int n;

	next(p);
	if (p->cur.t == T_LPAREN)
		return parse_call(p, &name, -1);
	for (i = 0; i < nitems(root_names); i++)
		if (strlen(root_names[i]) == name.len &&
		    memcmp(root_names[i], p->src + name.off, name.len) == 0)
			break;
	if (i == nitems(root_names))
		return perr(p, name.off, "undeclared reference to '%.*s'",
		    (int)name.len, p->src + name.off);
	if ((n = node_new(p, N_PATH, name.off)) < 0)
		return -1;
	pn = &p->e->nodes[n];
	if (strcmp(root_names[i], "topic") != 0) {
		pn->u.path.root = root_names[i];
		pn->u.path.rootlen = name.len;
	}
	pn->u.path.seg = p->e->nsegs;
	return n;
}

static int
parse_literal(struct parser *p, int negate)
{
	struct token *t = &p->cur;
	struct value v;
	int n;

	memset(&v, 0, sizeof(v));
	switch (t->t) {
	case T_INT:
		if (negate && t->u <= (uint64_t)INT64_MAX + 1) {
			v.v.i = t->u == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
			    -(int64_t)t->u;
		} else if (!negate && t->u <= (uint64_t)INT64_MAX) {
			v.v.i = (int64_t)t->u;
		} else {
			return perr(p, t->off, "integer literal out of range");
		}
		v.t = V_INT;
		break;
	case T_UINT:
		v.t = V_UINT;
		v.v.u = t->u;
		break;
	case T_DOUBLE:
		v.t = V_DOUBLE;
		v.v.d = negate ? -t->d : t->d;
		break;
	case T_STRING:
		v.t = V_STRING;
		v.v.s.p = t->s;
		v.v.s.len = t->slen;
		break;
	case T_TRUE:
	case T_FALSE:
		v.t = V_BOOL;
		v.v.b = t->t == T_TRUE;
		break;
	case T_NULL:
		v.t = V_NULL;
		break;
	default:
		fatalx("expr: parse_literal on token %d", t->t);
	}
	if ((n = node_new(p, N_LIT, t->off)) < 0)
		return -1;
	p->e->nodes[n].u.lit = v;
	next(p);
	return n;
}

/* Primary = ["."] IDENT ["(" [ExprList] ")"] | "(" Expr ")" | list | LITERAL */
static int
parse_primary(struct parser *p)
{
	char d[48];
	int n;

	switch (p->cur.t) {
	case T_DOT:
		/* ".name" resolves in the root scope, which is the only one. */
		next(p);
		if (p->cur.t != T_IDENT)
			return expect(p, T_IDENT, "a name after '.'");
		return parse_ident(p);
	case T_IDENT:
		return parse_ident(p);
	case T_LPAREN:
		next(p);
		if ((n = parse_expr(p)) < 0 ||
		    expect(p, T_RPAREN, "')'") < 0)
			return -1;
		return n;
	case T_LBRACKET:
		return parse_list(p);
	case T_LBRACE:
		return perr(p, p->cur.off, "map literals are not supported");
	case T_INT: case T_UINT: case T_DOUBLE: case T_STRING:
	case T_TRUE: case T_FALSE: case T_NULL:
		return parse_literal(p, 0);
	case T_EOF:
		return perr(p, p->cur.off, "unexpected end of expression");
	case T_ERROR:
		return -1;
	default:
		tok_desc(p, &p->cur, d, sizeof(d));
		return perr(p, p->cur.off, "unexpected %s", d);
	}
}

/*
 * Member = Primary | Member "." IDENT ["(" args ")"] | Member "[" Expr "]".
 * Selections and constant indices on a PATH extend the path.
 */
static int
parse_postfix(struct parser *p, int n)
{
	struct token name;
	struct node *pn, *pi;
	struct seg sg;
	size_t off;
	char *key;
	int idx, m;

	for (;;) {
		pn = &p->e->nodes[n];
		if (p->cur.t == T_DOT) {
			off = p->cur.off;
			next(p);
			if (p->cur.t != T_IDENT)
				return expect(p, T_IDENT,
				    "a field or method name after '.'");
			name = p->cur;
			next(p);
			if (p->cur.t == T_LPAREN) {
				if ((n = parse_call(p, &name, n)) < 0)
					return -1;
				continue;
			}
			key = strs_reserve(p->e, name.len + 1);
			memcpy(key, p->src + name.off, name.len);
			key[name.len] = '\0';
			p->e->nstrs += name.len + 1;
			if (pn->kind == N_PATH && pn->u.path.root == NULL)
				return perr(p, name.off, "'topic' is a string "
				    "and has no fields");
			if (pn->kind == N_PATH) {
				memset(&sg, 0, sizeof(sg));
				sg.key = key;
				sg.len = name.len;
				sg.is_field = 1;
				path_append(p, n, &sg);
				continue;
			}
			if ((m = node_new(p, N_SELECT, off)) < 0 ||
			    node_add(p, m, n) < 0)
				return -1;
			p->e->nodes[m].op = OP_SELECT;
			p->e->nodes[m].u.sel.key = key;
			p->e->nodes[m].u.sel.len = name.len;
			n = m;
		} else if (p->cur.t == T_LBRACKET) {
			off = p->cur.off;
			next(p);
			if ((idx = parse_expr(p)) < 0 ||
			    expect(p, T_RBRACKET, "']'") < 0)
				return -1;
			pn = &p->e->nodes[n];
			pi = &p->e->nodes[idx];
			if (pn->kind == N_PATH && pn->u.path.root != NULL &&
			    pi->kind == N_LIT && (pi->u.lit.t == V_STRING ||
			    pi->u.lit.t == V_INT)) {
				memset(&sg, 0, sizeof(sg));
				if (pi->u.lit.t == V_STRING) {
					sg.key = pi->u.lit.v.s.p;
					sg.len = pi->u.lit.v.s.len;
				} else {
					sg.is_index = 1;
					sg.idx = pi->u.lit.v.i;
				}
				path_append(p, n, &sg);
				continue;
			}
			if ((n = node_new2(p, N_INDEX, OP_INDEX, off, n,
			    idx)) < 0)
				return -1;
		} else {
			return n;
		}
	}
}

/*
 * Unary = Member | "!" {"!"} Member | "-" {"-"} Member. A '-' directly
 * before an integer literal makes a negative literal, so that the smallest
 * int, -9223372036854775808, can be written.
 */
static int
parse_unary(struct parser *p)
{
	enum tok t = p->cur.t;
	size_t offs[EXPR_MAX_DEPTH];
	int k = 0, n, m;

	if (t != T_NOT && t != T_MINUS) {
		if ((n = parse_primary(p)) < 0)
			return -1;
		return parse_postfix(p, n);
	}
	while (p->cur.t == t) {
		if (k == EXPR_MAX_DEPTH)
			return perr(p, p->cur.off, "expression nested too "
			    "deeply (limit %d)", EXPR_MAX_DEPTH);
		offs[k++] = p->cur.off;
		next(p);
	}
	if (t == T_MINUS && (p->cur.t == T_INT || p->cur.t == T_DOUBLE)) {
		k--;
		if ((n = parse_literal(p, 1)) < 0)
			return -1;
	} else if ((n = parse_primary(p)) < 0) {
		return -1;
	}
	if ((n = parse_postfix(p, n)) < 0)
		return -1;
	while (k > 0) {
		k--;
		if ((m = node_new2(p, N_UNARY, t == T_NOT ? OP_NOT : OP_NEG,
		    offs[k], n, -1)) < 0)
			return -1;
		n = m;
	}
	return n;
}

static int
parse_binary_level(struct parser *p, int level);

/*
 * The left-associative binary levels, lowest precedence first: Relation,
 * Addition, Multiplication (langdef.md's precedence table).
 */
static const struct {
	enum tok t;
	enum op op;
	int level;
} binops[] = {
	{ T_EQ, OP_EQ, 0 }, { T_NE, OP_NE, 0 }, { T_LT, OP_LT, 0 },
	{ T_LE, OP_LE, 0 }, { T_GT, OP_GT, 0 }, { T_GE, OP_GE, 0 },
	{ T_IN, OP_IN, 0 },
	{ T_PLUS, OP_ADD, 1 }, { T_MINUS, OP_SUB, 1 },
	{ T_STAR, OP_MUL, 2 }, { T_SLASH, OP_DIV, 2 },
	{ T_PERCENT, OP_MOD, 2 },
};

static int
parse_operand(struct parser *p, int level)
{
	return level == 2 ? parse_unary(p) : parse_binary_level(p, level + 1);
}

static int
parse_binary_level(struct parser *p, int level)
{
	size_t i, off;
	int l, r;

	if ((l = parse_operand(p, level)) < 0)
		return -1;
	for (;;) {
		for (i = 0; i < nitems(binops); i++)
			if (binops[i].t == p->cur.t && binops[i].level == level)
				break;
		if (i == nitems(binops))
			return l;
		off = p->cur.off;
		next(p);
		if ((r = parse_operand(p, level)) < 0 ||
		    (l = node_new2(p, N_BIN, binops[i].op, off, l, r)) < 0)
			return -1;
	}
}

/* ConditionalAnd and ConditionalOr: n-ary nodes over their operands. */
static int
parse_logical(struct parser *p, enum tok t)
{
	int l, r, n;

	l = t == T_OR ? parse_logical(p, T_AND) : parse_binary_level(p, 0);
	if (l < 0 || p->cur.t != t)
		return l;
	if ((n = node_new(p, t == T_OR ? N_OR : N_AND, p->cur.off)) < 0 ||
	    node_add(p, n, l) < 0)
		return -1;
	while (p->cur.t == t) {
		next(p);
		r = t == T_OR ? parse_logical(p, T_AND) :
		    parse_binary_level(p, 0);
		if (r < 0 || node_add(p, n, r) < 0)
			return -1;
	}
	return n;
}

/* Expr = ConditionalOr ["?" ConditionalOr ":" Expr] */
static int
parse_expr(struct parser *p)
{
	size_t off;
	int c, a, b, n;

	/* Every nested construct comes through here: this bounds recursion. */
	if (p->depth >= EXPR_MAX_DEPTH)
		return perr(p, p->cur.off, "expression nested too deeply "
		    "(limit %d)", EXPR_MAX_DEPTH);
	p->depth++;
	if ((c = parse_logical(p, T_OR)) < 0)
		return -1;
	if (p->cur.t == T_QUESTION) {
		off = p->cur.off;
		next(p);
		if ((a = parse_logical(p, T_OR)) < 0 ||
		    expect(p, T_COLON, "':'") < 0 || (b = parse_expr(p)) < 0)
			return -1;
		if ((n = node_new(p, N_COND, off)) < 0 ||
		    node_add(p, n, c) < 0 || node_add(p, n, a) < 0 ||
		    node_add(p, n, b) < 0)
			return -1;
		c = n;
	}
	p->depth--;
	return c;
}

struct expr *
expr_compile(const char *src, char *err, size_t errlen)
{
	struct parser p;
	struct expr *e;
	const unsigned char *u, *end;
	size_t len, n;
	char d[48];

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (src == NULL)
		src = "";
	len = strnlen(src, EXPR_MAX_SOURCE + 1);
	p.src = src;
	p.len = len;
	if (len > EXPR_MAX_SOURCE) {
		perr(&p, EXPR_MAX_SOURCE, "expression too long (limit %d "
		    "bytes)", EXPR_MAX_SOURCE);
		return NULL;
	}
	end = (const unsigned char *)src + len;
	for (u = (const unsigned char *)src; u < end; u += n)
		if ((n = utf8_seq(u, end)) == 0) {
			perr(&p, (size_t)(u - (const unsigned char *)src),
			    "invalid UTF-8 in expression");
			return NULL;
		}

	e = xcalloc(1, sizeof(*e));
	e->capstrs = len + 1;
	e->strs = xmalloc(e->capstrs);
	p.e = e;
	next(&p);
	if (p.cur.t == T_EOF) {
		perr(&p, p.cur.off, "empty expression");
		goto fail;
	}
	if ((e->root = parse_expr(&p)) < 0)
		goto fail;
	if (p.cur.t != T_EOF) {
		tok_desc(&p, &p.cur, d, sizeof(d));
		perr(&p, p.cur.off, "unexpected %s after a complete "
		    "expression", d);
		goto fail;
	}
	if (p.failed)
		goto fail;
	return e;
fail:
	expr_free(e);
	return NULL;
}

void
expr_free(struct expr *e)
{
	int i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nnodes; i++)
		if (e->nodes[i].kind == N_CALL &&
		    e->nodes[i].op == OP_MATCHES)
			pcre2_code_free(e->nodes[i].u.re);
	pcre2_match_context_free(e->mctx);
	free(e->nodes);
	free(e->segs);
	free(e->strs);
	free(e);
}

/* Evaluation. */

/*
 * Per-evaluation state, on the caller's stack. steps counts node visits,
 * list elements and object keys looked at: without a budget, list literals
 * compared inside list literals re-evaluate their elements once per
 * comparison, and a 1,000-node expression could run for years.
 */
struct ectx {
	const struct expr *e;
	const struct expr_env *env;
	long steps;
	size_t used;
	char scratch[EXPR_SCRATCH];
};

static void eval(struct ectx *c, int n, struct value *out);

static void
set_err(struct value *v, enum verr code)
{
	memset(v, 0, sizeof(*v));
	v->t = V_ERR;
	v->v.err.code = (uint8_t)code;
	v->v.err.t2 = NT;
}

static void
set_err_key(struct value *v, enum verr code, const char *p, size_t len)
{
	set_err(v, code);
	v->v.err.p = p;
	v->v.err.len = len;
}

static void
set_overload(struct value *v, enum op op, const struct value *a,
    const struct value *b)
{
	uint8_t t1 = a->t, t2 = b != NULL ? b->t : NT;

	set_err(v, E_OVERLOAD);
	v->v.err.what = (uint8_t)op;
	v->v.err.t1 = t1;
	v->v.err.t2 = t2;
}

static void
set_bool(struct value *v, int b)
{
	v->t = V_BOOL;
	v->v.b = b != 0;
}

/* Reserves n + 1 bytes of scratch (for a NUL); NULL when it is used up. */
static char *
scratch_alloc(struct ectx *c, size_t n)
{
	char *s;

	if (n >= sizeof(c->scratch) - c->used)
		return NULL;
	s = c->scratch + c->used;
	c->used += n + 1;
	s[n] = '\0';
	return s;
}

static int
over_budget(const struct ectx *c)
{
	return c->steps > EXPR_MAX_STEPS;
}

/*
 * Object member by key with an explicit length (keys may hold NUL). A
 * linear scan, as in cJSON itself; events have few keys per object.
 */
static const cJSON *
json_get(struct ectx *c, const cJSON *obj, const char *key, size_t len)
{
	const cJSON *it;

	for (it = obj->child; it != NULL; it = it->next) {
		c->steps++;
		/* The first byte rejects most keys before a strlen(). */
		if (it->string != NULL && (len == 0 ? it->string[0] == '\0' :
		    it->string[0] == key[0]) && strlen(it->string) == len &&
		    memcmp(it->string, key, len) == 0)
			return it;
	}
	return NULL;
}

/* cJSON counts by walking the list; so does the budget. */
static size_t
json_size(struct ectx *c, const cJSON *j)
{
	int n = cJSON_GetArraySize(j);

	c->steps += n;
	return (size_t)n;
}

static void
json_value(const cJSON *j, struct value *v)
{
	memset(v, 0, sizeof(*v));
	switch (j->type & 0xff) {
	case cJSON_False:
		set_bool(v, 0);
		break;
	case cJSON_True:
		set_bool(v, 1);
		break;
	case cJSON_NULL:
		v->t = V_NULL;
		break;
	case cJSON_Number:
		v->t = V_DOUBLE;
		v->v.d = j->valuedouble;
		break;
	case cJSON_String:
		v->t = V_STRING;
		v->v.s.p = j->valuestring != NULL ? j->valuestring : "";
		v->v.s.len = strlen(v->v.s.p);
		break;
	case cJSON_Array:
		v->t = V_LIST;
		v->v.agg.json = j;
		break;
	case cJSON_Object:
		v->t = V_MAP;
		v->v.agg.json = j;
		break;
	default:
		set_err(v, E_OVERLOAD);
		break;
	}
}

/* Walking a list value: a JSON array or a list literal's nodes. */
struct liter {
	const cJSON *j;
	int n;
	int is_json;
};

static void
liter_init(const struct ectx *c, const struct value *list, struct liter *it)
{
	it->is_json = list->v.agg.json != NULL;
	it->j = it->is_json ? list->v.agg.json->child : NULL;
	it->n = it->is_json ? -1 : c->e->nodes[list->v.agg.node].kid;
}

/* 1 and the next element in out, or 0 at the end. */
static int
liter_next(struct ectx *c, struct liter *it, struct value *out)
{
	if (it->is_json) {
		if (it->j == NULL)
			return 0;
		if (++c->steps > EXPR_MAX_STEPS)
			set_err(out, E_COST);
		else
			json_value(it->j, out);
		it->j = it->j->next;
		return 1;
	}
	if (it->n < 0)
		return 0;
	eval(c, it->n, out);
	it->n = c->e->nodes[it->n].next;
	return 1;
}

static size_t
list_size(struct ectx *c, const struct value *v)
{
	if (v->v.agg.json != NULL)
		return json_size(c, v->v.agg.json);
	return (size_t)c->e->nodes[v->v.agg.node].nkids;
}

static int
is_num(const struct value *v)
{
	return v->t == V_INT || v->t == V_UINT || v->t == V_DOUBLE;
}

/* Compares a double with an int exactly (no rounding of the int). */
static int
cmp_double_int(double d, int64_t i)
{
	double t;

	if (d < -9223372036854775808.0)
		return -1;
	if (d >= 9223372036854775808.0)
		return 1;
	t = trunc(d);
	if ((int64_t)t != i)
		return (int64_t)t < i ? -1 : 1;
	return d > t ? 1 : d < t ? -1 : 0;
}

static int
cmp_double_uint(double d, uint64_t u)
{
	double t;

	if (d < 0)
		return -1;
	if (d >= 18446744073709551616.0)
		return 1;
	t = trunc(d);
	if ((uint64_t)t != u)
		return (uint64_t)t < u ? -1 : 1;
	return d > t ? 1 : 0;
}

/*
 * Numeric order across int, uint and double, as recent CEL defines it:
 * by value, not by type. Returns -1, 0, 1, or 2 if unordered (NaN).
 */
static int
num_cmp(const struct value *a, const struct value *b)
{
	if (a->t == V_DOUBLE && isnan(a->v.d))
		return 2;
	if (b->t == V_DOUBLE && isnan(b->v.d))
		return 2;
	switch (a->t * 16 + b->t) {
	case V_INT * 16 + V_INT:
		return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
	case V_UINT * 16 + V_UINT:
		return a->v.u < b->v.u ? -1 : a->v.u > b->v.u;
	case V_DOUBLE * 16 + V_DOUBLE:
		return a->v.d < b->v.d ? -1 : a->v.d > b->v.d;
	case V_INT * 16 + V_UINT:
		if (a->v.i < 0)
			return -1;
		return (uint64_t)a->v.i < b->v.u ? -1 :
		    (uint64_t)a->v.i > b->v.u;
	case V_UINT * 16 + V_INT:
		return -num_cmp(b, a);
	case V_DOUBLE * 16 + V_INT:
		return cmp_double_int(a->v.d, b->v.i);
	case V_INT * 16 + V_DOUBLE:
		return -cmp_double_int(b->v.d, a->v.i);
	case V_DOUBLE * 16 + V_UINT:
		return cmp_double_uint(a->v.d, b->v.u);
	case V_UINT * 16 + V_DOUBLE:
		return -cmp_double_uint(b->v.d, a->v.u);
	}
	fatalx("expr: num_cmp on non-numbers");
}

/*
 * Equality as recent CEL defines it: numbers compare by value across types,
 * other values of different types are simply unequal, lists and maps compare
 * element by element. Returns 1 or 0, or -1 with the error in *err.
 */
static int
value_eq(struct ectx *c, const struct value *a, const struct value *b,
    struct value *err, int depth)
{
	struct liter ia, ib;
	struct value x, y;
	const cJSON *it, *other;
	int r, saw_err = 0;

	if (a->t == V_ERR || b->t == V_ERR) {
		*err = a->t == V_ERR ? *a : *b;
		return -1;
	}
	if (is_num(a) && is_num(b))
		return num_cmp(a, b) == 0;
	if (a->t != b->t)
		return 0;
	if (depth >= EXPR_MAX_EQ_DEPTH &&
	    (a->t == V_LIST || a->t == V_MAP)) {
		set_err(err, E_EQ_DEPTH);
		return -1;
	}
	switch (a->t) {
	case V_NULL:
		return 1;
	case V_BOOL:
		return a->v.b == b->v.b;
	case V_STRING:
		return a->v.s.len == b->v.s.len &&
		    memcmp(a->v.s.p, b->v.s.p, a->v.s.len) == 0;
	case V_LIST:
		/*
		 * Unequal if any element pair is unequal, even when others
		 * are errors; an error only if no pair is unequal.
		 */
		if (list_size(c, a) != list_size(c, b))
			return 0;
		liter_init(c, a, &ia);
		liter_init(c, b, &ib);
		while (liter_next(c, &ia, &x) && liter_next(c, &ib, &y)) {
			if ((r = value_eq(c, &x, &y, err, depth + 1)) == 0)
				return 0;
			if (r < 0)
				saw_err = 1;
		}
		return saw_err ? -1 : 1;
	case V_MAP:
		if (json_size(c, a->v.agg.json) != json_size(c, b->v.agg.json))
			return 0;
		for (it = a->v.agg.json->child; it != NULL; it = it->next) {
			if (over_budget(c)) {
				set_err(err, E_COST);
				return -1;
			}
			if (it->string == NULL || (other = json_get(c,
			    b->v.agg.json, it->string,
			    strlen(it->string))) == NULL)
				return 0;
			json_value(it, &x);
			json_value(other, &y);
			if ((r = value_eq(c, &x, &y, err, depth + 1)) == 0)
				return 0;
			if (r < 0)
				saw_err = 1;
		}
		return saw_err ? -1 : 1;
	}
	return 0;
}

static void
eval_eq(struct ectx *c, enum op op, const struct value *a,
    const struct value *b, struct value *out)
{
	struct value err;
	int r;

	if ((r = value_eq(c, a, b, &err, 0)) < 0)
		*out = err;
	else
		set_bool(out, op == OP_EQ ? r : !r);
}

static void
eval_order(enum op op, const struct value *a, const struct value *b,
    struct value *out)
{
	int r;
	size_t n;

	if (is_num(a) && is_num(b)) {
		r = num_cmp(a, b);
		if (r == 2) {	/* NaN: every ordering is false */
			set_bool(out, 0);
			return;
		}
	} else if (a->t == V_STRING && b->t == V_STRING) {
		/* Byte order of UTF-8 is code point order. */
		n = a->v.s.len < b->v.s.len ? a->v.s.len : b->v.s.len;
		r = memcmp(a->v.s.p, b->v.s.p, n);
		if (r == 0)
			r = a->v.s.len < b->v.s.len ? -1 :
			    a->v.s.len > b->v.s.len;
	} else if (a->t == V_BOOL && b->t == V_BOOL) {
		r = a->v.b - b->v.b;
	} else {
		set_overload(out, op, a, b);
		return;
	}
	switch (op) {
	case OP_LT: set_bool(out, r < 0); break;
	case OP_LE: set_bool(out, r <= 0); break;
	case OP_GT: set_bool(out, r > 0); break;
	default: set_bool(out, r >= 0); break;
	}
}

static void
eval_in(struct ectx *c, const struct value *a, const struct value *b,
    struct value *out)
{
	struct liter it;
	struct value x, err;
	int r, found;

	if (a->t == V_ERR || b->t == V_ERR) {
		*out = a->t == V_ERR ? *a : *b;
		return;
	}
	if (b->t == V_LIST) {
		/*
		 * A list literal with an error element is an error, as in
		 * CEL, so a literal is walked to its end; a JSON array has no
		 * error elements and stops at the first hit.
		 */
		found = 0;
		liter_init(c, b, &it);
		while (liter_next(c, &it, &x)) {
			if ((r = value_eq(c, a, &x, &err, 0)) < 0) {
				*out = err;
				return;
			}
			found |= r;
			if (found && it.is_json)
				break;
		}
		set_bool(out, found);
	} else if (b->t == V_MAP) {
		set_bool(out, a->t == V_STRING &&
		    json_get(c, b->v.agg.json, a->v.s.p, a->v.s.len) != NULL);
	} else {
		set_overload(out, OP_IN, a, b);
	}
}

static void
eval_concat(struct ectx *c, const struct value *a, const struct value *b,
    struct value *out)
{
	char *s;

	if ((s = scratch_alloc(c, a->v.s.len + b->v.s.len)) == NULL) {
		set_err(out, E_SCRATCH);
		return;
	}
	memcpy(s, a->v.s.p, a->v.s.len);
	memcpy(s + a->v.s.len, b->v.s.p, b->v.s.len);
	out->t = V_STRING;
	out->v.s.p = s;
	out->v.s.len = a->v.s.len + b->v.s.len;
}

static double
num_as_double(const struct value *v)
{
	if (v->t == V_INT)
		return (double)v->v.i;
	if (v->t == V_UINT)
		return (double)v->v.u;
	return v->v.d;
}

/*
 * + - * / %. Integers check overflow (an error, as CEL requires). Where a
 * double meets an int or uint the int is widened: JSON numbers are doubles,
 * and "data.speed_kmh * 2" should not be a type error (a deviation from
 * CEL, which has no mixed arithmetic). Division by zero is an error for
 * doubles too: an infinity is no use to a predicate.
 */
static void
eval_arith(struct ectx *c, enum op op, const struct value *a,
    const struct value *b, struct value *out)
{
	int64_t i = 0;
	uint64_t u = 0;
	double x, y;
	int ovf = 0;

	memset(out, 0, sizeof(*out));
	if (op == OP_ADD && a->t == V_STRING && b->t == V_STRING) {
		eval_concat(c, a, b, out);
		return;
	}
	if (a->t == V_INT && b->t == V_INT) {
		switch (op) {
		case OP_ADD: ovf = __builtin_add_overflow(a->v.i, b->v.i, &i);
			break;
		case OP_SUB: ovf = __builtin_sub_overflow(a->v.i, b->v.i, &i);
			break;
		case OP_MUL: ovf = __builtin_mul_overflow(a->v.i, b->v.i, &i);
			break;
		default:
			if (b->v.i == 0) {
				set_err(out, op == OP_DIV ? E_DIV_ZERO :
				    E_MOD_ZERO);
				return;
			}
			if (a->v.i == INT64_MIN && b->v.i == -1) {
				ovf = 1;
				break;
			}
			i = op == OP_DIV ? a->v.i / b->v.i : a->v.i % b->v.i;
			break;
		}
		if (ovf) {
			set_err(out, E_OVERFLOW);
			return;
		}
		out->t = V_INT;
		out->v.i = i;
		return;
	}
	if (a->t == V_UINT && b->t == V_UINT) {
		switch (op) {
		case OP_ADD: ovf = __builtin_add_overflow(a->v.u, b->v.u, &u);
			break;
		case OP_SUB: ovf = __builtin_sub_overflow(a->v.u, b->v.u, &u);
			break;
		case OP_MUL: ovf = __builtin_mul_overflow(a->v.u, b->v.u, &u);
			break;
		default:
			if (b->v.u == 0) {
				set_err(out, op == OP_DIV ? E_DIV_ZERO :
				    E_MOD_ZERO);
				return;
			}
			u = op == OP_DIV ? a->v.u / b->v.u : a->v.u % b->v.u;
			break;
		}
		if (ovf) {
			set_err(out, E_OVERFLOW);
			return;
		}
		out->t = V_UINT;
		out->v.u = u;
		return;
	}
	if (is_num(a) && is_num(b) && (a->t == V_DOUBLE || b->t == V_DOUBLE) &&
	    op != OP_MOD) {
		x = num_as_double(a);
		y = num_as_double(b);
		out->t = V_DOUBLE;
		switch (op) {
		case OP_ADD: out->v.d = x + y; break;
		case OP_SUB: out->v.d = x - y; break;
		case OP_MUL: out->v.d = x * y; break;
		default:
			if (y == 0) {
				set_err(out, E_DIV_ZERO);
				return;
			}
			out->v.d = x / y;
			break;
		}
		return;
	}
	if (a->t == V_ERR || b->t == V_ERR)
		*out = a->t == V_ERR ? *a : *b;
	else
		set_overload(out, op, a, b);
}

static void
eval_bin(struct ectx *c, const struct node *n, struct value *out)
{
	struct value a, b;

	eval(c, n->kid, &a);
	eval(c, c->e->nodes[n->kid].next, &b);
	switch (n->op) {
	case OP_EQ:
	case OP_NE:
		eval_eq(c, (enum op)n->op, &a, &b, out);
		return;
	case OP_IN:
		eval_in(c, &a, &b, out);
		return;
	default:
		break;
	}
	if (a.t == V_ERR || b.t == V_ERR) {
		*out = a.t == V_ERR ? a : b;
		return;
	}
	if (n->op <= OP_GE)
		eval_order((enum op)n->op, &a, &b, out);
	else
		eval_arith(c, (enum op)n->op, &a, &b, out);
}

/*
 * '&&' and '||' over all operands, commutative about errors (langdef.md,
 * "Logical Operators"): a false operand decides '&&' even if another one is
 * an error, and a true one decides '||'. Otherwise the first error (or
 * non-bool) is the result.
 */
static void
eval_logical(struct ectx *c, const struct node *n, struct value *out)
{
	int decisive = n->kind == N_OR, k, have_err = 0;
	struct value v, err;

	memset(&err, 0, sizeof(err));
	for (k = n->kid; k >= 0; k = c->e->nodes[k].next) {
		eval(c, k, &v);
		if (v.t == V_BOOL) {
			if (v.v.b == decisive) {
				set_bool(out, decisive);
				return;
			}
			continue;
		}
		if (!have_err) {
			have_err = 1;
			if (v.t == V_ERR)
				err = v;
			else
				set_overload(&err, decisive ? OP_OR : OP_AND,
				    &v, NULL);
		}
	}
	if (have_err)
		*out = err;
	else
		set_bool(out, !decisive);
}

/*
 * Follows a PATH through the event. For has(), stops before the last key
 * and reports presence: a missing key or a null on the way makes has()
 * false rather than an error (a deviation that lets !has(a.b.c) be true
 * when a.b is absent). Returns the value through out.
 */
static void
eval_path(struct ectx *c, const struct node *n, int has, struct value *out)
{
	const struct expr *e = c->e;
	const cJSON *j;
	const struct seg *sg;
	struct value tmp;
	int i, last = n->u.path.nseg - 1;

	if (n->u.path.root == NULL) {
		if (has)
			set_bool(out, c->env->topic != NULL);
		else if (c->env->topic == NULL)
			set_err(out, E_NO_TOPIC);
		else {
			out->t = V_STRING;
			out->v.s.p = c->env->topic;
			out->v.s.len = strlen(c->env->topic);
		}
		return;
	}
	j = NULL;
	if (c->env->event != NULL && cJSON_IsObject(c->env->event))
		j = json_get(c, c->env->event, n->u.path.root,
		    n->u.path.rootlen);
	if (j == NULL) {
		if (has)
			set_bool(out, 0);
		else
			set_err_key(out, E_NO_KEY, n->u.path.root,
			    n->u.path.rootlen);
		return;
	}
	for (i = 0; i <= last; i++) {
		sg = &e->segs[n->u.path.seg + i];
		if (has && cJSON_IsNull(j)) {
			set_bool(out, 0);
			return;
		}
		if (sg->is_index) {
			if (!cJSON_IsArray(j)) {
				json_value(j, &tmp);
				set_overload(out, OP_INDEX, &tmp, &tmp);
				out->v.err.t2 = V_INT;
				return;
			}
			if (sg->idx < 0 || sg->idx > INT_MAX) {
				j = NULL;
			} else {
				c->steps += (long)sg->idx;
				j = cJSON_GetArrayItem(j, (int)sg->idx);
			}
			if (j == NULL) {
				if (has)
					set_bool(out, 0);
				else
					set_err(out, E_INDEX);
				return;
			}
			continue;
		}
		if (!cJSON_IsObject(j)) {
			json_value(j, &tmp);
			if (sg->is_field) {
				set_err_key(out, E_NO_FIELDS, sg->key, sg->len);
				out->v.err.t1 = tmp.t;
			} else {
				set_overload(out, OP_INDEX, &tmp, &tmp);
				out->v.err.t2 = V_STRING;
			}
			return;
		}
		j = json_get(c, j, sg->key, sg->len);
		if (j == NULL) {
			if (has)
				set_bool(out, 0);
			else
				set_err_key(out, E_NO_KEY, sg->key, sg->len);
			return;
		}
	}
	if (has)
		set_bool(out, 1);
	else
		json_value(j, out);
}

static void
eval_has(struct ectx *c, const struct node *n, struct value *out)
{
	const struct node *a = &c->e->nodes[n->kid];
	struct value v;

	if (a->kind == N_PATH) {
		eval_path(c, a, 1, out);
		return;
	}
	/* N_SELECT over a computed value. */
	eval(c, a->kid, &v);
	if (v.t == V_ERR)
		*out = v;
	else if (v.t == V_MAP)
		set_bool(out, json_get(c, v.v.agg.json, a->u.sel.key,
		    a->u.sel.len) != NULL);
	else if (v.t == V_NULL)
		set_bool(out, 0);
	else {
		set_err_key(out, E_NO_FIELDS, a->u.sel.key, a->u.sel.len);
		out->v.err.t1 = v.t;
	}
}

static void
eval_select(struct ectx *c, const struct node *n, struct value *out)
{
	const cJSON *j;
	struct value v;

	eval(c, n->kid, &v);
	if (v.t == V_ERR) {
		*out = v;
	} else if (v.t != V_MAP) {
		set_err_key(out, E_NO_FIELDS, n->u.sel.key, n->u.sel.len);
		out->v.err.t1 = v.t;
	} else if ((j = json_get(c, v.v.agg.json, n->u.sel.key,
	    n->u.sel.len)) == NULL) {
		set_err_key(out, E_NO_KEY, n->u.sel.key, n->u.sel.len);
	} else {
		json_value(j, out);
	}
}

static void
eval_index(struct ectx *c, const struct node *n, struct value *out)
{
	struct value a, b;
	struct liter it;
	const cJSON *j;
	int64_t i;
	size_t k;

	eval(c, n->kid, &a);
	eval(c, c->e->nodes[n->kid].next, &b);
	if (a.t == V_ERR || b.t == V_ERR) {
		*out = a.t == V_ERR ? a : b;
		return;
	}
	if (a.t == V_MAP && b.t == V_STRING) {
		if ((j = json_get(c, a.v.agg.json, b.v.s.p, b.v.s.len)) ==
		    NULL)
			set_err_key(out, E_NO_KEY, b.v.s.p, b.v.s.len);
		else
			json_value(j, out);
		return;
	}
	if (a.t != V_LIST || !(b.t == V_INT || b.t == V_UINT ||
	    (b.t == V_DOUBLE && b.v.d == trunc(b.v.d)))) {
		set_overload(out, OP_INDEX, &a, &b);
		return;
	}
	/* Integral doubles index too: JSON numbers are doubles. */
	if (b.t == V_INT)
		i = b.v.i;
	else if (b.t == V_UINT)
		i = b.v.u > (uint64_t)INT64_MAX ? -1 : (int64_t)b.v.u;
	else
		i = b.v.d >= 0 && b.v.d < 9.2e18 ? (int64_t)b.v.d : -1;
	if (i < 0 || (uint64_t)i >= list_size(c, &a)) {
		set_err(out, E_INDEX);
		return;
	}
	liter_init(c, &a, &it);
	for (k = 0; liter_next(c, &it, out); k++)
		if (k == (uint64_t)i)
			return;
	set_err(out, E_INDEX);
}

/* Characters in a UTF-8 string (CEL's size() counts code points). */
static int64_t
utf8_count(const char *s, size_t len)
{
	int64_t n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_destroy(void *md)
{
	pcre2_match_data_free(md);
}

static void
md_init(void)
{
	if (pthread_key_create(&md_key, md_destroy) != 0)
		fatalx("expr: pthread_key_create failed");
}

/*
 * PCRE2 needs writable match data for every match. One per thread, created
 * on first use and kept (PCRE2 also keeps its backtracking frames there), so
 * matching allocates nothing in the steady state and a shared expr stays
 * usable from several threads.
 */
static pcre2_match_data *
match_data(void)
{
	pcre2_match_data *md;

	pthread_once(&md_once, md_init);
	if ((md = pthread_getspecific(md_key)) == NULL) {
		if ((md = pcre2_match_data_create(1, NULL)) == NULL)
			fatalx("expr: out of memory");
		if (pthread_setspecific(md_key, md) != 0)
			fatalx("expr: pthread_setspecific failed");
	}
	return md;
}

static void
eval_matches(struct ectx *c, const struct node *n, const struct value *s,
    struct value *out)
{
	int rc;

	rc = pcre2_match(n->u.re, (PCRE2_SPTR)s->v.s.p, s->v.s.len, 0, 0,
	    match_data(), c->e->mctx);
	if (rc >= 0)
		set_bool(out, 1);
	else if (rc == PCRE2_ERROR_NOMATCH)
		set_bool(out, 0);
	else {
		set_err(out, E_REGEX);
		out->v.err.aux = rc;
	}
}

/*
 * Shortest text that reads back as the same double; integral values below
 * 1e15 without an exponent ("1000", not "1e+03"), as CEL prints them.
 */
static void
format_double(double d, char *out, size_t outlen)
{
	int prec;

	if (d == trunc(d) && fabs(d) < 1e15) {
		snprintf(out, outlen, "%.0f", d);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* int(), uint(), double(), string(): CEL's conversions. */
static void
eval_convert(struct ectx *c, enum op op, const struct value *a,
    struct value *out)
{
	char buf[64], *s, *end;
	double d = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (a->t == V_STRING && op != OP_STRING) {
		/* Whole string, C locale digits, no embedded NUL. */
		if (a->v.s.len == 0 || a->v.s.len >= sizeof(buf) ||
		    memchr(a->v.s.p, '\0', a->v.s.len) != NULL ||
		    !(is_digit(a->v.s.p[0]) || a->v.s.p[0] == '-' ||
		    a->v.s.p[0] == '+' || a->v.s.p[0] == '.'))
			goto bad;
		memcpy(buf, a->v.s.p, a->v.s.len);
		buf[a->v.s.len] = '\0';
		errno = 0;
		if (op == OP_INT) {
			long long v = strtoll(buf, &end, 10);

			if (errno != 0 || *end != '\0')
				goto bad;
			out->t = V_INT;
			out->v.i = (int64_t)v;
		} else if (op == OP_UINT) {
			unsigned long long v;

			if (buf[0] == '-')
				goto bad;
			v = strtoull(buf, &end, 10);
			if (errno != 0 || *end != '\0')
				goto bad;
			out->t = V_UINT;
			out->v.u = (uint64_t)v;
		} else {
			if (parse_double(buf, &d) == -1)
				goto bad;
			out->t = V_DOUBLE;
			out->v.d = d;
		}
		return;
	}
	switch (op) {
	case OP_INT:
		if (a->t == V_INT)
			*out = *a;
		else if (a->t == V_UINT && a->v.u <= (uint64_t)INT64_MAX) {
			out->t = V_INT;
			out->v.i = (int64_t)a->v.u;
		} else if (a->t == V_DOUBLE && a->v.d > -9223372036854775809.0 &&
		    a->v.d < 9223372036854775808.0) {
			out->t = V_INT;
			out->v.i = (int64_t)a->v.d;	/* toward zero */
		} else if (is_num(a))
			set_err(out, E_OVERFLOW);
		else
			goto overload;
		return;
	case OP_UINT:
		if (a->t == V_UINT)
			*out = *a;
		else if (a->t == V_INT && a->v.i >= 0) {
			out->t = V_UINT;
			out->v.u = (uint64_t)a->v.i;
		} else if (a->t == V_DOUBLE && a->v.d > -1.0 &&
		    a->v.d < 18446744073709551616.0) {
			out->t = V_UINT;
			out->v.u = (uint64_t)a->v.d;
		} else if (is_num(a))
			set_err(out, E_OVERFLOW);
		else
			goto overload;
		return;
	case OP_DOUBLE:
		if (!is_num(a))
			goto overload;
		out->t = V_DOUBLE;
		out->v.d = num_as_double(a);
		return;
	default:
		break;
	}
	/* string() */
	switch (a->t) {
	case V_STRING:
		*out = *a;
		return;
	case V_INT:
		snprintf(buf, sizeof(buf), "%" PRId64, a->v.i);
		break;
	case V_UINT:
		snprintf(buf, sizeof(buf), "%" PRIu64, a->v.u);
		break;
	case V_DOUBLE:
		format_double(a->v.d, buf, sizeof(buf));
		break;
	case V_BOOL:
		snprintf(buf, sizeof(buf), "%s", a->v.b ? "true" : "false");
		break;
	default:
		goto overload;
	}
	n = strlen(buf);
	if ((s = scratch_alloc(c, n)) == NULL) {
		set_err(out, E_SCRATCH);
		return;
	}
	memcpy(s, buf, n);
	out->t = V_STRING;
	out->v.s.p = s;
	out->v.s.len = n;
	return;
bad:
	set_err_key(out, E_CONVERT, a->v.s.p, a->v.s.len);
	out->v.err.what = (uint8_t)op;
	out->v.err.t1 = a->t;
	return;
overload:
	set_overload(out, op, a, NULL);
}

static void
eval_call(struct ectx *c, const struct node *n, struct value *out)
{
	struct value a, b;
	int k;

	memset(&b, 0, sizeof(b));
	eval(c, n->kid, &a);
	if ((k = c->e->nodes[n->kid].next) >= 0)
		eval(c, k, &b);
	if (a.t == V_ERR || (k >= 0 && b.t == V_ERR)) {
		*out = a.t == V_ERR ? a : b;
		return;
	}
	memset(out, 0, sizeof(*out));
	switch (n->op) {
	case OP_SIZE:
		out->t = V_INT;
		if (a.t == V_STRING)
			out->v.i = utf8_count(a.v.s.p, a.v.s.len);
		else if (a.t == V_LIST)
			out->v.i = (int64_t)list_size(c, &a);
		else if (a.t == V_MAP)
			out->v.i = (int64_t)json_size(c, a.v.agg.json);
		else
			set_overload(out, OP_SIZE, &a, NULL);
		return;
	case OP_STARTS:
	case OP_ENDS:
	case OP_CONTAINS:
		if (a.t != V_STRING || b.t != V_STRING) {
			set_overload(out, (enum op)n->op, &a, &b);
			return;
		}
		if (b.v.s.len > a.v.s.len)
			set_bool(out, 0);
		else if (n->op == OP_STARTS)
			set_bool(out, memcmp(a.v.s.p, b.v.s.p, b.v.s.len) == 0);
		else if (n->op == OP_ENDS)
			set_bool(out, memcmp(a.v.s.p + a.v.s.len - b.v.s.len,
			    b.v.s.p, b.v.s.len) == 0);
		else
			set_bool(out, b.v.s.len == 0 || memmem(a.v.s.p,
			    a.v.s.len, b.v.s.p, b.v.s.len) != NULL);
		return;
	case OP_MATCHES:
		if (a.t != V_STRING)
			set_overload(out, OP_MATCHES, &a, NULL);
		else
			eval_matches(c, n, &a, out);
		return;
	default:
		eval_convert(c, (enum op)n->op, &a, out);
		return;
	}
}

static void
eval_unary(struct ectx *c, const struct node *n, struct value *out)
{
	struct value a;

	eval(c, n->kid, &a);
	if (a.t == V_ERR)
		*out = a;
	else if (n->op == OP_NOT && a.t == V_BOOL)
		set_bool(out, !a.v.b);
	else if (n->op == OP_NEG && a.t == V_INT) {
		if (a.v.i == INT64_MIN)
			set_err(out, E_OVERFLOW);
		else {
			out->t = V_INT;
			out->v.i = -a.v.i;
		}
	} else if (n->op == OP_NEG && a.t == V_DOUBLE) {
		out->t = V_DOUBLE;
		out->v.d = -a.v.d;
	} else
		set_overload(out, (enum op)n->op, &a, NULL);
}

/* Recursion depth is at most the tree height, which compile limited. */
static void
eval(struct ectx *c, int idx, struct value *out)
{
	const struct node *n = &c->e->nodes[idx];
	struct value v;
	int k;

	if (++c->steps > EXPR_MAX_STEPS) {
		set_err(out, E_COST);
		return;
	}
	switch (n->kind) {
	case N_LIT:
		*out = n->u.lit;
		return;
	case N_LIST:
		memset(out, 0, sizeof(*out));
		out->t = V_LIST;
		out->v.agg.node = idx;
		return;
	case N_PATH:
		eval_path(c, n, 0, out);
		return;
	case N_SELECT:
		eval_select(c, n, out);
		return;
	case N_INDEX:
		eval_index(c, n, out);
		return;
	case N_UNARY:
		eval_unary(c, n, out);
		return;
	case N_AND:
	case N_OR:
		eval_logical(c, n, out);
		return;
	case N_COND:
		eval(c, n->kid, &v);
		k = c->e->nodes[n->kid].next;
		if (v.t == V_ERR)
			*out = v;
		else if (v.t != V_BOOL)
			set_overload(out, OP_COND, &v, NULL);
		else
			eval(c, v.v.b ? k : c->e->nodes[k].next, out);
		return;
	case N_BIN:
		eval_bin(c, n, out);
		return;
	case N_CALL:
		eval_call(c, n, out);
		return;
	case N_HAS:
		eval_has(c, n, out);
		return;
	}
	fatalx("expr: bad node kind %d", n->kind);
}

static const struct expr_env empty_env;

int
expr_eval(const struct expr *e, const struct expr_env *env)
{
	struct ectx c;
	struct value v;

	if (env == NULL)
		env = &empty_env;
	c.e = e;
	c.env = env;
	c.steps = 0;
	c.used = 0;
	eval(&c, e->root, &v);
	return v.t == V_BOOL && v.v.b;
}

/* Debug output: an appender that truncates quietly. */
struct out {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->cap == 0 || o->len >= o->cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n :
		    o->cap - o->len - 1;
}

static void
out_quoted(struct out *o, const char *s, size_t len)
{
	size_t i;
	unsigned char ch;

	out_printf(o, "\"");
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			out_printf(o, "\\%c", ch);
		else if (ch == '\n')
			out_printf(o, "\\n");
		else if (ch == '\t')
			out_printf(o, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			out_printf(o, "\\x%02x", ch);
		else
			out_printf(o, "%c", ch);
	}
	out_printf(o, "\"");
}

static void
out_error(struct out *o, const struct value *v)
{
	PCRE2_UCHAR msg[128];
	const char *what = v->v.err.what < OP_COUNT ?
	    op_names[v->v.err.what] : "?";

	out_printf(o, "error: ");
	switch ((enum verr)v->v.err.code) {
	case E_NO_KEY:
		out_printf(o, "no such key '%.*s'", (int)v->v.err.len,
		    v->v.err.p);
		break;
	case E_NO_FIELDS:
		out_printf(o, "cannot select field '%.*s' from a %s",
		    (int)v->v.err.len, v->v.err.p, type_names[v->v.err.t1]);
		break;
	case E_OVERLOAD:
		out_printf(o, "no matching overload for '%s' applied to (%s%s%s)",
		    what, type_names[v->v.err.t1],
		    v->v.err.t2 == NT ? "" : ", ",
		    v->v.err.t2 == NT ? "" : type_names[v->v.err.t2]);
		break;
	case E_DIV_ZERO:
		out_printf(o, "division by zero");
		break;
	case E_MOD_ZERO:
		out_printf(o, "modulus by zero");
		break;
	case E_OVERFLOW:
		out_printf(o, "integer overflow");
		break;
	case E_INDEX:
		out_printf(o, "index out of range");
		break;
	case E_SCRATCH:
		out_printf(o, "strings built by this expression exceed %d "
		    "bytes", EXPR_SCRATCH);
		break;
	case E_REGEX:
		pcre2_get_error_message(v->v.err.aux, msg, sizeof(msg));
		out_printf(o, "regular expression: %s", (const char *)msg);
		break;
	case E_CONVERT:
		out_printf(o, "cannot convert '%.*s' to %s",
		    (int)(v->v.err.len > 64 ? 64 : v->v.err.len), v->v.err.p,
		    what);
		break;
	case E_NO_TOPIC:
		out_printf(o, "no MQTT topic given");
		break;
	case E_EQ_DEPTH:
		out_printf(o, "values nested too deeply to compare");
		break;
	case E_COST:
		out_printf(o, "evaluation cost limit exceeded (%d steps)",
		    EXPR_MAX_STEPS);
		break;
	}
}

static void
out_value(struct ectx *c, struct out *o, const struct value *v, int depth)
{
	struct liter it;
	struct value x;
	char buf[64], *json;
	int first = 1;

	switch (v->t) {
	case V_ERR:
		out_error(o, v);
		break;
	case V_NULL:
		out_printf(o, "null");
		break;
	case V_BOOL:
		out_printf(o, "%s", v->v.b ? "true" : "false");
		break;
	case V_INT:
		out_printf(o, "%" PRId64, v->v.i);
		break;
	case V_UINT:
		out_printf(o, "%" PRIu64 "u", v->v.u);
		break;
	case V_DOUBLE:
		/* Written so that it reads back as a double, not an int. */
		format_double(v->v.d, buf, sizeof(buf));
		out_printf(o, "%s%s", buf, strpbrk(buf, ".eEni") ? "" : ".0");
		break;
	case V_STRING:
		out_quoted(o, v->v.s.p, v->v.s.len);
		break;
	case V_LIST:
		if (v->v.agg.json == NULL && depth < EXPR_MAX_DEPTH) {
			out_printf(o, "[");
			liter_init(c, v, &it);
			while (liter_next(c, &it, &x)) {
				out_printf(o, "%s", first ? "" : ", ");
				first = 0;
				out_value(c, o, &x, depth + 1);
			}
			out_printf(o, "]");
			break;
		}
		/* FALLTHROUGH */
	case V_MAP:
		if (v->v.agg.json == NULL ||
		    (json = cJSON_PrintUnformatted(v->v.agg.json)) == NULL) {
			out_printf(o, "%s", type_names[v->t]);
			break;
		}
		out_printf(o, "%s", json);
		cJSON_free(json);
		break;
	}
}

int
expr_eval_debug(const struct expr *e, const struct expr_env *env,
    char *out, size_t outlen)
{
	struct ectx c;
	struct value v;
	struct out o = { out, 0, outlen };

	if (outlen > 0)
		out[0] = '\0';
	if (env == NULL)
		env = &empty_env;
	c.e = e;
	c.env = env;
	c.steps = 0;
	c.used = 0;
	eval(&c, e->root, &v);
	out_value(&c, &o, &v, 0);
	return v.t == V_BOOL && v.v.b;
}

/* Predicate indexing: see expr_tests() in expr.h. */

/* Writes the path text of PATH node n into out; -1 if it is not offered. */
static int
test_path_text(const struct expr *e, const struct node *n, char *out,
    size_t outlen)
{
	const struct seg *sg;
	size_t len;
	int i;

	if (n->kind != N_PATH || n->u.path.root == NULL ||
	    n->u.path.rootlen >= outlen)
		return -1;
	memcpy(out, n->u.path.root, n->u.path.rootlen);
	len = n->u.path.rootlen;
	for (i = 0; i < n->u.path.nseg; i++) {
		sg = &e->segs[n->u.path.seg + i];
		if (sg->is_index || !sg->is_field || sg->len == 0 ||
		    len + 1 + sg->len >= outlen)
			return -1;
		out[len++] = '.';
		memcpy(out + len, sg->key, sg->len);
		len += sg->len;
	}
	out[len] = '\0';
	return 0;
}

static int
is_string_lit(const struct node *n)
{
	return n->kind == N_LIT && n->u.lit.t == V_STRING;
}

static int
is_num_lit(const struct node *n)
{
	return n->kind == N_LIT && is_num(&n->u.lit);
}

/* PATH op N for N op PATH. */
static enum expr_test_op
op_turned(enum op op)
{
	switch (op) {
	case OP_LT: return EXPR_OP_GT;
	case OP_LE: return EXPR_OP_GE;
	case OP_GT: return EXPR_OP_LT;
	default: return EXPR_OP_LE;
	}
}

static enum expr_test_op
op_public(enum op op)
{
	switch (op) {
	case OP_LT: return EXPR_OP_LT;
	case OP_LE: return EXPR_OP_LE;
	case OP_GT: return EXPR_OP_GT;
	default: return EXPR_OP_GE;
	}
}

/* Fills t if node n is an indexable test; returns 0, or -1 if it is not. */
static int
test_of(const struct expr *e, int n, struct expr_test *t)
{
	const struct node *b = &e->nodes[n], *l, *r, *x;
	int k, order;

	if (b->kind != N_BIN)
		return -1;
	order = b->op == OP_LT || b->op == OP_LE || b->op == OP_GT ||
	    b->op == OP_GE;
	if (b->op != OP_EQ && b->op != OP_IN && !order)
		return -1;
	l = &e->nodes[b->kid];
	r = &e->nodes[l->next];
	t->op = order ? op_public((enum op)b->op) : EXPR_OP_LT;
	if (l->kind == N_LIT && r->kind == N_PATH && b->op != OP_IN) {
		x = l;
		l = r;
		r = x;
		if (order)
			t->op = op_turned((enum op)b->op);
	}
	if (test_path_text(e, l, t->path, sizeof(t->path)) == -1)
		return -1;
	t->kind = order ? EXPR_TEST_ORDER : EXPR_TEST_STRINGS;
	t->nvalues = 0;
	if (order) {
		/* A NaN constant would have no place in a sorted index. */
		if (!is_num_lit(r) || (r->u.lit.t == V_DOUBLE &&
		    isnan(r->u.lit.v.d)))
			return -1;
	} else if (b->op == OP_EQ) {
		if (!is_string_lit(r))
			return -1;
		t->nvalues = 1;
	} else {
		if (r->kind != N_LIST)
			return -1;
		for (k = r->kid; k >= 0; k = e->nodes[k].next)
			if (!is_string_lit(&e->nodes[k]))
				return -1;
		t->nvalues = (size_t)r->nkids;
	}
	t->e = e;
	t->path_node = (int)(l - e->nodes);
	t->value_node = (int)(r - e->nodes);
	return 0;
}

/* Collects the tests among the operands of the '&&' chain at node n. */
static void
tests_collect(const struct expr *e, int n, struct expr_test *out, size_t max,
    size_t *count)
{
	struct expr_test t;
	int k;

	if (e->nodes[n].kind == N_AND) {
		for (k = e->nodes[n].kid; k >= 0; k = e->nodes[k].next)
			tests_collect(e, k, out, max, count);
		return;
	}
	if (test_of(e, n, &t) == -1)
		return;
	if (*count < max)
		out[*count] = t;
	(*count)++;
}

size_t
expr_tests(const struct expr *e, struct expr_test *out, size_t max)
{
	size_t count = 0;

	tests_collect(e, e->root, out, max, &count);
	return count;
}

const char *
expr_test_value(const struct expr_test *t, size_t i, size_t *len)
{
	const struct node *n = &t->e->nodes[t->value_node];
	int k;

	if (n->kind == N_LIST) {
		for (k = n->kid; i > 0; i--)
			k = t->e->nodes[k].next;
		n = &t->e->nodes[k];
	}
	*len = n->u.lit.v.s.len;
	return n->u.lit.v.s.p;
}

/* The value at t's path in env's event. */
static void
test_path_value(const struct expr_test *t, const struct expr_env *env,
    struct value *v)
{
	struct ectx c;

	c.e = t->e;
	c.env = env;
	c.steps = 0;
	c.used = 0;
	eval_path(&c, &t->e->nodes[t->path_node], 0, v);
}

int
expr_test_field(const struct expr_test *t, const struct expr_env *env,
    const char **s, size_t *len)
{
	struct value v;

	test_path_value(t, env, &v);
	if (v.t != V_STRING)
		return 0;
	*s = v.v.s.p;
	*len = v.v.s.len;
	return 1;
}

int
expr_test_number(const struct expr_test *t, const struct expr_env *env,
    double *out)
{
	struct value v;

	test_path_value(t, env, &v);
	/* Event fields are cJSON numbers, which the evaluator sees as doubles. */
	if (v.t != V_DOUBLE)
		return 0;
	*out = v.v.d;
	return 1;
}

int
expr_test_order(double field, const struct expr_test *t)
{
	struct value f;

	memset(&f, 0, sizeof(f));
	f.t = V_DOUBLE;
	f.v.d = field;
	return num_cmp(&f, &t->e->nodes[t->value_node].u.lit);
}

int
expr_test_const_cmp(const struct expr_test *a, const struct expr_test *b)
{
	return num_cmp(&a->e->nodes[a->value_node].u.lit,
	    &b->e->nodes[b->value_node].u.lit);
}
