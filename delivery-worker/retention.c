/* Retention: small batched deletes of old attempts, deliveries, events and audit entries.
 * Attempts and deliveries are counted into metric_offsets as they go, in the deleting
 * transaction, so the *_total counters of /metrics never go down. */
#include "delivery-worker/retention.h"

#include "common/ids.h"
#include "common/ttl.h"

#define RETENTION_BATCH 500
#define RETENTION_ROUNDS 10

/* DELETE ... RETURNING: the rows a batch deleted, which no other worker's batch can also get. */
static const char sql_attempts[] = "DELETE FROM delivery_attempts WHERE at < ? ORDER BY seq LIMIT 500 RETURNING ok";
/* Pending deliveries are kept whatever their age: they still have work to do. */
static const char sql_deliveries[] = "DELETE FROM deliveries WHERE created < ? AND status <> 'pending' "
                                     "ORDER BY seq LIMIT 500 RETURNING times_succeeded, times_failed";
/* An event goes once it is fanned out and none of its deliveries is left. */
static const char sql_events[] = "DELETE FROM events WHERE created < ? AND fanned_out = 1 "
                                 "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = events.seq) LIMIT 500";
/* The audit log follows the same retention_days (issue 13). */
static const char sql_audit[] = "DELETE FROM audit_log WHERE created < ? LIMIT 500";

static const char sql_offsets[] = "INSERT INTO metric_offsets (metric, label, value) VALUES (?, ?, ?), (?, ?, ?) "
                                  "ON DUPLICATE KEY UPDATE value = value + VALUES(value)";

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

/* What a counted batch adds to its metric's two labels. */
struct counted {
	const char *sql, *metric, *labels[2];
};

/* Sums the deleted rows into the two labels: attempts by their ok column (1 = the first
 * label), deliveries by their two counts. */
static void count_rows(const struct db_rows *rows, long long sums[2])
{
	sums[0] = sums[1] = 0;
	for(size_t r = 0; r < rows->nrows; r++) {
		if(rows->ncols == 1) {
			sums[db_rows_i64(rows, r, 0) ? 0 : 1]++;
		} else {
			sums[0] += db_rows_i64(rows, r, 0);
			sums[1] += db_rows_i64(rows, r, 1);
		}
	}
}

/* One batch: delete, count what went, add it to the offsets, in one transaction. */
static enum wh_err counted_batch(struct db *db, const struct counted *c, long long cutoff_ms, uint64_t *n)
{
	struct db_rows rows = {0};
	long long sums[2];
	enum wh_err result = db_begin(db);
	if(!result)
		result = db_exec(db, c->sql, DBP(db_i64(cutoff_ms)), &rows, NULL);
	if(!result) {
		count_rows(&rows, sums);
		*n = rows.nrows;
		result = db_exec(db, sql_offsets,
		                 DBP(db_str(c->metric), db_str(c->labels[0]), db_i64(sums[0]), db_str(c->metric),
		                     db_str(c->labels[1]), db_i64(sums[1])),
		                 NULL, NULL);
	}
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
	static const struct counted attempts = {sql_attempts, "attempts_total", {"success", "failure"}};
	static const struct counted deliveries = {sql_deliveries, "deliveries_total", {"succeeded", "failed"}};
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
		result = drain(db, sql_idempotency, time_now_ms() - TTL_IDEMPOTENCY_MS, deleted);
	return result;
}
