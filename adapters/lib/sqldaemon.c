/*
 * sqldaemon: main() of an adapter that is nothing but SQL feeds
 * (simpul-sp2d, simpul-simda). The adapters differ only in their name, the
 * source system, the event types they may publish and the example feeds
 * their -D prints; the config table, the checks, the poller's life and the
 * final statistics are the same, and live here once.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "log.h"
#include "sqlpoll.h"
#include "util.h"

struct sqldaemon_config {
	struct adapter_config ac;
	struct sqlpoll_source src;
	struct sqlpoll_feeds *feeds;
	const struct sqlpoll_daemon *d;
};

static const struct conf_key sqldaemon_keys[] = {
	SQLPOLL_SOURCE_KEYS(struct sqldaemon_config, src),
};

/* What -D prints after the key table (atexit: adapter_new() exits). */
static const struct sqlpoll_daemon *sqldaemon_dumping;

static void
sqldaemon_dump_feeds(void)
{
	sqlpoll_feeds_dump(stdout);
	fputs(sqldaemon_dumping->example, stdout);
}

static int
sqldaemon_other(void *cfgp, const char *section, const char *name,
    const char *value, char *err, size_t errlen)
{
	struct sqldaemon_config *cfg = cfgp;
	int r;

	r = sqlpoll_feeds_conf(cfg->feeds, section, name, value, err, errlen);
	if (r == 1) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -1;
	}
	return r;
}

static int
sqldaemon_check(void *cfgp, const char *path)
{
	struct sqldaemon_config *cfg = cfgp;

	return sqlpoll_check(&cfg->src, cfg->feeds, path, cfg->d->types);
}

int
sqlpoll_daemon_main(int argc, char **argv, const struct sqlpoll_daemon *d)
{
	struct sqldaemon_config cfg;
	struct adapter_spec spec;
	struct sqlpoll_stats st;
	struct adapter *ad;
	struct sqlpoll *sp;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-D") == 0 && sqldaemon_dumping == NULL) {
			sqldaemon_dumping = d;
			atexit(sqldaemon_dump_feeds);
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.d = d;
	cfg.feeds = sqlpoll_feeds_new(d->system);
	memset(&spec, 0, sizeof(spec));
	spec.progname = d->progname;
	spec.cfg = &cfg;
	spec.common_offset = offsetof(struct sqldaemon_config, ac);
	spec.keys = sqldaemon_keys;
	spec.nkeys = nitems(sqldaemon_keys);
	spec.other = sqldaemon_other;
	spec.check = sqldaemon_check;
	ad = adapter_new(argc, argv, &spec);
	/* adapter_start() makes the state directory the checkpoints live in;
	 * the poller takes the feeds, whatever happens. */
	if (adapter_start(ad) == -1) {
		sqlpoll_feeds_free(cfg.feeds);
		adapter_free(ad);
		return 1;
	}
	if ((sp = sqlpoll_new(ad, &cfg.src, cfg.feeds)) == NULL) {
		adapter_free(ad);
		return 1;
	}
	sqlpoll_run(sp);
	sqlpoll_stats(sp, &st);
	log_info("%s: stopping rows=%llu published=%llu acked=%llu "
	    "skipped=%llu ignored=%llu errors=%llu",
	    strncmp(d->progname, "simpul-", 7) == 0 ? d->progname + 7 :
	    d->progname,
	    (unsigned long long)st.rows, (unsigned long long)st.published,
	    (unsigned long long)st.acked, (unsigned long long)st.skipped,
	    (unsigned long long)st.ignored, (unsigned long long)st.errors);
	sqlpoll_free(sp);
	adapter_free(ad);
	return 0;
}
