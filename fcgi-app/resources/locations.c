/* /v2/locations: create, list, get, update and delete locations (location.* events). */
#include <string.h>

#include "fcgi-app/resources/locations.h"

#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/resource.h"
#include "fcgi-app/core/tx.h"
#include "fcgi-app/resources/location_status.h"
#include "fcgi-app/resources/visit_rules.h"

/* A validated create or update body; strings borrowed from the JSON. */
struct location_input {
	const char *name;
	const char *timezone;
	bool is_open;
	bool has_name, has_timezone, has_open;
};

struct location_tx {
	const char *id;
	struct location_input in;
	json_t *answer; /* new: the location after the write */
};

/* The location resource, in the one key order every answer and event uses. */
static json_t *location_object(const char *id, const char *name, const char *tz, bool open, long long created,
                               long long updated)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(name));
	jx_set_str(o, "timezone", tz);
	json_object_set_new(o, "isWaitlistOpen", json_boolean(open));
	jx_set_time(o, "created", created);
	jx_set_time(o, "updated", updated);
	return o;
}

json_t *location_render(const struct db_rows *rows, size_t r)
{
	return location_object(db_rows_get(rows, r, 0), db_rows_get(rows, r, 1), db_rows_get(rows, r, 2),
	                       db_rows_i64(rows, r, 3) != 0, db_rows_i64(rows, r, 4), db_rows_i64(rows, r, 5));
}

enum wh_err location_load(struct request *req, const char *id, bool lock, json_t **out)
{
	static const char sql[] = "SELECT " LOCATION_COLS " FROM locations WHERE id = ? AND account_id = ?";
	static const char sql_lock[] =
	    "SELECT " LOCATION_COLS " FROM locations WHERE id = ? AND account_id = ? FOR UPDATE";
	return resource_load_one(req, lock ? sql_lock : sql, id, location_render, out);
}

struct db_stmt location_lock_stmt(struct request *req, const char *id, struct db_param p[2], struct db_rows *rows)
{
	static const char sql[] = "SELECT " LOCATION_COLS ", num_waiting, num_serving, num_booked, status_updated "
	                          "FROM locations WHERE id = ? AND account_id = ? FOR UPDATE";
	p[0] = db_str(id);
	p[1] = db_str(req->account_id);
	return (struct db_stmt){sql, p, 2, rows, NULL};
}

enum wh_err location_locked_of(struct db_rows *rows, struct location_locked *out)
{
	enum wh_err result = WH_OK;
	memset(out, 0, sizeof(*out));
	if(rows->nrows == 1) {
		out->location = location_render(rows, 0);
		for(size_t i = 0; i < 3; i++)
			out->counts[i] = db_rows_i64(rows, 0, 6 + i);
		out->status_updated = db_rows_i64(rows, 0, 9);
	} else
		result = WH_ERR_NOT_FOUND;
	db_rows_release(rows);
	return result;
}

enum wh_err location_lock(struct request *req, const char *id, struct location_locked *out)
{
	struct db_param p[2];
	struct db_rows rows;
	struct db_stmt lock;
	enum wh_err result;
	memset(out, 0, sizeof(*out));
	if(!id || !id_valid(id))
		return WH_ERR_NOT_FOUND;
	lock = location_lock_stmt(req, id, p, &rows);
	result = db_exec(req->app->db, lock.sql, lock.params, lock.nparams, &rows, NULL);
	return result ? result : location_locked_of(&rows, out);
}

static enum wh_err location_parse(struct request *req, json_t *body, bool create, struct location_input *in)
{
	static const char *const keys[] = {"name", "timezone", "isWaitlistOpen", NULL};
	enum wh_err result = jx_only_keys(body, keys, &req->err);
	memset(in, 0, sizeof(*in));
	in->is_open = true;
	if(!result)
		result = jx_string(body, "name", create, 1, LOCATION_NAME_MAX, &in->name, &req->err);
	if(result)
		return result;
	in->has_name = in->name != NULL;
	if(in->name && !field_text_valid(in->name))
		return jx_fail(&req->err, "name", "name: must not contain control characters");
	if(in->name && strpbrk(in->name, "\t\r\n"))
		return jx_fail(&req->err, "name", "name: must be one line");
	result = field_nullable_string(body, "timezone", 1, LOCATION_TIMEZONE_MAX, false, &in->timezone,
	                               &in->has_timezone, &req->err);
	if(result)
		return result;
	if(in->timezone && !rules_timezone_valid(in->timezone))
		return jx_fail(&req->err, "timezone",
		               "timezone: must be an IANA time zone name like \"Europe/Stockholm\"");
	return jx_bool(body, "isWaitlistOpen", false, &in->is_open, &in->has_open, &req->err);
}

static enum wh_err location_create_tx(struct request *req, void *ctx)
{
	static const char sql[] = "INSERT INTO locations (id, account_id, name, timezone, is_waitlist_open, created, "
	                          "updated, status_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	struct location_tx *tx = ctx;
	char id[ID_LEN + 1];
	long long now = time_now_ms();
	struct db_stmt write;
	struct outbox_event ev = {.type = "location.created"};

	json_decref(tx->answer);
	id_new(id);
	write = (struct db_stmt){sql,
	                         DBP(db_str(id), db_str(req->account_id), db_str(tx->in.name), db_str(tx->in.timezone),
	                             db_i64(tx->in.is_open), db_i64(now), db_i64(now), db_i64(now)),
	                         NULL, NULL};
	tx->answer = location_object(id, tx->in.name, tx->in.timezone, tx->in.is_open, now, now);
	ev.location_id = id;
	ev.data = tx->answer;
	return tx_write_emit(req, &write, 1, &ev, 1);
}

enum wh_err location_create(struct request *req)
{
	struct location_tx tx = {0};
	json_t *body = NULL;
	enum wh_err result = http_read_json(req, false, &body);
	if(!result)
		result = location_parse(req, body, true, &tx.in);
	if(!result)
		result = tx_create(req, body, location_create_tx, &tx, &tx.answer);
	json_decref(tx.answer);
	json_decref(body);
	return result;
}

enum wh_err location_list(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", NULL};
	static const char seq_sql[] = "SELECT seq FROM locations WHERE id = ? AND account_id = ?";
	static const char sql[] = "SELECT " LOCATION_COLS " FROM locations WHERE account_id = ? AND seq > ? "
	                          "ORDER BY seq LIMIT ?";
	struct page page;
	struct db_rows rows;
	long long after;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = resource_page_seq(req, &page, seq_sql, &after);
	if(!result)
		result = db_exec(req->app->db, sql, DBP(db_str(req->account_id), db_i64(after), db_i64(page.limit)),
		                 &rows, NULL);
	if(result)
		return result;
	resource_send_page(req, &page, &rows, location_render);
	return WH_OK;
}

enum wh_err location_get(struct request *req)
{
	json_t *loc = NULL;
	enum wh_err result = location_load(req, req->params[0], false, &loc);
	if(result)
		return result;
	http_send_json(req, 200, loc);
	json_decref(loc);
	return WH_OK;
}

/* True when the input changes something of the stored location cur. */
static bool location_differs(const struct location_input *in, json_t *cur)
{
	const char *name = json_string_value(json_object_get(cur, "name"));
	const char *tz = json_string_value(json_object_get(cur, "timezone"));
	bool open = json_is_true(json_object_get(cur, "isWaitlistOpen"));
	return (in->has_name && strcmp(in->name, name)) || (in->has_timezone && !field_str_eq(in->timezone, tz)) ||
	       (in->has_open && in->is_open != open);
}

/* The input merged into the locked location (in place: keys keep their places), updated now. */
static void location_merge(const struct location_input *in, json_t *loc, long long now)
{
	if(in->has_name)
		json_object_set_new(loc, "name", json_string(in->name));
	if(in->has_timezone)
		jx_set_str(loc, "timezone", in->timezone);
	if(in->has_open)
		json_object_set_new(loc, "isWaitlistOpen", json_boolean(in->is_open));
	jx_set_time(loc, "updated", now);
}

/* Locks the location, applies the input and emits location.updated and, when isWaitlistOpen
 * changes, location-status.updated (both built from the locked row and the change, no read
 * back). tx->answer: the location after it; *status (may be NULL): the status after it. */
static enum wh_err location_apply(struct request *req, struct location_tx *tx, json_t **status)
{
	static const char sql[] = "UPDATE locations SET name = ?, timezone = ?, is_waitlist_open = ?, updated = ?, "
	                          "status_updated = IF(?, ?, status_updated) WHERE id = ? AND account_id = ?";
	const struct location_input *in = &tx->in;
	struct location_locked loc = {0};
	struct outbox_event evs[2] = {{.location_id = tx->id, .type = "location.updated"},
	                              {.location_id = tx->id, .type = "location-status.updated"}};
	long long now = time_now_ms();
	bool open_changed, open;
	struct db_stmt write;
	json_t *st = NULL;
	enum wh_err result = location_lock(req, tx->id, &loc);
	if(result)
		goto out;
	tx->answer = json_incref(loc.location);
	open = json_is_true(json_object_get(loc.location, "isWaitlistOpen"));
	if(!location_differs(in, loc.location)) {
		st = location_status_of(tx->id, open, loc.counts, loc.status_updated);
		goto out;
	}
	open_changed = in->has_open && in->is_open != open;
	location_merge(in, tx->answer, now);
	open = json_is_true(json_object_get(tx->answer, "isWaitlistOpen"));
	st = location_status_of(tx->id, open, loc.counts, open_changed ? now : loc.status_updated);
	write = (struct db_stmt){sql,
	                         DBP(db_str(json_string_value(json_object_get(tx->answer, "name"))),
	                             db_str(json_string_value(json_object_get(tx->answer, "timezone"))), db_i64(open),
	                             db_i64(now), db_i64(open_changed), db_i64(now), db_str(tx->id),
	                             db_str(req->account_id)),
	                         NULL, NULL};
	evs[0].data = tx->answer;
	evs[1].data = st;
	result = tx_write_emit(req, &write, 1, evs, open_changed ? 2 : 1);
out:
	json_decref(loc.location);
	if(!result && status)
		*status = json_incref(st);
	json_decref(st);
	return result;
}

static enum wh_err location_update_tx(struct request *req, void *ctx)
{
	struct location_tx *tx = ctx;
	json_decref(tx->answer);
	tx->answer = NULL;
	return location_apply(req, tx, NULL);
}

enum wh_err location_set_waitlist_open(struct request *req, const char *id, bool open, json_t **status)
{
	struct location_tx tx = {.id = id, .in = {.is_open = open, .has_open = true}};
	enum wh_err result;
	*status = NULL;
	result = location_apply(req, &tx, status);
	json_decref(tx.answer);
	return result;
}

enum wh_err location_update(struct request *req)
{
	struct location_tx tx = {.id = req->params[0]};
	json_t *body = NULL;
	enum wh_err result = field_read_update(req, NULL, &body);
	if(!result)
		result = location_parse(req, body, false, &tx.in);
	if(!result)
		result = tx_run(req, location_update_tx, &tx);
	if(!result)
		http_send_json(req, 200, tx.answer);
	json_decref(tx.answer);
	json_decref(body);
	return result;
}

/* A webhook that listed only this location would be left with an empty list, which reads
 * as account-wide but matches nothing (account_wide = 0): the system disables it with a
 * reason the settings page shows, before the location leaves the lists. */
static const char sql_disable_orphans[] =
    "UPDATE webhooks w SET w.disabled_at = ?, w.disabled_reason = "
    "'every location in its locationIds was deleted', w.updated = ? "
    "WHERE w.account_id = ? AND w.account_wide = 0 AND w.disabled_at IS NULL "
    "AND w.id IN (SELECT l.webhook_id FROM webhook_locations l WHERE l.location_id = ?) "
    "AND NOT EXISTS (SELECT 1 FROM webhook_locations o WHERE o.webhook_id = w.id AND o.location_id <> ?)";

/* The location leaves the location_ids column of the webhooks that list it (the reads answer
 * from that column), before its webhook_locations rows go. */
static const char sql_drop_from_webhooks[] =
    "UPDATE webhooks w SET w.location_ids = COALESCE((SELECT GROUP_CONCAT(l.location_id ORDER BY l.pos, "
    "l.location_id SEPARATOR ',') FROM webhook_locations l WHERE l.webhook_id = w.id "
    "AND l.location_id <> ?), '') "
    "WHERE w.account_id = ? AND w.id IN (SELECT o.webhook_id FROM webhook_locations o WHERE o.location_id = ?)";

/* Deleting refuses while visits are open (not COMPLETE): the business would lose people
 * in line. Otherwise the finished visits, their messages and the location's place in
 * webhooks' locationIds go with it, in the same transaction as location.removed: the
 * webhooks' updates, the deletes and the event in one flight (tx_write_emit), in this order
 * (the server runs a flight's statements in turn). */
static enum wh_err location_delete_tx(struct request *req, void *ctx)
{
	static const char open_sql[] = "SELECT COUNT(*) FROM visits WHERE location_id = ? AND state <> 'COMPLETE'";
	static const char *const cleanup[] = {
	    "DELETE FROM messages WHERE location_id = ? AND account_id = ?",
	    "DELETE FROM visits WHERE location_id = ? AND account_id = ?",
	    "DELETE FROM webhook_locations WHERE location_id = ? AND account_id = ?",
	    "DELETE FROM locations WHERE id = ? AND account_id = ?",
	};
	enum { NCLEANUP = sizeof(cleanup) / sizeof(cleanup[0]) };
	struct location_tx *tx = ctx;
	long long now = time_now_ms();
	struct db_param orphans[] = {db_i64(now), db_i64(now), db_str(req->account_id), db_str(tx->id), db_str(tx->id)};
	struct db_param drop[] = {db_str(tx->id), db_str(req->account_id), db_str(tx->id)};
	struct db_param by_id[] = {db_str(tx->id), db_str(req->account_id)};
	struct db_stmt writes[2 + NCLEANUP] = {
	    {sql_disable_orphans, orphans, 5, NULL, NULL},
	    {sql_drop_from_webhooks, drop, 3, NULL, NULL},
	};
	struct outbox_event ev = {.type = "location.removed", .location_id = tx->id};
	struct db_rows rows;
	long long open;
	enum wh_err result;

	json_decref(tx->answer);
	tx->answer = NULL;
	result = location_load(req, tx->id, true, &tx->answer);
	if(!result)
		result = db_exec(req->app->db, open_sql, DBP(db_str(tx->id)), &rows, NULL);
	if(result)
		return result;
	open = db_rows_i64(&rows, 0, 0);
	db_rows_release(&rows);
	if(open > 0)
		return field_conflict(req, "location has %lld open visit(s): complete or delete them first", open);
	for(size_t i = 0; i < NCLEANUP; i++)
		writes[2 + i] = (struct db_stmt){cleanup[i], by_id, 2, NULL, NULL};
	ev.data = tx->answer;
	return tx_write_emit(req, writes, 2 + NCLEANUP, &ev, 1);
}

enum wh_err location_delete(struct request *req)
{
	struct location_tx tx = {.id = req->params[0]};
	enum wh_err result = tx_run(req, location_delete_tx, &tx);
	if(!result)
		http_send_json(req, 200, tx.answer);
	json_decref(tx.answer);
	return result;
}
