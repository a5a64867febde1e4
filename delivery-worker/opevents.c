/* webhook.disabled and webhook.recovered into the outbox. */
#include "delivery-worker/opevents.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/event_row.h"
#include "common/ids.h"
#include "common/json_util.h"
#include "common/log.h"
#include "delivery-worker/sqlrows.h"

static const char sql_insert[] =
    "INSERT INTO events (id, account_id, location_id, type, visit_state, webhook_id, subject_webhook_id, "
    "payload, created) VALUES (?, ?, NULL, ?, NULL, NULL, ?, ?, ?)";

static const char sql_hook[] = "SELECT id, account_id, url, description FROM webhooks WHERE id = ?";

static const char sql_failing_head[] = "SELECT id, account_id, url, description, failing_since FROM webhooks "
                                       "WHERE failing_since < ? AND disabled_at IS NULL AND id IN (";
static const char sql_failing_row[] = "?";
static const char sql_failing_tail[] = ") ORDER BY id FOR UPDATE";

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

static enum wh_err recovered_chunk(struct db *db, const char *const *ids, size_t chunk, long long now)
{
	struct db_param p[SQLROWS_MAX + 1];
	struct db_rows rows;
	enum wh_err result;
	p[0] = db_i64(now - OPEVENTS_RECOVERED_AFTER_MS);
	for(size_t k = 0; k < chunk; k++)
		p[1 + k] = db_str(ids[k]);
	result = db_exec(db, sqlrows_text(sql_failing_head, sql_failing_row, sql_failing_tail, chunk), p, chunk + 1,
	                 &rows, NULL);
	if(result)
		return result;
	for(size_t r = 0; !result && r < rows.nrows; r++) {
		json_t *more = json_object();
		jx_set_time(more, "failingSince", db_rows_i64(&rows, r, 4));
		jx_set_time(more, "recoveredAt", now);
		result = emit(db, "webhook.recovered", &rows, r, more, now);
	}
	db_rows_release(&rows);
	return result;
}

enum wh_err opevents_recovered(struct db *db, const char *const *webhook_ids, size_t n, long long now)
{
	enum wh_err result = WH_OK;
	while(n && !result) {
		size_t chunk = sqlrows_chunk(n);
		result = recovered_chunk(db, webhook_ids, chunk, now);
		webhook_ids += chunk;
		n -= chunk;
	}
	return result;
}
