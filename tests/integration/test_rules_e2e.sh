#!/usr/bin/env bash
# Routing rules end to end, through a real Mosquitto, PostgreSQL and hub,
# with the rule files in tests/data/rules-e2e/:
#
#  - an overspeed position raises an alert (row and message) and a copy on
#    the overspeed feed; a slow one does neither;
#  - a complaint's copy in an OPD inbox has no reporter contact, the
#    operator feed's copy has it masked, the stored event keeps it;
#  - a rule with 'stop' hides the event from the catch-all below it;
#  - `simpulctl rules test` predicts exactly what the hub published;
#  - a rule set changed with `simpulctl rules apply` takes effect in the
#    running hub within 1 s, with every event routed exactly once across
#    the change, and `simpulctl rules history` names who changed it.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

CTL=$SIMPUL_BIN/simpulctl
LG=$SIMPUL_BIN/simpul-loadgen
RULES=$SIMPUL_SRC/tests/data/rules-e2e
SUB=$IT_DIR/log/sub.log
POS_TOPIC=karo/ev/dishub/gps/gps.position
ADU_TOPIC=karo/ev/diskominfo/pengaduan/complaint.created

command -v jq >/dev/null || it_die "jq is needed (apt-get install jq)"

now_ms()
{
	date +%s%3N
}

# seen TOPIC ID: how many messages on TOPIC the subscriber got whose
# payload names event ID ("id" of a routed copy, "event_id" of an alert).
seen()
{
	awk -v t="$1" '$1 == t { sub(/^[^ ]* /, ""); print }' "$SUB" |
	    jq -r --arg id "$2" 'select(.id == $id or .event_id == $id) | 1' 2>/dev/null |
	    wc -l
}

# payload TOPIC ID: the last payload on TOPIC for event ID.
payload()
{
	awk -v t="$1" '$1 == t { sub(/^[^ ]* /, ""); print }' "$SUB" |
	    jq -c --arg id "$2" 'select(.id == $id)' 2>/dev/null | tail -n 1
}

# sub_pairs [IDFILE]: "topic event-id" of every rule output the subscriber
# got (routed copies and alerts; not the probe, not case messages), sorted;
# only for the ids listed in IDFILE if given.
sub_pairs()
{
	grep -E '^karo/(feed|opd|alert)/' "$SUB" | grep -v '^karo/feed/probe ' |
	    while read -r topic json; do
		printf '%s %s\n' "$topic" "$(jq -r '.event_id // .id' <<<"$json")"
	    done | { if [ $# -gt 0 ]; then awk 'NR == FNR { ids[$1]; next } $2 in ids' "$1" -; else cat; fi; } | sort
}

# test_pairs FILE: the same from `simpulctl rules test --json` output.
test_pairs()
{
	jq -r '.outputs[] | select(.action == "publish") | "\(.topic) \(.event_id)"' "$1" | sort
}

"$CTL" migrate >"$IT_DIR/migrate.out" 2>&1 || it_die "simpulctl migrate failed: $(cat "$IT_DIR/migrate.out")"
"$CTL" rules apply "$RULES/base.yaml" --actor tester >"$IT_DIR/apply1.out" 2>&1
it_assert_eq "$?" 0 "rules apply base.yaml"
it_assert_ok "five rules created by tester" grep -q 'applied .*: 5 created, 0 updated, 0 disabled, 0 unchanged (actor tester)' "$IT_DIR/apply1.out"

hub_conf hub1
hub_start hub1
it_assert_ok "the hub loaded the five rules" grep -q 'rules: loaded rules=5 left_out=0' "$IT_DIR/log/hub1.log"

# The subscriber sees everything the rules publish. A probe proves its
# subscription is in place before anything is published.
it_spawn sub it_as admin mosquitto_sub -q 1 -v \
    -t 'karo/feed/#' -t 'karo/opd/#' -t 'karo/alert/#' -t 'karo/case/#' >/dev/null
it_wait_for 10 "the subscriber" bash -c \
    "XDG_CONFIG_HOME='$(it_mqtt_dir hub)' mosquitto_pub -q 1 -t karo/feed/probe -m probe; sleep 0.2; grep -q '^karo/feed/probe ' '$SUB'"

# ---------------------------------------------------------------- overspeed
"$LG" pub --dump --count 2 --mix gps.position=1 --prefix x >"$IT_DIR/pos.jsonl"
jq -c '.id = "e2e-fast" | .data.speed_kmh = 95 | .data.valid = true' <(sed -n 1p "$IT_DIR/pos.jsonl") >"$IT_DIR/fast.json"
jq -c '.id = "e2e-slow" | .data.speed_kmh = 40 | .data.valid = true' <(sed -n 2p "$IT_DIR/pos.jsonl") >"$IT_DIR/slow.json"
it_as adapter-dishub mosquitto_pub -q 1 -t "$POS_TOPIC" -f "$IT_DIR/fast.json"
it_as adapter-dishub mosquitto_pub -q 1 -t "$POS_TOPIC" -f "$IT_DIR/slow.json"

# ------------------------------------------------------ redaction and stop
"$LG" pub --dump --count 2 --mix complaint.created=1 --prefix x >"$IT_DIR/adu.jsonl"
jq -c '.id = "e2e-jalan" | .data.category = "jalan_rusak"
    | .data.reporter = {"name": "Budi Ginting", "contact": "081234567890", "anonymous": false}' \
    <(sed -n 1p "$IT_DIR/adu.jsonl") >"$IT_DIR/jalan.json"
jq -c '.id = "e2e-lain" | .data.category = "lain-lain"
    | .data.reporter = {"name": "Sinta br Tarigan", "contact": "081298765432", "anonymous": false}' \
    <(sed -n 2p "$IT_DIR/adu.jsonl") >"$IT_DIR/lain.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -f "$IT_DIR/jalan.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -f "$IT_DIR/lain.json"

it_sql_wait 30 "select count(*) from event where id like 'e2e-%'" 4
it_sql_wait 30 "select count(*) from outbox" 0
# The relay publishes in outbox order; the last output of the last event
# being there means every earlier one is too. Wait for the feed copy of
# e2e-lain and the alert it raises.
it_wait_for 10 "the outputs of e2e-lain" bash -c \
    "grep -q '^karo/alert/minor/diskominfo .*e2e-lain' '$SUB'"

it_assert_eq "$(it_sql "select severity || ' ' || opd || ' ' || source from alert where event_id = 'e2e-fast'")" \
    "major dishub rule:kendaraan-overspeed" "95 km/h: one alert row, major, for dishub, from the overspeed rule"
it_assert_eq "$(it_sql "select message from alert where event_id = 'e2e-fast'")" \
    "Kendaraan $(jq -r .data.plate "$IT_DIR/fast.json") melaju 95 km/jam" "95 km/h: the alert message is rendered from the event"
it_assert_eq "$(seen karo/alert/major/dishub e2e-fast)" 1 "95 km/h: one message on karo/alert/major/dishub"
it_assert_eq "$(seen karo/feed/overspeed e2e-fast)" 1 "95 km/h: one copy on karo/feed/overspeed"
it_assert_eq "$(payload karo/feed/overspeed e2e-fast | jq -S .)" "$(jq -S . "$IT_DIR/fast.json")" "95 km/h: the feed copy is the event as published"
it_assert_eq "$(seen karo/feed/posisi-v1 e2e-slow)" 1 "40 km/h: routed by the all-positions rule (so it was processed)"
it_assert_eq "$(it_sql "select count(*) from alert where event_id = 'e2e-slow'")" 0 "40 km/h: no alert row"
it_assert_eq "$(seen karo/feed/overspeed e2e-slow)" 0 "40 km/h: no copy on the overspeed feed"
it_assert_eq "$(grep -c '^karo/alert/.*e2e-slow' "$SUB")" 0 "40 km/h: no alert message"

inbox=$(payload karo/opd/dpupr/inbox/complaint.created e2e-jalan)
it_assert_ne "$inbox" "" "road complaint: copied to the dpupr inbox"
it_assert_eq "$(jq '.data.reporter | has("contact")' <<<"$inbox")" false "road complaint: the inbox copy has no reporter contact"
it_assert_eq "$(jq -S 'del(.data.reporter.contact)' <<<"$inbox")" "$(jq -S 'del(.data.reporter.contact)' "$IT_DIR/jalan.json")" \
    "road complaint: the inbox copy is otherwise the event as published"
it_assert_eq "$(payload karo/feed/pengaduan e2e-jalan | jq -r .data.reporter.contact)" "0812****7890" "road complaint: the operator feed has the contact masked"
it_assert_eq "$(payload karo/feed/pengaduan e2e-lain | jq -r .data.reporter.contact)" "0812****5432" "other complaint: the operator feed has the contact masked"
it_assert_eq "$(it_sql "select data->'reporter'->>'contact' from event where id = 'e2e-jalan'")" 081234567890 "road complaint: the stored event keeps the contact"
it_assert_eq "$(grep -c '081234567890' "$SUB")" 0 "road complaint: the contact was published nowhere"
it_assert_eq "$(it_sql "select opd || ' ' || policy || ' ' || status from case_record where case_key = 'pengaduan:' || '$(jq -r .data.complaint_id "$IT_DIR/jalan.json")'")" \
    "dpupr complaint new" "road complaint: a case for dpupr"

it_assert_eq "$(seen karo/feed/pengaduan-lainnya e2e-jalan)" 0 "stop: the catch-all did not route the road complaint"
it_assert_eq "$(it_sql "select count(*) from alert where event_id = 'e2e-jalan'")" 0 "stop: the catch-all raised no alert for it"
it_assert_eq "$(seen karo/feed/pengaduan-lainnya e2e-lain)" 1 "catch-all: routed the complaint no category rule took"
it_assert_eq "$(it_sql "select source from alert where event_id = 'e2e-lain'")" rule:pengaduan-lainnya "catch-all: alert row for it"
it_assert_eq "$(seen karo/opd/dpupr/inbox/complaint.created e2e-lain)" 0 "catch-all: that complaint is in no inbox"
it_assert_eq "$(it_sql "select count(*) from case_record")" 1 "one case in all"

# ------------------------------------------- rules test predicts the hub
"$CTL" rules test "$RULES/base.yaml" --since 1h --json >"$IT_DIR/test1.json" 2>"$IT_DIR/test1.err"
it_assert_eq "$?" 0 "rules test base.yaml --since 1h --json"
it_assert_eq "$(jq .events "$IT_DIR/test1.json")" "$(it_sql "select count(*) from event")" "rules test read every stored event"
it_assert_eq "$(jq .published "$IT_DIR/test1.json")" "$(sub_pairs | wc -l)" "rules test: as many publishes as the hub made"
it_assert_eq "$(jq .alerts "$IT_DIR/test1.json")" "$(it_sql "select count(*) from alert")" "rules test: as many alerts as rows in alert"
it_assert_eq "$(jq .cases "$IT_DIR/test1.json")" "$(it_sql "select sum(event_count) from case_record")" "rules test: as many case openings as the hub made"
if [ "$(test_pairs "$IT_DIR/test1.json")" = "$(sub_pairs)" ]; then
	it_pass "rules test: the same (topic, event) pairs as the hub published"
else
	it_fail "rules test: the pairs differ: $(diff <(test_pairs "$IT_DIR/test1.json") <(sub_pairs) | head -20)"
fi
it_assert_eq "$(jq -r '[.outputs[] | select(.action == "alert") | "\(.rule) \(.event_id) \(.severity) \(.opd) \(.message)"] | sort | join("|")' "$IT_DIR/test1.json")" \
    "$(it_sql "select string_agg(substr(source, 6) || ' ' || event_id || ' ' || severity || ' ' || opd || ' ' || message, '|' order by substr(source, 6) || ' ' || event_id || ' ' || severity || ' ' || opd || ' ' || message collate \"C\") from alert")" \
    "rules test: the same alerts, with the same messages"

# ------------------------------------------------ a change in a running hub
# Positions every 100 ms (ids rl-0..rl-79, event time = when each was
# handed to the client); after about 30 are stored, posisi-semua moves from
# karo/feed/posisi-v1 to posisi-v2 and the overspeed threshold from 80 to
# 120 km/h.
RL=80
loadgen_start rl --count "$RL" --rate 10 --mix gps.position=1 --prefix rl --quiet
it_sql_wait 30 "select count(*) >= 30 from event where id like 'rl-%'" t
t0=$(now_ms)
"$CTL" rules apply "$RULES/changed.yaml" --actor rina >"$IT_DIR/apply2.out" 2>&1
rc=$?
t1=$(now_ms)
it_assert_eq "$rc" 0 "rules apply changed.yaml while the hub runs (took $((t1 - t0)) ms)"
it_assert_ok "two rules updated by rina" grep -q 'applied .*: 0 created, 2 updated, 0 disabled, 3 unchanged (actor rina)' "$IT_DIR/apply2.out"
loadgen_wait "$LOAD_PID" 60 && it_pass "loadgen published $RL positions, every one acknowledged"
assert_exact_ids rl "$RL" "positions across the change"
it_sql_wait 30 "select count(*) from outbox" 0
it_wait_for 10 "a copy of every position" bash -c \
    "[ \$(grep -cE '^karo/feed/posisi-v[12] .*\"id\":\"rl-' '$SUB') -ge $RL ]"
it_assert_eq "$(grep -c 'rules: loaded rules=5 left_out=0' "$IT_DIR/log/hub1.log")" 2 "the hub reloaded its five rules once"

awk '$1 ~ /^karo\/feed\/posisi-v[12]$/ { t = substr($1, length($1) - 1); sub(/^[^ ]* /, ""); print t "\t" $0 }' "$SUB" |
    while IFS=$'\t' read -r feed json; do
	id=$(jq -r .id <<<"$json")
	case $id in rl-*) printf '%s\t%s\n' "$feed" "$id" ;; esac
    done >"$IT_DIR/rl-seen.tsv"
it_sql "create table test_rl_seen (feed text, id text)"
it_sql "\\copy test_rl_seen from '$IT_DIR/rl-seen.tsv'"
it_sql "create view test_rl as select s.feed, s.id, substr(s.id, 4)::int as n,
    (extract(epoch from e.time) * 1000)::bigint as ms, e.data
    from test_rl_seen s join event e using (id)"

it_assert_eq "$(it_sql "select count(*) from generate_series(0, $RL - 1) g
    where (select count(*) from test_rl_seen where id = 'rl-' || g) <> 1")" 0 \
    "no position lost or routed twice across the change (each of $RL routed exactly once)"
it_assert_eq "$(it_sql "select count(*) from test_rl_seen")" "$RL" "exactly $RL routed copies"
read -r n1 n2 <<<"$(it_sql "select count(*) filter (where feed = 'v1'), count(*) filter (where feed = 'v2') from test_rl" | tr '|' ' ')"
it_log "routed by the old rule: $n1, by the new one: $n2"
it_assert_eq "$([ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && echo yes)" yes "the change came in the middle of the load (old: $n1, new: $n2)"
it_assert_eq "$(it_sql "select max(n) filter (where feed = 'v1') < min(n) filter (where feed = 'v2') from test_rl")" t \
    "a clean switch: no position routed the old way after one routed the new way"
read -r last_old first_new <<<"$(it_sql "select max(ms) filter (where feed = 'v1') - $t1, min(ms) filter (where feed = 'v2') - $t1 from test_rl" | tr '|' ' ')"
it_assert_eq "$([ "$last_old" -lt 1000 ] && echo yes)" yes "no position published 1 s or more after the apply went the old way (last at ${last_old} ms)"
it_assert_eq "$([ "$first_new" -lt 1000 ] && echo yes)" yes "the new route took effect within 1 s of the apply (first new-way position published at ${first_new} ms)"
printf '# reload: apply took %d ms; relative to its return, the last position routed the old way was published at %+d ms, the first routed the new way at %+d ms\n' \
    "$((t1 - t0))" "$last_old" "$first_new"
it_assert_eq "$(it_sql "select count(*) from test_rl r
    where exists (select 1 from alert a where a.event_id = r.id and a.source = 'rule:kendaraan-overspeed')
      <> ((r.data->>'speed_kmh')::numeric > case r.feed when 'v1' then 80 else 120 end
          and (r.data->>'valid')::boolean)")" 0 \
    "each position raised an overspeed alert exactly when the rule set that routed it says so (80 before, 120 after)"
it_log "overspeed alerts during the change: $(it_sql "select count(*) from alert where event_id like 'rl-%'")"
it_assert_eq "$(grep -c '^karo/feed/overspeed .*"id":"rl-' "$SUB")" "$(it_sql "select count(*) from alert where event_id like 'rl-%'")" \
    "one overspeed copy per overspeed alert"

# The new threshold, deterministically: 95 km/h no longer alerts, 130 does.
jq -c '.id = "e2e-after-95"' "$IT_DIR/fast.json" | it_as adapter-dishub mosquitto_pub -q 1 -t "$POS_TOPIC" -l
jq -c '.id = "e2e-after-130" | .data.speed_kmh = 130' "$IT_DIR/fast.json" | it_as adapter-dishub mosquitto_pub -q 1 -t "$POS_TOPIC" -l
it_wait_for 20 "the copies of e2e-after-*" bash -c \
    "[ \$(grep -c '^karo/feed/posisi-v2 .*\"id\":\"e2e-after-' '$SUB') -ge 2 ]"
it_sql_wait 30 "select count(*) from outbox" 0
it_assert_eq "$(it_sql "select count(*) from alert where event_id = 'e2e-after-95'")" 0 "after the change: 95 km/h raises no alert"
it_assert_eq "$(it_sql "select count(*) from alert where event_id = 'e2e-after-130'")" 1 "after the change: 130 km/h raises one"
it_wait_for 10 "the alert message of e2e-after-130" bash -c "grep -q '^karo/alert/major/dishub .*e2e-after-130' '$SUB'"
it_assert_eq "$(seen karo/feed/posisi-v1 e2e-after-95)" 0 "after the change: nothing on the old feed"

# --------------------------------------------------------------- history
"$CTL" rules history posisi-semua --json >"$IT_DIR/hist.json" 2>&1
it_assert_eq "$?" 0 "rules history posisi-semua --json"
it_assert_eq "$(jq -r '[.[] | "\(.op) \(.actor) \(.change)"] | join(",")' "$IT_DIR/hist.json")" \
    "update rina definition,create tester " "history: created by tester, its definition updated by rina"
"$CTL" rules history --json >"$IT_DIR/hist-all.json" 2>&1
it_assert_eq "$(jq -r '[.[] | select(.actor == "rina") | .name] | sort | join(",")' "$IT_DIR/hist-all.json")" \
    "kendaraan-overspeed,posisi-semua" "history: rina changed exactly the two rules"
it_assert_eq "$(it_sql "select after->'definition'->>'when' from rule_history where name = 'kendaraan-overspeed' and op = 'update'")" \
    "data.speed_kmh > 120 && data.valid" "history keeps the new predicate"
it_assert_eq "$(it_sql "select before->'definition'->>'when' from rule_history where name = 'kendaraan-overspeed' and op = 'update'")" \
    "data.speed_kmh > 80 && data.valid" "history keeps the old predicate"
it_assert_eq "$(it_sql "select version || ' ' || updated_by from rule where name = 'posisi-semua'")" "2 rina" "the rule row: version 2, updated by rina"

# rules test on the events routed by the new set predicts what the hub did
# with them.
# --since takes milliseconds: round the first new-way row's stored_at down.
since=$(it_sql "select to_char(date_trunc('milliseconds', min(e.stored_at)) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') from event e join test_rl_seen s using (id) where s.feed = 'v2'")
"$CTL" rules test "$RULES/changed.yaml" --since "$since" --json >"$IT_DIR/test2.json" 2>"$IT_DIR/test2.err"
it_assert_eq "$?" 0 "rules test changed.yaml --since $since --json"
it_sql "select id from event where stored_at >= '$since'" >"$IT_DIR/test2.ids"
it_assert_eq "$(jq .events "$IT_DIR/test2.json")" "$(wc -l <"$IT_DIR/test2.ids")" "rules test read the events stored since the switch"
if [ "$(test_pairs "$IT_DIR/test2.json")" = "$(sub_pairs "$IT_DIR/test2.ids")" ]; then
	it_pass "rules test: the same $(jq .published "$IT_DIR/test2.json") (topic, event) pairs as the hub published after the switch"
else
	it_fail "rules test after the switch: the pairs differ: $(diff <(test_pairs "$IT_DIR/test2.json") <(sub_pairs "$IT_DIR/test2.ids") | head -20)"
fi
it_done
