/* GET /metrics: Prometheus text, no auth, queried from the database so every worker's
 * work is counted: the monotonic counters of attempts by outcome and deliveries by final
 * status (retained rows plus what retention deleted), deliveries by status, attempts by
 * outcome and their latency histogram (rows retained, so the numbers drop when retention
 * deletes), the outbox backlog and the age of its oldest event, the age of the oldest
 * pending delivery, disabled webhooks. */
#include <stdint.h>

#include "common/buf.h"
#include "common/delivery_row.h"
#include "common/metric_offsets.h"
#include "fcgi-app/resources/metrics.h"

static const char sql_deliveries[] = "SELECT status, COUNT(*) FROM deliveries GROUP BY status";
static const char sql_oldest_pending[] = "SELECT MIN(created) FROM deliveries WHERE status = '" DELIVERY_PENDING "'";
static const char sql_outbox[] = "SELECT COUNT(*), MIN(created) FROM events WHERE fanned_out = 0";
/* One statement, so one read view: a retention batch commits either before it (rows still
 * counted) or after it (counted in the offsets), never half. */
#define OFFSET_OF(metric, label)                                                                                       \
	"(SELECT COALESCE(SUM(value), 0) FROM metric_offsets WHERE metric = '" metric "' AND label = '" label "')"
static const char sql_totals[] =
    "SELECT (SELECT COALESCE(SUM(ok = 1), 0) FROM delivery_attempts), "
    "(SELECT COALESCE(SUM(ok = 0), 0) FROM delivery_attempts), "
    "(SELECT COUNT(*) FROM deliveries WHERE status = '" DELIVERY_SUCCEEDED "'), "
    "(SELECT COUNT(*) FROM deliveries WHERE status = '" DELIVERY_FAILED
    "'), " OFFSET_OF(METRIC_ATTEMPTS_TOTAL, "success") ", " OFFSET_OF(METRIC_ATTEMPTS_TOTAL, "failure") ", " OFFSET_OF(
        METRIC_DELIVERIES_TOTAL, DELIVERY_SUCCEEDED) ", " OFFSET_OF(METRIC_DELIVERIES_TOTAL, DELIVERY_FAILED);
static const char sql_disabled[] = "SELECT COUNT(*) FROM webhooks WHERE disabled_at IS NOT NULL";
/* Bucket bounds in milliseconds, matching le_labels. */
static const char sql_latency[] =
    "SELECT COUNT(*), COALESCE(SUM(duration_ms), 0), COALESCE(SUM(ok = 1), 0), "
    "COALESCE(SUM(duration_ms <= 5), 0), COALESCE(SUM(duration_ms <= 10), 0), COALESCE(SUM(duration_ms <= 25), 0), "
    "COALESCE(SUM(duration_ms <= 50), 0), COALESCE(SUM(duration_ms <= 100), 0), COALESCE(SUM(duration_ms <= 250), 0), "
    "COALESCE(SUM(duration_ms <= 500), 0), COALESCE(SUM(duration_ms <= 1000), 0), "
    "COALESCE(SUM(duration_ms <= 2500), 0), COALESCE(SUM(duration_ms <= 5000), 0), "
    "COALESCE(SUM(duration_ms <= 10000), 0), COALESCE(SUM(duration_ms <= 15000), 0) FROM delivery_attempts";
static const char *const le_labels[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                        "0.5",   "1",    "2.5",   "5",    "10",  "15"};

static enum wh_err add_deliveries(struct db *db, struct buf *out, long long now)
{
	struct db_rows rows, oldest;
	enum wh_err result = db_exec(db, sql_deliveries, DBP_NONE, &rows, NULL);
	if(result)
		return result;
	result = buf_adds(out, "# HELP linehook_deliveries Deliveries by status (retained rows).\n"
	                       "# TYPE linehook_deliveries gauge\n");
	for(size_t i = 0; delivery_statuses[i] && !result; i++) {
		long long n = 0;
		for(size_t r = 0; r < rows.nrows; r++)
			if(!strcmp(db_rows_get(&rows, r, 0), delivery_statuses[i]))
				n = db_rows_i64(&rows, r, 1);
		result = buf_addf(out, "linehook_deliveries{status=\"%s\"} %lld\n", delivery_statuses[i], n);
	}
	db_rows_release(&rows);
	if(!result)
		result = db_exec(db, sql_oldest_pending, DBP_NONE, &oldest, NULL);
	if(result)
		return result;
	result = buf_addf(out,
	                  "# HELP linehook_oldest_pending_delivery_age_seconds Age of the oldest pending delivery.\n"
	                  "# TYPE linehook_oldest_pending_delivery_age_seconds gauge\n"
	                  "linehook_oldest_pending_delivery_age_seconds %.3f\n",
	                  db_rows_get(&oldest, 0, 0) ? (double)(now - db_rows_i64(&oldest, 0, 0)) / 1000.0 : 0.0);
	db_rows_release(&oldest);
	return result;
}

static enum wh_err add_attempts(struct db *db, struct buf *out)
{
	struct db_rows rows;
	long long count;
	enum wh_err result = db_exec(db, sql_latency, DBP_NONE, &rows, NULL);
	if(result)
		return result;
	count = db_rows_i64(&rows, 0, 0);
	result = buf_addf(out,
	                  "# HELP linehook_attempts Delivery attempts by outcome (retained rows).\n"
	                  "# TYPE linehook_attempts gauge\n"
	                  "linehook_attempts{outcome=\"success\"} %lld\nlinehook_attempts{outcome=\"failure\"} %lld\n",
	                  db_rows_i64(&rows, 0, 2), count - db_rows_i64(&rows, 0, 2));
	if(!result)
		result = buf_adds(out, "# HELP linehook_attempt_duration_seconds Duration of delivery attempts "
		                       "(retained rows).\n# TYPE linehook_attempt_duration_seconds histogram\n");
	for(size_t i = 0; i < sizeof(le_labels) / sizeof(le_labels[0]) && !result; i++)
		result = buf_addf(out, "linehook_attempt_duration_seconds_bucket{le=\"%s\"} %lld\n", le_labels[i],
		                  db_rows_i64(&rows, 0, 3 + i));
	if(!result)
		result = buf_addf(
		    out,
		    "linehook_attempt_duration_seconds_bucket{le=\"+Inf\"} %lld\n"
		    "linehook_attempt_duration_seconds_sum %.3f\nlinehook_attempt_duration_seconds_count %lld\n",
		    count, (double)db_rows_i64(&rows, 0, 1) / 1000.0, count);
	db_rows_release(&rows);
	return result;
}

static enum wh_err add_outbox_and_webhooks(struct db *db, struct buf *out, long long now)
{
	struct db_rows ob, dis;
	enum wh_err result = db_exec(db, sql_outbox, DBP_NONE, &ob, NULL);
	if(result)
		return result;
	result = buf_addf(out,
	                  "# HELP linehook_outbox_backlog Events not yet fanned out.\n"
	                  "# TYPE linehook_outbox_backlog gauge\nlinehook_outbox_backlog %lld\n"
	                  "# HELP linehook_outbox_oldest_age_seconds Age of the oldest event not yet fanned out.\n"
	                  "# TYPE linehook_outbox_oldest_age_seconds gauge\nlinehook_outbox_oldest_age_seconds %.3f\n",
	                  db_rows_i64(&ob, 0, 0),
	                  db_rows_get(&ob, 0, 1) ? (double)(now - db_rows_i64(&ob, 0, 1)) / 1000.0 : 0.0);
	db_rows_release(&ob);
	if(!result)
		result = db_exec(db, sql_disabled, DBP_NONE, &dis, NULL);
	if(result)
		return result;
	result = buf_addf(out,
	                  "# HELP linehook_webhooks_disabled Webhooks disabled by the system.\n"
	                  "# TYPE linehook_webhooks_disabled gauge\nlinehook_webhooks_disabled %lld\n",
	                  db_rows_i64(&dis, 0, 0));
	db_rows_release(&dis);
	return result;
}

static enum wh_err add_totals(struct db *db, struct buf *out)
{
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql_totals, DBP_NONE, &rows, NULL);
	if(result)
		return result;
	buf_addf(
	    out,
	    "# HELP linehook_attempts_total Delivery attempts made, by outcome.\n"
	    "# TYPE linehook_attempts_total counter\n"
	    "linehook_attempts_total{outcome=\"success\"} %lld\nlinehook_attempts_total{outcome=\"failure\"} %lld\n"
	    "# HELP linehook_deliveries_total Deliveries that reached a final status (again after a resend).\n"
	    "# TYPE linehook_deliveries_total counter\n"
	    "linehook_deliveries_total{status=\"succeeded\"} %lld\nlinehook_deliveries_total{status=\"failed\"} %lld\n",
	    db_rows_i64(&rows, 0, 0) + db_rows_i64(&rows, 0, 4), db_rows_i64(&rows, 0, 1) + db_rows_i64(&rows, 0, 5),
	    db_rows_i64(&rows, 0, 2) + db_rows_i64(&rows, 0, 6), db_rows_i64(&rows, 0, 3) + db_rows_i64(&rows, 0, 7));
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err metrics_get(struct request *req)
{
	struct buf out;
	long long now = time_now_ms();
	enum wh_err result;
	buf_init(&out, 1024 * 1024);
	result = add_totals(req->app->db, &out);
	if(!result)
		result = add_deliveries(req->app->db, &out, now);
	if(!result)
		result = add_attempts(req->app->db, &out);
	if(!result)
		result = add_outbox_and_webhooks(req->app->db, &out, now);
	if(!result)
		http_send_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&out), out.len);
	buf_release(&out);
	return result;
}
