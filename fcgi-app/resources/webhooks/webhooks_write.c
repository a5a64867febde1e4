/* Webhook writes: ownership of locations, limits, insert, update, rotation. */
#include "fcgi-app/resources/webhooks/webhooks_write.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/ids.h"
#include "common/xalloc.h"
#include "fcgi-app/resources/webhooks/webhooks_headers.h"

enum wh_err wh_lock_account(struct db *db, const char *account_id)
{
	static const char sql[] = "SELECT id FROM accounts WHERE id = ? FOR UPDATE";
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql, DBP(db_str(account_id)), &rows, NULL);
	if(!result && rows.nrows != 1)
		result = WH_ERR_NOT_FOUND;
	db_rows_release(&rows);
	return result;
}

enum wh_err wh_check_locations(struct db *db, const char *account_id, const json_t *ids, struct jx_err *err)
{
	/* Shared locks until the transaction ends: a location delete (FOR UPDATE) waits, so it
	 * can't leave the webhook with a locationId that no longer exists. */
	static const char sql[] = "SELECT 1 FROM locations WHERE id = ? AND account_id = ? LOCK IN SHARE MODE";
	for(size_t i = 0; i < json_array_size(ids); i++) {
		const char *loc = json_string_value(json_array_get(ids, i));
		struct db_rows rows;
		enum wh_err result = db_exec(db, sql, DBP(db_str(loc), db_str(account_id)), &rows, NULL);
		size_t n = rows.nrows;
		if(result)
			return result;
		db_rows_release(&rows);
		if(n != 1) {
			char field[48];
			snprintf(field, sizeof(field), "locationIds[%zu]", i);
			return jx_fail(err, field, "%s: no location '%s' in this account", field, loc);
		}
	}
	return WH_OK;
}

static enum wh_err count_of(struct db *db, const char *sql, const struct db_param *p, size_t np, long long *n)
{
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql, p, np, &rows, NULL);
	if(result)
		return result;
	*n = db_rows_i64(&rows, 0, 0);
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err wh_check_limits(struct db *db, const char *account_id, const char *self_id, const json_t *ids,
                            struct jx_err *err)
{
	static const char q_wide[] = "SELECT COUNT(*) FROM webhooks WHERE account_id = ? AND account_wide = 1 "
	                             "AND id <> ?";
	static const char q_loc[] = "SELECT COUNT(*) FROM webhook_locations WHERE account_id = ? AND location_id = ? "
	                            "AND webhook_id <> ?";
	const char *self = self_id ? self_id : "";
	long long n = 0;
	enum wh_err result;
	if(json_array_size(ids) == 0) {
		result = count_of(db, q_wide, DBP(db_str(account_id), db_str(self)), &n);
		if(!result && n >= WH_LIMIT_ACCOUNT_WIDE) {
			jx_fail(err, "locationIds", "the account already has %d account-wide webhooks (the limit)",
			        WH_LIMIT_ACCOUNT_WIDE);
			result = WH_ERR_LIMIT;
		}
		return result;
	}
	for(size_t i = 0; i < json_array_size(ids); i++) {
		const char *loc = json_string_value(json_array_get(ids, i));
		result = count_of(db, q_loc, DBP(db_str(account_id), db_str(loc), db_str(self)), &n);
		if(result)
			return result;
		if(n >= WH_LIMIT_PER_LOCATION) {
			char field[48];
			snprintf(field, sizeof(field), "locationIds[%zu]", i);
			jx_fail(err, field, "%s: location '%s' already has %d webhooks (the limit)", field, loc,
			        WH_LIMIT_PER_LOCATION);
			return WH_ERR_LIMIT;
		}
	}
	return WH_OK;
}

/* The rows fan-out and the limits read, and the webhook's location_ids column the reads
 * answer from (comma-separated, in order), in the caller's transaction. */
static enum wh_err set_locations(struct db *db, const char *account_id, const char *id, const json_t *ids)
{
	static const char q_del[] = "DELETE FROM webhook_locations WHERE webhook_id = ?";
	static const char q_ins[] = "INSERT INTO webhook_locations (webhook_id, location_id, account_id, pos) "
	                            "VALUES (?, ?, ?, ?)";
	static const char q_col[] = "UPDATE webhooks SET location_ids = ? WHERE id = ?";
	struct buf joined;
	enum wh_err result = db_exec(db, q_del, DBP(db_str(id)), NULL, NULL);
	buf_init(&joined, 0);
	for(size_t i = 0; !result && i < json_array_size(ids); i++) {
		const char *loc = json_string_value(json_array_get(ids, i));
		result = db_exec(db, q_ins, DBP(db_str(id), db_str(loc), db_str(account_id), db_i64((long long)i)),
		                 NULL, NULL);
		if(!result)
			result = buf_addf(&joined, "%s%s", i ? "," : "", loc);
	}
	if(!result)
		result = db_exec(db, q_col, DBP(db_str(buf_str(&joined)), db_str(id)), NULL, NULL);
	buf_release(&joined);
	return result;
}

/* ordering and rateLimit where given; the others keep their stored value. */
static enum wh_err set_delivery_opts(struct db *db, const char *id, const struct wh_input *in)
{
	static const char sql[] =
	    "UPDATE webhooks SET ordering = IF(?, ?, ordering), rate_limit = IF(?, ?, rate_limit) "
	    "WHERE id = ?";
	return db_exec(db, sql,
	               DBP(db_i64(in->has_ordering), db_str(in->has_ordering ? in->ordering : "none"),
	                   db_i64(in->has_rate_limit), in->rate_limit ? db_i64(in->rate_limit) : db_null(), db_str(id)),
	               NULL, NULL);
}

/* Compact JSON of v, or of an empty array when v is NULL: new string. */
static char *dump_or_empty(const json_t *v)
{
	return v ? jx_dumps(v) : xstrdup("[]");
}

enum wh_err wh_insert(const struct app *app, const char *account_id, const char *id, const struct wh_input *in,
                      const char *secret)
{
	static const char sql[] = "INSERT INTO webhooks (id, account_id, url, secret_enc, oauth_json, oauth_key_enc, "
	                          "event_types, visit_states, account_wide, is_active, description, created, updated) "
	                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct buf sec, key;
	char *types = dump_or_empty(in->event_types), *states = dump_or_empty(in->visit_states);
	char *oauth = in->oauth_meta ? jx_dumps(in->oauth_meta) : NULL;
	long long now = time_now_ms();
	enum wh_err result = wh_seal(app, id, WHROW_SECRET, secret, &sec);
	buf_init(&key, 0);
	if(!result && in->oauth_key)
		result = wh_seal(app, id, WHROW_OAUTH_KEY, in->oauth_key, &key);
	if(!result)
		result = db_exec(app->db, sql,
		                 DBP(db_str(id), db_str(account_id), db_str(in->url), db_blob(sec.ptr, sec.len),
		                     db_str(oauth), key.len ? db_blob(key.ptr, key.len) : db_null(), db_str(types),
		                     db_str(states), db_i64(json_array_size(in->location_ids) == 0),
		                     db_i64(in->has_is_active ? in->is_active : 1), db_str(in->description),
		                     db_i64(now), db_i64(now)),
		                 NULL, NULL);
	if(!result)
		result = set_locations(app->db, account_id, id, in->location_ids);
	if(!result && json_object_size(in->headers))
		result = wh_set_headers(app, id, in->headers);
	if(!result && (in->has_ordering || in->has_rate_limit))
		result = set_delivery_opts(app->db, id, in);
	buf_release(&sec);
	buf_release(&key);
	free(types);
	free(states);
	free(oauth);
	return result;
}

/* The new value of a JSON column: the input's when given, else the stored text. New. */
static char *merged_json(bool given, const json_t *v, const struct wh_row *cur, enum wh_col col)
{
	const char *stored = db_rows_get(&cur->rows, 0, col);
	if(given)
		return v ? jx_dumps(v) : NULL;
	return stored ? xstrdup(stored) : NULL;
}

static enum wh_err update_row(const struct app *app, const struct wh_row *cur, const struct wh_input *in)
{
	static const char sql[] = "UPDATE webhooks SET url = ?, oauth_json = ?, event_types = ?, visit_states = ?, "
	                          "account_wide = ?, is_active = ?, disabled_reason = ?, disabled_at = ?, "
	                          "description = ?, updated = ? WHERE id = ?";
	const struct db_rows *r = &cur->rows;
	char *oauth = merged_json(in->has_oauth, in->oauth_meta, cur, WH_C_OAUTH_JSON);
	char *types = merged_json(in->has_event_types, in->event_types, cur, WH_C_EVENT_TYPES);
	char *states = merged_json(in->has_visit_states, in->visit_states, cur, WH_C_VISIT_STATES);
	bool wide =
	    in->has_location_ids ? json_array_size(in->location_ids) == 0 : db_rows_i64(r, 0, WH_C_ACCOUNT_WIDE);
	bool active = in->has_is_active ? in->is_active : db_rows_i64(r, 0, WH_C_IS_ACTIVE);
	/* Setting isActive (either way) is the user's decision: it ends a system disable. */
	bool keep_disabled = !in->has_is_active && db_rows_get(r, 0, WH_C_DISABLED_AT);
	enum wh_err result =
	    db_exec(app->db, sql,
	            DBP(db_str(in->has_url ? in->url : db_rows_get(r, 0, WH_C_URL)), db_str(oauth), db_str(types),
	                db_str(states), db_i64(wide), db_i64(active),
	                db_str(keep_disabled ? db_rows_get(r, 0, WH_C_DISABLED_REASON) : NULL),
	                keep_disabled ? db_i64(db_rows_i64(r, 0, WH_C_DISABLED_AT)) : db_null(),
	                db_str(in->has_description ? in->description : db_rows_get(r, 0, WH_C_DESCRIPTION)),
	                db_i64(time_now_ms()), db_str(db_rows_get(r, 0, WH_C_ID))),
	            NULL, NULL);
	free(oauth);
	free(types);
	free(states);
	return result;
}

static enum wh_err update_secrets(const struct app *app, const char *id, const struct wh_input *in)
{
	static const char q_secret[] = "UPDATE webhooks SET secret_enc = ?, prev_secret_enc = NULL, "
	                               "prev_secret_expires = NULL WHERE id = ?";
	static const char q_key[] = "UPDATE webhooks SET oauth_key_enc = ? WHERE id = ?";
	struct buf b;
	enum wh_err result = WH_OK;
	buf_init(&b, 0);
	if(in->has_secret) {
		result = wh_seal(app, id, WHROW_SECRET, in->secret, &b);
		if(!result)
			result = db_exec(app->db, q_secret, DBP(db_blob(b.ptr, b.len), db_str(id)), NULL, NULL);
		buf_release(&b);
	}
	if(!result && in->has_oauth && (!in->oauth_meta || in->oauth_key)) {
		if(in->oauth_key)
			result = wh_seal(app, id, WHROW_OAUTH_KEY, in->oauth_key, &b);
		if(!result)
			result = db_exec(app->db, q_key, DBP(b.len ? db_blob(b.ptr, b.len) : db_null(), db_str(id)),
			                 NULL, NULL);
		buf_release(&b);
	}
	return result;
}

enum wh_err wh_update(const struct app *app, const struct wh_row *cur, const struct wh_input *in)
{
	const char *id = db_rows_get(&cur->rows, 0, WH_C_ID);
	enum wh_err result = update_row(app, cur, in);
	if(!result)
		result = update_secrets(app, id, in);
	if(!result && in->has_location_ids)
		result = set_locations(app->db, db_rows_get(&cur->rows, 0, WH_C_ACCOUNT), id, in->location_ids);
	if(!result && in->has_headers)
		result = wh_set_headers(app, id, in->headers);
	if(!result && (in->has_ordering || in->has_rate_limit))
		result = set_delivery_opts(app->db, id, in);
	return result;
}

enum wh_err wh_set_headers(const struct app *app, const char *id, const json_t *full)
{
	static const char sql[] = "UPDATE webhooks SET headers_enc = ?, headers_masked = ? WHERE id = ?";
	json_t *masked = NULL;
	char *plain = NULL, *shown = NULL;
	struct buf sealed;
	enum wh_err result = WH_OK;
	buf_init(&sealed, 0);
	if(json_object_size(full)) {
		masked = wh_headers_masked(full);
		shown = jx_dumps(masked);
		plain = jx_dumps(full);
		result = wh_seal(app, id, WHROW_HEADERS, plain, &sealed);
	}
	if(!result)
		result =
		    db_exec(app->db, sql,
		            DBP(sealed.len ? db_blob(sealed.ptr, sealed.len) : db_null(), db_str(shown), db_str(id)),
		            NULL, NULL);
	if(plain)
		xfree_secret(plain, strlen(plain));
	free(shown);
	json_decref(masked);
	buf_release(&sealed);
	return result;
}

enum wh_err wh_stored_headers(const struct app *app, const char *id, json_t **out)
{
	static const char sql[] = "SELECT headers_enc FROM webhooks WHERE id = ?";
	struct db_rows rows;
	struct buf plain;
	enum wh_err result = db_exec(app->db, sql, DBP(db_str(id)), &rows, NULL);
	*out = NULL;
	if(result)
		return result;
	buf_init(&plain, 0);
	if(rows.nrows != 1)
		result = WH_ERR_NOT_FOUND;
	else if(db_rows_get(&rows, 0, 0)) {
		crypto_buf_wipe(&plain);
		result = whrow_open(app->master_key, id, WHROW_HEADERS, db_rows_get(&rows, 0, 0),
		                    db_rows_len(&rows, 0, 0), &plain);
		if(!result && !(*out = json_loads(buf_str(&plain), 0, NULL)))
			result = WH_ERR_CRYPTO;
	}
	if(!result && !*out)
		*out = json_object();
	crypto_buf_wipe(&plain);
	db_rows_release(&rows);
	return result;
}

enum wh_err wh_rotate(const struct app *app, const char *id, const char *secret, long long overlap_seconds,
                      long long *prev_expires)
{
	static const char q_get[] = "SELECT secret_enc, " DB_NOW_MS " FROM webhooks WHERE id = ? FOR UPDATE";
	static const char q_set[] = "UPDATE webhooks SET secret_enc = ?, prev_secret_enc = ?, prev_secret_expires = ?, "
	                            "updated = ? WHERE id = ?";
	struct db_rows rows;
	struct buf old, prev, next;
	long long now = time_now_ms();
	enum wh_err result = db_exec(app->db, q_get, DBP(db_str(id)), &rows, NULL);
	if(result)
		return result;
	buf_init(&old, 0);
	buf_init(&prev, 0);
	buf_init(&next, 0);
	result = rows.nrows == 1 ? whrow_open(app->master_key, id, WHROW_SECRET, db_rows_get(&rows, 0, 0),
	                                      db_rows_len(&rows, 0, 0), &old)
	                         : WH_ERR_NOT_FOUND;
	*prev_expires = -1;
	if(!result && overlap_seconds > 0) {
		*prev_expires = db_rows_i64(&rows, 0, 1) + overlap_seconds * 1000;
		result = wh_seal(app, id, WHROW_PREV_SECRET, buf_str(&old), &prev);
	}
	if(!result)
		result = wh_seal(app, id, WHROW_SECRET, secret, &next);
	if(!result)
		result = db_exec(app->db, q_set,
		                 DBP(db_blob(next.ptr, next.len), prev.len ? db_blob(prev.ptr, prev.len) : db_null(),
		                     prev.len ? db_i64(*prev_expires) : db_null(), db_i64(now), db_str(id)),
		                 NULL, NULL);
	crypto_buf_wipe(&old);
	buf_release(&prev);
	buf_release(&next);
	db_rows_release(&rows);
	return result;
}
