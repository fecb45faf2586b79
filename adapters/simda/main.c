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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "log.h"
#include "sqlpoll.h"
#include "util.h"

#define PROGNAME "simpul-simda"
#define SYSTEM "simda"

struct simda_config {
	struct adapter_config ac;
	struct sqlpoll_source src;
	struct sqlpoll_feeds *feeds;
};

static const struct conf_key simda_keys[] = {
	SQLPOLL_SOURCE_KEYS(struct simda_config, src),
};

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

static int
simda_other(void *cfgp, const char *section, const char *name,
    const char *value, char *err, size_t errlen)
{
	struct simda_config *cfg = cfgp;
	int r;

	r = sqlpoll_feeds_conf(cfg->feeds, section, name, value, err, errlen);
	if (r == 1) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -1;
	}
	return r;
}

static int
simda_check(void *cfgp, const char *path)
{
	struct simda_config *cfg = cfgp;

	return sqlpoll_check(&cfg->src, cfg->feeds, path, simda_types);
}

static void
simda_dump_feeds(void)
{
	sqlpoll_feeds_dump(stdout);
	fputs(simda_example, stdout);
}

int
main(int argc, char **argv)
{
	struct simda_config cfg;
	struct adapter_spec spec;
	struct sqlpoll_stats st;
	struct adapter *ad;
	struct sqlpoll *sp;
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-D") == 0)
			atexit(simda_dump_feeds);
	memset(&cfg, 0, sizeof(cfg));
	cfg.feeds = sqlpoll_feeds_new(SYSTEM);
	memset(&spec, 0, sizeof(spec));
	spec.progname = PROGNAME;
	spec.cfg = &cfg;
	spec.common_offset = offsetof(struct simda_config, ac);
	spec.keys = simda_keys;
	spec.nkeys = nitems(simda_keys);
	spec.other = simda_other;
	spec.check = simda_check;
	ad = adapter_new(argc, argv, &spec);
	/* adapter_start() makes the state directory the checkpoints live in;
	 * the poller takes the feeds, whatever happens. */
	if (adapter_start(ad) == -1) {
		sqlpoll_feeds_free(cfg.feeds);
		adapter_free(ad);
		return 1;
	}
	if ((sp = sqlpoll_new(ad, &cfg.src, cfg.feeds)) == NULL) {
		adapter_free(ad);
		return 1;
	}
	sqlpoll_run(sp);
	sqlpoll_stats(sp, &st);
	log_info("simda: stopping rows=%llu published=%llu acked=%llu "
	    "skipped=%llu ignored=%llu errors=%llu",
	    (unsigned long long)st.rows, (unsigned long long)st.published,
	    (unsigned long long)st.acked, (unsigned long long)st.skipped,
	    (unsigned long long)st.ignored, (unsigned long long)st.errors);
	sqlpoll_free(sp);
	adapter_free(ad);
	return 0;
}
