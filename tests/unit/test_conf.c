/*
 * conf: table-driven INI loading. The point of the module is that an admin
 * at 2 a.m. reads every mistake at once, as "file:line: message".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "conf.h"
#include "testlib.h"
#include "util.h"

struct cfg {
	char *name;
	long count;
	int enabled;
	int64_t wait_ms;
	uint64_t size;
	double ratio;
	int other_calls;
};

static const struct conf_key keys[] = {
	{ "a", "name", CONF_STR, "dflt", 0, 0, offsetof(struct cfg, name), "n" },
	{ "a", "count", CONF_INT, "3", 1, 10, offsetof(struct cfg, count), "c" },
	{ "a", "enabled", CONF_BOOL, "no", 0, 0, offsetof(struct cfg, enabled),
	    "e" },
	{ "b", "wait", CONF_DURATION, "2s", 10, 60000,
	    offsetof(struct cfg, wait_ms), "w" },
	{ "b", "size", CONF_SIZE, "1k", 1, 1 << 20, offsetof(struct cfg, size),
	    "s" },
	{ "b", "ratio", CONF_DOUBLE, "0.5", 0, 0, offsetof(struct cfg, ratio),
	    "r" },
};

static int
other(void *arg, const char *section, const char *name, const char *value,
    char *err, size_t errlen)
{
	struct cfg *c = arg;

	(void)value;
	if (strncmp(section, "device ", 7) != 0) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -1;
	}
	if (strcmp(name, "plate") != 0) {
		snprintf(err, errlen, "unknown key '%s' in [%s]", name, section);
		return -1;
	}
	c->other_calls++;
	return 0;
}

static char *
write_file(const char *text)
{
	char *path = xstrdup("/tmp/simpul-test-conf.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

static void
check_has(const char *text, const char *needle)
{
	if (strstr(text, needle) != NULL)
		testlib_passed++;
	else
		testlib_fail(__FILE__, __LINE__, "log lacks \"%s\" in:\n%s",
		    needle, text);
}

int
main(void)
{
	struct cfg c;
	struct capture cap;
	char err[256], *path, needle[512];
	const char *log;
	int n;

	/* Defaults only. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(conf_load(keys, nitems(keys), &c, NULL, NULL), 0);
	CHECK_STR(c.name, "dflt");
	CHECK_INT(c.count, 3);
	CHECK_INT(c.wait_ms, 2000);
	CHECK_INT(c.size, 1024);
	CHECK_DBL(c.ratio, 0.5, 1e-12);
	conf_free(keys, nitems(keys), &c);

	/* A good file, with comments and a registry section. */
	path = write_file("; comment\n[a]\nname = Karo\ncount = 7\n"
	    "enabled = yes\n\n[b]\nwait = 250ms\nsize = 64k\nratio = 1.25\n"
	    "[device 353419036066061]\nplate = BK 1234 AB\n");
	memset(&c, 0, sizeof(c));
	CHECK_INT(conf_load(keys, nitems(keys), &c, path, other), 0);
	CHECK_STR(c.name, "Karo");
	CHECK_INT(c.count, 7);
	CHECK_INT(c.enabled, 1);
	CHECK_INT(c.wait_ms, 250);
	CHECK_INT(c.size, 65536);
	CHECK_DBL(c.ratio, 1.25, 1e-12);
	CHECK_INT(c.other_calls, 1);
	conf_free(keys, nitems(keys), &c);
	unlink(path);
	free(path);

	/* Every mistake is reported, each with its line. */
	path = write_file("[a]\n"            /* 1 */
	    "nmae = x\n"                    /* 2: typo */
	    "count = 11\n"                  /* 3: out of range */
	    "enabled = maybe\n"             /* 4: not a bool */
	    "[b]\n"                         /* 5 */
	    "wait = 5 parsecs\n"            /* 6 */
	    "size = 2G\n"                   /* 7: above the bound */
	    "ratio = half\n"                /* 8 */
	    "[c]\n"                         /* 9 */
	    "x = 1\n"                       /* 10: unknown section */
	    "this line has no equals\n");   /* 11: syntax */
	memset(&c, 0, sizeof(c));
	capture_start(&cap);
	n = conf_load(keys, nitems(keys), &c, path, NULL);
	log = capture_end(&cap);
	CHECK_INT(n, 8);
	snprintf(needle, sizeof(needle), "%s:2: unknown key 'nmae' in section "
	    "[a]", path);
	check_has(log, needle);
	snprintf(needle, sizeof(needle), "%s:3: count: expected a whole number "
	    "between 1 and 10, got '11'", path);
	check_has(log, needle);
	snprintf(needle, sizeof(needle), "%s:4: enabled: expected yes or no",
	    path);
	check_has(log, needle);
	snprintf(needle, sizeof(needle), "%s:6: wait: expected a duration",
	    path);
	check_has(log, needle);
	snprintf(needle, sizeof(needle), "%s:7: size: expected a size", path);
	check_has(log, needle);
	snprintf(needle, sizeof(needle), "%s:8: ratio: expected a number",
	    path);
	check_has(log, needle);
	snprintf(needle, sizeof(needle), "%s:10: unknown section [c]", path);
	check_has(log, needle);
	snprintf(needle, sizeof(needle), "%s:11: syntax error", path);
	check_has(log, needle);
	/* Bad values leave the defaults in place. */
	CHECK_INT(c.count, 3);
	conf_free(keys, nitems(keys), &c);
	unlink(path);
	free(path);

	/* A line longer than inih's buffer is one error, not two broken lines. */
	{
		char text[600];

		memset(text, 0, sizeof(text));
		strcat(text, "[a]\nname = ");
		memset(text + strlen(text), 'k', 300);
		strcat(text, "\ncount = 4\n");
		path = write_file(text);
	}
	memset(&c, 0, sizeof(c));
	capture_start(&cap);
	n = conf_load(keys, nitems(keys), &c, path, NULL);
	log = capture_end(&cap);
	CHECK_INT(n, 1);
	snprintf(needle, sizeof(needle), "%s:2: line too long", path);
	check_has(log, needle);
	CHECK_INT(c.count, 4);
	conf_free(keys, nitems(keys), &c);
	unlink(path);
	free(path);

	/* A missing file is one error, not a crash. */
	capture_start(&cap);
	n = conf_load(keys, nitems(keys), &c, "/nonexistent/simpul.conf", NULL);
	log = capture_end(&cap);
	CHECK_INT(n, 1);
	check_has(log, "/nonexistent/simpul.conf: cannot open config");
	conf_free(keys, nitems(keys), &c);

	/* conf_set: the path environment overrides take. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(conf_load(keys, nitems(keys), &c, NULL, NULL), 0);
	CHECK_INT(conf_set(keys, nitems(keys), &c, "a", "count", "9", err,
	    sizeof(err)), 0);
	CHECK_INT(c.count, 9);
	CHECK_INT(conf_set(keys, nitems(keys), &c, "a", "count", "9x", err,
	    sizeof(err)), -1);
	CHECK_INT(conf_set(keys, nitems(keys), &c, "z", "count", "1", err,
	    sizeof(err)), -1);
	CHECK_STR(err, "unknown key 'count' in section [z]");
	conf_free(keys, nitems(keys), &c);

	return testlib_done();
}
