/* The locations route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_LOCATIONS_H
#define WH_RESOURCES_LOCATIONS_H
#include <jansson.h>
#include <stdbool.h>

#include "fcgi-app/core/router.h"

enum wh_err location_create(struct request *req);
enum wh_err location_list(struct request *req);
enum wh_err location_get(struct request *req);
enum wh_err location_update(struct request *req);
enum wh_err location_delete(struct request *req);

/* Inside a write transaction: locks the location and sets isWaitlistOpen; when that
 * changes it, writes location.updated and location-status.updated (both resources show
 * it). *status (new) is the location status after it. WH_ERR_NOT_FOUND when absent. */
enum wh_err location_set_waitlist_open(struct request *req, const char *id, bool open, json_t **status);

/* The location resource {id, name, timezone, isWaitlistOpen, created, updated}.
 * LOCATION_COLS is the column list location_render reads, in that order. */
#define LOCATION_COLS "id, name, timezone, is_waitlist_open, created, updated"
json_t *location_render(const struct db_rows *rows, size_t r); /* new */
/* Loads the account's location (*out new); FOR UPDATE when lock (location and visit writes
 * lock with location_lock). WH_ERR_NOT_FOUND when absent or another account's. */
enum wh_err location_load(struct request *req, const char *id, bool lock, json_t **out);

/* A location row locked by a write: the location resource (new; json_decref it), its
 * stored counts {num_waiting, num_serving, num_booked} and status time as of the lock. */
struct location_locked {
	json_t *location;
	long long counts[3];
	long long status_updated;
};
/* Locks the account's location (FOR UPDATE), as every visit and location write does first
 * so counts stay right, and reads its counts in the same statement. WH_ERR_NOT_FOUND when
 * absent. */
enum wh_err location_lock(struct request *req, const char *id, struct location_locked *out);
/* location_lock in two halves, for a caller that sends the lock in a flight with other
 * statements (db_exec_many): the statement (its parameters in p, its rows into rows), then
 * out from its rows (released). id must be valid. */
struct db_stmt location_lock_stmt(struct request *req, const char *id, struct db_param p[2], struct db_rows *rows);
enum wh_err location_locked_of(struct db_rows *rows, struct location_locked *out);

#endif
