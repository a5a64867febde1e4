/* GET /v2/health: the API process and its database. */
#include "fcgi-app/resources/health.h"

enum wh_err health_get(struct request *req)
{
	enum wh_err db = db_ping(req->app->db);
	json_t *body = json_object();
	json_object_set_new(body, "status", json_string(db ? "degraded" : "ok"));
	json_object_set_new(body, "database", json_string(db ? "unreachable" : "ok"));
	http_send_json(req, db ? 503 : 200, body);
	json_decref(body);
	return WH_OK;
}
