/* The visits route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_VISITS_H
#define WH_RESOURCES_VISITS_H
#include "fcgi-app/core/router.h"

enum wh_err visit_create(struct request *req);
enum wh_err visit_list(struct request *req);
enum wh_err visit_get(struct request *req);
enum wh_err visit_update(struct request *req);
enum wh_err visit_delete(struct request *req);

#endif
