/* API key lookup by hash, and key creation. */
#include "fcgi-app/core/auth.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/crypto.h"
#include "common/xalloc.h"

#define KEY_PREFIX "lh_"
#define KEY_RANDOM_LEN 40
#define KEY_MAX_LEN 200

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
 * threaded): key_hash -> account_id in a direct-mapped table of AUTH_CACHE_SLOTS entries
 * indexed by the hash's first hex digits (a collision evicts). Unknown keys are not kept. */
#define AUTH_CACHE_SLOTS 256
#define AUTH_CACHE_TTL_MS 5000

struct auth_cached {
	char hash[65];
	char account_id[ID_LEN + 1];
	long long until; /* monotonic ms; 0: empty */
};

static struct auth_cached auth_cache[AUTH_CACHE_SLOTS];

static long long auth_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct auth_cached *auth_slot(const char *hash)
{
	unsigned idx = 0;
	for(int i = 0; i < 8; i++) /* a SHA-256 in hex: its first digits are uniform */
		idx = idx * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return &auth_cache[idx % AUTH_CACHE_SLOTS];
}

/* The account of the key hash: from the cache while fresh, else from the database. */
static enum wh_err auth_lookup(struct db *db, const char *hash, char account_id[ID_LEN + 1])
{
	static const char sql[] = "SELECT account_id FROM api_keys WHERE key_hash = ?";
	struct auth_cached *slot = auth_slot(hash);
	long long now = auth_clock_ms();
	struct db_rows rows;
	enum wh_err result;
	if(slot->until > now && !strcmp(slot->hash, hash)) {
		memcpy(account_id, slot->account_id, ID_LEN + 1);
		return WH_OK;
	}
	result = db_exec(db, sql, DBP(db_str(hash)), &rows, NULL);
	if(result)
		return result == WH_ERR_DB_DOWN ? WH_ERR_DB_DOWN : WH_ERR_INTERNAL;
	if(rows.nrows != 1) {
		db_rows_release(&rows);
		return WH_ERR_UNAUTHORIZED;
	}
	memcpy(account_id, db_rows_get(&rows, 0, 0), ID_LEN);
	account_id[ID_LEN] = '\0';
	db_rows_release(&rows);
	memcpy(slot->hash, hash, sizeof(slot->hash));
	memcpy(slot->account_id, account_id, ID_LEN + 1);
	slot->until = now + AUTH_CACHE_TTL_MS;
	return WH_OK;
}

enum wh_err auth_request(struct request *req)
{
	const char *key;
	char hash[65];
	enum wh_err result = presented_key(req, &key);
	if(result)
		return result;
	if(!key || strlen(key) > KEY_MAX_LEN)
		return WH_ERR_UNAUTHORIZED;
	crypto_sha256_hex(key, strlen(key), hash);
	return auth_lookup(req->app->db, hash, req->account_id);
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
