/* Request inboxes: create, list, the requests one received, and /in/<token> itself. */
#include "fcgi-app/resources/inboxes.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/inbox_url.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "fcgi-app/core/tx.h"
#include "fcgi-app/resources/inbox_check.h"

#define EXPIRED_BATCH 20

static const char sql_lock_account[] = "SELECT id FROM accounts WHERE id = ? FOR UPDATE";
static const char sql_expired[] = "SELECT id FROM inboxes WHERE expires_at <= ? ORDER BY expires_at LIMIT ?";
static const char sql_drop_requests[] = "DELETE FROM inbox_requests WHERE inbox_id = ?";
static const char sql_drop_inbox[] = "DELETE FROM inboxes WHERE id = ?";
static const char sql_live_count[] = "SELECT COUNT(*) FROM inboxes WHERE account_id = ? AND expires_at > ?";
static const char sql_insert[] =
    "INSERT INTO inboxes (id, account_id, token, created, expires_at) VALUES (?, ?, ?, ?, ?)";
static const char sql_list[] = "SELECT i.id, i.token, i.created, i.expires_at, (SELECT COUNT(*) FROM inbox_requests r "
                               "WHERE r.inbox_id = i.id) FROM inboxes i WHERE i.account_id = ? AND i.expires_at > ? "
                               "AND i.id > ? ORDER BY i.id LIMIT ?";
static const char sql_live[] = "SELECT id FROM inboxes WHERE id = ? AND account_id = ? AND expires_at > ?";
static const char sql_seq_of[] = "SELECT seq FROM inbox_requests WHERE id = ? AND inbox_id = ?";
static const char sql_requests[] = "SELECT id, received, method, headers, body, signature_check FROM inbox_requests "
                                   "WHERE inbox_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?";
static const char sql_by_token[] = "SELECT id, account_id FROM inboxes WHERE token = ? AND expires_at > ?";
/* A fixed one-minute window per inbox, counted in its row (the kept requests can't count:
 * only the last INBOX_REQUESTS_KEPT stay). */
static const char sql_window_take[] = "UPDATE inboxes SET window_count = IF(window_start > ?, window_count + 1, 1), "
                                      "window_start = IF(window_start > ?, window_start, ?) WHERE id = ?";
static const char sql_window[] = "SELECT window_count, window_start FROM inboxes WHERE id = ?";
static const char sql_store[] = "INSERT INTO inbox_requests (id, inbox_id, received, method, headers, body, "
                                "signature_check) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char sql_keep_from[] =
    "SELECT seq FROM inbox_requests WHERE inbox_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?";
static const char sql_trim[] = "DELETE FROM inbox_requests WHERE inbox_id = ? AND seq <= ?";

static const char *base_url(const struct request *req)
{
	return config_str(&req->app->cfg, CFG_PUBLIC_BASE_URL);
}

/* Appends <public_base_url>/in/<token> to out. */
static void inbox_url(const struct request *req, const char *token, struct buf *out)
{
	buf_addf(out, "%s%s%s", base_url(req), INBOX_PATH, token);
}

/* Deletes up to EXPIRED_BATCH expired inboxes (of any account) and their requests. */
static enum wh_err drop_expired(struct db *db, long long now)
{
	struct db_rows rows;
	enum wh_err result = db_exec(db, sql_expired, DBP(db_i64(now), db_i64(EXPIRED_BATCH)), &rows, NULL);
	if(result)
		return result;
	for(size_t r = 0; !result && r < rows.nrows; r++) {
		result = db_exec(db, sql_drop_requests, DBP(db_str(db_rows_get(&rows, r, 0))), NULL, NULL);
		if(!result)
			result = db_exec(db, sql_drop_inbox, DBP(db_str(db_rows_get(&rows, r, 0))), NULL, NULL);
	}
	db_rows_release(&rows);
	return result;
}

static enum wh_err count_live(struct request *req, long long now, long long *n)
{
	struct db_rows rows;
	enum wh_err result = db_exec(req->app->db, sql_lock_account, DBP(db_str(req->account_id)), &rows, NULL);
	if(result)
		return result;
	db_rows_release(&rows);
	result = db_exec(req->app->db, sql_live_count, DBP(db_str(req->account_id), db_i64(now)), &rows, NULL);
	if(result)
		return result;
	*n = db_rows_i64(&rows, 0, 0);
	db_rows_release(&rows);
	return WH_OK;
}

/* A new inbox: what tx_create runs (again from the start on a deadlock). */
struct inbox_new {
	char id[ID_LEN + 1], token[INBOX_TOKEN_LEN + 1];
	long long now;
	json_t *answer;
};

static enum wh_err create_tx(struct request *req, void *ctx)
{
	struct inbox_new *n = ctx;
	long long live = 0;
	struct buf url;
	enum wh_err result = drop_expired(req->app->db, n->now);
	json_decref(n->answer);
	n->answer = NULL;
	if(!result)
		result = count_live(req, n->now, &live);
	if(!result && live >= INBOX_MAX_PER_ACCOUNT) {
		jx_fail(&req->err, NULL,
		        "the account already has %d live inboxes (the limit); each expires 24 hours after its creation",
		        INBOX_MAX_PER_ACCOUNT);
		return WH_ERR_RATE;
	}
	if(!result)
		result = db_exec(req->app->db, sql_insert,
		                 DBP(db_str(n->id), db_str(req->account_id), db_str(n->token), db_i64(n->now),
		                     db_i64(n->now + INBOX_LIFETIME_MS)),
		                 NULL, NULL);
	if(result)
		return result;
	buf_init(&url, 0);
	inbox_url(req, n->token, &url);
	n->answer = json_pack("{s:s,s:s}", "id", n->id, "url", buf_str(&url));
	jx_set_time(n->answer, "expiresAt", n->now + INBOX_LIFETIME_MS);
	jx_set_time(n->answer, "created", n->now);
	buf_release(&url);
	return WH_OK;
}

enum wh_err inbox_create(struct request *req)
{
	static const char *const none[] = {NULL};
	struct inbox_new n = {0};
	json_t *body = NULL;
	enum wh_err result = http_read_json(req, true, &body);
	if(!result && !body)
		body = json_object();
	if(!result)
		result = jx_only_keys(body, none, &req->err);
	if(!result && !*base_url(req)) {
		jx_fail(&req->err, NULL, "request inboxes are off: the configuration has no public_base_url");
		result = WH_ERR_CONFLICT;
	}
	if(!result) {
		id_new(n.id);
		id_random(n.token, INBOX_TOKEN_LEN);
		n.now = time_now_ms();
		result = tx_create(req, body, create_tx, &n, &n.answer);
	}
	json_decref(n.answer);
	json_decref(body);
	return result;
}

enum wh_err inbox_list(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", NULL};
	struct page page;
	struct db_rows rows;
	json_t *results;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = db_exec(req->app->db, sql_list,
		                 DBP(db_str(req->account_id), db_i64(time_now_ms()),
		                     db_str(page.start_after ? page.start_after : ""), db_i64(page.limit)),
		                 &rows, NULL);
	if(result)
		return result;
	results = json_array();
	for(size_t r = 0; r < rows.nrows; r++) {
		struct buf url;
		json_t *i;
		buf_init(&url, 0);
		inbox_url(req, db_rows_get(&rows, r, 1), &url);
		i = json_pack("{s:s,s:s}", "id", db_rows_get(&rows, r, 0), "url", buf_str(&url));
		jx_set_time(i, "created", db_rows_i64(&rows, r, 2));
		jx_set_time(i, "expiresAt", db_rows_i64(&rows, r, 3));
		json_object_set_new(i, "requests", json_integer(db_rows_i64(&rows, r, 4)));
		json_array_append_new(results, i);
		buf_release(&url);
	}
	db_rows_release(&rows);
	http_send_page(req, &page, results);
	return WH_OK;
}

/* The body as a JSON string when it is UTF-8, else base64 (bodyEncoding says which). */
static void set_body(json_t *obj, const char *body, size_t len)
{
	json_t *s = json_stringn(body, len);
	struct buf b64;
	if(s) {
		json_object_set_new(obj, "body", s);
		json_object_set_new(obj, "bodyEncoding", json_string("utf-8"));
		return;
	}
	buf_init(&b64, 0);
	crypto_base64(body, len, &b64);
	json_object_set_new(obj, "body", json_string(buf_str(&b64)));
	json_object_set_new(obj, "bodyEncoding", json_string("base64"));
	buf_release(&b64);
}

static json_t *request_json(const struct db_rows *rows, size_t r)
{
	json_t *q = json_pack("{s:s}", "id", db_rows_get(rows, r, 0));
	json_t *headers = json_loads(db_rows_get(rows, r, 3), 0, NULL);
	json_t *check = json_loads(db_rows_get(rows, r, 5), 0, NULL);
	jx_set_time(q, "receivedAt", db_rows_i64(rows, r, 1));
	json_object_set_new(q, "method", json_string(db_rows_get(rows, r, 2)));
	json_object_set_new(q, "headers", headers ? headers : json_object());
	set_body(q, db_rows_get(rows, r, 4), db_rows_len(rows, r, 4));
	json_object_set_new(q, "bodyBytes", json_integer((json_int_t)db_rows_len(rows, r, 4)));
	json_object_set_new(q, "signatureCheck", check ? check : json_null());
	return q;
}

/* 404 unless id is a live inbox of the account; *bound: the seq to list below. */
static enum wh_err requests_scope(struct request *req, const char *id, const struct page *page, long long *bound)
{
	struct db_rows rows;
	enum wh_err result;
	*bound = 0x7fffffffffffffffLL;
	if(!id_valid(id))
		return WH_ERR_NOT_FOUND;
	result = db_exec(req->app->db, sql_live, DBP(db_str(id), db_str(req->account_id), db_i64(time_now_ms())), &rows,
	                 NULL);
	if(result)
		return result;
	result = rows.nrows ? WH_OK : WH_ERR_NOT_FOUND;
	db_rows_release(&rows);
	if(result || !page->start_after)
		return result;
	result = db_exec(req->app->db, sql_seq_of, DBP(db_str(page->start_after), db_str(id)), &rows, NULL);
	if(result)
		return result;
	if(!rows.nrows)
		result = jx_fail(&req->err, "startAfter", "startAfter: no such request of this inbox");
	else
		*bound = db_rows_i64(&rows, 0, 0);
	db_rows_release(&rows);
	return result;
}

enum wh_err inbox_requests(struct request *req)
{
	static const char *const allowed[] = {"limit", "startAfter", NULL};
	struct page page;
	struct db_rows rows;
	long long bound;
	json_t *results;
	enum wh_err result = http_query_only(req, allowed);
	if(!result)
		result = http_page(req, &page);
	if(!result)
		result = requests_scope(req, req->params[0], &page, &bound);
	if(!result)
		result = db_exec(req->app->db, sql_requests,
		                 DBP(db_str(req->params[0]), db_i64(bound), db_i64(page.limit)), &rows, NULL);
	if(result)
		return result;
	results = json_array();
	for(size_t r = 0; r < rows.nrows; r++)
		json_array_append_new(results, request_json(&rows, r));
	db_rows_release(&rows);
	http_send_page(req, &page, results);
	return WH_OK;
}

/* The request's headers from the FastCGI params (HTTP_X_API_KEY -> x-api-key, and
 * Content-Type, Content-Length): a new object. */
static json_t *received_headers(const struct request *req)
{
	json_t *h = json_object();
	for(char **e = req->fcgi->envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[128];
		size_t n = 0;
		const char *src = NULL;
		if(!eq)
			continue;
		if(!strncmp(*e, "HTTP_", 5))
			src = *e + 5;
		else if(!strncmp(*e, "CONTENT_TYPE=", 13) || !strncmp(*e, "CONTENT_LENGTH=", 15))
			src = *e;
		if(!src || (size_t)(eq - src) >= sizeof(name))
			continue;
		for(; src + n < eq; n++)
			name[n] = src[n] == '_' ? '-' : (char)((src[n] >= 'A' && src[n] <= 'Z') ? src[n] + 32 : src[n]);
		name[n] = '\0';
		if(json_object_size(h) < 100) {
			json_t *v = json_string(eq + 1); /* NULL when not UTF-8 */
			json_object_set_new(h, name, v ? v : json_string("?"));
		}
	}
	return h;
}

/* The live inbox of token: its id and account. 404 when none (or expired). */
static enum wh_err find_inbox(struct request *req, const char *token, long long now, char *id, char *account)
{
	struct db_rows rows;
	enum wh_err result;
	if(!inbox_token_valid(token)) {
		jx_fail(&req->err, NULL, "no such inbox");
		return WH_ERR_NOT_FOUND;
	}
	result = db_exec(req->app->db, sql_by_token, DBP(db_str(token), db_i64(now)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows) {
		snprintf(id, ID_LEN + 1, "%s", db_rows_get(&rows, 0, 0));
		snprintf(account, ID_LEN + 1, "%s", db_rows_get(&rows, 0, 1));
	} else {
		jx_fail(&req->err, NULL, "no such inbox (inboxes expire 24 hours after their creation)");
		result = WH_ERR_NOT_FOUND;
	}
	db_rows_release(&rows);
	return result;
}

/* Counts the request in the inbox's minute; 429 with Retry-After past
 * INBOX_REQUESTS_PER_MINUTE. */
static enum wh_err rate_take(struct request *req, const char *inbox, long long now)
{
	struct db_rows rows;
	long long from = now - 60000;
	enum wh_err result = db_exec(req->app->db, sql_window_take,
	                             DBP(db_i64(from), db_i64(from), db_i64(now), db_str(inbox)), NULL, NULL);
	if(!result)
		result = db_exec(req->app->db, sql_window, DBP(db_str(inbox)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows && db_rows_i64(&rows, 0, 0) > INBOX_REQUESTS_PER_MINUTE) {
		req->retry_after_s = (int)((db_rows_i64(&rows, 0, 1) + 60000 - now) / 1000) + 1;
		jx_fail(&req->err, NULL, "this inbox takes at most %d requests a minute; retry in %d s",
		        INBOX_REQUESTS_PER_MINUTE, req->retry_after_s);
		result = WH_ERR_RATE;
	}
	db_rows_release(&rows);
	return result;
}

/* The body, at most INBOX_BODY_MAX bytes (413 before reading); none without Content-Length
 * on a GET or DELETE. */
static enum wh_err inbox_body(struct request *req, struct buf *body)
{
	const char *cl = http_param(req, "CONTENT_LENGTH");
	char *end;
	long long n;
	if((!cl || !*cl) && (!strcmp(req->method, "GET") || !strcmp(req->method, "DELETE")))
		return WH_OK;
	n = cl ? strtoll(cl, &end, 10) : 0;
	if(cl && *cl && !*end && n > INBOX_BODY_MAX)
		return jx_fail(&req->err, NULL, "request body is %lld bytes; an inbox keeps at most %d", n,
		               INBOX_BODY_MAX),
		       WH_ERR_TOO_LARGE;
	return http_read_body(req, body);
}

/* One arrival to store: what tx_run runs. */
struct arrival {
	const char *inbox, *id;
	long long now;
	char *headers, *check; /* JSON texts */
	const struct buf *body;
};

/* Stores the request and drops all but the newest INBOX_REQUESTS_KEPT, in one transaction. */
static enum wh_err store_tx(struct request *req, void *ctx)
{
	const struct arrival *a = ctx;
	struct db_rows rows;
	enum wh_err result =
	    db_exec(req->app->db, sql_store,
	            DBP(db_str(a->id), db_str(a->inbox), db_i64(a->now), db_str(req->method), db_str(a->headers),
	                db_blob(a->body->ptr ? a->body->ptr : "", a->body->len), db_str(a->check)),
	            NULL, NULL);
	if(!result)
		result = db_exec(req->app->db, sql_keep_from, DBP(db_str(a->inbox), db_i64(INBOX_REQUESTS_KEPT)), &rows,
		                 NULL);
	if(result)
		return result;
	if(rows.nrows)
		result = db_exec(req->app->db, sql_trim, DBP(db_str(a->inbox), db_i64(db_rows_i64(&rows, 0, 0))), NULL,
		                 NULL);
	db_rows_release(&rows);
	return result;
}

enum wh_err inbox_receive(struct request *req)
{
	char inbox[ID_LEN + 1], account[ID_LEN + 1], id[ID_LEN + 1];
	long long now = time_now_ms();
	json_t *headers = NULL, *check = NULL, *ans;
	struct buf body, url;
	enum wh_err result = find_inbox(req, req->params[0], now, inbox, account);
	buf_init(&body, INBOX_BODY_MAX);
	buf_init(&url, 0);
	if(!result)
		result = rate_take(req, inbox, now);
	if(!result)
		result = inbox_body(req, &body);
	if(result)
		goto out;
	headers = received_headers(req);
	inbox_url(req, req->params[0], &url);
	result = inbox_check(req->app, account, buf_str(&url), headers, body.ptr ? body.ptr : "", body.len, &check);
	id_new(id);
	if(!result) {
		struct arrival a = {inbox, id, now, jx_dumps(headers), jx_dumps(check), &body};
		result = tx_run(req, store_tx, &a);
		free(a.headers);
		free(a.check);
	}
	if(!result) {
		ans = json_pack("{s:b,s:s}", "received", 1, "id", id);
		http_send_json(req, 200, ans);
		json_decref(ans);
	}
out:
	json_decref(headers);
	json_decref(check);
	buf_release(&body);
	buf_release(&url);
	return result;
}
