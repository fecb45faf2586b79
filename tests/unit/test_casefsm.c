/*
 * test_casefsm: the case state machine (hub/casefsm.c).
 *
 * Every (status, action) pair against a table written here independently of
 * the module: the legal ones lead to the right status, every illegal one is
 * refused with "cannot ACTION a case that is STATUS: why". Then every actor
 * kind on every legal pair, the arguments (reject reasons, OPD names,
 * resolution notes), escalation levels and which clock runs.
 */
#include <stdio.h>
#include <string.h>

#include "casefsm.h"
#include "testlib.h"

#define X (-1)

/* expect[status][action]: the new status, or X for a refusal. */
static const int expect[CASE_STATUS_COUNT][CASE_ACTION_COUNT] = {
	/* verify reject assign acknowledge resolve close reopen escalate */
	[CASE_STATUS_NEW] = { CASE_STATUS_VERIFIED, CASE_STATUS_REJECTED, X,
	    X, X, X, X, CASE_STATUS_NEW },
	[CASE_STATUS_VERIFIED] = { X, CASE_STATUS_REJECTED,
	    CASE_STATUS_ASSIGNED, X, X, X, X, CASE_STATUS_VERIFIED },
	[CASE_STATUS_ASSIGNED] = { X, X, CASE_STATUS_ASSIGNED,
	    CASE_STATUS_ACKNOWLEDGED, X, X, X, CASE_STATUS_ASSIGNED },
	[CASE_STATUS_ACKNOWLEDGED] = { X, X, X, X, CASE_STATUS_RESOLVED, X, X,
	    CASE_STATUS_ACKNOWLEDGED },
	[CASE_STATUS_RESOLVED] = { X, X, X, X, X, CASE_STATUS_CLOSED,
	    CASE_STATUS_ASSIGNED, X },
	[CASE_STATUS_CLOSED] = { X, X, X, X, X, X, CASE_STATUS_ASSIGNED, X },
	[CASE_STATUS_REJECTED] = { X, X, X, X, X, X, X, X },
};

static const struct case_actor supervisor = { CASE_ACTOR_SUPERVISOR, NULL };
static const struct case_actor operator = { CASE_ACTOR_OPERATOR, NULL };
static const struct case_actor system_ = { CASE_ACTOR_SYSTEM, NULL };
static const struct case_actor dishub = { CASE_ACTOR_OPD, "dishub" };
static const struct case_actor bpkad = { CASE_ACTOR_OPD, "bpkad" };

/* The case's OPD in each status: none before the first assignment. */
static const char *
opd_of(enum case_status s)
{
	return s == CASE_STATUS_NEW || s == CASE_STATUS_VERIFIED ||
	    s == CASE_STATUS_REJECTED ? NULL : "dishub";
}

/* An argument that satisfies the action. */
static const char *
good_arg(enum case_action a)
{
	switch (a) {
	case CASE_ACTION_REJECT:
		return "duplicate";
	case CASE_ACTION_ASSIGN:
		return "pupr";
	case CASE_ACTION_RESOLVE:
		return "Lubang di Jl. Veteran Kabanjahe sudah ditambal";
	default:
		return NULL;
	}
}

#define CHECK_HAS(s, part)                                                    \
	do {                                                                  \
		const char *s_ = (s), *p_ = (part);                           \
		if (strstr(s_, p_) != NULL)                                   \
			testlib_passed++;                                     \
		else                                                          \
			testlib_fail(__FILE__, __LINE__,                      \
			    "\"%s\" lacks \"%s\"", s_, p_);                   \
	} while (0)

static void
test_names(void)
{
	enum case_status s;
	enum case_action a;
	enum case_actor_kind k;
	int i;

	for (i = 0; i < CASE_STATUS_COUNT; i++) {
		CHECK(case_status_name((enum case_status)i) != NULL);
		CHECK_INT(case_status_parse(case_status_name(
		    (enum case_status)i), &s), 0);
		CHECK_INT(s, i);
	}
	for (i = 0; i < CASE_ACTION_COUNT; i++) {
		CHECK(case_action_name((enum case_action)i) != NULL);
		CHECK_INT(case_action_parse(case_action_name(
		    (enum case_action)i), &a), 0);
		CHECK_INT(a, i);
	}
	for (i = 0; i < 4; i++) {
		CHECK_INT(case_actor_kind_parse(case_actor_kind_name(
		    (enum case_actor_kind)i), &k), 0);
		CHECK_INT(k, i);
	}
	CHECK_STR(case_status_name(CASE_STATUS_ACKNOWLEDGED), "acknowledged");
	CHECK_STR(case_action_name(CASE_ACTION_REOPEN), "reopen");
	CHECK_STR(case_actor_kind_name(CASE_ACTOR_OPD), "opd");
	CHECK(case_status_name((enum case_status)CASE_STATUS_COUNT) == NULL);
	CHECK(case_action_name((enum case_action)CASE_ACTION_COUNT) == NULL);
	CHECK(case_actor_kind_name((enum case_actor_kind)4) == NULL);
	CHECK_INT(case_status_parse("New", &s), -1);
	CHECK_INT(case_status_parse("", &s), -1);
	CHECK_INT(case_status_parse(NULL, &s), -1);
	CHECK_INT(case_status_parse("open", &s), -1);
	CHECK_INT(case_action_parse("ack", &a), -1);
	CHECK_INT(case_action_parse("verify ", &a), -1);
	CHECK_INT(case_actor_kind_parse("admin", &k), -1);

	CHECK_STR(case_deadline_name(CASE_DEADLINE_VERIFY), "verify");
	CHECK_STR(case_deadline_name(CASE_DEADLINE_FOLLOW_UP), "follow_up");
	CHECK_STR(case_deadline_name(CASE_DEADLINE_AUTO_CLOSE), "auto_close");
	CHECK(case_deadline_name(CASE_DEADLINE_NONE) == NULL);
	CHECK_STR(case_escalation_name(0), "officer");
	CHECK_STR(case_escalation_name(1), "opd_head");
	CHECK_STR(case_escalation_name(2), "supervisor");
	CHECK_STR(case_escalation_name(3), "bupati");
	CHECK(case_escalation_name(4) == NULL);
	CHECK(case_escalation_name(-1) == NULL);
}

/* One pair, as a supervisor (who may do anything) with good arguments. */
static int
check_pair(enum case_status s, enum case_action a)
{
	const char *sn = case_status_name(s), *an = case_action_name(a);
	enum case_status to = (enum case_status)99;
	char err[256] = "", want[128];
	int rc;

	rc = case_transition(s, a, &supervisor, opd_of(s), good_arg(a), err,
	    sizeof(err), &to);
	if (expect[s][a] != X) {
		if (rc != 0)
			testlib_fail(__FILE__, __LINE__, "%s on %s refused: %s",
			    an, sn, err);
		else
			testlib_passed++;
		CHECK_INT(to, expect[s][a]);
		return 1;
	}
	CHECK_INT(rc, -1);
	CHECK_INT(to, 99);	/* untouched on refusal */
	snprintf(want, sizeof(want), "cannot %s a case that is %s: ", an, sn);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	/* ... with a real reason after the colon. */
	CHECK(strlen(err) > strlen(want) + 8);
	CHECK(strstr(err, "not a step") == NULL);
	CHECK(strstr(err, "(null)") == NULL);
	return 0;
}

static void
test_every_pair(void)
{
	enum case_status to;
	char err[256];
	int s, a, legal = 0;

	for (s = 0; s < CASE_STATUS_COUNT; s++)
		for (a = 0; a < CASE_ACTION_COUNT; a++)
			legal += check_pair((enum case_status)s,
			    (enum case_action)a);
	CHECK_INT(legal, 14);

	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_ACKNOWLEDGE,
	    &dishub, NULL, NULL, err, sizeof(err), &to), -1);
	CHECK_STR(err, "cannot acknowledge a case that is new: verify and "
	    "assign it first");
	CHECK_INT(case_transition(CASE_STATUS_CLOSED, CASE_ACTION_ASSIGN,
	    &operator, "dishub", "pupr", err, sizeof(err), &to), -1);
	CHECK_STR(err, "cannot assign a case that is closed: a closed case is "
	    "final (a supervisor may reopen it)");
	CHECK_INT(case_transition(CASE_STATUS_REJECTED, CASE_ACTION_REOPEN,
	    &supervisor, NULL, NULL, err, sizeof(err), &to), -1);
	CHECK_HAS(err, "open a new case instead");
	CHECK_INT(case_transition(CASE_STATUS_ASSIGNED, CASE_ACTION_RESOLVE,
	    &dishub, "dishub", "done", err, sizeof(err), &to), -1);
	CHECK_STR(err, "cannot resolve a case that is assigned: its OPD must "
	    "acknowledge it first");

	/* Bad enums, no actor, no room for a message. */
	CHECK_INT(case_transition((enum case_status)CASE_STATUS_COUNT,
	    CASE_ACTION_VERIFY, &supervisor, NULL, NULL, err, sizeof(err),
	    &to), -1);
	CHECK_STR(err, "unknown case status");
	CHECK_INT(case_transition(CASE_STATUS_NEW,
	    (enum case_action)CASE_ACTION_COUNT, &supervisor, NULL, NULL, err,
	    sizeof(err), &to), -1);
	CHECK_STR(err, "unknown action");
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_VERIFY, NULL,
	    NULL, NULL, err, sizeof(err), &to), -1);
	CHECK_STR(err, "no actor");
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_ASSIGN,
	    &supervisor, NULL, "pupr", NULL, 0, &to), -1);
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_ASSIGN,
	    &supervisor, NULL, "pupr", err, 10, &to), -1);
	CHECK_INT(strlen(err), 9);
}

/* Whether an actor may take a legal action (in status s), per casefsm.h. */
static int
allowed(const struct case_actor *who, enum case_status s, enum case_action a,
    const char *case_opd)
{
	switch (who->kind) {
	case CASE_ACTOR_SUPERVISOR:
		return 1;
	case CASE_ACTOR_OPERATOR:
		if (a == CASE_ACTION_REOPEN)
			return s == CASE_STATUS_RESOLVED;
		return a == CASE_ACTION_VERIFY || a == CASE_ACTION_REJECT ||
		    a == CASE_ACTION_ASSIGN || a == CASE_ACTION_CLOSE;
	case CASE_ACTOR_OPD:
		return (a == CASE_ACTION_ACKNOWLEDGE ||
		    a == CASE_ACTION_RESOLVE) && case_opd != NULL &&
		    strcmp(case_opd, who->opd) == 0;
	case CASE_ACTOR_SYSTEM:
		return a == CASE_ACTION_CLOSE || a == CASE_ACTION_ESCALATE;
	}
	return 0;
}

/* One actor on one legal pair; returns whether it was allowed. */
static int
check_role(const struct case_actor *who, enum case_status s,
    enum case_action a)
{
	const char *copd = opd_of(s);
	enum case_status to;
	char err[256];
	int want = allowed(who, s, a, copd), rc;

	rc = case_transition(s, a, who, copd, good_arg(a), err, sizeof(err),
	    &to);
	if ((rc == 0) != want)
		testlib_fail(__FILE__, __LINE__, "%s by %s %s on %s: got %d "
		    "(%s)", case_action_name(a),
		    case_actor_kind_name(who->kind),
		    who->opd != NULL ? who->opd : "", case_status_name(s), rc,
		    rc == 0 ? "ok" : err);
	else
		testlib_passed++;
	return want;
}

static void
test_roles(void)
{
	const struct case_actor *actors[] = {
		&supervisor, &operator, &system_, &dishub, &bpkad,
	};
	enum case_status to;
	char err[256];
	size_t i;
	int s, a, allowed_count = 0;

	for (s = 0; s < CASE_STATUS_COUNT; s++)
		for (a = 0; a < CASE_ACTION_COUNT; a++)
			for (i = 0; expect[s][a] != X &&
			    i < sizeof(actors) / sizeof(actors[0]); i++)
				allowed_count += check_role(actors[i],
				    (enum case_status)s, (enum case_action)a);
	/*
	 * supervisor 14; operator 7 (verify, reject x2, assign x2, close,
	 * reopen of a resolved case); system 5 (escalate x4, close); own OPD 2;
	 * other OPD 0.
	 */
	CHECK_INT(allowed_count, 14 + 7 + 5 + 2);

	/* The messages say who may. */
	CHECK_INT(case_transition(CASE_STATUS_ASSIGNED, CASE_ACTION_ACKNOWLEDGE,
	    &operator, "dishub", NULL, err, sizeof(err), &to), -1);
	CHECK_STR(err, "an operator cannot acknowledge a case: only its OPD "
	    "(or a supervisor) can");
	CHECK_INT(case_transition(CASE_STATUS_ASSIGNED, CASE_ACTION_ACKNOWLEDGE,
	    &bpkad, "dishub", NULL, err, sizeof(err), &to), -1);
	CHECK_STR(err, "cannot acknowledge: the case is assigned to dishub, "
	    "not to bpkad");
	CHECK_INT(case_transition(CASE_STATUS_VERIFIED, CASE_ACTION_ASSIGN,
	    &dishub, NULL, "dishub", err, sizeof(err), &to), -1);
	CHECK_HAS(err, "an OPD cannot assign a case");
	CHECK_INT(case_transition(CASE_STATUS_CLOSED, CASE_ACTION_REOPEN,
	    &operator, "dishub", NULL, err, sizeof(err), &to), -1);
	CHECK_HAS(err, "only a supervisor can");
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_VERIFY,
	    &system_, NULL, NULL, err, sizeof(err), &to), -1);
	CHECK_HAS(err, "the system cannot verify a case");
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_ESCALATE,
	    &operator, NULL, NULL, err, sizeof(err), &to), -1);
	CHECK_HAS(err, "an operator cannot escalate");

	/* An OPD actor without a valid name of its own acts on nothing. */
	{
		struct case_actor anon = { CASE_ACTOR_OPD, NULL };
		struct case_actor upper = { CASE_ACTOR_OPD, "Dishub" };

		CHECK_INT(case_transition(CASE_STATUS_ASSIGNED,
		    CASE_ACTION_ACKNOWLEDGE, &anon, "dishub", NULL, err,
		    sizeof(err), &to), -1);
		CHECK_HAS(err, "no valid name");
		CHECK_INT(case_transition(CASE_STATUS_ASSIGNED,
		    CASE_ACTION_ACKNOWLEDGE, &upper, "dishub", NULL, err,
		    sizeof(err), &to), -1);
	}
	/* An unknown actor kind. */
	{
		struct case_actor odd = { (enum case_actor_kind)9, NULL };

		CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_VERIFY,
		    &odd, NULL, NULL, err, sizeof(err), &to), -1);
		CHECK_STR(err, "unknown kind of actor");
	}
}

static void
test_arguments(void)
{
	static const char *const reasons[] = {
		"not_valid", "not_our_authority", "duplicate",
	};
	static const char *const bad_reasons[] = {
		"", "spam", "NOT_VALID", "duplicate ", "not valid",
	};
	static const char *const bad_opds[] = {
		"", "d", "Dishub", "1dishub", "dis hub", "-dishub", "dishub/x",
		"abcdefghijklmnopqrstuvwxyz0123456", "dinas.kesehatan",
	};
	enum case_status to;
	char err[256], note[CASE_NOTE_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		CHECK_INT(case_reject_reason_valid(reasons[i]), 1);
		CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_REJECT,
		    &operator, NULL, reasons[i], err, sizeof(err), &to), 0);
		CHECK_INT(to, CASE_STATUS_REJECTED);
		CHECK_INT(case_transition(CASE_STATUS_VERIFIED,
		    CASE_ACTION_REJECT, &operator, NULL, reasons[i], err,
		    sizeof(err), &to), 0);
	}
	for (i = 0; i < sizeof(bad_reasons) / sizeof(bad_reasons[0]); i++) {
		CHECK_INT(case_reject_reason_valid(bad_reasons[i]), 0);
		CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_REJECT,
		    &operator, NULL, bad_reasons[i], err, sizeof(err), &to),
		    -1);
		CHECK_STR(err, "reject needs a reason: not_valid, "
		    "not_our_authority or duplicate");
	}
	CHECK_INT(case_reject_reason_valid(NULL), 0);
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_REJECT,
	    &supervisor, NULL, NULL, err, sizeof(err), &to), -1);

	/* Assign needs a well-formed OPD, and another one to re-assign. */
	CHECK_INT(case_opd_valid("dishub"), 1);
	CHECK_INT(case_opd_valid("dinas-kesehatan_2"), 1);
	CHECK_INT(case_opd_valid("ab"), 1);
	CHECK_INT(case_opd_valid("abcdefghijklmnopqrstuvwxyz012345"), 1);
	CHECK_INT(case_opd_valid(NULL), 0);
	for (i = 0; i < sizeof(bad_opds) / sizeof(bad_opds[0]); i++) {
		CHECK_INT(case_opd_valid(bad_opds[i]), 0);
		CHECK_INT(case_transition(CASE_STATUS_VERIFIED,
		    CASE_ACTION_ASSIGN, &operator, NULL, bad_opds[i], err,
		    sizeof(err), &to), -1);
		CHECK_HAS(err, "assign needs an OPD");
	}
	CHECK_INT(case_transition(CASE_STATUS_VERIFIED, CASE_ACTION_ASSIGN,
	    &operator, NULL, NULL, err, sizeof(err), &to), -1);
	CHECK_INT(case_transition(CASE_STATUS_VERIFIED, CASE_ACTION_ASSIGN,
	    &operator, NULL, "dishub", err, sizeof(err), &to), 0);
	CHECK_INT(to, CASE_STATUS_ASSIGNED);
	CHECK_INT(case_transition(CASE_STATUS_ASSIGNED, CASE_ACTION_ASSIGN,
	    &operator, "dishub", "dishub", err, sizeof(err), &to), -1);
	CHECK_STR(err, "the case is assigned to dishub already");
	CHECK_INT(case_transition(CASE_STATUS_ASSIGNED, CASE_ACTION_ASSIGN,
	    &operator, "dishub", "pupr", err, sizeof(err), &to), 0);
	CHECK_INT(to, CASE_STATUS_ASSIGNED);

	/* Resolve needs a note of 1..CASE_NOTE_MAX bytes. */
	CHECK_INT(case_transition(CASE_STATUS_ACKNOWLEDGED,
	    CASE_ACTION_RESOLVE, &dishub, "dishub", NULL, err, sizeof(err),
	    &to), -1);
	CHECK_STR(err, "resolve needs a note saying what was done");
	CHECK_INT(case_transition(CASE_STATUS_ACKNOWLEDGED,
	    CASE_ACTION_RESOLVE, &dishub, "dishub", "", err, sizeof(err),
	    &to), -1);
	CHECK_INT(case_transition(CASE_STATUS_ACKNOWLEDGED,
	    CASE_ACTION_RESOLVE, &dishub, "dishub", " \t\n", err, sizeof(err),
	    &to), -1);
	memset(note, 'x', CASE_NOTE_MAX);
	note[CASE_NOTE_MAX] = '\0';
	CHECK_INT(case_transition(CASE_STATUS_ACKNOWLEDGED,
	    CASE_ACTION_RESOLVE, &dishub, "dishub", note, err, sizeof(err),
	    &to), 0);
	CHECK_INT(to, CASE_STATUS_RESOLVED);
	note[CASE_NOTE_MAX] = 'x';
	note[CASE_NOTE_MAX + 1] = '\0';
	CHECK_INT(case_transition(CASE_STATUS_ACKNOWLEDGED,
	    CASE_ACTION_RESOLVE, &dishub, "dishub", note, err, sizeof(err),
	    &to), -1);
	CHECK_STR(err, "the note is longer than 4000 bytes");

	/* Every note has the same bound. */
	CHECK_INT(case_transition(CASE_STATUS_RESOLVED, CASE_ACTION_REOPEN,
	    &operator, "dishub", note, err, sizeof(err), &to), -1);
	CHECK_STR(err, "the note is longer than 4000 bytes");
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_VERIFY,
	    &operator, NULL, note, err, sizeof(err), &to), -1);
	note[CASE_NOTE_MAX] = '\0';
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_VERIFY,
	    &operator, NULL, note, err, sizeof(err), &to), 0);

	/* Other actions take an optional note. */
	CHECK_INT(case_transition(CASE_STATUS_NEW, CASE_ACTION_VERIFY,
	    &operator, NULL, "anything at all", err, sizeof(err), &to), 0);
	CHECK_INT(case_transition(CASE_STATUS_RESOLVED, CASE_ACTION_REOPEN,
	    &operator, "dishub", "Pelapor: jalan masih berlubang", err,
	    sizeof(err), &to), 0);
	CHECK_INT(to, CASE_STATUS_ASSIGNED);

	/* A case that should have an OPD and has none is refused. */
	CHECK_INT(case_transition(CASE_STATUS_ASSIGNED,
	    CASE_ACTION_ACKNOWLEDGE, &supervisor, NULL, NULL, err, sizeof(err),
	    &to), -1);
	CHECK_STR(err, "cannot acknowledge: the case has no OPD");
	CHECK_INT(case_transition(CASE_STATUS_RESOLVED, CASE_ACTION_REOPEN,
	    &supervisor, NULL, NULL, err, sizeof(err), &to), -1);
	CHECK_STR(err, "cannot reopen: the case has no OPD");
	CHECK_INT(case_transition(CASE_STATUS_ACKNOWLEDGED,
	    CASE_ACTION_RESOLVE, &dishub, NULL, "done", err, sizeof(err), &to),
	    -1);
}

static void
test_escalation_and_clocks(void)
{
	char err[128];
	int next = -7;

	CHECK_INT(case_escalation_next(0, &next, err, sizeof(err)), 0);
	CHECK_INT(next, 1);
	CHECK_INT(case_escalation_next(1, &next, err, sizeof(err)), 0);
	CHECK_INT(next, 2);
	CHECK_INT(case_escalation_next(2, &next, err, sizeof(err)), 0);
	CHECK_INT(next, 3);
	next = -7;
	CHECK_INT(case_escalation_next(3, &next, err, sizeof(err)), -1);
	CHECK_HAS(err, "Bupati");
	CHECK_INT(case_escalation_next(4, &next, err, sizeof(err)), -1);
	CHECK_HAS(err, "out of range");
	CHECK_INT(case_escalation_next(-1, &next, err, sizeof(err)), -1);
	CHECK_INT(next, -7);

	CHECK_INT(case_deadline_of(CASE_STATUS_NEW), CASE_DEADLINE_VERIFY);
	CHECK_INT(case_deadline_of(CASE_STATUS_VERIFIED), CASE_DEADLINE_VERIFY);
	CHECK_INT(case_deadline_of(CASE_STATUS_ASSIGNED),
	    CASE_DEADLINE_FOLLOW_UP);
	CHECK_INT(case_deadline_of(CASE_STATUS_ACKNOWLEDGED),
	    CASE_DEADLINE_FOLLOW_UP);
	CHECK_INT(case_deadline_of(CASE_STATUS_RESOLVED),
	    CASE_DEADLINE_AUTO_CLOSE);
	CHECK_INT(case_deadline_of(CASE_STATUS_CLOSED), CASE_DEADLINE_NONE);
	CHECK_INT(case_deadline_of(CASE_STATUS_REJECTED), CASE_DEADLINE_NONE);
	CHECK_INT(case_deadline_of((enum case_status)42), CASE_DEADLINE_NONE);

	CHECK_INT(case_clock_restarts(CASE_STATUS_VERIFIED, CASE_ACTION_ASSIGN,
	    CASE_STATUS_ASSIGNED), 1);
	CHECK_INT(case_clock_restarts(CASE_STATUS_ASSIGNED, CASE_ACTION_ASSIGN,
	    CASE_STATUS_ASSIGNED), 1);
	CHECK_INT(case_clock_restarts(CASE_STATUS_ACKNOWLEDGED,
	    CASE_ACTION_RESOLVE, CASE_STATUS_RESOLVED), 1);
	CHECK_INT(case_clock_restarts(CASE_STATUS_RESOLVED, CASE_ACTION_REOPEN,
	    CASE_STATUS_ASSIGNED), 1);
	CHECK_INT(case_clock_restarts(CASE_STATUS_CLOSED, CASE_ACTION_REOPEN,
	    CASE_STATUS_ASSIGNED), 1);
	CHECK_INT(case_clock_restarts(CASE_STATUS_NEW, CASE_ACTION_VERIFY,
	    CASE_STATUS_VERIFIED), 0);
	CHECK_INT(case_clock_restarts(CASE_STATUS_ASSIGNED,
	    CASE_ACTION_ACKNOWLEDGE, CASE_STATUS_ACKNOWLEDGED), 0);
	CHECK_INT(case_clock_restarts(CASE_STATUS_ASSIGNED,
	    CASE_ACTION_ESCALATE, CASE_STATUS_ASSIGNED), 0);
	CHECK_INT(case_clock_restarts(CASE_STATUS_RESOLVED, CASE_ACTION_CLOSE,
	    CASE_STATUS_CLOSED), 0);
	CHECK_INT(case_clock_restarts(CASE_STATUS_NEW, CASE_ACTION_REJECT,
	    CASE_STATUS_REJECTED), 0);
	/* Not a legal transition: no clock. */
	CHECK_INT(case_clock_restarts(CASE_STATUS_NEW, CASE_ACTION_ASSIGN,
	    CASE_STATUS_ASSIGNED), 0);
	CHECK_INT(case_clock_restarts(CASE_STATUS_VERIFIED, CASE_ACTION_ASSIGN,
	    CASE_STATUS_RESOLVED), 0);
	CHECK_INT(case_clock_restarts((enum case_status)42, CASE_ACTION_ASSIGN,
	    CASE_STATUS_ASSIGNED), 0);
}

/* One rule for "is this reference a numeric id" (hub, simpulctl, console). */
static void
test_case_ref(void)
{
	CHECK_INT(case_ref_is_id("12"), 1);
	CHECK_INT(case_ref_is_id("0012"), 1);
	CHECK_INT(case_ref_is_id("123456789012345678"), 1);
	CHECK_INT(case_ref_is_id("1234567890123456789"), 0);
	CHECK_INT(case_ref_is_id("KRO-2026-000123"), 0);
	CHECK_INT(case_ref_is_id("12a"), 0);
	CHECK_INT(case_ref_is_id("-12"), 0);
	CHECK_INT(case_ref_is_id(""), 0);
}

int
main(void)
{
	test_names();
	test_case_ref();
	test_every_pair();
	test_roles();
	test_arguments();
	test_escalation_and_clocks();
	return testlib_done();
}
