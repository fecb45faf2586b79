#!/usr/bin/env bash
#
# test_hostile_input.sh: hostile strings (quotes, SQL, NUL bytes, invalid
# UTF-8, large fields) through the real daemons and simpulctl:
#
#  1. the hub over MQTT: invalid UTF-8 and a NUL byte in a payload become
#     dead letters invalid_json with the exact bytes kept; a valid event
#     whose data carries "'; DROP TABLE event; --" and quotes is stored
#     exactly;
#  2. simpul-pengaduan (Open311): a description with quotes and SQL is
#     stored exactly; invalid UTF-8 and a NUL byte are refused with 400; a
#     1 MiB body gets 413;
#  3. simpul-gps: OsmAnd with SQL in the id is refused (403, nothing
#     stored); H02 garbage gets no reply and nothing is stored; the daemon
#     still serves a real tracker afterwards;
#  4. every simpulctl argument that takes text, with SQL in it: a sensible
#     exit status (0, 1 or 2; never a signal), and the tables are all there
#     with their rows.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"

CTL=$SIMPUL_BIN/simpulctl
CLIENT=$SIMPUL_BIN/gpsclient
for b in simpul-hub simpulctl simpul-gps simpul-pengaduan simpul-loadgen gpsclient; do
	[ -x "$SIMPUL_BIN/$b" ] || { echo "test_hostile_input: $b not built" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "test_hostile_input: jq is needed" >&2; exit 1; }

it_setup
hub_conf hub1
hub_start hub1

DROP="'; DROP TABLE event; --"
HOSTILE="O'Brien \"quoted\" \\ back $DROP \$\$ \$1 %s %n {{x}}"

# tables_intact MSG: every table the tests touch still exists and keeps
# the rows it had (the counts recorded by tables_snapshot).
tables_snapshot()
{
	SNAP=$(it_sql "select (select count(*) from event) || ' ' || (select count(*) from dead_letter) || ' ' ||
	    (select count(*) from holiday) || ' ' || (select count(*) from case_record) || ' ' ||
	    (select count(*) from rule_history)")
}
tables_intact()
{
	local got

	got=$(it_sql "select (select count(*) from event) || ' ' || (select count(*) from dead_letter) || ' ' ||
	    (select count(*) from holiday) || ' ' || (select count(*) from case_record) || ' ' ||
	    (select count(*) from rule_history)" 2>&1)
	it_assert_eq "$got" "$SNAP" "$1: tables event, dead_letter, holiday, case_record, rule_history intact"
}

# --- 1. the hub over MQTT ------------------------------------------------------

# A valid complaint.created event from loadgen, given our id and hostile
# text in its data.
"$SIMPUL_BIN/simpul-loadgen" pub --dump --dump-topics --count 1 --mix complaint.created=1 \
    --prefix hostile >"$IT_DIR/one.tsv" || it_die "simpul-loadgen --dump failed"
TOPIC=$(cut -f1 "$IT_DIR/one.tsv")
cut -f2- "$IT_DIR/one.tsv" >"$IT_DIR/one.json"
jq -c --arg d "$HOSTILE" --arg x "$DROP" '.id = "hostile-sql" | .data.description = $d | .subject = $x' \
    "$IT_DIR/one.json" >"$IT_DIR/sql.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$TOPIC" -f "$IT_DIR/sql.json"
it_sql_wait 30 "select count(*) from event where id = 'hostile-sql'" 1
it_assert_eq "$(it_sql "select data->>'description' from event where id = 'hostile-sql'")" "$HOSTILE" \
    "hub: a description with quotes and DROP TABLE is stored exactly"
it_assert_eq "$(it_sql "select subject from event where id = 'hostile-sql'")" "$DROP" \
    "hub: a subject of \"$DROP\" is stored exactly"

# Invalid UTF-8 inside a JSON string, and a NUL byte: the exact bytes end
# up in dead_letter as invalid_json.
jq -c '.id = "hostile-utf8" | .data.description = "XXBADXX"' "$IT_DIR/one.json" |
    sed 's/XXBADXX/\xc3\x28\xff/' | tr -d '\n' >"$IT_DIR/utf8.bin"
jq -c '.id = "hostile-nul" | .data.description = "XXNULXX"' "$IT_DIR/one.json" | tr -d '\n' |
    sed 's/XXNULXX/a\x00b/' >"$IT_DIR/nul.bin"
it_assert_eq "$(tr -cd '\000' <"$IT_DIR/nul.bin" | wc -c)" 1 "the NUL payload holds one NUL byte"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$TOPIC" -f "$IT_DIR/utf8.bin"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$TOPIC" -f "$IT_DIR/nul.bin"
# A NUL byte alone, and a NUL byte before valid JSON.
printf '\000' >"$IT_DIR/nul1.bin"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$TOPIC" -f "$IT_DIR/nul1.bin"
it_sql_wait 30 "select count(*) from dead_letter" 3
it_assert_eq "$(it_sql "select string_agg(reason, ',' order by id) from dead_letter")" \
    "invalid_json,invalid_json,invalid_json" "hub: invalid UTF-8, a NUL inside a string and a lone NUL are dead letters invalid_json"
it_assert_eq "$(it_sql "select encode(payload, 'hex') from dead_letter order by id limit 1")" \
    "$(od -An -v -tx1 "$IT_DIR/utf8.bin" | tr -d ' \n')" "hub: the invalid UTF-8 payload is kept byte for byte"
it_assert_eq "$(it_sql "select encode(payload, 'hex') from dead_letter order by id offset 1 limit 1")" \
    "$(od -An -v -tx1 "$IT_DIR/nul.bin" | tr -d ' \n')" "hub: the NUL payload is kept byte for byte"
it_assert_eq "$(it_sql "select count(*) from event where id in ('hostile-utf8', 'hostile-nul')")" 0 "hub: neither became an event"

# A 1 MiB description (over the schema's or the payload's limit): refused
# as a dead letter, never half stored, and the hub goes on.
head -c 1048576 /dev/zero | tr '\0' "'" >"$IT_DIR/quotes"
jq -c --rawfile d "$IT_DIR/quotes" '.id = "hostile-big" | .data.description = $d' "$IT_DIR/one.json" >"$IT_DIR/big.json"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$TOPIC" -f "$IT_DIR/big.json"
it_sql_wait 30 "select count(*) from dead_letter" 4
it_assert_eq "$(it_sql "select count(*) from event where id = 'hostile-big'")" 0 "hub: a 1 MiB description of quotes is not stored"
it_log "the 1 MiB event: $(it_sql "select reason || ': ' || left(detail, 120) from dead_letter order by id desc limit 1")"
it_as adapter-diskominfo mosquitto_pub -q 1 -t "$TOPIC" -f "$IT_DIR/one.json"
it_sql_wait 30 "select count(*) from event where id = 'hostile-0'" 1
it_assert_ok "hub: still running after the hostile payloads" it_alive "$HUB_PID"

# --- 2. simpul-pengaduan (Open311) -------------------------------------------

KEY=karo-web-0123456789abcdef
pengaduan_conf "[service sampah]" "name = Sampah" \
    "[client kominfo-web]" "key = $KEY" "channel = web"
pengaduan_start -d || it_die "simpul-pengaduan did not start"
BASE=http://127.0.0.1:$O311/open311/v2

# post ARGS...: POST requests.json; sets CODE and BODY.
post()
{
	CODE=$(curl -s --max-time 20 -o "$IT_DIR/resp" -w '%{http_code}' -X POST "$@" "$BASE/requests.json")
	BODY=$(cat "$IT_DIR/resp")
}

post -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "api_key=$KEY&service_code=sampah&address_string=Kabanjahe" --data-urlencode "description=$HOSTILE"
it_assert_eq "$CODE" 200 "pengaduan: a description with quotes and SQL: 200"
ID=$(jq -r '.[0].service_request_id' <<<"$BODY" 2>/dev/null)
it_sql_wait 30 "select count(*) from event where type = 'complaint.created' and subject = '$ID'" 1
it_assert_eq "$(it_sql "select data->>'description' from event where type = 'complaint.created' and subject = '$ID'")" "$HOSTILE" \
    "pengaduan: the description is stored exactly"
post -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "api_key=$KEY&service_code=sampah&description=x" --data-urlencode "address_string=$DROP"
it_assert_eq "$CODE" 200 "pengaduan: an address of \"$DROP\": 200"
ID2=$(jq -r '.[0].service_request_id' <<<"$BODY" 2>/dev/null)
it_sql_wait 30 "select count(*) from event where type = 'complaint.created' and subject = '$ID2'" 1
it_assert_eq "$(it_sql "select data#>>'{location,address}' from event where subject = '$ID2'")" "$DROP" "pengaduan: the address is stored exactly"
post -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "api_key=$KEY&service_code=sampah&address_string=Kabanjahe&description=%FF%FE%C3%28"
it_assert_eq "$CODE" 400 "pengaduan: invalid UTF-8 (form): 400"
printf '{"api_key":"%s","service_code":"sampah","address_string":"Kabanjahe","description":"\xc3\x28\xff"}' "$KEY" >"$IT_DIR/bad.json"
post -H 'Content-Type: application/json' --data-binary "@$IT_DIR/bad.json"
it_assert_eq "$CODE" 400 "pengaduan: invalid UTF-8 (raw bytes in a JSON body): 400"
post -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "api_key=$KEY&service_code=sampah&address_string=Kabanjahe&description=a%00b"
it_assert_eq "$CODE" 400 "pengaduan: a NUL byte (%00) in the description: 400"
printf 'api_key=%s&service_code=sampah&address_string=Kabanjahe&description=a\000b' "$KEY" >"$IT_DIR/nul.form"
post -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$IT_DIR/nul.form"
it_assert_eq "$CODE" 400 "pengaduan: a raw NUL byte in the body: 400"
{ printf 'api_key=%s&service_code=sampah&address_string=Kabanjahe&description=' "$KEY"; head -c 1048576 /dev/zero | tr '\0' "'"; } >"$IT_DIR/big.form"
post -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$IT_DIR/big.form"
it_assert_eq "$CODE" 413 "pengaduan: a 1 MiB body: 413"
it_assert_eq "$(it_sql "select count(*) from event where type = 'complaint.created' and data->>'description' like '%''''''''%'")" 0 \
    "pengaduan: nothing of the 1 MiB body is stored"
it_assert_ok "pengaduan: still running" it_alive "$PGD_PID"

# --- 3. simpul-gps -------------------------------------------------------------

GPSLOG=$IT_DIR/log/gps.log
gps_conf diskominfo "[device 4210051415]" "opd = bpbd" "[device 902064]" "opd = satpolpp"
gps_start -d

osmand()
{
	curl -s --max-time 10 -o "$IT_DIR/gresp" -w '%{http_code}' "$@"
}
# refused CODE MSG: CODE is 400 (a malformed id) or 403 (unknown device).
refused()
{
	case $1 in 400 | 403) it_pass "$2: refused ($1 $(cat "$IT_DIR/gresp"))" ;; *) it_fail "$2: got $1, expected 400 or 403" ;; esac
}
refused "$(osmand -G "http://127.0.0.1:$HTTP/" --data-urlencode "id=$DROP" --data "lat=3.1&lon=98.5&timestamp=1704096000")" \
    "gps: OsmAnd with SQL in the id"
refused "$(osmand -G "http://127.0.0.1:$HTTP/" --data-urlencode "id=902064' OR '1'='1" --data "lat=3.1&lon=98.5&timestamp=1704096000")" \
    "gps: OsmAnd with a known id and SQL after it"
refused "$(osmand "http://127.0.0.1:$HTTP/?id=90%00206&lat=3.1&lon=98.5&timestamp=1704096000")" "gps: OsmAnd with a NUL in the id"
refused "$(osmand "http://127.0.0.1:$HTTP/?id=%FF%FE&lat=3.1&lon=98.5")" "gps: OsmAnd with invalid UTF-8 in the id"
code=$(osmand "http://127.0.0.1:$HTTP/" --data-urlencode "id=902064" --data "lat=3.1&lon=98.5&timestamp=1704096000" --data-urlencode "driver=$HOSTILE")
it_assert_eq "$code" 200 "gps: OsmAnd with hostile text in an extra field: 200"

# H02 garbage: binary junk and SQL as the id get no reply (and no event);
# 70 kB of a message without an end pass the garbage limit (4096 bytes)
# and the connection is closed. (gpsclient cannot tell that close from a
# reset, as the server closes with our bytes unread, so the log says.)
out=$("$CLIENT" -t 5000 127.0.0.1 "$H02" send 00ff2a48512c00ff0d0a text "*HQ,$DROP,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#" nothing 1500 2>&1)
it_assert_eq "$out" nothing "gps: H02 with binary junk and SQL as the id: no reply"
"$CLIENT" -t 3000 127.0.0.1 "$H02" text "*HQ,4210051415,V1,$(head -c 70000 /dev/zero | tr '\0' 9)" eof >/dev/null 2>&1
it_wait_for 10 "the garbage limit to close the connection" grep -q 'h02 connection from .* closed: not the expected protocol (garbage limit)' "$GPSLOG" &&
    it_pass "gps: an H02 message of 70 kB without an end: closed at the garbage limit"
# A real tracker is still served, and only its event was stored.
out=$("$CLIENT" 127.0.0.1 "$H02" text '*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF,712,01,0,0,6#' recvto '#' 2>&1)
case $out in
"reply *HQ,4210051415,V4,V1,"*) it_pass "gps: a real H02 tracker is served after the garbage" ;;
*) it_fail "gps: H02 reply after the garbage: '$out'" ;;
esac
it_sql_wait 30 "select count(*) from event where type like 'gps.%'" 2
it_assert_eq "$(it_sql "select string_agg(subject, ',' order by subject) from event where type like 'gps.%'")" "4210051415,902064" \
    "gps: only the two real devices' events are stored"
it_assert_eq "$(it_sql "select count(*) from event where type like 'gps.%' and data::text like '%DROP TABLE%' and data->>'driver' is distinct from '$(sed "s/'/''/g" <<<"$HOSTILE")'")" 0 \
    "gps: hostile text, if kept, is kept exactly"
it_assert_ok "gps: still running" it_alive "$GPS_PID"

# --- 4. simpulctl ----------------------------------------------------------------

"$CTL" calendar add 2026-12-25 "Natal" >/dev/null 2>&1
tables_snapshot
it_log "rows before simpulctl: $SNAP"

# ctl EXPECTED MSG ARGS...: simpulctl ARGS exits with one of EXPECTED
# (e.g. "0 1") and not by a signal.
ctl()
{
	local want=$1 msg=$2 rc

	shift 2
	"$CTL" "$@" >"$IT_DIR/ctl.out" 2>&1
	rc=$?
	if [ "$rc" -ge 128 ]; then
		it_fail "simpulctl $msg: killed by a signal (status $rc): $(tail -n 3 "$IT_DIR/ctl.out")"
	elif [[ " $want " == *" $rc "* ]]; then
		it_pass "simpulctl $msg: status $rc"
	else
		it_fail "simpulctl $msg: status $rc, expected one of $want: $(tail -n 3 "$IT_DIR/ctl.out")"
	fi
}

ctl 0 "events query --type SQL" events query --type "$DROP"
it_assert_eq "$(grep -c 'hostile' "$IT_DIR/ctl.out")" 0 "simpulctl events query --type SQL matches nothing"
ctl 0 "events query --opd SQL" events query --opd "$DROP"
ctl 0 "events query --subject SQL" events query --subject "$DROP" --json
it_assert_eq "$(jq -r 'if type == "array" then .[].id else .id end' "$IT_DIR/ctl.out" 2>/dev/null | tr '\n' ' ')" "hostile-sql " \
    "simpulctl events query --subject SQL finds exactly the event with that subject"
ctl 0 "events query --subject with quotes and percent" events query --subject "%' OR '1'='1"
ctl 2 "events query --type invalid UTF-8" events query --type $'\xc3\x28'
# (1 MiB cannot be one argument: Linux limits each to 128 KiB.)
ctl 2 "events query --type of 100 KiB" events query --type "$(head -c 102400 /dev/zero | tr '\0' x)"
ctl 2 "case list --opd of 100 KiB" case list --opd "$(head -c 102400 /dev/zero | tr '\0' "'")"
ctl 0 "dlq list --reason SQL" dlq list --reason "$DROP"
ctl "1 2" "dlq show SQL" dlq show "$DROP"
ctl "0 1" "rules history SQL" rules history "$DROP"
ctl "1 2" "case show SQL" case show "$DROP"
ctl "1 2" "case show SQL number" case show "1; DROP TABLE case_record"
ctl 0 "calendar add with a SQL name" calendar add 2026-12-31 "'; DROP TABLE holiday; --"
it_assert_eq "$(it_sql "select name from holiday where day = '2026-12-31'")" "'; DROP TABLE holiday; --" \
    "simpulctl calendar add: the name is stored exactly"
ctl 2 "calendar add with a SQL date" calendar add "2026-12-31'; DROP TABLE holiday; --" x
ctl "1 2" "calendar remove SQL" calendar remove "'; DROP TABLE holiday; --"
ctl 0 "calendar list" calendar list
it_assert_ok "simpulctl calendar list shows the hostile name" grep -qF "DROP TABLE holiday" "$IT_DIR/ctl.out"
# The snapshot plus the holiday just added.
SNAP=$(awk '{ $3 = $3 + 1; print }' <<<"$SNAP")
tables_intact "after simpulctl with SQL in every text argument"
it_assert_ok "the hub still runs" it_alive "$HUB_PID"
it_done
