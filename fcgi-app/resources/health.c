/* GET /v2/health: the API, its database, the workers' heartbeats and the outbox's age;
 * GET /v2/live: only that this process answers. */
#include "fcgi-app/resources/health.h"

/* One round trip: workers seen lately (their rows are timed on the database's clock, so
 * this compares on it too) and the oldest event not yet fanned out (API clock). */
static const char sql_health[] =
    "SELECT (SELECT COUNT(*) FROM workers WHERE last_seen >= CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - ?), "
    "(SELECT MIN(created) FROM events WHERE fanned_out = 0)";

enum wh_err health_get(struct request *req)
{
	struct db_rows rows = {0};
	long long alive = 0;
	double oldest = 0;
	bool db_ok = !db_exec(req->app->db, sql_health, DBP(db_i64(HEALTH_WORKER_SEEN_MS)), &rows, NULL);
	bool ok;
	json_t *body;
	if(db_ok) {
		alive = db_rows_i64(&rows, 0, 0);
		if(db_rows_get(&rows, 0, 1))
			oldest = (double)(time_now_ms() - db_rows_i64(&rows, 0, 1)) / 1000.0;
		db_rows_release(&rows);
	}
	ok = db_ok && alive > 0;
	body = json_pack("{ss ss s{sI} s{sf}}", "status", ok ? "ok" : "degraded", "database",
	                 db_ok ? "ok" : "unreachable", "workers", "alive", (json_int_t)alive, "outbox",
	                 "oldestPendingSeconds", oldest < 0 ? 0.0 : oldest);
	http_send_json(req, ok ? 200 : 503, body);
	json_decref(body);
	return WH_OK;
}

enum wh_err health_live(struct request *req)
{
	static const char body[] = "{\"status\":\"ok\"}";
	http_send_raw(req, 200, "application/json; charset=utf-8", body, sizeof(body) - 1);
	return WH_OK;
}
