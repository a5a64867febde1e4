/* The locations route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_LOCATIONS_H
#define WH_RESOURCES_LOCATIONS_H
#include <stdbool.h>

#include "fcgi-app/core/router.h"

enum wh_err location_create(struct request *req);
enum wh_err location_list(struct request *req);
enum wh_err location_get(struct request *req);
enum wh_err location_update(struct request *req);
enum wh_err location_delete(struct request *req);

/* Inside a write transaction: locks the location and sets isWaitlistOpen; when that
 * changes it, writes location.updated and location-status.updated (both resources show
 * it). WH_ERR_NOT_FOUND when absent. */
enum wh_err location_set_waitlist_open(struct request *req, const char *id, bool open);

#endif
