/* The metric_offsets table (sql/009_ops.sql): what the *_total counters of /metrics keep of
 * rows that no longer count where they are, because retention deleted them or a resend
 * moved a delivery out of its final status. A counter is its rows plus its offset, so it
 * never goes down. */
#ifndef WH_METRIC_OFFSETS_H
#define WH_METRIC_OFFSETS_H
#include "common/db.h"

#define METRIC_ATTEMPTS_TOTAL "attempts_total"     /* labels "success", "failure" */
#define METRIC_DELIVERIES_TOTAL "deliveries_total" /* labels DELIVERY_SUCCEEDED, DELIVERY_FAILED */

/* Adds n to (metric, label); call it inside the transaction that removes or moves the rows.
 * n <= 0 does nothing. */
enum wh_err metric_offset_add(struct db *db, const char *metric, const char *label, long long n);

#endif
