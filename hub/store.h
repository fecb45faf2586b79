/*
 * store: everything the hub keeps in PostgreSQL. The only module that sees
 * libpq.
 *
 * A batch is filled with valid events and dead letters, then committed in
 * one transaction together with the journal checkpoint (the highest journal
 * seq the batch covers). Events go in with one INSERT ... SELECT FROM
 * unnest() over binary arrays: one parameter per column, whatever the batch
 * size, no text escaping. Idempotency and id_conflict detection happen in
 * the same statement (see migrations/0001_core.sql). Dead letters and what
 * must be published about them go to the outbox in the same transaction.
 *
 * Failures: a lost connection makes store_commit() return STORE_RETRY with
 * the batch intact, for the caller to retry after store_connect(). A data
 * error in the batch (a payload PostgreSQL refuses despite our checks) is
 * handled here: the events are retried one by one under savepoints and the
 * refused ones become dead letters, so one bad message never stalls the
 * stream.
 */
#ifndef SIMPUL_STORE_H
#define SIMPUL_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_batch;

enum store_status { STORE_OK = 0, STORE_RETRY = -1 };

struct store_result {
	long events;     /* new rows in event */
	long published;  /* routed copies and alerts queued in the outbox */
	long cases;      /* case openings or updates */
	long duplicates; /* same id, same content: already stored */
	long conflicts;  /* same id, different content: dead letters */
	long dead;       /* dead letters stored (including conflicts) */
};

struct store *store_new(const char *conninfo, const char *instance,
    const char *site);
void store_free(struct store *s);

/* (Re)connects. Returns 0, or -1 (logged). */
int store_connect(struct store *s);
int store_is_connected(const struct store *s);
/*
 * One round trip ("SELECT 1"): finds out that an idle connection was lost
 * (a server restart) before work is started on it. Returns 0, or -1.
 */
int store_ping(struct store *s);

/*
 * Applies the embedded migrations that are missing, each in its own
 * transaction, under an advisory lock (several hubs may start at once).
 * Returns the number applied, or -1.
 */
int store_migrate(struct store *s);
/*
 * Without changing anything: how many embedded migrations are pending, the
 * first pending one's name, and whether this session may apply them (it
 * belongs to the role that owns the schema, i.e. schema_migration's owner;
 * on an empty database, it may create in schema public). A hub connected
 * as simpul_hub may not (docs/security.md).
 */
int store_migration_check(struct store *s, int *pending, const char **first,
    int *may_migrate);
/* Prints the migrations and whether each is applied (simpulctl). */
int store_migration_status(struct store *s, void (*fn)(void *arg,
    const char *name, int applied), void *arg);

/* Reads this instance's journal checkpoint (0 if none). */
int store_checkpoint_get(struct store *s, uint64_t *seq);
/*
 * Retention: drops the monthly event partitions (and idempotency keys)
 * older than months whole months. Returns 0 / -1.
 */
int store_apply_retention(struct store *s, long months);
/* Makes sure the monthly event partitions around now exist. */
int store_ensure_partitions(struct store *s, int64_t now_ms);

struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *b);
void store_batch_reset(struct store_batch *b);
size_t store_batch_events(const struct store_batch *b);
size_t store_batch_dead(const struct store_batch *b);
size_t store_batch_bytes(const struct store_batch *b);

void store_batch_add_event(struct store_batch *b, uint64_t seq,
    const char *id, const char *topic, const char *opd, const char *source,
    const char *type, const char *subject, int64_t time_ms,
    int64_t received_ms, const char *payload, size_t len);
void store_batch_add_dead(struct store_batch *b, uint64_t seq,
    int64_t received_ms, const char *topic, const char *reason,
    const char *detail, const char *event_id, const char *payload,
    size_t len);

/*
 * What routing rules ask for, attached to an event of the batch by its id.
 * They take effect only if that event is new (not a duplicate), in the same
 * transaction: a publish is an outbox row, an alert an alert row and an
 * outbox row (the caller adds the publish), a case a call to
 * simpul_case_open().
 */
void store_batch_add_publish(struct store_batch *b, const char *event_id,
    const char *topic, const char *payload, size_t len);
void store_batch_add_alert(struct store_batch *b, const char *event_id,
    const char *severity, const char *opd, const char *source,
    const char *message);
void store_batch_add_case(struct store_batch *b, const char *event_id,
    const char *key, const char *kind, const char *opd, const char *policy,
    const char *severity, const char *title, const char *channel);

/*
 * Commits the batch and sets the checkpoint to upto_seq, in one
 * transaction. STORE_OK: committed (the batch may be reset). STORE_RETRY:
 * nothing was committed (connection lost or the server refused); reconnect
 * and call again with the same batch.
 */
enum store_status store_commit(struct store *s, struct store_batch *b,
    uint64_t upto_seq, struct store_result *res);

/*
 * The outbox: fetches the oldest rows holding about max messages (a bundle
 * of routed copies counts as its messages, and the last row may go over by
 * up to 255), locked FOR UPDATE SKIP LOCKED inside a transaction that stays
 * open until store_outbox_done() deletes them (after the broker
 * acknowledged) or rolls back (ok == 0). Calls fn for every message in id
 * order, bundled ones in their order; stops at the first fn that fails.
 * Returns the number of messages handed to fn (the failed one included),
 * or -1.
 */
struct store_outbox_row {
	int64_t id;
	int index;	/* in the row's bundle, from 1; 0: a row of one */
	const char *topic;
	const char *payload;
	size_t len;
	int qos;
	int retain;
};
int store_outbox_fetch(struct store *s, size_t max,
    int (*fn)(void *arg, const struct store_outbox_row *row), void *arg);
int store_outbox_done(struct store *s, int ok);

/*
 * Inside the round, before store_outbox_done(s, 1): moves messages the
 * broker refused for good to outbox_refused (migration 0009), each named
 * by its row's id and index, with the broker's reason code and its name;
 * their rows are then deleted with the round's. Logs each (the first ten).
 * Returns 0, or -1 (the round is rolled back).
 */
struct store_outbox_refusal {
	int64_t id;
	int index;
	int code;
	const char *reason;
};
int store_outbox_set_aside(struct store *s,
    const struct store_outbox_refusal *m, size_t n);

/*
 * Rules: calls fn with the JSON text of every enabled rule, in priority
 * order. Returns the number of rules, or -1.
 */
int store_rules_load(struct store *s, void (*fn)(void *arg, const char *name,
    const char *json), void *arg);

/* LISTEN on a channel (again after every reconnect). */
int store_listen(struct store *s, const char *channel);
/*
 * Waits up to timeout_ms for a notification. Returns 1 if one (or more)
 * arrived, 0 on timeout, -1 if the connection is lost.
 */
int store_wait_notify(struct store *s, int timeout_ms);

/*
 * One action on a case by a person (docs/case-actions.md). The hub's case
 * command thread and `simpulctl case act` both come here, so the two paths
 * cannot disagree.
 */
struct case_actor;
struct case_act {
	const char *case_ref;	/* "KRO-2026-000123", or the numeric id */
	const char *action;	/* verify reject assign acknowledge resolve
				 * close reopen (escalating is the timers') */
	const struct case_actor *actor;	/* the role that decides */
	const char *actor_name;	/* recorded: "operator:budi",
				 * "opd:dishub:sinta" (1..200 bytes) */
	const char *arg;	/* reject: the reason; assign: the OPD;
				 * others: the note (or give it as note) */
	const char *note;	/* a free note for the history (NULL: none) */
};

/*
 * Takes one case action in one transaction: locks the case (SELECT ...
 * FOR UPDATE), lets case_transition() decide (hub/casefsm.c is the single
 * source of the rules), updates status, OPD and clock (a restarted clock
 * starts now with the policy's deadline and escalation level 0; a status
 * without a clock has none), records the step in case_history and queues
 * the case message on <site>/case/<opd or unassigned>/<human id> in the
 * outbox (published by a relay after the commit).
 *
 * Returns 0 with the case as JSON text in *out_json (the object published
 * on the case topic; the caller frees it); 1 when refused, with the reason
 * in err (no such case, an illegal step, the wrong OPD, a bad argument),
 * nothing changed; -1 on a database failure, with a message in err (if
 * the failure came at COMMIT the message says the outcome is unknown).
 */
int store_case_act(struct store *s, const struct case_act *a,
    char **out_json, char *err, size_t errlen);

/*
 * Runs one escalation scan (simpul_escalate_due) for up to limit due
 * cases. Returns the number handled, or -1.
 */
int store_escalate(struct store *s, int limit);

/*
 * Replaying one dead letter (simpulctl dlq replay, the console's
 * POST /api/deadletters/<id>/replay): in one transaction, locks the row
 * (FOR UPDATE SKIP LOCKED: a row another replay holds is reported busy,
 * not waited for), refuses one replayed before unless force, calls publish
 * with the stored payload (or the fixed one given) on the original topic
 * (or the one given), and only after publish succeeded marks the row
 * (replayed_at, replayed_by) and commits. A failed publish leaves no
 * mark; the row lock is held for as long as publish takes.
 */
enum store_replay_result {
	STORE_REPLAY_OK = 0,
	STORE_REPLAY_NONE,      /* no such dead letter */
	STORE_REPLAY_BUSY,      /* another session is replaying it */
	STORE_REPLAY_DONE,      /* replayed before (prev_at, prev_by) */
	STORE_REPLAY_TOO_LARGE, /* stored payload larger than max */
	STORE_REPLAY_PUBLISH,   /* publish failed (err); nothing marked */
	STORE_REPLAY_UNMARKED,  /* published, but the mark failed (err) */
	STORE_REPLAY_DB = -1,   /* the database failed (err) */
};

typedef int (*store_publish_fn)(void *arg, const char *topic,
    const void *payload, size_t len, char *err, size_t errlen);

struct store_replay {
	const char *id;          /* dead_letter.id (digits) */
	const char *actor;       /* recorded as replayed_by */
	int force;               /* replay even if replayed before */
	const void *payload;     /* NULL: the stored bytes */
	size_t len;
	const char *topic;       /* NULL: the original topic */
	size_t max;              /* largest stored payload fetched */
	store_publish_fn publish;
	void *arg;
	/* Results. */
	char topic_used[1024];   /* cut if longer (only for messages) */
	size_t bytes;            /* published (or stored, when too large) */
	char replayed_at[40];    /* RFC 3339 UTC, on success */
	char prev_at[40];        /* STORE_REPLAY_DONE: the earlier replay */
	char prev_by[256];
};

enum store_replay_result store_dead_letter_replay(struct store *s,
    struct store_replay *r, char *err, size_t errlen);

#endif
