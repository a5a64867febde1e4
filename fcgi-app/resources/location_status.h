/* The location status route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_LOCATION_STATUS_H
#define WH_RESOURCES_LOCATION_STATUS_H
#include <jansson.h>

#include "fcgi-app/core/router.h"
#include "fcgi-app/resources/locations.h"

enum wh_err location_status_get(struct request *req);
enum wh_err location_status_update(struct request *req);

/* The location status {locationId, isWaitlistOpen, numWaiting, numServing, numBooked,
 * updated} of the account's location (*out new), read from the location row (the counts
 * are kept there by every visit write). WH_ERR_NOT_FOUND when absent. */
enum wh_err location_status_load(struct request *req, const char *location_id, json_t **out);
/* The location status resource (new), in the key order of every answer and event. */
json_t *location_status_of(const char *id, bool open, const long long counts[3], long long updated);
/* Inside a visit write transaction, with the visit's location locked: runs the visit's
 * write statements (nwrites 0..LOCATION_STATUS_WRITES_MAX), emits the visit event `type`
 * with data `visit` (borrowed, its state as the event's visit state) and, when the move
 * from state `from` to `to` (either NULL: created or deleted) changes a count, adjusts the
 * counts kept on the location row, sets the status's updated time to now and emits
 * location-status.updated after it (built from the locked row plus the change, no read
 * back). All of it in one round trip (tx_write_emit), both events in one INSERT. */
#define LOCATION_STATUS_WRITES_MAX 2
enum wh_err location_status_visit_write(struct request *req, const struct location_locked *locked,
                                        const struct db_stmt *writes, size_t nwrites, const char *type,
                                        const json_t *visit, const char *from, const char *to);

#endif
