/* GET /v2/event-types[/{name}]: the event catalog, built into the binary at build time. */
#include <stdio.h>
#include <string.h>

#include "fcgi-app/core/openapi.h"
#include "fcgi-app/resources/event_types.h"

enum wh_err event_types_list(struct request *req)
{
	static const char *const none[] = {NULL};
	enum wh_err result = http_query_only(req, none);
	if(result)
		return result;
	http_send_raw(req, 200, "application/json; charset=utf-8", event_types_json, strlen(event_types_json));
	return WH_OK;
}

enum wh_err event_types_get(struct request *req)
{
	static const char *const none[] = {NULL};
	const char *name = req->params[0];
	json_t *catalog = NULL, *entry;
	size_t i;
	enum wh_err result = http_query_only(req, none);
	if(result)
		return result;
	/* The catalog is a dozen entries: parsing it per request costs less than keeping state. */
	catalog = json_loads(event_types_json, 0, NULL);
	if(!catalog)
		return WH_ERR_INTERNAL;
	result = WH_ERR_NOT_FOUND;
	json_array_foreach(json_object_get(catalog, "results"), i, entry)
	{
		if(!strcmp(json_string_value(json_object_get(entry, "name")), name)) {
			http_send_json(req, 200, entry);
			result = WH_OK;
			break;
		}
	}
	if(result)
		snprintf(req->err.message, sizeof(req->err.message), "unknown event type '%.60s'", name);
	json_decref(catalog);
	return result;
}
