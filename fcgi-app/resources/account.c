/* GET /v2/account: the account the API key belongs to. */
#include "fcgi-app/resources/account.h"

enum wh_err account_get(struct request *req)
{
	static const char sql[] = "SELECT id, name, created FROM accounts WHERE id = ?";
	struct db_rows rows;
	json_t *body;
	enum wh_err result = db_exec(req->app->db, sql, DBP(db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows != 1) {
		db_rows_release(&rows);
		return WH_ERR_NOT_FOUND;
	}
	body = json_object();
	json_object_set_new(body, "id", json_string(db_rows_get(&rows, 0, 0)));
	json_object_set_new(body, "name", json_string(db_rows_get(&rows, 0, 1)));
	jx_set_time(body, "created", db_rows_i64(&rows, 0, 2));
	http_send_json(req, 200, body);
	json_decref(body);
	db_rows_release(&rows);
	return WH_OK;
}
