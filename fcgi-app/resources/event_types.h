/* The event catalog route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_EVENT_TYPES_H
#define WH_RESOURCES_EVENT_TYPES_H
#include "fcgi-app/core/router.h"

/* GET /v2/event-types: every event type with its description, example envelope and JSON
 * Schema, as built from openapi/events/catalog.json. No query parameters. */
enum wh_err event_types_list(struct request *req);

/* GET /v2/event-types/{name}: one entry of that list; 404 for an unknown name. */
enum wh_err event_types_get(struct request *req);

#endif
