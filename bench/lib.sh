# Shell functions shared by the bench scripts (sourced, not run).
#
# The caller sets BENCH (its name, e.g. bench-ingest) before sourcing, for
# die and note. The functions below the messages need more: LG
# (simpul-loadgen), SDIR (the stack's directory, with its stack.env
# sourced), WORK (a scratch directory), TIMEOUT (seconds without progress
# before giving up), EVENTS (events per phase), HUB_PID (once the hub
# runs) and PIDS (an array of pids to stop on exit).
# shellcheck shell=bash

# --- messages and arguments ------------------------------------------------------

# die MSG: "BENCH: MSG" on stderr, and exit 1.
die()
{
	echo "$BENCH: $*" >&2
	exit 1
}

# note MSG: "BENCH: MSG" on stderr.
note()
{
	echo "$BENCH: $*" >&2
}

# posint OPTION VALUE [DIGITS]: VALUE is a positive integer of at most
# DIGITS digits (default 9), or the run ends with an error naming OPTION.
posint()
{
	local re="^[1-9][0-9]{0,$((${3:-9} - 1))}\$"

	[[ $2 =~ $re ]] || die "$1 wants a positive integer, not '$2'"
}

# field KEY LINE: the value of KEY=value in a loadgen summary line.
field()
{
	sed -n "s/.*\\b$1=\\([^ /]*\\).*/\\1/p" <<<"$2"
}

sql()
{
	psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

# --- CPU accounting ------------------------------------------------------------
# Every process on the path gets its CPU time per event, from
# /proc/PID/stat (Mosquitto, the hub, PostgreSQL) and from the load
# generator's own getrusage() (cpu_ms= in its summary line). Throughput on
# a shared two-core machine moves with whatever else runs; where the CPU
# goes per event moves much less, and says what a ratio is made of.

TICK=$(getconf CLK_TCK)

# cpu_init: finds the stack's Mosquitto and PostgreSQL (MQ_PID, PG_PID).
cpu_init()
{
	MQ_PID=$(cat "$SDIR/run/mosquitto.pid" 2>/dev/null || true)
	PG_PID=$(cat "$SDIR/run/postgres.pid" 2>/dev/null || true)
	[ -n "$MQ_PID" ] && [ -d "/proc/$MQ_PID" ] || die "cannot find Mosquitto's pid in $SDIR/run"
	[ -n "$PG_PID" ] && [ -d "/proc/$PG_PID" ] || die "cannot find PostgreSQL's pid in $SDIR/run"
}

# ticks PID...: user + system CPU ticks of the processes, with those of
# the children they have reaped (PostgreSQL's short-lived workers).
ticks()
{
	local p t=0 v
	for p in "$@"; do
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' \
		    "/proc/$p/stat" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# cpu_ticks PID: utime + stime of PID alone, in clock ticks.
cpu_ticks()
{
	local stat

	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo $((${12} + ${13}))
}

# pg_ticks: the postmaster and every backend and worker it runs now.
pg_ticks()
{
	# shellcheck disable=SC2046
	ticks "$PG_PID" $(ps -o pid= --ppid "$PG_PID")
}

# us TICKS N: microseconds of CPU per event.
us()
{
	awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# us_ms MS N: the same from milliseconds (simpul-loadgen's cpu_ms).
us_ms()
{
	awk -v t="${1:-0}" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e3 / n : 0) }'
}

# sum "name v + name v ...": the line with " = total" appended.
sum()
{
	awk -v s="$1" 'BEGIN { n = split(s, w, " "); for (i = 1; i <= n; i++) if (w[i] ~ /^[0-9.]+$/) t += w[i]; printf "%s = %.1f", s, t }'
}

# median [FORMAT]: of the numbers on stdin, one per line (printf FORMAT,
# default %.0f).
median()
{
	sort -g | awk -v f="${1:-%.0f}" '{ v[NR] = $1 } END { if (NR == 0) m = 0; else if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf f "\n", m }'
}

# --- the broker ceiling ----------------------------------------------------------
# ceiling SITE PREFIX: EVENTS events on SITE/ev/... from simpul-loadgen pub
# through the broker to one QoS 1 subscriber that discards. Sets CEIL (the
# subscriber's events/s, first to last message), CEIL_PUB (the publisher's
# acknowledged events/s) and CEIL_CPU (CPU per event of the three). Run
# with the hub alive but subscribed to another site, both phases of a
# comparison have the same processes.
ceiling()
{
	local site=$1 prefix=$2 pid pub mq0 mq1

	rm -f "$WORK/sub.ready"
	"$LG" sub --uri "$SIMPUL_MQTT_URI" --topic "$site/ev/#" --qos 1 \
	    --count "$EVENTS" --timeout-s "$TIMEOUT" --ready-file "$WORK/sub.ready" \
	    >"$WORK/sub-$site.out" 2>"$WORK/sub-$site.log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 200); do
		[ -f "$WORK/sub.ready" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -f "$WORK/sub.ready" ] || die "subscriber did not start: $(tail -3 "$WORK/sub-$site.log")"
	mq0=$(ticks "$MQ_PID")
	pub=$("$LG" pub --uri "$SIMPUL_MQTT_URI" --site "$site" --count "$EVENTS" \
	    --prefix "$prefix" --quiet 2>"$WORK/pub-$site.log") ||
	    die "(a) publisher failed: $pub $(tail -3 "$WORK/pub-$site.log")"
	wait "$pid" || die "(a) subscriber did not get every event: $(cat "$WORK/sub-$site.out")"
	mq1=$(ticks "$MQ_PID")
	CEIL_PUB=$(field rate "$pub")
	CEIL=$(field rate "$(cat "$WORK/sub-$site.out")")
	CEIL_CPU=$(sum "publisher $(us_ms "$(field cpu_ms "$pub")" "$EVENTS") + broker $(us $((mq1 - mq0)) "$EVENTS") + subscriber $(us_ms "$(field cpu_ms "$(cat "$WORK/sub-$site.out")")" "$EVENTS")")
}

# free_port: a loopback TCP port nobody listens on now (for the hub's
# /metrics; a by-hand benchmark can live with the small race).
free_port()
{
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# --- the hub ------------------------------------------------------------------------
# hub_start [EXTRA]: writes WORK/hub.conf (instance "bench" on site karo,
# the stack's broker and database, a journal in WORK, then the text EXTRA),
# starts HUB -d with it (HUB_PID) and waits until a warm-up event is
# stored, which proves the whole path works.
hub_start()
{
	local try ready=0
	mkdir -p "$WORK/journal"
	cat >"$WORK/hub.conf" <<EOF
[hub]
site = karo
instance = bench

[mqtt]
uri = $SIMPUL_MQTT_URI

[postgres]
conninfo = $SIMPUL_PG

[journal]
dir = $WORK/journal
${1:-}
EOF
	chmod 0600 "$WORK/hub.conf"
	"$HUB" -d -c "$WORK/hub.conf" >"$WORK/hub.log" 2>&1 &
	HUB_PID=$!

	# Events published before the hub's subscription exists go nowhere,
	# so keep sending small batches.
	note "waiting for the hub"
	for try in $(seq 60); do
		kill -0 "$HUB_PID" 2>/dev/null || die "hub exited: $(tail -5 "$WORK/hub.log")"
		"$LG" pub --uri "$SIMPUL_MQTT_URI" --count 10 --prefix "warm$try" \
		    --quiet >/dev/null 2>>"$WORK/pub-warm.log" || true
		sleep 1
		if [ "$(sql "select count(*) from event where id like 'warm%'" 2>/dev/null || echo 0)" -gt 0 ]; then
			ready=1
			break
		fi
	done
	[ "$ready" = 1 ] || die "hub stored no event within 60 s: $(tail -5 "$WORK/hub.log")"
	sleep 2 # the last warm-up events
}

# stop_hub: SIGTERM to HUB_PID, SIGKILL after 10 s, and wait for it.
stop_hub()
{
	local i
	[ -n "$HUB_PID" ] || return 0
	if kill -0 "$HUB_PID" 2>/dev/null; then
		kill -TERM "$HUB_PID" 2>/dev/null || true
		for i in $(seq 100); do
			kill -0 "$HUB_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$HUB_PID" 2>/dev/null || true
	fi
	wait "$HUB_PID" 2>/dev/null || true
	HUB_PID=
}

# --- the hub's progress ------------------------------------------------------------
# checkpoint: the journal sequence number of the hub's last commit (the
# hub's instance must be "bench"). Polled while a phase runs instead of
# counting rows: a count(*) over the growing event table every 200 ms
# would take PostgreSQL CPU from the hub it measures.
checkpoint()
{
	sql "select seq from hub_journal where instance = 'bench'" 2>/dev/null || echo 0
}

# count_rows PREFIX: committed events whose id starts with PREFIX-.
count_rows()
{
	sql "select count(*) from event where id like '$1-%'" 2>/dev/null || echo 0
}

# wait_count WANT WHAT CMD...: runs CMD, which prints a number, every
# 200 ms until the number reaches WANT. Fails after TIMEOUT seconds without
# progress, or when the hub has died; WHAT names the number in the message.
wait_count()
{
	local want=$1 what=$2 have last=-1 since=$SECONDS
	shift 2
	while :; do
		have=$("$@")
		[ "${have:-0}" -ge "$want" ] && return 0
		if [ "$have" != "$last" ]; then
			last=$have
			since=$SECONDS
		elif [ $((SECONDS - since)) -ge "$TIMEOUT" ]; then
			note "$what stayed at $have (waiting for $want) for ${TIMEOUT}s"
			return 1
		fi
		kill -0 "$HUB_PID" 2>/dev/null || { note "hub died: $(tail -5 "$WORK/hub.log")"; return 1; }
		sleep 0.2
	done
}

# wait_seq SEQ: until the hub committed through journal SEQ.
wait_seq()
{
	wait_count "$1" "the hub's checkpoint" checkpoint
}

# wait_rows PREFIX N: until N events PREFIX-n are committed.
wait_rows()
{
	wait_count "$2" "the count of committed $1 events" count_rows "$1"
}

# hub_phase PREFIX [AFTER]: publishes EVENTS events with ids PREFIX-n into
# the running hub and waits until all are committed, then runs the command
# AFTER if given (its output goes to PHASE_AFTER; bench-rules waits there
# for the outbox to drain, so that the relay's work counts). Sets
# PHASE_RATE (events/s, max(stored_at) - min(time) over those rows),
# PHASE_N, PHASE_SPAN_MS,
# PHASE_T0_MS (the first event's time), PHASE_PUB (the publisher's acked
# events/s) and PHASE_CPU (CPU per event of publisher, broker, hub and
# PostgreSQL, from the publisher's start to the hub's last commit, or to
# the end of AFTER).
#
# With the array PHASE_SIDE set (a command and its arguments), that
# command runs next to the publisher, started just before it; the phase
# waits for it to end before it reads the CPU times, and leaves its
# standard output in PHASE_SIDE_OUT.
PHASE_SIDE=()
hub_phase()
{
	local prefix=$1 after=${2:-} seq0 mq0 hub0 pg0 mq1 hub1 pg1 pub side=
	seq0=$(checkpoint)
	mq0=$(ticks "$MQ_PID")
	hub0=$(ticks "$HUB_PID")
	pg0=$(pg_ticks)
	if [ "${#PHASE_SIDE[@]}" -gt 0 ]; then
		"${PHASE_SIDE[@]}" >"$WORK/side-$prefix.out" 2>"$WORK/side-$prefix.log" &
		side=$!
		PIDS+=("$side")
	fi
	pub=$("$LG" pub --uri "$SIMPUL_MQTT_URI" --count "$EVENTS" --prefix "$prefix" \
	    --quiet 2>"$WORK/pub-$prefix.log") || die "(b) publisher failed: $pub"
	wait_seq $((seq0 + EVENTS)) || die "(b) $prefix: incomplete"
	PHASE_AFTER=
	if [ -n "$after" ]; then
		PHASE_AFTER=$($after) || die "(b) $prefix: $after failed"
	fi
	PHASE_SIDE_OUT=
	if [ -n "$side" ]; then
		wait "$side" || die "(b) $prefix: ${PHASE_SIDE[0]} failed: $(tail -3 "$WORK/side-$prefix.log")"
		PHASE_SIDE_OUT=$(cat "$WORK/side-$prefix.out")
	fi
	mq1=$(ticks "$MQ_PID")
	hub1=$(ticks "$HUB_PID")
	pg1=$(pg_ticks)
	wait_rows "$prefix" "$EVENTS" || die "(b) $prefix: incomplete"
	read -r PHASE_N PHASE_SPAN_MS PHASE_T0_MS <<<"$(sql "select count(*),
	    round(extract(epoch from max(stored_at) - min(time)) * 1000),
	    round(extract(epoch from min(time)) * 1000)
	    from event where id like '$prefix-%'" | tr '|' ' ')"
	PHASE_RATE=$(awk -v n="$PHASE_N" -v ms="$PHASE_SPAN_MS" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }')
	PHASE_PUB=$(field rate "$pub")
	PHASE_CPU=$(sum "publisher $(us_ms "$(field cpu_ms "$pub")" "$EVENTS") + broker $(us $((mq1 - mq0)) "$EVENTS") + hub $(us $((hub1 - hub0)) "$EVENTS") + PostgreSQL $(us $((pg1 - pg0)) "$EVENTS")")
}

# ratio B A: B / A with two decimals.
ratio()
{
	awk -v b="$1" -v a="$2" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }'
}
