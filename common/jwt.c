/* RS256 / ES256 JWT signing with OpenSSL EVP. */
#include "common/jwt.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/json_util.h"
#include "common/xalloc.h"

static EVP_PKEY *load_key(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"") : NULL;
	BIO_free(bio);
	return key;
}

static enum jwt_alg alg_of(EVP_PKEY *key)
{
	char group[64];
	size_t glen = 0;
	if(!key)
		return JWT_ALG_NONE;
	if(EVP_PKEY_is_a(key, "RSA"))
		return EVP_PKEY_get_bits(key) >= 2048 ? JWT_ALG_RS256 : JWT_ALG_NONE;
	if(EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &glen) &&
	   (!strcmp(group, "prime256v1") || !strcmp(group, "P-256")))
		return JWT_ALG_ES256;
	return JWT_ALG_NONE;
}

enum jwt_alg jwt_key_alg(const char *pem, size_t len)
{
	EVP_PKEY *key = load_key(pem, len);
	enum jwt_alg alg = alg_of(key);
	EVP_PKEY_free(key);
	return alg;
}

/* ECDSA signatures come DER-encoded from OpenSSL; JWS wants r || s, 32 bytes each. */
static enum wh_err der_to_raw(const unsigned char *der, size_t len, unsigned char raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	enum wh_err result = WH_ERR_CRYPTO;
	if(!sig)
		return result;
	ECDSA_SIG_get0(sig, &r, &s);
	if(BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32)
		result = WH_OK;
	ECDSA_SIG_free(sig);
	return result;
}

static enum wh_err append_part(struct buf *out, const json_t *obj)
{
	char *text = jx_dumps(obj);
	enum wh_err result = crypto_base64url(text, strlen(text), out);
	free(text);
	return result;
}

static enum wh_err signing_input(enum jwt_alg alg, const struct jwt_claims *c, struct buf *out)
{
	json_t *header = json_pack("{s:s,s:s}", "alg", alg == JWT_ALG_RS256 ? "RS256" : "ES256", "typ", "JWT");
	json_t *payload = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "iss", c->iss, "sub", c->sub, "aud", c->aud, "iat",
	                            (json_int_t)c->iat, "exp", (json_int_t)(c->iat + c->expires_in), "jti", c->jti);
	enum wh_err result = WH_ERR_INVALID;
	if(header && payload) {
		result = append_part(out, header);
		if(!result)
			result = buf_add(out, ".", 1);
		if(!result)
			result = append_part(out, payload);
	}
	json_decref(header);
	json_decref(payload);
	return result;
}

enum wh_err jwt_sign(const char *pem, size_t len, const struct jwt_claims *claims, struct buf *out)
{
	EVP_PKEY *key = load_key(pem, len);
	enum jwt_alg alg = alg_of(key);
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	unsigned char raw[64];
	size_t siglen = 0;
	size_t start = out->len;
	enum wh_err result = WH_ERR_INVALID;
	if(alg == JWT_ALG_NONE)
		goto out;
	result = signing_input(alg, claims, out);
	if(result)
		goto out;
	result = WH_ERR_CRYPTO;
	md = EVP_MD_CTX_new();
	if(!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	   EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)out->ptr + start, out->len - start) != 1)
		goto out;
	sig = xmalloc(siglen);
	if(EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out->ptr + start, out->len - start) != 1)
		goto out;
	result = buf_add(out, ".", 1);
	if(result)
		goto out;
	if(alg == JWT_ALG_ES256) {
		result = der_to_raw(sig, siglen, raw);
		if(!result)
			result = crypto_base64url(raw, sizeof(raw), out);
	} else {
		result = crypto_base64url(sig, siglen, out);
	}
out:
	free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return result;
}
