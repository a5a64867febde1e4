/* Retention: small batched deletes of old attempts, deliveries and events. */
#include "delivery-worker/retention.h"

#include "common/ids.h"
#include "common/ttl.h"

#define RETENTION_BATCH 500
#define RETENTION_ROUNDS 10

static const char sql_attempts[] = "DELETE FROM delivery_attempts WHERE at < ? LIMIT 500";
/* Pending deliveries are kept whatever their age: they still have work to do. */
static const char sql_deliveries[] = "DELETE FROM deliveries WHERE created < ? AND status <> 'pending' LIMIT 500";
/* An event goes once it is fanned out and none of its deliveries is left. */
static const char sql_events[] = "DELETE FROM events WHERE created < ? AND fanned_out = 1 "
                                 "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = events.seq) LIMIT 500";

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

enum wh_err retention_run(struct db *db, long long cutoff_ms, unsigned long long *deleted)
{
	enum wh_err result;
	*deleted = 0;
	result = drain(db, sql_attempts, cutoff_ms, deleted);
	if(!result)
		result = drain(db, sql_deliveries, cutoff_ms, deleted);
	if(!result)
		result = drain(db, sql_events, cutoff_ms, deleted);
	if(!result)
		result = drain(db, sql_idempotency, time_now_ms() - TTL_IDEMPOTENCY_MS, deleted);
	return result;
}
