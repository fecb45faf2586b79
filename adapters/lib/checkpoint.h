/*
 * checkpoint: a crash-safe record of how far an adapter has read its source
 * (a watermark, a last-seen id, a file offset), kept as one small file.
 *
 * The value is an opaque C string chosen by the adapter. A write goes to
 * "<path>.tmp", is fsync'ed, renamed over <path>, and the directory is
 * fsync'ed, so after a crash or power loss <path> holds either the old or the
 * new value, never a mix. A leftover "<path>.tmp" from a write that was cut
 * short is ignored (and removed by checkpoint_new()).
 *
 * The file carries a header with the value's length and CRC-32, so a file
 * damaged by something else (a disk error, a hand edit gone wrong) is
 * reported as an error instead of being taken for a different watermark.
 *
 * Contract for adapters: write the checkpoint only after every event up to
 * that point was acknowledged by the broker (publisher on_done ok, or
 * publisher_flush() returned 0). Then a crash re-reads at most the events
 * since the last checkpoint, and their deterministic ids make the repeat
 * harmless.
 *
 * One writer per path (one thread of one process); reads and writes of the
 * same struct must not run concurrently.
 */
#ifndef SIMPUL_CHECKPOINT_H
#define SIMPUL_CHECKPOINT_H

#include <stddef.h>

/* Longest value, in bytes without the NUL. */
#define CHECKPOINT_VALUE_MAX 4096

struct checkpoint;

/*
 * A checkpoint stored at path (the directory must exist). Removes a stale
 * "<path>.tmp". Returns NULL (after log_warnx) when path is empty or longer
 * than PATH_MAX.
 */
struct checkpoint *checkpoint_new(const char *path);
void checkpoint_free(struct checkpoint *cp);
const char *checkpoint_path(const struct checkpoint *cp);

/*
 * Reads the last complete value into out (NUL-terminated). Returns 1 with the
 * value, 0 when there is no checkpoint yet (the file does not exist), or -1
 * (logged) when the file cannot be read, is damaged, or the value does not
 * fit in outlen.
 */
int checkpoint_read(struct checkpoint *cp, char *out, size_t outlen);

/*
 * Replaces the value durably (see above). Returns 0 once the new value is on
 * disk, or -1 (logged) when it is too long (CHECKPOINT_VALUE_MAX) or a system
 * call failed; then the file holds the old or, rarely (only the directory
 * fsync failed), the new value.
 */
int checkpoint_write(struct checkpoint *cp, const char *value);

#endif
