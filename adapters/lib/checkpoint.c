/*
 * checkpoint: see checkpoint.h.
 *
 * File format (text, so an operator can read it with cat):
 *
 *   simpul-checkpoint 1 <length> <crc32 as 8 hex digits>\n
 *   <value: length bytes>\n
 *
 * The rename makes the switch atomic; the fsync of the temporary file before
 * the rename makes sure the renamed file has its data (otherwise a power loss
 * can leave a renamed, empty file on some filesystems); the fsync of the
 * directory makes the rename itself durable. The length and CRC are a second
 * line of defence, not part of the atomicity argument.
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define CHECKPOINT_MAGIC "simpul-checkpoint 1 "
/* Header: magic, up to 10 digits of length, space, 8 hex, newline. */
#define CHECKPOINT_FILE_MAX (CHECKPOINT_VALUE_MAX + 64)

struct checkpoint {
	char *path;
	char *tmp;
	char *dir;
};

static uint32_t
checkpoint_crc32(const char *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= (uint8_t)p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

struct checkpoint *
checkpoint_new(const char *path)
{
	struct checkpoint *cp;
	const char *slash;

	if (path == NULL || *path == '\0' ||
	    strnlen(path, PATH_MAX) >= PATH_MAX - 8) {
		log_warnx("checkpoint: bad path");
		return NULL;
	}
	cp = xcalloc(1, sizeof(*cp));
	cp->path = xstrdup(path);
	cp->tmp = xasprintf("%s.tmp", path);
	if ((slash = strrchr(path, '/')) == NULL)
		cp->dir = xstrdup(".");
	else if (slash == path)
		cp->dir = xstrdup("/");
	else
		cp->dir = xstrndup(path, (size_t)(slash - path));
	/* A temporary file left by a write that was cut short holds nothing
	 * that was promised to anyone: the old value is still in path. */
	if (unlink(cp->tmp) == 0)
		log_info("checkpoint: removed unfinished %s", cp->tmp);
	return cp;
}

void
checkpoint_free(struct checkpoint *cp)
{
	if (cp == NULL)
		return;
	free(cp->path);
	free(cp->tmp);
	free(cp->dir);
	free(cp);
}

const char *
checkpoint_path(const struct checkpoint *cp)
{
	return cp->path;
}

static int
checkpoint_hex32(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Checks the file image buf (n bytes) and points *value at the value.
 * Returns the value's length, or -1 with a reason in *why.
 */
static long
checkpoint_decode(char *buf, size_t n, const char **value, const char **why)
{
	size_t magic = sizeof(CHECKPOINT_MAGIC) - 1;
	char *nl, *sp;
	long len;
	uint32_t crc;

	*why = "bad header";
	if (n < magic || memcmp(buf, CHECKPOINT_MAGIC, magic) != 0)
		return -1;
	if ((nl = memchr(buf, '\n', n)) == NULL)
		return -1;
	*nl = '\0';
	if ((sp = strchr(buf + magic, ' ')) == NULL)
		return -1;
	*sp = '\0';
	if (parse_long(buf + magic, 0, CHECKPOINT_VALUE_MAX, &len) == -1)
		return -1;
	if (strlen(sp + 1) != 8 || checkpoint_hex32(sp + 1, &crc) == -1)
		return -1;
	*why = "truncated or too long";
	if ((size_t)(nl + 1 - buf) + (size_t)len + 1 != n || buf[n - 1] != '\n')
		return -1;
	*value = nl + 1;
	*why = "checksum mismatch";
	if (checkpoint_crc32(*value, (size_t)len) != crc)
		return -1;
	*why = "NUL byte in value";
	if (memchr(*value, '\0', (size_t)len) != NULL)
		return -1;
	return len;
}

int
checkpoint_read(struct checkpoint *cp, char *out, size_t outlen)
{
	char *buf = xmalloc(CHECKPOINT_FILE_MAX + 1);
	const char *value = NULL, *why = NULL;
	size_t n = 0;
	ssize_t r;
	long len;
	int fd, rv = -1;

	if ((fd = open(cp->path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			rv = 0;
		else
			log_warn("checkpoint: open %s", cp->path);
		goto out;
	}
	/* Read one byte more than a valid file can have, to see too long. */
	while (n < CHECKPOINT_FILE_MAX + 1) {
		r = read(fd, buf + n, CHECKPOINT_FILE_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("checkpoint: read %s", cp->path);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if ((len = checkpoint_decode(buf, n, &value, &why)) == -1) {
		log_warnx("checkpoint: %s is damaged (%s)", cp->path, why);
		goto out;
	}
	if ((size_t)len >= outlen) {
		log_warnx("checkpoint: %s: value of %ld bytes does not fit",
		    cp->path, len);
		goto out;
	}
	memcpy(out, value, (size_t)len);
	out[len] = '\0';
	rv = 1;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return rv;
}

static int
checkpoint_write_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
checkpoint_write(struct checkpoint *cp, const char *value)
{
	struct buf b;
	size_t len = strnlen(value, CHECKPOINT_VALUE_MAX + 1);
	int fd = -1, dfd = -1, rv = -1, renamed = 0;

	buf_init(&b, CHECKPOINT_FILE_MAX);
	if (len > CHECKPOINT_VALUE_MAX) {
		log_warnx("checkpoint: %s: value longer than %d bytes",
		    cp->path, CHECKPOINT_VALUE_MAX);
		goto out;
	}
	if (buf_appendf(&b, "%s%zu %08x\n", CHECKPOINT_MAGIC, len,
	    checkpoint_crc32(value, len)) == -1 ||
	    buf_append(&b, value, len) == -1 || buf_append(&b, "\n", 1) == -1)
		fatalx("checkpoint: buffer limit");
	if ((fd = open(cp->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("checkpoint: create %s", cp->tmp);
		goto out;
	}
	if (checkpoint_write_all(fd, b.data, b.len) == -1) {
		log_warn("checkpoint: write %s", cp->tmp);
		goto out;
	}
	if (fsync(fd) == -1) {
		log_warn("checkpoint: fsync %s", cp->tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn("checkpoint: close %s", cp->tmp);
		goto out;
	}
	fd = -1;
	if (rename(cp->tmp, cp->path) == -1) {
		log_warn("checkpoint: rename %s", cp->tmp);
		goto out;
	}
	renamed = 1;
	if ((dfd = open(cp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		log_warn("checkpoint: fsync directory %s", cp->dir);
		goto out;
	}
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (rv == -1 && !renamed)
		unlink(cp->tmp);
	buf_free(&b);
	return rv;
}
