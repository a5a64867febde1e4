/* API key authentication: "apikey: KEY" or "Authorization: Bearer KEY". */
#ifndef WH_AUTH_H
#define WH_AUTH_H
#include "fcgi-app/core/http.h"

/* Sets req->account_id from the key. WH_ERR_CREDENTIALS when "apikey" and "Authorization:
 * Bearer" name different keys (the same key in both is fine), WH_ERR_UNAUTHORIZED for a
 * missing or unknown key, WH_ERR_DB_DOWN when the database can't be asked. A key found is remembered by this
 * process for 5 s (a key removed from api_keys keeps working that long); unknown keys are
 * asked every time. */
enum wh_err auth_request(struct request *req);

/* Creates an API key for an account: writes the key (new, shown once; free() it) and
 * stores only its SHA-256. WH_ERR_NOT_FOUND when the account does not exist. */
enum wh_err auth_create_key(struct db *db, const char *account_id, char **key_out);

#endif
