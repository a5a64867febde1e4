/* Delivery signatures (SPEC §7). Pure functions: no I/O, no clock. The worker signs with
 * them; the API checks what a request inbox received with the same functions.
 *
 *   X-Waitwhile-Signature: base64(HMAC-SHA256(secret, url + body))
 *   webhook-signature:     v1,<base64(HMAC-SHA256(secret, id "." timestamp "." body))>
 *                          one space-separated entry per secret in force
 *
 * Secrets are the raw key bytes (the webhook's secret string as stored, or for the
 * Standard Webhooks form the bytes behind whsec_). */
#ifndef WH_SIGN_H
#define WH_SIGN_H
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

struct sign_key {
	const void *key; /* borrowed */
	size_t len;
};

/* Appends the Waitwhile signature (base64, 44 chars) of url + body to out. */
enum wh_err sign_waitwhile(const struct sign_key *key, const char *url, const void *body, size_t body_len,
                           struct buf *out);

/* Appends "v1,<sig>" for each of nkeys keys, separated by one space, to out. msg_id is the
 * webhook-id value, timestamp the webhook-timestamp value (Unix seconds). */
enum wh_err sign_standard(const struct sign_key *keys, size_t nkeys, const char *msg_id, long long timestamp,
                          const void *body, size_t body_len, struct buf *out);

#endif
