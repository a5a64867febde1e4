/* OAuth for webhook endpoints (SPEC §8): the JWT bearer grant (RFC 7523) and a bounded
 * per-webhook access token cache. The transfers themselves run on the sender's curl multi
 * handle: this module builds the token request (a job whose url is tokenUrl and whose
 * payload is the form) and reads its answer; tokens.h decides when one is made and joins
 * deliveries to it.
 *
 * No curl types here. Tokens and keys are never logged; the decrypted private key lives
 * only inside oauth_request_build and is wiped before it returns. */
#ifndef WH_OAUTH_H
#define WH_OAUTH_H
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"
#include "delivery-worker/job.h"

/* Token answers without expires_in are cached this long (RFC 6749 leaves it to the server). */
#define OAUTH_DEFAULT_EXPIRES_S 300
/* Longest lifetime trusted from a token answer. */
#define OAUTH_MAX_EXPIRES_S 86400
/* Refresh this much before expiry: 10 % of the lifetime, at most OAUTH_MARGIN_MAX_MS. */
#define OAUTH_MARGIN_MAX_MS 30000
/* Webhooks with a cached token; the least recently used entry is evicted past this. */
#define OAUTH_CACHE_MAX 1024
/* Longest access_token accepted, and how much of a token answer is read. */
#define OAUTH_TOKEN_MAX 8192
#define OAUTH_ANSWER_MAX (16 * 1024)
/* Where a failure's reason goes (the attempt's response body). */
#define OAUTH_REASON_MAX 256

/* application/x-www-form-urlencoded value: unreserved characters kept, everything else
 * %XX (space too). Appends to out. */
enum wh_err oauth_form_escape(const char *s, struct buf *out);
/* The grant's body: grant_type=...jwt-bearer&assertion=<jwt>[&scope=<scope>]. scope may
 * be NULL. Appends to out. */
enum wh_err oauth_form(const char *assertion, const char *scope, struct buf *out);

/* Reads a token endpoint's answer (status and body). On success the access token goes to
 * token (reset first) and its lifetime in seconds to *expires_in_s (the default when the
 * answer has none, capped at OAUTH_MAX_EXPIRES_S). WH_ERR_INVALID with a short reason in
 * why (no token, no body bytes beyond the OAuth "error" code) otherwise. */
enum wh_err oauth_token_parse(long status, const char *body, size_t len, struct buf *token, long long *expires_in_s,
                              char *why, size_t whylen);

/* When a token obtained at now_ms with a lifetime of expires_in_s stops being used:
 * the lifetime minus 10 % (at most OAUTH_MARGIN_MAX_MS). */
long long oauth_valid_until(long long now_ms, long long expires_in_s);

/* A digest of the webhook's OAuth settings (config JSON and sealed key): a cached token
 * is only used while they are unchanged. out needs 65 bytes. */
void oauth_fingerprint(const char *config_json, const char *sealed_key, size_t sealed_len, char *out);

struct oauth_cache;
struct oauth_cache *oauth_cache_new(size_t max_entries);
/* Wipes every token and frees the cache. NULL-safe. */
void oauth_cache_free(struct oauth_cache *c);
/* The token for (webhook_id, fingerprint) valid at now_ms, borrowed until the next call
 * that changes the cache; NULL when none. *gen identifies the token for oauth_cache_drop. */
const char *oauth_cache_get(struct oauth_cache *c, const char *webhook_id, const char *fingerprint, long long now_ms,
                            unsigned long *gen);
/* Stores (copies) a token valid until valid_until_ms, replacing the webhook's previous one;
 * evicts the least recently used entry when full. Returns the new token's gen (never 0), or
 * 0 when the token is longer than OAUTH_TOKEN_MAX (nothing is cached for the webhook then). */
unsigned long oauth_cache_put(struct oauth_cache *c, const char *webhook_id, const char *fingerprint, const char *token,
                              long long valid_until_ms, long long now_ms);
/* Drops the webhook's token when it is still the one with gen (the endpoint refused it). */
void oauth_cache_drop(struct oauth_cache *c, const char *webhook_id, unsigned long gen);
size_t oauth_cache_size(const struct oauth_cache *c);

/* A new token request job for the webhook of job: opens the sealed key under master_key,
 * signs the assertion, and fills url (tokenUrl) and payload (the form); the sender adds the
 * headers. The request's webhook_id and oauth_fp are the job's, token_fetch is set. NULL with the reason in why when
 * the settings or the key can't be used. */
struct job *oauth_request_build(const struct job *job, const unsigned char master_key[CRYPTO_KEY_LEN], char *why,
                                size_t whylen);

#endif
