/* Claiming due deliveries: lease, load, decrypt secrets, sign. */
#include "delivery-worker/claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/inbox_url.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/xalloc.h"
#include "delivery-worker/extra_headers.h"
#include "delivery-worker/sqlrows.h"

#define CHUNK 16
#define IN16 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

static const char sql_due[] =
    "SELECT id, manual FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
    "AND FIND_IN_SET(webhook_id, ?) = 0 ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED";

static const char sql_lease[] =
    "UPDATE deliveries SET lease_token = ?, lease_expires = ?, next_attempt_at = ?, manual = 0 "
    "WHERE id IN " IN16;

static const char sql_load[] =
    "SELECT d.id, d.webhook_id, d.event_id, d.sched_attempts, e.payload, w.url, w.secret_enc, "
    "w.prev_secret_enc, w.prev_secret_expires, w.is_active, w.disabled_at, w.oauth_json, w.oauth_key_enc, "
    "w.headers_enc "
    "FROM deliveries d LEFT JOIN events e ON e.seq = d.event_seq LEFT JOIN webhooks w ON w.id = d.webhook_id "
    "WHERE d.lease_token = ? AND d.id IN " IN16;

/* A released manual attempt stays manual (the claim cleared the flag). */
static const char sql_release[] =
    "UPDATE deliveries SET lease_token = NULL, lease_expires = NULL, next_attempt_at = ?, "
    "manual = GREATEST(manual, ?) WHERE id = ? AND lease_token = ?";

static const char sql_release_head[] = "UPDATE deliveries SET lease_token = NULL, lease_expires = NULL, "
                                       "next_attempt_at = ? WHERE lease_token = ? AND id IN (";
static const char sql_release_row[] = "?";
static const char sql_release_tail[] = ")";

/* Fills p[first..first+CHUNK) with the ids of rows [from, from+CHUNK), "" past the end. */
static void chunk_params(struct db_param *p, const struct db_rows *ids, size_t from)
{
	for(size_t i = 0; i < CHUNK; i++)
		p[i] = db_str(from + i < ids->nrows ? db_rows_get(ids, from + i, 0) : "");
}

static enum wh_err lease_rows(struct db *db, const struct claim_opts *o, const char *lease, struct db_rows *ids)
{
	long long now = time_now_ms(), expires = now + o->lease_ms;
	enum wh_err result = db_begin(db);
	if(result)
		return result;
	result = db_exec(db, sql_due, DBP(db_i64(now), db_str(o->exclude), db_i64(o->limit)), ids, NULL);
	for(size_t from = 0; !result && from < ids->nrows; from += CHUNK) {
		struct db_param p[CHUNK + 3] = {db_str(lease), db_i64(expires), db_i64(expires)};
		chunk_params(p + 3, ids, from);
		result = db_exec(db, sql_lease, p, CHUNK + 3, NULL, NULL);
	}
	if(!result)
		result = db_commit(db);
	if(result) {
		db_rollback(db);
		db_rows_release(ids);
	}
	return result;
}

/* Opens a sealed secret into out; false (logged without the secret) when it can't. */
static bool open_secret(const unsigned char *key, const char *webhook_id, const char *which, const char *sealed,
                        size_t len, struct buf *out)
{
	char aad[64];
	snprintf(aad, sizeof(aad), "webhook:%s:%s", webhook_id, which);
	if(crypto_open(key, aad, sealed, len, out)) {
		log_err("webhook %s: the %s does not open under the master key", webhook_id, which);
		return false;
	}
	return true;
}

/* Signs the job with the current secret, plus the previous one during a rotation overlap. */
static enum wh_err job_sign(struct job *job, const struct claim_opts *o, const struct db_rows *rows, size_t r)
{
	struct buf cur, prev;
	struct sign_key keys[2];
	size_t nkeys = 0;
	enum wh_err result = WH_ERR_CRYPTO;
	buf_init(&cur, 1024);
	buf_init(&prev, 1024);
	if(!open_secret(o->master_key, job->webhook_id, "secret", db_rows_get(rows, r, 6), db_rows_len(rows, r, 6),
	                &cur))
		goto out;
	keys[nkeys++] = (struct sign_key){cur.ptr, cur.len};
	if(db_rows_get(rows, r, 7) && db_rows_i64(rows, r, 8) > time_now_ms() &&
	   open_secret(o->master_key, job->webhook_id, "prev_secret", db_rows_get(rows, r, 7), db_rows_len(rows, r, 7),
	               &prev))
		keys[nkeys++] = (struct sign_key){prev.ptr, prev.len};
	job->timestamp_s = time_now_ms() / 1000;
	result = sign_waitwhile(&keys[0], job->url, job->payload, job->payload_len, &job->sig_waitwhile);
	if(!result)
		result = sign_standard(keys, nkeys, job->event_id, job->timestamp_s, job->payload, job->payload_len,
		                       &job->sig_standard);
out:
	crypto_buf_wipe(&cur);
	crypto_buf_wipe(&prev);
	return result;
}

static bool was_manual(const struct db_rows *ids, const char *id)
{
	for(size_t i = 0; i < ids->nrows; i++)
		if(!strcmp(db_rows_get(ids, i, 0), id))
			return db_rows_i64(ids, i, 1) != 0;
	return false;
}

static struct job *job_load(const struct claim_opts *o, const char *lease, const struct db_rows *rows, size_t r,
                            const struct db_rows *ids)
{
	struct job *job = job_new();
	snprintf(job->id, sizeof(job->id), "%s", db_rows_get(rows, r, 0));
	snprintf(job->webhook_id, sizeof(job->webhook_id), "%s", db_rows_get(rows, r, 1));
	snprintf(job->event_id, sizeof(job->event_id), "%s", db_rows_get(rows, r, 2));
	snprintf(job->lease, sizeof(job->lease), "%s", lease);
	job->sched_attempts = (int)db_rows_i64(rows, r, 3);
	job->manual = was_manual(ids, job->id);
	if(!db_rows_get(rows, r, 5))
		job->skip = JOB_SKIP_WEBHOOK_DELETED;
	else if(db_rows_get(rows, r, 10))
		job->skip = JOB_SKIP_WEBHOOK_DISABLED;
	else if(db_rows_i64(rows, r, 9) == 0)
		job->skip = JOB_SKIP_WEBHOOK_INACTIVE;
	else if(!db_rows_get(rows, r, 4))
		job->skip = JOB_SKIP_EVENT_EXPIRED;
	if(job->skip)
		return job;
	job->url = xstrdup(db_rows_get(rows, r, 5));
	job->inbox_target = inbox_url_match(job->url, o->public_base_url ? o->public_base_url : "");
	job->payload_len = db_rows_len(rows, r, 4);
	job->payload = xmalloc(job->payload_len + 1);
	memcpy(job->payload, db_rows_get(rows, r, 4), job->payload_len + 1);
	if(db_rows_get(rows, r, 11)) { /* OAuth: the key stays sealed until a token is needed */
		job->oauth_json = xstrdup(db_rows_get(rows, r, 11));
		job->oauth_key_len = db_rows_len(rows, r, 12);
		if(db_rows_get(rows, r, 12)) {
			job->oauth_key = xmalloc(job->oauth_key_len + 1);
			memcpy(job->oauth_key, db_rows_get(rows, r, 12), job->oauth_key_len);
		}
	}
	if(job_sign(job, o, rows, r) ||
	   extra_headers_open(job, o->master_key, db_rows_get(rows, r, 13), db_rows_len(rows, r, 13)))
		job->skip = JOB_SKIP_SECRET_UNREADABLE;
	return job;
}

static enum wh_err load_jobs(struct db *db, const struct claim_opts *o, const char *lease, const struct db_rows *ids,
                             struct job **out, size_t *njobs)
{
	enum wh_err result = WH_OK;
	for(size_t from = 0; !result && from < ids->nrows; from += CHUNK) {
		struct db_param p[CHUNK + 1] = {db_str(lease)};
		struct db_rows rows;
		chunk_params(p + 1, ids, from);
		result = db_exec(db, sql_load, p, CHUNK + 1, &rows, NULL);
		for(size_t r = 0; !result && r < rows.nrows; r++) {
			struct job *job = job_load(o, lease, &rows, r, ids);
			job->next = *out;
			*out = job;
			(*njobs)++;
		}
		if(!result)
			db_rows_release(&rows);
	}
	return result;
}

enum wh_err claim_due(struct db *db, const struct claim_opts *opts, struct job **out, size_t *njobs)
{
	char lease[ID_LEN + 1];
	struct db_rows ids;
	enum wh_err result;

	*out = NULL;
	*njobs = 0;
	if(opts->limit <= 0)
		return WH_OK;
	id_new(lease);
	result = lease_rows(db, opts, lease, &ids);
	if(result)
		return result;
	if(ids.nrows)
		result = load_jobs(db, opts, lease, &ids, out, njobs);
	db_rows_release(&ids);
	return result;
}

enum wh_err claim_release(struct db *db, const struct job *job, long long due_ms)
{
	return db_exec(db, sql_release,
	               DBP(db_i64(due_ms), db_i64(job->manual ? 1 : 0), db_str(job->id), db_str(job->lease)), NULL,
	               NULL);
}

/* The jobs of lease that are not manual, released with multi-row statements. */
static enum wh_err release_plain(struct db *db, const struct job *jobs, const char *lease, long long due_ms)
{
	struct db_param p[SQLROWS_MAX + 2];
	size_t n = 0;
	enum wh_err result = WH_OK;
	for(const struct job *j = jobs; j; j = j->next)
		n += !j->manual && !strcmp(j->lease, lease);
	while(n && !result) {
		size_t chunk = sqlrows_chunk(n), k = 0;
		p[0] = db_i64(due_ms);
		p[1] = db_str(lease);
		for(; k < chunk; jobs = jobs->next)
			if(!jobs->manual && !strcmp(jobs->lease, lease))
				p[2 + k++] = db_str(jobs->id);
		result = db_exec(db, sqlrows_text(sql_release_head, sql_release_row, sql_release_tail, chunk), p,
		                 chunk + 2, NULL, NULL);
		n -= chunk;
	}
	return result;
}

enum wh_err claim_release_all(struct db *db, const struct job *jobs, long long due_ms)
{
	enum wh_err result;
	if(!jobs)
		return WH_OK;
	result = db_begin(db);
	for(const struct job *j = jobs; j && !result; j = j->next)
		if(j->manual || strcmp(j->lease, jobs->lease))
			result = claim_release(db, j, due_ms);
	if(!result)
		result = release_plain(db, jobs, jobs->lease, due_ms);
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	return result;
}
