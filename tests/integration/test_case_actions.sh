#!/usr/bin/env bash
# Acting on cases (docs/case-actions.md) against a real Mosquitto,
# PostgreSQL and hub: complaints open cases through deploy/rules/karo.yaml;
# then MQTT v5 request/response on karo/cmd/<who>/case/<action> (answers
# on the response topic with the correlation data, refusals that change
# nothing, the case message on karo/case/<opd>/<id>, commands never stored
# as events), the same through `simpulctl case act`, `simpulctl case
# list/show`, and `simpulctl calendar` with deadlines recomputed.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

CTL=$SIMPUL_BIN/simpulctl
OUT=$IT_DIR/ctl.out
ERR=$IT_DIR/ctl.err
DEAD_PG="host=127.0.0.1 port=1 dbname=simpul connect_timeout=5"
SUBLOG=$IT_DIR/log/cases.log

# ctl WANT MSG ARGS...: simpulctl ARGS (stdout in $OUT, stderr in $ERR)
# exits with WANT.
ctl()
{
	local want=$1 msg=$2 rc

	shift 2
	"$CTL" "$@" >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = "$want" ]; then
		it_pass "$msg (exit $want)"
	else
		it_fail "$msg: exit $rc, expected $want; stdout: $(head -c 300 "$OUT"); stderr: $(head -c 300 "$ERR")"
	fi
}

# rr WHO ACTION PAYLOAD CORR [RESPONSE-TOPIC]: one MQTT v5 request on
# karo/cmd/WHO/case/ACTION with a response topic and correlation data
# CORR. Sets RESP (the answer's payload) and RCORR (its correlation data);
# both are empty when no answer came within 10 s.
# The broker client of each requester: the command centre's consoles, an
# OPD's system.
rr_client()
{
	case $1 in
	cc) echo operator ;;
	cc-supervisor) echo supervisor ;;
	*) echo "opd-$1" ;;
	esac
}

rr()
{
	local out dir

	dir=$(it_mqtt_dir "$(rr_client "$1")") || return 1
	out=$(XDG_CONFIG_HOME=$dir timeout 30 mosquitto_rr -V 5 -q 1 \
	    -t "karo/cmd/$1/case/$2" -e "${5:-karo/resp/$1/it-$$}" -m "$3" \
	    -D publish correlation-data "$4" -W "${RR_WAIT:-10}" -F '%D|%p' 2>/dev/null)
	if [ -z "$out" ]; then
		RCORR=
		RESP=
		return 1
	fi
	RCORR=${out%%|*}
	RESP=${out#*|}
}

# resp_has MSG PATTERN: the last answer matches the extended regex.
resp_has()
{
	if printf '%s' "$RESP" | grep -Eq -- "$2"; then
		it_pass "$1"
	else
		it_fail "$1: answer '$RESP' does not match /$2/"
	fi
}

case_field() # CASE-ID COLUMN
{
	it_sql "select $2 from case_record where human_id = '$1'"
}

history_count() # CASE-ID
{
	it_sql "select count(*) from case_history h join case_record c on c.id = h.case_id where c.human_id = '$1'"
}

# The rules first, so the hub loads them at start; the schema they need
# is the hub's, applied by simpulctl migrate.
"$CTL" migrate >/dev/null && it_pass "schema migrated"
"$CTL" rules apply "$SIMPUL_SRC/deploy/rules/karo.yaml" --actor it >/dev/null &&
    it_pass "karo.yaml applied"
# Escalation scans only at start: deadlines set by hand below stay put.
hub_conf hub1 '[cases]' 'escalation_interval = 1h'
hub_start hub1
it_spawn cases it_as operator mosquitto_sub -V 5 -q 1 -t 'karo/case/#' -v >/dev/null
it_wait_for 10 "the case subscriber" bash -c "XDG_CONFIG_HOME='$(it_mqtt_dir hub)' mosquitto_pub -t karo/case/probe/x -m probe && grep -q 'karo/case/probe/x probe' '$SUBLOG'"

N=10
loadgen_start load --count $N --mix complaint.created=1 --prefix ca
loadgen_wait "$LOAD_PID" 60 && it_pass "loadgen published $N complaints"
it_sql_wait 60 "select count(*) from case_record" $N
it_assert_eq "$(it_sql "select count(*) from case_record where status = 'new' and kind = 'complaint.created' and deadline_kind = 'verify'")" $N "every complaint opened a new case with a verify clock"

# Case A for the MQTT flow; its OPD (from the rule) and another one.
A=$(it_sql "select human_id from case_record order by id limit 1")
O=$(case_field "$A" opd)
if [ "$O" = dinkes ]; then X=dishub; else X=dinkes; fi
B=$(it_sql "select human_id from case_record order by id offset 1 limit 1")
C=$(it_sql "select human_id from case_record order by id offset 2 limit 1")
D=$(it_sql "select human_id from case_record order by id offset 3 limit 1")
E=$(it_sql "select human_id from case_record order by id offset 4 limit 1")
EID=$(case_field "$E" id)
it_log "case A=$A (opd $O, other $X), B=$B C=$C D=$D E=$E"

# --- MQTT: the flow of case A ------------------------------------------------
rr cc verify "{\"case\":\"$A\",\"actor\":\"budi\"}" corr-verify-1
resp_has "operator verifies $A: ok" '^\{"ok":true,"case":\{'
resp_has "the answer carries the case as it is now" '"status" : "verified"'
it_assert_eq "$RCORR" corr-verify-1 "the answer carries the request's correlation data"
it_assert_eq "$(case_field "$A" status)" verified "$A is verified in case_record"
it_assert_eq "$(it_sql "select actor || ' ' || actor_kind || ' ' || action || ' ' || from_status || '>' || to_status from case_history h join case_record c on c.id = h.case_id where c.human_id = '$A' order by h.id desc limit 1")" \
    "operator:budi operator verify new>verified" "a case_history row records who verified"
it_wait_for 15 "the verify message on karo/case/$O/$A" grep -q "^karo/case/$O/$A .*\"action\" : \"verify\".*\"status\" : \"verified\"" "$SUBLOG"
it_assert_grep "$SUBLOG" "the case message names the actor" "^karo/case/$O/$A .*\"actor\" : \"operator:budi\""
due_verify=$(case_field "$A" due_at)

rr "$O" acknowledge "{\"case\":\"$A\"}" corr-early
resp_has "$O cannot acknowledge before the assignment" '^\{"ok":false,"error":"cannot acknowledge a case that is verified: assign it first"\}$'
it_assert_eq "$RCORR" corr-early "a refusal carries the correlation data too"

rr cc assign "{\"case\":\"$A\",\"opd\":\"$O\",\"note\":\"tolong segera\",\"actor\":\"budi\"}" corr-assign
resp_has "operator assigns $A to $O: ok" '"ok":true.*"status" : "assigned"'
it_assert_eq "$(it_sql "select status || ' ' || opd || ' ' || deadline_kind || ' ' || escalation_level || ' ' || (clock_started_at > now() - interval '1 minute') || ' ' || (due_at > now()) from case_record where human_id = '$A'")" \
    "assigned $O follow_up 0 true true" "assigning starts the follow-up clock now"
it_assert_ne "$(case_field "$A" due_at)" "$due_verify" "the deadline is the follow-up one"
it_assert_eq "$(it_sql "select h.opd || ' ' || h.note from case_history h join case_record c on c.id = h.case_id where c.human_id = '$A' and h.action = 'assign'")" \
    "$O tolong segera" "the assignment's history row holds the OPD and the note"

h=$(history_count "$A")
rr "$X" acknowledge "{\"case\":\"$A\",\"actor\":\"eve\"}" corr-other
resp_has "$X cannot acknowledge $O's case" "^\\{\"ok\":false,\"error\":\"cannot acknowledge: the case is assigned to $O, not to $X\"\\}$"
it_assert_eq "$(case_field "$A" status)/$(history_count "$A")" "assigned/$h" "the refusal changed nothing"

rr "$O" acknowledge "{\"case\":\"$A\",\"actor\":\"sinta\"}" corr-ack
resp_has "$O acknowledges its case: ok" '"ok":true.*"status" : "acknowledged"'
it_assert_eq "$(case_field "$A" assignee)" "opd:$O:sinta" "the acknowledging officer becomes the assignee"
it_assert_eq "$(it_sql "select actor || ' ' || actor_kind from case_history h join case_record c on c.id = h.case_id where c.human_id = '$A' order by h.id desc limit 1")" \
    "opd:$O:sinta opd" "the history names the OPD's officer"

h=$(history_count "$A")
rr "$X" resolve "{\"case\":\"$A\",\"note\":\"bukan urusan kami\"}" corr-other2
resp_has "$X cannot resolve $O's case" "cannot resolve: the case is assigned to $O, not to $X"
it_assert_eq "$(case_field "$A" status)/$(history_count "$A")" "acknowledged/$h" "nothing changed"
rr cc resolve "{\"case\":\"$A\",\"note\":\"x\"}" corr-op-resolve
resp_has "an operator cannot resolve" "an operator cannot resolve a case: only its OPD"
rr "$O" resolve "{\"case\":\"$A\"}" corr-nonote
resp_has "resolve without a note is refused" 'resolve needs a note saying what was done'
rr "$O" resolve "{\"case\":\"$A\",\"note\":\"sudah diperbaiki \\\"hari ini\\\" ✓\",\"actor\":\"sinta\"}" corr-resolve
resp_has "$O resolves: ok" '"ok":true.*"status" : "resolved".*"deadline" : "auto_close"'
it_assert_eq "$(it_sql "select note from case_history h join case_record c on c.id = h.case_id where c.human_id = '$A' and h.action = 'resolve'")" \
    'sudah diperbaiki "hari ini" ✓' "the resolution note is stored exactly (quotes, UTF-8)"

rr cc close "{\"case\":\"$A\"}" corr-close
resp_has "operator closes the resolved case" '"ok":true.*"status" : "closed".*"due_at" : null'
rr cc reopen "{\"case\":\"$A\",\"note\":\"warga keberatan\"}" corr-reopen-op
resp_has "an operator cannot reopen a closed case" 'an operator cannot reopen a closed case: only a supervisor can'
rr cc-supervisor reopen "{\"case\":\"$A\",\"note\":\"salah tutup\",\"actor\":\"rina\"}" corr-reopen
resp_has "a supervisor reopens it to the same OPD" "\"ok\":true.*\"opd\" : \"$O\".*\"status\" : \"assigned\".*\"deadline\" : \"follow_up\""
it_assert_eq "$(it_sql "select string_agg(action, ',' order by h.id) from case_history h join case_record c on c.id = h.case_id where c.human_id = '$A'")" \
    "open,verify,assign,acknowledge,resolve,close,reopen" "the history of $A holds every step, refusals none"
it_wait_for 15 "the reopen message on karo/case/$O/$A" grep -q "^karo/case/$O/$A .*\"action\" : \"reopen\"" "$SUBLOG"
it_assert_eq "$(grep -c "^karo/case/$O/$A " "$SUBLOG")" 7 "one case message per step of $A (open and six actions)"

# --- MQTT: refusals and bad requests ------------------------------------------
rr cc resolve "{\"case\":\"$B\",\"note\":\"x\"}" corr-illegal
resp_has "resolving a new case is an illegal transition" 'cannot resolve a case that is new: verify and assign it, and have it acknowledged, first'
it_assert_eq "$(case_field "$B" status)/$(history_count "$B")" "new/1" "$B is unchanged"
rr cc verify '{"case":"KRO-2026-999999"}' corr-unknown
resp_has "an unknown case is an error" '^\{"ok":false,"error":"no case KRO-2026-999999"\}$'
rr cc verify '{"case": "'"$B"'",' corr-badjson
resp_has "invalid JSON is an error" '^\{"ok":false,"error":"invalid JSON at line 1 column'
it_assert_eq "$RCORR" corr-badjson "the invalid-JSON answer carries the correlation data"
rr cc verify '["'"$B"'"]' corr-array
resp_has "a JSON array is an error" 'the request must be a JSON object'
rr cc verify "{\"case\":\"$B\",\"extra\":1}" corr-field
resp_has "an unknown field is an error" "unknown field 'extra'"
rr cc verify "{\"case\":\"$B\",\"reason\":\"duplicate\"}" corr-reason
resp_has "a reason outside reject is an error" "field 'reason' belongs to reject"
rr cc verify "{\"case\":\"$B\",\"case\":\"$C\"}" corr-twice
resp_has "a field given twice is an error" "field 'case' is given twice"
rr cc verify '{"case":42}' corr-type
resp_has "a non-string field is an error" "field 'case' must be a string"
rr cc verify "{\"case\":\"$B\",\"actor\":\"x:y\"}" corr-actor
resp_has "an actor name with ':' is an error" "field 'actor' must be a name"
rr cc escalate "{\"case\":\"$B\"}" corr-esc
resp_has "escalate is not a command" 'escalation is not a command'
# No broker user may command as "Bad": the ACLs bind each requester to its
# own <who>, so the broker refuses what the hub would answer with "unknown
# requester" (that answer is checked in tests/unit/test_casecmd.c).
out=$(it_as operator mosquitto_pub -V 5 -q 1 -t karo/cmd/Bad/case/verify -m "{\"case\":\"$B\"}" 2>&1)
it_assert_eq "$(grep -c 'Not authorized' <<<"$out")" 1 "an unknown requester cannot even send: the broker refuses it"
rr cc reject "{\"case\":\"$B\",\"reason\":\"spam\"}" corr-spam
resp_has "reject checks its reason" 'reject needs a reason: not_valid, not_our_authority or duplicate'
rr cc reject "{\"case\":\"$D\",\"reason\":\"duplicate\",\"note\":\"sama dengan $B\"}" corr-reject
resp_has "operator rejects $D as a duplicate" '"ok":true.*"status" : "rejected".*"due_at" : null'
it_assert_eq "$(it_sql "select reason || ' ' || note from case_history h join case_record c on c.id = h.case_id where c.human_id = '$D' and h.action = 'reject'")" \
    "duplicate sama dengan $B" "the rejection's reason and note are in the history"
it_assert_eq "$(it_sql "select count(*) from case_record where human_id = '$B' and status = 'new'")" 1 "none of the bad requests touched $B"
big=$(head -c 20000 /dev/zero | tr '\0' 'a')
rr cc verify "{\"case\":\"$B\",\"note\":\"$big\"}" corr-big
resp_has "an oversized request is refused" 'the request is [0-9]+ bytes; at most 16384 are accepted'

# A response topic outside karo/resp/<who>/: not executed, not answered.
RR_WAIT=3 rr cc verify "{\"case\":\"$C\"}" corr-elsewhere karo/resp/dishub/steal
it_assert_eq "$RESP" "" "no answer on another requester's response topic"
RR_WAIT=3 rr cc verify "{\"case\":\"$C\"}" corr-ingest karo/ev/dishub/x/complaint.created
it_assert_eq "$RESP" "" "no answer on an ingest topic"
it_assert_eq "$(case_field "$C" status)" new "requests with a foreign response topic were not executed"
it_assert_grep "$IT_DIR/log/hub1.log" "the hub logs the dropped request" 'dropped, not executed: its response topic is not under karo/resp/cc/'
# No response topic: executed, not answered.
it_as operator mosquitto_pub -V 5 -q 1 -t karo/cmd/cc/case/verify -m "{\"case\":\"$C\"}"
it_sql_wait 15 "select status from case_record where human_id = '$C'" verified && it_pass "a request without a response topic is executed"
it_assert_grep "$IT_DIR/log/hub1.log" "the hub logs that it cannot answer" 'has no response topic; it is executed without an answer'

# Commands are never journaled or stored as events.
it_assert_eq "$(it_sql "select count(*) from event where topic like 'karo/cmd/%'") $(it_sql "select count(*) from dead_letter where topic like 'karo/cmd/%'")" \
    "0 0" "no command became an event or a dead letter"

# The database away: an honest answer, and back to work when it returns.
"$SIMPUL_SRC/deploy/stack" pg-stop "$IT_DIR" >/dev/null && it_pass "PostgreSQL stopped"
rr cc verify "{\"case\":\"$B\"}" corr-down
resp_has "without the database the answer says so" 'unavailable: the database is not reachable|database failure'
"$SIMPUL_SRC/deploy/stack" pg-start "$IT_DIR" >/dev/null && it_pass "PostgreSQL started"
ok=0
for i in $(seq 1 30); do
	rr cc verify "{\"case\":\"$B\"}" "corr-up-$i"
	if printf '%s' "$RESP" | grep -q '"ok":true'; then ok=1; break; fi
	sleep 1
done
it_assert_eq "$ok/$(case_field "$B" status)" "1/verified" "after PostgreSQL is back, commands work again"

# --- simpulctl case act ---------------------------------------------------------
ctl 0 "case act verify" case act "$E" verify --as operator --actor budi
it_assert_grep "$OUT" "act says what the case is now" "case $E is now verified"
ctl 1 "an OPD cannot verify" case act "$E" verify --as opd:dishub
it_assert_grep "$ERR" "the refusal says why" 'refused: cannot verify a case that is verified: it is verified already'
ctl 1 "acknowledge before assignment" case act "$E" acknowledge --as opd:dishub
it_assert_grep "$ERR" "refusal names the missing step" 'refused: cannot acknowledge a case that is verified: assign it first'
ctl 0 "case act assign --opd dishub --json" case act "$E" assign --opd dishub --as operator --actor budi --json
it_assert_grep "$OUT" "JSON of the assigned case" '"status" : "assigned"'
it_assert_json "$OUT" "case act --json"
ctl 1 "dinkes cannot acknowledge a dishub case" case act "$E" acknowledge --as opd:dinkes --actor eve
it_assert_grep "$ERR" "refusal names both OPDs" 'cannot acknowledge: the case is assigned to dishub, not to dinkes'
ctl 0 "dishub acknowledges" case act "$E" acknowledge --as opd:dishub --actor sinta
ctl 1 "resolve without a note" case act "$E" resolve --as opd:dishub --actor sinta
ctl 0 "resolve by numeric id" case act "$EID" resolve --note "lampu diganti" --as opd:dishub --actor sinta
it_assert_eq "$(it_sql "select string_agg(actor || ':' || action, ',' order by h.id) from case_history h where case_id = $EID")" \
    "system:hub1:open,operator:budi:verify,operator:budi:assign,opd:dishub:sinta:acknowledge,opd:dishub:sinta:resolve" \
    "simpulctl wrote the same history rows as the MQTT path"
it_wait_for 15 "the hub to relay the resolve message of $E" grep -q "^karo/case/dishub/$E .*\"action\" : \"resolve\".*\"actor\" : \"opd:dishub:sinta\"" "$SUBLOG"
ctl 1 "an unknown case" case act KRO-2026-999999 verify --as operator
it_assert_grep "$ERR" "says there is no such case" 'refused: no case KRO-2026-999999'
ctl 2 "an unknown action" case act "$E" frobnicate --as operator
ctl 2 "escalate is not an action of simpulctl" case act "$E" escalate --as supervisor
ctl 2 "a bad role" case act "$E" close --as king
ctl 2 "a missing role" case act "$E" close
ctl 2 "--reason outside reject" case act "$E" close --reason duplicate --as operator
ctl 2 "--opd outside assign" case act "$E" close --opd dishub --as operator
ctl 2 "--opd with a bad name" case act "$E" assign --opd 'Dishub;drop' --as operator
SIMPUL_PG=$DEAD_PG ctl 3 "case act with PostgreSQL unreachable" case act "$E" close --as operator
it_assert_eq "$(case_field "$E" status)" resolved "failed and refused commands changed nothing"

# --- simpulctl case list / show ---------------------------------------------
# One case overdue by hand (the hub scans only at start, see hub_conf).
it_sql "update case_record set due_at = now() - interval '1 hour' where human_id = '$B'"
ctl 0 "case list (open cases)" case list
it_assert_grep "$OUT" "human list has a header" -E '^CASE +STATUS +OPD +SEVERITY +DUE \(UTC\) +LEVEL +TITLE'
it_assert_grep "$OUT" "the overdue case is marked" -E "^$B +verified .* OVERDUE "
it_assert_eq "$(grep -c "^$D " "$OUT")" 0 "the rejected case is not open"
ctl 0 "case list --status all --json" case list --status all --json
it_assert_json "$OUT" "case list --json"
it_assert_eq "$(grep -c '"human_id": "KRO-' "$OUT")" $N "all $N cases"
ctl 0 "case list --due-before 0s --json" case list --due-before 0s --json
it_assert_eq "$(grep -c '"human_id": ' "$OUT")/$(grep -c "\"human_id\": \"$B\".*\"overdue\": true" "$OUT")" "1/1" "only the overdue case, marked overdue"
ctl 0 "case list --opd dishub --status resolved" case list --opd dishub --status resolved
it_assert_grep "$OUT" "lists the resolved dishub case" -E "^$E +resolved +dishub "
ctl 0 "case list --status closed (none)" case list --status closed
it_assert_grep "$ERR" "says nothing matched" 'no cases match'
ctl 2 "case list --status bogus" case list --status bogus
ctl 2 "case list --due-before nonsense" case list --due-before yesterday
ctl 0 "case show --json" case show "$E" --json
it_assert_json "$OUT" "case show --json"
it_assert_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["case"]["human_id"], d["case"]["status"], len(d["history"]), len(d["escalations"]), len(d["case"]["source_event_ids"]) >= 1)' "$OUT")" \
    "$E resolved 5 0 True" "show --json: the case, five history rows, no escalations, its source event"
ctl 0 "case show (human)" case show "$EID"
it_assert_grep "$OUT" "human show names the case" "^case $E (id $EID)"
it_assert_grep "$OUT" "human show lists the history" -E '^  [0-9T:.Z-]+ +opd:dishub:sinta +opd +acknowledge '
it_assert_grep "$OUT" "human show lists the source events" -E '^  ca-[0-9]+$'
ctl 1 "case show of an unknown case" case show KRO-2026-999999

# --- simpulctl calendar ---------------------------------------------------------
# A day inside the verify window of an open new case F: the first working
# day after its clock started.
F=$(it_sql "select human_id from case_record where status = 'new' order by id limit 1")
day=$(it_sql "select simpul_next_workday(((clock_started_at + interval '7 hours') at time zone 'UTC')::date) from case_record where human_id = '$F'")
due_before=$(case_field "$F" due_at)
ctl 0 "calendar list --year (empty)" calendar list --year "${day%%-*}" --json
it_assert_eq "$(tr -d '\n' <"$OUT")" "[]" "no holidays yet"
ctl 0 "calendar add" calendar add "$day" "Libur uji" --actor it
it_assert_grep "$OUT" "add reports the deadlines it moved" -E "^$day is a holiday now \\(Libur uji\\); [1-9][0-9]* open cases? got a new deadline$"
it_assert_eq "$(it_sql "select due_at > '$due_before'::timestamptz and due_at = simpul_policy_deadline(policy, deadline_kind, clock_started_at) from case_record where human_id = '$F'")" t \
    "$F's deadline moved a working day later"
it_wait_for 15 "the due_changed message of $F" grep -q "^karo/case/[a-z]*/$F .*\"action\" : \"due_changed\"" "$SUBLOG"
it_assert_eq "$(it_sql "select created_by from holiday where day = '$day'")" it "the holiday records who added it"
ctl 1 "adding the same day again" calendar add "$day" "Lagi"
it_assert_grep "$ERR" "says it is a holiday already" "$day is a holiday already: Libur uji"
ctl 0 "calendar list --year" calendar list --year "${day%%-*}"
it_assert_grep "$OUT" "list shows the day and name" -E "^$day +[A-Z][a-z]+ +Libur uji +it "
ctl 0 "calendar remove" calendar remove "$day" --actor it
it_assert_grep "$OUT" "remove reports the deadlines it moved" "$day is no longer a holiday (was Libur uji)"
it_assert_eq "$(case_field "$F" due_at)" "$due_before" "$F's deadline is back where it was"
ctl 1 "removing a day that is no holiday" calendar remove "$day"
ctl 2 "a date that does not exist" calendar add 2026-02-30 "Tidak ada"
ctl 2 "a name that is empty" calendar add 2026-03-01 ""
ctl 0 "a hostile name stays data" calendar add 2031-01-01 "'; DROP TABLE holiday; --" --json
it_assert_eq "$(it_sql "select name from holiday where day = '2031-01-01'")" "'; DROP TABLE holiday; --" "stored exactly"

good=$IT_DIR/libur-2031.txt
printf '# Libur nasional 2031 (uji)\n\n2031-01-01\tTahun Baru Masehi\n2031-05-01,Hari Buruh\n 2031-08-17 , Hari Kemerdekaan RI \n' >"$good"
ctl 0 "calendar import" calendar import "$good" --actor it
it_assert_grep "$OUT" "import counts what it did" "2 added, 1 renamed, 0 unchanged"
it_assert_eq "$(it_sql "select string_agg(day || '=' || name, ';' order by day) from holiday where day >= '2031-01-01'")" \
    "2031-01-01=Tahun Baru Masehi;2031-05-01=Hari Buruh;2031-08-17=Hari Kemerdekaan RI" "the file's holidays, names trimmed"
ctl 0 "importing again changes nothing" calendar import "$good" --json
it_assert_grep "$OUT" "all unchanged" '"added": 0, "renamed": 0, "unchanged": 3'
bad=$IT_DIR/bad.txt
printf '2032-01-01\tTahun Baru\n2032-02-30\tTidak ada\n2032-05-01\tHari Buruh\nhanya teks\n2032-01-01,Lagi\n' >"$bad"
before=$(it_sql "select count(*) from holiday")
ctl 1 "an import with bad lines" calendar import "$bad"
it_assert_grep "$ERR" "line 2 is reported as file:line" "^$bad:2: '2032-02-30' is not a date"
it_assert_grep "$ERR" "line 4 is reported" "^$bad:4: expected YYYY-MM-DD, a tab or a comma, and the name"
it_assert_grep "$ERR" "a repeated date is reported" "^$bad:5: 2032-01-01 is on line 1 already"
it_assert_grep "$ERR" "and nothing changed" 'refused: nothing changed'
it_assert_eq "$(it_sql "select count(*) from holiday")/$(it_sql "select count(*) from holiday where day = '2032-01-01'")" "$before/0" "no holiday of the bad file was stored"
ctl 2 "calendar add without a name" calendar add 2032-01-01
ctl 2 "calendar bogus" calendar bogus

it_done
