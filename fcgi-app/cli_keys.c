/* API key management from the shell, against the configured database. */
#include "fcgi-app/cli_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fcgi-app/core/audit.h"
#include "fcgi-app/core/auth.h"

static const struct audit_actor cli_actor = {NULL, NULL, NULL};

/* Commits when result is WH_OK, else rolls back; returns result or the commit's error. */
static enum wh_err cli_finish(struct db *db, enum wh_err result)
{
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	return result;
}

enum wh_err cli_create_key(struct app *app, const char *account_id, const char *name, const char *expires)
{
	long long expires_at = -1;
	char id[ID_LEN + 1];
	char *key = NULL;
	json_t *details;
	enum wh_err result;
	name = name ? name : "key";
	if(!*name || strlen(name) > AUTH_KEY_NAME_MAX) {
		log_err("key name must be 1..%d bytes", AUTH_KEY_NAME_MAX);
		return WH_ERR_INVALID;
	}
	if(expires && (!time_parse_iso(expires, &expires_at) || expires_at <= time_now_ms())) {
		log_err("expiry must be a future ISO-8601 UTC time, e.g. 2030-01-01T00:00:00Z");
		return WH_ERR_INVALID;
	}
	result = db_begin(app->db);
	if(result)
		return result;
	result = auth_create_key(app->db, account_id, name, expires_at, id, &key);
	details = json_pack("{ss}", "name", name);
	if(!result)
		result = audit_insert(app->db, account_id, &cli_actor, AUDIT_KEY_CREATED, "api_key", id, details);
	json_decref(details);
	result = cli_finish(app->db, result);
	if(result == WH_ERR_NOT_FOUND)
		log_err("no account with id %s", account_id);
	if(!result)
		printf("%s\n", key);
	if(key)
		memset(key, 0, strlen(key));
	free(key);
	return result;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

enum wh_err cli_list_keys(struct app *app, const char *account_id)
{
	static const char sql[] = "SELECT " AUTH_KEY_COLS " FROM api_keys WHERE account_id = ? ORDER BY id";
	struct db_rows rows;
	enum wh_err result = db_exec(app->db, sql, DBP(db_str(account_id)), &rows, NULL);
	if(result)
		return result;
	for(size_t r = 0; r < rows.nrows; r++) {
		json_t *k = auth_key_render(&rows, r);
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", json_string_value(json_object_get(k, "id")),
		       json_string_value(json_object_get(k, "name")),
		       or_dash(json_string_value(json_object_get(k, "prefix"))),
		       json_string_value(json_object_get(k, "created")),
		       or_dash(json_string_value(json_object_get(k, "lastUsedAt"))),
		       or_dash(json_string_value(json_object_get(k, "expiresAt"))));
		json_decref(k);
	}
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err cli_revoke_key(struct app *app, const char *key_id)
{
	static const char q_account[] = "SELECT account_id FROM api_keys WHERE id = ?";
	struct jx_err err = {0};
	struct db_rows rows = {0};
	char *name = NULL;
	json_t *details = NULL;
	enum wh_err result = id_valid(key_id) ? db_begin(app->db) : WH_ERR_NOT_FOUND;
	if(!result)
		result = db_exec(app->db, q_account, DBP(db_str(key_id)), &rows, NULL);
	if(!result && rows.nrows != 1)
		result = WH_ERR_NOT_FOUND;
	if(!result)
		result = auth_revoke_key(app->db, db_rows_get(&rows, 0, 0), key_id, &name, &err);
	if(!result) {
		details = json_pack("{ss}", "name", name);
		result = audit_insert(app->db, db_rows_get(&rows, 0, 0), &cli_actor, AUDIT_KEY_REVOKED, "api_key",
		                      key_id, details);
	}
	result = cli_finish(app->db, result);
	if(result == WH_ERR_NOT_FOUND)
		log_err("no key with id %s", key_id);
	else if(result == WH_ERR_CONFLICT)
		log_err("%s", err.message);
	else if(!result)
		printf("revoked %s\n", key_id);
	json_decref(details);
	free(name);
	db_rows_release(&rows);
	return result;
}
