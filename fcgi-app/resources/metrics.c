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

/* Everything in one statement: one round trip, and one read view, so a retention batch
 * commits either before it (rows still counted) or after it (counted in the offsets), never
 * half. Each part is a one-row derived table, evaluated once (each table is read once: the
 * totals add the retained rows' counts, read for the gauges, to the offsets); ages are on
 * the database's clock, like the times the worker writes. The columns, in order: */
enum metrics_col {
	MC_OFF_ATTEMPTS_OK, /* what retention deleted (metric_offsets) */
	MC_OFF_ATTEMPTS_FAILED,
	MC_OFF_SUCCEEDED,
	MC_OFF_FAILED,
	MC_BY_STATUS, /* DELIVERY_STATUS_COUNT columns, in delivery_statuses order */
	MC_OLDEST_PENDING_MS = MC_BY_STATUS + DELIVERY_STATUS_COUNT, /* NULL: none pending */
	MC_LATENCY, /* count, sum of ms, successes, then one per le_labels */
	MC_BACKLOG = MC_LATENCY + 3 + 12,
	MC_BACKLOG_OLDEST_MS, /* NULL: none */
	MC_DISABLED,
};
#define OFFSET_OF(metric, label)                                                                                       \
	"(SELECT COALESCE(SUM(value), 0) FROM metric_offsets WHERE metric = '" metric "' AND label = '" label "')"
#define OFF_ATTEMPTS_OK OFFSET_OF(METRIC_ATTEMPTS_TOTAL, "success")
#define OFF_ATTEMPTS_FAILED OFFSET_OF(METRIC_ATTEMPTS_TOTAL, "failure")
#define OFF_SUCCEEDED OFFSET_OF(METRIC_DELIVERIES_TOTAL, DELIVERY_SUCCEEDED)
#define OFF_FAILED OFFSET_OF(METRIC_DELIVERIES_TOTAL, DELIVERY_FAILED)
#define METRICS_OFFSETS "(SELECT " OFF_ATTEMPTS_OK ", " OFF_ATTEMPTS_FAILED ", " OFF_SUCCEEDED ", " OFF_FAILED ") t"
#define BY_STATUS(s) "COALESCE(SUM(IF(status = '" s "', n, 0)), 0)"
_Static_assert(DELIVERY_STATUS_COUNT == 3, "METRICS_BY_STATUS counts each delivery status");
#define METRICS_BY_STATUS                                                                                              \
	"(SELECT " BY_STATUS(DELIVERY_PENDING) ", " BY_STATUS(DELIVERY_SUCCEEDED) ", " BY_STATUS(                      \
	    DELIVERY_FAILED) " FROM (SELECT status, COUNT(*) n FROM deliveries GROUP BY status) g) d"
#define METRICS_OLDEST_PENDING                                                                                         \
	"(SELECT " DB_NOW_MS " - MIN(created) FROM deliveries WHERE status = '" DELIVERY_PENDING "') p"
/* Bucket bounds in milliseconds, matching le_labels. */
#define METRICS_LATENCY                                                                                                \
	"(SELECT COUNT(*), COALESCE(SUM(duration_ms), 0), COALESCE(SUM(ok = 1), 0), "                                  \
	"COALESCE(SUM(duration_ms <= 5), 0), COALESCE(SUM(duration_ms <= 10), 0), "                                    \
	"COALESCE(SUM(duration_ms <= 25), 0), COALESCE(SUM(duration_ms <= 50), 0), "                                   \
	"COALESCE(SUM(duration_ms <= 100), 0), COALESCE(SUM(duration_ms <= 250), 0), "                                 \
	"COALESCE(SUM(duration_ms <= 500), 0), COALESCE(SUM(duration_ms <= 1000), 0), "                                \
	"COALESCE(SUM(duration_ms <= 2500), 0), COALESCE(SUM(duration_ms <= 5000), 0), "                               \
	"COALESCE(SUM(duration_ms <= 10000), 0), COALESCE(SUM(duration_ms <= 15000), 0) FROM delivery_attempts) a"
#define METRICS_OUTBOX "(SELECT COUNT(*), " DB_NOW_MS " - MIN(created) FROM events WHERE fanned_out = 0) o"
#define METRICS_DISABLED "(SELECT COUNT(*) FROM webhooks WHERE disabled_at IS NOT NULL) w"
static const char sql_metrics[] =
    "SELECT t.*, d.*, p.*, a.*, o.*, w.* FROM " METRICS_OFFSETS ", " METRICS_BY_STATUS ", " METRICS_OLDEST_PENDING
    ", " METRICS_LATENCY ", " METRICS_OUTBOX ", " METRICS_DISABLED;
static const char *const le_labels[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                        "0.5",   "1",    "2.5",   "5",    "10",  "15"};

/* Seconds from a column of milliseconds, 0 for NULL. */
static double age_s(const struct db_rows *rows, size_t col)
{
	return db_rows_get(rows, 0, col) ? (double)db_rows_i64(rows, 0, col) / 1000.0 : 0.0;
}

static enum wh_err add_deliveries(const struct db_rows *rows, struct buf *out)
{
	enum wh_err result = buf_adds(out, "# HELP linehook_deliveries Deliveries by status (retained rows).\n"
	                                   "# TYPE linehook_deliveries gauge\n");
	for(size_t i = 0; delivery_statuses[i] && !result; i++)
		result = buf_addf(out, "linehook_deliveries{status=\"%s\"} %lld\n", delivery_statuses[i],
		                  db_rows_i64(rows, 0, MC_BY_STATUS + i));
	if(!result)
		result =
		    buf_addf(out,
		             "# HELP linehook_oldest_pending_delivery_age_seconds Age of the oldest pending delivery.\n"
		             "# TYPE linehook_oldest_pending_delivery_age_seconds gauge\n"
		             "linehook_oldest_pending_delivery_age_seconds %.3f\n",
		             age_s(rows, MC_OLDEST_PENDING_MS));
	return result;
}

static enum wh_err add_attempts(const struct db_rows *rows, struct buf *out)
{
	long long count = db_rows_i64(rows, 0, MC_LATENCY), ok = db_rows_i64(rows, 0, MC_LATENCY + 2);
	enum wh_err result =
	    buf_addf(out,
	             "# HELP linehook_attempts Delivery attempts by outcome (retained rows).\n"
	             "# TYPE linehook_attempts gauge\n"
	             "linehook_attempts{outcome=\"success\"} %lld\nlinehook_attempts{outcome=\"failure\"} %lld\n",
	             ok, count - ok);
	if(!result)
		result = buf_adds(out, "# HELP linehook_attempt_duration_seconds Duration of delivery attempts "
		                       "(retained rows).\n# TYPE linehook_attempt_duration_seconds histogram\n");
	for(size_t i = 0; i < sizeof(le_labels) / sizeof(le_labels[0]) && !result; i++)
		result = buf_addf(out, "linehook_attempt_duration_seconds_bucket{le=\"%s\"} %lld\n", le_labels[i],
		                  db_rows_i64(rows, 0, MC_LATENCY + 3 + i));
	if(!result)
		result = buf_addf(
		    out,
		    "linehook_attempt_duration_seconds_bucket{le=\"+Inf\"} %lld\n"
		    "linehook_attempt_duration_seconds_sum %.3f\nlinehook_attempt_duration_seconds_count %lld\n",
		    count, (double)db_rows_i64(rows, 0, MC_LATENCY + 1) / 1000.0, count);
	return result;
}

static enum wh_err add_outbox_and_webhooks(const struct db_rows *rows, struct buf *out)
{
	return buf_addf(out,
	                "# HELP linehook_outbox_backlog Events not yet fanned out.\n"
	                "# TYPE linehook_outbox_backlog gauge\nlinehook_outbox_backlog %lld\n"
	                "# HELP linehook_outbox_oldest_age_seconds Age of the oldest event not yet fanned out.\n"
	                "# TYPE linehook_outbox_oldest_age_seconds gauge\nlinehook_outbox_oldest_age_seconds %.3f\n"
	                "# HELP linehook_webhooks_disabled Webhooks disabled by the system.\n"
	                "# TYPE linehook_webhooks_disabled gauge\nlinehook_webhooks_disabled %lld\n",
	                db_rows_i64(rows, 0, MC_BACKLOG), age_s(rows, MC_BACKLOG_OLDEST_MS),
	                db_rows_i64(rows, 0, MC_DISABLED));
}

static enum wh_err add_totals(const struct db_rows *rows, struct buf *out)
{
	long long count = db_rows_i64(rows, 0, MC_LATENCY), ok = db_rows_i64(rows, 0, MC_LATENCY + 2);
	_Static_assert(DELIVERY_STATUS_COUNT == 3, "succeeded and failed are delivery_statuses[1] and [2]");
	return buf_addf(
	    out,
	    "# HELP linehook_attempts_total Delivery attempts made, by outcome.\n"
	    "# TYPE linehook_attempts_total counter\n"
	    "linehook_attempts_total{outcome=\"success\"} %lld\nlinehook_attempts_total{outcome=\"failure\"} %lld\n"
	    "# HELP linehook_deliveries_total Deliveries that reached a final status (again after a resend).\n"
	    "# TYPE linehook_deliveries_total counter\n"
	    "linehook_deliveries_total{status=\"succeeded\"} %lld\nlinehook_deliveries_total{status=\"failed\"} %lld\n",
	    ok + db_rows_i64(rows, 0, MC_OFF_ATTEMPTS_OK), count - ok + db_rows_i64(rows, 0, MC_OFF_ATTEMPTS_FAILED),
	    db_rows_i64(rows, 0, MC_BY_STATUS + 1) + db_rows_i64(rows, 0, MC_OFF_SUCCEEDED),
	    db_rows_i64(rows, 0, MC_BY_STATUS + 2) + db_rows_i64(rows, 0, MC_OFF_FAILED));
}

enum wh_err metrics_get(struct request *req)
{
	struct buf out;
	struct db_rows rows;
	enum wh_err result = db_exec(req->app->db, sql_metrics, DBP_NONE, &rows, NULL);
	if(result)
		return result;
	buf_init(&out, 1024 * 1024);
	if(rows.nrows != 1 || rows.ncols != MC_DISABLED + 1)
		result = WH_ERR_INTERNAL;
	if(!result)
		result = add_totals(&rows, &out);
	if(!result)
		result = add_deliveries(&rows, &out);
	if(!result)
		result = add_attempts(&rows, &out);
	if(!result)
		result = add_outbox_and_webhooks(&rows, &out);
	if(!result)
		http_send_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&out), out.len);
	buf_release(&out);
	db_rows_release(&rows);
	return result;
}
