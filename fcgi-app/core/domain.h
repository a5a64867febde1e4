/* What the waitlist domain's handlers share: the retried write transaction, the outbox
 * call with the request's account, optional/nullable fields, paging by seq, and the
 * location and location-status resources (render and load), which visits, messages and
 * location status all need. */
#ifndef WH_DOMAIN_H
#define WH_DOMAIN_H
#include <jansson.h>
#include <stdbool.h>

#include "fcgi-app/core/http.h"

/* A write transaction's body: runs inside db_begin..db_commit and may be run again from
 * the start after a deadlock, so it must (re)set everything it produces. */
typedef enum wh_err (*domain_tx_fn)(struct request *req, void *ctx);

/* Runs fn in a transaction and commits; on a deadlock, lock wait timeout, Galera
 * certification conflict or a connection lost before COMMIT (db_last_failure RETRY) rolls
 * back and runs it again, up to 8 times (then 503 with Retry-After, never 500). A
 * connection lost during COMMIT answers 503 at once (fate unknown). Any other error rolls
 * back and is returned (req->err as fn filled it). */
enum wh_err domain_tx(struct request *req, domain_tx_fn fn, void *ctx);

/* A creating POST: domain_tx with the request's Idempotency-Key claimed first in the
 * transaction and fn's answer (*answer, set by fn) recorded in it, then answers 201 with
 * *answer. A replay (same key and body within 24 h) answers the first answer and runs
 * nothing; the same key with another body is WH_ERR_IDEM_REUSED (409). body is borrowed. */
enum wh_err domain_create(struct request *req, const json_t *body, domain_tx_fn fn, void *ctx, json_t **answer);

/* outbox_emit for the request's account. data is borrowed. */
enum wh_err domain_emit(struct request *req, const char *type, const char *location_id, const char *visit_state,
                        const json_t *data);

/* Optional string field that may be null (to clear it). *present tells whether the key was
 * given; *out is NULL for null. Checks length (bytes, minlen..maxlen) and control
 * characters (only \t \n \r allowed when multiline, none otherwise). Borrowed from obj. */
enum wh_err domain_nullable_string(json_t *obj, const char *key, size_t minlen, size_t maxlen, bool multiline,
                                   const char **out, bool *present, struct jx_err *err);

/* The body of an update of the object {id} (req->params[0]): WH_ERR_NOT_FOUND when that is
 * not an id, else the JSON object (optional: empty is {}) with no key outside keys (when
 * keys is not NULL). *body is new. */
enum wh_err domain_read_update(struct request *req, const char *const *keys, json_t **body);

/* Parses ?name=<id> into *out (borrowed, NULL when absent); 400 when not an id. */
enum wh_err domain_query_id(struct request *req, const char *name, const char **out);

/* The seq to list after: 0 without startAfter, else the seq of the row that seq_sql
 * ("SELECT seq FROM t WHERE id = ? AND account_id = ?") finds; 400 when none. */
enum wh_err domain_page_seq(struct request *req, const struct page *page, const char *seq_sql, long long *seq);

/* Renders row r of a result set as a resource (new). */
typedef json_t *(*domain_render_fn)(const struct db_rows *rows, size_t r);

/* Runs sql (parameters: id, the request's account) and renders its one row into *out
 * (new). WH_ERR_NOT_FOUND when id is not an id or no row matches. */
enum wh_err domain_load_one(struct request *req, const char *sql, const char *id, domain_render_fn render,
                            json_t **out);

/* Renders every row into the page answer {"results", "limit", "startAfter", "endAt"} and
 * sends it (200). Releases rows. */
void domain_send_page(struct request *req, const struct page *page, struct db_rows *rows, domain_render_fn render);

/* Fills req->err with the message (no field) and returns WH_ERR_CONFLICT (409). */
enum wh_err domain_conflict(struct request *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Compares a stored nullable string with a new value (either may be NULL). */
bool domain_str_eq(const char *a, const char *b);

/* The location resource {id, name, timezone, isWaitlistOpen, created, updated}.
 * LOCATION_COLS is the column list location_render reads, in that order. */
#define LOCATION_COLS "id, name, timezone, is_waitlist_open, created, updated"
json_t *location_render(const struct db_rows *rows, size_t r); /* new */
/* Loads the account's location (*out new); FOR UPDATE when lock (location writes; visit
 * writes lock with location_lock_for_visit). WH_ERR_NOT_FOUND when absent or another
 * account's. */
enum wh_err location_load(struct request *req, const char *id, bool lock, json_t **out);

/* The location status {locationId, isWaitlistOpen, numWaiting, numServing, numBooked,
 * updated} of the account's location (*out new), read from the location row (the counts
 * are kept there by every visit write). WH_ERR_NOT_FOUND when absent. */
enum wh_err location_status_load(struct request *req, const char *location_id, json_t **out);
/* Inside a write transaction that changed isWaitlistOpen: sets the status's updated time
 * to now and emits location-status.updated with its values after the change. */
enum wh_err location_status_changed(struct request *req, const char *location_id);
/* A location row locked by a visit write: the location resource (new; json_decref it)
 * and its stored counts {num_waiting, num_serving, num_booked} as of the lock. */
struct location_locked {
	json_t *location;
	long long counts[3];
};
/* Locks the account's location (FOR UPDATE), as every visit write does first so counts
 * stay right, and reads its counts in the same statement. WH_ERR_NOT_FOUND when absent. */
enum wh_err location_lock_for_visit(struct request *req, const char *id, struct location_locked *out);
/* Inside a visit write transaction, after a visit of the locked location was written:
 * emits the visit event `type` with data `visit` (borrowed, its state as the event's visit
 * state) and, when the move from state `from` to `to` (either NULL: created or deleted)
 * changes a count, adjusts the counts kept on the location row, sets the status's updated
 * time to now and emits location-status.updated after it (built from the locked row plus
 * the change, no read back; both events in one INSERT). */
enum wh_err domain_visit_emit(struct request *req, const struct location_locked *locked, const char *type,
                              const json_t *visit, const char *from, const char *to);

#endif
