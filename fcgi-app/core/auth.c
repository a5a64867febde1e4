/* API key lookup by hash (with a short per-process cache), and the keys' store. */
#include "fcgi-app/core/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/xalloc.h"

#define KEY_PREFIX "lh_"
#define KEY_RANDOM_LEN 40
#define KEY_MAX_LEN 200
/* What a key's "prefix" shows: "lh_" and 4 of its 40 random characters. */
#define KEY_SHOWN_LEN 7

/* The token of "Authorization: Bearer TOKEN", or NULL. Borrowed. */
static const char *bearer_token(const struct request *req)
{
	const char *authz = http_param(req, "HTTP_AUTHORIZATION");
	if(!authz || strncasecmp(authz, "Bearer ", 7))
		return NULL;
	authz += 7;
	while(*authz == ' ')
		authz++;
	return *authz ? authz : NULL;
}

/* The key the request presents (borrowed; NULL: none). Both headers naming different keys
 * is refused rather than served as one of them: the client's intent is unknown, and a
 * gateway that adds its own header must not silently change whose account is used. */
static enum wh_err presented_key(const struct request *req, const char **out)
{
	const char *key = http_param(req, "HTTP_APIKEY");
	const char *bearer = bearer_token(req);
	if(key && !*key)
		key = NULL;
	*out = key ? key : bearer;
	if(key && bearer && strcmp(key, bearer))
		return WH_ERR_CREDENTIALS;
	return WH_OK;
}

/* Keys found in the last AUTH_CACHE_TTL_MS, per process (the FastCGI loop is single
 * threaded): key_hash -> key in a direct-mapped table of AUTH_CACHE_SLOTS entries indexed
 * by the hash's first hex digits (a collision evicts). Unknown keys are not kept. */
#define AUTH_CACHE_SLOTS 256

struct auth_cached {
	char hash[65];
	char account_id[ID_LEN + 1];
	char key_id[ID_LEN + 1];
	char key_name[AUTH_KEY_NAME_MAX + 1];
	long long expires_at; /* wall clock ms; -1: never */
	long long until;      /* monotonic ms; 0: empty */
};

static struct auth_cached auth_cache[AUTH_CACHE_SLOTS];

static struct auth_cached *auth_slot(const char *hash)
{
	unsigned idx = 0;
	for(int i = 0; i < 8; i++) /* a SHA-256 in hex: its first digits are uniform */
		idx = idx * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return &auth_cache[idx % AUTH_CACHE_SLOTS];
}

/* Marks the key used, at most once per AUTH_LAST_USED_EVERY_MS (the row says when it was
 * last written, so several processes don't all write). A failure only costs the mark. */
static void auth_mark_used(struct db *db, const char *key_id, const char *last_used, long long now)
{
	static const char sql[] = "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND "
	                          "(last_used_at IS NULL OR last_used_at < ?)";
	long long since = now - AUTH_LAST_USED_EVERY_MS;
	if(last_used && strtoll(last_used, NULL, 10) >= since)
		return;
	if(db_exec(db, sql, DBP(db_i64(now), db_str(key_id), db_i64(since)), NULL, NULL))
		log_warn("could not record the use of key %s", key_id);
}

/* Looks the hash up in the database and fills slot. */
static enum wh_err auth_fetch(struct db *db, const char *hash, struct auth_cached *slot)
{
	static const char sql[] =
	    "SELECT account_id, id, name, expires_at, last_used_at FROM api_keys WHERE key_hash = ?";
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql, DBP(db_str(hash)), &rows, NULL);
	if(result)
		return result == WH_ERR_DB_DOWN ? WH_ERR_DB_DOWN : WH_ERR_INTERNAL;
	if(rows.nrows != 1) {
		db_rows_release(&rows);
		return WH_ERR_UNAUTHORIZED;
	}
	memcpy(slot->hash, hash, sizeof(slot->hash));
	snprintf(slot->account_id, sizeof(slot->account_id), "%s", db_rows_get(&rows, 0, 0));
	snprintf(slot->key_id, sizeof(slot->key_id), "%s", db_rows_get(&rows, 0, 1));
	snprintf(slot->key_name, sizeof(slot->key_name), "%s", db_rows_get(&rows, 0, 2));
	slot->expires_at = db_rows_get(&rows, 0, 3) ? db_rows_i64(&rows, 0, 3) : -1;
	slot->until = time_mono_ms() + AUTH_CACHE_TTL_MS;
	auth_mark_used(db, slot->key_id, db_rows_get(&rows, 0, 4), time_now_ms());
	db_rows_release(&rows);
	return WH_OK;
}

enum wh_err auth_request(struct request *req)
{
	const char *key;
	struct auth_cached *slot;
	char hash[65];
	enum wh_err result = presented_key(req, &key);
	if(result)
		return result;
	if(!key || strlen(key) > KEY_MAX_LEN)
		return WH_ERR_UNAUTHORIZED;
	crypto_sha256_hex(key, strlen(key), hash);
	slot = auth_slot(hash);
	if(slot->until <= time_mono_ms() || strcmp(slot->hash, hash)) {
		slot->until = 0;
		result = auth_fetch(req->app->db, hash, slot);
		if(result)
			return result;
	}
	if(slot->expires_at >= 0 && slot->expires_at <= time_now_ms())
		return WH_ERR_UNAUTHORIZED;
	memcpy(req->account_id, slot->account_id, sizeof(req->account_id));
	memcpy(req->key_id, slot->key_id, sizeof(req->key_id));
	memcpy(req->key_name, slot->key_name, sizeof(req->key_name));
	return WH_OK;
}

/* Runs sql and keeps its result in rows when it has exactly one row; else releases it and
 * answers WH_ERR_NOT_FOUND. */
static enum wh_err one_row(struct db *db, const char *sql, const struct db_param *params, size_t nparams,
                           struct db_rows *rows)
{
	enum wh_err result = db_exec(db, sql, params, nparams, rows, NULL);
	if(result)
		return result;
	if(rows->nrows != 1) {
		db_rows_release(rows);
		return WH_ERR_NOT_FOUND;
	}
	return WH_OK;
}

enum wh_err auth_create_key(struct db *db, const char *account_id, const char *name, long long expires_at,
                            char id_out[ID_LEN + 1], char **key_out)
{
	static const char q_account[] = "SELECT id FROM accounts WHERE id = ?";
	static const char q_insert[] = "INSERT INTO api_keys (id, account_id, key_hash, created, name, prefix, "
	                               "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	char key[sizeof(KEY_PREFIX) + KEY_RANDOM_LEN];
	char hash[65];
	struct db_rows rows;
	enum wh_err result;
	*key_out = NULL;
	result = one_row(db, q_account, DBP(db_str(account_id)), &rows);
	if(result)
		return result;
	db_rows_release(&rows);
	memcpy(key, KEY_PREFIX, strlen(KEY_PREFIX));
	id_random(key + strlen(KEY_PREFIX), KEY_RANDOM_LEN);
	crypto_sha256_hex(key, strlen(key), hash);
	id_new(id_out);
	result = db_exec(db, q_insert,
	                 DBP(db_str(id_out), db_str(account_id), db_str(hash), db_i64(time_now_ms()), db_str(name),
	                     db_strn(key, KEY_SHOWN_LEN), expires_at >= 0 ? db_i64(expires_at) : db_null()),
	                 NULL, NULL);
	if(!result)
		*key_out = xstrdup(key);
	OPENSSL_cleanse(key, sizeof(key));
	return result;
}

json_t *auth_key_render(const struct db_rows *rows, size_t r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_rows_get(rows, r, 0)));
	json_object_set_new(o, "name", json_string(db_rows_get(rows, r, 1)));
	jx_set_str(o, "prefix", db_rows_get(rows, r, 2));
	jx_set_time(o, "created", db_rows_i64(rows, r, 3));
	jx_set_time(o, "lastUsedAt", db_rows_get(rows, r, 4) ? db_rows_i64(rows, r, 4) : -1);
	jx_set_time(o, "expiresAt", db_rows_get(rows, r, 5) ? db_rows_i64(rows, r, 5) : -1);
	return o;
}

enum wh_err auth_revoke_key(struct db *db, const char *account_id, const char *id, char **name_out, struct jx_err *err)
{
	static const char q_lock[] = "SELECT id FROM accounts WHERE id = ? FOR UPDATE";
	static const char q_key[] = "SELECT name FROM api_keys WHERE id = ? AND account_id = ?";
	static const char q_others[] = "SELECT COUNT(*) FROM api_keys WHERE account_id = ? AND id <> ? AND "
	                               "(expires_at IS NULL OR expires_at > ?)";
	static const char q_delete[] = "DELETE FROM api_keys WHERE id = ? AND account_id = ?";
	struct db_rows rows = {0};
	enum wh_err result;
	*name_out = NULL;
	if(!id_valid(id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(db, q_lock, DBP(db_str(account_id)), &rows, NULL);
	if(result)
		return result;
	db_rows_release(&rows);
	result = one_row(db, q_key, DBP(db_str(id), db_str(account_id)), &rows);
	if(result)
		return result;
	*name_out = xstrdup(db_rows_get(&rows, 0, 0));
	db_rows_release(&rows);
	result = db_exec(db, q_others, DBP(db_str(account_id), db_str(id), db_i64(time_now_ms())), &rows, NULL);
	if(result)
		return result;
	if(db_rows_i64(&rows, 0, 0) == 0) {
		db_rows_release(&rows);
		jx_fail(err, NULL, "this is the account's last usable key; create another one before revoking it");
		return WH_ERR_CONFLICT;
	}
	db_rows_release(&rows);
	return db_exec(db, q_delete, DBP(db_str(id), db_str(account_id)), NULL, NULL);
}
