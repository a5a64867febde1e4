/* webhook.disabled and webhook.recovered into the outbox. */
#include "delivery-worker/opevents.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/event_row.h"
#include "common/ids.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "delivery-worker/jsonrows.h"

static const char sql_insert[] =
    "INSERT INTO events (id, account_id, location_id, type, visit_state, webhook_id, subject_webhook_id, "
    "payload, created) VALUES (?, ?, NULL, ?, NULL, NULL, ?, ?, ?)";

static const char sql_hook[] = "SELECT id, account_id, url, description FROM webhooks WHERE id = ?";

/* The webhooks of a JSON array of ids (sorted: STRAIGHT_JOIN locks and returns them in that order)
 * failing since before ?: one statement whatever the number of ids. */
static const char sql_failing[] =
    "SELECT w.id, w.account_id, w.url, w.description, w.failing_since FROM JSON_TABLE(?, '$[*]' "
    "COLUMNS(id CHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) j STRAIGHT_JOIN webhooks w "
    "ON w.id = j.id WHERE w.failing_since < ? AND w.disabled_at IS NULL FOR UPDATE";

/* Inserts one event about webhook row r of rows (id, account_id, url, description);
 * data gets webhookId, url, description first, then what `more` holds (stolen). */
static enum wh_err emit(struct db *db, const char *type, const struct db_rows *rows, size_t r, json_t *more,
                        long long now)
{
	char id[ID_LEN + 1];
	json_t *data = json_object();
	char *payload;
	enum wh_err result;
	json_object_set_new(data, "webhookId", json_string(db_rows_get(rows, r, 0)));
	json_object_set_new(data, "url", json_string(db_rows_get(rows, r, 2)));
	jx_set_str(data, "description", db_rows_get(rows, r, 3));
	json_object_update(data, more);
	json_decref(more);
	id_new(id);
	payload = event_envelope(id, now, db_rows_get(rows, r, 1), type, data);
	result = db_exec(db, sql_insert,
	                 DBP(db_str(id), db_str(db_rows_get(rows, r, 1)), db_str(type), db_str(db_rows_get(rows, r, 0)),
	                     db_blob(payload, strlen(payload)), db_i64(now)),
	                 NULL, NULL);
	if(!result)
		log_info("webhook %s: %s event %s", db_rows_get(rows, r, 0), type, id);
	free(payload);
	json_decref(data);
	return result;
}

enum wh_err opevents_disabled(struct db *db, const char *webhook_id, const char *reason, long long now)
{
	struct db_rows rows;
	json_t *more;
	enum wh_err result = db_exec(db, sql_hook, DBP(db_str(webhook_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows == 1) {
		more = json_object();
		json_object_set_new(more, "reason", json_string(reason));
		jx_set_time(more, "disabledAt", now);
		result = emit(db, "webhook.disabled", &rows, 0, more, now);
	}
	db_rows_release(&rows);
	return result;
}

enum wh_err opevents_recovered(struct db *db, const char *const *webhook_ids, size_t n, long long now)
{
	struct db_param *ids = xcalloc(n ? n : 1, sizeof(*ids));
	struct db_rows rows = {0};
	char *json;
	enum wh_err result;
	for(size_t k = 0; k < n; k++)
		ids[k] = db_str(webhook_ids[k]);
	json = jsonrows_text(ids, n, 1);
	result = db_exec(db, sql_failing, DBP(db_str(json), db_i64(now - OPEVENTS_RECOVERED_AFTER_MS)), &rows, NULL);
	for(size_t r = 0; !result && r < rows.nrows; r++) {
		json_t *more = json_object();
		jx_set_time(more, "failingSince", db_rows_i64(&rows, r, 4));
		jx_set_time(more, "recoveredAt", now);
		result = emit(db, "webhook.recovered", &rows, r, more, now);
	}
	db_rows_release(&rows);
	free(json);
	free(ids);
	return result;
}
