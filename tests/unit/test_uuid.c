/*
 * test_uuid: adapters/lib/uuid.c against RFC 9562's test vectors (Appendix
 * A.4 for v5, A.6 for v7) and other published UUIDv5 values (Python's
 * uuid module gives the same), plus the properties of our UUIDv7: version
 * and variant bits, the timestamp, and strict ordering of successive ids,
 * also within one millisecond and when the clock steps backwards.
 */
#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "util.h"
#include "uuid.h"

static const struct uuid ns_url = { {
	0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
	0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 } };

static void
v5_str(const struct uuid *ns, const char *name, char out[UUID_STR_LEN])
{
	struct uuid u;

	uuid_v5(&u, ns, name, strlen(name));
	uuid_format(&u, out);
}

static void
test_v5_vectors(void)
{
	char s[UUID_STR_LEN];
	struct uuid u;

	/* RFC 9562 Appendix A.4. */
	v5_str(&uuid_ns_dns, "www.example.com", s);
	CHECK_STR(s, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
	v5_str(&uuid_ns_dns, "python.org", s);
	CHECK_STR(s, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
	v5_str(&ns_url, "https://www.rfc-editor.org/rfc/rfc9562", s);
	CHECK_STR(s, "3349c653-56d8-5f05-8876-e348e193dc56");

	uuid_v5(&u, &uuid_ns_dns, "www.example.com", 15);
	CHECK_INT(uuid_version(&u), 5);
	CHECK(uuid_variant_ok(&u));

	/* The Simpul namespace is what its comment says it is. */
	{
		char derived[UUID_STR_LEN];

		uuid_format(&uuid_ns_simpul, s);
		v5_str(&ns_url, "urn:simpul:event", derived);
		CHECK_STR(s, derived);
		CHECK_STR(s, "6c27b21f-9ef2-57ea-8d56-b8f1890c702c");
	}

	/* Names are bytes: an embedded NUL counts. */
	{
		struct uuid a, b;

		uuid_v5(&a, &uuid_ns_dns, "a\0b", 3);
		uuid_v5(&b, &uuid_ns_dns, "a", 1);
		CHECK(uuid_cmp(&a, &b) != 0);
	}
}

static void
test_v5_event(void)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN];
	struct uuid u;

	/* UUIDv5(simpul, "/karo/bpkad/sppidol\nSP2D-0001/2026\n3"). */
	CHECK_INT(uuid_v5_event(a, "/karo/bpkad/sppidol", "SP2D-0001/2026",
	    "3"), 0);
	CHECK_STR(a, "6c083d67-b6de-59a2-9c79-3ba48ad25c2a");
	CHECK_INT(uuid_parse(a, &u), 0);
	CHECK_INT(uuid_version(&u), 5);

	/* Deterministic, and each part matters. */
	CHECK_INT(uuid_v5_event(b, "/karo/bpkad/sppidol", "SP2D-0001/2026",
	    "3"), 0);
	CHECK_STR(a, b);
	CHECK_INT(uuid_v5_event(b, "/karo/bpkad/sppidol", "SP2D-0001/2026",
	    "4"), 0);
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(uuid_v5_event(b, "/karo/bpkad/simda", "SP2D-0001/2026",
	    "3"), 0);
	CHECK(strcmp(a, b) != 0);

	/* Empty parts are allowed: the name is "\n\n". */
	CHECK_INT(uuid_v5_event(b, "", "", ""), 0);
	CHECK_STR(b, "0b00c6bb-f9ce-52b5-a9cf-4e92f9c9c4da");

	/* A newline would make ("a\nb", "c") and ("a", "b\nc") collide. */
	memcpy(b, "untouched", 10);
	CHECK_INT(uuid_v5_event(b, "/karo/x/y", "a\nb", "c"), -1);
	CHECK_INT(uuid_v5_event(b, "/karo/x/y", "a", "b\nc"), -1);
	CHECK_INT(uuid_v5_event(b, "/karo/x\n", "a", "b"), -1);
	CHECK_INT(uuid_v5_event(b, NULL, "a", "b"), -1);
	CHECK_STR(b, "untouched");
}

static void
test_v7_vector(void)
{
	/* RFC 9562 Appendix A.6: unix_ts_ms 0x017F22E279B0, rand_a 0xCC3,
	 * rand_b 0x18C4DC0C0C07398F. */
	static const uint8_t rnd[10] = { 0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c,
	    0x0c, 0x07, 0x39, 0x8f };
	char s[UUID_STR_LEN];
	struct uuid u;

	uuid_v7_make(&u, INT64_C(0x017F22E279B0), rnd);
	uuid_format(&u, s);
	CHECK_STR(s, "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
	CHECK_INT(uuid_version(&u), 7);
	CHECK(uuid_variant_ok(&u));
	CHECK_INT(uuid_v7_time(&u), INT64_C(1645557742000));

	/* Version and variant bits are forced whatever the random bytes. */
	{
		static const uint8_t ones[10] = { 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff };

		uuid_v7_make(&u, 0, ones);
		uuid_format(&u, s);
		CHECK_STR(s, "00000000-0000-7fff-bfff-ffffffffffff");
	}
}

static void
test_parse_format(void)
{
	char s[UUID_STR_LEN];
	struct uuid u;

	CHECK_INT(uuid_parse("2ED6657D-E927-568B-95E1-2665A8AEA6A2", &u), 0);
	uuid_format(&u, s);
	CHECK_STR(s, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
	CHECK_INT(uuid_parse("2ed6657d-e927-568b-95e1-2665a8aea6a", &u), -1);
	CHECK_INT(uuid_parse("2ed6657d-e927-568b-95e1-2665a8aea6a2f", &u), -1);
	CHECK_INT(uuid_parse("2ed6657de927-568b-95e1-2665a8aea6a2f", &u), -1);
	CHECK_INT(uuid_parse("2ed6657d-e927-568b-95e1-2665a8aea6ag", &u), -1);
	CHECK_INT(uuid_parse("", &u), -1);
}

static void
test_v7_properties(void)
{
	enum { N = 10000 };
	static struct uuid ids[N];
	char prev[UUID_STR_LEN], cur[UUID_STR_LEN];
	int64_t before, after;
	int i, ordered = 1, bits = 1, text_ordered = 1, times = 1;

	before = clock_wall_ms();
	for (i = 0; i < N; i++)
		uuid_v7(&ids[i]);
	after = clock_wall_ms();
	for (i = 0; i < N; i++) {
		if (uuid_version(&ids[i]) != 7 || !uuid_variant_ok(&ids[i]))
			bits = 0;
		if (uuid_v7_time(&ids[i]) < before ||
		    uuid_v7_time(&ids[i]) > after + 1)
			times = 0;
		if (i > 0 && uuid_cmp(&ids[i - 1], &ids[i]) >= 0)
			ordered = 0;
		uuid_format(&ids[i], cur);
		if (i > 0 && strcmp(prev, cur) >= 0)
			text_ordered = 0;
		memcpy(prev, cur, sizeof(prev));
	}
	CHECK(bits);
	CHECK(times);
	CHECK(ordered);
	CHECK(text_ordered);

	/* Many ids in one millisecond: the counter keeps them ordered and
	 * the timestamp stays put. */
	{
		struct uuid a, b;
		int64_t t = after + 1000;
		int same_ms = 1;

		ordered = 1;
		uuid_v7_at(&a, t);
		for (i = 0; i < 100000; i++) {
			uuid_v7_at(&b, t);
			if (uuid_cmp(&a, &b) >= 0)
				ordered = 0;
			if (uuid_v7_time(&b) != t)
				same_ms = 0;
			a = b;
		}
		CHECK(ordered);
		CHECK(same_ms);

		/* The clock steps back a second: ids still increase. */
		uuid_v7_at(&b, t - 1000);
		CHECK(uuid_cmp(&a, &b) < 0);
		CHECK_INT(uuid_version(&b), 7);
		CHECK(uuid_variant_ok(&b));
		CHECK_INT(uuid_v7_time(&b), t);
		/* And a later millisecond starts from fresh randomness but
		 * sorts after. */
		uuid_v7_at(&a, t + 1);
		CHECK(uuid_cmp(&b, &a) < 0);
		CHECK_INT(uuid_v7_time(&a), t + 1);
	}
}

int
main(void)
{
	test_v5_vectors();
	test_v5_event();
	test_v7_vector();
	test_parse_format();
	test_v7_properties();
	return testlib_done();
}
