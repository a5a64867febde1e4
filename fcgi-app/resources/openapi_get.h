/* The openapi get route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_OPENAPI_GET_H
#define WH_RESOURCES_OPENAPI_GET_H
#include "fcgi-app/core/router.h"

enum wh_err openapi_get(struct request *req);

#endif
