/* Idempotency keys: claim, replay, record. */
#include "fcgi-app/core/idempotency.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/xalloc.h"

#define ER_DUP_ENTRY 1062

static enum wh_err key_read(struct request *req, struct idem *idem)
{
	const char *key = http_param(req, "HTTP_IDEMPOTENCY_KEY");
	size_t n;
	memset(idem, 0, sizeof(*idem));
	if(!key)
		return WH_OK;
	n = strlen(key);
	if(n < 1 || n > IDEM_KEY_MAX)
		return jx_fail(&req->err, "Idempotency-Key", "Idempotency-Key: must be 1..%d characters", IDEM_KEY_MAX);
	for(size_t i = 0; i < n; i++)
		if(key[i] < 0x21 || key[i] > 0x7e)
			return jx_fail(&req->err, "Idempotency-Key", "Idempotency-Key: only visible ASCII characters");
	memcpy(idem->key, key, n + 1);
	return WH_OK;
}

static void request_hash(const struct request *req, const json_t *body, char *out)
{
	char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	struct buf b;
	buf_init(&b, 0);
	if(buf_addf(&b, "%s %s\n%s", req->method, req->path, canon ? canon : ""))
		abort(); /* no limit on this buffer */
	crypto_sha256_hex(b.ptr, b.len, out);
	buf_release(&b);
	free(canon);
}

static void aad_of(const struct request *req, const struct idem *idem, struct buf *aad)
{
	buf_init(aad, 0);
	if(buf_addf(aad, "idempotency:%s:%s", req->account_id, idem->key))
		abort();
}

/* Sends the stored answer of an earlier identical request. */
static enum wh_err replay(struct request *req, const struct idem *idem, const struct db_rows *rows)
{
	struct buf aad, plain;
	enum wh_err result;
	aad_of(req, idem, &aad);
	buf_init(&plain, 0);
	result =
	    crypto_open(req->app->master_key, buf_str(&aad), db_rows_get(rows, 0, 2), db_rows_len(rows, 0, 2), &plain);
	if(!result)
		http_send_raw(req, (int)db_rows_i64(rows, 0, 1), "application/json; charset=utf-8", buf_str(&plain),
		              plain.len);
	crypto_buf_wipe(&plain);
	buf_release(&aad);
	return result;
}

/* The key is taken by a committed request: replay it or refuse. */
static enum wh_err existing(struct request *req, const struct idem *idem, bool *replayed)
{
	static const char sql[] = "SELECT request_hash, status, body FROM idempotency_keys "
	                          "WHERE account_id = ? AND idem_key = ?";
	struct db_rows rows;
	enum wh_err result = db_exec(req->app->db, sql, DBP(db_str(req->account_id), db_str(idem->key)), &rows, NULL);
	if(result)
		return result;
	if(rows.nrows != 1 || db_rows_i64(&rows, 0, 1) == 0) {
		log_err("idempotency key row vanished or unfinished after a duplicate-key error");
		result = WH_ERR_INTERNAL;
	} else if(strcmp(db_rows_get(&rows, 0, 0), idem->hash)) {
		result = WH_ERR_IDEM_REUSED;
	} else {
		result = replay(req, idem, &rows);
		*replayed = !result;
	}
	db_rows_release(&rows);
	return result;
}

enum wh_err idem_begin(struct request *req, const json_t *body, struct idem *idem, bool *replayed)
{
	static const char q_expire[] = "DELETE FROM idempotency_keys WHERE account_id = ? AND idem_key = ? "
	                               "AND created < ?";
	static const char q_claim[] = "INSERT INTO idempotency_keys (account_id, idem_key, request_hash, status, "
	                              "body, created) VALUES (?, ?, ?, 0, '', ?)";
	struct db *db = req->app->db;
	long long now = time_now_ms();
	enum wh_err result = key_read(req, idem);
	*replayed = false;
	if(result || !idem->key[0])
		return result;
	request_hash(req, body, idem->hash);
	/* One flight: both are undone by the rollback of a transaction that fails. The insert
	 * waits here while another transaction holds the same key. */
	result = db_exec_many(
	    db,
	    (struct db_stmt[]){
	        {q_expire, DBP(db_str(req->account_id), db_str(idem->key), db_i64(now - TTL_IDEMPOTENCY_MS)), NULL,
	         NULL},
	        {q_claim, DBP(db_str(req->account_id), db_str(idem->key), db_str(idem->hash), db_i64(now)), NULL, NULL},
	    },
	    2);
	if(result && db_last_errno(db) == ER_DUP_ENTRY)
		return existing(req, idem, replayed);
	idem->active = !result;
	return result;
}

void idem_answer_hash(const json_t *answer, char out[65])
{
	char *text = jx_dumps(answer);
	crypto_sha256_hex(text, strlen(text), out);
	xfree_secret(text, strlen(text));
}

enum wh_err idem_record_prepare(struct request *req, const struct idem *idem, int status, const json_t *answer,
                                struct idem_record *rec)
{
	static const char sql[] = "UPDATE idempotency_keys SET status = ?, body = ? WHERE account_id = ? "
	                          "AND idem_key = ?";
	char *text = jx_dumps(answer);
	struct buf aad;
	enum wh_err result;
	buf_init(&rec->sealed, 0);
	aad_of(req, idem, &aad);
	crypto_sha256_hex(text, strlen(text), rec->answer_hash);
	result = crypto_seal(req->app->master_key, buf_str(&aad), text, strlen(text), &rec->sealed);
	xfree_secret(text, strlen(text));
	buf_release(&aad);
	rec->params[0] = db_i64(status);
	rec->params[1] = db_blob(rec->sealed.ptr, rec->sealed.len);
	rec->params[2] = db_str(req->account_id);
	rec->params[3] = db_str(idem->key);
	rec->stmt = (struct db_stmt){sql, rec->params, 4, NULL, NULL};
	return result;
}

void idem_record_release(struct idem_record *rec)
{
	buf_release(&rec->sealed);
}

enum wh_err idem_record(struct request *req, const struct idem *idem, int status, const json_t *answer)
{
	struct idem_record rec;
	enum wh_err result;
	if(!idem->active)
		return WH_OK;
	result = idem_record_prepare(req, idem, status, answer, &rec);
	if(!result)
		result = db_exec(req->app->db, rec.stmt.sql, rec.stmt.params, rec.stmt.nparams, NULL, NULL);
	idem_record_release(&rec);
	return result;
}
