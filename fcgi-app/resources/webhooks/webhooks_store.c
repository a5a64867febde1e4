/* Webhook rows: loading, rendering as the API answers them, sealing their secrets. */
#include <stdio.h>
#include <string.h>

#include "common/crypto.h"
#include "common/json_util.h"
#include "common/log.h"
#include "fcgi-app/core/resource.h"
#include "fcgi-app/resources/webhooks/webhooks_store.h"

static enum wh_err wh_location_ids(struct db *db, const char *id, json_t **out)
{
	static const char sql[] =
	    "SELECT location_id FROM webhook_locations WHERE webhook_id = ? ORDER BY pos, location_id";
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql, DBP(db_str(id)), &rows, NULL);
	*out = NULL;
	if(result)
		return result;
	*out = json_array();
	for(size_t r = 0; r < rows.nrows; r++)
		json_array_append_new(*out, json_string(db_rows_get(&rows, r, 0)));
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err wh_load(struct db *db, const char *account_id, const char *id, bool lock, struct wh_row *row)
{
	static const char q_plain[] = WH_SELECT " WHERE id = ? AND account_id = ?";
	static const char q_lock[] = WH_SELECT " WHERE id = ? AND account_id = ? FOR UPDATE";
	enum wh_err result;
	memset(row, 0, sizeof(*row));
	result = db_exec(db, lock ? q_lock : q_plain, DBP(db_str(id), db_str(account_id)), &row->rows, NULL);
	if(result)
		return result;
	if(row->rows.nrows != 1) {
		wh_row_release(row);
		return WH_ERR_NOT_FOUND;
	}
	result = wh_location_ids(db, id, &row->location_ids);
	if(result)
		wh_row_release(row);
	return result;
}

void wh_row_release(struct wh_row *row)
{
	db_rows_release(&row->rows);
	json_decref(row->location_ids);
	row->location_ids = NULL;
}

/* A JSON column parsed back; [] (or {}) when unreadable, which only a bad write makes. */
static json_t *json_column(const struct db_rows *rows, size_t r, size_t c, bool object)
{
	const char *text = db_rows_get(rows, r, c);
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	if(v && (object ? json_is_object(v) : json_is_array(v)))
		return v;
	json_decref(v);
	log_err("webhook %s: column %zu is not valid JSON", db_rows_get(rows, r, WH_C_ID), c);
	return object ? json_object() : json_array();
}

static const char *status_of(const struct db_rows *rows, size_t r)
{
	if(db_rows_get(rows, r, WH_C_DISABLED_AT))
		return "disabled";
	return db_rows_i64(rows, r, WH_C_IS_ACTIVE) ? "active" : "inactive";
}

static void render_oauth(json_t *ans, const struct db_rows *rows, size_t r)
{
	json_t *oauth;
	if(!db_rows_get(rows, r, WH_C_OAUTH_JSON))
		return;
	oauth = json_column(rows, r, WH_C_OAUTH_JSON, true);
	json_object_set_new(oauth, "hasPrivateKey", json_boolean(db_rows_i64(rows, r, WH_C_HAS_KEY)));
	json_object_set_new(ans, "oAuth", oauth);
}

json_t *wh_render(const struct db_rows *rows, size_t r, const json_t *location_ids)
{
	json_t *ans = json_object();
	bool disabled = db_rows_get(rows, r, WH_C_DISABLED_AT) != NULL;
	json_object_set_new(ans, "id", json_string(db_rows_get(rows, r, WH_C_ID)));
	json_object_set_new(ans, "accountId", json_string(db_rows_get(rows, r, WH_C_ACCOUNT)));
	json_object_set_new(ans, "url", json_string(db_rows_get(rows, r, WH_C_URL)));
	json_object_set_new(ans, "eventTypes", json_column(rows, r, WH_C_EVENT_TYPES, false));
	json_object_set_new(ans, "locationIds", json_deep_copy(location_ids));
	json_object_set_new(ans, "visitStates", json_column(rows, r, WH_C_VISIT_STATES, false));
	json_object_set_new(ans, "isActive", json_boolean(db_rows_i64(rows, r, WH_C_IS_ACTIVE)));
	jx_set_str(ans, "description", db_rows_get(rows, r, WH_C_DESCRIPTION));
	json_object_set_new(ans, "ordering", json_string(db_rows_get(rows, r, WH_C_ORDERING)));
	json_object_set_new(ans, "rateLimit",
	                    db_rows_get(rows, r, WH_C_RATE_LIMIT) ? json_integer(db_rows_i64(rows, r, WH_C_RATE_LIMIT))
	                                                          : json_null());
	json_object_set_new(ans, "status", json_string(status_of(rows, r)));
	jx_set_str(ans, "disabledReason", disabled ? db_rows_get(rows, r, WH_C_DISABLED_REASON) : NULL);
	jx_set_time(ans, "disabledAt", disabled ? db_rows_i64(rows, r, WH_C_DISABLED_AT) : -1);
	render_oauth(ans, rows, r);
	json_object_set_new(ans, "headers",
	                    db_rows_get(rows, r, WH_C_HEADERS) ? json_column(rows, r, WH_C_HEADERS, true)
	                                                       : json_object());
	jx_set_time(ans, "created", db_rows_i64(rows, r, WH_C_CREATED));
	jx_set_time(ans, "updated", db_rows_i64(rows, r, WH_C_UPDATED));
	return ans;
}

/* The comma-separated location ids of a WH_SELECT_VIEW row as an array (new). */
static json_t *location_ids_column(const struct db_rows *rows, size_t r)
{
	const char *s = db_rows_get(rows, r, WH_C_LOCATION_IDS);
	json_t *ids = json_array();
	while(s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		json_array_append_new(ids, json_stringn(s, len));
		s = end ? end + 1 : NULL;
	}
	return ids;
}

json_t *wh_render_view(const struct db_rows *rows, size_t r)
{
	json_t *ids = location_ids_column(rows, r);
	json_t *ans = wh_render(rows, r, ids);
	json_decref(ids);
	webhook_stats_render(rows, r, WH_C_STATS, ans);
	return ans;
}

enum wh_err wh_load_view(struct db *db, const char *account_id, const char *id, json_t **out)
{
	static const char sql[] = WH_SELECT_VIEW " WHERE w.id = ? AND w.account_id = ?" WH_VIEW_GROUP;
	struct db_rows rows;
	enum wh_err result =
	    db_exec(db, sql, DBP(db_i64(webhook_stats_since()), db_str(id), db_str(account_id)), &rows, NULL);
	*out = NULL;
	if(result)
		return result;
	if(rows.nrows)
		*out = wh_render_view(&rows, 0);
	else
		result = WH_ERR_NOT_FOUND;
	db_rows_release(&rows);
	return result;
}

enum wh_err wh_seal(const struct app *app, const char *id, const char *what, const char *plain, struct buf *out)
{
	return whrow_seal(app->master_key, id, what, plain, out);
}
