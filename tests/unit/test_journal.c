/*
 * test_journal: the hub's write-ahead journal.
 *
 * Every case works in a fresh mkdtemp() directory under /tmp and removes it
 * afterwards. Records are generated from their seq (topic, payload length
 * and bytes, flags, received_ms), so any record read back can be checked
 * against what was appended without keeping a copy. Most cases run with
 * fsync_interval_ms < 0 (no flushes) for speed; the fsync policy has its
 * own case. The throughput figure is printed, not asserted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "testlib.h"
#include "util.h"

#define BASE_MS 1764000000000LL

/* ---- helpers ---------------------------------------------------------- */

struct tmp {
	char root[64];
	char dir[96];   /* the journal directory, created by journal_open */
};

static void
tmp_make(struct tmp *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/simpul-journal-XXXXXX");
	if (mkdtemp(t->root) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(t->dir, sizeof(t->dir), "%s/j", t->root);
}

/* Removes a directory's files (the journal directories are flat). */
static void
rm_files(const char *path)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static void
tmp_remove(struct tmp *t)
{
	rm_files(t->dir);
	rmdir(t->dir);
	rm_files(t->root);
	if (rmdir(t->root) == -1)
		fprintf(stderr, "cannot remove %s\n", t->root);
}

static void
seg_path(const struct tmp *t, uint64_t first, char *out, size_t n)
{
	snprintf(out, n, "%s/%020" PRIu64 ".seg", t->dir, first);
}

static long long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == -1 ? -1 : (long long)st.st_size;
}

static uint8_t *
file_read(const char *path, size_t *len)
{
	long long n = file_size(path);
	uint8_t *p;
	FILE *f;

	if (n < 0 || (f = fopen(path, "rb")) == NULL)
		return NULL;
	p = xmalloc((size_t)n + 1);
	*len = fread(p, 1, (size_t)n, f);
	fclose(f);
	return p;
}

static int
file_write(const char *path, const void *p, size_t len, const char *mode)
{
	FILE *f = fopen(path, mode);
	size_t n;

	if (f == NULL)
		return -1;
	n = fwrite(p, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

static int
file_flip(const char *path, long long off)
{
	uint8_t b;
	int fd = open(path, O_RDWR), rc = -1;

	if (fd == -1)
		return -1;
	if (pread(fd, &b, 1, off) == 1) {
		b ^= 0x5a;
		if (pwrite(fd, &b, 1, off) == 1)
			rc = 0;
	}
	close(fd);
	return rc;
}

/* Sorted first seqs of the segment files; returns the count (max n). */
static size_t
list_segs(const struct tmp *t, uint64_t *firsts, size_t n)
{
	struct dirent *de;
	size_t k = 0, i, m;
	uint64_t v;
	DIR *d;

	if ((d = opendir(t->dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && k < n) {
		if (strlen(de->d_name) != 24 ||
		    strcmp(de->d_name + 20, ".seg") != 0)
			continue;
		v = strtoull(de->d_name, NULL, 10);
		/* insertion sort: the lists are short */
		for (i = k; i > 0 && firsts[i - 1] > v; i--)
			firsts[i] = firsts[i - 1];
		firsts[i] = v;
		k++;
	}
	closedir(d);
	for (m = 1; m < k; m++)
		if (firsts[m - 1] >= firsts[m])
			return 0;
	return k;
}

/* The record for a seq: everything derives from the seq and a size base. */
struct gen {
	char topic[64];
	size_t topic_len;
	uint8_t payload[4096];
	size_t payload_len;
	uint32_t flags;
	int64_t received_ms;
};

static void
gen_make(struct gen *g, uint64_t seq, size_t base)
{
	size_t i;

	g->topic_len = (size_t)snprintf(g->topic, sizeof(g->topic),
	    "karo/ev/dishub/gps/type%" PRIu64, seq % 13);
	g->payload_len = base + (size_t)(seq % 97);
	if (g->payload_len > sizeof(g->payload))
		g->payload_len = sizeof(g->payload);
	for (i = 0; i < g->payload_len; i++)
		g->payload[i] = (uint8_t)(seq * 31 + i * 7);
	g->flags = (uint32_t)(seq * 2654435761U);
	g->received_ms = BASE_MS + (int64_t)seq * 3;
}

static int
rec_matches(const struct journal_rec *rec, size_t base)
{
	struct gen g;

	gen_make(&g, rec->seq, base);
	return rec->topic_len == g.topic_len &&
	    memcmp(rec->topic, g.topic, g.topic_len) == 0 &&
	    rec->payload_len == g.payload_len &&
	    memcmp(rec->payload, g.payload, g.payload_len) == 0 &&
	    rec->flags == g.flags && rec->received_ms == g.received_ms;
}

/* Appends the generated record for the journal's next seq; returns it. */
static uint64_t
append_gen(struct journal *j, size_t base)
{
	uint64_t want = journal_next_seq(j), seq = 0;
	struct gen g;

	gen_make(&g, want, base);
	if (journal_append(j, g.received_ms, g.flags, g.topic, g.topic_len,
	    g.payload, g.payload_len, &seq) == -1 || seq != want)
		return 0;
	return seq;
}

/*
 * Reads everything after after_seq. Returns the count, or -1 if a record
 * did not match its generator or seqs were not increasing. *first and *last
 * get the first and last seqs seen (0 if none); gaps are allowed.
 */
static long
read_all(struct journal *j, uint64_t after, size_t base, uint64_t *first,
    uint64_t *last)
{
	struct journal_reader *r = journal_reader_open(j, after);
	struct journal_rec rec;
	uint64_t prev = after;
	long n = 0;
	int rc;

	*first = *last = 0;
	while ((rc = journal_reader_next(r, &rec)) == 1) {
		if (rec.seq <= prev || !rec_matches(&rec, base)) {
			n = -1;
			break;
		}
		if (*first == 0)
			*first = rec.seq;
		*last = prev = rec.seq;
		n++;
	}
	if (rc == -1)
		n = -1;
	journal_reader_free(r);
	return n;
}

static struct journal *
open_j(const struct tmp *t, uint64_t segment_size, int64_t fsync_ms,
    uint64_t budget, uint32_t max_record)
{
	struct journal_opts o;

	memset(&o, 0, sizeof(o));
	o.segment_size = segment_size;
	o.fsync_interval_ms = fsync_ms;
	o.disk_budget = budget;
	o.max_record = max_record;
	return journal_open(t->dir, &o);
}

/*
 * Appends the generated records that should get seqs from..to; returns how
 * many did not get theirs (0 when all did).
 */
static int
append_range(struct journal *j, size_t base, uint64_t from, uint64_t to)
{
	uint64_t s;
	int bad = 0;

	for (s = from; s <= to; s++)
		if (append_gen(j, base) != s)
			bad++;
	return bad;
}

/*
 * A journal in t with segments of segment_size (no fsync, budget or record
 * limit) holding the generated records 1..n, closed again. Returns 0, or
 * -1 after a failed check when it did not open or an append went wrong.
 */
static int
fill_j(const struct tmp *t, uint64_t segment_size, uint64_t n, size_t base)
{
	struct journal *j;
	int bad;

	j = open_j(t, segment_size, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		return -1;
	bad = append_range(j, base, 1, n);
	CHECK_INT(bad, 0);
	journal_close(j);
	return bad == 0 ? 0 : -1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- cases ------------------------------------------------------------ */

static void
test_crc(void)
{
	const char *v = "123456789";
	uint32_t c;

	/* The standard CRC-32C check value. */
	CHECK_INT(journal_crc32c(0, v, 9), 0xe3069283U);
	c = journal_crc32c(0, v, 4);
	CHECK_INT(journal_crc32c(c, v + 4, 5), 0xe3069283U);
	CHECK_INT(journal_crc32c(0, "", 0), 0);
	CHECK_INT(journal_crc32c_sw(0, v, 9), 0xe3069283U);
}

/*
 * The CPU's instruction (when there is one) and the portable table agree
 * at every length 0..600 from every alignment 0..7, whole and split.
 */
static void
test_crc_paths(void)
{
	uint8_t buf[608];
	size_t i, len, off;
	uint32_t x = 2463534242U;
	int bad = 0;

	for (i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	for (off = 0; off < 8; off++)
		for (len = 0; len + off <= 600; len++) {
			uint32_t want = journal_crc32c_sw(0, buf + off, len);

			if (journal_crc32c(0, buf + off, len) != want ||
			    journal_crc32c(journal_crc32c(0, buf + off, len / 3),
			    buf + off + len / 3, len - len / 3) != want)
				bad++;
		}
	CHECK_INT(bad, 0);
}

static void
test_codec(void)
{
	uint8_t buf[256];
	struct journal_rec in, out;
	const char *why;
	size_t n, flen;

	memset(&in, 0, sizeof(in));
	in.seq = 42;
	in.received_ms = -5;
	in.flags = 0xdeadbeef;
	in.topic = "a/b";
	in.topic_len = 3;
	in.payload = "xyz";
	in.payload_len = 3;
	n = journal_frame_encode(buf, sizeof(buf), &in);
	CHECK_INT(n, JOURNAL_FRAME_OVERHEAD + 6);
	/* Explicit little-endian layout: magic "SJL1", len, seq at 12. */
	CHECK(memcmp(buf, "SJL1", 4) == 0);
	CHECK_INT(buf[4], 22 + 6);
	CHECK_INT(buf[12], 42);
	CHECK_INT(buf[32], 3);
	CHECK(memcmp(buf + 34, "a/bxyz", 6) == 0);
	CHECK_INT(journal_frame_decode(buf, n, 100, &out, &flen, &why), 1);
	CHECK_INT(flen, n);
	CHECK_INT(out.seq, 42);
	CHECK_INT(out.received_ms, -5);
	CHECK_INT(out.flags, 0xdeadbeefU);
	CHECK(out.topic_len == 3 && memcmp(out.topic, "a/b", 3) == 0);
	CHECK(out.payload_len == 3 && memcmp(out.payload, "xyz", 3) == 0);
	/* Incomplete input asks for more. */
	CHECK_INT(journal_frame_decode(buf, 5, 100, &out, &flen, &why), 0);
	CHECK_INT(flen, 12);
	CHECK_INT(journal_frame_decode(buf, n - 1, 100, &out, &flen, &why), 0);
	CHECK_INT(flen, n);
	/* Limits. */
	CHECK_INT(journal_frame_decode(buf, n, 5, &out, &flen, &why), -1);
	CHECK_STR(why, "bad length");
	CHECK_INT(journal_frame_encode(buf, n - 1, &in), 0);
	buf[20] ^= 1;
	CHECK_INT(journal_frame_decode(buf, n, 100, &out, &flen, &why), -1);
	CHECK_STR(why, "crc mismatch");
	buf[20] ^= 1;
	buf[0] ^= 1;
	CHECK_INT(journal_frame_decode(buf, n, 100, &out, &flen, &why), -1);
	CHECK_STR(why, "bad magic");
}

static void
test_roundtrip(void)
{
	static uint8_t big[1000];
	struct journal_reader *r;
	struct journal_rec rec;
	struct journal *j;
	struct tmp t;
	uint64_t seq = 0;
	size_t i;

	tmp_make(&t);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	j = open_j(&t, 0, -1, 0, 1000);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_next_seq(j), 1);
	CHECK_INT(journal_append(j, BASE_MS, 7, "karo/ev/a", 9, "{\"x\":1}", 7,
	    &seq), 0);
	CHECK_INT(seq, 1);
	/* Empty payload, binary payload with NULs, extreme fields. */
	CHECK_INT(journal_append(j, -1, 0xffffffffU, "t", 1, NULL, 0, &seq), 0);
	CHECK_INT(seq, 2);
	CHECK_INT(journal_append(j, INT64_MAX, 0, "karo/ev/b", 9, "\0\1\0", 3,
	    &seq), 0);
	CHECK_INT(seq, 3);
	/* max_record boundary: topic + payload == 1000 in, 1001 out. */
	CHECK_INT(journal_append(j, 1, 1, "tt", 2, big, 998, &seq), 0);
	CHECK_INT(seq, 4);
	CHECK_INT(journal_append(j, 1, 1, "tt", 2, big, 999, &seq), -1);
	CHECK_INT(journal_append(j, 1, 1, "", 0, big, 1001, &seq), -1);
	CHECK_INT(journal_next_seq(j), 5);
	journal_close(j);

	/* Reopen and read everything back exactly. */
	j = open_j(&t, 0, -1, 0, 1000);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_next_seq(j), 5);
	r = journal_reader_open(j, 0);
	CHECK_INT(journal_reader_next(r, &rec), 1);
	CHECK_INT(rec.seq, 1);
	CHECK_INT(rec.received_ms, BASE_MS);
	CHECK_INT(rec.flags, 7);
	CHECK(rec.topic_len == 9 && memcmp(rec.topic, "karo/ev/a", 9) == 0);
	CHECK(rec.payload_len == 7 && memcmp(rec.payload, "{\"x\":1}", 7) == 0);
	CHECK_INT(journal_reader_next(r, &rec), 1);
	CHECK_INT(rec.seq, 2);
	CHECK_INT(rec.received_ms, -1);
	CHECK_INT(rec.flags, 0xffffffffU);
	CHECK(rec.topic_len == 1 && rec.topic[0] == 't');
	CHECK_INT(rec.payload_len, 0);
	CHECK_INT(journal_reader_next(r, &rec), 1);
	CHECK_INT(rec.seq, 3);
	CHECK_INT(rec.received_ms, INT64_MAX);
	CHECK(rec.payload_len == 3 && memcmp(rec.payload, "\0\1\0", 3) == 0);
	CHECK_INT(journal_reader_next(r, &rec), 1);
	CHECK_INT(rec.seq, 4);
	CHECK(rec.topic_len == 2 && rec.payload_len == 998 &&
	    memcmp(rec.payload, big, 998) == 0);
	CHECK_INT(journal_reader_next(r, &rec), 0);
	/* The reader picks up what is appended later. */
	CHECK_INT(journal_append(j, 9, 9, "z", 1, "q", 1, &seq), 0);
	CHECK_INT(seq, 5);
	CHECK_INT(journal_reader_next(r, &rec), 1);
	CHECK_INT(rec.seq, 5);
	CHECK_INT(journal_reader_next(r, &rec), 0);
	journal_reader_free(r);
	journal_close(j);

	/* A 65536-byte topic is refused even when max_record allows it. */
	j = open_j(&t, 0, -1, 0, 200000);
	CHECK(j != NULL);
	if (j != NULL) {
		char *topic = xcalloc(1, 65536);

		memset(topic, 'a', 65536);
		CHECK_INT(journal_append(j, 1, 1, topic, 65536, "p", 1, &seq),
		    -1);
		CHECK_INT(journal_append(j, 1, 1, topic, 65535, "p", 1, &seq),
		    0);
		CHECK_INT(seq, 6);
		free(topic);
		journal_close(j);
	}
out:
	tmp_remove(&t);
}

/* Flipping one byte of the middle record keeps exactly the ones before. */
static void
test_crc_corruption(void)
{
	char path[160];
	uint64_t first, last;
	long long sz1, sz2;
	struct journal *j;
	struct tmp t;

	tmp_make(&t);
	seg_path(&t, 1, path, sizeof(path));
	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(append_gen(j, 100), 1);
	sz1 = file_size(path);
	CHECK_INT(append_gen(j, 100), 2);
	sz2 = file_size(path);
	CHECK_INT(append_gen(j, 100), 3);
	journal_close(j);

	CHECK_INT(file_flip(path, sz1 + (sz2 - sz1) / 2), 0);
	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(read_all(j, 0, 100, &first, &last), 1);
	CHECK_INT(last, 1);
	CHECK_INT(journal_next_seq(j), 2);
	CHECK_INT(file_size(path), sz1);
	CHECK_INT(append_gen(j, 100), 2);
	journal_close(j);
	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_INT(read_all(j, 0, 100, &first, &last), 2);
		journal_close(j);
	}
out:
	tmp_remove(&t);
}

/*
 * Corruption inside an older segment skips the rest of that segment only:
 * the newer segments are intact and the seq goes on.
 */
static void
test_older_segment_corruption(void)
{
	uint64_t firsts[64], first, last;
	char path[160];
	long long size;
	struct journal *j;
	struct tmp t;
	size_t n;
	long got;

	tmp_make(&t);
	if (fill_j(&t, 1500, 60, 100) == -1)
		goto out;
	n = list_segs(&t, firsts, 64);
	CHECK(n >= 4);
	if (n < 4)
		goto out;
	/* Flip a byte two thirds into the second segment. */
	seg_path(&t, firsts[1], path, sizeof(path));
	size = file_size(path);
	CHECK_INT(file_flip(path, size * 2 / 3), 0);
	j = open_j(&t, 1500, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_next_seq(j), 61);
	CHECK_INT(file_size(path), size); /* older segments are never cut */
	got = read_all(j, 0, 100, &first, &last);
	/* Some records of segment 2 are gone, everything else is there. */
	CHECK(got > 60 - (long)(firsts[2] - firsts[1]) - 1 && got < 60);
	CHECK_INT(first, 1);
	CHECK_INT(last, 60);
	/* Reading from the start of segment 3 yields all of its records. */
	CHECK_INT(read_all(j, firsts[2] - 1, 100, &first, &last),
	    (long)(61 - firsts[2]));
	CHECK_INT(first, firsts[2]);
	CHECK_INT(append_gen(j, 100), 61);
	journal_close(j);
out:
	tmp_remove(&t);
}

/*
 * Torn tail: cut the last segment at every byte offset inside the last
 * record; each reopen yields exactly the records before, and appending
 * continues the seq.
 */
static void
test_torn_tail(void)
{
	uint64_t first, last;
	char path[160];
	long long start, end, cut;
	uint8_t *pristine = NULL;
	struct journal *j;
	struct tmp t;
	size_t len;
	int bad = 0;

	tmp_make(&t);
	seg_path(&t, 1, path, sizeof(path));
	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(append_gen(j, 40), 1);
	CHECK_INT(append_gen(j, 40), 2);
	start = file_size(path);
	CHECK_INT(append_gen(j, 40), 3);
	end = file_size(path);
	journal_close(j);
	pristine = file_read(path, &len);
	CHECK(pristine != NULL && (long long)len == end);
	if (pristine == NULL)
		goto out;

	for (cut = start; cut < end; cut++) {
		if (file_write(path, pristine, (size_t)cut, "wb") == -1) {
			bad++;
			break;
		}
		j = open_j(&t, 0, -1, 0, 0);
		if (j == NULL) {
			bad++;
			break;
		}
		if (read_all(j, 0, 40, &first, &last) != 2 || last != 2 ||
		    journal_next_seq(j) != 3 || file_size(path) != start ||
		    append_gen(j, 40) != 3)
			bad++;
		journal_close(j);
		j = open_j(&t, 0, -1, 0, 0);
		if (j == NULL || read_all(j, 0, 40, &first, &last) != 3 ||
		    last != 3 || journal_next_seq(j) != 4)
			bad++;
		journal_close(j);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(cut, end);
out:
	free(pristine);
	tmp_remove(&t);
}

/* Garbage after valid data, in several kinds, is cut off. */
static void
test_garbage_tail(void)
{
	static const char text[] = "garbage that is not a frame\n";
	uint8_t zeros[300], frame[256];
	uint64_t first, last;
	struct journal_rec rec;
	char path[160];
	struct journal *j;
	struct tmp t;
	long long valid;
	size_t flen;
	int kind;

	memset(zeros, 0, sizeof(zeros));
	tmp_make(&t);
	seg_path(&t, 1, path, sizeof(path));
	j = open_j(&t, 0, -1, 0, 1000);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(append_gen(j, 50), 1);
	CHECK_INT(append_gen(j, 50), 2);
	CHECK_INT(append_gen(j, 50), 3);
	journal_close(j);
	valid = file_size(path);

	for (kind = 0; kind < 5; kind++) {
		memset(&rec, 0, sizeof(rec));
		rec.topic = "x";
		rec.topic_len = 1;
		rec.payload = "y";
		rec.payload_len = 1;
		switch (kind) {
		case 0: /* text */
			CHECK_INT(file_write(path, text, sizeof(text) - 1,
			    "ab"), 0);
			break;
		case 1: /* zeros, as after a crash with preallocated blocks */
			CHECK_INT(file_write(path, zeros, sizeof(zeros), "ab"),
			    0);
			break;
		case 2: /* a valid frame whose seq does not increase */
			rec.seq = 2;
			flen = journal_frame_encode(frame, sizeof(frame), &rec);
			CHECK_INT(file_write(path, frame, flen, "ab"), 0);
			break;
		case 3: /* a valid frame that skips a seq */
			rec.seq = 5;
			flen = journal_frame_encode(frame, sizeof(frame), &rec);
			CHECK_INT(file_write(path, frame, flen, "ab"), 0);
			break;
		case 4: /* a length beyond max_record, with a valid CRC */
			rec.seq = 4;
			rec.payload = zeros;
			rec.payload_len = 210;
			flen = journal_frame_encode(frame, sizeof(frame), &rec);
			CHECK_INT(file_write(path, frame, flen, "ab"), 0);
			break;
		}
		/* Records 1..3 are 125..127 + 34 bytes: 200 admits them. */
		j = open_j(&t, 0, -1, 0, kind == 4 ? 200 : 1000);
		CHECK(j != NULL);
		if (j == NULL)
			continue;
		CHECK_INT(file_size(path), valid);
		CHECK_INT(read_all(j, 0, 50, &first, &last), 3);
		CHECK_INT(journal_next_seq(j), 4);
		journal_close(j);
	}
	/* And appending after all that works. */
	j = open_j(&t, 0, -1, 0, 1000);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_INT(append_gen(j, 50), 4);
		CHECK_INT(read_all(j, 0, 50, &first, &last), 4);
		journal_close(j);
	}
out:
	tmp_remove(&t);
}

/* Replay after reopen from arbitrary after_seq values, across segments. */
static void
test_replay(void)
{
	static const uint64_t afters[] = { 0, 1, 2, 37, 63, 64, 99, 100, 150 };
	uint64_t first, last;
	struct journal *j;
	struct tmp t;
	size_t i;
	long want;

	tmp_make(&t);
	if (fill_j(&t, 4000, 100, 200) == -1)
		goto out;
	j = open_j(&t, 4000, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	for (i = 0; i < nitems(afters); i++) {
		want = afters[i] >= 100 ? 0 : (long)(100 - afters[i]);
		CHECK_INT(read_all(j, afters[i], 200, &first, &last), want);
		CHECK_INT(first, want > 0 ? afters[i] + 1 : 0);
		CHECK_INT(last, want > 0 ? 100 : 0);
	}
	journal_close(j);
out:
	tmp_remove(&t);
}

/* Rotation across several segments with a reader following the appender. */
static void
test_rotation(void)
{
	uint64_t firsts[128], first, last, s, expect = 1;
	struct journal_reader *r;
	struct journal_rec rec;
	char path[160];
	struct journal *j;
	struct tmp t;
	size_t n, i;
	int rc, bad = 0;

	tmp_make(&t);
	j = open_j(&t, 1024, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	r = journal_reader_open(j, 0);
	CHECK_INT(journal_reader_next(r, &rec), 0);
	for (s = 1; s <= 300; s++) {
		if (append_gen(j, 60) != s)
			bad++;
		if (s % 7 != 0)
			continue;
		while ((rc = journal_reader_next(r, &rec)) == 1) {
			if (rec.seq != expect || !rec_matches(&rec, 60))
				bad++;
			expect++;
		}
		if (rc != 0 || expect != s + 1)
			bad++;
	}
	while ((rc = journal_reader_next(r, &rec)) == 1) {
		if (rec.seq != expect++ || !rec_matches(&rec, 60))
			bad++;
	}
	CHECK_INT(rc, 0);
	CHECK_INT(bad, 0);
	CHECK_INT(expect, 301);
	journal_reader_free(r);
	journal_close(j);

	/* Files are named by their first seq and are all within the size. */
	n = list_segs(&t, firsts, 128);
	CHECK(n >= 10);
	CHECK_INT(firsts[0], 1);
	for (i = 0; i < n; i++) {
		seg_path(&t, firsts[i], path, sizeof(path));
		if (file_size(path) > 1024 || file_size(path) <= 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	j = open_j(&t, 1024, -1, 0, 0);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_INT(journal_next_seq(j), 301);
		CHECK_INT(read_all(j, 0, 60, &first, &last), 300);
		/* Each segment starts with the record its name says. */
		for (i = 0; i < n; i++) {
			r = journal_reader_open(j, firsts[i] - 1);
			if (journal_reader_next(r, &rec) != 1 ||
			    rec.seq != firsts[i])
				bad++;
			journal_reader_free(r);
		}
		CHECK_INT(bad, 0);
		journal_close(j);
	}
out:
	tmp_remove(&t);
}

/*
 * Release deletes only fully released segments; the seq continues after
 * releasing everything and reopening.
 */
static void
test_release(void)
{
	uint64_t firsts[64], after[64], first, last, upto;
	struct journal *j;
	struct tmp t;
	size_t n, m;

	tmp_make(&t);
	j = open_j(&t, 1024, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(append_range(j, 100, 1, 100), 0);
	n = list_segs(&t, firsts, 64);
	CHECK(n >= 6);
	if (n < 6)
		goto close;
	/* Inside segment 3: segments 0..2 go, 3 stays. */
	upto = firsts[3] + 1;
	CHECK_INT(journal_release(j, upto), 0);
	m = list_segs(&t, after, 64);
	CHECK_INT(m, n - 3);
	CHECK_INT(after[0], firsts[3]);
	CHECK_INT(read_all(j, upto, 100, &first, &last), (long)(100 - upto));
	CHECK_INT(first, upto + 1);
	/* Exactly the last seq of segment 3 releases segment 3. */
	CHECK_INT(journal_release(j, firsts[4] - 1), 0);
	m = list_segs(&t, after, 64);
	CHECK_INT(after[0], firsts[4]);
	/* A lower release point changes nothing. */
	CHECK_INT(journal_release(j, 1), 0);
	CHECK_INT(list_segs(&t, after, 64), m);
	/* Everything: only the active segment remains, and it counts 0. */
	CHECK_INT(journal_release(j, 100), 0);
	CHECK_INT(list_segs(&t, after, 64), 1);
	CHECK_INT(after[0], firsts[n - 1]);
	CHECK_INT(journal_unreleased_bytes(j), 0);
close:
	journal_close(j);
	j = open_j(&t, 1024, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_next_seq(j), 101);
	CHECK_INT(append_gen(j, 100), 101);
	/* Rotate, then release all: the seq still survives a reopen. */
	CHECK_INT(append_range(j, 100, 102, 130), 0);
	CHECK_INT(journal_release(j, 130), 0);
	CHECK_INT(list_segs(&t, after, 64), 1);
	journal_close(j);
	j = open_j(&t, 1024, -1, 0, 0);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_INT(journal_next_seq(j), 131);
		CHECK_INT(read_all(j, 130, 100, &first, &last), 0);
		journal_close(j);
	}
out:
	tmp_remove(&t);
}

/* journal_advance_seq: an empty segment keeps the seq across reopen. */
static void
test_advance(void)
{
	uint64_t firsts[8], first, last;
	struct journal *j;
	struct tmp t;

	memset(firsts, 0, sizeof(firsts));
	tmp_make(&t);
	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_advance_seq(j, 1000), 0);
	CHECK_INT(journal_next_seq(j), 1000);
	CHECK_INT(journal_advance_seq(j, 10), 0);    /* never backwards */
	CHECK_INT(journal_next_seq(j), 1000);
	journal_close(j);
	CHECK_INT(list_segs(&t, firsts, 8), 2);
	CHECK_INT(firsts[1], 1000);
	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_next_seq(j), 1000);        /* from the empty segment */
	CHECK_INT(append_gen(j, 10), 1000);
	CHECK_INT(journal_release(j, 999), 0);
	CHECK_INT(list_segs(&t, firsts, 8), 1);
	CHECK_INT(read_all(j, 0, 10, &first, &last), 1);
	CHECK_INT(first, 1000);
	journal_close(j);
	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_INT(journal_next_seq(j), 1001);
		journal_close(j);
	}
out:
	tmp_remove(&t);
}

/* Unreleased bytes count the segments holding unreleased records. */
static void
test_budget(void)
{
	uint64_t firsts[64], s, sum;
	char path[160];
	struct journal *j;
	struct tmp t;
	size_t n, i;

	tmp_make(&t);
	j = open_j(&t, 4096, -1, 10000, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_unreleased_bytes(j), 0);
	CHECK_INT(journal_over_budget(j), 0);
	for (s = 1; !journal_over_budget(j) && s < 1000; s++)
		CHECK_INT(append_gen(j, 400), s);
	CHECK(s < 1000);
	CHECK(journal_unreleased_bytes(j) > 10000);
	n = list_segs(&t, firsts, 64);
	for (sum = 0, i = 0; i < n; i++) {
		seg_path(&t, firsts[i], path, sizeof(path));
		sum += (uint64_t)file_size(path);
	}
	CHECK_INT(journal_unreleased_bytes(j), sum);
	/* Release the first segment: its bytes no longer count. */
	CHECK(n >= 3);
	seg_path(&t, firsts[0], path, sizeof(path));
	sum -= (uint64_t)file_size(path);
	CHECK_INT(journal_release(j, firsts[1] - 1), 0);
	CHECK_INT(journal_unreleased_bytes(j), sum);
	/* A partly released segment counts whole. */
	CHECK_INT(journal_release(j, firsts[1]), 0);
	CHECK_INT(journal_unreleased_bytes(j), sum);
	CHECK_INT(journal_over_budget(j), sum > 10000);
	/* All released: 0, although the active segment stays on disk. */
	CHECK_INT(journal_release(j, journal_next_seq(j) - 1), 0);
	CHECK_INT(journal_unreleased_bytes(j), 0);
	CHECK_INT(journal_over_budget(j), 0);
	CHECK_INT(list_segs(&t, firsts, 64), 1);
	/* New appends count again. */
	s = append_gen(j, 400);
	CHECK(s > 0);
	CHECK(journal_unreleased_bytes(j) > 400);
	journal_close(j);
out:
	tmp_remove(&t);
}

/* fsync policy: 0 flushes every append; N flushes on ticks when due. */
static void
test_fsync_policy(void)
{
	struct journal *j;
	struct tmp t;

	tmp_make(&t);
	j = open_j(&t, 0, 0, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_synced_seq(j), 0);
	CHECK_INT(append_gen(j, 10), 1);
	CHECK_INT(journal_synced_seq(j), 1);
	CHECK_INT(append_gen(j, 10), 2);
	CHECK_INT(journal_synced_seq(j), 2);
	journal_close(j);

	j = open_j(&t, 0, 100, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(journal_synced_seq(j), 2);    /* recovery flushed it */
	CHECK_INT(append_gen(j, 10), 3);
	CHECK_INT(journal_synced_seq(j), 2);
	CHECK_INT(journal_tick(j, 1000), 0);
	CHECK_INT(journal_synced_seq(j), 3);
	CHECK_INT(append_gen(j, 10), 4);
	CHECK_INT(journal_tick(j, 1050), 0);    /* not due yet */
	CHECK_INT(journal_synced_seq(j), 3);
	CHECK_INT(journal_tick(j, 1100), 0);
	CHECK_INT(journal_synced_seq(j), 4);
	CHECK_INT(append_gen(j, 10), 5);
	CHECK_INT(journal_sync(j), 0);          /* explicit: always */
	CHECK_INT(journal_synced_seq(j), 5);
	journal_close(j);

	j = open_j(&t, 0, -1, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK_INT(append_gen(j, 10), 6);
	CHECK_INT(journal_tick(j, 999999), 0);  /* never */
	CHECK_INT(journal_synced_seq(j), 0);
	CHECK_INT(journal_sync(j), 0);
	CHECK_INT(journal_synced_seq(j), 6);
	journal_close(j);
out:
	tmp_remove(&t);
}

static void
test_open_errors(void)
{
	struct journal_opts o;
	struct journal *j, *j2;
	char path[160];
	struct tmp t;

	tmp_make(&t);
	/* The parent must exist. */
	snprintf(path, sizeof(path), "%s/no/such", t.root);
	CHECK(journal_open(path, NULL) == NULL);
	/* A regular file is not a journal directory. */
	snprintf(path, sizeof(path), "%s/file", t.root);
	CHECK_INT(file_write(path, "x", 1, "wb"), 0);
	CHECK(journal_open(path, NULL) == NULL);
	memset(&o, 0, sizeof(o));
	o.max_record = JOURNAL_MAX_RECORD_LIMIT + 1;
	CHECK(journal_open(t.dir, &o) == NULL);
	/* The directory is locked while open. */
	o.max_record = 0;
	o.fsync_interval_ms = -1;
	j = journal_open(t.dir, &o);
	CHECK(j != NULL);
	j2 = journal_open(t.dir, &o);
	CHECK(j2 == NULL);
	journal_close(j2);
	journal_close(j);
	j = journal_open(t.dir, &o);
	CHECK(j != NULL);
	journal_close(j);
	/* Unknown files are ignored, not fatal. */
	snprintf(path, sizeof(path), "%s/README", t.dir);
	CHECK_INT(file_write(path, "x", 1, "wb"), 0);
	j = journal_open(t.dir, &o);
	CHECK(j != NULL);
	journal_close(j);
	journal_close(NULL);
	journal_reader_free(NULL);
	tmp_remove(&t);
}

/*
 * One appender thread writes 200,000 records (through rotations and timed
 * flushes) while a reader thread follows, checks every seq and byte, and
 * releases as it goes, as the hub's writer thread does after a commit.
 */
#define CONC_N 200000
#define CONC_BASE 20

struct conc {
	struct journal *j;
	long bad;
	uint64_t got;
	volatile int stop;
};

static void *
conc_appender(void *arg)
{
	struct conc *c = arg;
	struct timespec ts;
	uint64_t s;

	for (s = 1; s <= CONC_N; s++) {
		if (append_gen(c->j, CONC_BASE) != s) {
			c->bad++;
			break;
		}
		if (s % 64 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (journal_tick(c->j, (int64_t)ts.tv_sec * 1000 +
			    ts.tv_nsec / 1000000) == -1)
				c->bad++;
		}
	}
	return NULL;
}

static void *
conc_reader(void *arg)
{
	struct conc *c = arg;
	struct journal_reader *r = journal_reader_open(c->j, 0);
	struct journal_rec rec;
	double deadline = now_s() + 120;
	int rc;

	while (c->got < CONC_N && !c->stop) {
		rc = journal_reader_next(r, &rec);
		if (rc == -1) {
			c->bad++;
			break;
		}
		if (rc == 0) {
			if (now_s() > deadline) {
				c->bad++;
				break;
			}
			sched_yield();
			continue;
		}
		if (rec.seq != c->got + 1 || !rec_matches(&rec, CONC_BASE)) {
			c->bad++;
			break;
		}
		c->got = rec.seq;
		if (c->got % 5000 == 0 && journal_release(c->j, c->got) == -1)
			c->bad++;
	}
	journal_reader_free(r);
	return NULL;
}

static void
test_concurrent(void)
{
	struct conc ca, cr;
	pthread_t ta, tr;
	uint64_t firsts[256];
	struct tmp t;
	double t0, dt;

	tmp_make(&t);
	memset(&ca, 0, sizeof(ca));
	memset(&cr, 0, sizeof(cr));
	ca.j = cr.j = open_j(&t, (uint64_t)1024 * 1024, 50, 0, 0);
	CHECK(ca.j != NULL);
	if (ca.j == NULL)
		goto out;
	t0 = now_s();
	pthread_create(&tr, NULL, conc_reader, &cr);
	pthread_create(&ta, NULL, conc_appender, &ca);
	pthread_join(ta, NULL);
	if (ca.bad != 0)
		cr.stop = 1;
	pthread_join(tr, NULL);
	dt = now_s() - t0;
	CHECK_INT(ca.bad, 0);
	CHECK_INT(cr.bad, 0);
	CHECK_INT(cr.got, CONC_N);
	CHECK_INT(journal_next_seq(ca.j), CONC_N + 1);
	CHECK_INT(journal_sync(ca.j), 0);
	CHECK_INT(journal_synced_seq(ca.j), CONC_N);
	/* The reader released up to 200,000: one (active) segment is left. */
	CHECK_INT(list_segs(&t, firsts, 256), 1);
	CHECK_INT(journal_unreleased_bytes(ca.j), 0);
	printf("journal: concurrent %d records appended and read in %.2fs\n",
	    CONC_N, dt);
	journal_close(ca.j);
out:
	tmp_remove(&t);
}

/*
 * Informational: appends/s of 500-byte payloads with fsync_interval_ms=1000,
 * set up as in the hub: one thread appends (the MQTT callback), another
 * ticks every 100 ms (the main loop), so the appender never waits for a
 * flush. The final flush of everything is timed separately.
 */
struct ticker {
	struct journal *j;
	volatile int stop;
	long fails, flushes;
};

static void *
ticker_run(void *arg)
{
	struct ticker *tk = arg;
	struct timespec ts;
	uint64_t before;

	while (!tk->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		before = journal_synced_seq(tk->j);
		if (journal_tick(tk->j, (int64_t)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000) == -1)
			tk->fails++;
		if (journal_synced_seq(tk->j) != before)
			tk->flushes++;
		usleep(100 * 1000);
	}
	return NULL;
}

static void
test_throughput(void)
{
	static uint8_t payload[500];
	const char *topic = "karo/ev/dishub/gps/gps.position";
	struct ticker tk;
	struct journal *j;
	pthread_t th;
	struct tmp t;
	uint64_t s, seq = 0;
	double t0, dt, ts;
	long fails = 0;
	int n = 200000;

	tmp_make(&t);
	memset(payload, 'p', sizeof(payload));
	j = open_j(&t, 0, 1000, 0, 0);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	memset(&tk, 0, sizeof(tk));
	tk.j = j;
	pthread_create(&th, NULL, ticker_run, &tk);
	t0 = now_s();
	for (s = 1; s <= (uint64_t)n; s++) {
		if (journal_append(j, BASE_MS, 0, topic, strlen(topic),
		    payload, sizeof(payload), &seq) == -1)
			fails++;
	}
	dt = now_s() - t0;
	tk.stop = 1;
	pthread_join(th, NULL);
	t0 = now_s();
	CHECK_INT(journal_sync(j), 0);
	ts = now_s() - t0;
	CHECK_INT(fails, 0);
	CHECK_INT(tk.fails, 0);
	CHECK_INT(seq, n);
	CHECK_INT(journal_synced_seq(j), n);
	printf("journal: %.0f appends/s (%d records, 500-byte payload, "
	    "fsync_interval_ms=1000, %ld timed flushes by a ticker thread); "
	    "final flush of the rest %.3fs\n", (double)n / dt, n, tk.flushes,
	    ts);
	journal_close(j);
out:
	tmp_remove(&t);
}

/*
 * test_journal --write-corpus DIR writes the seed corpus of fuzz_journal:
 * segment files made by the journal itself, then damaged in the ways
 * recovery must handle. Run it again if the frame format changes.
 */
static int
corpus_file(const char *dir, const char *name, const void *p, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (file_write(path, p, len, "wb") == -1) {
		fprintf(stderr, "cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* A segment of n generated records made by the journal; caller frees. */
static uint8_t *
corpus_segment(uint64_t n, size_t base, size_t *len, size_t *last_off)
{
	struct journal *j;
	char path[160];
	struct tmp t;
	uint8_t *p = NULL;
	uint64_t s;

	tmp_make(&t);
	seg_path(&t, 1, path, sizeof(path));
	if ((j = open_j(&t, 0, -1, 0, 4096)) == NULL)
		goto out;
	for (s = 1; s <= n; s++) {
		*last_off = (size_t)file_size(path);
		if (append_gen(j, base) != s)
			goto out;
	}
	journal_close(j);
	j = NULL;
	p = file_read(path, len);
out:
	journal_close(j);
	tmp_remove(&t);
	return p;
}

static int
write_corpus(const char *dir)
{
	struct journal_rec rec;
	uint8_t *v, *w, frame[128];
	size_t len, last_off, flen, wl, wo;
	int rc = -1;

	if ((v = corpus_segment(3, 20, &len, &last_off)) == NULL)
		return -1;
	if ((w = corpus_segment(80, 10, &wl, &wo)) == NULL) {
		free(v);
		return -1;
	}
	memset(&rec, 0, sizeof(rec));
	rec.seq = 2;            /* a duplicate of seq 2 after 1..3 */
	rec.topic = "karo/ev/x";
	rec.topic_len = 9;
	rec.payload = "{}";
	rec.payload_len = 2;
	flen = journal_frame_encode(frame, sizeof(frame), &rec);
	if (corpus_file(dir, "valid-3", v, len) == -1 ||
	    corpus_file(dir, "valid-80-rotates", w, wl) == -1 ||
	    corpus_file(dir, "torn-header", v, last_off + 7) == -1 ||
	    corpus_file(dir, "torn-body", v, last_off + 40) == -1 ||
	    corpus_file(dir, "empty", "", 0) == -1)
		goto out;
	{
		uint8_t buf[4096];

		memset(buf, 0, 64);
		if (corpus_file(dir, "zeros", buf, 64) == -1)
			goto out;
		size_t n = len < sizeof(buf) - 200 ? len : sizeof(buf) - 200;

		/* valid + duplicate seq */
		memcpy(buf, v, n);
		memcpy(buf + n, frame, flen);
		if (corpus_file(dir, "seq-duplicate", buf, n + flen) == -1)
			goto out;
		/* valid + garbage text */
		memcpy(buf + n, "not a frame at all\n", 19);
		if (corpus_file(dir, "garbage-tail", buf, n + 19) == -1)
			goto out;
		/* a byte flipped in the middle record */
		memcpy(buf, v, n);
		buf[last_off - 10] ^= 0x20;
		if (corpus_file(dir, "crc-middle", buf, n) == -1)
			goto out;
		/* the last frame's length beyond max_record (4096) */
		memcpy(buf, v, n);
		buf[last_off + 6] = 0x01;
		if (corpus_file(dir, "length-too-big", buf, n) == -1)
			goto out;
		/* zeros after valid data */
		memcpy(buf, v, n);
		memset(buf + n, 0, 100);
		if (corpus_file(dir, "zeros-tail", buf, n + 100) == -1)
			goto out;
	}
	rc = 0;
out:
	free(v);
	free(w);
	return rc;
}

int
main(int argc, char **argv)
{
	/* Recovery's warnings stay visible; open/close notices do not. */
	log_init("test_journal", LOG_LEVEL_WARN);
	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return write_corpus(argv[2]) == 0 ? 0 : 1;
	test_crc();
	test_crc_paths();
	test_codec();
	test_roundtrip();
	test_crc_corruption();
	test_older_segment_corruption();
	test_torn_tail();
	test_garbage_tail();
	test_replay();
	test_rotation();
	test_release();
	test_advance();
	test_budget();
	test_fsync_policy();
	test_open_errors();
	test_concurrent();
	test_throughput();
	return testlib_done();
}
