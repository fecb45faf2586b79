-- Simpul hub schema, migration 4: applying the case actions people take
-- (docs/case-actions.md), and keeping stored deadlines right when the
-- holiday calendar changes.
--
-- Who may do what is decided in C (hub/casefsm.c, through store_case_act()
-- in hub/store.c), under the row lock the caller took with SELECT ... FOR
-- UPDATE; simpul_case_apply() only carries the decision out, so the rules
-- live in one place. case_history's foreign key to case_transition_rule
-- still refuses a step the state machine does not have.

-- Applies one decided action to case p_id, which must be in p_from:
-- status p_to; the OPD p_opd if not NULL (assign); the clock p_deadline
-- (NULL: none; restarted now when p_restart, with the policy's deadline
-- and escalation level 0, else kept); the assignee (the officer who
-- acknowledged for the OPD; cleared on a (re-)assignment). Records the step
-- in case_history and queues the case message on
-- <site>/case/<opd or unassigned>/<human id>. Returns that message as text:
-- the new state of the case.
CREATE FUNCTION simpul_case_apply(p_id bigint, p_from text, p_action text,
	p_to text, p_deadline text, p_restart boolean, p_opd text,
	p_actor text, p_actor_kind text, p_reason text, p_note text,
	p_site text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	c case_record;
	msg bytea;
BEGIN
	UPDATE case_record SET
		status = p_to,
		opd = coalesce(p_opd, opd),
		deadline_kind = p_deadline,
		clock_started_at = CASE WHEN p_deadline IS NULL THEN NULL
			WHEN p_restart THEN now() ELSE clock_started_at END,
		due_at = CASE WHEN p_deadline IS NULL THEN NULL
			WHEN p_restart THEN simpul_policy_deadline(policy,
				p_deadline, now())
			ELSE due_at END,
		escalation_level = CASE WHEN p_restart THEN 0
			ELSE escalation_level END,
		assignee = CASE
			WHEN p_action = 'acknowledge' AND p_actor_kind = 'opd'
			THEN left(p_actor, 200)
			WHEN p_action = 'assign' THEN NULL
			ELSE assignee END,
		updated_at = now()
	WHERE id = p_id AND status = p_from
	RETURNING * INTO c;
	IF NOT FOUND THEN
		-- The caller decided on a row it did not lock: a bug there.
		RAISE EXCEPTION 'case % is not in status %', p_id, p_from
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	INSERT INTO case_history (case_id, actor, actor_kind, action,
		from_status, to_status, opd, note, reason)
	VALUES (c.id, p_actor, p_actor_kind, p_action, p_from, p_to, c.opd,
		p_note, p_reason);
	msg := simpul_case_message(c, p_action, p_actor);
	INSERT INTO outbox (topic, payload)
	VALUES (p_site || '/case/' || coalesce(c.opd, 'unassigned') || '/' ||
		c.human_id, msg);
	RETURN convert_from(msg, 'UTF8');
END $$;

-- The deadline a case's running clock has with today's calendar: the
-- policy's deadline from clock_started_at, then one working day more per
-- escalation level reached (as simpul_escalate_due() moves it), and none
-- after the top level. NULL when no clock runs.
CREATE FUNCTION simpul_case_due(c case_record) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
	d timestamptz;
BEGIN
	IF c.deadline_kind IS NULL OR c.clock_started_at IS NULL THEN
		RETURN NULL;
	END IF;
	IF c.escalation_level >= 3 THEN
		RETURN 'infinity';
	END IF;
	d := simpul_policy_deadline(c.policy, c.deadline_kind,
		c.clock_started_at);
	FOR i IN 1 .. c.escalation_level LOOP
		d := simpul_deadline(d, '1wd');
	END LOOP;
	RETURN d;
END $$;

-- After the holiday p_day was added or removed: recomputes due_at of the
-- open cases whose running clock spans that (WIB) day, i.e. started before
-- its end and falls due at or after its start. A day outside that span
-- cannot change a deadline (workcal counts forward from the start and stops
-- at the deadline). Each case whose deadline moved is published again
-- (action "due_changed"); no history row, since no step was taken. A
-- deadline that now lies in the past is escalated by the next scan; an
-- escalation that already happened stays. Returns the number of cases
-- whose deadline moved.
CREATE FUNCTION simpul_recompute_due(p_day date, p_site text, p_actor text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	lo CONSTANT timestamptz := (p_day::timestamp AT TIME ZONE 'UTC') -
		interval '7 hours';
	hi CONSTANT timestamptz := lo + interval '1 day';
	c case_record;
	d timestamptz;
	n integer := 0;
BEGIN
	FOR c IN
		SELECT * FROM case_record
		WHERE due_at IS NOT NULL AND status NOT IN ('closed', 'rejected')
		  AND due_at >= lo AND due_at <> 'infinity'
		  AND clock_started_at < hi
		ORDER BY id
		FOR UPDATE
	LOOP
		d := simpul_case_due(c);
		CONTINUE WHEN d IS NOT DISTINCT FROM c.due_at;
		UPDATE case_record SET due_at = d, updated_at = now()
		WHERE id = c.id RETURNING * INTO c;
		INSERT INTO outbox (topic, payload)
		VALUES (p_site || '/case/' || coalesce(c.opd, 'unassigned') ||
			'/' || c.human_id,
			simpul_case_message(c, 'due_changed', p_actor));
		n := n + 1;
	END LOOP;
	RETURN n;
END $$;
