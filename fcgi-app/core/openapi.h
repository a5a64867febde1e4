/* The documents built from openapi/ at build time (scripts/openapi-embed.py). */
#ifndef WH_OPENAPI_H
#define WH_OPENAPI_H

/* The OpenAPI 3.1 document, merged from the fragments in openapi/ and the event catalog. */
extern const char openapi_json[];

/* The answer of GET /v2/event-types: {"results":[{name, description, schema, example}]},
 * built from openapi/events/catalog.json. */
extern const char event_types_json[];

#endif
