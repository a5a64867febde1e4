/* The built-in event catalog (openapi/events/catalog.json) against common/events.c, and the
 * router's Allow list for a 405. */
#include <jansson.h>
#include <stdlib.h>

#include "common/events.h"
#include "fcgi-app/core/openapi.h"
#include "fcgi-app/core/router.h"
#include "tests/unit/test.h"

/* The catalog lists exactly the types the API accepts, in the same order, each with a
 * description, an example of its own type and a draft 2020-12 schema whose type is it. */
TEST_SUITE(event_catalog_matches_event_types)
{
	json_t *catalog = json_loads(event_types_json, 0, NULL);
	json_t *results = json_object_get(catalog, "results");
	json_t *entry;
	size_t i;
	CHECK(catalog != NULL);
	CHECK(json_array_size(results) == EVENT_TYPE_COUNT);
	json_array_foreach(results, i, entry)
	{
		const char *name = json_string_value(json_object_get(entry, "name"));
		json_t *schema = json_object_get(entry, "schema");
		json_t *type = json_object_get(json_object_get(schema, "properties"), "type");
		CHECK_STR(name, i < EVENT_TYPE_COUNT ? event_types[i] : NULL);
		CHECK(json_string_length(json_object_get(entry, "description")) > 10);
		CHECK_STR(json_string_value(json_object_get(json_object_get(entry, "example"), "type")), name);
		CHECK_STR(json_string_value(json_object_get(schema, "$schema")),
		          "https://json-schema.org/draft/2020-12/schema");
		CHECK_STR(json_string_value(json_object_get(type, "const")), name);
		CHECK(json_is_object(json_object_get(json_object_get(schema, "properties"), "data")));
	}
	CHECK(event_types[EVENT_TYPE_COUNT] == NULL);
	json_decref(catalog);
}

static enum wh_err no_handler(struct request *req)
{
	(void)req;
	return WH_OK;
}

/* Matches method and path against table; returns the result, with req's Allow list in allow. */
static enum wh_err match(const struct route *table, const char *method, const char *path, const struct route **r,
                         char allow[64])
{
	char copy[64];
	struct request req = {0};
	enum wh_err result;
	snprintf(copy, sizeof(copy), "%s", path);
	req.path = copy;
	req.method = (char *)method;
	result = router_match(table, &req, r);
	memcpy(allow, req.allow, sizeof(req.allow));
	free(req.path_copy);
	return result;
}

/* A 405's Allow lists every method of the matching patterns once, HEAD beside GET. */
TEST_SUITE(router_allow_for_405)
{
	static const struct route table[] = {
	    {"GET", "/v2/things", no_handler, false},           {"POST", "/v2/things", no_handler, false},
	    {"GET", "/v2/things/:id", no_handler, false},       {"PUT", "/v2/things/:id", no_handler, false},
	    {"POST", "/v2/things/:id", no_handler, false},      {"DELETE", "/v2/things/:id", no_handler, false},
	    {"POST", "/v2/things/:id/test", no_handler, false}, {NULL, NULL, NULL, false},
	};
	const struct route *r = NULL;
	char allow[64];
	CHECK(match(table, "PATCH", "/v2/things/abc", &r, allow) == WH_ERR_METHOD);
	CHECK_STR(allow, "GET, HEAD, PUT, POST, DELETE");
	CHECK(match(table, "GET", "/v2/things/abc/test", &r, allow) == WH_ERR_METHOD);
	CHECK_STR(allow, "POST");
	CHECK(match(table, "POST", "/v2/things/", &r, allow) == WH_OK && r == &table[1]);
	CHECK_STR(allow, "");
	CHECK(match(table, "GET", "/v2/other", &r, allow) == WH_ERR_NOT_FOUND);
	CHECK_STR(allow, "");
}
