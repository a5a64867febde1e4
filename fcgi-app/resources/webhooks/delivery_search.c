/* The deliveries of an account or of one webhook, filtered. Each filter combination is one
 * range read: sql/010 indexes deliveries by (account_id | webhook_id[, status | event_type],
 * created), and paging continues below the (created, seq) of the startAfter delivery. */
#include <string.h>

#include "common/delivery_row.h"
#include "common/events.h"
#include "fcgi-app/core/timerange.h"
#include "fcgi-app/resources/webhooks/deliveries.h"
#include "fcgi-app/resources/webhooks/delivery_search.h"

/* An absent filter is NULL, which the statement's "? IS NULL OR" turns off. The index is
 * named for each shape (account or webhook; no filter, status or event type), so the plan
 * is the same range read whatever the table's statistics say. */
#define SEARCH_SQL(index)                                                                                              \
	"SELECT " DELIVERY_COLS " FROM deliveries FORCE INDEX (" index ") WHERE account_id = ? "                       \
	"AND (? IS NULL OR webhook_id = ?) AND (? IS NULL OR status = ?) AND (? IS NULL OR event_type = ?) "           \
	"AND created >= ? AND created < ? AND created <= ? AND (created < ? OR seq < ?) "                              \
	"ORDER BY created DESC, seq DESC LIMIT ?"
static const char *const sql_search[2][3] = {
    {SEARCH_SQL("deliveries_account_created"), SEARCH_SQL("deliveries_account_status_created"),
     SEARCH_SQL("deliveries_account_type_created")},
    {SEARCH_SQL("deliveries_webhook_created"), SEARCH_SQL("deliveries_webhook_status_created"),
     SEARCH_SQL("deliveries_webhook_created")},
};
static const char sql_bound[] =
    "SELECT created, seq FROM deliveries WHERE id = ? AND account_id = ? AND (? IS NULL OR webhook_id = ?)";
static const char sql_webhook[] = "SELECT 1 FROM webhooks WHERE id = ? AND account_id = ?";

struct search {
	const char *webhook_id, *status, *event_type;
	struct timerange range;
	struct page page;
	long long after_created, after_seq; /* below this (created, seq); TIMERANGE_OPEN: no bound */
};

static enum wh_err filters(struct request *req, struct search *s)
{
	const char *status = http_query(req, "status"), *type = http_query(req, "eventType");
	enum wh_err result = http_page(req, &s->page);
	if(!result && status && !delivery_status_valid(status))
		result = jx_fail(&req->err, "status", "status: must be pending, succeeded or failed");
	if(!result && type && !event_type_valid(type))
		result = jx_fail(&req->err, "eventType", "eventType: unknown event type '%.60s'", type);
	if(!result)
		result = timerange_query(req, &s->range);
	s->status = status;
	s->event_type = type;
	return result;
}

/* 404 (on a webhook's own list) or 400 naming webhookId (account-wide) unless the webhook
 * is the account's. */
static enum wh_err webhook_check(struct request *req, const char *id, bool in_path)
{
	struct db_rows rows;
	enum wh_err result;
	if(id_valid(id)) {
		result = db_exec(req->app->db, sql_webhook, DBP(db_str(id), db_str(req->account_id)), &rows, NULL);
		if(result)
			return result;
		result = rows.nrows ? WH_OK : WH_ERR_NOT_FOUND;
		db_rows_release(&rows);
	} else
		result = WH_ERR_NOT_FOUND;
	if(result == WH_ERR_NOT_FOUND && !in_path)
		result = jx_fail(&req->err, "webhookId", "webhookId: no webhook '%.40s' in this account", id);
	return result;
}

static enum wh_err page_bound(struct request *req, struct search *s)
{
	struct db_rows rows;
	enum wh_err result;
	s->after_created = s->after_seq = TIMERANGE_OPEN;
	if(!s->page.start_after)
		return WH_OK;
	result = db_exec(
	    req->app->db, sql_bound,
	    DBP(db_str(s->page.start_after), db_str(req->account_id), db_str(s->webhook_id), db_str(s->webhook_id)),
	    &rows, NULL);
	if(result)
		return result;
	if(!rows.nrows)
		result = jx_fail(&req->err, "startAfter", "startAfter: no such delivery here");
	else {
		s->after_created = db_rows_i64(&rows, 0, 0);
		s->after_seq = db_rows_i64(&rows, 0, 1);
	}
	db_rows_release(&rows);
	return result;
}

static enum wh_err run(struct request *req, struct search *s)
{
	struct db_rows rows;
	json_t *results;
	enum wh_err result = page_bound(req, s);
	if(!result)
		result = db_exec(req->app->db,
		                 sql_search[s->webhook_id != NULL][s->status       ? 1
		                                                   : s->event_type ? 2
		                                                                   : 0],
		                 DBP(db_str(req->account_id), db_str(s->webhook_id), db_str(s->webhook_id),
		                     db_str(s->status), db_str(s->status), db_str(s->event_type), db_str(s->event_type),
		                     db_i64(s->range.since), db_i64(s->range.until), db_i64(s->after_created),
		                     db_i64(s->after_created), db_i64(s->after_seq), db_i64(s->page.limit)),
		                 &rows, NULL);
	if(result)
		return result;
	results = json_array();
	for(size_t r = 0; r < rows.nrows; r++)
		json_array_append_new(results, delivery_json(&rows, r));
	db_rows_release(&rows);
	http_send_page(req, &s->page, results);
	return WH_OK;
}

enum wh_err deliveries_list(struct request *req)
{
	static const char *const allowed[] = {"status", "eventType", "since", "until", "limit", "startAfter", NULL};
	struct search s = {0};
	enum wh_err result = http_query_only(req, allowed);
	s.webhook_id = req->params[0];
	if(!result)
		result = filters(req, &s);
	if(!result)
		result = webhook_check(req, s.webhook_id, true);
	return result ? result : run(req, &s);
}

enum wh_err deliveries_search(struct request *req)
{
	static const char *const allowed[] = {"webhookId", "status", "eventType",  "since",
	                                      "until",     "limit",  "startAfter", NULL};
	struct search s = {0};
	enum wh_err result = http_query_only(req, allowed);
	s.webhook_id = http_query(req, "webhookId");
	if(!result)
		result = filters(req, &s);
	if(!result && s.webhook_id)
		result = webhook_check(req, s.webhook_id, false);
	return result ? result : run(req, &s);
}
