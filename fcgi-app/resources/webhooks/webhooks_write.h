/* Writes of webhooks for the handlers in webhooks.c: the account's locations, the limits
 * (SPEC §5), insert, update and secret rotation. Every function expects an open
 * transaction; the limit checks are only sound after wh_lock_account in that transaction. */
#ifndef WH_WEBHOOKS_WRITE_H
#define WH_WEBHOOKS_WRITE_H
#include <jansson.h>

#include "common/json_util.h"
#include "fcgi-app/core/app.h"
#include "fcgi-app/resources/webhooks/webhooks_store.h"
#include "fcgi-app/resources/webhooks/webhooks_input.h"

/* Locks the account's row: concurrent webhook writes of one account queue behind it. */
enum wh_err wh_lock_account(struct db *db, const char *account_id);

/* Every id of ids must be a location of the account: else 400 naming locationIds[i]. The
 * rows are share-locked until the transaction ends, so none is deleted under the write. */
enum wh_err wh_check_locations(struct db *db, const char *account_id, const json_t *ids, struct jx_err *err);

/* Would a webhook with these location ids ([] = account-wide) exceed a limit, not counting
 * the webhook self_id (NULL on create)? WH_ERR_LIMIT naming the field when so. */
enum wh_err wh_check_limits(struct db *db, const char *account_id, const char *self_id, const json_t *ids,
                            struct jx_err *err);

/* Inserts webhook id from a validated create input, with its (given or generated) secret. */
enum wh_err wh_insert(const struct app *app, const char *account_id, const char *id, const struct wh_input *in,
                      const char *secret);

/* Applies the fields given in `in` to the loaded webhook cur (locked FOR UPDATE). */
enum wh_err wh_update(const struct app *app, const struct wh_row *cur, const struct wh_input *in);

/* Stores full (a complete custom header set, name -> value; {} = none) sealed and masked. */
enum wh_err wh_set_headers(const struct app *app, const char *id, const json_t *full);

/* The stored custom headers of webhook id, opened: *out new ({} when none). */
enum wh_err wh_stored_headers(const struct app *app, const char *id, json_t **out);

/* Makes secret the webhook's secret; the current one becomes the previous secret until
 * now + overlap_seconds (0: dropped at once), now being the database's clock, on which the
 * worker's leases run too. *prev_expires receives that end, -1 when dropped at once. */
enum wh_err wh_rotate(const struct app *app, const char *id, const char *secret, long long overlap_seconds,
                      long long *prev_expires);

#endif
