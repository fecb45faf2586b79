/*
 * casecmd: the hub's case-command thread. Operators, supervisors and OPD
 * systems act on cases over MQTT v5 request/response (MQTT 5.0 section
 * 4.10); docs/case-actions.md is the reference.
 *
 *   request   PUBLISH <site>/cmd/<who>/case/<action>, QoS 1, with a
 *             Response Topic under <site>/resp/<who>/ and (usually)
 *             Correlation Data; payload {"case": "KRO-2026-000123",
 *             "reason": ..., "opd": ..., "note": ..., "actor": "sinta"}
 *   response  PUBLISH on the Response Topic, QoS 1, the Correlation Data
 *             copied: {"ok": true, "case": {...}} or
 *             {"ok": false, "error": "..."}
 *
 * <who> is the role, and the broker's ACL decides who may publish under
 * each <site>/cmd/<who>/: "cc" is a command-centre operator, "cc-supervisor"
 * a supervisor, any other valid OPD name that OPD. The "actor" field only
 * names the person for the history ("opd:dishub:sinta"); it grants nothing.
 *
 * Commands are not events: they are not journaled. Paho's thread hands each
 * one to casecmd_submit(), which copies it into a bounded queue and returns
 * at once (a full queue is answered "busy" right there); this thread takes
 * them in order, on its own PostgreSQL connection, through store_case_act()
 * (the same code as `simpulctl case act`), wakes the relay so the case
 * message goes out, and answers after the commit. A command the hub
 * acknowledged but had not executed when it died is lost, and its
 * requester gets no answer: requesters time out and ask again, and a
 * repeated action is refused by the state machine ("it is verified
 * already"), so asking twice is safe.
 */
#ifndef SIMPUL_CASECMD_H
#define SIMPUL_CASECMD_H

#include <stddef.h>
#include <stdint.h>

#include "casefsm.h"
#include "store.h"

struct casecmd;
struct mqtt;
struct mqtt_msg_props;

/* Longest values of a request's fields (bytes). */
#define CASECMD_REF_MAX		64
#define CASECMD_ACTOR_MAX	64

struct casecmd_opts {
	struct store *store;	/* its own connection, taken */
	struct mqtt *mqtt;
	const char *site;
	size_t queue_max;	/* requests waiting; more are answered busy */
	size_t max_payload;	/* bytes of a request's payload */
	int64_t reconnect_max_ms;
	void (*published)(void *arg);	/* wake the relay */
	void *published_arg;
};

/* One parsed request; the strings are its own. */
struct casecmd_request {
	struct case_actor actor;
	struct case_act act;	/* points into this struct */
	char *who, *action, *case_ref, *actor_name, *arg, *note;
};

/*
 * Parses one request, without I/O: topic <site>/cmd/<who>/case/<action>
 * gives the role and the action; the payload must be one JSON object (at
 * most max_payload bytes, strict JSON) of string fields: "case" (required),
 * "reason" (reject only), "opd" (assign only), "note", "actor" (a name of
 * letters, digits, space and ._@-). Unknown or repeated fields are refused.
 * Returns 0 with *req filled (release it with casecmd_request_clear()), or
 * -1 with the message for the requester in err.
 */
int casecmd_parse(const char *site, const char *topic, const char *payload,
    size_t len, size_t max_payload, struct casecmd_request *req, char *err,
    size_t errlen);
void casecmd_request_clear(struct casecmd_request *req);

/*
 * 1 when a response may be published on topic for a request from who:
 * a topic name (no wildcards, valid UTF-8) under <site>/resp/<who>/. The
 * hub publishes nowhere else on a requester's say-so, so a request cannot
 * make it speak on an ingest, case or alert topic.
 */
int casecmd_response_topic_ok(const char *site, const char *who,
    const char *topic);

struct casecmd *casecmd_start(const struct casecmd_opts *o);
/*
 * Paho's thread: queues a copy of one request and returns without waiting
 * for anything. A full queue, an oversized payload or a stopped thread is
 * answered at once. A request whose response topic is not allowed is
 * logged and dropped, not executed.
 */
void casecmd_submit(struct casecmd *c, const char *topic, const void *payload,
    size_t len, const struct mqtt_msg_props *props);
/*
 * Finishes the request in hand, answers the queued ones "the hub is
 * stopping" (not executed) and joins the thread. Submissions after this
 * are answered the same. Free only after the MQTT client is destroyed.
 */
void casecmd_stop(struct casecmd *c);
void casecmd_free(struct casecmd *c);

struct casecmd_stats {
	uint64_t received, applied, refused, failed, busy, dropped;
};
void casecmd_stats(struct casecmd *c, struct casecmd_stats *st);

#endif
