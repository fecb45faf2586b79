#!/usr/bin/env bash
# simpul-sp2d end to end: an SPPiDOL-like database (tests/data/sqlpoll/
# sppidol.sql) in a second stack's PostgreSQL, read through the PostgreSQL
# ODBC driver; the real hub stores the events.
#
#   1. the seed rows arrive once each, typed by status, amounts exact
#      (999999999999999 and 10^15 compared as text with the source),
#      UTF-8 text intact, draft rows ignored;
#   2. rows inserted and updated while the adapter runs arrive exactly once;
#   3. two status changes between two polls: history mode gives both
#      events in order, row mode only the latest;
#   4. a row updated behind the watermark is caught by reconciliation;
#   5. the source database stopped for 20 s: logged once, survived,
#      recovery logged, new rows arrive;
#   6. SIGKILL in the middle of a run of batches, restart: every row
#      exactly once (one event per record and version), no id conflicts.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"
it_setup

# The source database lives in a stack of its own, so that stopping it
# leaves the hub's PostgreSQL running.
sqlpoll_source sppidol "$SIMPUL_SRC/tests/data/sqlpoll/sppidol.sql"

hub_conf hub1
hub_start hub1

LOG=$IT_DIR/log/sp2d.log
# What both feeds' maps take from the SP2D, and both feeds' status codes.
SP2D_DATA="data.nomor_sp2d = no_sp2d
data.tanggal = tgl_sp2d:date
data.opd_pemohon = opd_pemohon:lower
data.jenis = jns_sp2d:upper
data.nilai = nilai:int
data.penerima = nm_penerima
data.keterangan = keperluan
data.nomor_spm = no_spm
data.tahun_anggaran = tahun_anggaran:int"
SP2D_TYPES="0 = -
1 = sp2d.submitted
2 = sp2d.issued
3 = sp2d.disbursed
9 = sp2d.rejected"
write_conf()
{
	local window=$1

	{
		sqlpoll_conf_head sp2d
		cat <<CONF

; Row mode: the SP2D table, the latest status per poll.
[feed sp2d]
select = s.no_sp2d, s.tgl_sp2d, s.tahun_anggaran, s.jns_sp2d, s.no_spm,
  s.nilai, s.nm_penerima, s.rek_penerima, s.bank_penerima, s.keperluan,
  s.status, s.alasan_tolak, s.updated_at, k.singkatan AS opd_pemohon
from = sp2d s JOIN skpd k ON k.kd_skpd = s.kd_skpd
where = s.no_sp2d NOT LIKE 'H-%'
watermark = s.updated_at
key = s.no_sp2d
batch = 50
reconcile_window = $window
reconcile_interval = 2s
[map sp2d]
type = status
id.record = no_sp2d
id.version = status, updated_at
time = updated_at
subject = no_sp2d
$SP2D_DATA
data.alasan_penolakan = alasan_tolak
data.rekening_penerima = rek_penerima:digits
data.bank = bank_penerima
[types sp2d]
$SP2D_TYPES

; History mode: every status change, for the SP2Ds numbered H-...
[feed riwayat]
select = h.id, h.status, h.changed_at, h.catatan, s.no_sp2d, s.tgl_sp2d,
  s.tahun_anggaran, s.jns_sp2d, s.no_spm, s.nilai, s.nm_penerima,
  s.keperluan, k.singkatan AS opd_pemohon
from = sp2d_status_history h JOIN sp2d s ON s.no_sp2d = h.no_sp2d
  JOIN skpd k ON k.kd_skpd = s.kd_skpd
where = s.no_sp2d LIKE 'H-%'
watermark = h.changed_at
key = h.id
batch = 50
reconcile_window = 0
[map riwayat]
type = status
id.record = no_sp2d
id.version = status, changed_at
time = changed_at
subject = no_sp2d
$SP2D_DATA
data.alasan_penolakan = catatan
[types riwayat]
$SP2D_TYPES
CONF
	} >"$IT_DIR/sp2d.conf"
}

start_adapter()
{
	sqlpoll_start sp2d
	SP2D_PID=$IT_LAST_PID
}

hub()
{
	it_sql "$1"
}

write_conf 30m
it_assert_ok "-n accepts the config" "$SIMPUL_BIN/simpul-sp2d" -n -c "$IT_DIR/sp2d.conf"
it_assert_ok "-D documents the feed keys and both modes" \
	bash -c "'$SIMPUL_BIN/simpul-sp2d' -D | grep -q '^;reconcile_window = 48h' && '$SIMPUL_BIN/simpul-sp2d' -D | grep -q '^;\[feed riwayat\]'"
printf '[feed x]\nfrom = t\n[map x]\ntype = status\ndata.nilai = nilai:money\n[types x]\n1 = permit.issued\n' >"$IT_DIR/bad.conf"
"$SIMPUL_BIN/simpul-sp2d" -n -c "$IT_DIR/bad.conf" >"$IT_DIR/bad.out" 2>&1
it_assert_ok "-n reports a bad map type with file:line" grep -q 'bad.conf:5: unknown type .money' "$IT_DIR/bad.out"
it_assert_ok "-n refuses a type this adapter does not publish" grep -q 'type permit.issued is not one this adapter publishes' "$IT_DIR/bad.out"
it_assert_ok "-n requires the watermark" grep -q 'feed x: watermark is required' "$IT_DIR/bad.out"

# --- 1. the seed rows --------------------------------------------------------
start_adapter
it_sql_wait 60 "select count(*) from event where source = '/karo/bpkad/sppidol'" 7
it_assert_eq "$(hub "select string_agg(subject || '=' || type, ' ' order by subject) from event")" \
	"0001/SP2D/UP/1.02.01/2026=sp2d.disbursed 0002/SP2D/LS/1.03.01/2026=sp2d.issued 0003/SP2D/LS/1.01.01/2026=sp2d.submitted 0004/SP2D/GU/2.15.01/2026=sp2d.rejected 0006/SP2D/LS/1.02.01/2026=sp2d.issued 0007/SP2D/LS/2.16.01/2026=sp2d.submitted 0008/SP2D/LS/5.02.01/2026=sp2d.disbursed" \
	"each seed SP2D once, typed by its status; the draft is ignored"
it_assert_eq "$(hub "select string_agg(subject || '=' || (data->>'nilai'), ' ' order by subject) from event")" \
	"$(src_sql "select string_agg(no_sp2d || '=' || nilai::text, ' ' order by no_sp2d) from sp2d where status <> 0")" \
	"amounts equal the source's NUMERIC text"
it_assert_eq "$(hub "select data->>'nilai' from event where subject like '0002/%'")" 999999999999999 "999999999999999 exact"
it_assert_eq "$(hub "select data->>'nilai' from event where subject like '0003/%'")" 1000000000000000 "10^15 exact"
it_assert_eq "$(hub "select jsonb_typeof(data->'nilai') from event where subject like '0003/%'")" number "amounts are JSON numbers"
it_assert_eq "$(hub "select data->>'keterangan' from event where subject like '0002/%'")" \
	"$(src_sql "select keperluan from sp2d where no_sp2d like '0002/%'")" "UTF-8 text intact (en dash)"
it_assert_eq "$(hub "select data->>'alasan_penolakan' from event where type = 'sp2d.rejected'")" \
	"Lampiran SPJ tidak lengkap" "a rejection carries its reason"
it_assert_eq "$(hub "select time from event where subject like '0002/%'")" "2026-01-05 01:05:00+00" \
	"event time is the source's updated_at, WIB to UTC"
it_assert_eq "$(hub "select data->>'opd_pemohon' || ',' || (data->>'rekening_penerima') from event where subject like '0001/%'")" \
	"dinkes,10701020001234" "OPD from the join, account digits only"

# --- 2. inserts and updates while running ------------------------------------
src_sql "INSERT INTO sp2d (no_sp2d, tgl_sp2d, tahun_anggaran, kd_skpd, jns_sp2d, nilai, nm_penerima, keperluan, status)
	SELECT format('L%s/SP2D/LS/1.02.01/2026', lpad(g::text, 4, '0')), '2026-02-02', 2026, '1.02.01', 'LS',
	    1000000 * g + g, 'Penerima ' || g, 'Belanja ' || g, 1
	FROM generate_series(1, 120) g" >/dev/null
src_sql "UPDATE sp2d SET status = 2 WHERE no_sp2d LIKE '0003/%'" >/dev/null
src_sql "UPDATE sp2d SET status = 9, alasan_tolak = 'Nilai tidak sesuai kontrak' WHERE no_sp2d LIKE '0007/%'" >/dev/null
it_sql_wait 60 "select count(*) from event" 129
it_assert_eq "$(hub "select count(*) from event where subject like 'L%' and type = 'sp2d.submitted'")" 120 "120 new SP2Ds submitted"
it_assert_eq "$(hub "select count(*) from event where subject like 'L%' and data->>'nilai' = (1000000 * substr(subject, 2, 4)::int + substr(subject, 2, 4)::int)::text")" \
	120 "their amounts exact"
it_assert_eq "$(hub "select string_agg(type, ',' order by time) from event where subject like '0003/%'")" \
	"sp2d.submitted,sp2d.issued" "an update adds the new status"
it_assert_eq "$(hub "select string_agg(type, ',' order by time) from event where subject like '0007/%'")" \
	"sp2d.submitted,sp2d.rejected" "a rejection while running"

# --- 3. two status changes between two polls ----------------------------------
src_sql "INSERT INTO sp2d (no_sp2d, tgl_sp2d, tahun_anggaran, kd_skpd, jns_sp2d, no_spm, nilai, nm_penerima, keperluan, status) VALUES
	('H-0001/SP2D/LS/1.02.01/2026', '2026-02-03', 2026, '1.02.01', 'LS', '0101/SPM/LS/1.02.01/2026', 75000000, 'CV. Deleng', 'Obat', 1),
	('R-0001/SP2D/LS/1.02.01/2026', '2026-02-03', 2026, '1.02.01', 'LS', '0102/SPM/LS/1.02.01/2026', 76000000, 'CV. Lau', 'Alkes', 1)" >/dev/null
it_sql_wait 30 "select count(*) from event where subject similar to '(H|R)-0001/%'" 2
# Both changes in one transaction: no poll can fall between them.
src_sql "BEGIN; UPDATE sp2d SET status = 2 WHERE no_sp2d similar to '(H|R)-0001/%';
	UPDATE sp2d SET status = 3 WHERE no_sp2d similar to '(H|R)-0001/%'; COMMIT" >/dev/null
it_sql_wait 30 "select count(*) from event where subject similar to '(H|R)-0001/%'" 5
it_assert_eq "$(hub "select string_agg(type, ',' order by time) from event where subject like 'H-0001/%'")" \
	"sp2d.submitted,sp2d.issued,sp2d.disbursed" "history mode: both changes, in order of time"
it_assert_eq "$(hub "select string_agg(type, ',' order by received_at, time) from event where subject like 'H-0001/%'")" \
	"sp2d.submitted,sp2d.issued,sp2d.disbursed" "history mode: published in that order"
it_assert_eq "$(hub "select string_agg(type, ',' order by time) from event where subject like 'R-0001/%'")" \
	"sp2d.submitted,sp2d.disbursed" "row mode: only the latest status"

# --- 4. a change behind the watermark ----------------------------------------
src_sql "UPDATE sp2d SET status = 3, updated_at = localtimestamp - interval '10 minutes' WHERE no_sp2d LIKE '0006/%'" >/dev/null
it_sql_wait 30 "select count(*) from event where subject like '0006/%' and type = 'sp2d.disbursed'" 1 &&
	it_pass "reconciliation catches a row updated behind the watermark"
# The round logs after its last PUBACK, which may come after the hub has
# stored the event: wait for the line rather than look once.
it_wait_for 15 "the reconciliation log line" grep -q 'feed=sp2d: reconciled from' "$LOG" &&
	it_pass "reconciliation logged its window"
sleep 3 # one more reconciliation pass over the same rows
it_assert_eq "$(hub "select count(*) - count(distinct id) from event")" 0 "re-read rows are not stored twice"
it_assert_eq "$(hub "select count(*) from dead_letter")" 0 "no dead letters (no id conflicts)"

# --- 5. the source database stopped for 20 s ----------------------------------
warn_before=$(grep -c 'level=warn.*sqlpoll' "$LOG")
"$IT_STACK" pg-stop "$SRC" >>"$IT_DIR/log/src-stack.log" 2>&1 || it_fail "pg-stop of the source"
sleep 20
it_assert_ok "the adapter survives the outage" it_alive "$SP2D_PID"
warn_outage=$(($(grep -c 'level=warn.*sqlpoll' "$LOG") - warn_before))
it_assert_eq "$warn_outage" 1 "the outage is logged once, not per attempt"
it_assert_ok "the log says what failed" grep -q 'sqlpoll: source: .*\(connect\|08\)' "$LOG"
"$IT_STACK" pg-start "$SRC" >>"$IT_DIR/log/src-stack.log" 2>&1 || it_die "pg-start of the source"
src_sql "INSERT INTO sp2d (no_sp2d, tgl_sp2d, tahun_anggaran, kd_skpd, jns_sp2d, nilai, nm_penerima, status)
	SELECT format('P%s/SP2D/GU/1.02.01/2026', g), '2026-02-04', 2026, '1.02.01', 'GU', 5000 + g, 'Pasca', 1
	FROM generate_series(1, 5) g" >/dev/null
it_sql_wait 60 "select count(*) from event where subject like 'P%'" 5 && it_pass "rows written after the outage arrive"
it_assert_ok "the recovery is logged" grep -q 'sqlpoll: source: recovered after' "$LOG"

# --- 6. SIGKILL in the middle of a run of batches -----------------------------
it_kill "$SP2D_PID" TERM
write_conf 0
start_adapter
before=$(hub "select count(*) from event")
src_sql "INSERT INTO sp2d (no_sp2d, tgl_sp2d, tahun_anggaran, kd_skpd, jns_sp2d, nilai, nm_penerima, status)
	SELECT format('K%s/SP2D/LS/1.03.01/2026', lpad(g::text, 5, '0')), '2026-02-05', 2026, '1.03.01', 'LS', 999999999000000 + g, 'Kontraktor ' || g, 1
	FROM generate_series(1, 3000) g" >/dev/null
it_sql_wait 120 "select count(*) >= 400 from event where subject like 'K%'" t
it_kill "$SP2D_PID" KILL
at_kill=$(hub "select count(*) from event where subject like 'K%'")
it_log "killed with $at_kill of 3000 stored; checkpoint: $(tail -n 1 "$IT_DIR/sp2d-state/sqlpoll-sp2d.checkpoint" 2>/dev/null)"
[ "$at_kill" -lt 3000 ] && it_pass "killed in the middle of the run ($at_kill of 3000 stored)" ||
	it_fail "the run was over before the kill ($at_kill)"
start_adapter
it_sql_wait 180 "select count(*) from event where subject like 'K%'" 3000
it_assert_eq "$(hub "select count(distinct subject) from event where subject like 'K%'")" 3000 "every row once after the restart"
it_assert_eq "$(hub "select count(*) from event where subject like 'K%' and (data->>'nilai')::numeric - 999999999000000 <> substr(subject, 2, 5)::int")" \
	0 "their amounts exact"
it_assert_eq "$(hub "select count(*) from (select subject, type from event group by 1, 2 having count(*) > 1) d")" \
	0 "one event per record and version"
it_assert_eq "$(hub "select count(*) from event")" "$((before + 3000))" "nothing else was stored"
it_assert_eq "$(hub "select count(*) from dead_letter")" 0 "still no dead letters"

it_kill "$SP2D_PID" TERM
it_assert_ok "a clean stop reports its totals" grep -q 'sp2d: stopping rows=' "$LOG"
it_done
