/* /v2/location-status/{locationId}: the waitlist's counts, and opening or closing it; the
 * counts kept on the location row by every visit write, and location-status.updated. */
#include "fcgi-app/resources/location_status.h"

#include <string.h>

#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/outbox.h"
#include "fcgi-app/core/tx.h"
#include "fcgi-app/resources/locations.h"
#include "fcgi-app/resources/visit_rules.h"

struct status_tx {
	const char *id;
	bool open, has_open;
	json_t *answer; /* new: the status after the write */
};

json_t *location_status_of(const char *id, bool open, const long long counts[3], long long updated)
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
	*out = location_status_of(db_rows_get(&rows, 0, 0), db_rows_i64(&rows, 0, 1) != 0, counts,
	                          db_rows_i64(&rows, 0, 2));
	db_rows_release(&rows);
	return WH_OK;
}

/* The statement that adds the deltas to the stored counts and sets the status's updated
 * time, its parameters in p. */
#define COUNTS_NPARAMS 6
static struct db_stmt counts_stmt(struct request *req, const char *location_id, const long long delta[3], long long now,
                                  struct db_param p[COUNTS_NPARAMS])
{
	static const char sql[] = "UPDATE locations SET num_waiting = num_waiting + ?, num_serving = num_serving + ?, "
	                          "num_booked = num_booked + ?, status_updated = ? WHERE id = ? AND account_id = ?";
	p[0] = db_i64(delta[0]);
	p[1] = db_i64(delta[1]);
	p[2] = db_i64(delta[2]);
	p[3] = db_i64(now);
	p[4] = db_str(location_id);
	p[5] = db_str(req->account_id);
	return (struct db_stmt){sql, p, COUNTS_NPARAMS, NULL, NULL};
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

enum wh_err location_status_visit_write(struct request *req, const struct location_locked *locked,
                                        const struct db_stmt *writes, size_t nwrites, const char *type,
                                        const json_t *visit, const char *from, const char *to)
{
	const char *loc_id = json_string_value(json_object_get(locked->location, "id"));
	bool open = json_is_true(json_object_get(locked->location, "isWaitlistOpen"));
	long long delta[3] = {0, 0, 0}, counts[3], now = time_now_ms();
	struct outbox_event evs[2] = {
	    {.location_id = loc_id,
	     .type = type,
	     .visit_state = json_string_value(json_object_get(visit, "state")),
	     .data = visit},
	    {.location_id = loc_id, .type = "location-status.updated"},
	};
	struct db_stmt v[LOCATION_STATUS_WRITES_MAX + 1];
	struct db_param p[COUNTS_NPARAMS];
	json_t *status;
	enum wh_err result;
	if(nwrites > LOCATION_STATUS_WRITES_MAX)
		return WH_ERR_INTERNAL;
	memcpy(v, writes, nwrites * sizeof(*v));
	counter_add(from, -1, delta);
	counter_add(to, 1, delta);
	if(!delta[0] && !delta[1] && !delta[2])
		return tx_write_emit(req, v, nwrites, evs, 1);
	v[nwrites] = counts_stmt(req, loc_id, delta, now, p);
	for(size_t i = 0; i < 3; i++)
		counts[i] = locked->counts[i] + delta[i];
	status = location_status_of(loc_id, open, counts, now);
	evs[1].data = status;
	result = tx_write_emit(req, v, nwrites + 1, evs, 2);
	json_decref(status);
	return result;
}

enum wh_err location_status_get(struct request *req)
{
	json_t *status = NULL;
	enum wh_err result = location_status_load(req, req->params[0], &status);
	if(result)
		return result;
	http_send_json(req, 200, status);
	json_decref(status);
	return WH_OK;
}

static enum wh_err status_update_tx(struct request *req, void *ctx)
{
	struct status_tx *tx = ctx;
	enum wh_err result = WH_OK;
	json_decref(tx->answer);
	tx->answer = NULL;
	if(tx->has_open)
		result = location_set_waitlist_open(req, tx->id, tx->open, &tx->answer);
	else
		result = location_status_load(req, tx->id, &tx->answer);
	return result;
}

enum wh_err location_status_update(struct request *req)
{
	static const char *const keys[] = {"isWaitlistOpen", NULL};
	struct status_tx tx = {.id = req->params[0]};
	json_t *body = NULL;
	enum wh_err result = field_read_update(req, keys, &body);
	if(!result)
		result = jx_bool(body, "isWaitlistOpen", false, &tx.open, &tx.has_open, &req->err);
	if(!result)
		result = tx_run(req, status_update_tx, &tx);
	if(!result)
		http_send_json(req, 200, tx.answer);
	json_decref(tx.answer);
	json_decref(body);
	return result;
}
