/* Recording attempts and outcomes, webhook health and automatic disabling. */
#include "delivery-worker/record.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/ids.h"
#include "common/log.h"

static const char sql_outcome[] =
    "UPDATE deliveries SET status = IF(manual = 1, 'pending', ?), next_attempt_at = IF(manual = 1, ?, ?), "
    "attempts = attempts + 1, sched_attempts = sched_attempts + ?, last_status_code = ?, last_error = ?, "
    "last_attempt_at = ?, lease_token = NULL, lease_expires = NULL, updated = ? "
    "WHERE id = ? AND lease_token = ?";

static const char sql_attempt[] =
    "INSERT INTO delivery_attempts (delivery_id, webhook_id, at, duration_ms, ok, status_code, error, "
    "response_body, trigger_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

static const char sql_skip[] =
    "UPDATE deliveries SET status = 'failed', last_error = ?, next_attempt_at = NULL, lease_token = NULL, "
    "lease_expires = NULL, manual = 0, updated = ? WHERE id = ? AND lease_token = ?";

static const char sql_healthy[] = "UPDATE webhooks SET last_success_at = ?, failing_since = NULL WHERE id = ?";

static const char sql_failing[] =
    "UPDATE webhooks SET last_failure_at = ?, failing_since = COALESCE(failing_since, ?) WHERE id = ?";

static const char sql_failing_since[] = "SELECT failing_since FROM webhooks WHERE id = ? AND disabled_at IS NULL";

static const char sql_disable[] = "UPDATE webhooks SET disabled_at = ?, disabled_reason = ?, failing_since = NULL "
                                  "WHERE id = ? AND disabled_at IS NULL";

static const char sql_stop_pending[] =
    "UPDATE deliveries SET status = 'failed', last_error = 'webhook_disabled', next_attempt_at = NULL, "
    "manual = 0, updated = ? WHERE webhook_id = ? AND status = 'pending' AND lease_token IS NULL";

const char *record_skip_reason(enum job_skip skip)
{
	switch(skip) {
	case JOB_SKIP_WEBHOOK_DELETED:
		return "webhook_deleted";
	case JOB_SKIP_WEBHOOK_INACTIVE:
		return "webhook_inactive";
	case JOB_SKIP_WEBHOOK_DISABLED:
		return "webhook_disabled";
	case JOB_SKIP_EVENT_EXPIRED:
		return "event_expired";
	case JOB_SKIP_SECRET_UNREADABLE:
		return "secret_unreadable";
	case JOB_SEND:
		break;
	}
	return "internal";
}

static double rand01(void)
{
	return (double)(random() % 1000000) / 1000000.0;
}

static enum wh_err disable(struct db *db, const char *webhook_id, const char *reason, long long now)
{
	uint64_t n = 0;
	enum wh_err result = db_exec(db, sql_disable, DBP(db_i64(now), db_str(reason), db_str(webhook_id)), NULL, &n);
	if(!result && n) {
		log_warn("webhook %s disabled: %s", webhook_id, reason);
		result = db_exec(db, sql_stop_pending, DBP(db_i64(now), db_str(webhook_id)), NULL, NULL);
	}
	return result;
}

static enum wh_err webhook_health(struct db *db, const struct record_opts *o, const struct job *job, long long now)
{
	struct db_rows rows;
	char reason[160], since[TIME_ISO_LEN + 1];
	enum wh_err result;
	if(!job->error)
		return db_exec(db, sql_healthy, DBP(db_i64(now), db_str(job->webhook_id)), NULL, NULL);
	result = db_exec(db, sql_failing, DBP(db_i64(now), db_i64(job->at_ms), db_str(job->webhook_id)), NULL, NULL);
	if(result)
		return result;
	if(job->status_code == 410)
		return disable(db, job->webhook_id, "the endpoint answered 410 Gone", now);
	result = db_exec(db, sql_failing_since, DBP(db_str(job->webhook_id)), &rows, NULL);
	if(result)
		return result;
	if(db_rows_get(&rows, 0, 0) && now - db_rows_i64(&rows, 0, 0) > o->disable_after_ms) {
		time_format_iso(db_rows_i64(&rows, 0, 0), since);
		snprintf(reason, sizeof(reason), "every delivery has failed since %s (more than %lld seconds)", since,
		         o->disable_after_ms / 1000);
		result = disable(db, job->webhook_id, reason, now);
	}
	db_rows_release(&rows);
	return result;
}

static enum wh_err write_attempt(struct db *db, const struct record_opts *o, const struct job *job, uint64_t *n)
{
	long long now = time_now_ms();
	struct retry_attempt a = {!job->error, job->status_code, job->retry_after_s, job->sched_attempts, job->manual};
	struct retry_decision d = retry_decide(o->schedule, &a, rand01());
	struct db_param next = d.delay_ms < 0 ? db_null() : db_i64(now + d.delay_ms);
	struct db_param code = job->status_code ? db_i64(job->status_code) : db_null();
	enum wh_err result;

	result = db_exec(db, sql_outcome,
	                 DBP(db_str(d.status), db_i64(now), next, db_i64(d.sched_inc), code, db_str(job->error),
	                     db_i64(job->at_ms), db_i64(now), db_str(job->id), db_str(job->lease)),
	                 NULL, n);
	if(result || !*n)
		return result;
	result =
	    db_exec(db, sql_attempt,
	            DBP(db_str(job->id), db_str(job->webhook_id), db_i64(job->at_ms), db_i64(job->duration_ms),
	                db_i64(job->error ? 0 : 1), code, db_str(job->error),
	                job->status_code || job->body.len ? db_blob(buf_str(&job->body), job->body.len) : db_null(),
	                db_str(job->manual ? "manual" : "scheduled")),
	            NULL, NULL);
	if(!result)
		result = webhook_health(db, o, job, now);
	return result;
}

static enum wh_err record_once(struct db *db, const struct record_opts *o, const struct job *job)
{
	uint64_t n = 0;
	enum wh_err result = db_begin(db);
	if(result)
		return result;
	if(job->skip)
		result = db_exec(db, sql_skip,
		                 DBP(db_str(record_skip_reason(job->skip)), db_i64(time_now_ms()), db_str(job->id),
		                     db_str(job->lease)),
		                 NULL, &n);
	else
		result = write_attempt(db, o, job, &n);
	if(!result && !n) {
		log_warn("delivery %s: lease lost, outcome dropped", job->id);
		db_rollback(db);
		return WH_OK;
	}
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	return result;
}

enum wh_err record_job(struct db *db, const struct record_opts *opts, const struct job *job)
{
	enum wh_err result = WH_OK;
	for(int tries = 0; tries < 3; tries++) {
		result = record_once(db, opts, job);
		if(!result || !db_last_retryable(db))
			break;
	}
	return result;
}
