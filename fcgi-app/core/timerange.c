/* since and until query parameters. */
#include "fcgi-app/core/timerange.h"

#include "common/ids.h"

static enum wh_err one(struct request *req, const char *name, long long absent, long long *out)
{
	const char *v = http_query(req, name);
	*out = absent;
	if(v && !time_parse_iso(v, out))
		return jx_fail(&req->err, name, "%s: must be an ISO-8601 UTC time like 2026-05-19T14:06:11.923Z", name);
	return WH_OK;
}

enum wh_err timerange_query(struct request *req, struct timerange *tr)
{
	enum wh_err result = one(req, "since", 0, &tr->since);
	if(!result)
		result = one(req, "until", TIMERANGE_OPEN, &tr->until);
	if(!result && tr->until <= tr->since)
		result = jx_fail(&req->err, "until", "until: must be later than since");
	return result;
}
