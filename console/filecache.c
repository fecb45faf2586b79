/*
 * filecache: see filecache.h.
 */
#include "filecache.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct filecache {
	char *path;
	size_t max;
	pthread_mutex_t mu;
	/* The copy (NULL: none) and what the file was when it was read. */
	char *data;
	size_t len;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct filecache *
filecache_new(const char *path, size_t max)
{
	struct filecache *fc = xcalloc(1, sizeof(*fc));

	fc->path = path != NULL ? xstrdup(path) : NULL;
	fc->max = max;
	pthread_mutex_init(&fc->mu, NULL);
	return fc;
}

void
filecache_free(struct filecache *fc)
{
	if (fc == NULL)
		return;
	pthread_mutex_destroy(&fc->mu);
	free(fc->data);
	free(fc->path);
	free(fc);
}

static int
same_file(const struct filecache *fc, const struct stat *st)
{
	return fc->data != NULL && fc->dev == st->st_dev &&
	    fc->ino == st->st_ino && fc->size == st->st_size &&
	    fc->mtime.tv_sec == st->st_mtim.tv_sec &&
	    fc->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/*
 * Reads the file into fc (under mu). Its identity is taken from the open
 * file before reading: were it written to meanwhile, its modification
 * time moves on and the next request reads it again. 0, -1 or -2 as
 * filecache_get().
 */
static int
reload(struct filecache *fc)
{
	struct buf b;
	struct stat st;
	char chunk[65536];
	ssize_t n;
	int fd, rc = -2;

	free(fc->data);
	fc->data = NULL;
	if ((fd = open(fc->path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	buf_init(&b, fc->max);
	if (fstat(fd, &st) == -1)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)n) == -1)
			break;
	if (n != 0 || b.len == 0)
		goto out;
	buf_terminate(&b);
	fc->data = b.data;
	fc->len = b.len;
	b.data = NULL;
	fc->dev = st.st_dev;
	fc->ino = st.st_ino;
	fc->size = st.st_size;
	fc->mtime = st.st_mtim;
	rc = 0;
out:
	close(fd);
	buf_free(&b);
	return rc;
}

int
filecache_get(struct filecache *fc, char **out)
{
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (fc == NULL || fc->path == NULL)
		return -1;
	pthread_mutex_lock(&fc->mu);
	if (stat(fc->path, &st) == -1) {
		free(fc->data);
		fc->data = NULL;
		rc = -1;
	} else if (!same_file(fc, &st))
		rc = reload(fc);
	if (rc == 0) {
		*out = xmalloc(fc->len + 1);
		memcpy(*out, fc->data, fc->len + 1);
	}
	pthread_mutex_unlock(&fc->mu);
	return rc;
}
