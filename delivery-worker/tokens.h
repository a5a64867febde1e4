/* The OAuth token flow of deliveries (SPEC §8): which delivery gets a cached token, which
 * waits for the webhook's token request in flight, when a new request is made, and what
 * the waiting deliveries get when it ends. One token request per webhook at a time, however
 * many deliveries need it.
 *
 * The sender runs the transfers (token requests are jobs on its curl multi handle); this
 * module decides. It builds on oauth.h (grant, answer parsing, token cache) and holds a copy
 * of the master key, wiped when it is freed. No curl types here; tokens and keys are never
 * logged. */
#ifndef WH_TOKENS_H
#define WH_TOKENS_H
#include <stddef.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"
#include "delivery-worker/job.h"

struct tokens;

/* A token flow opening private keys under master_key (copied). */
struct tokens *tokens_new(const unsigned char master_key[CRYPTO_KEY_LEN]);
/* Wipes the cached tokens and the master key copy, and frees. Token requests still
 * registered are forgotten, not freed (the sender owns them). NULL-safe. */
void tokens_free(struct tokens *t);

enum tokens_step {
	TOKENS_READY,  /* *token: the cached token (borrowed until the next call); job->oauth_gen set */
	TOKENS_WAIT,   /* job joined the webhook's token request in flight (tokens_done hands it back) */
	TOKENS_FETCH,  /* *fetch: a new token request, job its first waiter; the caller starts its transfer */
	TOKENS_FAILED, /* no request can be made (settings or key unusable): the reason in why */
};

/* What a delivery with oAuth (job->oauth_json set) does next, at now_ms. The job's oauth_fp
 * is computed on first use. */
enum tokens_step tokens_acquire(struct tokens *t, struct job *job, long long now_ms, const char **token,
                                struct job **fetch, char *why, size_t whylen);

/* The token request fetch ended. transport: why no answer came ("dns_error",
 * "blocked_address", ...), or NULL when the server answered (fetch's status_code, body and
 * body_seen are read). WH_OK: the token is cached and copied into token (reset first),
 * and every waiter's oauth_gen names it. Otherwise the reason is in why (a short text fit
 * for the attempt's record: no token, no answer body beyond an OAuth error code). Either
 * way the waiters are detached into *waiters (next-linked) and fetch is forgotten; the
 * caller frees it. */
enum wh_err tokens_done(struct tokens *t, struct job *fetch, const char *transport, long long now_ms, struct buf *token,
                        struct job **waiters, char *why, size_t whylen);

/* fetch ends without an answer (the sender stops): its waiters, detached (next-linked);
 * fetch is forgotten and the caller frees it. */
struct job *tokens_abandon(struct tokens *t, struct job *fetch);

/* The endpoint answered 401 to the token job carried: drop that token (if still cached) so
 * the next tokens_acquire makes a new request. */
void tokens_refused(struct tokens *t, const struct job *job);

#endif
