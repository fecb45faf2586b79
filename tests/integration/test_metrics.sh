#!/usr/bin/env bash
# /metrics and /healthz of the hub and of an adapter, against a real stack,
# with the PostgreSQL roles of deploy/postgres-roles.sql (the hub runs as
# simpul_hub, as deploy/INSTALL.md sets it up):
#  - every scrape parses as the Prometheus text format (promcheck.awk);
#  - the counters move with what simpul-loadgen publishes, and agree with
#    PostgreSQL;
#  - /healthz is 200 "ok", 503 with the reason while PostgreSQL or the
#    broker is stopped, and 200 again after they are back;
#  - other paths are 404, other methods 405;
#  - simpul_read reads the events (report_event) and can change nothing;
#  - the GPS adapter's endpoint counts an OsmAnd position the hub stores.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
it_setup

command -v curl >/dev/null || it_die "curl is missing (deploy/debian-packages.txt)"
CHECK=$SIMPUL_SRC/tests/integration/promcheck.awk
STACK=$SIMPUL_SRC/deploy/stack

# --- the database as deploy/INSTALL.md makes it ----------------------------
DB=simpul_metrics
if psql -XAtq -v ON_ERROR_STOP=1 -v db=$DB -v hub_password=hub-pw \
    -v read_password=read-pw -v admin_password=admin-pw \
    -v console_password=console-pw -f "$SIMPUL_SRC/deploy/postgres-roles.sql" \
    >"$IT_DIR/log/roles.log" 2>&1; then
	it_pass "deploy/postgres-roles.sql"
else
	it_fail "deploy/postgres-roles.sql: $(cat "$IT_DIR/log/roles.log")"
fi
psql -XAtq -v ON_ERROR_STOP=1 -v db=$DB -v hub_password=x -v read_password=y \
    -v admin_password=z -v console_password=w -f "$SIMPUL_SRC/deploy/postgres-roles.sql" >/dev/null 2>&1 &&
    it_pass "deploy/postgres-roles.sql runs again without harm" ||
    it_fail "deploy/postgres-roles.sql fails the second time"
HUB_PG="host=$PGHOST port=$PGPORT dbname=$DB user=simpul_hub password=hub-pw"
READ_PG="host=$PGHOST port=$PGPORT dbname=$DB user=simpul_read password=read-pw"
ADMIN_PG="host=$PGHOST port=$PGPORT dbname=$DB user=simpul_admin password=admin-pw"

hub_conf m1 "[http]" "listen = 127.0.0.1:0"
SIMPUL_PG=$ADMIN_PG "$SIMPUL_BIN/simpulctl" migrate -c "$IT_DIR/m1.conf" \
    >"$IT_DIR/log/migrate.log" 2>&1 && it_pass "simpulctl migrate as simpul_admin" ||
    it_fail "simpulctl migrate as simpul_admin: $(cat "$IT_DIR/log/migrate.log")"
export SIMPUL_PG=$HUB_PG
hub_start m1
PORT=$(sed -n 's/.*httpd: hub: serving .* port \([0-9]*\).*/\1/p' "$IT_DIR/log/m1.log" | tail -n 1)
[ -n "$PORT" ] || it_die "the hub did not log its /metrics port"
it_pass "the hub serves /metrics on port $PORT"
BASE=http://127.0.0.1:$PORT

# scrape FILE: /metrics into FILE; 0 if it answered 200.
scrape()
{
	[ "$(curl -s -o "$1" -w '%{http_code}' --max-time 5 "$BASE/metrics")" = 200 ]
}

# metric SERIES: its value in a fresh scrape ("" if absent), e.g.
# metric 'simpul_dead_letters_total{reason="schema"}'.
metric()
{
	scrape "$IT_DIR/m.txt" || return 1
	awk -v k="$1" '$1 == k { print $2 }' "$IT_DIR/m.txt"
}

# metric_wait TIMEOUT SERIES WANT: until SERIES has the value WANT.
metric_wait()
{
	local end=$((SECONDS + $1)) got

	while :; do
		got=$(metric "$2")
		[ "$got" = "$3" ] && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			it_fail "timed out waiting for $2 = $3 (last: '$got')"
			return 1
		fi
		sleep 0.3
	done
}

# health: "<status> <body on one line>" of /healthz.
health()
{
	local code

	code=$(curl -s -o "$IT_DIR/h.txt" -w '%{http_code}' --max-time 5 "$BASE/healthz")
	echo "$code $(tr '\n' '|' <"$IT_DIR/h.txt")"
}

# health_wait TIMEOUT PATTERN: until health matches the glob PATTERN.
health_wait()
{
	local end=$((SECONDS + $1)) got

	while :; do
		got=$(health)
		# shellcheck disable=SC2053
		[[ $got == $2 ]] && { it_pass "/healthz: $got"; return 0; }
		if [ "$SECONDS" -ge "$end" ]; then
			it_fail "timed out waiting for /healthz '$2' (last: '$got')"
			return 1
		fi
		sleep 0.3
	done
}

# promcheck FILE WHAT: FILE is valid exposition format.
promcheck()
{
	local out

	if out=$(awk -f "$CHECK" "$1" 2>&1); then
		it_pass "$2 parses as Prometheus text ($out)"
	else
		it_fail "$2 is not valid Prometheus text: $out"
	fi
}

# --- the format, at rest -----------------------------------------------------
scrape "$IT_DIR/rest.txt" && it_pass "GET /metrics: 200" || it_fail "GET /metrics"
promcheck "$IT_DIR/rest.txt" "the hub's /metrics at rest"
[ "$(tail -c 1 "$IT_DIR/rest.txt" | od -An -c | tr -d ' ')" = '\n' ] &&
    it_pass "the exposition ends with a newline" || it_fail "no final newline"
ct=$(curl -sI --max-time 5 "$BASE/metrics" | tr -d '\r' | sed -n 's/^Content-Type: //Ip')
it_assert_eq "$ct" "text/plain; version=0.0.4; charset=utf-8" "Content-Type of /metrics"
for series in simpul_events_received_total simpul_events_stored_total \
    'simpul_dead_letters_total{reason="schema"}' simpul_batch_records_count \
    simpul_commit_duration_seconds_count simpul_outbox_published_total \
    simpul_outbox_refused_total; do
	it_assert_eq "$(awk -v k="$series" '$1 == k { print $2 }' "$IT_DIR/rest.txt")" 0 "$series starts at 0"
done
grep -q '^simpul_build_info{version="[^"]*",instance="m1",site="karo"} 1$' "$IT_DIR/rest.txt" &&
    it_pass "build info names the instance" || it_fail "no simpul_build_info for m1"
grep -q '^simpul_commit_duration_seconds_bucket{le="+Inf"} 0$' "$IT_DIR/rest.txt" &&
    it_pass "the commit latency histogram is there" || it_fail "no commit latency histogram"
it_assert_eq "$(awk '$1 == "simpul_postgres_up" { print $2 }' "$IT_DIR/rest.txt")" 1 "simpul_postgres_up 1"
it_assert_eq "$(awk '$1 == "simpul_broker_connected" { print $2 }' "$IT_DIR/rest.txt")" 1 "simpul_broker_connected 1"
it_assert_eq "$(awk '$1 == "simpul_ingest_paused" { print $2 }' "$IT_DIR/rest.txt")" 0 "simpul_ingest_paused 0"
metric_wait 10 simpul_relay_connected 1 && it_pass "simpul_relay_connected 1"
it_assert_eq "$(health)" "200 ok|" "/healthz when all is well"
it_assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 "$BASE/metrics")" 405 "POST /metrics: 405"
it_assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/")" 404 "GET /: 404"
it_assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/metrics/x")" 404 "GET /metrics/x: 404"

# --- counters move with the load -----------------------------------------------
loadgen_start load1 --count 300 --prefix mt --bad schema --bad invalid_json
loadgen_wait "$LOAD_PID" 120 && it_pass "loadgen: 300 events and 2 bad messages acknowledged"
metric_wait 60 simpul_events_stored_total 300
it_assert_eq "$(metric simpul_events_received_total)" 302 "received: 302 messages"
it_assert_eq "$(metric 'simpul_dead_letters_total{reason="schema"}')" 1 "one schema dead letter"
it_assert_eq "$(metric 'simpul_dead_letters_total{reason="invalid_json"}')" 1 "one invalid_json dead letter"
it_assert_eq "$(metric 'simpul_dead_letters_total{reason="id_conflict"}')" 0 "no id_conflict"
it_assert_eq "$(metric simpul_batch_records_sum)" 302 "batches carried 302 records"
it_assert_eq "$(metric simpul_journal_committed_seq)" 302 "checkpoint at seq 302"
it_assert_eq "$(metric simpul_journal_next_seq)" 303 "next journal seq 303"
batches=$(metric simpul_batch_records_count)
[ "${batches:-0}" -ge 1 ] && [ "$batches" -le 302 ] && it_pass "$batches batches" ||
    it_fail "batch count '$batches'"
it_assert_eq "$(metric simpul_commit_duration_seconds_count)" "$batches" "one commit time per batch"
metric_wait 30 simpul_outbox_published_total 2
it_assert_eq "$(it_sql "select count(*) from event where id like 'mt-%'" -d $DB)" 300 "PostgreSQL agrees: 300 events"
it_assert_eq "$(it_sql "select count(*) from dead_letter" -d $DB)" 2 "PostgreSQL agrees: 2 dead letters"
scrape "$IT_DIR/load.txt"
promcheck "$IT_DIR/load.txt" "the hub's /metrics after a load"
it_assert_eq "$(awk '$1 == "simpul_http_requests_total{code=\"405\"}" { print $2 }' "$IT_DIR/load.txt")" 1 "the endpoint counted the 405"

# --- the read-only role ----------------------------------------------------------
it_assert_eq "$(psql -XAtq "$READ_PG" -c "select count(*) from report_event where id like 'mt-%'" 2>&1)" 300 "simpul_read reads the events (report_event)"
out=$(psql -XAtq "$READ_PG" -c "set default_transaction_read_only = off" -c "delete from event" 2>&1)
case $out in
*"permission denied"*) it_pass "simpul_read cannot delete events" ;;
*) it_fail "simpul_read deleting events: $out" ;;
esac
out=$(psql -XAtq "$READ_PG" -c "set default_transaction_read_only = off" -c "create table x (i int)" 2>&1)
case $out in
*"permission denied"*) it_pass "simpul_read cannot create tables" ;;
*) it_fail "simpul_read creating a table: $out" ;;
esac

# --- PostgreSQL stopped: 503 with the reason, even with no traffic -----------------
"$STACK" pg-stop "$IT_DIR" >/dev/null 2>&1 && it_pass "PostgreSQL stopped"
health_wait 15 "503 *postgres: unreachable*"
it_assert_eq "$(metric simpul_postgres_up)" 0 "simpul_postgres_up 0"
it_assert_eq "$(metric simpul_broker_connected)" 1 "the broker is still connected"
scrape "$IT_DIR/pgdown.txt" && promcheck "$IT_DIR/pgdown.txt" "/metrics with PostgreSQL down"
"$STACK" pg-start "$IT_DIR" >/dev/null 2>&1 && it_pass "PostgreSQL started"
health_wait 60 "200 ok|"
it_assert_eq "$(metric simpul_postgres_up)" 1 "simpul_postgres_up 1 again"
loadgen_start load2 --count 50 --prefix mt2
loadgen_wait "$LOAD_PID" 120 && it_pass "loadgen: 50 more"
metric_wait 60 simpul_events_stored_total 350

# --- the GPS adapter's endpoint ------------------------------------------------------
cat >"$IT_DIR/gps.conf" <<CONF
[adapter]
name = gps
opd = dishub
state_dir = $IT_DIR/gps-state
schemas = $SIMPUL_SRC/schemas
[mqtt]
uri = $SIMPUL_MQTT_URI
[http]
listen = 127.0.0.1:0
[gps]
gt06_listen =
h02_listen =
osmand_listen = 127.0.0.1:0
unknown_devices = publish
CONF
it_spawn gps it_as gps "$SIMPUL_BIN/simpul-gps" -c "$IT_DIR/gps.conf" >/dev/null
it_wait_for 30 "the GPS adapter's endpoint" grep -q 'httpd: gps: serving' "$IT_DIR/log/gps.log"
it_wait_for 30 "the OsmAnd listener" grep -q 'osmand_http: listening' "$IT_DIR/log/gps.log"
GPORT=$(sed -n 's/.*httpd: gps: serving .* port \([0-9]*\).*/\1/p' "$IT_DIR/log/gps.log" | tail -n 1)
OPORT=$(sed -n 's/.*osmand_http: listening on [^ ]* port \([0-9]*\).*/\1/p' "$IT_DIR/log/gps.log" | tail -n 1)
HUB_BASE=$BASE
BASE=http://127.0.0.1:$GPORT
metric_wait 30 simpul_broker_connected 1
health_wait 10 "200 ok|"
scrape "$IT_DIR/gps.txt"
promcheck "$IT_DIR/gps.txt" "the GPS adapter's /metrics"
grep -q '^simpul_build_info{version="[^"]*",adapter="gps",opd="dishub",site="karo"} 1$' "$IT_DIR/gps.txt" &&
    it_pass "adapter build info" || it_fail "no adapter build info"
it_assert_eq "$(awk '$1 == "simpul_adapter_events_acked_total" { print $2 }' "$IT_DIR/gps.txt")" 0 "nothing acked yet"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "http://127.0.0.1:$OPORT/?id=868683020123456&lat=3.1019&lon=98.5089&timestamp=$(date +%s)&speed=20")
it_assert_eq "$code" 200 "an OsmAnd position is accepted"
metric_wait 30 simpul_adapter_events_acked_total 1
it_assert_eq "$(metric simpul_adapter_events_published_total)" 1 "published 1"
it_assert_eq "$(metric simpul_adapter_events_invalid_total)" 0 "invalid 0"
BASE=$HUB_BASE
metric_wait 30 simpul_events_stored_total 351

# --- the broker stopped: both say so ---------------------------------------------------
"$STACK" mqtt-stop "$IT_DIR" >/dev/null 2>&1 && it_pass "Mosquitto stopped"
health_wait 15 "503 *broker: not connected*"
it_assert_eq "$(metric simpul_broker_connected)" 0 "simpul_broker_connected 0"
# The outbox relay's own connection (hub/relaylink.h) notices too.
health_wait 15 "503 *relay: not connected to the broker*"
it_assert_eq "$(metric simpul_relay_connected)" 0 "simpul_relay_connected 0"
BASE=http://127.0.0.1:$GPORT
health_wait 15 "503 *broker: not connected*"
"$STACK" mqtt-start "$IT_DIR" >/dev/null 2>&1 && it_pass "Mosquitto started"
health_wait 60 "200 ok|"
BASE=$HUB_BASE
health_wait 60 "200 ok|"

it_done
