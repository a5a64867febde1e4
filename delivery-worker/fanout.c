/* Fan-out of outbox events into deliveries. */
#include "delivery-worker/fanout.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "delivery-worker/sqlrows.h"

static const char sql_claim_events[] =
    "SELECT seq, id, account_id, location_id, type, visit_state, webhook_id, subject_webhook_id FROM events "
    "WHERE fanned_out = 0 ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED";

/* SPEC §7: active and not disabled; eventTypes empty or containing the type; locationIds
 * empty (account_wide) or containing the event's location; for visit.* events visitStates
 * empty or containing the visit's state. An operational event (subject_webhook_id set, §14)
 * reaches only the webhooks that list its type, never the webhook it is about; having no
 * location, it matches account-wide webhooks only. */
static const char sql_matching[] =
    "SELECT w.id FROM webhooks w WHERE w.account_id = ? AND w.is_active = 1 AND w.disabled_at IS NULL "
    "AND ((JSON_LENGTH(w.event_types) = 0 AND ? IS NULL) OR JSON_CONTAINS(w.event_types, JSON_QUOTE(?))) "
    "AND (w.account_wide = 1 OR EXISTS (SELECT 1 FROM webhook_locations l "
    "WHERE l.webhook_id = w.id AND l.location_id = ?)) "
    "AND (? NOT LIKE 'visit.%' OR JSON_LENGTH(w.visit_states) = 0 "
    "OR JSON_CONTAINS(w.visit_states, JSON_QUOTE(?)) = 1) AND NOT (w.id <=> ?) ORDER BY w.seq";

/* webhook.test: its one webhook, whatever its filters. */
static const char sql_test_target[] = "SELECT id FROM webhooks WHERE id = ? AND account_id = ?";

static const char sql_insert_head[] =
    "INSERT INTO deliveries (id, account_id, webhook_id, event_seq, event_id, event_type, status, "
    "next_attempt_at, created, updated) VALUES ";
static const char sql_insert_row[] = "(?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)";
#define INSERT_COLS 9

static const char sql_mark_head[] = "UPDATE events SET fanned_out = 1 WHERE seq IN (";
static const char sql_mark_row[] = "?";
static const char sql_mark_tail[] = ")";

/* The matching webhooks of each distinct (account, location, type, state, target) of the
 * batch, asked for once. */
struct match {
	size_t row; /* the first event row with this key */
	struct db_rows hooks;
};

struct batch {
	const struct db_rows *ev;
	struct match *matches;
	size_t nmatches;
	size_t *match_of; /* per event row: index into matches */
	size_t ndeliveries;
};

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_key(const struct db_rows *ev, size_t a, size_t b)
{
	for(size_t c = 2; c <= 7; c++)
		if(!same(db_rows_get(ev, a, c), db_rows_get(ev, b, c)))
			return false;
	return true;
}

static enum wh_err match_rows(struct db *db, const struct db_rows *ev, size_t r, struct db_rows *hooks)
{
	const char *account = db_rows_get(ev, r, 2), *location = db_rows_get(ev, r, 3);
	const char *type = db_rows_get(ev, r, 4), *state = db_rows_get(ev, r, 5), *target = db_rows_get(ev, r, 6);
	const char *subject = db_rows_get(ev, r, 7);
	if(target)
		return db_exec(db, sql_test_target, DBP(db_str(target), db_str(account)), hooks, NULL);
	return db_exec(db, sql_matching,
	               DBP(db_str(account), db_str(subject), db_str(type), db_str(location), db_str(type),
	                   db_str(state), db_str(subject)),
	               hooks, NULL);
}

static enum wh_err batch_match(struct db *db, struct batch *b)
{
	enum wh_err result = WH_OK;
	for(size_t r = 0; r < b->ev->nrows && !result; r++) {
		size_t m = 0;
		while(m < b->nmatches && !same_key(b->ev, b->matches[m].row, r))
			m++;
		if(m == b->nmatches) {
			b->matches[m].row = r;
			result = match_rows(db, b->ev, r, &b->matches[m].hooks);
			if(result)
				break;
			b->nmatches++;
		}
		b->match_of[r] = m;
		b->ndeliveries += b->matches[m].hooks.nrows;
	}
	return result;
}

/* The delivery rows of the batch, in event order, in multi-row INSERTs. */
static enum wh_err batch_insert(struct db *db, const struct batch *b, long long now)
{
	struct db_param *p = xcalloc(SQLROWS_MAX * INSERT_COLS, sizeof(*p));
	char(*ids)[ID_LEN + 1] = xcalloc(SQLROWS_MAX, sizeof(*ids));
	size_t left = b->ndeliveries, r = 0, h = 0;
	enum wh_err result = WH_OK;
	while(left && !result) {
		size_t chunk = sqlrows_chunk(left);
		for(size_t k = 0; k < chunk; h++) {
			const struct db_rows *hooks = &b->matches[b->match_of[r]].hooks;
			struct db_param *q = p + INSERT_COLS * k;
			if(h >= hooks->nrows) {
				r++;
				h = (size_t)-1;
				continue;
			}
			id_new(ids[k]);
			q[0] = db_str(ids[k]);
			q[1] = db_str(db_rows_get(b->ev, r, 2));
			q[2] = db_str(db_rows_get(hooks, h, 0));
			q[3] = db_i64(db_rows_i64(b->ev, r, 0));
			q[4] = db_str(db_rows_get(b->ev, r, 1));
			q[5] = db_str(db_rows_get(b->ev, r, 4));
			q[6] = q[7] = q[8] = db_i64(now);
			k++;
		}
		result = db_exec(db, sqlrows_text(sql_insert_head, sql_insert_row, "", chunk), p, chunk * INSERT_COLS,
		                 NULL, NULL);
		left -= chunk;
	}
	free(ids);
	free(p);
	return result;
}

/* Marks the batch's events fanned out, a multi-row IN per chunk. */
static enum wh_err batch_mark(struct db *db, const struct db_rows *ev)
{
	struct db_param p[SQLROWS_MAX];
	size_t r = 0;
	enum wh_err result = WH_OK;
	while(r < ev->nrows && !result) {
		size_t chunk = sqlrows_chunk(ev->nrows - r);
		for(size_t k = 0; k < chunk; k++)
			p[k] = db_i64(db_rows_i64(ev, r + k, 0));
		result =
		    db_exec(db, sqlrows_text(sql_mark_head, sql_mark_row, sql_mark_tail, chunk), p, chunk, NULL, NULL);
		r += chunk;
	}
	return result;
}

static enum wh_err fanout_batch(struct db *db, const struct db_rows *ev, long long now)
{
	struct batch b = {ev, xcalloc(ev->nrows + 1, sizeof(struct match)), 0, xcalloc(ev->nrows + 1, sizeof(size_t)),
	                  0};
	enum wh_err result = batch_match(db, &b);
	if(!result)
		result = batch_insert(db, &b, now);
	if(!result)
		result = batch_mark(db, ev);
	if(!result && b.ndeliveries)
		log_debug("%zu event(s) fanned out to %zu deliveries", ev->nrows, b.ndeliveries);
	for(size_t m = 0; m < b.nmatches; m++)
		db_rows_release(&b.matches[m].hooks);
	free(b.matches);
	free(b.match_of);
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
	if(!result && ev.nrows)
		result = fanout_batch(db, &ev, now);
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	else
		*nevents = ev.nrows;
	db_rows_release(&ev);
	return result;
}
