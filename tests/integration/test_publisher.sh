#!/usr/bin/env bash
#
# test_publisher.sh: the adapters' MQTT publisher (adapters/lib/publisher.c)
# against the stack's real Mosquitto, driven by pubtest (pubtest.c):
#
#  1. N messages published while the broker is up all arrive at a QoS 1
#     persistent-session subscriber, and the retained status ends "offline"
#     after a clean exit.
#  2. With the broker stopped, messages handed to the publisher are buffered
#     and all arrive after the broker comes back.
#  3. "Survives an adapter crash until acknowledged": with the broker down,
#     pubtest hands over messages and is killed with SIGKILL; the messages
#     are in Paho's persistence directory; a new pubtest with the same
#     client id and directory, in flush-only mode, restores and delivers
#     every one.
#  4. A full buffer is an error, not a silent drop: with max_buffered = 100
#     and the broker down, 150 messages give 100 accepted and 50 refused; a
#     clean stop (SIGTERM) while offline keeps the 100 persisted and the next
#     start delivers exactly those.
#  5. Status topic: "online" (retained) while connected; after a SIGKILL the
#     broker publishes the will, "offline".
#
# Every message carries a distinct id ("p<phase>-<k>"); the subscriber's
# output is counted in unique ids, since QoS 1 may deliver a message twice.

. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

PUBTEST=$SIMPUL_BIN/pubtest
[ -x "$PUBTEST" ] || { echo "test_publisher: $PUBTEST not built" >&2; exit 1; }

it_setup

TOPIC=karo/ev/dishub/pubtest/test.message
STATUS=karo/adapter/status/adapter-dishub
STATE=$IT_DIR/state
SUBLOG=$IT_DIR/log/sub.log
mkdir -p "$STATE"

# pubtest plays the dishub adapter (it may publish under karo/ev/dishub/ and
# its own status topic); the subscribers are the hub (a persistent one
# must keep its client id) and admin.
PUB=adapter-dishub
sub_args=(-h "$SIMPUL_MQTT_HOST" -p "$SIMPUL_MQTT_PORT")

# unique PREFIX: number of distinct ids "PREFIX-<k>" the subscriber got.
unique()
{
	grep -E "^$1-[0-9]+\$" "$SUBLOG" 2>/dev/null | sort -u | wc -l
}

# has_unique PREFIX N: the subscriber has N distinct ids of PREFIX.
has_unique()
{
	[ "$(unique "$1")" -eq "$2" ]
}

# status_is VALUE: the retained status message is VALUE.
status_is()
{
	[ "$(it_as admin mosquitto_sub "${sub_args[@]}" -t "$STATUS" -C 1 -W 2 2>/dev/null)" = "$1" ]
}

# persisted DIR: number of publish commands in Paho's persistence.
persisted()
{
	find "$1" -name 'c5-*.msg' 2>/dev/null | wc -l
}

# A persistent QoS 1 subscriber (clean session off), started first so that
# the broker queues for it across its own restarts.
it_spawn sub it_as hub mosquitto_sub "${sub_args[@]}" -V mqttv311 -q 1 -c \
    -i it-pubtest-sub -t "$TOPIC"
# A marker published before the broker has the subscription goes to
# nobody, so publish one every 0.2 s until one arrives.
for i in $(seq 50); do
	it_as "$PUB" mosquitto_pub "${sub_args[@]}" -q 1 -t "$TOPIC" -m "ready-$i"
	grep -q '^ready-' "$SUBLOG" 2>/dev/null && break
	sleep 0.2
done
it_wait_for 10 "the subscriber" grep -q '^ready-' "$SUBLOG" ||
    it_die "the subscriber did not start"

# --- 1. broker up ------------------------------------------------------------

N1=2000
it_as "$PUB" "$PUBTEST" -u "$SIMPUL_MQTT_URI" -i it-pub-1 -d "$STATE/p1" -t "$TOPIC" \
    -S "$STATUS" -P p1 -n "$N1" -w 60000 >"$IT_DIR/log/pt1.log" 2>&1
it_assert_eq "$?" 0 "phase 1: pubtest had every message acknowledged"
it_assert_ok "phase 1: handed $N1" grep -qx "handed=$N1 rejected=0" "$IT_DIR/log/pt1.log"
it_assert_ok "phase 1: acked $N1" grep -qx "acked=$N1 failed=0" "$IT_DIR/log/pt1.log"
it_wait_for 30 "$N1 messages of phase 1" has_unique p1 "$N1"
it_assert_eq "$(unique p1)" "$N1" "phase 1: the subscriber got all $N1 ids"
it_assert_eq "$(persisted "$STATE/p1")" 0 "phase 1: nothing left in the persistence"
it_wait_for 5 "status offline after a clean exit" status_is offline &&
    it_pass "phase 1: retained status is offline after a clean exit"

# --- 2. broker down while publishing, then back ------------------------------

N2=1500
"$IT_STACK" mqtt-stop "$IT_DIR" >>"$IT_DIR/log/stack.log" 2>&1 ||
    it_die "mqtt-stop failed"
it_spawn pt2 it_as "$PUB" "$PUBTEST" -u "$SIMPUL_MQTT_URI" -i it-pub-2 -d "$STATE/p2" \
    -t "$TOPIC" -P p2 -n "$N2" -w 120000
pt2=$IT_LAST_PID
it_wait_for 30 "phase 2 hand-over" grep -qx "handed=$N2 rejected=0" "$IT_DIR/log/pt2.log"
it_assert_eq "$(unique p2)" 0 "phase 2: nothing arrived while the broker was down"
it_assert_eq "$(persisted "$STATE/p2")" "$N2" "phase 2: all $N2 buffered messages are persisted"
sleep 1
"$IT_STACK" mqtt-start "$IT_DIR" >>"$IT_DIR/log/stack.log" 2>&1 ||
    it_die "mqtt-start failed"
wait "$pt2"
it_assert_eq "$?" 0 "phase 2: pubtest had every message acknowledged after the restart"
it_assert_ok "phase 2: acked $N2" grep -qx "acked=$N2 failed=0" "$IT_DIR/log/pt2.log"
it_wait_for 30 "$N2 messages of phase 2" has_unique p2 "$N2"
it_assert_eq "$(unique p2)" "$N2" "phase 2: the subscriber got all $N2 ids"

# --- 3. adapter killed (SIGKILL) holding unacknowledged messages -------------

N3=800
"$IT_STACK" mqtt-stop "$IT_DIR" >>"$IT_DIR/log/stack.log" 2>&1 ||
    it_die "mqtt-stop failed"
it_spawn pt3 it_as "$PUB" "$PUBTEST" -u "$SIMPUL_MQTT_URI" -i it-pub-3 -d "$STATE/p3" \
    -t "$TOPIC" -P p3 -n "$N3" -m hold
pt3=$IT_LAST_PID
it_wait_for 30 "phase 3 hand-over" grep -qx "handed=$N3 rejected=0" "$IT_DIR/log/pt3.log"
it_kill "$pt3" KILL
it_assert_eq "$(persisted "$STATE/p3")" "$N3" "phase 3: $N3 messages persisted after SIGKILL"
"$IT_STACK" mqtt-start "$IT_DIR" >>"$IT_DIR/log/stack.log" 2>&1 ||
    it_die "mqtt-start failed"
it_as "$PUB" "$PUBTEST" -u "$SIMPUL_MQTT_URI" -i it-pub-3 -d "$STATE/p3" -m flush \
    -w 60000 >"$IT_DIR/log/pt3-flush.log" 2>&1
it_assert_eq "$?" 0 "phase 3: the restarted pubtest flushed"
it_assert_ok "phase 3: restored $N3" grep -qx "restored=$N3" "$IT_DIR/log/pt3-flush.log"
it_wait_for 30 "$N3 messages of phase 3" has_unique p3 "$N3"
it_assert_eq "$(unique p3)" "$N3" "phase 3: the subscriber got all $N3 ids handed over before the crash"
it_assert_eq "$(persisted "$STATE/p3")" 0 "phase 3: the persistence is empty once acknowledged"

# --- 4. full buffer, clean stop while offline --------------------------------

"$IT_STACK" mqtt-stop "$IT_DIR" >>"$IT_DIR/log/stack.log" 2>&1 ||
    it_die "mqtt-stop failed"
it_spawn pt4 it_as "$PUB" "$PUBTEST" -u "$SIMPUL_MQTT_URI" -i it-pub-4 -d "$STATE/p4" \
    -t "$TOPIC" -P p4 -n 150 -b 100 -m hold
pt4=$IT_LAST_PID
it_wait_for 30 "phase 4 hand-over" grep -q "^handed=" "$IT_DIR/log/pt4.log"
it_assert_ok "phase 4: 100 accepted, 50 refused" grep -qx "handed=100 rejected=50" "$IT_DIR/log/pt4.log"
it_kill "$pt4" TERM
it_assert_ok "phase 4: on_done(ok = 0) for each at the clean stop" \
    grep -qx "stopped acked=0 failed=100" "$IT_DIR/log/pt4.log"
it_assert_eq "$(persisted "$STATE/p4")" 100 "phase 4: the 100 accepted stay persisted after a clean stop"
"$IT_STACK" mqtt-start "$IT_DIR" >>"$IT_DIR/log/stack.log" 2>&1 ||
    it_die "mqtt-start failed"
it_as "$PUB" "$PUBTEST" -u "$SIMPUL_MQTT_URI" -i it-pub-4 -d "$STATE/p4" -m flush \
    -w 60000 >"$IT_DIR/log/pt4-flush.log" 2>&1
it_assert_eq "$?" 0 "phase 4: the restarted pubtest flushed"
it_wait_for 30 "100 messages of phase 4" has_unique p4 100
it_assert_eq "$(grep -E '^p4-[0-9]+$' "$SUBLOG" | sort -u | sed 's/^p4-//' | sort -n | tr '\n' ' ')" \
    "$(seq 0 99 | tr '\n' ' ')" "phase 4: exactly the accepted ids p4-0..99 arrived"

# --- 5. status and will ------------------------------------------------------

it_spawn pt5 it_as "$PUB" "$PUBTEST" -u "$SIMPUL_MQTT_URI" -i it-pub-5 -d "$STATE/p5" \
    -t "$TOPIC" -S "$STATUS" -P p5 -n 10 -k 2 -m hold
pt5=$IT_LAST_PID
it_wait_for 15 "status online" status_is online && it_pass "phase 5: retained status online while connected"
it_wait_for 15 "phase 5 messages" has_unique p5 10
it_kill "$pt5" KILL
# The broker notices after 1.5 keepalives (3 s) and publishes the will.
it_wait_for 15 "the will (offline)" status_is offline && it_pass "phase 5: the will set the status to offline after SIGKILL"

it_done
