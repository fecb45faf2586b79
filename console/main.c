/*
 * simpul-console: the operator console's server (docs/console.md).
 *
 *   simpul-console -c FILE [-n] [-d] [-D]
 *
 * -n checks the configuration and exits; -d logs at debug level (the
 * console always logs to stderr, for journald); -D prints every
 * configuration key with its default and help.
 *
 * Threads: main (waits for a signal), the HTTP server's (one per
 * connection, bounded), the live tail, and Paho's for the hub status.
 * SIGTERM/SIGINT stop it: streams end, connections close, then exit.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "auth.h"
#include "config.h"
#include "console.h"
#include "db.h"
#include "httpd.h"
#include "hubwatch.h"
#include "live.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "util.h"

static volatile sig_atomic_t got_stop;

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: simpul-console [-dnD] -c FILE\n"
	    "  -c FILE  configuration (INI; see docs/console.md)\n"
	    "  -n       check the configuration and exit\n"
	    "  -d       debug logging\n"
	    "  -D       print every configuration key with its default\n");
	exit(2);
}

/*
 * The origins a browser of this console sends (policy_csrf_ok), with the
 * port the server is bound to: the configured one may be 0 (any free port).
 */
static void
self_origins(struct console *c, int port)
{
	const struct console_config *cfg = c->cfg;
	char host[64], err[128];
	int cfg_port;

	c->self_origins[0] = '\0';
	if (httpd_parse_listen(cfg->listen, host, sizeof(host), &cfg_port, err,
	    sizeof(err)) == 0) {
		snprintf(c->self_origins, sizeof(c->self_origins),
		    "http://%s%s%s:%d", strchr(host, ':') ? "[" : "", host,
		    strchr(host, ':') ? "]" : "", port);
		if (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0)
			snprintf(c->self_origins + strlen(c->self_origins),
			    sizeof(c->self_origins) - strlen(c->self_origins),
			    " http://localhost:%d", port);
	}
	if (*cfg->public_origin != '\0')
		snprintf(c->self_origins + strlen(c->self_origins),
		    sizeof(c->self_origins) - strlen(c->self_origins), " %s",
		    cfg->public_origin);
}

static int
run(struct console *c)
{
	struct server *srv = NULL;
	struct hubwatch *hw = NULL;
	struct sigaction sa;
	int rc = 1;

	if (auth_init(c) == -1)
		return 1;
	api_init(c);
	c->pool = dbpool_new(c->cfg->pg_conninfo, (int)c->cfg->db_pool);
	c->store = store_new(c->cfg->pg_conninfo, "console", c->cfg->site);
	pthread_mutex_init(&c->store_mu, NULL);
	if (store_connect(c->store) == -1)
		log_warnx("console: PostgreSQL is down; case actions retry "
		    "when it is back");
	/* Connected at the first replay. */
	c->replay_store = store_new(c->cfg->pg_conninfo, "console",
	    c->cfg->site);
	pthread_mutex_init(&c->replay_mu, NULL);
	if ((c->live = live_start(c)) == NULL)
		goto out;
	hw = hubwatch_start(c);
	if ((srv = server_start(c)) == NULL)
		goto out;
	self_origins(c, server_port(srv));
	log_info("console: listening on %s port=%d web_dir=%s",
	    c->cfg->listen, server_port(srv), c->cfg->web_dir);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!got_stop)
		pause();
	log_info("console: stopping");
	rc = 0;
out:
	if (c->live != NULL)
		live_end(c->live);
	server_stop(srv);
	hubwatch_stop(hw);
	live_stop(c->live);
	store_free(c->store);
	pthread_mutex_destroy(&c->store_mu);
	store_free(c->replay_store);
	pthread_mutex_destroy(&c->replay_mu);
	dbpool_free(c->pool);
	api_fini(c);
	auth_fini(c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct console_config cfg;
	struct console c;
	const char *path = NULL;
	int ch, check = 0, debug = 0, errors, rc;

	log_init("simpul-console", LOG_LEVEL_INFO);
	while ((ch = getopt(argc, argv, "c:dnD")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'D':
			console_config_dump(stdout);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || path == NULL)
		usage();
	errors = console_config_load(&cfg, path);
	if (errors > 0) {
		log_warnx("%s: %d error%s", path, errors, errors == 1 ? "" :
		    "s");
		console_config_free(&cfg);
		return 1;
	}
	if (check) {
		printf("%s: ok\n", path);
		console_config_free(&cfg);
		return 0;
	}
	log_set_level(debug ? LOG_LEVEL_DEBUG :
	    strcmp(cfg.log_level, "warn") == 0 ? LOG_LEVEL_WARN :
	    strcmp(cfg.log_level, "debug") == 0 ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_INFO);
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	rc = run(&c);
	console_config_free(&cfg);
	return rc;
}
