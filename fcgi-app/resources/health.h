/* The health route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_HEALTH_H
#define WH_RESOURCES_HEALTH_H
#include "fcgi-app/core/router.h"

enum wh_err health_get(struct request *req);

#endif
