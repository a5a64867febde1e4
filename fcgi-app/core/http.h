/* One HTTP request as the FastCGI app sees it: method, path, query, headers, body, and
 * the functions that answer it (the parsing itself is reqparse.c's). Strings from FastCGI
 * params are copied into the request so they outlive FCGX_Finish_r only as long as the
 * request struct. */
#ifndef WH_HTTP_H
#define WH_HTTP_H
#include <fcgiapp.h>
#include <jansson.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/ids.h"
#include "common/json_util.h"
#include "fcgi-app/core/app.h"
#include "fcgi-app/core/reqparse.h"

#define HTTP_MAX_PARAMS 4

struct request {
	FCGX_Request *fcgi;
	struct app *app;
	char *method;
	char *path; /* percent-decoded path without the query */
	struct query_pair query[REQPARSE_MAX_QUERY];
	size_t nquery;
	const char *params[HTTP_MAX_PARAMS]; /* {id}-style path segments, borrowed from path_copy */
	char *path_copy;
	char account_id[ID_LEN + 1]; /* set by auth */
	char key_id[ID_LEN + 1];     /* set by auth: the key used, for the audit log */
	char key_name[101];          /* set by auth */
	struct jx_err err;           /* filled by a handler that returns an error */
	bool answered;
	int status;                     /* the status sent, for the access log */
	int retry_after_s;              /* > 0: a Retry-After header goes with the answer */
	char allow[64];                 /* non-empty: an Allow header goes with the answer (405) */
	struct tx_create_ctx *creating; /* tx_create's, while its body runs (core/tx.c) */
};

/* Fills req from the FastCGI params. WH_ERR_INVALID for an undecodable path or query. */
enum wh_err http_request_init(struct request *req, FCGX_Request *fcgi, struct app *app);
void http_request_release(struct request *req);

/* A header by its CGI name ("HTTP_APIKEY", "CONTENT_TYPE"); borrowed, NULL when absent. */
const char *http_param(const struct request *req, const char *name);
/* A decoded query value; borrowed, NULL when absent. */
const char *http_query(const struct request *req, const char *name);
/* Rejects query parameters not in allowed (NULL-terminated), naming the first one. */
enum wh_err http_query_only(struct request *req, const char *const *allowed);

/* Reads the JSON object body. Checks, in this order: Content-Length present and a plain
 * decimal (411/400), at most max_body_bytes (413, before reading), Content-Type
 * application/json (415), well-formed JSON object with no duplicate keys (400).
 * When optional and the body is empty, *out is a new empty object. *out is new. */
enum wh_err http_read_json(struct request *req, bool optional, json_t **out);
/* Reads the raw body within max_body_bytes into out (same length checks). */
enum wh_err http_read_body(struct request *req, struct buf *out);

/* List paging: limit (1..100, default 20) and startAfter (an id or absent). */
struct page {
	long long limit;
	const char *start_after; /* borrowed from the request, NULL when absent */
};
enum wh_err http_page(struct request *req, struct page *page);
/* Answers 200 {"results":results,"limit":..,"startAfter":..,"endAt":<last id or null>};
 * steals results. */
void http_send_page(struct request *req, const struct page *page, json_t *results);
/* http_send_page, the text kept under t (see http_send_kept). */
void http_send_page_kept(struct request *req, const struct answer_ticket *t, const struct page *page, json_t *results);

/* A GET answer kept by this process (core/answer_cache.h, read_cache_ms): true when req
 * was answered 200 from it; else false with t set for http_send_json_kept. */
bool http_send_kept(struct request *req, struct answer_ticket *t);
/* http_send_json(req, 200, body), the text kept under t for the next same GET. */
void http_send_json_kept(struct request *req, const struct answer_ticket *t, const json_t *body);

/* Sends a JSON answer; does not take ownership of body. */
void http_send_json(struct request *req, int status, const json_t *body);
/* Sends a raw body with a content type. */
void http_send_raw(struct request *req, int status, const char *content_type, const char *body, size_t len);
/* Sends the SPEC §4 error body for err, using req->err's message and field when set. */
void http_send_error(struct request *req, enum wh_err err);

#endif
