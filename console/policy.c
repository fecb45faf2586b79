/*
 * policy: see policy.h.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "util.h"

static const char *const role_names[ROLE_COUNT] = {
	"operator", "supervisor", "opd", "admin",
};

/* The people's actions a console offers; escalating is the timers'. */
static const enum case_action console_actions[] = {
	CASE_ACTION_VERIFY, CASE_ACTION_REJECT, CASE_ACTION_ASSIGN,
	CASE_ACTION_ACKNOWLEDGE, CASE_ACTION_RESOLVE, CASE_ACTION_CLOSE,
	CASE_ACTION_REOPEN,
};

const char *
role_name(enum role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : "?";
}

int
role_parse(const char *s, enum role *out)
{
	size_t i;

	for (i = 0; s != NULL && i < ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)i;
			return 0;
		}
	return -1;
}

int
policy_allows(enum role r, enum grant g)
{
	switch (g) {
	case GRANT_READ:
		return 1;
	case GRANT_CASE_ACT:
		return r != ROLE_ADMIN;
	case GRANT_REPLAY:
	case GRANT_DEADLETTERS:
		return r != ROLE_OPD;
	case GRANT_RULES:
		return r == ROLE_ADMIN || r == ROLE_SUPERVISOR;
	case GRANT_USERS:
		return r == ROLE_ADMIN;
	}
	return 0;
}

int
policy_case_actor(enum role r, const char *opd, struct case_actor *out)
{
	memset(out, 0, sizeof(*out));
	switch (r) {
	case ROLE_OPERATOR:
		out->kind = CASE_ACTOR_OPERATOR;
		return 0;
	case ROLE_SUPERVISOR:
		out->kind = CASE_ACTOR_SUPERVISOR;
		return 0;
	case ROLE_OPD:
		out->kind = CASE_ACTOR_OPD;
		out->opd = opd;
		return opd != NULL ? 0 : -1;
	case ROLE_ADMIN:
		break;
	}
	return -1;
}

int
policy_actor_name(enum role r, const char *opd, const char *user, char *out,
    size_t outlen)
{
	int n;

	if (r == ROLE_OPD)
		n = snprintf(out, outlen, "opd:%s:%s", opd != NULL ? opd :
		    "?", user);
	else
		n = snprintf(out, outlen, "%s:%s", role_name(r), user);
	return n > 0 && (size_t)n < outlen && n <= 200 ? 0 : -1;
}

int
policy_sees(enum role r, const char *opd, const char *row_opd)
{
	if (r != ROLE_OPD)
		return 1;
	return opd != NULL && row_opd != NULL && strcmp(opd, row_opd) == 0;
}

/*
 * A stand-in argument, so that case_transition() answers "may this user
 * take this step at all" without the real reason, OPD or note.
 */
static const char *
sample_arg(enum case_action a)
{
	switch (a) {
	case CASE_ACTION_REJECT:
		return "not_valid";
	case CASE_ACTION_ASSIGN:
		return "zz-another-opd";
	case CASE_ACTION_RESOLVE:
		return "done";
	default:
		return NULL;
	}
}

int
policy_allowed_json(enum role r, const char *opd, const char *status,
    const char *case_opd, char *out, size_t outlen)
{
	struct case_actor who;
	enum case_status from, to;
	struct buf b;
	size_t i;
	int first = 1;

	if (case_status_parse(status, &from) == -1 || outlen < 3)
		return -1;
	buf_init(&b, 0);
	buf_append(&b, "[", 1);
	if (policy_case_actor(r, opd, &who) == 0 &&
	    policy_sees(r, opd, case_opd))
		for (i = 0; i < nitems(console_actions); i++) {
			if (case_transition(from, console_actions[i], &who,
			    case_opd, sample_arg(console_actions[i]), NULL, 0,
			    &to) == -1)
				continue;
			buf_appendf(&b, "%s\"%s\"", first ? "" : ",",
			    case_action_name(console_actions[i]));
			first = 0;
		}
	buf_append(&b, "]", 1);
	buf_terminate(&b);
	strlcpy_s(out, b.data, outlen);
	buf_free(&b);
	return 0;
}

int
policy_console_action(const char *action)
{
	size_t i;

	for (i = 0; action != NULL && i < nitems(console_actions); i++)
		if (strcmp(action, case_action_name(console_actions[i])) == 0)
			return 1;
	return 0;
}

int
policy_may_act(enum role r, const char *opd, const char *action)
{
	struct case_actor who;
	enum case_action a;
	enum case_status to;
	int st;

	if (policy_case_actor(r, opd, &who) == -1 ||
	    case_action_parse(action, &a) == -1 || a == CASE_ACTION_ESCALATE)
		return 0;
	for (st = 0; st < CASE_STATUS_COUNT; st++)
		if (case_transition((enum case_status)st, a, &who,
		    opd != NULL ? opd : "zz-sample-opd", sample_arg(a), NULL,
		    0, &to) == 0)
			return 1;
	return 0;
}

/* 1 when origin is one of the space-separated origins in self. */
static int
origin_is_self(const char *origin, const char *self)
{
	size_t n = strlen(origin), k;
	const char *p = self;

	while (*p != '\0') {
		k = strcspn(p, " ");
		if (k == n && k > 0 && memcmp(p, origin, n) == 0)
			return 1;
		p += k;
		p += strspn(p, " ");
	}
	return 0;
}

int
policy_csrf_ok(const char *csrf_header, const char *session_csrf,
    const char *origin, const char *self)
{
	size_t n;

	if (csrf_header == NULL || session_csrf == NULL)
		return 0;
	n = strlen(session_csrf);
	if (n == 0 || strlen(csrf_header) != n ||
	    sodium_memcmp(csrf_header, session_csrf, n) != 0)
		return 0;
	return policy_origin_ok(origin, self);
}

int
policy_origin_ok(const char *origin, const char *self)
{
	return origin == NULL || origin_is_self(origin, self);
}
