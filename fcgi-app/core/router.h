/* Routing: a table of (method, pattern, handler); ":x" segments capture path parameters. */
#ifndef WH_ROUTER_H
#define WH_ROUTER_H
#include <stdbool.h>

#include "fcgi-app/core/http.h"

/* A handler answers the request itself (http_send_*) and returns WH_OK, or returns an
 * error with req->err filled and the caller sends the error body. */
typedef enum wh_err (*route_handler)(struct request *req);

struct route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/v2/webhooks/:id" */
	route_handler handler;
	bool public; /* no API key needed */
};

/* The application's table, NULL-terminated (fcgi-app/routes.c). */
extern const struct route routes[];

/* Finds the route for req: WH_OK with *out set and req->params filled; WH_ERR_NOT_FOUND
 * when no pattern matches; WH_ERR_METHOD when a pattern matches but not the method, with
 * req->allow set to the methods that path answers ("GET, HEAD, PUT"). */
enum wh_err router_match(const struct route *table, struct request *req, const struct route **out);

#endif
