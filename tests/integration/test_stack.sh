#!/usr/bin/env bash
#
# test_stack.sh: the local stack itself (deploy/stack) and tests/integration/
# lib.sh. Two stacks come up at the same time in different directories and
# must be independent; the broker must keep QoS 1 messages for an offline
# persistent session past the default 1000-message queue limit and across a
# graceful restart, and keep what it saved before a SIGKILL; PostgreSQL must
# stop and start on the same port keeping its data; "down" must leave none of
# the recorded processes running. The first stack is the default, secure one
# (TLS, passwords, ACLs); the second is started with --insecure, the opt-out.

. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# The second stack starts in the background while it_setup starts the first,
# so the two "up"s really race for ports.
B=$(mktemp -d /tmp/simpul-it-b.XXXXXX)
chmod 0755 "$B"
"$IT_STACK" up --insecure "$B" >"$B.up.log" 2>&1 &
b_up=$!
it_on_exit "$IT_STACK" down "$B"
it_on_exit rm -rf "$B" "$B.up.log"

it_setup
A=$IT_DIR
if wait "$b_up"; then
	it_pass "two stacks started at the same time"
else
	cat "$B.up.log"
	it_die "the second stack did not start"
fi

envof()
{
	# shellcheck source=/dev/null
	(set +u; . "$1/stack.env"; eval "echo \"\$$2\"")
}

A_MQ=$(envof "$A" SIMPUL_MQTT_PORT)
A_PG=$(envof "$A" SIMPUL_PG_PORT)
B_MQ=$(envof "$B" SIMPUL_MQTT_PORT)
B_PG=$(envof "$B" SIMPUL_PG_PORT)
it_assert_eq "$SIMPUL_MQTT_PORT/$SIMPUL_PG_PORT" "$A_MQ/$A_PG" "it_setup sourced the first stack's env"
it_assert_eq "$(printf '%s\n' "$A_MQ" "$A_PG" "$B_MQ" "$B_PG" | sort -u | wc -l)" 4 \
    "four different ports ($A_MQ $A_PG $B_MQ $B_PG)"
it_assert_eq "$SIMPUL_MQTT_URI" "ssl://127.0.0.1:$A_MQ" "SIMPUL_MQTT_URI of the default stack is ssl://"
it_assert_eq "$(envof "$B" SIMPUL_MQTT_URI)/$(envof "$B" SIMPUL_MQTT_SECURE)" "tcp://127.0.0.1:$B_MQ/0" \
    "SIMPUL_MQTT_URI of the --insecure stack is tcp://"
it_assert_eq "$(grep -c '^allow_anonymous true' "$A/mosquitto/mosquitto.conf")/$(grep -c '^allow_anonymous false' "$A/mosquitto/mosquitto.conf")" \
    0/1 "the default stack's broker refuses anonymous clients"
it_assert_eq "$(grep -c '^allow_anonymous true' "$B/mosquitto/mosquitto.conf")" 1 \
    "the --insecure stack's broker allows them"
if mosquitto_sub -h 127.0.0.1 -p "$A_MQ" -t karo/hub/x -E -W 3 >/dev/null 2>&1; then
	it_fail "plain anonymous MQTT to the default stack fails"
else
	it_pass "plain anonymous MQTT to the default stack fails"
fi
it_assert_eq "$(stat -c %a "$A/stack.env")" 600 "stack.env is private (its password)"

# --- PostgreSQL ------------------------------------------------------------

it_assert_eq "$(it_sql 'select current_user || current_database() || inet_server_port()')" \
    "simpulsimpul$A_PG" "psql works on stack A as simpul/simpul"
it_assert_eq "$(psql "$(envof "$B" SIMPUL_PG)" -XAtqc 'select inet_server_port()')" \
    "$B_PG" "the SIMPUL_PG conninfo of stack B works"
it_assert_eq "$("$IT_STACK" psql "$B" -Atqc 'select 1')" 1 "deploy/stack psql DIR works"
it_assert_eq "$(it_sql "select setting from pg_settings where name = 'listen_addresses'")" \
    127.0.0.1 "PostgreSQL listens on loopback only"
it_sql 'create table stack_probe (x int); insert into stack_probe values (42)' >/dev/null
it_assert_eq "$("$IT_STACK" psql "$B" -Atqc "select count(*) from pg_tables where tablename = 'stack_probe'")" \
    0 "a table made on stack A is not on stack B"
if PGPASSWORD=wrong psql -XAtq -c 'select 1' >/dev/null 2>&1; then
	it_fail "a wrong password is refused"
else
	it_pass "a wrong password is refused"
fi

"$IT_STACK" pg-stop "$A" >/dev/null
if it_sql 'select 1' >/dev/null 2>&1; then
	it_fail "pg-stop stops PostgreSQL"
else
	it_pass "pg-stop stops PostgreSQL"
fi
it_assert_eq "$("$IT_STACK" psql "$B" -Atqc 'select 1')" 1 "stack B's PostgreSQL is still up"
it_assert_ok "pg-start" "$IT_STACK" pg-start "$A"
it_assert_eq "$(it_sql 'select x from stack_probe')" 42 "after pg-start on the same port the data is there"

# --- Mosquitto --------------------------------------------------------------

# mq STACK CMD...: a mosquitto client CMD logged in to STACK's broker as
# the hub (TLS and password on the secure stack; the options come from a
# file, keeping the password off the command line), under karo/hub/it/.
mq()
{
	local d=$1/it-mqtt

	shift
	mkdir -p -m 0700 "$d"
	{
		echo "-h 127.0.0.1"
		echo "-p $(envof "$(dirname "$d")" SIMPUL_MQTT_PORT)"
		if [ "$(envof "$(dirname "$d")" SIMPUL_MQTT_SECURE)" = 1 ]; then
			echo "--cafile $(envof "$(dirname "$d")" SIMPUL_MQTT_CA)"
			echo "-u hub"
			echo "-P $(envof "$(dirname "$d")" SIMPUL_MQTT_PASS_HUB)"
		fi
	} >"$d/mosquitto_pub"
	cp -f "$d/mosquitto_pub" "$d/mosquitto_sub"
	XDG_CONFIG_HOME=$d "$@"
}

# A persistent session (clean session off, fixed client id) that is offline
# while messages arrive: exactly the hub's situation during a restart.
session()
{
	mq "$1" mosquitto_sub -i "$2" -c -q 1 -t 'karo/hub/it/stack/#' -E
}
drain()
{
	mq "$1" mosquitto_sub -i "$2" -c -q 1 -t 'karo/hub/it/stack/#' -C "$3" -W "$4" 2>/dev/null
}

session "$A" it-a && session "$B" it-b
it_assert_eq $? 0 "persistent sessions on both brokers"
mq "$A" mosquitto_pub -q 1 -t karo/hub/it/stack/one -m hello-a
it_assert_eq "$(drain "$A" it-a 1 10)" hello-a "a QoS 1 message published on A reaches A's subscriber"
it_assert_eq "$(drain "$B" it-b 1 2)" "" "and not B's"

# 1500 messages for an offline session: more than Mosquitto's default queue
# of 1000, which would drop the rest silently.
seq 1 1500 | mq "$A" mosquitto_pub -q 1 -t karo/hub/it/stack/bulk -l
it_assert_ok "mqtt-stop (graceful)" "$IT_STACK" mqtt-stop "$A"
if mq "$A" mosquitto_sub -t karo/hub/x -E -W 2 >/dev/null 2>&1; then
	it_fail "mqtt-stop stops the broker"
else
	it_pass "mqtt-stop stops the broker"
fi
it_assert_ok "mqtt-start" "$IT_STACK" mqtt-start "$A"
got=$(drain "$A" it-a 1500 20)
it_assert_eq "$(printf '%s\n' "$got" | wc -l)/$(printf '%s\n' "$got" | tail -n 1)" 1500/1500 \
    "1500 queued QoS 1 messages survive a graceful broker restart"

# SIGKILL: what was saved (autosave every second) survives, what arrived
# after the last save may not; only the first half is asserted.
mq "$A" mosquitto_pub -q 1 -t karo/hub/it/stack/k -m saved
sleep 3
it_assert_ok "mqtt-kill" "$IT_STACK" mqtt-kill "$A"
it_assert_ok "mqtt-start after SIGKILL" "$IT_STACK" mqtt-start "$A"
it_assert_eq "$(drain "$A" it-a 1 10)" saved "a message saved before SIGKILL is delivered after restart"

it_assert_eq "$(envof "$A" SIMPUL_MQTT_PORT)" "$A_MQ" "restarts keep the broker's port"
it_assert_ok "status says both servers run" "$IT_STACK" status "$A"

# --- up twice, down ----------------------------------------------------------

out=$("$IT_STACK" up "$A" 2>&1)
it_assert_eq "$?/$(grep -c 'already running' <<<"$out")" 0/1 "up on a running stack says so and succeeds"

pids=$(cat "$A/run/postgres.pid" "$A/run/mosquitto.pid" "$B/run/postgres.pid" "$B/run/mosquitto.pid")
it_assert_eq "$(wc -w <<<"$pids")" 4 "four recorded server PIDs"
"$IT_STACK" down "$B" >/dev/null
"$IT_STACK" down "$A" >/dev/null
left=
for p in $pids; do
	[ -e "/proc/$p/exe" ] && left="$left $p"
done
it_assert_eq "$left" "" "down leaves none of the recorded processes running"
if "$IT_STACK" status "$A" >/dev/null; then
	it_fail "status after down reports stopped"
else
	it_pass "status after down reports stopped"
fi
it_assert_ok "down on a stopped stack is fine" "$IT_STACK" down "$A"
for p in "$A_MQ" "$A_PG" "$B_MQ" "$B_PG"; do
	[ -z "$(ss -Htln "( sport = :$p )")" ] || left="$left :$p"
done
it_assert_eq "$left" "" "no listener is left on the four ports"

# --- lib.sh itself ------------------------------------------------------------

"$IT_STACK" up "$A" >/dev/null
it_spawn sleeper sleep 300 >/dev/null
sleeper=$IT_LAST_PID
it_assert_ok "it_spawn: the process runs" it_alive "$sleeper"
it_assert_ok "it_kill" it_kill "$sleeper"
if it_alive "$sleeper"; then it_fail "it_kill ends the process"; else it_pass "it_kill ends the process"; fi
it_sql 'create table lib_probe (x int)'
(sleep 1; psql -XAtqc 'insert into lib_probe values (7)') >/dev/null 2>&1 &
it_assert_ok "it_sql_wait sees a later insert" it_sql_wait 10 'select sum(x) from lib_probe' 7
it_assert_ok "it_wait_for" it_wait_for 5 "a file" test -f "$A/stack.env"

# it_as: a client logs in with the named client's credentials (from a file,
# not the command line); an unknown client is refused before connecting;
# under it_spawn the recorded PID is the command's own.
it_assert_ok "it_as hub: mosquitto_sub logs in over TLS" it_as hub mosquitto_sub -t karo/hub/probe -E -W 5
if it_as nobody mosquitto_sub -t karo/hub/probe -E -W 5 >/dev/null 2>&1; then
	it_fail "it_as refuses a client the stack does not have"
else
	it_pass "it_as refuses a client the stack does not have"
fi
it_spawn assub it_as operator mosquitto_sub -t 'karo/feed/#' >/dev/null
assub=$IT_LAST_PID
it_wait_for 5 "it_spawn it_as to record mosquitto_sub's own PID" \
    bash -c "[ \"\$(readlink /proc/$assub/exe)\" = '$(command -v mosquitto_sub)' ]" &&
    it_pass "it_spawn it_as records the command's own PID"
if tr '\0' ' ' <"/proc/$assub/cmdline" | grep -q -- "$(it_mqtt_password operator)"; then
	it_fail "the password is not on the command line"
else
	it_pass "the password is not on the command line"
fi
it_kill "$assub"

# A test that dies half-way (exit 3 after a spawn inside $(...)) and one that
# finishes with a sanitizer report in a daemon's log: both must clean up
# after themselves, and the second must fail.
inner=$A/inner.sh
cat >"$inner" <<EOF
. '$SIMPUL_SRC/tests/integration/lib.sh'
it_setup
p=\$(it_spawn daemon sh -c 'echo "x.c:1:2: runtime error: boom"; exec sleep 300')
echo "\$p \$IT_DIR \$(cat "\$IT_DIR/run/postgres.pid" "\$IT_DIR/run/mosquitto.pid")" >"\$1"
it_pass "one thing"
[ "\$2" = die ] && exit 3
it_wait_for 5 "the report" grep -q 'runtime error' "\$IT_DIR/log/daemon.log"
it_done
EOF
for mode in die finish; do
	out=$(bash "$inner" "$A/inner.$mode" "$mode" 2>&1)
	rc=$?
	read -r ipid idir ipg imq <"$A/inner.$mode"
	if [ "$mode" = die ]; then
		it_assert_eq "$rc" 3 "an inner test that exits 3 exits 3"
	else
		it_assert_eq "$rc/$(grep -cx '1 passed, 1 failed' <<<"$out")" 1/1 \
		    "a sanitizer report in a spawned process's log fails the test"
	fi
	left=
	for p in $ipid $ipg $imq; do
		[ -e "/proc/$p/exe" ] && left="$left $p"
	done
	it_assert_eq "$left" "" "($mode) cleanup stopped the spawned process and the stack"
	it_assert_ne "$idir" "" "($mode) the inner test had a directory"
	if [ -e "$idir" ]; then
		it_fail "($mode) cleanup removed $idir"
	else
		it_pass "($mode) cleanup removed its directory"
	fi
done

it_done
