#!/usr/bin/env bash
#
# test_abusive_clients.sh: clients that hold resources without doing
# anything useful, against the real daemons:
#
#  1. slow loris: 30 connections each sending one header byte a second
#     (slowloris), against simpul-gps's OsmAnd port, simpul-pengaduan's
#     Open311 port and the hub's /metrics, all at once; a well-behaved
#     curl request to each still gets its answer within 5 s while they are
#     connected (the adapters keep all of them; the hub, 16 slots with a
#     5 s deadline each, sheds them and slowloris comes back);
#  2. 10,000 idle TCP connections (idleconns) to simpul-gps's GT06 port,
#     with max_connections = 10,100: a real tracker (the login and location
#     frames of tests/data/gps/gt06.tsv) still gets the exact login reply
#     and its position arrives in the hub's PostgreSQL. If this machine
#     cannot open 10,000 (descriptors, ports), as many as possible are
#     opened, at least 5,000 are required and the limit is printed.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"

for b in simpul-hub simpul-gps simpul-pengaduan gpsclient idleconns slowloris; do
	[ -x "$SIMPUL_BIN/$b" ] || { echo "test_abusive_clients: $b not built" >&2; exit 1; }
done
CLIENT=$SIMPUL_BIN/gpsclient
IDLE=10000
SLOW=30

# Descriptors for 10,000 connections on each side (idleconns and
# simpul-gps each raise their soft limit to this hard limit). Raising the
# hard limit needs root; without it we live with what we have.
ulimit -Hn 30000 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
it_log "descriptor limit $(ulimit -n); local ports $(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range)"

it_setup
hub_conf hub1 "[http]" "listen = 127.0.0.1:0"
hub_start hub1
MPORT=$(sed -n 's/.*httpd: hub: serving .* port \([0-9]*\).*/\1/p' "$IT_DIR/log/hub1.log" | tail -n 1)
[ -n "$MPORT" ] || it_die "the hub did not log its /metrics port"

# --- the daemons ------------------------------------------------------------------

GPSLOG=$IT_DIR/log/gps.log
gps_conf diskominfo "max_connections = 10100" \
    "[device 0353419036066061]" "plate = BK 1234 AB" "opd = dishub" \
    "[device 902064]" "opd = satpolpp"
gps_start
it_log "simpul-gps: $(grep -o 'descriptor limit [0-9]*' "$GPSLOG" | tail -n 1)"

KEY=karo-web-0123456789abcdef
pengaduan_conf "[service sampah]" "name = Sampah" \
    "[client kominfo-web]" "key = $KEY" "channel = web"
pengaduan_start || it_die "simpul-pengaduan did not start"

# timed NAME CMD...: runs CMD (a curl printing its status), prints
# "<output> <milliseconds>".
timed()
{
	local start out

	start=$(date +%s%N)
	out=$("$@")
	echo "$out $((($(date +%s%N) - start) / 1000000))"
}

# --- 1. slow loris ------------------------------------------------------------------

for p in "osmand $HTTP" "open311 $O311" "metrics $MPORT"; do
	set -- $p
	it_spawn "slow-$1" "$SIMPUL_BIN/slowloris" 127.0.0.1 "$2" "$SLOW" >/dev/null
done
for n in osmand open311 metrics; do
	it_wait_for 10 "$SLOW slow connections to $n" grep -q "^open $SLOW\$" "$IT_DIR/log/slow-$n.log"
done
# Let them dribble for a while, so that each connection has sent part of
# its headers.
sleep 5

read -r code ms < <(timed curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$HTTP/?id=902064&lat=3.1&lon=98.5&timestamp=1704096000")
it_assert_eq "$code" 200 "OsmAnd: a phone is answered with $SLOW slow loris connections open (${ms} ms)"
read -r code ms < <(timed curl -s -o "$IT_DIR/o311.json" -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "api_key=$KEY&service_code=sampah&address_string=Kabanjahe&description=Sampah+menumpuk" \
    "http://127.0.0.1:$O311/open311/v2/requests.json")
it_assert_eq "$code" 200 "Open311: a POST is answered with $SLOW slow loris connections open (${ms} ms)"
# The hub's endpoint has 16 slots ([http] max_connections) for the 30
# slow clients and cuts each connection at 5 s ([http] timeout), so a
# scrape can wait for a slot up to that deadline: three scrapes, a second
# apart, each within 8 s.
for i in 1 2 3; do
	read -r code ms < <(timed curl -s -o "$IT_DIR/metrics.txt" -w '%{http_code}' --max-time 8 "http://127.0.0.1:$MPORT/metrics")
	it_assert_eq "$code" 200 "hub /metrics: scrape $i is answered with $SLOW slow loris connections open (${ms} ms)"
	it_assert_ok "hub /metrics: scrape $i is complete" grep -q '^simpul_events_stored_total ' "$IT_DIR/metrics.txt"
	sleep 1
done
it_sql_wait 30 "select count(*) from event where subject = '902064'" 1
it_sql_wait 30 "select count(*) from event where type = 'complaint.created'" 1
# The slow clients were really there all along: none was closed by the
# adapters in these seconds (osmand_request_timeout 60 s, Open311
# connection_timeout 30 s). The hub cuts them at its 5 s deadline, and
# slowloris reopens them, so it is under pressure throughout too.
for n in osmand open311 metrics; do
	closed=$(sed -n 's/^closed //p' "$IT_DIR/log/slow-$n.log" | tail -n 1)
	it_log "slow loris against $n: ${closed:-0} connections closed by the server"
	[ "$n" = metrics ] && continue
	it_assert_eq "${closed:-0}" 0 "slow loris against $n: all $SLOW connected throughout"
done
it_assert_ok "slow loris against the hub: still running" \
    it_alive "$(awk '$3 == "slow-metrics" { print $1 }' "$IT_DIR/run/it.pids" | tail -n 1)"
for n in osmand open311 metrics; do
	pid=$(awk -v n="slow-$n" '$3 == n { print $1 }' "$IT_DIR/run/it.pids" | tail -n 1)
	it_kill "$pid" TERM
done

# --- 2. 10,000 idle connections to GT06 -------------------------------------------

LOGIN=$(sed -n 1p "$SIMPUL_SRC/tests/data/gps/gt06.tsv" | cut -f1)
LOC=$(sed -n 3p "$SIMPUL_SRC/tests/data/gps/gt06.tsv" | cut -f1)
it_spawn idle "$SIMPUL_BIN/idleconns" 127.0.0.1 "$GT06" "$IDLE" >/dev/null
IDLE_PID=$IT_LAST_PID
it_wait_for 120 "idleconns to open its connections" grep -q '^held ' "$IT_DIR/log/idle.log"
held=$(sed -n 's/^held //p' "$IT_DIR/log/idle.log" | tail -n 1)
held=${held:-0}
if [ "$held" -lt "$IDLE" ]; then
	it_log "LIMIT: only $held of $IDLE connections could be opened: $(grep 'idleconns:' "$IT_DIR/log/idle.log" | tail -n 1)"
	it_assert_ok "at least 5,000 idle connections ($held)" test "$held" -ge 5000
else
	it_pass "$IDLE idle connections open"
fi
# Let the server accept them all.
sleep 2
it_assert_ok "simpul-gps refused none of them (below max_connections)" bash -c "! grep -q 'max_connections=.* reached' '$GPSLOG'"
start=$(date +%s%N)
out=$("$CLIENT" -t 5000 127.0.0.1 "$GT06" send "$LOGIN" recv 10 send "$LOC" nothing 500 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
it_assert_eq "$(head -n 1 <<<"$out")" "reply 787805010003face0d0a" \
    "with $held idle connections a GT06 tracker gets the exact login reply (${ms} ms)"
it_sql_wait 30 "select count(*) from event where subject = '353419036066061' and data->>'fix_time' = '2015-10-20T14:21:11.000Z'" 1 &&
    it_pass "the tracker's position arrived in PostgreSQL"
it_assert_eq "$(it_sql "select round((data->>'lat')::numeric, 5) || ' ' || round((data->>'lon')::numeric, 5) || ' ' || opd from event where subject = '353419036066061'")" \
    "54.94535 24.01762 dishub" "the position's values"
it_assert_ok "idleconns still holds its connections" it_alive "$IDLE_PID"
it_assert_ok "simpul-gps still runs" it_alive "$GPS_PID"
it_kill "$IDLE_PID" TERM
it_assert_eq "$(it_sql "select count(*) from dead_letter")" 0 "no dead letters"
it_done
