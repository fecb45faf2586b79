# tests/integration/daemon_lib.sh: configuring and starting the daemons
# other than the hub in integration tests: simpul-console, simpul-gps,
# simpul-pengaduan and the sqlpoll adapters (simpul-sp2d, simpul-simda).
# Sourced after lib.sh (and hub_lib.sh); the functions are called after
# it_setup.
#
# Each daemon gets the config the tests have in common, written by
# NAME_conf with the test's own lines appended, and NAME_start, which
# starts it through it_spawn as its own broker client and waits until it
# serves. The adapters listen on ports the kernel picks (127.0.0.1:0) and
# NAME_start reads them back from the log.
# shellcheck shell=bash

: "${SIMPUL_WEB_DIR:=$SIMPUL_BUILD/console/web-root}"

# --- simpul-console ----------------------------------------------------------

# console_conf NAME PORT [INI LINES...]: writes $IT_DIR/NAME.conf for a
# simpul-console on 127.0.0.1:PORT serving $SIMPUL_WEB_DIR (the build
# tree's web dir unless ctest names another); the lines go into
# [console]. The database is $SIMPUL_PG, the broker the stack's.
console_conf()
{
	local name=$1 port=$2

	shift 2
	mkdir -p "$SIMPUL_WEB_DIR"
	{
		printf '[console]\nlisten = 127.0.0.1:%s\nweb_dir = %s\n' "$port" "$SIMPUL_WEB_DIR"
		printf '%s\n' "$@"
		printf '[postgres]\nconninfo = %s\n[mqtt]\nuri = %s\n' "$SIMPUL_PG" "$SIMPUL_MQTT_URI"
	} >"$IT_DIR/$name.conf"
}

# console_start NAME PORT [ARGS...]: starts simpul-console with
# $IT_DIR/NAME.conf and ARGS, as broker client ${CONSOLE_AS:-console}
# (the console replays dead letters into any OPD's ingest topic and
# watches the hub's status: the stack's console client may do both), and
# waits up to 30 s until /api/me on PORT answers 401 (no session). Sets
# CON_PID; returns 1, counted as a failure, when it does not answer.
console_start()
{
	local name=$1 port=$2

	shift 2
	it_spawn "$name" it_as "${CONSOLE_AS:-console}" "$SIMPUL_BIN/simpul-console" "$@" \
	    -c "$IT_DIR/$name.conf" >/dev/null
	CON_PID=$IT_LAST_PID
	it_wait_for 30 "simpul-console $name to answer" console__answers "$port"
}

console__answers()
{
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/api/me")" = 401 ]
}

# --- simpul-gps --------------------------------------------------------------

# gps_conf OPD [INI LINES...]: writes $IT_DIR/gps.conf for simpul-gps as
# adapter gps of OPD: GT06, H02 and OsmAnd on ports the kernel picks,
# unknown devices refused, no stats lines. The lines follow the [gps]
# section: more of its keys, then the [device ...] sections.
gps_conf()
{
	local opd=$1

	shift
	{
		cat <<EOF
[adapter]
name = gps
opd = $opd
state_dir = $IT_DIR/gps-state
schemas = $SIMPUL_SRC/schemas
flush_timeout = 5s
[gps]
gt06_listen = 127.0.0.1:0
h02_listen = 127.0.0.1:0
osmand_listen = 127.0.0.1:0
unknown_devices = reject
stats_interval = 0
EOF
		printf '%s\n' "$@"
	} >"$IT_DIR/gps.conf"
}

# gps_start [ARGS...]: starts simpul-gps (as broker client gps) with
# $IT_DIR/gps.conf and ARGS and waits up to 30 s until it runs; a gps that
# does not start ends the test (it_die). Sets GPS_PID and the ports it
# picked: GT06, H02 and HTTP (OsmAnd).
gps_start()
{
	local log=$IT_DIR/log/gps.log

	it_spawn_until 30 'gps: running' gps it_as gps "$SIMPUL_BIN/simpul-gps" "$@" -c "$IT_DIR/gps.conf" ||
	    it_die "simpul-gps did not start"
	GPS_PID=$IT_LAST_PID
	GT06=$(sed -n 's/.*gt06 listening on [^ ]* port \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	H02=$(sed -n 's/.*h02 listening on [^ ]* port \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	HTTP=$(sed -n 's/.*osmand_http: listening on [^ ]* port \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	it_log "simpul-gps pid $GPS_PID: gt06 $GT06 h02 $H02 http $HTTP"
}

# --- simpul-pengaduan --------------------------------------------------------

# pengaduan_conf [INI LINES...]: writes $IT_DIR/pengaduan.conf for
# simpul-pengaduan as adapter pengaduan of diskominfo, its Open311
# endpoint on a port the kernel picks. The lines follow the [open311]
# section: more of its keys, then other sections.
pengaduan_conf()
{
	{
		cat <<EOF
[adapter]
name = pengaduan
opd = diskominfo
state_dir = $IT_DIR/pengaduan-state
schemas = $SIMPUL_SRC/schemas
flush_timeout = 2s
[open311]
listen = 127.0.0.1:0
jurisdiction_id = karokab.go.id
EOF
		printf '%s\n' "$@"
	} >"$IT_DIR/pengaduan.conf"
}

# pengaduan_start [ARGS...]: starts simpul-pengaduan (as broker client
# pengaduan) with $IT_DIR/pengaduan.conf and ARGS, and waits up to 30 s
# until it listens and up to 30 s more until its status topic says
# online. Sets PGD_PID and O311 (the Open311 port); returns 1, counted as
# a failure, when either does not come.
pengaduan_start()
{
	it_spawn_until 30 'open311: listening' pengaduan \
	    it_as pengaduan "$SIMPUL_BIN/simpul-pengaduan" "$@" -c "$IT_DIR/pengaduan.conf" || return 1
	PGD_PID=$IT_LAST_PID
	O311=$(grep 'open311: listening' "$IT_DIR/log/pengaduan.log" | tail -n 1 | sed 's/.* port \([0-9]*\).*/\1/')
	it_wait_for 30 "simpul-pengaduan to connect" \
	    bash -c "XDG_CONFIG_HOME='$(it_mqtt_dir admin)' mosquitto_sub -t karo/adapter/status/pengaduan -C 1 -W 2 | grep -q online"
}

# --- the sqlpoll adapters ----------------------------------------------------

# sqlpoll_source DB FIXTURE: the database a sqlpoll adapter reads, in a
# second stack of its own in $IT_DIR/src (so that stopping it leaves the
# hub's PostgreSQL running): database DB, loaded from the SQL file
# FIXTURE, read through the PostgreSQL ODBC driver. Sets SRC, SRC_PORT,
# SRC_PW, SQLPOLL_DB (DB) and DRIVER (the ODBC driver's name); ends the
# test (it_die) when any of it cannot be had.
sqlpoll_source()
{
	SQLPOLL_DB=$1
	DRIVER=$(odbcinst -q -d 2>/dev/null | tr -d '[]' | grep -m 1 -i 'postgresql unicode')
	[ -n "$DRIVER" ] || DRIVER=$(odbcinst -q -d 2>/dev/null | tr -d '[]' | grep -m 1 -i postgresql)
	[ -n "$DRIVER" ] || it_die "no PostgreSQL ODBC driver (install odbc-postgresql)"
	SRC=$IT_DIR/src
	"$IT_STACK" up "$SRC" >"$IT_DIR/log/src-stack.log" 2>&1 || it_die "second stack did not start"
	it_on_exit "$IT_STACK" down "$SRC"
	SRC_PORT=$(sed -n 's/^export SIMPUL_PG_PORT=\([0-9]*\)$/\1/p' "$SRC/stack.env")
	SRC_PW=$(sed -n "s/^export PGPASSWORD='\([0-9a-f]*\)'$/\1/p" "$SRC/stack.env")
	SRC_DB=postgres src_sql "CREATE DATABASE $1" >/dev/null || it_die "cannot create the source database"
	PGPORT=$SRC_PORT PGPASSWORD=$SRC_PW psql -Xq -v ON_ERROR_STOP=1 -d "$1" \
	    -f "$2" >/dev/null 2>"$IT_DIR/log/fixture.log" </dev/null ||
	    it_die "cannot load $(basename -- "$2"): $(cat "$IT_DIR/log/fixture.log")"
}

# src_sql SQL [psql args...]: it_sql on the source database (or on
# database $SRC_DB of the source's stack).
src_sql()
{
	PGPORT=$SRC_PORT PGPASSWORD=$SRC_PW PGDATABASE=${SRC_DB:-$SQLPOLL_DB} it_sql "$@"
}

# sqlpoll_conf_head NAME: prints the [adapter] section of adapter NAME
# (of bpkad) and a [source] section for the source database, polled every
# 300 ms and retried within 4 s; the feeds and maps are the test's.
sqlpoll_conf_head()
{
	cat <<EOF
[adapter]
name = $1
opd = bpkad
state_dir = $IT_DIR/$1-state
schemas = $SIMPUL_SRC/schemas
flush_timeout = 5s
[source]
dsn = Driver={$DRIVER};Server=127.0.0.1;Port=$SRC_PORT;Database=$SQLPOLL_DB;Uid=simpul;Pwd=$SRC_PW
poll = 300ms
login_timeout = 3s
retry_min = 500ms
retry_max = 4s
EOF
}

# sqlpoll_start NAME: starts simpul-NAME (as broker client NAME) with
# $IT_DIR/NAME.conf and waits up to 30 s until it has connected to the
# source (once more than before). Sets IT_LAST_PID; returns 1, counted as
# a failure, when it does not connect.
sqlpoll_start()
{
	it_spawn_until 30 'sqlpoll: connected to the source' "$1" \
	    it_as "$1" "$SIMPUL_BIN/simpul-$1" -c "$IT_DIR/$1.conf"
}
