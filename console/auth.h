/*
 * auth: signing in and out, sessions, and the audit trail.
 *
 * A session token is 32 random bytes (randombytes_buf) in base64url; only
 * its SHA-256 is stored (console_session.id), so the table cannot be used
 * to act as anybody. Passwords are checked with crypto_pwhash_str_verify
 * (argon2id, the parameters stored with each hash by `simpulctl user`). An
 * unknown user costs the same work as a wrong password: the password is
 * checked against a dummy hash made at start, and both get the same 401.
 * At most a few verifications run at once (each may take 64 MiB), the rest
 * wait: memory stays bounded under a flood of sign-ins.
 *
 * Each function answers through struct answer; database failures are 503.
 */
#ifndef SIMPUL_CONSOLE_AUTH_H
#define SIMPUL_CONSOLE_AUTH_H

#include "console.h"

#define AUTH_COOKIE "simpul_session"
#define AUTH_PWHASH_SLOTS 2

/* Makes the dummy hash and the semaphore. 0 / -1 (logged). */
int auth_init(struct console *c);
void auth_fini(struct console *c);

/*
 * The session of r from its Cookie header, into r->s (r->s.id is its key,
 * so that nothing after this parses the cookie again). Returns 0 when
 * signed in (last_seen refreshed when touch), or -1 after filling a with
 * 401 ("unauthorized" without a cookie, "session expired" for a token
 * that is unknown, expired or whose user was disabled) or 503.
 */
int auth_session(struct req *r, struct answer *a, int touch);

int auth_login(struct req *r, struct answer *a);
/* Ends the session auth_session() found for r. */
int auth_logout(struct req *r, struct answer *a);
/* GET /api/me: the signed-in user, as login answers. */
int auth_me(struct req *r, struct answer *a);

/*
 * Writes one console_audit row: r's user (or user when not NULL), action,
 * target (may be NULL) and detail (JSON text, may be NULL). A failure is
 * logged, not returned: the action happened either way.
 */
void auth_audit(struct req *r, const char *user, const char *action,
    const char *target, const char *detail);

/*
 * 1 while the session whose key is id (struct session's id) is valid, 0
 * when not, -1 on failure.
 */
int auth_session_valid(struct console *c, const char *id);

/* Deletes expired sessions. */
void auth_expire(struct console *c);

#endif
