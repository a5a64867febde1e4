/* The stats object of a webhook answer. */
#include "fcgi-app/resources/webhooks/webhook_stats.h"

#include "common/ids.h"
#include "common/json_util.h"
#include "common/webhook_row.h"

long long webhook_stats_since(void)
{
	return time_now_ms() / WEBHOOK_STATS_HOUR_MS - WEBHOOK_STATS_HOURS;
}

static void set_time_or_null(json_t *obj, const char *key, const struct db_rows *rows, size_t r, size_t c)
{
	jx_set_time(obj, key, db_rows_get(rows, r, c) ? db_rows_i64(rows, r, c) : -1);
}

void webhook_stats_render(const struct db_rows *rows, size_t r, size_t col, json_t *obj)
{
	json_t *stats = json_object();
	/* NULL (no attempts in the window) reads 0 */
	json_object_set_new(stats, "succeeded24h", json_integer(db_rows_i64(rows, r, col + 3)));
	json_object_set_new(stats, "failed24h", json_integer(db_rows_i64(rows, r, col + 4)));
	set_time_or_null(stats, "lastSuccessAt", rows, r, col);
	set_time_or_null(stats, "lastFailureAt", rows, r, col + 1);
	set_time_or_null(stats, "failingSince", rows, r, col + 2);
	json_object_set_new(obj, "stats", stats);
}
