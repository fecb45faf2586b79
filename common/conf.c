/*
 * conf: see conf.h.
 *
 * Debian's inih is built without INI_HANDLER_LINENO, so the handler is not
 * told the line number. We feed inih through ini_parse_stream() with our own
 * reader that counts the lines it hands out; when the handler runs, the
 * reader's count is the line of the key being handled. inih's own syntax
 * errors come back as the return value (first bad line) and are reported too.
 */
#include "conf.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct conf_parse {
	const struct conf_key *keys;
	size_t nkeys;
	void *cfg;
	conf_other_fn other;
	const char *path;
	FILE *fp;
	int line;
	int errors;
};

static const struct conf_key *
conf_find(const struct conf_key *keys, size_t nkeys, const char *section,
    const char *name)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
conf_section_known(const struct conf_key *keys, size_t nkeys,
    const char *section)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].section, section) == 0)
			return 1;
	return 0;
}

static int
conf_assign(const struct conf_key *k, void *cfg, const char *value, char *err,
    size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	long l;
	int b;
	int64_t ms;
	uint64_t sz;
	double d;

	switch (k->type) {
	case CONF_STR:
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return 0;
	case CONF_INT:
		if (parse_long(value, (long)k->min, (long)k->max, &l) == -1)
			goto range;
		*(long *)(void *)field = l;
		return 0;
	case CONF_BOOL:
		if (parse_bool(value, &b) == -1) {
			snprintf(err, errlen, "%s: expected yes or no, got '%s'",
			    k->name, value);
			return -1;
		}
		*(int *)(void *)field = b;
		return 0;
	case CONF_DURATION:
		if (parse_duration_ms(value, &ms) == -1 || ms < k->min ||
		    ms > k->max)
			goto range;
		*(int64_t *)(void *)field = ms;
		return 0;
	case CONF_SIZE:
		if (parse_size(value, &sz) == -1 || sz < (uint64_t)k->min ||
		    sz > (uint64_t)k->max)
			goto range;
		*(uint64_t *)(void *)field = sz;
		return 0;
	case CONF_DOUBLE:
		if (parse_double(value, &d) == -1) {
			snprintf(err, errlen, "%s: expected a number, got '%s'",
			    k->name, value);
			return -1;
		}
		*(double *)(void *)field = d;
		return 0;
	}
	fatalx("conf: bad type for key %s", k->name);
range:
	switch (k->type) {
	case CONF_DURATION:
		snprintf(err, errlen,
		    "%s: expected a duration (e.g. 500ms, 5s, 2m) between "
		    "%lldms and %lldms, got '%s'", k->name, (long long)k->min,
		    (long long)k->max, value);
		break;
	case CONF_SIZE:
		snprintf(err, errlen,
		    "%s: expected a size (e.g. 64k, 16M) between %lld and %lld "
		    "bytes, got '%s'", k->name, (long long)k->min,
		    (long long)k->max, value);
		break;
	default:
		snprintf(err, errlen,
		    "%s: expected a whole number between %lld and %lld, got '%s'",
		    k->name, (long long)k->min, (long long)k->max, value);
		break;
	}
	return -1;
}

int
conf_set(const struct conf_key *keys, size_t nkeys, void *cfg,
    const char *section, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct conf_key *k = conf_find(keys, nkeys, section, name);

	if (k == NULL) {
		snprintf(err, errlen, "unknown key '%s' in section [%s]", name,
		    section);
		return -1;
	}
	return conf_assign(k, cfg, value, err, errlen);
}

/*
 * inih reads lines into a fixed buffer (200 bytes in Debian's build) and
 * would take the rest of a longer line as a new, broken line. A line that
 * does not fit is reported here, skipped whole, and handed to inih as an
 * empty comment.
 */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *cp = stream;
	char *r = fgets(str, num, cp->fp);
	size_t n;
	int c;

	if (r == NULL)
		return NULL;
	cp->line++;
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n' && !feof(cp->fp)) {
		while ((c = fgetc(cp->fp)) != EOF && c != '\n')
			;
		log_warnx("%s:%d: line too long (at most %d characters)",
		    cp->path, cp->line, num - 2);
		cp->errors++;
		snprintf(str, (size_t)num, ";\n");
	}
	return r;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parse *cp = user;
	char err[512];
	int r;

	if (conf_section_known(cp->keys, cp->nkeys, section))
		r = conf_set(cp->keys, cp->nkeys, cp->cfg, section, name, value,
		    err, sizeof(err));
	else if (cp->other != NULL)
		r = cp->other(cp->cfg, section, name, value, err, sizeof(err));
	else {
		snprintf(err, sizeof(err), "unknown section [%s]", section);
		r = -1;
	}
	if (r == -1) {
		log_warnx("%s:%d: %s", cp->path, cp->line, err);
		cp->errors++;
	}
	return 1; /* keep going: report every error, not just the first */
}

int
conf_load(const struct conf_key *keys, size_t nkeys, void *cfg,
    const char *path, conf_other_fn other)
{
	struct conf_parse cp = { keys, nkeys, cfg, other, path, NULL, 0, 0 };
	char err[512];
	size_t i;
	int r;

	for (i = 0; i < nkeys; i++) {
		if (keys[i].def == NULL)
			continue;
		if (conf_assign(&keys[i], cfg, keys[i].def, err, sizeof(err)))
			fatalx("conf: bad default for [%s] %s: %s",
			    keys[i].section, keys[i].name, err);
	}
	if (path == NULL)
		return 0;
	if ((cp.fp = fopen(path, "r")) == NULL) {
		log_warn("%s: cannot open config", path);
		return 1;
	}
	r = ini_parse_stream(conf_reader, &cp, conf_handler, &cp);
	fclose(cp.fp);
	if (r > 0) {
		log_warnx("%s:%d: syntax error (expected [section] or "
		    "key = value)", path, r);
		cp.errors++;
	} else if (r < 0) {
		log_warnx("%s: cannot parse config (inih error %d)", path, r);
		cp.errors++;
	}
	return cp.errors;
}

int
conf_apply_env(const struct conf_key *keys, size_t nkeys, void *cfg,
    const struct conf_env *envs, size_t nenvs)
{
	char err[512];
	int errors = 0;
	size_t i;

	for (i = 0; i < nenvs; i++) {
		const char *v = getenv(envs[i].env);

		if (v == NULL || *v == '\0')
			continue;
		if (conf_set(keys, nkeys, cfg, envs[i].section, envs[i].name,
		    v, err, sizeof(err)) == -1) {
			log_warnx("environment %s: %s", envs[i].env, err);
			errors++;
		}
	}
	return errors;
}

/* Writes text as "; " comment lines of at most 78 characters. */
static void
conf_dump_comment(FILE *out, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t n = strlen(p), cut = n;

		if (n > 76) {
			cut = 76;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = 76;
		}
		fprintf(out, "; %.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

void
conf_dump(const struct conf_key *keys, size_t nkeys, FILE *out)
{
	const char *section = NULL;
	size_t i;

	for (i = 0; i < nkeys; i++) {
		if (section == NULL || strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			fprintf(out, "%s[%s]\n", i == 0 ? "" : "\n", section);
		}
		conf_dump_comment(out, keys[i].help);
		if (keys[i].def != NULL)
			fprintf(out, ";%s = %s\n", keys[i].name, keys[i].def);
		else
			fprintf(out, ";%s =\n", keys[i].name);
	}
}

void
conf_free(const struct conf_key *keys, size_t nkeys, void *cfg)
{
	size_t i;

	for (i = 0; i < nkeys; i++) {
		if (keys[i].type == CONF_STR) {
			char **p = (char **)(void *)((char *)cfg +
			    keys[i].offset);

			free(*p);
			*p = NULL;
		}
	}
}
