/*
 * fuzz_journal: journal recovery on an arbitrary segment file.
 *
 * The input becomes the only segment (00000000000000000001.seg) of a fresh
 * journal directory. Then: journal_open() (recovery must succeed: corruption
 * is never fatal), read everything, append one record, close, reopen and
 * read again. Besides "never crash", it checks what recovery promises and
 * abort()s when a promise is broken: every record recovered reads back with
 * increasing seqs, the next seq follows the last one, and a second recovery
 * finds exactly the same records plus the appended one (recovery is
 * idempotent once it has cut the tail). The frame decoder is also run over
 * the raw bytes.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"

#define FUZZ_MAX_RECORD 4096

static void
rm_tree(const char *root, const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
	rmdir(root);
}

/*
 * Reads all records; returns the count, *last the last seq, *tail_ok 1 if
 * the last record is the fuzzer's own. Aborts on a broken promise.
 */
static long
read_all(struct journal *j, uint64_t *last, int *tail_ok)
{
	struct journal_reader *r = journal_reader_open(j, 0);
	struct journal_rec rec;
	long n = 0;
	int rc;

	*last = 0;
	*tail_ok = 0;
	while ((rc = journal_reader_next(r, &rec)) == 1) {
		if (rec.seq <= *last)
			abort();
		*last = rec.seq;
		*tail_ok = rec.topic_len == 6 &&
		    memcmp(rec.topic, "fuzz/t", 6) == 0 &&
		    rec.payload_len == 1 &&
		    memcmp(rec.payload, "x", 1) == 0 && rec.flags == 7;
		n++;
	}
	if (rc != 0)
		abort();
	journal_reader_free(r);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char root[64], dir[96], path[160];
	struct journal_opts o;
	struct journal_rec rec;
	struct journal *j;
	const char *why;
	uint64_t last, last2, seq = 0;
	size_t off, flen;
	long n, n2;
	int tail_ok;
	FILE *f;

	/* Every damaged input logs its cut; keep at least the info lines out. */
	log_init("fuzz_journal", LOG_LEVEL_WARN);

	/* The decoder alone, over the raw bytes. */
	for (off = 0; off < size;) {
		if (journal_frame_decode(data + off, size - off,
		    FUZZ_MAX_RECORD, &rec, &flen, &why) != 1)
			break;
		off += flen;
	}

	snprintf(root, sizeof(root), "/tmp/simpul-fuzz-journal-XXXXXX");
	if (mkdtemp(root) == NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%s/j", root);
	snprintf(path, sizeof(path), "%s/%020d.seg", dir, 1);
	if (mkdir(dir, 0700) == -1 || (f = fopen(path, "wb")) == NULL)
		goto out;
	if (size > 0 && fwrite(data, 1, size, f) != size) {
		fclose(f);
		goto out;
	}
	fclose(f);

	memset(&o, 0, sizeof(o));
	o.segment_size = 4096;
	o.fsync_interval_ms = -1;
	o.max_record = FUZZ_MAX_RECORD;
	if ((j = journal_open(dir, &o)) == NULL)
		abort();
	n = read_all(j, &last, &tail_ok);
	if (journal_next_seq(j) != (n > 0 ? last + 1 : 1))
		abort();
	if (journal_append(j, 1, 7, "fuzz/t", 6, "x", 1, &seq) == -1 ||
	    seq != (n > 0 ? last + 1 : 1))
		abort();
	journal_close(j);

	if ((j = journal_open(dir, &o)) == NULL)
		abort();
	n2 = read_all(j, &last2, &tail_ok);
	if (n2 != n + 1 || last2 != seq || !tail_ok ||
	    journal_next_seq(j) != seq + 1)
		abort();
	journal_close(j);
out:
	rm_tree(root, dir);
	return 0;
}
