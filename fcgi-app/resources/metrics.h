/* The metrics route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_METRICS_H
#define WH_RESOURCES_METRICS_H
#include "fcgi-app/core/router.h"

enum wh_err metrics_get(struct request *req);

#endif
