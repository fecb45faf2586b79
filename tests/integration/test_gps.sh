#!/usr/bin/env bash
#
# test_gps.sh: simpul-gps end to end, against a real Mosquitto, the real
# hub and PostgreSQL. The frames are the real captures of
# tests/data/gps/*.tsv (and fresh H02 lines built the same way).
#
#  1. GT06: login -> the exact ack 787805010003face0d0a; a location; an SOS
#     alarm -> its ack; the position and the gps.alarm arrive in the hub's
#     table with the right values, under the device's own OPD; a position
#     sent before the login is dropped.
#  2. H02: a V1 message split across writes -> the V4 reply, the position
#     stored; a status word with a power-cut bit -> gps.alarm power_cut.
#  3. OsmAnd over HTTP: GET query, POST form and JSON -> 200 and the events;
#     a missing id -> 400 "missing id"; 405, 413; unknown devices are refused (HTTP
#     403, and an unknown H02 tracker is disconnected) and nothing of them
#     is stored.
#  4. 1,000 idle TCP connections do not keep a tracker from being served.
#  5. SIGKILL right after the reply (broker down, so the event can only be
#     in Paho's persistence): after a restart the events arrive.
#  6. idle_timeout closes a silent connection; over max_connections a
#     connection is closed at once; an HTTP request that never completes
#     is cut by osmand_request_timeout.
#  7. Backpressure: with the broker down and max_buffered = 3, the 4th
#     message gets no reply until the broker is back; then the reply comes
#     and all four events arrive.
#  8. SIGTERM: exits 0 ("gps: stopped").
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"

GPS=$SIMPUL_BIN/simpul-gps
CLIENT=$SIMPUL_BIN/gpsclient
[ -x "$GPS" ] || { echo "test_gps: $GPS not built" >&2; exit 1; }
[ -x "$CLIENT" ] || { echo "test_gps: $CLIENT not built" >&2; exit 1; }

it_setup
hub_conf hub1
hub_start hub1

GPSLOG=$IT_DIR/log/gps.log

# The devices of the test frames.
DEVICES="; the GT06 login's BCD form of IMEI 353419036066061
[device 0353419036066061]
plate = BK 1234 AB
opd = dishub
name = Ambulans Puskesmas Kabanjahe
[device 4210051415]
plate = BK 8 KA
opd = bpbd
[device 4210209006]
opd = bpbd
[device 902064]
opd = satpolpp
[device 123456]
name = HP Satpol PP 1
[device 8737767034]
opd = dishub"

# frames_conf [EXTRA INI LINES...]: the adapter's config (gps_conf) with
# the extra [gps] lines and the devices of the test frames registered.
frames_conf()
{
	gps_conf diskominfo "$@" "$DEVICES"
}

# q SQL: one value from the hub's tables.
q()
{
	it_sql "$1"
}

# http URL [curl args...]: prints "<status> <body>" of a request.
http()
{
	local url=$1 code body

	shift
	body=$(curl -s -o "$IT_DIR/http.body" -w '%{http_code}' "$@" "http://127.0.0.1:$HTTP$url")
	code=$body
	body=$(tr -d '\n' <"$IT_DIR/http.body")
	echo "$code $body"
}

POS="select count(*) from event where type = 'gps.position'"

frames_conf
it_assert_ok "simpul-gps -n accepts the config" "$GPS" -n -c "$IT_DIR/gps.conf"
"$GPS" -D >"$IT_DIR/dump.conf"
it_assert_ok "simpul-gps -D documents unknown_devices" grep -q '^;unknown_devices = reject' "$IT_DIR/dump.conf"
frames_conf "[device 12-x]" "name = x" "[device 777]" "plate = bk 1"
it_assert_eq "$("$GPS" -n -c "$IT_DIR/gps.conf" 2>&1 | grep -c 'gps.conf:[0-9]*:')" 2 "a bad device id and a lower-case plate are reported with file:line"
frames_conf
gps_start -d

# --- 1. GT06 ------------------------------------------------------------------

LOGIN=78780d0103534190360660610003c3df0d0a
LOC12=78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a
LOC12B=787821121303120b2524c70138e363085b549003d43301940057d200cd52c000006aa1ca0d0a
LOC22=787822221106160a1016c60278019407c7783800040001940504700046fc01030100065f570d0a
ALARM=787825160B0B0F0E241DCF027AC8870C4657E60014020901CC00287D001F726506040101003656A40D0A
STATUS=78780a13440604000201baaf540d0a

out=$("$CLIENT" 127.0.0.1 "$GT06" send "$LOGIN" recv 10 send "$LOC12" send "$ALARM" recv 10 2>&1)
it_assert_eq "$(sed -n 1p <<<"$out")" "reply 787805010003face0d0a" "GT06 login answered with the exact ack"
it_assert_eq "$(sed -n 2p <<<"$out")" "reply 78780516003695700d0a" "GT06 alarm answered with its ack (serial 0x36)"

SUB=353419036066061
it_sql_wait 30 "select count(*) from event where subject = '$SUB' and data->>'fix_time' = '2015-10-20T14:21:11.000Z'" 1
it_assert_eq "$(q "select round((data->>'lat')::numeric, 5) || ' ' || round((data->>'lon')::numeric, 5) || ' ' || (data->>'speed_kmh') || ' ' || (data->>'valid') || ' ' || (data->>'satellites') || ' ' || (data->>'protocol') from event where subject = '$SUB' and data->>'fix_time' = '2015-10-20T14:21:11.000Z'")" \
    "54.94535 24.01762 0 true 5 gt06" "GT06 location: lat, lon, speed, valid, satellites, protocol"
it_assert_eq "$(q "select opd || ' ' || topic || ' ' || (data->>'plate') || ' | ' || (data->>'name') || ' | ' || source || ' ' || time from event where subject = '$SUB' and data->>'fix_time' = '2015-10-20T14:21:11.000Z'")" \
    "dishub karo/ev/dishub/gps/gps.position BK 1234 AB | Ambulans Puskesmas Kabanjahe | /karo/dishub/gps 2015-10-20 14:21:11+00" \
    "GT06 location: published under the device's OPD, with plate, name and the fix time"
it_sql_wait 30 "select count(*) from event where type = 'gps.alarm' and subject = '$SUB'" 1
it_assert_eq "$(q "select (data->>'alarm') || ' ' || round((data->>'lat')::numeric, 5) || ' ' || round((data->>'lon')::numeric, 5) || ' ' || (data->>'fix_time') || ' ' || (data->>'plate') || ' ' || topic from event where type = 'gps.alarm' and subject = '$SUB'")" \
    "sos 23.11176 114.40923 2011-11-15T14:36:29.000Z BK 1234 AB karo/ev/dishub/gps/gps.alarm" "GT06 alarm stored as gps.alarm sos"
it_sql_wait 30 "select count(*) from event where type = 'gps.position' and subject = '$SUB' and data->>'fix_time' = '2011-11-15T14:36:29.000Z'" 1
it_assert_eq "$(q "select count(*) from event where subject = '$SUB' and id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-5'")" 3 "fixes with a device time have UUIDv5 ids"

# A position before the login is dropped; the same connection is served
# once it logs in (status ack, then a position).
out=$("$CLIENT" 127.0.0.1 "$GT06" send "$LOC22" nothing 500 send "$LOGIN" recv 10 send "$STATUS" recv 10 send "$LOC12B" 2>&1)
it_assert_eq "$(tr '\n' ' ' <<<"$out")" "nothing reply 787805010003face0d0a reply 7878051301bafb710d0a " "GT06: no reply before login; login and status acks after"
it_sql_wait 30 "select count(*) from event where subject = '$SUB' and data->>'fix_time' = '2019-03-18T11:37:36.000Z'" 1
it_assert_eq "$(q "select (data->>'ignition') || ' ' || (data->>'speed_kmh') || ' ' || (data->>'course') from event where subject = '$SUB' and data->>'fix_time' = '2019-03-18T11:37:36.000Z'")" "true 3 51" "GT06 location with ACC: ignition, speed, course"
it_assert_eq "$(q "select count(*) from event where subject = '$SUB' and data->>'fix_time' like '2017-06-22%'")" 0 "the position sent before the login was dropped"

# Re-sending the same fix (a tracker after a reconnect) is no new event.
"$CLIENT" 127.0.0.1 "$GT06" send "$LOGIN" recv 10 send "$LOC12" >/dev/null 2>&1
it_sql_wait 30 "select seq >= 5 from hub_journal where instance = 'hub1'" t
sleep 1
it_assert_eq "$(q "select count(*) from event where subject = '$SUB' and data->>'fix_time' = '2015-10-20T14:21:11.000Z'")" 1 "a re-sent GT06 fix is stored once"
it_assert_eq "$(q "select count(*) from dead_letter")" 0 "no dead letters so far"

# --- 2. H02 -------------------------------------------------------------------

out=$("$CLIENT" 127.0.0.1 "$H02" text '*HQ,4210051415,V1,164549,A,0956.3869,N,0840' sleep 300 text '6.7068,W,000.00,000,221215,FFFFFBFF,712,01,0,0,6#' recvto '#' 2>&1)
case $out in
"reply *HQ,4210051415,V4,V1,20"????????????"#") it_pass "H02 V1 split across writes answered with V4,V1,<time>" ;;
*) it_fail "H02 reply: got '$out'" ;;
esac
it_sql_wait 30 "select count(*) from event where subject = '4210051415'" 1
it_assert_eq "$(q "select round((data->>'lat')::numeric, 5) || ' ' || round((data->>'lon')::numeric, 5) || ' ' || (data->>'fix_time') || ' ' || (data->>'ignition') || ' ' || (data->>'valid') || ' ' || (data->>'plate') || ' ' || opd || ' ' || (data->>'protocol') from event where subject = '4210051415'")" \
    "9.93978 -84.11178 2015-12-22T16:45:49.000Z false true BK 8 KA bpbd h02" "H02 position values"

"$CLIENT" 127.0.0.1 "$H02" text '*HQ,4210209006,V1,201812,A,2608.9437,N,08016.2521,W,000.80,000,150317,EFE7F9FF,310,260,0,0,6#' recvto '#' >/dev/null 2>&1
it_sql_wait 30 "select data->>'alarm' from event where type = 'gps.alarm' and subject = '4210209006'" power_cut
it_assert_eq "$(q "select (data->>'speed_kmh') || ' ' || (data->>'fix_time') from event where type = 'gps.position' and subject = '4210209006'")" "1.48 2017-03-15T20:18:12.000Z" "H02 power-cut message is also a position (knots to km/h)"

# --- 3. OsmAnd ----------------------------------------------------------------

it_assert_eq "$(http '/?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0')" "200 " "OsmAnd GET answered 200"
it_assert_eq "$(http '/' -d 'id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0&hdop=0.0')" "200 " "OsmAnd POST form answered 200"
it_assert_eq "$(http '/' -H 'Content-Type: application/json' -d '{"device_id": "8737767034", "location": {"timestamp": "2021-07-21T08:06:34.444Z", "coords": {"latitude": -6.1148096, "longitude": 106.6837015, "speed": 18.67, "heading": 63, "altitude": 35.7, "accuracy": 3.8}, "battery": {"level": 0.79, "is_charging": false}, "is_moving": false, "extras": {}}}')" "200 " "OsmAnd JSON answered 200"
it_assert_eq "$(http '/?lat=1.0&lon=2.0')" "400 missing id" "OsmAnd without id: 400 missing id"
it_assert_eq "$(http '/?id=902064&lat=91.0&lon=2.0')" "400 lat out of range" "OsmAnd lat out of range: 400"
it_assert_eq "$(http '/?id=999999&lat=1.0&lon=2.0&timestamp=1377177267')" "403 unknown device" "OsmAnd unknown device: 403"
it_assert_eq "$(http '/?id=902064' -X PUT)" "405 use GET or POST" "OsmAnd PUT: 405"
it_assert_eq "$(curl -s -o /dev/null -D - -X PUT "http://127.0.0.1:$HTTP/?id=902064" | tr -d '\r' | sed -n 's/^[Aa]llow: //p')" "GET, POST" "... with Allow: GET, POST"
head -c 70000 /dev/zero | tr '\0' a >"$IT_DIR/big.body"
it_assert_eq "$(http '/' --data-binary @"$IT_DIR/big.body")" "413 body too large" "OsmAnd body over 64 KiB: 413"

it_sql_wait 30 "select count(*) from event where subject in ('902064', '123456', '8737767034')" 3
it_assert_eq "$(q "select round((data->>'lat')::numeric, 5) || ' ' || round((data->>'lon')::numeric, 5) || ' ' || (data->>'fix_time') || ' ' || (data->>'hdop') || ' ' || (data->>'altitude_m') || ' ' || opd || ' ' || (data->>'protocol') from event where subject = '902064'")" \
    "42.06288 -88.23412 2016-01-27T18:55:47.000Z 6 224 satpolpp osmand" "OsmAnd GET values"
it_assert_eq "$(q "select (data->>'fix_time') || ' ' || (data->>'lat') || ' ' || opd || ' ' || (data->>'name') from event where subject = '123456'")" \
    "2013-08-22T13:14:27.000Z 60 diskominfo HP Satpol PP 1" "OsmAnd POST form values; a device without opd uses the adapter's"
it_assert_eq "$(q "select (data->>'speed_kmh') || ' ' || (data->>'course') || ' ' || (data->>'battery_pct') || ' ' || (data->>'accuracy_m') || ' ' || (data->>'fix_time') from event where subject = '8737767034'")" \
    "67.21 63 79 3.8 2021-07-21T08:06:34.444Z" "OsmAnd JSON values (m/s to km/h, battery fraction)"

# An unknown H02 tracker gets no reply and is disconnected.
out=$("$CLIENT" 127.0.0.1 "$H02" text '*HQ,1111111111,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,140613,FFFFFFFF#' eof 2>&1)
it_assert_eq "$out" "eof" "unknown H02 device: no reply, connection closed"
out=$("$CLIENT" 127.0.0.1 "$H02" text '*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,140613,FFFFFFFF#' eof 2>&1)
it_assert_eq "$out" "eof" "another unknown H02 device: connection closed"
# A known event after the unknown ones, so that they had every chance to
# arrive first.
it_assert_eq "$(http '/?id=902064&lat=1.5&lon=2.5&timestamp=1377177300')" "200 " "OsmAnd after the unknown ones"
it_sql_wait 30 "select count(*) from event where subject = '902064'" 2
it_assert_eq "$(q "select count(*) from event where subject in ('999999', '1111111111', '2705171109')")" 0 "nothing of unknown devices is stored"
it_assert_ok "unknown devices are logged" grep -q 'unknown device 1111111111 (h02) refused' "$GPSLOG"

# --- 4. 1,000 idle connections ------------------------------------------------

it_spawn idle "$CLIENT" 127.0.0.1 "$GT06" hold 1000 wait >/dev/null
IDLE_PID=$IT_LAST_PID
it_wait_for 30 "1,000 idle connections" grep -q '^held 1000' "$IT_DIR/log/idle.log"
start=$(date +%s%N)
out=$("$CLIENT" -t 3000 127.0.0.1 "$GT06" send "$LOGIN" recv 10 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
it_assert_eq "$out" "reply 787805010003face0d0a" "with 1,000 idle connections a tracker is still answered (${ms} ms)"
it_assert_eq "$(http '/?id=902064&lat=1.6&lon=2.6&timestamp=1377177400')" "200 " "and so is a phone"
it_sql_wait 30 "select count(*) from event where subject = '902064'" 3
it_kill "$IDLE_PID" TERM

# --- 5. SIGKILL right after the reply -------------------------------------------

"$IT_STACK" mqtt-stop "$IT_DIR" >/dev/null 2>&1
it_wait_for 30 "simpul-gps to see the broker gone" grep -q 'publisher: connection lost' "$GPSLOG"
out=$("$CLIENT" 127.0.0.1 "$H02" text '*HQ,4210051415,V1,080000,A,0306.0000,N,09830.0000,E,010.00,090,010124,FFFFFFFF#' recvto '#' 2>&1)
case $out in
"reply *HQ,4210051415,V4,V1,"*) it_pass "H02 answered while the broker is down" ;;
*) it_fail "H02 reply with the broker down: '$out'" ;;
esac
it_assert_eq "$(http '/?id=902064&lat=3.1&lon=98.5&timestamp=1704096000')" "200 " "OsmAnd answered while the broker is down"
it_kill "$GPS_PID" KILL
"$IT_STACK" mqtt-start "$IT_DIR" >/dev/null 2>&1 || it_die "broker did not restart"
frames_conf "idle_timeout = 2s" "max_connections = 3" "osmand_request_timeout = 2s" \
    "[mqtt]" "max_buffered = 3"
gps_start -d
it_sql_wait 60 "select count(*) from event where subject = '4210051415' and data->>'fix_time' = '2024-01-01T08:00:00.000Z'" 1
it_sql_wait 60 "select count(*) from event where subject = '902064' and time = '2024-01-01 08:00:00+00'" 1
it_assert_eq "$(q "select (data->>'lat') || ' ' || (data->>'speed_kmh') || ' ' || (data->>'course') from event where subject = '4210051415' and data->>'fix_time' = '2024-01-01T08:00:00.000Z'")" "3.1 18.52 90" "the event accepted before the SIGKILL arrived intact"

# --- 6. idle timeout ------------------------------------------------------------

start=$SECONDS
out=$("$CLIENT" -t 10000 127.0.0.1 "$GT06" eof 2>&1)
it_assert_eq "$out" "eof" "a silent connection is closed by idle_timeout ($((SECONDS - start)) s)"

# Over max_connections (3) a connection is accepted and closed at once.
it_spawn hold3 "$CLIENT" 127.0.0.1 "$GT06" hold 2 wait >/dev/null
HOLD_PID=$IT_LAST_PID
it_wait_for 10 "three connections" grep -q '^held 2' "$IT_DIR/log/hold3.log"
out=$("$CLIENT" -t 1500 127.0.0.1 "$GT06" eof 2>&1)
it_assert_eq "$out" "eof" "the 4th connection is closed at once (max_connections = 3)"
it_assert_ok "max_connections is logged" grep -q 'max_connections=3 reached' "$GPSLOG"
it_kill "$HOLD_PID" TERM

# An HTTP client that never finishes its request is cut after
# osmand_request_timeout (2 s), well before the 15 s inactivity timeout.
start=$SECONDS
out=$("$CLIENT" -t 8000 127.0.0.1 "$HTTP" text 'GET /?id=902064 HTTP/1.1' eof 2>&1)
it_assert_eq "$out" "eof" "a slow HTTP request is cut by osmand_request_timeout ($((SECONDS - start)) s)"

# --- 7. backpressure ------------------------------------------------------------

before=$(grep -c 'publisher: connection lost' "$GPSLOG")
"$IT_STACK" mqtt-stop "$IT_DIR" >/dev/null 2>&1
it_wait_for 30 "simpul-gps to see the broker gone" \
    bash -c "[ \$(grep -c 'publisher: connection lost' '$GPSLOG') -gt $before ]"
it_spawn bp "$CLIENT" -t 60000 127.0.0.1 "$H02" \
    text '*HQ,4210051415,V1,090001,A,0306.0000,N,09830.0000,E,000.00,000,010124,FFFFFFFF#' recvto '#' \
    text '*HQ,4210051415,V1,090002,A,0306.0000,N,09830.0000,E,000.00,000,010124,FFFFFFFF#' recvto '#' \
    text '*HQ,4210051415,V1,090003,A,0306.0000,N,09830.0000,E,000.00,000,010124,FFFFFFFF#' recvto '#' \
    text '*HQ,4210051415,V1,090004,A,0306.0000,N,09830.0000,E,000.00,000,010124,FFFFFFFF#' nothing 1500 recvto '#' >/dev/null
BP_PID=$IT_LAST_PID
it_wait_for 30 "three replies and a silence" grep -q '^nothing' "$IT_DIR/log/bp.log"
it_assert_eq "$(grep -c '^reply \*HQ,4210051415,V4,V1,' "$IT_DIR/log/bp.log")" 3 "three messages answered, the fourth not while the buffer is full"
"$IT_STACK" mqtt-start "$IT_DIR" >/dev/null 2>&1 || it_die "broker did not restart"
it_wait_for 60 "the held message's reply" bash -c "! kill -0 $BP_PID 2>/dev/null"
it_assert_eq "$(grep -c '^reply \*HQ,4210051415,V4,V1,' "$IT_DIR/log/bp.log")" 4 "the fourth is answered once the broker is back"
it_sql_wait 60 "select count(*) from event where subject = '4210051415' and data->>'fix_time' like '2024-01-01T09:00:0%'" 4

# --- 8. SIGTERM -----------------------------------------------------------------

kill -TERM "$GPS_PID"
wait "$GPS_PID"
it_assert_eq "$?" 0 "SIGTERM: exit status 0"
it_assert_ok "SIGTERM: clean stop" grep -q 'gps: stopped' "$GPSLOG"
it_assert_ok "the full buffer was counted (busy > 0)" grep -q 'stats positions=.* busy=[1-9]' "$GPSLOG"
it_assert_ok "the cut HTTP connection was counted" grep -q 'stats http .* cut=1' "$GPSLOG"
it_assert_eq "$(q "select count(*) from dead_letter")" 0 "no dead letters"
it_done
