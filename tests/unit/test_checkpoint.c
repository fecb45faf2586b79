/*
 * test_checkpoint: the crash-safe checkpoint (adapters/lib/checkpoint.c):
 * no file means "no checkpoint"; write then read; overwrite; a leftover
 * temporary file with garbage (a write cut short by a crash) is ignored and
 * removed; a damaged or truncated checkpoint file is an error, not a
 * different value; limits on the value's size.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "testlib.h"
#include "util.h"

static char dir[] = "/tmp/test_checkpoint.XXXXXX";

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK_INT(write(fd, data, len), (long long)len);
	close(fd);
}

static void
write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

static char *
read_file(const char *path, size_t *len)
{
	char *buf = xmalloc(65536);
	ssize_t n;
	int fd = open(path, O_RDONLY);

	*len = 0;
	if (fd == -1) {
		free(buf);
		return NULL;
	}
	n = read(fd, buf, 65535);
	close(fd);
	*len = n > 0 ? (size_t)n : 0;
	buf[*len] = '\0';
	return buf;
}

static void
test_basic(void)
{
	char *path = xasprintf("%s/basic", dir);
	char *tmp = xasprintf("%s/basic.tmp", dir);
	struct checkpoint *cp = checkpoint_new(path);
	char out[CHECKPOINT_VALUE_MAX + 1];
	struct stat st;

	CHECK(cp != NULL);
	CHECK_STR(checkpoint_path(cp), path);
	/* No file yet: "no checkpoint", not an error. */
	memcpy(out, "untouched", 10);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 0);
	CHECK_STR(out, "untouched");

	CHECK_INT(checkpoint_write(cp, "2026-11-27T10:00:00Z|SP2D-0001"), 0);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "2026-11-27T10:00:00Z|SP2D-0001");
	CHECK(stat(tmp, &st) == -1); /* renamed away */

	CHECK_INT(checkpoint_write(cp, "2026-11-27T11:00:00Z|SP2D-0002"), 0);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "2026-11-27T11:00:00Z|SP2D-0002");

	/* A fresh struct on the same path (a restarted adapter). */
	checkpoint_free(cp);
	cp = checkpoint_new(path);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "2026-11-27T11:00:00Z|SP2D-0002");

	/* Empty value and values with newlines and spaces are opaque. */
	CHECK_INT(checkpoint_write(cp, ""), 0);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "");
	CHECK_INT(checkpoint_write(cp, "line one\nline two \n"), 0);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "line one\nline two \n");

	/* The file is readable by an operator. */
	{
		size_t len;
		char *f = read_file(path, &len);

		CHECK(f != NULL && strncmp(f, "simpul-checkpoint 1 19 ",
		    23) == 0);
		free(f);
	}
	checkpoint_free(cp);
	free(path);
	free(tmp);
}

static void
test_crash_leftover(void)
{
	char *path = xasprintf("%s/crash", dir);
	char *tmp = xasprintf("%s/crash.tmp", dir);
	struct checkpoint *cp = checkpoint_new(path);
	char out[256];
	struct stat st;

	CHECK_INT(checkpoint_write(cp, "watermark-41"), 0);
	checkpoint_free(cp);

	/* A crash during the next write: the temporary file holds half a
	 * header and garbage. The old value must still be read. */
	write_str(tmp, "simpul-checkpoint 1 12 dead\x01\x02garbage");
	cp = checkpoint_new(path);
	CHECK(stat(tmp, &st) == -1); /* the leftover was removed */
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "watermark-41");

	/* A leftover that appears while running is ignored by reads, and a
	 * later write replaces it. */
	write_str(tmp, "garbage");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "watermark-41");
	CHECK_INT(checkpoint_write(cp, "watermark-42"), 0);
	CHECK(stat(tmp, &st) == -1);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "watermark-42");

	/* Crash before any checkpoint existed: still "no checkpoint". */
	{
		char *p2 = xasprintf("%s/crash2", dir);
		char *t2 = xasprintf("%s/crash2.tmp", dir);
		struct checkpoint *cp2;

		write_str(t2, "simpul-checkpoint 1 5 00000000\nabc");
		cp2 = checkpoint_new(p2);
		CHECK_INT(checkpoint_read(cp2, out, sizeof(out)), 0);
		checkpoint_free(cp2);
		free(p2);
		free(t2);
	}
	checkpoint_free(cp);
	free(path);
	free(tmp);
}

static void
test_damaged(void)
{
	char *path = xasprintf("%s/damaged", dir);
	struct checkpoint *cp = checkpoint_new(path);
	char out[256], *f;
	size_t len;

	CHECK_INT(checkpoint_write(cp, "watermark-7"), 0);
	f = read_file(path, &len);
	CHECK(f != NULL);
	if (f == NULL)
		goto out;

	/* One flipped byte in the value: checksum mismatch. */
	f[len - 2] ^= 1;
	write_file(path, f, len);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	f[len - 2] ^= 1;

	/* Truncated (no final newline, missing bytes). */
	write_file(path, f, len - 1);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	write_file(path, f, len - 4);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	/* Extra bytes. */
	write_str(path, "simpul-checkpoint 1 1 00000000\nab\n");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	/* Empty file, other file, bad header fields. */
	write_str(path, "");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	write_str(path, "watermark-7\n");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	write_str(path, "simpul-checkpoint 1 x 00000000\n\n");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	write_str(path, "simpul-checkpoint 1 0 0000000g\n\n");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);
	write_str(path, "simpul-checkpoint 1 -1 00000000\n\n");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), -1);

	/* The original bytes read fine again; an empty value's CRC is 0. */
	write_file(path, f, len);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "watermark-7");
	write_str(path, "simpul-checkpoint 1 0 00000000\n\n");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "");
	/* CRC-32 of "123456789" is the standard check value cbf43926. */
	write_str(path, "simpul-checkpoint 1 9 cbf43926\n123456789\n");
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_STR(out, "123456789");
out:
	free(f);
	checkpoint_free(cp);
	free(path);
}

static void
test_limits(void)
{
	char *path = xasprintf("%s/limits", dir);
	struct checkpoint *cp = checkpoint_new(path);
	char *big = xmalloc(CHECKPOINT_VALUE_MAX + 2);
	char small[8], out[CHECKPOINT_VALUE_MAX + 1];

	memset(big, 'w', CHECKPOINT_VALUE_MAX + 1);
	big[CHECKPOINT_VALUE_MAX + 1] = '\0';
	CHECK_INT(checkpoint_write(cp, big), -1);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 0);

	big[CHECKPOINT_VALUE_MAX] = '\0';
	CHECK_INT(checkpoint_write(cp, big), 0);
	CHECK_INT(checkpoint_read(cp, out, sizeof(out)), 1);
	CHECK_INT(strlen(out), CHECKPOINT_VALUE_MAX);
	/* A caller buffer too small is an error, not a truncated value. */
	CHECK_INT(checkpoint_read(cp, small, sizeof(small)), -1);

	/* Missing directory: the write fails and says so. */
	{
		char *p2 = xasprintf("%s/no/such/dir/cp", dir);
		struct checkpoint *cp2 = checkpoint_new(p2);

		CHECK(cp2 != NULL);
		CHECK_INT(checkpoint_write(cp2, "x"), -1);
		CHECK_INT(checkpoint_read(cp2, out, sizeof(out)), 0);
		checkpoint_free(cp2);
		free(p2);
	}
	CHECK(checkpoint_new("") == NULL);
	CHECK(checkpoint_new(NULL) == NULL);
	checkpoint_free(NULL);
	checkpoint_free(cp);
	free(big);
	free(path);
}

int
main(void)
{
	char *cmd;
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_basic();
	test_crash_leftover();
	test_damaged();
	test_limits();
	cmd = xasprintf("rm -rf -- '%s'", dir);
	rc = system(cmd);
	(void)rc;
	free(cmd);
	return testlib_done();
}
