#!/usr/bin/env bash
# 10,000 valid events of mixed types, published by a separate process
# through a real Mosquitto, arrive in PostgreSQL exactly once; one message
# of each bad kind becomes a dead letter with its reason, and is announced
# on <site>/hub/dlq/<reason> through the outbox.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

hub_conf hub1
hub_start hub1

# The hub's retained status says it is online.
it_assert_eq "$(it_as operator mosquitto_sub -t karo/hub/status/hub1 -C 1 -W 5)" online "status topic says online"

# Watch the dead-letter announcements while the load runs.
it_spawn dlq it_as admin mosquitto_sub -q 1 -t 'karo/hub/dlq/#' -v >/dev/null
sleep 0.5

loadgen_start load --count 10000 --prefix ing --bad all
loadgen_wait "$LOAD_PID" 300 && it_pass "loadgen published and got every PUBACK"

it_sql_wait 120 "select count(*) from event" 10000
assert_exact_ids ing 10000 "mixed load"
it_assert_eq "$(it_sql "select count(distinct type) >= 5 from event")" t "several event types stored"
it_assert_eq "$(it_sql "select count(*) from event where data is null or attrs ? 'data'")" 0 "data split from the envelope"

# One dead letter per bad kind, with its reason and the exact bytes.
it_sql_wait 60 "select count(*) from dead_letter" 7
for reason in invalid_json too_large envelope schema opd_mismatch unknown_type id_conflict; do
	it_assert_eq "$(it_sql "select count(*) from dead_letter where reason = '$reason'")" 1 "one dead letter with reason $reason"
done
it_assert_eq "$(it_sql "select octet_length(payload) > 2000000 from dead_letter where reason = 'too_large'")" t "the oversized payload is kept whole"
it_assert_eq "$(it_sql "select event_id from dead_letter where reason = 'id_conflict'")" ing-0 "id_conflict names the id"
it_assert_eq "$(it_sql "select count(*) from dead_letter where detail = ''")" 0 "every dead letter says why"

# The outbox has been relayed and emptied; each reason was announced.
it_sql_wait 30 "select count(*) from outbox" 0
it_wait_for 30 "seven dlq announcements" bash -c "[ \$(grep -c '^karo/hub/dlq/' '$IT_DIR/log/dlq.log') -ge 7 ]"
for reason in invalid_json too_large envelope schema opd_mismatch unknown_type id_conflict; do
	it_assert_ok "announced on karo/hub/dlq/$reason" grep -q "^karo/hub/dlq/$reason " "$IT_DIR/log/dlq.log"
done

# The journal checkpoint covers everything received.
it_assert_eq "$(it_sql "select seq from hub_journal where instance = 'hub1'")" 10007 "checkpoint covers all 10,007 messages"

# SIGTERM drains and exits cleanly, leaving "offline" retained.
it_kill "$HUB_PID" TERM
it_assert_ok "hub exited on SIGTERM" grep -q 'hub: stopped' "$IT_DIR/log/hub1.log"
it_assert_eq "$(it_as operator mosquitto_sub -t karo/hub/status/hub1 -C 1 -W 5)" offline "status topic says offline"

# Re-sent copies are duplicates, not new rows and not conflicts: byte for
# byte, and with other white space (the digest is over the jsonb form).
hub_start hub1
"$SIMPUL_BIN/simpul-loadgen" pub --dump --count 500 --mix gps.position=1 --prefix dup >"$IT_DIR/dup.jsonl"
sed 's/":/": /g; s/,"/, "/g' "$IT_DIR/dup.jsonl" >"$IT_DIR/dup-spaced.jsonl"
for f in dup.jsonl dup.jsonl dup-spaced.jsonl; do
	it_as adapter-dishub mosquitto_pub -q 1 -t karo/ev/dishub/gps/gps.position -l <"$IT_DIR/$f"
done
it_sql_wait 120 "select seq from hub_journal where instance = 'hub1'" 11507
it_assert_eq "$(it_sql "select count(*) from event where id like 'dup-%'")" 500 "each re-sent event is stored once"
it_assert_eq "$(it_sql "select count(*) from dead_letter")" 7 "re-sent identical events are not conflicts"
it_done
