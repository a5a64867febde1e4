/* What a request inbox makes of a request on arrival (SPEC §14): the webhooks of the
 * inbox's account that target its URL, the check of both signatures against their secrets
 * (current and, during a rotation overlap, previous), and the masking of header values that
 * are credentials (the webhook's custom headers, Authorization). */
#ifndef WH_INBOX_CHECK_H
#define WH_INBOX_CHECK_H
#include <jansson.h>
#include <stddef.h>

#include "fcgi-app/core/app.h"

/* headers: lowercase name -> value (borrowed; masked in place). *check receives a new
 * {"result": "valid"|"invalid"|"not ours", "webhookId": id or null,
 *  "standardWebhooks": "valid"|"invalid"|"missing", "waitwhile": "valid"|"invalid"|"missing"}.
 * "not ours": no signature header, or no webhook of the account targets url. "valid": both
 * signatures verify with one webhook's secrets. */
enum wh_err inbox_check(const struct app *app, const char *account_id, const char *url, json_t *headers,
                        const void *body, size_t len, json_t **check);

#endif
