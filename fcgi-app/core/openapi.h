/* The OpenAPI 3.1 document, merged from the fragments in openapi/ at build time. */
#ifndef WH_OPENAPI_H
#define WH_OPENAPI_H

extern const char openapi_json[];

#endif
