/*
 * rules: the rule model, the YAML loader and the JSON form; see rules.h.
 *
 * Loading a file goes in two steps. First libyaml's event parser turns the
 * text into a small tree of our own (struct ynode: scalars, sequences and
 * mappings, each with the line and column where it starts), refusing what a
 * rule file never needs and an attacker could abuse: aliases and anchors
 * (no "billion laughs"), tags, more than one document, nesting deeper than
 * RULES_MAX_DEPTH, more than RULES_MAX_NODES values. Then one builder walks
 * the tree and makes the rules, reporting every problem it finds with the
 * position of the offending node, and carrying on so that one run lists all
 * of them. rule_from_json() converts a cJSON value into the same tree
 * (without positions) and runs the same builder, so a rule stored in
 * PostgreSQL is checked exactly like one read from a file.
 *
 * Positions inside a value. A predicate ("when") or a template that fails
 * to compile reports a line and column inside its own text; the loader turns
 * that into a position in the file. It rebuilds the scalar's value from the
 * file text, following YAML's rules for the scalar's style (plain and quoted
 * scalars fold line breaks into spaces; quoted ones have escapes; literal
 * blocks "|" keep lines and drop their indentation; folded blocks ">" join
 * lines), and records where each character of the value came from. If the
 * rebuilt value differs from the one libyaml produced (an exotic case: an
 * explicit indentation indicator, tabs, more-indented lines in a folded
 * block), the guess is thrown away and the error is reported at the start
 * of the value with the inner position spelled out ("predicate: line 2,
 * column 5: ..."), never at a wrong place. This work happens only for a
 * value that has an error.
 *
 * Scalars follow YAML 1.2's core schema where it matters: only true/false
 * (any case style) are booleans (not yes/no/on/off), only plain decimal
 * digits are integers, and a quoted scalar is always a string.
 */
#include "rules.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "log.h"
#include "topic.h"
#include "util.h"

struct rule {
	char *name;
	char *description;
	int enabled;
	int priority;
	char *topic;		/* as written, {site} not yet replaced */
	char *filter;		/* {site} replaced */
	char *when;
	struct expr *pred;
	struct rule_action *actions;
	size_t nactions;
};

struct ruleset {
	struct rule **rule;
	size_t n, cap;
};

/* ------------------------------------------------------------------ */
/* Error lists                                                          */

void
rule_errors_init(struct rule_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void
rule_errors_clear(struct rule_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->count; i++)
		free(errs->msg[i]);
	memset(errs, 0, sizeof(*errs));
}

/* Takes msg. Returns its index in errs->msg, or -1 if it was not kept. */
static int
errors_add_take(struct rule_errors *errs, char *msg)
{
	if (errs != NULL)
		errs->total++;
	if (errs == NULL || errs->count == RULE_ERRORS_MAX) {
		free(msg);
		return -1;
	}
	errs->msg[errs->count] = msg;
	return (int)errs->count++;
}

/* ------------------------------------------------------------------ */
/* The document tree                                                    */

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	int plain;		/* unquoted scalar: may be a number/bool/null */
	int style;		/* yaml_scalar_style_t; 0 from JSON */
	int bad;		/* an error was reported here: skip quietly */
	size_t line, col;	/* 1-based start; 0 when not from a file */
	size_t eline, ecol;	/* 1-based position just after the node */
	char *s;		/* scalar value, NUL-terminated */
	size_t len;
	struct ynode **kid;	/* items; for a map key, value, key, value... */
	size_t n, cap;
};

static void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		ynode_free(n->kid[i]);
	free(n->kid);
	free(n->s);
	free(n);
}

static void
ynode_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kid = xrealloc(parent->kid,
		    parent->cap * sizeof(*parent->kid));
	}
	parent->kid[parent->n++] = kid;
}

/* ------------------------------------------------------------------ */
/* Where lines start in the file text, for positions inside values      */

struct srcmap {
	const char *text;
	size_t len;
	size_t *line;		/* byte offset of the start of each line */
	size_t nline;
};

/*
 * Length of the line break at p (limit: end), or 0. These are libyaml's
 * breaks: CR LF, CR, LF, NEL, LS, PS; so our line numbers are its numbers.
 */
static size_t
brk_len(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);

	if (n == 0)
		return 0;
	if (u[0] == '\r')
		return n >= 2 && u[1] == '\n' ? 2 : 1;
	if (u[0] == '\n')
		return 1;
	if (n >= 2 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

/* Bytes of the UTF-8 character at p (1 for a stray byte), at most end-p. */
static size_t
char_len(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	return n <= (size_t)(end - p) ? n : (size_t)(end - p);
}

/* Characters (code points) in s[0..n). */
static size_t
count_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static void
srcmap_init(struct srcmap *m, const char *text, size_t len)
{
	size_t i = 0, cap = 64, b;

	m->text = text;
	m->len = len;
	m->line = xmalloc(cap * sizeof(*m->line));
	m->nline = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;	/* libyaml does not count the BOM as a column */
	m->line[m->nline++] = i;
	while (i < len) {
		if ((b = brk_len(text + i, text + len)) == 0) {
			i++;
			continue;
		}
		i += b;
		if (m->nline == cap) {
			cap *= 2;
			m->line = xrealloc(m->line, cap * sizeof(*m->line));
		}
		m->line[m->nline++] = i;
	}
}

static void
srcmap_free(struct srcmap *m)
{
	if (m != NULL)
		free(m->line);
}

/* Byte offset of 1-based (line, col), or -1 if it is not in the text. */
static int
srcmap_offset(const struct srcmap *m, size_t line, size_t col, size_t *off)
{
	const char *end = m->text + m->len;
	size_t i;

	if (line == 0 || line > m->nline || col == 0)
		return -1;
	i = m->line[line - 1];
	while (--col > 0) {
		if (i >= m->len || brk_len(m->text + i, end) != 0)
			return -1;
		i += char_len(m->text + i, end);
	}
	*off = i;
	return 0;
}

/* 1-based (line, col) of byte offset off (for libyaml's reader errors). */
static void
srcmap_pos(const struct srcmap *m, size_t off, size_t *line, size_t *col)
{
	size_t lo = 0, hi = m->nline, i;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->line[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = lo + 1;
	*col = 1;
	for (i = m->line[lo]; i < off && i < m->len; i++)
		if (((unsigned char)m->text[i] & 0xc0) != 0x80)
			(*col)++;
}

/*
 * A value rebuilt from the file text: its characters (code points; WILD
 * for an escape sequence, which matches any character) and where each came
 * from.
 */
#define WILD 0xffffffffu

struct rebuilt {
	uint32_t *cp;
	size_t *line, *col;
	size_t n, cap;
};

static void
rebuilt_add(struct rebuilt *rb, uint32_t cp, size_t line, size_t col)
{
	if (rb->n == rb->cap) {
		rb->cap = rb->cap ? rb->cap * 2 : 64;
		rb->cp = xrealloc(rb->cp, rb->cap * sizeof(*rb->cp));
		rb->line = xrealloc(rb->line, rb->cap * sizeof(*rb->line));
		rb->col = xrealloc(rb->col, rb->cap * sizeof(*rb->col));
	}
	rb->cp[rb->n] = cp;
	rb->line[rb->n] = line;
	rb->col[rb->n] = col;
	rb->n++;
}

static void
rebuilt_free(struct rebuilt *rb)
{
	free(rb->cp);
	free(rb->line);
	free(rb->col);
}

/* Decodes the character at p (any bytes: a stray byte is itself). */
static uint32_t
decode(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t c;
	size_t i;

	if (n == 1)
		return u[0];
	c = u[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	for (i = 1; i < n; i++)
		c = (c << 6) | (u[i] & 0x3f);
	return c;
}

/*
 * Plain, single- and double-quoted scalars between byte offsets i and end
 * (inside the quotes): lines are folded, a break and the white space
 * around it become one space, or n-1 newlines when n breaks follow each
 * other (YAML 1.2 §6.5, §7.3).
 */
static void
rebuild_flow(const struct srcmap *m, size_t i, size_t end, size_t line,
    size_t col, int quote, struct rebuilt *rb)
{
	const char *t = m->text, *tend = m->text + end;
	size_t b, k, bline, bcol, extra;

	while (i < end) {
		if ((b = brk_len(t + i, tend)) != 0) {
			while (rb->n > 0 && (rb->cp[rb->n - 1] == ' ' ||
			    rb->cp[rb->n - 1] == '\t'))
				rb->n--;
			bline = line;
			bcol = col;
			i += b;
			line++;
			col = 1;
			for (extra = 0;;) {
				while (i < end && (t[i] == ' ' ||
				    t[i] == '\t')) {
					i++;
					col++;
				}
				if ((b = brk_len(t + i, tend)) == 0)
					break;
				extra++;
				i += b;
				line++;
				col = 1;
			}
			if (extra == 0)
				rebuilt_add(rb, ' ', bline, bcol);
			while (extra-- > 0)
				rebuilt_add(rb, '\n', bline, bcol);
			continue;
		}
		if (quote == '\'' && t[i] == '\'' && i + 1 < end &&
		    t[i + 1] == '\'') {
			rebuilt_add(rb, '\'', line, col);
			i += 2;
			col += 2;
			continue;
		}
		if (quote == '"' && t[i] == '\\' && i + 1 < end) {
			if ((b = brk_len(t + i + 1, tend)) != 0) {
				/* An escaped break joins the lines. */
				i += 1 + b;
				line++;
				col = 1;
				while (i < end && (t[i] == ' ' ||
				    t[i] == '\t')) {
					i++;
					col++;
				}
				continue;
			}
			k = t[i + 1] == 'x' ? 4 : t[i + 1] == 'u' ? 6 :
			    t[i + 1] == 'U' ? 10 : 2;
			rebuilt_add(rb, WILD, line, col);
			i += k;
			col += k;
			continue;
		}
		k = char_len(t + i, tend);
		rebuilt_add(rb, decode(t + i, k), line, col);
		i += k;
		col++;
	}
}

/*
 * Literal ("|") and folded (">") block scalars; start is the offset of the
 * indicator. Returns -1 for what this does not model (an explicit
 * indentation indicator).
 */
static int
rebuild_block(const struct srcmap *m, size_t start, size_t end, size_t line,
    int folded, struct rebuilt *rb)
{
	const char *t = m->text, *tend = m->text + end;
	size_t i = start, j, b, k, indent = 0, sp, pline = 0, pcol = 0;
	size_t blank = 0;
	int pending = 0;

	/* The header: indicators and maybe a comment, then a break. */
	while (i < end && brk_len(t + i, tend) == 0) {
		if (t[i] >= '1' && t[i] <= '9' && i < start + 3)
			return -1;
		i++;
	}
	if (i >= end)
		return -1;
	i += brk_len(t + i, tend);
	line++;
	/* The indentation is that of the first non-empty line. */
	for (j = i; j < end;) {
		for (sp = 0; j < end && t[j] == ' '; j++)
			sp++;
		if ((b = brk_len(t + j, tend)) == 0) {
			indent = sp;
			break;
		}
		j += b;
	}
	if (indent == 0)
		return -1;
	while (i < end) {
		for (sp = 0; i < end && t[i] == ' ' && sp < indent; i++)
			sp++;
		b = brk_len(t + i, tend);
		if (b != 0 || i >= end) {
			/* An empty line. */
			if (folded)
				blank++;
			else
				rebuilt_add(rb, '\n', line, sp + 1);
			if (b == 0)
				break;
			i += b;
			line++;
			continue;
		}
		if (sp < indent)
			break;	/* less indented: the block ended */
		if (folded && pending) {
			if (blank > 0) {
				while (blank-- > 0)
					rebuilt_add(rb, '\n', pline, pcol);
			} else {
				rebuilt_add(rb, ' ', pline, pcol);
			}
		}
		blank = 0;
		for (k = indent + 1; i < end && brk_len(t + i, tend) == 0;
		    k++) {
			b = char_len(t + i, tend);
			rebuilt_add(rb, decode(t + i, b), line, k);
			i += b;
		}
		if (folded) {
			pending = 1;
			pline = line;
			pcol = k;
		} else {
			rebuilt_add(rb, '\n', line, k);
		}
		if (i < end) {
			i += brk_len(t + i, tend);
			line++;
		}
	}
	if (folded && pending)
		rebuilt_add(rb, '\n', pline, pcol);
	return 0;
}

/*
 * Finds the file position of the character at 1-based (vline, vcol) inside
 * the value of scalar n, counting lines and characters as hub/expr.c and
 * hub/template.c do. Returns 0, or -1 when n has no file position or its
 * value could not be rebuilt faithfully.
 */
static int
scalar_locate(const struct srcmap *m, const struct ynode *n, size_t vline,
    size_t vcol, size_t *line, size_t *col)
{
	struct rebuilt rb = {0};
	size_t start, end, i, idx, nv, vl, vc, cmp;
	uint32_t *v = NULL;
	int rc = -1, block;

	if (m == NULL || n->line == 0 || n->kind != Y_SCALAR ||
	    srcmap_offset(m, n->line, n->col, &start) == -1 ||
	    srcmap_offset(m, n->eline, n->ecol, &end) == -1 || end < start)
		return -1;
	block = n->style == YAML_LITERAL_SCALAR_STYLE ||
	    n->style == YAML_FOLDED_SCALAR_STYLE;
	switch (n->style) {
	case YAML_PLAIN_SCALAR_STYLE:
		rebuild_flow(m, start, end, n->line, n->col, 0, &rb);
		break;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		if (end - start < 2)
			goto out;
		rebuild_flow(m, start + 1, end - 1, n->line, n->col + 1,
		    n->style == YAML_SINGLE_QUOTED_SCALAR_STYLE ? '\'' : '"',
		    &rb);
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		if (rebuild_block(m, start, end, n->line,
		    n->style == YAML_FOLDED_SCALAR_STYLE, &rb) == -1)
			goto out;
		break;
	default:
		goto out;
	}
	/* The value as code points. */
	v = xmalloc((n->len + 1) * sizeof(*v));
	for (nv = 0, i = 0; i < n->len; nv++) {
		size_t k = char_len(n->s + i, n->s + n->len);

		v[nv] = decode(n->s + i, k);
		i += k;
	}
	/* Compare, ignoring the final newlines of blocks (chomping). */
	cmp = nv;
	if (block) {
		while (cmp > 0 && v[cmp - 1] == '\n')
			cmp--;
		while (rb.n > 0 && rb.cp[rb.n - 1] == '\n' && rb.n > cmp + 1)
			rb.n--;
		if (rb.n > cmp && rb.cp[cmp] != '\n')
			goto out;
		if (rb.n < cmp)
			goto out;
	} else if (rb.n != nv) {
		goto out;
	}
	for (i = 0; i < cmp; i++)
		if (rb.cp[i] != WILD && rb.cp[i] != v[i])
			goto out;
	/* The value's character at (vline, vcol). */
	vl = vc = 1;
	for (idx = 0; idx < nv && !(vl == vline && vc == vcol); idx++) {
		if (v[idx] == '\n' || (v[idx] == '\r' && (idx + 1 >= nv ||
		    v[idx + 1] != '\n'))) {
			vl++;
			vc = 1;
		} else if (v[idx] != '\r') {
			vc++;
		}
	}
	if (!(vl == vline && vc == vcol))
		goto out;
	if (idx < rb.n) {
		*line = rb.line[idx];
		*col = rb.col[idx];
	} else if (rb.n == 0) {
		*line = n->line;
		*col = n->col;
	} else if (rb.cp[rb.n - 1] == '\n') {
		*line = rb.line[rb.n - 1];
		*col = rb.col[rb.n - 1];
	} else {
		*line = rb.line[rb.n - 1];
		*col = rb.col[rb.n - 1] + 1;
	}
	rc = 0;
out:
	free(v);
	rebuilt_free(&rb);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The builder's context and its error messages                         */

struct ctx {
	const char *file;		/* NULL: JSON, no positions */
	const char *site;
	const struct srcmap *src;	/* NULL for JSON */
	struct rule_errors *errs;
	size_t nerr;			/* errors so far (errs may be NULL) */
	size_t nodes;			/* tree size, against RULES_MAX_NODES */
	const char *label;		/* "rule 'x'" while building one */
	char labelbuf[96];
	/* Positions of the messages kept in errs, to sort them. */
	size_t eline[RULE_ERRORS_MAX], ecol[RULE_ERRORS_MAX];
	size_t ebase;			/* errs->count when the load began */
};

static void __attribute__((format(printf, 4, 0)))
verr_at(struct ctx *c, size_t line, size_t col, const char *fmt, va_list ap)
{
	char msg[512];
	char *full;
	int i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (c->file != NULL && line > 0)
		full = xasprintf("%s:%zu:%zu: %s%s%s", c->file, line, col,
		    c->label ? c->label : "", c->label ? ": " : "", msg);
	else if (c->file != NULL)
		full = xasprintf("%s: %s%s%s", c->file,
		    c->label ? c->label : "", c->label ? ": " : "", msg);
	else
		full = xasprintf("%s%s%s", c->label ? c->label : "",
		    c->label ? ": " : "", msg);
	c->nerr++;
	if ((i = errors_add_take(c->errs, full)) >= 0) {
		c->eline[i] = line;
		c->ecol[i] = col;
	}
}

/*
 * Puts the messages of this load in file order. The builder finds some
 * errors after others that stand earlier in the file (a missing key is
 * noticed after the keys that are there; anchors while parsing, before
 * any rule is built); a reader wants them in the order of the file. The
 * sort is stable, and messages without a position come first.
 */
static void
errors_sort(struct ctx *c)
{
	size_t i, j, l, k;
	char *m;

	if (c->errs == NULL)
		return;
	for (i = c->ebase + 1; i < c->errs->count; i++) {
		m = c->errs->msg[i];
		l = c->eline[i];
		k = c->ecol[i];
		for (j = i; j > c->ebase && (c->eline[j - 1] > l ||
		    (c->eline[j - 1] == l && c->ecol[j - 1] > k)); j--) {
			c->errs->msg[j] = c->errs->msg[j - 1];
			c->eline[j] = c->eline[j - 1];
			c->ecol[j] = c->ecol[j - 1];
		}
		c->errs->msg[j] = m;
		c->eline[j] = l;
		c->ecol[j] = k;
	}
}

static void __attribute__((format(printf, 4, 5)))
err_at(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(c, line, col, fmt, ap);
	va_end(ap);
}

/* An error about node n, reported where n starts. */
static void __attribute__((format(printf, 3, 4)))
err_node(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(c, n != NULL ? n->line : 0, n != NULL ? n->col : 0, fmt, ap);
	va_end(ap);
}

/* Reads a decimal number at *p; advances *p. 0 if there is none. */
static size_t
read_num(const char **p)
{
	size_t v = 0;
	int any = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < SIZE_MAX / 16)
			v = v * 10 + (size_t)(**p - '0');
		(*p)++;
		any = 1;
	}
	return any ? v : 0;
}

/*
 * An error from compiling the text of scalar n (a predicate or a
 * template), whose message starts with "line L, column C: " or
 * "column C: ". Reported at that spot in the file when it can be found,
 * else at the start of n with the inner position kept in the text.
 */
static void
err_inner(struct ctx *c, const struct ynode *n, const char *what,
    const char *msg)
{
	const char *p = msg;
	size_t vline = 1, vcol = 0, line, col;

	if (strncmp(p, "line ", 5) == 0) {
		p += 5;
		vline = read_num(&p);
		if (strncmp(p, ", ", 2) == 0)
			p += 2;
	}
	if (strncmp(p, "column ", 7) == 0) {
		p += 7;
		vcol = read_num(&p);
		if (strncmp(p, ": ", 2) == 0)
			p += 2;
	}
	if (vline == 0 || vcol == 0 || p == msg ||
	    scalar_locate(c->src, n, vline, vcol, &line, &col) == -1) {
		err_node(c, n, "%s: %s", what, msg);
		return;
	}
	err_at(c, line, col, "%s: %s", what, p);
}

/* ------------------------------------------------------------------ */
/* YAML text to tree                                                    */

static struct ynode *
ynode_new(struct ctx *c, enum ykind kind, const yaml_mark_t *start,
    const yaml_mark_t *end)
{
	struct ynode *n;

	if (++c->nodes > RULES_MAX_NODES)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	if (start != NULL) {
		n->line = start->line + 1;
		n->col = start->column + 1;
	}
	if (end != NULL) {
		n->eline = end->line + 1;
		n->ecol = end->column + 1;
	}
	return n;
}

static void
yaml_syntax_error(struct ctx *c, const yaml_parser_t *p)
{
	size_t line, col;

	if (p->error == YAML_MEMORY_ERROR)
		fatal("out of memory (libyaml)");
	if (p->error == YAML_READER_ERROR) {
		srcmap_pos(c->src, p->problem_offset, &line, &col);
		err_at(c, line, col, "YAML: %s", p->problem ? p->problem :
		    "cannot read the text");
	} else if (p->context != NULL) {
		err_at(c, p->problem_mark.line + 1, p->problem_mark.column + 1,
		    "YAML: %s (%s at %zu:%zu)", p->problem ? p->problem :
		    "syntax error", p->context, p->context_mark.line + 1,
		    p->context_mark.column + 1);
	} else {
		err_at(c, p->problem_mark.line + 1, p->problem_mark.column + 1,
		    "YAML: %s", p->problem ? p->problem : "syntax error");
	}
}

/* Anchors and tags buy nothing in a rule file; say so where they stand. */
static void
yaml_props(struct ctx *c, const yaml_event_t *ev, const yaml_char_t *anchor,
    const yaml_char_t *tag)
{
	if (anchor != NULL)
		err_at(c, ev->start_mark.line + 1, ev->start_mark.column + 1,
		    "YAML anchors and aliases are not supported (&%.40s)",
		    (const char *)anchor);
	if (tag != NULL)
		err_at(c, ev->start_mark.line + 1, ev->start_mark.column + 1,
		    "YAML tags are not supported (%.60s)", (const char *)tag);
}

/*
 * Parses text into a tree. Returns the root, or NULL when the text is not
 * one well-formed YAML document within the limits (errors reported). An
 * empty document gives NULL with *empty set.
 */
static struct ynode *
yaml_tree(struct ctx *c, const char *text, size_t len, int *empty)
{
	struct ynode *stack[RULES_MAX_DEPTH + 1], *root = NULL, *n, *top;
	yaml_parser_t p;
	yaml_event_t ev;
	size_t depth = 0;
	int docs = 0, done = 0, ok = 1;

	*empty = 0;
	if (!yaml_parser_initialize(&p))
		fatal("out of memory (libyaml)");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_syntax_error(c, &p);
			ok = 0;
			break;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				err_at(c, ev.start_mark.line + 1,
				    ev.start_mark.column + 1, "a rule file "
				    "holds one YAML document (found a second "
				    "'---')");
				ok = 0;
				done = 1;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT:
			err_at(c, ev.start_mark.line + 1,
			    ev.start_mark.column + 1, "YAML anchors and "
			    "aliases are not supported (*%.40s)",
			    (const char *)ev.data.alias.anchor);
			if ((n = ynode_new(c, Y_SCALAR, &ev.start_mark,
			    &ev.end_mark)) != NULL) {
				n->s = xstrdup("");
				n->bad = 1;
			}
			break;
		case YAML_SCALAR_EVENT:
			yaml_props(c, &ev, ev.data.scalar.anchor,
			    ev.data.scalar.tag);
			if ((n = ynode_new(c, Y_SCALAR, &ev.start_mark,
			    &ev.end_mark)) == NULL)
				break;
			n->s = xstrndup((const char *)ev.data.scalar.value,
			    ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			n->style = (int)ev.data.scalar.style;
			n->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;
			if (strlen(n->s) != n->len) {
				err_node(c, n, "NUL character in a value");
				n->bad = 1;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (ev.type == YAML_SEQUENCE_START_EVENT)
				yaml_props(c, &ev,
				    ev.data.sequence_start.anchor,
				    ev.data.sequence_start.tag);
			else
				yaml_props(c, &ev, ev.data.mapping_start.anchor,
				    ev.data.mapping_start.tag);
			if (depth == RULES_MAX_DEPTH) {
				err_at(c, ev.start_mark.line + 1,
				    ev.start_mark.column + 1, "nested too "
				    "deeply (more than %d levels)",
				    RULES_MAX_DEPTH);
				ok = 0;
				done = 1;
				break;
			}
			n = ynode_new(c, ev.type == YAML_SEQUENCE_START_EVENT ?
			    Y_SEQ : Y_MAP, &ev.start_mark, &ev.end_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0) {
				top = stack[--depth];
				top->eline = ev.end_mark.line + 1;
				top->ecol = ev.end_mark.column + 1;
			}
			break;
		default:
			break;
		}
		if (ok && !done && n == NULL && c->nodes > RULES_MAX_NODES) {
			err_at(c, ev.start_mark.line + 1,
			    ev.start_mark.column + 1, "too many values "
			    "(more than %d)", RULES_MAX_NODES);
			ok = 0;
			done = 1;
		}
		if (n != NULL) {
			if (depth == 0) {
				root = n;
			} else {
				top = stack[depth - 1];
				if (top->kind == Y_MAP && top->n % 2 == 0 &&
				    n->kind != Y_SCALAR) {
					err_node(c, n, "a mapping key must "
					    "be a plain string");
					n->bad = 1;
				}
				ynode_add(top, n);
			}
			if (n->kind != Y_SCALAR)
				stack[depth++] = n;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (!ok) {
		ynode_free(root);
		return NULL;
	}
	if (root == NULL)
		*empty = 1;
	return root;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                              */

static const char *
ydesc(const struct ynode *n)
{
	if (n == NULL)
		return "nothing";
	if (n->kind == Y_SEQ)
		return "a list";
	if (n->kind == Y_MAP)
		return "a mapping";
	if (n->plain && (n->len == 0 || strcmp(n->s, "~") == 0 ||
	    strcmp(n->s, "null") == 0 || strcmp(n->s, "Null") == 0 ||
	    strcmp(n->s, "NULL") == 0))
		return "nothing";
	return "a string";
}

static int
is_null(const struct ynode *n)
{
	return n->kind == Y_SCALAR && strcmp(ydesc(n), "nothing") == 0;
}

/* The text of a string value, or NULL (error reported). */
static const char *
get_str(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->bad)
		return NULL;
	if (n->kind != Y_SCALAR || is_null(n)) {
		err_node(c, n, "%s: expected a string, found %s", what,
		    ydesc(n));
		return NULL;
	}
	return n->s;
}

static int
get_int(struct ctx *c, const struct ynode *n, const char *what, long min,
    long max, long *out)
{
	if (n->bad)
		return -1;
	if (n->kind != Y_SCALAR || !n->plain || n->len == 0 ||
	    strspn(n->s + (n->s[0] == '-' || n->s[0] == '+'), "0123456789") !=
	    n->len - (n->s[0] == '-' || n->s[0] == '+') ||
	    parse_long(n->s, min, max, out) == -1) {
		if (n->kind == Y_SCALAR && !is_null(n))
			err_node(c, n, "%s: expected a whole number from %ld "
			    "to %ld, found %s'%.40s'", what, min, max,
			    n->plain ? "" : "the quoted string ", n->s);
		else
			err_node(c, n, "%s: expected a whole number, found %s",
			    what, ydesc(n));
		return -1;
	}
	return 0;
}

static int
get_bool(struct ctx *c, const struct ynode *n, const char *what, int *out)
{
	if (n->bad)
		return -1;
	if (n->kind == Y_SCALAR && n->plain &&
	    (strcmp(n->s, "true") == 0 || strcmp(n->s, "True") == 0 ||
	    strcmp(n->s, "TRUE") == 0)) {
		*out = 1;
		return 0;
	}
	if (n->kind == Y_SCALAR && n->plain &&
	    (strcmp(n->s, "false") == 0 || strcmp(n->s, "False") == 0 ||
	    strcmp(n->s, "FALSE") == 0)) {
		*out = 0;
		return 0;
	}
	if (n->kind == Y_SCALAR && !is_null(n))
		err_node(c, n, "%s: expected true or false, found %s'%.40s'",
		    what, n->plain ? "" : "the quoted string ", n->s);
	else
		err_node(c, n, "%s: expected true or false, found %s", what,
		    ydesc(n));
	return -1;
}

/* ------------------------------------------------------------------ */
/* Mappings with a fixed set of keys                                    */

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[33], prev, tmp;

	if (la > 32 || lb > 32)
		return 99;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (d[j] + 1 < best)
				best = d[j] + 1;
			if (d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			tmp = d[j];
			d[j] = best;
			prev = tmp;
		}
	}
	return d[lb];
}

/*
 * Checks the keys of mapping m against names[] and fills vals[i] with the
 * value of names[i] (or NULL). Reports unknown keys (suggesting the nearest
 * name), repeated keys and missing required keys (bit i of required).
 * what prefixes the messages ("" or "case: "). Returns 0 if m is a mapping,
 * even with errors in its keys, else -1.
 */
static int
map_keys(struct ctx *c, const struct ynode *m, const char *what,
    const char *const *names, size_t nnames, unsigned required,
    const struct ynode **vals)
{
	char list[256];
	size_t i, k, best, bestd, d;

	for (k = 0; k < nnames; k++)
		vals[k] = NULL;
	if (m->bad)
		return -1;
	if (m->kind != Y_MAP) {
		list[0] = '\0';
		for (k = 0; k < nnames; k++)
			snprintf(list + strlen(list),
			    sizeof(list) - strlen(list), "%s%s",
			    k ? ", " : "", names[k]);
		err_node(c, m, "%sexpected a mapping (%s), found %s", what,
		    list, ydesc(m));
		return -1;
	}
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *key = m->kid[i];

		if (key->bad)
			continue;
		for (k = 0; k < nnames; k++)
			if (strcmp(key->s, names[k]) == 0)
				break;
		if (k < nnames && vals[k] != NULL) {
			err_node(c, key, "%sduplicate key '%s'", what,
			    names[k]);
			continue;
		}
		if (k < nnames) {
			vals[k] = m->kid[i + 1];
			continue;
		}
		bestd = 99;
		best = 0;
		for (k = 0; k < nnames; k++) {
			d = edit_distance(key->s, names[k]);
			if (d < bestd) {
				bestd = d;
				best = k;
			}
		}
		if (bestd <= 2 && bestd < strlen(key->s)) {
			err_node(c, key, "%sunknown key '%.40s' (did you mean "
			    "'%s'?)", what, key->s, names[best]);
		} else {
			list[0] = '\0';
			for (k = 0; k < nnames; k++)
				snprintf(list + strlen(list),
				    sizeof(list) - strlen(list), "%s%s",
				    k ? ", " : "", names[k]);
			err_node(c, key, "%sunknown key '%.40s' (%s)", what,
			    key->s, list);
		}
	}
	for (k = 0; k < nnames; k++)
		if ((required & (1u << k)) && vals[k] == NULL)
			err_node(c, m, "%smissing key '%s'", what, names[k]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rules and actions                                                    */

static const char *const severity_names[] = {
	"critical", "major", "minor", "warning",
};

static const char *const action_names[] = {
	"route", "case", "alert", "redact", "stop",
};

const char *
rule_severity_name(enum rule_severity sev)
{
	return (size_t)sev < nitems(severity_names) ? severity_names[sev] :
	    "?";
}

const char *
rule_action_name(enum rule_action_kind kind)
{
	return (size_t)kind < nitems(action_names) ? action_names[kind] : "?";
}

/* [a-z0-9-]{1,64}, not starting with '-' (it would read as an option). */
static int
name_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= RULES_MAX_NAME && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* An OPD name as the envelope schema has it: ^[a-z][a-z0-9_-]{1,31}$. */
static int
opd_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && n <= 32 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* A policy name: ^[a-z][a-z0-9_-]{0,63}$. */
static int
policy_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* "data.a.b": keys of letters, digits, '_', '-'; at most 16 of them. */
static int
field_valid(const char *s)
{
	size_t n = strlen(s), keys = 0, i, run = 0;

	if (n > 256 || strncmp(s, "data.", 5) != 0)
		return 0;
	for (i = 5; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (run == 0 || ++keys > TEMPLATE_MAX_KEYS)
				return 0;
			run = 0;
		} else if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
		    "QRSTUVWXYZ0123456789_-", s[i]) != NULL) {
			run++;
		} else {
			return 0;
		}
	}
	return 1;
}

static int
parse_severity(struct ctx *c, const struct ynode *n, const char *what,
    enum rule_severity *out)
{
	const char *s;
	size_t i;

	if ((s = get_str(c, n, what)) == NULL)
		return -1;
	for (i = 0; i < nitems(severity_names); i++) {
		if (strcmp(s, severity_names[i]) == 0) {
			*out = (enum rule_severity)i;
			return 0;
		}
	}
	err_node(c, n, "%s: unknown severity '%.40s' (critical, major, minor, "
	    "warning)", what, s);
	return -1;
}

/* Compiles the template in n; NULL on error (reported). */
static struct template *
parse_template(struct ctx *c, const struct ynode *n, const char *what)
{
	struct template *t;
	const char *s;
	char err[256];

	if ((s = get_str(c, n, what)) == NULL)
		return NULL;
	if ((t = template_compile(s, err, sizeof(err))) == NULL)
		err_inner(c, n, what, err);
	return t;
}

/* A template of an OPD name: one topic level, and valid when literal. */
static struct template *
parse_opd(struct ctx *c, const struct ynode *n, const char *what)
{
	struct template *t;
	char err[256];

	if ((t = parse_template(c, n, what)) == NULL)
		return NULL;
	if (template_check_topic(t, 1, err, sizeof(err)) == -1) {
		err_inner(c, n, what, err);
		goto fail;
	}
	if (template_is_literal(t) && !opd_valid(template_source(t))) {
		err_node(c, n, "%s: invalid OPD name '%.40s' (lower-case "
		    "letters, digits, '_' and '-', 2 to 32 characters, "
		    "starting with a letter)", what, template_source(t));
		goto fail;
	}
	return t;
fail:
	template_free(t);
	return NULL;
}

/*
 * The second level of a route topic. Routed copies go to the agencies'
 * inboxes ({site}/opd/...) or to feeds ({site}/feed/...): the only places
 * besides its own topics where the broker's ACL (deploy/broker-setup) lets
 * the hub write. Every copy the broker refused would be set aside in
 * outbox_refused (relay.h) instead of reaching anyone, so such a rule is
 * refused when it is loaded. Never where the hub would ingest the
 * copy again (ev: a loop), take it as a command (cmd), or the topics the
 * hub itself owns (hub, case, alert: made by the case and alert actions).
 */
static const char *const route_reserved[] = {
	"ev", "cmd", "hub", "case", "alert",
};
static const char *const route_levels[] = { "opd", "feed" };

static struct template *
parse_route(struct ctx *c, const struct ynode *n)
{
	struct template *t;
	const char *s, *rest, *slash;
	char err[256];
	size_t sl = strlen(c->site), i, len;

	if ((t = parse_template(c, n, "route")) == NULL)
		return NULL;
	s = template_source(t);
	if (template_check_topic(t, 0, err, sizeof(err)) == -1) {
		err_inner(c, n, "route", err);
		goto fail;
	}
	if (strncmp(s, "{site}/", 7) == 0)
		rest = s + 7;
	else if (strncmp(s, c->site, sl) == 0 && s[sl] == '/')
		rest = s + sl + 1;
	else {
		err_node(c, n, "route: the topic must start with '{site}/'");
		goto fail;
	}
	slash = strchr(rest, '/');
	len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (slash == NULL || slash[1] == '\0' || len == 0 ||
	    memchr(rest, '{', len) != NULL) {
		err_node(c, n, "route: the topic needs a written-out second "
		    "level and more, e.g. '{site}/feed/NAME' or "
		    "'{site}/opd/OPD/inbox/{type}'");
		goto fail;
	}
	for (i = 0; i < nitems(route_reserved); i++) {
		if (strlen(route_reserved[i]) == len &&
		    memcmp(rest, route_reserved[i], len) == 0) {
			err_node(c, n, "route: cannot publish under "
			    "'{site}/%s/' (%s)", route_reserved[i],
			    i == 0 ? "the hub would ingest the copy again" :
			    i == 1 ? "commands to the hub" :
			    "the hub's own topics");
			goto fail;
		}
	}
	for (i = 0; i < nitems(route_levels); i++)
		if (strlen(route_levels[i]) == len &&
		    memcmp(rest, route_levels[i], len) == 0)
			return t;
	err_node(c, n, "route: routed copies go under '{site}/opd/' or "
	    "'{site}/feed/', where the broker lets the hub publish "
	    "(deploy/broker-setup)");
fail:
	template_free(t);
	return NULL;
}

static void
action_clear(struct rule_action *a)
{
	size_t i;

	template_free(a->topic);
	template_free(a->key);
	template_free(a->opd);
	template_free(a->title);
	template_free(a->message);
	free(a->policy);
	for (i = 0; i < a->nfields; i++)
		free(a->fields[i]);
	free(a->fields);
	memset(a, 0, sizeof(*a));
}

static const char *const case_keys[] = {
	"key", "opd", "policy", "severity", "title",
};
static const char *const alert_keys[] = {
	"severity", "opd", "message",
};
static const char *const redact_keys[] = {
	"fields", "mode",
};

static int
parse_case(struct ctx *c, const struct ynode *m, struct rule_action *a)
{
	const struct ynode *v[nitems(case_keys)];
	const char *s;
	size_t before = c->nerr;

	if (map_keys(c, m, "case: ", case_keys, nitems(case_keys), 0x1f, v) ==
	    -1)
		return -1;
	if (v[0] != NULL)
		a->key = parse_template(c, v[0], "case key");
	if (v[1] != NULL)
		a->opd = parse_opd(c, v[1], "case opd");
	if (v[2] != NULL && (s = get_str(c, v[2], "case policy")) != NULL) {
		if (policy_valid(s))
			a->policy = xstrdup(s);
		else
			err_node(c, v[2], "case policy: invalid policy name "
			    "'%.40s' (lower-case letters, digits, '_' and "
			    "'-', starting with a letter)", s);
	}
	if (v[3] != NULL)
		parse_severity(c, v[3], "case severity", &a->severity);
	if (v[4] != NULL)
		a->title = parse_template(c, v[4], "case title");
	return c->nerr == before ? 0 : -1;
}

static int
parse_alert(struct ctx *c, const struct ynode *m, struct rule_action *a)
{
	const struct ynode *v[nitems(alert_keys)];
	size_t before = c->nerr;

	if (map_keys(c, m, "alert: ", alert_keys, nitems(alert_keys), 0x7,
	    v) == -1)
		return -1;
	if (v[0] != NULL)
		parse_severity(c, v[0], "alert severity", &a->severity);
	if (v[1] != NULL)
		a->opd = parse_opd(c, v[1], "alert opd");
	if (v[2] != NULL)
		a->message = parse_template(c, v[2], "alert message");
	return c->nerr == before ? 0 : -1;
}

static int
parse_redact(struct ctx *c, const struct ynode *m, struct rule_action *a)
{
	const struct ynode *v[nitems(redact_keys)], *f;
	const char *s;
	size_t before = c->nerr, i;

	if (map_keys(c, m, "redact: ", redact_keys, nitems(redact_keys), 0x1,
	    v) == -1)
		return -1;
	a->mode = RULE_REDACT_REMOVE;
	if (v[1] != NULL && (s = get_str(c, v[1], "redact mode")) != NULL) {
		if (strcmp(s, "mask") == 0)
			a->mode = RULE_REDACT_MASK;
		else if (strcmp(s, "remove") != 0)
			err_node(c, v[1], "redact mode: unknown mode '%.40s' "
			    "(remove, mask)", s);
	}
	if ((f = v[0]) == NULL || f->bad)
		return -1;
	if (f->kind != Y_SEQ || f->n == 0) {
		err_node(c, f, "redact fields: expected a list of fields such "
		    "as [data.reporter.contact], found %s",
		    f->kind == Y_SEQ ? "an empty list" : ydesc(f));
		return -1;
	}
	if (f->n > RULES_MAX_FIELDS) {
		err_node(c, f, "redact fields: more than %d fields",
		    RULES_MAX_FIELDS);
		return -1;
	}
	a->fields = xcalloc(f->n, sizeof(*a->fields));
	for (i = 0; i < f->n; i++) {
		if ((s = get_str(c, f->kid[i], "redact field")) == NULL)
			continue;
		if (!field_valid(s)) {
			err_node(c, f->kid[i], "redact field: invalid field "
			    "'%.40s' (a path under data, e.g. "
			    "data.reporter.contact)", s);
			continue;
		}
		a->fields[a->nfields++] = xstrdup(s);
	}
	return c->nerr == before ? 0 : -1;
}

/* One item of the actions list into a. Returns 0 or -1 (reported). */
static int
parse_action(struct ctx *c, const struct ynode *n, struct rule_action *a)
{
	const struct ynode *key, *val;
	size_t k;

	memset(a, 0, sizeof(*a));
	if (n->bad)
		return -1;
	if (n->kind == Y_SCALAR) {
		for (k = 0; k < nitems(action_names); k++)
			if (strcmp(n->s, action_names[k]) == 0)
				break;
		if (k == RULE_STOP) {
			a->kind = RULE_STOP;
			return 0;
		}
		if (k < nitems(action_names))
			err_node(c, n, "action '%s' needs a value, e.g. "
			    "'- %s: ...'", action_names[k], action_names[k]);
		else
			err_node(c, n, "unknown action '%.40s' (route, case, "
			    "alert, redact, stop)", n->s);
		return -1;
	}
	if (n->kind != Y_MAP || n->n != 2) {
		err_node(c, n, "an action is one of '- route: TOPIC', "
		    "'- case: {...}', '- alert: {...}', '- redact: {...}', "
		    "'- stop'; found %s", n->kind == Y_MAP ? (n->n == 0 ?
		    "an empty mapping" : "a mapping with several keys") :
		    ydesc(n));
		return -1;
	}
	key = n->kid[0];
	val = n->kid[1];
	if (key->bad)
		return -1;
	for (k = 0; k < nitems(action_names); k++)
		if (strcmp(key->s, action_names[k]) == 0)
			break;
	switch (k) {
	case RULE_ROUTE:
		a->kind = RULE_ROUTE;
		a->topic = parse_route(c, val);
		return a->topic != NULL ? 0 : -1;
	case RULE_CASE:
		a->kind = RULE_CASE;
		return parse_case(c, val, a);
	case RULE_ALERT:
		a->kind = RULE_ALERT;
		return parse_alert(c, val, a);
	case RULE_REDACT:
		a->kind = RULE_REDACT;
		return parse_redact(c, val, a);
	case RULE_STOP:
		err_node(c, key, "'stop' takes no value: write '- stop'");
		return -1;
	default:
		err_node(c, key, "unknown action '%.40s' (route, case, alert, "
		    "redact, stop)", key->s);
		return -1;
	}
}

static int
level_is(const struct topic_level *lv, const char *word)
{
	return lv->len == strlen(word) && memcmp(lv->p, word, lv->len) == 0;
}

/* {site} replaced in a topic filter; NULL on error (reported). */
static char *
parse_filter(struct ctx *c, const struct ynode *n)
{
	struct topic_level lv[2];
	struct buf b;
	const char *s, *p;
	size_t nl, sl = strlen(c->site);
	char *filter = NULL, err[128];

	if ((s = get_str(c, n, "topic")) == NULL)
		return NULL;
	if (*s == '\0') {
		err_node(c, n, "topic: empty topic filter");
		return NULL;
	}
	if (strlen(s) > RULES_MAX_TEXT) {
		err_node(c, n, "topic: longer than %d bytes", RULES_MAX_TEXT);
		return NULL;
	}
	buf_init(&b, 0);
	for (p = s; *p != '\0'; p++) {
		if (strncmp(p, "{site}", 6) == 0) {
			buf_append(&b, c->site, sl);
			p += 5;
		} else if (*p == '{') {
			snprintf(err, sizeof(err), "column %zu: only {site} "
			    "can be replaced in a topic filter",
			    count_chars(s, (size_t)(p - s)) + 1);
			err_inner(c, n, "topic", err);
			goto out;
		} else {
			buf_append(&b, p, 1);
		}
	}
	buf_terminate(&b);
	if (!topic_filter_valid(b.data)) {
		err_node(c, n, "topic: invalid MQTT topic filter '%.80s' ('+' "
		    "and '#' fill a whole level, '#' only the last)", b.data);
		goto out;
	}
	/*
	 * The hub ingests <site>/ev/#; a filter that cannot match such a
	 * topic is a rule that never runs.
	 */
	nl = topic_split(b.data, lv, 2);
	if (!level_is(&lv[0], "#") && (nl < 2 ||
	    !(level_is(&lv[0], c->site) || level_is(&lv[0], "+")) ||
	    !(level_is(&lv[1], "ev") || level_is(&lv[1], "+") ||
	    level_is(&lv[1], "#")))) {
		err_node(c, n, "topic: '%.80s' never matches: the hub ingests "
		    "only %s/ev/... (write '{site}/ev/OPD/SYSTEM/TYPE')",
		    b.data, c->site);
		goto out;
	}
	filter = xstrdup(b.data);
out:
	buf_free(&b);
	return filter;
}

static const char *const rule_keys[] = {
	"name", "description", "enabled", "priority", "topic", "when",
	"actions",
};

enum { RK_NAME, RK_DESC, RK_ENABLED, RK_PRIO, RK_TOPIC, RK_WHEN, RK_ACTIONS };

/*
 * Refuses a rule whose templates read a field that its own redact
 * removes: the text would be missing (the action skipped) for every event.
 */
static void
check_redact_reads(struct ctx *c, const struct rule *r,
    const struct ynode *actions)
{
	static const char *const what[] = {
		"route topic", "case key", "case opd", "case title",
		"alert opd", "alert message",
	};
	const struct template *t[6];
	size_t i, j, f, k;

	for (i = 0; i < r->nactions; i++) {
		const struct rule_action *red = &r->actions[i];

		if (red->kind != RULE_REDACT || red->mode != RULE_REDACT_REMOVE)
			continue;
		for (f = 0; f < red->nfields; f++) {
			for (j = 0; j < r->nactions; j++) {
				const struct rule_action *a = &r->actions[j];

				t[0] = a->topic;
				t[1] = a->key;
				t[2] = a->kind == RULE_CASE ? a->opd : NULL;
				t[3] = a->title;
				t[4] = a->kind == RULE_ALERT ? a->opd : NULL;
				t[5] = a->message;
				for (k = 0; k < 6; k++) {
					const char *rd;

					if (t[k] == NULL)
						continue;
					rd = template_reads(t[k],
					    red->fields[f]);
					if (rd == NULL)
						continue;
					err_node(c, actions->kid[j], "the %s "
					    "reads %s, which this rule's "
					    "redact removes (%s); give it a "
					    "default: {%s|-}", what[k], rd,
					    red->fields[f], rd);
				}
			}
		}
	}
}

/*
 * Builds the rule at node m (item idx of the list, 1-based). Returns it,
 * or NULL when it has errors (all reported). *name_node is set to the node
 * of its valid name, for the duplicate check.
 */
static struct rule *
build_rule(struct ctx *c, const struct ynode *m, size_t idx,
    const struct ynode **name_node)
{
	const struct ynode *v[nitems(rule_keys)], *acts;
	struct rule *r;
	const char *s;
	char err[512];
	size_t before = c->nerr, i;
	long l;
	int b, stop_at = -1;

	*name_node = NULL;
	snprintf(c->labelbuf, sizeof(c->labelbuf), "rule #%zu", idx);
	c->label = c->labelbuf;
	/* The name first: it labels every other message. */
	for (i = 0; m->kind == Y_MAP && i + 1 < m->n; i += 2) {
		if (!m->kid[i]->bad && strcmp(m->kid[i]->s, "name") == 0 &&
		    m->kid[i + 1]->kind == Y_SCALAR &&
		    name_valid(m->kid[i + 1]->s)) {
			snprintf(c->labelbuf, sizeof(c->labelbuf), "rule '%s'",
			    m->kid[i + 1]->s);
			break;
		}
	}
	if (map_keys(c, m, "", rule_keys, nitems(rule_keys),
	    (1u << RK_NAME) | (1u << RK_TOPIC) | (1u << RK_ACTIONS), v) == -1) {
		c->label = NULL;
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->enabled = 1;
	if (v[RK_NAME] != NULL &&
	    (s = get_str(c, v[RK_NAME], "name")) != NULL) {
		if (name_valid(s)) {
			r->name = xstrdup(s);
			*name_node = v[RK_NAME];
		} else {
			err_node(c, v[RK_NAME], "name: invalid rule name "
			    "'%.40s' (lower-case letters, digits and '-', at "
			    "most %d, not starting with '-')", s,
			    RULES_MAX_NAME);
		}
	}
	if (v[RK_DESC] != NULL &&
	    (s = get_str(c, v[RK_DESC], "description")) != NULL) {
		if (strlen(s) > RULES_MAX_TEXT)
			err_node(c, v[RK_DESC], "description: longer than %d "
			    "bytes", RULES_MAX_TEXT);
		else
			r->description = xstrdup(s);
	}
	if (v[RK_ENABLED] != NULL &&
	    get_bool(c, v[RK_ENABLED], "enabled", &b) == 0)
		r->enabled = b;
	if (v[RK_PRIO] != NULL &&
	    get_int(c, v[RK_PRIO], "priority", INT_MIN, INT_MAX, &l) == 0)
		r->priority = (int)l;
	if (v[RK_TOPIC] != NULL && (r->filter = parse_filter(c, v[RK_TOPIC])))
		r->topic = xstrdup(v[RK_TOPIC]->s);
	if (v[RK_WHEN] != NULL && (s = get_str(c, v[RK_WHEN], "when"))) {
		if ((r->pred = expr_compile(s, err, sizeof(err))) == NULL)
			err_inner(c, v[RK_WHEN], "predicate", err);
		else
			r->when = xstrdup(s);
	}
	if ((acts = v[RK_ACTIONS]) != NULL && !acts->bad) {
		if (acts->kind != Y_SEQ || acts->n == 0) {
			err_node(c, acts, "actions: expected a list of actions "
			    "(route, case, alert, redact, stop), found %s",
			    acts->kind == Y_SEQ ? "an empty list" :
			    ydesc(acts));
		} else if (acts->n > RULES_MAX_ACTIONS) {
			err_node(c, acts, "actions: more than %d actions",
			    RULES_MAX_ACTIONS);
		} else {
			r->actions = xcalloc(acts->n, sizeof(*r->actions));
			for (i = 0; i < acts->n; i++) {
				if (parse_action(c, acts->kid[i],
				    &r->actions[i]) == 0 &&
				    r->actions[i].kind == RULE_STOP)
					stop_at = stop_at < 0 ? (int)i :
					    stop_at;
			}
			r->nactions = acts->n;
			if (stop_at >= 0 && (size_t)stop_at != acts->n - 1)
				err_node(c, acts->kid[stop_at], "'stop' must "
				    "be the last action (it keeps "
				    "lower-priority rules from the event, not "
				    "this rule's other actions)");
			if (c->nerr == before)
				check_redact_reads(c, r, acts);
		}
	}
	c->label = NULL;
	if (c->nerr != before) {
		rule_free(r);
		return NULL;
	}
	return r;
}

static int
rule_cmp(const struct rule *a, const struct rule *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
rule_qsort_cmp(const void *a, const void *b)
{
	return rule_cmp(*(struct rule *const *)a, *(struct rule *const *)b);
}

/* FNV-1a, for the duplicate-name table. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static const char *const top_keys[] = { "version", "rules" };

/* The whole document; NULL with errors reported. */
static struct ruleset *
build_ruleset(struct ctx *c, const struct ynode *root)
{
	const struct ynode *v[2], *list, *nn, **seen = NULL;
	struct ruleset *rs = NULL;
	struct rule **rules = NULL, *r;
	size_t i, nrules = 0, cap = 1, h;
	long version;

	if (map_keys(c, root, "", top_keys, 2, 0x3, v) == -1)
		return NULL;
	if (v[0] != NULL && get_int(c, v[0], "version", 0, 1000000,
	    &version) == 0 && version != 1)
		err_node(c, v[0], "version: unsupported version %ld (this hub "
		    "reads version 1)", version);
	if ((list = v[1]) == NULL || list->bad)
		goto out;
	if (list->kind != Y_SEQ) {
		err_node(c, list, "rules: expected a list of rules, found %s",
		    ydesc(list));
		goto out;
	}
	if (list->n > RULES_MAX_RULES) {
		err_node(c, list, "rules: too many rules (%zu, at most %d)",
		    list->n, RULES_MAX_RULES);
		goto out;
	}
	while (cap < list->n * 2 + 2)
		cap *= 2;
	seen = xcalloc(cap, sizeof(*seen));
	rules = xcalloc(list->n + 1, sizeof(*rules));
	for (i = 0; i < list->n; i++) {
		r = build_rule(c, list->kid[i], i + 1, &nn);
		if (nn != NULL) {
			for (h = name_hash(nn->s) & (cap - 1); seen[h] != NULL;
			    h = (h + 1) & (cap - 1))
				if (strcmp(seen[h]->s, nn->s) == 0)
					break;
			if (seen[h] != NULL) {
				err_node(c, nn, "rule '%s': duplicate name "
				    "(first used at %zu:%zu)", nn->s,
				    seen[h]->line, seen[h]->col);
				rule_free(r);
				r = NULL;
			} else {
				seen[h] = nn;
			}
		}
		if (r != NULL)
			rules[nrules++] = r;
	}
	if (c->nerr > 0)
		goto out;
	qsort(rules, nrules, sizeof(*rules), rule_qsort_cmp);
	rs = xcalloc(1, sizeof(*rs));
	rs->rule = rules;
	rs->n = rs->cap = nrules;
	rules = NULL;
	nrules = 0;
out:
	for (i = 0; i < nrules; i++)
		rule_free(rules[i]);
	free(rules);
	free(seen);
	return rs;
}

static int
site_valid(const char *site)
{
	return site != NULL && *site != '\0' && site[0] != '$' &&
	    strcspn(site, "/+#{}") == strlen(site) && topic_name_valid(site);
}

struct ruleset *
ruleset_parse_yaml(const char *text, size_t len, const char *name_for_errors,
    const char *site, struct rule_errors *errs)
{
	struct ctx c;
	struct srcmap src;
	struct ynode *root = NULL;
	struct ruleset *rs = NULL;
	int empty;

	memset(&c, 0, sizeof(c));
	c.file = name_for_errors != NULL ? name_for_errors : "(rules)";
	c.site = site;
	c.errs = errs;
	c.ebase = errs != NULL ? errs->count : 0;
	memset(&src, 0, sizeof(src));
	if (!site_valid(site)) {
		err_at(&c, 0, 0, "invalid site '%.40s' (one topic level)",
		    site != NULL ? site : "(null)");
		goto out;
	}
	if (len > RULES_MAX_FILE) {
		err_at(&c, 0, 0, "too large (%zu bytes, at most %d)", len,
		    RULES_MAX_FILE);
		goto out;
	}
	srcmap_init(&src, text, len);
	c.src = &src;
	if ((root = yaml_tree(&c, text, len, &empty)) == NULL) {
		if (empty)
			err_at(&c, 1, 1, "empty rule file (expected "
			    "'version: 1' and 'rules:')");
		goto out;
	}
	rs = build_ruleset(&c, root);
	if (c.nerr > 0) {
		ruleset_free(rs);
		rs = NULL;
	}
out:
	errors_sort(&c);
	ynode_free(root);
	srcmap_free(&src);
	return rs;
}

struct ruleset *
ruleset_load_yaml(const char *path, const char *site,
    struct rule_errors *errs)
{
	struct ruleset *rs;
	FILE *f;
	char *text;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		errors_add_take(errs, xasprintf("%s: %s", path,
		    strerror(errno)));
		return NULL;
	}
	/* One byte more than the limit tells "too large" from "just fits". */
	text = xmalloc(RULES_MAX_FILE + 1);
	n = fread(text, 1, RULES_MAX_FILE + 1, f);
	if (ferror(f)) {
		errors_add_take(errs, xasprintf("%s: %s", path,
		    strerror(errno)));
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	rs = ruleset_parse_yaml(text, n, path, site, errs);
	free(text);
	return rs;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */

static struct ynode *
json_tree(struct ctx *c, const cJSON *j, int depth)
{
	struct ynode *n;
	const cJSON *it;
	char num[64];

	if (depth > RULES_MAX_DEPTH) {
		err_at(c, 0, 0, "nested too deeply (more than %d levels)",
		    RULES_MAX_DEPTH);
		return NULL;
	}
	if (++c->nodes > RULES_MAX_NODES) {
		err_at(c, 0, 0, "too many values (more than %d)",
		    RULES_MAX_NODES);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		n->kind = cJSON_IsObject(j) ? Y_MAP : Y_SEQ;
		cJSON_ArrayForEach(it, j) {
			struct ynode *k, *v;

			if (n->kind == Y_MAP) {
				k = xcalloc(1, sizeof(*k));
				k->kind = Y_SCALAR;
				k->s = xstrdup(it->string ? it->string : "");
				k->len = strlen(k->s);
				ynode_add(n, k);
			}
			if ((v = json_tree(c, it, depth + 1)) == NULL) {
				ynode_free(n);
				return NULL;
			}
			ynode_add(n, v);
		}
		return n;
	}
	n->kind = Y_SCALAR;
	if (cJSON_IsString(j)) {
		n->s = xstrdup(j->valuestring);
	} else if (cJSON_IsNumber(j)) {
		n->plain = 1;
		if (j->valuedouble == trunc(j->valuedouble) &&
		    fabs(j->valuedouble) < 1e15)
			snprintf(num, sizeof(num), "%.0f", j->valuedouble);
		else
			snprintf(num, sizeof(num), "%.17g", j->valuedouble);
		n->s = xstrdup(num);
	} else if (cJSON_IsBool(j)) {
		n->plain = 1;
		n->s = xstrdup(cJSON_IsTrue(j) ? "true" : "false");
	} else {
		n->plain = 1;	/* null */
		n->s = xstrdup("");
	}
	n->len = strlen(n->s);
	return n;
}

struct rule *
rule_from_json(const cJSON *j, const char *site, char *err, size_t errlen)
{
	struct rule_errors errs;
	struct ynode *root = NULL;
	const struct ynode *nn;
	struct rule *r = NULL;
	struct ctx c;

	rule_errors_init(&errs);
	memset(&c, 0, sizeof(c));
	c.site = site;
	c.errs = &errs;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!site_valid(site)) {
		err_at(&c, 0, 0, "invalid site '%.40s' (one topic level)",
		    site != NULL ? site : "(null)");
		goto out;
	}
	if (j == NULL || !cJSON_IsObject(j)) {
		err_at(&c, 0, 0, "a rule is a JSON object");
		goto out;
	}
	if ((root = json_tree(&c, j, 0)) == NULL)
		goto out;
	r = build_rule(&c, root, 1, &nn);
out:
	if (r == NULL && err != NULL && errlen > 0 && errs.count > 0) {
		if (errs.total > 1)
			snprintf(err, errlen, "%s (and %zu more error%s)",
			    errs.msg[0], errs.total - 1,
			    errs.total > 2 ? "s" : "");
		else
			snprintf(err, errlen, "%s", errs.msg[0]);
	}
	ynode_free(root);
	rule_errors_clear(&errs);
	return r;
}

static cJSON *
template_json(const struct template *t)
{
	return cJSON_CreateString(template_source(t));
}

cJSON *
rule_to_json(const struct rule *r)
{
	cJSON *j, *acts, *a, *o, *f;
	size_t i, k;

	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "name", r->name);
	if (r->description != NULL)
		cJSON_AddStringToObject(j, "description", r->description);
	cJSON_AddBoolToObject(j, "enabled", r->enabled);
	cJSON_AddNumberToObject(j, "priority", r->priority);
	cJSON_AddStringToObject(j, "topic", r->topic);
	if (r->when != NULL)
		cJSON_AddStringToObject(j, "when", r->when);
	acts = cJSON_AddArrayToObject(j, "actions");
	for (i = 0; i < r->nactions; i++) {
		const struct rule_action *ra = &r->actions[i];

		if (ra->kind == RULE_STOP) {
			cJSON_AddItemToArray(acts, cJSON_CreateString("stop"));
			continue;
		}
		a = cJSON_CreateObject();
		switch (ra->kind) {
		case RULE_ROUTE:
			cJSON_AddItemToObject(a, "route",
			    template_json(ra->topic));
			break;
		case RULE_CASE:
			o = cJSON_AddObjectToObject(a, "case");
			cJSON_AddItemToObject(o, "key", template_json(ra->key));
			cJSON_AddItemToObject(o, "opd", template_json(ra->opd));
			cJSON_AddStringToObject(o, "policy", ra->policy);
			cJSON_AddStringToObject(o, "severity",
			    rule_severity_name(ra->severity));
			cJSON_AddItemToObject(o, "title",
			    template_json(ra->title));
			break;
		case RULE_ALERT:
			o = cJSON_AddObjectToObject(a, "alert");
			cJSON_AddStringToObject(o, "severity",
			    rule_severity_name(ra->severity));
			cJSON_AddItemToObject(o, "opd", template_json(ra->opd));
			cJSON_AddItemToObject(o, "message",
			    template_json(ra->message));
			break;
		case RULE_REDACT:
			o = cJSON_AddObjectToObject(a, "redact");
			f = cJSON_AddArrayToObject(o, "fields");
			for (k = 0; k < ra->nfields; k++)
				cJSON_AddItemToArray(f,
				    cJSON_CreateString(ra->fields[k]));
			cJSON_AddStringToObject(o, "mode",
			    ra->mode == RULE_REDACT_MASK ? "mask" : "remove");
			break;
		case RULE_STOP:
			break;
		}
		cJSON_AddItemToArray(acts, a);
	}
	return j;
}

/* ------------------------------------------------------------------ */
/* Rules and rulesets                                                   */

void
rule_free(struct rule *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nactions; i++)
		action_clear(&r->actions[i]);
	free(r->actions);
	expr_free(r->pred);
	free(r->name);
	free(r->description);
	free(r->topic);
	free(r->filter);
	free(r->when);
	free(r);
}

struct ruleset *
ruleset_new(void)
{
	return xcalloc(1, sizeof(struct ruleset));
}

int
ruleset_add_take(struct ruleset *rs, struct rule *r)
{
	size_t lo = 0, hi = rs->n, i;

	if (rs->n >= RULES_MAX_RULES || ruleset_find(rs, r->name) != NULL) {
		rule_free(r);
		return -1;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rule_cmp(rs->rule[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->rule = xrealloc(rs->rule, rs->cap * sizeof(*rs->rule));
	}
	for (i = rs->n; i > lo; i--)
		rs->rule[i] = rs->rule[i - 1];
	rs->rule[lo] = r;
	rs->n++;
	return 0;
}

void
ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free(rs->rule[i]);
	free(rs->rule);
	free(rs);
}

size_t
ruleset_count(const struct ruleset *rs)
{
	return rs->n;
}

const struct rule *
ruleset_get(const struct ruleset *rs, size_t i)
{
	return i < rs->n ? rs->rule[i] : NULL;
}

const struct rule *
ruleset_find(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->rule[i]->name, name) == 0)
			return rs->rule[i];
	return NULL;
}

const char *
rule_name(const struct rule *r)
{
	return r->name;
}

const char *
rule_description(const struct rule *r)
{
	return r->description;
}

int
rule_enabled(const struct rule *r)
{
	return r->enabled;
}

int
rule_priority(const struct rule *r)
{
	return r->priority;
}

const char *
rule_topic(const struct rule *r)
{
	return r->topic;
}

const char *
rule_filter(const struct rule *r)
{
	return r->filter;
}

const char *
rule_when(const struct rule *r)
{
	return r->when;
}

const struct expr *
rule_predicate(const struct rule *r)
{
	return r->pred;
}

size_t
rule_action_count(const struct rule *r)
{
	return r->nactions;
}

const struct rule_action *
rule_action(const struct rule *r, size_t i)
{
	return i < r->nactions ? &r->actions[i] : NULL;
}

static int
rule_has(const struct rule *r, enum rule_action_kind kind)
{
	size_t i;

	for (i = 0; i < r->nactions; i++)
		if (r->actions[i].kind == kind)
			return 1;
	return 0;
}

int
rule_stops(const struct rule *r)
{
	return rule_has(r, RULE_STOP);
}

int
rule_redacts(const struct rule *r)
{
	return rule_has(r, RULE_REDACT);
}

int
rule_match(const struct rule *r, const char *topic,
    const struct expr_env *env)
{
	struct expr_env none = { NULL, topic };

	if (!r->enabled || !topic_match(r->filter, topic))
		return 0;
	return r->pred == NULL ||
	    expr_eval(r->pred, env != NULL ? env : &none) == 1;
}

/* "081234567890" -> "0812****7890": a third at each end, at most 4. */
static char *
mask_string(const char *s)
{
	size_t len = strlen(s), n = 0, keep, i, k, cp = 0;
	char *out = xmalloc(len + 1), *o = out;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	keep = n / 3 < 4 ? n / 3 : 4;
	for (i = 0; i < len; i += k, cp++) {
		k = char_len(s + i, s + len);
		if (cp < keep || cp >= n - keep) {
			memcpy(o, s + i, k);
			o += k;
		} else {
			*o++ = '*';
		}
	}
	*o = '\0';
	return out;
}

/* Applies one field of a redact action; 1 if the event changed. */
static int
redact_field(cJSON *event, const char *path, enum rule_redact_mode mode)
{
	char key[260];
	const char *p = path + 5, *dot;
	cJSON *parent, *item;
	char *masked;
	size_t n;

	parent = cJSON_GetObjectItemCaseSensitive(event, "data");
	for (;;) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key) || !cJSON_IsObject(parent))
			return 0;
		memcpy(key, p, n);
		key[n] = '\0';
		if (dot == NULL)
			break;
		parent = cJSON_GetObjectItemCaseSensitive(parent, key);
		p = dot + 1;
	}
	if ((item = cJSON_GetObjectItemCaseSensitive(parent, key)) == NULL ||
	    cJSON_IsNull(item))
		return 0;
	if (mode == RULE_REDACT_REMOVE) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		return 1;
	}
	masked = cJSON_IsString(item) ? mask_string(item->valuestring) :
	    xstrdup("****");
	cJSON_ReplaceItemInObjectCaseSensitive(parent, key,
	    cJSON_CreateString(masked));
	free(masked);
	return 1;
}

int
rule_redact(const struct rule *r, cJSON *event)
{
	size_t i, f;
	int changed = 0;

	for (i = 0; i < r->nactions; i++) {
		const struct rule_action *a = &r->actions[i];

		if (a->kind != RULE_REDACT)
			continue;
		for (f = 0; f < a->nfields; f++)
			changed += redact_field(event, a->fields[f], a->mode);
	}
	return changed;
}
