/* GET /v2/events: the account's outbox, oldest first, each the stored envelope. */
#include <string.h>

#include "common/events.h"
#include "common/log.h"
#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/resource.h"
#include "fcgi-app/resources/events.h"

static enum wh_err events_query(struct request *req, const char **type, const char **loc)
{
	static const char *const allowed[] = {"limit", "startAfter", "type", "locationId", NULL};
	enum wh_err result = http_query_only(req, allowed);
	*type = http_query(req, "type");
	if(!result && *type && !event_type_valid(*type))
		result = jx_fail(&req->err, "type", "type: unknown event type '%.60s'", *type);
	if(!result)
		result = field_query_id(req, "locationId", loc);
	return result;
}

enum wh_err event_list(struct request *req)
{
	static const char seq_sql[] = "SELECT seq FROM events WHERE id = ? AND account_id = ?";
	static const char sql[] = "SELECT payload FROM events WHERE account_id = ? AND (? IS NULL OR type = ?) AND "
	                          "(? IS NULL OR location_id = ?) AND seq > ? ORDER BY seq LIMIT ?";
	struct page page;
	struct db_rows rows;
	const char *type = NULL, *loc = NULL;
	long long after = 0;
	json_t *results;
	enum wh_err result = events_query(req, &type, &loc);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = resource_page_seq(req, &page, seq_sql, &after);
	if(!result)
		result = db_exec(req->app->db, sql,
		                 DBP(db_str(req->account_id), db_str(type), db_str(type), db_str(loc), db_str(loc),
		                     db_i64(after), db_i64(page.limit)),
		                 &rows, NULL);
	if(result)
		return result;
	results = json_array();
	for(size_t r = 0; r < rows.nrows; r++) {
		json_t *env = json_loadb(db_rows_get(&rows, r, 0), db_rows_len(&rows, r, 0), 0, NULL);
		if(!env) {
			log_err("event payload is not JSON (account %s)", req->account_id);
			result = WH_ERR_INTERNAL;
			break;
		}
		json_array_append_new(results, env);
	}
	db_rows_release(&rows);
	if(result) {
		json_decref(results);
		return result;
	}
	http_send_page(req, &page, results);
	return WH_OK;
}
