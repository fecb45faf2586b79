/*
 * journal: see journal.h for the contract and docs/journal.md for the format
 * and the protocol with PostgreSQL.
 *
 * How it works. The journal is a directory of segment files named by the seq
 * of their first record. Only the last segment (the active one) grows; the
 * appender rotates to a new file, named by the next seq, when a frame would
 * push the active one past segment_size. Every frame is written with one
 * pwrite(2) at the appender's own end offset (pwrite rather than write so a
 * failed or short write can be cut off with ftruncate() and the next frame
 * still lands at the right place), from one frame buffer allocated at open.
 *
 * Three locks, always taken in this order:
 *   wmu  serialises the appender side: append, rotation, advance, close.
 *   smu  serialises flushes, and guards the active fd against being swapped
 *        (rotation) while a flush uses it. A flush holds smu but not wmu, so
 *        a timer's fdatasync() does not stall the MQTT callback.
 *   mu   guards the shared state: the segment list with each segment's
 *        published end, next_seq, the synced and released seqs, the byte
 *        count and the failure flag. Held only for a few loads and stores.
 * The appender publishes a frame (segment end, last seq) under mu only after
 * pwrite() returned, so a reader, which reads with pread(2) on its own fds and
 * never past the published end, never sees a partial frame.
 *
 * Recovery verifies every frame (magic, length, CRC32C, seq contiguity: the
 * first record of a segment has the seq in its name, each next one the
 * previous + 1) and stops a segment at the first frame that fails. In the
 * last segment that is a torn tail (the process or the machine died during a
 * write) or corruption, and the file is cut there; in an older segment it can
 * only be corruption, and the rest of that segment is skipped.
 */
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* "SJL1" in the file: the bytes 53 4a 4c 31. */
#define FRAME_MAGIC 0x314c4a53U
#define FRAME_HEADER 12U        /* magic, len, crc */
#define FRAME_FIXED_BODY 22U    /* seq, received_ms, flags, topic_len */
#define SEG_NAME_DIGITS 20
#define SEG_NAME_SUFFIX ".seg"
#define SEG_NAME_MAX 32
/* Read chunk for recovery and readers; at least one whole frame. */
#define SCAN_CHUNK ((size_t)1024 * 1024)

struct seg {
	uint64_t first;  /* seq in the file name */
	uint64_t last;   /* seq of the last record, 0 if none */
	uint64_t size;   /* published (or recovered valid) end */
};

struct journal {
	pthread_mutex_t wmu, smu, mu;
	char *dir;
	int dirfd;              /* holds the flock */
	struct journal_opts o;

	/* Appender side, under wmu. fd changes only under wmu + smu. */
	int fd;                 /* active segment */
	uint64_t wr_off;        /* end of the active segment */
	uint8_t *frame;
	size_t frame_cap;

	/* Flush side, under smu. */
	int64_t last_sync_ms;
	int ticked;

	/* Shared, under mu. */
	struct seg *segs;       /* sorted by first; the last one is active */
	size_t nsegs, segs_cap;
	uint64_t next_seq;
	uint64_t synced_seq;
	uint64_t released;
	uint64_t total_bytes;
	int failed;
};

/*
 * A buffered, pread-based frame scanner over one segment file, shared by
 * recovery and readers. buf holds the file bytes [buf_off, buf_off+buf_len).
 */
struct scan {
	int fd;
	uint8_t *buf;
	size_t cap;
	uint64_t buf_off;
	size_t buf_len;
	uint64_t off;           /* offset of the next frame */
};

struct journal_reader {
	struct journal *j;
	uint64_t after;         /* yield only seq > after */
	uint64_t last;          /* last seq seen */
	uint64_t seg_first;     /* current segment, 0 before the first */
	uint64_t expect;        /* seq the next frame of this segment must have */
	uint64_t end;           /* readable end of the segment, as last seen */
	int is_last;            /* the segment was the active one then */
	struct scan s;
};

/*
 * CRC32C (Castagnoli). Why CRC32C rather than zlib's crc32 (IEEE), which a
 * Debian package would give us for free: the Castagnoli polynomial keeps a
 * larger Hamming distance at our record sizes (so it detects more
 * multi-bit errors), it is what ext4 metadata, iSCSI and the LevelDB/RocksDB
 * logs use, and x86-64 computes it in one instruction (SSE4.2 crc32, on
 * every x86-64 server CPU since 2008). Every message is checksummed twice
 * (appended by the receive thread, read back by the writer): the
 * instruction takes 0.055 us for 500 bytes where the slice-by-8 table
 * below, which stays for other CPUs, takes 0.23 us (measured on the
 * project's 2-core machine). So the journal adds no library to the hub
 * core for its checksum.
 */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void
crc_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = crc_table[0][i];
		for (k = 1; k < 8; k++) {
			c = crc_table[0][c & 0xff] ^ (c >> 8);
			crc_table[k][i] = c;
		}
	}
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

uint32_t
journal_crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t lo, hi;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (n >= 8) {
		lo = get32(p) ^ crc;
		hi = get32(p + 4);
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		    crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		    crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		    crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_sse42(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc, v;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (n-- > 0)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return ~crc;
}
#endif

static void
crc_pick(void)
{
	crc_fn = journal_crc32c_sw;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc_fn = crc_sse42;
#endif
}

uint32_t
journal_crc32c(uint32_t crc, const void *buf, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, crc_pick);
	return crc_fn(crc, buf, n);
}

/*
 * Frame layout (little-endian):
 *   0  u32 magic   4  u32 len (bytes after the header)   8  u32 crc32c
 *  12  u64 seq    20  i64 received_ms   28  u32 flags   32  u16 topic_len
 *  34  topic, then payload (len - 22 - topic_len bytes)
 * The CRC covers bytes 0..7 and the whole body, so a damaged length or magic
 * that still parses is caught too.
 */
size_t
journal_frame_encode(void *out, size_t cap, const struct journal_rec *rec)
{
	uint8_t *p = out;
	size_t tl = rec->topic_len, pl = rec->payload_len, total;
	uint32_t crc;

	if (tl > JOURNAL_TOPIC_MAX || cap < JOURNAL_FRAME_OVERHEAD ||
	    tl > cap - JOURNAL_FRAME_OVERHEAD ||
	    pl > cap - JOURNAL_FRAME_OVERHEAD - tl ||
	    pl > UINT32_MAX - FRAME_FIXED_BODY - tl)
		return 0;
	total = JOURNAL_FRAME_OVERHEAD + tl + pl;
	put32(p, FRAME_MAGIC);
	put32(p + 4, (uint32_t)(total - FRAME_HEADER));
	put64(p + 12, rec->seq);
	put64(p + 20, (uint64_t)rec->received_ms);
	put32(p + 28, rec->flags);
	put16(p + 32, (uint16_t)tl);
	if (tl > 0)
		memcpy(p + JOURNAL_FRAME_OVERHEAD, rec->topic, tl);
	if (pl > 0)
		memcpy(p + JOURNAL_FRAME_OVERHEAD + tl, rec->payload, pl);
	crc = journal_crc32c(0, p, 8);
	crc = journal_crc32c(crc, p + FRAME_HEADER, total - FRAME_HEADER);
	put32(p + 8, crc);
	return total;
}

int
journal_frame_decode(const void *buf, size_t len, uint32_t max_record,
    struct journal_rec *rec, size_t *frame_len, const char **why)
{
	const uint8_t *p = buf;
	uint32_t blen, crc;
	uint16_t tl;

	*why = NULL;
	if (len < FRAME_HEADER) {
		*frame_len = FRAME_HEADER;
		return 0;
	}
	if (get32(p) != FRAME_MAGIC) {
		*why = "bad magic";
		return -1;
	}
	blen = get32(p + 4);
	if (blen < FRAME_FIXED_BODY || blen - FRAME_FIXED_BODY > max_record) {
		*why = "bad length";
		return -1;
	}
	*frame_len = FRAME_HEADER + (size_t)blen;
	if (len < *frame_len)
		return 0;
	crc = journal_crc32c(0, p, 8);
	crc = journal_crc32c(crc, p + FRAME_HEADER, blen);
	if (crc != get32(p + 8)) {
		*why = "crc mismatch";
		return -1;
	}
	tl = get16(p + 32);
	if (tl > blen - FRAME_FIXED_BODY) {
		*why = "bad topic length";
		return -1;
	}
	rec->seq = get64(p + 12);
	if (rec->seq == 0) {
		*why = "zero seq";
		return -1;
	}
	rec->received_ms = (int64_t)get64(p + 20);
	rec->flags = get32(p + 28);
	rec->topic = (const char *)p + JOURNAL_FRAME_OVERHEAD;
	rec->topic_len = tl;
	rec->payload = p + JOURNAL_FRAME_OVERHEAD + tl;
	rec->payload_len = blen - FRAME_FIXED_BODY - tl;
	return 1;
}

static void
seg_name(char out[SEG_NAME_MAX], uint64_t first)
{
	snprintf(out, SEG_NAME_MAX, "%0*" PRIu64 "%s", SEG_NAME_DIGITS, first,
	    SEG_NAME_SUFFIX);
}

/* Accepts exactly 20 digits + ".seg" naming a seq >= 1. */
static int
seg_parse(const char *name, uint64_t *first)
{
	char digits[SEG_NAME_DIGITS + 1];
	int i;

	if (strlen(name) != SEG_NAME_DIGITS + strlen(SEG_NAME_SUFFIX) ||
	    strcmp(name + SEG_NAME_DIGITS, SEG_NAME_SUFFIX) != 0)
		return -1;
	for (i = 0; i < SEG_NAME_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		digits[i] = name[i];
	}
	digits[SEG_NAME_DIGITS] = '\0';
	if (parse_u64(digits, first) == -1 || *first == 0)
		return -1;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
scan_init(struct scan *s, int fd, size_t cap)
{
	s->fd = fd;
	s->buf = xmalloc(cap);
	s->cap = cap;
	s->buf_off = 0;
	s->buf_len = 0;
	s->off = 0;
}

static void
scan_reset(struct scan *s, int fd)
{
	s->fd = fd;
	s->buf_off = 0;
	s->buf_len = 0;
	s->off = 0;
}

/*
 * Makes the file bytes [off, off+n) present in buf, reading ahead up to a
 * chunk but never past end. The caller has checked off + n <= end and
 * n <= cap. Returns 0, or -1 (logged) on a read error or a short file.
 */
static int
scan_fill(struct scan *s, size_t n, uint64_t end, const char *name)
{
	size_t want, got = 0;
	ssize_t r;

	if (s->off >= s->buf_off && s->off + n <= s->buf_off + s->buf_len)
		return 0;
	want = end - s->off > s->cap ? s->cap : (size_t)(end - s->off);
	while (got < want) {
		r = pread(s->fd, s->buf + got, want - got,
		    (off_t)(s->off + got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("journal: read failed segment=%s offset=%" PRIu64,
			    name, s->off + got);
			s->buf_len = 0;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	s->buf_off = s->off;
	s->buf_len = got;
	if (got < n) {
		log_warnx("journal: short read segment=%s offset=%" PRIu64
		    " want=%zu got=%zu", name, s->off, n, got);
		return -1;
	}
	return 0;
}

/*
 * Decodes the frame at s->off, which must end by end. Returns 1 with *rec
 * and *flen, 0 at end, -1 for a frame that does not verify (*why set; a
 * frame running past end is "truncated"), -2 on an I/O error (logged).
 * Does not advance s->off.
 */
static int
scan_next(struct scan *s, uint64_t end, uint32_t max_record, const char *name,
    struct journal_rec *rec, size_t *flen, const char **why)
{
	const uint8_t *p;
	uint64_t left;
	int r;

	if (s->off >= end)
		return 0;
	left = end - s->off;
	if (left < FRAME_HEADER) {
		*why = "truncated header";
		return -1;
	}
	if (scan_fill(s, FRAME_HEADER, end, name) == -1)
		return -2;
	p = s->buf + (s->off - s->buf_off);
	r = journal_frame_decode(p, FRAME_HEADER, max_record, rec, flen, why);
	if (r == -1)
		return -1;
	if (*flen > left) {
		*why = "truncated record";
		return -1;
	}
	if (scan_fill(s, *flen, end, name) == -1)
		return -2;
	p = s->buf + (s->off - s->buf_off);
	r = journal_frame_decode(p, *flen, max_record, rec, flen, why);
	if (r != 1) {
		if (*why == NULL)
			*why = "truncated record";
		return -1;
	}
	return 1;
}

static size_t
scan_cap(const struct journal *j)
{
	size_t frame = JOURNAL_FRAME_OVERHEAD + (size_t)j->o.max_record;

	return frame > SCAN_CHUNK ? frame : SCAN_CHUNK;
}

static void
journal_fail(struct journal *j)
{
	pthread_mutex_lock(&j->mu);
	j->failed = 1;
	pthread_mutex_unlock(&j->mu);
}

static int
syncs_enabled(const struct journal *j)
{
	return j->o.fsync_interval_ms >= 0;
}

static int
dir_sync(struct journal *j)
{
	if (!syncs_enabled(j))
		return 0;
	if (fsync(j->dirfd) == -1) {
		log_warn("journal: fsync of directory failed dir=%s", j->dir);
		return -1;
	}
	return 0;
}

/*
 * Flushes the parent of a directory we just created, so the directory's
 * own entry survives a power loss along with the records in it.
 */
static int
parent_sync(const char *dir)
{
	char *parent = xstrdup(dir), *slash;
	size_t n = strlen(parent);
	int fd, rc = -1;

	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = '\0';
	slash = strrchr(parent, '/');
	if (slash == NULL) {
		parent[0] = '.';
		parent[1] = '\0';
	} else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		log_warn("journal: fsync of parent directory failed dir=%s",
		    parent);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(parent);
	return rc;
}

/* Creates an empty segment file and flushes the directory. Returns the fd. */
static int
seg_create(struct journal *j, uint64_t first)
{
	char name[SEG_NAME_MAX];
	int fd;

	seg_name(name, first);
	fd = openat(j->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("journal: cannot create segment dir=%s segment=%s",
		    j->dir, name);
		return -1;
	}
	if (dir_sync(j) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Appends a segment to the list; mu held (or not yet shared). */
static void
seg_push(struct journal *j, uint64_t first, uint64_t last, uint64_t size)
{
	if (j->nsegs == j->segs_cap) {
		j->segs_cap = j->segs_cap == 0 ? 16 : j->segs_cap * 2;
		j->segs = xrealloc(j->segs, j->segs_cap * sizeof(*j->segs));
	}
	j->segs[j->nsegs].first = first;
	j->segs[j->nsegs].last = last;
	j->segs[j->nsegs].size = size;
	j->nsegs++;
}

/*
 * Starts a new active segment named first; wmu held. The old segment is
 * flushed first, so a segment is only ever followed by a newer one once its
 * own bytes are on disk (except with syncs off), and a flush of the active
 * segment is then a flush of everything.
 */
static int
journal_rotate(struct journal *j, uint64_t first)
{
	int fd, old;

	if (syncs_enabled(j) && fdatasync(j->fd) == -1) {
		log_warn("journal: fdatasync failed before rotation dir=%s",
		    j->dir);
		journal_fail(j);
		return -1;
	}
	if ((fd = seg_create(j, first)) == -1)
		return -1;
	pthread_mutex_lock(&j->smu);
	old = j->fd;
	j->fd = fd;
	pthread_mutex_unlock(&j->smu);
	close(old);
	j->wr_off = 0;
	pthread_mutex_lock(&j->mu);
	if (syncs_enabled(j) && j->next_seq > 1)
		j->synced_seq = j->next_seq - 1;
	seg_push(j, first, 0, 0);
	pthread_mutex_unlock(&j->mu);
	return 0;
}

static int
list_segments(struct journal *j, uint64_t **out, size_t *nout)
{
	struct dirent *de;
	uint64_t *v = NULL, first;
	size_t n = 0, cap = 0;
	DIR *d;
	int fd;

	*out = NULL;
	*nout = 0;
	if ((fd = openat(j->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("journal: cannot list dir=%s", j->dir);
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		if (seg_parse(de->d_name, &first) == -1) {
			log_warnx("journal: ignoring unknown file dir=%s "
			    "name=%.64s", j->dir, de->d_name);
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = first;
	}
	if (errno != 0) {
		log_warn("journal: cannot list dir=%s", j->dir);
		closedir(d);
		free(v);
		return -1;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_u64);
	*out = v;
	*nout = n;
	return 0;
}

/*
 * Verifies one segment during open and adds it to the list. *last_seq is
 * the highest seq accepted so far (across segments). The last segment is
 * cut at its first bad frame and kept open as the active one.
 */
static int
recover_segment(struct journal *j, struct scan *s, uint64_t first,
    int is_last, uint64_t *last_seq)
{
	char name[SEG_NAME_MAX];
	struct journal_rec rec;
	const char *why = NULL;
	struct stat st;
	uint64_t expect = first, seg_last = 0, size;
	size_t flen;
	int fd, r, rc = -1;

	seg_name(name, first);
	fd = openat(j->dirfd, name, (is_last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		log_warn("journal: cannot open segment dir=%s segment=%s",
		    j->dir, name);
		goto out;
	}
	size = (uint64_t)st.st_size;
	scan_reset(s, fd);
	for (;;) {
		r = scan_next(s, size, j->o.max_record, name, &rec, &flen, &why);
		if (r == -2)
			goto out;
		if (r <= 0)
			break;
		if (rec.seq != expect || rec.seq <= *last_seq) {
			why = "seq out of order";
			r = -1;
			break;
		}
		*last_seq = seg_last = rec.seq;
		expect = rec.seq + 1;
		s->off += flen;
	}
	if (r == -1 && is_last) {
		log_warnx("journal: truncating torn or corrupt tail dir=%s "
		    "segment=%s offset=%" PRIu64 " dropped=%" PRIu64 " bytes "
		    "after_seq=%" PRIu64 " reason=\"%s\"", j->dir, name, s->off,
		    size - s->off, seg_last, why);
		if (ftruncate(fd, (off_t)s->off) == -1) {
			log_warn("journal: cannot truncate segment=%s", name);
			goto out;
		}
	} else if (r == -1) {
		log_warnx("journal: corrupt record in older segment, skipping "
		    "the rest dir=%s segment=%s offset=%" PRIu64 " skipped=%"
		    PRIu64 " bytes after_seq=%" PRIu64 " reason=\"%s\"", j->dir,
		    name, s->off, size - s->off, seg_last, why);
	}
	/*
	 * After a SIGKILL the previous run's bytes may still be only in the
	 * page cache; flush them now so they are as safe as new ones.
	 */
	if (syncs_enabled(j) && fdatasync(fd) == -1) {
		log_warn("journal: fdatasync failed segment=%s", name);
		goto out;
	}
	seg_push(j, first, seg_last, s->off);
	j->total_bytes += s->off;
	if (is_last) {
		j->fd = fd;
		j->wr_off = s->off;
		fd = -1;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

static int
journal_recover(struct journal *j)
{
	struct scan s;
	uint64_t *firsts = NULL, last_seq = 0;
	size_t i, n;
	struct seg *act;
	int rc = -1;

	if (list_segments(j, &firsts, &n) == -1)
		return -1;
	scan_init(&s, -1, scan_cap(j));
	for (i = 0; i < n; i++) {
		if (recover_segment(j, &s, firsts[i], i + 1 == n,
		    &last_seq) == -1)
			goto out;
	}
	if (n == 0) {
		if ((j->fd = seg_create(j, 1)) == -1)
			goto out;
		j->wr_off = 0;
		seg_push(j, 1, 0, 0);
	}
	act = &j->segs[j->nsegs - 1];
	j->next_seq = act->last != 0 ? act->last + 1 : act->first;
	if (j->next_seq <= last_seq) {
		/*
		 * An empty active segment named below records of an older one
		 * (only a damaged or hand-edited directory gets here): its name
		 * cannot be the next seq, so start a new segment that can.
		 */
		log_warnx("journal: last segment is behind older ones dir=%s "
		    "next_seq=%" PRIu64 " last_seq=%" PRIu64, j->dir,
		    j->next_seq, last_seq);
		j->next_seq = last_seq + 1;
		if (journal_rotate(j, j->next_seq) == -1)
			goto out;
	}
	j->synced_seq = syncs_enabled(j) ? j->next_seq - 1 : 0;
	rc = 0;
out:
	free(s.buf);
	free(firsts);
	return rc;
}

static void
journal_free(struct journal *j)
{
	if (j->fd != -1)
		close(j->fd);
	if (j->dirfd != -1)
		close(j->dirfd);
	pthread_mutex_destroy(&j->wmu);
	pthread_mutex_destroy(&j->smu);
	pthread_mutex_destroy(&j->mu);
	free(j->segs);
	free(j->frame);
	free(j->dir);
	free(j);
}

struct journal *
journal_open(const char *dir, const struct journal_opts *opts)
{
	struct journal *j = NULL;
	struct journal_opts o;
	int created = 0;

	memset(&o, 0, sizeof(o));
	if (opts != NULL)
		o = *opts;
	if (o.segment_size == 0)
		o.segment_size = JOURNAL_SEGMENT_SIZE_DEFAULT;
	if (o.disk_budget == 0)
		o.disk_budget = JOURNAL_DISK_BUDGET_DEFAULT;
	if (o.max_record == 0)
		o.max_record = JOURNAL_MAX_RECORD_DEFAULT;
	if (o.max_record > JOURNAL_MAX_RECORD_LIMIT) {
		log_warnx("journal: max_record too large max_record=%" PRIu32
		    " limit=%u", o.max_record, JOURNAL_MAX_RECORD_LIMIT);
		return NULL;
	}
	if (dir == NULL || *dir == '\0') {
		log_warnx("journal: no directory given");
		return NULL;
	}
	if (mkdir(dir, 0700) == 0)
		created = 1;
	else if (errno != EEXIST) {
		log_warn("journal: cannot create dir=%s", dir);
		return NULL;
	}

	j = xcalloc(1, sizeof(*j));
	j->fd = -1;
	j->dir = xstrdup(dir);
	j->o = o;
	pthread_mutex_init(&j->wmu, NULL);
	pthread_mutex_init(&j->smu, NULL);
	pthread_mutex_init(&j->mu, NULL);
	j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd == -1) {
		log_warn("journal: cannot open dir=%s", dir);
		goto fail;
	}
	/* Two hubs appending to one journal would interleave frames. */
	if (flock(j->dirfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			log_warnx("journal: dir=%s is in use by another "
			    "journal (locked)", dir);
		else
			log_warn("journal: cannot lock dir=%s", dir);
		goto fail;
	}
	if (created && syncs_enabled(j) && parent_sync(dir) == -1)
		goto fail;
	j->frame_cap = JOURNAL_FRAME_OVERHEAD + (size_t)o.max_record;
	j->frame = xmalloc(j->frame_cap);
	if (journal_recover(j) == -1)
		goto fail;
	log_info("journal: opened dir=%s segments=%zu next_seq=%" PRIu64
	    " bytes=%" PRIu64 " fsync_interval_ms=%" PRId64, dir, j->nsegs,
	    j->next_seq, j->total_bytes, o.fsync_interval_ms);
	return j;
fail:
	journal_free(j);
	return NULL;
}

/* Flushes the active segment if anything is unflushed; smu held. */
static int
journal_flush(struct journal *j)
{
	uint64_t target, synced;
	int failed;

	pthread_mutex_lock(&j->mu);
	target = j->next_seq - 1;
	synced = j->synced_seq;
	failed = j->failed;
	pthread_mutex_unlock(&j->mu);
	if (failed) {
		log_warnx("journal: flush refused after an earlier I/O failure "
		    "dir=%s", j->dir);
		return -1;
	}
	if (target <= synced)
		return 0;
	if (fdatasync(j->fd) == -1) {
		log_warn("journal: fdatasync failed dir=%s", j->dir);
		journal_fail(j);
		return -1;
	}
	pthread_mutex_lock(&j->mu);
	if (target > j->synced_seq)
		j->synced_seq = target;
	pthread_mutex_unlock(&j->mu);
	return 1;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (syncs_enabled(j)) {
		pthread_mutex_lock(&j->smu);
		(void)journal_flush(j);
		pthread_mutex_unlock(&j->smu);
	}
	log_info("journal: closed dir=%s next_seq=%" PRIu64, j->dir,
	    j->next_seq);
	journal_free(j);
}

/* One frame, all of it: a short write is continued, EINTR retried. */
static int
write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	ssize_t r;

	while (n > 0) {
		r = pwrite(fd, p, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int
journal_append(struct journal *j, int64_t received_ms, uint32_t flags,
    const char *topic, size_t topic_len, const void *payload,
    size_t payload_len, uint64_t *seq_out)
{
	struct journal_rec rec;
	struct seg *act;
	uint64_t seq;
	size_t flen;
	int failed, rc = -1;

	pthread_mutex_lock(&j->wmu);
	pthread_mutex_lock(&j->mu);
	failed = j->failed;
	pthread_mutex_unlock(&j->mu);
	if (failed) {
		log_warnx("journal: append refused after an earlier I/O "
		    "failure dir=%s", j->dir);
		goto out;
	}
	if (topic_len > JOURNAL_TOPIC_MAX || payload_len > j->o.max_record ||
	    topic_len > j->o.max_record - payload_len) {
		log_warnx("journal: record too large topic_len=%zu "
		    "payload_len=%zu max_record=%" PRIu32, topic_len,
		    payload_len, j->o.max_record);
		goto out;
	}
	seq = j->next_seq;      /* written only under wmu, which we hold */
	flen = JOURNAL_FRAME_OVERHEAD + topic_len + payload_len;
	if (j->wr_off > 0 && j->wr_off + flen > j->o.segment_size &&
	    journal_rotate(j, seq) == -1)
		goto out;
	rec.seq = seq;
	rec.received_ms = received_ms;
	rec.flags = flags;
	rec.topic = topic;
	rec.topic_len = topic_len;
	rec.payload = payload;
	rec.payload_len = payload_len;
	if (journal_frame_encode(j->frame, j->frame_cap, &rec) != flen)
		fatalx("journal: frame encoding failed flen=%zu", flen);
	if (write_all(j->fd, j->frame, flen, j->wr_off) == -1) {
		log_warn("journal: write failed dir=%s seq=%" PRIu64
		    " offset=%" PRIu64, j->dir, seq, j->wr_off);
		/* Cut the partial frame so the next one follows valid data. */
		if (ftruncate(j->fd, (off_t)j->wr_off) == -1) {
			log_warn("journal: cannot cut a failed write dir=%s",
			    j->dir);
			journal_fail(j);
		}
		goto out;
	}
	j->wr_off += flen;
	pthread_mutex_lock(&j->mu);
	act = &j->segs[j->nsegs - 1];
	act->size = j->wr_off;
	act->last = seq;
	j->next_seq = seq + 1;
	j->total_bytes += flen;
	pthread_mutex_unlock(&j->mu);
	if (seq_out != NULL)
		*seq_out = seq;
	if (j->o.fsync_interval_ms == 0) {
		if (fdatasync(j->fd) == -1) {
			log_warn("journal: fdatasync failed dir=%s seq=%" PRIu64,
			    j->dir, seq);
			journal_fail(j);
			goto out;
		}
		pthread_mutex_lock(&j->mu);
		j->synced_seq = seq;
		pthread_mutex_unlock(&j->mu);
	}
	rc = 0;
out:
	pthread_mutex_unlock(&j->wmu);
	return rc;
}

int
journal_tick(struct journal *j, int64_t now_ms)
{
	int r;

	if (j->o.fsync_interval_ms <= 0)
		return 0;
	/* A flush already running (or a rotation) will do; try next tick. */
	if (pthread_mutex_trylock(&j->smu) != 0)
		return 0;
	if (j->ticked && now_ms - j->last_sync_ms < j->o.fsync_interval_ms) {
		pthread_mutex_unlock(&j->smu);
		return 0;
	}
	r = journal_flush(j);
	if (r == 1) {
		j->last_sync_ms = now_ms;
		j->ticked = 1;
	}
	pthread_mutex_unlock(&j->smu);
	return r < 0 ? -1 : 0;
}

int
journal_sync(struct journal *j)
{
	int r;

	pthread_mutex_lock(&j->smu);
	r = journal_flush(j);
	pthread_mutex_unlock(&j->smu);
	return r < 0 ? -1 : 0;
}

int
journal_advance_seq(struct journal *j, uint64_t next_seq)
{
	uint64_t old;
	int rc = -1;

	pthread_mutex_lock(&j->wmu);
	old = j->next_seq;
	if (next_seq <= old) {
		rc = 0;
		goto out;
	}
	log_warnx("journal: advancing seq dir=%s from=%" PRIu64 " to=%" PRIu64
	    " (the checkpoint is ahead of the journal: its tail or directory "
	    "was lost)", j->dir, old, next_seq);
	if (journal_rotate(j, next_seq) == -1)
		goto out;
	pthread_mutex_lock(&j->mu);
	j->next_seq = next_seq;
	if (syncs_enabled(j))   /* no records between: all flushed */
		j->synced_seq = next_seq - 1;
	pthread_mutex_unlock(&j->mu);
	rc = 0;
out:
	pthread_mutex_unlock(&j->wmu);
	return rc;
}

int
journal_release(struct journal *j, uint64_t upto)
{
	char name[SEG_NAME_MAX];
	uint64_t *del = NULL;
	size_t i, n = 0;
	int rc = 0;

	pthread_mutex_lock(&j->mu);
	if (upto > j->released)
		j->released = upto;
	/* Segment i holds seqs below segment i+1's first; never the active. */
	while (j->nsegs - n > 1 && j->segs[n + 1].first - 1 <= j->released)
		n++;
	if (n > 0) {
		del = xmalloc(n * sizeof(*del));
		for (i = 0; i < n; i++) {
			del[i] = j->segs[i].first;
			j->total_bytes -= j->segs[i].size;
		}
		memmove(j->segs, j->segs + n,
		    (j->nsegs - n) * sizeof(*j->segs));
		j->nsegs -= n;
	}
	pthread_mutex_unlock(&j->mu);
	if (n == 0)
		return 0;
	/* Readers still in a deleted segment keep reading their open fd. */
	for (i = 0; i < n; i++) {
		seg_name(name, del[i]);
		if (unlinkat(j->dirfd, name, 0) == -1 && errno != ENOENT) {
			log_warn("journal: cannot delete segment dir=%s "
			    "segment=%s", j->dir, name);
			rc = -1;
		}
	}
	if (dir_sync(j) == -1)
		rc = -1;
	log_debug("journal: released upto=%" PRIu64 " deleted=%zu", upto, n);
	free(del);
	return rc;
}

/*
 * The getters lock a const journal: locking does not change its value, so
 * the cast is honest.
 */
static void
lock_const(const struct journal *j)
{
	pthread_mutex_lock((pthread_mutex_t *)&j->mu);
}

static void
unlock_const(const struct journal *j)
{
	pthread_mutex_unlock((pthread_mutex_t *)&j->mu);
}

uint64_t
journal_next_seq(const struct journal *j)
{
	uint64_t v;

	lock_const(j);
	v = j->next_seq;
	unlock_const(j);
	return v;
}

uint64_t
journal_synced_seq(const struct journal *j)
{
	uint64_t v;

	lock_const(j);
	v = j->synced_seq;
	unlock_const(j);
	return v;
}

/*
 * Released segments other than the active one are deleted at once, so the
 * fully released ones form a short prefix (usually none or the active one):
 * this is O(1) in practice although called per message.
 */
static uint64_t
unreleased_locked(const struct journal *j)
{
	uint64_t v = j->total_bytes;
	size_t i;

	for (i = 0; i < j->nsegs && j->segs[i].last <= j->released; i++)
		v -= j->segs[i].size;
	return v;
}

uint64_t
journal_unreleased_bytes(const struct journal *j)
{
	uint64_t v;

	lock_const(j);
	v = unreleased_locked(j);
	unlock_const(j);
	return v;
}

int
journal_over_budget(const struct journal *j)
{
	uint64_t v;

	lock_const(j);
	v = unreleased_locked(j);
	unlock_const(j);
	return v > j->o.disk_budget;
}

struct journal_reader *
journal_reader_open(struct journal *j, uint64_t after_seq)
{
	struct journal_reader *r;

	r = xcalloc(1, sizeof(*r));
	r->j = j;
	r->after = after_seq;
	scan_init(&r->s, -1, scan_cap(j));
	return r;
}

void
journal_reader_free(struct journal_reader *r)
{
	if (r == NULL)
		return;
	if (r->s.fd != -1)
		close(r->s.fd);
	free(r->s.buf);
	free(r);
}

/* Index of the segment named first, or -1 if it was released; mu held. */
static long
seg_find(const struct journal *j, uint64_t first)
{
	size_t lo = 0, hi = j->nsegs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (j->segs[mid].first < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < j->nsegs && j->segs[lo].first == first ? (long)lo : -1;
}

/*
 * Moves the reader to its next segment: the one holding after+1 at first,
 * then the one after the current. Returns 1, 0 if there is none, -1 on
 * error (logged).
 */
static int
reader_advance(struct journal_reader *r)
{
	struct journal *j = r->j;
	char name[SEG_NAME_MAX];
	uint64_t first;
	size_t i;
	int fd;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		if (r->seg_first == 0) {
			/* The last segment whose first seq is <= after+1. */
			for (i = 0; i + 1 < j->nsegs; i++)
				if (j->segs[i + 1].first - 1 > r->after)
					break;
		} else {
			for (i = 0; i < j->nsegs; i++)
				if (j->segs[i].first > r->seg_first)
					break;
		}
		if (i == j->nsegs) {
			pthread_mutex_unlock(&j->mu);
			return 0;
		}
		first = j->segs[i].first;
		r->end = j->segs[i].size;
		r->is_last = i + 1 == j->nsegs;
		pthread_mutex_unlock(&j->mu);

		r->seg_first = first;
		seg_name(name, first);
		fd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT)
			continue;       /* released meanwhile: the next one */
		if (fd == -1) {
			log_warn("journal: reader cannot open dir=%s segment=%s",
			    j->dir, name);
			return -1;
		}
		scan_reset(&r->s, fd);
		r->expect = first;
		return 1;
	}
}

/* Refreshes the readable end; 0 if the segment has been released. */
static int
reader_refresh(struct journal_reader *r)
{
	struct journal *j = r->j;
	long i;

	pthread_mutex_lock(&j->mu);
	i = seg_find(j, r->seg_first);
	if (i >= 0) {
		r->end = j->segs[i].size;
		r->is_last = (size_t)i + 1 == j->nsegs;
	}
	pthread_mutex_unlock(&j->mu);
	return i >= 0;
}

static void
reader_close_seg(struct journal_reader *r)
{
	close(r->s.fd);
	r->s.fd = -1;
}

int
journal_reader_next(struct journal_reader *r, struct journal_rec *rec)
{
	char name[SEG_NAME_MAX];
	const char *why = NULL;
	size_t flen;
	int rc;

	for (;;) {
		if (r->s.fd == -1 && (rc = reader_advance(r)) <= 0)
			return rc;
		if (r->s.off >= r->end) {
			/*
			 * A segment released under us was sealed; its records
			 * are stored elsewhere, so skipping them is right.
			 */
			if (!reader_refresh(r)) {
				reader_close_seg(r);
				continue;
			}
			if (r->s.off >= r->end) {
				if (r->is_last)
					return 0;
				reader_close_seg(r);
				continue;
			}
		}
		seg_name(name, r->seg_first);
		rc = scan_next(&r->s, r->end, r->j->o.max_record, name, rec,
		    &flen, &why);
		if (rc == -2)
			return -1;
		if (rc == -1) {
			log_warnx("journal: reader found a bad record dir=%s "
			    "segment=%s offset=%" PRIu64 " reason=\"%s\"",
			    r->j->dir, name, r->s.off, why);
			return -1;
		}
		if (rc == 0)    /* cannot happen: off < end */
			return 0;
		if (rec->seq != r->expect || rec->seq <= r->last) {
			log_warnx("journal: reader found seq out of order "
			    "dir=%s segment=%s offset=%" PRIu64 " seq=%" PRIu64
			    " expected=%" PRIu64, r->j->dir, name, r->s.off,
			    rec->seq, r->expect);
			return -1;
		}
		r->s.off += flen;
		r->expect = rec->seq + 1;
		r->last = rec->seq;
		if (rec->seq > r->after)
			return 1;
	}
}
