/* JWT assertions for the OAuth JWT bearer grant (RFC 7523): RS256 for RSA keys, ES256 for
 * P-256 EC keys. Used by the API to validate oAuth private keys and by the worker to sign.
 * Besides common/crypto.c, the only module that uses OpenSSL directly. */
#ifndef WH_JWT_H
#define WH_JWT_H
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

struct jwt_claims {
	const char *iss, *sub, *aud; /* borrowed */
	long long iat;               /* Unix seconds */
	long long expires_in;        /* seconds; exp = iat + expires_in */
	const char *jti;             /* unique id of this assertion */
};

enum jwt_alg { JWT_ALG_NONE = 0, JWT_ALG_RS256, JWT_ALG_ES256 };

/* Which algorithm a PEM private key signs with: RS256 for RSA, ES256 for an EC key on
 * P-256; JWT_ALG_NONE for anything that does not parse or another key type or curve. */
enum jwt_alg jwt_key_alg(const char *pem, size_t len);

/* Appends the signed compact JWT (header.payload.signature) to out. WH_ERR_INVALID for an
 * unusable key, WH_ERR_CRYPTO when signing fails. */
enum wh_err jwt_sign(const char *pem, size_t len, const struct jwt_claims *claims, struct buf *out);

#endif
