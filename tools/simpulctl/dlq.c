/*
 * simpulctl dlq: the dead letters the hub kept (messages that failed
 * parsing, the envelope, their schema, ...), to list, inspect and replay.
 *
 *   simpulctl dlq list [--reason R] [--since W] [--pending] [--limit N]
 *   simpulctl dlq show ID [--raw] [--json]
 *   simpulctl dlq replay ID [--payload FILE|-] [--topic T] [--actor NAME]
 *                           [--force] [--timeout DUR]
 *
 * Replaying goes through the normal path: the payload (the stored bytes,
 * or a payload the operator fixed) is published with QoS 1 on the dead
 * letter's original topic (or --topic), so the hub validates, stores and
 * routes it like any other message; if it is still wrong it becomes a new
 * dead letter. The dead letter is marked (replayed_at, replayed_by) only
 * after the broker's PUBACK, in the transaction that holds its row lock
 * since it was read: two operators replaying the same dead letter at once
 * cannot both publish (the second is told it is in progress), and a
 * replay whose publish failed leaves no mark. If the mark itself fails
 * after the PUBACK, the message is on its way and the command says so; a
 * second replay would only be a duplicate, which the hub recognises by the
 * event id. The row lock is held for at most the broker timeout. That
 * transaction is the hub store's store_dead_letter_replay() (hub/store.c),
 * which simpul-console's replay runs as well, so the two cannot differ.
 *
 * Payloads are shown as text when they are valid UTF-8 (control characters
 * escaped, so a hostile payload cannot drive the terminal), else as a hex
 * dump; --raw writes the exact bytes and nothing else.
 *
 * Exit status: 0 done; 1 no such dead letter, already replayed (without
 * --force), being replayed by someone else; 2 usage; 3 PostgreSQL or the
 * broker failed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "db.h"
#include "log.h"
#include "mqttpub.h"
#include "opts.h"
#include "store.h"
#include "util.h"

#define DLQ_LIMIT_DEFAULT	50
#define DLQ_LIMIT_MAX		10000
/* Largest payload fetched, shown or replayed (the hub's own cap is 16M). */
#define DLQ_PAYLOAD_MAX		((size_t)64 << 20)
/* Shown on a terminal before "... N more bytes". */
#define DLQ_SHOW_MAX		((size_t)64 << 10)

static const char sql_show[] =
    "SELECT id, reason, detail, topic, event_id,"
    " " DB_RFC3339("received_at") " AS received_at,"
    " " DB_RFC3339("stored_at") " AS stored_at, instance, journal_seq,"
    " " DB_RFC3339("replayed_at") " AS replayed_at, replayed_by,"
    " octet_length(payload) AS payload_bytes,"
    " CASE WHEN octet_length(payload) <= $2::bigint THEN payload END"
    " AS payload"
    " FROM dead_letter WHERE id = $1::bigint";
enum { S_ID, S_REASON, S_DETAIL, S_TOPIC, S_EVENT_ID, S_RECEIVED, S_STORED,
	S_INSTANCE, S_SEQ, S_REPLAYED_AT, S_REPLAYED_BY, S_BYTES, S_PAYLOAD };

static void
dlq_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl dlq list [--reason R] [--since W] [--pending]\n"
	    "                          [--limit N] [-c FILE] [--json]\n"
	    "       simpulctl dlq show ID [--raw] [-c FILE] [--json]\n"
	    "       simpulctl dlq replay ID [--payload FILE|-] [--topic T]\n"
	    "                          [--actor NAME] [--force] [--timeout DUR]\n"
	    "                          [-c FILE] [--json]\n"
	    "\n"
	    "list:   dead letters, newest first.\n"
	    "show:   one dead letter with its payload (text if UTF-8, else hex).\n"
	    "replay: publish it again (QoS 1) so the hub validates it anew, then\n"
	    "        mark it replayed; with --payload, publish a fixed payload.\n"
	    "\n"
	    "  --reason R      only this reason (invalid_json, too_large, envelope,\n"
	    "                  schema, opd_mismatch, unknown_type, id_conflict)\n"
	    "  --since W       received at or after W: a duration before now\n"
	    "                  (15m, 24h, 7d) or RFC 3339\n"
	    "  --pending       only those not replayed yet\n"
	    "  --limit N       at most N, 1..%d (default %d)\n"
	    "  --raw           (show) write the exact payload bytes, nothing else\n"
	    "  --payload FILE  (replay) publish FILE's bytes (- for stdin)\n"
	    "                  instead of the stored payload\n"
	    "  --topic T       (replay) publish on T instead of the original topic\n"
	    "  --actor NAME    (replay) who replays (default $SUDO_USER, $USER)\n"
	    "  --force         (replay) replay even if it was replayed before\n"
	    "  --timeout DUR   (replay) wait for the broker at most this (10s)\n"
	    OPTS_COMMON_HELP
	    "\n"
	    "Times print in RFC 3339 UTC. Exit status: 0 done; 1 not found,\n"
	    "already replayed, or being replayed; 2 usage; 3 PostgreSQL or the\n"
	    "broker failed.\n",
	    DLQ_LIMIT_MAX, DLQ_LIMIT_DEFAULT);
}

/* --- list ---------------------------------------------------------------- */

struct list_args {
	const char *reason;
	struct ctl_time since;
	int pending;
	long limit;
};

static int
dlq_list(struct ctl_opts *o, struct db *db, struct list_args *a)
{
	struct db_sql q;
	struct db_res *r;
	char limit[24], ago[24];

	if (o->json)
		db_sql_init(&q, "SELECT id, " DB_RFC3339("received_at")
		    " AS received_at, reason, topic, event_id, detail,"
		    " instance, journal_seq, octet_length(payload) AS"
		    " payload_bytes, " DB_RFC3339("replayed_at")
		    " AS replayed_at, replayed_by FROM dead_letter");
	else
		db_sql_init(&q, "SELECT id, " DB_RFC3339("received_at")
		    " AS \"received (UTC)\", reason, topic, event_id,"
		    " octet_length(payload) AS bytes,"
		    " CASE WHEN replayed_at IS NULL THEN 'no' ELSE 'by ' ||"
		    " replayed_by END AS replayed, detail FROM dead_letter");
	if (a->reason != NULL)
		db_sql_where(&q, "reason = $?", a->reason);
	if (a->since.set && a->since.relative) {
		snprintf(ago, sizeof(ago), "%lld",
		    (long long)a->since.ago_ms);
		db_sql_where(&q, "received_at >= now() - $?::bigint * "
		    "interval '1 millisecond'", ago);
	} else if (a->since.set)
		db_sql_where(&q, "received_at >= $?::timestamptz",
		    a->since.at);
	if (a->pending)
		db_sql_where(&q, "replayed_at IS NULL", NULL);
	snprintf(limit, sizeof(limit), "%ld", a->limit);
	db_sql_add(&q, " ORDER BY received_at DESC, id DESC LIMIT $?::int",
	    limit);
	if ((r = db_sql_run(db, &q)) == NULL)
		return CTL_FAIL;
	db_print_list(r, o->json, "no dead letters match", 48);
	return CTL_OK;
}

/* --- show ---------------------------------------------------------------- */

static void
base64_put(FILE *out, const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		fputc(tab[v >> 18], out);
		fputc(tab[(v >> 12) & 63], out);
		fputc(tab[(v >> 6) & 63], out);
		fputc(tab[v & 63], out);
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		fprintf(out, "%c%c==", tab[v >> 18], tab[(v >> 12) & 63]);
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		fprintf(out, "%c%c%c=", tab[v >> 18], tab[(v >> 12) & 63],
		    tab[(v >> 6) & 63]);
	}
}

static void
hexdump(FILE *out, const unsigned char *p, size_t len)
{
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		fprintf(out, "%08zx ", off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				fputc(' ', out);
			if (off + i < len)
				fprintf(out, " %02x", p[off + i]);
			else
				fputs("   ", out);
		}
		fputs("  |", out);
		for (i = 0; i < 16 && off + i < len; i++)
			fputc(p[off + i] >= 0x20 && p[off + i] < 0x7f ?
			    p[off + i] : '.', out);
		fputs("|\n", out);
	}
}

/* Text line by line, each line's control characters escaped. */
static void
text_lines(FILE *out, const char *p, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		text_put(out, p, n, 0, 0);
		fputc('\n', out);
		if (nl == NULL)
			break;
		p += n + 1;
		len -= n + 1;
	}
}

static void
show_field(const struct db_res *r, const char *label, int col)
{
	const char *v = db_value(r, 0, col);

	printf("  %-13s ", label);
	if (v == NULL)
		printf("-");
	else
		text_put(stdout, v, db_length(r, 0, col), 0, 0);
	printf("\n");
}

static void
show_text(const struct db_res *r, const unsigned char *payload, size_t len,
    long bytes)
{
	int utf8 = payload != NULL && utf8_valid((const char *)payload, len);
	size_t shown = len > DLQ_SHOW_MAX ? DLQ_SHOW_MAX : len;

	printf("dead letter %s\n", db_value(r, 0, S_ID));
	show_field(r, "reason", S_REASON);
	show_field(r, "detail", S_DETAIL);
	show_field(r, "topic", S_TOPIC);
	show_field(r, "event id", S_EVENT_ID);
	show_field(r, "received at", S_RECEIVED);
	show_field(r, "stored at", S_STORED);
	show_field(r, "instance", S_INSTANCE);
	show_field(r, "journal seq", S_SEQ);
	if (db_value(r, 0, S_REPLAYED_AT) == NULL)
		printf("  %-13s no\n", "replayed");
	else {
		printf("  %-13s %s by ", "replayed",
		    db_value(r, 0, S_REPLAYED_AT));
		text_put(stdout, db_value(r, 0, S_REPLAYED_BY),
		    db_length(r, 0, S_REPLAYED_BY), 0, 0);
		printf("\n");
	}
	if (payload == NULL) {
		printf("payload (%ld bytes): too large to show here (more "
		    "than %zu bytes)\n", bytes, DLQ_PAYLOAD_MAX);
		return;
	}
	/* Cutting text must not split a UTF-8 sequence. */
	while (utf8 && shown < len && shown > 0 &&
	    (payload[shown] & 0xc0) == 0x80)
		shown--;
	printf("payload (%zu bytes, %s):\n", len, utf8 ? "UTF-8 text" :
	    "binary, hex dump");
	if (utf8)
		text_lines(stdout, (const char *)payload, shown);
	else
		hexdump(stdout, payload, shown);
	if (shown < len)
		printf("... %zu more bytes (--raw writes them all)\n",
		    len - shown);
}

static void
show_json(const struct db_res *r, const unsigned char *payload, size_t len)
{
	int c;

	printf("{");
	for (c = 0; c < S_PAYLOAD; c++) {
		if (c > 0)
			printf(", ");
		json_put_string(stdout, db_colname(r, c),
		    strlen(db_colname(r, c)));
		printf(": ");
		db_print_json_value(r, 0, c, stdout);
	}
	if (payload == NULL)
		printf(", \"payload_encoding\": null, \"payload\": null}\n");
	else if (utf8_valid((const char *)payload, len)) {
		printf(", \"payload_encoding\": \"utf-8\", \"payload\": ");
		json_put_string(stdout, (const char *)payload, len);
		printf("}\n");
	} else {
		printf(", \"payload_encoding\": \"base64\", \"payload\": \"");
		base64_put(stdout, payload, len);
		printf("\"}\n");
	}
}

static int
dlq_show(struct ctl_opts *o, struct db *db, const char *id, int raw)
{
	char max[24];
	const char *params[2] = { id, max };
	struct db_res *r;
	unsigned char *payload = NULL;
	size_t len = 0;
	long bytes = 0;
	int rc = CTL_FAIL;

	snprintf(max, sizeof(max), "%zu", DLQ_PAYLOAD_MAX);
	if ((r = db_query(db, sql_show, 2, params)) == NULL)
		return CTL_FAIL;
	if (db_rows(r) == 0) {
		fprintf(stderr, "%s: no dead letter %s\n", o->cmd, id);
		rc = CTL_NO;
		goto out;
	}
	(void)parse_long(db_value(r, 0, S_BYTES), 0, LONG_MAX, &bytes);
	payload = db_bytea(r, 0, S_PAYLOAD, &len);
	if (raw) {
		if (payload == NULL) {
			fprintf(stderr, "%s: the payload (%ld bytes) is larger "
			    "than %zu bytes\n", o->cmd, bytes,
			    DLQ_PAYLOAD_MAX);
			rc = CTL_NO;
			goto out;
		}
		if (fwrite(payload, 1, len, stdout) != len ||
		    fflush(stdout) != 0) {
			fprintf(stderr, "%s: writing the payload: %s\n",
			    o->cmd, strerror(errno));
			goto out;
		}
	} else if (o->json)
		show_json(r, payload, len);
	else
		show_text(r, payload, len, bytes);
	rc = CTL_OK;
out:
	free(payload);
	db_res_free(r);
	return rc;
}

/* --- replay -------------------------------------------------------------- */

struct replay_args {
	const char *payload_file;
	const char *topic;
	const char *actor;
	int force;
	int64_t timeout_ms;
};

/* Reads FILE (or stdin for "-") whole, up to max bytes. 0 / -1 reported. */
static int
read_payload(const struct ctl_opts *o, const char *path, size_t max,
    struct buf *b)
{
	char chunk[65536];
	FILE *f;
	size_t n;
	int rc = -1;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: --payload %s: %s\n", o->cmd, path,
		    strerror(errno));
		return -1;
	}
	buf_init(b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) == -1) {
			fprintf(stderr, "%s: --payload %s: larger than %zu "
			    "bytes\n", o->cmd, path, max);
			goto out;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: --payload %s: %s\n", o->cmd, path,
		    strerror(errno));
		goto out;
	}
	if (b->len == 0) {
		fprintf(stderr, "%s: --payload %s is empty\n", o->cmd, path);
		goto out;
	}
	rc = 0;
out:
	if (f != stdin)
		fclose(f);
	if (rc == -1)
		buf_free(b);
	return rc;
}

static void
replay_print(const struct ctl_opts *o, const char *id,
    const struct replay_args *a, const struct store_replay *rp)
{
	if (o->json) {
		printf("{\"id\": %s, \"topic\": ", id);
		json_put_string(stdout, rp->topic_used, strlen(rp->topic_used));
		printf(", \"bytes\": %zu, \"payload\": \"%s\", "
		    "\"replayed_by\": ", rp->bytes, a->payload_file != NULL ?
		    "fixed" : "stored");
		json_put_string(stdout, a->actor, strlen(a->actor));
		printf(", \"replayed_at\": \"%s\"}\n", rp->replayed_at);
		return;
	}
	printf("dead letter %s replayed: published %zu bytes (%s "
	    "payload) to ", id, rp->bytes, a->payload_file != NULL ?
	    "fixed" : "stored");
	text_put(stdout, rp->topic_used, strlen(rp->topic_used), 0, 0);
	printf(" and the broker acknowledged them; marked replayed at "
	    "%s by ", rp->replayed_at);
	text_put(stdout, a->actor, strlen(a->actor), 0, 0);
	printf(".\nThe hub validates it again: if it is still wrong, "
	    "it becomes a new dead letter (simpulctl dlq list).\n");
}

/*
 * The replay itself is the hub store's store_dead_letter_replay(), which
 * the console's replay runs too: lock, check, publish, mark, commit.
 */
static int
dlq_replay(struct ctl_opts *o, const struct ctl_conn *c, const char *id,
    const struct replay_args *a)
{
	struct mqttpub_config pub = {
		.auth = MQTT_AUTH_OF(c),
		.id_prefix = "simpulctl",
		.timeout_ms = a->timeout_ms,
	};
	struct store_replay rp;
	struct store *s;
	struct buf fixed;
	char err[512];
	int rc = CTL_FAIL;

	if (a->actor == NULL)
		fatalx("dlq: replay without an actor");
	memset(&fixed, 0, sizeof(fixed));
	if (a->payload_file != NULL && read_payload(o, a->payload_file,
	    DLQ_PAYLOAD_MAX, &fixed) == -1)
		return CTL_USAGE;
	memset(&rp, 0, sizeof(rp));
	rp.id = id;
	rp.actor = a->actor;
	rp.force = a->force;
	rp.payload = a->payload_file != NULL ? fixed.data : NULL;
	rp.len = fixed.len;
	rp.topic = a->topic;
	rp.max = DLQ_PAYLOAD_MAX;
	rp.publish = mqttpub_publish_once;
	rp.arg = &pub;
	err[0] = '\0';
	s = store_new(c->pg_conninfo, "simpulctl", c->site);
	if (store_connect(s) == -1) {
		fprintf(stderr, "%s: cannot connect to PostgreSQL (see "
		    "above)\n", o->cmd);
		goto out;
	}
	switch (store_dead_letter_replay(s, &rp, err, sizeof(err))) {
	case STORE_REPLAY_OK:
		replay_print(o, id, a, &rp);
		rc = CTL_OK;
		break;
	case STORE_REPLAY_NONE:
		fprintf(stderr, "%s: no dead letter %s\n", o->cmd, id);
		rc = CTL_NO;
		break;
	case STORE_REPLAY_BUSY:
		fprintf(stderr, "%s: dead letter %s is being replayed by "
		    "another session right now\n", o->cmd, id);
		rc = CTL_NO;
		break;
	case STORE_REPLAY_DONE:
		fprintf(stderr, "%s: dead letter %s was already replayed at %s "
		    "by ", o->cmd, id, rp.prev_at);
		text_put(stderr, rp.prev_by, strlen(rp.prev_by), 80, 0);
		fprintf(stderr, "; --force replays it again\n");
		rc = CTL_NO;
		break;
	case STORE_REPLAY_TOO_LARGE:
		fprintf(stderr, "%s: %s\n", o->cmd, err);
		rc = CTL_NO;
		break;
	case STORE_REPLAY_PUBLISH:
		fprintf(stderr, "%s: dead letter %s not replayed: %s\n",
		    o->cmd, id, err);
		break;
	case STORE_REPLAY_UNMARKED:
		fprintf(stderr, "%s: dead letter %s WAS published to %s, but "
		    "%s; replaying it again only makes a duplicate, which the "
		    "hub ignores\n", o->cmd, id, rp.topic_used, err);
		break;
	case STORE_REPLAY_DB:
		fprintf(stderr, "%s: %s\n", o->cmd, err);
		break;
	}
out:
	store_free(s);
	buf_free(&fixed);
	return rc;
}

/* --- the command --------------------------------------------------------- */

int
cmd_dlq(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "since", required_argument, NULL, 'S' },
		{ "pending", no_argument, NULL, 'p' },
		{ "limit", required_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'R' },
		{ "payload", required_argument, NULL, 'P' },
		{ "topic", required_argument, NULL, 't' },
		{ "actor", required_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		OPTS_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	/* Which subcommand each option belongs to. */
	static const struct {
		int ch;
		const char *sub;
	} owner[] = {
		{ 'r', "list" }, { 'S', "list" }, { 'p', "list" },
		{ 'n', "list" }, { 'R', "show" }, { 'P', "replay" },
		{ 't', "replay" }, { 'a', "replay" }, { 'f', "replay" },
		{ 'T', "replay" },
	};
	struct ctl_opts o;
	struct ctl_conn conn;
	struct list_args la;
	struct replay_args ra;
	struct db *db;
	const char *sub, *cmd;
	char idbuf[24];
	long id = 0;
	int ch, raw = 0, rc;
	size_t k;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		dlq_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "list") == 0)
		cmd = "simpulctl dlq list";
	else if (strcmp(sub, "show") == 0)
		cmd = "simpulctl dlq show";
	else if (strcmp(sub, "replay") == 0)
		cmd = "simpulctl dlq replay";
	else {
		fprintf(stderr, "simpulctl dlq: unknown subcommand '%s' (list, "
		    "show or replay)\n", sub);
		return CTL_USAGE;
	}
	argc--;
	argv++;
	memset(&la, 0, sizeof(la));
	la.limit = DLQ_LIMIT_DEFAULT;
	memset(&ra, 0, sizeof(ra));
	ra.timeout_ms = 10000;
	opts_init(&o, cmd);
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		for (k = 0; k < nitems(owner); k++)
			if (owner[k].ch == ch &&
			    strcmp(owner[k].sub, sub) != 0) {
				fprintf(stderr, "%s: %s belongs to dlq %s\n",
				    cmd, argv[optind - 1], owner[k].sub);
				return CTL_USAGE;
			}
		switch (ch) {
		case 'r':
			if (opts_text(&o, "--reason", optarg, OPTS_TEXT_MAX))
				return CTL_USAGE;
			la.reason = optarg;
			break;
		case 'S':
			if (opts_time(&o, "--since", optarg, &la.since))
				return CTL_USAGE;
			break;
		case 'p':
			la.pending = 1;
			break;
		case 'n':
			if (opts_long(&o, "--limit", optarg, 1, DLQ_LIMIT_MAX,
			    &la.limit))
				return CTL_USAGE;
			break;
		case 'R':
			raw = 1;
			break;
		case 'P':
			ra.payload_file = optarg;
			break;
		case 't':
			if (opts_topic(&o, "--topic", optarg))
				return CTL_USAGE;
			ra.topic = optarg;
			break;
		case 'a':
			if (opts_text(&o, "--actor", optarg, OPTS_TEXT_MAX))
				return CTL_USAGE;
			ra.actor = optarg;
			break;
		case 'f':
			ra.force = 1;
			break;
		case 'T':
			if (opts_duration(&o, "--timeout", optarg, 100,
			    600000, &ra.timeout_ms))
				return CTL_USAGE;
			break;
		default:
			return opts_bad(&o, argv);
		}
	}
	if (o.help) {
		dlq_usage(stdout);
		return CTL_OK;
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc) {
			fprintf(stderr, "%s: unexpected argument '%s'\n", cmd,
			    argv[optind]);
			return CTL_USAGE;
		}
	} else {
		if (argc - optind != 1) {
			fprintf(stderr, "%s: wants exactly one dead letter "
			    "ID\n", cmd);
			return CTL_USAGE;
		}
		if (opts_long(&o, "ID", argv[optind], 1, LONG_MAX, &id))
			return CTL_USAGE;
		snprintf(idbuf, sizeof(idbuf), "%ld", id);
	}
	if (raw && o.json) {
		fprintf(stderr, "%s: --raw and --json exclude each other\n",
		    cmd);
		return CTL_USAGE;
	}
	if (strcmp(sub, "replay") == 0 && opts_actor(&o, &ra.actor,
	    OPTS_TEXT_MAX))
		return CTL_USAGE;
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	/* The replay uses the hub store's connection only, as case act. */
	if (strcmp(sub, "replay") == 0) {
		rc = dlq_replay(&o, &conn, idbuf, &ra);
		opts_conn_free(&conn);
		return rc;
	}
	if ((db = db_open(conn.pg_conninfo, cmd)) == NULL) {
		opts_conn_free(&conn);
		return CTL_FAIL;
	}
	if (strcmp(sub, "list") == 0)
		rc = dlq_list(&o, db, &la);
	else
		rc = dlq_show(&o, db, idbuf, raw);
	db_close(db);
	opts_conn_free(&conn);
	return rc;
}
