/* Claiming due deliveries: lease, load, decrypt secrets, sign. */
#include "delivery-worker/claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/inbox_url.h"
#include "common/log.h"
#include "common/webhook_row.h"
#include "common/sign.h"
#include "common/xalloc.h"
#include "delivery-worker/extra_headers.h"
#include "delivery-worker/sqlrows.h"

/* Due on the database's clock; the third column is that clock (NOW is fixed for a
 * statement), from which the lease is computed. A delivery of a webhook with ordering
 * 'fifo' is due only as its webhook's head: no pending delivery of an earlier event (one in
 * flight is pending too, so one at a time; a failing head holds the rest until it succeeds
 * or fails for good). The subqueries are plain reads: only deliveries rows are locked. */
enum due_col { DC_ID, DC_MANUAL, DC_NOW }; /* the columns of sql_due */
static const char sql_due[] =
    "SELECT d.id, d.manual, " DB_NOW_MS " FROM deliveries d WHERE d.status = 'pending' "
    "AND d.next_attempt_at <= " DB_NOW_MS " AND FIND_IN_SET(d.webhook_id, ?) = 0 "
    "AND (NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.ordering = 'fifo') "
    "OR NOT EXISTS (SELECT 1 FROM deliveries h WHERE h.webhook_id = d.webhook_id AND h.status = 'pending' "
    "AND h.event_seq < d.event_seq)) "
    "ORDER BY d.next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED";

/* The due rows of one webhook whose jobs came back (claim_refill), oldest event first,
 * read in deliveries_fifo (webhook_id, status, event_seq): the range holds only that
 * webhook's pending rows, so nothing is read for the other webhooks, saturated or not. Its
 * rows in flight or waiting for a retry are read and passed over; ROWS EXAMINED bounds that
 * (a webhook with a long queue of retries is left to claim_due). The FIFO rule as in sql_due. */
static const char sql_due_hook[] =
    "SELECT d.id, d.manual, " DB_NOW_MS " FROM deliveries d FORCE INDEX (deliveries_fifo) WHERE d.webhook_id = ? "
    "AND d.status = 'pending' AND d.next_attempt_at <= " DB_NOW_MS " "
    "AND (NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.ordering = 'fifo') "
    "OR NOT EXISTS (SELECT 1 FROM deliveries h WHERE h.webhook_id = d.webhook_id AND h.status = 'pending' "
    "AND h.event_seq < d.event_seq)) "
    "ORDER BY d.event_seq LIMIT ? ROWS EXAMINED 256 FOR UPDATE SKIP LOCKED";

/* Leasing and loading go by id, up to SQLROWS_MAX ids a statement (sqlrows.h). */
static const char sql_lease_head[] =
    "UPDATE deliveries SET lease_token = ?, lease_expires = ?, next_attempt_at = ?, manual = 0 WHERE id IN (";
static const char sql_ids_row[] = "?";
static const char sql_ids_tail[] = ")";
#define LEASE_FIXED 3 /* the parameters before the ids */

/* The columns of sql_load, in order: rows are read by these names. */
enum load_col {
	LC_ID,
	LC_WEBHOOK,
	LC_EVENT,
	LC_SCHED_ATTEMPTS,
	LC_PAYLOAD,
	LC_URL,
	LC_SECRET,
	LC_PREV_SECRET,
	LC_PREV_SECRET_LIVE, /* 1 while the previous secret's overlap lasts, on the database's clock */
	LC_IS_ACTIVE,
	LC_DISABLED_AT,
	LC_OAUTH_JSON,
	LC_OAUTH_KEY,
	LC_HEADERS,
	LC_RATE_LIMIT,
};
static const char sql_load_head[] =
    "SELECT d.id, d.webhook_id, d.event_id, d.sched_attempts, e.payload, w.url, w.secret_enc, "
    "w.prev_secret_enc, w.prev_secret_expires > " DB_NOW_MS
    ", w.is_active, w.disabled_at, w.oauth_json, w.oauth_key_enc, "
    "w.headers_enc, w.rate_limit "
    "FROM deliveries d LEFT JOIN events e ON e.seq = d.event_seq LEFT JOIN webhooks w ON w.id = d.webhook_id "
    "WHERE d.lease_token = ? AND d.id IN (";
#define LOAD_FIXED 1

/* A released manual attempt stays manual (the claim cleared the flag). */
static const char sql_release[] =
    "UPDATE deliveries SET lease_token = NULL, lease_expires = NULL, next_attempt_at = " DB_NOW_MS ", "
    "manual = GREATEST(manual, ?) WHERE id = ? AND lease_token = ?";

static const char sql_release_head[] = "UPDATE deliveries SET lease_token = NULL, lease_expires = NULL, "
                                       "next_attempt_at = " DB_NOW_MS " WHERE lease_token = ? AND id IN (";
static const char sql_release_row[] = "?";
static const char sql_release_tail[] = ")";

/* Fills p[0..chunk) with the ids [from, from+chunk). */
static void chunk_params(struct db_param *p, const struct claim_leased *l, size_t from, size_t chunk)
{
	for(size_t i = 0; i < chunk; i++)
		p[i] = db_str(l->ids[from + i]);
}

/* Leases the due rows read into l until expires (the database's now + lease_ms). */
static enum wh_err lease_ids(struct db *db, const struct claim_leased *l, long long expires)
{
	enum wh_err result = WH_OK;
	for(size_t from = 0, chunk; !result && from < l->n; from += chunk) {
		struct db_param p[SQLROWS_MAX + LEASE_FIXED] = {db_str(l->lease), db_i64(expires), db_i64(expires)};
		chunk = sqlrows_chunk(l->n - from);
		chunk_params(p + LEASE_FIXED, l, from, chunk);
		result = db_exec(db, sqlrows_text(sql_lease_head, sql_ids_row, sql_ids_tail, chunk), p,
		                 chunk + LEASE_FIXED, NULL, NULL);
	}
	return result;
}

/* Reads and leases due rows in one transaction; l's arrays (new, also on failure) point
 * into rows (release it in any case). The deadline
 * is this worker's monotonic time by which the lease surely still holds (taken before the
 * statement was sent, so never later than the database's now), minus the recording margin. */
static enum wh_err lease_due(struct db *db, const struct claim_opts *o, struct db_rows *rows, struct claim_leased *l)
{
	enum wh_err result = db_begin(db);
	if(result)
		return result;
	l->deadline_mono = time_mono_ms() + o->lease_ms - o->record_margin_ms;
	result = db_exec(db, sql_due, DBP(db_str(o->exclude), db_i64(o->limit)), rows, NULL);
	if(!result && rows->nrows) {
		const char **ids = xcalloc(rows->nrows, sizeof(*ids));
		bool *manual = xcalloc(rows->nrows, sizeof(*manual));
		for(size_t r = 0; r < rows->nrows; r++) {
			ids[r] = db_rows_get(rows, r, DC_ID);
			manual[r] = db_rows_i64(rows, r, DC_MANUAL) != 0;
		}
		l->ids = (const char *const *)ids;
		l->manual = manual;
		l->n = rows->nrows;
		result = lease_ids(db, l, db_rows_i64(rows, 0, DC_NOW) + o->lease_ms);
	}
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	return result;
}

/* Reads and leases the due rows of each wanted webhook in one transaction, as lease_due does;
 * rows[i] holds want[i]'s (release them in any case), l's arrays are new. */
static enum wh_err lease_hooks(struct db *db, const struct claim_opts *o, const struct claim_want *want, size_t nwant,
                               struct db_rows *rows, struct claim_leased *l)
{
	const char **ids = xcalloc(o->limit > 0 ? (size_t)o->limit : 1, sizeof(*ids));
	bool *manual = xcalloc(o->limit > 0 ? (size_t)o->limit : 1, sizeof(*manual));
	long long now = 0;
	enum wh_err result = db_begin(db);
	l->ids = (const char *const *)ids;
	l->manual = manual;
	if(result)
		return result;
	l->deadline_mono = time_mono_ms() + o->lease_ms - o->record_margin_ms;
	for(size_t i = 0; i < nwant && !result && l->n < (size_t)o->limit; i++) {
		size_t k = want[i].limit < (size_t)o->limit - l->n ? want[i].limit : (size_t)o->limit - l->n;
		result =
		    db_exec(db, sql_due_hook, DBP(db_str(want[i].webhook_id), db_i64((long long)k)), &rows[i], NULL);
		for(size_t r = 0; !result && r < rows[i].nrows && r < k; r++) {
			if(!now) /* the earliest statement's clock: the lease ends no later than it says */
				now = db_rows_i64(&rows[i], r, DC_NOW);
			ids[l->n] = db_rows_get(&rows[i], r, DC_ID);
			manual[l->n++] = db_rows_i64(&rows[i], r, DC_MANUAL) != 0;
		}
	}
	if(!result && l->n)
		result = lease_ids(db, l, now + o->lease_ms);
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	return result;
}

/* Opens a sealed secret into out; false (logged without the secret) when it can't. */
static bool open_secret(const unsigned char *key, const char *webhook_id, const char *which, const char *sealed,
                        size_t len, struct buf *out)
{
	if(whrow_open(key, webhook_id, which, sealed, len, out)) {
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
	if(!open_secret(o->master_key, job->webhook_id, WHROW_SECRET, db_rows_get(rows, r, LC_SECRET),
	                db_rows_len(rows, r, LC_SECRET), &cur))
		goto out;
	keys[nkeys++] = (struct sign_key){cur.ptr, cur.len};
	if(db_rows_get(rows, r, LC_PREV_SECRET) && db_rows_i64(rows, r, LC_PREV_SECRET_LIVE) &&
	   open_secret(o->master_key, job->webhook_id, WHROW_PREV_SECRET, db_rows_get(rows, r, LC_PREV_SECRET),
	               db_rows_len(rows, r, LC_PREV_SECRET), &prev))
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

static bool was_manual(const struct claim_leased *l, const char *id)
{
	for(size_t i = 0; l->manual && i < l->n; i++)
		if(!strcmp(l->ids[i], id))
			return l->manual[i];
	return false;
}

static struct job *job_load(const struct claim_opts *o, const struct claim_leased *l, const struct db_rows *rows,
                            size_t r)
{
	struct job *job = job_new();
	job->deadline_mono = l->deadline_mono;
	snprintf(job->id, sizeof(job->id), "%s", db_rows_get(rows, r, LC_ID));
	snprintf(job->webhook_id, sizeof(job->webhook_id), "%s", db_rows_get(rows, r, LC_WEBHOOK));
	snprintf(job->event_id, sizeof(job->event_id), "%s", db_rows_get(rows, r, LC_EVENT));
	snprintf(job->lease, sizeof(job->lease), "%s", l->lease);
	job->sched_attempts = (int)db_rows_i64(rows, r, LC_SCHED_ATTEMPTS);
	job->manual = was_manual(l, job->id);
	job->rate_limit = db_rows_i64(rows, r, LC_RATE_LIMIT);
	if(!db_rows_get(rows, r, LC_URL))
		job->skip = JOB_SKIP_WEBHOOK_DELETED;
	else if(db_rows_get(rows, r, LC_DISABLED_AT))
		job->skip = JOB_SKIP_WEBHOOK_DISABLED;
	else if(db_rows_i64(rows, r, LC_IS_ACTIVE) == 0)
		job->skip = JOB_SKIP_WEBHOOK_INACTIVE;
	else if(!db_rows_get(rows, r, LC_PAYLOAD))
		job->skip = JOB_SKIP_EVENT_EXPIRED;
	if(job->skip)
		return job;
	job->url = xstrdup(db_rows_get(rows, r, LC_URL));
	job->inbox_target = inbox_url_match(job->url, o->public_base_url ? o->public_base_url : "");
	job->payload_len = db_rows_len(rows, r, LC_PAYLOAD);
	job->payload = xmalloc(job->payload_len + 1);
	memcpy(job->payload, db_rows_get(rows, r, LC_PAYLOAD), job->payload_len + 1);
	if(db_rows_get(rows, r, LC_OAUTH_JSON)) { /* OAuth: the key stays sealed until a token is needed */
		job->oauth_json = xstrdup(db_rows_get(rows, r, LC_OAUTH_JSON));
		job->oauth_key_len = db_rows_len(rows, r, LC_OAUTH_KEY);
		if(db_rows_get(rows, r, LC_OAUTH_KEY)) {
			job->oauth_key = xmalloc(job->oauth_key_len + 1);
			memcpy(job->oauth_key, db_rows_get(rows, r, LC_OAUTH_KEY), job->oauth_key_len);
		}
	}
	if(job_sign(job, o, rows, r) ||
	   extra_headers_open(job, o->master_key, db_rows_get(rows, r, LC_HEADERS), db_rows_len(rows, r, LC_HEADERS)))
		job->skip = JOB_SKIP_SECRET_UNREADABLE;
	return job;
}

enum wh_err claim_load(struct db *db, const struct claim_opts *o, const struct claim_leased *l, struct job **out,
                       size_t *njobs)
{
	enum wh_err result = WH_OK;
	for(size_t from = 0, chunk; !result && from < l->n; from += chunk) {
		struct db_param p[SQLROWS_MAX + LOAD_FIXED] = {db_str(l->lease)};
		struct db_rows rows;
		chunk = sqlrows_chunk(l->n - from);
		chunk_params(p + LOAD_FIXED, l, from, chunk);
		result = db_exec(db, sqlrows_text(sql_load_head, sql_ids_row, sql_ids_tail, chunk), p,
		                 chunk + LOAD_FIXED, &rows, NULL);
		for(size_t r = 0; !result && r < rows.nrows; r++) {
			struct job *job = job_load(o, l, &rows, r);
			job->next = *out;
			*out = job;
			(*njobs)++;
		}
		if(!result)
			db_rows_release(&rows);
	}
	return result;
}

void claim_unloaded(const struct claim_leased *l, struct job **out)
{
	size_t n = 0;
	for(size_t i = 0; i < l->n; i++) {
		const struct job *j = *out;
		struct job *stub;
		while(j && strcmp(j->id, l->ids[i]))
			j = j->next;
		if(j)
			continue;
		stub = job_new();
		snprintf(stub->id, sizeof(stub->id), "%s", l->ids[i]);
		snprintf(stub->lease, sizeof(stub->lease), "%s", l->lease);
		stub->manual = l->manual && l->manual[i];
		stub->unloaded = true;
		stub->next = *out;
		*out = stub;
		n++;
	}
	if(n)
		log_info("%zu leased deliveries not loaded (the database went away): their lease %s is given back "
		         "when it answers again",
		         n, l->lease);
}

enum wh_err claim_due(struct db *db, const struct claim_opts *opts, struct job **out, size_t *njobs)
{
	char lease[ID_LEN + 1];
	struct db_rows rows = {0, 0, NULL};
	struct claim_leased l = {lease, NULL, NULL, 0, 0};
	enum wh_err result;

	*out = NULL;
	*njobs = 0;
	if(opts->limit <= 0)
		return WH_OK;
	id_new(lease);
	result = lease_due(db, opts, &rows, &l);
	if(!result && l.n)
		result = claim_load(db, opts, &l, out, njobs);
	if(!result && l.n)
		log_debug("%zu due deliveries claimed, %zu loaded (lease %s)", l.n, *njobs, lease);
	if(result == WH_ERR_DB_DOWN)
		claim_unloaded(&l, out);
	free((void *)l.ids);
	free((void *)l.manual);
	db_rows_release(&rows);
	return result;
}

enum wh_err claim_refill(struct db *db, const struct claim_opts *opts, const struct claim_want *want, size_t nwant,
                         struct job **out, size_t *njobs)
{
	char lease[ID_LEN + 1];
	struct db_rows *rows = xcalloc(nwant ? nwant : 1, sizeof(*rows));
	struct claim_leased l = {lease, NULL, NULL, 0, 0};
	enum wh_err result = WH_OK;

	*out = NULL;
	*njobs = 0;
	if(opts->limit > 0 && nwant) {
		id_new(lease);
		result = lease_hooks(db, opts, want, nwant, rows, &l);
		if(!result && l.n)
			result = claim_load(db, opts, &l, out, njobs);
		if(!result && l.n)
			log_debug("%zu deliveries of %zu webhook(s) claimed, %zu loaded (lease %s)", l.n, nwant, *njobs,
			          lease);
		if(result == WH_ERR_DB_DOWN)
			claim_unloaded(&l, out);
	}
	for(size_t i = 0; i < nwant; i++)
		db_rows_release(&rows[i]);
	free(rows);
	free((void *)l.ids);
	free((void *)l.manual);
	return result;
}

enum wh_err claim_release(struct db *db, const struct job *job)
{
	return db_exec(db, sql_release, DBP(db_i64(job->manual ? 1 : 0), db_str(job->id), db_str(job->lease)), NULL,
	               NULL);
}

/* The jobs of lease that are not manual, released with multi-row statements. */
static enum wh_err release_plain(struct db *db, const struct job *jobs, const char *lease)
{
	struct db_param p[SQLROWS_MAX + 1];
	size_t n = 0;
	enum wh_err result = WH_OK;
	for(const struct job *j = jobs; j; j = j->next)
		n += !j->manual && !strcmp(j->lease, lease);
	while(n && !result) {
		size_t chunk = sqlrows_chunk(n), k = 0;
		p[0] = db_str(lease);
		for(; k < chunk; jobs = jobs->next)
			if(!jobs->manual && !strcmp(jobs->lease, lease))
				p[1 + k++] = db_str(jobs->id);
		result = db_exec(db, sqlrows_text(sql_release_head, sql_release_row, sql_release_tail, chunk), p,
		                 chunk + 1, NULL, NULL);
		n -= chunk;
	}
	return result;
}

enum wh_err claim_release_all(struct db *db, const struct job *jobs)
{
	enum wh_err result;
	if(!jobs)
		return WH_OK;
	result = db_begin(db);
	for(const struct job *j = jobs; j && !result; j = j->next)
		if(j->manual || strcmp(j->lease, jobs->lease))
			result = claim_release(db, j);
	if(!result)
		result = release_plain(db, jobs, jobs->lease);
	if(!result)
		result = db_commit(db);
	if(result)
		db_rollback(db);
	return result;
}
