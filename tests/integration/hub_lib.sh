# tests/integration/hub_lib.sh: starting hubs and load in integration tests.
# Sourced after lib.sh and it_setup.
# shellcheck shell=bash

# hub_conf NAME [INI LINES...]: writes $IT_DIR/NAME.conf for instance NAME,
# with its journal in $IT_DIR/NAME-journal. Extra lines are appended as they
# are (use full "[section]" headers).
hub_conf()
{
	local name=$1

	shift
	{
		printf '[hub]\ninstance = %s\n' "$name"
		printf '[journal]\ndir = %s/%s-journal\n' "$IT_DIR" "$name"
		printf '%s\n' "$@"
	} >"$IT_DIR/$name.conf"
}

# hub_start NAME: starts simpul-hub (as broker client "hub") with
# $IT_DIR/NAME.conf and waits until it is connected to the broker (its log says so). Sets HUB_PID.
hub_start()
{
	local name=$1 log=$IT_DIR/log/$1.log before

	[ -f "$IT_DIR/$name.conf" ] || hub_conf "$name"
	before=$(grep -c 'mqtt: connected' "$log" 2>/dev/null || true)
	before=${before:-0}
	it_spawn "$name" it_as hub "$SIMPUL_BIN/simpul-hub" -c "$IT_DIR/$name.conf" >/dev/null
	HUB_PID=$IT_LAST_PID
	it_wait_for 60 "hub $name to connect" \
	    bash -c "[ \$(grep -c 'mqtt: connected' '$log' 2>/dev/null || echo 0) -gt $before ]"
}

# loadgen_start NAME ARGS...: simpul-loadgen pub against the stack (as
# broker client "admin", which may publish for every OPD), in the
# background. Sets LOAD_PID.
loadgen_start()
{
	local name=$1

	shift
	it_spawn "$name" it_as admin "$SIMPUL_BIN/simpul-loadgen" pub --uri "$SIMPUL_MQTT_URI" "$@" >/dev/null
	LOAD_PID=$IT_LAST_PID
}

# loadgen_wait PID TIMEOUT: waits for a loadgen to finish; 0 if it exited 0.
loadgen_wait()
{
	local pid=$1 timeout=$2 end=$((SECONDS + $2))

	while it_alive "$pid"; do
		if [ "$SECONDS" -ge "$end" ]; then
			it_fail "loadgen $pid still running after ${timeout}s"
			return 1
		fi
		sleep 0.2
	done
	wait "$pid"
}

# assert_exact_ids PREFIX N MSG: the event table holds exactly the ids
# PREFIX-0 .. PREFIX-(N-1), each once.
assert_exact_ids()
{
	local prefix=$1 n=$2 msg=$3

	it_assert_eq "$(it_sql "select count(*) from event where id like '$prefix-%'")" "$n" "$msg: $n rows"
	it_assert_eq "$(it_sql "select count(distinct id) from event where id like '$prefix-%'")" "$n" "$msg: each id once"
	it_assert_eq "$(it_sql "select count(*) from generate_series(0, $n - 1) g where not exists (select 1 from event_id where id = '$prefix-' || g)")" 0 "$msg: none missing"
}
