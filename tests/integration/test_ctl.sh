#!/usr/bin/env bash
# simpulctl's database commands against a real Mosquitto, PostgreSQL and
# hub: migrate, health, events query/tail, dlq list/show/replay. Hostile
# arguments stay data (stored or matched exactly, never executed), usage
# errors exit 2, an unreachable PostgreSQL exits 3 with a plain message.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

CTL=$SIMPUL_BIN/simpulctl
OUT=$IT_DIR/ctl.out
ERR=$IT_DIR/ctl.err
DEAD_PG="host=127.0.0.1 port=1 dbname=simpul connect_timeout=5"

# ctl WANT MSG ARGS...: runs simpulctl ARGS (stdout in $OUT, stderr in
# $ERR) and asserts its exit status.
ctl()
{
	local want=$1 msg=$2 rc

	shift 2
	# "admin" may replay a dead letter onto any OPD's ingest topic.
	it_as admin "$CTL" "$@" >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = "$want" ]; then
		it_pass "$msg (exit $want)"
	else
		it_fail "$msg: exit $rc, expected $want; stderr: $(head -c 400 "$ERR")"
	fi
}

hub_conf hub1
hub_start hub1
loadgen_start load --count 300 --prefix ctl --bad all
loadgen_wait "$LOAD_PID" 120 && it_pass "loadgen published 300 events and the bad kinds"
it_sql_wait 60 "select count(*) from event" 300
it_sql_wait 60 "select count(*) from dead_letter" 7

# --- migrate ---------------------------------------------------------------
ctl 0 "migrate --status with everything applied" migrate --status
it_assert_grep "$OUT" "migrate --status lists 0001 as applied" -E '^ +0001_core\.sql +applied$'
it_assert_grep "$OUT" "migrate --status says up to date" 'schema is up to date'
ctl 0 "migrate --status --json" migrate --status --json
it_assert_grep "$OUT" "JSON lists 0001 as applied" '{"name": "0001_core.sql", "applied": true}'
it_assert_json "$OUT" "migrate --status --json"
ctl 0 "migrate when nothing is missing" migrate
it_assert_grep "$OUT" "migrate applied nothing" 'applied 0 migrations now; schema is up to date'

# --- health ----------------------------------------------------------------
ctl 0 "health with everything up" health
it_assert_grep "$OUT" "health says healthy" -x 'healthy'
it_assert_grep "$OUT" "health shows the hub's checkpoint" -E '^  hub1 +307 '
it_assert_grep "$OUT" "health counts the dead letters" 'dead letters   7 in the last 24 h'
ctl 0 "health --json" health --json
it_assert_grep "$OUT" "health JSON: healthy" '"healthy": true'
it_assert_grep "$OUT" "health JSON: instance hub1 at seq 307" '"instance": "hub1", "seq": 307'
it_assert_grep "$OUT" "health JSON: events of the last hour" '"events_last_hour": 300'
it_assert_grep "$OUT" "health JSON: schema dead letters" '"schema": 1'
it_assert_grep "$OUT" "health JSON: outbox empty" '"outbox": {"count": 0, "oldest_age_s": null}'
it_assert_json "$OUT" "health --json"
SIMPUL_MQTT_URI=tcp://127.0.0.1:1 ctl 1 "health with the broker unreachable" health --timeout 2s
it_assert_grep "$OUT" "health says why (broker)" 'broker unreachable: cannot connect to the broker'
SIMPUL_PG=$DEAD_PG ctl 1 "health with PostgreSQL unreachable" health
it_assert_grep "$OUT" "health says why (PostgreSQL)" 'PostgreSQL unreachable: connection to server'

# --- events query ----------------------------------------------------------
ctl 0 "events query --type gps.position --limit 5 --json" events query --type gps.position --limit 5 --json
it_assert_eq "$(grep -c '^{"id": "ctl-[0-9]*", "time": "[^"]*", "type": "gps.position", "opd": "dishub"' "$OUT")" 5 "five gps.position events"
it_assert_eq "$(grep -c '"type": ' "$OUT")" 5 "nothing else"
it_assert_json "$OUT" "events query --json"
ctl 0 "events query, human output" events query --type sp2d.issued --limit 3
it_assert_eq "$(wc -l <"$OUT")" 4 "a header and three lines"
it_assert_grep "$OUT" "the header says the times are UTC" '^TIME (UTC) '
it_assert_eq "$(grep -Ec '^20[0-9-]+T[0-9:.]+Z +sp2d\.issued +bpkad +[^ ]+ +ctl-[0-9]+ +\{"' "$OUT")" 3 "lines: time, type, opd, subject, id, data"
subj=$(it_sql "select subject from event where type = 'gps.position' and id like 'ctl-%' order by id limit 1")
want=$(it_sql "select count(*) from event where subject = '$subj'")
ctl 0 "events query --subject --opd" events query --subject "$subj" --opd dishub --json
it_assert_eq "$(grep -c "\"subject\": \"$subj\"" "$OUT")" "$want" "every event of subject $subj"
since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
ctl 0 "events query --since RFC3339 --limit 10000" events query --since "$since" --limit 10000 --json
it_assert_eq "$(grep -c '^{"id": ' "$OUT")" 300 "all 300 events since an hour ago"
ctl 0 "events query --until 1h (nothing that old)" events query --until 1h
it_assert_grep "$ERR" "says nothing matched" 'no events match'
TZ=Asia/Jakarta ctl 0 "events query --local" events query --limit 1 --local
it_assert_grep "$OUT" "--local prints WIB with its offset" -E '^20[0-9-]+T[0-9:.]+\+07:00 '

# --- events tail -----------------------------------------------------------
# Two tails: the default one, and one for JSON lines of one type.
it_spawn tail "$CTL" events tail --interval 200ms >/dev/null
tail_pid=$IT_LAST_PID
it_spawn tailj "$CTL" events tail --type gps.position --interval 300ms --json >/dev/null
tailj_pid=$IT_LAST_PID
it_wait_for 20 "the tails to follow" bash -c "[ \$(cat '$IT_DIR'/log/tail*.log | grep -c 'following new events') = 2 ]"
# A row inserted now but committed after the load below is stored and
# printed: its stored_at is older than rows the tails print before it.
it_spawn late psql -XAtq -c "begin" \
    -c "insert into event (id, time, topic, opd, source, type, subject, received_at, instance, data, attrs) values ('late-1', now(), 'karo/ev/dishub/gps/gps.alarm', 'dishub', '/karo/dishub/gps', 'gps.alarm', 'x', now(), 'test', '{\"alarm\": \"sos\", \"plate\": \"BK 1 LATE\", \"device_id\": \"1\", \"lat\": 3.1, \"lon\": 98.5, \"fix_time\": \"2026-11-27T00:00:00Z\"}', '{}')" \
    -c "select pg_sleep(4)" -c "commit" >/dev/null
sleep 1.5
it_as admin "$SIMPUL_BIN/simpul-loadgen" pub --uri "$SIMPUL_MQTT_URI" --count 40 --prefix tl \
    --mix gps.position=4,gps.alarm=1,complaint.created=1,sp2d.issued=1,simda.realization=1,permit.submitted=1 >/dev/null 2>&1
it_sql_wait 30 "select count(*) from event where id like 'tl-%'" 40
it_sql_wait 30 "select count(*) from event where id = 'late-1'" 1
it_assert_eq "$(it_sql "select (select max(stored_at) from event where id like 'tl-%') - (select stored_at from event where id = 'late-1') > interval '1 second'")" t "late-1 was stored over a second before the load"
sleep 3
for p in "$tail_pid" "$tailj_pid"; do
	kill -INT "$p"
	for _ in $(seq 50); do it_alive "$p" || break; sleep 0.1; done
	wait "$p"
	it_assert_eq "$?" 0 "events tail exits 0 on SIGINT"
done
TL=$IT_DIR/log/tail.log
it_assert_eq "$(grep -Ec ' tl-[0-9]+$' "$TL")" 40 "tail printed the 40 new events"
it_assert_eq "$(grep -Eo ' tl-[0-9]+$' "$TL" | sort | uniq -d | wc -l)" 0 "each once"
it_assert_eq "$(grep -c ' ctl-' "$TL")" 0 "and none of the events stored before it started"
it_assert_eq "$(grep -Ec '^[0-9:]{8}  gps\.alarm +dishub +ALARM sos  BK 1 LATE +late-1$' "$TL")" 1 "the late-committed row is printed once"
# Out of order for real: rows stored a second later were printed first.
first_tl=$(grep -nE ' tl-[0-9]+$' "$TL" | head -n 1 | cut -d: -f1)
late_line=$(grep -n ' late-1$' "$TL" | cut -d: -f1)
if [ "${first_tl:-0}" -gt 0 ] && [ "${late_line:-0}" -gt "${first_tl:-0}" ]; then
	it_pass "the late row was printed after newer rows (lines $first_tl, $late_line)"
else
	it_fail "the late row was not printed after newer rows (lines '$first_tl', '$late_line')"
fi
it_assert_grep "$TL" "tail has a header" -E '^TIME UTC +TYPE +OPD +SUMMARY +ID$'
it_assert_grep "$TL" "gps.position: plate, speed, position" -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}  gps\.position +dishub +BK [0-9]+ [A-Z]+ +[0-9.]+ km/h  [0-9.]+,[0-9.]+'
for t in sp2d.issued simda.realization permit.submitted complaint.created gps.alarm; do
	if [ "$(it_sql "select count(*) from event where id like 'tl-%' and type = '$t'")" -gt 0 ]; then
		case $t in
		sp2d.issued) re='sp2d\.issued +bpkad +[^ ]+/SP2D/[^ ]+  Rp [0-9]{1,3}(\.[0-9]{3})*  ' ;;
		simda.realization) re='simda\.realization +bpkad +[0-9.]+  [0-9]+\.[0-9]% \(Rp [0-9.]+ of Rp [0-9]' ;;
		permit.submitted) re='permit\.submitted +dpmptsp +SC-[0-9-]+  [A-Z]' ;;
		complaint.created) re='complaint\.created +diskominfo [a-z_]+: ' ;;
		gps.alarm) re='gps\.alarm +dishub +ALARM [a-z_]+  ' ;;
		esac
		it_assert_grep "$TL" "tail summarises $t" -E "$re"
	fi
done
ngps=$(it_sql "select count(*) from event where id like 'tl-%' and type = 'gps.position'")
it_assert_eq "$(grep -c '^{"id": "tl-[0-9]*", "time": "[^"]*", "type": "gps.position"' "$IT_DIR/log/tailj.log")" "$ngps" "tail --type gps.position --json: JSON lines of just those"
it_assert_eq "$(grep -c '^{' "$IT_DIR/log/tailj.log")" "$ngps" "and nothing else"

# --- dlq list / show -------------------------------------------------------
ctl 0 "dlq list" dlq list
for reason in invalid_json too_large envelope schema opd_mismatch unknown_type id_conflict; do
	it_assert_grep "$OUT" "dlq list shows $reason" -E "^[0-9]+ +[0-9T:.Z-]+ +$reason "
done
ctl 0 "dlq list --reason schema --json" dlq list --reason schema --json
it_assert_eq "$(grep -c '"reason": "schema"' "$OUT")" 1 "one schema dead letter"
it_assert_json "$OUT" "dlq list --json"
ctl 0 "dlq list --since 1h --pending" dlq list --since 1h --pending --json
it_assert_eq "$(grep -c '^{"id": ' "$OUT")" 7 "seven pending in the last hour"

sid=$(it_sql "select id from dead_letter where reason = 'schema'")
detail=$(it_sql "select detail from dead_letter where id = $sid")
ctl 0 "dlq show (schema)" dlq show "$sid"
it_assert_grep "$OUT" "dlq show prints the detail" -F "  detail        $detail"
it_assert_grep "$OUT" "dlq show prints the topic" -F '  topic         karo/ev/dishub/gps/gps.position'
it_assert_grep "$OUT" "dlq show prints the payload as text" -F '"id":"ctl-bad-schema"'
ctl 0 "dlq show --json" dlq show "$sid" --json
it_assert_grep "$OUT" "dlq show --json: utf-8 payload" '"payload_encoding": "utf-8", "payload": "{\\"specversion'
it_assert_json "$OUT" "dlq show --json"
"$CTL" dlq show "$sid" --raw >"$IT_DIR/raw" 2>"$ERR"
it_assert_eq "$(od -An -tx1 -v "$IT_DIR/raw" | tr -d ' \n')" "$(it_sql "select encode(payload, 'hex') from dead_letter where id = $sid")" "dlq show --raw writes the exact bytes"
big=$(it_sql "select id from dead_letter where reason = 'too_large'")
ctl 0 "dlq show of a 2 MB payload" dlq show "$big"
it_assert_grep "$OUT" "shows the start and says how much more" -E '^\.\.\. [0-9]+ more bytes \(--raw writes them all\)$'
"$CTL" dlq show "$big" --raw >"$IT_DIR/raw" 2>"$ERR"
it_assert_eq "$(wc -c <"$IT_DIR/raw")" "$(it_sql "select octet_length(payload) from dead_letter where id = $big")" "--raw writes all of it"
# Binary, and text with terminal escapes in it.
bid=$(it_sql "insert into dead_letter (received_at, instance, journal_seq, topic, reason, detail, payload) values (now(), 'test', 1, 'karo/ev/x/y/z', 'invalid_json', 'binary', '\\x00ff1b5b324a41'::bytea) returning id")
ctl 0 "dlq show of a binary payload" dlq show "$bid"
it_assert_grep "$OUT" "as a hex dump" -F '00000000  00 ff 1b 5b 32 4a 41'
ctl 0 "dlq show --json of a binary payload" dlq show "$bid" --json
it_assert_grep "$OUT" "as base64" '"payload_encoding": "base64", "payload": "AP8bWzJKQQ=="'
eid=$(it_sql "insert into dead_letter (received_at, instance, journal_seq, topic, reason, detail, payload) values (now(), 'test', 2, 'karo/ev/x/y/z', 'invalid_json', E'esc \\x1b[2J', convert_to(E'{\"x\":\"\\x1b[2J\"}', 'UTF8')) returning id")
ctl 0 "dlq show of a payload with an escape sequence" dlq show "$eid"
if grep -q $'\x1b' "$OUT"; then it_fail "an ESC byte reached the terminal"; else it_pass "no ESC byte reaches the terminal"; fi
it_assert_grep "$OUT" "it is shown escaped" -F '{"x":"\x1b[2J"}'
ctl 1 "dlq show of a missing id" dlq show 999999
it_assert_grep "$ERR" "says so" 'no dead letter 999999'

# --- dlq replay ------------------------------------------------------------
"$CTL" dlq show "$sid" --raw | sed 's/"lat":123\.000000/"lat":3.1/' >"$IT_DIR/fixed.json"
it_assert_grep "$IT_DIR/fixed.json" "the fixed payload has a valid latitude" '"lat":3.1,'
SUDO_USER= USER=operator1 ctl 0 "dlq replay with a fixed payload" dlq replay "$sid" --payload "$IT_DIR/fixed.json"
it_assert_grep "$OUT" "says it was acknowledged and marked" 'the broker acknowledged them; marked replayed at .* by operator1'
it_sql_wait 30 "select count(*) from event where id = 'ctl-bad-schema'" 1
it_assert_eq "$(it_sql "select replayed_by, replayed_at is not null from dead_letter where id = $sid")" "operator1|t" "the dead letter is marked replayed by \$USER"
ctl 1 "replaying it again without --force is refused" dlq replay "$sid" --payload "$IT_DIR/fixed.json"
it_assert_grep "$ERR" "says why" 'was already replayed at .* by operator1; --force replays it again'
actor="'; DROP TABLE dead_letter; -- "$'\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\x8b'
ctl 0 "dlq replay --force --actor HOSTILE" dlq replay "$sid" --payload "$IT_DIR/fixed.json" --force --actor "$actor" --json
it_assert_grep "$OUT" "replay --json" '"payload": "fixed"'
it_assert_eq "$(it_sql "select replayed_by from dead_letter where id = $sid")" "$actor" "the hostile actor is stored exactly"
# The stored payload, through the normal path: still unknown, a new dead letter.
uid=$(it_sql "select id from dead_letter where reason = 'unknown_type'")
ctl 0 "dlq replay of the stored payload" dlq replay "$uid" --actor tester
it_sql_wait 30 "select count(*) from dead_letter where reason = 'unknown_type'" 2
# The hub has handled the forced replay by now (it came first): a duplicate.
it_assert_eq "$(it_sql "select count(*) from event where id = 'ctl-bad-schema'")" 1 "a second replay is a duplicate for the hub"
it_assert_eq "$(it_sql "select count(*) from dead_letter where reason = 'schema'")" 1 "and no new dead letter"
# --topic puts an opd_mismatch where it belongs.
mid=$(it_sql "select id from dead_letter where reason = 'opd_mismatch'")
mt=$(it_sql "select 'karo/ev/' || (convert_from(payload, 'UTF8')::jsonb->>'opd') || '/' || split_part(topic, '/', 4) || '/' || (convert_from(payload, 'UTF8')::jsonb->>'type') from dead_letter where id = $mid")
ctl 0 "dlq replay --topic" dlq replay "$mid" --topic "$mt" --actor tester
it_sql_wait 30 "select count(*) from event where id = 'ctl-bad-opd_mismatch' and topic = '$mt'" 1
# A 1 MiB payload with SQL and odd UTF-8 in it goes out byte for byte (the
# hub keeps it whole as too_large).
{ head -c 786432 /dev/urandom | base64 -w 0; printf "'; DROP TABLE event; -- é😀"; } >"$IT_DIR/big.txt"
jid=$(it_sql "select id from dead_letter where reason = 'invalid_json' and instance = 'hub1'")
ctl 0 "dlq replay of a 1 MiB payload" dlq replay "$jid" --payload "$IT_DIR/big.txt" --actor tester
it_sql_wait 30 "select count(*) from dead_letter where reason = 'too_large'" 2
it_assert_eq "$(it_sql "select md5(payload) from dead_letter where reason = 'too_large' order by id desc limit 1")" "$(md5sum <"$IT_DIR/big.txt" | cut -d' ' -f1)" "stored exactly"
# Failures leave no mark.
eid2=$(it_sql "select id from dead_letter where reason = 'envelope'")
SIMPUL_MQTT_URI=tcp://127.0.0.1:1 ctl 3 "dlq replay with the broker down" dlq replay "$eid2" --timeout 2s
it_assert_grep "$ERR" "says it was not replayed" "dead letter $eid2 not replayed: cannot connect to the broker"
it_assert_eq "$(it_sql "select replayed_at is null from dead_letter where id = $eid2")" t "and it is not marked"
it_spawn locker psql -XAtq -c "begin" -c "select 1 from dead_letter where id = $eid2 for update" -c "select pg_sleep(4)" -c "commit" >/dev/null
sleep 1
ctl 1 "dlq replay of a dead letter another session holds" dlq replay "$eid2"
it_assert_grep "$ERR" "says it is in progress" 'is being replayed by another session right now'
ctl 1 "dlq replay of a missing id" dlq replay 999999

# --- hostile arguments -----------------------------------------------------
before=$(it_sql "select count(*) from event")
ctl 0 "events query --type HOSTILE" events query --type "'; DROP TABLE event; --"
it_assert_grep "$ERR" "matches nothing" 'no events match'
ctl 0 "events query --subject HOSTILE --json" events query --subject "x' OR '1'='1" --json
it_assert_eq "$(cat "$OUT")" "[]" "an empty JSON array"
ctl 0 "dlq list --reason HOSTILE" dlq list --reason "schema' OR 'a'='a"
ctl 0 "events query with odd UTF-8" events query --opd $'\xc3\xa9\xe2\x80\x8b\xf0\x9f\x98\x80\xe2\x80\xae' --subject $'\xf4\x8f\xbf\xbd'
it_assert_eq "$(it_sql "select count(*) from event")" "$before" "the event table still has its rows"
it_assert_eq "$(it_sql "select count(*) >= 7 from dead_letter")" t "the dead letters too"
ctl 2 "invalid UTF-8 is refused" events query --type $'gps\xff\xfe'
it_assert_grep "$ERR" "clearly" -- '--type is not valid UTF-8'
ctl 2 "a 100 kB argument is refused" events query --subject "$(head -c 100000 /dev/zero | tr '\0' a)"
it_assert_grep "$ERR" "clearly" -- '--subject is 100000 bytes long; at most 4096 are accepted'
ctl 2 "a topic with wildcards is refused" dlq replay "$sid" --topic 'karo/ev/#'

# --- usage errors ----------------------------------------------------------
ctl 2 "events without a subcommand" events
ctl 2 "events with an unknown subcommand" events list
ctl 2 "--limit 0" events query --limit 0
ctl 2 "--limit 10001" events query --limit 10001
ctl 2 "--since garbage" events query --since yesterday
ctl 2 "a query option for tail" events tail --limit 5
ctl 2 "--overlap not above --interval" events tail --interval 5s --overlap 2s
ctl 2 "an unknown option" events query --bogus
ctl 2 "a missing option value" events query --type
ctl 2 "dlq show without an id" dlq show
ctl 2 "dlq show with a bad id" dlq show 12abc
ctl 2 "dlq replay with two ids" dlq replay 1 2
ctl 2 "a show option for list" dlq list --raw
ctl 2 "--raw with --json" dlq show "$sid" --raw --json
ctl 2 "dlq replay --payload of a missing file" dlq replay "$eid2" --payload "$IT_DIR/nonexistent"
ctl 2 "health with a bad duration" health --max-outbox-age soon
ctl 2 "migrate with an argument" migrate now
ctl 2 "-c of a missing file" dlq list -c "$IT_DIR/nonexistent.conf"
for c in migrate health "events query" "dlq list"; do
	# shellcheck disable=SC2086
	ctl 0 "$c --help" $c --help
done

# --- PostgreSQL unreachable --------------------------------------------------
for c in "events query" "dlq list" "dlq show 1" "migrate --status" "events tail"; do
	# shellcheck disable=SC2086
	SIMPUL_PG=$DEAD_PG ctl 3 "$c with PostgreSQL unreachable" $c
	it_assert_grep "$ERR" "$c says so" 'cannot connect to PostgreSQL: connection to server at "127.0.0.1", port 1 failed'
done
# -c FILE is read ([postgres] conninfo), and SIMPUL_PG overrides it.
hub_conf ctlconf "[postgres]" "conninfo = $DEAD_PG"
env -u SIMPUL_PG "$CTL" dlq list -c "$IT_DIR/ctlconf.conf" >"$OUT" 2>"$ERR"
it_assert_eq "$?" 3 "-c FILE: its conninfo is used"
it_assert_grep "$ERR" "and fails plainly" 'cannot connect to PostgreSQL: connection to server at "127.0.0.1", port 1 failed'
ctl 0 "-c FILE: SIMPUL_PG overrides it" dlq list -c "$IT_DIR/ctlconf.conf"

# --- events tail across a PostgreSQL restart ----------------------------------
it_spawn tailr "$CTL" events tail --interval 200ms >/dev/null
tailr_pid=$IT_LAST_PID
it_wait_for 20 "the tail to follow" grep -q 'following new events' "$IT_DIR/log/tailr.log"
"$IT_STACK" pg-stop "$IT_DIR" >/dev/null 2>&1 || it_fail "pg-stop"
sleep 1
it_as admin "$SIMPUL_BIN/simpul-loadgen" pub --uri "$SIMPUL_MQTT_URI" --count 10 --prefix rs >/dev/null 2>&1
"$IT_STACK" pg-start "$IT_DIR" >/dev/null 2>&1 || it_fail "pg-start"
it_sql_wait 90 "select count(*) from event where id like 'rs-%'" 10
sleep 2
kill -INT "$tailr_pid"
for _ in $(seq 50); do it_alive "$tailr_pid" || break; sleep 0.1; done
wait "$tailr_pid"
it_assert_eq "$?" 0 "the tail exits 0 after the restart"
it_assert_grep "$IT_DIR/log/tailr.log" "the tail noticed the outage" 'lost the connection to PostgreSQL; retrying every 200 ms'
it_assert_grep "$IT_DIR/log/tailr.log" "and reconnected" 'connected to PostgreSQL again'
it_assert_eq "$(grep -Ec ' rs-[0-9]+$' "$IT_DIR/log/tailr.log")" 10 "and printed what was stored meanwhile"

# --- an outbox that does not drain ---------------------------------------------
it_kill "$HUB_PID" TERM
it_sql "insert into outbox (created_at, topic, payload) values (now() - interval '5 minutes', 'karo/test', 'x')"
ctl 1 "health with a stale outbox and no hub" health
it_assert_grep "$OUT" "says the outbox is not draining" 'the outbox is not draining: its oldest row is 3[0-9][0-9]\.[0-9] s old (limit 60\.0 s)'
ctl 0 "health --max-outbox-age 10m" health --max-outbox-age 10m
it_done
