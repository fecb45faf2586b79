#!/usr/bin/env bash
# Cases and escalation end to end, through a real Mosquitto, PostgreSQL and
# hub ([cases] escalation_interval = 200ms), with the rules of
# tests/data/rules-e2e/escalation.yaml:
#
#  - a complaint whose time is 6+ working days ago opens a case whose
#    verify deadline has long passed: the hub escalates it at once to level
#    1, the next levels fall due a working day apart (forced here) up to the
#    Bupati (case_escalation rows with the due dates from simpul_deadline(), alert rows with source 'escalation',
#    messages on karo/alert/<severity>/dpupr);
#  - a holiday inside the verify window, added before the complaint
#    arrives, moves the deadline one working day later;
#  - outbox rows committed while the broker is down survive a SIGKILL of
#    the hub and are published after the restart, every one of them;
#  - a broker restart under a running relay: it reconnects and publishes
#    every routed copy.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

CTL=$SIMPUL_BIN/simpulctl
LG=$SIMPUL_BIN/simpul-loadgen
STACK=$SIMPUL_SRC/deploy/stack
SUB=$IT_DIR/log/alerts.log
ADU_TOPIC=karo/ev/diskominfo/pengaduan/complaint.created

command -v jq >/dev/null || it_die "jq is needed (apt-get install jq)"

"$CTL" migrate >"$IT_DIR/migrate.out" 2>&1 || it_die "simpulctl migrate failed: $(cat "$IT_DIR/migrate.out")"
"$CTL" rules apply "$SIMPUL_SRC/tests/data/rules-e2e/escalation.yaml" --actor tester >"$IT_DIR/apply.out" 2>&1 ||
    it_die "rules apply failed: $(cat "$IT_DIR/apply.out")"

hub_conf hub1 '[cases]' 'escalation_interval = 200ms' '[postgres]' 'reconnect_max = 1s'
hub_start hub1

it_spawn alerts it_as operator mosquitto_sub -q 1 -v -t 'karo/alert/+/dpupr' -t 'karo/case/#' -t 'karo/feed/probe' >/dev/null
it_wait_for 10 "the alert subscriber" bash -c \
    "XDG_CONFIG_HOME='$(it_mqtt_dir hub)' mosquitto_pub -q 1 -t karo/feed/probe -m probe; sleep 0.2; grep -q '^karo/feed/probe ' '$SUB'"

# -------------------------------------------- a complaint 6+ working days old
# The smallest whole number of days back that is at least 6 working days
# (whatever today's weekday and the holidays), with an hour to spare.
days=$(it_sql "select min(d) from generate_series(8, 60) d
    where simpul_deadline(now() - d * interval '1 day', '6wd') <= now() - interval '1 hour'")
it_log "publishing a complaint dated $days days ago"
"$LG" pub --dump --count 1 --mix complaint.created=1 --prefix x --time-offset-days "$days" |
    jq -c '.id = "esc-old" | .data.complaint_id = "ADU-E2E-OLD"' >"$IT_DIR/old.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -f "$IT_DIR/old.json"

KEY=pengaduan:ADU-E2E-OLD
it_sql_wait 20 "select count(*) from case_record where case_key = '$KEY'" 1
# The verify deadline (3 working days after the event) passed long ago:
# level 1 at once. The next level falls due one working day after that
# escalation, not after the old deadline, so a complaint that arrives late
# does not reach the Bupati within seconds.
it_sql_wait 20 "select escalation_level from case_record where case_key = '$KEY'" 1
CASE=$(it_sql "select id from case_record where case_key = '$KEY'")
HID=$(it_sql "select human_id from case_record where id = $CASE")
it_assert_eq "$(it_sql "select opened_at = (select time from event where id = 'esc-old') and clock_started_at = opened_at
    from case_record where id = $CASE")" t "the case's clock started at the event's time"
it_assert_eq "$(it_sql "select '1 ' || simpul_deadline(time, '3wd') from event where id = 'esc-old'")" \
    "$(it_sql "select string_agg(level || ' ' || due_at, ',') from case_escalation where case_id = $CASE")" \
    "case_escalation: level 1 for the verify deadline, event time + 3wd by simpul_deadline()"
it_assert_eq "$(it_sql "select c.due_at = simpul_deadline(x.escalated_at, '1wd')
    from case_record c join case_escalation x on x.case_id = c.id and x.level = 1 where c.id = $CASE")" t \
    "the next level falls due one working day after the escalation"
ms=$(it_sql "select round(extract(epoch from min(x.escalated_at) - e.stored_at) * 1000)
    from case_escalation x, event e where x.case_id = $CASE and x.level = 1 and e.id = 'esc-old' group by e.stored_at")
it_log "level 1 escalation ${ms} ms after the event was stored"
it_assert_eq "$([ "$ms" -lt 2000 ] && echo yes)" yes "escalated at once (level 1 ${ms} ms after the event was stored; scans every 200 ms)"

# Levels 2 and 3: let each next deadline pass (move it into the past).
for lvl in 2 3; do
	it_sql "update case_record set due_at = now() - interval '1 second' where id = $CASE" >/dev/null
	it_sql_wait 20 "select escalation_level from case_record where id = $CASE" "$lvl"
done
it_assert_eq "$(it_sql "select status || ' ' || opd || ' ' || due_at from case_record where id = $CASE")" \
    "new dpupr infinity" "after the Bupati the clock stops: still new, due_at infinity"
it_assert_eq "$(it_sql "select string_agg(level::text, ',' order by level) from case_escalation where case_id = $CASE")" \
    "1,2,3" "one case_escalation row per level"
it_assert_eq "$(it_sql "select string_agg(distinct deadline_kind || ' ' || escalated_by, ',') from case_escalation where case_id = $CASE")" \
    "verify hub1" "escalated by hub1 on the verify clock"
it_assert_eq "$(it_sql "select string_agg(severity || ' ' || opd || ' ' || source, ',' order by id) from alert where case_id = $CASE")" \
    "minor dpupr escalation,major dpupr escalation,critical dpupr escalation" \
    "three alert rows with source 'escalation': minor, then major, then critical"
it_assert_eq "$(it_sql "select count(*) from case_history where case_id = $CASE and action = 'escalate' and actor = 'system:hub1'")" 3 \
    "three escalate steps in case_history"
it_sql_wait 20 "select count(*) from outbox" 0
# count_msgs TOPIC-REGEX JQ-FILTER: messages on matching topics whose
# payload passes the filter.
count_msgs()
{
	grep -E "^$1 " "$SUB" | cut -d' ' -f2- | jq -c "select($2)" 2>/dev/null | wc -l
}
it_wait_for 10 "three escalation messages" bash -c "[ \$(grep -c '^karo/alert/.*$HID' '$SUB') -ge 3 ]"
got=$(grep -E '^karo/alert/[a-z]+/dpupr ' "$SUB" | while read -r topic json; do
	jq -r --arg t "$topic" 'select(.kind == "escalation") | "\($t) \(.case_id) \(.level) \(.level_name)"' <<<"$json"
done | paste -sd, -)
it_assert_eq "$got" "karo/alert/minor/dpupr $HID 1 opd_head,karo/alert/major/dpupr $HID 2 supervisor,karo/alert/critical/dpupr $HID 3 bupati" \
    "one message per level on karo/alert/<severity>/dpupr"
it_assert_eq "$(count_msgs "karo/case/dpupr/$HID" '.action == "escalate"')" 3 "three case messages with action escalate"
it_assert_eq "$(count_msgs "karo/case/dpupr/$HID" '.action == "escalate" and .escalation_level == 3 and .due_at == "infinity"')" 1 \
    "the last one says level 3, due_at infinity"

# ---------------------------------------------------- a holiday in the window
# The complaint is dated now; the holiday is the first working day after
# its (WIB) date, which the 3-working-day count would otherwise use.
T=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
base=$(it_sql "select simpul_deadline('$T', '3wd')")
hday=$(it_sql "select simpul_next_workday(((timestamptz '$T' + interval '7 hours') at time zone 'UTC')::date)")
it_sql "insert into holiday (day, name) values ('$hday', 'Libur uji eskalasi')"
it_log "event time $T, deadline without the holiday $base, holiday on $hday"
"$LG" pub --dump --count 1 --mix complaint.created=1 --prefix x |
    jq -c --arg t "$T" '.id = "esc-hol" | .time = $t | .data.complaint_id = "ADU-E2E-HOL"' >"$IT_DIR/hol.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -f "$IT_DIR/hol.json"
it_sql_wait 20 "select count(*) from case_record where case_key = 'pengaduan:ADU-E2E-HOL'" 1
it_assert_eq "$(it_sql "select due_at = simpul_deadline(timestamptz '$base', '1wd') from case_record where case_key = 'pengaduan:ADU-E2E-HOL'")" t \
    "the holiday moves the verify deadline one working day later than $base"
it_assert_eq "$(it_sql "select due_at > timestamptz '$base' and due_at = simpul_deadline('$T', '3wd') from case_record where case_key = 'pengaduan:ADU-E2E-HOL'")" t \
    "the stored deadline is the calendar's, later than without the holiday"
it_assert_eq "$(it_sql "select deadline_kind || ' ' || escalation_level from case_record where case_key = 'pengaduan:ADU-E2E-HOL'")" "verify 0" \
    "a complaint dated now is not escalated"

# feed_sub NAME N: a subscriber with a persistent session (client id
# esc-NAME-sub) that counts N distinct copies on karo/feed/crash; FEEDSUB is
# its PID. feed_sub_check NAME N MSG: it got all N.
feed_sub()
{
	it_spawn "$1sub" it_as operator "$LG" sub --uri "$SIMPUL_MQTT_URI" --topic karo/feed/crash --qos 1 \
	    --client-id "esc-$1-sub" --session-expiry 3600 --count "$2" --distinct \
	    --timeout-s 180 --ready-file "$IT_DIR/$1sub.ready" >/dev/null
	FEEDSUB=$IT_LAST_PID
	it_wait_for 10 "the persistent subscriber" test -f "$IT_DIR/$1sub.ready"
}

feed_sub_check()
{
	local line

	loadgen_wait "$FEEDSUB" 120 && it_pass "the persistent subscriber got $2 distinct copies"
	line=$(grep -E '^received=' "$IT_DIR/log/$1sub.log" | tail -n 1)
	it_log "subscriber: $line"
	it_assert_eq "$(sed -n 's/.*distinct=\([0-9]*\).*/\1/p' <<<"$line")" "$2" "$3 ($line)"
}

# ------------------------------------------ SIGKILL between commit and publish
# PostgreSQL down: the hub journals and acknowledges the positions but
# cannot commit them. Then the broker goes down and PostgreSQL comes back:
# the hub commits the events and their outbox rows, which the relay cannot
# publish. SIGKILL the hub, start the broker and the hub: the relay must
# publish every row. A subscriber with a persistent session counts them.
N=200
feed_sub crash "$N"

"$STACK" pg-stop "$IT_DIR" >/dev/null && it_pass "PostgreSQL stopped"
it_as admin "$LG" pub --uri "$SIMPUL_MQTT_URI" --count "$N" --mix gps.position=1 --prefix crash --quiet >"$IT_DIR/crashpub.out" 2>&1
it_assert_eq "$?" 0 "$N positions published and acknowledged by the broker"
# Every one is in the hub's journal (so the hub acknowledged it) before the
# broker goes.
it_wait_for 30 "$N positions in the hub's journal" bash -c \
    "[ \$(cat '$IT_DIR'/hub1-journal/* 2>/dev/null | grep -ao '\"id\":\"crash-[0-9]*\"' | sort -u | wc -l) -eq $N ]"
"$STACK" mqtt-stop "$IT_DIR" >/dev/null && it_pass "Mosquitto stopped"
"$STACK" pg-start "$IT_DIR" >/dev/null && it_pass "PostgreSQL started"
it_sql_wait 60 "select count(*) from event where id like 'crash-%'" "$N"
it_sql_wait 30 "select count(*) from outbox_message where topic = 'karo/feed/crash'" "$N"
sleep 1
it_assert_eq "$(it_sql "select count(*) from outbox_message where topic = 'karo/feed/crash'")" "$N" \
    "$N routed copies committed and waiting in the outbox (the broker is down)"
it_kill "$HUB_PID" KILL && it_pass "hub killed with SIGKILL"
"$STACK" mqtt-start "$IT_DIR" >/dev/null && it_pass "Mosquitto started"
hub_start hub1
it_sql_wait 60 "select count(*) from outbox" 0
feed_sub_check crash "$N" "every outbox row was published after the restart"
assert_exact_ids crash "$N" "positions across the crash"

# ------------------------------------ the broker restarts under a running relay
# The relay has its own broker connection (hub/relaylink.h). Positions
# arrive at 100/s; the broker is stopped in the middle and started again:
# the relay notices, reconnects and publishes every routed copy, which a
# persistent subscriber counts.
N=400
feed_sub bounce "$N"
it_wait_for 20 "the relay connected" grep -q 'relay: connected' "$IT_DIR/log/hub1.log"
logged=$(wc -l <"$IT_DIR/log/hub1.log")
loadgen_start load-bounce --count "$N" --rate 100 --mix gps.position=1 --prefix bounce
sleep 2
"$STACK" mqtt-stop "$IT_DIR" >/dev/null && it_pass "Mosquitto stopped"
sleep 2
"$STACK" mqtt-start "$IT_DIR" >/dev/null && it_pass "Mosquitto started"
loadgen_wait "$LOAD_PID" 120 && it_pass "$N positions published across the broker restart"
it_sql_wait 60 "select count(*) from event where id like 'bounce-%'" "$N"
it_sql_wait 60 "select count(*) from outbox" 0
feed_sub_check bounce "$N" "every routed copy was published"
tail -n +"$((logged + 1))" "$IT_DIR/log/hub1.log" >"$IT_DIR/bounce-hub.log"
it_assert_grep "$IT_DIR/bounce-hub.log" "the relay saw its connection end" -e 'relay: connection lost' -e 'relay: cannot connect'
it_assert_grep "$IT_DIR/bounce-hub.log" "... and connected again" 'relay: connected'
it_done
