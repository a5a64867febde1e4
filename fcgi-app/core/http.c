/* Request parsing (path, query, body) and answers for the FastCGI app. */
#include "fcgi-app/core/http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/xalloc.h"

enum wh_err http_request_init(struct request *req, FCGX_Request *fcgi, struct app *app)
{
	const char *uri, *query = NULL;
	const char *method;
	enum wh_err result;
	memset(req, 0, sizeof(*req));
	req->fcgi = fcgi;
	req->app = app;
	method = FCGX_GetParam("REQUEST_METHOD", fcgi->envp);
	req->method = xstrdup(method ? method : "GET");
	uri = FCGX_GetParam("REQUEST_URI", fcgi->envp);
	if(!uri)
		uri = FCGX_GetParam("SCRIPT_NAME", fcgi->envp);
	if(!uri)
		uri = "/";
	result = reqparse_uri(uri, &req->path, &query, &req->err);
	if(!result && query)
		result = reqparse_query(query, req->query, &req->nquery, &req->err);
	return result;
}

void http_request_release(struct request *req)
{
	free(req->method);
	free(req->path);
	free(req->path_copy);
	reqparse_query_release(req->query, req->nquery);
	memset(req, 0, sizeof(*req));
}

const char *http_param(const struct request *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgi->envp);
}

const char *http_query(const struct request *req, const char *name)
{
	for(size_t i = 0; i < req->nquery; i++)
		if(!strcmp(req->query[i].name, name))
			return req->query[i].value;
	return NULL;
}

enum wh_err http_query_only(struct request *req, const char *const *allowed)
{
	for(size_t i = 0; i < req->nquery; i++) {
		bool ok = false;
		for(size_t k = 0; allowed[k]; k++)
			if(!strcmp(allowed[k], req->query[i].name))
				ok = true;
		if(!ok)
			return jx_fail(&req->err, req->query[i].name, "%s: unknown query parameter",
			               req->query[i].name);
	}
	return WH_OK;
}

static enum wh_err content_length(struct request *req, long long *out)
{
	return reqparse_content_length(http_param(req, "CONTENT_LENGTH"), out, &req->err);
}

enum wh_err http_read_body(struct request *req, struct buf *out)
{
	long long len;
	long long max = config_int(&req->app->cfg, CFG_MAX_BODY_BYTES);
	enum wh_err result = content_length(req, &len);
	char chunk[8192];
	if(result)
		return result;
	if(len > max)
		return jx_fail(&req->err, NULL, "request body is %lld bytes; the limit is %lld", len, max),
		       WH_ERR_TOO_LARGE;
	while(len > 0) {
		int want = len > (long long)sizeof(chunk) ? (int)sizeof(chunk) : (int)len;
		int got = FCGX_GetStr(chunk, want, req->fcgi->in);
		if(got <= 0)
			return jx_fail(&req->err, NULL, "request body shorter than Content-Length");
		result = buf_add(out, chunk, (size_t)got);
		if(result)
			return result;
		len -= got;
	}
	return WH_OK;
}

static bool is_json_type(const char *ct)
{
	size_t n = strlen("application/json");
	if(!ct || strncasecmp(ct, "application/json", n))
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

enum wh_err http_read_json(struct request *req, bool optional, json_t **out)
{
	struct buf body;
	enum wh_err result;
	const char *cl = http_param(req, "CONTENT_LENGTH");
	*out = NULL;
	if(optional && (!cl || !strcmp(cl, "0") || !*cl)) {
		*out = json_object();
		return WH_OK;
	}
	buf_init(&body, 0);
	result = content_length(req, &(long long){0});
	if(result)
		goto out;
	if(!is_json_type(http_param(req, "CONTENT_TYPE"))) {
		/* Size first: an oversized body answers 413 whatever its type. */
		long long len = 0, max = config_int(&req->app->cfg, CFG_MAX_BODY_BYTES);
		content_length(req, &len);
		if(len > max) {
			jx_fail(&req->err, NULL, "request body is %lld bytes; the limit is %lld", len, max);
			result = WH_ERR_TOO_LARGE;
		} else {
			result = WH_ERR_MEDIA_TYPE;
		}
		goto out;
	}
	result = http_read_body(req, &body);
	if(result)
		goto out;
	result = jx_parse_object(buf_str(&body), body.len, out, &req->err);
out:
	crypto_buf_wipe(&body); /* may hold a webhook secret or a private key */
	return result;
}

enum wh_err http_page(struct request *req, struct page *page)
{
	const char *limit = http_query(req, "limit");
	const char *after = http_query(req, "startAfter");
	page->limit = 20;
	page->start_after = NULL;
	if(limit) {
		char *end;
		errno = 0;
		page->limit = strtoll(limit, &end, 10);
		if(errno || end == limit || *end || page->limit < 1 || page->limit > 100)
			return jx_fail(&req->err, "limit", "limit: must be an integer 1..100");
	}
	if(after) {
		if(!id_valid(after))
			return jx_fail(&req->err, "startAfter", "startAfter: must be an id");
		page->start_after = after;
	}
	return WH_OK;
}

/* The page answer around results (stolen); new. */
static json_t *page_answer(const struct page *page, json_t *results)
{
	json_t *ans = json_object();
	size_t n = json_array_size(results);
	json_t *last = n ? json_object_get(json_array_get(results, n - 1), "id") : NULL;
	json_object_set_new(ans, "results", results);
	json_object_set_new(ans, "limit", json_integer(page->limit));
	jx_set_str(ans, "startAfter", page->start_after);
	json_object_set_new(ans, "endAt", last ? json_incref(last) : json_null());
	return ans;
}

void http_send_page(struct request *req, const struct page *page, json_t *results)
{
	json_t *ans = page_answer(page, results);
	http_send_json(req, 200, ans);
	json_decref(ans);
}

void http_send_page_kept(struct request *req, const struct answer_ticket *t, const struct page *page, json_t *results)
{
	json_t *ans = page_answer(page, results);
	http_send_json_kept(req, t, ans);
	json_decref(ans);
}

static const char *reason(int status)
{
	switch(status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return status >= 500 ? "Internal Server Error" : "OK";
	}
}

void http_send_raw(struct request *req, int status, const char *content_type, const char *body, size_t len)
{
	char head[512];
	int n;
	if(req->answered)
		return;
	req->answered = true;
	req->status = status;
	/* FCGX_FPrintF knows no %zu: format the head here. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\n", status,
	             reason(status), content_type);
	if(req->retry_after_s > 0)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Retry-After: %d\r\n", req->retry_after_s);
	if(req->allow[0])
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Allow: %s\r\n", req->allow);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n\r\n", len);
	FCGX_PutStr(head, n, req->fcgi->out);
	if(len && strcmp(req->method, "HEAD"))
		FCGX_PutStr(body, (int)len, req->fcgi->out);
}

#define JSON_TYPE "application/json; charset=utf-8"

bool http_send_kept(struct request *req, struct answer_ticket *t)
{
	const char *body;
	size_t len;
	if(!answer_cache_get(req->app->answers, req->account_id, http_param(req, "REQUEST_URI"), t, &body, &len))
		return false;
	http_send_raw(req, 200, JSON_TYPE, body, len);
	return true;
}

void http_send_json_kept(struct request *req, const struct answer_ticket *t, const json_t *body)
{
	char *text = jx_dumps(body);
	size_t len = strlen(text);
	http_send_raw(req, 200, JSON_TYPE, text, len);
	answer_cache_put(req->app->answers, t, text, len);
	free(text); /* a GET answer holds no secret */
}

void http_send_json(struct request *req, int status, const json_t *body)
{
	char *text = jx_dumps(body);
	size_t len = strlen(text);
	http_send_raw(req, status, "application/json; charset=utf-8", text, len);
	xfree_secret(text, len); /* a create or rotate answer holds the secret */
}

void http_send_error(struct request *req, enum wh_err err)
{
	json_t *body = json_object();
	const char *msg = req->err.message[0] ? req->err.message : wh_err_message(err);
	int status = wh_err_http_status(err);
	json_object_set_new(body, "errorCode", json_string(wh_err_code(err)));
	json_object_set_new(body, "message", json_string(msg));
	if(req->err.field[0])
		json_object_set_new(body, "field", json_string(req->err.field));
	if(status >= 500)
		log_warn("%s %s -> %d %s", req->method, req->path, status, wh_err_code(err));
	http_send_json(req, status, body);
	json_decref(body);
}
