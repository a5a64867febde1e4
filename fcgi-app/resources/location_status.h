/* The location status route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_LOCATION_STATUS_H
#define WH_RESOURCES_LOCATION_STATUS_H
#include "fcgi-app/core/router.h"

enum wh_err location_status_get(struct request *req);
enum wh_err location_status_update(struct request *req);

#endif
