/* The webhooks table as both binaries see it: the sealed columns and the AAD that binds
 * each sealed value to its row and column, built here and nowhere else.
 *
 *   struct buf plain;
 *   result = whrow_open(key, id, WHROW_SECRET, blob, bloblen, &plain);
 *   ...
 *   crypto_buf_wipe(&plain);
 */
#ifndef WH_WEBHOOK_ROW_H
#define WH_WEBHOOK_ROW_H
#include <stddef.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"

/* What a sealed value is (the last part of its AAD) and the column that holds it. */
#define WHROW_SECRET "secret"           /* column secret_enc: the signing secret */
#define WHROW_PREV_SECRET "prev_secret" /* column prev_secret_enc: the secret before a rotation */
#define WHROW_OAUTH_KEY "oauth_key"     /* column oauth_key_enc: the OAuth private key (PEM) */
#define WHROW_HEADERS "headers"         /* column headers_enc: the custom headers, a JSON object */

/* The columns of a webhook as the API reads it (WH_SELECT), in order: rows are read by
 * these names, never by a bare position. WH_C_LOCATION_IDS and WH_C_STATS follow them in
 * the API's one-statement view (fcgi-app/resources/webhooks/webhooks_store.h). */
enum wh_col {
	WH_C_ID,
	WH_C_ACCOUNT,
	WH_C_URL,
	WH_C_OAUTH_JSON,
	WH_C_HAS_KEY,
	WH_C_EVENT_TYPES,
	WH_C_VISIT_STATES,
	WH_C_ACCOUNT_WIDE,
	WH_C_IS_ACTIVE,
	WH_C_DISABLED_REASON,
	WH_C_DISABLED_AT,
	WH_C_DESCRIPTION,
	WH_C_CREATED,
	WH_C_UPDATED,
	WH_C_HEADERS,      /* the masked custom headers (JSON object) or NULL */
	WH_C_ORDERING,     /* "none" or "fifo" */
	WH_C_RATE_LIMIT,   /* deliveries per second, or NULL */
	WH_C_LOCATION_IDS, /* WH_SELECT_VIEW only: the location ids, comma-separated, in order */
	WH_C_STATS,        /* WH_SELECT_VIEW only: the first of WEBHOOK_STATS_COLS */
};
#define WH_COLS                                                                                                        \
	"id, account_id, url, oauth_json, oauth_key_enc IS NOT NULL, event_types, visit_states, "                      \
	"account_wide, is_active, disabled_reason, disabled_at, description, created, updated, headers_masked, "       \
	"ordering, rate_limit"
#define WH_SELECT "SELECT " WH_COLS " FROM webhooks"

/* The hourly attempt counters (table webhook_stats_hourly, written by the worker with the
 * attempts): a row's hour is at / WEBHOOK_STATS_HOUR_MS. stats.succeeded24h and failed24h
 * add up the current hour and the WEBHOOK_STATS_HOURS before it: every attempt of the last
 * 24 hours, and those of up to one hour before that. */
#define WEBHOOK_STATS_HOUR_MS 3600000LL
#define WEBHOOK_STATS_HOURS 24

/* Room for any AAD whrow_aad builds (id of ID_LEN characters). */
#define WHROW_AAD_MAX 64

/* The AAD of a sealed value: "webhook:<id>:<what>" (what: WHROW_*). out needs
 * WHROW_AAD_MAX bytes; a longer result is cut, which then fails to open. */
void whrow_aad(const char *id, const char *what, char out[WHROW_AAD_MAX]);

/* Seals plain (NUL-terminated) for webhook id's column what; out is initialised here
 * (release with buf_release). */
enum wh_err whrow_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *id, const char *what, const char *plain,
                       struct buf *out);

/* Opens a value sealed by whrow_seal for the same id and what into plain (initialised
 * here; release with crypto_buf_wipe). WH_ERR_CRYPTO when it was sealed for another row
 * or column, or altered. */
enum wh_err whrow_open(const unsigned char key[CRYPTO_KEY_LEN], const char *id, const char *what, const void *sealed,
                       size_t len, struct buf *plain);

#endif
