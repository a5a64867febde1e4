/* GET /v2/audit-log?targetId=&limit=&startAfter=: the account's audit entries, newest first. */
#include "fcgi-app/resources/audit_log.h"

#include <stdint.h>

#include "common/log.h"
#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/resource.h"

#define AUDIT_COLS "id, created, action, target_type, target_id, details, actor_key_id, actor_key_name, remote_addr"

static json_t *audit_render(const struct db_rows *rows, size_t r)
{
	json_t *o = json_object(), *actor = json_object(), *details = NULL;
	const char *text = db_rows_get(rows, r, 5);
	json_object_set_new(o, "id", json_string(db_rows_get(rows, r, 0)));
	jx_set_time(o, "created", db_rows_i64(rows, r, 1));
	json_object_set_new(o, "action", json_string(db_rows_get(rows, r, 2)));
	json_object_set_new(o, "targetType", json_string(db_rows_get(rows, r, 3)));
	json_object_set_new(o, "targetId", json_string(db_rows_get(rows, r, 4)));
	if(text && !(details = json_loads(text, 0, NULL)))
		log_err("audit entry %s: details are not JSON", db_rows_get(rows, r, 0));
	json_object_set_new(o, "details", details ? details : json_object());
	json_object_set_new(actor, "type", json_string(db_rows_get(rows, r, 6) ? "api_key" : "cli"));
	jx_set_str(actor, "keyId", db_rows_get(rows, r, 6));
	jx_set_str(actor, "keyName", db_rows_get(rows, r, 7));
	json_object_set_new(o, "actor", actor);
	jx_set_str(o, "remoteAddr", db_rows_get(rows, r, 8));
	return o;
}

enum wh_err audit_log_list(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", "targetId", NULL};
	static const char seq_sql[] = "SELECT seq FROM audit_log WHERE id = ? AND account_id = ?";
	static const char sql[] = "SELECT " AUDIT_COLS " FROM audit_log WHERE account_id = ? AND "
	                          "(? IS NULL OR target_id = ?) AND seq < ? ORDER BY seq DESC LIMIT ?";
	struct page page;
	struct db_rows rows;
	const char *target = NULL;
	long long before = 0;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = field_query_id(req, "targetId", &target);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = resource_page_seq(req, &page, seq_sql, &before);
	if(!result)
		result = db_exec(req->app->db, sql,
		                 DBP(db_str(req->account_id), db_str(target), db_str(target),
		                     db_i64(page.start_after ? before : INT64_MAX), db_i64(page.limit)),
		                 &rows, NULL);
	if(result)
		return result;
	resource_send_page(req, &page, &rows, audit_render);
	return WH_OK;
}
