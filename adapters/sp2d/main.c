/*
 * simpul-sp2d: the SP2D adapter. Reads SPPiDOL, the regency's SP2D (Surat
 * Perintah Pencairan Dana: the order to disburse) system, by watermark over
 * ODBC and publishes sp2d.submitted, sp2d.issued, sp2d.disbursed and
 * sp2d.rejected (schemas/sp2d.*.json) for BPKAD.
 *
 * Everything about the database lives in adapters/lib/sqlpoll.c and the
 * mapping in colmap.c; this file is the config table, the list of types
 * the adapter may publish, and main(). Two ways to see status changes,
 * chosen by config (docs/sql-adapters.md, "Status history"):
 *
 *   row mode      a feed over the SP2D table: each change of a row is one
 *                 event typed by the row's current status. An SP2D that
 *                 moves through two statuses between two polls yields
 *                 only the latest.
 *   history mode  a feed over sp2d_status_history (no_sp2d, status,
 *                 changed_at) joined to the SP2D: every status change is
 *                 an event, in order, however fast they follow each other.
 *
 * -D prints the key table, then (from an exit handler, since
 * adapter_new() exits there) the feed keys and both example feeds, so the
 * generated deploy/sp2d.conf.example shows them.
 */
#include <stddef.h>

#include "sqlpoll.h"

#define PROGNAME "simpul-sp2d"
#define SYSTEM "sppidol"

static const char *const sp2d_types[] = { "sp2d.submitted", "sp2d.issued",
	"sp2d.disbursed", "sp2d.rejected", NULL };

static const char sp2d_example[] =
"\n"
"; --- Example: row mode (the SP2D table; the latest status per poll) ------\n"
";[feed sp2d]\n"
";select = s.no_sp2d, s.tgl_sp2d, s.tahun_anggaran, s.jns_sp2d, s.no_spm,\n"
";  s.nilai, s.nm_penerima, s.rek_penerima, s.bank_penerima, s.keperluan,\n"
";  s.status, s.alasan_tolak, s.updated_at, k.singkatan AS opd_pemohon\n"
";from = sp2d s JOIN skpd k ON k.kd_skpd = s.kd_skpd\n"
";watermark = s.updated_at\n"
";key = s.no_sp2d\n"
";\n"
";[map sp2d]\n"
";type = status\n"
";id.record = no_sp2d\n"
";id.version = status, updated_at\n"
";time = updated_at\n"
";subject = no_sp2d\n"
";data.nomor_sp2d = no_sp2d\n"
";data.tanggal = tgl_sp2d:date\n"
";data.opd_pemohon = opd_pemohon:lower\n"
";data.jenis = jns_sp2d:upper\n"
";data.nilai = nilai:int\n"
";data.penerima = nm_penerima\n"
";data.keterangan = keperluan\n"
";data.nomor_spm = no_spm\n"
";data.tahun_anggaran = tahun_anggaran:int\n"
";data.alasan_penolakan = alasan_tolak\n"
";data.rekening_penerima = rek_penerima:digits\n"
";data.bank = bank_penerima\n"
";\n"
";[types sp2d]\n"
";0 = -\n"
";1 = sp2d.submitted\n"
";2 = sp2d.issued\n"
";3 = sp2d.disbursed\n"
";9 = sp2d.rejected\n"
"\n"
"; --- Example: history mode (every status change, in order) ---------------\n"
";[feed riwayat]\n"
";select = h.id, h.status, h.changed_at, h.catatan, s.no_sp2d, s.tgl_sp2d,\n"
";  s.tahun_anggaran, s.jns_sp2d, s.no_spm, s.nilai, s.nm_penerima,\n"
";  s.rek_penerima, s.bank_penerima, s.keperluan, k.singkatan AS opd_pemohon\n"
";from = sp2d_status_history h JOIN sp2d s ON s.no_sp2d = h.no_sp2d\n"
";  JOIN skpd k ON k.kd_skpd = s.kd_skpd\n"
";watermark = h.changed_at\n"
";key = h.id\n"
";\n"
";[map riwayat]\n"
";type = status\n"
";id.record = no_sp2d\n"
";id.version = status, changed_at\n"
";time = changed_at\n"
";subject = no_sp2d\n"
";data.alasan_penolakan = catatan\n"
";(data.* otherwise as in row mode)\n"
";\n"
";[types riwayat]\n"
";(as in row mode)\n";

static const struct sqlpoll_daemon sp2d_daemon = {
	PROGNAME, SYSTEM, sp2d_types, sp2d_example,
};

int
main(int argc, char **argv)
{
	return sqlpoll_daemon_main(argc, argv, &sp2d_daemon);
}
