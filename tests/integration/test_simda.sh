#!/usr/bin/env bash
# simpul-simda end to end: a Simda Keuangan-like database (tests/data/
# sqlpoll/simda.sql: Ta_SP2D, the realisation view) in a second stack's
# PostgreSQL, read through the PostgreSQL ODBC driver with a DSN-less
# connection string, as FreeTDS would read SQL Server; the real hub stores
# the events.
#
#   1. realisation per OPD and account and the SP2Ds arrive once each,
#      amounts exact (MONEY-style "999999999999999.0000" included), OPD and
#      SPM kind through [lookup] tables; an amount with cents is refused
#      and the row skipped (logged with its key);
#   2. a feed whose amount column is FLOAT fails at the column, is logged
#      once however often it is retried, writes no checkpoint, and
#      recovers once the column is made exact;
#   3. new SP2Ds and a budget change while running: new events, and a new
#      version of the realisation they change;
#   4. the source database stopped for 20 s is survived;
#   5. SIGKILL in the middle of a run of batches, restart: every row
#      exactly once, no id conflicts.
. "$SIMPUL_SRC/tests/integration/lib.sh"
. "$SIMPUL_SRC/tests/integration/hub_lib.sh"
. "$SIMPUL_SRC/tests/integration/daemon_lib.sh"
it_setup

sqlpoll_source simda "$SIMPUL_SRC/tests/data/sqlpoll/simda.sql"
# An archive of last year's SP2Ds whose amounts were migrated as FLOAT.
src_sql "CREATE TABLE Ta_SP2D_Lama (LIKE Ta_SP2D INCLUDING DEFAULTS);
	ALTER TABLE Ta_SP2D_Lama ALTER Nilai TYPE double precision;
	INSERT INTO Ta_SP2D_Lama (Tahun, No_SP2D, Tgl_SP2D, Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub, Jn_SPM,
	    Nm_Penerima, Keterangan, Nilai, Tgl_Update) VALUES
	(2025, '00901/SP2D/LS/2025', '2025-12-20', 1, 2, 1, 1, 5, 'CV. Lama', 'Arsip', 12345678, '2025-12-20 10:00:00'),
	(2025, '00902/SP2D/LS/2025', '2025-12-21', 1, 2, 1, 1, 5, 'CV. Lama', 'Arsip', 87654321, '2025-12-21 10:00:00')" >/dev/null

hub_conf hub1
hub_start hub1

LOG=$IT_DIR/log/simda.log
SP2D_SELECT="Tahun, No_SP2D, Tgl_SP2D, No_SPM, Jn_SPM, Nm_Penerima,
  Bank_Penerima, Rek_Penerima, Keterangan, Nilai, Tgl_Update,
  CONCAT(Kd_Urusan, '.', Kd_Bidang, '.', Kd_Unit, '.', Kd_Sub) AS Kd_SKPD,
  CONCAT(Tahun, '/', No_SP2D) AS Kunci"
SP2D_MAP="type = 'sp2d.issued'
id.record = Tahun, No_SP2D
id.version = Tgl_Update
subject = No_SP2D
data.nomor_sp2d = No_SP2D
data.tanggal = Tgl_SP2D:date
data.opd_pemohon = Kd_SKPD:lookup:opd
data.jenis = Jn_SPM:lookup:jenis_spm
data.nilai = Nilai:int
data.penerima = Nm_Penerima
data.keterangan = Keterangan
data.nomor_spm = No_SPM
data.tahun_anggaran = Tahun:int
data.rekening_penerima = Rek_Penerima:digits
data.bank = Bank_Penerima"

{
	sqlpoll_conf_head simda
	cat <<CONF

[feed realisasi]
select = Tahun, Kode_OPD, Nm_Sub_Unit, Kode_Rekening, Uraian, Anggaran,
  Realisasi, Tgl_Update, Kunci
from = V_Simpul_Realisasi
where = Tahun >= 2026
watermark = Tgl_Update
key = Kunci
reconcile_window = 0
[map realisasi]
type = 'simda.realization'
id.record = Tahun, Kode_OPD, Kode_Rekening
id.version = Tgl_Update
time = Tgl_Update
subject = Kunci
data.tahun = Tahun:int
data.kode_opd = Kode_OPD
data.nama_opd = Nm_Sub_Unit
data.kode_rekening = Kode_Rekening
data.uraian = Uraian
data.anggaran = Anggaran:int
data.realisasi = Realisasi:int
data.as_of = Tgl_Update:date

[feed sp2d]
select = $SP2D_SELECT
from = Ta_SP2D
watermark = Tgl_Update
key = CONCAT(Tahun, '/', No_SP2D)
key_column = Kunci
batch = 40
reconcile_window = 0
[map sp2d]
$SP2D_MAP

[feed sp2d_lama]
select = $SP2D_SELECT
from = Ta_SP2D_Lama
watermark = Tgl_Update
key = CONCAT(Tahun, '/', No_SP2D)
key_column = Kunci
reconcile_window = 0
[map sp2d_lama]
$SP2D_MAP

[lookup opd]
1.1.1.1 = disdik
1.2.1.1 = dinkes
1.3.1.1 = dpupr
[lookup jenis_spm]
1 = UP
2 = GU
3 = TU
4 = LS
5 = LS
CONF
} >"$IT_DIR/simda.conf"

start_adapter()
{
	sqlpoll_start simda
	SIMDA_PID=$IT_LAST_PID
}

hub()
{
	it_sql "$1"
}

it_assert_ok "-n accepts the config" "$SIMPUL_BIN/simpul-simda" -n -c "$IT_DIR/simda.conf"

# --- 1. realisation and SP2D -------------------------------------------------
start_adapter
it_sql_wait 60 "select count(*) from event where type = 'simda.realization'" 5
it_sql_wait 30 "select count(*) from event where type = 'sp2d.issued'" 3
it_assert_eq "$(hub "select string_agg(subject || '=' || (data->>'anggaran') || '/' || (data->>'realisasi'), ' ' order by subject) from event where type = 'simda.realization'")" \
	"$(src_sql "select string_agg(Kunci || '=' || Anggaran::numeric(19,0) || '/' || Realisasi::numeric(19,0), ' ' order by Kunci) from V_Simpul_Realisasi")" \
	"budget and realisation equal the view's amounts"
it_assert_eq "$(hub "select data->>'anggaran' || '/' || (data->>'realisasi') from event where subject = '2026/1.03.01.01/5.3.02.05.01'")" \
	"999999999999999/999999999999999" "999,999,999,999,999.0000 exact"
it_assert_eq "$(hub "select concat_ws(',', data->>'kode_opd', data->>'nama_opd', data->>'kode_rekening', data->>'as_of', data->>'tahun') from event where subject = '2026/1.02.01.01/5.1.01.01.01'")" \
	"1.02.01.01,Dinas Kesehatan,5.1.01.01.01,2026-01-20,2026" "realisation fields from the view"
it_assert_eq "$(hub "select time from event where subject = '2026/1.02.01.01/5.1.01.01.01'")" \
	"2026-01-20 03:15:00.997+00" "event time keeps the DATETIME's milliseconds"
it_assert_eq "$(hub "select string_agg(subject || '=' || (data->>'nilai') || ',' || (data->>'jenis') || ',' || (data->>'opd_pemohon'), ' ' order by subject) from event where type = 'sp2d.issued'")" \
	"00001/SP2D/LS/2026=1042000000,LS,dinkes 00002/SP2D/LS/2026=999999999999999,LS,dpupr 00003/SP2D/UP/2026=25000000,UP,disdik" \
	"SP2Ds with exact amounts, SPM kind and OPD through the lookups"
it_assert_eq "$(hub "select count(*) from event where subject like '00004/%'")" 0 "an amount with cents is not rounded into the bus"
it_assert_ok "the refused row is logged with its key" grep -q 'feed=sp2d: row skipped key="2026/00004/SP2D/GU/2026".*1500.5000.*not an exact integer' "$LOG"

# --- 2. a column of the wrong type --------------------------------------------
it_wait_for 20 "the float column to be reported" grep -q 'feed=sp2d_lama: column Nilai (floating point) cannot give data.nilai' "$LOG"
sleep 6 # several retries (0.5 s, 1 s, 2 s, 4 s)
it_assert_eq "$(grep -c 'level=warn.*feed=sp2d_lama' "$LOG")" 1 "logged once for the whole failure streak"
it_assert_ok "the other feeds go on" test "$(hub "select count(*) from event")" -ge 8
it_assert_ok "no checkpoint for the failing feed" test ! -e "$IT_DIR/simda-state/sqlpoll-sp2d_lama.checkpoint"
src_sql "ALTER TABLE Ta_SP2D_Lama ALTER Nilai TYPE numeric(19,4)" >/dev/null
it_sql_wait 30 "select count(*) from event where subject like '009%'" 2 && it_pass "the feed recovers once the column is exact"
it_assert_ok "the recovery is logged" grep -q 'feed=sp2d_lama: recovered after' "$LOG"

# --- 3. changes while running ------------------------------------------------
src_sql "INSERT INTO Ta_SP2D (Tahun, No_SP2D, Tgl_SP2D, Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub, No_SPM, Jn_SPM,
	    Nm_Penerima, Bank_Penerima, Rek_Penerima, Keterangan, Nilai)
	VALUES (2026, '00005/SP2D/LS/2026', '2026-02-02', 1, 2, 1, 1, '00005/SPM/LS/2026', 5,
	    'dr. Rehulina Tarigan', 'Bank Sumut', '107.01.02.000999-9', 'Jasa dokter spesialis', 1234567.0000);
	INSERT INTO Ta_SP2D_Rinc VALUES (2026, '00005/SP2D/LS/2026', 5, 2, 2, 3, 2, 1234567.0000);
	UPDATE Ta_Anggaran SET Total = 150000000 WHERE Kd_Urusan = 1 AND Kd_Bidang = 1" >/dev/null
it_sql_wait 30 "select count(*) from event where subject = '00005/SP2D/LS/2026'" 1
it_sql_wait 30 "select count(*) from event where subject = '2026/1.02.01.01/5.2.02.03.02'" 2
it_assert_eq "$(hub "select string_agg(data->>'realisasi', ',' order by time) from event where subject = '2026/1.02.01.01/5.2.02.03.02'")" \
	"0,1234567" "the new SP2D makes a new version of its account's realisation"
it_sql_wait 30 "select count(*) from event where subject = '2026/1.01.01.01/5.2.02.01.01'" 2
it_assert_eq "$(hub "select string_agg(data->>'anggaran', ',' order by time) from event where subject = '2026/1.01.01.01/5.2.02.01.01'")" \
	"125000000,150000000" "a budget change makes a new version"

# --- 4. the source database stopped for 20 s ----------------------------------
warn_before=$(grep -c 'level=warn.*sqlpoll' "$LOG")
"$IT_STACK" pg-stop "$SRC" >>"$IT_DIR/log/src-stack.log" 2>&1 || it_fail "pg-stop of the source"
sleep 20
it_assert_ok "the adapter survives the outage" it_alive "$SIMDA_PID"
it_assert_eq "$(($(grep -c 'level=warn.*sqlpoll' "$LOG") - warn_before))" 1 "the outage is logged once"
"$IT_STACK" pg-start "$SRC" >>"$IT_DIR/log/src-stack.log" 2>&1 || it_die "pg-start of the source"
src_sql "INSERT INTO Ta_SP2D (Tahun, No_SP2D, Tgl_SP2D, Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub, Jn_SPM, Nm_Penerima, Keterangan, Nilai)
	VALUES (2026, '00006/SP2D/TU/2026', '2026-02-03', 1, 1, 1, 1, 3, 'Bendahara', 'TU', 7000000)" >/dev/null
it_sql_wait 60 "select count(*) from event where subject = '00006/SP2D/TU/2026'" 1 && it_pass "a row written after the outage arrives"
it_assert_ok "the recovery is logged" grep -q 'sqlpoll: source: recovered after' "$LOG"

# --- 5. SIGKILL in the middle of a run of batches -----------------------------
before=$(hub "select count(*) from event")
src_sql "INSERT INTO Ta_SP2D (Tahun, No_SP2D, Tgl_SP2D, Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub, Jn_SPM, Nm_Penerima, Keterangan, Nilai)
	SELECT 2026, format('K%s/SP2D/LS/2026', lpad(g::text, 5, '0')), '2026-02-04', 1, 3, 1, 1, 5, 'Kontraktor ' || g, 'Termin',
	    (999999999000000 + g)::numeric(19,4)
	FROM generate_series(1, 2000) g" >/dev/null
it_sql_wait 120 "select count(*) >= 300 from event where subject like 'K%'" t
it_kill "$SIMDA_PID" KILL
at_kill=$(hub "select count(*) from event where subject like 'K%'")
[ "$at_kill" -lt 2000 ] && it_pass "killed in the middle of the run ($at_kill of 2000 stored)" ||
	it_fail "the run was over before the kill ($at_kill)"
start_adapter
it_sql_wait 180 "select count(*) from event where subject like 'K%'" 2000
it_assert_eq "$(hub "select count(distinct subject) from event where subject like 'K%'")" 2000 "every row once after the restart"
it_assert_eq "$(hub "select count(*) from event where subject like 'K%' and (data->>'nilai')::bigint <> 999999999000000 + substr(subject, 2, 5)::int")" \
	0 "their amounts exact"
it_assert_eq "$(hub "select count(*) from event")" "$((before + 2000))" "nothing else was stored"
it_assert_eq "$(hub "select count(*) - count(distinct id) from event")" 0 "no event stored twice"
it_assert_eq "$(hub "select count(*) from dead_letter")" 0 "no dead letters (no id conflicts)"
it_done
