/* JWT bearer grant requests, token answers and the per-webhook token cache. */
#include "delivery-worker/oauth.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ids.h"
#include "common/jwt.h"
#include "common/log.h"
#include "common/webhook_row.h"
#include "common/xalloc.h"

#define GRANT_TYPE "urn:ietf:params:oauth:grant-type:jwt-bearer"

enum wh_err oauth_form_escape(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	enum wh_err result = WH_OK;
	for(const unsigned char *p = (const unsigned char *)s; *p && !result; p++) {
		char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		if((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		   *p == '.' || *p == '_' || *p == '~')
			result = buf_add(out, p, 1);
		else
			result = buf_add(out, esc, 3);
	}
	return result;
}

enum wh_err oauth_form(const char *assertion, const char *scope, struct buf *out)
{
	enum wh_err result = buf_adds(out, "grant_type=");
	if(!result)
		result = oauth_form_escape(GRANT_TYPE, out);
	if(!result)
		result = buf_adds(out, "&assertion=");
	if(!result)
		result = oauth_form_escape(assertion, out);
	if(!result && scope) {
		result = buf_adds(out, "&scope=");
		if(!result)
			result = oauth_form_escape(scope, out);
	}
	return result;
}

/* A bearer token goes into a header line: printable ASCII only, no spaces. */
static bool token_usable(const char *t, size_t len)
{
	if(len < 1 || len > OAUTH_TOKEN_MAX)
		return false;
	for(size_t i = 0; i < len; i++)
		if(t[i] <= 0x20 || t[i] >= 0x7f)
			return false;
	return true;
}

/* expires_in: a number of seconds (some servers send it as a string). */
static bool expires_read(const json_t *v, long long *out)
{
	char *end = NULL;
	long long n;
	if(!v || json_is_null(v)) {
		*out = OAUTH_DEFAULT_EXPIRES_S;
		return true;
	}
	if(json_is_integer(v))
		n = json_integer_value(v);
	else if(json_is_real(v))
		n = (long long)json_real_value(v);
	else if(json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 20) {
		n = strtoll(json_string_value(v), &end, 10);
		if(*end)
			return false;
	} else
		return false;
	if(n < 0)
		return false;
	*out = n > OAUTH_MAX_EXPIRES_S ? OAUTH_MAX_EXPIRES_S : n;
	return true;
}

/* The OAuth error code of a refusal ("invalid_grant"), when it looks like one. */
static void refusal(long status, json_t *answer, char *why, size_t whylen)
{
	const char *code = json_string_value(json_object_get(answer, "error"));
	bool plain = code && strlen(code) <= 64 && strspn(code, "abcdefghijklmnopqrstuvwxyz_") == strlen(code);
	if(plain)
		snprintf(why, whylen, "token server answered %ld (%s)", status, code);
	else
		snprintf(why, whylen, "token server answered %ld", status);
}

/* A token answer's strings (access_token, refresh_token, id_token, ...) are credentials:
 * wiped in Jansson's own storage before it is freed. */
static void answer_wipe(json_t *answer)
{
	const char *name;
	json_t *v;
	json_object_foreach(answer, name, v)
	{
		if(json_is_string(v))
			OPENSSL_cleanse((void *)(uintptr_t)json_string_value(v), json_string_length(v));
	}
}

enum wh_err oauth_token_parse(long status, const char *body, size_t len, struct buf *token, long long *expires_in_s,
                              char *why, size_t whylen)
{
	json_t *answer = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *tok = json_object_get(answer, "access_token");
	const char *type = json_string_value(json_object_get(answer, "token_type"));
	enum wh_err result = WH_ERR_INVALID;
	buf_reset(token);
	if(status < 200 || status > 299)
		refusal(status, answer, why, whylen);
	else if(!json_is_object(answer))
		snprintf(why, whylen, "token answer is not a JSON object");
	else if(!tok)
		snprintf(why, whylen, "token answer has no access_token");
	else if(!json_is_string(tok) || !token_usable(json_string_value(tok), json_string_length(tok)))
		snprintf(why, whylen, "access_token is not a usable bearer token");
	else if(type && strcasecmp(type, "bearer"))
		snprintf(why, whylen, "token_type is not Bearer");
	else if(!expires_read(json_object_get(answer, "expires_in"), expires_in_s))
		snprintf(why, whylen, "expires_in is not a number of seconds");
	else
		result = buf_add(token, json_string_value(tok), json_string_length(tok));
	answer_wipe(answer);
	json_decref(answer);
	return result;
}

long long oauth_valid_until(long long now_ms, long long expires_in_s)
{
	long long life = expires_in_s * 1000, margin = life / 10;
	if(margin > OAUTH_MARGIN_MAX_MS)
		margin = OAUTH_MARGIN_MAX_MS;
	return now_ms + life - margin;
}

void oauth_fingerprint(const char *config_json, const char *sealed_key, size_t sealed_len, char *out)
{
	struct buf b;
	enum wh_err result;
	buf_init(&b, 0);
	result = buf_adds(&b, config_json ? config_json : "");
	if(!result)
		result = buf_add(&b, "\n", 1);
	if(!result && sealed_len)
		result = buf_add(&b, sealed_key, sealed_len);
	if(result) /* settings over BUF_MAX_DEFAULT: a fingerprint no digest equals, so no token is reused */
		snprintf(out, 65, "unusable");
	else
		crypto_sha256_hex(b.ptr, b.len, out);
	buf_release(&b);
}

/* ---- the cache ---- */

struct oauth_entry {
	char webhook_id[ID_LEN + 1];
	char fp[65];
	struct buf token;
	long long valid_until, used;
	unsigned long gen;
};

struct oauth_cache {
	struct oauth_entry *e;
	size_t n, max;
	unsigned long gen;
};

struct oauth_cache *oauth_cache_new(size_t max_entries)
{
	struct oauth_cache *c = xcalloc(1, sizeof(*c));
	c->max = max_entries ? max_entries : 1;
	c->e = xcalloc(c->max, sizeof(*c->e));
	return c;
}

/* Removes entry i (the last one moves into its place). */
static void entry_remove(struct oauth_cache *c, size_t i)
{
	crypto_buf_wipe(&c->e[i].token);
	c->e[i] = c->e[--c->n];
	memset(&c->e[c->n], 0, sizeof(c->e[c->n]));
}

void oauth_cache_free(struct oauth_cache *c)
{
	if(!c)
		return;
	while(c->n)
		entry_remove(c, 0);
	free(c->e);
	free(c);
}

static struct oauth_entry *entry_find(struct oauth_cache *c, const char *webhook_id)
{
	for(size_t i = 0; i < c->n; i++)
		if(!strcmp(c->e[i].webhook_id, webhook_id))
			return &c->e[i];
	return NULL;
}

const char *oauth_cache_get(struct oauth_cache *c, const char *webhook_id, const char *fingerprint, long long now_ms,
                            unsigned long *gen)
{
	struct oauth_entry *e = entry_find(c, webhook_id);
	if(!e)
		return NULL;
	if(strcmp(e->fp, fingerprint) || now_ms >= e->valid_until) {
		entry_remove(c, (size_t)(e - c->e));
		return NULL;
	}
	e->used = now_ms;
	*gen = e->gen;
	return buf_str(&e->token);
}

unsigned long oauth_cache_put(struct oauth_cache *c, const char *webhook_id, const char *fingerprint, const char *token,
                              long long valid_until_ms, long long now_ms)
{
	struct oauth_entry *e = entry_find(c, webhook_id);
	if(e) {
		crypto_buf_wipe(&e->token);
	} else {
		if(c->n == c->max) {
			size_t lru = 0;
			for(size_t i = 1; i < c->n; i++)
				if(c->e[i].used < c->e[lru].used)
					lru = i;
			entry_remove(c, lru);
		}
		e = &c->e[c->n++];
		snprintf(e->webhook_id, sizeof(e->webhook_id), "%s", webhook_id);
	}
	buf_init(&e->token, OAUTH_TOKEN_MAX);
	if(buf_adds(&e->token, token)) { /* longer than any token oauth_token_parse accepts */
		entry_remove(c, (size_t)(e - c->e));
		return 0;
	}
	snprintf(e->fp, sizeof(e->fp), "%s", fingerprint);
	e->valid_until = valid_until_ms;
	e->used = now_ms;
	e->gen = ++c->gen;
	return e->gen;
}

void oauth_cache_drop(struct oauth_cache *c, const char *webhook_id, unsigned long gen)
{
	struct oauth_entry *e = entry_find(c, webhook_id);
	if(e && e->gen == gen)
		entry_remove(c, (size_t)(e - c->e));
}

size_t oauth_cache_size(const struct oauth_cache *c)
{
	return c->n;
}

/* ---- the token request ---- */

struct oauth_cfg {
	json_t *root;
	const char *token_url, *iss, *sub, *aud, *scope;
	long long expires_in;
};

static bool cfg_parse(const char *text, struct oauth_cfg *cfg)
{
	json_t *claims;
	memset(cfg, 0, sizeof(*cfg));
	cfg->root = json_loads(text, 0, NULL);
	claims = json_object_get(cfg->root, "claims");
	cfg->token_url = json_string_value(json_object_get(cfg->root, "tokenUrl"));
	cfg->expires_in = json_integer_value(json_object_get(cfg->root, "expiresIn"));
	cfg->iss = json_string_value(json_object_get(claims, "iss"));
	cfg->sub = json_string_value(json_object_get(claims, "sub"));
	cfg->aud = json_string_value(json_object_get(claims, "aud"));
	cfg->scope = json_string_value(json_object_get(claims, "scope"));
	return cfg->token_url && cfg->iss && cfg->sub && cfg->aud && cfg->expires_in > 0;
}

/* The signed assertion, made with the key opened just for it and wiped at once. */
static bool assertion_sign(const struct job *job, const struct oauth_cfg *cfg,
                           const unsigned char master_key[CRYPTO_KEY_LEN], struct buf *jwt, char *why, size_t whylen)
{
	char jti[33];
	struct buf pem;
	struct jwt_claims claims = {cfg->iss, cfg->sub, cfg->aud, time_now_ms() / 1000, cfg->expires_in, jti};
	bool ok = false;
	buf_init(&pem, 0);
	id_random(jti, sizeof(jti) - 1);
	if(whrow_open(master_key, job->webhook_id, WHROW_OAUTH_KEY, job->oauth_key, job->oauth_key_len, &pem))
		snprintf(why, whylen, "the private key does not open under the master key");
	else if(jwt_sign(pem.ptr, pem.len, &claims, jwt))
		snprintf(why, whylen, "signing the assertion failed");
	else
		ok = true;
	crypto_buf_wipe(&pem);
	return ok;
}

struct job *oauth_request_build(const struct job *job, const unsigned char master_key[CRYPTO_KEY_LEN], char *why,
                                size_t whylen)
{
	struct oauth_cfg cfg;
	struct buf jwt, form;
	struct job *req = NULL;
	buf_init(&jwt, 0);
	buf_init(&form, 0);
	if(!cfg_parse(job->oauth_json, &cfg))
		snprintf(why, whylen, "the webhook's oAuth settings are unreadable");
	else if(!job->oauth_key)
		snprintf(why, whylen, "the webhook has no oAuth private key");
	else if(!assertion_sign(job, &cfg, master_key, &jwt, why, whylen))
		; /* why says what failed */
	else if(oauth_form(jwt.ptr, cfg.scope, &form))
		snprintf(why, whylen, "the token request form could not be built");
	else {
		req = job_new();
		req->token_fetch = true;
		req->body_keep = OAUTH_ANSWER_MAX;
		buf_release(&req->body);
		buf_init(&req->body, OAUTH_ANSWER_MAX);
		snprintf(req->webhook_id, sizeof(req->webhook_id), "%s", job->webhook_id);
		snprintf(req->oauth_fp, sizeof(req->oauth_fp), "%s", job->oauth_fp);
		req->url = xstrdup(cfg.token_url);
		req->payload_len = form.len;
		req->payload = buf_detach(&form);
	}
	crypto_buf_wipe(&jwt);
	crypto_buf_wipe(&form);
	json_decref(cfg.root);
	return req;
}
