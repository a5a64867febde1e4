/* GET /v2/events: the account's outbox, each the stored envelope, oldest first (or newest
 * first with order=desc), filtered by type, locationId, since and until; GET /v2/events/{id}:
 * one event with a summary of its deliveries. Ordered by (created, seq), which sql/010
 * indexes per account, type and location, so each filter is a range read. */
#include <string.h>

#include "common/events.h"
#include "common/log.h"
#include "fcgi-app/core/fields.h"
#include "fcgi-app/core/timerange.h"
#include "fcgi-app/resources/events.h"
#include "fcgi-app/resources/webhooks/deliveries.h"

#define EVENT_DELIVERIES_SHOWN 100

/* The index is named for each shape (no filter, type, location), as for deliveries. */
#define EVENTS_WHERE(index)                                                                                            \
	"SELECT payload FROM events FORCE INDEX (" index ") WHERE account_id = ? AND (? IS NULL OR type = ?) AND "     \
	"(? IS NULL OR location_id = ?) AND created >= ? AND created < ? "
#define EVENTS_ASC(index)                                                                                              \
	EVENTS_WHERE(index) "AND created >= ? AND (created > ? OR seq > ?) ORDER BY created, seq LIMIT ?"
#define EVENTS_DESC(index)                                                                                             \
	EVENTS_WHERE(index) "AND created <= ? AND (created < ? OR seq < ?) ORDER BY created DESC, seq DESC LIMIT ?"
static const char *const sql_list[2][3] = {
    {EVENTS_ASC("events_account_created"), EVENTS_ASC("events_account_type_created"),
     EVENTS_ASC("events_account_location_created")},
    {EVENTS_DESC("events_account_created"), EVENTS_DESC("events_account_type_created"),
     EVENTS_DESC("events_account_location_created")},
};
static const char sql_bound[] = "SELECT created, seq FROM events WHERE id = ? AND account_id = ?";

struct event_query {
	const char *type, *loc;
	bool desc;
	struct timerange range;
	struct page page;
	long long after_created, after_seq; /* the startAfter event's, or the open end */
};

static enum wh_err events_query(struct request *req, struct event_query *q)
{
	static const char *const allowed[] = {"limit", "startAfter", "type",  "locationId",
	                                      "since", "until",      "order", NULL};
	const char *order = http_query(req, "order");
	enum wh_err result = http_query_only(req, allowed);
	q->type = http_query(req, "type");
	if(!result && q->type && !event_type_valid(q->type))
		result = jx_fail(&req->err, "type", "type: unknown event type '%.60s'", q->type);
	if(!result)
		result = field_query_id(req, "locationId", &q->loc);
	if(!result && order && strcmp(order, "asc") && strcmp(order, "desc"))
		result = jx_fail(&req->err, "order", "order: must be asc or desc");
	q->desc = order && !strcmp(order, "desc");
	if(!result)
		result = timerange_query(req, &q->range);
	if(!result)
		result = http_page(req, &q->page);
	return result;
}

static enum wh_err page_bound(struct request *req, struct event_query *q)
{
	struct db_rows rows;
	enum wh_err result;
	q->after_created = q->after_seq = q->desc ? TIMERANGE_OPEN : -1;
	if(!q->page.start_after)
		return WH_OK;
	result =
	    db_exec(req->app->db, sql_bound, DBP(db_str(q->page.start_after), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(!rows.nrows)
		result = jx_fail(&req->err, "startAfter", "startAfter: no such event in this account");
	else {
		q->after_created = db_rows_i64(&rows, 0, 0);
		q->after_seq = db_rows_i64(&rows, 0, 1);
	}
	db_rows_release(&rows);
	return result;
}

/* The stored envelope of row r (column c) parsed back: new, NULL (logged) when not JSON. */
static json_t *envelope_of(struct request *req, const struct db_rows *rows, size_t r, size_t c)
{
	json_t *env = json_loadb(db_rows_get(rows, r, c), db_rows_len(rows, r, c), 0, NULL);
	if(!env)
		log_err("event payload is not JSON (account %s)", req->account_id);
	return env;
}

enum wh_err event_list(struct request *req)
{
	struct event_query q = {0};
	struct db_rows rows;
	json_t *results;
	enum wh_err result = events_query(req, &q);
	if(!result)
		result = page_bound(req, &q);
	if(!result)
		result =
		    db_exec(req->app->db,
		            sql_list[q.desc][q.type  ? 1
		                             : q.loc ? 2
		                                     : 0],
		            DBP(db_str(req->account_id), db_str(q.type), db_str(q.type), db_str(q.loc), db_str(q.loc),
		                db_i64(q.range.since), db_i64(q.range.until), db_i64(q.after_created),
		                db_i64(q.after_created), db_i64(q.after_seq), db_i64(q.page.limit)),
		            &rows, NULL);
	if(result)
		return result;
	results = json_array();
	for(size_t r = 0; r < rows.nrows && !result; r++) {
		json_t *env = envelope_of(req, &rows, r, 0);
		if(!env)
			result = WH_ERR_INTERNAL;
		json_array_append_new(results, env);
	}
	db_rows_release(&rows);
	if(result) {
		json_decref(results);
		return result;
	}
	http_send_page(req, &q.page, results);
	return WH_OK;
}

/* {total, pending, succeeded, failed, results: the first EVENT_DELIVERIES_SHOWN deliveries
 * in fan-out order}: new. */
static enum wh_err deliveries_summary(struct request *req, long long seq, json_t **out)
{
	static const char sql_counts[] = "SELECT status, COUNT(*) FROM deliveries WHERE event_seq = ? GROUP BY status";
	static const char sql_rows[] =
	    "SELECT " DELIVERY_COLS " FROM deliveries WHERE event_seq = ? ORDER BY seq LIMIT ?";
	struct db_rows counts, rows;
	long long total = 0;
	json_t *sum, *list;
	enum wh_err result = db_exec(req->app->db, sql_counts, DBP(db_i64(seq)), &counts, NULL);
	if(result)
		return result;
	result = db_exec(req->app->db, sql_rows, DBP(db_i64(seq), db_i64(EVENT_DELIVERIES_SHOWN)), &rows, NULL);
	if(result) {
		db_rows_release(&counts);
		return result;
	}
	sum = json_pack("{s:I,s:I,s:I,s:I}", "total", (json_int_t)0, "pending", (json_int_t)0, "succeeded",
	                (json_int_t)0, "failed", (json_int_t)0);
	for(size_t r = 0; r < counts.nrows; r++) {
		total += db_rows_i64(&counts, r, 1);
		json_object_set_new(sum, db_rows_get(&counts, r, 0), json_integer(db_rows_i64(&counts, r, 1)));
	}
	json_object_set_new(sum, "total", json_integer(total));
	list = json_array();
	for(size_t r = 0; r < rows.nrows; r++)
		json_array_append_new(list, delivery_json(&rows, r));
	json_object_set_new(sum, "results", list);
	db_rows_release(&counts);
	db_rows_release(&rows);
	*out = sum;
	return WH_OK;
}

enum wh_err event_get(struct request *req)
{
	static const char sql[] = "SELECT payload, seq FROM events WHERE id = ? AND account_id = ?";
	struct db_rows rows;
	json_t *env = NULL, *sum = NULL;
	enum wh_err result;
	if(!id_valid(req->params[0]))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql, DBP(db_str(req->params[0]), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(!rows.nrows)
		result = WH_ERR_NOT_FOUND;
	else if(!(env = envelope_of(req, &rows, 0, 0)))
		result = WH_ERR_INTERNAL;
	if(!result)
		result = deliveries_summary(req, db_rows_i64(&rows, 0, 1), &sum);
	if(!result) {
		json_object_set_new(env, "deliveries", sum);
		http_send_json(req, 200, env);
	}
	json_decref(env);
	db_rows_release(&rows);
	return result;
}
