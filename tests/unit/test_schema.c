/* The schema contract in common/: the event envelope's exact bytes and the webhook AAD. */
#include <stdlib.h>

#include "common/delivery_row.h"
#include "common/event_row.h"
#include "common/ttl.h"
#include "common/webhook_row.h"
#include "tests/unit/test.h"

TEST_SUITE(event_envelope_bytes)
{
	json_t *data = json_pack("{s:s,s:i}", "id", "v1", "partySize", 2);
	char *env =
	    event_envelope("0T6HyBrXIZuDl73ViyRp", 1779199571923LL, "itiDKblwIsbJsAxO8kFz", "visit.created", data);
	CHECK_STR(env, "{\"id\":\"0T6HyBrXIZuDl73ViyRp\",\"created\":\"2026-05-19T14:06:11.923Z\","
	               "\"accountId\":\"itiDKblwIsbJsAxO8kFz\",\"type\":\"visit.created\","
	               "\"data\":{\"id\":\"v1\",\"partySize\":2}}");
	CHECK(data->refcount == 1); /* borrowed, not kept */
	free(env);
	json_decref(data);
}

TEST_SUITE(webhook_row_aad)
{
	char aad[WHROW_AAD_MAX];
	whrow_aad("0T6HyBrXIZuDl73ViyRp", WHROW_OAUTH_KEY, aad);
	CHECK_STR(aad, "webhook:0T6HyBrXIZuDl73ViyRp:oauth_key");
	whrow_aad("0T6HyBrXIZuDl73ViyRp", WHROW_SECRET, aad);
	CHECK_STR(aad, "webhook:0T6HyBrXIZuDl73ViyRp:secret");
	CHECK(TTL_IDEMPOTENCY_MS == 86400000LL);
}

TEST_SUITE(delivery_row_statuses)
{
	size_t n = 0;
	while(delivery_statuses[n])
		CHECK(delivery_status_valid(delivery_statuses[n++]));
	CHECK(n == DELIVERY_STATUS_COUNT);
	CHECK(!delivery_status_valid("Pending") && !delivery_status_valid("dead") && !delivery_status_valid(NULL));
}
