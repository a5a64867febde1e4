/* The write-transaction runner and the idempotent create built on it. */
#include "fcgi-app/core/tx.h"

#include <errmsg.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/txfate.h"
#include "fcgi-app/core/idempotency.h"
#include "fcgi-app/core/outbox.h"

/* Backoff before run n + 1 (n >= 1): 5, 10, 20, 40 ms ..., plus 0..7 eighths of that at random
 * so that two transactions that deadlocked each other don't meet again in step. */
static void tx_backoff(int n)
{
	long ms = 5L << (n - 1);
	char c[2];
	id_random(c, 1);
	ms += ms * ((unsigned char)c[0] % 8) / 8;
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

/* Test-only fault point commit_lost (fcgi-app/core/outbox.h): a COMMIT that went through
 * is reported as a connection lost during it, the one failure whose outcome the API can't
 * know, so the end-to-end tests can see what the client is told. */
static void commit_lost_fault(struct request *req, enum wh_err *result, unsigned *e)
{
	if(*result || !outbox_fault(&req->app->cfg, "commit_lost"))
		return;
	log_warn("fault point commit_lost: reporting a committed transaction as a lost connection");
	*result = WH_ERR_DB_DOWN;
	*e = CR_SERVER_LOST;
}

enum wh_err tx_run(struct request *req, tx_fn fn, void *ctx)
{
	struct db *db = req->app->db;
	enum wh_err result = WH_ERR_INTERNAL;
	for(int run = 1; run <= TX_TRIES; run++) {
		bool at_commit = false;
		enum txfate fate;
		unsigned e;
		db_begin_deferred(db); /* no round trip: starts with the first statement */
		result = fn(req, ctx);
		if(!result) {
			result = db_commit(db);
			at_commit = db_commit_sent(db); /* a failure before COMMIT went out is retried */
			/* whatever the outcome: kept GET answers of the account are not served after this */
			answer_cache_bump(req->app->answers, req->account_id);
		}
		e = db_last_errno(db);
		commit_lost_fault(req, &result, &e);
		fate = txfate_of(result, e, at_commit);
		if(fate == TXFATE_DONE)
			return WH_OK;
		db_rollback(db);
		if(fate == TXFATE_UNKNOWN) {
			log_warn("%s %s: connection lost during COMMIT, outcome unknown", req->method, req->path);
			jx_fail(&req->err, NULL,
			        "the database connection was lost while committing: the change may or "
			        "may not have been applied");
			return WH_ERR_DB_DOWN;
		}
		if(fate != TXFATE_RETRY || req->answered)
			return result;
		log_info("%s %s: %s, transaction retried (%d)", req->method, req->path, txfate_reason(e), run);
		if(run < TX_TRIES)
			tx_backoff(run);
		else
			result = txfate_exhausted(e);
	}
	req->retry_after_s = 1;
	return result;
}

struct tx_create_ctx {
	const json_t *body;
	tx_fn fn;
	void *ctx;
	json_t **answer;
	bool replayed;
	struct idem idem;
	bool recorded;          /* the answer was recorded in the write's flight (tx_write_emit) */
	char recorded_hash[65]; /* ... the SHA-256 of the answer recorded */
};

/* The claim, the body, and the answer's record unless the body's flight carried it (a body
 * that changed its answer after its flight records it again, so what is kept is what is
 * answered). */
static enum wh_err tx_create_fn(struct request *req, void *ctx)
{
	struct tx_create_ctx *c = ctx;
	char hash[65];
	enum wh_err result = idem_begin(req, c->body, &c->idem, &c->replayed);
	if(result || c->replayed)
		return result;
	c->recorded = false;
	req->creating = c->idem.active ? c : NULL;
	result = c->fn(req, c->ctx);
	req->creating = NULL;
	if(result || !c->idem.active)
		return result;
	if(c->recorded) {
		idem_answer_hash(*c->answer, hash);
		if(!strcmp(hash, c->recorded_hash))
			return WH_OK;
	}
	return idem_record(req, &c->idem, 201, *c->answer);
}

enum wh_err tx_create(struct request *req, const json_t *body, tx_fn fn, void *ctx, json_t **answer)
{
	struct tx_create_ctx c = {.body = body, .fn = fn, .ctx = ctx, .answer = answer};
	enum wh_err result = tx_run(req, tx_create_fn, &c);
	if(!result && !c.replayed)
		http_send_json(req, 201, *answer);
	return result;
}

/* The Idempotency-Key record of the create under way, as one more statement of the write's
 * flight v (*n statements so far; room for it checked by the caller): prepared into rec
 * when the request has a claimed key and its answer is built. */
static enum wh_err flight_record(struct request *req, struct db_stmt *v, size_t *n, struct idem_record *rec,
                                 bool *added)
{
	struct tx_create_ctx *c = req->creating;
	enum wh_err result;
	*added = false;
	if(!c || !*c->answer || *n >= DB_MANY_MAX)
		return WH_OK;
	result = idem_record_prepare(req, &c->idem, 201, *c->answer, rec);
	if(result) {
		idem_record_release(rec);
		return result;
	}
	v[(*n)++] = rec->stmt;
	*added = true;
	return WH_OK;
}

enum wh_err tx_write_emit(struct request *req, const struct db_stmt *writes, size_t nwrites,
                          const struct outbox_event *evs, size_t nevs)
{
	struct db_stmt v[DB_MANY_MAX];
	struct outbox_event own[OUTBOX_MAX_BATCH];
	struct outbox_insert ins;
	struct idem_record rec;
	size_t n = nwrites + 1;
	bool record = false;
	enum wh_err result;
	if(nwrites > DB_MANY_MAX - 1 || nevs < 1 || nevs > OUTBOX_MAX_BATCH)
		return WH_ERR_INTERNAL;
	for(size_t i = 0; i < nevs; i++) {
		own[i] = evs[i];
		own[i].account_id = req->account_id;
	}
	result = outbox_prepare(&ins, &req->app->cfg, own, nevs);
	if(result)
		return result;
	memcpy(v, writes, nwrites * sizeof(*v));
	v[nwrites] = ins.stmt;
	result = flight_record(req, v, &n, &rec, &record);
	if(!result)
		result = db_exec_many(req->app->db, v, n);
	if(record && !result) {
		req->creating->recorded = true;
		memcpy(req->creating->recorded_hash, rec.answer_hash, sizeof(rec.answer_hash));
	}
	if(record)
		idem_record_release(&rec);
	outbox_release(&ins);
	return result;
}
