/* The webhooks route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_WEBHOOKS_WEBHOOKS_H
#define WH_RESOURCES_WEBHOOKS_WEBHOOKS_H
#include "fcgi-app/core/router.h"

enum wh_err webhooks_create(struct request *req);
enum wh_err webhooks_list(struct request *req);
enum wh_err webhooks_get(struct request *req);
enum wh_err webhooks_update(struct request *req); /* PUT, PATCH and POST */
enum wh_err webhooks_delete(struct request *req);
enum wh_err webhooks_rotate_secret(struct request *req);
enum wh_err webhooks_test(struct request *req);

#endif
