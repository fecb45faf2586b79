/*
 * casecmd: see casecmd.h.
 *
 * The queue is a singly linked list behind one mutex, with a condition
 * variable the thread waits on (half a second at most, to see the stop
 * flag and to retry a lost database connection). Paho's thread only copies
 * and links; everything slow (parsing included) happens here.
 *
 * Answers are published with mqtt_publish_response(); the outcome of that
 * publish is only logged: a requester that gets no answer asks again.
 */
#include "casecmd.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "jsoncheck.h"
#include "cond.h"
#include "log.h"
#include "mqtt.h"
#include "util.h"

/* Deepest JSON accepted in a request: it is one flat object. */
#define CMD_MAX_DEPTH	4
/* Longest reason and OPD name (casefsm refuses longer ones anyway). */
#define CMD_WORD_MAX	32
/* Longest response topic we copy (MQTT's own limit). */
#define CMD_TOPIC_MAX	65535

struct cmd_item {
	struct cmd_item *next;
	char *topic;
	char *payload;
	size_t len;
	char *response_topic;	/* NULL: answer nobody */
	void *corr;		/* correlation data, NULL: none */
	size_t corr_len;
};

struct casecmd {
	struct casecmd_opts o;
	char *site;
	char *prefix;		/* "<site>/cmd/" */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct cmd_item *head, *tail;
	size_t queued;
	int stopping, started;
	struct casecmd_stats st;
	/* The thread's own: the database connection's state. */
	int connected;
	int64_t next_attempt_ms, backoff_ms;
};

/* --- parsing (pure) ---------------------------------------------------- */

static int
cmd_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cmd_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void
casecmd_request_clear(struct casecmd_request *req)
{
	free(req->who);
	free(req->action);
	free(req->case_ref);
	free(req->actor_name);
	free(req->arg);
	free(req->note);
	memset(req, 0, sizeof(*req));
}

/* A person's name for the history: ASCII letters, digits, " ._@-". */
static int
actor_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CASECMD_ACTOR_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789 ._@-") == n && s[0] != ' ' && s[n - 1] != ' ';
}

/*
 * The topic's requester and action: "<site>/cmd/<who>/case/<action>".
 * Sets req->who, req->action and the actor's role.
 */
static int
parse_topic(const char *site, const char *topic, struct casecmd_request *req,
    char *err, size_t errlen)
{
	size_t sl = strlen(site), wl;
	const char *p, *slash;

	if (strncmp(topic, site, sl) != 0 || strncmp(topic + sl, "/cmd/",
	    5) != 0)
		return cmd_error(err, errlen, "not a command topic");
	p = topic + sl + 5;
	if ((slash = strchr(p, '/')) == NULL || slash == p)
		return cmd_error(err, errlen, "the topic names no requester "
		    "(<site>/cmd/<who>/case/<action>)");
	wl = (size_t)(slash - p);
	if (wl > CMD_WORD_MAX)
		return cmd_error(err, errlen, "unknown requester");
	req->who = xstrndup(p, wl);
	p = slash + 1;
	if (strncmp(p, "case/", 5) != 0)
		return cmd_error(err, errlen, "unknown command: only "
		    "<site>/cmd/<who>/case/<action> is served");
	p += 5;
	if (*p == '\0' || strchr(p, '/') != NULL || strlen(p) > CMD_WORD_MAX)
		return cmd_error(err, errlen, "the topic must end in the "
		    "action: .../case/<action>");
	req->action = xstrdup(p);
	{
		enum case_action a;

		/* Escalation is the hub's own, never requested. */
		if (case_action_parse(req->action, &a) == -1)
			return cmd_error(err, errlen, "unknown action '%s' "
			    "(verify, reject, assign, acknowledge, resolve, "
			    "close, reopen)", req->action);
		if (a == CASE_ACTION_ESCALATE)
			return cmd_error(err, errlen, "escalation is not a "
			    "command: the hub escalates due cases itself");
	}
	if (strcmp(req->who, "cc") == 0) {
		req->actor.kind = CASE_ACTOR_OPERATOR;
	} else if (strcmp(req->who, "cc-supervisor") == 0) {
		req->actor.kind = CASE_ACTOR_SUPERVISOR;
	} else if (case_opd_valid(req->who)) {
		req->actor.kind = CASE_ACTOR_OPD;
		req->actor.opd = req->who;
	} else
		return cmd_error(err, errlen, "unknown requester '%s'",
		    req->who);
	return 0;
}

/* The payload's fields into req. */
static int
parse_payload(const char *payload, size_t len, size_t max_payload,
    struct casecmd_request *req, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t max;
	} fields[] = {
		{ "case", CASECMD_REF_MAX }, { "reason", CMD_WORD_MAX },
		{ "opd", CMD_WORD_MAX }, { "note", CASE_NOTE_MAX },
		{ "actor", CASECMD_ACTOR_MAX },
	};
	const char *val[nitems(fields)] = { NULL };
	struct json_check_error je;
	cJSON *doc = NULL, *f;
	size_t i;
	int rc = -1;

	if (len > max_payload)
		return cmd_error(err, errlen, "the request is %zu bytes; at "
		    "most %zu are accepted", len, max_payload);
	if (json_check(payload, len, CMD_MAX_DEPTH, &je) == -1)
		return cmd_error(err, errlen, "invalid JSON at line %d column "
		    "%d: %s", je.line, je.column, je.message);
	if ((doc = cJSON_ParseWithLength(payload, len)) == NULL)
		return cmd_error(err, errlen, "invalid JSON");
	if (!cJSON_IsObject(doc)) {
		cmd_error(err, errlen, "the request must be a JSON object");
		goto out;
	}
	for (f = doc->child; f != NULL; f = f->next) {
		for (i = 0; i < nitems(fields); i++)
			if (strcmp(f->string, fields[i].name) == 0)
				break;
		if (i == nitems(fields)) {
			cmd_error(err, errlen, "unknown field '%.32s' (case, "
			    "reason, opd, note, actor)", f->string);
			goto out;
		}
		if (val[i] != NULL) {
			cmd_error(err, errlen, "field '%s' is given twice",
			    fields[i].name);
			goto out;
		}
		if (!cJSON_IsString(f)) {
			cmd_error(err, errlen, "field '%s' must be a string",
			    fields[i].name);
			goto out;
		}
		if (strlen(f->valuestring) > fields[i].max) {
			cmd_error(err, errlen, "field '%s' is longer than %zu "
			    "bytes", fields[i].name, fields[i].max);
			goto out;
		}
		val[i] = f->valuestring;
	}
	if (val[0] == NULL || *val[0] == '\0') {
		cmd_error(err, errlen, "field 'case' is required (e.g. "
		    "\"KRO-2026-000123\")");
		goto out;
	}
	if (val[1] != NULL && strcmp(req->action, "reject") != 0) {
		cmd_error(err, errlen, "field 'reason' belongs to reject");
		goto out;
	}
	if (val[2] != NULL && strcmp(req->action, "assign") != 0) {
		cmd_error(err, errlen, "field 'opd' belongs to assign");
		goto out;
	}
	if (val[4] != NULL && !actor_valid(val[4])) {
		cmd_error(err, errlen, "field 'actor' must be a name of "
		    "letters, digits, spaces and ._@- (at most %d bytes)",
		    CASECMD_ACTOR_MAX);
		goto out;
	}
	req->case_ref = xstrdup(val[0]);
	if (val[1] != NULL)
		req->arg = xstrdup(val[1]);
	else if (val[2] != NULL)
		req->arg = xstrdup(val[2]);
	if (val[3] != NULL)
		req->note = xstrdup(val[3]);
	switch (req->actor.kind) {
	case CASE_ACTOR_OPERATOR:
	case CASE_ACTOR_SUPERVISOR:
		req->actor_name = val[4] != NULL ? xasprintf("%s:%s",
		    case_actor_kind_name(req->actor.kind), val[4]) :
		    xstrdup(case_actor_kind_name(req->actor.kind));
		break;
	case CASE_ACTOR_OPD:
		req->actor_name = val[4] != NULL ? xasprintf("opd:%s:%s",
		    req->who, val[4]) : xasprintf("opd:%s", req->who);
		break;
	case CASE_ACTOR_SYSTEM:
		fatalx("casecmd: a request from the system");
	}
	rc = 0;
out:
	cJSON_Delete(doc);
	return rc;
}

int
casecmd_parse(const char *site, const char *topic, const char *payload,
    size_t len, size_t max_payload, struct casecmd_request *req, char *err,
    size_t errlen)
{
	memset(req, 0, sizeof(*req));
	if (parse_topic(site, topic, req, err, errlen) == -1 ||
	    parse_payload(payload, len, max_payload, req, err, errlen) == -1) {
		casecmd_request_clear(req);
		return -1;
	}
	/* actor.opd points at who; both live as long as req. */
	req->act.case_ref = req->case_ref;
	req->act.action = req->action;
	req->act.actor = &req->actor;
	req->act.actor_name = req->actor_name;
	req->act.arg = req->arg;
	req->act.note = req->note;
	return 0;
}

/* 1 when p[0..len) is valid UTF-8 (no overlongs, no surrogates). */
static int
utf8_ok(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			n = 1, cp = p[i] & 0x1fu, min = 0x80;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 2, cp = p[i] & 0x0fu, min = 0x800;
		else if ((p[i] & 0xf8) == 0xf0)
			n = 3, cp = p[i] & 0x07u, min = 0x10000;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 &&
		    cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
casecmd_response_topic_ok(const char *site, const char *who,
    const char *topic)
{
	size_t sl = strlen(site), wl = strlen(who), tl = strlen(topic);

	if (tl > CMD_TOPIC_MAX || strpbrk(topic, "+#") != NULL ||
	    !utf8_ok((const unsigned char *)topic, tl))
		return 0;
	/* <site>/resp/<who>/ and at least one more byte. */
	return tl > sl + 6 + wl + 1 && strncmp(topic, site, sl) == 0 &&
	    strncmp(topic + sl, "/resp/", 6) == 0 &&
	    strncmp(topic + sl + 6, who, wl) == 0 && topic[sl + 6 + wl] == '/';
}

/* --- answers ----------------------------------------------------------- */

static void
response_done(void *arg, int ok)
{
	(void)arg;
	if (!ok)
		log_warnx("cases: a command response was not delivered to "
		    "the broker");
}

static void
respond(struct casecmd *c, const struct cmd_item *it, const char *json)
{
	if (it->response_topic == NULL)
		return;
	if (mqtt_publish_response(c->o.mqtt, it->response_topic, json,
	    strlen(json), it->corr, it->corr_len, response_done, c) == -1)
		log_warnx("cases: cannot answer on %s (not connected to the "
		    "broker); the requester will time out",
		    it->response_topic);
}

static void
respond_error(struct casecmd *c, const struct cmd_item *it, const char *msg)
{
	cJSON *j = cJSON_CreateObject();
	char *s;

	if (j == NULL || cJSON_AddFalseToObject(j, "ok") == NULL ||
	    cJSON_AddStringToObject(j, "error", msg) == NULL ||
	    (s = cJSON_PrintUnformatted(j)) == NULL)
		fatalx("casecmd: out of memory");
	cJSON_Delete(j);
	respond(c, it, s);
	cJSON_free(s);
}

static void
respond_case(struct casecmd *c, const struct cmd_item *it, const char *json)
{
	char *s = xasprintf("{\"ok\":true,\"case\":%s}", json);

	respond(c, it, s);
	free(s);
}

/* --- the queue ----------------------------------------------------------- */

static void
item_free(struct cmd_item *it)
{
	if (it == NULL)
		return;
	free(it->topic);
	free(it->payload);
	free(it->response_topic);
	free(it->corr);
	free(it);
}

static void
count(struct casecmd *c, uint64_t *field)
{
	pthread_mutex_lock(&c->lock);
	(*field)++;
	pthread_mutex_unlock(&c->lock);
}

/* The <who> level of a command topic, into buf ("" if there is none). */
static void
topic_who(const struct casecmd *c, const char *topic, char *buf, size_t len)
{
	size_t pl = strlen(c->prefix), n;

	buf[0] = '\0';
	if (strncmp(topic, c->prefix, pl) != 0)
		return;
	n = strcspn(topic + pl, "/");
	if (n >= len)
		return;
	memcpy(buf, topic + pl, n);
	buf[n] = '\0';
}

void
casecmd_submit(struct casecmd *c, const char *topic, const void *payload,
    size_t len, const struct mqtt_msg_props *props)
{
	struct cmd_item *it;
	char who[CMD_WORD_MAX + 1];
	const char *busy = NULL;

	count(c, &c->st.received);
	topic_who(c, topic, who, sizeof(who));
	if (props->response_topic == NULL) {
		log_info("cases: command on %s has no response topic; it is "
		    "executed without an answer", topic);
	} else if (!casecmd_response_topic_ok(c->site, who,
	    props->response_topic)) {
		log_warnx("cases: command on %s dropped, not executed: its "
		    "response topic is not under %s/resp/%s/", topic, c->site,
		    who);
		count(c, &c->st.dropped);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	it->topic = xstrdup(topic);
	if (props->response_topic != NULL)
		it->response_topic = xstrdup(props->response_topic);
	if (props->correlation != NULL && props->correlation_len <= 65535) {
		it->corr = xmalloc(props->correlation_len + 1);
		memcpy(it->corr, props->correlation, props->correlation_len);
		it->corr_len = props->correlation_len;
	}
	/* An oversized payload is not copied; the thread says why. */
	it->len = len;
	if (len <= c->o.max_payload)
		it->payload = xstrndup(payload, len);

	pthread_mutex_lock(&c->lock);
	if (c->stopping)
		busy = "the hub is stopping; try again";
	else if (c->queued >= c->o.queue_max) {
		busy = "busy";
		c->st.busy++;
	} else {
		if (c->tail != NULL)
			c->tail->next = it;
		else
			c->head = it;
		c->tail = it;
		c->queued++;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	if (busy != NULL) {
		log_warnx("cases: command on %s not queued: %s", topic, busy);
		respond_error(c, it, busy);
		item_free(it);
	}
}

/* --- the thread ---------------------------------------------------------- */

/* Makes sure the database answers; reconnects with backoff. 0 / -1. */
static int
db_ready(struct casecmd *c)
{
	int64_t now;

	if (c->connected && store_ping(c->o.store) == 0)
		return 0;
	c->connected = 0;
	now = clock_mono_ms();
	if (now < c->next_attempt_ms)
		return -1;
	if (store_connect(c->o.store) == -1) {
		c->next_attempt_ms = now + c->backoff_ms;
		c->backoff_ms = c->backoff_ms * 2 > c->o.reconnect_max_ms ?
		    c->o.reconnect_max_ms : c->backoff_ms * 2;
		return -1;
	}
	c->connected = 1;
	c->backoff_ms = 200;
	return 0;
}

static void
handle(struct casecmd *c, const struct cmd_item *it)
{
	struct casecmd_request req;
	char err[512];
	char *json = NULL;
	int rc;

	if (it->payload == NULL) {
		snprintf(err, sizeof(err), "the request is %zu bytes; at most "
		    "%zu are accepted", it->len, c->o.max_payload);
		goto refused;
	}
	if (casecmd_parse(c->site, it->topic, it->payload, it->len,
	    c->o.max_payload, &req, err, sizeof(err)) == -1)
		goto refused;
	if (db_ready(c) == -1) {
		log_warnx("cases: %s %s by %s not executed: the database is "
		    "not reachable", req.action, req.case_ref,
		    req.actor_name);
		casecmd_request_clear(&req);
		count(c, &c->st.failed);
		respond_error(c, it, "unavailable: the database is not "
		    "reachable; try again later");
		return;
	}
	rc = store_case_act(c->o.store, &req.act, &json, err, sizeof(err));
	if (rc == 0) {
		log_info("cases: %s %s by %s: done", req.action, req.case_ref,
		    req.actor_name);
		count(c, &c->st.applied);
		if (c->o.published != NULL)
			c->o.published(c->o.published_arg);
		respond_case(c, it, json);
	} else if (rc == 1) {
		log_info("cases: %s %s by %s refused: %s", req.action,
		    req.case_ref, req.actor_name, err);
		count(c, &c->st.refused);
		respond_error(c, it, err);
	} else {
		log_warnx("cases: %s %s by %s failed: %s", req.action,
		    req.case_ref, req.actor_name, err);
		if (!store_is_connected(c->o.store))
			c->connected = 0;
		count(c, &c->st.failed);
		respond_error(c, it, err);
	}
	free(json);
	casecmd_request_clear(&req);
	return;
refused:
	log_info("cases: command on %s refused: %s", it->topic, err);
	count(c, &c->st.refused);
	respond_error(c, it, err);
}

static void *
casecmd_main(void *arg)
{
	struct casecmd *c = arg;
	struct cmd_item *it;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		if (c->head == NULL && !c->stopping)
			cond_wait_ms(&c->cond, &c->lock, 500);
		if (c->stopping) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		it = c->head;
		if (it != NULL) {
			c->head = it->next;
			if (c->head == NULL)
				c->tail = NULL;
			c->queued--;
		}
		pthread_mutex_unlock(&c->lock);
		if (it == NULL) {
			/* Idle: keep the connection coming back. */
			if (!c->connected)
				(void)db_ready(c);
			continue;
		}
		handle(c, it);
		item_free(it);
	}
	return NULL;
}

struct casecmd *
casecmd_start(const struct casecmd_opts *o)
{
	struct casecmd *c = xcalloc(1, sizeof(*c));
	int rc;

	c->o = *o;
	c->site = xstrdup(o->site);
	c->o.site = c->site;
	c->prefix = xasprintf("%s/cmd/", o->site);
	c->connected = store_is_connected(o->store);
	c->backoff_ms = 200;
	pthread_mutex_init(&c->lock, NULL);
	cond_init_mono(&c->cond);
	if ((rc = pthread_create(&c->thread, NULL, casecmd_main, c)) != 0) {
		errno = rc;
		fatal("casecmd: cannot start thread");
	}
	c->started = 1;
	return c;
}

void
casecmd_stop(struct casecmd *c)
{
	struct cmd_item *it, *next;

	if (c == NULL || !c->started)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->started = 0;
	pthread_mutex_lock(&c->lock);
	it = c->head;
	c->head = c->tail = NULL;
	c->queued = 0;
	pthread_mutex_unlock(&c->lock);
	for (; it != NULL; it = next) {
		next = it->next;
		respond_error(c, it, "the hub is stopping; try again");
		item_free(it);
	}
}

void
casecmd_free(struct casecmd *c)
{
	if (c == NULL)
		return;
	casecmd_stop(c);
	store_free(c->o.store);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c->site);
	free(c->prefix);
	free(c);
}

void
casecmd_stats(struct casecmd *c, struct casecmd_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	pthread_mutex_unlock(&c->lock);
}
