/* Recording attempts and outcomes, webhook health and automatic disabling. */
#include "delivery-worker/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/webhook_row.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "delivery-worker/jsonrows.h"
#include "delivery-worker/opevents.h"
#include "delivery-worker/sqlrows.h"

static const char sql_attempt_head[] =
    "INSERT INTO delivery_attempts (delivery_id, webhook_id, at, duration_ms, ok, status_code, error, "
    "response_body, trigger_kind, superseded) VALUES ";
static const char sql_attempt_row[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
#define ATTEMPT_COLS 10

static const char sql_skip[] =
    "UPDATE deliveries SET status = 'failed', last_error = ?, next_attempt_at = NULL, lease_token = NULL, "
    "lease_expires = NULL, manual = 0, updated = ? WHERE id = ? AND lease_token = ?";

/* A lost lease: was this very attempt recorded by an earlier try whose commit answer was
 * lost (the fence fails because that commit cleared the lease)? */
static const char sql_attempt_seen[] =
    "SELECT 1 FROM delivery_attempts WHERE delivery_id = ? AND at = ? AND duration_ms = ? LIMIT 1";

/* A superseded attempt still counts among the delivery's attempts; the rest of the row
 * belongs to the worker that holds the lease now. */
static const char sql_superseded[] = "UPDATE deliveries SET attempts = attempts + 1 WHERE id = ?";

/* The webhooks' health after a batch, one row per webhook (sorted by id: STRAIGHT_JOIN
 * locks them in that order): the latest success and failure times; failing_since restarts
 * at the first failure after the batch's last success (NULL when a success came last), or
 * keeps its value when the batch had no success. */
static const char sql_health[] =
    "UPDATE JSON_TABLE(?, '$[*]' COLUMNS(id CHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[0]', "
    "ok BIGINT PATH '$[1]', bad BIGINT PATH '$[2]', ok_seen INT PATH '$[3]', since BIGINT PATH '$[4]')) v "
    "STRAIGHT_JOIN webhooks w ON w.id = v.id SET w.last_success_at = COALESCE(v.ok, w.last_success_at), "
    "w.last_failure_at = COALESCE(v.bad, w.last_failure_at), "
    "w.failing_since = IF(v.ok_seen = 1, v.since, COALESCE(w.failing_since, v.since))";
#define HEALTH_COLS 5

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
		if(!result)
			result = opevents_disabled(db, webhook_id, reason, now);
	}
	return result;
}

/* One webhook's outcomes in a batch, folded in the order the attempts ended. */
struct health {
	const char *webhook_id;
	long long last_ok_end;  /* end of the latest success, -1 when none */
	long long last_bad_end; /* end of the latest failure, -1 when none */
	long long since;        /* start of the first failure after the latest success, 0 when none */
	bool gone;              /* a 410 answer */
};

static int health_cmp(const void *a, const void *b)
{
	return strcmp(((const struct health *)a)->webhook_id, ((const struct health *)b)->webhook_id);
}

static struct health *health_of(struct health *h, size_t *n, const char *webhook_id)
{
	for(size_t i = 0; i < *n; i++)
		if(!strcmp(h[i].webhook_id, webhook_id))
			return &h[i];
	h[*n] = (struct health){webhook_id, -1, -1, 0, false};
	return &h[(*n)++];
}

/* Folds the recorded attempts (jobs whose lease held) per webhook; sorted by webhook id so
 * two workers lock webhook rows in the same order. */
static size_t health_fold(const struct job *jobs, size_t njobs, struct health *h)
{
	size_t n = 0, k = 0;
	const struct job *job = jobs;
	for(; job && k < njobs; job = job->next, k++) {
		struct health *w;
		long long end = job->at_ms + job->duration_ms;
		if(job->skip || job->lease_lost)
			continue;
		w = health_of(h, &n, job->webhook_id);
		if(!job->error && end > w->last_ok_end)
			w->last_ok_end = end;
		if(job->error) {
			w->last_bad_end = end > w->last_bad_end ? end : w->last_bad_end;
			w->gone = w->gone || job->status_code == 410;
		}
	}
	for(job = jobs, k = 0; job && k < njobs; job = job->next, k++) /* first failure after the last success */
		for(size_t i = 0; i < n; i++)
			if(job->error && !job->skip && !job->lease_lost && !strcmp(h[i].webhook_id, job->webhook_id) &&
			   job->at_ms + job->duration_ms > h[i].last_ok_end && (!h[i].since || job->at_ms < h[i].since))
				h[i].since = job->at_ms;
	qsort(h, n, sizeof(*h), health_cmp);
	return n;
}

/* Disables a webhook failing for longer than disable_after_ms (checked after its update). */
static enum wh_err maybe_disable(struct db *db, const struct record_opts *o, const char *webhook_id, long long now)
{
	struct db_rows rows;
	char reason[160], since[TIME_ISO_LEN + 1];
	enum wh_err result = db_exec(db, sql_failing_since, DBP(db_str(webhook_id)), &rows, NULL);
	if(result)
		return result;
	if(db_rows_get(&rows, 0, 0) && now - db_rows_i64(&rows, 0, 0) > o->disable_after_ms) {
		time_format_iso(db_rows_i64(&rows, 0, 0), since);
		snprintf(reason, sizeof(reason), "every delivery has failed since %s (more than %lld seconds)", since,
		         o->disable_after_ms / 1000);
		result = disable(db, webhook_id, reason, now);
	}
	db_rows_release(&rows);
	return result;
}

/* The health rows of the folded webhooks: sql_health's parameters. */
static void health_params(struct db_param *p, const struct health *h, size_t n, long long now)
{
	for(size_t i = 0; i < n; i++, p += HEALTH_COLS) {
		bool ok_seen = h[i].last_ok_end >= 0, failing = h[i].last_bad_end > h[i].last_ok_end;
		p[0] = db_str(h[i].webhook_id);
		p[1] = ok_seen ? db_i64(now) : db_null();
		p[2] = h[i].last_bad_end >= 0 ? db_i64(now) : db_null();
		p[3] = db_i64(ok_seen ? 1 : 0);
		p[4] = failing ? db_i64(h[i].since) : db_null();
	}
}

/* Webhook health in one statement per batch; 410 disables at once. */
static enum wh_err write_health(struct db *db, const struct record_opts *o, const struct job *jobs, size_t njobs,
                                long long now)
{
	struct health *h = xcalloc(njobs ? njobs : 1, sizeof(*h));
	size_t n = health_fold(jobs, njobs, h), nrecovering = 0;
	const char **recovering = xcalloc(n ? n : 1, sizeof(*recovering));
	struct db_param *p = xcalloc(n ? n * HEALTH_COLS : 1, sizeof(*p));
	enum wh_err result = WH_OK;
	for(size_t i = 0; i < n; i++) /* a success came last: maybe the end of a long failure */
		if(h[i].last_ok_end >= 0 && h[i].last_bad_end <= h[i].last_ok_end)
			recovering[nrecovering++] = h[i].webhook_id;
	if(nrecovering)
		result = opevents_recovered(db, recovering, nrecovering, now);
	health_params(p, h, n, now);
	if(!result)
		result = jsonrows_exec(db, sql_health, p, n, HEALTH_COLS, NULL);
	for(size_t i = 0; i < n && !result; i++) {
		if(h[i].gone)
			result = disable(db, h[i].webhook_id, "the endpoint answered 410 Gone", now);
		else if(h[i].last_bad_end > h[i].last_ok_end)
			result = maybe_disable(db, o, h[i].webhook_id, now);
	}
	free(p);
	free(recovering);
	free(h);
	return result;
}

/* What a row of a multi-row statement is filled from. */
struct fill_ctx {
	const struct record_opts *o;
	long long now;
	long long *next_retry; /* the earliest retry's due time, as outcome_params decides them */
};

/* A multi-row statement over the jobs of a batch that want() picks: the text is head, then
 * one row per job (separated by sep), then tail; each row has ncols parameters. */
struct rows_stmt {
	const char *head, *row, *sep, *tail;
	size_t ncols;
	bool (*want)(const struct job *job);
	void (*fill)(struct db_param *p, const struct job *job, const struct fill_ctx *ctx);
	/* with a result set: called per chunk with the chunk's jobs */
	void (*on_rows)(struct job **chunk, size_t n, const struct db_rows *rows);
	/* or, when set, the whole statement: the picked rows go in its one parameter, a JSON
	 * array of arrays (jsonrows.h), in one execution (no result set) */
	const char *json_sql;
};

/* Runs st->json_sql once over all the picked jobs (without a result set). */
static enum wh_err rows_exec_json(struct db *db, const struct rows_stmt *st, struct job *jobs, size_t njobs,
                                  const struct fill_ctx *ctx, uint64_t *affected)
{
	struct db_param *p = xcalloc(njobs ? njobs * st->ncols : 1, sizeof(*p));
	size_t i = 0, rows = 0;
	enum wh_err result;
	for(struct job *job = jobs; job && i < njobs; job = job->next, i++)
		if(st->want(job))
			st->fill(p + st->ncols * rows++, job, ctx);
	result = jsonrows_exec(db, st->json_sql, p, rows, st->ncols, affected);
	free(p);
	return result;
}

/* Runs st over the picked jobs, SQLROWS_MAX rows at a time (or st->json_sql once); adds
 * the affected rows to *affected when it is not NULL. */
static enum wh_err rows_exec(struct db *db, const struct rows_stmt *st, struct job *jobs, size_t njobs,
                             const struct fill_ctx *ctx, uint64_t *affected)
{
	struct db_param *p = NULL;
	struct job **picked = NULL;
	struct job *job = jobs;
	enum wh_err result = WH_OK;
	size_t i = 0, rows = 0;
	if(st->json_sql)
		return rows_exec_json(db, st, jobs, njobs, ctx, affected);
	p = xcalloc(SQLROWS_MAX * st->ncols, sizeof(*p));
	picked = xcalloc(SQLROWS_MAX, sizeof(*picked));
	for(const struct job *j = jobs; j && i < njobs; j = j->next, i++)
		rows += st->want(j);
	while(rows && !result) {
		size_t chunk = sqlrows_chunk(rows), k = 0;
		struct db_rows out;
		for(; k < chunk; job = job->next)
			if(st->want(job)) {
				st->fill(p + st->ncols * k, job, ctx);
				picked[k++] = job;
			}
		uint64_t n = 0;
		result = db_exec(db, sqlrows_text_sep(st->head, st->row, st->sep, st->tail, chunk), p,
		                 chunk * st->ncols, st->on_rows ? &out : NULL, &n);
		if(affected)
			*affected += n;
		if(!result && st->on_rows) {
			st->on_rows(picked, chunk, &out);
			db_rows_release(&out);
		}
		rows -= chunk;
	}
	free(picked);
	free(p);
	return result;
}

static const char sep_comma[] = ", ";

static bool every_job(const struct job *job)
{
	(void)job;
	return true;
}

/* Each job's delivery row, locked: the jobs whose lease it no longer holds get lease_lost. */
static const char sql_lock_head[] = "SELECT id, lease_token FROM deliveries WHERE id IN (";
static const char sql_lock_row[] = "?";
static const char sql_lock_tail[] = ") FOR UPDATE";

static void lock_params(struct db_param *p, const struct job *job, const struct fill_ctx *ctx)
{
	(void)ctx;
	p[0] = db_str(job->id);
}

static void lock_seen(struct job **chunk, size_t n, const struct db_rows *rows)
{
	for(size_t k = 0; k < n; k++) {
		struct job *job = chunk[k];
		job->lease_lost = true;
		job->recorded_before = false;
		for(size_t r = 0; r < rows->nrows; r++)
			if(!strcmp(db_rows_get(rows, r, 0), job->id) && db_rows_get(rows, r, 1) &&
			   !strcmp(db_rows_get(rows, r, 1), job->lease))
				job->lease_lost = false;
	}
}

static const struct rows_stmt lock_stmt = {sql_lock_head, sql_lock_row, sep_comma, sql_lock_tail, 1,
                                           every_job,     lock_params,  lock_seen, NULL};

/* The outcomes of the attempts whose lease held, in one multi-table UPDATE joined to the
 * batch's rows (JSON_TABLE over one parameter: one statement whatever the batch's size);
 * next_attempt_at on the database's clock like the claims that compare it (the delay is
 * NULL when the delivery is done). The join is the fence: a row whose lease changed is not
 * matched. STRAIGHT_JOIN reads the batch first, so the rows are locked in its order. */
static const char sql_outcome[] =
    "UPDATE JSON_TABLE(?, '$[*]' COLUMNS(id CHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[0]', "
    "lease CHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[1]', st VARCHAR(10) PATH '$[2]', "
    "delay BIGINT PATH '$[3]', inc INT PATH '$[4]', code INT PATH '$[5]', err VARCHAR(64) PATH '$[6]', "
    "at BIGINT PATH '$[7]', upd BIGINT PATH '$[8]')) v STRAIGHT_JOIN deliveries d ON d.id = v.id "
    "AND d.lease_token = v.lease SET d.status = IF(d.manual = 1, 'pending', v.st), "
    "d.next_attempt_at = IF(d.manual = 1, " DB_NOW_MS ", " DB_NOW_MS " + v.delay), d.attempts = d.attempts + 1, "
    "d.sched_attempts = d.sched_attempts + v.inc, d.last_status_code = v.code, d.last_error = v.err, "
    "d.last_attempt_at = v.at, d.lease_token = NULL, d.lease_expires = NULL, d.updated = v.upd";
#define OUTCOME_COLS 9

static bool outcome_due(const struct job *job)
{
	return !job->skip && !job->lease_lost;
}

static void outcome_params(struct db_param *p, const struct job *job, const struct fill_ctx *ctx)
{
	struct retry_attempt a = {!job->error, job->status_code, job->retry_after_s, job->sched_attempts, job->manual};
	struct retry_decision d = retry_decide(ctx->o->schedule, &a, rand01());
	if(d.delay_ms >= 0 && (!*ctx->next_retry || ctx->now + d.delay_ms < *ctx->next_retry))
		*ctx->next_retry = ctx->now + d.delay_ms;
	p[0] = db_str(job->id);
	p[1] = db_str(job->lease);
	p[2] = db_str(d.status);
	p[3] = d.delay_ms < 0 ? db_null() : db_i64(d.delay_ms);
	p[4] = db_i64(d.sched_inc);
	p[5] = job->status_code ? db_i64(job->status_code) : db_null();
	p[6] = db_str(job->error);
	p[7] = db_i64(job->at_ms);
	p[8] = db_i64(ctx->now);
}

static const struct rows_stmt outcome_stmt = {
    .ncols = OUTCOME_COLS, .json_sql = sql_outcome, .want = outcome_due, .fill = outcome_params};

static void attempt_params(struct db_param *p, const struct job *job, const struct fill_ctx *ctx)
{
	struct db_param code = job->status_code ? db_i64(job->status_code) : db_null();
	(void)ctx;
	p[0] = db_str(job->id);
	p[1] = db_str(job->webhook_id);
	p[2] = db_i64(job->at_ms);
	p[3] = db_i64(job->duration_ms);
	p[4] = db_i64(job->error ? 0 : 1);
	p[5] = code;
	p[6] = db_str(job->error);
	p[7] = job->status_code || job->body.len ? db_blob(buf_str(&job->body), job->body.len) : db_null();
	p[8] = db_str(job->manual ? "manual" : "scheduled");
	p[9] = db_i64(job->lease_lost ? 1 : 0);
}

/* Does the job get an attempt row? Every attempt made does, once: superseded ones too. */
static bool attempt_row_due(const struct job *job)
{
	return !job->skip && !job->recorded_before;
}

static const struct rows_stmt attempt_stmt = {sql_attempt_head, sql_attempt_row, sep_comma, "",  ATTEMPT_COLS,
                                              attempt_row_due,  attempt_params,  NULL,      NULL};

/* The webhook's hourly counters (sql/013_webhook_read.sql) count the same attempt rows, in
 * the same transaction: the batch's attempts are added up per (webhook, hour) here, then
 * written in one upsert of the batch's counter rows (JSON_TABLE), a row per counter (not
 * per attempt). */
static const char sql_stats[] =
    "INSERT INTO webhook_stats_hourly (webhook_id, hour, succeeded, failed) SELECT v.id, v.hour, v.ok, v.bad "
    "FROM JSON_TABLE(?, '$[*]' COLUMNS(id CHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[0]', "
    "hour BIGINT PATH '$[1]', ok INT PATH '$[2]', bad INT PATH '$[3]')) v "
    "ON DUPLICATE KEY UPDATE succeeded = succeeded + VALUES(succeeded), failed = failed + VALUES(failed)";
#define STATS_COLS 4

struct stats_row {
	const char *webhook_id; /* borrowed from a job */
	long long hour, succeeded, failed;
};

static int stats_cmp(const void *a, const void *b)
{
	const struct stats_row *x = a, *y = b;
	int c = strcmp(x->webhook_id, y->webhook_id);
	return c ? c : (x->hour > y->hour) - (x->hour < y->hour);
}

/* The batch's counters, sorted by (webhook, hour) so two workers lock them in one order. */
static size_t stats_fold(const struct job *jobs, size_t njobs, struct stats_row *out)
{
	size_t n = 0, k = 0;
	for(const struct job *job = jobs; job && k < njobs; job = job->next, k++) {
		long long hour = job->at_ms / WEBHOOK_STATS_HOUR_MS;
		size_t i = 0;
		if(!attempt_row_due(job))
			continue;
		while(i < n && (out[i].hour != hour || strcmp(out[i].webhook_id, job->webhook_id)))
			i++;
		if(i == n)
			out[n++] = (struct stats_row){job->webhook_id, hour, 0, 0};
		out[i].succeeded += job->error ? 0 : 1;
		out[i].failed += job->error ? 1 : 0;
	}
	qsort(out, n, sizeof(*out), stats_cmp);
	return n;
}

static enum wh_err write_stats(struct db *db, const struct job *jobs, size_t njobs)
{
	struct stats_row *rows = xcalloc(njobs ? njobs : 1, sizeof(*rows));
	size_t n = stats_fold(jobs, njobs, rows);
	struct db_param *p = xcalloc(n ? n * STATS_COLS : 1, sizeof(*p));
	enum wh_err result;
	for(size_t k = 0; k < n; k++) {
		struct db_param *q = p + STATS_COLS * k;
		q[0] = db_str(rows[k].webhook_id);
		q[1] = db_i64(rows[k].hour);
		q[2] = db_i64(rows[k].succeeded);
		q[3] = db_i64(rows[k].failed);
	}
	result = jsonrows_exec(db, sql_stats, p, n, STATS_COLS, NULL);
	free(p);
	free(rows);
	return result;
}

/* An attempt whose lease was lost: recorded before (an earlier try committed), or
 * superseded (counted on the delivery; its attempt row is marked). */
static enum wh_err write_lost(struct db *db, struct job *job)
{
	struct db_rows rows;
	enum wh_err result;
	if(job->skip)
		return WH_OK;
	result = db_exec(db, sql_attempt_seen, DBP(db_str(job->id), db_i64(job->at_ms), db_i64(job->duration_ms)),
	                 &rows, NULL);
	if(result)
		return result;
	job->recorded_before = rows.nrows > 0;
	db_rows_release(&rows);
	if(!job->recorded_before)
		result = db_exec(db, sql_superseded, DBP(db_str(job->id)), NULL, NULL);
	return result;
}

/* Per job what the multi-row outcome doesn't cover: a lost lease, or a skip (rare both). */
static enum wh_err write_exceptions(struct db *db, struct job *jobs, size_t njobs, long long now)
{
	enum wh_err result = WH_OK;
	size_t i = 0;
	for(struct job *job = jobs; job && i < njobs && !result; job = job->next, i++) {
		if(job->lease_lost)
			result = write_lost(db, job);
		else if(job->skip)
			result = db_exec(db, sql_skip,
			                 DBP(db_str(record_skip_reason(job->skip)), db_i64(now), db_str(job->id),
			                     db_str(job->lease)),
			                 NULL, NULL);
	}
	return result;
}

/* The usual case, every lease of the batch held: the outcomes are written at once, without
 * locking and reading the rows first; each changes its row (attempts + 1), so fewer
 * affected rows than outcomes means a lease was lost: *relock is set, and the caller rolls
 * back and records the batch the careful way (lock_stmt, write_exceptions). */
static enum wh_err outcomes_held(struct db *db, struct job *jobs, size_t njobs, const struct fill_ctx *ctx,
                                 bool *relock)
{
	uint64_t want = 0, got = 0;
	size_t i = 0;
	enum wh_err result;
	for(struct job *job = jobs; job && i < njobs; job = job->next, i++) {
		job->lease_lost = job->recorded_before = false;
		want += !job->skip;
	}
	result = rows_exec(db, &outcome_stmt, jobs, njobs, ctx, &got);
	*relock = !result && got != want;
	if(!result && !*relock)
		result = write_exceptions(db, jobs, njobs, ctx->now); /* the skipped ones, fenced */
	return result;
}

/* One try: with lock_first the rows are locked and their leases read before anything is
 * written; without, outcomes_held (*relock set when that was not enough: nothing written). */
static enum wh_err record_once(struct db *db, const struct record_opts *o, struct job *jobs, size_t njobs,
                               bool lock_first, bool *relock, long long *next_retry)
{
	struct fill_ctx ctx = {o, time_now_ms(), next_retry};
	enum wh_err result = db_begin(db);
	*relock = false;
	if(result)
		return result;
	if(lock_first) {
		result = rows_exec(db, &lock_stmt, jobs, njobs, &ctx, NULL);
		if(!result)
			result = write_exceptions(db, jobs, njobs, ctx.now);
		if(!result)
			result = rows_exec(db, &outcome_stmt, jobs, njobs, &ctx, NULL);
	} else {
		result = outcomes_held(db, jobs, njobs, &ctx, relock);
	}
	if(!result && !*relock)
		result = rows_exec(db, &attempt_stmt, jobs, njobs, &ctx, NULL);
	if(!result && !*relock)
		result = write_stats(db, jobs, njobs);
	if(!result && !*relock)
		result = write_health(db, o, jobs, njobs, ctx.now);
	if(!result && !*relock)
		result = db_commit(db);
	if(result || *relock)
		db_rollback(db);
	return result;
}

enum wh_err record_batch(struct db *db, const struct record_opts *opts, struct job *jobs, size_t njobs,
                         long long *next_retry)
{
	enum wh_err result = WH_OK;
	bool relock = false;
	*next_retry = 0;
	for(int tries = 0; tries < 3; tries++) {
		result = record_once(db, opts, jobs, njobs, relock, &relock, next_retry);
		if(!result && relock) /* a lease was lost: again, locking first */
			result = record_once(db, opts, jobs, njobs, true, &relock, next_retry);
		if(!result || !db_last_retryable(db))
			break;
	}
	return result;
}
