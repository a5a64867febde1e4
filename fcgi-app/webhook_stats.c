/* The stats object of a webhook answer. */
#include "fcgi-app/webhook_stats.h"

#include "common/ids.h"
#include "common/json_util.h"

static const char sql_counts[] = "SELECT COALESCE(SUM(ok = 1), 0), COALESCE(SUM(ok = 0), 0) FROM delivery_attempts "
                                 "WHERE webhook_id = ? AND at >= ?";
static const char sql_times[] = "SELECT last_success_at, last_failure_at, failing_since FROM webhooks WHERE id = ?";

static void set_time_or_null(json_t *obj, const char *key, const struct db_rows *rows, size_t c)
{
	jx_set_time(obj, key, db_rows_get(rows, 0, c) ? db_rows_i64(rows, 0, c) : -1);
}

enum wh_err webhook_stats_add(struct db *db, const char *webhook_id, json_t *obj)
{
	struct db_rows counts, times;
	json_t *stats;
	enum wh_err result;

	result = db_exec(db, sql_counts, DBP(db_str(webhook_id), db_i64(time_now_ms() - 86400000LL)), &counts, NULL);
	if(result)
		return result;
	result = db_exec(db, sql_times, DBP(db_str(webhook_id)), &times, NULL);
	if(result) {
		db_rows_release(&counts);
		return result;
	}
	stats = json_object();
	json_object_set_new(stats, "succeeded24h", json_integer(db_rows_i64(&counts, 0, 0)));
	json_object_set_new(stats, "failed24h", json_integer(db_rows_i64(&counts, 0, 1)));
	set_time_or_null(stats, "lastSuccessAt", &times, 0);
	set_time_or_null(stats, "lastFailureAt", &times, 1);
	set_time_or_null(stats, "failingSince", &times, 2);
	json_object_set_new(obj, "stats", stats);
	db_rows_release(&counts);
	db_rows_release(&times);
	return WH_OK;
}
