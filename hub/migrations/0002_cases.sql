-- Simpul hub schema, migration 2: cases (LAPOR! SP4N flow), their SLA
-- policies, history and escalations, and the holiday calendar that
-- working-day deadlines are counted in. docs/cases.md is the reference.
--
-- The SQL twins of common/workcal.c and hub/casefsm.c live here:
-- simpul_sla_parse() reads durations exactly like sla_parse(),
-- simpul_deadline() computes exactly what workcal_deadline() computes with
-- the default calendar (Monday to Friday, 08:00-16:00, UTC+07:00 WIB, the
-- holidays in table holiday), and case_transition_rule lists the transitions
-- of casefsm.c. tests/integration/test_cases_sql.sh checks both against the
-- C code. The offset is a fixed +07:00 rather than 'Asia/Jakarta' so that
-- the result never depends on the server's tz database or the session's
-- TimeZone; Indonesia has had no daylight saving since 1964.

-- Statuses and actions, as named by casefsm.c.
CREATE DOMAIN simpul_case_status AS text CHECK (VALUE IN ('new', 'verified',
	'assigned', 'acknowledged', 'resolved', 'closed', 'rejected'));
CREATE DOMAIN simpul_case_action AS text CHECK (VALUE IN ('open', 'verify',
	'reject', 'assign', 'acknowledge', 'resolve', 'close', 'reopen',
	'escalate'));
CREATE DOMAIN simpul_deadline_kind AS text CHECK (VALUE IN ('verify',
	'follow_up', 'auto_close'));

-- The holiday calendar: national holidays and cuti bersama (SKB 3 Menteri),
-- plus local ones the Bupati declares. Edited by `simpulctl calendar`. Each
-- change notifies channel simpul_calendar, so running hubs reload the copy
-- they keep for common/workcal.c.
CREATE TABLE holiday (
	day         date PRIMARY KEY
	            CHECK (day BETWEEN '1970-01-01' AND '9999-12-31'),
	name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	created_by  text NOT NULL DEFAULT current_user,
	created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION simpul_holiday_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('simpul_calendar', lower(TG_OP));
	RETURN NULL;
END $$;

CREATE TRIGGER holiday_notify
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON holiday
	FOR EACH STATEMENT EXECUTE FUNCTION simpul_holiday_notify();

-- Parses an SLA duration like sla_parse(): a positive whole number without
-- leading zeros and one of the units wd (1..365), wh (1..2920), d (..365),
-- h (..8760), m (..525600), s (..31536000). unit is 'wd', 'wh' or 'ms'
-- (calendar time, amount in milliseconds); both are NULL for anything
-- sla_parse() refuses.
CREATE FUNCTION simpul_sla_parse(dur text, OUT unit text, OUT amount bigint)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	m text[];
	n bigint;
BEGIN
	m := regexp_match(dur, '^([1-9][0-9]*)(wd|wh|d|h|m|s)$');
	IF m IS NULL OR length(m[1]) > 10 THEN
		RETURN;
	END IF;
	n := m[1]::bigint;
	CASE m[2]
	WHEN 'wd' THEN
		IF n <= 365 THEN unit := 'wd'; amount := n; END IF;
	WHEN 'wh' THEN
		IF n <= 2920 THEN unit := 'wh'; amount := n; END IF;
	WHEN 'd' THEN
		IF n <= 365 THEN unit := 'ms'; amount := n * 86400000; END IF;
	WHEN 'h' THEN
		IF n <= 8760 THEN unit := 'ms'; amount := n * 3600000; END IF;
	WHEN 'm' THEN
		IF n <= 525600 THEN unit := 'ms'; amount := n * 60000; END IF;
	ELSE
		IF n <= 31536000 THEN unit := 'ms'; amount := n * 1000; END IF;
	END CASE;
END $$;

CREATE FUNCTION simpul_sla_valid(dur text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT (simpul_sla_parse(dur)).unit IS NOT NULL
$$;

-- A working day: Monday to Friday and not a holiday.
CREATE FUNCTION simpul_is_workday(day date) RETURNS boolean
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
	RETURN extract(isodow FROM day) <= 5 AND NOT EXISTS (
		SELECT 1 FROM holiday h WHERE h.day = simpul_is_workday.day);
END $$;

-- The first working day after day.
CREATE FUNCTION simpul_next_workday(day date) RETURNS date
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
	d date := day + 1;
BEGIN
	WHILE NOT simpul_is_workday(d) LOOP
		d := d + 1;
	END LOOP;
	RETURN d;
END $$;

-- start + dur counted in working time, exactly as workcal_deadline() with
-- the default calendar (see common/workcal.h):
--
--   The start moves into working time: before 08:00 on a working day to
--   08:00; at or after 16:00, or on a day that is not a working day, to
--   08:00 of the next working day. Call it (day D, time of day T).
--   N wd: time T on the N-th working day after D.
--   N wh: N hours counted through 08:00-16:00 of working days from (D, T);
--         a count that ends exactly at 16:00 ends there.
--   calendar units: start + dur.
--
-- Raises invalid_parameter_value for a duration sla_parse() refuses or a
-- start outside 1970..9999, where workcal_deadline() returns WORKCAL_ERROR.
CREATE FUNCTION simpul_deadline(start timestamptz, dur text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
	off  CONSTANT interval := interval '7 hours';
	ws   CONSTANT interval := interval '8 hours';
	we   CONSTANT interval := interval '16 hours';
	d    record;
	loc  timestamp;
	lday date;
	tod  interval;
	rem  interval;
BEGIN
	SELECT * INTO d FROM simpul_sla_parse(dur);
	IF d.unit IS NULL THEN
		RAISE EXCEPTION 'invalid SLA duration "%"', dur
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'e.g. 3wd, 4wh, 4h, 30m, 2d';
	END IF;
	IF start < timestamptz '1970-01-01 00:00:00+00' OR
	   start > timestamptz '9999-12-31 23:59:59.999+00' THEN
		RAISE EXCEPTION 'SLA start % is out of range', start
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF d.unit = 'ms' THEN
		RETURN start + d.amount * interval '1 millisecond';
	END IF;

	-- Local (WIB) wall-clock time, independent of the session TimeZone.
	loc := (start + off) AT TIME ZONE 'UTC';
	lday := loc::date;
	tod := loc - lday::timestamp;
	IF NOT simpul_is_workday(lday) OR tod >= we THEN
		lday := simpul_next_workday(lday);
		tod := ws;
	ELSIF tod < ws THEN
		tod := ws;
	END IF;

	IF d.unit = 'wd' THEN
		FOR i IN 1 .. d.amount LOOP
			lday := simpul_next_workday(lday);
		END LOOP;
		RETURN ((lday + tod) AT TIME ZONE 'UTC') - off;
	END IF;

	rem := d.amount * interval '1 hour';
	LOOP
		IF rem <= we - tod THEN
			RETURN ((lday + tod + rem) AT TIME ZONE 'UTC') - off;
		END IF;
		rem := rem - (we - tod);
		lday := simpul_next_workday(lday);
		tod := ws;
	END LOOP;
END $$;

-- SLA policies: how long each step may take. A case names its policy.
CREATE TABLE sla_policy (
	name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,31}$'),
	verify      text NOT NULL CHECK (simpul_sla_valid(verify)),
	follow_up   text NOT NULL CHECK (simpul_sla_valid(follow_up)),
	auto_close  text NOT NULL CHECK (simpul_sla_valid(auto_close)),
	description text NOT NULL DEFAULT '',
	updated_at  timestamptz NOT NULL DEFAULT now()
);

-- complaint: the clocks LAPOR! SP4N publishes: a complaint is forwarded to
--   the agency within 3 working days, followed up within 5, closed 10
--   working days after the follow-up unless the citizen objects.
-- alarm: device and system alarms (GPS SOS, overspeed, outages). The command
--   centre is staffed around the clock, so an operator looks at an alarm
--   within an hour, weekend or not; the agency then has one working day to
--   act, and a resolved alarm closes after two quiet working days.
INSERT INTO sla_policy (name, verify, follow_up, auto_close, description)
VALUES
	('complaint', '3wd', '5wd', '10wd',
	 'Public complaints (LAPOR! SP4N): verify and forward in 3 working days, follow up in 5, auto-close 10 working days after resolution'),
	('alarm', '1h', '1wd', '2wd',
	 'Alarms from devices and systems: verify within 1 hour around the clock, follow up in 1 working day, auto-close after 2');

-- The deadline of one step of a policy, from start.
CREATE FUNCTION simpul_policy_deadline(policy text, kind text,
	start timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
	p sla_policy%ROWTYPE;
BEGIN
	SELECT * INTO p FROM sla_policy WHERE name = policy;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown SLA policy "%"', policy
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN simpul_deadline(start, CASE kind
		WHEN 'verify' THEN p.verify
		WHEN 'follow_up' THEN p.follow_up
		WHEN 'auto_close' THEN p.auto_close
		ELSE NULL END);
END $$;

-- The legal transitions of hub/casefsm.c (who may take them is checked
-- there). case_history refers to this table, so a history row can only
-- record a step the state machine allows.
CREATE TABLE case_transition_rule (
	from_status simpul_case_status NOT NULL,
	action      simpul_case_action NOT NULL,
	to_status   simpul_case_status NOT NULL,
	PRIMARY KEY (from_status, action),
	UNIQUE (from_status, action, to_status)
);

INSERT INTO case_transition_rule (from_status, action, to_status) VALUES
	('new',          'verify',      'verified'),
	('new',          'reject',      'rejected'),
	('new',          'escalate',    'new'),
	('verified',     'reject',      'rejected'),
	('verified',     'assign',      'assigned'),
	('verified',     'escalate',    'verified'),
	('assigned',     'assign',      'assigned'),
	('assigned',     'acknowledge', 'acknowledged'),
	('assigned',     'escalate',    'assigned'),
	('acknowledged', 'resolve',     'resolved'),
	('acknowledged', 'escalate',    'acknowledged'),
	('resolved',     'close',       'closed'),
	('resolved',     'reopen',      'assigned'),
	('closed',       'reopen',      'assigned');

-- One case. A rule opens it with a key (its key template filled in from the
-- event, e.g. "complaint.created:PGD-2026-0042"); events with the same key
-- update the open case instead of opening another. The key is unique among
-- open cases only: once a case is closed or rejected, the same key opens a
-- new one (the same GPS unit's SOS next month is a new case). Upserts name
-- the partial index: ON CONFLICT (case_key) WHERE status NOT IN ('closed',
-- 'rejected').
--
-- The running clock: deadline_kind says which step's deadline due_at is,
-- and clock_started_at when that clock started (opened_at for verify, the
-- assignment for follow_up, the resolution for auto_close; see
-- case_clock_restarts() in casefsm.h), so due_at can be recomputed with
-- simpul_policy_deadline() after the calendar changes. The CHECKs tie the
-- clock to the status as case_deadline_of() does.
--
-- source_event_ids is bounded by its writer (the first events that opened
-- or updated the case, not all of them); event_count counts all.
CREATE TABLE case_record (
	id               bigserial PRIMARY KEY,
	human_id         text NOT NULL UNIQUE,
	kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,63}$'),
	case_key         text NOT NULL CHECK (length(case_key) BETWEEN 1 AND 512),
	opd              text CHECK (opd ~ '^[a-z][a-z0-9_-]{1,31}$'),
	status           simpul_case_status NOT NULL DEFAULT 'new',
	severity         text NOT NULL CHECK (severity IN ('critical', 'major',
	                     'minor', 'warning')),
	title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
	channel          text CHECK (length(channel) BETWEEN 1 AND 64),
	policy           text NOT NULL REFERENCES sla_policy (name),
	opened_at        timestamptz NOT NULL,
	clock_started_at timestamptz,
	due_at           timestamptz,
	deadline_kind    simpul_deadline_kind,
	escalation_level smallint NOT NULL DEFAULT 0
	                 CHECK (escalation_level BETWEEN 0 AND 3),
	assignee         text CHECK (length(assignee) BETWEEN 1 AND 200),
	source_event_ids text[] NOT NULL DEFAULT '{}',
	event_count      integer NOT NULL DEFAULT 1 CHECK (event_count >= 0),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT case_record_clock CHECK (deadline_kind IS NOT DISTINCT FROM
		CASE status
		WHEN 'new' THEN 'verify'
		WHEN 'verified' THEN 'verify'
		WHEN 'assigned' THEN 'follow_up'
		WHEN 'acknowledged' THEN 'follow_up'
		WHEN 'resolved' THEN 'auto_close'
		END),
	CONSTRAINT case_record_due CHECK ((due_at IS NULL) = (deadline_kind IS NULL)
		AND (clock_started_at IS NULL) = (deadline_kind IS NULL)),
	CONSTRAINT case_record_opd CHECK (opd IS NOT NULL OR
		status IN ('new', 'verified', 'rejected'))
);

-- The escalation scan reads only cases whose deadline runs, in due order:
-- "WHERE due_at <= now() AND status NOT IN ('closed', 'rejected') ORDER BY
-- due_at FOR UPDATE SKIP LOCKED LIMIT n" costs O(due), not O(open).
CREATE INDEX case_record_due_idx ON case_record (due_at)
	WHERE due_at IS NOT NULL AND status NOT IN ('closed', 'rejected');
CREATE UNIQUE INDEX case_record_open_key_idx ON case_record (case_key)
	WHERE status NOT IN ('closed', 'rejected');
CREATE INDEX case_record_opd_status_idx ON case_record (opd, status);
CREATE INDEX case_record_opened_idx ON case_record (opened_at);

-- Human case numbers, "KRO-2026-000123": site code, the WIB year the case
-- was opened, and the case id (not a per-year counter, which would be one
-- more row every insert locks). The site code is the setting
-- simpul.case_prefix (ALTER DATABASE ... SET simpul.case_prefix = 'KRO'),
-- KRO when unset. An id beyond 999999 simply has more digits.
CREATE FUNCTION simpul_case_human_id() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	prefix text := coalesce(nullif(current_setting('simpul.case_prefix', true), ''), 'KRO');
BEGIN
	IF NEW.human_id IS NULL THEN
		NEW.human_id := format('%s-%s-%s', prefix,
			to_char((NEW.opened_at + interval '7 hours') AT TIME ZONE 'UTC', 'YYYY'),
			CASE WHEN NEW.id < 1000000 THEN lpad(NEW.id::text, 6, '0')
			     ELSE NEW.id::text END);
	END IF;
	RETURN NEW;
END $$;

CREATE TRIGGER case_record_human_id BEFORE INSERT ON case_record
	FOR EACH ROW EXECUTE FUNCTION simpul_case_human_id();

-- What happened to a case, step by step: who (actor, e.g. "operator:budi",
-- "opd:dishub:sinta", "system:hub-1"), which action, from and to which
-- status. The case's opening is action 'open' from no status to 'new'; every
-- other row must be a transition of case_transition_rule.
CREATE TABLE case_history (
	id          bigserial PRIMARY KEY,
	case_id     bigint NOT NULL REFERENCES case_record (id),
	at          timestamptz NOT NULL DEFAULT now(),
	actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
	actor_kind  text NOT NULL CHECK (actor_kind IN ('operator',
	                'supervisor', 'opd', 'system')),
	action      simpul_case_action NOT NULL,
	from_status simpul_case_status,
	to_status   simpul_case_status NOT NULL,
	opd         text CHECK (opd ~ '^[a-z][a-z0-9_-]{1,31}$'),
	note        text CHECK (octet_length(note) <= 4000),
	reason      text CHECK (reason IN ('not_valid', 'not_our_authority',
	                'duplicate')),
	CHECK ((action = 'open') = (from_status IS NULL)),
	CHECK (action <> 'open' OR to_status = 'new'),
	CHECK ((action = 'reject') = (reason IS NOT NULL)),
	CHECK (action <> 'assign' OR opd IS NOT NULL),
	FOREIGN KEY (from_status, action, to_status)
		REFERENCES case_transition_rule (from_status, action, to_status)
);
CREATE INDEX case_history_case_idx ON case_history (case_id, at);

-- Escalations: one row per level reached on one run of one clock. Several
-- hubs may scan at once; the primary key makes the second one's insert a
-- no-op (ON CONFLICT DO NOTHING), so a breach escalates once. The key holds
-- clock_started_at because re-assignment and reopening start a new
-- follow-up clock whose breaches escalate again from level 1.
CREATE TABLE case_escalation (
	case_id          bigint NOT NULL REFERENCES case_record (id),
	deadline_kind    simpul_deadline_kind NOT NULL,
	clock_started_at timestamptz NOT NULL,
	level            smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
	due_at           timestamptz NOT NULL,
	escalated_at     timestamptz NOT NULL DEFAULT now(),
	escalated_by     text NOT NULL CHECK (length(escalated_by) BETWEEN 1 AND 200),
	PRIMARY KEY (case_id, deadline_kind, clock_started_at, level)
);
CREATE INDEX case_escalation_at_idx ON case_escalation (escalated_at);
