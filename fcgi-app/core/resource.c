/* Loading one resource by id and sending a page of a list. */
#include "fcgi-app/core/resource.h"

enum wh_err resource_one(struct db_rows *rows, resource_render_fn render, json_t **out)
{
	enum wh_err result = WH_OK;
	*out = NULL;
	if(rows->nrows == 1)
		*out = render(rows, 0);
	else
		result = WH_ERR_NOT_FOUND;
	db_rows_release(rows);
	return result;
}

enum wh_err resource_load_one(struct request *req, const char *sql, const char *id, resource_render_fn render,
                              json_t **out)
{
	struct db_rows rows;
	enum wh_err result;
	*out = NULL;
	if(!id || !id_valid(id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql, DBP(db_str(id), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	return resource_one(&rows, render, out);
}

enum wh_err resource_page_seq(struct request *req, const struct page *page, const char *seq_sql, long long *seq)
{
	struct db_rows rows;
	enum wh_err result;
	*seq = 0;
	if(!page->start_after)
		return WH_OK;
	result = db_exec(req->app->db, seq_sql, DBP(db_str(page->start_after), db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows == 1)
		*seq = db_rows_i64(&rows, 0, 0);
	else
		result = jx_fail(&req->err, "startAfter", "startAfter: no such item in this list");
	db_rows_release(&rows);
	return result;
}

void resource_send_page(struct request *req, const struct page *page, struct db_rows *rows, resource_render_fn render)
{
	json_t *results = json_array();
	for(size_t r = 0; r < rows->nrows; r++)
		json_array_append_new(results, render(rows, r));
	db_rows_release(rows);
	http_send_page(req, page, results);
}
