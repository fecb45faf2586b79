-- Simpul hub schema, migration 9: outbox messages the broker refused for
-- good are set aside instead of holding up the outbox.
--
-- The relay deletes a round of outbox rows only when the broker has
-- acknowledged every message in it. A message the broker refuses with a
-- reason that will not change on a retry (Not authorized: a site's own
-- ACL is tighter than deploy/broker-setup's; Topic Name invalid; Packet
-- too large: over the broker's message_size_limit; Payload format invalid)
-- used to roll the round back again and again, and every message behind
-- it (case changes, alerts) waited. Such a message now moves here, in the
-- transaction that deletes the round: kept with the broker's reason, for
-- an admin to read, fix (the ACL, the limit) and put back with
--
--   INSERT INTO outbox (topic, payload, qos, retain)
--   SELECT topic, payload, qos, retain FROM outbox_refused WHERE id = N;
--   DELETE FROM outbox_refused WHERE id = N;
--
-- Other refusals (Quota exceeded, Unspecified error, ...) may pass later
-- and still roll the round back.

CREATE TABLE outbox_refused (
	id          bigserial PRIMARY KEY,
	refused_at  timestamptz NOT NULL DEFAULT now(),
	queued_at   timestamptz NOT NULL,  -- the outbox row's created_at
	topic       text NOT NULL,
	payload     bytea NOT NULL,
	qos         smallint NOT NULL,
	retain      boolean NOT NULL,
	reason_code integer NOT NULL CHECK (reason_code BETWEEN 128 AND 255),
	reason      text NOT NULL          -- the reason code's name
);
CREATE INDEX outbox_refused_at_idx ON outbox_refused (refused_at);

-- simpul_apply_grants() of migration 7 with outbox_refused: the hub writes
-- it; like the outbox, no other role reads it (it can carry dead letters'
-- payloads).
CREATE OR REPLACE FUNCTION simpul_apply_grants() RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	hub_write  text[] := '{event,event_id,dead_letter,outbox,hub_journal,'
	    'case_record,case_history,case_escalation,alert,outbox_refused}';
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

SELECT simpul_apply_grants();
