#!/usr/bin/env bash
# simpul-console's JSON API (docs/console.md) against a real Mosquitto,
# PostgreSQL and hub: sign-in, sessions and their expiry, CSRF and Origin
# checks, every endpoint refusing a missing session and the wrong role,
# hostile input, the live stream (a complaint published through the broker
# shows up within 2 s), case actions through the hub's state machine by
# role, dead-letter replay, the countdown's clock (wall or working), the
# sign-in throttle, and the timing of /api/cases, the shift handover and
# the leadership report over 10,000 open cases (reported, never asserted:
# CI machines are shared and noisy).
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"
it_setup

CTL=$SIMPUL_BIN/simpulctl
WEB=$SIMPUL_WEB_DIR
PW=correct-horse-battery
H=$IT_DIR/h.txt
B=$IT_DIR/b.json

# console_up NAME PORT [INI LINES...]: simpul-console on PORT, polling
# every 200 ms, with the lines in [console]; waits until it answers.
# Sets CON_PID.
console_up()
{
	local name=$1 port=$2

	shift 2
	console_conf "$name" "$port" 'poll = 200ms' "$@"
	console_start "$name" "$port"
}

# req USER METHOD PATH [BODY [EXTRA CURL ARGS...]]: one request as USER
# (a cookie jar per user; "-" for none). Sets CODE; the body is in $B,
# the headers in $H.
req()
{
	local user=$1 method=$2 path=$3 body=${4-} jar=()

	shift 3
	[ $# -gt 0 ] && shift
	[ "$user" = - ] || jar=(-b "$IT_DIR/jar.$user" -c "$IT_DIR/jar.$user")
	CODE=$(curl -s -o "$B" -D "$H" -w '%{http_code}' -X "$method" \
	    "${jar[@]}" -H 'Content-Type: application/json' \
	    ${body:+--data-binary "$body"} "$@" "$BASE$path")
}

# post USER PATH [BODY [ARGS...]]: a POST with USER's CSRF token and our
# own Origin.
post()
{
	local user=$1 path=$2 body=${3-}

	shift 2
	[ $# -gt 0 ] && shift
	req "$user" POST "$path" "$body" -H "X-CSRF-Token: $(cat "$IT_DIR/csrf.$user")" \
	    -H "Origin: $BASE" "$@"
}

expect() # WANT MSG: the last request answered WANT
{
	if [ "$CODE" = "$1" ]; then
		it_pass "$2 ($1)"
	else
		it_fail "$2: HTTP $CODE, expected $1: $(head -c 300 "$B")"
	fi
}

jget() # JQ-FILTER: from the last body
{
	jq -r "$1" "$B" 2>/dev/null
}

login() # USER: signs in, keeps the cookie and the CSRF token
{
	rm -f "$IT_DIR/jar.$1"
	req "$1" POST /api/login "{\"user\":\"$1\",\"password\":\"$PW\"}" -H "Origin: $BASE"
	jget .csrf >"$IT_DIR/csrf.$1"
}

adduser() # NAME ROLE [OPD]
{
	if printf '%s\n' "$PW" | "$CTL" user add "$1" --role "$2" ${3:+--opd "$3"} \
	    --display "User $1" >/dev/null 2>"$IT_DIR/ctl.err"; then
		it_pass "simpulctl user add $1 ($2${3:+ of $3})"
	else
		it_fail "simpulctl user add $1: $(cat "$IT_DIR/ctl.err")"
	fi
}

it_assert_ok "schema migrated (with 0005_console)" "$CTL" migrate
it_assert_ok "karo.yaml applied" "$CTL" rules apply "$SIMPUL_SRC/deploy/rules/karo.yaml" --actor it
hub_conf hub1 '[cases]' 'escalation_interval = 1h'
hub_start hub1

# --- the working-time countdown (migration 5) -------------------------------
# Friday 15:00 WIB to Monday 10:00 WIB: 1 h on Friday, 2 h on Monday.
it_assert_eq "$(it_sql "select simpul_working_time_left('2031-03-10 10:00+07', '2031-03-07 15:00+07')")" 10800 "countdown over a weekend"
it_assert_eq "$(it_sql "select simpul_working_time_left('2031-03-07 15:00+07', '2031-03-10 10:00+07')")" -10800 "negative once breached"
it_assert_eq "$(it_sql "select simpul_working_time_left('2031-03-08 12:00+07', '2031-03-07 06:00+07')")" 28800 "a Saturday deadline: Friday's 8 h"
it_assert_eq "$(it_sql "select simpul_working_time_left('infinity', now()) is null and simpul_working_time_left(null, now()) is null")" t "no clock: null"
it_sql "insert into holiday (day, name) values ('2031-03-10', 'it holiday')" >/dev/null
it_assert_eq "$(it_sql "select simpul_working_time_left('2031-03-11 10:00+07', '2031-03-07 15:00+07')")" 10800 "a holiday Monday does not count"
it_sql "delete from holiday where day = '2031-03-10'" >/dev/null
it_assert_eq "$(it_sql "select simpul_working_seconds('2031-03-07 15:00+07', simpul_deadline('2031-03-07 15:00+07', '5wd'))")" 144000 "5 working days from simpul_deadline() are 5 x 8 h"

# --- users ----------------------------------------------------------------
adduser op1 operator
adduser sup1 supervisor
adduser adm1 admin
"$CTL" user add bad --role opd </dev/null >/dev/null 2>&1
it_assert_eq "$?" 2 "user add: role opd without --opd is refused"
printf 'short\n' | "$CTL" user add shorty --role operator >/dev/null 2>&1
it_assert_eq "$?" 2 "user add: a short password is refused"
it_assert_eq "$(it_sql "select count(*) from console_user where pwhash like '\$argon2id\$%'")" 3 "passwords are stored as argon2id hashes"
it_assert_eq "$(it_sql "select count(*) from console_user where pwhash like '%$PW%'")" 0 "no password in clear"

# --- a complaint, for the case flow ---------------------------------------
loadgen_start load1 --count 1 --mix complaint.created=1 --prefix c1
it_assert_ok "one complaint published" loadgen_wait "$LOAD_PID" 60
it_sql_wait 60 "select count(*) from case_record" 1
CASE1=$(it_sql "select human_id from case_record order by id limit 1")
O=$(it_sql "select coalesce(opd, 'dinkes') from case_record order by id limit 1")
if [ "$O" = dishub ]; then X=dinkes; else X=dishub; fi
adduser "opd-$O" opd "$O"
adduser "opd-$X" opd "$X"
OPD=opd-$O
OTHER=opd-$X

PORT=$(it_free_port) || it_die "no free port"
BASE=http://127.0.0.1:$PORT
console_up console "$PORT"

# --- sign-in --------------------------------------------------------------
login op1
expect 200 "op1 signs in"
it_assert_eq "$(jget '.user + " " + .role')" "op1 operator" "login answers user and role"
grep -qi '^set-cookie: simpul_session=[A-Za-z0-9_-]\{43\}; HttpOnly; SameSite=Strict; Path=/' "$H" &&
    it_pass "session cookie is HttpOnly, SameSite=Strict" || it_fail "cookie: $(grep -i set-cookie "$H")"
it_assert_eq "$(it_sql "select count(*) from console_session s join console_user u on u.name = s.user_name where u.name = 'op1' and octet_length(s.id) = 32")" 1 "the session is stored by its hash"
TOKEN=$(awk '$6 == "simpul_session" { print $7 }' "$IT_DIR/jar.op1")
it_assert_eq "$(it_sql "select count(*) from console_session where encode(id, 'escape') like '%$TOKEN%' or csrf = '$TOKEN'")" 0 "the token itself is not stored"
for u in sup1 adm1 "$OPD" "$OTHER"; do login "$u"; expect 200 "$u signs in"; done

req - POST /api/login "{\"user\":\"op1\",\"password\":\"wrong-password\"}"
expect 401 "wrong password"
W1=$(cat "$B")
req - POST /api/login "{\"user\":\"nobody\",\"password\":\"wrong-password\"}"
expect 401 "unknown user"
it_assert_eq "$(cat "$B")" "$W1" "unknown user and wrong password get the same answer"
it_assert_eq "$(it_sql "select count(*) from console_audit where action = 'login_failed' and user_name in ('op1', 'nobody')")" 2 "failed sign-ins are audited"
it_assert_eq "$(it_sql "select count(*) from console_audit where action = 'login' and user_name = 'op1'")" 1 "the sign-in is audited"

req op1 GET /api/me
expect 200 "GET /api/me"
it_assert_eq "$(jget .csrf)" "$(cat "$IT_DIR/csrf.op1")" "/api/me gives the same CSRF token"

# --- headers --------------------------------------------------------------
for h in "Content-Security-Policy: default-src 'self'; script-src 'self'" \
    "X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer" \
    "X-Frame-Options: DENY" "Cache-Control: no-store"; do
	grep -qiF "$h" "$H" && it_pass "API header $h" || it_fail "API header $h missing: $(cat "$H")"
done
printf '<!doctype html><title>t</title>\n' >"$WEB/it-probe.html"
req - GET /it-probe.html
expect 200 "a static file"
grep -qiF "Content-Security-Policy: default-src 'self'" "$H" && it_pass "static files carry the CSP" || it_fail "static CSP: $(cat "$H")"
rm -f "$WEB/it-probe.html"
req - GET /../etc/passwd --path-as-is
expect 404 "a path out of web_dir"

# --- every endpoint refuses a missing session ------------------------------
ENDPOINTS=(
	"GET /api/me" "POST /api/logout" "GET /api/events" "GET /api/events/x"
	"GET /api/cases" "GET /api/cases/$CASE1" "POST /api/cases/$CASE1/verify"
	"GET /api/deadletters" "GET /api/deadletters/1"
	"POST /api/deadletters/1/replay" "GET /api/vehicles"
	"GET /api/geo/boundary" "GET /api/geo/geofences" "GET /api/alerts"
	"GET /api/escalations" "GET /api/handover" "GET /api/leadership"
	"GET /api/rules" "GET /api/calendar" "GET /api/users" "GET /api/live"
)
for e in "${ENDPOINTS[@]}"; do
	req - ${e% *} "${e#* }"
	expect 401 "$e without a session"
	req - ${e% *} "${e#* }" '' -H 'Cookie: simpul_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
	expect 401 "$e with an unknown session"
done

# --- the wrong role ---------------------------------------------------------
# ROLE METHOD PATH WANT
ROLE_TABLE=(
	"$OPD GET /api/deadletters 403" "$OPD GET /api/deadletters/1 403"
	"$OPD POST /api/deadletters/1/replay 403" "$OPD GET /api/rules 403"
	"$OPD GET /api/users 403" "$OPD POST /api/cases/$CASE1/verify 403"
	"op1 GET /api/rules 403" "op1 GET /api/users 403"
	"sup1 GET /api/users 403"
	"adm1 POST /api/cases/$CASE1/verify 403"
	"$OTHER GET /api/cases/$CASE1 404"
	"$OTHER POST /api/cases/$CASE1/acknowledge 404"
)
for e in "${ROLE_TABLE[@]}"; do
	read -r u m p want <<<"$e"
	if [ "$m" = POST ]; then post "$u" "$p" '{}'; else req "$u" "$m" "$p"; fi
	expect "$want" "$u: $m $p"
	[ "$want" != 403 ] || it_assert_eq "$(jget .error)" forbidden "$u: $m $p says forbidden"
done
# And what each role may read answers 200.
for e in "op1 /api/events" "op1 /api/cases" "op1 /api/deadletters" \
    "op1 /api/vehicles" "op1 /api/alerts" "op1 /api/escalations" \
    "op1 /api/handover" "op1 /api/leadership" "op1 /api/calendar?year=2026" \
    "sup1 /api/rules" "adm1 /api/rules" "adm1 /api/users" \
    "$OPD /api/cases" "$OPD /api/events" "$OPD /api/cases/$CASE1"; do
	read -r u p <<<"$e"
	req "$u" GET "$p"
	expect 200 "$u: GET $p"
done
req op1 GET /api/geo/boundary
expect 404 "no boundary configured: 404"
req adm1 GET /api/users
it_assert_eq "$(jget '[.items[].name] | sort | join(",")')" "adm1,op1,$(printf '%s\n' "$OPD" "$OTHER" | sort | paste -sd,),sup1" "the users list" 

# --- CSRF -------------------------------------------------------------------
req op1 POST "/api/cases/$CASE1/verify" '{}'
expect 403 "POST without the CSRF header"
it_assert_eq "$(jget .error)" csrf "it says csrf"
req op1 POST "/api/cases/$CASE1/verify" '{}' -H 'X-CSRF-Token: wrong' -H "Origin: $BASE"
expect 403 "POST with a wrong CSRF token"
req op1 POST "/api/cases/$CASE1/verify" '{}' -H "X-CSRF-Token: $(cat "$IT_DIR/csrf.op1")" -H 'Origin: http://evil.example'
expect 403 "POST with the right token from another Origin"
req - POST /api/login "{\"user\":\"op1\",\"password\":\"$PW\"}" -H 'Origin: http://evil.example'
expect 403 "sign-in from another Origin"
it_assert_eq "$(it_sql "select status from case_record where human_id = '$CASE1'")" new "nothing was done"

# --- hostile input ----------------------------------------------------------
N0=$(it_sql "select count(*) from event")
req op1 GET "/api/events?q=%27%3B%20DROP%20TABLE%20event%3B%20--"
expect 200 "q with SQL quotes is only searched for"
it_assert_eq "$(jget '.items | length')" 0 "and finds nothing"
req op1 GET "/api/cases?q=%27%20OR%201%3D1%20--"
expect 200 "cases q with SQL quotes"
it_assert_eq "$(jget '.total')" 0 "matches no case"
req op1 GET "/api/cases?opd=x%27%20OR%20%271%27%3D%271"
expect 400 "an opd that is not an OPD name"
req op1 GET "/api/events?q=%ff%fe"
expect 400 "invalid UTF-8 in q"
req op1 GET "/api/events?q=a%00b"
[ "$CODE" = 200 ] || [ "$CODE" = 400 ] && it_pass "NUL in q answered cleanly ($CODE)" || it_fail "NUL in q: $CODE"
req op1 GET "/api/events?limit=99999999999999999999"
expect 400 "a huge limit"
req op1 GET "/api/cases?sort=id;drop"
expect 400 "an unknown sort"
req op1 GET "/api/events?before=123%7Cx%27"
expect 200 "a cursor with a quote is a value"
req op1 GET "/api/escalations?from=yesterday"
expect 400 "from= that is not RFC 3339"
post op1 "/api/cases/$CASE1/verify" '{"note": '
expect 400 "bad JSON"
post op1 "/api/cases/$CASE1/verify" '[1,2]'
expect 400 "JSON that is not an object"
post op1 "/api/cases/$CASE1/verify" "$(printf '{"note":"\xff\xfe"}')"
expect 400 "invalid UTF-8 in the body"
post op1 "/api/cases/$CASE1/verify" '{"note": 5}'
expect 400 "a note that is not a string"
post op1 "/api/cases/$CASE1/reject" '{"reason": "because'"'"'; drop table case_record; --"}'
expect 400 "a reason outside the set"
head -c 200000 /dev/zero | tr '\0' 'a' >"$IT_DIR/big.json"
post op1 "/api/cases/$CASE1/verify" "@$IT_DIR/big.json"
expect 413 "a 200 kB body"
req - POST /api/login "@$IT_DIR/big.json"
expect 413 "a 200 kB sign-in"
req - POST /api/login '{"user":"op1\u0000x","password":"x"}'
[ "$CODE" = 400 ] || [ "$CODE" = 401 ] && it_pass "NUL in a user name answered cleanly ($CODE)" || it_fail "NUL user: $CODE"
req - GET "/api/cases" '' -H "Cookie: simpul_session=$(head -c 3000 /dev/zero | tr '\0' A)"
expect 401 "a huge cookie"
req - GET "/api/cases" '' -H 'Cookie: simpul_session=x; simpul_session=y'
expect 401 "two session cookies"
it_assert_eq "$(it_sql "select count(*) from event")" "$N0" "the event table is intact"
it_assert_eq "$(it_sql "select status from case_record where human_id = '$CASE1'")" new "the case is untouched"
it_alive "$CON_PID" && it_pass "the console survived the hostile input" || it_fail "the console died"

# --- an event id with '/' and other characters a URL reserves ----------------
# The browser sends it percent-encoded; libmicrohttpd decodes the path
# before the API sees it, so the id is all that follows /api/events/.
EVID='it/dev-1/ev 7?x=1#y%+z'
it_sql "insert into event_id (id, time) values ('$EVID', now());
	insert into event (id, time, topic, opd, source, type, received_at, instance, data, attrs)
	select '$EVID', time, 'karo/ev/dishub/it/it.slash', 'dishub', 'it', 'it.slash', now(), 'it',
	'{\"n\": 1}', jsonb_build_object('id', '$EVID', 'type', 'it.slash') from event_id where id = '$EVID'" >/dev/null
req op1 GET "/api/events/$(jq -rn --arg s "$EVID" '$s | @uri')"
expect 200 "an event whose id holds '/', fetched by its encoded id"
it_assert_eq "$(jget .id)" "$EVID" "... is that event"
it_assert_eq "$(jget .data.n)" 1 "... with its data"
req op1 GET "/api/events/it%2Fdev-1"
expect 404 "a part of that id is no event"

# --- live: a complaint through the broker shows up within 2 s -------------
curl -s -N -b "$IT_DIR/jar.op1" "$BASE/api/live" >"$IT_DIR/live.op1" 2>/dev/null &
LIVE1=$!
echo "$LIVE1 $(it__starttime $LIVE1) live1" >>"$IT_DIR/run/it.pids"
curl -s -N -b "$IT_DIR/jar.$OTHER" "$BASE/api/live" >"$IT_DIR/live.other" 2>/dev/null &
LIVE2=$!
echo "$LIVE2 $(it__starttime $LIVE2) live2" >>"$IT_DIR/run/it.pids"
it_wait_for 10 "the live streams' status" bash -c "grep -q '^event: status' '$IT_DIR/live.op1' && grep -q '^event: status' '$IT_DIR/live.other'"
it_wait_for 10 "hub online in the status" grep -q '"hub":"online","db":"up"' "$IT_DIR/live.op1"
T0=$(date +%s.%N)
loadgen_start load2 --count 1 --mix complaint.created=1 --prefix live2
if it_wait_for 10 "the complaint on the live stream" grep -Eq '"id" ?: ?"live2-0"' "$IT_DIR/live.op1"; then
	DT=$(echo "$(date +%s.%N) - $T0" | bc)
	it_log "live: complaint visible after ${DT}s (including loadgen start)"
	if (( $(echo "$DT < 2" | bc) )); then it_pass "visible within 2 s (${DT}s)"; else it_fail "took ${DT}s"; fi
fi
it_wait_for 10 "the new case on the live stream" bash -c "grep -q '^event: case' '$IT_DIR/live.op1'"
CASE2=$(it_sql "select c.human_id from case_record c where 'live2-0' = any (c.source_event_ids)")
req op1 GET "/api/cases?status=new&sort=opened"
it_assert_eq "$(jget "[.items[] | select(.human_id == \"$CASE2\")] | length")" 1 "the complaint's case is in /api/cases"
it_assert_eq "$(jget "[.items[] | select(.human_id == \"$CASE2\")][0] | (.working_seconds_left | type) + \" \" + (.breached | tostring)")" "number false" "with a working-time countdown"
grep -q '^id: [0-9]' "$IT_DIR/live.op1" && it_pass "messages carry ids" || it_fail "no ids"
grep -Eq "\"human_id\" ?: ?\"$CASE2\"" "$IT_DIR/live.op1" &&
    it_pass "the operator's stream has the case" || it_fail "no case $CASE2 on op1's stream"
C2OPD=$(it_sql "select coalesce(opd, '') from case_record where human_id = '$CASE2'")
if [ "$C2OPD" != "$X" ]; then
	grep -Eq "\"human_id\" ?: ?\"$CASE2\"" "$IT_DIR/live.other" &&
	    it_fail "another OPD's officer got the case on the live stream" ||
	    it_pass "another OPD's officer's stream is filtered"
fi
LAST=$(grep '^id: ' "$IT_DIR/live.op1" | tail -n 1 | cut -d' ' -f2)
FIRST=$(grep '^id: ' "$IT_DIR/live.op1" | head -n 1 | cut -d' ' -f2)
timeout 2 curl -s -N -b "$IT_DIR/jar.op1" -H "Last-Event-ID: $FIRST" "$BASE/api/live" >"$IT_DIR/live.resume" 2>/dev/null
grep -q "^id: $LAST\$" "$IT_DIR/live.resume" && it_pass "Last-Event-ID resumes after $FIRST up to $LAST" ||
    it_fail "resume: $(head -c 400 "$IT_DIR/live.resume")"

# A row committed late: alert "late" gets its raised_at (now()) when its
# transaction starts and commits 1.5 s later; alert "early", raised and
# committed meanwhile, moves the tail's cursor past it. Only the tail's
# look-back window can still find "late" (by its key, then its row).
it_sql "begin; insert into alert (severity, opd, source, message) values ('minor', 'dishub', 'it', 'it late alert'); select pg_sleep(1.5); commit" >/dev/null &
LATE=$!
sleep 0.5
it_sql "insert into alert (severity, opd, source, message, raised_at) values ('minor', 'dishub', 'it', 'it early alert', clock_timestamp())" >/dev/null
wait "$LATE"
it_wait_for 10 "the early alert on the live stream" grep -q 'it early alert' "$IT_DIR/live.op1"
it_wait_for 10 "the alert committed late on the live stream (look-back)" grep -q 'it late alert' "$IT_DIR/live.op1"
it_assert_eq "$(grep -c 'it late alert' "$IT_DIR/live.op1")" 1 "... once"

# --- case actions by role ---------------------------------------------------
# A case reference of digits is the numeric id, leading zeros and all, as
# for simpulctl and the hub's case commands (case_ref_is_id()).
ID1=$(it_sql "select id from case_record where human_id = '$CASE1'")
req op1 GET "/api/cases/00$ID1"
expect 200 "a case by its numeric id with leading zeros"
it_assert_eq "$(jget .case.human_id)" "$CASE1" "... is that case"
post op1 "/api/cases/00$ID1/close" '{}'
expect 409 "an action by that reference reaches the state machine"
post op1 "/api/cases/$CASE1/acknowledge" '{}'
expect 403 "an operator may never acknowledge"
post op1 "/api/cases/$CASE1/escalate" '{}'
expect 404 "escalating is no action people take"
post op1 "/api/cases/$CASE1/close" '{}'
expect 409 "the state machine refuses closing a new case"
case "$(jget .error)" in
*[Cc]annot\ close*) it_pass "and says why" ;;
*) it_fail "and says why: error '$(jget .error)'" ;;
esac
post op1 "/api/cases/$CASE1/verify" '{"note":"checked by phone"}'
expect 200 "op1 verifies $CASE1"
it_assert_eq "$(jget .case.status)" verified "the answer has the new status"
post op1 "/api/cases/$CASE1/assign" "{\"opd\":\"$O\"}"
expect 200 "op1 assigns $CASE1 to $O"
req "$OPD" GET "/api/cases/$CASE1"
expect 200 "$OPD sees $CASE1"
it_assert_eq "$(jget '.allowed | join(",")')" acknowledge "$OPD may acknowledge it"
it_assert_eq "$(jget '.history | length')" 3 "its history: open, verify, assign"
req "$OTHER" GET "/api/cases/$CASE1"
expect 404 "$OTHER does not see $CASE1"
post "$OTHER" "/api/cases/$CASE1/acknowledge" '{}'
expect 404 "$OTHER cannot acknowledge $CASE1"
post "$OPD" "/api/cases/$CASE1/acknowledge" '{"note":"on our way"}'
expect 200 "$OPD acknowledges $CASE1"
it_assert_eq "$(it_sql "select actor from case_history h join case_record c on c.id = h.case_id where c.human_id = '$CASE1' order by h.id")" \
    "$(printf 'system:hub1\noperator:op1\noperator:op1\nopd:%s:%s' "$O" "$OPD")" "the history's actors" 
it_assert_eq "$(it_sql "select count(*) from console_audit where action = 'case_action' and target = '$CASE1'")" 3 "the actions are audited"
req "$OTHER" GET "/api/cases?limit=500&status=all"
it_assert_eq "$(jget "[.items[] | select(.opd != \"$X\")] | length")" 0 "$OTHER lists only $X's cases"

# --- dead letters -----------------------------------------------------------
it_as adapter-dishub mosquitto_pub -q 1 -t "karo/ev/dishub/it/complaint.created" -m '{"not": "an envelope"'
it_sql_wait 30 "select count(*) from dead_letter" 1
DL=$(it_sql "select id from dead_letter order by id desc limit 1")
req op1 GET /api/deadletters
expect 200 "op1 lists dead letters"
it_assert_eq "$(jget '.items[0].reason')" invalid_json "with the reason"
req op1 GET "/api/deadletters?reason=invalid_json"
expect 200 "dead letters of one reason"
it_assert_eq "$(jget '[.items[].reason] | unique | join(",")')" invalid_json "... only that reason"
req op1 GET "/api/deadletters?reason=none"
expect 400 "a reason the hub never writes"
req op1 GET "/api/deadletters/$DL"
it_assert_eq "$(jget .payload)" '{"not": "an envelope"' "the payload as received"
post op1 "/api/deadletters/$DL/replay" ''
expect 200 "op1 replays dead letter $DL"
it_assert_eq "$(jget .replayed)" true "replayed: true"
it_sql_wait 30 "select count(*) from dead_letter" 2
it_assert_eq "$(it_sql "select replayed_by from dead_letter where id = $DL")" console:op1 "marked replayed by console:op1"
it_assert_eq "$(it_sql "select count(*) from console_audit where action = 'deadletter_replay' and user_name = 'op1'")" 1 "the replay is audited"

# A replay keeps its transaction open until the broker acknowledges; with
# the broker stopped (SIGSTOP: connections hang, nothing is refused) it
# waits out its 10 s. A case action meanwhile must not wait behind it.
jq -c --arg t "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '.id = "replay-wait-1" | .opd = "dishub"
    | .source = "/karo/dishub/it" | .time = $t | .subject = "PGD-IT-REPLAY"
    | .data.complaint_id = "PGD-IT-REPLAY"' "$SIMPUL_SRC/tests/data/events/valid/complaint.created.json" >"$IT_DIR/c3.json"
it_as adapter-dishub mosquitto_pub -q 1 -t "karo/ev/dishub/it/complaint.created" -f "$IT_DIR/c3.json"
it_sql_wait 60 "select count(*) from case_record where 'replay-wait-1' = any (source_event_ids) and status = 'new'" 1
CASE3=$(it_sql "select human_id from case_record where 'replay-wait-1' = any (source_event_ids)")
MQ_PID=$(cat "$IT_DIR/run/mosquitto.pid")
kill -STOP "$MQ_PID"
curl -s -o "$IT_DIR/replay2.body" -w '%{http_code}' -X POST -b "$IT_DIR/jar.op1" \
    -H "X-CSRF-Token: $(cat "$IT_DIR/csrf.op1")" -H "Origin: $BASE" \
    "$BASE/api/deadletters/$DL/replay" >"$IT_DIR/replay2.code" &
RP=$!
replay_holds() # the dead letter's row is locked by the replay
{
	[ "$(it_sql "select count(*) from (select 1 from dead_letter where id = $DL for update skip locked) l")" = 0 ]
}
it_wait_for 10 "the replay holding its dead letter" replay_holds
post op1 "/api/cases/$CASE3/verify" '{"note": "while a replay waits"}'
expect 200 "a case action while a replay waits for the broker"
kill -0 "$RP" 2>/dev/null && it_pass "... answered before the replay" ||
    it_fail "the case action answered only after the replay"
kill -CONT "$MQ_PID"
wait "$RP"
case $(cat "$IT_DIR/replay2.code") in
200|502) it_pass "the stalled replay answers ($(cat "$IT_DIR/replay2.code"))" ;;
*) it_fail "the stalled replay: HTTP $(cat "$IT_DIR/replay2.code"): $(head -c 300 "$IT_DIR/replay2.body")" ;;
esac

# --- sign-out -----------------------------------------------------------------
post sup1 /api/logout ''
expect 200 "sup1 signs out"
req sup1 GET /api/me
expect 401 "sup1's session is gone"

# --- simpulctl user passwd / disable / list --------------------------------
adduser op2 operator
login op2
expect 200 "op2 signs in"
printf 'another-password\n' | "$CTL" user passwd op2 >/dev/null && it_pass "user passwd op2" ||
    it_fail "user passwd op2"
req op2 GET /api/me
expect 401 "a new password ends op2's sessions"
req - POST /api/login '{"user":"op2","password":"another-password"}'
expect 200 "op2 signs in with the new password"
"$CTL" user passwd op2 -- --role >/dev/null 2>&1 </dev/null
it_assert_ne "$?" 0 "user passwd without a password on stdin fails"
login op1
it_assert_ok "user disable op2" "$CTL" user disable op2
req - POST /api/login '{"user":"op2","password":"another-password"}'
expect 401 "a disabled user cannot sign in"
"$CTL" user disable nobody >/dev/null 2>&1
it_assert_eq "$?" 1 "user disable of an unknown user"
"$CTL" user list --json >"$IT_DIR/users.json"
it_assert_eq "$(jq -r '[.[] | select(.name == "op2")][0].disabled' "$IT_DIR/users.json")" true "user list shows op2 disabled"

# --- the hub stops: the live stream says so ----------------------------------
it_kill "$HUB_PID"
it_wait_for 15 "hub offline on the live stream" grep -q '"hub":"offline"' "$IT_DIR/live.op1"
hub_start hub1
it_wait_for 15 "hub online again on the live stream" bash -c "grep '\"hub\":' '$IT_DIR/live.op1' | tail -n 1 | grep -q '\"hub\":\"online\"'"

# --- PostgreSQL stops: the stream says db down, the API 503 -------------------
it_assert_ok "PostgreSQL stopped" "$IT_STACK" pg-stop "$IT_DIR"
it_wait_for 15 "db down on the live stream" grep -q '"db":"down"' "$IT_DIR/live.op1"
req op1 GET /api/cases
expect 503 "the API without a database"
it_alive "$CON_PID" && it_pass "the console runs on without its database" || it_fail "the console died"
it_assert_ok "PostgreSQL started again" "$IT_STACK" pg-start "$IT_DIR"
it_wait_for 20 "db up again on the live stream" bash -c "grep '\"db\":' '$IT_DIR/live.op1' | tail -n 1 | grep -q '\"db\":\"up\"'"
it_wait_for 20 "the API answering again" bash -c "curl -s -o /dev/null -w '%{http_code}' -b '$IT_DIR/jar.op1' '$BASE/api/cases' | grep -q 200"

# --- session expiry (a second console with a 2 s idle limit) ----------------
PORT2=$(it_free_port) || it_die "no free port"
BASE_MAIN=$BASE
BASE=http://127.0.0.1:$PORT2
console_up console2 "$PORT2" 'session_idle = 2s' 'session_max = 4s'
login op1
expect 200 "op1 signs in to the short-session console"
req op1 GET /api/me
expect 200 "the session works at once"
sleep 3
req op1 GET /api/me
expect 401 "after 3 s idle"
it_assert_eq "$(jget .error)" "session expired" "it says session expired"
login op1
for i in 1 2 3 4 5; do sleep 1; req op1 GET /api/me; done
expect 401 "after session_max even with requests"
BASE=$BASE_MAIN

# --- the countdown's clock: wall-clock for calendar-unit deadlines -------------
# The alarm policy's verify step is "1h" around the clock: its countdown is
# wall-clock seconds, whatever the time of day (here a deadline 3 days
# ahead, which no working-time count reaches: at most 3 x 8 h). The
# complaint policy's "3wd" counts working time; an escalated alarm's
# deadline moved by a working day, so it counts working time too.
clock_case() # POLICY LEVEL: a case due in 3 days; prints its id
{
	it_sql "insert into case_record (kind, case_key, opd, severity, title, channel, policy, opened_at, clock_started_at, due_at, deadline_kind, escalation_level)
	    values ('it.clock', 'clock:' || gen_random_uuid(), 'dishub', 'critical', 'clock test', 'gps', '$1', now(), now(), now() + interval '3 days', 'verify', $2) returning id"
}
login op1
ALARM=$(clock_case alarm 0)
req op1 GET "/api/cases/$ALARM"
expect 200 "an alarm case"
it_assert_eq "$(jget .case.clock)" wall "the alarm's 1h verify deadline runs on the wall clock"
left=$(jget .case.working_seconds_left)
it_assert_eq "$([ "$left" -gt 259000 ] && [ "$left" -le 259200 ] && echo yes)" yes "its countdown is wall-clock seconds to due_at ($left of 259200)"
req op1 GET "/api/cases?q=clock%20test&limit=50"
it_assert_eq "$(jget "[.items[] | select(.id == $ALARM) | .clock][0]")" wall "the queue says clock wall too"
COMPLAINT=$(clock_case complaint 0)
req op1 GET "/api/cases/$COMPLAINT"
it_assert_eq "$(jget .case.clock)" working "a complaint's 3wd deadline counts working time"
left=$(jget .case.working_seconds_left)
it_assert_eq "$([ "$left" -ge 0 ] && [ "$left" -le 86400 ] && echo yes)" yes "its countdown is working seconds ($left <= 3 x 8 h)"
ESC=$(clock_case alarm 1)
req op1 GET "/api/cases/$ESC"
it_assert_eq "$(jget .case.clock)" working "an escalated alarm (a working day added) counts working time"
it_sql "delete from case_record where kind = 'it.clock'" >/dev/null

# --- 10,000 open cases: how fast /api/cases answers ---------------------------
it_sql "insert into case_record (kind, case_key, opd, severity, title, channel, policy, opened_at, clock_started_at, due_at, deadline_kind)
	select 'complaint.created', 'bulk:' || g, (array['dishub','dinkes','bpbd','pupr'])[1 + g % 4],
	(array['critical','major','minor','warning'])[1 + g % 4], 'Bulk complaint ' || g, 'web', 'complaint',
	now() - g * interval '1 minute', now() - g * interval '1 minute',
	simpul_policy_deadline('complaint', 'verify', now() - g * interval '1 minute'), 'verify'
	from generate_series(1, 10000) g" >/dev/null && it_pass "10,000 open cases inserted"
it_sql "analyze case_record" >/dev/null
login op1
# Ten requests each; min and median of curl's time_total.
for q in "limit=50" "limit=50&sort=severity" "limit=50&sort=opened" \
    "limit=50&opd=dishub" "limit=50&status=all" "limit=50&offset=9950" \
    "limit=500" "limit=50&q=Bulk%20complaint%20777"; do
	for i in 1 2 3 4 5 6 7 8 9 10; do
		curl -s -o "$B" -w '%{time_total}\n' -b "$IT_DIR/jar.op1" "$BASE/api/cases?$q"
	done | sort -n >"$IT_DIR/times"
	line="perf: GET /api/cases?$q total=$(jget .total) items=$(jget '.items | length') min=$(head -n 1 "$IT_DIR/times")s median=$(sed -n 5p "$IT_DIR/times")s"
	it_log "$line"
	echo "$line" >>"$IT_DIR/perf.txt"
done
it_assert_eq "$(jget .total)" 11 "the 10k list answers"
# The report screens over the same 10,000 open cases (median of five; the shift handover lists 1,000 open cases with their
# countdowns, leadership computes every case's deadlines).
for q in handover leadership "handover?from=$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)"; do
	for i in 1 2 3 4 5; do
		curl -s -o "$B" -w '%{time_total}\n' -b "$IT_DIR/jar.op1" "$BASE/api/$q"
	done | sort -n >"$IT_DIR/times"
	med=$(sed -n 3p "$IT_DIR/times")
	line="perf: GET /api/$q min=$(head -n 1 "$IT_DIR/times")s median=${med}s"
	it_log "$line"
	echo "$line" >>"$IT_DIR/perf.txt"
	it_assert_eq "$(jget '.error // "none"')" none "/api/$q answers with 10,000 open cases"
done
it_assert_eq "$(jget '.open | length')" 1000 "the handover lists 1,000 open cases"
it_assert_eq "$(jget '.open_total > 10000')" true "... of all the open ones"
it_sql "explain (analyze, costs off, timing off) select c from case_record c where c.status not in ('closed', 'rejected') order by c.due_at nulls last, c.id limit 50" >"$IT_DIR/plan.txt"
cat "$IT_DIR/plan.txt"
grep -q 'Index Scan using case_record_queue_idx' "$IT_DIR/plan.txt" && it_pass "the due-order page is an index scan" ||
    it_log "the due-order page is not an index scan (see the plan)"
cat "$IT_DIR/perf.txt"

# --- sign-in throttle: 5 failures per name or address in 15 min --------------
# Requests come from other loopback addresses (curl --interface) so that
# the per-name and the per-address limits are tested apart, and apart
# from this test's own failures from 127.0.0.1.
adduser brute1 operator
from() # ADDR USER PASSWORD: a sign-in from ADDR
{
	req - POST /api/login "{\"user\":\"$2\",\"password\":\"$3\"}" --interface "$1"
}
for i in 2 3 4 5 6; do from "127.0.0.$i" brute1 wrong-password; done
expect 401 "five wrong passwords for brute1, from five addresses"
from 127.0.0.7 brute1 "$PW"
expect 429 "the right password for brute1 after five failures"
grep -qi '^retry-after: [0-9]' "$H" && it_pass "429 carries Retry-After" || it_fail "no Retry-After: $(cat "$H")"
ra=$(awk 'tolower($1) == "retry-after:" { print $2 + 0 }' "$H")
it_assert_eq "$([ "$ra" -gt 800 ] && [ "$ra" -le 900 ] && echo yes)" yes "Retry-After is the rest of the 15 minutes ($ra s)"
T1=$(cat "$B")
from 127.0.0.8 ghost-user wrong-password
for i in 2 3 4 5; do from "127.0.0.9$i" ghost-user wrong-password; done
from 127.0.0.99 ghost-user wrong-password
expect 429 "an unknown name is throttled the same way"
it_assert_eq "$(cat "$B")" "$T1" "the same 429 answer for a known and an unknown name"
for i in 1 2 3 4 5; do from 127.0.0.10 "guess$i" wrong-password; done
from 127.0.0.10 op1 "$PW"
expect 429 "six names from one address: the sixth is throttled by address"
from 127.0.0.11 op1 "$PW"
expect 200 "the same user from another address signs in"
it_assert_eq "$(it_sql "select count(*) from console_audit where action = 'login_throttled' and user_name = 'brute1' and remote_addr = '127.0.0.7' and detail->>'by' = 'user'")" 1 "the throttled sign-in is audited with its reason"
it_assert_eq "$(it_sql "select count(*) from console_audit where action = 'login_throttled' and remote_addr = '127.0.0.10' and detail->>'by' like '%address%'")" 1 "the address throttle is audited"
it_assert_eq "$(it_sql "select count(*) from console_audit where action = 'login' and user_name = 'brute1'")" 0 "brute1 never got in"
# A throttled answer does no argon2id work (a verification takes tens of
# milliseconds and 64 MiB). Its time is logged, not asserted: this machine
# is shared.
read -r code t <<<"$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --interface 127.0.0.7 -H 'Content-Type: application/json' \
    --data-binary "{\"user\":\"brute1\",\"password\":\"x-$PW\"}" "$BASE/api/login")"
it_assert_eq "$code" 429 "brute1 is still throttled"
it_log "a throttled sign-in took ${t}s"

kill "$LIVE1" "$LIVE2" 2>/dev/null
it_kill "$CON_PID"
it_done
