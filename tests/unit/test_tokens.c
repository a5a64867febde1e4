/* The OAuth token flow (tokens.h) without transfers: one request per webhook, waiters
 * joined to it, answers cached or turned into reasons, the 401 refresh, and abandonment. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/xalloc.h"
#include "delivery-worker/job.h"
#include "delivery-worker/oauth.h"
#include "delivery-worker/tokens.h"
#include "tests/unit/keys.h"
#include "tests/unit/test.h"

static const unsigned char master[CRYPTO_KEY_LEN] = "0123456789abcdef0123456789abcdef";

/* A fresh P-256 private key as PEM (new, free() it). */
static char *ec_pem(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	char *pem = test_key_pem(key);
	EVP_PKEY_free(key);
	return pem;
}

/* pem sealed for webhook wid's row, as the webhooks table keeps it. */
static void seal_for(const char *wid, const char *pem, struct buf *sealed)
{
	char aad[64];
	buf_init(sealed, 0);
	snprintf(aad, sizeof(aad), "webhook:%s:oauth_key", wid);
	CHECK(crypto_seal(master, aad, pem, strlen(pem), sealed) == WH_OK);
}

/* A delivery of webhook wid with oAuth settings and the sealed key (NULL: none), as claimed. */
static struct job *oauth_job(const char *wid, const struct buf *sealed)
{
	struct job *job = job_new();
	snprintf(job->id, sizeof(job->id), "d-%s", wid);
	snprintf(job->webhook_id, sizeof(job->webhook_id), "%s", wid);
	job->oauth_json = xstrdup("{\"tokenUrl\":\"https://auth.example/token\",\"expiresIn\":600,"
	                          "\"claims\":{\"iss\":\"i\",\"sub\":\"s\",\"aud\":\"a\",\"scope\":\"x y\"}}");
	if(sealed) {
		job->oauth_key = xmalloc(sealed->len);
		memcpy(job->oauth_key, sealed->ptr, sealed->len);
		job->oauth_key_len = sealed->len;
	}
	return job;
}

static void answer(struct job *fetch, long status, const char *body)
{
	buf_reset(&fetch->body);
	buf_adds(&fetch->body, body);
	fetch->body_seen = strlen(body);
	fetch->status_code = status;
}

static size_t count(const struct job *list)
{
	size_t n = 0;
	for(; list; list = list->next)
		n++;
	return n;
}

TEST_SUITE(tokens_one_request_per_webhook)
{
	char *pem = ec_pem(), why[OAUTH_REASON_MAX];
	struct tokens *t = tokens_new(master);
	struct buf sealed;
	struct job *a, *b, *c;
	struct job *fetch = NULL, *again = NULL, *waiters = NULL;
	const char *token = NULL;
	struct buf tok;
	buf_init(&tok, OAUTH_TOKEN_MAX + 1);
	seal_for("w1", pem, &sealed);
	a = oauth_job("w1", &sealed);
	b = oauth_job("w1", &sealed);
	c = oauth_job("w1", &sealed);

	CHECK(tokens_acquire(t, a, 1000, &token, &fetch, why, sizeof(why)) == TOKENS_FETCH);
	CHECK(fetch && fetch->token_fetch && fetch->waiters == a && strlen(a->oauth_fp) == 64);
	CHECK_STR(fetch ? fetch->url : NULL, "https://auth.example/token");
	CHECK(fetch &&
	      strstr(fetch->payload, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="));
	CHECK(fetch && strstr(fetch->payload, "&scope=x%20y"));
	CHECK(tokens_acquire(t, b, 1001, &token, &again, why, sizeof(why)) == TOKENS_WAIT);
	CHECK(again == NULL && fetch->waiters == b && b->next == a);

	answer(fetch, 200, "{\"access_token\":\"tok-1\",\"token_type\":\"Bearer\",\"expires_in\":60}");
	CHECK(tokens_done(t, fetch, NULL, 2000, &tok, &waiters, why, sizeof(why)) == WH_OK);
	CHECK_STR(buf_str(&tok), "tok-1");
	CHECK(count(waiters) == 2 && a->oauth_gen && a->oauth_gen == b->oauth_gen && !fetch->waiters);
	job_free(fetch);

	/* cached now: no request, until the endpoint refuses it */
	CHECK(tokens_acquire(t, c, 3000, &token, &fetch, why, sizeof(why)) == TOKENS_READY);
	CHECK_STR(token, "tok-1");
	CHECK(c->oauth_gen == a->oauth_gen);
	tokens_refused(t, a);
	fetch = NULL;
	CHECK(tokens_acquire(t, c, 3001, &token, &fetch, why, sizeof(why)) == TOKENS_FETCH);
	CHECK(fetch && fetch->waiters == c);

	/* a token server that answers an error: the waiters get the reason, nothing cached */
	answer(fetch, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"secret stuff\"}");
	CHECK(tokens_done(t, fetch, NULL, 3500, &tok, &waiters, why, sizeof(why)) == WH_ERR_INVALID);
	CHECK_STR(why, "token server answered 400 (invalid_grant)");
	CHECK(waiters == c && count(waiters) == 1);
	job_free(fetch);

	buf_release(&tok);
	buf_release(&sealed);
	tokens_free(t);
	job_free(a);
	job_free(b);
	job_free(c);
	free(pem);
}

TEST_SUITE(tokens_failures_and_abandon)
{
	char *pem = ec_pem(), why[OAUTH_REASON_MAX];
	struct tokens *t = tokens_new(master);
	struct buf sealed;
	struct job *a, *nokey, *wrong;
	struct job *fetch = NULL, *waiters = NULL;
	const char *token = NULL;
	struct buf tok;
	buf_init(&tok, OAUTH_TOKEN_MAX + 1);
	seal_for("w2", pem, &sealed);
	a = oauth_job("w2", &sealed);
	nokey = oauth_job("w3", NULL);
	wrong = oauth_job("w5", &sealed); /* sealed for another row */

	CHECK(tokens_acquire(t, nokey, 0, &token, &fetch, why, sizeof(why)) == TOKENS_FAILED);
	CHECK_STR(why, "the webhook has no oAuth private key");
	CHECK(tokens_acquire(t, wrong, 0, &token, &fetch, why, sizeof(why)) == TOKENS_FAILED);
	CHECK_STR(why, "the private key does not open under the master key");

	CHECK(tokens_acquire(t, a, 0, &token, &fetch, why, sizeof(why)) == TOKENS_FETCH);
	CHECK(tokens_done(t, fetch, "dns_error", 10, &tok, &waiters, why, sizeof(why)) == WH_ERR_INVALID);
	CHECK_STR(why, "token request: dns_error");
	CHECK(waiters == a);
	job_free(fetch);

	CHECK(tokens_acquire(t, a, 20, &token, &fetch, why, sizeof(why)) == TOKENS_FETCH);
	answer(fetch, 200, "{\"access_token\":\"x\"}");
	fetch->body_capped = true;
	CHECK(tokens_done(t, fetch, "connection_error", 30, &tok, &waiters, why, sizeof(why)) == WH_ERR_INVALID);
	CHECK(!strncmp(why, "token answer larger than", 24));
	job_free(fetch);

	/* the sender stops: the waiters come back and the next delivery asks again */
	CHECK(tokens_acquire(t, a, 40, &token, &fetch, why, sizeof(why)) == TOKENS_FETCH);
	CHECK(tokens_abandon(t, fetch) == a && !fetch->waiters);
	job_free(fetch);
	fetch = NULL;
	CHECK(tokens_acquire(t, a, 50, &token, &fetch, why, sizeof(why)) == TOKENS_FETCH);
	CHECK(tokens_abandon(t, fetch) == a);
	job_free(fetch);

	buf_release(&tok);
	buf_release(&sealed);
	tokens_free(t);
	tokens_free(NULL);
	job_free(a);
	job_free(nokey);
	job_free(wrong);
	free(pem);
}

TEST_SUITE(oauth_cache_refuses_an_oversized_token)
{
	struct oauth_cache *c = oauth_cache_new(4);
	char *big = xmalloc(OAUTH_TOKEN_MAX + 2);
	unsigned long gen = 0;
	memset(big, 'a', OAUTH_TOKEN_MAX + 1);
	big[OAUTH_TOKEN_MAX + 1] = '\0';
	CHECK(oauth_cache_put(c, "w1", "fp", "small", 9000, 0) != 0);
	CHECK(oauth_cache_put(c, "w1", "fp", big, 9000, 0) == 0); /* replaces nothing with nothing */
	CHECK(oauth_cache_get(c, "w1", "fp", 1, &gen) == NULL && oauth_cache_size(c) == 0);
	big[OAUTH_TOKEN_MAX] = '\0';
	CHECK(oauth_cache_put(c, "w1", "fp", big, 9000, 0) != 0);
	CHECK(oauth_cache_size(c) == 1);
	free(big);
	oauth_cache_free(c);
}
