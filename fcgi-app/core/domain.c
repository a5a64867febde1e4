/* Shared pieces of the waitlist domain handlers: transactions, events, fields, locations. */
#include "fcgi-app/core/domain.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "fcgi-app/core/idempotency.h"
#include "fcgi-app/core/outbox.h"
#include "fcgi-app/resources/visit_rules.h"

#define DOMAIN_TX_TRIES 8

enum wh_err domain_tx(struct request *req, domain_tx_fn fn, void *ctx)
{
	struct db *db = req->app->db;
	enum wh_err result = WH_ERR_INTERNAL;
	for(int attempt = 0; attempt < DOMAIN_TX_TRIES; attempt++) {
		bool retry;
		result = db_begin(db);
		if(result)
			return result;
		result = fn(req, ctx);
		if(!result)
			result = db_commit(db);
		if(!result)
			return WH_OK;
		retry = db_last_retryable(db);
		db_rollback(db);
		if(!retry)
			return result;
		log_info("%s %s: deadlock, transaction retried (%d)", req->method, req->path, attempt + 1);
		db_retry_pause(attempt);
	}
	req->retry_after_s = 1;
	return db_retries_exhausted(db);
}

struct domain_create_tx {
	const json_t *body;
	domain_tx_fn fn;
	void *ctx;
	json_t **answer;
	bool replayed;
};

static enum wh_err domain_create_tx(struct request *req, void *ctx)
{
	struct domain_create_tx *c = ctx;
	struct idem idem;
	enum wh_err result = idem_begin(req, c->body, &idem, &c->replayed);
	if(result || c->replayed)
		return result;
	result = c->fn(req, c->ctx);
	if(!result)
		result = idem_record(req, &idem, 201, *c->answer);
	return result;
}

enum wh_err domain_create(struct request *req, const json_t *body, domain_tx_fn fn, void *ctx, json_t **answer)
{
	struct domain_create_tx c = {body, fn, ctx, answer, false};
	enum wh_err result = domain_tx(req, domain_create_tx, &c);
	if(!result && !c.replayed)
		http_send_json(req, 201, *answer);
	return result;
}

enum wh_err domain_emit(struct request *req, const char *type, const char *location_id, const char *visit_state,
                        const json_t *data)
{
	struct outbox_event ev = {
	    .account_id = req->account_id,
	    .location_id = location_id,
	    .type = type,
	    .visit_state = visit_state,
	    .webhook_id = NULL,
	    .data = data,
	};
	return outbox_emit(req->app->db, &req->app->cfg, &ev, NULL);
}

enum wh_err domain_nullable_string(json_t *obj, const char *key, size_t minlen, size_t maxlen, bool multiline,
                                   const char **out, bool *present, struct jx_err *err)
{
	json_t *v = json_object_get(obj, key);
	size_t len;
	*out = NULL;
	*present = v != NULL;
	if(!v || json_is_null(v))
		return WH_OK;
	if(!json_is_string(v))
		return jx_fail(err, key, "%s: must be a string or null", key);
	len = json_string_length(v);
	if(len < minlen || len > maxlen)
		return jx_fail(err, key, "%s: length must be %zu..%zu bytes", key, minlen, maxlen);
	if(!rules_text_valid(json_string_value(v)) || (!multiline && strpbrk(json_string_value(v), "\t\r\n")))
		return jx_fail(err, key, "%s: must not contain control characters", key);
	*out = json_string_value(v);
	return WH_OK;
}

enum wh_err domain_read_update(struct request *req, const char *const *keys, json_t **body)
{
	enum wh_err result = id_valid(req->params[0]) ? WH_OK : WH_ERR_NOT_FOUND;
	*body = NULL;
	if(!result)
		result = http_read_json(req, true, body);
	if(!result && keys)
		result = jx_only_keys(*body, keys, &req->err);
	return result;
}

enum wh_err domain_query_id(struct request *req, const char *name, const char **out)
{
	*out = http_query(req, name);
	if(*out && !id_valid(*out))
		return jx_fail(&req->err, name, "%s: must be an id (20 characters [A-Za-z0-9])", name);
	return WH_OK;
}

enum wh_err domain_page_seq(struct request *req, const struct page *page, const char *seq_sql, long long *seq)
{
	struct db_rows rows;
	enum wh_err result;
	*seq = 0;
	if(!page->start_after)
		return WH_OK;
	result = db_exec(req->app->db, seq_sql, DBP(db_str(page->start_after), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows == 1)
		*seq = db_rows_i64(&rows, 0, 0);
	else
		result = jx_fail(&req->err, "startAfter", "startAfter: no such item in this list");
	db_rows_release(&rows);
	return result;
}

enum wh_err domain_conflict(struct request *req, const char *fmt, ...)
{
	va_list ap;
	req->err.field[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(req->err.message, sizeof(req->err.message), fmt, ap);
	va_end(ap);
	return WH_ERR_CONFLICT;
}

enum wh_err domain_load_one(struct request *req, const char *sql, const char *id, domain_render_fn render, json_t **out)
{
	struct db_rows rows;
	enum wh_err result;
	*out = NULL;
	if(!id || !id_valid(id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql, DBP(db_str(id), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows == 1)
		*out = render(&rows, 0);
	else
		result = WH_ERR_NOT_FOUND;
	db_rows_release(&rows);
	return result;
}

void domain_send_page(struct request *req, const struct page *page, struct db_rows *rows, domain_render_fn render)
{
	json_t *results = json_array();
	for(size_t r = 0; r < rows->nrows; r++)
		json_array_append_new(results, render(rows, r));
	db_rows_release(rows);
	http_send_page(req, page, results);
}

bool domain_str_eq(const char *a, const char *b)
{
	if(!a || !b)
		return a == b;
	return !strcmp(a, b);
}

json_t *location_render(const struct db_rows *rows, size_t r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_rows_get(rows, r, 0)));
	json_object_set_new(o, "name", json_string(db_rows_get(rows, r, 1)));
	jx_set_str(o, "timezone", db_rows_get(rows, r, 2));
	json_object_set_new(o, "isWaitlistOpen", json_boolean(db_rows_i64(rows, r, 3) != 0));
	jx_set_time(o, "created", db_rows_i64(rows, r, 4));
	jx_set_time(o, "updated", db_rows_i64(rows, r, 5));
	return o;
}

enum wh_err location_load(struct request *req, const char *id, bool lock, json_t **out)
{
	static const char sql[] = "SELECT " LOCATION_COLS " FROM locations WHERE id = ? AND account_id = ?";
	static const char sql_lock[] =
	    "SELECT " LOCATION_COLS " FROM locations WHERE id = ? AND account_id = ? FOR UPDATE";
	return domain_load_one(req, lock ? sql_lock : sql, id, location_render, out);
}

enum wh_err location_lock_for_visit(struct request *req, const char *id, struct location_locked *out)
{
	static const char sql[] = "SELECT " LOCATION_COLS ", num_waiting, num_serving, num_booked FROM locations "
	                          "WHERE id = ? AND account_id = ? FOR UPDATE";
	struct db_rows rows;
	enum wh_err result;
	memset(out, 0, sizeof(*out));
	if(!id || !id_valid(id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql, DBP(db_str(id), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows == 1) {
		out->location = location_render(&rows, 0);
		for(size_t i = 0; i < 3; i++)
			out->counts[i] = db_rows_i64(&rows, 0, 6 + i);
	} else
		result = WH_ERR_NOT_FOUND;
	db_rows_release(&rows);
	return result;
}

/* The location status resource, in the key order of every answer and event. */
static json_t *status_object(const char *id, bool open, const long long counts[3], long long updated)
{
	json_t *o = json_object();
	json_object_set_new(o, "locationId", json_string(id));
	json_object_set_new(o, "isWaitlistOpen", json_boolean(open));
	json_object_set_new(o, "numWaiting", json_integer(counts[0]));
	json_object_set_new(o, "numServing", json_integer(counts[1]));
	json_object_set_new(o, "numBooked", json_integer(counts[2]));
	jx_set_time(o, "updated", updated);
	return o;
}

enum wh_err location_status_load(struct request *req, const char *location_id, json_t **out)
{
	static const char sql[] = "SELECT id, is_waitlist_open, status_updated, num_waiting, num_serving, num_booked "
	                          "FROM locations WHERE id = ? AND account_id = ?";
	struct db_rows rows;
	long long counts[3];
	enum wh_err result;
	*out = NULL;
	if(!id_valid(location_id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql, DBP(db_str(location_id), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows != 1) {
		db_rows_release(&rows);
		return WH_ERR_NOT_FOUND;
	}
	for(size_t i = 0; i < 3; i++)
		counts[i] = db_rows_i64(&rows, 0, 3 + i);
	*out = status_object(db_rows_get(&rows, 0, 0), db_rows_i64(&rows, 0, 1) != 0, counts, db_rows_i64(&rows, 0, 2));
	db_rows_release(&rows);
	return WH_OK;
}

/* Adds the deltas to the stored counts and sets the status's updated time. */
static enum wh_err location_status_store(struct request *req, const char *location_id, const long long delta[3],
                                         long long now)
{
	static const char sql[] = "UPDATE locations SET num_waiting = num_waiting + ?, num_serving = num_serving + ?, "
	                          "num_booked = num_booked + ?, status_updated = ? WHERE id = ? AND account_id = ?";
	return db_exec(req->app->db, sql,
	               DBP(db_i64(delta[0]), db_i64(delta[1]), db_i64(delta[2]), db_i64(now), db_str(location_id),
	                   db_str(req->account_id)),
	               NULL, NULL);
}

enum wh_err location_status_changed(struct request *req, const char *location_id)
{
	static const long long none[3] = {0, 0, 0};
	json_t *status = NULL;
	enum wh_err result = location_status_store(req, location_id, none, time_now_ms());
	if(!result)
		result = location_status_load(req, location_id, &status);
	if(!result)
		result = domain_emit(req, "location-status.updated", location_id, NULL, status);
	json_decref(status);
	return result;
}

/* Adds d to the delta of the counter that state feeds (none for most states). */
static void counter_add(const char *state, long long d, long long delta[3])
{
	char c = visit_state_counter(state);
	if(c == 'W')
		delta[0] += d;
	else if(c == 'S')
		delta[1] += d;
	else if(c == 'B')
		delta[2] += d;
}

enum wh_err domain_visit_emit(struct request *req, const struct location_locked *locked, const char *type,
                              const json_t *visit, const char *from, const char *to)
{
	const char *loc_id = json_string_value(json_object_get(locked->location, "id"));
	bool open = json_is_true(json_object_get(locked->location, "isWaitlistOpen"));
	long long delta[3] = {0, 0, 0}, counts[3], now = time_now_ms();
	struct outbox_event evs[2] = {
	    {.account_id = req->account_id,
	     .location_id = loc_id,
	     .type = type,
	     .visit_state = json_string_value(json_object_get(visit, "state")),
	     .data = visit},
	    {.account_id = req->account_id, .location_id = loc_id, .type = "location-status.updated"},
	};
	json_t *status;
	enum wh_err result;
	counter_add(from, -1, delta);
	counter_add(to, 1, delta);
	if(!delta[0] && !delta[1] && !delta[2])
		return outbox_emit(req->app->db, &req->app->cfg, &evs[0], NULL);
	result = location_status_store(req, loc_id, delta, now);
	if(result)
		return result;
	for(size_t i = 0; i < 3; i++)
		counts[i] = locked->counts[i] + delta[i];
	status = status_object(loc_id, open, counts, now);
	evs[1].data = status;
	result = outbox_emit_many(req->app->db, &req->app->cfg, evs, 2, NULL);
	json_decref(status);
	return result;
}
