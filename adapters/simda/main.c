/*
 * simpul-simda: the Simda Keuangan adapter. Simda Keuangan (BPKP's
 * regional financial system) runs on SQL Server; this daemon reads it over
 * ODBC (FreeTDS, see deploy/odbc/README.md) by watermark and publishes
 * simda.realization (budget realisation per OPD and account,
 * schemas/simda.realization.json) and the SP2D records of its Ta_SP2D
 * table as sp2d.* events, for BPKAD.
 *
 * The database side is adapters/lib/sqlpoll.c and the mapping colmap.c;
 * each kind of record is one [feed]. Simda's tables carry no last-modified
 * column of their own: the DBA adds one kept by a trigger, or a rowversion
 * cast to bigint (watermark_type = integer), or the feed reads a view that
 * provides it (docs/sql-adapters.md, "Simda Keuangan").
 *
 * -D prints the key table, then (from an exit handler, since
 * adapter_new() exits there) the feed keys and example feeds, for the
 * generated deploy/simda.conf.example.
 */
#include <stddef.h>

#include "sqlpoll.h"

#define PROGNAME "simpul-simda"
#define SYSTEM "simda"

static const char *const simda_types[] = { "simda.realization",
	"sp2d.submitted", "sp2d.issued", "sp2d.disbursed", "sp2d.rejected",
	NULL };

static const char simda_example[] =
"\n"
"; --- Example: realisation per OPD and account, from a view the DBA\n"
"; --- creates in Simda's database (docs/sql-adapters.md has its T-SQL) ----\n"
";[feed realisasi]\n"
";select = Tahun, Kode_OPD, Nm_Sub_Unit, Kode_Rekening, Uraian, Anggaran,\n"
";  Realisasi, Tgl_Update, Kunci\n"
";from = V_Simpul_Realisasi\n"
";where = Tahun >= 2026\n"
";watermark = Tgl_Update\n"
";key = Kunci\n"
";\n"
";[map realisasi]\n"
";type = 'simda.realization'\n"
";id.record = Tahun, Kode_OPD, Kode_Rekening\n"
";id.version = Tgl_Update\n"
";time = Tgl_Update\n"
";subject = Kunci\n"
";data.tahun = Tahun:int\n"
";data.kode_opd = Kode_OPD\n"
";data.nama_opd = Nm_Sub_Unit\n"
";data.kode_rekening = Kode_Rekening\n"
";data.uraian = Uraian\n"
";data.anggaran = Anggaran:int\n"
";data.realisasi = Realisasi:int\n"
";data.as_of = Tgl_Update:date\n"
"\n"
"; --- Example: SP2D from Ta_SP2D (Tgl_Update added by the DBA) -----------\n"
";[feed sp2d]\n"
";select = Tahun, No_SP2D, Tgl_SP2D, No_SPM, Jn_SPM, Nm_Penerima,\n"
";  Bank_Penerima, Rek_Penerima, Keterangan, Nilai, Tgl_Update,\n"
";  CONCAT(Kd_Urusan, '.', Kd_Bidang, '.', Kd_Unit, '.', Kd_Sub) AS Kd_SKPD,\n"
";  CONCAT(Tahun, '/', No_SP2D) AS Kunci\n"
";from = Ta_SP2D\n"
";watermark = Tgl_Update\n"
";key = CONCAT(Tahun, '/', No_SP2D)\n"
";key_column = Kunci\n"
";\n"
";[map sp2d]\n"
";type = 'sp2d.issued'\n"
";id.record = Tahun, No_SP2D\n"
";id.version = Tgl_Update\n"
";subject = No_SP2D\n"
";data.nomor_sp2d = No_SP2D\n"
";data.tanggal = Tgl_SP2D:date\n"
";data.opd_pemohon = Kd_SKPD:lookup:opd\n"
";data.jenis = Jn_SPM:lookup:jenis_spm\n"
";data.nilai = Nilai:int\n"
";data.penerima = Nm_Penerima\n"
";data.keterangan = Keterangan\n"
";data.nomor_spm = No_SPM\n"
";data.tahun_anggaran = Tahun:int\n"
";data.rekening_penerima = Rek_Penerima:digits\n"
";data.bank = Bank_Penerima\n"
";\n"
";[lookup opd]\n"
";1.1.1.1 = disdik\n"
";1.2.1.1 = dinkes\n"
";\n"
";[lookup jenis_spm]\n"
";1 = UP\n"
";2 = GU\n"
";3 = TU\n"
";4 = LS\n"
";5 = LS\n";

static const struct sqlpoll_daemon simda_daemon = {
	PROGNAME, SYSTEM, simda_types, simda_example,
};

int
main(int argc, char **argv)
{
	return sqlpoll_daemon_main(argc, argv, &simda_daemon);
}
