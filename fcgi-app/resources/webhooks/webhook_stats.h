/* Endpoint health on the webhook object (SPEC §5):
 * stats: {succeeded24h, failed24h, lastSuccessAt, lastFailureAt, failingSince}.
 * succeeded24h / failed24h count the attempts of the current clock hour and the 24 before
 * it (hourly counters the worker keeps); the times are kept by the delivery worker on the
 * webhook row (failingSince: first failure after the last success,
 * null while healthy). */
#ifndef WH_WEBHOOK_STATS_H
#define WH_WEBHOOK_STATS_H
#include <jansson.h>

#include "common/db.h"

/* The stats as columns of a SELECT over `webhooks w` joined to the window's counter rows
 * by WEBHOOK_STATS_JOIN and grouped by w.id, one result row per webhook (GET and list
 * alike): the health times, then the counters of the window summed (at most
 * WEBHOOK_STATS_HOURS + 1 primary-key rows per webhook, read once). WEBHOOK_STATS_JOIN
 * follows FROM webhooks w and takes one parameter, webhook_stats_since(). */
#define WEBHOOK_STATS_COLS "w.last_success_at, w.last_failure_at, w.failing_since, SUM(s.succeeded), SUM(s.failed)"
#define WEBHOOK_STATS_JOIN " LEFT JOIN webhook_stats_hourly s ON s.webhook_id = w.id AND s.hour >= ?"
#define WEBHOOK_STATS_NCOLS 5

/* The parameter of WEBHOOK_STATS_JOIN: the first hour of the window
 * (see WEBHOOK_STATS_HOURS in common/webhook_row.h). */
long long webhook_stats_since(void);

/* Sets obj["stats"] from the stats columns (WEBHOOK_STATS_COLS, starting at column col) of
 * row r. */
void webhook_stats_render(const struct db_rows *rows, size_t r, size_t col, json_t *obj);

#endif
