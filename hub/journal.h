/*
 * journal: the hub's local write-ahead journal.
 *
 * Paho MQTT C sends the PUBACK of a QoS 1 message as soon as the
 * message-arrived callback returns, and has no way to delay it. So the
 * callback appends the message here before it returns: once acked, a message
 * is in the journal, and a hub killed with SIGKILL at any moment loses
 * nothing (the bytes are in the kernel's page cache). A writer thread reads
 * the journal from the last checkpoint, stores batches in PostgreSQL together
 * with the checkpoint (the highest seq committed) and then releases the
 * journal up to that seq. docs/journal.md describes the format, the recovery
 * rules and the protocol with PostgreSQL.
 *
 * On disk the journal is a directory of segment files, each named by the seq
 * of its first record ("00000000000000000001.seg", 20 digits), holding
 * framed, CRC32C-checked records with seqs 1, 2, 3, ... that never restart.
 *
 * Durability (fsync_interval_ms), like PostgreSQL's synchronous_commit:
 *   0   fdatasync(2) after every append: every acked message survives a power
 *       loss or kernel crash. Costs one disk flush per message.
 *   N>0 journal_tick() flushes when N ms have passed since the last flush and
 *       something was appended: a SIGKILL of the hub still loses nothing, but
 *       a power loss or kernel crash may lose the messages acked in the last
 *       N ms (plus the caller's tick period).
 *   <0  never flushes on its own (tests and benchmarks); journal_sync() still
 *       does.
 *
 * Threads: every function may be called from any thread. One appender
 * (the MQTT callback) and one or more readers (the writer thread) run
 * concurrently; a journal_reader object belongs to one thread at a time and
 * must be freed before journal_close(). A flush in journal_tick() or
 * journal_sync() does not block journal_append() (only a rotation, rare,
 * waits for a running flush), so callers need no lock of their own.
 *
 * Errors: functions return 0 / -1 (NULL for constructors) and log the
 * failure once, here, with the reason.
 */
#ifndef SIMPUL_JOURNAL_H
#define SIMPUL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_SEGMENT_SIZE_DEFAULT (64ULL * 1024 * 1024)
#define JOURNAL_DISK_BUDGET_DEFAULT (1024ULL * 1024 * 1024)
#define JOURNAL_MAX_RECORD_DEFAULT (1024U * 1024 + 64 * 1024)
/* The largest max_record journal_open() accepts: readers hold one frame. */
#define JOURNAL_MAX_RECORD_LIMIT (64U * 1024 * 1024)
/* Frame bytes besides topic and payload (12-byte header, 22-byte fixed body). */
#define JOURNAL_FRAME_OVERHEAD 34U
#define JOURNAL_TOPIC_MAX 65535U

struct journal;
struct journal_reader;

/*
 * Options. A zero segment_size, disk_budget or max_record takes the default;
 * fsync_interval_ms has no default because 0 means "flush every append"
 * (so a zeroed struct, like opts == NULL, is the safest setting).
 */
struct journal_opts {
	uint64_t segment_size;      /* rotate after this many bytes (default 64 MiB) */
	int64_t fsync_interval_ms;  /* 0: every append; >0: journal_tick(); <0: never */
	uint64_t disk_budget;       /* journal_over_budget() above this (default 1 GiB) */
	uint32_t max_record;        /* largest topic+payload (default 1 MiB + 64 KiB) */
};

struct journal_rec {
	uint64_t seq;          /* 1, 2, 3, ... strictly increasing across restarts */
	int64_t received_ms;   /* wall clock when the hub received it */
	uint32_t flags;        /* opaque to the journal */
	/* Not NUL-terminated; valid until the next journal_reader_next(). */
	const char *topic;
	size_t topic_len;
	const void *payload;
	size_t payload_len;
};

/*
 * Opens the journal in dir (creating the directory, mode 0700, if it does
 * not exist; its parent must) and recovers it: scans the segments in order,
 * verifies every record, truncates a torn or corrupt tail of the last
 * segment (logged with the bytes dropped) and sets the next seq. Corruption
 * inside an older segment is logged and the rest of that segment skipped;
 * it is never fatal. The directory is locked (flock) against a second
 * opener. Returns NULL on error (bad options, I/O error, locked; logged).
 */
struct journal *journal_open(const char *dir, const struct journal_opts *opts);
/* Flushes (unless fsync_interval_ms < 0) and frees. Accepts NULL. */
void journal_close(struct journal *j);

/*
 * Appends one record with a single pwrite(2) of a frame built in a reusable
 * buffer (no allocation per call), then fdatasync(2) if fsync_interval_ms is
 * 0. May first rotate to a new segment. Returns 0 and the record's seq in
 * *seq_out (may be NULL), or -1 (logged) when the record is too large
 * (topic_len + payload_len > max_record or topic_len > 65535) or on an I/O
 * error. A failed write is cut off again, so the journal stays usable (e.g.
 * after ENOSPC); a failed flush or cut leaves the journal refusing all
 * further appends, because after a failed fdatasync the kernel may have
 * dropped the dirty pages and nothing tells which bytes reached the disk
 * (PostgreSQL's "fsyncgate" rule). The budget never refuses an append.
 */
int journal_append(struct journal *j, int64_t received_ms, uint32_t flags,
    const char *topic, size_t topic_len, const void *payload,
    size_t payload_len, uint64_t *seq_out);

/*
 * Flushes if something was appended and fsync_interval_ms > 0 has elapsed
 * since the last flush; now_ms is the caller's monotonic clock. Call it after
 * appends and from a timer (well under the interval), or data appended
 * before a quiet period stays unflushed. Returns 0, or -1 (logged) if the
 * flush failed (the journal then refuses appends).
 */
int journal_tick(struct journal *j, int64_t now_ms);
/* Flushes now if anything is unflushed, whatever the policy. 0 / -1. */
int journal_sync(struct journal *j);

/*
 * Makes sure the next seq is at least next_seq, starting a new (empty)
 * segment named next_seq if it is not. The hub calls this on start with the
 * PostgreSQL checkpoint + 1: if the journal lost its tail (a power loss with
 * fsync_interval_ms > 0) or its directory, new records must not reuse seqs
 * that the checkpoint already covers, or replay would skip them. Logged when
 * it advances. Returns 0 / -1.
 */
int journal_advance_seq(struct journal *j, uint64_t next_seq);

/*
 * A reader yields the records with seq > after_seq in order, following
 * rotations and the appender. journal_reader_next() returns 1 with *rec
 * filled (its pointers valid until the next call), 0 when there is nothing
 * more right now (a later call may return more), -1 on an I/O error or a
 * record that no longer verifies (logged; the reader stays put, so the
 * caller stops rather than skips).
 */
struct journal_reader *journal_reader_open(struct journal *j,
    uint64_t after_seq);
int journal_reader_next(struct journal_reader *r, struct journal_rec *rec);
void journal_reader_free(struct journal_reader *r); /* accepts NULL */

/*
 * Declares every record with seq <= upto durably stored elsewhere: deletes
 * the segments whose records are all <= upto, never the active one, and
 * flushes the directory. Returns 0, or -1 (logged) if a file could not be
 * deleted (it is then recovered and replayed on the next start, which the
 * checkpoint makes harmless).
 */
int journal_release(struct journal *j, uint64_t upto);

/* The seq the next append gets. */
uint64_t journal_next_seq(const struct journal *j);
/* The highest seq known flushed to disk (0 if none since open). */
uint64_t journal_synced_seq(const struct journal *j);
/*
 * Bytes of the segments that still hold a record above the release point.
 * Counts whole segments, so it overestimates by less than one segment: set
 * disk_budget well above segment_size. Drops to 0 once everything appended
 * is released, even though the active segment stays on disk.
 */
uint64_t journal_unreleased_bytes(const struct journal *j);
/*
 * 1 when journal_unreleased_bytes() exceeds disk_budget. The hub then stops
 * consuming from the broker until it drops below (appends still succeed:
 * messages already in flight must be journaled, never dropped).
 */
int journal_over_budget(const struct journal *j);

/*
 * The frame codec, public for tests, fuzzing and tools. CRC32C (Castagnoli)
 * of n bytes continuing from crc (start with 0).
 */
uint32_t journal_crc32c(uint32_t crc, const void *p, size_t n);
/* The same in portable C, whatever the CPU has (for the tests). */
uint32_t journal_crc32c_sw(uint32_t crc, const void *p, size_t n);
/*
 * Encodes rec as one frame into out. Returns the frame length
 * (JOURNAL_FRAME_OVERHEAD + topic_len + payload_len), or 0 if it does not fit
 * in cap or topic_len > JOURNAL_TOPIC_MAX.
 */
size_t journal_frame_encode(void *out, size_t cap,
    const struct journal_rec *rec);
/*
 * Decodes the frame at p (len bytes available). Returns 1 with *rec pointing
 * into p and *frame_len set; 0 if more bytes are needed (*frame_len is the
 * total needed once the header is readable, else the header size); -1 if the
 * bytes are not a valid frame (bad magic, a length outside 22..22+max_record,
 * a CRC mismatch, a topic longer than the body), with *why a static reason.
 */
int journal_frame_decode(const void *p, size_t len, uint32_t max_record,
    struct journal_rec *rec, size_t *frame_len, const char **why);

#endif
