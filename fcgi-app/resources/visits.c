/* /v2/visits: create, list, get, update and delete visits (visit.* events, and
 * location-status.updated when a count changes). Every write locks its location row
 * first, so writes to one location serialize and the counts stay right. */
#include <string.h>

#include "common/events.h"
#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/resource.h"
#include "fcgi-app/core/tx.h"
#include "fcgi-app/resources/location_status.h"
#include "fcgi-app/resources/locations.h"
#include "fcgi-app/resources/visits.h"
#include "fcgi-app/resources/visit_rules.h"

#define VISIT_COLS                                                                                                     \
	"id, location_id, state, first_name, last_name, phone, email, party_size, notes, visit_date, created, updated"

struct visit_tx {
	const char *id; /* update, delete */
	json_t *fields; /* validated, normalized input (create, update); borrowed */
	json_t *answer; /* new: the visit after the write (before it, for delete) */
};

/* A visit's values as stored (strings NULL for null, date -1 for none). */
struct visit_vals {
	const char *id, *location_id, *state, *first_name, *last_name, *phone, *email, *notes;
	long long party_size, date, created, updated;
};

/* The visit resource, in the one key order every answer and event uses. */
static json_t *visit_object(const struct visit_vals *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(v->id));
	json_object_set_new(o, "locationId", json_string(v->location_id));
	json_object_set_new(o, "state", json_string(v->state));
	jx_set_str(o, "firstName", v->first_name);
	jx_set_str(o, "lastName", v->last_name);
	jx_set_str(o, "phone", v->phone);
	jx_set_str(o, "email", v->email);
	json_object_set_new(o, "partySize", json_integer(v->party_size));
	jx_set_str(o, "notes", v->notes);
	jx_set_time(o, "date", v->date);
	jx_set_time(o, "created", v->created);
	jx_set_time(o, "updated", v->updated);
	return o;
}

static json_t *visit_render(const struct db_rows *rows, size_t r)
{
	struct visit_vals v = {
	    .id = db_rows_get(rows, r, 0),
	    .location_id = db_rows_get(rows, r, 1),
	    .state = db_rows_get(rows, r, 2),
	    .first_name = db_rows_get(rows, r, 3),
	    .last_name = db_rows_get(rows, r, 4),
	    .phone = db_rows_get(rows, r, 5),
	    .email = db_rows_get(rows, r, 6),
	    .party_size = db_rows_i64(rows, r, 7),
	    .notes = db_rows_get(rows, r, 8),
	    .date = db_rows_get(rows, r, 9) ? db_rows_i64(rows, r, 9) : -1,
	    .created = db_rows_i64(rows, r, 10),
	    .updated = db_rows_i64(rows, r, 11),
	};
	return visit_object(&v);
}

static enum wh_err visit_load(struct request *req, const char *id, json_t **out)
{
	static const char sql[] = "SELECT " VISIT_COLS " FROM visits WHERE id = ? AND account_id = ?";
	return resource_load_one(req, sql, id, visit_render, out);
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)); /* NULL for null */
}

/* Copies a nullable string field into fields when given. */
static enum wh_err visit_text(struct request *req, json_t *body, const char *key, size_t maxlen, bool multiline,
                              json_t *fields)
{
	const char *s;
	bool present;
	enum wh_err result = field_nullable_string(body, key, 0, maxlen, multiline, &s, &present, &req->err);
	if(!result && present)
		json_object_set_new(fields, key, s ? json_string(s) : json_null());
	return result;
}

static enum wh_err visit_parse_state_date(struct request *req, json_t *body, json_t *fields)
{
	const char *state, *date, *canon;
	bool present;
	char iso[TIME_ISO_LEN + 1];
	long long ms;
	enum wh_err result = jx_string(body, "state", false, 1, 16, &state, &req->err);
	if(result)
		return result;
	if(state) {
		canon = visit_state_canonical(state);
		if(!canon)
			return jx_fail(&req->err, "state",
			               "state: must be one of PENDING, DRAFT, BOOKED, WAITING, "
			               "SERVED (or SERVING), COMPLETE");
		json_object_set_new(fields, "state", json_string(canon));
	}
	result = field_nullable_string(body, "date", 1, 40, false, &date, &present, &req->err);
	if(result || !present)
		return result;
	if(date && !time_parse_iso(date, &ms))
		return jx_fail(&req->err, "date", "date: must be an ISO-8601 UTC time like 2026-05-19T14:06:11.923Z");
	if(date)
		time_format_iso(ms, iso);
	json_object_set_new(fields, "date", date ? json_string(iso) : json_null());
	return WH_OK;
}

/* Validates a create or update body into fields (new), the given keys only, normalized. */
static enum wh_err visit_parse(struct request *req, json_t *body, bool create, json_t **fields)
{
	static const char *const keys[] = {"locationId", "state",     "firstName", "lastName", "phone",
	                                   "email",      "partySize", "notes",     "date",     NULL};
	const char *loc, *s;
	long long party;
	bool present;
	enum wh_err result = jx_only_keys(body, keys, &req->err);
	*fields = json_object();
	if(!result)
		result = jx_string(body, "locationId", create, 1, ID_LEN, &loc, &req->err);
	if(!result && loc && !id_valid(loc))
		result = jx_fail(&req->err, "locationId", "locationId: must be an id (20 characters [A-Za-z0-9])");
	if(!result && loc)
		json_object_set_new(*fields, "locationId", json_string(loc));
	if(!result)
		result = visit_parse_state_date(req, body, *fields);
	if(!result)
		result = visit_text(req, body, "firstName", VISIT_NAME_MAX, false, *fields);
	if(!result)
		result = visit_text(req, body, "lastName", VISIT_NAME_MAX, false, *fields);
	if(!result)
		result = visit_text(req, body, "phone", VISIT_PHONE_MAX, false, *fields);
	if(!result && (s = jstr(*fields, "phone")) && !rules_phone_valid(s))
		result = jx_fail(&req->err, "phone", "phone: digits with + ( ) - . or spaces, at least 3 digits");
	if(!result)
		result = visit_text(req, body, "email", VISIT_EMAIL_MAX, false, *fields);
	if(!result && (s = jstr(*fields, "email")) && !rules_email_valid(s))
		result = jx_fail(&req->err, "email", "email: must be an address like name@example.com");
	if(!result)
		result = visit_text(req, body, "notes", VISIT_NOTES_MAX, true, *fields);
	if(!result)
		result =
		    jx_int(body, "partySize", false, VISIT_PARTY_MIN, VISIT_PARTY_MAX, &party, &present, &req->err);
	if(!result && present)
		json_object_set_new(*fields, "partySize", json_integer(party));
	return result;
}

/* Refuses a state change the life cycle forbids, and joining a closed waitlist. */
static enum wh_err visit_check_move(struct request *req, const char *from, const char *to, json_t *location)
{
	if(from && !visit_transition_allowed(from, to))
		return field_conflict(req, "state: a visit can't move from %s to %s", from, to);
	if(!from && !visit_create_state_allowed(to))
		return field_conflict(req, "state: a visit can't be created %s", to);
	if(visit_joins_waitlist(from, to) && !json_is_true(json_object_get(location, "isWaitlistOpen")))
		return field_conflict(req, "the waitlist of location %s is closed",
		                      json_string_value(json_object_get(location, "id")));
	return WH_OK;
}

/* The answer for the merged resource v just written with these times: what visit_render
 * gives for the stored row, without reading it back. */
static json_t *visit_written(const json_t *v, long long created, long long updated)
{
	const char *date = jstr(v, "date");
	long long date_ms = -1;
	struct visit_vals w = {
	    .id = jstr(v, "id"),
	    .location_id = jstr(v, "locationId"),
	    .state = jstr(v, "state"),
	    .first_name = jstr(v, "firstName"),
	    .last_name = jstr(v, "lastName"),
	    .phone = jstr(v, "phone"),
	    .email = jstr(v, "email"),
	    .party_size = json_integer_value(json_object_get(v, "partySize")),
	    .notes = jstr(v, "notes"),
	    .created = created,
	    .updated = updated,
	};
	if(date && !time_parse_iso(date, &date_ms))
		date_ms = -1;
	w.date = date_ms;
	return visit_object(&w);
}

/* The statement sql (create or update) with the merged resource v (as visit_render shapes
 * it) bound to the columns after id, its parameters in p (strings borrowed from v). */
#define VISIT_NPARAMS 12
static enum wh_err visit_store(struct request *req, const json_t *v, const char *sql, long long now,
                               struct db_param p[VISIT_NPARAMS], struct db_stmt *out)
{
	static const char *const cols[] = {"locationId", "state", "firstName", "lastName", "phone", "email"};
	const char *date = jstr(v, "date");
	long long date_ms = 0;
	if(date && !time_parse_iso(date, &date_ms))
		return WH_ERR_INTERNAL;
	for(size_t i = 0; i < 6; i++)
		p[i] = db_str(jstr(v, cols[i]));
	p[6] = db_i64(json_integer_value(json_object_get(v, "partySize")));
	p[7] = db_str(jstr(v, "notes"));
	p[8] = date ? db_i64(date_ms) : db_null();
	p[9] = db_i64(now);
	p[10] = db_str(jstr(v, "id"));
	p[11] = db_str(req->account_id);
	*out = (struct db_stmt){sql, p, VISIT_NPARAMS, NULL, NULL};
	return WH_OK;
}

static enum wh_err visit_create_tx(struct request *req, void *ctx)
{
	/* created takes the value just bound to updated (MariaDB reads earlier columns) */
	static const char sql[] = "INSERT INTO visits (location_id, state, first_name, last_name, phone, email, "
	                          "party_size, notes, visit_date, updated, id, account_id, created) "
	                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, updated)";
	struct visit_tx *tx = ctx;
	const char *loc_id = jstr(tx->fields, "locationId");
	char id[ID_LEN + 1];
	long long now = time_now_ms();
	struct location_locked loc = {0};
	struct db_param p[VISIT_NPARAMS];
	struct db_stmt write;
	json_t *v = NULL;
	const char *state;
	enum wh_err result;

	json_decref(tx->answer);
	tx->answer = NULL;
	result = location_lock(req, loc_id, &loc);
	if(result == WH_ERR_NOT_FOUND)
		result = jx_fail(&req->err, "locationId", "locationId: no such location");
	if(result)
		goto out;
	id_new(id);
	v = json_pack("{s:s, s:s, s:n, s:n, s:n, s:n, s:i, s:n, s:n}", "id", id, "state", "WAITING", "firstName",
	              "lastName", "phone", "email", "partySize", 1, "notes", "date");
	json_object_update(v, tx->fields);
	state = jstr(v, "state");
	result = visit_check_move(req, NULL, state, loc.location);
	if(!result)
		result = visit_store(req, v, sql, now, p, &write);
	if(!result)
		tx->answer = visit_written(v, now, now);
	if(!result)
		result = location_status_visit_write(req, &loc, &write, 1, "visit.created", tx->answer, NULL, state);
out:
	json_decref(loc.location);
	json_decref(v);
	return result;
}

enum wh_err visit_create(struct request *req)
{
	struct visit_tx tx = {0};
	json_t *body = NULL;
	enum wh_err result = http_read_json(req, false, &body);
	if(!result)
		result = visit_parse(req, body, true, &tx.fields);
	if(!result)
		result = tx_create(req, body, visit_create_tx, &tx, &tx.answer);
	json_decref(tx.answer);
	json_decref(tx.fields);
	json_decref(body);
	return result;
}

enum wh_err visit_get(struct request *req)
{
	json_t *v = NULL;
	enum wh_err result = visit_load(req, req->params[0], &v);
	if(result)
		return result;
	http_send_json(req, 200, v);
	json_decref(v);
	return WH_OK;
}

enum wh_err visit_list(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", "locationId", "state", NULL};
	static const char seq_sql[] = "SELECT seq FROM visits WHERE id = ? AND account_id = ?";
	static const char sql[] = "SELECT " VISIT_COLS " FROM visits WHERE account_id = ? AND (? IS NULL OR "
	                          "location_id = ?) AND (? IS NULL OR state = ?) AND seq > ? ORDER BY seq LIMIT ?";
	struct page page;
	struct db_rows rows;
	const char *loc = NULL, *state = http_query(req, "state"), *canon = NULL;
	long long after = 0;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = field_query_id(req, "locationId", &loc);
	if(!result && state && !(canon = visit_state_canonical(state)))
		result = jx_fail(&req->err, "state", "state: unknown visit state '%.40s'", state);
	if(!result)
		result = resource_page_seq(req, &page, seq_sql, &after);
	if(!result)
		result = db_exec(req->app->db, sql,
		                 DBP(db_str(req->account_id), db_str(loc), db_str(loc), db_str(canon), db_str(canon),
		                     db_i64(after), db_i64(page.limit)),
		                 &rows, NULL);
	if(result)
		return result;
	resource_send_page(req, &page, &rows, visit_render);
	return WH_OK;
}

/* Locks the visit's location, then the visit itself (always in that order, as every visit
 * write does), both locks in one flight once the location is known. loc->location and
 * *visit are new. */
static enum wh_err visit_lock(struct request *req, const char *id, struct location_locked *loc, json_t **visit)
{
	static const char sql_lock[] = "SELECT " VISIT_COLS " FROM visits WHERE id = ? AND account_id = ? FOR UPDATE";
	struct db_param lp[2], vp[2] = {db_str(id), db_str(req->account_id)};
	struct db_rows lrows = {0}, vrows = {0};
	struct db_stmt v[2];
	json_t *first = NULL;
	enum wh_err result = visit_load(req, id, &first);
	memset(loc, 0, sizeof(*loc));
	*visit = NULL;
	if(result)
		return result;
	v[0] = location_lock_stmt(req, jstr(first, "locationId"), lp, &lrows);
	v[1] = (struct db_stmt){sql_lock, vp, 2, &vrows, NULL};
	result = db_exec_many(req->app->db, v, 2);
	if(!result)
		result = location_locked_of(&lrows, loc);
	if(!result && vrows.nrows != 1)
		result = WH_ERR_NOT_FOUND; /* deleted since the first read */
	if(!result)
		*visit = visit_render(&vrows, 0);
	db_rows_release(&lrows);
	db_rows_release(&vrows);
	json_decref(first);
	return result;
}

static enum wh_err visit_update_tx(struct request *req, void *ctx)
{
	static const char sql[] = "UPDATE visits SET location_id = ?, state = ?, first_name = ?, last_name = ?, "
	                          "phone = ?, email = ?, party_size = ?, notes = ?, visit_date = ?, updated = ? "
	                          "WHERE id = ? AND account_id = ?";
	struct visit_tx *tx = ctx;
	struct location_locked loc = {0};
	struct db_param p[VISIT_NPARAMS];
	struct db_stmt write;
	json_t *cur = NULL, *v = NULL;
	const char *from, *to, *loc_id;
	long long now = time_now_ms(), created;
	enum wh_err result;

	json_decref(tx->answer);
	tx->answer = NULL;
	result = visit_lock(req, tx->id, &loc, &cur);
	if(result)
		goto out;
	v = json_deep_copy(cur);
	json_object_update(v, tx->fields);
	from = jstr(cur, "state");
	to = jstr(v, "state");
	loc_id = jstr(cur, "locationId");
	if(strcmp(jstr(v, "locationId"), loc_id)) {
		result = jx_fail(&req->err, "locationId", "locationId: a visit can't move to another location");
		goto out;
	}
	if(json_equal(v, cur)) { /* nothing changes: no write, no event */
		tx->answer = json_incref(cur);
		goto out;
	}
	result = visit_check_move(req, from, to, loc.location);
	if(!result)
		result = visit_store(req, v, sql, now, p, &write);
	if(!result && !time_parse_iso(jstr(cur, "created"), &created))
		result = WH_ERR_INTERNAL;
	if(!result)
		tx->answer = visit_written(v, created, now);
	if(!result)
		result = location_status_visit_write(req, &loc, &write, 1, "visit.updated", tx->answer, from, to);
out:
	json_decref(loc.location);
	json_decref(cur);
	json_decref(v);
	return result;
}

enum wh_err visit_update(struct request *req)
{
	struct visit_tx tx = {.id = req->params[0]};
	json_t *body = NULL;
	enum wh_err result = field_read_update(req, NULL, &body);
	if(!result)
		result = visit_parse(req, body, false, &tx.fields);
	if(!result)
		result = tx_run(req, visit_update_tx, &tx);
	if(!result)
		http_send_json(req, 200, tx.answer);
	json_decref(tx.answer);
	json_decref(tx.fields);
	json_decref(body);
	return result;
}

/* The visit's messages go with it (no message events: visit.removed says it all). */
static enum wh_err visit_delete_tx(struct request *req, void *ctx)
{
	static const char *const sqls[] = {
	    "DELETE FROM messages WHERE visit_id = ? AND account_id = ?",
	    "DELETE FROM visits WHERE id = ? AND account_id = ?",
	};
	struct visit_tx *tx = ctx;
	struct location_locked loc = {0};
	struct db_param p[2] = {db_str(tx->id), db_str(req->account_id)};
	struct db_stmt writes[2] = {{sqls[0], p, 2, NULL, NULL}, {sqls[1], p, 2, NULL, NULL}};
	const char *state;
	enum wh_err result;

	json_decref(tx->answer);
	tx->answer = NULL;
	result = visit_lock(req, tx->id, &loc, &tx->answer);
	if(result)
		goto out;
	state = jstr(tx->answer, "state");
	result = location_status_visit_write(req, &loc, writes, 2, "visit.removed", tx->answer, state, NULL);
out:
	json_decref(loc.location);
	return result;
}

enum wh_err visit_delete(struct request *req)
{
	struct visit_tx tx = {.id = req->params[0]};
	enum wh_err result = tx_run(req, visit_delete_tx, &tx);
	if(!result)
		http_send_json(req, 200, tx.answer);
	json_decref(tx.answer);
	return result;
}
