/*
 * evgen: see evgen.h.
 *
 * Each event is written in two steps: the type's data writer fills a
 * scratch buffer with the "data" object and picks the CloudEvents subject
 * (the record key: device id, complaint id, SP2D number, ...), then the
 * envelope is printed around it. The data writers draw from a splitmix64
 * stream seeded with (seed, n, salt); the salt lets id_conflict produce
 * different data under the same id.
 *
 * The vocabulary (kecamatan, streets, OPD codes, budget accounts, names)
 * is small but real-looking, so that the demo reads like Karo and the
 * routing rules have something to match. Every string in the tables is
 * plain ASCII without quotes or backslashes: it goes into JSON unescaped.
 */
#include "evgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define MS_PER_DAY	86400000LL
#define SUBJECT_MAX	128

struct rng {
	uint64_t s;
};

/* What a data writer knows about the event being written. */
struct evctx {
	int64_t time_ms;	/* the event's time */
	const char *variant;	/* sp2d / permit: the lifecycle step */
	size_t big_description;	/* too_large: description length, else 0 */
	int bad_lat;		/* schema: lat out of range */
};

struct evtype {
	const char *type;
	const char *opd;
	const char *system;
	const char *variant;
	int (*write)(struct buf *, struct rng *, const struct evctx *,
	    char subject[SUBJECT_MAX]);
};

struct evgen {
	char site[EVGEN_SITE_MAX + 1];
	char prefix[EVGEN_PREFIX_MAX + 1];
	uint64_t seed;
	int64_t time_offset_ms;
	size_t large_bytes;
	unsigned weight[16];	/* per entry of types[] */
	unsigned total;
	struct buf data;	/* scratch for the data object */
};

static int data_gps_position(struct buf *, struct rng *,
    const struct evctx *, char[SUBJECT_MAX]);
static int data_gps_alarm(struct buf *, struct rng *,
    const struct evctx *, char[SUBJECT_MAX]);
static int data_complaint(struct buf *, struct rng *,
    const struct evctx *, char[SUBJECT_MAX]);
static int data_sp2d(struct buf *, struct rng *,
    const struct evctx *, char[SUBJECT_MAX]);
static int data_simda(struct buf *, struct rng *,
    const struct evctx *, char[SUBJECT_MAX]);
static int data_permit(struct buf *, struct rng *,
    const struct evctx *, char[SUBJECT_MAX]);

/* Index 0 must stay gps.position: the bad messages are built from it. */
static const struct evtype types[] = {
	{ "gps.position", "dishub", "gps", NULL, data_gps_position },
	{ "gps.alarm", "dishub", "gps", NULL, data_gps_alarm },
	{ "complaint.created", "diskominfo", "pengaduan", NULL,
	    data_complaint },
	{ "sp2d.issued", "bpkad", "sppidol", "issued", data_sp2d },
	{ "sp2d.submitted", "bpkad", "sppidol", "submitted", data_sp2d },
	{ "sp2d.disbursed", "bpkad", "sppidol", "disbursed", data_sp2d },
	{ "sp2d.rejected", "bpkad", "sppidol", "rejected", data_sp2d },
	{ "simda.realization", "bpkad", "simda", NULL, data_simda },
	{ "permit.submitted", "dpmptsp", "sicantik", "submitted",
	    data_permit },
	{ "permit.verified", "dpmptsp", "sicantik", "verified", data_permit },
	{ "permit.issued", "dpmptsp", "sicantik", "issued", data_permit },
	{ "permit.rejected", "dpmptsp", "sicantik", "rejected", data_permit },
};
_Static_assert(nitems(types) <= 16, "struct evgen weight[] too small");
#define TYPE_GPS_POSITION	0
#define TYPE_COMPLAINT		2

static const char default_mix[] = "gps.position=70,complaint.created=10,"
    "sp2d.issued=10,permit.submitted=5,simda.realization=5";

static const char *bad_names[EVGEN_BAD_COUNT] = {
	"invalid_json", "too_large", "envelope", "schema", "opd_mismatch",
	"unknown_type", "id_conflict",
};

/* Kecamatan of Karo with a point near their centre, all inside the box. */
static const struct place {
	const char *name;
	double lat, lon;
} places[] = {
	{ "Kabanjahe", 3.1001, 98.4910 }, { "Berastagi", 3.1900, 98.5080 },
	{ "Tigapanah", 3.0830, 98.5600 }, { "Simpang Empat", 3.1500, 98.4500 },
	{ "Barusjahe", 3.0500, 98.5700 }, { "Payung", 3.1500, 98.4100 },
	{ "Munte", 3.0600, 98.3800 }, { "Kutabuluh", 3.1100, 98.2900 },
	{ "Tiganderket", 3.1500, 98.3300 }, { "Dolat Rayat", 3.2000, 98.4800 },
	{ "Naman Teran", 3.2200, 98.4300 }, { "Merdeka", 3.1600, 98.5300 },
	{ "Juhar", 3.0300, 98.2500 },
};

static const char *streets[] = {
	"Jl. Veteran", "Jl. Kapten Pala Bangun", "Jl. Jamin Ginting",
	"Jl. Letnan Rata Perangin-angin", "Jl. Udara", "Jl. Pahlawan",
	"Jl. Sudirman", "Jl. Kotacane", "Jl. Samura", "Jl. Gatot Subroto",
};

static const char *people[] = {
	"Sri Ulina br Ginting", "Roy Sembiring", "Dewi br Tarigan",
	"Anto Karo-Karo", "Rudi Perangin-angin", "Maya br Sitepu",
	"Benny Surbakti", "Lina br Barus", "Joni Purba", "Sarah br Bangun",
	"Hendra Sinulingga", "Rina br Sebayang",
};

static const char *channels[] = {
	"web", "open311", "sms", "whatsapp", "lapor", "phone",
};

static const struct {
	const char *category;
	const char *problem;
} complaints[] = {
	{ "jalan", "Jalan berlubang dan rusak parah" },
	{ "air_bersih", "Air PDAM tidak mengalir" },
	{ "sampah", "Sampah menumpuk dan tidak diangkut" },
	{ "lampu_jalan", "Lampu penerangan jalan padam" },
	{ "kesehatan", "Puskesmas tutup pada jam pelayanan" },
};

static const char *alarms[] = {
	"sos", "power_cut", "vibration", "overspeed", "geofence_enter",
	"geofence_exit", "low_battery", "tamper",
};

static const struct {
	const char *opd;
	const char *kode;
	const char *name;
} opds[] = {
	{ "dinkes", "1.02.01", "Dinas Kesehatan" },
	{ "disdik", "1.01.01", "Dinas Pendidikan" },
	{ "dpupr", "1.03.01", "Dinas PUPR" },
	{ "dinsos", "1.06.01", "Dinas Sosial" },
	{ "dishub", "2.15.01", "Dinas Perhubungan" },
	{ "diskominfo", "2.16.01", "Dinas Kominfo" },
	{ "dlh", "2.11.01", "Dinas Lingkungan Hidup" },
	{ "satpolpp", "1.05.01", "Satpol PP" },
	{ "dpmptsp", "2.18.01", "DPMPTSP" },
	{ "bpkad", "5.02.01", "BPKAD" },
};

static const char *jenis_sp2d[] = { "LS", "UP", "GU", "TU" };

static const char *vendors[] = {
	"CV Sinar Karo", "PT Deleng Sibayak", "CV Lau Biang Mandiri",
	"PT Sinabung Jaya Konstruksi", "CV Berastagi Sejahtera",
	"Koperasi Merga Silima",
};

static const struct {
	const char *kode;
	const char *uraian;
} accounts[] = {
	{ "5.1.01.01.01.0001", "Belanja Gaji Pokok PNS" },
	{ "5.1.02.01.01.0024", "Belanja Alat Tulis Kantor" },
	{ "5.1.02.02.01.0026", "Belanja Jasa Tenaga Administrasi" },
	{ "5.1.02.03.02.0035", "Belanja Pemeliharaan Kendaraan Dinas" },
	{ "5.2.02.05.01.0005", "Belanja Modal Laptop" },
	{ "5.2.04.01.01.0012", "Belanja Modal Jalan Kabupaten" },
};

static const char *permits[] = {
	"Persetujuan Bangunan Gedung", "Surat Izin Praktik Dokter",
	"Surat Izin Praktik Bidan", "Izin Reklame", "Izin Apotek",
	"Tanda Daftar Usaha Pariwisata", "Izin Usaha Mikro Kecil",
};

static const char *sp2d_rejections[] = {
	"Dokumen SPM tidak lengkap", "Nilai melebihi sisa pagu anggaran",
	"Rekening penerima tidak sesuai",
};

static const char *permit_rejections[] = {
	"Persyaratan teknis belum dipenuhi", "Lokasi tidak sesuai tata ruang",
	"Dokumen kepemilikan tanah tidak sah",
};

#define PICK(r, a)	((a)[rng_below((r), nitems(a))])

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_init(struct rng *r, uint64_t seed, uint64_t n, uint64_t salt)
{
	r->s = mix64(seed ^ mix64(n + 0x9e3779b97f4a7c15ULL * (salt + 1)));
}

static uint64_t
rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static size_t
rng_below(struct rng *r, size_t n)
{
	return (size_t)(rng_next(r) % n);
}

/* Uniform in [0, 1). */
static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t
rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A point near a kecamatan centre, kept inside the Karo box. */
static void
rng_point(struct rng *r, const struct place *p, double *lat, double *lon)
{
	*lat = clamp(p->lat + (rng_unit(r) - 0.5) * 0.04, 3.0, 3.3);
	*lon = clamp(p->lon + (rng_unit(r) - 0.5) * 0.04, 98.2, 98.6);
}

/* "2026-11-27" of a wall-clock time, UTC. */
static void
format_date(int64_t ms, char out[16])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	if (strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		out[0] = '\0';
}

static int
year_of(int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	return tm.tm_year + 1900;
}

/*
 * A 15-digit IMEI for vehicle d of the fleet: a fixed type allocation code,
 * the vehicle number as serial, and the Luhn check digit trackers carry.
 */
static void
format_imei(unsigned d, char out[16])
{
	int sum = 0, i, v;

	snprintf(out, 16, "35209907%06u", d % 1000000);
	/* Doubling starts at the rightmost payload digit. */
	for (i = 13; i >= 0; i--) {
		v = out[i] - '0';
		if ((13 - i) % 2 == 0) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	out[14] = (char)('0' + (10 - sum % 10) % 10);
	out[15] = '\0';
}

/* Vehicle d's plate, "BK 1234 AB" (BK: Karo's registration area). */
static void
format_plate(unsigned d, char out[16])
{
	static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
	size_t nl = sizeof(letters) - 1;

	snprintf(out, 16, "BK %u %c%c", 1000 + (d * 37) % 8999,
	    letters[d % nl], letters[(d / nl) % nl]);
}

#define FLEET_SIZE	400

static int
data_gps_position(struct buf *b, struct rng *r, const struct evctx *c,
    char subject[SUBJECT_MAX])
{
	unsigned d = (unsigned)rng_below(r, FLEET_SIZE);
	char imei[16], plate[16], fix[32];
	double lat, lon, speed;
	int64_t course;
	int valid;

	format_imei(d, imei);
	format_plate(d, plate);
	rng_point(r, &places[rng_below(r, nitems(places))], &lat, &lon);
	if (c->bad_lat)
		lat = 123.0;
	/* Trackers report a few seconds after the fix. */
	time_format_rfc3339(c->time_ms - rng_range(r, 0, 5000), fix);
	speed = (double)rng_range(r, 0, 900) / 10.0;
	course = rng_range(r, 0, 359);
	valid = rng_below(r, 20) != 0;
	strlcpy_s(subject, imei, SUBJECT_MAX);
	return buf_appendf(b, "{\"device_id\":\"%s\",\"plate\":\"%s\","
	    "\"lat\":%.6f,\"lon\":%.6f,\"fix_time\":\"%s\","
	    "\"speed_kmh\":%.1f,\"course\":%lld,\"valid\":%s,"
	    "\"protocol\":\"gt06\"}", imei, plate, lat, lon, fix, speed,
	    (long long)course, valid ? "true" : "false");
}

static int
data_gps_alarm(struct buf *b, struct rng *r, const struct evctx *c,
    char subject[SUBJECT_MAX])
{
	unsigned d = (unsigned)rng_below(r, FLEET_SIZE);
	char imei[16], plate[16], fix[32];
	double lat, lon;

	format_imei(d, imei);
	format_plate(d, plate);
	rng_point(r, &places[rng_below(r, nitems(places))], &lat, &lon);
	time_format_rfc3339(c->time_ms - rng_range(r, 0, 5000), fix);
	strlcpy_s(subject, imei, SUBJECT_MAX);
	return buf_appendf(b, "{\"device_id\":\"%s\",\"plate\":\"%s\","
	    "\"alarm\":\"%s\",\"lat\":%.6f,\"lon\":%.6f,\"fix_time\":\"%s\","
	    "\"protocol\":\"gt06\"}", imei, plate, PICK(r, alarms), lat, lon,
	    fix);
}

/* Appends n bytes of complaint prose (for the too_large message). */
static int
append_long_text(struct buf *b, size_t n)
{
	static const char text[] = "Mohon perhatian dinas terkait, kondisi "
	    "ini sudah berlangsung lama dan mengganggu warga. ";
	size_t chunk;

	while (n > 0) {
		chunk = n < sizeof(text) - 1 ? n : sizeof(text) - 1;
		if (buf_append(b, text, chunk) == -1)
			return -1;
		n -= chunk;
	}
	return 0;
}

static int
data_complaint(struct buf *b, struct rng *r, const struct evctx *c,
    char subject[SUBJECT_MAX])
{
	const struct place *p = &places[rng_below(r, nitems(places))];
	size_t k = rng_below(r, nitems(complaints));
	char id[32], submitted[32], phone[16];
	double lat, lon;
	int anonymous;

	snprintf(id, sizeof(id), "ADU-%d-%08llX", year_of(c->time_ms),
	    (unsigned long long)(rng_next(r) & 0xffffffffULL));
	rng_point(r, p, &lat, &lon);
	time_format_rfc3339(c->time_ms - rng_range(r, 0, 600000), submitted);
	snprintf(phone, sizeof(phone), "08%010lld",
	    (long long)rng_range(r, 1100000000LL, 9999999999LL));
	anonymous = rng_below(r, 10) == 0;
	strlcpy_s(subject, id, SUBJECT_MAX);
	if (buf_appendf(b, "{\"complaint_id\":\"%s\",\"channel\":\"%s\","
	    "\"category\":\"%s\",\"description\":\"", id, PICK(r, channels),
	    complaints[k].category) == -1)
		return -1;
	if (c->big_description > 0) {
		if (append_long_text(b, c->big_description) == -1)
			return -1;
	} else if (buf_appendf(b, "%s di %s, Kecamatan %s, sudah %lld hari. "
	    "Mohon segera ditindaklanjuti.", complaints[k].problem,
	    PICK(r, streets), p->name, (long long)rng_range(r, 2, 30)) == -1)
		return -1;
	return buf_appendf(b, "\",\"location\":{\"lat\":%.6f,\"lon\":%.6f,"
	    "\"address\":\"%s No. %lld, %s\"},\"reporter\":{\"name\":\"%s\","
	    "\"contact\":\"%s\",\"anonymous\":%s},\"submitted_at\":\"%s\"}",
	    lat, lon, PICK(r, streets), (long long)rng_range(r, 1, 200),
	    p->name, PICK(r, people), phone, anonymous ? "true" : "false",
	    submitted);
}

static int
data_sp2d(struct buf *b, struct rng *r, const struct evctx *c,
    char subject[SUBJECT_MAX])
{
	size_t o = rng_below(r, nitems(opds));
	const char *jenis = PICK(r, jenis_sp2d);
	char nomor[64], tanggal[16], penerima[96];
	int64_t nilai;
	int ls = strcmp(jenis, "LS") == 0;

	snprintf(nomor, sizeof(nomor), "%04lld/SP2D/%s/%s/%d",
	    (long long)rng_range(r, 1, 9999), jenis, opds[o].kode,
	    year_of(c->time_ms));
	format_date(c->time_ms, tanggal);
	/* LS pays a vendor directly; UP/GU/TU refill the OPD's treasurer. */
	nilai = ls ? rng_range(r, 5000, 2500000) * 1000 :
	    rng_range(r, 1000, 150000) * 1000;
	if (ls)
		strlcpy_s(penerima, PICK(r, vendors), sizeof(penerima));
	else
		snprintf(penerima, sizeof(penerima),
		    "Bendahara Pengeluaran %s", opds[o].name);
	strlcpy_s(subject, nomor, SUBJECT_MAX);
	if (buf_appendf(b, "{\"nomor_sp2d\":\"%s\",\"tanggal\":\"%s\","
	    "\"opd_pemohon\":\"%s\",\"jenis\":\"%s\",\"nilai\":%lld,"
	    "\"penerima\":\"%s\",\"keterangan\":\"%s %s\"", nomor, tanggal,
	    opds[o].opd, jenis, (long long)nilai, penerima,
	    ls ? "Pembayaran" : "Pengisian kas untuk",
	    PICK(r, accounts).uraian) == -1)
		return -1;
	if (strcmp(c->variant, "rejected") == 0 &&
	    buf_appendf(b, ",\"alasan_penolakan\":\"%s\"",
	    PICK(r, sp2d_rejections)) == -1)
		return -1;
	return buf_append(b, "}", 1);
}

static int
data_simda(struct buf *b, struct rng *r, const struct evctx *c,
    char subject[SUBJECT_MAX])
{
	size_t o = rng_below(r, nitems(opds));
	size_t a = rng_below(r, nitems(accounts));
	int64_t anggaran = rng_range(r, 10000, 5000000) * 1000;
	int64_t realisasi = anggaran / 1000 * rng_range(r, 0, 1000);
	char as_of[16];

	format_date(c->time_ms, as_of);
	snprintf(subject, SUBJECT_MAX, "%s/%s", opds[o].kode,
	    accounts[a].kode);
	return buf_appendf(b, "{\"tahun\":%d,\"kode_opd\":\"%s\","
	    "\"kode_rekening\":\"%s\",\"uraian\":\"%s\",\"anggaran\":%lld,"
	    "\"realisasi\":%lld,\"as_of\":\"%s\"}", year_of(c->time_ms),
	    opds[o].kode, accounts[a].kode, accounts[a].uraian,
	    (long long)anggaran, (long long)realisasi, as_of);
}

static int
data_permit(struct buf *b, struct rng *r, const struct evctx *c,
    char subject[SUBJECT_MAX])
{
	char nomor[48], submitted[32], deadline[32];
	int64_t at;

	snprintf(nomor, sizeof(nomor), "SC-%d-%06lld", year_of(c->time_ms),
	    (long long)rng_range(r, 1, 999999));
	/* Later steps of a permit happen days after it was submitted. */
	at = c->time_ms - (strcmp(c->variant, "submitted") == 0 ?
	    rng_range(r, 0, 600000) : rng_range(r, 1, 4) * MS_PER_DAY);
	time_format_rfc3339(at, submitted);
	time_format_rfc3339(at + 5 * MS_PER_DAY, deadline);
	strlcpy_s(subject, nomor, SUBJECT_MAX);
	if (buf_appendf(b, "{\"nomor_permohonan\":\"%s\",\"jenis_izin\":"
	    "\"%s\",\"pemohon\":\"%s\",\"status\":\"%s\",\"submitted_at\":"
	    "\"%s\",\"sla_deadline\":\"%s\"", nomor, PICK(r, permits),
	    PICK(r, people), c->variant, submitted, deadline) == -1)
		return -1;
	/* The schemas require what each step adds: a number or a reason. */
	if (strcmp(c->variant, "issued") == 0 &&
	    buf_appendf(b, ",\"nomor_izin\":\"503/%04lld/DPMPTSP/%d\"",
	    (long long)rng_range(r, 1, 9999), year_of(c->time_ms)) == -1)
		return -1;
	if (strcmp(c->variant, "rejected") == 0 &&
	    buf_appendf(b, ",\"alasan\":\"%s\"",
	    PICK(r, permit_rejections)) == -1)
		return -1;
	return buf_append(b, "}", 1);
}

static int
safe_name(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-'))
			return 0;
	}
	return 1;
}

struct evgen *
evgen_new(const struct evgen_config *cfg)
{
	struct evgen *g;

	if (!safe_name(cfg->site, EVGEN_SITE_MAX)) {
		fprintf(stderr, "evgen: bad site '%s' (want [A-Za-z0-9._-], "
		    "at most %d)\n", cfg->site, EVGEN_SITE_MAX);
		return NULL;
	}
	if (!safe_name(cfg->prefix, EVGEN_PREFIX_MAX)) {
		fprintf(stderr, "evgen: bad id prefix '%s' (want "
		    "[A-Za-z0-9._-], at most %d)\n", cfg->prefix,
		    EVGEN_PREFIX_MAX);
		return NULL;
	}
	if (cfg->large_bytes > EVGEN_LARGE_MAX) {
		fprintf(stderr, "evgen: large size %zu above %zu\n",
		    cfg->large_bytes, EVGEN_LARGE_MAX);
		return NULL;
	}
	g = xcalloc(1, sizeof(*g));
	strlcpy_s(g->site, cfg->site, sizeof(g->site));
	strlcpy_s(g->prefix, cfg->prefix, sizeof(g->prefix));
	g->seed = cfg->seed;
	g->time_offset_ms = cfg->time_offset_ms;
	g->large_bytes = cfg->large_bytes;
	buf_init(&g->data, EVGEN_LARGE_MAX + 4096);
	if (evgen_set_mix(g, default_mix) == -1)
		fatalx("evgen: the default mix does not parse");
	return g;
}

void
evgen_free(struct evgen *g)
{
	if (g == NULL)
		return;
	buf_free(&g->data);
	free(g);
}

int
evgen_set_mix(struct evgen *g, const char *spec)
{
	unsigned weight[nitems(types)] = { 0 };
	unsigned total = 0;
	const char *p = spec, *eq, *end;
	char name[64], num[16];
	size_t i, nlen, vlen;
	long w;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL) {
			fprintf(stderr, "mix: want type=weight near '%.*s'\n",
			    (int)(end - p), p);
			return -1;
		}
		nlen = (size_t)(eq - p);
		vlen = (size_t)(end - eq - 1);
		if (nlen >= sizeof(name) || vlen >= sizeof(num)) {
			fprintf(stderr, "mix: entry too long\n");
			return -1;
		}
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		memcpy(num, eq + 1, vlen);
		num[vlen] = '\0';
		for (i = 0; i < nitems(types); i++)
			if (strcmp(types[i].type, name) == 0)
				break;
		if (i == nitems(types)) {
			fprintf(stderr, "mix: unknown type '%s'\n", name);
			return -1;
		}
		if (parse_long(num, 0, 1000000, &w) == -1) {
			fprintf(stderr, "mix: bad weight '%s' for %s\n", num,
			    name);
			return -1;
		}
		total += (unsigned)w - weight[i];
		weight[i] = (unsigned)w;
		p = *end == ',' ? end + 1 : end;
	}
	if (total == 0) {
		fprintf(stderr, "mix: no type has a positive weight\n");
		return -1;
	}
	memcpy(g->weight, weight, sizeof(weight));
	g->total = total;
	return 0;
}

/*
 * Writes the envelope around the data in g->data. A NULL id leaves the id
 * out (the envelope bad kind); topic_opd and type_name override what the
 * type table says (opd_mismatch, unknown_type).
 */
static int
write_event(struct evgen *g, const struct evtype *t, const char *id,
    const char *type_name, const char *topic_opd, const char *subject,
    int64_t time_ms, struct buf *payload, struct buf *topic)
{
	static const char head[] = "{\"specversion\":\"1.0\",";
	char when[32];

	time_format_rfc3339(time_ms, when);
	buf_reset(payload);
	buf_reset(topic);
	if (buf_appendf(topic, "%s/ev/%s/%s/%s", g->site, topic_opd, t->system,
	    type_name) == -1 || buf_terminate(topic) == -1)
		return -1;
	if (buf_append(payload, head, sizeof(head) - 1) == -1)
		return -1;
	if (id != NULL && buf_appendf(payload, "\"id\":\"%s\",", id) == -1)
		return -1;
	if (buf_appendf(payload, "\"source\":\"/%s/%s/%s\",\"type\":\"%s\","
	    "\"time\":\"%s\",\"datacontenttype\":\"application/json\","
	    "\"subject\":\"%s\",\"opd\":\"%s\",\"data\":", g->site, t->opd,
	    t->system, type_name, when, subject, t->opd) == -1)
		return -1;
	if (buf_append(payload, g->data.data, g->data.len) == -1 ||
	    buf_append(payload, "}", 1) == -1)
		return -1;
	return buf_terminate(payload);
}

static int
write_data(struct evgen *g, const struct evtype *t, struct rng *r,
    const struct evctx *c, char subject[SUBJECT_MAX])
{
	buf_reset(&g->data);
	return t->write(&g->data, r, c, subject);
}

static const struct evtype *
pick_type(const struct evgen *g, uint64_t n)
{
	struct rng r;
	unsigned x;
	size_t i;

	rng_init(&r, g->seed, n, 0x7479);
	x = (unsigned)(rng_next(&r) % g->total);
	for (i = 0; i < nitems(types); i++) {
		if (x < g->weight[i])
			return &types[i];
		x -= g->weight[i];
	}
	fatalx("evgen: mix weights do not add up");
}

/* Event n with data drawn under salt, its id given by the caller. */
static int
make_event(struct evgen *g, uint64_t n, uint64_t salt, const char *id,
    int64_t now_ms, struct buf *payload, struct buf *topic)
{
	const struct evtype *t = pick_type(g, n);
	struct evctx c = { 0 };
	char subject[SUBJECT_MAX];
	struct rng r;

	c.time_ms = now_ms - g->time_offset_ms;
	c.variant = t->variant;
	rng_init(&r, g->seed, n, salt);
	if (write_data(g, t, &r, &c, subject) == -1)
		return -1;
	return write_event(g, t, id, t->type, t->opd, subject, c.time_ms,
	    payload, topic);
}

int
evgen_event(struct evgen *g, uint64_t n, int64_t now_ms,
    struct buf *payload, struct buf *topic)
{
	char id[EVGEN_PREFIX_MAX + 32];

	snprintf(id, sizeof(id), "%s-%llu", g->prefix, (unsigned long long)n);
	return make_event(g, n, 1, id, now_ms, payload, topic);
}

int
evgen_bad(struct evgen *g, enum evgen_bad kind, uint64_t first_n,
    int64_t now_ms, struct buf *payload, struct buf *topic)
{
	const struct evtype *gps = &types[TYPE_GPS_POSITION];
	const struct evtype *t = gps;
	const char *type_name = gps->type, *topic_opd = gps->opd;
	char id[EVGEN_PREFIX_MAX + 32], subject[SUBJECT_MAX];
	struct evctx c = { 0 };
	struct rng r;

	if ((unsigned)kind >= EVGEN_BAD_COUNT)
		return -1;
	if (kind == EVGEN_BAD_ID_CONFLICT) {
		/* Same id, type and topic as event first_n; other data. */
		snprintf(id, sizeof(id), "%s-%llu", g->prefix,
		    (unsigned long long)first_n);
		return make_event(g, first_n, 2, id, now_ms, payload, topic);
	}
	snprintf(id, sizeof(id), "%s-bad-%s", g->prefix, bad_names[kind]);
	c.time_ms = now_ms - g->time_offset_ms;
	switch (kind) {
	case EVGEN_BAD_TOO_LARGE:
		t = &types[TYPE_COMPLAINT];
		type_name = t->type;
		topic_opd = t->opd;
		c.big_description = g->large_bytes;
		break;
	case EVGEN_BAD_SCHEMA:
		c.bad_lat = 1;
		break;
	case EVGEN_BAD_OPD_MISMATCH:
		topic_opd = "bpkad";
		break;
	case EVGEN_BAD_UNKNOWN_TYPE:
		type_name = "foo.bar";
		break;
	default:
		break;
	}
	rng_init(&r, g->seed, (uint64_t)kind, 0x626164);
	if (write_data(g, t, &r, &c, subject) == -1)
		return -1;
	if (write_event(g, t, kind == EVGEN_BAD_ENVELOPE ? NULL : id,
	    type_name, topic_opd, subject, c.time_ms, payload, topic) == -1)
		return -1;
	if (kind == EVGEN_BAD_INVALID_JSON) {
		/* Cut mid-way: unbalanced braces, an unterminated string. */
		payload->len /= 2;
		if (buf_terminate(payload) == -1)
			return -1;
	}
	return 0;
}

const char *
evgen_bad_name(enum evgen_bad kind)
{
	if ((unsigned)kind >= EVGEN_BAD_COUNT)
		return "?";
	return bad_names[kind];
}

int
evgen_bad_parse(const char *name, unsigned *mask)
{
	size_t i;

	if (strcmp(name, "all") == 0) {
		*mask |= (1U << EVGEN_BAD_COUNT) - 1;
		return 0;
	}
	for (i = 0; i < EVGEN_BAD_COUNT; i++) {
		if (strcmp(name, bad_names[i]) == 0) {
			*mask |= 1U << i;
			return 0;
		}
	}
	return -1;
}
