-- Simpul hub schema, migration 8: routed copies travel through the outbox in
-- bundles.
--
-- With a rule set that routes every event to an operator feed, each event
-- made one or more outbox rows: inserted with the event, locked by the
-- relay, deleted once the broker acknowledged. At 1,000 rules (1.48 routed
-- copies per event) that per-row work was about 20 us of PostgreSQL CPU per
-- event, as much again as storing the event itself. The routed copies of
-- one batch now go into the outbox as bundles of at most 256 messages
-- (topics[i] and payloads[i] are one message, in order); everything else
-- (case changes, alerts, dead letters, responses) keeps one row per
-- message. A row is one or the other, and "messages" says how many it
-- carries, so that the relay can take a bounded number of messages per
-- round without reading the arrays first. The guarantee does not change:
-- a bundle is written in the event's transaction and deleted only when the
-- broker has acknowledged every message in it.
--
-- The arrays are stored out of line without compression (STORAGE
-- EXTERNAL): they are deleted within a second of being written, so
-- compressing them would cost CPU for space nobody keeps.

ALTER TABLE outbox
	ALTER COLUMN topic DROP NOT NULL,
	ALTER COLUMN payload DROP NOT NULL,
	ADD COLUMN topics text[],
	ADD COLUMN payloads bytea[],
	ADD COLUMN messages integer NOT NULL DEFAULT 1,
	ADD CONSTRAINT outbox_single_or_bundle CHECK (
		(topic IS NOT NULL AND payload IS NOT NULL
		 AND topics IS NULL AND payloads IS NULL AND messages = 1)
		OR (topic IS NULL AND payload IS NULL
		 AND cardinality(topics) = messages
		 AND cardinality(payloads) = messages AND messages > 0));

ALTER TABLE outbox ALTER COLUMN topics SET STORAGE EXTERNAL;
ALTER TABLE outbox ALTER COLUMN payloads SET STORAGE EXTERNAL;

-- One row per message waiting in the outbox, bundled or not: for people
-- and tests asking what is waiting ("select count(*) from outbox_message
-- where topic = ...").
CREATE VIEW outbox_message AS
	SELECT id, created_at, topic, payload, qos, retain
	FROM outbox WHERE topics IS NULL
	UNION ALL
	SELECT o.id, o.created_at, m.topic, m.payload, o.qos, o.retain
	FROM outbox o, unnest(o.topics, o.payloads) AS m(topic, payload)
	WHERE o.topics IS NOT NULL;
