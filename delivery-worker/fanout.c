/* Fan-out of outbox events into deliveries. */
#include "delivery-worker/fanout.h"

#include <string.h>

#include "common/ids.h"
#include "common/log.h"

static const char sql_claim_events[] =
    "SELECT seq, id, account_id, location_id, type, visit_state, webhook_id FROM events "
    "WHERE fanned_out = 0 ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED";

/* SPEC §7: active and not disabled; eventTypes empty or containing the type; locationIds
 * empty (account_wide) or containing the event's location; for visit.* events visitStates
 * empty or containing the visit's state. */
static const char sql_matching[] =
    "SELECT w.id FROM webhooks w WHERE w.account_id = ? AND w.is_active = 1 AND w.disabled_at IS NULL "
    "AND (JSON_LENGTH(w.event_types) = 0 OR JSON_CONTAINS(w.event_types, JSON_QUOTE(?))) "
    "AND (w.account_wide = 1 OR EXISTS (SELECT 1 FROM webhook_locations l "
    "WHERE l.webhook_id = w.id AND l.location_id = ?)) "
    "AND (? NOT LIKE 'visit.%' OR JSON_LENGTH(w.visit_states) = 0 "
    "OR JSON_CONTAINS(w.visit_states, JSON_QUOTE(?)) = 1) ORDER BY w.seq";

/* webhook.test: its one webhook, whatever its filters. */
static const char sql_test_target[] = "SELECT id FROM webhooks WHERE id = ? AND account_id = ?";

static const char sql_insert[] =
    "INSERT INTO deliveries (id, account_id, webhook_id, event_seq, event_id, event_type, status, "
    "next_attempt_at, created, updated) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)";

static const char sql_mark[] = "UPDATE events SET fanned_out = 1 WHERE seq = ?";

static enum wh_err fanout_event(struct db *db, const struct db_rows *ev, size_t r, long long now)
{
	const char *id = db_rows_get(ev, r, 1), *account = db_rows_get(ev, r, 2);
	const char *location = db_rows_get(ev, r, 3), *type = db_rows_get(ev, r, 4);
	const char *state = db_rows_get(ev, r, 5), *target = db_rows_get(ev, r, 6);
	long long seq = db_rows_i64(ev, r, 0);
	struct db_rows hooks;
	enum wh_err result;

	if(target)
		result = db_exec(db, sql_test_target, DBP(db_str(target), db_str(account)), &hooks, NULL);
	else
		result = db_exec(db, sql_matching,
		                 DBP(db_str(account), db_str(type), db_str(location), db_str(type), db_str(state)),
		                 &hooks, NULL);
	if(result)
		return result;
	for(size_t i = 0; i < hooks.nrows && !result; i++) {
		char did[ID_LEN + 1];
		id_new(did);
		result = db_exec(db, sql_insert,
		                 DBP(db_str(did), db_str(account), db_str(db_rows_get(&hooks, i, 0)), db_i64(seq),
		                     db_str(id), db_str(type), db_i64(now), db_i64(now), db_i64(now)),
		                 NULL, NULL);
	}
	if(!result)
		result = db_exec(db, sql_mark, DBP(db_i64(seq)), NULL, NULL);
	if(!result && hooks.nrows)
		log_debug("event %s (%s) fanned out to %zu webhook(s)", id, type, hooks.nrows);
	db_rows_release(&hooks);
	return result;
}

enum wh_err fanout_run(struct db *db, long long batch, size_t *nevents)
{
	struct db_rows ev;
	long long now = time_now_ms();
	enum wh_err result;

	memset(&ev, 0, sizeof(ev));
	*nevents = 0;
	result = db_begin(db);
	if(result)
		return result;
	result = db_exec(db, sql_claim_events, DBP(db_i64(batch)), &ev, NULL);
	for(size_t r = 0; !result && r < ev.nrows; r++)
		result = fanout_event(db, &ev, r, now);
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	else
		*nevents = ev.nrows;
	db_rows_release(&ev);
	return result;
}
