/* The health route handlers (the route table is fcgi-app/core/routes.c). */
#ifndef WH_RESOURCES_HEALTH_H
#define WH_RESOURCES_HEALTH_H
#include "fcgi-app/core/router.h"

/* A worker counts as alive when its heartbeat row was written within this (SPEC §12). */
#define HEALTH_WORKER_SEEN_MS 30000

/* GET /v2/health: {status, database, workers: {alive}, outbox: {oldestPendingSeconds}};
 * 503 "degraded" when the database can't be asked or no worker was seen lately. */
enum wh_err health_get(struct request *req);
/* GET /v2/live: the process answers (no database call), for load balancers. */
enum wh_err health_live(struct request *req);

#endif
