#!/usr/bin/env bash
# test_console.sh: the operator console end to end in headless Chromium.
#
# Starts a real stack (Mosquitto + PostgreSQL), the real simpul-hub with
# Karo's rules (deploy/rules/karo.yaml, escalation scan every 200 ms), the
# real simpul-console serving the build tree's web dir, and the real GPS
# adapter (simpul-gps). Users come from `simpulctl user add`. Prepared
# here, before the browser starts:
#   - a breached case: a complaint (category sampah -> dlh) dated 6+
#     working days back, which the hub escalates at once;
#   - a dead letter: a complaint whose channel fails its schema;
#   - vehicles: three OsmAnd positions through simpul-gps (normal,
#     overspeed, SOS alarm);
#   - the fresh complaint (category jalan_rusak -> dpupr) that the browser
#     test publishes itself once the live feed is open.
# Then console.test.mjs (playwright-core driving /usr/bin/chromium) signs
# in, follows the complaint through the feed, the queue, verify and assign,
# the OPD officer's acknowledgement and resolution (with a note), the
# operator's close, the supervisor's reopen, a rejection with a reason,
# the admin's screens (users, rules, no case actions), an alarm's
# countdown ticking around the clock, the lists reloading on the live
# stream's resync (this script restarts the console), the dead-letter
# replay, the map, the hub outage banner (this script stops and starts the
# hub when the browser test asks, through request files in $CTRL), and
# times each screen (under 1 s) after deploy/demo-cases.sql has added
# 10,000 open cases. Screenshots:
# $SIMPUL_BUILD/test-artifacts/console/*.png.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"

CTL=$SIMPUL_BIN/simpulctl
CONSOLE=$SIMPUL_BIN/simpul-console
GPS=$SIMPUL_BIN/simpul-gps
LG=$SIMPUL_BIN/simpul-loadgen
: "${BROWSER_NODE_MODULES:=$SIMPUL_BUILD/npm/browser-tests/node_modules}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PASSWORD=uji-konsol-Karo-2026
SHOTS=$SIMPUL_BUILD/test-artifacts/console
ADU_TOPIC=karo/ev/diskominfo/pengaduan/complaint.created

for f in "$CTL" "$CONSOLE" "$GPS" "$LG" "$CHROMIUM"; do
	[ -x "$f" ] || { echo "test_console: $f is missing (not built or not installed)" >&2; exit 1; }
done
[ -f "$SIMPUL_WEB_DIR/index.html" ] || { echo "test_console: no web dir at $SIMPUL_WEB_DIR" >&2; exit 1; }
[ -d "$BROWSER_NODE_MODULES/playwright-core" ] || { echo "test_console: playwright-core not installed in $BROWSER_NODE_MODULES" >&2; exit 1; }
command -v jq >/dev/null || { echo "test_console: jq is needed" >&2; exit 1; }

it_setup
CTRL=$IT_DIR/ctrl
mkdir -p "$CTRL" "$SHOTS"
rm -f "$SHOTS"/*.png

"$CTL" migrate >"$IT_DIR/migrate.out" 2>&1 || it_die "simpulctl migrate failed: $(cat "$IT_DIR/migrate.out")"
"$CTL" rules apply "$SIMPUL_SRC/deploy/rules/karo.yaml" --actor tester >"$IT_DIR/apply.out" 2>&1 ||
    it_die "rules apply failed: $(cat "$IT_DIR/apply.out")"

hub_conf hub1 '[cases]' 'escalation_interval = 200ms' '[postgres]' 'reconnect_max = 1s'
hub_start hub1

# --- users ---------------------------------------------------------------------
adduser()
{
	printf '%s\n' "$PASSWORD" | "$CTL" user add "$@" >>"$IT_DIR/users.out" 2>&1
}
adduser op1 --role operator --display "Operator Satu" || it_die "simpulctl user add op1 failed: $(cat "$IT_DIR/users.out")"
adduser dishub1 --role opd --opd dishub --display "Petugas Dishub" || it_die "simpulctl user add dishub1 failed"
adduser sup1 --role supervisor --display "Supervisor" || it_die "simpulctl user add sup1 failed"
adduser adm1 --role admin --display "Admin" || it_die "simpulctl user add adm1 failed"
it_pass "an operator, an OPD officer, a supervisor and an admin made with simpulctl user add"

# --- the console -------------------------------------------------------------
PORT=$(it_free_port) || it_die "no free port"
URL=http://127.0.0.1:$PORT
# A rough box around the regency and a geofence around Kabanjahe: test
# shapes, not survey data.
cat >"$IT_DIR/boundary.geojson" <<'EOF'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Kabupaten Karo (uji)"},
"geometry":{"type":"Polygon","coordinates":[[[97.85,2.85],[98.1,3.05],[98.35,3.3],[98.6,3.32],[98.75,3.15],[98.65,2.95],[98.4,2.82],[98.1,2.8],[97.85,2.85]]]}}]}
EOF
cat >"$IT_DIR/geofences.geojson" <<'EOF'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Kabanjahe"},
"geometry":{"type":"Polygon","coordinates":[[[98.47,3.08],[98.53,3.08],[98.53,3.13],[98.47,3.13],[98.47,3.08]]]}}]}
EOF
console_conf console "$PORT" 'site = karo' "boundary_geojson = $IT_DIR/boundary.geojson" \
    "geofences_geojson = $IT_DIR/geofences.geojson"
it_assert_ok "simpul-console -n accepts the config" "$CONSOLE" -n -c "$IT_DIR/console.conf"
console_start console "$PORT" -d || it_die "simpul-console did not start"

# --- the GPS adapter and three vehicles -------------------------------------
gps_conf dishub "$(cat <<EOF
[device 880001]
plate = BK 1001 KA
opd = dishub
name = Mobil Patroli Dishub
[device 880002]
plate = BK 1002 KA
opd = dishub
name = Truk Derek
[device 880003]
plate = BK 1003 KA
opd = bpbd
name = Ambulans BPBD
EOF
)"
gps_start -d
ts=$(date -u +%s)
osmand()
{
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/?$1"
}
# speed in knots: 20 kn = 37 km/h, 60 kn = 111 km/h (over karo.yaml's 80)
it_assert_eq "$(osmand "id=880001&lat=3.1012&lon=98.4921&timestamp=$ts&speed=20&bearing=90")" 200 "OsmAnd position of BK 1001 KA"
it_assert_eq "$(osmand "id=880002&lat=3.1905&lon=98.5082&timestamp=$ts&speed=60&bearing=10")" 200 "OsmAnd overspeed position of BK 1002 KA"
it_assert_eq "$(osmand "id=880003&lat=3.0667&lon=98.3671&timestamp=$ts&speed=0&alarm=sos")" 200 "OsmAnd SOS of BK 1003 KA"
it_sql_wait 30 "select count(distinct subject) from event where type = 'gps.position'" 3

# --- a breached case ----------------------------------------------------------
days=$(it_sql "select min(d) from generate_series(8, 60) d
    where simpul_deadline(now() - d * interval '1 day', '6wd') <= now() - interval '1 hour'")
"$LG" pub --dump --count 1 --mix complaint.created=1 --prefix old --time-offset-days "$days" |
    jq -c '.id = "console-old" | .data.complaint_id = "ADU-UJI-LAMA" | .subject = "ADU-UJI-LAMA" | .data.category = "sampah"' >"$IT_DIR/old.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -f "$IT_DIR/old.json"
it_sql_wait 30 "select escalation_level >= 1 from case_record where case_key = 'pengaduan:ADU-UJI-LAMA'" t
BREACHED=$(it_sql "select id from case_record where case_key = 'pengaduan:ADU-UJI-LAMA'")
it_assert_eq "$(it_sql "select opd from case_record where id = $BREACHED")" dlh "the old complaint's case is dlh's and escalated"

# --- a dead letter ------------------------------------------------------------
"$LG" pub --dump --count 1 --mix complaint.created=1 --prefix bad |
    jq -c '.id = "console-bad" | .data.channel = "merpati-pos"' >"$IT_DIR/bad.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$ADU_TOPIC" -f "$IT_DIR/bad.json"
it_sql_wait 30 "select count(*) from dead_letter where event_id = 'console-bad'" 1
DLQ=$(it_sql "select id from dead_letter where event_id = 'console-bad'")
it_assert_eq "$(it_sql "select reason from dead_letter where id = $DLQ")" schema "the bad channel is a schema dead letter"

# --- a new case to reject, and an alarm whose deadline runs around the clock ---
psql -XAtq -v ON_ERROR_STOP=1 -v count=1 -f "$SIMPUL_SRC/deploy/demo-cases.sql" >/dev/null ||
    it_die "deploy/demo-cases.sql (one case) failed"
REJECT=$(it_sql "select id from case_record where title like '%(demo %' and status = 'new' order by id limit 1")
it_assert_eq "$([ -n "$REJECT" ] && echo yes)" yes "a new demo case to reject"
# The alarm policy's verify deadline is 1 h around the clock (a day here,
# so that it outlives the test): its countdown ticks at any hour.
ALARM=$(it_sql "insert into case_record (kind, case_key, opd, severity, title, channel, policy, opened_at, clock_started_at, due_at, deadline_kind)
    values ('gps.alarm', 'uji:alarm', 'dishub', 'critical', 'Alarm SOS uji', 'gps', 'alarm', now(), now(), now() + interval '1 day', 'verify') returning id")

# --- the fresh complaint (published by the browser test) --------------------
"$LG" pub --dump --count 1 --mix complaint.created=1 --prefix new |
    jq -c '.id = "console-new" | .data.complaint_id = "ADU-UJI-BARU" | .subject = "ADU-UJI-BARU" | .data.category = "jalan_rusak"' >"$IT_DIR/new.json"

# --- the browser --------------------------------------------------------------
# control_loop PID: answers the browser test's requests until it exits.
control_loop()
{
	local pid=$1 req name

	while it_alive "$pid"; do
		for req in "$CTRL"/*.req; do
			[ -e "$req" ] || continue
			name=$(basename -- "$req" .req)
			rm -f -- "$req"
			case $name in
			hub-stop) it_kill "$HUB_PID" TERM ;;
			hub-start) hub_start hub1 ;;
			console-restart)
				it_kill "$CON_PID"
				console_start console "$PORT" -d
				;;
			*) it_log "unknown control request $name" ;;
			esac
			: >"$CTRL/$name.done"
		done
		sleep 0.2
	done
}

it_spawn browser env CONSOLE_URL="$URL" SHOTS_DIR="$SHOTS" CTRL_DIR="$CTRL" \
    TEST_PASSWORD="$PASSWORD" BREACHED_CASE_ID="$BREACHED" DLQ_ID="$DLQ" GPS_DEVICE=880002 \
    COMPLAINT_FILE="$IT_DIR/new.json" COMPLAINT_TOPIC="$ADU_TOPIC" COMPLAINT_EVENT_ID=console-new \
    MQTT_PUB_CONFIG="$(it_mqtt_dir adapter-diskominfo)" OSMAND_URL="http://127.0.0.1:$HTTP" \
    COMPLAINT_CASE_KEY=pengaduan:ADU-UJI-BARU ASSIGN_OPD=dishub \
    REJECT_CASE_ID="$REJECT" ALARM_CASE_ID="$ALARM" \
    DEMO_SQL="$SIMPUL_SRC/deploy/demo-cases.sql" DEMO_COUNT="${DEMO_COUNT:-10000}" \
    BROWSER_NODE_MODULES="$BROWSER_NODE_MODULES" CHROMIUM="$CHROMIUM" \
    node "$SIMPUL_SRC/tests/browser/console.test.mjs" >/dev/null
BROWSER=$IT_LAST_PID
control_loop "$BROWSER"
wait "$BROWSER" 2>/dev/null
rc=$?
out=$IT_DIR/log/browser.log
grep -E '^(ok|FAIL) - |^load |^demo data' "$out"
cp "$out" "$SHOTS/browser.log" 2>/dev/null || true
# The browser test's own checks count here too.
np=$(grep -c '^ok - ' "$out")
nf=$(grep -c '^FAIL - ' "$out")
IT_PASSED=$((IT_PASSED + np))
IT_FAILED=$((IT_FAILED + nf))
it_assert_eq "$rc" 0 "the browser test exited 0"
it_assert_eq "$(grep -c '^[0-9]* passed, [0-9]* failed$' "$out")" 1 "the browser test ran to its summary"
n=$(find "$SHOTS" -name '*.png' | wc -l)
it_log "screenshots: $n in $SHOTS"
it_assert_eq "$([ "$n" -ge 14 ] && echo yes)" yes "at least 14 screenshots written ($n)"
it_done
