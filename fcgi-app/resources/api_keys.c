/* /v2/api-keys: the account's keys (SPEC §12): list, create (the key shown once), revoke. */
#include "fcgi-app/resources/api_keys.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi-app/core/audit.h"
#include "fcgi-app/core/auth.h"
#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/resource.h"
#include "fcgi-app/core/tx.h"

enum wh_err api_keys_list(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", NULL};
	static const char sql[] = "SELECT " AUTH_KEY_COLS " FROM api_keys WHERE account_id = ? AND id > ? "
	                          "ORDER BY id LIMIT ?";
	struct page page;
	struct db_rows rows;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = db_exec(
		    req->app->db, sql,
		    DBP(db_str(req->account_id), db_str(page.start_after ? page.start_after : ""), db_i64(page.limit)),
		    &rows, NULL);
	if(result)
		return result;
	resource_send_page(req, &page, &rows, auth_key_render);
	return WH_OK;
}

struct key_create {
	const char *name;
	long long expires_at; /* -1: never */
	json_t *answer;       /* new */
};

/* {name, expiresAt?}: a name of 1..100 characters, an expiry in the future or null. */
static enum wh_err key_input(struct request *req, json_t *body, struct key_create *kc)
{
	static const char *const keys[] = {"name", "expiresAt", NULL};
	const char *expires = NULL;
	bool present = false;
	enum wh_err result = jx_only_keys(body, keys, &req->err);
	if(!result)
		result =
		    field_nullable_string(body, "name", 1, AUTH_KEY_NAME_MAX, false, &kc->name, &present, &req->err);
	if(!result && !kc->name)
		result = jx_fail(&req->err, "name", "name: required");
	if(!result)
		result = field_nullable_string(body, "expiresAt", 1, 40, false, &expires, &present, &req->err);
	if(result)
		return result;
	kc->expires_at = -1;
	if(expires && !time_parse_iso(expires, &kc->expires_at))
		return jx_fail(&req->err, "expiresAt", "expiresAt: must be an ISO-8601 UTC time");
	if(expires && kc->expires_at <= time_now_ms())
		return jx_fail(&req->err, "expiresAt", "expiresAt: must be in the future");
	return WH_OK;
}

static enum wh_err create_tx(struct request *req, void *ctx)
{
	static const char sql[] = "SELECT " AUTH_KEY_COLS " FROM api_keys WHERE id = ?";
	struct key_create *kc = ctx;
	char id[ID_LEN + 1];
	char *key = NULL;
	struct db_rows rows;
	json_t *details;
	enum wh_err result = auth_create_key(req->app->db, req->account_id, kc->name, kc->expires_at, id, &key);
	if(result)
		return result;
	details = json_pack("{ss}", "name", kc->name);
	result = audit_record(req, AUDIT_KEY_CREATED, "api_key", id, details);
	json_decref(details);
	if(!result)
		result = db_exec(req->app->db, sql, DBP(db_str(id)), &rows, NULL);
	if(!result) {
		json_decref(kc->answer);
		kc->answer = auth_key_render(&rows, 0);
		json_object_set_new(kc->answer, "key", json_string(key));
		db_rows_release(&rows);
	}
	memset(key, 0, strlen(key));
	free(key);
	return result;
}

enum wh_err api_keys_create(struct request *req)
{
	struct key_create kc = {0};
	json_t *body = NULL;
	enum wh_err result = http_read_json(req, false, &body);
	if(!result)
		result = key_input(req, body, &kc);
	if(!result)
		result = tx_create(req, body, create_tx, &kc, &kc.answer);
	json_decref(kc.answer);
	json_decref(body);
	return result;
}

static enum wh_err revoke_tx(struct request *req, void *ctx)
{
	char *name = NULL;
	json_t *details;
	enum wh_err result = auth_revoke_key(req->app->db, req->account_id, ctx, &name, &req->err);
	if(result) {
		free(name); /* set even when the revoke is refused */
		return result;
	}
	details = json_pack("{ss}", "name", name);
	result = audit_record(req, AUDIT_KEY_REVOKED, "api_key", ctx, details);
	json_decref(details);
	free(name);
	return result;
}

enum wh_err api_keys_delete(struct request *req)
{
	enum wh_err result = tx_run(req, revoke_tx, (void *)req->params[0]);
	if(!result)
		http_send_raw(req, 204, "application/json; charset=utf-8", "", 0);
	return result;
}
