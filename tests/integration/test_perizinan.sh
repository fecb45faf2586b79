#!/usr/bin/env bash
#
# test_perizinan.sh: simpul-perizinan end to end, against a real Mosquitto,
# the real hub and PostgreSQL, and fake_sicantik (a C stand-in for
# SiCantik's API, serving tests data from a JSON file).
#
#  1. Paging: 25 records over 3 pages become 23 events in the hub's table
#     with the right types and values (a draft is no event; an issued
#     permit without a permit number is refused by the schema, logged, and
#     skipped); ids are UUIDv5.
#  2. Nothing new: a later identical request carries If-None-Match and is
#     answered 304; no event is added.
#  3. Three 500s, then success: the failed requests kept the watermark,
#     the new records arrive once, nothing is republished.
#  4. A slow answer past the timeout: retried, the record arrives.
#  5. Two malformed pages: logged with the reason, the watermark stays,
#     the record arrives from the next good page.
#  6. Webhook: a signed record -> 200 and its event; the same delivery
#     again -> 409; an array; a record already polled -> 200 and still one
#     event; a bad signature, a missing one and a stale timestamp -> 401
#     with nothing stored; 413, 405, 415, 404, 400, 422; slow senders
#     are cut (idle headers, a trickling body).
#  7. A restart resumes at the checkpoint: nothing is read twice.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"

PZ=$SIMPUL_BIN/simpul-perizinan
FAKE=$SIMPUL_BIN/fake_sicantik
[ -x "$PZ" ] || { echo "test_perizinan: $PZ not built" >&2; exit 1; }
[ -x "$FAKE" ] || { echo "test_perizinan: $FAKE not built" >&2; exit 1; }

it_setup
hub_conf hub1
hub_start hub1

TOKEN=karo-sicantik-token-0123456789
SECRET=karo-sicantik-webhook-secret-2026
RECORDS=$IT_DIR/records.json
PZLOG=$IT_DIR/log/perizinan.log
FAKELOG=$IT_DIR/log/fake.log
SRC=/karo/dpmptsp/sicantik

# --- SiCantik's data ---------------------------------------------------------

# rec N STATUS [EXTRA JSON MEMBERS]: one record; updated_at is N minutes
# after 01:00 UTC, alternately in Laravel's JSON form and its zone-less
# database form in WIB (the same instant).
rec()
{
	local n=$1 status=$2 extra=${3:-} upd

	if ((n % 2 == 0)); then
		upd=$(printf '2026-11-27T%02d:%02d:00.000000Z' $((1 + n / 60)) $((n % 60)))
	else
		upd=$(printf '2026-11-27 %02d:%02d:00' $((8 + n / 60)) $((n % 60)))
	fi
	printf '{"id":%d,"no_permohonan":"503/%04d/DPMPTSP/2026","jenis_izin":"Persetujuan Bangunan Gedung (PBG)","nama_pemohon":"Pemohon %d","status":"%s","tgl_pengajuan":"2026-11-20 09:%02d:00","batas_waktu_sla":"2026-12-04","updated_at":"%s"%s}\n' \
		"$n" "$n" "$n" "$status" $((n % 60)) "$upd" "$extra"
}

# The first 25: 10 submitted, 6 verified, 5 issued, 2 rejected, a draft,
# and an issued one without its permit number.
base_records()
{
	local n

	for n in $(seq 1 10); do rec "$n" Baru; done
	for n in $(seq 11 16); do rec "$n" Terverifikasi; done
	for n in $(seq 17 21); do rec "$n" "Izin Terbit" ",\"no_izin\":\"PBG-1207-$(printf %04d "$n")-2026\""; done
	for n in 22 23; do rec "$n" Ditolak ",\"alasan_tolak\":\"Dokumen KRK tidak sesuai\""; done
	rec 24 draft
	rec 25 terbit
}

# write_records N...: the data set is the base plus records N... (Baru);
# written aside and renamed, as the fake reads it on every request.
write_records()
{
	{
		printf '['
		base_records | paste -sd, -
		local n
		for n in "$@"; do printf ','; rec "$n" Baru; done
		printf ']\n'
	} | tr -d '\n' >"$RECORDS.tmp"
	mv "$RECORDS.tmp" "$RECORDS"
}

write_records

# --- the fake and the adapter -------------------------------------------------

it_spawn fake "$FAKE" -r "$RECORDS" -t "$TOKEN" -P "$IT_DIR/fake.port" >/dev/null
it_wait_for 10 "fake_sicantik's port" test -s "$IT_DIR/fake.port"
FPORT=$(cat "$IT_DIR/fake.port")
CONTROL=http://127.0.0.1:$FPORT/_control

cat >"$IT_DIR/perizinan.conf" <<CONF
[adapter]
name = perizinan
opd = dpmptsp
state_dir = $IT_DIR/perizinan-state
schemas = $SIMPUL_SRC/schemas
flush_timeout = 2s
[sicantik]
api_url = http://127.0.0.1:$FPORT/api/v1/permohonan
api_token = $TOKEN
page_size = 10
interval = 1s
connect_timeout = 1s
timeout = 2s
retry_min = 200ms
retry_max = 1s
[webhook]
listen = 127.0.0.1:0
secret = $SECRET
max_body = 256k
ack_timeout = 5s
connection_timeout = 2s
request_timeout = 3s
[status]
Izin Terbit = issued
CONF

it_assert_ok "-n accepts the config" "$PZ" -n -c "$IT_DIR/perizinan.conf"
it_assert_ok "-D documents the keys and the status table" \
	bash -c "'$PZ' -D | grep -q '^\[webhook\]' && '$PZ' -D | grep -q '^;terbit = issued'"
printf '[sicantik]\napi_url = ftp://x\n[status]\nselesai = done\n[webhook]\nlisten = 127.0.0.1:0\nsecret = short\n' >"$IT_DIR/bad.conf"
"$PZ" -n -c "$IT_DIR/bad.conf" >"$IT_DIR/bad.out" 2>&1
it_assert_eq "$?" 1 "-n refuses a bad config"
it_assert_ok "-n names each problem with file:line" \
	bash -c "grep -q 'bad.conf:4: .*must map to' '$IT_DIR/bad.out' && grep -q 'api_url must start with https' '$IT_DIR/bad.out' && grep -q 'secret must be at least 16 bytes' '$IT_DIR/bad.out'"

start_adapter()
{
	it_spawn_until 30 'webhook: listening' perizinan it_as perizinan "$PZ" -d -c "$IT_DIR/perizinan.conf"
	PZ_PID=$IT_LAST_PID
	WPORT=$(grep 'webhook: listening' "$PZLOG" | tail -n 1 | sed 's/.* port \([0-9]*\) .*/\1/')
	HOOK=http://127.0.0.1:$WPORT/webhook/sicantik
}

count()
{
	it_sql "SELECT count(*) FROM event WHERE source = '$SRC' $*"
}

# since_of LINE: the updated_since of a fake log line.
since_of()
{
	sed 's/.* since=\([^ ]*\) .*/\1/' <<<"$1"
}

start_adapter

# --- 1. paging ---------------------------------------------------------------

it_sql_wait 60 "SELECT count(*) FROM event WHERE source = '$SRC'" 23
it_assert_eq "$(count "AND type = 'permit.submitted'")" 10 "10 permit.submitted"
it_assert_eq "$(count "AND type = 'permit.verified'")" 6 "6 permit.verified"
it_assert_eq "$(count "AND type = 'permit.issued'")" 5 "5 permit.issued"
it_assert_eq "$(count "AND type = 'permit.rejected'")" 2 "2 permit.rejected"
it_assert_eq "$(it_sql "SELECT data->>'nomor_permohonan' || '|' || (data->>'jenis_izin') || '|' || (data->>'pemohon') || '|' || (data->>'status') || '|' || (data->>'nomor_izin') || '|' || (data->>'submitted_at') || '|' || (data->>'sla_deadline') || '|' || (data->>'sicantik_status') || '|' || opd FROM event WHERE subject = '503/0017/DPMPTSP/2026'")" \
	"503/0017/DPMPTSP/2026|Persetujuan Bangunan Gedung (PBG)|Pemohon 17|issued|PBG-1207-0017-2026|2026-11-20T02:17:00.000Z|2026-12-04T16:59:59.000Z|Izin Terbit|dpmptsp" \
	"an issued permit's data: number, kind, applicant, permit number, times in UTC"
it_assert_eq "$(it_sql "SELECT data->>'alasan' || '|' || type FROM event WHERE subject = '503/0022/DPMPTSP/2026'")" \
	"Dokumen KRK tidak sesuai|permit.rejected" "a rejection carries its reason"
# The event's time is SiCantik's updated_at (record 17: zone-less WIB).
it_assert_eq "$(it_sql "SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM event WHERE subject = '503/0017/DPMPTSP/2026'")" \
	"2026-11-27 01:17:00" "event time is updated_at, WIB read as +07:00"
it_assert_eq "$(it_sql "SELECT count(*) FROM event WHERE source = '$SRC' AND substr(id, 15, 1) = '5' AND length(id) = 36")" 23 "every id is a UUIDv5"
it_assert_eq "$(count "AND subject IN ('503/0024/DPMPTSP/2026', '503/0025/DPMPTSP/2026')")" 0 "the draft and the incomplete issued permit are not stored"
it_assert_ok "the incomplete issued permit was refused by the schema, naming nomor_izin" \
	grep -q 'invalid event not published type=permit.issued.*nomor_izin' "$PZLOG"
it_assert_ok "the first round read three pages" \
	grep -q 'round done pages=3 records=25 new=25 published=23 invalid=1 ignored=1' "$PZLOG"
for p in 1 2 3; do
	it_assert_ok "page $p was requested with per_page=10" grep -q "since=- page=$p per_page=10 -> 200" "$FAKELOG"
done
it_assert_eq "$(grep -c 'unauthorized\|-> 401' "$FAKELOG")" 0 "the bearer token was accepted"

# --- 2. nothing new: 304 -----------------------------------------------------

it_wait_for 20 "a 304 answer" grep -q -- '-> 304 not modified' "$FAKELOG"
sleep 2
it_assert_eq "$(count)" 23 "304: no new events"
it_assert_ok "the adapter logged the 304" grep -q 'not modified (304)' "$PZLOG"
it_assert_eq "$(grep -c -- '-> 200' "$FAKELOG" | awk '{ print ($1 <= 5) }')" 1 "steady state is 304, not full pages"

# --- 3. three 500s, then success ----------------------------------------------

curl -s -X POST "$CONTROL/fail?count=3&status=500" >/dev/null
write_records 26 27
it_sql_wait 30 "SELECT count(*) FROM event WHERE source = '$SRC'" 25
it_assert_eq "$(grep -c -- '-> 500 scripted' "$FAKELOG")" 3 "three 500s were served"
it_assert_ok "the adapter logged the 500 as temporary" grep -q 'failed (temporary): HTTP 500' "$PZLOG"
L500=$(grep -- '-> 500 scripted' "$FAKELOG" | tail -n 1)
LOK=$(grep -A1000 -F -- "$L500" "$FAKELOG" | grep -- '-> 200' | grep -v -m1 ' late$')
it_assert_eq "$(since_of "$LOK")" "$(since_of "$L500")" "the watermark did not move through the 500s"
it_assert_ok "the round after the 500s published exactly the 2 new records" \
	grep -q 'round done pages=1 records=3 new=2 published=2' "$PZLOG"
it_assert_eq "$(count "AND subject IN ('503/0026/DPMPTSP/2026', '503/0027/DPMPTSP/2026')")" 2 "each new record is stored once"

# --- 4. a timeout ------------------------------------------------------------

curl -s -X POST "$CONTROL/slow?count=1&ms=3500" >/dev/null
write_records 26 27 28
it_sql_wait 30 "SELECT count(*) FROM event WHERE source = '$SRC'" 26
it_assert_ok "the slow answer was served" grep -q 'slow 3500ms' "$FAKELOG"
it_assert_ok "the adapter timed out and said so" grep -q 'failed (temporary): timeout:' "$PZLOG"
it_assert_eq "$(count "AND subject = '503/0028/DPMPTSP/2026'")" 1 "the record arrived once after the retry"

# --- 5. malformed pages ------------------------------------------------------

curl -s -X POST "$CONTROL/malformed?count=2" >/dev/null
write_records 26 27 28 29
it_sql_wait 30 "SELECT count(*) FROM event WHERE source = '$SRC'" 27
it_assert_eq "$(grep -c -- '-> 200 malformed' "$FAKELOG")" 2 "two malformed pages were served"
it_assert_ok "the malformed page was logged with the reason" \
	grep -q 'malformed page 1 from .*: not JSON (error near byte' "$PZLOG"
LBAD=$(grep -- '-> 200 malformed' "$FAKELOG" | tail -n 1)
LOK=$(grep -A1000 -F -- "$LBAD" "$FAKELOG" | grep -- '-> 200 records' | grep -v -m1 ' late$')
it_assert_eq "$(since_of "$LOK")" "$(since_of "$LBAD")" "the watermark did not move through the malformed pages"
it_assert_eq "$(count "AND subject = '503/0029/DPMPTSP/2026'")" 1 "the record arrived from the next good page"

# --- 6. the webhook ----------------------------------------------------------

# hook BODYFILE [TS] [SIGNATURE]: a delivery signed as docs/perizinan.md
# shows (TS empty: now; SIGNATURE empty: the right one), Content-Type $CT
# (application/json by default). Sets CODE and BODY.
hook()
{
	local file=$1 ts=${2:-$(date +%s)} sig=${3:-}

	if [ -z "$sig" ]; then
		sig=sha256=$( { printf '%s.' "$ts"; cat "$file"; } | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
	fi
	CODE=$(curl -s -o "$IT_DIR/resp" -w '%{http_code}' -X POST \
		-H "Content-Type: ${CT:-application/json}" \
		-H "X-Sicantik-Timestamp: $ts" -H "X-Sicantik-Signature: $sig" \
		--data-binary "@$file" "$HOOK")
	BODY=$(cat "$IT_DIR/resp")
}

rec 101 "Izin Terbit" ',"no_izin":"PBG-1207-0101-2026"' >"$IT_DIR/w1.json"
TS=$(date +%s)
hook "$IT_DIR/w1.json" "$TS"
it_assert_eq "$CODE" 200 "webhook: a signed record -> 200"
it_assert_eq "$BODY" '{"accepted":1,"ignored":0}' "webhook: the answer counts the event"
# 200 means the broker has it; the hub stores it right after.
it_sql_wait 20 "SELECT count(*) FROM event WHERE subject = '503/0101/DPMPTSP/2026' AND type = 'permit.issued'" 1
it_assert_eq "$(it_sql "SELECT data->>'nomor_izin' FROM event WHERE subject = '503/0101/DPMPTSP/2026'")" \
	PBG-1207-0101-2026 "webhook: the event's data"

hook "$IT_DIR/w1.json" "$TS"
it_assert_eq "$CODE" 409 "webhook: the same delivery again -> 409 (replay)"

{ printf '['; rec 102 Baru; printf ','; rec 103 Ditolak ',"alasan_tolak":"Lokasi di sempadan sungai"'; printf ']'; } >"$IT_DIR/w2.json"
hook "$IT_DIR/w2.json"
it_assert_eq "$CODE" 200 "webhook: an array of two records -> 200"
it_sql_wait 20 "SELECT count(*) FROM event WHERE subject IN ('503/0102/DPMPTSP/2026', '503/0103/DPMPTSP/2026')" 2

# A change already polled, pushed too: the same id, one event.
rec 17 "Izin Terbit" ',"no_izin":"PBG-1207-0017-2026"' >"$IT_DIR/w3.json"
hook "$IT_DIR/w3.json"
it_assert_eq "$CODE" 200 "webhook: a record already polled -> 200"
sleep 1
it_assert_eq "$(count "AND subject = '503/0017/DPMPTSP/2026'")" 1 "webhook + polling of the same change: one event"

rec 104 Baru >"$IT_DIR/w4.json"
hook "$IT_DIR/w4.json" "" "sha256=$(printf '0%.0s' $(seq 64))"
it_assert_eq "$CODE" 401 "webhook: a wrong signature -> 401"
hook "$IT_DIR/w4.json" "" "sha256=$( { printf '%s.' "$(date +%s)"; cat "$IT_DIR/w4.json"; } | openssl dgst -sha256 -hmac wrong-secret-0123456789 -r | cut -d' ' -f1)"
it_assert_eq "$CODE" 401 "webhook: signed with another secret -> 401"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary "@$IT_DIR/w4.json" "$HOOK")
it_assert_eq "$CODE" 401 "webhook: no signature headers -> 401"
hook "$IT_DIR/w4.json" $(($(date +%s) - 600))
it_assert_eq "$CODE" 401 "webhook: a correctly signed but 10-minute-old delivery -> 401"
it_assert_ok "webhook: the stale refusal says why" grep -q 'signature stale' "$PZLOG"
hook "$IT_DIR/w4.json" $(($(date +%s) + 600))
it_assert_eq "$CODE" 401 "webhook: a timestamp 10 minutes ahead -> 401"
sleep 1
it_assert_eq "$(count "AND subject = '503/0104/DPMPTSP/2026'")" 0 "webhook: nothing of the refused deliveries is stored"

head -c 300000 /dev/zero | tr '\0' ' ' >"$IT_DIR/big.json"
hook "$IT_DIR/big.json"
it_assert_eq "$CODE" 413 "webhook: a 300 KB body -> 413"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$HOOK")
it_assert_eq "$CODE" 405 "webhook: GET -> 405"
CT=text/plain hook "$IT_DIR/w4.json"
it_assert_eq "$CODE" 415 "webhook: text/plain -> 415"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$WPORT/webhook/other")
it_assert_eq "$CODE" 404 "webhook: another path -> 404"
printf '{"id":105,"no_permohonan":' >"$IT_DIR/w5.json"
hook "$IT_DIR/w5.json"
it_assert_eq "$CODE" 400 "webhook: signed but not JSON -> 400"
rec 106 terbit >"$IT_DIR/w6.json"
hook "$IT_DIR/w6.json"
it_assert_eq "$CODE" 422 "webhook: an issued permit without its number -> 422"
it_assert_eq "$(count "AND subject = '503/0106/DPMPTSP/2026'")" 0 "webhook: the refused record is not stored"

# Slow senders: a connection that goes quiet in its headers is closed
# after connection_timeout (2 s); a body trickling in (a byte a second,
# never idle) is cut at request_timeout (3 s). The webhook still serves.
exec 3<>"/dev/tcp/127.0.0.1/$WPORT"
printf 'POST /webhook/sicantik HTTP/1.1\r\nHost: x\r\nContent-Ty' >&3
START=$SECONDS
timeout 10 cat <&3 >/dev/null
it_assert_eq "$((SECONDS - START <= 5))" 1 "webhook: a connection idle in its headers is closed ($((SECONDS - START)) s)"
exec 3<&- 3>&-
(
	exec 3<>"/dev/tcp/127.0.0.1/$WPORT"
	printf 'POST /webhook/sicantik HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{' >&3
	for i in $(seq 12); do
		sleep 1
		printf ' ' >&3 2>/dev/null || exit 0
	done
	exit 1
) 2>/dev/null
RC=$?
it_assert_ne "$RC" 1 "webhook: a body trickling in is cut"
it_assert_ok "webhook: the cut is logged" grep -q 'body still arriving after 3s; connection closed' "$PZLOG"
hook "$IT_DIR/w1.json"
it_assert_eq "$CODE" 200 "webhook: still serving after the slow senders"

# --- 7. restart at the checkpoint --------------------------------------------

BEFORE=$(count)
MARK=$(grep 'sync: round done.*watermark=' "$PZLOG" | tail -n 1 | sed 's/.*watermark=\([^ |]*\)|.*/\1/')
it_kill "$PZ_PID" TERM
it_assert_ok "the adapter stopped cleanly" grep -q 'perizinan: stopping' "$PZLOG"
NFAKE=$(wc -l <"$FAKELOG")
start_adapter
it_assert_ok "the restart read the watermark from the checkpoint" grep -q "sync: watermark $MARK|" "$PZLOG"
it_wait_for 20 "a request after the restart" bash -c "[ \$(tail -n +$((NFAKE + 1)) '$FAKELOG' | grep -c 'since=') -ge 1 ]"
FIRST=$(tail -n +$((NFAKE + 1)) "$FAKELOG" | grep -m1 'since=')
it_assert_eq "$(since_of "$FIRST" | sed 's/%3A/:/g')" "$MARK" "the first request after the restart starts at the watermark"
sleep 2
it_assert_eq "$(count)" "$BEFORE" "nothing was read twice after the restart"

it_done
