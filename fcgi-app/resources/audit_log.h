/* The audit log route handler (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_AUDIT_LOG_H
#define WH_RESOURCES_AUDIT_LOG_H
#include "fcgi-app/core/router.h"

enum wh_err audit_log_list(struct request *req);

#endif
