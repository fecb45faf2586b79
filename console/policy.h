/*
 * policy: who may do what in the console, as pure decisions (no I/O), so
 * the whole matrix is unit-tested (tests/unit/test_console_policy.c).
 *
 *   role        sees                        may do
 *   operator    everything                  operator case actions; replay
 *   supervisor  everything                  supervisor case actions; replay
 *   opd         its own OPD's cases,        acknowledge/resolve its OPD's
 *               events, alerts, vehicles    cases
 *   admin       everything (read)           users, rules; replay; no case
 *                                           actions
 *
 * Which case action is legal for whom in which status is not decided here
 * but by hub/casefsm.c (case_transition()), the one place the hub,
 * simpulctl and the console share; policy_case_actor() only maps a console
 * role to the casefsm actor it acts as.
 */
#ifndef SIMPUL_CONSOLE_POLICY_H
#define SIMPUL_CONSOLE_POLICY_H

#include <stddef.h>

#include "casefsm.h"

enum role {
	ROLE_OPERATOR,
	ROLE_SUPERVISOR,
	ROLE_OPD,
	ROLE_ADMIN,
};
#define ROLE_COUNT 4

/* What an endpoint needs. */
enum grant {
	GRANT_READ,      /* every signed-in user (filtered by OPD for opd) */
	GRANT_CASE_ACT,  /* operator, supervisor, opd */
	GRANT_REPLAY,    /* operator, supervisor, admin */
	GRANT_DEADLETTERS, /* read dead letters: operator, supervisor, admin */
	GRANT_RULES,     /* admin, supervisor */
	GRANT_USERS,     /* admin */
};

const char *role_name(enum role r);
int role_parse(const char *s, enum role *out);
/* 1 when role r may use an endpoint that needs g. */
int policy_allows(enum role r, enum grant g);
/*
 * The casefsm actor of a user: opd is the user's OPD (role opd). Returns
 * 0, or -1 for a role without case actions (admin).
 */
int policy_case_actor(enum role r, const char *opd, struct case_actor *out);
/*
 * The actor name recorded in the case history: "operator:<user>",
 * "supervisor:<user>", "opd:<opd>:<user>". -1 when it does not fit.
 */
int policy_actor_name(enum role r, const char *opd, const char *user,
    char *out, size_t outlen);
/*
 * Whether a user of role r (and OPD opd) may see a row of OPD row_opd
 * (NULL: a row of no OPD, e.g. a case not yet assigned). Non-opd roles
 * see everything; an opd user only rows of its own OPD.
 */
int policy_sees(enum role r, const char *opd, const char *row_opd);
/*
 * The actions (casefsm names) this user may take on a case in status
 * (a status name) of OPD case_opd, written as a JSON array into out
 * (["verify", "reject"]). Returns 0, or -1 if status is not a status.
 */
int policy_allowed_json(enum role r, const char *opd, const char *status,
    const char *case_opd, char *out, size_t outlen);

/*
 * 1 when action is a casefsm name of the case actions people take in the
 * console (all but escalate, the hub's timers'); the one list the API and
 * policy_allowed_json() go by.
 */
int policy_console_action(const char *action);

/*
 * 1 when a user of role r (OPD opd) may take action (a casefsm name) on
 * some case at all, by hub/casefsm.c: an OPD officer may never verify, an
 * admin never act. The API answers 403 before looking at the case when
 * not; whether the step is legal for the case at hand is decided by the
 * state machine under the case's row lock (409 when not).
 */
int policy_may_act(enum role r, const char *opd, const char *action);

/*
 * The CSRF decision for a state-changing request. csrf_header is the
 * X-CSRF-Token header (NULL: none), session_csrf the session's token,
 * origin the Origin header (NULL: none), self the console's own origins
 * ("http://127.0.0.1:8480", several separated by spaces: the configured
 * public origin and the listen address). Returns 1 when the request may
 * proceed: the token is there and equal (compared in constant time) and
 * an Origin, if sent, is one of self's.
 */
int policy_csrf_ok(const char *csrf_header, const char *session_csrf,
    const char *origin, const char *self);
/* 1 when origin (NULL: none sent) is absent or one of self's (sign-in). */
int policy_origin_ok(const char *origin, const char *self);

#endif
