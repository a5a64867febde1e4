/* The API keys route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_API_KEYS_H
#define WH_RESOURCES_API_KEYS_H
#include "fcgi-app/core/router.h"

enum wh_err api_keys_list(struct request *req);
enum wh_err api_keys_create(struct request *req);
enum wh_err api_keys_delete(struct request *req);

#endif
