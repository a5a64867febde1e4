/* API key authentication ("apikey: KEY" or "Authorization: Bearer KEY") and the keys'
 * store: create, list, revoke. */
#ifndef WH_AUTH_H
#define WH_AUTH_H
#include "fcgi-app/core/http.h"

#define AUTH_KEY_NAME_MAX 100
/* How long a process trusts a key it looked up: a revoked key is refused by every
 * process within this. */
#define AUTH_CACHE_TTL_MS 500
/* last_used_at is written at most this often per key and process. */
#define AUTH_LAST_USED_EVERY_MS 60000

/* Sets req->account_id, req->key_id and req->key_name from the key. WH_ERR_CREDENTIALS
 * when "apikey" and "Authorization: Bearer" name different keys (the same key in both is
 * fine), WH_ERR_UNAUTHORIZED for a missing, unknown, revoked or expired key, WH_ERR_DB_DOWN
 * when the database can't be asked. A key found is remembered by this process for AUTH_CACHE_TTL_MS (its expiry is
 * checked on every request); unknown keys are asked every time. */
enum wh_err auth_request(struct request *req);

/* Creates an API key for an account: writes the key (new, shown once; free() it) and
 * stores only its SHA-256, with name and expires_at (ms, or -1 for none). The new key's
 * id goes to id_out (ID_LEN + 1 bytes). WH_ERR_NOT_FOUND when the account does not exist. */
enum wh_err auth_create_key(struct db *db, const char *account_id, const char *name, long long expires_at,
                            char id_out[ID_LEN + 1], char **key_out);

/* The key resource {id, name, prefix, created, lastUsedAt, expiresAt} of row r of a
 * result of AUTH_KEY_COLS (new). */
#define AUTH_KEY_COLS "id, name, prefix, created, last_used_at, expires_at"
json_t *auth_key_render(const struct db_rows *rows, size_t r);

/* Deletes the account's key id inside the caller's transaction, locking the account row
 * first. WH_ERR_NOT_FOUND when the account has no such key; WH_ERR_CONFLICT (message in
 * err) when it is the account's last key that has not expired. *name_out (new, free() it
 * whatever the result) gets the key's name for the audit log. */
enum wh_err auth_revoke_key(struct db *db, const char *account_id, const char *id, char **name_out, struct jx_err *err);

#endif
