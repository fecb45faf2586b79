/*
 * casecmd_parse: what a request on <site>/cmd/<who>/case/<action> means,
 * and what is refused before the database is touched.
 */
#include <string.h>

#include "casecmd.h"
#include "testlib.h"

static int
parse(const char *topic, const char *payload, struct casecmd_request *req,
    char *err, size_t errlen)
{
	memset(req, 0, sizeof(*req));
	return casecmd_parse("karo", topic, payload, strlen(payload), 16384,
	    req, err, errlen);
}

static void
refused(const char *topic, const char *payload, const char *why, int line)
{
	struct casecmd_request req;
	char err[256] = "";

	if (parse(topic, payload, &req, err, sizeof(err)) == 0) {
		testlib_fail(__FILE__, line, "accepted %s %s", topic, payload);
		casecmd_request_clear(&req);
	} else if (strstr(err, why) == NULL) {
		testlib_fail(__FILE__, line, "message '%s' lacks '%s'", err,
		    why);
	} else {
		testlib_passed++;
	}
}

int
main(void)
{
	struct casecmd_request req;
	char err[256];

	/* An operator verifies. */
	CHECK_INT(parse("karo/cmd/cc/case/verify",
	    "{\"case\":\"KRO-2026-000123\",\"actor\":\"budi\"}", &req, err,
	    sizeof(err)), 0);
	CHECK_STR(req.action, "verify");
	CHECK_STR(req.case_ref, "KRO-2026-000123");
	CHECK_INT(req.actor.kind, CASE_ACTOR_OPERATOR);
	casecmd_request_clear(&req);

	/* The supervisor. */
	CHECK_INT(parse("karo/cmd/cc-supervisor/case/close",
	    "{\"case\":\"17\"}", &req, err, sizeof(err)), 0);
	CHECK_INT(req.actor.kind, CASE_ACTOR_SUPERVISOR);
	casecmd_request_clear(&req);

	/* An OPD acts as itself: the topic says who. */
	CHECK_INT(parse("karo/cmd/dishub/case/acknowledge",
	    "{\"case\":\"KRO-2026-000124\",\"note\":\"diterima\"}", &req, err,
	    sizeof(err)), 0);
	CHECK_INT(req.actor.kind, CASE_ACTOR_OPD);
	CHECK_STR(req.actor.opd, "dishub");
	casecmd_request_clear(&req);

	/* Assign carries the OPD; reject its reason. */
	CHECK_INT(parse("karo/cmd/cc/case/assign",
	    "{\"case\":\"KRO-2026-000125\",\"opd\":\"dpupr\"}", &req, err,
	    sizeof(err)), 0);
	CHECK_STR(req.arg, "dpupr");
	casecmd_request_clear(&req);

	refused("karo/cmd/cc/case/verify", "{\"case\":", "", __LINE__);
	refused("karo/cmd/cc/case/verify", "[1]", "", __LINE__);
	refused("karo/cmd/cc/case/verify", "{}", "case", __LINE__);
	refused("karo/cmd/cc/case/verify", "{\"case\":5}", "", __LINE__);
	refused("karo/cmd/cc/case/verify",
	    "{\"case\":\"1\",\"case\":\"2\"}", "", __LINE__);
	refused("karo/cmd/cc/case/verify",
	    "{\"case\":\"1\",\"reason\":\"duplicate\"}", "", __LINE__);
	refused("karo/cmd/cc/case/verify", "{\"case\":\"1\",\"x\":\"y\"}", "",
	    __LINE__);
	refused("karo/cmd/cc/case/fly", "{\"case\":\"1\"}", "", __LINE__);
	refused("karo/cmd/cc/case", "{\"case\":\"1\"}", "", __LINE__);
	refused("medan/cmd/cc/case/verify", "{\"case\":\"1\"}", "", __LINE__);
	refused("karo/cmd/Bad OPD/case/verify", "{\"case\":\"1\"}", "",
	    __LINE__);
	return testlib_done();
}
