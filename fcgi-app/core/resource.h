/* Reading resources from the database the same way in every resource: one by id within
 * the request's account, and a page of a list ordered by seq. */
#ifndef WH_RESOURCE_H
#define WH_RESOURCE_H
#include <jansson.h>

#include "fcgi-app/core/http.h"

/* Renders row r of a result set as a resource (new). */
typedef json_t *(*resource_render_fn)(const struct db_rows *rows, size_t r);

/* The one row of rows rendered into *out (new); WH_ERR_NOT_FOUND (*out NULL) when rows
 * has no row or more than one. Releases rows. */
enum wh_err resource_one(struct db_rows *rows, resource_render_fn render, json_t **out);

/* Runs sql (parameters: id, the request's account) and renders its one row into *out
 * (new). WH_ERR_NOT_FOUND when id is not an id or no row matches. */
enum wh_err resource_load_one(struct request *req, const char *sql, const char *id, resource_render_fn render,
                              json_t **out);

/* The seq to list after: 0 without startAfter, else the seq of the row that seq_sql
 * ("SELECT seq FROM t WHERE id = ? AND account_id = ?") finds; 400 when none. */
enum wh_err resource_page_seq(struct request *req, const struct page *page, const char *seq_sql, long long *seq);

/* Renders every row into the page answer {"results", "limit", "startAfter", "endAt"} and
 * sends it (200). Releases rows. */
void resource_send_page(struct request *req, const struct page *page, struct db_rows *rows, resource_render_fn render);

#endif
