/*
 * server: simpul-console's HTTP server on libmicrohttpd: the static
 * assets of [console] web_dir ("/" is index.html, other paths are files
 * below it), the JSON API under /api (api.c) and the live stream
 * /api/live (live.c). The only console module that sees libmicrohttpd
 * besides the header lookups of api.c and auth.c.
 *
 * Threads: one per connection (MHD_USE_THREAD_PER_CONNECTION), at most
 * [console] max_connections of them, since a live stream blocks its
 * thread while it waits for news; an idle connection is closed after
 * SERVER_IDLE_S. Memory: request headers are limited per connection,
 * bodies to [console] max_body (413 beyond).
 *
 * Every answer carries the security headers of docs/console.md (CSP
 * without inline scripts, nosniff, no referrer, no framing); API answers
 * are not cached.
 */
#ifndef SIMPUL_CONSOLE_SERVER_H
#define SIMPUL_CONSOLE_SERVER_H

#include "console.h"

#define SERVER_IDLE_S 60

struct server;

struct server *server_start(struct console *c);
/* The bound port (for logs, and for a listen port 0). */
int server_port(const struct server *s);
void server_stop(struct server *s);

#endif
