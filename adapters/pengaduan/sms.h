/*
 * sms: complaints by SMS, from the inbox directory of Gammu SMSD's "files"
 * backend (gammu-smsd-files(7)).
 *
 * Gammu writes each received message part as one file in the inbox:
 *
 *	IN<YYYYMMDD>_<HHMMSS>_<serial>_<sender>_<part>.<ext>
 *	IN20261127_091502_00_+6281234567890_00.txt
 *
 * date and time from the SMSC timestamp (local time of the modem's network;
 * the zone is config), serial 00..99 to tell apart messages of the same
 * sender in the same second, sender the number (or an alphanumeric name),
 * part 00, 01, ... for the parts of a long (concatenated) message, ext "txt"
 * for text, "bin" for 8-bit data. The content is the text in the encoding of
 * InboxFormat: "standard" writes the locale's encoding (UTF-8 on any modern
 * system), "unicode" writes UTF-16 after a byte order mark (Gammu itself
 * writes FE FF and big-endian text; files converted by other tools carry
 * FF FE and little-endian text), "detail" writes SMS backup files, which are
 * not supported (they are moved to the error folder with a log line).
 *
 * Decoding (sms_text_decode()): a UTF-8 BOM is dropped, FF FE / FE FF select
 * UTF-16LE / UTF-16BE, text without a BOM that is not valid UTF-8 is taken
 * as ISO-8859-1 (a legacy locale), and NUL bytes with an even length and no
 * BOM are recognised as BOM-less UTF-16 by where the zero bytes sit.
 *
 * Joining: the parts of one message share sender and serial, and Gammu
 * writes them together once the modem has them all, each with its own
 * SMSC timestamp (usually equal, sometimes a second or two apart). So a part
 * nn > 00 belongs to the part 00 of the same sender and serial whose time
 * is closest, within SMS_PART_SKEW_S. A message is ready when all its files
 * are older than settle_ms (Gammu writes in place: a younger file may be
 * half-written) and its parts run 00..N without a gap; a message with a gap
 * or without its part 00 is handed over anyway once part_timeout_ms has
 * passed since its newest file, with "[...]" where text is missing.
 *
 * Acknowledging: sms_inbox_poll() hands each ready message to a callback,
 * which publishes it and passes the ticket as the publisher's on_done
 * argument; sms_inbox_done() then moves the files to the done folder (ok)
 * or lets them be retried after retry_ms (not ok). So a file leaves the
 * inbox only after the broker acknowledged its event; after a crash the
 * files still in the inbox are read again, and the event's deterministic id
 * (built from the file names and the text's digest, see struct sms_message)
 * makes the repeat harmless. Messages that can never become a complaint
 * (8-bit data, SMS backup files, undecodable text, refused by the schema)
 * are moved to the error folder. Moves never replace a file already there
 * (a ".1", ".2", ... suffix is added). Inbox, done and error must be on one
 * filesystem (rename(2)); sms_inbox_new() checks.
 */
#ifndef SIMPUL_SMS_H
#define SIMPUL_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SMS_NAME_MAX 200	/* bytes of an inbox file name */
#define SMS_NUMBER_MAX 64	/* bytes of the sender */
#define SMS_PARTS_MAX 100	/* parts of one message (Gammu: 00..99) */
#define SMS_SCAN_MAX 4096	/* inbox files looked at per poll */
#define SMS_PART_SKEW_S 120	/* parts of one message, seconds apart */
#define SMS_TEXT_MAX 65536	/* bytes of a joined message */

enum sms_ext { SMS_EXT_TXT, SMS_EXT_BIN, SMS_EXT_OTHER };

/* A parsed inbox file name. */
struct sms_name {
	int year, month, day, hour, min, sec;
	int serial;
	int part;
	char number[SMS_NUMBER_MAX + 1];
	enum sms_ext ext;
};

/*
 * Parses an inbox file name (the part after the last '/'). Returns 0, or
 * -1 when it is not a Gammu inbox name: "IN", a valid date and time, a
 * serial and a part of two digits each (Gammu writes %02i), a sender of
 * 1..SMS_NUMBER_MAX bytes of printable ASCII or UTF-8 without '/', and an
 * extension of 1..16 letters or digits.
 */
int sms_name_parse(const char *name, struct sms_name *out);

/* The name's time in ms since the epoch, its zone tz_offset_min east. */
int64_t sms_name_time(const struct sms_name *n, int tz_offset_min);

/*
 * Groups parsed names into messages (see "Joining" above): group[i] gets
 * the index of the message name i belongs to, 0..(return value - 1).
 * Messages are numbered in order of their first part's time.
 */
size_t sms_group(const struct sms_name *names, size_t n, size_t *group);

/*
 * Appends the text of one file (see "Decoding" above) to out as UTF-8.
 * Returns 0; -1 with the reason in err when the text cannot be decoded
 * (invalid UTF-16); -2 when out's limit was reached (out holds a prefix).
 */
int sms_text_decode(const void *data, size_t len, struct buf *out,
    char *err, size_t errlen);

struct sms_config {
	const char *inbox;
	const char *done;
	const char *error;
	int64_t settle_ms;	/* a file is read once it is this old */
	int64_t part_timeout_ms; /* a message with a gap waits this long */
	int64_t retry_ms;	/* after a failed publish */
	int tz_offset_min;	/* the zone of the times in file names */
	size_t max_file;	/* bytes of one file; larger is an error */
};

/* One message handed to the callback; valid during the call only. */
struct sms_message {
	const char *number;	/* the sender */
	const char *text;	/* UTF-8, parts joined, cleaned; may be "" */
	int64_t received_ms;	/* the first part's time */
	/*
	 * The id's record key and version: the file names joined with "+",
	 * and a digest of the text. A re-read of the same files gives the
	 * same pair; a later message that reuses a name (Gammu picks names
	 * by what is in the inbox) differs in its text and gets a new id.
	 */
	const char *key;
	const char *digest;
	int nparts;		/* files joined */
	int missing;		/* parts missing (gaps, no part 00) */
	int truncated;		/* text cut at SMS_TEXT_MAX bytes */
};

enum sms_verdict {
	SMS_PUBLISHED,	/* sms_inbox_done(ticket, ok) will follow, once */
	SMS_REFUSED,	/* never a complaint: move the files to error */
	SMS_BUSY,	/* publisher full: stop, try again next poll */
};

typedef enum sms_verdict (*sms_message_fn)(void *arg,
    const struct sms_message *m, void *ticket);

struct sms_inbox;

/*
 * Checks that the three folders exist, are directories and are on one
 * filesystem. Returns NULL (logged) otherwise. Strings are copied.
 */
struct sms_inbox *sms_inbox_new(const struct sms_config *cfg);

/*
 * Scans the inbox once and hands at most max ready messages to fn, oldest
 * first, skipping those in flight or waiting for a retry. now_ms is the
 * wall clock (files carry wall-clock times). Returns the number handed
 * over, or -1 (logged) when the inbox cannot be read.
 */
int sms_inbox_poll(struct sms_inbox *in, int64_t now_ms, size_t max,
    sms_message_fn fn, void *arg);

/*
 * The publisher's on_done for a ticket: ok moves the message's files to the
 * done folder, not ok makes it wait retry_ms. Thread-safe; call once per
 * SMS_PUBLISHED ticket, before sms_inbox_free().
 */
void sms_inbox_done(void *ticket, int ok);

struct sms_inbox_stats {
	uint64_t published;	/* handed over with SMS_PUBLISHED */
	uint64_t done;		/* moved to done */
	uint64_t refused;	/* moved to error */
	uint64_t failed;	/* on_done not ok, to be retried */
	size_t inflight;
};
void sms_inbox_stats(struct sms_inbox *in, struct sms_inbox_stats *st);

/* Frees the inbox; tickets still in flight are dropped. Accepts NULL. */
void sms_inbox_free(struct sms_inbox *in);

#endif
