/* Idempotency-Key on creating POSTs (SPEC §4): the same key and body within 24 hours
 * answer the first answer again and create nothing; the same key with another body
 * answers 409 idempotency_key_reused. Rows live in idempotency_keys; the stored answer is
 * sealed under the master key (a create answer may hold a secret).
 *
 * Use inside the transaction of the creating write:
 *
 *   db_begin(db);
 *   result = idem_begin(req, body, &idem, &replayed);   // first, before any other lock
 *   if(result || replayed) goto out;                    // replayed: answer already sent; roll back
 *   ... the write, building the answer ...
 *   result = idem_record(req, &idem, 201, answer);
 *   db_commit(db); http_send_json(req, 201, answer);
 *
 * The claim (the expired row's delete and the key's insert) is one round trip; a write that
 * ends in tx_write_emit sends the record in its own flight (tx.c), others pay one more.
 * Concurrent requests with the same key are serialised on the key's row: the second waits
 * until the first commits (then replays its answer) or rolls back (then runs itself).
 * Only successful answers are recorded; a failed request leaves the key free. */
#ifndef WH_IDEMPOTENCY_H
#define WH_IDEMPOTENCY_H
#include <jansson.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/ttl.h"
#include "fcgi-app/core/http.h"

#define IDEM_KEY_MAX 255

struct idem {
	bool active; /* a key was given and claimed */
	char key[IDEM_KEY_MAX + 1];
	char hash[65]; /* SHA-256 of method, path and the canonical body */
};

/* Reads the Idempotency-Key header (1..255 visible ASCII characters, else 400 naming
 * "Idempotency-Key"). Without it: WH_OK, idem->active false. With it: claims the key, or
 * finds the earlier answer: same request -> sends it and sets *replayed; other request ->
 * WH_ERR_IDEM_REUSED. Needs an open transaction. body is borrowed. */
enum wh_err idem_begin(struct request *req, const json_t *body, struct idem *idem, bool *replayed);

/* Stores the answer for the claimed key (no-op when !idem->active), in the same
 * transaction as the write. answer is borrowed. */
enum wh_err idem_record(struct request *req, const struct idem *idem, int status, const json_t *answer);

/* idem_record as a statement to send in the write's own flight (no round trip of its own):
 * rec->stmt stores answer (sealed now) for the claimed key; rec->answer_hash is the SHA-256
 * of the answer's text, to tell whether the answer changed after. rec holds the statement's
 * values until idem_record_release (NULL-safe after a failed prepare too). */
struct idem_record {
	struct buf sealed;
	struct db_param params[4];
	struct db_stmt stmt;
	char answer_hash[65];
};
enum wh_err idem_record_prepare(struct request *req, const struct idem *idem, int status, const json_t *answer,
                                struct idem_record *rec);
void idem_record_release(struct idem_record *rec);
/* The SHA-256 (hex) of answer's text, as idem_record_prepare hashes it. */
void idem_answer_hash(const json_t *answer, char out[65]);

#endif
