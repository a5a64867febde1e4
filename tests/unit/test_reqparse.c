/* Request parsing (path, query string, Content-Length) and routing, without FastCGI. */
#include <stdlib.h>

#include "common/xalloc.h"
#include "fcgi-app/core/reqparse.h"
#include "fcgi-app/core/router.h"
#include "fcgi-app/resources/webhooks/deliveries.h"
#include "fcgi-app/resources/webhooks/webhooks.h"
#include "tests/unit/test.h"

TEST_SUITE(reqparse_uri_and_decode)
{
	struct jx_err err = {{0}, {0}};
	const char *query;
	char *path, *d;
	CHECK(reqparse_uri("/v2/webhooks/a%20b?limit=5&x", &path, &query, &err) == WH_OK);
	CHECK_STR(path, "/v2/webhooks/a b");
	CHECK_STR(query, "limit=5&x");
	free(path);
	CHECK(reqparse_uri("/v2/x", &path, &query, &err) == WH_OK && query == NULL);
	free(path);
	CHECK(reqparse_uri("/v2/%0", &path, &query, &err) == WH_ERR_INVALID);
	CHECK_STR(path, "/");
	CHECK_STR(err.message, "malformed path");
	free(path);
	CHECK(reqparse_uri("/v2/%00x", &path, &query, &err) == WH_ERR_INVALID); /* NUL never decodes */
	free(path);
	d = reqparse_decode("a+b%2Bc%0d%0A", 13, true);
	CHECK_STR(d, "a b+c\r\n");
	free(d);
	d = reqparse_decode("a+b", 3, false);
	CHECK_STR(d, "a+b");
	free(d);
	CHECK(reqparse_decode("%zz", 3, false) == NULL);
	CHECK(reqparse_decode("%4", 2, false) == NULL);
}

TEST_SUITE(reqparse_query_string)
{
	struct jx_err err = {{0}, {0}};
	struct query_pair q[REQPARSE_MAX_QUERY];
	char many[256] = "";
	size_t n = 0;
	CHECK(reqparse_query("limit=5&&startAfter=&flag&name=a%26b", q, &n, &err) == WH_OK);
	CHECK(n == 4);
	CHECK_STR(q[0].name, "limit");
	CHECK_STR(q[0].value, "5");
	CHECK_STR(q[1].value, "");
	CHECK_STR(q[2].name, "flag");
	CHECK_STR(q[2].value, "");
	CHECK_STR(q[3].value, "a&b");
	reqparse_query_release(q, n);
	n = 0;
	CHECK(reqparse_query("a=1&b=2&a=3", q, &n, &err) == WH_ERR_INVALID);
	CHECK(n == 2);
	CHECK_STR(err.field, "a");
	reqparse_query_release(q, n);
	n = 0;
	CHECK(reqparse_query("a=%zz", q, &n, &err) == WH_ERR_INVALID && n == 0);
	for(int i = 0; i <= REQPARSE_MAX_QUERY; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "k%d=1&", i);
	CHECK(reqparse_query(many, q, &n, &err) == WH_ERR_INVALID);
	CHECK(n == REQPARSE_MAX_QUERY);
	reqparse_query_release(q, n);
}

TEST_SUITE(reqparse_content_length_rules)
{
	struct jx_err err = {{0}, {0}};
	long long v;
	CHECK(reqparse_content_length("123", &v, &err) == WH_OK && v == 123);
	CHECK(reqparse_content_length("0", &v, &err) == WH_OK && v == 0);
	CHECK(reqparse_content_length(NULL, &v, &err) == WH_ERR_LENGTH_REQUIRED);
	CHECK(reqparse_content_length("", &v, &err) == WH_ERR_LENGTH_REQUIRED);
	CHECK(reqparse_content_length("-1", &v, &err) == WH_ERR_INVALID);
	CHECK(reqparse_content_length(" 12", &v, &err) == WH_ERR_INVALID);
	CHECK(reqparse_content_length("12a", &v, &err) == WH_ERR_INVALID);
	CHECK(reqparse_content_length("99999999999999999999999", &v, &err) == WH_ERR_INVALID);
}

/* Routes a method and path through the table; the handler found (NULL for none). */
static route_handler route(const struct route *table, const char *method, const char *path, enum wh_err *result,
                           struct request *req)
{
	const struct route *r = NULL;
	memset(req, 0, sizeof(*req));
	req->method = xstrdup(method);
	req->path = xstrdup(path);
	*result = router_match(table, req, &r);
	return *result ? NULL : r->handler;
}

static void route_done(struct request *req)
{
	free(req->method);
	free(req->path);
	free(req->path_copy);
}

TEST_SUITE(router_matches_the_route_table)
{
	struct request req;
	enum wh_err result;
	CHECK(route(routes, "GET", "/v2/webhooks", &result, &req) == webhooks_list);
	route_done(&req);
	CHECK(route(routes, "GET", "/v2/webhooks/", &result, &req) == webhooks_list); /* trailing slash */
	route_done(&req);
	CHECK(route(routes, "HEAD", "/v2/webhooks/abc", &result, &req) == webhooks_get); /* HEAD is GET */
	CHECK_STR(req.params[0], "abc");
	route_done(&req);
	CHECK(route(routes, "POST", "/v2/webhooks/W1/deliveries/D2/resend", &result, &req) == deliveries_resend);
	CHECK_STR(req.params[0], "W1");
	CHECK_STR(req.params[1], "D2");
	CHECK(req.params[2] == NULL);
	route_done(&req);
	CHECK(route(routes, "DELETE", "/v2/webhooks", &result, &req) == NULL && result == WH_ERR_METHOD);
	route_done(&req);
	CHECK(route(routes, "GET", "/v2/nothing", &result, &req) == NULL && result == WH_ERR_NOT_FOUND);
	route_done(&req);
	CHECK(route(routes, "GET", "/v2/webhooks//deliveries", &result, &req) == NULL && result == WH_ERR_NOT_FOUND);
	route_done(&req);
	CHECK(route(routes, "GET", "/v2/webhooks/a/b/c/d/e/f", &result, &req) == NULL && result == WH_ERR_NOT_FOUND);
	route_done(&req);
	CHECK(route(routes, "GET", "", &result, &req) == NULL && result == WH_ERR_NOT_FOUND);
	route_done(&req);
}
