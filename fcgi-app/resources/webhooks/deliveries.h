/* The deliveries route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_WEBHOOKS_DELIVERIES_H
#define WH_RESOURCES_WEBHOOKS_DELIVERIES_H
#include "fcgi-app/core/router.h"

enum wh_err deliveries_list(struct request *req);
enum wh_err deliveries_get(struct request *req);
enum wh_err deliveries_resend(struct request *req);
enum wh_err webhooks_recover(struct request *req);

#endif
