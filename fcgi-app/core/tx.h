/* The API's one write-transaction runner: every write of every resource runs in tx_run
 * (or tx_create for a creating POST), which retries the whole transaction, boundedly and
 * with backoff, when common/txfate.h says it is safe to. */
#ifndef WH_TX_H
#define WH_TX_H
#include <jansson.h>

#include "common/db.h"
#include "fcgi-app/core/http.h"
#include "fcgi-app/core/outbox.h"

/* At most this many runs of one transaction (the last backoff is 320 ms: Galera nodes
 * writing one hot row at once need a few rounds to stop meeting). */
#define TX_TRIES 8

/* A write transaction's body: runs in a transaction (db_begin_deferred: it starts with the
 * body's first statement, no round trip of its own) and may be run again
 * from the start, so it must (re)set everything it produces, releasing what an earlier
 * run left. It may answer the request itself (an idempotent replay); then it is not rerun. */
typedef enum wh_err (*tx_fn)(struct request *req, void *ctx);

/* Runs fn in a transaction and commits. On a deadlock, lock wait timeout or lost
 * connection (in fn or a failed COMMIT) rolls back, waits a little longer each time and
 * runs it again, up to TX_TRIES runs. A connection lost during COMMIT answers
 * WH_ERR_DB_DOWN (503) with a message saying the write may or may not have been applied.
 * Still retryable after the last run: 503 with Retry-After 1 (common/txfate.h,
 * txfate_exhausted), never 500. Any other error rolls back and is returned (req->err as fn
 * filled it). */
enum wh_err tx_run(struct request *req, tx_fn fn, void *ctx);

/* A creating POST: tx_run with the request's Idempotency-Key claimed first in the
 * transaction and fn's answer (*answer, set by fn) recorded in it, then answers 201
 * with *answer. A replay (same key and body within 24 h) answers the first answer and runs
 * nothing; the same key with another body is WH_ERR_IDEM_REUSED (409). body is borrowed;
 * *answer stays the caller's to release. */
enum wh_err tx_create(struct request *req, const json_t *body, tx_fn fn, void *ctx, json_t **answer);

/* Inside a write transaction: the write's statements (nwrites 0..DB_MANY_MAX - 1, each
 * run even when an earlier one fails, so only statements the transaction's rollback
 * undoes) and the outbox insert of its nevs (1..OUTBOX_MAX_BATCH) events of the request's
 * account (their account_id is ignored), in this order
 * and in one round trip (db_exec_many). The first failure is returned. Every
 * event-producing write ends with it: nothing of what it writes is read back. */
enum wh_err tx_write_emit(struct request *req, const struct db_stmt *writes, size_t nwrites,
                          const struct outbox_event *evs, size_t nevs);

#endif
