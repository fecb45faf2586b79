#!/usr/bin/env bash
#
# loadgen_test.sh: simpul-loadgen against a real Mosquitto started here on
# a free loopback port, in a private directory.
#
#   - pub/sub count exactly, event ids are the promised ones
#   - every --bad kind is published after the valid events
#   - a broker restart (SIGTERM) in the middle of a run loses nothing: the
#     publisher reconnects and re-sends, a persistent-session subscriber
#     sees every id
#   - a broker SIGKILL: the publisher still gets every message acked
#   - no broker at all: the publisher gives up with exit status 1
#   - a TLS-only broker with logins (deploy/broker-setup): pub and sub with
#     --ca-file, --username, --password-file or the same from the
#     environment; anonymous, a wrong CA and a missing CA file fail
#   - usage errors exit 2
#
# Needs SIMPUL_BIN (set by ctest). Every process is stopped by its PID.
set -euo pipefail

BIN=${SIMPUL_BIN:?SIMPUL_BIN must point at build/bin}
LG=$BIN/simpul-loadgen
WORK=$(mktemp -d /tmp/simpul-loadgen-test.XXXXXX)
chmod 0755 "$WORK"
MQDIR=$WORK/mq
mkdir -p "$MQDIR"
# As root, Mosquitto drops to its own user; it must write its database.
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
	chown mosquitto "$MQDIR"
fi
MQ_PID=
PIDS=()
FAILS=0
PASSES=0

cleanup()
{
	local p
	for p in "${PIDS[@]}" $MQ_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}" $MQ_PID; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

ok()
{
	PASSES=$((PASSES + 1))
	echo "ok: $*"
}

fail()
{
	FAILS=$((FAILS + 1))
	echo "FAIL: $*"
}

# expect NAME ACTUAL WANTED
expect()
{
	if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}

# field KEY LINE: the value of KEY=value in a summary line.
field()
{
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

port_free()
{
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# mq_start: the broker on PORT; plain and anonymous, or with MQ_TLS_CONF
# (deploy/broker-setup's fragment) TLS only with logins.
mq_start()
{
	local i
	{
		if [ -n "${MQ_TLS_CONF:-}" ]; then
			cat "$MQ_TLS_CONF"
		else
			printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$PORT"
		fi
		cat <<EOF
persistence true
persistence_location $MQDIR/
autosave_interval 1
max_queued_messages 0
log_dest file $MQDIR/mosquitto.log
EOF
	} >"$MQDIR/m.conf"
	mosquitto -c "$MQDIR/m.conf" >/dev/null 2>&1 &
	MQ_PID=$!
	for i in $(seq 100); do
		if ! kill -0 "$MQ_PID" 2>/dev/null; then
			wait "$MQ_PID" 2>/dev/null || true
			MQ_PID=
			return 1
		fi
		port_free "$PORT" || return 0
		sleep 0.05
	done
	return 1
}

mq_stop()
{
	kill "-$1" "$MQ_PID"
	wait "$MQ_PID" 2>/dev/null || true
	MQ_PID=
}

# Ports below the ephemeral range, so no outgoing connection takes ours.
for attempt in $(seq 20); do
	PORT=$((20000 + RANDOM % 12000))
	port_free "$PORT" || continue
	mq_start && break
	PORT=
done
[ -n "${PORT:-}" ] || { echo "FAIL: cannot start mosquitto"; exit 1; }
URI=tcp://127.0.0.1:$PORT
echo "mosquitto pid=$MQ_PID port=$PORT"

# sub_start OUT ARGS...: a subscriber in the background, ready when this
# returns.
sub_start()
{
	local out=$1 i
	shift
	rm -f "$WORK/ready"
	"$LG" sub --uri "$URI" --ready-file "$WORK/ready" "$@" >"$out" 2>"$out.err" &
	SUB_PID=$!
	PIDS+=("$SUB_PID")
	for i in $(seq 200); do
		[ -f "$WORK/ready" ] && return 0
		sleep 0.05
	done
	fail "subscriber not ready: $(cat "$out.err")"
	return 1
}

# wait_connected LOG: until the publisher logging to LOG is connected, so
# that a broker restart then really happens in the middle of its run.
wait_connected()
{
	local i
	for i in $(seq 400); do
		grep -q 'publisher: connected' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "publisher did not connect: $(cat "$1")"
}

# pub_through_outage LABEL PREFIX N SIGNAL PAUSE_S: simpul-loadgen pub of
# N events (ids PREFIX-...) at 10,000/s in the background; a second after
# it has connected the broker is stopped with SIGNAL and started again
# PAUSE_S seconds later. The publisher must exit 0 with all N acked after
# at least one reconnect.
pub_through_outage()
{
	local label=$1 prefix=$2 n=$3 sig=$4 pause=$5 out=$WORK/p-$2 rc=0 line pid

	"$LG" pub --uri "$URI" --count "$n" --rate 10000 --prefix "$prefix" \
	    >"$out" 2>"$out.err" &
	pid=$!
	PIDS+=("$pid")
	wait_connected "$out.err"
	sleep 1
	mq_stop "$sig"
	sleep "$pause"
	mq_start || fail "$label: mosquitto restart after SIG$sig"
	wait "$pid" || rc=$?
	line=$(cat "$out")
	expect "$label pub exit" "$rc" 0
	expect "$label pub acked" "$(field acked "$line")" "$n"
	[ "$(field reconnects "$line")" -ge 1 ] && ok "$label pub reconnected" ||
	    fail "$label pub did not reconnect: $line"
}

# --- dump ------------------------------------------------------------------
out=$("$LG" pub --dump --count 3 --start 7 --prefix d --bad all --large-bytes 1k)
expect "dump lines" "$(wc -l <<<"$out")" 10
expect "dump first id" "$(head -1 <<<"$out" | grep -o '"id":"[^"]*"')" '"id":"d-7"'
expect "dump id_conflict id" "$(tail -1 <<<"$out" | grep -o '"id":"[^"]*"')" '"id":"d-7"'

# --- plain run -------------------------------------------------------------
sub_start "$WORK/s1" --topic 'karo/ev/#' --count 20000 --distinct --timeout-s 30
rc=0
line=$("$LG" pub --uri "$URI" --count 20000 --prefix t1 --quiet) || rc=$?
expect "pub exit" "$rc" 0
expect "pub published" "$(field published "$line")" 20000
expect "pub acked" "$(field acked "$line")" 20000
rc=0
wait "$SUB_PID" || rc=$?
line=$(cat "$WORK/s1")
expect "sub exit" "$rc" 0
expect "sub distinct" "$(field distinct "$line")" 20000
expect "sub received" "$(field received "$line")" 20000

# --- bad kinds after the valid ones ----------------------------------------
sub_start "$WORK/s2" --topic 'karo/ev/#' --count 107 --timeout-s 30
rc=0
line=$("$LG" pub --uri "$URI" --count 100 --prefix t2 --bad all --quiet) || rc=$?
expect "bad pub exit" "$rc" 0
expect "bad pub acked" "$(field acked "$line")" 107
rc=0
wait "$SUB_PID" || rc=$?
expect "bad sub exit" "$rc" 0
expect "bad sub received" "$(field received "$(cat "$WORK/s2")")" 107

# --- broker restart (SIGTERM: Mosquitto saves its sessions) ----------------
sub_start "$WORK/s3" --topic 'karo/ev/#' --count 60000 --distinct \
    --client-id loadgen-test-sub --session-expiry 600 --timeout-s 60
pub_through_outage restart t3 60000 TERM 1
rc=0
wait "$SUB_PID" || rc=$?
line=$(cat "$WORK/s3")
expect "restart sub exit" "$rc" 0
expect "restart sub distinct" "$(field distinct "$line")" 60000

# --- broker SIGKILL: the publisher still gets every message acked ----------
pub_through_outage kill t4 30000 KILL 0.5

# --- no broker: give up ----------------------------------------------------
mq_stop TERM
rc=0
line=$("$LG" pub --uri "$URI" --count 10 --give-up-s 2 --quiet 2>/dev/null) || rc=$?
expect "no broker exit" "$rc" 1
expect "no broker acked" "$(field acked "$line")" 0

# --- TLS and logins -----------------------------------------------------------
# One client "lg" with the admin role (it may publish any OPD's events and
# read everything); the broker speaks TLS only and refuses anonymous clients.
SETUP=${SIMPUL_SRC:-$(cd -- "$(dirname -- "$0")/../.." && pwd)}/deploy/broker-setup
SEC=$WORK/sec
printf 'lg admin\n' >"$WORK/clients"
owner=()
[ "$(id -u)" != 0 ] || ! id mosquitto >/dev/null 2>&1 || owner=(--owner mosquitto)
PORT=
for attempt in $(seq 20); do
	p=$((20000 + RANDOM % 12000))
	port_free "$p" && port_free "$((p + 1))" || continue
	"$SETUP" --clients "$WORK/clients" --out "$SEC" --host localhost --bind 127.0.0.1 \
	    --port "$p" --ws-port "$((p + 1))" "${owner[@]}" >"$WORK/setup.log" 2>&1 ||
	    { fail "broker-setup: $(cat "$WORK/setup.log")"; break; }
	MQ_TLS_CONF=$SEC/mosquitto-tls.conf
	PORT=$p
	mq_start && break
	PORT=
done
if [ -n "$PORT" ]; then
	TLS=ssl://127.0.0.1:$PORT
	AUTH=(--ca-file "$SEC/ca.crt" --username lg --password-file "$SEC/passwords/lg")
	sub_start "$WORK/s5" --uri "$TLS" --topic 'karo/ev/#' --count 200 --distinct --timeout-s 30 "${AUTH[@]}"
	rc=0
	line=$("$LG" pub --uri "$TLS" --count 200 --prefix t5 --quiet "${AUTH[@]}") || rc=$?
	expect "tls pub exit" "$rc" 0
	expect "tls pub acked" "$(field acked "$line")" 200
	wait "$SUB_PID" || true
	expect "tls sub distinct" "$(field distinct "$(cat "$WORK/s5")")" 200
	# The environment of deploy/stack's stack.env instead of options.
	rc=0
	line=$(SIMPUL_MQTT_CA=$SEC/ca.crt SIMPUL_MQTT_USERNAME=lg \
	    SIMPUL_MQTT_PASS_LG=$(head -n 1 "$SEC/passwords/lg") \
	    "$LG" pub --uri "$TLS" --count 10 --prefix t6 --quiet) || rc=$?
	expect "tls pub from the environment exit" "$rc" 0
	rc=0
	"$LG" pub --uri "$TLS" --count 1 --give-up-s 2 --quiet --ca-file "$SEC/ca.crt" \
	    >/dev/null 2>&1 || rc=$?
	expect "anonymous exit" "$rc" 1
	rc=0
	err=$("$LG" pub --uri "$TLS" --count 1 --give-up-s 2 --username lg \
	    --password-file "$SEC/passwords/lg" --ca-file /etc/ssl/certs/ca-certificates.crt 2>&1 >/dev/null) || rc=$?
	expect "wrong CA exit" "$rc" 1
	grep -q 'certificate verify failed' <<<"$err" && ok "wrong CA: certificate verify failed is logged" ||
	    fail "wrong CA not logged: $err"
	rc=0
	err=$("$LG" pub --uri "$TLS" --count 1 --ca-file "$WORK/nope.crt" 2>&1 >/dev/null) || rc=$?
	expect "missing CA file exit" "$rc" 1
	grep -q "mqtt: ca_file $WORK/nope.crt" <<<"$err" && ok "missing CA file is named" ||
	    fail "missing CA file not named: $err"
	rc=0
	"$LG" pub --uri "$TLS" --count 1 --password secret >/dev/null 2>&1 || rc=$?
	expect "no --password option (passwords stay off the command line)" "$rc" 2
	mq_stop TERM
else
	fail "cannot start the TLS broker"
fi

# --- usage -----------------------------------------------------------------
rc=0; "$LG" pub --count 10 >/dev/null 2>&1 || rc=$?
expect "no uri exit" "$rc" 2
rc=0; "$LG" pub --dump --bad nope >/dev/null 2>&1 || rc=$?
expect "bad kind exit" "$rc" 2
rc=0; "$LG" pub --dump --mix foo.bar=1 >/dev/null 2>&1 || rc=$?
expect "bad mix exit" "$rc" 2
rc=0; "$LG" sub --uri "$URI" >/dev/null 2>&1 || rc=$?
expect "sub no topic exit" "$rc" 2

echo "$PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
