/* Recording outcomes: the attempt row, the delivery's new state and next attempt (retry
 * policy), the webhook's health (last success/failure, failing_since) and automatic
 * disabling (410 at once; failing longer than disable_after_seconds). One transaction per
 * batch of finished jobs, each fenced by its lease: a worker that lost a lease records
 * only the attempt itself (superseded). */
#ifndef WH_RECORD_H
#define WH_RECORD_H
#include "common/db.h"
#include "delivery-worker/job.h"
#include "delivery-worker/retry.h"

struct record_opts {
	const struct retry_schedule *schedule; /* borrowed */
	long long disable_after_ms;
};

/* Most jobs recorded in one transaction. */
#define RECORD_BATCH_MAX 256

/* Records the first njobs finished jobs of the next-linked list in ONE transaction: per job
 * the delivery's new state (or, with skip set, fails it with the reason and no attempt),
 * fenced by its lease; then the attempt rows (multi-row INSERTs) and each webhook's health
 * once. A job whose lease was lost gets lease_lost set and leaves the delivery's state to
 * the lease's holder: its attempt row is still written, marked superseded, and counted in
 * the delivery's attempts (unless recorded_before: an earlier try of this record committed
 * although its answer was lost). The delivery's next attempt is timed on the database's
 * clock. *next_retry: when the earliest retry the batch scheduled comes due (epoch ms, about:
 * the database's clock adds it), 0 when none. WH_ERR_DB_DOWN (or another database error):
 * nothing written, try again later. */
enum wh_err record_batch(struct db *db, const struct record_opts *opts, struct job *jobs, size_t njobs,
                         long long *next_retry);

/* The error class stored for a skipped job ("webhook_disabled", ...). Static. */
const char *record_skip_reason(enum job_skip skip);

#endif
