#!/usr/bin/env bash
# simpul-pengaduan end to end: a real Mosquitto, PostgreSQL and hub, the
# adapter with its Open311 endpoint and an SMS inbox in Gammu's files
# format. Open311: the service list and a definition; a form POST becomes a
# complaint.created event in the hub's table with the right data; 403, 404,
# 400 and 413 in the spec's error format; GET of requests, with and without
# a case; a repeated POST (also across a restart) makes one event. SMS: a
# file becomes a complaint and moves to done; a two-part message is joined;
# Gammu's UTF-16 text is read. Crashes: SIGKILL right after a 200 loses
# nothing; an SMS published while the broker is down stays in the inbox
# through a SIGKILL and arrives once after the restart.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"
it_setup

KEY=karo-web-0123456789abcdef
PG_LOG=$IT_DIR/log/pengaduan.log
SMS=$IT_DIR/sms
mkdir -p "$SMS/inbox" "$SMS/done" "$SMS/error"

hub_conf hub1
hub_start hub1

# The adapter reads cases through a read-only role, as in production.
it_sql "CREATE ROLE pengaduan_ro LOGIN PASSWORD 'ro-secret'" >/dev/null
it_sql "GRANT SELECT ON ALL TABLES IN SCHEMA public TO pengaduan_ro" >/dev/null

pengaduan_conf "$(cat <<CONF
ack_timeout = 5s
[sms]
inbox = $SMS/inbox
done = $SMS/done
error = $SMS/error
poll = 200ms
settle = 500ms
part_timeout = 5s
[casedb]
dsn = host=127.0.0.1 port=$SIMPUL_PG_PORT dbname=simpul user=pengaduan_ro password=ro-secret
timeout = 3s
[service jalan]
name = Jalan rusak
description = Jalan berlubang, longsor, jembatan rusak
group = infrastruktur
keywords = lubang, aspal, jembatan
category = jalan_rusak
notice = Ditindaklanjuti Dinas PUPR dalam 5 hari kerja
[attribute jalan kerusakan]
datatype = singlevaluelist
description = Tingkat kerusakan
value = ringan Rusak ringan
value = berat Rusak berat
[service sampah]
name = Sampah
group = kebersihan
keywords = tps, limbah
[service air_bersih]
name = Air bersih
keywords = pdam, air
[client kominfo-web]
key = $KEY
channel = web
CONF
)"

it_assert_ok "-n accepts the config" "$SIMPUL_BIN/simpul-pengaduan" -n -c "$IT_DIR/pengaduan.conf"
it_assert_ok "-D documents the keys and the catalogue" \
	bash -c "'$SIMPUL_BIN/simpul-pengaduan' -D | grep -q '^;\[service jalan\]' && '$SIMPUL_BIN/simpul-pengaduan' -D | grep -q '^\[sms\]'"

start_adapter()
{
	pengaduan_start -d
	BASE=http://127.0.0.1:$O311/open311/v2
}

# req METHOD PATH [curl args...]: sets CODE and BODY.
req()
{
	local method=$1 path=$2

	shift 2
	CODE=$(curl -s -o "$IT_DIR/resp" -w '%{http_code}' -X "$method" "$@" "$BASE/$path")
	BODY=$(cat "$IT_DIR/resp")
}

# post FORM: a form-encoded POST requests.json.
post()
{
	req POST requests.json -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$1"
}

# js JSON EXPR: EXPR over the jsonb value j, by PostgreSQL.
js()
{
	printf '%s\n' "SELECT $2 FROM (SELECT :'j'::jsonb AS j) x;" |
	    psql -XAtq -v ON_ERROR_STOP=1 -v j="$1"
}

ev()
{
	it_sql "SELECT $2 FROM event WHERE type = 'complaint.created' AND subject = '$1'"
}

start_adapter

# --- services ----------------------------------------------------------------
req GET services.json
it_assert_eq "$CODE" 200 "GET services.json: 200"
it_assert_eq "$(js "$BODY" "jsonb_array_length(j)")" 3 "three services listed"
it_assert_eq "$(js "$BODY" "j->0->>'service_code' || '|' || (j->0->>'service_name') || '|' || (j->0->>'metadata') || '|' || (j->0->>'type') || '|' || (j->0->>'group')")" \
	"jalan|Jalan rusak|true|realtime|infrastruktur" "jalan: name, metadata, type, group"
it_assert_eq "$(js "$BODY" "j->1->>'metadata'")" false "sampah has no metadata"
req GET services/jalan.json
it_assert_eq "$CODE|$(js "$BODY" "(j->'attributes'->0->>'code') || ',' || (j->'attributes'->0->>'datatype') || ',' || (j->'attributes'->0->'values'->1->>'key')")" \
	"200|kerusakan,singlevaluelist,berat" "GET services/jalan.json: the definition"
req GET services/banjir.json
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'code'")" "404|404" "unknown service definition: 404 in the Open311 error format"
req GET services.xml
it_assert_eq "$CODE" 400 "XML is not served: 400"
req GET nothing.json
it_assert_eq "$CODE" 404 "unknown path: 404"
req DELETE services.json
it_assert_eq "$CODE" 405 "DELETE: 405"

# --- POST --------------------------------------------------------------------
FORM="api_key=$KEY&jurisdiction_id=karokab.go.id&service_code=jalan&lat=3.1027&long=98.5071&address_string=Jl.+Veteran%2C+Kabanjahe&description=Jalan+berlubang+di+depan+pasar%0D%0AMohon+diperbaiki&phone=%2B6281234567890&email=budi%40example.id&first_name=Budi&last_name=Sembiring&attribute[kerusakan]=berat&media_url=https%3A%2F%2Ffoto.example.id%2Fa.jpg"
post "$FORM"
it_assert_eq "$CODE" 200 "POST requests.json: 200"
ID=$(js "$BODY" "j->0->>'service_request_id'")
it_assert_ok "service_request_id is KRO- and 12 hex digits ($ID)" bash -c "[[ '$ID' =~ ^KRO-[0-9A-F]{12}\$ ]]"
it_assert_eq "$(js "$BODY" "(j->0->>'service_notice') || '|' || coalesce(j->0->>'account_id', 'null')")" \
	"Ditindaklanjuti Dinas PUPR dalam 5 hari kerja|null" "the response carries the notice and account_id null"
it_sql_wait 30 "SELECT count(*) FROM event WHERE subject = '$ID'" 1
it_assert_eq "$(ev "$ID" "data->>'complaint_id' || '|' || (data->>'channel') || '|' || (data->>'category') || '|' || (data->>'service_code')")" \
	"$ID|web|jalan_rusak|jalan" "event: id, channel of the client, category, service_code"
it_assert_eq "$(ev "$ID" "data->>'description'")" "Jalan berlubang di depan pasar
Mohon diperbaiki" "event: the description, line break kept"
it_assert_eq "$(ev "$ID" "(data#>>'{location,lat}') || ',' || (data#>>'{location,lon}') || '|' || (data#>>'{location,address}')")" \
	"3.1027,98.5071|Jl. Veteran, Kabanjahe" "event: location"
it_assert_eq "$(ev "$ID" "(data#>>'{reporter,name}') || '|' || (data#>>'{reporter,contact}') || '|' || (data#>>'{reporter,anonymous}')")" \
	"Budi Sembiring|+6281234567890, budi@example.id|false" "event: reporter, the contact in data.reporter.contact"
it_assert_eq "$(ev "$ID" "(data#>>'{attributes,kerusakan}') || '|' || (data->>'media_url')")" \
	"berat|https://foto.example.id/a.jpg" "event: attributes and media_url"
it_assert_eq "$(ev "$ID" "source || '|' || opd || '|' || topic")" \
	"/karo/diskominfo/open311|diskominfo|karo/ev/diskominfo/open311/complaint.created" "event: source, opd, topic"
it_assert_eq "$(ev "$ID" "count(*) FILTER (WHERE data::text LIKE '%6281234567890%' AND NOT (data - 'reporter')::text LIKE '%6281234567890%')")" 1 \
	"the phone number is only in data.reporter"

# The same POST again: the same id, no second event, no conflict.
post "$FORM"
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'service_request_id'")" "200|$ID" "a repeated POST gets the same service_request_id"

# A JSON body, anonymous (no contact, no name).
req POST requests.json -H 'Content-Type: application/json' \
	--data-binary "{\"api_key\":\"$KEY\",\"service_code\":\"sampah\",\"address_string\":\"Pasar Berastagi\",\"description\":\"Sampah menumpuk \\u00e9\"}"
it_assert_eq "$CODE" 200 "POST a JSON body: 200"
ID_JSON=$(js "$BODY" "j->0->>'service_request_id'")
it_sql_wait 30 "SELECT count(*) FROM event WHERE subject = '$ID_JSON'" 1
it_assert_eq "$(ev "$ID_JSON" "(data#>>'{reporter,anonymous}') || '|' || coalesce(data#>>'{reporter,contact}', '-') || '|' || (data->>'description') || '|' || (data#>>'{location,address}')")" \
	"true|-|Sampah menumpuk é|Pasar Berastagi" "JSON body: anonymous reporter, address only"

# Errors, in the spec's format.
post "service_code=jalan&lat=3.1&long=98.5&description=x"
it_assert_eq "$CODE|$(js "$BODY" "(j->0->>'code') || '|' || (j->0->>'description')")" "403|403|api_key missing" "no api_key: 403"
post "api_key=wrong-key-0000000000&service_code=jalan&lat=3.1&long=98.5&description=x"
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'code'")" "403|403" "a wrong api_key: 403"
post "api_key=$KEY&service_code=banjir&lat=3.1&long=98.5&description=x"
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'code'")" "404|404" "an unknown service_code: 404"
post "api_key=$KEY&service_code=jalan&description=x"
it_assert_eq "$CODE|$(js "$BODY" "(j->0->>'code') || '|' || (j->0->>'description' LIKE 'location required%')")" "400|400|true" "no location: 400 location required"
LONG=$(head -c 4001 /dev/zero | tr '\0' 'a')
post "api_key=$KEY&service_code=sampah&address_string=Kabanjahe&description=$LONG"
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'description'")" "400|description longer than 4000 characters" "a description of 4001 characters: 400"
post "api_key=$KEY&service_code=sampah&address_string=Kabanjahe&description=${LONG:1}"
it_assert_eq "$CODE" 200 "a description of 4000 characters: 200"
post "api_key=$KEY&service_code=jalan&lat=3.1&long=98.5&attribute[kerusakan]=parah"
it_assert_eq "$CODE" 400 "an attribute value not in the list: 400"
post "api_key=$KEY&service_code=jalan&lat=3.1&long=98.5&description=%C3%28"
it_assert_eq "$CODE" 400 "invalid UTF-8: 400"
post "api_key=$KEY&jurisdiction_id=medan.go.id&service_code=jalan&lat=3.1&long=98.5"
it_assert_eq "$CODE" 404 "another jurisdiction_id: 404"
head -c 70000 /dev/zero | tr '\0' 'a' >"$IT_DIR/big"
req POST requests.json -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$IT_DIR/big"
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'code'")" "413|413" "a body over 64 KiB: 413"

# --- GET requests ------------------------------------------------------------
req GET "requests/$ID.json"
# "received" while no case exists; "new" if the hub's rules opened one.
it_assert_eq "$CODE|$(js "$BODY" "(j->0->>'service_request_id') || '|' || (j->0->>'status') || '|' || (j->0->>'status_notes' IN ('received', 'new')) || '|' || (j->0->>'service_name') || '|' || (j->0->>'address') || '|' || (j->0->>'lat')")" \
	"200|$ID|open|true|Jalan rusak|Jl. Veteran, Kabanjahe|3.1027" "GET requests/<id>.json: open, received"
it_assert_eq "$(js "$BODY" "j->0 ? 'email' OR j->0 ? 'phone' OR j::text LIKE '%6281234567890%'")" f "no reporter contact in GET requests"
req GET "requests/KRO-000000000000.json"
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'code'")" "404|404" "an unknown request: 404"
req GET "requests.json?service_request_id=$ID,$ID_JSON"
it_assert_eq "$CODE|$(js "$BODY" "jsonb_array_length(j)")" "200|2" "GET requests.json by two ids"
req GET "requests.json?service_code=jalan&status=open"
it_assert_eq "$(js "$BODY" "(SELECT count(*) FROM jsonb_array_elements(j) e WHERE e->>'service_request_id' = '$ID')")" 1 "GET requests.json by service_code and status"
req GET "requests.json?start_date=yesterday"
it_assert_eq "$CODE" 400 "a bad start_date: 400"
req GET "requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z"
it_assert_eq "$CODE" 400 "a range over 90 days: 400"

# With a case, as the hub's complaint rule opens one: its OPD, its SLA.
if [ "$(it_sql "SELECT to_regclass('case_record') IS NOT NULL")" = t ]; then
	# An upsert, in case the hub's own rules opened the case already.
	it_sql "INSERT INTO case_record (kind, case_key, severity, title, channel, policy, opened_at, status, opd, clock_started_at, due_at, deadline_kind)
		VALUES ('complaint', 'complaint.created:$ID', 'minor', 'Jalan berlubang', 'web', 'complaint', now(), 'assigned', 'pupr', now(), '2026-12-04T09:00:00Z', 'follow_up')
		ON CONFLICT (case_key) WHERE status NOT IN ('closed', 'rejected') DO UPDATE
		SET status = 'assigned', opd = 'pupr', clock_started_at = now(), due_at = '2026-12-04T09:00:00Z', deadline_kind = 'follow_up', updated_at = now()" >/dev/null
	req GET "requests/$ID.json"
	it_assert_eq "$(js "$BODY" "(j->0->>'status') || '|' || (j->0->>'status_notes') || '|' || (j->0->>'agency_responsible') || '|' || (j->0->>'expected_datetime')")" \
		"open|assigned|pupr|2026-12-04T09:00:00.000Z" "with an assigned case: the OPD and the SLA deadline"
	it_sql "INSERT INTO case_history (case_id, actor, actor_kind, action, from_status, to_status, opd, note)
		SELECT id, 'opd:pupr:sinta', 'opd', 'resolve', 'acknowledged', 'resolved', 'pupr', 'Lubang sudah ditambal'
		FROM case_record WHERE case_key = 'complaint.created:$ID'" >/dev/null
	it_sql "UPDATE case_record SET status = 'resolved', deadline_kind = 'auto_close' WHERE case_key = 'complaint.created:$ID'" >/dev/null
	req GET "requests.json?status=closed"
	it_assert_eq "$(js "$BODY" "(SELECT string_agg((e->>'status') || ',' || coalesce(e->>'expected_datetime', 'null') || ',' || (e->>'status_notes'), ';') FROM jsonb_array_elements(j) e WHERE e->>'service_request_id' = '$ID')")" \
		"closed,null,Lubang sudah ditambal" "a resolved case reads as closed, with the OPD's note"
	req GET "requests.json?status=open&service_code=jalan"
	it_assert_eq "$(js "$BODY" "(SELECT count(*) FROM jsonb_array_elements(j) e WHERE e->>'service_request_id' = '$ID')")" 0 "and is not listed as open"
else
	it_log "no case tables in this hub schema: case statuses not tested"
fi

# --- SMS ---------------------------------------------------------------------
printf 'SAMPAH menumpuk di pasar Kabanjahe sudah seminggu' >"$SMS/inbox/IN20261127_091500_00_+6281311112222_00.txt"
it_wait_for 30 "the SMS file to move to done" test -f "$SMS/done/IN20261127_091500_00_+6281311112222_00.txt"
it_assert_ok "the inbox file is gone" test ! -e "$SMS/inbox/IN20261127_091500_00_+6281311112222_00.txt"
SMS_WHERE="type = 'complaint.created' AND data#>>'{reporter,contact}' = '+6281311112222'"
it_sql_wait 30 "SELECT count(*) FROM event WHERE $SMS_WHERE" 1
it_assert_eq "$(it_sql "SELECT (data->>'channel') || '|' || (data->>'category') || '|' || (data->>'service_code') || '|' || (data->>'description') || '|' || (data->>'submitted_at') || '|' || source FROM event WHERE $SMS_WHERE")" \
	"sms|sampah|sampah|SAMPAH menumpuk di pasar Kabanjahe sudah seminggu|2026-11-27T02:15:00.000Z|/karo/diskominfo/sms" \
	"SMS: channel, category from its first word, text, time (WIB), source"

# Two parts, written part 01 first, joined in order; Gammu's UTF-16BE.
printf 'n Kabanjahe, tolong' >"$SMS/inbox/IN20261127_091601_00_+6281333334444_01.txt"
printf 'JALAN longsor di jala' >"$SMS/inbox/IN20261127_091600_00_+6281333334444_00.txt"
printf '\xfe\xff\x00A\x00I\x00R\x00 \x00m\x00a\x00t\x00i\x00 \x00\xe9' >"$SMS/inbox/IN20261127_091700_00_+6281355556666_00.txt"
printf 'Lampu padam' >"$SMS/inbox/IN20261127_091800_00_+6281377778888_00.bin"
it_sql_wait 30 "SELECT count(*) FROM event WHERE type = 'complaint.created' AND data#>>'{reporter,contact}' IN ('+6281333334444', '+6281355556666')" 2
it_assert_eq "$(it_sql "SELECT (data->>'description') || '|' || (data->>'category') || '|' || (data#>>'{attributes,sms_parts}') FROM event WHERE data#>>'{reporter,contact}' = '+6281333334444'")" \
	"JALAN longsor di jalan Kabanjahe, tolong|jalan_rusak|2" "a two-part SMS is joined in order"
it_assert_eq "$(it_sql "SELECT (data->>'description') || '|' || (data->>'category') FROM event WHERE data#>>'{reporter,contact}' = '+6281355556666'")" \
	"AIR mati é|air_bersih" "Gammu's unicode (UTF-16BE) SMS, matched by keyword"
it_wait_for 30 "both parts in done" test -f "$SMS/done/IN20261127_091601_00_+6281333334444_01.txt"
it_assert_ok "the 8-bit SMS went to the error folder" test -f "$SMS/error/IN20261127_091800_00_+6281377778888_00.bin"

# --- crashes -------------------------------------------------------------------
# SIGKILL right after a 200, with the hub down: the broker has it.
it_kill "$HUB_PID" TERM
post "api_key=$KEY&service_code=air_bersih&address_string=Desa+Lingga&description=Air+PDAM+mati+tiga+hari"
it_assert_eq "$CODE" 200 "POST while the hub is down: 200"
ID_KILL=$(js "$BODY" "j->0->>'service_request_id'")
kill -KILL "$PGD_PID"
it_kill "$PGD_PID" KILL
start_adapter
hub_start hub1
it_sql_wait 30 "SELECT count(*) FROM event WHERE subject = '$ID_KILL'" 1

# The same POST after the restart: still the same id, still one event.
post "$FORM"
it_assert_eq "$CODE|$(js "$BODY" "j->0->>'service_request_id'")" "200|$ID" "a repeated POST after a restart gets the same id"

# An SMS while the broker is down: published into the buffer, not
# acknowledged, so it stays in the inbox through a SIGKILL; after the
# restart it arrives once.
"$IT_STACK" mqtt-stop "$IT_DIR" >/dev/null 2>&1
printf 'PDAM tidak mengalir' >"$SMS/inbox/IN20261127_092000_00_+6281399990000_00.txt"
it_wait_for 30 "the SMS to be published" grep -q 'sms: published .* from +6281399990000' "$PG_LOG"
sleep 1
it_assert_ok "unacknowledged: still in the inbox" test -f "$SMS/inbox/IN20261127_092000_00_+6281399990000_00.txt"
kill -KILL "$PGD_PID"
it_kill "$PGD_PID" KILL
"$IT_STACK" mqtt-start "$IT_DIR" >/dev/null 2>&1
start_adapter
it_wait_for 60 "the SMS to move to done after the restart" test -f "$SMS/done/IN20261127_092000_00_+6281399990000_00.txt"
it_sql_wait 60 "SELECT count(*) FROM event WHERE data#>>'{reporter,contact}' = '+6281399990000'" 1

sleep 1
it_assert_eq "$(it_sql "SELECT count(*) FROM event WHERE subject = '$ID'")" 1 "the repeated POSTs made one event"
it_assert_eq "$(it_sql "SELECT count(*) FROM event WHERE type = 'complaint.created'")" 8 "eight complaints in all"
it_assert_eq "$(it_sql "SELECT count(*) FROM dead_letter")" 0 "no dead letters (no id_conflict from repeats)"
it_assert_eq "$(ls "$SMS/inbox" | wc -l)" 0 "the inbox is empty"
it_done
