/*
 * api: the JSON API under /api (docs/console.md): the route table, the
 * checks every request goes through in order (known route 404, session
 * 401, CSRF 403 {"error":"csrf"} for POST, role 403 {"error":"forbidden"}),
 * and one handler per endpoint. Handlers validate every query parameter
 * with param.c (400 naming it) and send one parameterised statement whose
 * answer PostgreSQL builds as JSON. An OPD officer's queries carry its OPD
 * as a scope, so another OPD's rows are never returned; a case of another
 * OPD is 404.
 *
 * /api/live (the stream) is served by server.c with live.c; api_live_auth()
 * runs the same session check for it.
 */
#ifndef SIMPUL_CONSOLE_API_H
#define SIMPUL_CONSOLE_API_H

#include "console.h"

/*
 * Makes what the API keeps between requests: the caches of the GeoJSON
 * files (read again when they change). api_fini() frees them.
 */
void api_init(struct console *c);
void api_fini(struct console *c);

/* Answers one request under /api (r->path is what follows "/api/"). */
void api_handle(struct req *r, struct answer *a);

#endif
