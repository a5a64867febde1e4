/* Fan-out: turns outbox events (fanned_out = 0) into one pending delivery per matching
 * webhook (SPEC §7 matching), decided once, in the short transaction that marks the
 * events fanned out. Events are claimed with FOR UPDATE SKIP LOCKED, so several workers
 * fan out different events at the same time. */
#ifndef WH_FANOUT_H
#define WH_FANOUT_H
#include "common/db.h"

/* Fans out up to batch events in one transaction. *nevents receives how many were
 * handled. WH_ERR_DB_DOWN when the database is gone (nothing half-done: rolled back). */
enum wh_err fanout_run(struct db *db, long long batch, size_t *nevents);

#endif
