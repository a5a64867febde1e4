/* Token requests per webhook, their waiting deliveries, and what their answers give. */
#include "delivery-worker/tokens.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "delivery-worker/oauth.h"

/* A token request in flight; deliveries for the same webhook and settings join it. */
struct pending {
	struct job *fetch; /* borrowed: the sender runs it */
	struct pending *next;
};

struct tokens {
	unsigned char master_key[CRYPTO_KEY_LEN];
	struct oauth_cache *cache;
	struct pending *pending;
};

struct tokens *tokens_new(const unsigned char master_key[CRYPTO_KEY_LEN])
{
	struct tokens *t = xcalloc(1, sizeof(*t));
	memcpy(t->master_key, master_key, CRYPTO_KEY_LEN);
	t->cache = oauth_cache_new(OAUTH_CACHE_MAX);
	return t;
}

void tokens_free(struct tokens *t)
{
	if(!t)
		return;
	while(t->pending) {
		struct pending *next = t->pending->next;
		free(t->pending);
		t->pending = next;
	}
	oauth_cache_free(t->cache);
	OPENSSL_cleanse(t->master_key, sizeof(t->master_key));
	free(t);
}

static struct pending **pending_find(struct tokens *t, const struct job *fetch)
{
	struct pending **p = &t->pending;
	while(*p && (*p)->fetch != fetch)
		p = &(*p)->next;
	return p;
}

/* Forgets fetch and detaches its waiters. */
static struct job *forget(struct tokens *t, struct job *fetch)
{
	struct pending **p = pending_find(t, fetch);
	struct job *waiters = fetch->waiters;
	if(*p) {
		struct pending *dead = *p;
		*p = dead->next;
		free(dead);
	}
	fetch->waiters = NULL;
	return waiters;
}

enum tokens_step tokens_acquire(struct tokens *t, struct job *job, long long now_ms, const char **token,
                                struct job **fetch, char *why, size_t whylen)
{
	struct pending *p;
	if(!job->oauth_fp[0])
		oauth_fingerprint(job->oauth_json, job->oauth_key, job->oauth_key_len, job->oauth_fp);
	*token = oauth_cache_get(t->cache, job->webhook_id, job->oauth_fp, now_ms, &job->oauth_gen);
	if(*token)
		return TOKENS_READY;
	for(p = t->pending; p; p = p->next)
		if(!strcmp(p->fetch->webhook_id, job->webhook_id) && !strcmp(p->fetch->oauth_fp, job->oauth_fp)) {
			job->next = p->fetch->waiters;
			p->fetch->waiters = job;
			return TOKENS_WAIT;
		}
	*fetch = oauth_request_build(job, t->master_key, why, whylen);
	if(!*fetch) {
		log_info("webhook %s: no token request: %s", job->webhook_id, why);
		return TOKENS_FAILED;
	}
	job->next = NULL;
	(*fetch)->waiters = job;
	p = xcalloc(1, sizeof(*p));
	p->fetch = *fetch;
	p->next = t->pending;
	t->pending = p;
	return TOKENS_FETCH;
}

/* The token from a request's answer into token; WH_ERR_INVALID with the reason otherwise. */
static enum wh_err answer_read(const struct job *fetch, const char *transport, struct buf *token, long long *expires_in,
                               char *why, size_t whylen)
{
	if(fetch->body_capped || (!transport && fetch->body_seen > fetch->body.len))
		snprintf(why, whylen, "token answer larger than %d bytes", OAUTH_ANSWER_MAX);
	else if(transport)
		snprintf(why, whylen, "token request: %s", transport);
	else
		return oauth_token_parse(fetch->status_code, fetch->body.ptr ? fetch->body.ptr : "", fetch->body.len,
		                         token, expires_in, why, whylen);
	return WH_ERR_INVALID;
}

enum wh_err tokens_done(struct tokens *t, struct job *fetch, const char *transport, long long now_ms, struct buf *token,
                        struct job **waiters, char *why, size_t whylen)
{
	long long expires_in = 0;
	unsigned long gen;
	enum wh_err result = answer_read(fetch, transport, token, &expires_in, why, whylen);
	*waiters = forget(t, fetch);
	if(result) {
		log_info("webhook %s: token request failed: %s", fetch->webhook_id, why);
		return result;
	}
	gen = oauth_cache_put(t->cache, fetch->webhook_id, fetch->oauth_fp, buf_str(token),
	                      oauth_valid_until(now_ms, expires_in), now_ms);
	if(!gen) { /* oauth_token_parse bounds the token, so this is not expected */
		snprintf(why, whylen, "access_token is not a usable bearer token");
		return WH_ERR_INVALID;
	}
	for(struct job *job = *waiters; job; job = job->next)
		job->oauth_gen = gen;
	log_debug("webhook %s: new access token, expires in %lld s", fetch->webhook_id, expires_in);
	return WH_OK;
}

struct job *tokens_abandon(struct tokens *t, struct job *fetch)
{
	return forget(t, fetch);
}

void tokens_refused(struct tokens *t, const struct job *job)
{
	oauth_cache_drop(t->cache, job->webhook_id, job->oauth_gen);
}
