-- Simpul hub schema, migration 3: routing rules with their history, alerts,
-- and the two case operations the hub performs itself (opening a case from
-- a rule, escalating due cases).

-- simpulctl events tail follows new rows by stored_at. stored_at only
-- grows, so a BRIN index (a few pages per partition, almost free to keep
-- up) serves its range scans as well as a B-tree would.
CREATE INDEX event_stored_idx ON event USING brin (stored_at);

-- A rule as stored: its definition is the JSON form of hub/rules.c
-- (rule_to_json), the same text simpulctl rules apply compiles before it
-- writes. Hubs load enabled rules and reload on NOTIFY simpul_rules.
CREATE TABLE rule (
	name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
	enabled     boolean NOT NULL DEFAULT true,
	priority    integer NOT NULL DEFAULT 0,
	definition  jsonb NOT NULL,
	version     integer NOT NULL DEFAULT 1,
	updated_at  timestamptz NOT NULL DEFAULT now(),
	updated_by  text NOT NULL
);

-- Who changed which rule, when, and from what to what. Written by the
-- trigger below, so no writer can forget it.
CREATE TABLE rule_history (
	id      bigserial PRIMARY KEY,
	name    text NOT NULL,
	at      timestamptz NOT NULL DEFAULT now(),
	actor   text NOT NULL,
	op      text NOT NULL CHECK (op IN ('create', 'update', 'enable',
	            'disable', 'delete')),
	before  jsonb,
	after   jsonb
);
CREATE INDEX rule_history_name_idx ON rule_history (name, at);

CREATE FUNCTION simpul_rule_audit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	actor text := coalesce(nullif(current_setting('simpul.actor', true), ''),
	                       current_user);
	op text;
BEGIN
	IF TG_OP = 'INSERT' THEN
		op := 'create';
	ELSIF TG_OP = 'DELETE' THEN
		op := 'delete';
	ELSIF OLD.enabled AND NOT NEW.enabled THEN
		op := 'disable';
	ELSIF NOT OLD.enabled AND NEW.enabled AND
	      OLD.definition = NEW.definition AND OLD.priority = NEW.priority THEN
		op := 'enable';
	ELSE
		op := 'update';
	END IF;
	INSERT INTO rule_history (name, actor, op, before, after)
	VALUES (coalesce(NEW.name, OLD.name), actor, op,
	        CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
	        CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
	-- Delivered at commit, once per transaction and payload.
	PERFORM pg_notify('simpul_rules', 'changed');
	RETURN NULL;
END $$;

CREATE TRIGGER rule_audit AFTER INSERT OR UPDATE OR DELETE ON rule
	FOR EACH ROW EXECUTE FUNCTION simpul_rule_audit();

-- Alerts raised by rules and by escalations; each is also published on
-- <site>/alert/<severity>/<opd> through the outbox.
CREATE TABLE alert (
	id         bigserial PRIMARY KEY,
	raised_at  timestamptz NOT NULL DEFAULT now(),
	severity   text NOT NULL CHECK (severity IN ('critical', 'major',
	               'minor', 'warning')),
	opd        text NOT NULL,
	source     text NOT NULL,   -- 'rule:<name>' or 'escalation'
	event_id   text,
	case_id    bigint REFERENCES case_record (id),
	message    text NOT NULL
);
CREATE INDEX alert_raised_idx ON alert (raised_at);
CREATE INDEX alert_opd_idx ON alert (opd, raised_at);

-- The message published about a case on <site>/case/<opd>/<human id>.
CREATE FUNCTION simpul_case_message(c case_record, action text, actor text)
RETURNS bytea
LANGUAGE sql STABLE AS $$
	SELECT convert_to(json_build_object(
		'case_id', c.human_id, 'id', c.id, 'action', action,
		'actor', actor, 'kind', c.kind, 'key', c.case_key,
		'opd', c.opd, 'status', c.status, 'severity', c.severity,
		'title', c.title, 'channel', c.channel, 'policy', c.policy,
		'opened_at', c.opened_at, 'due_at', c.due_at,
		'deadline', c.deadline_kind,
		'escalation_level', c.escalation_level,
		'events', c.event_count, 'updated_at', c.updated_at)::text, 'UTF8')
$$;

-- Opens the case a rule asks for, or adds the event to the open case with
-- the same key. The verify clock starts at the event's time. Returns the
-- case id. Concurrent hubs meet on the unique index of open keys.
CREATE FUNCTION simpul_case_open(p_key text, p_kind text, p_opd text,
	p_policy text, p_severity text, p_title text, p_channel text,
	p_event_id text, p_event_time timestamptz, p_site text, p_actor text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	c case_record;
	actor text := 'system:' || p_actor;
BEGIN
	INSERT INTO case_record (kind, case_key, opd, severity, title, channel,
		policy, opened_at, clock_started_at, due_at, deadline_kind,
		source_event_ids)
	VALUES (p_kind, p_key, p_opd, p_severity, left(p_title, 500),
		p_channel, p_policy, p_event_time, p_event_time,
		simpul_policy_deadline(p_policy, 'verify', p_event_time),
		'verify', ARRAY[p_event_id])
	ON CONFLICT (case_key) WHERE status NOT IN ('closed', 'rejected')
	DO NOTHING
	RETURNING * INTO c;
	IF FOUND THEN
		INSERT INTO case_history (case_id, actor, actor_kind, action,
			from_status, to_status, opd, note)
		VALUES (c.id, actor, 'system', 'open', NULL, 'new', p_opd,
			'opened by event ' || p_event_id);
		INSERT INTO outbox (topic, payload)
		VALUES (p_site || '/case/' || coalesce(c.opd, 'unassigned') || '/' ||
			c.human_id, simpul_case_message(c, 'open', actor));
		RETURN c.id;
	END IF;
	UPDATE case_record
	SET source_event_ids = CASE WHEN cardinality(source_event_ids) < 1000
	        THEN array_append(source_event_ids, p_event_id)
	        ELSE source_event_ids END,
	    event_count = event_count + 1, updated_at = now()
	WHERE case_key = p_key AND status NOT IN ('closed', 'rejected')
	RETURNING * INTO c;
	IF FOUND THEN
		INSERT INTO outbox (topic, payload)
		VALUES (p_site || '/case/' || coalesce(c.opd, 'unassigned') || '/' ||
			c.human_id, simpul_case_message(c, 'event', actor));
	END IF;
	RETURN c.id;
END $$;

-- The escalation scan: takes up to p_limit cases whose running deadline has
-- passed, in due order, skipping rows another hub holds, so two hubs never
-- escalate one breach twice and the cost is O(due) through
-- case_record_due_idx, not O(open). A breached verify or follow-up clock
-- raises the escalation level by one (officer -> head of the OPD ->
-- command-centre supervisor -> Bupati), records it, raises an alert and
-- publishes the case; the next level falls due one working day after this
-- escalation (not after the old deadline: a complaint that reaches the hub
-- days late is escalated once at arrival, then one level a working day,
-- rather than to the Bupati within seconds), and after the Bupati the
-- clock stops ('infinity'). A passed auto-close clock
-- closes the resolved case. Returns the number of cases handled.
CREATE FUNCTION simpul_escalate_due(p_instance text, p_site text,
	p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	c case_record;
	lvl smallint;
	sev text;
	lvl_name text;
	opd text;
	msg text;
	n integer := 0;
	actor text := 'system:' || p_instance;
BEGIN
	FOR c IN
		SELECT * FROM case_record
		WHERE due_at <= now() AND status NOT IN ('closed', 'rejected')
		ORDER BY due_at
		LIMIT p_limit
		FOR UPDATE SKIP LOCKED
	LOOP
		n := n + 1;
		opd := coalesce(c.opd, 'unassigned');
		IF c.deadline_kind = 'auto_close' THEN
			UPDATE case_record SET status = 'closed', due_at = NULL,
				deadline_kind = NULL, clock_started_at = NULL,
				updated_at = now()
			WHERE id = c.id RETURNING * INTO c;
			INSERT INTO case_history (case_id, actor, actor_kind,
				action, from_status, to_status, note)
			VALUES (c.id, actor, 'system', 'close', 'resolved',
				'closed', 'closed automatically: no objection '
				'within the auto-close period');
			INSERT INTO outbox (topic, payload)
			VALUES (p_site || '/case/' || opd || '/' || c.human_id,
				simpul_case_message(c, 'close', actor));
			CONTINUE;
		END IF;
		lvl := c.escalation_level + 1;
		INSERT INTO case_escalation (case_id, deadline_kind,
			clock_started_at, level, due_at, escalated_by)
		VALUES (c.id, c.deadline_kind, c.clock_started_at, lvl, c.due_at,
			p_instance)
		ON CONFLICT DO NOTHING;
		IF NOT FOUND THEN
			-- Recorded before (a crash after the insert cannot
			-- happen inside one transaction, but be safe): move on.
			UPDATE case_record SET escalation_level = lvl,
				due_at = CASE WHEN lvl < 3 THEN simpul_deadline(
				    greatest(c.due_at, now()), '1wd')
				         ELSE 'infinity' END
			WHERE id = c.id;
			CONTINUE;
		END IF;
		UPDATE case_record SET escalation_level = lvl,
			due_at = CASE WHEN lvl < 3 THEN simpul_deadline(
			    greatest(c.due_at, now()), '1wd')
			         ELSE 'infinity' END,
			updated_at = now()
		WHERE id = c.id RETURNING * INTO c;
		lvl_name := CASE lvl WHEN 1 THEN 'opd_head' WHEN 2 THEN 'supervisor'
		            ELSE 'bupati' END;
		sev := CASE WHEN lvl >= 3 OR c.severity = 'critical' THEN 'critical'
		            WHEN lvl = 2 OR c.severity = 'major' THEN 'major'
		            ELSE c.severity END;
		msg := format('Kasus %s (%s) melewati batas waktu %s; eskalasi ke %s',
			c.human_id, c.title, c.deadline_kind, lvl_name);
		INSERT INTO case_history (case_id, actor, actor_kind, action,
			from_status, to_status, opd, note)
		VALUES (c.id, actor, 'system', 'escalate', c.status, c.status,
			c.opd, format('%s deadline passed; escalated to level %s (%s)',
			c.deadline_kind, lvl, lvl_name));
		INSERT INTO alert (severity, opd, source, case_id, message)
		VALUES (sev, opd, 'escalation', c.id, msg);
		INSERT INTO outbox (topic, payload)
		VALUES (p_site || '/alert/' || sev || '/' || opd,
			convert_to(json_build_object('kind', 'escalation',
				'case_id', c.human_id, 'level', lvl,
				'level_name', lvl_name,
				'deadline', c.deadline_kind, 'severity', sev,
				'opd', opd, 'title', c.title, 'message', msg,
				'at', now())::text, 'UTF8')),
			(p_site || '/case/' || opd || '/' || c.human_id,
			 simpul_case_message(c, 'escalate', actor));
	END LOOP;
	RETURN n;
END $$;

-- Permits (SiCantik): a submitted application must be verified within 1
-- working day and decided within 5 (Karo's DPMPTSP service standard for
-- most permits; a longer one is a rule with its own policy).
INSERT INTO sla_policy (name, verify, follow_up, auto_close, description)
VALUES ('permit', '1wd', '5wd', '5wd',
	'Permit applications (SiCantik): verify in 1 working day, decide in 5');


-- Lookups of a case by its key or by one of its events (Open311 status,
-- simpulctl case show), whatever the case's status.
CREATE INDEX case_record_key_idx ON case_record (case_key);
CREATE INDEX case_record_events_idx ON case_record USING gin (source_event_ids);
