-- deploy/demo-cases.sql: demo data for the operator console: :count open
-- complaint cases (default 10,000), each with the complaint.created event
-- that opened it and its 'open' history row, spread over Karo's OPDs, the
-- open statuses, severities and channels, opened in the last 36 hours so
-- that no deadline has passed (the hub's escalation scan leaves them
-- alone). It writes the tables directly, as the hub would have, so it takes
-- seconds rather than a trip through the broker; ids start with "demo-".
--
--   psql -v count=10000 -f deploy/demo-cases.sql      (after simpulctl migrate)
--
-- Running it again adds another :count cases (keys are numbered after the
-- demo cases already there). The browser test (tests/browser) loads it to
-- time the console's screens with 10,000 open cases.
\set ON_ERROR_STOP 1
\if :{?count}
\else
\set count 10000
\endif

BEGIN;

CREATE TEMP TABLE demo ON COMMIT DROP AS
SELECT n,
	'demo-' || n AS event_id,
	(ARRAY['bpbd','bpkad','dinkes','disdik','dishub','diskominfo','dlh','dpmptsp','dpupr','satpolpp'])[1 + n % 10] AS opd,
	(ARRAY['new','new','verified','assigned','acknowledged'])[1 + (n / 10) % 5]::simpul_case_status AS status,
	(ARRAY['minor','minor','minor','major','warning','critical'])[1 + n % 6] AS severity,
	(ARRAY['web','open311','sms','whatsapp','lapor','phone'])[1 + (n / 7) % 6] AS channel,
	(ARRAY['jalan_rusak','sampah','lampu_jalan','drainase','pelayanan','air_bersih'])[1 + n % 6] AS category,
	(ARRAY['Kabanjahe','Berastagi','Tigapanah','Merek','Simpang Empat','Munte','Tiganderket','Payung'])[1 + n % 8] AS place,
	date_trunc('minute', now() - (n % 2160) * interval '1 minute') AS opened_at
FROM generate_series(coalesce((SELECT max(substr(id, 6)::bigint) FROM event_id WHERE id ~ '^demo-[0-9]+$'), 0) + 1,
	coalesce((SELECT max(substr(id, 6)::bigint) FROM event_id WHERE id ~ '^demo-[0-9]+$'), 0) + :count) n;

INSERT INTO event_id (id, time) SELECT event_id, opened_at FROM demo;

INSERT INTO event (id, time, topic, opd, source, type, subject, received_at,
	instance, data, attrs)
SELECT event_id, opened_at, 'karo/ev/diskominfo/pengaduan/complaint.created',
	'diskominfo', '/karo/diskominfo/pengaduan', 'complaint.created',
	'ADU-DEMO-' || n, opened_at, 'demo',
	jsonb_build_object('complaint_id', 'ADU-DEMO-' || n, 'category', category,
		'channel', channel, 'description', 'Laporan warga (data demo) nomor ' || n,
		'location', jsonb_build_object('address', 'Desa ' || place || ', Kabupaten Karo')),
	jsonb_build_object('specversion', '1.0', 'id', event_id,
		'source', '/karo/diskominfo/pengaduan', 'type', 'complaint.created',
		'time', opened_at, 'opd', 'diskominfo', 'subject', 'ADU-DEMO-' || n,
		'datacontenttype', 'application/json')
FROM demo;

-- The deadlines: one calendar computation per distinct (start, kind).
CREATE TEMP TABLE demo_due ON COMMIT DROP AS
SELECT opened_at, kind, simpul_policy_deadline('complaint', kind, opened_at) AS due_at
FROM (SELECT DISTINCT opened_at, CASE WHEN status IN ('new', 'verified')
		THEN 'verify' ELSE 'follow_up' END AS kind FROM demo) s;

INSERT INTO case_record (kind, case_key, opd, status, severity, title, channel,
	policy, opened_at, clock_started_at, due_at, deadline_kind, assignee,
	source_event_ids)
SELECT 'complaint', 'demo:' || n, d.opd, d.status, severity,
	'Pengaduan ' || category || ': Desa ' || place || ' (demo ' || n || ')',
	channel, 'complaint', d.opened_at, d.opened_at, u.due_at,
	u.kind::simpul_deadline_kind,
	CASE WHEN d.status IN ('assigned', 'acknowledged') THEN d.opd END,
	ARRAY[event_id]
FROM demo d
JOIN demo_due u ON u.opened_at = d.opened_at
	AND u.kind = CASE WHEN d.status IN ('new', 'verified') THEN 'verify' ELSE 'follow_up' END
ORDER BY d.n;

INSERT INTO case_history (case_id, at, actor, actor_kind, action, from_status,
	to_status, opd, note)
SELECT c.id, c.opened_at, 'system:demo', 'system', 'open', NULL, 'new', c.opd,
	'opened by event ' || c.source_event_ids[1]
FROM case_record c JOIN demo d ON c.case_key = 'demo:' || d.n;

COMMIT;

SELECT count(*) AS open_demo_cases FROM case_record
WHERE case_key LIKE 'demo:%' AND status NOT IN ('closed', 'rejected');
