/* Endpoint health on the webhook object (SPEC §5):
 * stats: {succeeded24h, failed24h, lastSuccessAt, lastFailureAt, failingSince}.
 * succeeded24h / failed24h count attempts of the last 24 hours; the times are kept by the
 * delivery worker on the webhook row (failingSince: first failure after the last success,
 * null while healthy). */
#ifndef WH_WEBHOOK_STATS_H
#define WH_WEBHOOK_STATS_H
#include <jansson.h>

#include "common/db.h"

/* The stats as columns of a SELECT over `webhooks w` (read in the same statement as the
 * webhook, no extra round trip). Takes two parameters, both webhook_stats_since(). */
#define WEBHOOK_STATS_COLS                                                                                             \
	"w.last_success_at, w.last_failure_at, w.failing_since, "                                                      \
	"(SELECT COUNT(*) FROM delivery_attempts a WHERE a.webhook_id = w.id AND a.at >= ? AND a.ok = 1), "            \
	"(SELECT COUNT(*) FROM delivery_attempts a WHERE a.webhook_id = w.id AND a.at >= ? AND a.ok = 0)"
#define WEBHOOK_STATS_NCOLS 5

/* The parameter of WEBHOOK_STATS_COLS: 24 hours ago, epoch ms. */
long long webhook_stats_since(void);

/* Sets obj["stats"] from the WEBHOOK_STATS_COLS of row r, starting at column col. */
void webhook_stats_render(const struct db_rows *rows, size_t r, size_t col, json_t *obj);

#endif
