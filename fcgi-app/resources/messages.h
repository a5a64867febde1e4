/* The messages route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_MESSAGES_H
#define WH_RESOURCES_MESSAGES_H
#include "fcgi-app/core/router.h"

enum wh_err message_create(struct request *req);
enum wh_err message_list(struct request *req);
enum wh_err message_get(struct request *req);
enum wh_err message_update(struct request *req);

#endif
