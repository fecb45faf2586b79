/*
 * conf: INI configuration files described by a table.
 *
 * A daemon describes every key once (section, name, type, bounds, default,
 * where it lands in the daemon's config struct, one line of help). conf_load()
 * applies the defaults, parses the file with inih and reports *every* problem
 * as "file:line: message" (unknown keys, values of the wrong type or out of
 * bounds) instead of stopping at the first. Environment overrides go through
 * conf_set() with the same checks. the deploy/ example config files are written
 * from the same table by conf_dump(), so the documentation cannot drift.
 *
 * Sections that are not in the table (a device registry such as
 * "[device 3534190...]") go to an optional callback.
 */
#ifndef SIMPUL_CONF_H
#define SIMPUL_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum conf_type {
	CONF_STR,      /* char *, heap, freed by conf_free() */
	CONF_INT,      /* long, within [min, max] */
	CONF_BOOL,     /* int, 0 or 1 */
	CONF_DURATION, /* int64_t milliseconds, within [min, max] ms */
	CONF_SIZE,     /* uint64_t bytes, within [min, max] */
	CONF_DOUBLE,   /* double */
};

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	const char *def; /* default, written as in the file; NULL: none */
	int64_t min, max;
	size_t offset; /* offsetof(struct daemon_config, field) */
	const char *help;
};

/*
 * Called for keys in sections that the table does not know. Returns 0, or -1
 * after writing a message into err.
 */
typedef int (*conf_other_fn)(void *cfg, const char *section, const char *name,
    const char *value, char *err, size_t errlen);

/*
 * Applies defaults, then reads path (NULL: defaults only). Returns the number
 * of errors reported (0 on success); each was logged as "path:line: message".
 */
int conf_load(const struct conf_key *keys, size_t nkeys, void *cfg,
    const char *path, conf_other_fn other);

/*
 * Sets one key from text (an environment override, a command line flag).
 * Returns 0, or -1 with a message in err.
 */
int conf_set(const struct conf_key *keys, size_t nkeys, void *cfg,
    const char *section, const char *name, const char *value, char *err,
    size_t errlen);

/* Applies SIMPUL_* environment overrides listed as {env, section, name}. */
struct conf_env {
	const char *env;
	const char *section;
	const char *name;
};
int conf_apply_env(const struct conf_key *keys, size_t nkeys, void *cfg,
    const struct conf_env *envs, size_t nenvs);

/* Writes an example file documenting every key with its default. */
void conf_dump(const struct conf_key *keys, size_t nkeys, FILE *out);

/* Frees the CONF_STR fields. */
void conf_free(const struct conf_key *keys, size_t nkeys, void *cfg);

#endif
