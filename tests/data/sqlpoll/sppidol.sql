-- tests/data/sqlpoll/sppidol.sql: an SPPiDOL-like database (the regency's
-- SP2D system) for simpul-sp2d's tests and benchmark, in PostgreSQL.
--
-- SPPiDOL's real schema is not published; this one follows how such
-- systems are built in Indonesian local government: Bahasa column names,
-- the SKPD (agency) code of the Permendagri 90/2019 classification, the
-- four kinds of SP2D (LS, UP, GU, TU), amounts as NUMERIC(18,0) whole
-- rupiah, times as TIMESTAMP without zone in local time (WIB), a
-- last-modified column kept by a trigger, and a status history table
-- written on every status change.
--
-- Load into an empty database:  psql -v ON_ERROR_STOP=1 -f sppidol.sql
-- The database's time zone is WIB, as on SPPiDOL's server, so that
-- localtimestamp is the local wall clock the adapter expects
-- ([feed] timezone = +07:00).

SET client_min_messages = warning;
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(),
	    'Asia/Jakarta');
END $$;
SET timezone = 'Asia/Jakarta';

-- Agencies (SKPD/OPD). singkatan is the short name the bus uses as "opd".
CREATE TABLE skpd (
	kd_skpd     varchar(20) PRIMARY KEY,      -- '1.02.01'
	nm_skpd     varchar(200) NOT NULL,
	singkatan   varchar(32) NOT NULL UNIQUE   -- 'dinkes'
);

-- Status codes of an SP2D.
CREATE TABLE ref_status_sp2d (
	kd_status   smallint PRIMARY KEY,
	nm_status   varchar(40) NOT NULL
);

CREATE TABLE sp2d (
	no_sp2d         varchar(100) PRIMARY KEY,  -- '0123/SP2D/LS/1.02.01/2026'
	tgl_sp2d        date NOT NULL,
	tahun_anggaran  smallint NOT NULL,
	kd_skpd         varchar(20) NOT NULL REFERENCES skpd,
	jns_sp2d        char(2) NOT NULL CHECK (jns_sp2d IN ('LS', 'UP', 'GU', 'TU')),
	no_spm          varchar(100),
	nilai           numeric(18,0) NOT NULL CHECK (nilai >= 0),
	nm_penerima     varchar(200) NOT NULL,
	rek_penerima    varchar(40),
	bank_penerima   varchar(100),
	keperluan       varchar(2000) NOT NULL DEFAULT '',
	status          smallint NOT NULL DEFAULT 0 REFERENCES ref_status_sp2d,
	alasan_tolak    varchar(2000),
	dibuat_oleh     varchar(100),
	created_at      timestamp(6) NOT NULL DEFAULT clock_timestamp()::timestamp,
	updated_at      timestamp(6) NOT NULL
);
-- The adapter's watermark query: WHERE updated_at >= ? AND (updated_at > ?
-- OR no_sp2d > ?) ORDER BY updated_at, no_sp2d.
CREATE INDEX sp2d_updated_idx ON sp2d (updated_at, no_sp2d);

-- One row per status change, written by the trigger below (SPPiDOL's
-- application writes it; the trigger stands in for it here).
CREATE TABLE sp2d_status_history (
	id          bigserial PRIMARY KEY,
	no_sp2d     varchar(100) NOT NULL REFERENCES sp2d,
	status      smallint NOT NULL REFERENCES ref_status_sp2d,
	changed_at  timestamp(6) NOT NULL,
	catatan     varchar(2000),     -- the reason of a rejection
	petugas     varchar(100)
);
CREATE INDEX sp2d_status_history_changed_idx ON sp2d_status_history (changed_at, id);

-- updated_at follows every change, unless the statement sets it itself
-- (the tests do, to put a change "behind" the adapter's watermark).
CREATE FUNCTION sp2d_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.updated_at IS NULL THEN
			NEW.updated_at := clock_timestamp()::timestamp;
		END IF;
	ELSIF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
		NEW.updated_at := clock_timestamp()::timestamp;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER sp2d_touch BEFORE INSERT OR UPDATE ON sp2d
	FOR EACH ROW EXECUTE FUNCTION sp2d_touch();

CREATE FUNCTION sp2d_log_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
		INSERT INTO sp2d_status_history (no_sp2d, status, changed_at, catatan, petugas)
		VALUES (NEW.no_sp2d, NEW.status, NEW.updated_at,
		    CASE WHEN NEW.status = 9 THEN NEW.alasan_tolak END, NEW.dibuat_oleh);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER sp2d_log_status AFTER INSERT OR UPDATE OF status ON sp2d
	FOR EACH ROW EXECUTE FUNCTION sp2d_log_status();

INSERT INTO ref_status_sp2d VALUES
	(0, 'Draft'),
	(1, 'Diajukan'),
	(2, 'Terbit'),
	(3, 'Cair'),
	(9, 'Ditolak');

INSERT INTO skpd VALUES
	('1.01.01', 'Dinas Pendidikan', 'disdik'),
	('1.02.01', 'Dinas Kesehatan', 'dinkes'),
	('1.03.01', 'Dinas Pekerjaan Umum dan Penataan Ruang', 'dpupr'),
	('2.15.01', 'Dinas Perhubungan', 'dishub'),
	('2.16.01', 'Dinas Komunikasi dan Informatika', 'diskominfo'),
	('4.01.01', 'Sekretariat Daerah', 'setda'),
	('5.02.01', 'Badan Pengelolaan Keuangan dan Aset Daerah', 'bpkad');

-- Seed SP2Ds of the 2026 budget in every status, spread over the morning
-- of 5 January 2026 (WIB). The amounts include the largest the schema
-- allows (10^15) and 999,999,999,999,999, which a double-precision
-- detour would still hold but a float4 or a careless parser would not.
INSERT INTO sp2d (no_sp2d, tgl_sp2d, tahun_anggaran, kd_skpd, jns_sp2d, no_spm,
    nilai, nm_penerima, rek_penerima, bank_penerima, keperluan, status,
    alasan_tolak, dibuat_oleh, updated_at) VALUES
	('0001/SP2D/UP/1.02.01/2026', '2026-01-05', 2026, '1.02.01', 'UP', '0001/SPM/UP/1.02.01/2026',
	 250000000, 'Bendahara Pengeluaran Dinas Kesehatan', '107.01.02.000123-4', 'Bank Sumut',
	 'Uang persediaan Januari 2026', 3, NULL, 'rina', '2026-01-05 08:00:00.000001'),
	('0002/SP2D/LS/1.03.01/2026', '2026-01-05', 2026, '1.03.01', 'LS', '0002/SPM/LS/1.03.01/2026',
	 999999999999999, 'PT. Karya Bangun Sinabung', '2100-5566-77', 'Bank Mandiri',
	 'Pembayaran termin I peningkatan jalan Kabanjahe–Berastagi', 2, NULL, 'rina', '2026-01-05 08:05:00'),
	('0003/SP2D/LS/1.01.01/2026', '2026-01-05', 2026, '1.01.01', 'LS', '0003/SPM/LS/1.01.01/2026',
	 1000000000000000, 'CV. Sibayak Mandiri', '0012345678', 'BRI',
	 'Pengadaan meubelair SD Negeri se-Kabupaten Karo', 1, NULL, 'budi', '2026-01-05 08:05:00'),
	('0004/SP2D/GU/2.15.01/2026', '2026-01-05', 2026, '2.15.01', 'GU', '0004/SPM/GU/2.15.01/2026',
	 17500000, 'Bendahara Pengeluaran Dinas Perhubungan', '107.01.02.000456-1', 'Bank Sumut',
	 'Ganti uang persediaan', 9, 'Lampiran SPJ tidak lengkap', 'budi', '2026-01-05 08:10:00'),
	('0005/SP2D/TU/4.01.01/2026', '2026-01-05', 2026, '4.01.01', 'TU', NULL,
	 5000000, 'Bendahara Pengeluaran Setda', NULL, NULL,
	 'Tambahan uang persediaan kegiatan HUT Kabupaten Karo', 0, NULL, 'rina', '2026-01-05 08:11:00'),
	('0006/SP2D/LS/1.02.01/2026', '2026-01-05', 2026, '1.02.01', 'LS', '0006/SPM/LS/1.02.01/2026',
	 123456789012345, 'Ginting Sembiring Meliala', '5566778899', 'Bank Sumut',
	 'Honorarium tenaga kesehatan Puskesmas Tigapanah (Rp 1.000.000 × 12)', 2, NULL, 'rina', '2026-01-05 08:12:00.5'),
	('0007/SP2D/LS/2.16.01/2026', '2026-01-05', 2026, '2.16.01', 'LS', '0007/SPM/LS/2.16.01/2026',
	 0, 'PT. Telkom Indonesia', '1234500000', 'BNI',
	 'Koreksi nihil langganan internet', 1, NULL, 'budi', '2026-01-05 08:13:00'),
	('0008/SP2D/LS/5.02.01/2026', '2026-01-05', 2026, '5.02.01', 'LS', '0008/SPM/LS/5.02.01/2026',
	 42000001, 'Bendahara Gaji BPKAD', '107.01.02.000789-0', 'Bank Sumut',
	 'Gaji Januari 2026', 3, NULL, 'rina', '2026-01-05 08:14:00');
