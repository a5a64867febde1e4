/* Endpoint activity (SPEC §5): a webhook's deliveries, one delivery with its attempts,
 * resend, and recover (resend every failed delivery of a time window). The worker does
 * the sending: these handlers only mark deliveries due, so they answer at once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/delivery_row.h"
#include "common/log.h"
#include "common/metric_offsets.h"
#include "common/xalloc.h"
#include "fcgi-app/core/audit.h"
#include "fcgi-app/core/tx.h"
#include "fcgi-app/resources/webhooks/deliveries.h"

#define ATTEMPTS_SHOWN 100
#define RECOVER_BATCH 500

static const char sql_webhook[] = "SELECT 1 FROM webhooks WHERE id = ? AND account_id = ?";

/* 404 unless the webhook exists in the key's account. */
static enum wh_err webhook_check(struct request *req, const char *webhook_id)
{
	struct db_rows rows;
	enum wh_err result;
	if(!id_valid(webhook_id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql_webhook, DBP(db_str(webhook_id), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	result = rows.nrows ? WH_OK : WH_ERR_NOT_FOUND;
	db_rows_release(&rows);
	return result;
}

static void set_int_or_null(json_t *obj, const char *key, const struct db_rows *rows, size_t r, size_t c)
{
	const char *v = db_rows_get(rows, r, c);
	json_object_set_new(obj, key, v ? json_integer(db_rows_i64(rows, r, c)) : json_null());
}

static void set_time_col(json_t *obj, const char *key, const struct db_rows *rows, size_t r, size_t c)
{
	jx_set_time(obj, key, db_rows_get(rows, r, c) ? db_rows_i64(rows, r, c) : -1);
}

json_t *delivery_json(const struct db_rows *rows, size_t r)
{
	json_t *d = json_object();
	const char *status = db_rows_get(rows, r, 3);
	json_object_set_new(d, "id", json_string(db_rows_get(rows, r, 0)));
	json_object_set_new(d, "webhookId", json_string(db_rows_get(rows, r, 11)));
	json_object_set_new(d, "eventId", json_string(db_rows_get(rows, r, 1)));
	json_object_set_new(d, "eventType", json_string(db_rows_get(rows, r, 2)));
	json_object_set_new(d, "status", json_string(status));
	json_object_set_new(d, "attempts", json_integer(db_rows_i64(rows, r, 4)));
	set_int_or_null(d, "lastStatusCode", rows, r, 5);
	jx_set_str(d, "lastError", db_rows_get(rows, r, 6));
	set_time_col(d, "lastAttemptAt", rows, r, 7);
	if(!strcmp(status, DELIVERY_PENDING))
		set_time_col(d, "nextAttemptAt", rows, r, 8);
	else
		json_object_set_new(d, "nextAttemptAt", json_null());
	set_time_col(d, "created", rows, r, 9);
	return d;
}

/* A response snippet as a JSON string: bytes that are not UTF-8 (a cut at 4 KiB, a binary
 * answer) become '?'. */
static json_t *snippet_json(const char *s, size_t len)
{
	json_t *v;
	char *copy;
	if(!s)
		return json_null();
	v = json_stringn(s, len);
	if(v)
		return v;
	copy = xmalloc(len + 1);
	for(size_t i = 0; i < len; i++)
		copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	v = json_stringn(copy, len);
	free(copy);
	return v ? v : json_null();
}

static const char sql_one[] =
    "SELECT " DELIVERY_COLS " FROM deliveries WHERE id = ? AND webhook_id = ? AND account_id = ?";
static const char sql_attempts[] =
    "SELECT at, duration_ms, status_code, error, response_body, trigger_kind, superseded FROM "
    "(SELECT seq, at, duration_ms, status_code, error, response_body, trigger_kind, superseded FROM delivery_attempts "
    "WHERE delivery_id = ? ORDER BY seq DESC LIMIT 100) t ORDER BY seq";

static json_t *attempts_json(const struct db_rows *rows)
{
	json_t *list = json_array();
	for(size_t r = 0; r < rows->nrows; r++) {
		json_t *a = json_object();
		set_time_col(a, "at", rows, r, 0);
		json_object_set_new(a, "durationMs", json_integer(db_rows_i64(rows, r, 1)));
		set_int_or_null(a, "statusCode", rows, r, 2);
		jx_set_str(a, "error", db_rows_get(rows, r, 3));
		json_object_set_new(a, "responseBody", snippet_json(db_rows_get(rows, r, 4), db_rows_len(rows, r, 4)));
		json_object_set_new(a, "trigger", json_string(db_rows_get(rows, r, 5)));
		json_object_set_new(a, "superseded", json_boolean(db_rows_i64(rows, r, 6) != 0));
		json_array_append_new(list, a);
	}
	return list;
}

/* Loads one delivery of the webhook in the key's account; *out is new. */
static enum wh_err delivery_load(struct request *req, bool with_attempts, json_t **out)
{
	const char *webhook_id = req->params[0], *delivery_id = req->params[1];
	struct db_rows rows, att;
	enum wh_err result;
	if(!id_valid(webhook_id) || !id_valid(delivery_id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql_one, DBP(db_str(delivery_id), db_str(webhook_id), db_str(req->account_id)),
	                 &rows, NULL);
	if(result)
		return result;
	if(!rows.nrows) {
		db_rows_release(&rows);
		return WH_ERR_NOT_FOUND;
	}
	*out = delivery_json(&rows, 0);
	db_rows_release(&rows);
	if(!with_attempts)
		return WH_OK;
	result = db_exec(req->app->db, sql_attempts, DBP(db_str(delivery_id)), &att, NULL);
	if(result) {
		json_decref(*out);
		return result;
	}
	json_object_set_new(*out, "attemptHistory", attempts_json(&att));
	db_rows_release(&att);
	return WH_OK;
}

enum wh_err deliveries_get(struct request *req)
{
	json_t *d = NULL;
	enum wh_err result = delivery_load(req, true, &d);
	if(result)
		return result;
	http_send_json(req, 200, d);
	json_decref(d);
	return WH_OK;
}

/* A manual attempt now. While an attempt is in flight (a live lease) the row keeps its
 * lease; the worker sees manual = 1 when it records that attempt and makes it due again.
 * "Now" is the database's clock, the one the worker's leases and claims compare with, so a
 * web host whose clock is off neither delays the attempt nor takes a live lease for dead. */
static const char sql_resend[] =
    "UPDATE deliveries SET status = '" DELIVERY_PENDING "', manual = 1, "
    "next_attempt_at = IF(lease_token IS NOT NULL AND lease_expires > " DB_NOW_MS ", next_attempt_at, " DB_NOW_MS
    "), updated = " DB_NOW_MS " WHERE id = ? AND webhook_id = ? AND account_id = ?";

static const char sql_resend_status[] =
    "SELECT status FROM deliveries WHERE id = ? AND webhook_id = ? AND account_id = ? FOR UPDATE";

/* The resend, its audit entry and, when it moves the delivery out of a final status, that
 * status's counter offset (linehook_deliveries_total keeps counting it), in one
 * transaction. A delivery that is not there changes nothing (the caller answers 404). */
static enum wh_err resend_tx(struct request *req, void *ctx)
{
	struct db *db = req->app->db;
	struct db_rows rows;
	char was[16];
	json_t *details;
	uint64_t n = 0;
	enum wh_err result;
	(void)ctx;
	result = db_exec(db, sql_resend_status,
	                 DBP(db_str(req->params[1]), db_str(req->params[0]), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	snprintf(was, sizeof(was), "%s", rows.nrows == 1 ? db_rows_get(&rows, 0, 0) : DELIVERY_PENDING);
	db_rows_release(&rows);
	result = db_exec(db, sql_resend, DBP(db_str(req->params[1]), db_str(req->params[0]), db_str(req->account_id)),
	                 NULL, &n);
	if(result || !n)
		return result;
	if(strcmp(was, DELIVERY_PENDING))
		result = metric_offset_add(db, METRIC_DELIVERIES_TOTAL, was, 1);
	if(result)
		return result;
	details = json_pack("{ss}", "deliveryId", req->params[1]);
	result = audit_record(req, AUDIT_DELIVERY_RESENT, "webhook", req->params[0], details);
	json_decref(details);
	return result;
}

enum wh_err deliveries_resend(struct request *req)
{
	json_t *body = NULL, *d = NULL;
	enum wh_err result = http_read_json(req, true, &body);
	if(!result && json_object_size(body))
		result = jx_only_keys(body, (const char *const[]){NULL}, &req->err);
	json_decref(body);
	if(result)
		return result;
	if(!id_valid(req->params[0]) || !id_valid(req->params[1]))
		return WH_ERR_NOT_FOUND;
	result = tx_run(req, resend_tx, NULL);
	if(!result)
		result = delivery_load(req, false, &d);
	if(result)
		return result;
	http_send_json(req, 202, d);
	json_decref(d);
	return WH_OK;
}

/* Due now on the database's clock, as the resend. */
static const char sql_recover[] =
    "UPDATE deliveries SET status = '" DELIVERY_PENDING "', manual = 1, next_attempt_at = " DB_NOW_MS
    ", updated = " DB_NOW_MS " WHERE webhook_id = ? AND status = '" DELIVERY_FAILED "' AND created >= ? "
    "AND created < ? LIMIT 500";

/* A window without until ends at the database's now: the worker stamps created on that
 * clock at fan-out, so a web host whose clock runs behind still takes the latest. */
static const char sql_db_now[] = "SELECT " DB_NOW_MS;

static enum wh_err db_now(struct request *req, long long *now)
{
	struct db_rows rows;
	enum wh_err result = db_exec(req->app->db, sql_db_now, DBP_NONE, &rows, NULL);
	if(result)
		return result;
	result = rows.nrows == 1 ? WH_OK : WH_ERR_DB;
	*now = db_rows_i64(&rows, 0, 0);
	db_rows_release(&rows);
	return result;
}

static enum wh_err recover_window(struct request *req, json_t *body, long long *since, long long *until)
{
	static const char *const keys[] = {"since", "until", NULL};
	const char *s = NULL, *u = NULL;
	enum wh_err result = jx_only_keys(body, keys, &req->err);
	if(!result)
		result = jx_string(body, "since", true, 1, 40, &s, &req->err);
	if(!result)
		result = jx_string(body, "until", false, 1, 40, &u, &req->err);
	if(result)
		return result;
	if(!time_parse_iso(s, since))
		return jx_fail(&req->err, "since", "since: must be an ISO-8601 UTC time");
	if(u && !time_parse_iso(u, until))
		return jx_fail(&req->err, "until", "until: must be an ISO-8601 UTC time");
	if(!u && (result = db_now(req, until)))
		return result;
	if(!u)
		(*until)++;
	if(*until <= *since)
		return jx_fail(&req->err, "until", "until: must be later than since");
	return WH_OK;
}

/* The audit entry of a recover, written before the batches so no change goes unrecorded
 * (a recover that fails half-way is recorded as asked for). */
static enum wh_err audit_recover(struct request *req, const char *webhook_id, long long since, long long until)
{
	json_t *details = json_object();
	enum wh_err result;
	jx_set_time(details, "since", since);
	jx_set_time(details, "until", until);
	result = audit_record(req, AUDIT_WEBHOOK_RECOVERED, "webhook", webhook_id, details);
	json_decref(details);
	return result;
}

/* One batch of a recover and the counter offset of the failed deliveries it moved. */
struct recover_batch {
	const char *webhook_id;
	long long since, until;
	uint64_t n; /* deliveries marked */
};

static enum wh_err recover_tx(struct request *req, void *ctx)
{
	struct recover_batch *b = ctx;
	enum wh_err result;
	b->n = 0;
	result = db_exec(req->app->db, sql_recover, DBP(db_str(b->webhook_id), db_i64(b->since), db_i64(b->until)),
	                 NULL, &b->n);
	if(!result)
		result = metric_offset_add(req->app->db, METRIC_DELIVERIES_TOTAL, DELIVERY_FAILED, (long long)b->n);
	return result;
}

/* Marks the window's failed deliveries due in batches of RECOVER_BATCH rows: memory stays
 * bounded whatever the window holds, and the worker sends them as usual. */
enum wh_err webhooks_recover(struct request *req)
{
	const char *webhook_id = req->params[0];
	struct recover_batch batch = {webhook_id, 0, 0, 0};
	long long since, until;
	unsigned long long total = 0;
	json_t *body = NULL, *ans;
	enum wh_err result = webhook_check(req, webhook_id);
	if(!result)
		result = http_read_json(req, false, &body);
	if(!result)
		result = recover_window(req, body, &since, &until);
	json_decref(body);
	if(!result)
		result = audit_recover(req, webhook_id, since, until);
	if(result)
		return result;
	batch.since = since;
	batch.until = until;
	do {
		result = tx_run(req, recover_tx, &batch);
		total += batch.n;
	} while(!result && batch.n == RECOVER_BATCH);
	if(result)
		return result;
	log_info("webhook %s: recovering %llu failed deliveries", webhook_id, total);
	ans = json_object();
	json_object_set_new(ans, "recovering", json_integer((json_int_t)total));
	jx_set_time(ans, "since", since);
	jx_set_time(ans, "until", until);
	http_send_json(req, 202, ans);
	json_decref(ans);
	return WH_OK;
}
