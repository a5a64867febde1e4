/* Endpoint health on the webhook object (SPEC §5):
 * stats: {succeeded24h, failed24h, lastSuccessAt, lastFailureAt, failingSince}.
 * succeeded24h / failed24h count attempts of the last 24 hours; the times are kept by the
 * delivery worker on the webhook row (failingSince: first failure after the last success,
 * null while healthy). */
#ifndef WH_WEBHOOK_STATS_H
#define WH_WEBHOOK_STATS_H
#include <jansson.h>

#include "common/db.h"

/* Sets obj["stats"] for the webhook with that id (the caller has checked its account).
 * Database errors are returned and obj is left without stats. */
enum wh_err webhook_stats_add(struct db *db, const char *webhook_id, json_t *obj);

#endif
