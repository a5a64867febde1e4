/* Retention (SPEC §10): attempts, finished deliveries, fanned-out events and audit log
 * entries older than retention_days are deleted in small batches, so no statement holds many locks. */
#ifndef WH_RETENTION_H
#define WH_RETENTION_H
#include "common/db.h"

/* Deletes at most a few small batches of rows older than cutoff_ms; *deleted receives the
 * count. Call it periodically: a large backlog is worked off over several calls. */
enum wh_err retention_run(struct db *db, long long cutoff_ms, unsigned long long *deleted);

#endif
