/*
 * casefsm: the case state machine; see casefsm.h for the flow and the roles.
 *
 * Two tables say everything about statuses: the list of legal transitions,
 * and for every illegal (status, action) pair the hint that the refusal
 * gives ("verify and assign it first"). The unit test checks that each pair
 * is in exactly one of them, so a refusal never says less than why. Roles
 * and arguments are checked in code after the status, because they depend
 * on who acts and on the case's OPD.
 */
#include "casefsm.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[CASE_STATUS_COUNT] = {
	"new", "verified", "assigned", "acknowledged", "resolved", "closed",
	"rejected",
};

static const char *const action_names[CASE_ACTION_COUNT] = {
	"verify", "reject", "assign", "acknowledge", "resolve", "close",
	"reopen", "escalate",
};

static const char *const actor_names[] = {
	"operator", "supervisor", "opd", "system",
};

static const char *const escalation_names[CASE_ESCALATION_MAX + 1] = {
	"officer", "opd_head", "supervisor", "bupati",
};

static const char *const reject_reasons[] = {
	"not_valid", "not_our_authority", "duplicate",
};

/*
 * Every legal transition. Escalation keeps the status; reopen sends the case
 * back to the OPD it was assigned to. Anything not listed is refused with
 * the hint from the table below.
 */
static const struct transition {
	enum case_status from;
	enum case_action action;
	enum case_status to;
} transitions[] = {
	{ CASE_STATUS_NEW, CASE_ACTION_VERIFY, CASE_STATUS_VERIFIED },
	{ CASE_STATUS_NEW, CASE_ACTION_REJECT, CASE_STATUS_REJECTED },
	{ CASE_STATUS_NEW, CASE_ACTION_ESCALATE, CASE_STATUS_NEW },
	{ CASE_STATUS_VERIFIED, CASE_ACTION_REJECT, CASE_STATUS_REJECTED },
	{ CASE_STATUS_VERIFIED, CASE_ACTION_ASSIGN, CASE_STATUS_ASSIGNED },
	{ CASE_STATUS_VERIFIED, CASE_ACTION_ESCALATE, CASE_STATUS_VERIFIED },
	{ CASE_STATUS_ASSIGNED, CASE_ACTION_ASSIGN, CASE_STATUS_ASSIGNED },
	{ CASE_STATUS_ASSIGNED, CASE_ACTION_ACKNOWLEDGE,
	    CASE_STATUS_ACKNOWLEDGED },
	{ CASE_STATUS_ASSIGNED, CASE_ACTION_ESCALATE, CASE_STATUS_ASSIGNED },
	{ CASE_STATUS_ACKNOWLEDGED, CASE_ACTION_RESOLVE, CASE_STATUS_RESOLVED },
	{ CASE_STATUS_ACKNOWLEDGED, CASE_ACTION_ESCALATE,
	    CASE_STATUS_ACKNOWLEDGED },
	{ CASE_STATUS_RESOLVED, CASE_ACTION_CLOSE, CASE_STATUS_CLOSED },
	{ CASE_STATUS_RESOLVED, CASE_ACTION_REOPEN, CASE_STATUS_ASSIGNED },
	{ CASE_STATUS_CLOSED, CASE_ACTION_REOPEN, CASE_STATUS_ASSIGNED },
};

#define FINAL_CLOSED "a closed case is final (a supervisor may reopen it)"
#define FINAL_REJECTED "a rejected case is final; open a new case instead"
#define STILL_OPEN "it is still open"
#define ONLY_RESOLVED "only a resolved case can be closed"
#define ONLY_RESOLVED_OR_REJECT \
	"only a resolved case can be closed; reject it if it is not valid"

/* An array, not a macro, so no analyzer takes the concatenation for a typo. */
static const char escalate_resolved[] = "no deadline is left to escalate; "
    "it closes by itself when its auto-close deadline passes";

/* hint[from][action]: why an illegal action is refused (NULL if legal). */
static const char *const hint[CASE_STATUS_COUNT][CASE_ACTION_COUNT] = {
	[CASE_STATUS_NEW] = {
		[CASE_ACTION_ASSIGN] = "verify it first",
		[CASE_ACTION_ACKNOWLEDGE] = "verify and assign it first",
		[CASE_ACTION_RESOLVE] =
		    "verify and assign it, and have it acknowledged, first",
		[CASE_ACTION_CLOSE] = ONLY_RESOLVED_OR_REJECT,
		[CASE_ACTION_REOPEN] = STILL_OPEN,
	},
	[CASE_STATUS_VERIFIED] = {
		[CASE_ACTION_VERIFY] = "it is verified already",
		[CASE_ACTION_ACKNOWLEDGE] = "assign it first",
		[CASE_ACTION_RESOLVE] =
		    "assign it and have it acknowledged first",
		[CASE_ACTION_CLOSE] = ONLY_RESOLVED_OR_REJECT,
		[CASE_ACTION_REOPEN] = STILL_OPEN,
	},
	[CASE_STATUS_ASSIGNED] = {
		[CASE_ACTION_VERIFY] = "it was verified already",
		[CASE_ACTION_REJECT] =
		    "it was assigned to an OPD already; re-assign it instead",
		[CASE_ACTION_RESOLVE] = "its OPD must acknowledge it first",
		[CASE_ACTION_CLOSE] = ONLY_RESOLVED,
		[CASE_ACTION_REOPEN] = STILL_OPEN,
	},
	[CASE_STATUS_ACKNOWLEDGED] = {
		[CASE_ACTION_VERIFY] = "it was verified already",
		[CASE_ACTION_REJECT] = "its OPD is working on it already",
		[CASE_ACTION_ASSIGN] =
		    "its OPD has acknowledged it and must resolve it",
		[CASE_ACTION_ACKNOWLEDGE] = "it is acknowledged already",
		[CASE_ACTION_CLOSE] = ONLY_RESOLVED,
		[CASE_ACTION_REOPEN] = STILL_OPEN,
	},
	[CASE_STATUS_RESOLVED] = {
		[CASE_ACTION_VERIFY] = "it was verified already",
		[CASE_ACTION_REJECT] = "it is resolved already",
		[CASE_ACTION_ASSIGN] = "reopen it to send it back to its OPD",
		[CASE_ACTION_ACKNOWLEDGE] = "it is resolved already",
		[CASE_ACTION_RESOLVE] = "it is resolved already",
		[CASE_ACTION_ESCALATE] = escalate_resolved,
	},
	[CASE_STATUS_CLOSED] = {
		[CASE_ACTION_VERIFY] = FINAL_CLOSED,
		[CASE_ACTION_REJECT] = FINAL_CLOSED,
		[CASE_ACTION_ASSIGN] = FINAL_CLOSED,
		[CASE_ACTION_ACKNOWLEDGE] = FINAL_CLOSED,
		[CASE_ACTION_RESOLVE] = FINAL_CLOSED,
		[CASE_ACTION_CLOSE] = FINAL_CLOSED,
		[CASE_ACTION_ESCALATE] = FINAL_CLOSED,
	},
	[CASE_STATUS_REJECTED] = {
		[CASE_ACTION_VERIFY] = FINAL_REJECTED,
		[CASE_ACTION_REJECT] = FINAL_REJECTED,
		[CASE_ACTION_ASSIGN] = FINAL_REJECTED,
		[CASE_ACTION_ACKNOWLEDGE] = FINAL_REJECTED,
		[CASE_ACTION_RESOLVE] = FINAL_REJECTED,
		[CASE_ACTION_CLOSE] = FINAL_REJECTED,
		[CASE_ACTION_REOPEN] = FINAL_REJECTED,
		[CASE_ACTION_ESCALATE] = FINAL_REJECTED,
	},
};

static int
name_parse(const char *const *names, size_t n, const char *s, int *out)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return -1;
}

/* The legal transition for (from, a), or NULL. */
static const struct transition *
transition_find(enum case_status from, enum case_action a)
{
	size_t i;

	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].from == from && transitions[i].action == a)
			return &transitions[i];
	return NULL;
}

const char *
case_status_name(enum case_status s)
{
	return (unsigned)s < CASE_STATUS_COUNT ? status_names[s] : NULL;
}

int
case_status_parse(const char *s, enum case_status *out)
{
	int i;

	if (name_parse(status_names, CASE_STATUS_COUNT, s, &i) == -1)
		return -1;
	*out = (enum case_status)i;
	return 0;
}

const char *
case_action_name(enum case_action a)
{
	return (unsigned)a < CASE_ACTION_COUNT ? action_names[a] : NULL;
}

int
case_action_parse(const char *s, enum case_action *out)
{
	int i;

	if (name_parse(action_names, CASE_ACTION_COUNT, s, &i) == -1)
		return -1;
	*out = (enum case_action)i;
	return 0;
}

const char *
case_actor_kind_name(enum case_actor_kind k)
{
	return (unsigned)k < sizeof(actor_names) / sizeof(actor_names[0]) ?
	    actor_names[k] : NULL;
}

int
case_actor_kind_parse(const char *s, enum case_actor_kind *out)
{
	int i;

	if (name_parse(actor_names, sizeof(actor_names) /
	    sizeof(actor_names[0]), s, &i) == -1)
		return -1;
	*out = (enum case_actor_kind)i;
	return 0;
}

const char *
case_deadline_name(enum case_deadline d)
{
	switch (d) {
	case CASE_DEADLINE_VERIFY:
		return "verify";
	case CASE_DEADLINE_FOLLOW_UP:
		return "follow_up";
	case CASE_DEADLINE_AUTO_CLOSE:
		return "auto_close";
	case CASE_DEADLINE_NONE:
		break;
	}
	return NULL;
}

const char *
case_escalation_name(int level)
{
	if (level < 0 || level > CASE_ESCALATION_MAX)
		return NULL;
	return escalation_names[level];
}

int
case_reject_reason_valid(const char *s)
{
	int i;

	return name_parse(reject_reasons, sizeof(reject_reasons) /
	    sizeof(reject_reasons[0]), s, &i) == 0;
}

int
case_opd_valid(const char *s)
{
	size_t i;

	if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= 32)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	}
	return i >= 2;
}

int
case_ref_is_id(const char *ref)
{
	size_t n = strspn(ref, "0123456789");

	return n > 0 && n <= 18 && ref[n] == '\0';
}

/* Formats a refusal; always returns -1 so callers can "return refuse(...)". */
static int
refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Whether who may take action a on a case in status from whose OPD is
 * case_opd. Returns 0 or refuses with the reason.
 */
static int
role_check(enum case_status from, enum case_action a,
    const struct case_actor *who, const char *case_opd, char *err,
    size_t errlen)
{
	const char *an = action_names[a];

	switch (who->kind) {
	case CASE_ACTOR_SUPERVISOR:
		return 0;
	case CASE_ACTOR_OPERATOR:
		switch (a) {
		case CASE_ACTION_VERIFY:
		case CASE_ACTION_REJECT:
		case CASE_ACTION_ASSIGN:
		case CASE_ACTION_CLOSE:
			return 0;
		case CASE_ACTION_REOPEN:
			if (from == CASE_STATUS_CLOSED)
				return refuse(err, errlen, "an operator cannot "
				    "reopen a closed case: only a supervisor "
				    "can");
			return 0;
		case CASE_ACTION_ACKNOWLEDGE:
		case CASE_ACTION_RESOLVE:
			return refuse(err, errlen, "an operator cannot %s a "
			    "case: only its OPD (or a supervisor) can", an);
		case CASE_ACTION_ESCALATE:
			return refuse(err, errlen, "an operator cannot "
			    "escalate a case: the SLA timers or a supervisor "
			    "do");
		}
		break;
	case CASE_ACTOR_OPD:
		if (a != CASE_ACTION_ACKNOWLEDGE && a != CASE_ACTION_RESOLVE)
			return refuse(err, errlen, "an OPD cannot %s a case: "
			    "it may only acknowledge or resolve the cases "
			    "assigned to it", an);
		if (!case_opd_valid(who->opd))
			return refuse(err, errlen, "cannot %s: the acting OPD "
			    "has no valid name", an);
		if (case_opd == NULL || strcmp(who->opd, case_opd) != 0)
			return refuse(err, errlen, "cannot %s: the case is "
			    "assigned to %.32s, not to %.32s", an,
			    case_opd != NULL ? case_opd : "no OPD", who->opd);
		return 0;
	case CASE_ACTOR_SYSTEM:
		if (a != CASE_ACTION_CLOSE && a != CASE_ACTION_ESCALATE)
			return refuse(err, errlen, "the system cannot %s a "
			    "case: it only closes resolved cases and "
			    "escalates deadlines", an);
		return 0;
	}
	return refuse(err, errlen, "unknown kind of actor");
}

static int
note_valid(const char *s)
{
	const char *p;

	if (s == NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isspace((unsigned char)*p))
			return 1;
	return 0;
}

int
case_transition(enum case_status from, enum case_action a,
    const struct case_actor *who, const char *case_opd, const char *arg,
    char *err, size_t errlen, enum case_status *to)
{
	const struct transition *t;
	const char *an;

	if ((unsigned)from >= CASE_STATUS_COUNT)
		return refuse(err, errlen, "unknown case status");
	if ((unsigned)a >= CASE_ACTION_COUNT)
		return refuse(err, errlen, "unknown action");
	if (who == NULL)
		return refuse(err, errlen, "no actor");
	an = action_names[a];

	if ((t = transition_find(from, a)) == NULL)
		return refuse(err, errlen, "cannot %s a case that is %s: %s",
		    an, status_names[from], hint[from][a] != NULL ?
		    hint[from][a] : "not a step of the case flow");
	if (role_check(from, a, who, case_opd, err, errlen) == -1)
		return -1;

	switch (a) {
	case CASE_ACTION_REJECT:
		if (!case_reject_reason_valid(arg))
			return refuse(err, errlen, "reject needs a reason: "
			    "not_valid, not_our_authority or duplicate");
		break;
	case CASE_ACTION_ASSIGN:
		if (!case_opd_valid(arg))
			return refuse(err, errlen, "assign needs an OPD, a "
			    "lower-case short name such as dishub");
		if (case_opd != NULL && strcmp(arg, case_opd) == 0 &&
		    from == CASE_STATUS_ASSIGNED)
			return refuse(err, errlen, "the case is assigned to "
			    "%.32s already", arg);
		break;
	case CASE_ACTION_VERIFY:
	case CASE_ACTION_ACKNOWLEDGE:
	case CASE_ACTION_RESOLVE:
	case CASE_ACTION_CLOSE:
	case CASE_ACTION_REOPEN:
	case CASE_ACTION_ESCALATE:
		/* A note, kept in the history: bounded like the column. */
		if (arg != NULL && strlen(arg) > CASE_NOTE_MAX)
			return refuse(err, errlen, "the note is longer than "
			    "%d bytes", CASE_NOTE_MAX);
		if (a == CASE_ACTION_RESOLVE && !note_valid(arg))
			return refuse(err, errlen, "resolve needs a note "
			    "saying what was done");
		/*
		 * These keep the case with its OPD or give it back; a case
		 * in these statuses without one is inconsistent data.
		 */
		if ((a == CASE_ACTION_ACKNOWLEDGE || a == CASE_ACTION_RESOLVE ||
		    a == CASE_ACTION_REOPEN) && !case_opd_valid(case_opd))
			return refuse(err, errlen, "cannot %s: the case has no "
			    "OPD", an);
		break;
	}
	*to = t->to;
	return 0;
}

int
case_escalation_next(int level, int *next, char *err, size_t errlen)
{
	if (level == CASE_ESCALATION_MAX)
		return refuse(err, errlen, "the case is escalated to the "
		    "Bupati already, the top level");
	if (level < 0 || level > CASE_ESCALATION_MAX)
		return refuse(err, errlen, "escalation level %d is out of "
		    "range 0..%d", level, CASE_ESCALATION_MAX);
	*next = level + 1;
	return 0;
}

enum case_deadline
case_deadline_of(enum case_status s)
{
	switch (s) {
	case CASE_STATUS_NEW:
	case CASE_STATUS_VERIFIED:
		return CASE_DEADLINE_VERIFY;
	case CASE_STATUS_ASSIGNED:
	case CASE_STATUS_ACKNOWLEDGED:
		return CASE_DEADLINE_FOLLOW_UP;
	case CASE_STATUS_RESOLVED:
		return CASE_DEADLINE_AUTO_CLOSE;
	case CASE_STATUS_CLOSED:
	case CASE_STATUS_REJECTED:
		break;
	}
	return CASE_DEADLINE_NONE;
}

int
case_clock_restarts(enum case_status from, enum case_action a,
    enum case_status to)
{
	const struct transition *t = transition_find(from, a);

	if (t == NULL || t->to != to)
		return 0;
	return a == CASE_ACTION_ASSIGN || a == CASE_ACTION_RESOLVE ||
	    a == CASE_ACTION_REOPEN;
}
