#!/usr/bin/env bash
#
# test_cases_sql.sh: the SQL twins in hub/migrations/0002_cases.sql against
# the C code they repeat, on a real PostgreSQL.
#
# - simpul_deadline() against workcal_deadline() (through workcal_cli) on
#   the worked examples and on ~600 generated starts: random instants and
#   the edges of the working day (07:59:59.999, 08:00, 15:59:59.999, 16:00,
#   midnight WIB) across weekends and the 2026 Indonesian holidays, for
#   working days, working hours and calendar durations, with the session in
#   a time zone far from WIB (the result must not depend on it);
# - simpul_sla_parse() against sla_parse() on valid and tricky strings;
# - case_transition_rule against hub/casefsm.c;
# - the schema's guards: the clock CHECKs, history rows only for legal
#   transitions, one open case per key, one escalation per level and clock,
#   human ids, the due index used by the escalation scan, calendar NOTIFY.

. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

CLI=$SIMPUL_BIN/workcal_cli
[ -x "$CLI" ] || { echo "no $CLI: build the target workcal_cli" >&2; exit 1; }

it_setup
W=$IT_DIR/work
mkdir -p "$W"

# The 2026 national holidays and cuti bersama (SKB 3 Menteri, Sept 2025),
# and the neighbouring New Year and Christmas days the generated range
# (mid-December 2025 to mid-January 2027) reaches.
HOLIDAYS="2025-12-25 2025-12-26 2026-01-01 2026-01-16 2026-02-16 2026-02-17
2026-03-18 2026-03-19 2026-03-20 2026-03-21 2026-03-22 2026-03-23 2026-03-24
2026-04-03 2026-04-05 2026-05-01 2026-05-14 2026-05-15 2026-05-27 2026-05-28
2026-05-31 2026-06-01 2026-06-16 2026-08-17 2026-08-25 2026-12-24 2026-12-25
2027-01-01"

# --- the migrations -----------------------------------------------------------

for f in "$SIMPUL_SRC"/hub/migrations/0001_core.sql \
	"$SIMPUL_SRC"/hub/migrations/0002_cases.sql; do
	it_assert_ok "migration $(basename "$f") applies in one transaction" \
		psql -XAtq -v ON_ERROR_STOP=1 -1 -f "$f"
done

values=
hargs=()
for d in $HOLIDAYS; do
	values+="${values:+,}('$d', 'libur $d')"
	hargs+=(-H "$d")
done
it_sql "INSERT INTO holiday (day, name) VALUES $values" >/dev/null
it_assert_eq "$(it_sql 'SELECT count(*) FROM holiday')" 28 "28 holidays stored"

# --- the worked examples of docs/cases.md ------------------------------------

dl()
{
	it_sql "SET TimeZone = 'Asia/Jakarta'; SELECT to_char(simpul_deadline('$1', '$2'), 'Dy YYYY-MM-DD HH24:MI:SS.MS')"
}

it_assert_eq "$(dl '2026-11-27 10:00+07' 3wd)" "Wed 2026-12-02 10:00:00.000" \
	"Friday 10:00 + 3wd is Wednesday 10:00"
it_assert_eq "$(dl '2026-08-14 10:00+07' 3wd)" "Thu 2026-08-20 10:00:00.000" \
	"a holiday (17 August) inside the window moves it a day"
it_assert_eq "$(dl '2026-03-13 10:00+07' 3wd)" "Wed 2026-03-25 10:00:00.000" \
	"Nyepi and Idul Fitri week"
it_assert_eq "$(dl '2026-11-28 14:00+07' 3wd)" "Thu 2026-12-03 08:00:00.000" \
	"a Saturday start counts from Monday 08:00"
it_assert_eq "$(dl '2026-11-27 16:00+07' 1wd)" "Tue 2026-12-01 08:00:00.000" \
	"16:00 is after hours"
it_assert_eq "$(dl '2026-11-27 15:59:59.999+07' 1wd)" "Mon 2026-11-30 15:59:59.999" \
	"15:59:59.999 is within hours"
it_assert_eq "$(dl '2026-11-27 20:00Z' 1wd)" "Tue 2026-12-01 08:00:00.000" \
	"Friday 20:00 UTC is Saturday in WIB"
it_assert_eq "$(dl '2026-11-27 15:00+07' 4wh)" "Mon 2026-11-30 11:00:00.000" \
	"Friday 15:00 + 4wh is Monday 11:00"
it_assert_eq "$(dl '2026-11-27 10:00+07' 6wh)" "Fri 2026-11-27 16:00:00.000" \
	"a working-hours count ending at 16:00 ends there"
it_assert_eq "$(dl '2026-11-28 23:50+07' 30m)" "Sun 2026-11-29 00:20:00.000" \
	"calendar minutes just add"
it_assert_eq "$(it_sql "SELECT simpul_is_workday('2026-08-17'), simpul_is_workday('2026-08-18'), simpul_is_workday('2026-08-22')")" \
	"f|t|f" "simpul_is_workday: holiday, Tuesday, Saturday"
it_assert_eq "$(it_sql "SELECT simpul_policy_deadline('complaint', 'verify', '2026-11-27 10:00+07') = simpul_deadline('2026-11-27 10:00+07', '3wd'), simpul_policy_deadline('complaint', 'auto_close', '2026-11-27 10:00+07') = simpul_deadline('2026-11-27 10:00+07', '10wd')")" \
	"t|t" "simpul_policy_deadline reads the complaint policy"

err=$(it_sql "SELECT simpul_deadline(now(), '0wd')" 2>&1)
it_assert_ne "${err##*invalid SLA duration*}" "$err" "simpul_deadline refuses 0wd"
err=$(it_sql "SELECT simpul_deadline('1969-12-31 23:00Z', '1wd')" 2>&1)
it_assert_ne "${err##*out of range*}" "$err" "simpul_deadline refuses a start before 1970"
err=$(it_sql "SELECT simpul_policy_deadline('nosuch', 'verify', now())" 2>&1)
it_assert_ne "${err##*unknown SLA policy*}" "$err" "simpul_policy_deadline refuses an unknown policy"

# --- C and SQL on generated starts -------------------------------------------

# Deterministic: the same seed gives the same cases on every run. Starts are
# ms since the epoch between 2025-12-15 and 2027-01-15 (UTC); a third of
# them are moved onto an edge of the WIB working day.
awk -v seed=20261127 'BEGIN {
	srand(seed);
	lo = 1765756800000; days = 396;
	n = split("1wd 2wd 3wd 5wd 10wd 30wd 365wd 1wh 4wh 8wh 9wh 16wh 40wh 2920wh 90s 30m 1h 4h 2d", dur, " ");
	n_edge = split("0 25199999 25200000 3600000 32399999 32400000 61200000", edge, " ");
	for (i = 0; i < 600; i++) {
		if (i % 3 == 0) {
			# WIB midnight is 17:00 UTC the day before.
			day = int(rand() * days);
			s = lo - 7 * 3600000 + day * 86400000 + edge[1 + int(rand() * n_edge)];
		} else
			s = lo + int(rand() * days * 86400000);
		printf "%.0f %s\n", s, dur[1 + int(rand() * n)];
	}
}' >"$W/cases.txt"
# ... plus the worked examples, by hand.
cat >>"$W/cases.txt" <<'EOF'
1795748400000 3wd
1786676400000 3wd
1773370800000 3wd
1795849200000 3wd
1795770000000 1wd
1795766400000 4wh
EOF
ncases=$(wc -l <"$W/cases.txt")

if "$CLI" "${hargs[@]}" -d <"$W/cases.txt" >"$W/c.out" 2>"$W/c.err"; then
	it_pass "workcal_cli computed $ncases deadlines"
else
	cat "$W/c.err"
	it_fail "workcal_cli failed"
fi

it_sql "CREATE TABLE sla_case (n serial, start_ms bigint NOT NULL, dur text NOT NULL)" >/dev/null
it_assert_ok "cases loaded into PostgreSQL" \
	psql -XAtq -v ON_ERROR_STOP=1 \
	-c "\\copy sla_case (start_ms, dur) FROM '$W/cases.txt' WITH (FORMAT text, DELIMITER ' ')"
# A session time zone far from WIB (+12:45/+13:45, with DST) must not
# change a thing.
PGOPTIONS="-c TimeZone=Pacific/Chatham" it_sql "
	SELECT start_ms || ' ' || dur || ' ' ||
	       (extract(epoch FROM simpul_deadline(
	           timestamptz 'epoch' + start_ms * interval '1 millisecond', dur)) * 1000)::bigint
	FROM sla_case ORDER BY n" >"$W/sql.out" 2>"$W/sql.err" || cat "$W/sql.err"

it_assert_eq "$(wc -l <"$W/sql.out")" "$ncases" "SQL computed $ncases deadlines"
if diff "$W/c.out" "$W/sql.out" >"$W/diff.out"; then
	it_pass "simpul_deadline equals workcal_deadline on all $ncases starts"
else
	head -n 20 "$W/diff.out"
	it_fail "simpul_deadline and workcal_deadline differ ($(grep -c '^<' "$W/diff.out") lines)"
fi
# The comparison saw what it should: every unit, weekend and holiday starts.
it_assert_eq "$(awk '{ print $2 }' "$W/cases.txt" | sort -u | wc -l)" 19 "all 19 durations were generated"
it_assert_eq "$(it_sql "SELECT count(*) > 50 FROM sla_case WHERE NOT simpul_is_workday(((timestamptz 'epoch' + start_ms * interval '1 millisecond') AT TIME ZONE 'UTC' + interval '7 hours')::date)")" \
	t "more than 50 starts fall on weekends or holidays"
it_assert_eq "$(it_sql "SELECT count(*) > 10 FROM sla_case s WHERE EXISTS (SELECT 1 FROM holiday h WHERE h.day BETWEEN ((timestamptz 'epoch' + s.start_ms * interval '1 millisecond') AT TIME ZONE 'UTC')::date AND ((timestamptz 'epoch' + s.start_ms * interval '1 millisecond') AT TIME ZONE 'UTC')::date + 14) AND s.dur LIKE '%wd'")" \
	t "more than 10 working-day cases have a holiday inside their window"

# --- durations ----------------------------------------------------------------

cat >"$W/durs.txt" <<'EOF'
3wd
5wd
10wd
365wd
366wd
1wh
2920wh
2921wh
4h
8760h
8761h
30m
525600m
525601m
90s
31536000s
31536001s
2d
365d
366d
0wd
03wd
0
3
wd
3WD
 3wd
3wd 
+3wd
-3wd
3.5wd
3w
3ms
1y
3wdx
99999999999wd
9999999999wd
1234567890s
EOF
"$CLI" -p <"$W/durs.txt" >"$W/durs.c"
psql -XAtq -v ON_ERROR_STOP=1 -c "CREATE TABLE sla_dur (n serial, dur text)" >/dev/null
# Line by line through a psql variable, which quotes exactly (psql does not
# interpolate variables in -c, hence stdin).
while IFS= read -r line; do
	psql -XAtq -v ON_ERROR_STOP=1 -v "d=$line" >/dev/null \
		<<<"INSERT INTO sla_dur (dur) VALUES (:'d');"
done <"$W/durs.txt"
it_sql "SELECT dur || ' ' || coalesce(p.unit || ' ' || p.amount, 'invalid') FROM sla_dur, simpul_sla_parse(dur) p ORDER BY n" >"$W/durs.sql"
if diff "$W/durs.c" "$W/durs.sql" >"$W/durs.diff"; then
	it_pass "simpul_sla_parse equals sla_parse on $(wc -l <"$W/durs.txt") strings"
else
	cat "$W/durs.diff"
	it_fail "simpul_sla_parse and sla_parse differ"
fi
it_assert_eq "$(grep -c invalid "$W/durs.c")" 24 "24 of the strings are invalid"

# --- the state machine --------------------------------------------------------

"$CLI" -t | sort >"$W/fsm.c"
it_sql "SELECT from_status || ' ' || action || ' ' || to_status FROM case_transition_rule" | sort >"$W/fsm.sql"
it_assert_eq "$(wc -l <"$W/fsm.c")" 14 "casefsm.c has 14 transitions"
it_assert_eq "$(diff "$W/fsm.c" "$W/fsm.sql" && echo same)" same \
	"case_transition_rule equals casefsm.c"

# --- the case tables ----------------------------------------------------------

open_case()
{
	# open_case KEY: a new complaint opened at Friday 10:00 WIB; prints its id.
	it_sql "INSERT INTO case_record (kind, case_key, severity, title, channel, policy,
		opened_at, clock_started_at, due_at, deadline_kind)
		VALUES ('complaint', '$1', 'minor', 'Jalan berlubang di Jl. Veteran', 'sms', 'complaint',
		'2026-11-27 10:00+07', '2026-11-27 10:00+07',
		simpul_policy_deadline('complaint', 'verify', '2026-11-27 10:00+07'), 'verify')
		RETURNING id"
}

id1=$(open_case complaint.created:PGD-0001)
it_assert_eq "$(it_sql "SELECT human_id, status, escalation_level, to_char(due_at AT TIME ZONE 'Asia/Jakarta', 'Dy HH24:MI') FROM case_record WHERE id = $id1")" \
	"KRO-2026-$(printf %06d "$id1")|new|0|Wed 10:00" "a new case: human id, status, verify deadline"
it_assert_eq "$(open_case complaint.created:PGD-0001 2>&1 | grep -c case_record_open_key_idx)" 1 \
	"a second open case with the same key is refused"
it_assert_eq "$(it_sql "UPDATE case_record SET deadline_kind = 'follow_up' WHERE id = $id1" 2>&1 | grep -c case_record_clock)" 1 \
	"the running clock must match the status"
it_assert_eq "$(it_sql "UPDATE case_record SET status = 'assigned', deadline_kind = 'follow_up' WHERE id = $id1" 2>&1 | grep -c case_record_opd)" 1 \
	"an assigned case needs an OPD"

hist()
{
	# hist ID ACTION FROM TO [OPD] [REASON]
	it_sql "INSERT INTO case_history (case_id, actor, actor_kind, action, from_status, to_status, opd, reason)
		VALUES ($1, 'operator:budi', 'operator', '$2', NULLIF('$3', ''), '$4', NULLIF('${5:-}', ''), NULLIF('${6:-}', ''))"
}

it_assert_ok "history: the opening" hist "$id1" open "" new
it_assert_ok "history: verify" hist "$id1" verify new verified
it_assert_ok "history: assign to dishub" hist "$id1" assign verified assigned dishub
it_assert_eq "$(hist "$id1" resolve new resolved 2>&1 | grep -c 'violates foreign key')" 1 \
	"history refuses a transition casefsm.c does not allow"
it_assert_eq "$(hist "$id1" reject new rejected 2>&1 | grep -c 'violates check')" 1 \
	"history refuses a rejection without a reason"
it_assert_ok "history: reject with a reason" hist "$id1" reject verified rejected "" duplicate

# Escalations: the second hub's insert of the same breach is a no-op.
esc="INSERT INTO case_escalation (case_id, deadline_kind, clock_started_at, level, due_at, escalated_by)
	SELECT id, deadline_kind, clock_started_at, 1, due_at, 'hub-%s' FROM case_record WHERE id = $id1
	ON CONFLICT DO NOTHING RETURNING level"
it_assert_eq "$(it_sql "$(printf "$esc" a)")" 1 "the first escalation to level 1 is recorded"
it_assert_eq "$(it_sql "$(printf "$esc" b)")" "" "the same escalation from another hub is a no-op"

# Closing frees the key for a new case.
it_sql "UPDATE case_record SET status = 'closed', due_at = NULL, deadline_kind = NULL, clock_started_at = NULL, opd = 'dishub' WHERE id = $id1" >/dev/null
id2=$(open_case complaint.created:PGD-0001)
it_assert_ne "$id2" "" "after closing, the same key opens a new case"
it_assert_ne "$id2" "$id1" "... with a new id"

# The escalation scan uses the partial due index.
plan=$(it_sql "SET enable_seqscan = off; EXPLAIN SELECT id FROM case_record
	WHERE due_at <= now() AND status NOT IN ('closed', 'rejected')
	ORDER BY due_at LIMIT 100 FOR UPDATE SKIP LOCKED")
it_assert_eq "$(grep -c case_record_due_idx <<<"$plan")" 1 "the escalation scan can use case_record_due_idx"

# Policies: durations are checked.
it_assert_eq "$(it_sql "INSERT INTO sla_policy (name, verify, follow_up, auto_close) VALUES ('x', '0wd', '1wd', '1wd')" 2>&1 | grep -c sla_policy_verify_check)" 1 \
	"a policy with an invalid duration is refused"
it_assert_eq "$(it_sql "SELECT name || ':' || verify || ',' || follow_up || ',' || auto_close FROM sla_policy ORDER BY name" | tr '\n' ' ')" \
	"alarm:1h,1wd,2wd complaint:3wd,5wd,10wd " "the seeded policies"

# A calendar change notifies the hubs.
out=$(psql -XAtq -v ON_ERROR_STOP=1 -c "LISTEN simpul_calendar" \
	-c "INSERT INTO holiday (day, name) VALUES ('2026-11-30', 'Hari libur daerah')" \
	-c "SELECT 1" 2>&1)
it_assert_eq "$(grep -c 'notification "simpul_calendar" with payload "insert"' <<<"$out")" 1 \
	"inserting a holiday notifies simpul_calendar"
it_assert_eq "$(dl '2026-11-27 10:00+07' 3wd)" "Thu 2026-12-03 10:00:00.000" \
	"the new holiday moves the worked example a day"

it_done
