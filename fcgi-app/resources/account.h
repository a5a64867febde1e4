/* The account route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_ACCOUNT_H
#define WH_RESOURCES_ACCOUNT_H
#include "fcgi-app/core/router.h"

enum wh_err account_get(struct request *req);

#endif
