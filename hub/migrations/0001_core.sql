-- Simpul hub schema, migration 1: events, idempotency, dead letters, journal
-- checkpoints and the transactional outbox.
--
-- Events are partitioned by month on their CloudEvents "time". A unique
-- constraint on a partitioned table must include the partition key, so the
-- idempotency key lives in its own unpartitioned table, event_id: one primary
-- key lookup per event decides "new" or "seen before", whatever month the
-- first copy landed in. A repeated id is then compared with the stored event
-- as jsonb (key order and white space do not count): equal is a duplicate,
-- different an "id_conflict". The cost is one extra index insert per event;
-- the gain is exact idempotency across partitions and an id_conflict that
-- can be detected at all. (A digest kept per id was measured as a tenth of
-- PostgreSQL's work per event; comparing only repeated ids costs nothing for
-- new ones.)

CREATE TABLE event_id (
	id          text PRIMARY KEY,
	time        timestamptz NOT NULL,
	first_seen  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event (
	id          text NOT NULL,
	time        timestamptz NOT NULL,
	topic       text NOT NULL,
	opd         text NOT NULL,
	source      text NOT NULL,
	type        text NOT NULL,
	subject     text,
	received_at timestamptz NOT NULL,
	stored_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
	instance    text NOT NULL,
	data        jsonb NOT NULL,
	attrs       jsonb NOT NULL   -- the envelope without "data"
) PARTITION BY RANGE (time);

CREATE TABLE event_default PARTITION OF event DEFAULT;

CREATE INDEX event_time_idx ON event (time);
CREATE INDEX event_type_time_idx ON event (type, time);
CREATE INDEX event_opd_time_idx ON event (opd, time);
CREATE INDEX event_subject_idx ON event (subject) WHERE subject IS NOT NULL;
-- No index on event (id): lookups by id go through event_id, whose row
-- also gives the time (the partition key). Every index here costs each
-- insert; these serve the queries simpulctl and the console make.

-- Creates the partition of the month that contains "month" if it does not
-- exist yet. Rows of that month that had landed in the default partition
-- (an event dated far ahead) are moved into it, so creation never fails on
-- the default partition's constraint.
CREATE FUNCTION simpul_ensure_partition(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	lo   date := date_trunc('month', month)::date;
	hi   date := (date_trunc('month', month) + interval '1 month')::date;
	name text := format('event_y%sm%s', to_char(lo, 'YYYY'), to_char(lo, 'MM'));
BEGIN
	IF to_regclass(name) IS NOT NULL THEN
		RETURN false;
	END IF;
	-- Serialise concurrent creators (several hubs start at once).
	PERFORM pg_advisory_xact_lock(hashtext('simpul_ensure_partition'));
	IF to_regclass(name) IS NOT NULL THEN
		RETURN false;
	END IF;
	EXECUTE format('CREATE TABLE %I (LIKE event INCLUDING DEFAULTS)', name);
	EXECUTE format('WITH moved AS (DELETE FROM event_default WHERE time >= %L AND time < %L RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, name);
	EXECUTE format('ALTER TABLE event ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
	RETURN true;
END $$;

-- Drops whole monthly partitions that end before "cutoff" (retention), the
-- rows older than that in the default partition (an adapter back-filling a
-- month that has no partition of its own), and their idempotency keys.
CREATE FUNCTION simpul_drop_partitions_before(cutoff date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	n integer := 0;
BEGIN
	FOR r IN
		SELECT c.relname,
		       to_date(substr(c.relname, 8, 4) || substr(c.relname, 13, 2), 'YYYYMM') AS lo
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'event'::regclass AND c.relname ~ '^event_y[0-9]{4}m[0-9]{2}$'
	LOOP
		IF (r.lo + interval '1 month')::date <= cutoff THEN
			EXECUTE format('DROP TABLE %I', r.relname);
			n := n + 1;
		END IF;
	END LOOP;
	DELETE FROM event_default WHERE time < cutoff;
	DELETE FROM event_id WHERE time < cutoff;
	RETURN n;
END $$;

CREATE TABLE dead_letter (
	id           bigserial PRIMARY KEY,
	received_at  timestamptz NOT NULL,
	stored_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
	instance     text NOT NULL,
	journal_seq  bigint NOT NULL,
	topic        text NOT NULL,
	reason       text NOT NULL CHECK (reason IN ('invalid_json', 'too_large',
	                 'envelope', 'schema', 'opd_mismatch', 'unknown_type',
	                 'id_conflict')),
	detail       text NOT NULL,
	event_id     text,            -- the envelope id, when there was one
	payload      bytea NOT NULL,  -- exactly the bytes that arrived
	replayed_at  timestamptz,
	replayed_by  text,
	-- A journal record becomes at most one dead letter, even when the hub
	-- replays its journal after a crash.
	UNIQUE (instance, journal_seq)
);
CREATE INDEX dead_letter_received_idx ON dead_letter (received_at);
CREATE INDEX dead_letter_reason_idx ON dead_letter (reason, received_at);

-- One row per hub instance: the highest journal sequence number whose record
-- is committed here. Updated in the same transaction as the batch.
CREATE TABLE hub_journal (
	instance    text PRIMARY KEY,
	seq         bigint NOT NULL DEFAULT 0,
	updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The transactional outbox: what the hub publishes after a commit is written
-- here in the same transaction and relayed to the broker from here, deleted
-- only once the broker has acknowledged it. A crash re-publishes, never loses.
CREATE TABLE outbox (
	id          bigserial PRIMARY KEY,
	created_at  timestamptz NOT NULL DEFAULT now(),
	topic       text NOT NULL,
	payload     bytea NOT NULL,
	qos         smallint NOT NULL DEFAULT 1,
	retain      boolean NOT NULL DEFAULT false
);
