-- Simpul hub schema, migration 7: separate PostgreSQL roles.
--
-- deploy/postgres-roles.sql makes four roles (docs/security.md):
--   simpul_admin    owns the schema; runs migrations, rules, the holiday
--                   calendar and console users (whoever runs `simpulctl
--                   migrate`, so this file never names it);
--   simpul_hub      writes the tables the hub writes, reads what it reads;
--   simpul_console  what the console daemon needs;
--   simpul_read     read-only reporting views without raw PII.
-- The local stack and the tests use one role that does everything; there
-- the roles do not exist and simpul_apply_grants() below does nothing.

-- The hub creates monthly partitions and drops old ones, which needs the
-- table's owner: these two run as their owner (the migrating role), with a
-- search_path nobody can plant objects in, and only the hub may call them.
ALTER FUNCTION simpul_ensure_partition(date)
	SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION simpul_drop_partitions_before(date)
	SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION simpul_ensure_partition(date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION simpul_drop_partitions_before(date) FROM PUBLIC;

-- Reporting views: what operators and reports read. They run with the
-- owner's rights, so simpul_read needs no access to the tables under them.
-- Complaint reporters' names and contacts are removed (the "anonymous"
-- flag stays); a dead letter's payload (exactly the bytes that arrived,
-- PII and all) is replaced by its size.
CREATE VIEW report_event AS
SELECT id, time, topic, opd, source, type, subject, received_at, stored_at,
       instance, data #- '{reporter,name}' #- '{reporter,contact}' AS data,
       attrs
FROM event;

CREATE VIEW report_dead_letter AS
SELECT id, received_at, stored_at, instance, journal_seq, topic, reason,
       detail, event_id, octet_length(payload) AS payload_bytes,
       replayed_at, replayed_by
FROM dead_letter;

CREATE VIEW report_case AS SELECT * FROM case_record;
CREATE VIEW report_case_history AS SELECT * FROM case_history;
CREATE VIEW report_case_escalation AS SELECT * FROM case_escalation;
CREATE VIEW report_alert AS SELECT * FROM alert;

-- Grants per role, for the roles that exist. Declarative: each role first
-- loses every table privilege, then gets its list, so running it again
-- (every migration run and deploy/postgres-roles.sql call it) converges.
-- A later migration that adds a table replaces this function with one that
-- names it. Partitions need nothing: PostgreSQL checks the parent's
-- privileges when a query goes through it.
CREATE FUNCTION simpul_apply_grants() RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	hub_write  text[] := '{event,event_id,dead_letter,outbox,hub_journal,'
	    'case_record,case_history,case_escalation,alert}';
	hub_read   text[] := '{rule,sla_policy,holiday,case_transition_rule,'
	    'schema_migration}';
	con_read   text[] := '{event,event_id,dead_letter,case_record,'
	    'case_history,case_escalation,alert,rule,sla_policy,holiday,'
	    'case_transition_rule,console_user,console_audit,hub_journal,'
	    'schema_migration}';
	-- No raw PII here: not event, dead_letter, outbox (it carries dead
	-- letters' payloads), console_user or console_session.
	read_read  text[] := '{report_event,report_dead_letter,report_case,'
	    'report_case_history,report_case_escalation,report_alert,'
	    'case_record,case_history,case_escalation,alert,event_id,rule,'
	    'rule_history,sla_policy,holiday,case_transition_rule,hub_journal,'
	    'schema_migration,console_audit}';
	t text;
BEGIN
	IF to_regrole('simpul_hub') IS NOT NULL THEN
		EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM simpul_hub';
		EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM simpul_hub';
		FOREACH t IN ARRAY hub_write LOOP
			EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO simpul_hub', t);
		END LOOP;
		FOREACH t IN ARRAY hub_read LOOP
			EXECUTE format('GRANT SELECT ON %I TO simpul_hub', t);
		END LOOP;
		PERFORM simpul_grant_sequences(hub_write, 'simpul_hub');
		EXECUTE 'GRANT EXECUTE ON FUNCTION simpul_ensure_partition(date), '
		    'simpul_drop_partitions_before(date) TO simpul_hub';
	END IF;
	IF to_regrole('simpul_console') IS NOT NULL THEN
		EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM simpul_console';
		EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM simpul_console';
		FOREACH t IN ARRAY con_read LOOP
			EXECUTE format('GRANT SELECT ON %I TO simpul_console', t);
		END LOOP;
		-- Sessions and the audit log are its own; acting on a case
		-- (simpul_case_apply) changes the case, adds a history row and
		-- an outbox message; a replay marks the dead letter.
		EXECUTE 'GRANT INSERT, UPDATE, DELETE ON console_session TO simpul_console';
		EXECUTE 'GRANT SELECT ON console_session TO simpul_console';
		EXECUTE 'GRANT INSERT ON console_audit, case_history, outbox TO simpul_console';
		EXECUTE 'GRANT UPDATE ON case_record TO simpul_console';
		EXECUTE 'GRANT UPDATE (replayed_at, replayed_by) ON dead_letter TO simpul_console';
		PERFORM simpul_grant_sequences('{console_audit,case_history,outbox}',
		    'simpul_console');
	END IF;
	IF to_regrole('simpul_read') IS NOT NULL THEN
		EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM simpul_read';
		EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM simpul_read';
		FOREACH t IN ARRAY read_read LOOP
			EXECUTE format('GRANT SELECT ON %I TO simpul_read', t);
		END LOOP;
	END IF;
END $$;

-- USAGE on the serial sequences of "tables" (their id columns).
CREATE FUNCTION simpul_grant_sequences(tables text[], grantee text)
RETURNS void LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	seq text;
BEGIN
	FOR seq IN
		SELECT pg_get_serial_sequence(quote_ident(t), 'id')
		FROM unnest(tables) AS t
		WHERE EXISTS (SELECT FROM information_schema.columns c
		    WHERE c.table_schema = 'public' AND c.table_name = t
		      AND c.column_name = 'id')
	LOOP
		CONTINUE WHEN seq IS NULL;
		EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', seq, grantee);
	END LOOP;
END $$;

SELECT simpul_apply_grants();
