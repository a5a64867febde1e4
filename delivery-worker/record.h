/* Recording outcomes: the attempt row, the delivery's new state and next attempt (retry
 * policy), the webhook's health (last success/failure, failing_since) and automatic
 * disabling (410 at once; failing longer than disable_after_seconds). One short
 * transaction per job, fenced by the job's lease: a worker that lost its lease writes
 * nothing. */
#ifndef WH_RECORD_H
#define WH_RECORD_H
#include "common/db.h"
#include "delivery-worker/job.h"
#include "delivery-worker/retry.h"

struct record_opts {
	const struct retry_schedule *schedule; /* borrowed */
	long long disable_after_ms;
};

/* Records a finished attempt, or for a job with skip set, fails the delivery with the
 * reason and no attempt. WH_OK also when the lease was lost (logged, nothing written).
 * WH_ERR_DB_DOWN (or another database error): nothing written, try again later. */
enum wh_err record_job(struct db *db, const struct record_opts *opts, const struct job *job);

/* The error class stored for a skipped job ("webhook_disabled", ...). Static. */
const char *record_skip_reason(enum job_skip skip);

#endif
