/* Retention: small batched deletes of old attempts, deliveries, events and audit entries.
 * Attempts and deliveries are counted into metric_offsets as they go, in the deleting
 * transaction, so the *_total counters of /metrics never go down. */
#include "delivery-worker/retention.h"

#include <string.h>

#include "common/delivery_row.h"
#include "common/ids.h"
#include "common/metric_offsets.h"
#include "common/ttl.h"
#include "common/webhook_row.h"

#define RETENTION_BATCH 500
#define RETENTION_ROUNDS 10

/* DELETE ... RETURNING: the rows a batch deleted, which no other worker's batch can also get. */
static const char sql_attempts[] = "DELETE FROM delivery_attempts WHERE at < ? ORDER BY seq LIMIT 500 RETURNING ok";
/* Pending deliveries are kept whatever their age: they still have work to do. */
static const char sql_deliveries[] = "DELETE FROM deliveries WHERE created < ? AND status <> '" DELIVERY_PENDING "' "
                                     "ORDER BY seq LIMIT 500 RETURNING status";
/* An event goes once it is fanned out and none of its deliveries is left. */
static const char sql_events[] = "DELETE FROM events WHERE created < ? AND fanned_out = 1 "
                                 "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = events.seq) LIMIT 500";
/* The audit log follows the same retention_days (issue 13). */
static const char sql_audit[] = "DELETE FROM audit_log WHERE created < ? LIMIT 500";

/* The hourly attempt counters of webhook stats: kept two days (the stats read 25 hours). */
static const char sql_stats[] = "DELETE FROM webhook_stats_hourly WHERE hour < ? LIMIT 500";

static const char sql_idempotency[] = "DELETE FROM idempotency_keys WHERE created < ? LIMIT 500";

static enum wh_err drain(struct db *db, const char *sql, long long cutoff_ms, unsigned long long *deleted)
{
	for(int round = 0; round < RETENTION_ROUNDS; round++) {
		uint64_t n = 0;
		enum wh_err result = db_exec(db, sql, DBP(db_i64(cutoff_ms)), NULL, &n);
		if(result)
			return result;
		*deleted += n;
		if(n < RETENTION_BATCH)
			break;
	}
	return WH_OK;
}

/* What a counted batch adds to its metric's two labels: the deleted rows whose one column
 * reads match go to labels[0], the others to labels[1]. */
struct counted {
	const char *sql, *metric, *match, *labels[2];
};

/* One batch: delete, count what went, add it to the offsets, in one transaction. */
static enum wh_err counted_batch(struct db *db, const struct counted *c, long long cutoff_ms, uint64_t *n)
{
	struct db_rows rows = {0};
	long long first = 0;
	enum wh_err result = db_begin(db);
	if(!result)
		result = db_exec(db, c->sql, DBP(db_i64(cutoff_ms)), &rows, NULL);
	if(!result) {
		for(size_t r = 0; r < rows.nrows; r++)
			first += !strcmp(db_rows_get(&rows, r, 0), c->match);
		*n = rows.nrows;
		result = metric_offset_add(db, c->metric, c->labels[0], first);
	}
	if(!result)
		result = metric_offset_add(db, c->metric, c->labels[1], (long long)rows.nrows - first);
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	db_rows_release(&rows);
	return result;
}

static enum wh_err drain_counted(struct db *db, const struct counted *c, long long cutoff_ms,
                                 unsigned long long *deleted)
{
	for(int round = 0; round < RETENTION_ROUNDS; round++) {
		uint64_t n = 0;
		enum wh_err result = counted_batch(db, c, cutoff_ms, &n);
		if(result)
			return result;
		*deleted += n;
		if(n < RETENTION_BATCH)
			break;
	}
	return WH_OK;
}

enum wh_err retention_run(struct db *db, long long cutoff_ms, unsigned long long *deleted)
{
	static const struct counted attempts = {sql_attempts, METRIC_ATTEMPTS_TOTAL, "1", {"success", "failure"}};
	static const struct counted deliveries = {
	    sql_deliveries, METRIC_DELIVERIES_TOTAL, DELIVERY_SUCCEEDED, {DELIVERY_SUCCEEDED, DELIVERY_FAILED}};
	unsigned long long counters = 0; /* not rows of the retention policy: not in *deleted */
	enum wh_err result;
	*deleted = 0;
	result = drain_counted(db, &attempts, cutoff_ms, deleted);
	if(!result)
		result = drain_counted(db, &deliveries, cutoff_ms, deleted);
	if(!result)
		result = drain(db, sql_events, cutoff_ms, deleted);
	if(!result)
		result = drain(db, sql_audit, cutoff_ms, deleted);
	if(!result)
		result = drain(db, sql_stats, time_now_ms() / WEBHOOK_STATS_HOUR_MS - 48, &counters);
	if(!result)
		result = drain(db, sql_idempotency, time_now_ms() - TTL_IDEMPOTENCY_MS, deleted);
	return result;
}
