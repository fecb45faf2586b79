/*
 * filecache: an operator's file (the GeoJSON of the vehicles map) kept in
 * memory and read again only when it changed. Each request costs one
 * stat(2): when the file's device, inode, size and modification time are
 * those of the copy in memory, the copy is served; otherwise the file is
 * read again. So an operator who replaces the file at run time (an editor
 * writing in place, or a new file moved over the old one) is served the
 * new one on the next request, without a restart, and a file removed is
 * "not there" at once, as when it was read on every request.
 *
 * One mutex per cache: requests run on many threads. The file has a size
 * limit; an empty file or one over the limit is unreadable.
 */
#ifndef SIMPUL_CONSOLE_FILECACHE_H
#define SIMPUL_CONSOLE_FILECACHE_H

#include <stddef.h>

struct filecache;

/* A cache of path (copied; NULL: no file configured), at most max bytes. */
struct filecache *filecache_new(const char *path, size_t max);
/* Accepts NULL. */
void filecache_free(struct filecache *fc);

/*
 * The file's content, NUL-terminated, as a heap copy the caller frees,
 * into *out. Returns 0; -1 (*out NULL) when no file is configured or it
 * cannot be opened; -2 (*out NULL) when it cannot be read, is empty or is
 * larger than max. Nothing is logged.
 */
int filecache_get(struct filecache *fc, char **out);

#endif
