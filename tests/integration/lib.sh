# tests/integration/lib.sh: sourced by every integration test script (bash).
#
# An integration test runs against a real Mosquitto and a real PostgreSQL of
# its own: it_setup makes a private directory under /tmp, starts a stack there
# with deploy/stack (free loopback ports, so tests run in parallel), and
# sources its stack.env (SIMPUL_MQTT_URI, SIMPUL_MQTT_PORT, SIMPUL_PG, PG*).
# Daemons under test are started with it_spawn, which logs their output to
# $IT_DIR/log/NAME.log and records their PID; at exit (normal, failure or
# signal) every recorded process is stopped by PID, the stack is taken down
# and the directory removed (SIMPUL_KEEP=1 keeps it for a post-mortem).
#
# The stack's broker is the secure one (TLS, a password per client, ACLs,
# no anonymous access), as in production. A test names the broker client
# each of its programs plays, with it_as (see "broker clients" below):
#
#	it_spawn hub it_as hub "$SIMPUL_BIN/simpul-hub" -c "$IT_DIR/hub.conf"
#	it_as operator mosquitto_sub -t 'karo/feed/#' -C 1 -W 5
#	it_as admin "$SIMPUL_BIN/simpul-loadgen" pub --uri "$SIMPUL_MQTT_URI" ...
#
# it_setup --insecure starts a plain, anonymous broker instead, for a test
# that is about something TLS would only get in the way of.
#
# Assertions count into "N passed, N failed", printed by it_done, which
# exits non-zero on any failure or when nothing was asserted. On failure the
# tail of every spawned process's log is printed.
#
# Typical use:
#
#	. "$SIMPUL_SRC/tests/integration/lib.sh"
#	it_setup
#	it_sql "create table t (x int)"
#	it_spawn hub "$SIMPUL_BIN/simpul-hub" -d -c "$IT_DIR/hub.conf"
#	hub=$IT_LAST_PID
#	it_wait_for 10 "the hub's status topic" mosquitto_sub ...
#	it_sql_wait 10 "select count(*) from t" 1
#	it_assert_eq "$(it_sql 'select x from t')" 42 "the hub stored x"
#	it_kill "$hub" KILL
#	it_done
#
# Environment from ctest: SIMPUL_BIN (build/bin), SIMPUL_SRC (source tree),
# SIMPUL_BUILD (build tree). Run by hand, they default to this source tree
# and its build/ directory.

# shellcheck shell=bash

set -uo pipefail

: "${SIMPUL_SRC:=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SIMPUL_BUILD:=$SIMPUL_SRC/build}"
: "${SIMPUL_BIN:=$SIMPUL_BUILD/bin}"
export SIMPUL_SRC SIMPUL_BUILD SIMPUL_BIN

IT_NAME=$(basename -- "$0" .sh)
IT_STACK=$SIMPUL_SRC/deploy/stack
IT_DIR=
IT_LAST_PID=
IT_PASSED=0
IT_FAILED=0
IT_CLEANED=0
IT_ON_EXIT=()

it_log()
{
	printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "$IT_NAME" "$*" >&2
}

# --- processes ---------------------------------------------------------------

# Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat),
# which tells a process from a later one that got the same PID.
it__starttime()
{
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# The command name (field 2) may hold spaces; cut after its ')'.
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo "${20}"
}

# it_alive PID: PID is running (not a zombie) and is the process we started.
it_alive()
{
	local pid=$1 want st

	[ -r "/proc/$pid/stat" ] || return 1
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
	case $st in '' | Z | X) return 1 ;; esac
	want=$(awk -v p="$pid" '$1 == p { print $2 }' "$IT_DIR/run/it.pids" 2>/dev/null | tail -n 1)
	[ -z "$want" ] || [ "$(it__starttime "$pid")" = "$want" ]
}

# it_spawn NAME CMD...: start CMD in the background, stdout and stderr
# appended to $IT_DIR/log/NAME.log, stdin from /dev/null. Sets IT_LAST_PID
# and prints the PID, so both "it_spawn x cmd; pid=$IT_LAST_PID" and
# "pid=$(it_spawn x cmd)" work (the PID list is kept in a file, so a spawn in
# a command substitution is still cleaned up).
it_spawn()
{
	local name=$1 log pid start

	shift
	[ -n "$IT_DIR" ] || { echo "it_spawn: call it_setup first" >&2; return 1; }
	case $name in
	'' | *[!A-Za-z0-9._-]*) echo "it_spawn: bad name '$name'" >&2; return 1 ;;
	esac
	log=$IT_DIR/log/$name.log
	printf '=== %s: %s\n' "$(date '+%F %T')" "$*" >>"$log"
	if [ "$1" = it_as ]; then
		# it_as then execs CMD, so that the PID is CMD's own.
		IT_AS_EXEC=1 "$@" </dev/null >>"$log" 2>&1 &
	else
		"$@" </dev/null >>"$log" 2>&1 &
	fi
	pid=$!
	start=$(it__starttime "$pid") || start=
	echo "$pid $start $name" >>"$IT_DIR/run/it.pids"
	# shellcheck disable=SC2034 # for the test scripts
	IT_LAST_PID=$pid
	it_log "spawned $name: pid $pid"
	echo "$pid"
}

# it_kill PID [SIGNAL]: send SIGNAL (default TERM) and wait for the process
# to end; after 10 s it gets SIGKILL. Returns 0 once it is gone.
it_kill()
{
	local pid=$1 sig=${2:-TERM} i

	it_alive "$pid" || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		it_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	it_log "pid $pid ignored SIG$sig for 10 s; sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		it_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	it_log "pid $pid survives SIGKILL"
	return 1
}

# it_spawn_until TIMEOUT_S TEXT NAME CMD...: it_spawn NAME CMD..., then
# wait until NAME's log holds one more line with TEXT (fixed text) than it
# did before, so that a restarted daemon is not taken for up by its
# predecessor's lines. Sets IT_LAST_PID (prints nothing); returns 1,
# counted as a failure, when TEXT does not come within TIMEOUT_S.
it_spawn_until()
{
	local timeout=$1 text=$2 name=$3 before

	shift 2
	before=$(it__log_count "$name" "$text")
	it_spawn "$@" >/dev/null || return 1
	it_wait_for "$timeout" "$name to log '$text'" it__log_grew "$name" "$text" "$before"
}

# it__log_count NAME TEXT: lines of NAME's log holding TEXT (0 without a log).
it__log_count()
{
	local n

	n=$(grep -cF -- "$2" "$IT_DIR/log/$1.log" 2>/dev/null)
	echo "${n:-0}"
}

it__log_grew()
{
	[ "$(it__log_count "$1" "$2")" -gt "${3:-0}" ]
}

# it_free_port: prints a loopback TCP port in 20000-31999 (below the
# kernel's ephemeral range) that no socket uses now; 1 if none is found in
# 200 tries. Another process may take it before the caller binds it: for a
# daemon that can be told port 0 and logs its port, prefer that.
it_free_port()
{
	local p i

	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		[ -n "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ] || { echo "$p"; return 0; }
	done
	return 1
}

# it_on_exit CMD...: run CMD (a simple command) during cleanup, before the
# stack goes down, e.g. to stop a second stack the test started itself.
it_on_exit()
{
	local q

	printf -v q '%q ' "$@"
	IT_ON_EXIT+=("$q")
}

# --- the stack ---------------------------------------------------------------

it__cleanup()
{
	local rc=$? c

	[ "$IT_CLEANED" -eq 1 ] && return
	IT_CLEANED=1
	trap - EXIT INT TERM
	[ -n "$IT_DIR" ] || return
	it__stop_spawned
	for c in "${IT_ON_EXIT[@]}"; do
		eval "$c" >&2 || true
	done
	"$IT_STACK" down "$IT_DIR" >/dev/null 2>&1 || "$IT_STACK" down "$IT_DIR" >&2 || true
	if [ "${SIMPUL_KEEP:-0}" = 1 ]; then
		it_log "kept $IT_DIR (SIMPUL_KEEP=1)"
	else
		rm -rf -- "$IT_DIR"
	fi
	return "$rc"
}

# it_setup [--insecure]: private directory, running stack (secure unless
# --insecure), environment, cleanup trap. Fails the whole test (exit 1)
# when the stack cannot start.
it_setup()
{
	local mode=()

	[ "${1:-}" != --insecure ] || mode=(--insecure)
	IT_DIR=$(mktemp -d /tmp/simpul-it.XXXXXX) || { echo "it_setup: mktemp failed" >&2; exit 1; }
	chmod 0755 "$IT_DIR"
	trap it__cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$IT_DIR/log" "$IT_DIR/run"
	: >"$IT_DIR/run/it.pids"
	it_log "stack in $IT_DIR"
	if ! "$IT_STACK" up "${mode[@]}" "$IT_DIR" >"$IT_DIR/log/stack-up.log" 2>&1; then
		cat "$IT_DIR/log/stack-up.log" >&2
		echo "it_setup: deploy/stack up failed" >&2
		exit 1
	fi
	# shellcheck source=/dev/null
	. "$IT_DIR/stack.env"
}

# --- broker clients ----------------------------------------------------------
#
# The clients of the test stack's broker are deploy/stack's secure_clients
# (docs/security.md has their rights): hub; admin (publishes any OPD's
# events, reads everything: loadgen, dlq replay); the adapters gps
# (dishub, diskominfo, bpbd, satpolpp), pengaduan (diskominfo), perizinan
# (dpmptsp), sp2d and simda (bpkad), whose [adapter] name must be their
# client name (the status topic); adapter-dishub, adapter-bpkad and
# adapter-diskominfo for hand-made events of one OPD; opd-dinkes,
# opd-dishub, opd-dpupr; operator and supervisor. stack.env (sourced by
# it_setup) holds SIMPUL_MQTT_URI (ssl://), SIMPUL_MQTT_CA and each
# client's SIMPUL_MQTT_PASS_<NAME>, but no user name: a program not run
# through it_as connects anonymously and is refused.
# Passwords never go on a command line: mosquitto clients read them from
# an options file, Simpul programs from the environment.

it__envname()
{
	printf '%s' "$1" | tr 'a-z-' 'A-Z_'
}

# it_mqtt_password NAME: prints client NAME's broker password (for a file
# a program reads; never pass it as an argument).
it_mqtt_password()
{
	local var

	var=SIMPUL_MQTT_PASS_$(it__envname "$1")
	if [ -z "${!var:-}" ]; then
		echo "it_mqtt_password: the stack has no broker client '$1'" >&2
		return 1
	fi
	printf '%s\n' "${!var}"
}

# it_mqtt_dir NAME: prints a directory (0700) whose mosquitto_pub,
# mosquitto_sub and mosquitto_rr files hold the options that connect as
# client NAME (host, port, CA, user, password); the mosquitto clients read
# them with XDG_CONFIG_HOME set to it. Rewritten at each call, so a broker
# that moved to another port is followed.
it_mqtt_dir()
{
	local name=$1 dir=$IT_DIR/mqtt/$1 pw f

	case $name in
	'' | *[!a-z0-9_-]*) echo "it_mqtt_dir: bad client name '$name'" >&2; return 1 ;;
	esac
	mkdir -p -m 0700 "$dir"
	{
		echo "-h 127.0.0.1"
		echo "-p $SIMPUL_MQTT_PORT"
		if [ "${SIMPUL_MQTT_SECURE:-0}" = 1 ]; then
			pw=$(it_mqtt_password "$name") || return 1
			echo "--cafile $SIMPUL_MQTT_CA"
			echo "-u $name"
			echo "-P $pw"
		fi
	} >"$dir/options" || return 1
	for f in mosquitto_pub mosquitto_sub mosquitto_rr; do
		cp -f -- "$dir/options" "$dir/$f"
	done
	echo "$dir"
}

# it_as NAME CMD...: runs CMD as broker client NAME. mosquitto_pub, _sub
# and _rr find host, port, TLS and login in NAME's options file (extra -h/-p
# arguments are harmless); Simpul programs (hub, adapters, simpulctl,
# loadgen) get SIMPUL_MQTT_USERNAME=NAME and take the password from
# SIMPUL_MQTT_PASS_<NAME> and the CA from SIMPUL_MQTT_CA. Under it_spawn
# ("it_spawn LOG it_as NAME CMD...") CMD replaces the shell, so the
# recorded PID is CMD's.
it_as()
{
	local name=$1 dir

	shift
	dir=$(it_mqtt_dir "$name") || return 1
	if [ "${IT_AS_EXEC:-0}" = 1 ]; then
		IT_AS_EXEC=0 XDG_CONFIG_HOME=$dir SIMPUL_MQTT_USERNAME=$name exec "$@"
	fi
	IT_AS_EXEC=0 XDG_CONFIG_HOME=$dir SIMPUL_MQTT_USERNAME=$name "$@"
}

# it_mqtt_conf NAME: prints the [mqtt] lines of a config file that
# connects as client NAME (uri, username, ca_file, and a password_file
# written for it), for programs that are not started through it_as.
it_mqtt_conf()
{
	local name=$1 dir

	dir=$(it_mqtt_dir "$name") || return 1
	echo "[mqtt]"
	echo "uri = $SIMPUL_MQTT_URI"
	[ "${SIMPUL_MQTT_SECURE:-0}" = 1 ] || return 0
	it_mqtt_password "$name" >"$dir/password" || return 1
	echo "username = $name"
	echo "password_file = $dir/password"
	echo "ca_file = $SIMPUL_MQTT_CA"
}

# it_sql SQL [psql args...]: run SQL on the stack's database and print the
# result unaligned, tuples only (-XAtq). Stops at the first error; returns
# psql's status. Extra arguments go to psql (e.g. -v name=value).
it_sql()
{
	local sql=$1

	shift
	psql -XAtq -v ON_ERROR_STOP=1 "$@" -c "$sql" </dev/null
}

# --- assertions --------------------------------------------------------------

it_pass()
{
	IT_PASSED=$((IT_PASSED + 1))
	echo "ok - $*"
}

it_fail()
{
	IT_FAILED=$((IT_FAILED + 1))
	echo "FAIL - $*"
}

it_assert_eq()
{
	if [ "$1" = "$2" ]; then
		it_pass "$3"
	else
		it_fail "$3: got '$1', expected '$2'"
	fi
}

it_assert_ne()
{
	if [ "$1" != "$2" ]; then
		it_pass "$3"
	else
		it_fail "$3: got '$1', expected anything else"
	fi
}

# it_assert_ok MSG CMD...: CMD succeeds.
it_assert_ok()
{
	local msg=$1

	shift
	if "$@"; then
		it_pass "$msg"
	else
		it_fail "$msg: '$*' failed with status $?"
	fi
}

# it_assert_grep FILE MSG GREP-ARGS...: grep GREP-ARGS finds a line in FILE.
it_assert_grep()
{
	local f=$1 msg=$2

	shift 2
	if grep -q "$@" "$f"; then
		it_pass "$msg"
	else
		it_fail "$msg: no match for '$*' in: $(head -c 600 "$f")"
	fi
}

# it_assert_json FILE MSG: FILE holds exactly one JSON text.
it_assert_json()
{
	if jq -se 'length == 1' "$1" >/dev/null 2>&1; then
		it_pass "$2 is valid JSON"
	else
		it_fail "$2 is not one valid JSON text: $(head -c 400 "$1")"
	fi
}

# it_wait_for TIMEOUT_S DESCRIPTION CMD...: run CMD every 0.2 s until it
# succeeds (0) or TIMEOUT_S passes (1, counted as a failure).
it_wait_for()
{
	local timeout=$1 what=$2 end

	shift 2
	end=$((SECONDS + timeout))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			it_fail "timed out after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

# it_sql_wait TIMEOUT_S SQL EXPECTED: poll SQL until it prints EXPECTED
# (0), or fail after TIMEOUT_S with the last result (1).
it_sql_wait()
{
	local timeout=$1 sql=$2 want=$3 got end

	end=$((SECONDS + timeout))
	while :; do
		got=$(it_sql "$sql" 2>&1) && [ "$got" = "$want" ] && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			it_fail "timed out after ${timeout}s waiting for '$sql' to give '$want'; last: '$got'"
			return 1
		fi
		sleep 0.2
	done
}

it__show_logs()
{
	local f

	[ -n "$IT_DIR" ] && [ -d "$IT_DIR/log" ] || return 0
	for f in "$IT_DIR"/log/*.log; do
		[ -s "$f" ] || continue
		echo "----- tail of $f"
		tail -n 40 "$f"
	done
}

# it__stop_spawned: stop every process it_spawn started that still runs.
it__stop_spawned()
{
	local pid start name

	[ -f "$IT_DIR/run/it.pids" ] || return 0
	while read -r pid start name; do
		if it_alive "$pid"; then
			it_log "stopping $name (pid $pid)"
			it_kill "$pid" TERM
		fi
	done <"$IT_DIR/run/it.pids"
}

# it__sanitizer_check: a sanitizer report in a spawned process's log is a
# failure, whatever the test checked of that process.
it__sanitizer_check()
{
	local name f

	[ -f "$IT_DIR/run/it.pids" ] || return 0
	while read -r name; do
		f=$IT_DIR/log/$name.log
		if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f" 2>/dev/null; then
			it_fail "sanitizer report in $name.log"
		fi
	done < <(awk '{ print $3 }' "$IT_DIR/run/it.pids" | sort -u)
}

# it_done: stop the spawned processes (so that LeakSanitizer has run in
# them), fail on any sanitizer report in their logs, print the counts and
# exit: 0 when something passed and nothing failed, 1 otherwise (the EXIT
# trap then takes the stack down).
it_done()
{
	if [ -n "$IT_DIR" ]; then
		it__stop_spawned
		it__sanitizer_check
	fi
	if [ "$IT_FAILED" -gt 0 ] || [ "$IT_PASSED" -eq 0 ]; then
		it__show_logs
	fi
	echo "$IT_PASSED passed, $IT_FAILED failed"
	[ "$IT_FAILED" -eq 0 ] && [ "$IT_PASSED" -gt 0 ] && exit 0
	exit 1
}

# it_die MSG: a failure the test cannot go on after.
it_die()
{
	it_fail "$*"
	it_done
}

# it_cert_broker DIR CLIENTS: a second Mosquitto, TLS only with
# require_certificate true, set up by deploy/broker-setup into DIR/sec from
# the client list CLIENTS (its text), on free ports (not claimed like
# deploy/stack's: a bind failure is retried on others). Sets IT_CB_PORT,
# IT_CB_WS_PORT, IT_CB_PID and IT_CB_OWNER (broker-setup's --owner
# arguments, for running it again); fails the test if it cannot start.
it_cert_broker()
{
	local dir=$1 i try

	mkdir -p "$dir"
	chmod 0755 "$dir"
	printf '%s\n' "$2" >"$dir/clients.list"
	IT_CB_OWNER=()
	[ "$(id -u)" -ne 0 ] || IT_CB_OWNER=(--owner mosquitto)
	for try in 1 2 3 4 5; do
		IT_CB_PORT=$(it_free_port) && IT_CB_WS_PORT=$(it_free_port) &&
		    [ "$IT_CB_WS_PORT" != "$IT_CB_PORT" ] || continue
		"$SIMPUL_SRC/deploy/broker-setup" --clients "$dir/clients.list" \
		    --out "$dir/sec" --host localhost --bind 127.0.0.1 \
		    --port "$IT_CB_PORT" --ws-port "$IT_CB_WS_PORT" \
		    --require-certificate "${IT_CB_OWNER[@]}" \
		    >>"$IT_DIR/log/setup2.log" 2>&1 ||
		    it_die "broker-setup --require-certificate failed"
		{
			echo "log_dest stderr"
			[ "$(id -u)" -ne 0 ] || echo "user mosquitto"
			cat "$dir/sec/mosquitto-tls.conf"
		} >"$dir/mosquitto.conf"
		it_spawn mq2 "$(command -v mosquitto || echo /usr/sbin/mosquitto)" \
		    -c "$dir/mosquitto.conf" >/dev/null
		IT_CB_PID=$IT_LAST_PID
		for ((i = 0; i < 50; i++)); do
			[ -n "$(ss -Htln "( sport = :$IT_CB_PORT )")" ] && return 0
			it_alive "$IT_CB_PID" || break
			sleep 0.1
		done
	done
	it_die "the require_certificate broker did not start"
}
