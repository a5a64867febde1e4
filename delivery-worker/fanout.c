/* Fan-out of outbox events into deliveries. */
#include "delivery-worker/fanout.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "delivery-worker/epcount.h"
#include "delivery-worker/sqlrows.h"

/* The last column is the database's clock: new deliveries are due at once on the clock the
 * claims compare with. */
static const char sql_claim_events[] =
    "SELECT seq, id, account_id, location_id, type, visit_state, webhook_id, subject_webhook_id, " DB_NOW_MS
    " FROM events "
    "WHERE fanned_out = 0 ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED";

/* SPEC §7: active and not disabled; eventTypes empty or containing the type; locationIds
 * empty (account_wide) or containing the event's location; for visit.* events visitStates
 * empty or containing the visit's state. An operational event (subject_webhook_id set, §14)
 * reaches only the webhooks that list its type, never the webhook it is about; having no
 * location, it matches account-wide webhooks only. */
static const char sql_matching[] =
    "SELECT w.id, w.ordering = 'none' AND w.rate_limit IS NULL FROM webhooks w "
    "WHERE w.account_id = ? AND w.is_active = 1 AND w.disabled_at IS NULL "
    "AND ((JSON_LENGTH(w.event_types) = 0 AND ? IS NULL) OR JSON_CONTAINS(w.event_types, JSON_QUOTE(?))) "
    "AND (w.account_wide = 1 OR EXISTS (SELECT 1 FROM webhook_locations l "
    "WHERE l.webhook_id = w.id AND l.location_id = ?)) "
    "AND (? NOT LIKE 'visit.%' OR JSON_LENGTH(w.visit_states) = 0 "
    "OR JSON_CONTAINS(w.visit_states, JSON_QUOTE(?)) = 1) AND NOT (w.id <=> ?) ORDER BY w.seq";
/* The second column of both: may the fan-out lease the delivery (no ordering or rate to keep)? */

/* webhook.test: its one webhook, whatever its filters. */
static const char sql_test_target[] =
    "SELECT id, ordering = 'none' AND rate_limit IS NULL FROM webhooks WHERE id = ? AND account_id = ?";

/* A leased row is due when its lease ends, like a claimed one. */
static const char sql_insert_head[] =
    "INSERT INTO deliveries (id, account_id, webhook_id, event_seq, event_id, event_type, status, "
    "next_attempt_at, created, updated, lease_token, lease_expires) VALUES ";
static const char sql_insert_row[] = "(?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)";
#define INSERT_COLS 11

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
	long long now; /* the database's clock */
	struct fanout_lease *lease;
	char token[ID_LEN + 1];
	struct epcount *leased_per_hook;
	char (*leased)[ID_LEN + 1]; /* ids of the deliveries created leased */
	size_t nleased;
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

/* Leases a new delivery to webhook_id when there is room and the webhook keeps no order or
 * rate (its claims decide those), keeping its id. */
static bool lease_new(struct batch *b, const char *delivery_id, const char *webhook_id, bool leasable)
{
	struct fanout_lease *l = b->lease;
	if(!l || !leasable || b->nleased >= l->room ||
	   epcount_get(b->leased_per_hook, webhook_id) >= l->hook_room(l->ctx, webhook_id))
		return false;
	epcount_add(b->leased_per_hook, webhook_id, +1);
	memcpy(b->leased[b->nleased++], delivery_id, ID_LEN + 1);
	return true;
}

static void row_params(struct batch *b, struct db_param *q, const char *id, size_t r, const struct db_rows *hooks,
                       size_t h)
{
	const char *webhook_id = db_rows_get(hooks, h, 0);
	bool leased = lease_new(b, id, webhook_id, db_rows_i64(hooks, h, 1) != 0);
	long long due = leased ? b->now + b->lease->claim->lease_ms : b->now;
	q[0] = db_str(id);
	q[1] = db_str(db_rows_get(b->ev, r, 2));
	q[2] = db_str(webhook_id);
	q[3] = db_i64(db_rows_i64(b->ev, r, 0));
	q[4] = db_str(db_rows_get(b->ev, r, 1));
	q[5] = db_str(db_rows_get(b->ev, r, 4));
	q[6] = db_i64(due);
	q[7] = q[8] = db_i64(b->now);
	q[9] = leased ? db_str(b->token) : db_null();
	q[10] = leased ? db_i64(due) : db_null();
}

/* The delivery rows of the batch, in event order, in multi-row INSERTs. */
static enum wh_err batch_insert(struct db *db, struct batch *b)
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
			row_params(b, q, ids[k], r, hooks, h);
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

static enum wh_err fanout_batch(struct db *db, struct batch *b)
{
	enum wh_err result;
	b->matches = xcalloc(b->ev->nrows + 1, sizeof(struct match));
	b->match_of = xcalloc(b->ev->nrows + 1, sizeof(size_t));
	result = batch_match(db, b);
	if(!result && b->lease) {
		b->leased = xcalloc(b->ndeliveries + 1, sizeof(*b->leased));
		b->leased_per_hook = epcount_new();
		id_new(b->token);
	}
	if(!result)
		result = batch_insert(db, b);
	if(!result)
		result = batch_mark(db, b->ev);
	if(!result && b->ndeliveries)
		log_debug("%zu event(s) fanned out to %zu deliveries (%zu leased, lease %s), not committed yet",
		          b->ev->nrows, b->ndeliveries, b->nleased, b->nleased ? b->token : "none");
	return result;
}

static void batch_release(struct batch *b)
{
	for(size_t m = 0; m < b->nmatches; m++)
		db_rows_release(&b->matches[m].hooks);
	free(b->matches);
	free(b->match_of);
	free(b->leased);
	epcount_free(b->leased_per_hook);
}

/* The deliveries the batch created leased, to load (free l.ids). */
static struct claim_leased batch_leased(const struct batch *b, long long deadline_mono)
{
	const char **ids = xcalloc(b->nleased, sizeof(*ids));
	for(size_t i = 0; i < b->nleased; i++)
		ids[i] = b->leased[i];
	return (struct claim_leased){b->token, ids, NULL, b->nleased, deadline_mono};
}

/* Loads the deliveries the committed batch created leased. */
static enum wh_err batch_load(struct db *db, struct batch *b, long long deadline_mono)
{
	struct claim_leased l = batch_leased(b, deadline_mono);
	enum wh_err result = claim_load(db, b->lease->claim, &l, &b->lease->jobs, &b->lease->njobs);
	free((void *)l.ids);
	return result;
}

/* The deliveries the batch leased that were not loaded (claim_unloaded). */
static void batch_unloaded(struct batch *b)
{
	struct claim_leased l = batch_leased(b, 0);
	claim_unloaded(&l, &b->lease->jobs);
	free((void *)l.ids);
}

enum wh_err fanout_run(struct db *db, long long batch, size_t *nevents, struct fanout_lease *lease)
{
	struct db_rows ev;
	struct batch b;
	long long deadline_mono = 0;
	enum wh_err result;

	memset(&ev, 0, sizeof(ev));
	memset(&b, 0, sizeof(b));
	b.ev = &ev;
	b.lease = lease;
	*nevents = 0;
	result = db_begin(db);
	if(result)
		return result;
	if(lease) /* before the statement that reads the database's clock: see claim_due */
		deadline_mono = time_mono_ms() + lease->claim->lease_ms - lease->claim->record_margin_ms;
	result = db_exec(db, sql_claim_events, DBP(db_i64(batch)), &ev, NULL);
	b.now = ev.nrows ? db_rows_i64(&ev, 0, 8) : 0;
	if(!result && ev.nrows)
		result = fanout_batch(db, &b);
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	else
		*nevents = ev.nrows;
	if(!result && lease)
		lease->ndeliveries = b.ndeliveries;
	if(!result && b.nleased)
		result = batch_load(db, &b, deadline_mono);
	if(!result && b.nleased)
		log_debug("fan-out committed: %zu leased deliveries loaded (lease %s)", lease->njobs, b.token);
	if(result == WH_ERR_DB_DOWN && b.nleased)
		batch_unloaded(&b);
	batch_release(&b);
	db_rows_release(&ev);
	return result;
}
