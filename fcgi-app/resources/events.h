/* The events route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_EVENTS_H
#define WH_RESOURCES_EVENTS_H
#include "fcgi-app/core/router.h"

enum wh_err event_list(struct request *req);
enum wh_err event_get(struct request *req);

#endif
