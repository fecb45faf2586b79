/*
 * test_sms: the Gammu SMSD inbox (adapters/pengaduan/sms): file names as
 * gammu-smsd-files(7) describes them and as smsd/services/files.c writes
 * them ("IN%02d%02d%02d_%02d%02d%02d_%02i_%s_%02i.%s"), the text encodings
 * (UTF-8, Gammu's "unicode" UTF-16BE after FE FF, UTF-16LE after FF FE,
 * BOM-less UTF-16, ISO-8859-1), joining the parts of long messages, and the
 * watcher on a real directory: settle time, multipart, gaps and the part
 * timeout, 8-bit messages, in-flight and failed messages, moves after the
 * acknowledgement without replacing files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sms.h"
#include "testlib.h"
#include "util.h"

static void
test_names(void)
{
	struct sms_name n;
	int64_t t;

	/* The example of gammu-smsd-files(7). */
	CHECK_INT(sms_name_parse("IN20021130_021531_00_+45409000931640979_00"
	    ".txt", &n), 0);
	CHECK_INT(n.year, 2002);
	CHECK_INT(n.month, 11);
	CHECK_INT(n.day, 30);
	CHECK_INT(n.hour, 2);
	CHECK_INT(n.min, 15);
	CHECK_INT(n.sec, 31);
	CHECK_INT(n.serial, 0);
	CHECK_STR(n.number, "+45409000931640979");
	CHECK_INT(n.part, 0);
	CHECK_INT(n.ext, SMS_EXT_TXT);

	/* Alphanumeric senders may hold '_' and '.'. */
	CHECK_INT(sms_name_parse("IN20261127_091502_03_Info_XL.id_01.bin", &n),
	    0);
	CHECK_STR(n.number, "Info_XL.id");
	CHECK_INT(n.serial, 3);
	CHECK_INT(n.part, 1);
	CHECK_INT(n.ext, SMS_EXT_BIN);
	CHECK_INT(sms_name_parse("IN20261127_091502_00_+6281234567890_00."
	    "smsbackup", &n), 0);
	CHECK_INT(n.ext, SMS_EXT_OTHER);

	CHECK_INT(sms_name_parse("IN20261331_091502_00_+62812_00.txt", &n),
	    -1);
	CHECK_INT(sms_name_parse("IN20260230_091502_00_+62812_00.txt", &n),
	    -1);
	CHECK_INT(sms_name_parse("IN20240229_091502_00_+62812_00.txt", &n),
	    0);
	CHECK_INT(sms_name_parse("IN20261127_241502_00_+62812_00.txt", &n),
	    -1);
	CHECK_INT(sms_name_parse("IN20261127_091502_0_+62812_00.txt", &n), -1);
	CHECK_INT(sms_name_parse("IN20261127_091502_00_+62812_0.txt", &n), -1);
	CHECK_INT(sms_name_parse("IN20261127_091502_00__00.txt", &n), -1);
	CHECK_INT(sms_name_parse("IN20261127_091502_00_+62812_00", &n), -1);
	CHECK_INT(sms_name_parse("IN20261127_091502_00_+62812_00.t-t", &n),
	    -1);
	CHECK_INT(sms_name_parse("OUT20261127_091502_00_+62812_00.txt", &n),
	    -1);
	CHECK_INT(sms_name_parse("IN20261127_091502_00_a\x01" "b_00.txt", &n),
	    -1);
	CHECK_INT(sms_name_parse("IN20261127_091502_00_\xc3\x28_00.txt", &n),
	    -1);
	CHECK_INT(sms_name_parse("IN2026", &n), -1);

	/* 2026-11-27 09:15:02 WIB is 02:15:02 UTC. */
	CHECK_INT(sms_name_parse("IN20261127_091502_00_+62812_00.txt", &n), 0);
	CHECK_INT(time_parse_rfc3339("2026-11-27T02:15:02Z", &t), 0);
	CHECK_INT(sms_name_time(&n, 7 * 60), t);
	CHECK_INT(sms_name_time(&n, 0), t + 7 * 3600 * 1000);
}

static void
name(struct sms_name *n, const char *s)
{
	if (sms_name_parse(s, n) == -1)
		fprintf(stderr, "bad test name %s\n", s);
}

static void
test_group(void)
{
	struct sms_name n[8];
	size_t g[8], ng;

	/* Given out of order: two messages of one sender, a two-part one
	 * whose second part has a timestamp a second later, and another
	 * sender's three parts. */
	name(&n[0], "IN20261127_091503_00_+62812_01.txt");
	name(&n[1], "IN20261127_100000_00_+62812_00.txt");
	name(&n[2], "IN20261127_091502_00_+62812_00.txt");
	name(&n[3], "IN20261127_091502_00_+62813_02.txt");
	name(&n[4], "IN20261127_091502_00_+62813_00.txt");
	name(&n[5], "IN20261127_091502_00_+62813_01.txt");
	name(&n[6], "IN20261127_091502_01_+62812_00.txt"); /* serial 01 */
	ng = sms_group(n, 7, g);
	CHECK_INT(ng, 4);
	CHECK_INT(g[2], g[0]);		/* +62812 09:15:02 with its part 01 */
	CHECK(g[1] != g[0]);
	CHECK_INT(g[3], g[4]);
	CHECK_INT(g[5], g[4]);
	CHECK(g[6] != g[2]);
	CHECK_INT(g[1], 3);		/* the newest is numbered last */

	/* Parts without a part 00 make an orphan message; a part 01 too far
	 * from the part 00 does not join it. */
	name(&n[0], "IN20261127_091502_00_+62812_00.txt");
	name(&n[1], "IN20261127_093000_00_+62812_01.txt");
	name(&n[2], "IN20261127_093001_00_+62812_02.txt");
	ng = sms_group(n, 3, g);
	CHECK_INT(ng, 2);
	CHECK(g[1] != g[0]);
	CHECK_INT(g[2], g[1]);

	/* Two part 01 for one part 00: the second starts an orphan. */
	name(&n[0], "IN20261127_091502_00_+62812_00.txt");
	name(&n[1], "IN20261127_091502_00_+62812_01.txt");
	name(&n[2], "IN20261127_091503_00_+62812_01.txt");
	ng = sms_group(n, 3, g);
	CHECK_INT(ng, 2);
	CHECK_INT(g[1], g[0]);
	CHECK(g[2] != g[0]);
	CHECK_INT(sms_group(n, 0, g), 0);
}

static int
decode(const void *p, size_t len, char *out, size_t outlen)
{
	struct buf b;
	char err[128];
	int r;

	buf_init(&b, 0);
	r = sms_text_decode(p, len, &b, err, sizeof(err));
	buf_terminate(&b);
	snprintf(out, outlen, "%s", b.data);
	buf_free(&b);
	return r;
}

static void
test_decode(void)
{
	char out[256];
	/* Gammu's "unicode" InboxFormat: FE FF, then big-endian UCS-2. */
	const uint8_t be[] = { 0xfe, 0xff, 0, 'J', 0, 'a', 0, 'l', 0, 'a',
		0, 'n', 0x20, 0xac };
	/* FF FE and little-endian, with a surrogate pair (U+1F600). */
	const uint8_t le[] = { 0xff, 0xfe, 'O', 0, 'k', 0, 0x3d, 0xd8, 0x00,
		0xde };
	const uint8_t le_nobom[] = { 'a', 0, 'i', 0, 'r', 0 };
	const uint8_t be_nobom[] = { 0, 'a', 0, 'i', 0, 'r' };
	const uint8_t lone[] = { 0xff, 0xfe, 0x00, 0xd8, 'x', 0 };
	const uint8_t odd[] = { 0xff, 0xfe, 'x', 0, 'y' };
	struct buf b;
	char err[128];

	CHECK_INT(decode(be, sizeof(be), out, sizeof(out)), 0);
	CHECK_STR(out, "Jalan\xe2\x82\xac");
	CHECK_INT(decode(le, sizeof(le), out, sizeof(out)), 0);
	CHECK_STR(out, "Ok\xf0\x9f\x98\x80");
	CHECK_INT(decode(le_nobom, sizeof(le_nobom), out, sizeof(out)), 0);
	CHECK_STR(out, "air");
	CHECK_INT(decode(be_nobom, sizeof(be_nobom), out, sizeof(out)), 0);
	CHECK_STR(out, "air");
	CHECK_INT(decode("\xef\xbb\xbfJalan", 8, out, sizeof(out)), 0);
	CHECK_STR(out, "Jalan");
	CHECK_INT(decode("Jalan rusak", 11, out, sizeof(out)), 0);
	CHECK_STR(out, "Jalan rusak");
	CHECK_INT(decode("Kafe \xe9", 6, out, sizeof(out)), 0); /* Latin-1 */
	CHECK_STR(out, "Kafe \xc3\xa9");
	CHECK_INT(decode(lone, sizeof(lone), out, sizeof(out)), -1);
	CHECK_INT(decode(odd, sizeof(odd), out, sizeof(out)), -1);
	CHECK_INT(decode("", 0, out, sizeof(out)), 0);
	CHECK_STR(out, "");

	/* The limit: a prefix that ends on a character boundary. */
	buf_init(&b, 4);
	CHECK_INT(sms_text_decode("ab\xc3\xa9\xc3\xa9", 6, &b, err,
	    sizeof(err)), -2);
	CHECK_INT(b.len, 4);
	buf_free(&b);
	buf_init(&b, 3);
	CHECK_INT(sms_text_decode(be, sizeof(be), &b, err, sizeof(err)), -2);
	CHECK_INT(b.len, 3);
	buf_free(&b);
}

/* --- the watcher on a directory ------------------------------------------ */

static char root[64], dir_in[96], dir_done[96], dir_err[96];
/* 2026-11-27T03:00:00Z: the tests' "now". */
#define NOW 1795748400000LL

struct seen {
	int n;
	char text[8][512];
	char key[8][512];
	char digest[8][17];
	char number[8][65];
	int nparts[8], missing[8];
	int64_t received[8];
	void *ticket[8];
	enum sms_verdict verdict;
};

static enum sms_verdict
collect(void *arg, const struct sms_message *m, void *ticket)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", m->text);
		snprintf(s->key[s->n], sizeof(s->key[0]), "%s", m->key);
		snprintf(s->digest[s->n], sizeof(s->digest[0]), "%s",
		    m->digest);
		snprintf(s->number[s->n], sizeof(s->number[0]), "%s",
		    m->number);
		s->nparts[s->n] = m->nparts;
		s->missing[s->n] = m->missing;
		s->received[s->n] = m->received_ms;
		s->ticket[s->n] = ticket;
	}
	s->n++;
	return s->verdict;
}

/* Writes dir/name with age_s seconds before NOW as its mtime. */
static void
put(const char *dir, const char *fname, const void *data, size_t len,
    int age_s)
{
	char path[256];
	struct timespec ts[2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len)
		fprintf(stderr, "cannot write %s\n", path);
	ts[0].tv_sec = ts[1].tv_sec = (time_t)(NOW / 1000 - age_s);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	futimens(fd, ts);
	close(fd);
}

static int
exists(const char *dir, const char *fname)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	return stat(path, &st) == 0;
}

static void
rm_dir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static struct sms_inbox *
inbox(void)
{
	struct sms_config c;

	memset(&c, 0, sizeof(c));
	c.inbox = dir_in;
	c.done = dir_done;
	c.error = dir_err;
	c.settle_ms = 2000;
	c.part_timeout_ms = 600000;
	c.retry_ms = 30000;
	c.tz_offset_min = 420;
	c.max_file = 1024;
	return sms_inbox_new(&c);
}

static void
test_inbox(void)
{
	struct sms_inbox *in;
	struct sms_inbox_stats st;
	struct seen s;
	const uint8_t be[] = { 0xfe, 0xff, 0, 'A', 0, 'I', 0, 'R', 0, ' ',
		0, 'm', 0, 'a', 0, 't', 0, 'i' };
	char big[2048];
	int64_t t;

	snprintf(root, sizeof(root), "/tmp/test_sms.XXXXXX");
	if (mkdtemp(root) == NULL) {
		testlib_fail(__FILE__, __LINE__, "mkdtemp: %s",
		    strerror(errno));
		return;
	}
	snprintf(dir_in, sizeof(dir_in), "%s/inbox", root);
	snprintf(dir_done, sizeof(dir_done), "%s/done", root);
	snprintf(dir_err, sizeof(dir_err), "%s/error", root);
	CHECK(inbox() == NULL); /* the folders do not exist yet */
	mkdir(dir_in, 0755);
	mkdir(dir_done, 0755);
	mkdir(dir_err, 0755);
	in = inbox();
	CHECK(in != NULL);
	if (in == NULL)
		return;

	/* A two-part message (written in reverse order, part 01 a second
	 * later), a single one in UTF-16BE, a file too young to read, an
	 * 8-bit one, and a file that is no inbox name. */
	put(dir_in, "IN20261127_095901_00_+6281234567890_01.txt",
	    "n di Kabanjahe", 14, 60);
	put(dir_in, "IN20261127_095900_00_+6281234567890_00.txt",
	    "JALAN rusak parah di jala", 25, 60);
	put(dir_in, "IN20261127_095800_00_+6281300000000_00.txt", be,
	    sizeof(be), 120);
	put(dir_in, "IN20261127_095959_00_+6281399999999_00.txt", "baru", 4,
	    1);
	put(dir_in, "IN20261127_095000_00_+6281388888888_00.bin", "\x01\x02",
	    2, 600);
	put(dir_in, "README", "x", 1, 600);

	memset(&s, 0, sizeof(s));
	s.verdict = SMS_PUBLISHED;
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 2);
	CHECK_INT(s.n, 2);
	/* Oldest first: the UTF-16 one, then the joined one. */
	CHECK_STR(s.text[0], "AIR mati");
	CHECK_STR(s.number[0], "+6281300000000");
	CHECK_INT(s.nparts[0], 1);
	CHECK_STR(s.text[1], "JALAN rusak parah di jalan di Kabanjahe");
	CHECK_INT(s.nparts[1], 2);
	CHECK_INT(s.missing[1], 0);
	CHECK_STR(s.key[1], "IN20261127_095900_00_+6281234567890_00.txt+"
	    "IN20261127_095901_00_+6281234567890_01.txt");
	CHECK_INT(strlen(s.digest[1]), 16);
	CHECK_INT(time_parse_rfc3339("2026-11-27T02:59:00Z", &t), 0);
	CHECK_INT(s.received[1], t);
	CHECK(!exists(dir_in, "IN20261127_095000_00_+6281388888888_00.bin"));
	CHECK(exists(dir_err, "IN20261127_095000_00_+6281388888888_00.bin"));
	CHECK(exists(dir_in, "README"));

	/* In flight: not handed over again. */
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 0);
	CHECK_INT(s.n, 2);
	sms_inbox_stats(in, &st);
	CHECK_INT(st.inflight, 2);
	CHECK_INT(st.refused, 1);

	/* Acknowledged: moved to done. Failed: retried after retry_ms. */
	sms_inbox_done(s.ticket[1], 1);
	CHECK(!exists(dir_in, "IN20261127_095900_00_+6281234567890_00.txt"));
	CHECK(exists(dir_done, "IN20261127_095900_00_+6281234567890_00.txt"));
	CHECK(exists(dir_done, "IN20261127_095901_00_+6281234567890_01.txt"));
	sms_inbox_done(s.ticket[0], 0);
	CHECK(exists(dir_in, "IN20261127_095800_00_+6281300000000_00.txt"));
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 0);
	CHECK_INT(sms_inbox_poll(in, NOW + 29000, 10, collect, &s), 1);
	CHECK_STR(s.text[2], "baru"); /* old enough now */
	CHECK_INT(sms_inbox_poll(in, NOW + 30000, 10, collect, &s), 1);
	CHECK_STR(s.text[3], "AIR mati"); /* its retry time came */
	CHECK_STR(s.digest[3], s.digest[0]);
	CHECK_STR(s.key[3], s.key[0]);
	sms_inbox_done(s.ticket[2], 1);
	sms_inbox_done(s.ticket[3], 1);
	sms_inbox_stats(in, &st);
	CHECK_INT(st.done, 3);
	CHECK_INT(st.failed, 1);
	CHECK_INT(st.inflight, 0);

	/* Gammu reuses a name once its file has left the inbox: the done
	 * folder keeps both files, and the new text has a new digest. */
	put(dir_in, "IN20261127_095959_00_+6281399999999_00.txt", "lagi", 4,
	    60);
	memset(&s, 0, sizeof(s));
	s.verdict = SMS_PUBLISHED;
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 1);
	sms_inbox_done(s.ticket[0], 1);
	CHECK(exists(dir_done, "IN20261127_095959_00_+6281399999999_00.txt"));
	CHECK(exists(dir_done, "IN20261127_095959_00_+6281399999999_00.txt"
	    ".1"));

	/* A gap: published only after the part timeout, with a marker. */
	put(dir_in, "IN20261127_095000_00_+6281277777777_00.txt", "satu ", 5,
	    60);
	put(dir_in, "IN20261127_095000_00_+6281277777777_02.txt", " tiga", 5,
	    60);
	memset(&s, 0, sizeof(s));
	s.verdict = SMS_PUBLISHED;
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 0);
	CHECK_INT(sms_inbox_poll(in, NOW + 600000, 10, collect, &s), 1);
	CHECK_STR(s.text[0], "satu [...] tiga");
	CHECK_INT(s.missing[0], 1);
	CHECK_INT(s.nparts[0], 2);
	sms_inbox_done(s.ticket[0], 1);

	/* Busy: nothing is kept in flight, the next poll offers it again.
	 * Refused: moved to the error folder. Too large: error folder. */
	put(dir_in, "IN20261127_095000_00_+6281266666666_00.txt", "x", 1, 60);
	memset(&s, 0, sizeof(s));
	s.verdict = SMS_BUSY;
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 0);
	CHECK_INT(s.n, 1);
	s.verdict = SMS_REFUSED;
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 0);
	CHECK_INT(s.n, 2);
	CHECK(exists(dir_err, "IN20261127_095000_00_+6281266666666_00.txt"));
	memset(big, 'x', sizeof(big));
	put(dir_in, "IN20261127_095000_00_+6281255555555_00.txt", big,
	    sizeof(big), 60);
	s.verdict = SMS_PUBLISHED;
	CHECK_INT(sms_inbox_poll(in, NOW, 10, collect, &s), 0);
	CHECK(exists(dir_err, "IN20261127_095000_00_+6281255555555_00.txt"));
	sms_inbox_stats(in, &st);
	CHECK_INT(st.refused, 3);

	/* max: at most that many per poll. */
	put(dir_in, "IN20261127_095000_00_+6281211111111_00.txt", "a", 1, 60);
	put(dir_in, "IN20261127_095001_00_+6281211111112_00.txt", "b", 1, 60);
	memset(&s, 0, sizeof(s));
	s.verdict = SMS_PUBLISHED;
	CHECK_INT(sms_inbox_poll(in, NOW, 1, collect, &s), 1);
	CHECK_STR(s.text[0], "a");
	sms_inbox_free(in); /* with a ticket still in flight */
	rm_dir(root);
}

int
main(void)
{
	log_init("test_sms", LOG_LEVEL_WARN);
	test_names();
	test_group();
	test_decode();
	test_inbox();
	return testlib_done();
}
