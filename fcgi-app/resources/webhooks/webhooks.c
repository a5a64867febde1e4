/* The webhooks resource (SPEC §5): create, list, get, update, delete, rotate-secret, test. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/log.h"
#include "fcgi-app/resources/webhooks/webhooks.h"
#include "fcgi-app/core/audit.h"
#include "fcgi-app/core/outbox.h"
#include "fcgi-app/core/tx.h"
#include "fcgi-app/resources/webhooks/webhooks_headers.h"
#include "fcgi-app/resources/webhooks/webhooks_store.h"
#include "fcgi-app/resources/webhooks/webhooks_input.h"
#include "fcgi-app/resources/webhooks/webhooks_write.h"

/* What a write transaction needs and produces. */
struct wh_tx {
	json_t *body;                   /* the request body (borrowed) */
	struct wh_input in;             /* the validated body */
	const char *id;                 /* the webhook */
	char secret[WH_SECRET_MAX + 1]; /* create and rotate: the secret in force afterwards */
	long long overlap_seconds;
	json_t *answer;          /* new */
	struct urlpolicy policy; /* for the URLs of the body */
};

/* Every run of a transaction starts without the answer an earlier run built. */
static struct wh_tx *tx_start(void *ctx)
{
	struct wh_tx *tx = ctx;
	jx_decref_wiped(tx->answer);
	tx->answer = NULL;
	return tx;
}

/* tx_run, then the answer with status. */
static enum wh_err tx_answer(struct request *req, tx_fn fn, struct wh_tx *tx, int status)
{
	enum wh_err result = tx_run(req, fn, tx);
	if(!result)
		http_send_json(req, status, tx->answer);
	return result;
}

static void wh_tx_release(struct wh_tx *tx)
{
	OPENSSL_cleanse(tx->secret, sizeof(tx->secret));
	jx_decref_wiped(tx->answer);
	wh_input_release(&tx->in);
	jx_decref_wiped(tx->body);
	urlpolicy_release(&tx->policy);
	memset(tx, 0, sizeof(*tx));
}

/* The validation rules from the config; the URL policy is kept in tx. */
static enum wh_err rules_for(const struct request *req, bool create, struct wh_tx *tx, struct wh_rules *rules)
{
	const struct config *cfg = &req->app->cfg;
	char err[256];
	if(urlpolicy_init(&tx->policy, config_bool(cfg, CFG_ALLOW_PRIVATE_TARGETS), config_str(cfg, CFG_ALLOW_CIDRS),
	                  err, sizeof(err))) {
		log_err("allow_cidrs: %s", err);
		return WH_ERR_CONFIG;
	}
	*rules = (struct wh_rules){create, config_bool(cfg, CFG_ALLOW_HTTP_TARGETS), !create, &tx->policy,
	                           config_str(cfg, CFG_PUBLIC_BASE_URL)};
	return WH_OK;
}

/* Adds the secret and its Standard Webhooks form to an answer (create and rotate only). */
static enum wh_err add_secret(json_t *answer, const char *secret)
{
	struct buf std;
	enum wh_err result;
	buf_init(&std, 0);
	result = wh_standard_secret(secret, &std);
	if(!result) {
		json_object_set_new(answer, "secret", json_string(secret));
		json_object_set_new(answer, "standardSecret", json_string(buf_str(&std)));
	}
	crypto_buf_wipe(&std);
	return result;
}

static enum wh_err render_id(struct request *req, const char *id, json_t **out)
{
	return wh_load_view(req->app->db, req->account_id, id, out);
}

/* The fields an update changed, by name, for the audit log: a field of the body whose
 * answer differs before and after, and a write-only one (not in the answer, or masked
 * there: the secret, oAuth's privateKey, a custom header's value) whenever it is given,
 * since it can't be compared without opening it.
 * New array. */
/* True when a headers object sets a value (a string; null keeps the stored one). */
static bool gives_a_value(const json_t *headers)
{
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)headers, name, v)
	{
		if(json_is_string(v))
			return true;
	}
	return false;
}

static json_t *changed_fields(const json_t *body, const json_t *before, const json_t *after)
{
	json_t *fields = json_array(), *v;
	const char *key;
	json_object_foreach((json_t *)body, key, v)
	{
		const json_t *was = json_object_get(before, key), *now = json_object_get(after, key);
		bool write_only = !now || (!strcmp(key, "headers") && gives_a_value(v)) ||
		                  (!strcmp(key, "oAuth") && json_object_get(v, "privateKey"));
		if(write_only || !json_equal((json_t *)was, (json_t *)now))
			json_array_append_new(fields, json_string(key));
	}
	return fields;
}

/* An audit entry for the webhook of tx: details {"fields": [...]} when fields is given
 * (stolen). */
static enum wh_err audit_webhook(struct request *req, const char *action, const char *id, json_t *fields)
{
	json_t *details = fields ? json_pack("{so}", "fields", fields) : NULL;
	enum wh_err result = audit_record(req, action, "webhook", id, details);
	json_decref(details);
	return result;
}

static enum wh_err create_tx(struct request *req, void *ctx)
{
	struct wh_tx *tx = tx_start(ctx);
	struct db *db = req->app->db;
	const json_t *locs = tx->in.location_ids;
	enum wh_err result = wh_lock_account(db, req->account_id);
	if(!result)
		result = wh_check_locations(db, req->account_id, locs, &req->err);
	if(!result)
		result = wh_check_limits(db, req->account_id, NULL, locs, &req->err);
	if(!result)
		result = wh_insert(req->app, req->account_id, tx->id, &tx->in, tx->secret);
	if(!result)
		result = render_id(req, tx->id, &tx->answer);
	if(!result)
		result = audit_webhook(req, AUDIT_WEBHOOK_CREATED, tx->id, changed_fields(tx->body, NULL, NULL));
	if(!result)
		result = add_secret(tx->answer, tx->secret);
	return result;
}

/* The body of a create (create = true) or an update, read and checked against the rules. */
static enum wh_err read_input(struct request *req, bool create, struct wh_tx *tx, struct wh_rules *rules)
{
	enum wh_err result = rules_for(req, create, tx, rules);
	if(!result)
		result = http_read_json(req, false, &tx->body);
	if(!result)
		result = wh_input_parse(tx->body, rules, &tx->in, &req->err);
	return result;
}

enum wh_err webhooks_create(struct request *req)
{
	struct wh_tx tx = {0};
	struct wh_rules rules;
	char id[ID_LEN + 1];
	enum wh_err result = read_input(req, true, &tx, &rules);
	if(result)
		goto out;
	if(tx.in.secret)
		snprintf(tx.secret, sizeof(tx.secret), "%s", tx.in.secret);
	else
		wh_secret_generate(tx.secret);
	id_new(id);
	tx.id = id;
	result = tx_create(req, tx.body, create_tx, &tx, &tx.answer);
out:
	wh_tx_release(&tx);
	return result;
}

static enum wh_err list_page(struct request *req, const struct page *page, const char *location, json_t *results)
{
	static const char q_all[] =
	    WH_SELECT_VIEW " WHERE w.account_id = ? AND w.id > ?" WH_VIEW_GROUP " ORDER BY w.id LIMIT ?";
	static const char q_loc[] = WH_SELECT_VIEW " WHERE w.account_id = ? AND w.id IN (SELECT webhook_id FROM "
	                                           "webhook_locations WHERE location_id = ?) AND w.id > ?" WH_VIEW_GROUP
	                                           " ORDER BY w.id LIMIT ?";
	const char *after = page->start_after ? page->start_after : "";
	long long since = webhook_stats_since();
	struct db_rows rows;
	enum wh_err result =
	    location
	        ? db_exec(
	              req->app->db, q_loc,
	              DBP(db_i64(since), db_str(req->account_id), db_str(location), db_str(after), db_i64(page->limit)),
	              &rows, NULL)
	        : db_exec(req->app->db, q_all,
	                  DBP(db_i64(since), db_str(req->account_id), db_str(after), db_i64(page->limit)), &rows, NULL);
	if(result)
		return result;
	for(size_t r = 0; r < rows.nrows; r++)
		json_array_append_new(results, wh_render_view(&rows, r));
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err webhooks_list(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", "locationId", NULL};
	const char *location = http_query(req, "locationId");
	struct answer_ticket kept;
	struct page page;
	json_t *results;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = http_page(req, &page);
	if(!result && location && !id_valid(location))
		result = jx_fail(&req->err, "locationId", "locationId: must be a location id");
	if(result || http_send_kept(req, &kept))
		return result;
	results = json_array();
	result = list_page(req, &page, location, results);
	if(result) {
		json_decref(results);
		return result;
	}
	http_send_page_kept(req, &kept, &page, results);
	return WH_OK;
}

enum wh_err webhooks_get(struct request *req)
{
	struct answer_ticket kept;
	json_t *answer = NULL;
	enum wh_err result;
	if(http_send_kept(req, &kept))
		return WH_OK;
	result = render_id(req, req->params[0], &answer);
	if(result)
		return result;
	http_send_json_kept(req, &kept, answer);
	json_decref(answer);
	return WH_OK;
}

/* The custom headers of an update against the loaded row: kept values (null) filled in
 * from the stored set, and no Authorization while the webhook uses OAuth. */
static enum wh_err update_headers(struct request *req, struct wh_tx *tx, const struct wh_row *row)
{
	struct wh_input *in = &tx->in;
	bool oauth = in->has_oauth ? in->oauth_meta != NULL : db_rows_get(&row->rows, 0, WH_C_OAUTH_JSON) != NULL;
	const char *masked = db_rows_get(&row->rows, 0, WH_C_HEADERS);
	json_t *stored = NULL, *names = NULL;
	enum wh_err result = WH_OK;
	if(in->has_headers && json_object_size(in->headers) && masked)
		result = wh_stored_headers(req->app, tx->id, &stored);
	if(!result && in->has_headers)
		result = wh_headers_fill(in->headers, stored, &req->err);
	if(!result && oauth && !in->has_headers && masked)
		names = json_loads(masked, 0, NULL);
	if(!result && oauth)
		result = wh_headers_oauth_check(in->has_headers ? in->headers : names, &req->err);
	jx_decref_wiped(stored);
	json_decref(names);
	return result;
}

/* The eventTypes and locationIds an update leaves, checked together. */
static enum wh_err update_operational(struct request *req, struct wh_tx *tx, const struct wh_row *row)
{
	const struct wh_input *in = &tx->in;
	json_t *stored = NULL;
	enum wh_err result;
	if(!in->has_event_types && !in->has_location_ids)
		return WH_OK;
	if(!in->has_event_types)
		stored = json_loads(db_rows_get(&row->rows, 0, WH_C_EVENT_TYPES), 0, NULL);
	result = wh_operational_check(in->has_event_types ? in->event_types : stored,
	                              in->has_location_ids ? in->location_ids : row->location_ids, &req->err);
	json_decref(stored);
	return result;
}

static enum wh_err update_tx(struct request *req, void *ctx)
{
	struct wh_tx *tx = tx_start(ctx);
	struct db *db = req->app->db;
	struct wh_row row = {0};
	const json_t *locs = tx->in.location_ids;
	json_t *before = NULL;
	enum wh_err result = tx->in.has_location_ids ? wh_lock_account(db, req->account_id) : WH_OK;
	if(!result)
		result = wh_load(db, req->account_id, tx->id, true, &row);
	if(!result)
		result = render_id(req, tx->id, &before);
	if(result) {
		wh_row_release(&row);
		return result;
	}
	if(tx->in.oauth_meta && !tx->in.oauth_key && !db_rows_i64(&row.rows, 0, WH_C_HAS_KEY))
		result = jx_fail(&req->err, "oAuth.privateKey", "oAuth.privateKey: required");
	if(!result)
		result = update_headers(req, tx, &row);
	if(!result)
		result = update_operational(req, tx, &row);
	if(!result && tx->in.has_location_ids)
		result = wh_check_locations(db, req->account_id, locs, &req->err);
	if(!result && tx->in.has_location_ids)
		result = wh_check_limits(db, req->account_id, tx->id, locs, &req->err);
	if(!result)
		result = wh_update(req->app, &row, &tx->in);
	if(!result)
		result = render_id(req, tx->id, &tx->answer);
	if(!result)
		result =
		    audit_webhook(req, AUDIT_WEBHOOK_UPDATED, tx->id, changed_fields(tx->body, before, tx->answer));
	json_decref(before);
	wh_row_release(&row);
	return result;
}

enum wh_err webhooks_update(struct request *req)
{
	struct wh_tx tx = {0};
	struct wh_rules rules;
	enum wh_err result = read_input(req, false, &tx, &rules);
	if(result)
		goto out;
	tx.id = req->params[0];
	result = tx_answer(req, update_tx, &tx, 200);
out:
	wh_tx_release(&tx);
	return result;
}

static enum wh_err delete_tx(struct request *req, void *ctx)
{
	struct wh_tx *tx = ctx;
	static const char q_locs[] = "DELETE FROM webhook_locations WHERE webhook_id = ?";
	static const char q_hook[] = "DELETE FROM webhooks WHERE id = ?";
	struct wh_row row;
	enum wh_err result = wh_load(req->app->db, req->account_id, tx->id, true, &row);
	if(result)
		return result;
	wh_row_release(&row);
	result = db_exec(req->app->db, q_locs, DBP(db_str(tx->id)), NULL, NULL);
	if(!result)
		result = db_exec(req->app->db, q_hook, DBP(db_str(tx->id)), NULL, NULL);
	if(!result)
		result = audit_webhook(req, AUDIT_WEBHOOK_DELETED, tx->id, NULL);
	return result;
}

enum wh_err webhooks_delete(struct request *req)
{
	struct wh_tx tx = {0};
	enum wh_err result;
	tx.id = req->params[0];
	result = tx_run(req, delete_tx, &tx);
	if(!result)
		http_send_raw(req, 204, "application/json; charset=utf-8", "", 0);
	return result;
}

static enum wh_err rotate_tx(struct request *req, void *ctx)
{
	struct wh_tx *tx = tx_start(ctx);
	struct wh_row row;
	long long prev_expires;
	enum wh_err result = wh_load(req->app->db, req->account_id, tx->id, true, &row);
	if(result)
		return result;
	wh_row_release(&row);
	result = wh_rotate(req->app, tx->id, tx->secret, tx->overlap_seconds, &prev_expires);
	if(!result)
		result = audit_webhook(req, AUDIT_WEBHOOK_ROTATED, tx->id, NULL);
	if(result)
		return result;
	tx->answer = json_object();
	json_object_set_new(tx->answer, "id", json_string(tx->id));
	result = add_secret(tx->answer, tx->secret);
	jx_set_time(tx->answer, "previousSecretExpires", prev_expires);
	return result;
}

enum wh_err webhooks_rotate_secret(struct request *req)
{
	struct wh_tx tx = {0};
	struct wh_rotate_input in;
	enum wh_err result = http_read_json(req, true, &tx.body);
	if(!result)
		result = wh_rotate_parse(tx.body, &in, &req->err);
	if(result)
		goto out;
	if(in.secret)
		snprintf(tx.secret, sizeof(tx.secret), "%s", in.secret);
	else
		wh_secret_generate(tx.secret);
	tx.overlap_seconds = in.overlap_seconds;
	tx.id = req->params[0];
	result = tx_answer(req, rotate_tx, &tx, 200);
out:
	wh_tx_release(&tx);
	return result;
}

static enum wh_err test_tx(struct request *req, void *ctx)
{
	struct wh_tx *tx = tx_start(ctx);
	struct outbox_event ev = {0};
	char event_id[ID_LEN + 1];
	json_t *data = NULL;
	enum wh_err result = render_id(req, tx->id, &data);
	if(result)
		return result;
	ev.account_id = req->account_id;
	ev.type = "webhook.test";
	ev.webhook_id = tx->id;
	ev.data = data;
	result = outbox_emit(req->app->db, &req->app->cfg, &ev, event_id);
	json_decref(data);
	if(!result)
		result = audit_webhook(req, AUDIT_WEBHOOK_TESTED, tx->id, NULL);
	if(!result) {
		tx->answer = json_object();
		json_object_set_new(tx->answer, "eventId", json_string(event_id));
	}
	return result;
}

enum wh_err webhooks_test(struct request *req)
{
	static const char *const none[] = {NULL};
	struct wh_tx tx = {0};
	enum wh_err result = http_read_json(req, true, &tx.body);
	if(!result)
		result = jx_only_keys(tx.body, none, &req->err);
	if(result)
		goto out;
	tx.id = req->params[0];
	result = tx_answer(req, test_tx, &tx, 202);
out:
	wh_tx_release(&tx);
	return result;
}
