/* API key lookup by hash, and key creation. */
#include "fcgi-app/auth.h"

#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/xalloc.h"

#define KEY_PREFIX "lh_"
#define KEY_RANDOM_LEN 40
#define KEY_MAX_LEN 200

static const char *presented_key(const struct request *req)
{
	const char *key = http_param(req, "HTTP_APIKEY");
	const char *authz;
	if(key && *key)
		return key;
	authz = http_param(req, "HTTP_AUTHORIZATION");
	if(authz && !strncasecmp(authz, "Bearer ", 7)) {
		authz += 7;
		while(*authz == ' ')
			authz++;
		return *authz ? authz : NULL;
	}
	return NULL;
}

enum wh_err auth_request(struct request *req)
{
	static const char sql[] = "SELECT account_id FROM api_keys WHERE key_hash = ?";
	const char *key = presented_key(req);
	char hash[65];
	struct db_rows rows;
	enum wh_err result;
	if(!key || strlen(key) > KEY_MAX_LEN)
		return WH_ERR_UNAUTHORIZED;
	crypto_sha256_hex(key, strlen(key), hash);
	result = db_exec(req->app->db, sql, DBP(db_str(hash)), &rows, NULL);
	if(result)
		return result == WH_ERR_DB_DOWN ? WH_ERR_DB_DOWN : WH_ERR_INTERNAL;
	if(rows.nrows != 1) {
		db_rows_release(&rows);
		return WH_ERR_UNAUTHORIZED;
	}
	memcpy(req->account_id, db_rows_get(&rows, 0, 0), ID_LEN);
	req->account_id[ID_LEN] = '\0';
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err auth_create_key(struct db *db, const char *account_id, char **key_out)
{
	static const char q_account[] = "SELECT id FROM accounts WHERE id = ?";
	static const char q_insert[] = "INSERT INTO api_keys (id, account_id, key_hash, created) VALUES (?, ?, ?, ?)";
	char key[sizeof(KEY_PREFIX) + KEY_RANDOM_LEN];
	char id[ID_LEN + 1];
	char hash[65];
	struct db_rows rows;
	enum wh_err result;
	*key_out = NULL;
	result = db_exec(db, q_account, DBP(db_str(account_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows != 1) {
		db_rows_release(&rows);
		return WH_ERR_NOT_FOUND;
	}
	db_rows_release(&rows);
	memcpy(key, KEY_PREFIX, strlen(KEY_PREFIX));
	id_random(key + strlen(KEY_PREFIX), KEY_RANDOM_LEN);
	crypto_sha256_hex(key, strlen(key), hash);
	id_new(id);
	result =
	    db_exec(db, q_insert, DBP(db_str(id), db_str(account_id), db_str(hash), db_i64(time_now_ms())), NULL, NULL);
	if(!result)
		*key_out = xstrdup(key);
	return result;
}
