/*
 * casefsm: the life of a case, after the Indonesian public-complaint flow
 * (LAPOR! SP4N, Perpres 76/2013): who may do what to a case in which status,
 * and which SLA clock runs. Pure functions over small value types; no I/O.
 * hub/migrations/0002_cases.sql holds the same transitions in the table
 * case_transition_rule, and tests/integration/test_cases_sql.sh checks that
 * the two agree. docs/cases.md is the reference, with the full table.
 *
 *   new --verify--> verified --assign(opd)--> assigned --acknowledge-->
 *   acknowledged --resolve(note)--> resolved --close--> closed
 *
 *   new, verified --reject(reason)--> rejected
 *   assigned --assign(other opd)--> assigned        (re-assignment)
 *   resolved --reopen--> assigned (same OPD)        (citizen objection)
 *   closed --reopen--> assigned (same OPD)          (supervisor only)
 *   new .. acknowledged --escalate--> (unchanged; level + 1, at most 3)
 *
 * Roles: an operator verifies, rejects, assigns, closes and reopens a
 * resolved case; an OPD acknowledges and resolves cases assigned to its own
 * OPD, nothing else; a supervisor may do everything (acknowledging on an
 * OPD's behalf, e.g. after a phone call, is recorded in the history under
 * the supervisor's name); the system (the hub) closes cases whose
 * auto-close deadline passed and escalates breached deadlines.
 */
#ifndef SIMPUL_CASEFSM_H
#define SIMPUL_CASEFSM_H

#include <stddef.h>

#define CASE_NOTE_MAX 4000	/* bytes of a note (case_history.note) */
/* Escalation levels: 0 officer, 1 OPD head, 2 supervisor, 3 Bupati. */
#define CASE_ESCALATION_MAX 3

enum case_status {
	CASE_STATUS_NEW,
	CASE_STATUS_VERIFIED,
	CASE_STATUS_ASSIGNED,
	CASE_STATUS_ACKNOWLEDGED,
	CASE_STATUS_RESOLVED,
	CASE_STATUS_CLOSED,
	CASE_STATUS_REJECTED,
};
#define CASE_STATUS_COUNT 7

enum case_action {
	CASE_ACTION_VERIFY,
	CASE_ACTION_REJECT,
	CASE_ACTION_ASSIGN,
	CASE_ACTION_ACKNOWLEDGE,
	CASE_ACTION_RESOLVE,
	CASE_ACTION_CLOSE,
	CASE_ACTION_REOPEN,
	CASE_ACTION_ESCALATE,
};
#define CASE_ACTION_COUNT 8

enum case_actor_kind {
	CASE_ACTOR_OPERATOR,	/* command-centre operator on shift */
	CASE_ACTOR_SUPERVISOR,	/* command-centre supervisor */
	CASE_ACTOR_OPD,		/* an agency's officer; opd says which */
	CASE_ACTOR_SYSTEM,	/* the hub's SLA timers */
};

struct case_actor {
	enum case_actor_kind kind;
	const char *opd;	/* CASE_ACTOR_OPD: its OPD; else unused */
};

/* The SLA clock that runs in a status. */
enum case_deadline {
	CASE_DEADLINE_NONE,
	CASE_DEADLINE_VERIFY,		/* new, verified: until assigned */
	CASE_DEADLINE_FOLLOW_UP,	/* assigned, acknowledged */
	CASE_DEADLINE_AUTO_CLOSE,	/* resolved: from resolution */
};

/* Names as stored in PostgreSQL ("new", "acknowledged", ...). */
const char *case_status_name(enum case_status s);
int case_status_parse(const char *s, enum case_status *out);
const char *case_action_name(enum case_action a);
int case_action_parse(const char *s, enum case_action *out);
const char *case_actor_kind_name(enum case_actor_kind k);
int case_actor_kind_parse(const char *s, enum case_actor_kind *out);
/* "verify", "follow_up", "auto_close"; NULL for CASE_DEADLINE_NONE. */
const char *case_deadline_name(enum case_deadline d);
/* "officer", "opd_head", "supervisor", "bupati"; NULL out of 0..3. */
const char *case_escalation_name(int level);

/* 1 for "not_valid", "not_our_authority", "duplicate"; else 0. */
int case_reject_reason_valid(const char *s);
/* 1 for an OPD short name as in the envelope: ^[a-z][a-z0-9_-]{1,31}$. */
int case_opd_valid(const char *s);
/*
 * 1 when a case reference is a numeric id (1 to 18 digits, leading zeros
 * allowed: "0012" is case 12), 0 when it is a case number (human_id,
 * "KRO-2026-000123", never all digits). The one rule by which the hub's
 * case commands, simpulctl and the console find a case.
 */
int case_ref_is_id(const char *ref);
/* Longest case reference accepted anywhere: a case number or an id. */
#define CASE_REF_MAX 64

/*
 * Decides one action on a case that is in status from, whose responsible
 * OPD is case_opd (NULL before the first assignment). arg is the action's
 * argument:
 *
 *   reject   the reason: not_valid, not_our_authority or duplicate
 *   assign   the OPD to assign to (another than case_opd on re-assignment)
 *   resolve  the note saying what was done (required)
 *   others   an optional free note (e.g. the citizen's objection on reopen)
 *
 * A note, which the caller keeps in case_history, is at most CASE_NOTE_MAX
 * bytes.
 *
 * Returns 0 and the new status in *to; or -1 and, if err is not NULL, a
 * message for the person who tried, e.g. "cannot acknowledge a case that is
 * new: verify and assign it first". The status is checked first, then the
 * actor, then arg. Escalation does not change the status: check the level
 * with case_escalation_next() as well.
 */
int case_transition(enum case_status from, enum case_action a,
    const struct case_actor *who, const char *case_opd, const char *arg,
    char *err, size_t errlen, enum case_status *to);

/*
 * The next escalation level after level (0..2 -> 1..3). Returns -1 with a
 * message at the top level (3, the Bupati) or out of range.
 */
int case_escalation_next(int level, int *next, char *err, size_t errlen);

/* The deadline that runs while a case is in status s. */
enum case_deadline case_deadline_of(enum case_status s);

/*
 * 1 if the legal transition from --a--> to starts its deadline afresh at
 * the time of the action (due = then + the policy's duration for
 * case_deadline_of(to), escalation level back to 0): assign and re-assign
 * (a new OPD gets its full follow-up time), resolve, reopen. 0 if the
 * running deadline is kept (verify keeps the verify clock, acknowledge and
 * escalate keep theirs) or stops (close, reject: no deadline).
 */
int case_clock_restarts(enum case_status from, enum case_action a,
    enum case_status to);

#endif
