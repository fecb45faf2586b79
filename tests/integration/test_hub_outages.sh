#!/usr/bin/env bash
# Outages of the hub's neighbours during a load:
#  - PostgreSQL stopped for 20 s: the hub keeps journaling, reconnects with
#    backoff and catches up; nothing is lost;
#  - Mosquitto stopped and restarted gracefully: the hub's persistent session
#    and the publisher's re-sends bring everything in; nothing is lost.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

hub_conf hub1
hub_start hub1

# --- PostgreSQL down for 20 s in the middle of a load ---------------------
loadgen_start load-pg --count 30000 --rate 1000 --prefix pg
sleep 5
"$SIMPUL_SRC/deploy/stack" pg-stop "$IT_DIR" >/dev/null && it_pass "PostgreSQL stopped"
stopped_at=$SECONDS
sleep 20
"$SIMPUL_SRC/deploy/stack" pg-start "$IT_DIR" >/dev/null && it_pass "PostgreSQL started after $((SECONDS - stopped_at)) s"
it_assert_ok "the hub still runs" it_alive "$HUB_PID"
loadgen_wait "$LOAD_PID" 300 && it_pass "loadgen got every PUBACK during the outage"
it_sql_wait 180 "select count(*) from event where id like 'pg-%'" 30000
assert_exact_ids pg 30000 "PostgreSQL outage"
it_assert_ok "the hub noticed the outage" grep -q 'store: .*failed\|cannot connect to PostgreSQL' "$IT_DIR/log/hub1.log"

# --- Mosquitto stopped and restarted in the middle of a load ---------------
loadgen_start load-mq --count 30000 --rate 1500 --prefix mq
sleep 5
"$SIMPUL_SRC/deploy/stack" mqtt-stop "$IT_DIR" >/dev/null && it_pass "Mosquitto stopped"
sleep 3
"$SIMPUL_SRC/deploy/stack" mqtt-start "$IT_DIR" >/dev/null && it_pass "Mosquitto started"
loadgen_wait "$LOAD_PID" 300 && it_pass "loadgen got every PUBACK across the broker restart"
it_sql_wait 180 "select count(*) from event where id like 'mq-%'" 30000
assert_exact_ids mq 30000 "broker restart"
it_assert_ok "the hub reconnected" test "$(grep -c 'mqtt: connected' "$IT_DIR/log/hub1.log")" -ge 2
it_done
