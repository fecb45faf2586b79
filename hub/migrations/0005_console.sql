-- Simpul hub schema, migration 5: the operator console (simpul-console,
-- docs/console.md): its users, their sessions, the audit trail of what they
-- did, and the working-time countdown the case queue shows.

-- A console user. Passwords are libsodium crypto_pwhash_str() strings
-- (argon2id, "$argon2id$v=19$m=...,t=...,p=...$salt$hash"): the parameters
-- travel with the hash, so a stronger setting later still verifies old ones.
-- Written by `simpulctl user`; the console only reads it.
CREATE TABLE console_user (
	name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9._-]{0,63}$'),
	display     text NOT NULL DEFAULT '' CHECK (length(display) <= 200),
	role        text NOT NULL CHECK (role IN ('operator', 'supervisor',
	                'opd', 'admin')),
	opd         text CHECK (opd ~ '^[a-z][a-z0-9_-]{1,31}$'),
	pwhash      text NOT NULL CHECK (pwhash LIKE '$argon2id$%'),
	disabled    boolean NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	CHECK ((role = 'opd') = (opd IS NOT NULL))
);

-- A signed-in browser. id is the SHA-256 of the session token: the token
-- itself lives only in the browser's cookie, so a copy of this table (a
-- backup, a read-only role) cannot be used to act as anybody. A session
-- ends after the idle limit without a request (last_seen) or at expires
-- (sign-in + the maximum), whichever comes first; the console deletes
-- expired rows.
CREATE TABLE console_session (
	id          bytea PRIMARY KEY CHECK (octet_length(id) = 32),
	user_name   text NOT NULL REFERENCES console_user (name)
	            ON DELETE CASCADE,
	csrf        text NOT NULL CHECK (length(csrf) BETWEEN 32 AND 128),
	created_at  timestamptz NOT NULL DEFAULT now(),
	last_seen   timestamptz NOT NULL DEFAULT now(),
	expires     timestamptz NOT NULL,
	remote_addr text
);
CREATE INDEX console_session_user_idx ON console_session (user_name);
CREATE INDEX console_session_expires_idx ON console_session (expires);

-- What people did in the console: sign-in (ok and failed), sign-out, case
-- actions, dead-letter replays. user_name is what was typed for a failed
-- sign-in (no foreign key: an unknown name is exactly what is worth
-- seeing).
CREATE TABLE console_audit (
	id          bigserial PRIMARY KEY,
	at          timestamptz NOT NULL DEFAULT now(),
	user_name   text NOT NULL CHECK (length(user_name) <= 200),
	role        text,
	action      text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
	target      text CHECK (length(target) <= 200),
	detail      jsonb NOT NULL DEFAULT '{}',
	remote_addr text
);
CREATE INDEX console_audit_at_idx ON console_audit (at);
CREATE INDEX console_audit_user_idx ON console_audit (user_name, at);
-- The sign-in throttle counts recent failures per remote address (and per
-- name, through the index above).
CREATE INDEX console_audit_failed_addr_idx ON console_audit (remote_addr, at)
	WHERE action = 'login_failed';

-- Seconds of working time in [a, b): the parts of the working days'
-- 08:00-16:00 WIB (UTC+07:00) that lie between the two instants, working
-- days being those of simpul_is_workday() (Monday to Friday, not in
-- holiday), the calendar simpul_deadline() counts in. 0 when b <= a.
-- One row per calendar day of the span, with one holiday lookup each.
CREATE FUNCTION simpul_working_seconds(a timestamptz, b timestamptz)
RETURNS bigint
LANGUAGE sql STABLE STRICT AS $$
	SELECT coalesce(sum(greatest(0, extract(epoch FROM
		least(b, w.hi) - greatest(a, w.lo))))::bigint, 0)
	FROM generate_series(((a + interval '7 hours') AT TIME ZONE 'UTC')::date,
		((b + interval '7 hours') AT TIME ZONE 'UTC')::date,
		interval '1 day') AS g(day)
	CROSS JOIN LATERAL (SELECT
		((g.day::date + time '08:00') AT TIME ZONE 'UTC') - interval '7 hours' AS lo,
		((g.day::date + time '16:00') AT TIME ZONE 'UTC') - interval '7 hours' AS hi) w
	WHERE a < b AND simpul_is_workday(g.day::date)
$$;

-- The countdown of a case's running clock at now: the working seconds
-- until due, negative (the working seconds since due) once breached. NULL
-- without a clock or after the top escalation level (due 'infinity').
-- Spans longer than ten years count as ten years: a countdown that long
-- says the same, and the cost stays bounded.
CREATE FUNCTION simpul_working_time_left(p_due timestamptz,
	p_now timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT CASE
	WHEN p_due IS NULL OR p_now IS NULL OR NOT isfinite(p_due) THEN NULL
	WHEN p_due >= p_now THEN simpul_working_seconds(p_now,
		least(p_due, p_now + interval '3653 days'))
	ELSE -simpul_working_seconds(greatest(p_due,
		p_now - interval '3653 days'), p_now)
	END
$$;

-- The shortest wall-clock time an SLA duration can take, whatever the
-- calendar: N wd at least N days (simpul_deadline() lands on the same time
-- of day N working days on, never earlier than the start), N wh at least N
-- hours, calendar units exactly. The leadership report skips computing a
-- deadline when this already decides on time or not yet late.
CREATE FUNCTION simpul_sla_min(dur text) RETURNS interval
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT CASE p.unit WHEN 'wd' THEN p.amount * interval '1 day'
		WHEN 'wh' THEN p.amount * interval '1 hour'
		WHEN 'ms' THEN p.amount * interval '1 millisecond' END
	FROM simpul_sla_parse(dur) p
$$;

-- A bytea payload as text for display: the bytes as UTF-8 when they are
-- valid UTF-8 without NUL, else PostgreSQL's escape form (\ooo for other
-- bytes), so a dead letter's payload can always be shown.
CREATE FUNCTION simpul_bytea_text(b bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
	RETURN convert_from(b, 'UTF8');
EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
	RETURN encode(b, 'escape');
END $$;

-- The console's live feed follows cases by their time stamps.
CREATE INDEX case_record_updated_idx ON case_record (updated_at);
-- The console's case queue: open cases, soonest deadline first, a page at
-- a time ("ORDER BY due_at, id LIMIT n" reads n index entries, not every
-- open case).
CREATE INDEX case_record_queue_idx ON case_record (due_at, id)
	WHERE status NOT IN ('closed', 'rejected');
-- The shift handover counts the cases closed in its period.
CREATE INDEX case_history_close_idx ON case_history (at)
	WHERE action = 'close';

-- The clock a case's running deadline counts in: 'wall' when its policy's
-- duration for the step is in calendar units (h, m, s, d: simpul_deadline()
-- adds those around the clock, e.g. the alarm policy's 1h verify) and no
-- escalation moved it (each level adds a working day), else 'working'.
-- NULL without a clock or after the top escalation level.
CREATE FUNCTION simpul_case_clock(c case_record) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE
	WHEN c.due_at IS NULL OR NOT isfinite(c.due_at) THEN NULL
	WHEN c.escalation_level = 0 AND (SELECT (simpul_sla_parse(
		CASE c.deadline_kind WHEN 'verify' THEN p.verify
		WHEN 'follow_up' THEN p.follow_up
		WHEN 'auto_close' THEN p.auto_close END)).unit
		FROM sla_policy p WHERE p.name = c.policy) = 'ms' THEN 'wall'
	ELSE 'working' END
$$;

-- The countdown of a case at now in its clock's seconds: wall-clock
-- seconds to due_at for a 'wall' clock, working seconds
-- (simpul_working_time_left) for a 'working' one; negative once breached.
CREATE FUNCTION simpul_case_time_left(c case_record, clock text)
RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT CASE clock
	WHEN 'wall' THEN floor(extract(epoch FROM c.due_at - now()))::bigint
	WHEN 'working' THEN simpul_working_time_left(c.due_at, now())
	END
$$;

-- The console's JSON shapes, in one place for its lists, details and live
-- feed (docs/console.md). A case as a row of /api/cases (the clock is
-- looked up twice rather than in a FROM clause, which would make this a
-- function PostgreSQL cannot inline: five times slower per row):
CREATE FUNCTION simpul_console_case_json(c case_record) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', c.id, 'human_id', c.human_id,
		'kind', c.kind, 'opd', c.opd, 'status', c.status,
		'severity', c.severity, 'title', c.title,
		'channel', c.channel, 'opened_at', c.opened_at,
		'due_at', CASE WHEN isfinite(c.due_at) THEN c.due_at END,
		'deadline_kind', c.deadline_kind,
		'escalation_level', c.escalation_level,
		'assignee', c.assignee,
		'clock', simpul_case_clock(c),
		'working_seconds_left',
			simpul_case_time_left(c, simpul_case_clock(c)),
		'breached', coalesce(isfinite(c.due_at) AND c.due_at <= now(),
			false),
		'updated_at', c.updated_at)
$$;

-- An event as a row of /api/events and the live feed: the envelope's
-- attributes and a one-line summary from the data, never the whole data:
-- for the types an operator scans the feed for, what identifies them
-- (vehicle and speed, alarm, SP2D number and amount, permit and
-- applicant, budget line); else its title, summary, description, message
-- or status, whichever comes first.
CREATE FUNCTION simpul_console_event_json(e event) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', e.id, 'time', e.time,
		'stored_at', e.stored_at, 'type', e.type, 'source', e.source,
		'opd', e.opd, 'subject', e.subject,
		'summary', left(coalesce(CASE
			WHEN e.type = 'gps.position' THEN concat_ws(' ',
				e.data->>'plate', (e.data->>'speed_kmh') || ' km/h',
				'@ ' || (e.data->>'lat') || ',' || (e.data->>'lon'))
			WHEN e.type = 'gps.alarm' THEN concat_ws(' ',
				upper(e.data->>'alarm'), e.data->>'plate',
				'@ ' || (e.data->>'lat') || ',' || (e.data->>'lon'))
			WHEN e.type LIKE 'sp2d.%' THEN concat_ws(' ',
				e.data->>'nomor_sp2d', 'Rp ' || (e.data->>'nilai'),
				e.data->>'penerima')
			WHEN e.type LIKE 'permit.%' THEN concat_ws(' ',
				e.data->>'nomor_permohonan', e.data->>'jenis_izin',
				e.data->>'pemohon')
			WHEN e.type = 'simda.realization' THEN concat_ws(' ',
				e.data->>'kode_rekening', e.data->>'uraian')
			END, e.data->>'title', e.data->>'summary',
			e.data->>'description', e.data->>'message',
			e.data->>'status', ''), 200),
		'cursor', (extract(epoch FROM e.time) * 1000000)::bigint::text
			|| '|' || e.id)
$$;

-- An alert as a row of /api/alerts and the live feed.
CREATE FUNCTION simpul_console_alert_json(a alert) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', a.id, 'raised_at', a.raised_at,
		'severity', a.severity, 'opd', a.opd, 'rule', a.source,
		'message', a.message, 'case_id', a.case_id,
		'event_id', a.event_id)
$$;

-- LIKE pattern text for a literal substring search.
CREATE FUNCTION simpul_like_escape(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT replace(replace(replace(s, '\', '\\'), '%', '\%'), '_', '\_')
$$;
