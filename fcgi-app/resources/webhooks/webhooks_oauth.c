/* The oAuth object of a webhook: fields, claims and the private key's type. */
#include "fcgi-app/resources/webhooks/webhooks_oauth.h"

#include <stdio.h>
#include <string.h>

#include "common/jwt.h"
#include "fcgi-app/resources/webhooks/webhook_url.h"

#define CLAIM_MAX 1024

enum wh_err wh_oauth_key_check(const char *pem, const char *field, struct jx_err *err)
{
	if(jwt_key_alg(pem, strlen(pem)) == JWT_ALG_NONE)
		return jx_fail(err, field,
		               "%s: must be an unencrypted PEM private key: RSA of at least 2048 bits (RS256) or EC on "
		               "P-256 (ES256)",
		               field);
	return WH_OK;
}

/* Re-names the unknown key jx_only_keys reported as prefix.key. */
static enum wh_err unknown_field(struct jx_err *err, const char *prefix)
{
	char full[sizeof(err->field)];
	snprintf(full, sizeof(full), "%s.%.100s", prefix, err->field);
	return jx_fail(err, full, "%s: unknown field", full);
}

static enum wh_err claims_parse(json_t *v, json_t **out, struct jx_err *err)
{
	static const char *const keys[] = {"iss", "sub", "aud", "scope", NULL};
	static const char *const names[] = {"oAuth.claims.iss", "oAuth.claims.sub", "oAuth.claims.aud",
	                                    "oAuth.claims.scope"};
	json_t *claims;
	if(!v)
		return jx_fail(err, "oAuth.claims", "oAuth.claims: required");
	if(!json_is_object(v))
		return jx_fail(err, "oAuth.claims", "oAuth.claims: must be an object");
	if(jx_only_keys(v, keys, err))
		return unknown_field(err, "oAuth.claims");
	claims = json_object();
	for(size_t i = 0; keys[i]; i++) {
		json_t *c = json_object_get(v, keys[i]);
		bool required = i < 3;
		if(!c && !required)
			continue;
		if(!c || !json_is_string(c) || json_string_length(c) < 1 || json_string_length(c) > CLAIM_MAX) {
			json_decref(claims);
			return jx_fail(err, names[i], "%s: %s", names[i],
			               c ? "must be a string of 1..1024 bytes" : "required");
		}
		json_object_set(claims, keys[i], c);
	}
	*out = claims;
	return WH_OK;
}

static enum wh_err fields_parse(json_t *v, bool allow_http, const struct urlpolicy *pol, json_t *meta,
                                struct jx_err *err)
{
	json_t *tok = json_object_get(v, "tokenUrl");
	json_t *exp = json_object_get(v, "expiresIn");
	json_t *claims = NULL;
	enum wh_err result;
	if(!tok)
		return jx_fail(err, "oAuth.tokenUrl", "oAuth.tokenUrl: required");
	if(!json_is_string(tok))
		return jx_fail(err, "oAuth.tokenUrl", "oAuth.tokenUrl: must be a string");
	result = wh_url_allowed(json_string_value(tok), allow_http, pol, "oAuth.tokenUrl", err);
	if(result)
		return result;
	if(exp && (!json_is_integer(exp) || json_integer_value(exp) < 60 || json_integer_value(exp) > 3600))
		return jx_fail(err, "oAuth.expiresIn", "oAuth.expiresIn: must be an integer 60..3600");
	result = claims_parse(json_object_get(v, "claims"), &claims, err);
	if(result)
		return result;
	json_object_set(meta, "tokenUrl", tok);
	json_object_set_new(meta, "expiresIn", json_integer(exp ? json_integer_value(exp) : WH_OAUTH_EXPIRES_DEFAULT));
	json_object_set_new(meta, "claims", claims);
	return WH_OK;
}

enum wh_err wh_oauth_parse(json_t *v, bool allow_http, const struct urlpolicy *pol, bool key_optional, json_t **meta,
                           const char **key, struct jx_err *err)
{
	static const char *const keys[] = {"tokenUrl", "privateKey", "expiresIn", "claims", NULL};
	json_t *pk;
	json_t *m = NULL;
	enum wh_err result;
	*meta = NULL;
	*key = NULL;
	if(!json_is_object(v))
		return jx_fail(err, "oAuth", "oAuth: must be an object or null");
	if(jx_only_keys(v, keys, err))
		return unknown_field(err, "oAuth");
	m = json_object();
	result = fields_parse(v, allow_http, pol, m, err);
	if(result)
		goto out;
	pk = json_object_get(v, "privateKey");
	if(!pk && !key_optional) {
		result = jx_fail(err, "oAuth.privateKey", "oAuth.privateKey: required");
		goto out;
	}
	if(pk && (!json_is_string(pk) || json_string_length(pk) > WH_OAUTH_KEY_MAX)) {
		result = jx_fail(err, "oAuth.privateKey", "oAuth.privateKey: must be a PEM string of at most %d bytes",
		                 WH_OAUTH_KEY_MAX);
		goto out;
	}
	if(pk) {
		result = wh_oauth_key_check(json_string_value(pk), "oAuth.privateKey", err);
		if(result)
			goto out;
		*key = json_string_value(pk);
	}
	*meta = m;
	m = NULL;
out:
	json_decref(m);
	return result;
}
