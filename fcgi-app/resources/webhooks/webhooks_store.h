/* The webhook resource as stored and as answered: loading rows, rendering one webhook,
 * sealing its secrets. Shared by the webhook handlers (webhooks.c) and whoever answers a
 * webhook elsewhere (events carry it as data). */
#ifndef WH_WEBHOOKS_STORE_H
#define WH_WEBHOOKS_STORE_H
#include <jansson.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/webhook_row.h"
#include "fcgi-app/core/app.h"
#include "fcgi-app/resources/webhooks/webhook_stats.h"

#define WH_LIMIT_PER_LOCATION 5
#define WH_LIMIT_ACCOUNT_WIDE 5

/* The whole answer of a GET or a list in one statement: WH_COLS, the location ids and the
 * stats of the webhooks `w`, their counters joined once. Its first parameter is
 * webhook_stats_since() (then the WHERE's); the WHERE is followed by WH_VIEW_GROUP. */
#define WH_SELECT_VIEW "SELECT " WH_COLS ", w.location_ids, " WEBHOOK_STATS_COLS " FROM webhooks w" WEBHOOK_STATS_JOIN
#define WH_VIEW_GROUP " GROUP BY w.id"

/* One webhook: its row (columns as WH_SELECT) and its location ids in order. */
struct wh_row {
	struct db_rows rows;
	json_t *location_ids; /* new array of strings */
};

/* Loads the account's webhook id (FOR UPDATE when lock). WH_ERR_NOT_FOUND when it does not
 * exist or belongs to another account. Release with wh_row_release. */
enum wh_err wh_load(struct db *db, const char *account_id, const char *id, bool lock, struct wh_row *row);
void wh_row_release(struct wh_row *row);

/* The answer for row r of rows (WH_SELECT columns) with its location ids (borrowed):
 * a new object. Never contains a secret or a private key. */
json_t *wh_render(const struct db_rows *rows, size_t r, const json_t *location_ids);

/* The answer (with stats) for row r of WH_SELECT_VIEW rows: a new object. */
json_t *wh_render_view(const struct db_rows *rows, size_t r);

/* The answer (with stats) of the account's webhook id in one primary-key statement (its
 * window's hourly counters joined and summed) (*out new).
 * WH_ERR_NOT_FOUND when it does not exist or belongs to another account. */
enum wh_err wh_load_view(struct db *db, const char *account_id, const char *id, json_t **out);

/* Seals plain under the master key for webhook id's column what (WHROW_* of
 * common/webhook_row.h); out is initialised here. */
enum wh_err wh_seal(const struct app *app, const char *id, const char *what, const char *plain, struct buf *out);

#endif
