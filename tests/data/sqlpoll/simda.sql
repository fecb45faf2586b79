-- tests/data/sqlpoll/simda.sql: a Simda Keuangan-like database for
-- simpul-simda's tests, in PostgreSQL.
--
-- Simda Keuangan (BPKP) runs on SQL Server; its tables and columns are
-- named like Ta_SP2D.No_SP2D. PostgreSQL folds the unquoted names below to
-- lower case (ta_sp2d.no_sp2d): the adapter finds columns without regard
-- to case, so one config reads both. SQL Server types are mirrored:
-- MONEY -> NUMERIC(19,4) (money prints four decimals: "1500000.0000"),
-- DATETIME -> TIMESTAMP(3), TINYINT/SMALLINT codes -> SMALLINT.
--
-- Simda keeps no last-modified time; Tgl_Update is the column a DBA adds
-- for the adapter, kept by a trigger (on SQL Server: a DEFAULT and an
-- AFTER UPDATE trigger, or a ROWVERSION read as bigint). The realisation
-- per OPD and account comes from the view V_Simpul_Realisasi, which the
-- DBA creates; docs/sql-adapters.md has its T-SQL twin.
--
-- Load into an empty database:  psql -v ON_ERROR_STOP=1 -f simda.sql

SET client_min_messages = warning;
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(),
	    'Asia/Jakarta');
END $$;
SET timezone = 'Asia/Jakarta';

-- Organisation: urusan.bidang.unit.sub (sub-unit = the OPD).
CREATE TABLE Ref_Sub_Unit (
	Kd_Urusan   smallint NOT NULL,
	Kd_Bidang   smallint NOT NULL,
	Kd_Unit     smallint NOT NULL,
	Kd_Sub      smallint NOT NULL,
	Nm_Sub_Unit varchar(255) NOT NULL,
	PRIMARY KEY (Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub)
);

-- Chart of accounts, fifth level (Permendagri 13 style, as in Simda).
CREATE TABLE Ref_Rek_5 (
	Kd_Rek_1  smallint NOT NULL,
	Kd_Rek_2  smallint NOT NULL,
	Kd_Rek_3  smallint NOT NULL,
	Kd_Rek_4  smallint NOT NULL,
	Kd_Rek_5  smallint NOT NULL,
	Nm_Rek_5  varchar(255) NOT NULL,
	PRIMARY KEY (Kd_Rek_1, Kd_Rek_2, Kd_Rek_3, Kd_Rek_4, Kd_Rek_5)
);

-- Budget (pagu) per sub-unit and account; Simda's Ta_RASK_Arsip reduced
-- to what the realisation needs.
CREATE TABLE Ta_Anggaran (
	Tahun      smallint NOT NULL,
	Kd_Urusan  smallint NOT NULL,
	Kd_Bidang  smallint NOT NULL,
	Kd_Unit    smallint NOT NULL,
	Kd_Sub     smallint NOT NULL,
	Kd_Rek_1   smallint NOT NULL,
	Kd_Rek_2   smallint NOT NULL,
	Kd_Rek_3   smallint NOT NULL,
	Kd_Rek_4   smallint NOT NULL,
	Kd_Rek_5   smallint NOT NULL,
	Total      numeric(19,4) NOT NULL,
	Tgl_Update timestamp(3),
	PRIMARY KEY (Tahun, Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub,
	    Kd_Rek_1, Kd_Rek_2, Kd_Rek_3, Kd_Rek_4, Kd_Rek_5),
	FOREIGN KEY (Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub) REFERENCES Ref_Sub_Unit,
	FOREIGN KEY (Kd_Rek_1, Kd_Rek_2, Kd_Rek_3, Kd_Rek_4, Kd_Rek_5) REFERENCES Ref_Rek_5
);

CREATE TABLE Ta_SP2D (
	Tahun             smallint NOT NULL,
	No_SP2D           varchar(50) NOT NULL,
	Tgl_SP2D          timestamp(3) NOT NULL,
	Kd_Urusan         smallint NOT NULL,
	Kd_Bidang         smallint NOT NULL,
	Kd_Unit           smallint NOT NULL,
	Kd_Sub            smallint NOT NULL,
	No_SPM            varchar(50),
	Jn_SPM            smallint NOT NULL,  -- 1 UP, 2 GU, 3 TU, 4 LS gaji, 5 LS barang/jasa
	Nm_Penerima       varchar(100),
	Bank_Penerima     varchar(50),
	Rek_Penerima      varchar(50),
	NPWP              varchar(20),
	Keterangan        varchar(255),
	Nilai             numeric(19,4) NOT NULL,
	Nm_Penandatangan  varchar(50),
	Nip_Penandatangan varchar(21),
	Jbt_Penandatangan varchar(75),
	Tgl_Update        timestamp(3),
	PRIMARY KEY (Tahun, No_SP2D),
	FOREIGN KEY (Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub) REFERENCES Ref_Sub_Unit
);
CREATE INDEX ta_sp2d_update_idx ON Ta_SP2D (Tgl_Update);

-- The SP2D's amount per account: what realises the budget.
CREATE TABLE Ta_SP2D_Rinc (
	Tahun    smallint NOT NULL,
	No_SP2D  varchar(50) NOT NULL,
	Kd_Rek_1 smallint NOT NULL,
	Kd_Rek_2 smallint NOT NULL,
	Kd_Rek_3 smallint NOT NULL,
	Kd_Rek_4 smallint NOT NULL,
	Kd_Rek_5 smallint NOT NULL,
	Nilai    numeric(19,4) NOT NULL,
	PRIMARY KEY (Tahun, No_SP2D, Kd_Rek_1, Kd_Rek_2, Kd_Rek_3, Kd_Rek_4, Kd_Rek_5),
	FOREIGN KEY (Tahun, No_SP2D) REFERENCES Ta_SP2D
);

-- Tgl_Update follows every change unless the statement sets it.
CREATE FUNCTION simpul_tgl_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.Tgl_Update IS NULL THEN
			NEW.Tgl_Update := clock_timestamp()::timestamp(3);
		END IF;
	ELSIF NEW.Tgl_Update IS NOT DISTINCT FROM OLD.Tgl_Update THEN
		NEW.Tgl_Update := clock_timestamp()::timestamp(3);
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER ta_anggaran_tgl_update BEFORE INSERT OR UPDATE ON Ta_Anggaran
	FOR EACH ROW EXECUTE FUNCTION simpul_tgl_update();
CREATE TRIGGER ta_sp2d_tgl_update BEFORE INSERT OR UPDATE ON Ta_SP2D
	FOR EACH ROW EXECUTE FUNCTION simpul_tgl_update();

-- Realisation per sub-unit and account: the budget, the sum of the SP2Ds
-- charged to it, and the latest change of either as Tgl_Update (the
-- watermark). Kunci is the unique key the adapter orders by.
CREATE VIEW V_Simpul_Realisasi AS
SELECT a.Tahun,
       CONCAT(a.Kd_Urusan, '.', LPAD(a.Kd_Bidang::text, 2, '0'), '.',
           LPAD(a.Kd_Unit::text, 2, '0'), '.', LPAD(a.Kd_Sub::text, 2, '0')) AS Kode_OPD,
       u.Nm_Sub_Unit,
       CONCAT(a.Kd_Rek_1, '.', a.Kd_Rek_2, '.', LPAD(a.Kd_Rek_3::text, 2, '0'), '.',
           LPAD(a.Kd_Rek_4::text, 2, '0'), '.', LPAD(a.Kd_Rek_5::text, 2, '0')) AS Kode_Rekening,
       r.Nm_Rek_5 AS Uraian,
       a.Total AS Anggaran,
       COALESCE(x.Realisasi, 0) AS Realisasi,
       GREATEST(a.Tgl_Update, x.Tgl_Update) AS Tgl_Update,
       CONCAT(a.Tahun, '/', a.Kd_Urusan, '.', LPAD(a.Kd_Bidang::text, 2, '0'), '.',
           LPAD(a.Kd_Unit::text, 2, '0'), '.', LPAD(a.Kd_Sub::text, 2, '0'), '/',
           a.Kd_Rek_1, '.', a.Kd_Rek_2, '.', LPAD(a.Kd_Rek_3::text, 2, '0'), '.',
           LPAD(a.Kd_Rek_4::text, 2, '0'), '.', LPAD(a.Kd_Rek_5::text, 2, '0')) AS Kunci
FROM Ta_Anggaran a
JOIN Ref_Sub_Unit u USING (Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub)
JOIN Ref_Rek_5 r USING (Kd_Rek_1, Kd_Rek_2, Kd_Rek_3, Kd_Rek_4, Kd_Rek_5)
LEFT JOIN (
	SELECT s.Tahun, s.Kd_Urusan, s.Kd_Bidang, s.Kd_Unit, s.Kd_Sub,
	       d.Kd_Rek_1, d.Kd_Rek_2, d.Kd_Rek_3, d.Kd_Rek_4, d.Kd_Rek_5,
	       SUM(d.Nilai) AS Realisasi, MAX(s.Tgl_Update) AS Tgl_Update
	FROM Ta_SP2D s
	JOIN Ta_SP2D_Rinc d USING (Tahun, No_SP2D)
	GROUP BY s.Tahun, s.Kd_Urusan, s.Kd_Bidang, s.Kd_Unit, s.Kd_Sub,
	         d.Kd_Rek_1, d.Kd_Rek_2, d.Kd_Rek_3, d.Kd_Rek_4, d.Kd_Rek_5
) x USING (Tahun, Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub,
           Kd_Rek_1, Kd_Rek_2, Kd_Rek_3, Kd_Rek_4, Kd_Rek_5);

INSERT INTO Ref_Sub_Unit VALUES
	(1, 1, 1, 1, 'Dinas Pendidikan'),
	(1, 2, 1, 1, 'Dinas Kesehatan'),
	(1, 3, 1, 1, 'Dinas Pekerjaan Umum dan Penataan Ruang');

INSERT INTO Ref_Rek_5 VALUES
	(5, 1, 1, 1, 1, 'Gaji Pokok PNS'),
	(5, 2, 2, 1, 1, 'Belanja Alat Tulis Kantor'),
	(5, 2, 2, 3, 2, 'Belanja Jasa Tenaga Kesehatan'),
	(5, 3, 2, 5, 1, 'Belanja Modal Jalan dan Jembatan');

INSERT INTO Ta_Anggaran VALUES
	(2026, 1, 2, 1, 1, 5, 1, 1, 1, 1, 12500000000.0000, '2026-01-02 09:00:00.000'),
	(2026, 1, 2, 1, 1, 5, 2, 2, 1, 1, 350000000.0000, '2026-01-02 09:00:00.000'),
	(2026, 1, 2, 1, 1, 5, 2, 2, 3, 2, 2400000000.0000, '2026-01-02 09:00:00.003'),
	(2026, 1, 3, 1, 1, 5, 3, 2, 5, 1, 999999999999999.0000, '2026-01-02 09:00:00.003'),
	(2026, 1, 1, 1, 1, 5, 2, 2, 1, 1, 125000000.0000, '2026-01-02 09:00:00.997');

INSERT INTO Ta_SP2D (Tahun, No_SP2D, Tgl_SP2D, Kd_Urusan, Kd_Bidang, Kd_Unit, Kd_Sub,
    No_SPM, Jn_SPM, Nm_Penerima, Bank_Penerima, Rek_Penerima, Keterangan, Nilai, Tgl_Update) VALUES
	(2026, '00001/SP2D/LS/2026', '2026-01-20 00:00:00', 1, 2, 1, 1, '00001/SPM/LS/2026', 4,
	 'Bendahara Gaji Dinas Kesehatan', 'Bank Sumut', '107.01.02.000123-4',
	 'Gaji Januari 2026', 1042000000.0000, '2026-01-20 10:15:00.997'),
	(2026, '00002/SP2D/LS/2026', '2026-01-21 00:00:00', 1, 3, 1, 1, '00002/SPM/LS/2026', 5,
	 'PT. Karya Bangun Sinabung', 'Bank Mandiri', '2100-5566-77',
	 'Termin I jalan Kabanjahe–Berastagi', 999999999999999.0000, '2026-01-21 14:00:00.000'),
	(2026, '00003/SP2D/UP/2026', '2026-01-06 00:00:00', 1, 1, 1, 1, '00003/SPM/UP/2026', 1,
	 'Bendahara Pengeluaran Dinas Pendidikan', 'Bank Sumut', '107.01.02.000555-1',
	 'Uang persediaan', 25000000.0000, '2026-01-06 08:00:00.000'),
	-- Rupiah with cents: Simda's MONEY allows it, the bus does not; the
	-- adapter refuses to round it and skips the row (logged).
	(2026, '00004/SP2D/GU/2026', '2026-01-22 00:00:00', 1, 2, 1, 1, '00004/SPM/GU/2026', 2,
	 'Bendahara Pengeluaran Dinas Kesehatan', 'Bank Sumut', '107.01.02.000123-4',
	 'Ganti uang persediaan', 1500.5000, '2026-01-22 09:30:00.000');

INSERT INTO Ta_SP2D_Rinc VALUES
	(2026, '00001/SP2D/LS/2026', 5, 1, 1, 1, 1, 1042000000.0000),
	(2026, '00002/SP2D/LS/2026', 5, 3, 2, 5, 1, 999999999999999.0000),
	(2026, '00003/SP2D/UP/2026', 5, 2, 2, 1, 1, 25000000.0000);
